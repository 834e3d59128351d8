"""The transcript editor: segments, unsure words, playback, keys, autosave, history."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QMessageBox, QStyleOptionViewItem

from relations_desktop.core.errors import RelationsError
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.segment_history import SegmentHistoryDialog
from relations_desktop.ui.dialogs.transcript_shortcuts import ShortcutsDialog
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.transcript_keys import SETTING
from relations_desktop.ui.transcript_text import UNSURE_COLOUR
from relations_desktop.ui.views.transcript_editor import TranscriptEditor
from relations_desktop.ui.widgets.transcript_model import SPEAKER, TEXT, TIME, UNSURE_ROLE
from relations_desktop.ui.workspace import TRANSCRIPT
from tests.ui.conftest import FAST, WindowFactory, all_texts
from tests.ui.fake_audio import StubPlayer
from tests.ui.transcript_data import INTERVIEW, JOTTINGS, make_recording, make_transcript

EDIT = replace(FAST, transcript_save_ms=150, transcription_queue=False)


def open_editor(qtbot, window) -> TranscriptEditor:
    """Open the transcript from the session's recordings, as the researcher does."""
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.current is not None, timeout=3000)
    panel = sessions.recordings
    qtbot.waitUntil(lambda: panel.current is not None, timeout=3000)
    controls = panel.transcription
    qtbot.waitUntil(lambda: controls.open_button.isEnabled(), timeout=3000)
    qtbot.mouseClick(controls.open_button, Qt.MouseButton.LeftButton)
    editor = window.workspace.transcript
    assert window.workspace.current_page == TRANSCRIPT
    assert not window.workspace.nav.item(TRANSCRIPT).isHidden()  # listed once opened
    qtbot.waitUntil(lambda: editor.recording is not None, timeout=3000)
    return editor


@pytest.fixture
def interview(service: StoreService, sample, tmp_path: Path) -> dict[str, str]:
    rid = make_recording(service, sample["visit"], tmp_path, 30.0, JOTTINGS)
    tid = make_transcript(service, rid, INTERVIEW, ["Interviewer", "Lara"])
    return {**sample, "recording": rid, "transcript": tid}


def texts(editor: TranscriptEditor, column: int) -> list[str]:
    model = editor.model
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_segments_with_times_speakers_jottings_and_unsure_words(
    qtbot, make_window: WindowFactory, interview, runner: TaskRunner
) -> None:
    window = make_window(EDIT, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.model.rowCount() == 7, timeout=3000)
    assert texts(editor, TIME) == [
        "00:00:00",
        "00:00:04",
        "00:00:09",
        "00:00:12",
        "00:00:15",
        "00:00:24",
        "00:00:26",
    ]
    assert texts(editor, SPEAKER) == [
        "Interviewer",
        "Lara",
        "Interviewer",
        "Jotting",
        "Lara",
        "Interviewer",
        "Jotting",
    ]
    assert texts(editor, TEXT)[3] == "Lara makes tea"
    assert not editor.model.flags(editor.model.index(3, TEXT)) & Qt.ItemFlag.ItemIsEditable
    assert "pick-up" in texts(editor, TEXT)[4]

    # Unsure words (p < 0.5) are highlighted: in the model, and in what is drawn.
    text = texts(editor, TEXT)[4]
    ranges = editor.model.index(4, TEXT).data(UNSURE_ROLE)
    assert [text[a : a + n] for a, n in ranges] == ["pick-up", "nursery"]
    option = QStyleOptionViewItem()
    option.font = editor.table.font()
    doc = editor.table.text_delegate.document(option, editor.model.index(4, TEXT), 400)
    backgrounds = {
        fragment.text(): fragment.charFormat().background().color() for fragment in _fragments(doc)
    }
    assert backgrounds["nursery"] == UNSURE_COLOUR and backgrounds["pick-up"] == UNSURE_COLOUR
    # The segment being edited is highlighted too (the first is current on opening).
    table = editor.table
    table.go_to(1)
    qtbot.waitUntil(lambda: table.editor is not None, timeout=2000)
    assert table.editor.toPlainText() == "Aye, come in, the wean's just gone down."
    layout = table.editor.document().firstBlock().layout()
    formats = [(f.start, f.length) for f in layout.formats() if _is_unsure(f.format)]
    assert formats == [(18, len("wean's"))]
    assert "Interviewer" in editor.speakers.list.item(0).text()
    assert editor.player.timeline.marks[0].text == "Lara makes tea"
    status = editor.controls.status
    qtbot.waitUntil(lambda: status.text().startswith("Transcribed (fast"), timeout=3000)


def _fragments(doc):
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            yield it.fragment()
            it += 1
        block = block.next()


def _is_unsure(fmt: QTextCharFormat) -> bool:
    return fmt.background().color() == UNSURE_COLOUR


def test_click_a_time_to_play_and_the_current_segment_follows(
    qtbot, make_window: WindowFactory, interview, runner: TaskRunner
) -> None:
    StubPlayer.instances.clear()
    window = make_window(EDIT, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.model.rowCount() == 7, timeout=3000)
    table = editor.table
    rect = table.visualRect(editor.model.index(2, TIME))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    [player] = StubPlayer.instances
    assert player.state == "playing" and player.position_seconds == pytest.approx(9.5)
    qtbot.waitUntil(lambda: editor.model.playing_row == 2, timeout=2000)
    assert editor.model.index(2, TIME).data() == "▶ 00:00:09"

    player.position_seconds = 20.0  # playback goes on
    qtbot.waitUntil(lambda: editor.model.playing_row == 4, timeout=2000)
    player.position_seconds = 12.5
    qtbot.waitUntil(lambda: editor.model.playing_row == 2, timeout=2000)


def test_lock_with_unsaved_text_saves_it_and_leaves_nothing(
    qtbot, make_window: WindowFactory, service: StoreService, interview, runner: TaskRunner
) -> None:
    slow = replace(EDIT, transcript_save_ms=60_000, autosave_max_ms=60_000)
    window = make_window(slow, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.table.editor is not None, timeout=3000)
    editor.table.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor.table.editor, " Unsaved words")
    window.lock()
    runner.wait_idle()
    assert window.workspace is None and service.is_locked
    assert "Unsaved words" not in all_texts() and "pharmacy" not in all_texts()
    service.unlock("kitchen table methadone bairns")
    first = service.transcripts.get(interview["transcript"]).segments[0]
    assert first.text == "Thanks for having me round again. Unsaved words"
    assert first.machine_text == "Thanks for having me round again."


def _key(qtbot, editor: TranscriptEditor, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed while typing in the current segment."""
    target = editor.table.editor
    assert target is not None
    target.setFocus()
    qtbot.keyClick(target, key, modifier)


def test_transcription_keys_and_a_remapped_one(
    qtbot, make_window: WindowFactory, service: StoreService, interview, runner: TaskRunner
) -> None:
    StubPlayer.instances.clear()
    window = make_window(EDIT, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.table.editor is not None, timeout=3000)
    _key(qtbot, editor, Qt.Key.Key_Escape)  # play
    [player] = StubPlayer.instances
    assert player.state == "playing"
    _key(qtbot, editor, Qt.Key.Key_Escape)  # pause, even while typing
    assert player.state == "paused"
    player.position_seconds = 10.0
    _key(qtbot, editor, Qt.Key.Key_F1)
    assert player.position_seconds == pytest.approx(7.0)
    _key(qtbot, editor, Qt.Key.Key_F2)
    _key(qtbot, editor, Qt.Key.Key_F2)
    assert player.position_seconds == pytest.approx(13.0)
    _key(qtbot, editor, Qt.Key.Key_F3)
    assert player.speed == 0.75
    _key(qtbot, editor, Qt.Key.Key_F4)
    _key(qtbot, editor, Qt.Key.Key_F4)
    assert player.speed == 1.25
    assert editor.player.speed.currentText() == "1.25×"

    # Ctrl+J: the time where playback is, at the cursor.
    text_edit = editor.table.editor
    text_edit.moveCursor(QTextCursor.MoveOperation.End)
    _key(qtbot, editor, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert text_edit.toPlainText() == "Thanks for having me round again.[00:00:13]"
    # The window's own Ctrl+1 (Sessions) does not steal the editor's keys.
    assert window.workspace.current_page == TRANSCRIPT

    # Remap "back" to F7 in Shortcuts…; it is stored and works at once.
    qtbot.mouseClick(editor.toolbar.buttons["shortcuts"], Qt.MouseButton.LeftButton)
    dialog = editor.dialog
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    dialog.edits["back"].setKeySequence(QKeySequence("F2"))
    dialog.save()
    assert "F2 is used twice" in dialog.message.text()
    dialog.edits["back"].setKeySequence(QKeySequence("F7"))
    dialog.save()
    runner.wait_idle()
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    assert service.get_setting(SETTING)["back"] == "F7"
    assert "F7 back 3 s" in editor.toolbar.keys_hint.text()
    _key(qtbot, editor, Qt.Key.Key_F7)
    assert player.position_seconds == pytest.approx(10.0)
    _key(qtbot, editor, Qt.Key.Key_F1)  # no longer bound
    assert player.position_seconds == pytest.approx(10.0)


def test_a_correction_is_saved_by_itself_and_the_history_shows_it(
    qtbot, make_window: WindowFactory, service: StoreService, interview, runner: TaskRunner
) -> None:
    window = make_window(EDIT, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    table = editor.table
    table.go_to(1)
    qtbot.waitUntil(lambda: table.editor is not None, timeout=3000)
    table.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(table.editor, " He sleeps well now.")
    assert editor.save_status.text() == "Edited"
    expected = "Aye, come in, the wean's just gone down. He sleeps well now."

    def stored():
        return service.transcripts.get(interview["transcript"]).segments[1]

    qtbot.waitUntil(lambda: editor.save_status.text().startswith("Saved"), timeout=3000)
    runner.wait_idle()
    assert stored().text == expected
    assert stored().machine_text == "Aye, come in, the wean's just gone down."
    assert stored().edited
    # Leaving the segment saves at once.
    table.go_to(2)
    table.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(table.editor, "!")
    _key(qtbot, editor, Qt.Key.Key_Down)  # past the last line: the next segment
    assert table.current_segment().start == 15.0
    runner.wait_idle()
    assert service.transcripts.get(interview["transcript"]).segments[2].text.endswith("pharmacy?!")

    table.go_to(1)
    qtbot.mouseClick(editor.toolbar.buttons["history"], Qt.MouseButton.LeftButton)
    dialog = editor.dialog
    assert isinstance(dialog, SegmentHistoryDialog)
    qtbot.waitUntil(lambda: len(dialog.rows()) == 2, timeout=3000)
    assert "Machine transcript: Aye, come in, the wean's just gone down." in (
        dialog.machine_label.text()
    )
    (machine, edit) = dialog.rows()
    assert machine[1:] == ["Machine transcript", "—", "Aye, come in, the wean's just gone down."]
    assert edit[1:] == ["Text corrected", "Lara", expected]


def test_a_failed_save_keeps_the_correction_across_lock_and_unlock(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    interview,
    runner: TaskRunner,
    monkeypatch,
    passphrase,
) -> None:
    full = {"on": True}
    real = service.transcripts.set_text

    def set_text(*args, **kwargs):
        if full["on"]:
            raise RelationsError("The disk is full: the last change was not saved.")
        return real(*args, **kwargs)

    monkeypatch.setattr(service.transcripts, "set_text", set_text)
    window = make_window(EDIT, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.table.editor is not None, timeout=3000)
    editor.table.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor.table.editor, " Kept words.")
    qtbot.waitUntil(lambda: editor.save_status.text().startswith("Not saved"), timeout=3000)
    assert editor.table.editor.toPlainText().endswith("Kept words.")  # still on screen
    boxes = [b.text() for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert any("could not be saved" in text for text in boxes)

    window.lock()
    runner.wait_idle()
    boxes = [b.text() for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert any("changes to the transcript" in text and "kept in memory" in text for text in boxes)
    full["on"] = False
    window.lock_screen.passphrase.setText(passphrase)
    window.lock_screen.submit()
    qtbot.waitUntil(lambda: not window.is_locked, timeout=5000)
    runner.wait_idle()
    first = service.transcripts.get(interview["transcript"]).segments[0]
    assert first.text == "Thanks for having me round again. Kept words."
