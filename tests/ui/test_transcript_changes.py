"""Correcting a transcript: undo/redo of edits, splits, merges and speakers; speakers."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction, QTextCursor
from PySide6.QtWidgets import QComboBox

from relations_desktop.core.services import StoreService
from relations_desktop.ui.views.transcript_editor import TranscriptEditor
from relations_desktop.ui.widgets.transcript_model import SPEAKER
from tests.ui.conftest import WindowFactory
from tests.ui.fake_audio import StubPlayer
from tests.ui.test_transcript_editor import EDIT, _key, open_editor
from tests.ui.transcript_data import INTERVIEW, make_recording, make_transcript

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def _texts(service: StoreService, tid: str) -> list[str]:
    return [s.text for s in service.transcripts.get(tid).segments]


def _speakers(service: StoreService, tid: str) -> list[str | None]:
    return [s.speaker_label for s in service.transcripts.get(tid).segments]


def _type_at_end(qtbot, editor: TranscriptEditor, text: str) -> None:
    target = editor.table.editor
    assert target is not None
    target.setFocus()
    target.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(target, text)


def _segment_row(editor: TranscriptEditor, index: int) -> int:
    return editor.model.row_of(editor.model.segments()[index].id)


def test_undo_and_redo_of_edit_split_merge_and_speaker(
    qtbot, make_window: WindowFactory, service: StoreService, sample, tmp_path: Path, runner
) -> None:
    rid = make_recording(service, sample["visit"], tmp_path, 30.0)
    tid = make_transcript(service, rid, INTERVIEW, ["Interviewer", "Lara"])
    original = _texts(service, tid)
    window = make_window(EDIT, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.table.editor is not None, timeout=3000)

    def settled() -> None:
        runner.wait_idle()
        qtbot.wait(10)
        runner.wait_idle()

    # An edit.
    _type_at_end(qtbot, editor, " Come in.")
    _key(qtbot, editor, Qt.Key.Key_Z, CTRL)  # saves the typing, then undoes it
    settled()
    assert _texts(service, tid) == original
    assert editor.table.editor.toPlainText() == original[0]
    _key(qtbot, editor, Qt.Key.Key_Z, CTRL | SHIFT)
    settled()
    assert _texts(service, tid)[0] == original[0] + " Come in."
    assert editor.table.editor.toPlainText() == original[0] + " Come in."

    # A split at the cursor, then an edit of the second half.
    editor.table.go_to(_segment_row(editor, 3))
    text_edit = editor.table.editor
    cursor = text_edit.textCursor()
    cursor.setPosition(original[3].index(" and nursery"))
    text_edit.setTextCursor(cursor)
    _key(qtbot, editor, Qt.Key.Key_S, ALT)
    settled()
    halves = ["They moved my pick-up to nine,", "and nursery is at nine as well."]
    assert _texts(service, tid)[3:5] == halves
    assert _speakers(service, tid)[3:5] == ["Lara", "Lara"]
    assert editor.model.segments()[4].text == halves[1]
    assert editor.table.current_segment().text == halves[1]  # the cursor goes with it
    editor.table.editor.setPlainText("and nursery is at nine too.")
    _key(qtbot, editor, Qt.Key.Key_Z, CTRL)  # the edit
    settled()
    assert _texts(service, tid)[4] == halves[1]
    _key(qtbot, editor, Qt.Key.Key_Z, CTRL)  # the split
    settled()
    assert _texts(service, tid)[3] == original[3] and len(_texts(service, tid)) == 5
    assert service.transcripts.get(tid).segments[3].machine_text == original[3]
    assert editor.model.rowCount() == 5
    _key(qtbot, editor, Qt.Key.Key_Z, CTRL | SHIFT)  # split again (a new segment id)
    _key(qtbot, editor, Qt.Key.Key_Y, CTRL)  # and the edit, on that new segment
    settled()
    assert _texts(service, tid)[3:5] == [halves[0], "and nursery is at nine too."]

    # A merge with the next segment, undone: the second keeps its own speaker.
    editor.table.go_to(_segment_row(editor, 0))
    _key(qtbot, editor, Qt.Key.Key_M, ALT)
    settled()
    merged = f"{original[0]} Come in. {original[1]}"
    assert _texts(service, tid)[0] == merged and len(_texts(service, tid)) == 5
    assert editor.model.segments()[0].text == merged
    _key(qtbot, editor, Qt.Key.Key_Z, CTRL)
    settled()
    assert _texts(service, tid)[:2] == [original[0] + " Come in.", original[1]]
    assert _speakers(service, tid)[:2] == ["Interviewer", "Lara"]
    _key(qtbot, editor, Qt.Key.Key_Z, CTRL | SHIFT)
    settled()
    assert _texts(service, tid)[0] == merged

    # A speaker change (Ctrl+2: the second speaker), undone and redone.
    editor.table.go_to(_segment_row(editor, 1))
    assert editor.table.current_segment().speaker_label == "Interviewer"
    _key(qtbot, editor, Qt.Key.Key_2, CTRL)
    settled()
    assert _speakers(service, tid)[1] == "Lara"
    assert editor.model.index(_segment_row(editor, 1), SPEAKER).data() == "Lara"
    _key(qtbot, editor, Qt.Key.Key_Z, CTRL)
    settled()
    assert _speakers(service, tid)[1] == "Interviewer"
    _key(qtbot, editor, Qt.Key.Key_Z, CTRL | SHIFT)
    settled()
    assert _speakers(service, tid)[1] == "Lara"
    assert window.workspace.current_page == 4  # Ctrl+2 did not switch pages
    # Every correction is a revision; the machine's text stays on each segment.
    history = service.transcripts.history(service.transcripts.get(tid).segments[1].id)
    assert history[0].action == "machine"


def test_speakers_add_rename_link_and_assign(
    qtbot, make_window: WindowFactory, service: StoreService, sample, tmp_path: Path, runner
) -> None:
    rid = make_recording(service, sample["visit"], tmp_path, 30.0)
    tid = make_transcript(service, rid, INTERVIEW)  # no speakers yet
    window = make_window(EDIT, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    panel = editor.speakers
    qtbot.waitUntil(lambda: editor.model.rowCount() == 5, timeout=3000)
    assert panel.empty_hint.isVisible()

    for name in ("Interviewer", "Lara"):
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
        count = len(panel.speakers)
        qtbot.waitUntil(lambda n=count: panel.list.count() == n + 1, timeout=3000)
        assert panel.name.hasFocus() and panel.name.text().startswith("S")
        panel.name.selectAll()
        qtbot.keyClicks(panel.name, name)
        qtbot.keyClick(panel.name, Qt.Key.Key_Return)
        runner.wait_idle()
    assert [s.label for s in service.transcripts.get(tid).speakers] == ["Interviewer", "Lara"]
    assert [panel.list.item(i).text() for i in range(2)] == ["Interviewer", "Lara"]

    # Link Lara to the participant.
    panel.select(panel.speakers[1].id)
    panel.participant.setCurrentIndex(panel.participant.findData(sample["lara"]))
    panel.participant.activated.emit(panel.participant.currentIndex())
    runner.wait_idle()
    lara = next(s for s in service.transcripts.get(tid).speakers if s.label == "Lara")
    assert lara.participant_id == sample["lara"] and lara.participant_label == "Lara (Mother)"
    assert panel.list.item(1).text() == "Lara — Lara (Mother)"

    # Assign Lara to two selected segments with the button, Interviewer with Ctrl+1.
    table = editor.table
    table.go_to(_segment_row(editor, 1))
    model, selection = editor.model, table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    selection.select(model.index(_segment_row(editor, 3), 0), flags)
    qtbot.mouseClick(panel.assign_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    assert _speakers(service, tid) == [None, "Lara", None, "Lara", None]
    table.go_to(_segment_row(editor, 0))
    _key(qtbot, editor, Qt.Key.Key_1, CTRL)
    runner.wait_idle()
    assert _speakers(service, tid)[0] == "Interviewer"

    # The speaker cell: double-click, choose.
    row = _segment_row(editor, 2)
    table.edit(model.index(row, SPEAKER))
    combo = table.findChild(QComboBox)
    assert combo is not None and combo.itemText(1) == "Interviewer  (Ctrl+1)"
    combo.setCurrentIndex(1)
    combo.activated.emit(1)
    runner.wait_idle()
    assert _speakers(service, tid)[2] == "Interviewer"

    # Renaming is undoable too; every row shows the new name at once.
    panel.select(panel.speakers[0].id)
    panel.name.setFocus()
    panel.name.selectAll()
    qtbot.keyClicks(panel.name, "Researcher")
    qtbot.keyClick(panel.name, Qt.Key.Key_Return)
    runner.wait_idle()
    assert model.index(_segment_row(editor, 0), SPEAKER).data() == "Researcher"
    undo = window.findChild(QAction, "transcript_undo")  # Transcript ▸ Undo
    assert undo.text() == "&Undo\tCtrl+Z"
    undo.trigger()
    runner.wait_idle()
    assert _speakers(service, tid)[0] == "Interviewer"
    assert model.index(_segment_row(editor, 0), SPEAKER).data() == "Interviewer"
