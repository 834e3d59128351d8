"""Start the GUI: create or unlock the store, then the main window.

:class:`AppController` runs the stages without blocking (dialogs are opened, not
exec'd), so tests can drive every step; :func:`run_gui` wires it to a QApplication.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog

from relations_desktop.core.audio.devices import AudioBackend
from relations_desktop.core.resources import resource
from relations_desktop.core.services import StoreService
from relations_desktop.core.vault import vault_path
from relations_desktop.paths import default_store_dir
from relations_desktop.ui.context import AppContext, UiOptions
from relations_desktop.ui.dialogs.first_run import FirstRunWizard
from relations_desktop.ui.dialogs.new_passphrase import NewPassphraseDialog
from relations_desktop.ui.dialogs.unlock import FileChooser, UnlockDialog, choose_identity_file
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.style import apply_style
from relations_desktop.ui.tasks import TaskRunner


class AppController(QObject):
    """First run → the first-run wizard; later → unlock dialog; recovery → new passphrase;
    then the window."""

    finished = Signal(int)  # exit code, once everything is closed

    def __init__(
        self,
        store_dir: Path,
        runner: TaskRunner,
        *,
        options: UiOptions | None = None,
        choose_file: FileChooser = choose_identity_file,
        audio_backend: AudioBackend | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store_dir = store_dir
        self.runner = runner
        self.options = options or UiOptions()
        self.audio_backend = audio_backend
        self.choose_file = choose_file
        self.dialog: QDialog | None = None
        self.service: StoreService | None = None
        self.window: MainWindow | None = None
        self._done = False

    def start(self) -> None:
        if vault_path(self.store_dir).exists():
            dialog: QDialog = UnlockDialog(
                self.store_dir, self.runner, choose_file=self.choose_file
            )
        else:
            dialog = FirstRunWizard(self.store_dir, self.runner)
        dialog.accepted.connect(self._store_open)
        dialog.rejected.connect(lambda: self._finish(0))
        self._show_dialog(dialog)

    def _show_dialog(self, dialog: QDialog) -> None:
        previous, self.dialog = self.dialog, dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        if previous is not None:
            previous.close()

    def _store_open(self) -> None:
        dialog = self.dialog
        assert isinstance(dialog, FirstRunWizard | UnlockDialog)
        self.service = dialog.service
        if isinstance(dialog, UnlockDialog) and dialog.used_recovery:
            assert self.service is not None
            forced = NewPassphraseDialog(self.service, self.runner, forced=True)
            forced.accepted.connect(self._show_window)
            forced.rejected.connect(lambda: self._finish(0))
            self._show_dialog(forced)
        else:
            self._show_window()

    def _show_window(self) -> None:
        assert self.service is not None
        self.dialog = None
        context = AppContext(self.service, self.runner, self.options, self.audio_backend)
        window = MainWindow(context)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.closed.connect(self._window_closed)
        self.window = window
        window.show()

    def _window_closed(self) -> None:
        self.window = None
        self._finish(0)

    def _finish(self, code: int) -> None:
        if self._done:
            return
        self._done = True
        self.shutdown()
        self.finished.emit(code)

    def shutdown(self) -> None:
        """Close the window (saving), finish queued work, close the store.

        A recording still running is stopped and kept: nobody is there to ask.
        """
        if self.window is not None:
            window, self.window = self.window, None
            window.ask_stop = lambda answer: answer(True)
            if window.isVisible():
                window.close()
        self.runner.wait_idle()
        self.runner.shutdown()
        if self.service is not None:
            self.service.close()
            self.service = None


def run_gui(argv: list[str] | None = None) -> int:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv)
    app.setApplicationName("Relations Desktop")
    app.setApplicationDisplayName("Relations Desktop")
    app.setQuitOnLastWindowClosed(False)
    apply_style(app)
    icon = resource("icons", "relations-desktop.svg")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    runner = TaskRunner()
    controller = AppController(default_store_dir(), runner)
    controller.finished.connect(app.exit)
    controller.start()
    try:
        return app.exec()
    finally:
        controller.shutdown()  # also when the session ends without our window closing
