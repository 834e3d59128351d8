"""The fieldnote editor: Markdown with a preview, tags and links to participants.

Text is saved by itself: a save goes through the task runner ~2 s after the last
keystroke and at least every 5 s while typing, and at once when the note is switched,
the window locks or closes. A crash therefore loses at most a few seconds of typing.
Tags and participant links are saved as soon as they change. Undo and redo are the
text field's own (reset per note).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.note_templates import NoteTemplate, note_templates
from relations_desktop.core.records import FieldnoteRecord, ParticipantRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.quote_preview import (
    QUOTE_KEYS,
    QuotePreviewDialog,
    python_offsets,
    quote_from_note,
    show_quote_menu,
)
from relations_desktop.ui.labels import local_time, note_kind_label
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.markdown_preview import MarkdownPreview
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.participant_picker import ParticipantPicker
from relations_desktop.ui.widgets.tag_editor import TagEditor

DEBOUNCE_MS = 2_000
MAX_INTERVAL_MS = 5_000
PREVIEW_KEYS = "Ctrl+Shift+P"
LOCAL_STYLE = (
    "QToolButton#noteMode { padding: 4px 12px; }"
    "QToolButton#noteMode:checked { background: #cfe3e4; border-color: #2f6f73; }"
    "QTextBrowser#notePreview { background: #ffffff; border: 1px solid #d9dcd6;"
    " border-radius: 6px; padding: 10px; }"
)
# The note template a session of each observation setting suggests.
SUGGESTED_TEMPLATE = {
    "clinic-visit": "clinic-visit",
    "team-meeting": "team-meeting",
    "case-conference": "case-conference",
    "supervised-contact-visit": "supervised-contact-visit",
}

Fields = dict[str, Any]  # what one update_note call sends: title, body, maybe tags and links
NoteContext = tuple[list[str], list[ParticipantRecord], list[ParticipantRecord]]


def note_context(service: StoreService, encounter_id: str) -> NoteContext:
    """(worker thread) Known tags, the session's participants, and everyone."""
    everyone = service.list_participants()
    present_ids = service.get_encounter(encounter_id).participant_ids
    by_id = {p.id: p for p in everyone}
    present = [by_id[pid] for pid in present_ids if pid in by_id]
    return service.list_tags(), present, everyone


class TemplateMenu(QMenu):
    """New note from a template; the one for the session's setting first, as the default."""

    chosen = Signal(object)  # the NoteTemplate

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.templates: list[NoteTemplate] = note_templates()  # four small shipped files
        self.set_session_type("")

    def set_session_type(self, encounter_type: str) -> None:
        self.clear()
        suggested = SUGGESTED_TEMPLATE.get(encounter_type)
        for template in sorted(self.templates, key=lambda t: (t.key != suggested, t.title)):
            text = template.title + (" (suggested)" if template.key == suggested else "")
            action = self.addAction(text)
            action.setData(template.key)
            action.triggered.connect(lambda _checked=False, t=template: self.chosen.emit(t))
            if template.key == suggested:
                self.setDefaultAction(action)

    def suggested(self) -> str | None:
        action = self.defaultAction()
        return str(action.data()) if action is not None else None

    def template(self, key: str) -> NoteTemplate | None:
        return next((t for t in self.templates if t.key == key), None)


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
        self._dirty = False  # title or body typed since the last save
        self._meta_dirty = False  # tags or links changed since the last save
        self._loading = False
        self._in_flight = 0
        self._retry: dict[str, Fields] = {}
        self._known_tags: set[str] = set()
        self.quote_dialog: QuotePreviewDialog | None = None
        self.setStyleSheet(LOCAL_STYLE)

        self.kind_label = QLabel(self)
        self.kind_label.setObjectName("noteKind")
        self.status = QLabel(self)
        self.status.setObjectName("saveStatus")
        self.status.setAccessibleName("Save status")
        self.edit_button = self._mode_button("Edit", "Write the note (Ctrl+Shift+P toggles)")
        self.preview_button = self._mode_button("Preview", "Show the note formatted (Ctrl+Shift+P)")
        self.modes = QButtonGroup(self)
        self.modes.setExclusive(True)
        self.modes.addButton(self.edit_button)
        self.modes.addButton(self.preview_button)
        self.edit_button.setChecked(True)
        self.preview_button.toggled.connect(self._mode_changed)
        self.title = QLineEdit(self)
        self.title.setPlaceholderText("Title (optional)")
        self.title.setAccessibleName("Note title")
        self.title.setObjectName("noteTitle")
        self.tags = TagEditor(self)
        self.tags.changed.connect(self._meta_edited)
        self.tags.refused.connect(self._refused)
        self.people = ParticipantPicker(self)
        self.people.changed.connect(self._meta_edited)
        self.notice = MessageLabel(self)
        self.body = QPlainTextEdit(self)
        self.body.setTabChangesFocus(True)  # Tab moves on; no keyboard trap
        self.body.setAccessibleName("Note text")
        self.body.setObjectName("noteBody")
        self.body.setPlaceholderText(
            "Write the fieldnote here, in Markdown (# heading, **bold**, - list). "
            "It is saved as you type."
        )
        font = QFont(self.body.font())
        font.setPointSizeF(font.pointSizeF() * 1.08)
        self.body.setFont(font)
        self.preview = MarkdownPreview(self)
        self.preview.setFont(font)
        self.preview.link_clicked.connect(self._link_clicked)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.body)
        self.pages.addWidget(self.preview)
        self.placeholder = QLabel("Select a note, or create one with “New note”.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("hint")

        header = QHBoxLayout()
        header.addWidget(self.kind_label)
        header.addStretch(1)
        header.addWidget(self.status)
        header.addSpacing(8)
        header.addWidget(self.edit_button)
        header.addWidget(self.preview_button)
        self.meta = QWidget(self)
        meta = QFormLayout(self.meta)
        meta.setContentsMargins(0, 0, 0, 0)
        meta.setVerticalSpacing(4)
        meta.addRow("Tags:", self.tags)
        meta.addRow("About:", self.people)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        layout.addWidget(self.notice)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.placeholder, 1)

        self.preview_key = QShortcut(QKeySequence(PREVIEW_KEYS), self)
        self.preview_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.preview_key.activated.connect(self.toggle_preview)
        self.quote_key = QShortcut(QKeySequence(QUOTE_KEYS), self)
        self.quote_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.quote_key.activated.connect(self.copy_as_quote)
        self.body.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.body.customContextMenuRequested.connect(
            lambda pos: show_quote_menu(self.body, pos, self.copy_as_quote)
        )
        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self.save_now)
        self._max_wait = QTimer(self, singleShot=True, interval=max_interval_ms)
        self._max_wait.timeout.connect(self.save_now)
        self.title.textEdited.connect(self._edited)
        self.body.textChanged.connect(self._edited)
        self._show_editor(False)

    def _mode_button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName("noteMode")
        button.setText(text)
        button.setAccessibleName(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        return button

    # ------------------------------------------------------------------ state
    @property
    def has_unsaved_changes(self) -> bool:
        return self._dirty or self._meta_dirty or bool(self._retry)

    @property
    def is_saving(self) -> bool:
        return self._in_flight > 0

    @property
    def previewing(self) -> bool:
        return self.preview_button.isChecked()

    def unsaved_drafts(self) -> dict[str, tuple[str, str]]:
        """Text whose save failed or is still pending, by note id (title, body)."""
        drafts = {nid: (f["title"], f["body"]) for nid, f in self._retry.items()}
        if (self._dirty or self._meta_dirty) and self.note is not None:
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
            self.tags.set_tags(note.tags)
            self.people.set_selected(note.participant_ids)
        finally:
            self._loading = False
        self._dirty = self._meta_dirty = False
        self.notice.clear_message()
        self._set_status(f"Saved {local_time(note.updated_at):%H:%M:%S}")
        self._show_editor(True)
        if self.previewing:
            self.preview.set_markdown(note.body)
        self.refresh_context()

    def refresh_context(self) -> None:
        """Reload the tags offered and the participants to link (for the note shown)."""
        if self.note is None:
            return
        encounter_id = self.note.encounter_id
        self.runner.submit(
            note_context,
            self.service,
            encounter_id,
            on_result=lambda context: self._context_loaded(encounter_id, context),
            on_error=lambda error: self.notice.show_error(describe(error)),
            owner=self,
        )

    def _context_loaded(self, encounter_id: str, context: NoteContext) -> None:
        if self.note is None or self.note.encounter_id != encounter_id:
            return
        known, present, everyone = context
        self._known_tags = set(known)
        self.tags.set_known(known)
        self.people.set_people(present, everyone)

    def clear(self) -> None:
        """Save what is pending, then empty every field (switching away, locking)."""
        self.save_now()
        self._stop_timers()
        self._loading = True
        try:
            self.note = None
            self.title.clear()
            self.body.clear()
            self.preview.clear()
            self.kind_label.clear()
            self.tags.set_tags([])
            self.people.set_selected([])
            self.people.set_people([], [])
            self.tags.set_known([])
            self._known_tags = set()
        finally:
            self._loading = False
        self.notice.clear_message()
        self._set_status("")
        self._show_editor(False)

    def focus_body(self) -> None:
        self.set_preview(False)
        self.body.setFocus()

    # ---------------------------------------------------------------- preview
    def set_preview(self, on: bool) -> None:
        (self.preview_button if on else self.edit_button).setChecked(True)

    def toggle_preview(self) -> None:
        if self.note is not None:
            self.set_preview(not self.previewing)

    def _mode_changed(self, previewing: bool) -> None:
        if previewing:
            self.preview.set_markdown(self.body.toPlainText())
            self.pages.setCurrentWidget(self.preview)
            if self.body.hasFocus():
                self.preview.setFocus()
        else:
            self.pages.setCurrentWidget(self.body)
            if self.preview.hasFocus():
                self.body.setFocus()

    # ------------------------------------------------------------------ quote
    def copy_as_quote(self) -> None:
        """The selected text as a quote (Ctrl+Shift+C), in a preview to copy or keep."""
        cursor = self.body.textCursor()
        if self.note is None or self.previewing or not cursor.hasSelection():
            self.notice.show_error("Select the passage to quote in the note's text (Edit) first.")
            return
        text = self.body.toPlainText()
        start, end = python_offsets(text, cursor.selectionStart(), cursor.selectionEnd())
        self.save_now()  # stored before the quote is drafted (the runner keeps the order)
        service, note_id = self.service, self.note.id
        dialog = QuotePreviewDialog(
            service, self.runner, lambda: quote_from_note(service, note_id, text, start, end), self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.quote_dialog = dialog
        dialog.open()

    def _link_clicked(self, address: str) -> None:
        self.notice.show_info(f"Links are not opened from notes: {address}")

    # ----------------------------------------------------------------- saving
    def _edited(self) -> None:
        if self._loading or self.note is None:
            return
        self._dirty = True
        self._set_status("Edited")
        self._debounce.start()
        if not self._max_wait.isActive():
            self._max_wait.start()

    def _meta_edited(self, *_values: object) -> None:
        if self._loading or self.note is None:
            return
        self.notice.clear_message()
        self._meta_dirty = True
        self.save_now()  # a tag or a link is one deliberate change: store it at once

    def _refused(self, message: str) -> None:
        self.notice.show_error(message)

    def save_now(self) -> None:
        """Send pending changes to the store (does nothing when nothing changed)."""
        self._stop_timers()
        for note_id, kept in list(self._retry.items()):
            self._submit(note_id, kept)
        self._retry.clear()
        if not (self._dirty or self._meta_dirty) or self.note is None:
            return
        fields: Fields = {"title": self.title.text(), "body": self.body.toPlainText()}
        if self._meta_dirty:
            fields["tags"] = self.tags.tags()
            fields["participant_ids"] = self.people.selected()
        self._dirty = self._meta_dirty = False
        self._submit(self.note.id, fields)

    def _submit(self, note_id: str, fields: Fields) -> None:
        self._in_flight += 1
        self._set_status("Saving…")
        self.runner.submit(
            self.service.update_note,
            note_id,
            on_result=self._saved,
            on_error=lambda error: self._failed(note_id, fields, error),
            owner=self,
            **fields,
        )

    def _saved(self, note: FieldnoteRecord) -> None:
        self._in_flight -= 1
        if self.note is not None and note.id == self.note.id:
            self.note = note
        if not set(note.tags) <= self._known_tags:
            self._known_tags |= set(note.tags)
            self.tags.set_known(sorted(self._known_tags))
        if not self.has_unsaved_changes and not self._in_flight:
            self._set_status(f"Saved {datetime.now():%H:%M:%S}")
        self.saved.emit(note)

    def _failed(self, note_id: str, fields: Fields, error: BaseException) -> None:
        self._in_flight -= 1
        if self.note is not None and self.note.id == note_id:
            # The fields hold this text or newer: save them again on the next change.
            self._dirty = True
            self._meta_dirty = self._meta_dirty or "tags" in fields
        else:
            # That note is no longer shown: keep its text to save again with the next save.
            self._retry[note_id] = fields
        self._set_status(f"Not saved: {describe(error)}")
        self.save_failed.emit(describe(error))

    def _stop_timers(self) -> None:
        self._debounce.stop()
        self._max_wait.stop()

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status_changed.emit(text)

    def _show_editor(self, visible: bool) -> None:
        for widget in (self.title, self.meta, self.pages, self.edit_button, self.preview_button):
            widget.setVisible(visible)
        self.placeholder.setVisible(not visible)
