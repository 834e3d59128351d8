"""The real command-line tools some tests drive (age, minisign).

`./scripts/test` installs them. On a developer's machine without them those tests are
skipped with the reason; under CI (``CI`` set) a missing tool is a failure, so the real
path is never silently left untested there.
"""

from __future__ import annotations

import os
import shutil

import pytest


def real_tool(name: str, package: str | None = None) -> str:
    path = shutil.which(name)
    if path is not None:
        return path
    reason = f"the real `{name}` tool is not installed (Debian package `{package or name}`)"
    if os.environ.get("CI"):
        pytest.fail(reason + "; scripts/system-packages test installs it")
    pytest.skip(reason)
