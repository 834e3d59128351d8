"""Text whose save failed, kept in memory across a lock and saved again after unlock.

Notes (title and body) and transcript corrections (a segment's text). Nothing of it is
written anywhere but the store.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, Signal

from relations_desktop.core.records import FieldnoteRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe


class Drafts(QObject):
    note_saved = Signal(object)  # the FieldnoteRecord, to show it
    status = Signal(str)
    failed = Signal(str)

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QObject) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.notes: dict[str, tuple[str, str]] = {}  # note id → (title, body)
        self.segments: dict[str, str] = {}  # segment id → text

    def __bool__(self) -> bool:
        return bool(self.notes or self.segments)

    def describe_kept(self) -> str:
        what = "a note" if self.notes else "the transcript"
        return (
            f"The last changes to {what} could not be saved yet. They are kept in memory "
            "and saved again when you unlock."
        )

    def save_all(self) -> None:
        segments, self.segments = self.segments, {}
        for segment_id, text in segments.items():
            self.runner.submit(
                self.service.transcripts.set_text,
                segment_id,
                text,
                on_result=lambda _s: self.status.emit(
                    "Corrections kept from before the lock were saved"
                ),
                on_error=partial(self._segment_failed, segment_id, text),
                owner=self,
            )
        notes, self.notes = self.notes, {}
        for note_id, (title, body) in notes.items():
            self.runner.submit(
                self.service.update_note,
                note_id,
                title=title,
                body=body,
                on_result=self._note_saved,
                on_error=partial(self._note_failed, note_id, title, body),
                owner=self,
            )

    def _note_saved(self, note: FieldnoteRecord) -> None:
        self.status.emit("Changes kept from before the lock were saved")
        self.note_saved.emit(note)

    def _note_failed(self, note_id: str, title: str, body: str, error: BaseException) -> None:
        self.notes[note_id] = (title, body)
        self.failed.emit(f"A note could still not be saved: {describe(error)}")

    def _segment_failed(self, segment_id: str, text: str, error: BaseException) -> None:
        self.segments[segment_id] = text
        self.failed.emit(f"A transcript correction could still not be saved: {describe(error)}")
