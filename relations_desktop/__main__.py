"""Entry point: no arguments open the GUI; a sub-command runs the command line."""

from __future__ import annotations

import multiprocessing
import os
import sys


def main(argv: list[str] | None = None) -> int:
    # onnxruntime (faster-whisper's voice detector) collects usage telemetry unless told
    # not to; this app sends nothing anywhere but bundles to sync targets.
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    # The frozen build re-enters here in the transcription worker (spawn): let it run.
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    # Everything the app writes is private to the user (the store, its WAL, backups).
    os.umask(0o077)
    if not args:
        from relations_desktop.ui.app import run_gui

        return run_gui()
    from relations_desktop.cli import main as cli_main

    return cli_main(args)


def _entry() -> int:
    try:
        return main()
    except KeyboardInterrupt:  # Ctrl+C while the app is still starting up
        sys.stderr.write("relations-desktop: interrupted.\n")
        return 130


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(_entry())
