"""Where the shipped resources (consent form templates, note templates, sample data) are.

In the source tree (and an editable install) they are the repository's ``resources/``;
in the frozen app PyInstaller puts them next to the code (``sys._MEIPASS``);
``RELATIONS_RESOURCES`` overrides both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from relations_desktop.core.errors import RelationsError


def resources_dir() -> Path:
    override = os.environ.get("RELATIONS_RESOURCES")
    candidates = [Path(override)] if override else []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.append(Path(frozen) / "resources")
    candidates.append(Path(__file__).resolve().parents[2] / "resources")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise RelationsError(
        "The app's resources folder is missing; reinstall the app "
        f"(looked in: {', '.join(str(c) for c in candidates)})."
    )


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
