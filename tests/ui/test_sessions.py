"""Sessions: create an encounter through the UI, write notes, autosave, save on close."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.encounter_editor import EncounterEditor
from tests.ui.conftest import FAST, WindowFactory


def test_add_an_encounter_through_the_ui(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    window = make_window()
    sessions = window.workspace.sessions
    assert sessions.model.rowCount() == 1

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = sessions.editor_dialog
    assert isinstance(dialog, EncounterEditor) and dialog.isVisible()
    assert dialog.type_combo.count() == 13
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    assert dialog.participants.count() == 2

    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("walk-and-talk"))
    assert dialog.type_combo.currentText() == "Walk and talk"
    qtbot.keyClicks(dialog.title, "Walk in the park with Lara")
    dialog.date.setDate(QDate(2025, 4, 2))
    dialog.check_participant(sample["lara"])
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sessions.model.rowCount() == 2, timeout=3000)
    runner.wait_idle()

    stored = {e.title: e for e in service.list_encounters()}
    walk = stored["Walk in the park with Lara"]
    assert walk.encounter_type == "walk-and-talk"
    assert walk.date == date(2025, 4, 2)
    assert walk.participant_ids == [sample["lara"]]
    # The new session is selected, with its (empty) note list.
    assert sessions.current is not None and sessions.current.id == walk.id
    assert sessions.notes.count() == 0
    assert sessions.model.index(0, 1).data() == "Walk and talk"


def test_empty_title_is_refused(qtbot, make_window: WindowFactory, runner, sample) -> None:
    window = make_window()
    window.workspace.new_session()
    dialog = window.workspace.sessions.editor_dialog
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "title" in dialog.message.text()
    assert dialog.isVisible()


def test_a_new_note_is_autosaved_while_typing(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    window = make_window()
    sessions = window.workspace.sessions
    editor = sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)  # first note shown
    assert editor.note.id == sample["note"]

    sessions.new_note("memo")
    qtbot.waitUntil(lambda: editor.note is not None and editor.note.kind == "memo", timeout=3000)
    assert sessions.notes.count() == 2
    memo_id = editor.note.id
    qtbot.keyClicks(editor.body, "Memo: rent arrears again")
    assert editor.has_unsaved_changes
    # No save, no close: the debounce timer alone must store it.
    qtbot.waitUntil(
        lambda: service.get_note(memo_id).body == "Memo: rent arrears again", timeout=3000
    )
    qtbot.waitUntil(lambda: editor.status.text().startswith("Saved"), timeout=3000)
    assert not editor.has_unsaved_changes
    assert "rent arrears" in sessions.notes.currentItem().text()


def test_autosave_happens_even_while_typing_continues(
    qtbot, make_window: WindowFactory, service: StoreService, sample
) -> None:
    window = make_window()
    editor = window.workspace.sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    # Keystrokes every 100 ms never leave the 150 ms debounce idle; the 400 ms cap saves.
    for word in ("one ", "two ", "three ", "four ", "five ", "six ", "seven "):
        qtbot.keyClicks(editor.body, word)
        qtbot.wait(100)
    assert "one" in service.get_note(sample["note"]).body


def test_switching_notes_saves_and_shows_the_other(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    second = service.add_note(sample["visit"], "Second note.", kind="debrief")
    slow = FAST.__class__(idle_ms=FAST.idle_ms, autosave_debounce_ms=60_000, autosave_max_ms=60_000)
    window = make_window(slow)
    sessions = window.workspace.sessions
    editor = sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    qtbot.keyClicks(editor.body, " Added before switching.")
    sessions.notes.setCurrentRow(1)
    qtbot.waitUntil(lambda: editor.note is not None and editor.note.id == second.id, timeout=3000)
    assert editor.body.toPlainText() == "Second note."
    runner.wait_idle()
    assert service.get_note(sample["note"]).body.endswith("Added before switching.")
    # Going back shows the saved text, not the stale list copy.
    sessions.notes.setCurrentRow(0)
    qtbot.waitUntil(
        lambda: editor.note is not None and editor.note.id == sample["note"], timeout=3000
    )
    assert editor.body.toPlainText().endswith("Added before switching.")
    editor.body.undo()  # undo history is the editor's own (reset per note)


def test_closing_the_window_saves_the_note(
    qtbot, make_window: WindowFactory, service: StoreService, sample
) -> None:
    slow = FAST.__class__(idle_ms=FAST.idle_ms, autosave_debounce_ms=60_000, autosave_max_ms=60_000)
    window = make_window(slow)
    editor = window.workspace.sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    editor.body.clear()
    qtbot.keyClicks(editor.body, "Typed just before closing")
    assert service.get_note(sample["note"]).body != "Typed just before closing"
    with qtbot.waitSignal(window.closed, timeout=3000):
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert service.get_note(sample["note"]).body == "Typed just before closing"


def test_editing_an_encounter(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    window = make_window()
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.current is not None, timeout=3000)
    sessions.edit_session()
    dialog = sessions.editor_dialog
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    assert dialog.title.text() == "Home visit with Lara"
    assert set(dialog.chosen_participants()) == {sample["lara"], sample["hv"]}
    dialog.check_participant(sample["hv"], False)
    dialog.title.setText("Home visit with Lara (2)")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sessions.title_label.text() == "Home visit with Lara (2)", timeout=3000)
    runner.wait_idle()
    assert service.get_encounter(sample["visit"]).participant_ids == [sample["lara"]]
    assert sessions.note_editor.note is not None  # the note stayed open
