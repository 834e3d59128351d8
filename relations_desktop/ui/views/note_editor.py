"""The fieldnote editor: plain text with undo/redo, saved by itself as you type.

A save goes through the task runner ~2 s after the last keystroke and at least every
5 s while typing, and at once when the note is switched, the window locks or closes.
A crash therefore loses at most a few seconds of typing.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from relations_desktop.core.records import FieldnoteRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import local_time, note_kind_label
from relations_desktop.ui.tasks import TaskRunner, describe

DEBOUNCE_MS = 2_000
MAX_INTERVAL_MS = 5_000


class NoteEditor(QWidget):
    saved = Signal(object)  # the FieldnoteRecord as stored
    status_changed = Signal(str)
    save_failed = Signal(str)  # a message for the user

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
        max_interval_ms: int = MAX_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.note: FieldnoteRecord | None = None
        self._dirty = False
        self._loading = False
        self._in_flight = 0
        self._retry: dict[str, tuple[str, str]] = {}

        self.kind_label = QLabel(self)
        self.kind_label.setObjectName("noteKind")
        self.status = QLabel(self)
        self.status.setObjectName("saveStatus")
        self.status.setAccessibleName("Save status")
        self.title = QLineEdit(self)
        self.title.setPlaceholderText("Title (optional)")
        self.title.setAccessibleName("Note title")
        self.title.setObjectName("noteTitle")
        self.body = QPlainTextEdit(self)
        self.body.setAccessibleName("Note text")
        self.body.setObjectName("noteBody")
        self.body.setPlaceholderText("Write the fieldnote here. It is saved as you type.")
        font = QFont(self.body.font())
        font.setPointSizeF(font.pointSizeF() * 1.08)
        self.body.setFont(font)
        self.placeholder = QLabel("Select a note, or create one with “New note”.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("hint")

        header = QHBoxLayout()
        header.addWidget(self.kind_label)
        header.addStretch(1)
        header.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.title)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.placeholder, 1)

        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self.save_now)
        self._max_wait = QTimer(self, singleShot=True, interval=max_interval_ms)
        self._max_wait.timeout.connect(self.save_now)
        self.title.textEdited.connect(self._edited)
        self.body.textChanged.connect(self._edited)
        self._show_editor(False)

    # ------------------------------------------------------------------ state
    @property
    def has_unsaved_changes(self) -> bool:
        return self._dirty or bool(self._retry)

    @property
    def is_saving(self) -> bool:
        return self._in_flight > 0

    def unsaved_drafts(self) -> dict[str, tuple[str, str]]:
        """Text whose save failed or is still pending, by note id (title, body)."""
        drafts = dict(self._retry)
        if self._dirty and self.note is not None:
            drafts[self.note.id] = (self.title.text(), self.body.toPlainText())
        return drafts

    def load(self, note: FieldnoteRecord) -> None:
        """Show ``note``; the one shown before is saved first."""
        self.save_now()
        self._loading = True
        try:
            self.note = note
            self.kind_label.setText(note_kind_label(note.kind))
            self.title.setText(note.title)
            self.body.setPlainText(note.body)  # also resets the undo history
            self.body.moveCursor(QTextCursor.MoveOperation.End)
        finally:
            self._loading = False
        self._dirty = False
        self._set_status(f"Saved {local_time(note.updated_at):%H:%M:%S}")
        self._show_editor(True)

    def clear(self) -> None:
        """Save what is pending, then empty every field (switching away, locking)."""
        self.save_now()
        self._stop_timers()
        self._loading = True
        try:
            self.note = None
            self.title.clear()
            self.body.clear()
            self.kind_label.clear()
        finally:
            self._loading = False
        self._set_status("")
        self._show_editor(False)

    def focus_body(self) -> None:
        self.body.setFocus()

    # ----------------------------------------------------------------- saving
    def _edited(self) -> None:
        if self._loading or self.note is None:
            return
        self._dirty = True
        self._set_status("Edited")
        self._debounce.start()
        if not self._max_wait.isActive():
            self._max_wait.start()

    def save_now(self) -> None:
        """Send pending changes to the store (does nothing when nothing changed)."""
        self._stop_timers()
        for note_id, (title, body) in list(self._retry.items()):
            self._submit(note_id, title, body)
        self._retry.clear()
        if not self._dirty or self.note is None:
            return
        self._dirty = False
        self._submit(self.note.id, self.title.text(), self.body.toPlainText())

    def _submit(self, note_id: str, title: str, body: str) -> None:
        self._in_flight += 1
        self._set_status("Saving…")
        self.runner.submit(
            self.service.update_note,
            note_id,
            title=title,
            body=body,
            on_result=self._saved,
            on_error=lambda error: self._failed(note_id, title, body, error),
            owner=self,
        )

    def _saved(self, note: FieldnoteRecord) -> None:
        self._in_flight -= 1
        if self.note is not None and note.id == self.note.id:
            self.note = note
        if not self._dirty and not self._in_flight and not self._retry:
            self._set_status(f"Saved {datetime.now():%H:%M:%S}")
        self.saved.emit(note)

    def _failed(self, note_id: str, title: str, body: str, error: BaseException) -> None:
        self._in_flight -= 1
        if self.note is not None and self.note.id == note_id:
            # The fields hold this text or newer: save them again on the next change.
            self._dirty = True
        else:
            # That note is no longer shown: keep its text to save again with the next save.
            self._retry[note_id] = (title, body)
        self._set_status(f"Not saved: {describe(error)}")
        self.save_failed.emit(describe(error))

    def _stop_timers(self) -> None:
        self._debounce.stop()
        self._max_wait.stop()

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status_changed.emit(text)

    def _show_editor(self, visible: bool) -> None:
        self.title.setVisible(visible)
        self.body.setVisible(visible)
        self.placeholder.setVisible(not visible)
