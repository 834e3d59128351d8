"""Copy as quote, from the transcript editor and the note editor."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import QMenu, QWidget

from relations_desktop.core.errors import RelationsError
from relations_desktop.core.services import StoreService
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.dialogs.quote_preview import (
    NOT_SAVED_NOTE,
    QuotePreviewDialog,
    python_offsets,
    quote_menu,
)
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.transcript_menu import ENTRIES
from relations_desktop.ui.views.note_editor import NoteEditor
from relations_desktop.ui.views.transcript_editor import TranscriptEditor
from relations_desktop.ui.widgets.transcript_model import TEXT
from tests.consent_data import give_adult_consent
from tests.ui.conftest import FAST
from tests.ui.fake_audio import StubPlayer
from tests.ui.transcript_data import Seg, make_recording, make_transcript

EDIT = replace(FAST, transcript_save_ms=150, transcription_queue=False)
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
IV, DAVIE, LARA, NOBODY = range(4)
SEGMENTS = (
    Seg(0.0, 4.0, "How was the week?", speaker=IV),
    Seg(4.0, 8.0, "She talked to me at the Tesco, ken.", speaker=DAVIE),
    Seg(8.0, 12.0, "And then what happened?", speaker=IV),
    Seg(12.0, 16.0, "She was all right, Robert said so.", speaker=DAVIE),
    Seg(16.0, 20.0, "The bairns were fine the whole time.", speaker=LARA),
    Seg(20.0, 24.0, "We went round the shops after that.", speaker=NOBODY),
    Seg(24.0, 28.0, "I phoned Morag Henderson in Paisley about the flat.", speaker=DAVIE),
)
COPIED = "“She talked to me at the [supermarket], ken. [...] She was all right, Davie said so.”"
NOTE = "Davie described the nurse as “really good” 😀 and made tea for everyone."


@pytest.fixture
def study(service: StoreService, tmp_path: Path) -> dict[str, str]:
    """A father who agreed to quotes, a mother who did not, a transcript and a note."""
    davie = service.add_participant("Davie", "Father", region="Scotland", real_name="Robert Smith")
    lara = service.add_participant("Lara", "Mother", region="Scotland")
    give_adult_consent(service, davie.id, quotes=True)
    give_adult_consent(service, lara.id, quotes=False)
    visit = service.add_encounter(
        "home-visit", "Home visit", on=date(2025, 3, 12), participant_ids=[davie.id, lara.id]
    )
    service.pseudonyms.add("Tesco", "[supermarket]", kind="place")
    rid = make_recording(service, visit.id, tmp_path, 30.0)
    tid = make_transcript(service, rid, SEGMENTS, ["Interviewer", "Davie", "Lara", "Speaker 4"])
    speakers = {s.label: s.id for s in service.transcripts.get(tid).speakers}
    service.transcripts.update_speaker(speakers["Davie"], participant_id=davie.id)
    service.transcripts.update_speaker(speakers["Lara"], participant_id=lara.id)
    note = service.add_note(visit.id, NOTE, title="Kitchen")
    return {"davie": davie.id, "visit": visit.id, "recording": rid, "note": note.id}


@pytest.fixture
def clipboard(qapp):
    board = QGuiApplication.clipboard()
    board.setText("before")
    return board


def open_transcript(qtbot, service: StoreService, runner: TaskRunner, rid: str):
    editor = TranscriptEditor(AppContext(service, runner, EDIT, player_factory=StubPlayer))
    qtbot.addWidget(editor)
    editor.resize(1000, 700)
    editor.show()
    qtbot.waitExposed(editor)
    editor.open_recording(rid)
    qtbot.waitUntil(lambda: editor.model.rowCount() == len(SEGMENTS), timeout=3000)
    return editor


def click_row(qtbot, editor: TranscriptEditor, row: int, modifier=Qt.KeyboardModifier.NoModifier):
    table = editor.table
    rect = table.visualRect(editor.model.index(row, TEXT))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def select_rows(editor: TranscriptEditor, *rows: int) -> None:
    selection = editor.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Rows
    first = QItemSelectionModel.SelectionFlag.ClearAndSelect | flags
    selection.setCurrentIndex(editor.model.index(rows[0], TEXT), first)
    for row in rows[1:]:
        selection.select(
            editor.model.index(row, TEXT), QItemSelectionModel.SelectionFlag.Select | flags
        )


def quote_dialog(qtbot, parent: QWidget) -> QuotePreviewDialog:
    qtbot.waitUntil(lambda: parent.findChild(QuotePreviewDialog) is not None, timeout=3000)
    dialog = parent.findChild(QuotePreviewDialog)
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.draft is not None or bool(dialog.refusal), timeout=5000)
    return dialog


# ------------------------------------------------------------------- transcript
def test_copy_as_quote_from_segments_with_the_register_and_a_cut(
    qtbot, service: StoreService, runner: TaskRunner, study, clipboard
) -> None:
    editor = open_transcript(qtbot, service, runner, study["recording"])
    click_row(qtbot, editor, 1)
    click_row(qtbot, editor, 3, Qt.KeyboardModifier.ControlModifier)  # not adjacent
    assert [s.text[:8] for s in editor.table.selected_segments()] == ["She talk", "She was "]
    qtbot.waitUntil(lambda: editor.table.editor is not None, timeout=2000)
    qtbot.keyClick(editor.table.editor, Qt.Key.Key_C, CTRL_SHIFT)
    dialog = quote_dialog(qtbot, editor)
    assert dialog.draft is not None, dialog.refusal
    assert "[supermarket]" in dialog.quote.text() and "(Father, Scotland)" in dialog.quote.text()
    assert "0:04–0:16" in dialog.source.text()
    assert clipboard.text() == "before"  # nothing leaves before Copy
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == f"{COPIED} (Father, Scotland)"
    assert "Robert" not in clipboard.text() and "Tesco" not in clipboard.text()
    assert "Copied" in dialog.message.text()
    assert service.quotes.list() == []  # copying keeps nothing in the bank


def test_save_to_the_quote_bank_with_tags(
    qtbot, service: StoreService, runner: TaskRunner, study, clipboard
) -> None:
    editor = open_transcript(qtbot, service, runner, study["recording"])
    select_rows(editor, 1)
    editor.run_action("quote")  # what Transcript → Copy as quote… does
    dialog = quote_dialog(qtbot, editor)
    dialog.tags.field.setFocus()
    qtbot.keyClicks(dialog.tags.field, "stigma")
    qtbot.keyClick(dialog.tags.field, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.tags.field, "Shops")  # still typed when Save is pressed
    dialog.note.setText("For the chapter on everyday places")
    with qtbot.waitSignal(dialog.saved, timeout=3000) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    [quote] = service.quotes.list()
    assert saved.args[0].id == quote.id
    assert quote.text == "She talked to me at the [supermarket], ken."
    assert quote.attribution == "(Father, Scotland)"
    assert sorted(quote.tags) == ["shops", "stigma"]
    assert quote.note == "For the chapter on everyday places"
    assert quote.source_id == study["recording"] and quote.start == 4.0
    assert not dialog.save_button.isEnabled() and dialog.close_button.text() == "Close"
    assert clipboard.text() == "before"


def test_the_menu_entries_for_copy_as_quote(
    qtbot, service: StoreService, runner: TaskRunner, study
) -> None:
    assert ("Copy as &quote…", "Ctrl+Shift+C", "quote") in ENTRIES
    editor = open_transcript(qtbot, service, runner, study["recording"])
    select_rows(editor, 1)
    qtbot.waitUntil(lambda: editor.table.editor is not None, timeout=2000)
    triggered: list[bool] = []
    editor.table.quote_requested.connect(lambda: triggered.append(True))
    menu = quote_menu(editor.table.editor, editor.table.quote_requested.emit)
    [action] = [a for a in menu.actions() if a.objectName() == "copyAsQuote"]
    assert action.text() == "Copy as quote…\tCtrl+Shift+C"
    action.trigger()
    assert triggered == [True]
    assert editor.findChild(QuotePreviewDialog) is not None
    menu.close()


def test_refused_without_consent_nothing_copied(
    qtbot, service: StoreService, runner: TaskRunner, study, clipboard
) -> None:
    editor = open_transcript(qtbot, service, runner, study["recording"])
    select_rows(editor, 4)
    qtbot.keyClick(editor.table, Qt.Key.Key_C, CTRL_SHIFT)
    dialog = quote_dialog(qtbot, editor)
    assert dialog.draft is None
    assert dialog.heading.text() == "This passage cannot be quoted"
    assert dialog.message.isVisible()
    assert (
        "Lara (Mother) cannot be quoted: they said no to anonymised quotes" in dialog.message.text()
    )
    assert not dialog.copy_button.isVisible() and not dialog.save_button.isVisible()
    assert not dialog.quote.isVisible()
    assert dialog.close_button.text() == "Close"
    dialog.copy()  # even if called, there is nothing to copy
    assert clipboard.text() == "before"
    assert service.quotes.list() == []


def test_refused_for_an_unlinked_speaker_and_for_unreviewed_names(
    qtbot, service: StoreService, runner: TaskRunner, study, clipboard
) -> None:
    editor = open_transcript(qtbot, service, runner, study["recording"])
    select_rows(editor, 5)
    editor.copy_as_quote()
    dialog = quote_dialog(qtbot, editor)
    assert "Link this speaker to a participant first" in dialog.message.text()
    dialog.close()

    select_rows(editor, 6)  # "Morag Henderson", "Paisley": in no register entry
    editor.copy_as_quote()
    qtbot.waitUntil(lambda: editor.dialog is not dialog and editor.dialog is not None)
    second = editor.dialog
    assert isinstance(second, QuotePreviewDialog)
    qtbot.waitUntil(lambda: bool(second.refusal), timeout=10_000)
    assert "Morag Henderson" in second.message.text()
    assert "review them first" in second.message.text().lower()
    assert "Review page" in second.message.text()
    assert clipboard.text() == "before"

    select_rows(editor, 3, 4)  # two people's words
    editor.copy_as_quote()
    qtbot.waitUntil(lambda: editor.dialog is not second and editor.dialog is not None)
    third = editor.dialog
    qtbot.waitUntil(lambda: bool(third.refusal), timeout=5000)
    assert "one person's words" in third.message.text()


def test_quote_sees_the_correction_being_typed(
    qtbot, service: StoreService, runner: TaskRunner, study, clipboard
) -> None:
    editor = open_transcript(qtbot, service, runner, study["recording"])
    editor.table.go_to(1)
    qtbot.waitUntil(lambda: editor.table.editor is not None, timeout=2000)
    text_field = editor.table.editor
    text_field.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(text_field, " Aye.")
    qtbot.keyClick(text_field, Qt.Key.Key_C, CTRL_SHIFT)  # before the autosave
    dialog = quote_dialog(qtbot, editor)
    assert dialog.draft is not None and dialog.draft.text.endswith("ken. Aye.")


# ------------------------------------------------------------------------- note
def note_editor(qtbot, service: StoreService, runner: TaskRunner, note_id: str) -> NoteEditor:
    editor = NoteEditor(service, runner, debounce_ms=60_000, max_interval_ms=60_000)
    qtbot.addWidget(editor)
    editor.resize(800, 600)
    editor.show()
    qtbot.waitExposed(editor)
    editor.load(service.get_note(note_id))
    runner.wait_idle()
    return editor


def select_text(editor: NoteEditor, words: str) -> None:
    text = editor.body.toPlainText()
    start = text.index(words)
    units = len(text[:start].encode("utf-16-le")) // 2
    length = len(words.encode("utf-16-le")) // 2
    cursor = editor.body.textCursor()
    cursor.setPosition(units)
    cursor.setPosition(units + length, QTextCursor.MoveMode.KeepAnchor)
    editor.body.setTextCursor(cursor)
    editor.body.setFocus()


def test_copy_as_quote_from_a_note_selection(
    qtbot, service: StoreService, runner: TaskRunner, study, clipboard
) -> None:
    editor = note_editor(qtbot, service, runner, study["note"])
    select_text(editor, "made tea for everyone")  # after an emoji: two UTF-16 units
    qtbot.keyClick(editor.body, Qt.Key.Key_C, CTRL_SHIFT)
    dialog = quote_dialog(qtbot, editor)
    assert dialog.draft is not None, dialog.refusal
    assert dialog.draft.source_type == "fieldnote"
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == "“made tea for everyone” (Researcher Fieldnote, Scotland)"
    start, end = int(dialog.draft.start), int(dialog.draft.end)
    assert NOTE[start:end] == "made tea for everyone"


def test_note_quote_saves_unsaved_typing_first(
    qtbot, service: StoreService, runner: TaskRunner, study, clipboard
) -> None:
    editor = note_editor(qtbot, service, runner, study["note"])
    editor.body.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor.body, " Robert laughed.")
    assert editor.has_unsaved_changes
    select_text(editor, "Robert laughed")
    editor.copy_as_quote()
    dialog = quote_dialog(qtbot, editor)
    assert dialog.draft is not None, dialog.refusal
    assert dialog.draft.text == "Davie laughed"  # the register applied to the new text
    assert service.get_note(study["note"]).body.endswith("Robert laughed.")


def test_note_quote_refused_when_the_save_failed(
    qtbot, service: StoreService, runner: TaskRunner, study, clipboard, monkeypatch
) -> None:
    editor = note_editor(qtbot, service, runner, study["note"])

    def refuse(*_args, **_kwargs):
        raise RelationsError("The disk is full.")

    monkeypatch.setattr(service, "update_note", refuse)
    editor.body.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClicks(editor.body, "Later: ")
    select_text(editor, "made tea")
    editor.copy_as_quote()
    dialog = quote_dialog(qtbot, editor)
    assert dialog.draft is None
    assert NOT_SAVED_NOTE in dialog.message.text()
    assert clipboard.text() == "before"


def test_note_quote_needs_a_selection_in_the_text(
    qtbot, service: StoreService, runner: TaskRunner, study
) -> None:
    editor = note_editor(qtbot, service, runner, study["note"])
    editor.body.moveCursor(QTextCursor.MoveOperation.End)  # nothing selected
    editor.copy_as_quote()
    assert "Select the passage to quote" in editor.notice.text()
    assert editor.findChild(QuotePreviewDialog) is None
    select_text(editor, "made tea")
    editor.set_preview(True)
    editor.copy_as_quote()
    assert editor.findChild(QuotePreviewDialog) is None


def test_note_context_menu_offers_copy_as_quote(
    qtbot, service: StoreService, runner: TaskRunner, study
) -> None:
    editor = note_editor(qtbot, service, runner, study["note"])
    select_text(editor, "made tea")
    editor.body.customContextMenuRequested.emit(QPoint(10, 10))
    menus = editor.body.findChildren(QMenu)
    actions = [a for m in menus for a in m.actions() if a.objectName() == "copyAsQuote"]
    assert actions and all(a.isEnabled() for a in actions)
    actions[0].trigger()
    assert quote_dialog(qtbot, editor).draft is not None


def test_python_offsets_count_utf16_units() -> None:
    text = "a😀b"
    assert python_offsets(text, 0, 1) == (0, 1)
    assert python_offsets(text, 3, 4) == (2, 3)
    assert python_offsets(text, 1, 100) == (1, 3)
