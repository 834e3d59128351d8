"""Locking (Ctrl+L and idle): nothing of the data stays in any widget; unlock rebuilds."""

from __future__ import annotations

from PySide6.QtCore import Qt

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.sessions import SessionsView
from relations_desktop.ui.workspace import PARTICIPANTS, SEARCH, Workspace
from tests.ui.conftest import FAST, WindowFactory, all_texts

NOTE_TEXT = "Lara made tea while the baby slept"


def _assert_nothing_shown(window) -> None:
    # Before and after the destroyed workspace is actually deleted.
    texts = all_texts(flush=False) + all_texts()
    secrets = (NOTE_TEXT, "nursery meeting", "Lara", "Ailsa", "visit with Lara", "unsaved words")
    for secret in secrets:
        assert secret not in texts
    assert window.findChildren(Workspace) == []
    assert window.findChildren(SessionsView) == []


def test_lock_from_another_page_leaves_nothing(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    service.add_note(sample["visit"], "A second note about the nursery meeting.", kind="memo")
    window = make_window()
    qtbot.waitUntil(lambda: window.workspace.sessions.note_editor.note is not None, timeout=3000)
    window.workspace.show_page(SEARCH)
    runner.wait_idle()
    window.lock()
    runner.wait_idle()
    _assert_nothing_shown(window)


def test_ctrl_l_locks_and_wipes_every_widget(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    slow = FAST.__class__(idle_ms=FAST.idle_ms, autosave_debounce_ms=60_000, autosave_max_ms=60_000)
    window = make_window(slow)
    window.workspace.show_page(PARTICIPANTS)
    runner.wait_idle()
    window.workspace.show_page(0)
    editor = window.workspace.sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    assert NOTE_TEXT in all_texts() and "Ailsa" in all_texts()  # the probe sees data
    qtbot.keyClicks(editor.body, " unsaved words")

    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked
    assert window.stack.currentWidget() is window.lock_screen
    runner.wait_idle()
    assert service.is_locked
    _assert_nothing_shown(window)
    assert not window.new_session_action.isEnabled()
    # The note was saved before locking.
    service.unlock("kitchen table methadone bairns")
    assert service.get_note(sample["note"]).body.endswith(" unsaved words")


def test_open_dialogs_are_closed_on_lock(
    qtbot, make_window: WindowFactory, runner: TaskRunner, sample
) -> None:
    window = make_window()
    window.workspace.show_page(PARTICIPANTS)
    window.workspace.participants.add_participant()
    dialog = window.workspace.participants.editor_dialog
    qtbot.keyClicks(dialog.pseudonym, "Marianne")
    window.lock()
    runner.wait_idle()
    assert "Marianne" not in all_texts()


def test_auto_lock_after_idle_time(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    # 1.5 s idle: long enough that a busy CI machine opens the window and loads the note
    # before it locks (300 ms was not), short enough to wait for.
    window = make_window(
        FAST.__class__(idle_ms=1500, autosave_debounce_ms=150, autosave_max_ms=400)
    )
    editor = window.workspace.sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    # Typing keeps it open past the interval...
    for _ in range(20):
        qtbot.keyClicks(editor.body, "x")
        qtbot.wait(100)
    assert not window.is_locked
    # ...doing nothing locks it.
    qtbot.waitUntil(lambda: window.is_locked, timeout=6000)
    runner.wait_idle()
    assert service.is_locked
    _assert_nothing_shown(window)


def test_unlock_from_the_lock_screen(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample, passphrase
) -> None:
    window = make_window()
    window.lock()
    screen = window.lock_screen
    qtbot.keyClicks(screen.passphrase, "wrong words entirely")
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.text() == "Wrong passphrase.", timeout=5000)
    assert window.is_locked and service.is_locked

    screen.passphrase.clear()
    qtbot.keyClicks(screen.passphrase, passphrase)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.is_locked, timeout=5000)
    assert not service.is_locked
    assert screen.passphrase.text() == ""
    editor = window.workspace.sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    assert NOTE_TEXT in editor.body.toPlainText()
    assert window.new_session_action.isEnabled()
    # The idle watcher runs again after unlocking.
    assert window.idle.active


def test_auto_lock_minutes_setting(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    window = make_window(FAST.__class__(idle_ms=None))
    assert window.idle.interval_ms == 10 * 60_000
    window.open_settings()
    dialog = window.dialog
    dialog.auto_lock.setValue(3)
    dialog.submit()
    runner.wait_idle()
    assert service.auto_lock_minutes == 3
    assert window.idle.interval_ms == 3 * 60_000
    assert "3 min" in window.auto_lock_label.text()
