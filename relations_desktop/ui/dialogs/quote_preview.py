"""Copy as quote: the passage pseudonymised, with its attribution, before it leaves the store.

The transcript editor and the note editor open this dialog with a function that drafts
the quote (run on the worker thread). It shows the quote as it will be pasted —
``“text” (Role, Region)`` — and offers Copy (to the clipboard) and Save to the quote
bank (with tags and a note). When the core refuses (no anonymised-quotes consent, a
speaker not linked to a participant, unreviewed identifiers in the passage) the dialog
says why, and nothing is copied or saved.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.quotes import RECORDING, QuoteDraft, QuoteRecord
from relations_desktop.core.records import FieldnoteRecord
from relations_desktop.core.review import IdentifiersUnresolved
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.tag_editor import TagEditor

QUOTE_KEYS = "Ctrl+Shift+C"
QUOTE_ACTION = "Copy as quote…"
PREPARING = "Preparing the quote: applying the pseudonym register and checking consent…"
REFUSED_TITLE = "This passage cannot be quoted"
CARD_STYLE = (
    "QLabel#quoteText { background: #ffffff; border: 1px solid #d9dcd6; border-radius: 6px;"
    " padding: 8px 10px; font-size: 11pt; }"
)
REVIEW_HINT = "They are listed on the Review page, in the sidebar."
NOT_SAVED_NOTE = (
    "The note has changes that could not be saved yet, so the selection may not match "
    "the stored text. Wait until it says Saved, then copy the quote again."
)

DraftMaker = Callable[[], QuoteDraft]


def clipboard_text(draft: QuoteDraft) -> str:
    """What Copy puts on the clipboard: “text” (Role, Region)."""
    return draft.formatted


def short_time(seconds: float) -> str:
    """12:04, or 1:02:09 past an hour."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def source_text(quote: QuoteRecord) -> str:
    """Where a banked quote comes from: its session, and its time in the recording."""
    title = quote.encounter_title or "A removed session"
    if quote.source_type == RECORDING:
        return f"{title}, {short_time(quote.start)}–{short_time(quote.end)}"
    return f"{title}, fieldnote"


def python_offsets(text: str, start: int, end: int) -> tuple[int, int]:
    """Qt's selection positions (UTF-16 units) as indices into the Python string."""

    def index(units: int) -> int:
        count = 0
        for i, char in enumerate(text):
            if count >= units:
                return i
            count += 2 if ord(char) > 0xFFFF else 1
        return len(text)

    return index(start), index(end)


def quote_from_note(
    service: StoreService, note_id: str, shown: str, start: int, end: int
) -> QuoteDraft:
    """(worker thread) The quote of ``shown[start:end]``, if the stored note is ``shown``.

    The note editor saves before it asks (the runner keeps the order), so the stored
    body is the text on screen unless that save failed: then the offsets could point
    at other words, and the quote is refused.
    """
    note: FieldnoteRecord = service.get_note(note_id)
    if note.body != shown:
        raise InvalidInput(NOT_SAVED_NOTE)
    return service.quotes.from_note(note_id, start, end)


def quote_menu(
    edit: QPlainTextEdit | QTextEdit, trigger: Callable[[], None], *, enabled: bool = True
) -> QMenu:
    """The text field's own context menu with “Copy as quote…” added."""
    menu = edit.createStandardContextMenu()
    menu.setParent(edit, menu.windowFlags())
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    menu.addSeparator()
    action = QAction(f"{QUOTE_ACTION}\t{QUOTE_KEYS}", menu)
    action.setObjectName("copyAsQuote")
    action.setEnabled(enabled)
    action.triggered.connect(lambda _checked=False: trigger())
    menu.addAction(action)
    return menu


def show_quote_menu(
    edit: QPlainTextEdit | QTextEdit, pos: QPoint, trigger: Callable[[], None]
) -> QMenu:
    """For ``customContextMenuRequested`` of a text field whose selection is quoted."""
    menu = quote_menu(edit, trigger, enabled=edit.textCursor().hasSelection())
    menu.popup(edit.viewport().mapToGlobal(pos))
    return menu


class QuoteCard(QWidget):
    """A quote as it will be pasted, where it comes from, and its tags and note."""

    def __init__(self, parent: QWidget, *, tags_name: str, note_name: str) -> None:
        super().__init__(parent)
        self.setStyleSheet(CARD_STYLE)
        self.text = QLabel(self)
        self.text.setObjectName("quoteText")
        self.text.setAccessibleName("Quote")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.source = QLabel(self)
        self.source.setObjectName("hint")
        self.source.setWordWrap(True)
        self.tags = TagEditor(self)
        self.tags.field.setAccessibleName(tags_name)
        self.note = QLineEdit(self)
        self.note.setAccessibleName(note_name)
        self.note.setPlaceholderText("Note (optional): why this quote, where it may go")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(6)
        form.addRow(self.text)
        form.addRow(self.source)
        form.addRow("Tags:", self.tags)
        form.addRow("Note:", self.note)

    def show_quote(self, text: str, attribution: str, source: str) -> None:
        self.text.setText(f"“{html.escape(text)}” <i>{html.escape(attribution)}</i>")
        self.source.setText(source)


class QuotePreviewDialog(QDialog):
    copied = Signal(str)  # a status message
    saved = Signal(object)  # the QuoteRecord

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        make_draft: DraftMaker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("quotePreview")
        self.setWindowTitle("Copy as quote")
        self.setAccessibleName("Copy as quote")
        self.service = service
        self.runner = runner
        self.draft: QuoteDraft | None = None
        self.refusal = ""

        self.heading = QLabel(PREPARING, self)
        self.heading.setObjectName("sectionTitle")
        self.heading.setWordWrap(True)
        self.card = QuoteCard(
            self, tags_name="Tags for the quote bank", note_name="Note for the quote bank"
        )
        self.quote, self.source = self.card.text, self.card.source
        self.tags, self.note = self.card.tags, self.card.note
        self.tags.refused.connect(self._tag_refused)
        self.message = MessageLabel(self)
        for field in (self.tags.field, self.note):
            field.installEventFilter(self)  # Enter adds a tag; it never presses Copy

        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("primary")
        self.copy_button.setAccessibleName("Copy the quote")
        self.copy_button.setToolTip("Put the quote with its attribution on the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save to quote bank", self)
        self.save_button.setAccessibleName("Save to quote bank")
        self.save_button.setToolTip("Keep the quote, its source and its tags in the quote bank")
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton("Cancel", self)
        self.close_button.setAccessibleName("Cancel")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.heading)
        layout.addWidget(self.card)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(560, 320)
        self._show_state()

        runner.submit(make_draft, on_result=self._drafted, on_error=self._refused, owner=self)
        runner.submit(service.list_tags, on_result=self.tags.set_known, owner=self)

    # ------------------------------------------------------------------ states
    def _show_state(self) -> None:
        ready = self.draft is not None
        self.card.setVisible(ready)
        self.copy_button.setVisible(not self.refusal)
        self.save_button.setVisible(not self.refusal)
        self.copy_button.setEnabled(ready)
        self.save_button.setEnabled(ready)
        if self.refusal:
            self.close_button.setText("Close")
            self.close_button.setAccessibleName("Close")
            self.close_button.setDefault(True)
            self.close_button.setFocus()

    def _drafted(self, draft: QuoteDraft) -> None:
        self.draft = draft
        self.heading.setText("The quote, pseudonymised, with its attribution:")
        if draft.source_type == RECORDING:
            where = f"From the recording, {short_time(draft.start)}–{short_time(draft.end)}."
            self.card.show_quote(draft.text, draft.attribution, f"{where} Cuts show as [...].")
        else:
            self.card.show_quote(draft.text, draft.attribution, "From the fieldnote.")
        self._show_state()
        self.copy_button.setDefault(True)
        self.copy_button.setFocus()

    def _refused(self, error: BaseException) -> None:
        self.refusal = describe(error)
        self.heading.setText(REFUSED_TITLE)
        if isinstance(error, IdentifiersUnresolved):
            if "review them" not in self.refusal.lower():
                self.refusal += " Review them first."
            self.refusal += f" {REVIEW_HINT}"
        self.message.show_error(self.refusal)
        self._show_state()
        self.resize(self.width(), self.minimumSizeHint().height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            watched in (self.tags.field, self.note)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            if watched is self.tags.field:
                self.tags.commit()
            return True
        return super().eventFilter(watched, event)

    def _tag_refused(self, message: str) -> None:
        self.message.show_error(message)

    # ----------------------------------------------------------------- actions
    def copy(self) -> None:
        if self.draft is None:
            return
        QGuiApplication.clipboard().setText(clipboard_text(self.draft))
        self.message.show_info("Copied to the clipboard, with its attribution.")
        self.close_button.setText("Close")
        self.close_button.setAccessibleName("Close")
        self.copied.emit("Quote copied to the clipboard")

    def save(self) -> None:
        draft = self.draft
        if draft is None:
            return
        self.tags.commit()  # a tag still being typed counts
        self.save_button.setEnabled(False)
        self.message.show_info("Saving…")
        self.runner.submit(
            self.service.quotes.save,
            draft,
            tags=self.tags.tags(),
            note=self.note.text(),
            on_result=self._saved,
            on_error=self._save_failed,
            owner=self,
        )

    def _saved(self, record: object) -> None:
        self.message.show_info("Saved to the quote bank.")
        self.save_button.setText("Saved")
        self.close_button.setText("Close")
        self.close_button.setAccessibleName("Close")
        self.saved.emit(record)

    def _save_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_error(f"Not saved: {describe(error)}")
