"""The main window's menus, shortcuts and messages, and the real entry point."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.services import StoreService
from relations_desktop.paths import STORE_ENV
from relations_desktop.ui.app import run_gui
from relations_desktop.ui.dialogs.first_run import FirstRunWizard
from relations_desktop.ui.dialogs.new_passphrase import NewPassphraseDialog
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.workspace import PARTICIPANTS, SEARCH, SESSIONS
from tests.ui.conftest import WindowFactory

NEW = "harbour lantern oatcake thistle"


def test_navigation_shortcuts(qtbot, make_window: WindowFactory) -> None:
    window = make_window()
    assert window.windowTitle() == "Relations Desktop"
    ctrl = Qt.KeyboardModifier.ControlModifier
    for key, page in (
        (Qt.Key.Key_3, SEARCH),
        (Qt.Key.Key_2, PARTICIPANTS),
        (Qt.Key.Key_1, SESSIONS),
    ):
        qtbot.keyClick(window, key, ctrl)
        assert window.workspace.current_page == page
    window.workspace.nav.setCurrentRow(PARTICIPANTS)
    assert window.workspace.current_page == PARTICIPANTS


def test_change_passphrase_from_the_menu(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    store_dir: Path,
    passphrase: str,
) -> None:
    window = make_window()
    window.passphrase_action.trigger()
    dialog = window.dialog
    assert isinstance(dialog, NewPassphraseDialog) and not dialog.forced
    qtbot.keyClicks(dialog.passphrases.first, NEW)
    qtbot.keyClicks(dialog.passphrases.second, NEW)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "current passphrase" in dialog.message.text()
    qtbot.keyClicks(dialog.current, "not the passphrase")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    assert "current passphrase is wrong" in dialog.message.text()
    dialog.current.clear()
    qtbot.keyClicks(dialog.current, passphrase)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    assert "passphrase was changed" in window.statusBar().currentMessage()
    service.lock()
    service.unlock(NEW)


def test_unhandled_task_errors_are_shown_as_messages(
    qtbot, make_window: WindowFactory, runner: TaskRunner
) -> None:
    window = make_window()

    def fails() -> None:
        raise InvalidInput("The title must not be empty.")

    runner.submit(fails)
    runner.wait_idle()
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert [b.text() for b in boxes] == ["The title must not be empty."]


def test_run_gui_opens_the_first_run_dialog(qtbot, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "store"))
    seen: list[str] = []

    def quit_from_dialog() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, FirstRunWizard))
        seen.append(dialog.windowTitle())
        dialog.reject()

    QTimer.singleShot(200, quit_from_dialog)
    assert run_gui() == 0
    assert seen and "create" in seen[0]
    assert not (tmp_path / "store").exists()
