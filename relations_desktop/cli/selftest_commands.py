"""``self-test``: check that this installation works, offline, without touching any store.

Each step is printed as it finishes (``✓ add the sample session … 0.4 s``); with
``--json`` those lines go to stderr and a report goes to stdout. A failed step ends the
run: its name and reason go to stderr and the exit code is the step's error code (11
for a speech model that failed its check, 70 for anything unexpected).
See :mod:`relations_desktop.core.selftest` and docs/packaging.md.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from relations_desktop.cli.common import CommandFactory, Output, StorelessHandler
from relations_desktop.core.errors import RelationsError
from relations_desktop.core.records import to_json
from relations_desktop.core.selftest import SelfTestReport, StepResult, run_self_test


class SelfTestFailed(RelationsError):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_commands(command: CommandFactory) -> None:
    command(
        "self-test",
        "check this installation offline (temporary stores, the models, the sample session, "
        "transcription, a bundle, a QDPX export); the user's own store is never touched",
    )


def cmd_self_test(args: argparse.Namespace, out: Output) -> None:
    stream = sys.stderr if out.as_json else sys.stdout
    yes, no = _marks(stream)

    def show(step: StepResult) -> None:
        line = f"{yes if step.ok else no} {step.name} … {step.seconds:.1f} s"
        if not step.ok:
            line += f"\n  {step.detail}"
        print(line, file=stream, flush=True)

    report = run_self_test(show)
    out.result(_json(report), lambda: _summary(report))
    failed = report.failed
    if failed is not None:
        raise SelfTestFailed(
            f"self-test failed at step '{failed.name}': {failed.detail}",
            failed.exit_code or 1,
        )


def _marks(stream: TextIO) -> tuple[str, str]:
    """✓ and ✗, or plain marks where the console cannot show them (a Windows code page)."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "✓✗…".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "OK  ", "FAIL"
    return "✓", "✗"


def _summary(report: SelfTestReport) -> str:
    if report.ok:
        return f"Self-test passed: {len(report.steps)} steps in {report.seconds:.1f} s."
    skipped = f"; not run: {', '.join(report.not_run)}" if report.not_run else ""
    return f"Self-test FAILED after {report.seconds:.1f} s{skipped}."


def _json(report: SelfTestReport) -> dict[str, object]:
    data: dict[str, object] = to_json(report)
    data["failed_step"] = report.failed.name if report.failed else None
    return data


STORELESS: dict[str, StorelessHandler] = {"self-test": cmd_self_test}
