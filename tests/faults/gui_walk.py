"""Start the GUI on a store, unlock it, open every page once, quit (for test_offline.py).

``python -m tests.faults.nosocket --module tests.faults.gui_walk STORE`` runs it under
the no-network hook. It drives the real start-up path (``AppController``: the unlock
dialog, then the main window), prints one line per page shown and ``quit`` at the end,
and exits 0; anything unexpected exits non-zero with the reason on stderr.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication

from relations_desktop.ui.app import AppController
from relations_desktop.ui.dialogs.unlock import UnlockDialog
from relations_desktop.ui.style import apply_style
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.workspace import PAGES

PASSPHRASE = os.environ["RELATIONS_PASSPHRASE"]


def spin(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.005)


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gui_walk: timed out waiting for {what}")
        spin(0.02)


def main(store: Path) -> int:
    app = QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    apply_style(app)
    runner = TaskRunner()
    controller = AppController(store, runner)
    finished: list[int] = []
    controller.finished.connect(finished.append)
    controller.start()
    dialog = controller.dialog
    if not isinstance(dialog, UnlockDialog):
        raise SystemExit(f"gui_walk: expected the unlock dialog, got {dialog!r}")
    dialog.passphrase.setText(PASSPHRASE)
    dialog.unlock_button.click()
    wait_until(lambda: controller.window is not None, 30, "the main window")
    window = controller.window
    assert window is not None
    print("unlocked", flush=True)
    for page, (name, _) in enumerate(PAGES):
        window.workspace.show_page(page)
        runner.wait_idle()
        spin(0.15)
        runner.wait_idle()
        print(f"page {page} {name}", flush=True)
    window.close()
    wait_until(lambda: bool(finished), 30, "the app to finish")
    print("quit", flush=True)
    return finished[0]


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
