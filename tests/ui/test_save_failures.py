"""When a save fails (a full disk), the typed text is kept and saved again later."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from relations_desktop.core.errors import RelationsError
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from tests.ui.conftest import FAST, WindowFactory

SLOW = FAST.__class__(idle_ms=FAST.idle_ms, autosave_debounce_ms=60_000, autosave_max_ms=60_000)
FULL = "The disk is full: the last change was not saved. Free some space."


@pytest.fixture
def full_disk(monkeypatch, service: StoreService):
    """update_note fails while ``state["full"]`` is true."""
    state = {"full": True}
    real = service.update_note

    def update_note(*args, **kwargs):
        if state["full"]:
            raise RelationsError(FULL)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "update_note", update_note)
    return state


def _messages(window) -> list[str]:
    return [b.text() for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_text_survives_a_failed_save_across_lock_and_unlock(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    sample,
    full_disk,
    passphrase,
) -> None:
    window = make_window(SLOW)
    editor = window.workspace.sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    qtbot.keyClicks(editor.body, " kept words")
    editor.save_now()
    runner.wait_idle()
    assert editor.status.text().startswith("Not saved: The disk is full")
    assert editor.has_unsaved_changes

    window.lock()
    runner.wait_idle()
    assert any("kept in memory" in m for m in _messages(window))
    full_disk["full"] = False
    window.lock_screen.passphrase.setText(passphrase)
    window.lock_screen.submit()
    qtbot.waitUntil(lambda: not window.is_locked, timeout=5000)
    runner.wait_idle()
    assert service.get_note(sample["note"]).body.endswith(" kept words")


def test_close_is_refused_once_when_a_save_fails(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    sample,
    full_disk,
) -> None:
    window = make_window(SLOW)
    editor = window.workspace.sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    qtbot.keyClicks(editor.body, " more")
    window.close()
    assert window.isVisible() and window.workspace is not None
    assert any("could not be saved" in m for m in _messages(window))
    full_disk["full"] = False
    with qtbot.waitSignal(window.closed, timeout=3000):
        window.close()
    assert service.get_note(sample["note"]).body.endswith(" more")
