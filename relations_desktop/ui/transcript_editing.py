"""Correcting a transcript: autosave, split, merge, speakers, undo and redo.

Typing goes into the current segment; ~1.5 s after the typing stops (at least every
few seconds while it goes on), and at once on leaving the segment, locking or
closing, the text is saved as one undoable step. A save that fails keeps the text: it
stays on screen, is tried again with the next save, and is handed to the main window
on lock. Every other change is an undoable command too (:mod:`transcript_commands`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from relations_desktop.core.records import SegmentRecord, SpeakerRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.transcript_commands import (
    EditText,
    IdMap,
    LinkSpeaker,
    Merge,
    RenameSpeaker,
    SetSpeaker,
    Split,
)
from relations_desktop.ui.widgets.segment_table import SegmentTable
from relations_desktop.ui.widgets.transcript_model import TranscriptModel


class SegmentEditing(QObject):
    status_changed = Signal(str)  # "Edited", "Saving…", "Saved 14:03:22", "Not saved: …"
    message = Signal(str)  # a hint for the status bar
    failed = Signal(str)  # an error for a message box
    speakers_changed = Signal()
    speaker_added = Signal(object)  # the SpeakerRecord

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        table: SegmentTable,
        reload: Callable[[str | None], None],
        *,
        debounce_ms: int,
        max_interval_ms: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.table = table
        self.model: TranscriptModel = table.transcript
        self._reload = reload
        self.ids = IdMap()
        self.stack = QUndoStack(self)
        self.dirty_id: str | None = None
        self.unsaved: dict[str, str] = {}  # segment id → text whose save failed
        self._in_flight = 0
        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self.commit_text)
        self._max_wait = QTimer(self, singleShot=True, interval=max_interval_ms)
        self._max_wait.timeout.connect(self.commit_text)
        table.text_edited.connect(self._typed)
        table.leaving.connect(self._leaving)
        table.speaker_chosen.connect(self._speaker_chosen)

    # --------------------------------------------------------------- typing
    def _typed(self, segment_id: str) -> None:
        self.dirty_id = segment_id
        self.status_changed.emit("Edited")
        self._debounce.start()
        if not self._max_wait.isActive():
            self._max_wait.start()

    def _leaving(self, segment_id: str, text: str) -> None:
        if self.dirty_id == segment_id:
            self._stop_timers()
            self.dirty_id = None
            self._commit(segment_id, text)

    def commit_text(self) -> None:
        """Save what is typed in the current segment (one undoable step), and retry."""
        self._stop_timers()
        for failed_id, text in list(self.unsaved.items()):
            self._retry(failed_id, text)
        editor, segment_id = self.table.editor, self.dirty_id
        self.dirty_id = None
        if editor is not None and segment_id is not None and editor.segment_id == segment_id:
            self._commit(segment_id, editor.toPlainText())

    def _commit(self, segment_id: str, text: str) -> None:
        segment = self.model.segment(self.model.row_of(segment_id))
        if segment is None or segment.text == text:
            return
        self.stack.push(EditText(self, segment_id, segment.text, text))

    def _retry(self, segment_id: str, text: str) -> None:
        del self.unsaved[segment_id]
        self._saving()
        self.runner.submit(
            self.service.transcripts.set_text,
            self.ids.resolve(segment_id),
            text,
            on_result=self.text_saved,
            on_error=lambda error: self.text_failed(segment_id, text, error),
            owner=self,
        )

    def unsaved_texts(self) -> dict[str, str]:
        """Text not in the store yet, by segment id (failed saves and pending typing)."""
        texts = dict(self.unsaved)
        editor = self.table.editor
        if self.dirty_id is not None and editor is not None and editor.segment_id == self.dirty_id:
            texts[self.dirty_id] = editor.toPlainText()
        return texts

    @property
    def has_unsaved_changes(self) -> bool:
        return self.dirty_id is not None or bool(self.unsaved)

    def _stop_timers(self) -> None:
        self._debounce.stop()
        self._max_wait.stop()

    def _saving(self) -> None:
        self._in_flight += 1
        self.status_changed.emit("Saving…")

    # ------------------------------------------------------- the commands' host
    def show_text(self, segment_id: str, text: str) -> None:
        self.model.set_text(segment_id, text)
        editor = self.table.editor
        shown = editor is not None and editor.segment_id == segment_id
        if shown and editor is not None and editor.toPlainText() != text:
            editor.set_text_kept_cursor(text)
        self._saving()

    def text_saved(self, record: SegmentRecord) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        self.segment_saved(record)
        if not self._in_flight and self.dirty_id is None and not self.unsaved:
            self.status_changed.emit(f"Saved {datetime.now():%H:%M:%S}")

    def text_failed(self, segment_id: str, text: str, error: BaseException) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        self.unsaved[segment_id] = text
        self.status_changed.emit(f"Not saved: {describe(error)}")
        self.failed.emit(
            f"A correction could not be saved: {describe(error)} It is kept and saved again "
            "with the next change."
        )

    def show_speaker(self, segment_ids: list[str], speaker_id: str | None) -> None:
        for segment_id in segment_ids:
            self.model.set_speaker(segment_id, speaker_id)

    def segment_saved(self, record: SegmentRecord) -> None:
        """A segment as stored; the text on screen (maybe newer) is kept."""
        shown = self.model.segment(self.model.row_of(record.id))
        if shown is not None:
            text = shown.text
            self.model.replace_segment(
                replace(
                    record,
                    text=text,
                    edited=text != record.machine_text,
                    speaker_id=shown.speaker_id,
                    speaker_label=shown.speaker_label,
                )
            )

    def speaker_saved(self, record: SpeakerRecord) -> None:
        self.model.update_speaker(record)
        self.speakers_changed.emit()

    def reload(self, select_id: str | None = None) -> None:
        self._reload(select_id)

    def command_failed(self, what: str, error: BaseException) -> None:
        self.stack.clear()  # the store and the steps no longer match
        self.failed.emit(f"{what} failed: {describe(error)} The undo history was cleared.")
        self._reload(None)

    # -------------------------------------------------------------- actions
    def run(self, action: str) -> None:
        """A key or menu action: split, merge, undo, redo, speaker_1…9."""
        if action.startswith("speaker_"):
            self.assign_number(int(action.removeprefix("speaker_")))
            return
        actions = {"split": self.split, "merge": self.merge, "undo": self.undo}
        actions.update(redo=self.redo, redo_y=self.redo)
        actions[action]()

    def push(self, command: QUndoCommand) -> None:
        self.commit_text()
        self.stack.push(command)

    def undo(self) -> None:
        self.commit_text()
        if self.stack.canUndo():
            self.message.emit(f"Undo: {self.stack.undoText()}")
            self.stack.undo()

    def redo(self) -> None:
        self.commit_text()
        if self.stack.canRedo():
            self.message.emit(f"Redo: {self.stack.redoText()}")
            self.stack.redo()

    def split(self) -> None:
        editor, segment = self.table.editor, self.table.current_segment()
        if editor is None or segment is None or editor.segment_id != segment.id:
            self.message.emit("Click into a segment's text where it should be split.")
            return
        text, at = editor.toPlainText(), editor.textCursor().position()
        if not (text[:at].strip() and text[at:].strip()):
            self.message.emit("Put the cursor between two words to split the segment there.")
            return
        self.push(Split(self, segment.id, at))

    def merge(self) -> None:
        row = self.table.currentIndex().row()
        first = self.model.segment(row)
        second = self.model.segment(self.model.next_segment_row(row))
        if first is None or second is None:
            self.message.emit("There is no segment after this one to merge with.")
            return
        self.commit_text()
        first = self.model.segment(self.model.row_of(first.id)) or first
        self.stack.push(Merge(self, first.id, second.id, first.text, second.speaker_id))

    def assign(self, speaker_id: str | None, segments: list[SegmentRecord] | None = None) -> None:
        chosen = segments if segments is not None else self.table.selected_segments()
        before = [(s.id, s.speaker_id) for s in chosen if s.speaker_id != speaker_id]
        if before:
            self.push(SetSpeaker(self, before, speaker_id))

    def _speaker_chosen(self, row: int, speaker_id: object) -> None:
        segment = self.model.segment(row)
        if segment is not None:
            self.assign(speaker_id if isinstance(speaker_id, str) else None, [segment])

    def assign_number(self, number: int) -> None:
        if not 1 <= number <= len(self.model.speakers):
            self.message.emit(f"There is no speaker {number}; add one under Speakers.")
            return
        self.assign(self.model.speakers[number - 1].id)

    def add_speaker(self, transcript_id: str, label: str) -> None:
        self.runner.submit(
            self.service.transcripts.add_speaker,
            transcript_id,
            label,
            on_result=self._speaker_added,
            on_error=lambda error: self.failed.emit(describe(error)),
        )

    def _speaker_added(self, speaker: SpeakerRecord) -> None:
        self.model.update_speaker(speaker)
        self.speaker_added.emit(speaker)

    def rename_speaker(self, speaker_id: str, label: str) -> None:
        speaker = self.model.speaker(speaker_id)
        if speaker is not None and label != speaker.label:
            self.push(RenameSpeaker(self, speaker_id, speaker.label, label))

    def link_speaker(self, speaker_id: str, participant_id: object) -> None:
        speaker = self.model.speaker(speaker_id)
        new = participant_id if isinstance(participant_id, str) else None
        if speaker is not None and new != speaker.participant_id:
            self.push(LinkSpeaker(self, speaker_id, speaker.participant_id, new))

    def reset(self) -> None:
        """Forget everything (another transcript is opened, or the workspace goes)."""
        self._stop_timers()
        self.stack.clear()
        self.ids = IdMap()
        self.dirty_id = None
        self._in_flight = 0
