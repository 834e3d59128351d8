"""The quote bank: the quotes kept for writing up, with their source, time and tags.

Quotes arrive from the transcript and note editors (Copy as quote…, Save to quote
bank), already pseudonymised and attributed. Here they are filtered by text and tag,
tagged and annotated, copied, removed (Undo puts them back) and exported to Word.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.quotes import QuoteDraft, QuoteRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.quote_preview import QuoteCard, source_text
from relations_desktop.ui.dialogs.transcript_export import SaveChooser
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel

ALL_TAGS = "All tags"
EMPTY = (
    "No quotes yet. Select a passage in a transcript or a fieldnote and choose "
    "Copy as quote (Ctrl+Shift+C), then Save to quote bank."
)
BankData = tuple[list[QuoteRecord], list[str]]  # the quotes, the tags known in the store


def load_bank(service: StoreService) -> BankData:
    """(worker thread) Every quote in the bank and the tags to complete from."""
    return service.quotes.list(), service.list_tags()


def plural(count: int) -> str:
    return f"{count} quote{'' if count == 1 else 's'}"


def matches(quote: QuoteRecord, words: str, tag: str | None) -> bool:
    if tag is not None and tag not in quote.tags:
        return False
    haystack = " ".join(
        [quote.text, quote.attribution, quote.encounter_title, quote.note, *quote.tags]
    ).lower()
    return all(word in haystack for word in words.lower().split())


def restore(service: StoreService, quotes: Sequence[QuoteRecord]) -> list[QuoteRecord]:
    """(worker thread) Undo a removal: the same quotes, tags and notes saved again."""
    restored = []
    for q in quotes:
        draft = QuoteDraft(q.text, q.attribution, q.source_type, q.source_id,
                           q.encounter_id or "", q.participant_id, q.start, q.end)  # fmt: skip
        restored.append(service.quotes.save(draft, tags=q.tags, note=q.note))
    return restored


def remove_all(service: StoreService, ids: Sequence[str]) -> None:
    for quote_id in ids:
        service.quotes.remove(quote_id)


def choose_docx_file(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(
        parent, "Export quotes to Word", suggested, "Word document (*.docx)"
    )
    return path or None


COLUMNS: list[Column[QuoteRecord]] = [
    Column("Quote", lambda q: f"“{q.text}”"),
    Column("Attribution", lambda q: q.attribution),
    Column("Source", source_text),
    Column("Tags", lambda q: ", ".join(q.tags)),
    Column("Note", lambda q: q.note),
]


class QuoteBankView(QWidget):
    status_message = Signal(str)

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("quoteBank")
        self.service = service
        self.runner = runner
        self.quotes: list[QuoteRecord] = []
        self.removed: list[QuoteRecord] = []  # the last removal, for Undo
        self.shown_id: str | None = None
        self.choose_file: SaveChooser = choose_docx_file

        heading = QLabel("Quote bank", self)
        heading.setObjectName("viewTitle")
        self.filter = QLineEdit(self)
        self.filter.setAccessibleName("Filter quotes by text")
        self.filter.setPlaceholderText("Filter by words, attribution, session or note")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(280)
        self.filter.textChanged.connect(self._apply_filter)
        self.tag_filter = QComboBox(self)
        self.tag_filter.setAccessibleName("Filter quotes by tag")
        self.tag_filter.setMinimumWidth(160)
        self.tag_filter.addItem(ALL_TAGS, None)
        self.tag_filter.currentIndexChanged.connect(self._apply_filter)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.filter)
        top.addWidget(self.tag_filter)
        hint = QLabel(
            "Quotes kept for writing up, pseudonymised and attributed. The Word export is "
            "not encrypted: keep it where the study's data protection plan allows.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)

        self.message = MessageLabel(self)
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setAccessibleName("Undo the removal")
        self.undo_button.setToolTip("Put the removed quotes back (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo_remove)
        self.undo_button.hide()
        message_row = QHBoxLayout()
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.undo_button)

        self.model: RecordTableModel[QuoteRecord] = RecordTableModel(COLUMNS, self)
        self.table = QTableView(self)
        self.table.setObjectName("quoteTable")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Saved quotes")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 220), (2, 250), (3, 140), (4, 140)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.details = QuoteCard(
            self, tags_name="Add a tag to the quote", note_name="Note on the quote"
        )
        self.full_text, self.source = self.details.text, self.details.source
        self.tags, self.note = self.details.tags, self.details.note
        self.tags.changed.connect(self._tags_changed)
        self.tags.refused.connect(self.message.show_error)
        self.note.setPlaceholderText("Why this quote, where it may go (saved on Enter or leaving)")
        self.note.editingFinished.connect(self._note_finished)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")
        self.count_label.setWordWrap(True)
        self.copy_button = self._button("Copy", "Copy the selected quotes (Ctrl+C)", self.copy)
        self.remove_button = self._button(
            "Remove", "Remove the selected quotes from the bank (Delete)", self.remove
        )
        self.export_button = self._button(
            "Export to Word…", "Write quotes to a Word document (not encrypted)", None
        )
        self.export_menu = QMenu(self.export_button)
        self.export_all = self.export_menu.addAction("All quotes shown…")
        self.export_all.triggered.connect(lambda _checked=False: self.export(selected=False))
        self.export_selected = self.export_menu.addAction("Selected quotes…")
        self.export_selected.triggered.connect(lambda _checked=False: self.export(selected=True))
        self.export_button.setMenu(self.export_menu)
        self.export_button.setProperty("hasMenu", True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        for button in (self.copy_button, self.remove_button, self.export_button):
            bottom.addWidget(button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addLayout(message_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(bottom)
        for keys, slot in (
            (QKeySequence.StandardKey.Copy, self.copy),
            (QKeySequence.StandardKey.Delete, self.remove),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        self.undo_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self)
        self.undo_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_key.activated.connect(self.undo_remove)
        self._show_details(None)
        self._update_buttons()

    def _button(self, text: str, tip: str, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(text.rstrip("…"))
        button.setToolTip(tip)
        if callable(slot):
            button.clicked.connect(lambda _checked=False: slot())
        return button

    # ---------------------------------------------------------------- loading
    def refresh(self) -> None:
        self.runner.submit(
            load_bank, self.service, on_result=self._loaded, on_error=self._error, owner=self
        )

    def _loaded(self, data: BankData) -> None:
        quotes, known = data
        self.quotes = quotes
        self.tags.set_known(known)
        self._fill_tag_filter()
        self._apply_filter()

    def _error(self, error: BaseException) -> None:
        self.message.show_error(describe(error))

    def _fill_tag_filter(self) -> None:
        current = self.tag_filter.currentData()
        tags = sorted({t for q in self.quotes for t in q.tags})
        blocked = self.tag_filter.blockSignals(True)
        try:
            self.tag_filter.clear()
            self.tag_filter.addItem(ALL_TAGS, None)
            for tag in tags:
                self.tag_filter.addItem(tag, tag)
            self.tag_filter.setCurrentIndex(max(0, self.tag_filter.findData(current)))
        finally:
            self.tag_filter.blockSignals(blocked)

    def shown(self) -> list[QuoteRecord]:
        return self.model.records()

    def selected(self) -> list[QuoteRecord]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [q for r in rows if (q := self.model.record(r)) is not None]

    def _apply_filter(self, *_args: object) -> None:
        keep = {q.id for q in self.selected()}
        current = self.model.record(self.table.currentIndex().row())
        words, tag = self.filter.text().strip(), self.tag_filter.currentData()
        shown = [q for q in self.quotes if matches(q, words, tag)]
        self.model.set_records(shown)
        self._reselect(keep, current.id if current else None)
        total = len(self.quotes)
        if not total:
            self.count_label.setText(EMPTY)
        elif len(shown) == total:
            self.count_label.setText(plural(total))
        else:
            self.count_label.setText(f"{len(shown)} of {total} quotes match")
        self._update_buttons()

    def _reselect(self, ids: set[str], current_id: str | None) -> None:
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        row = self.model.row_of(lambda q: q.id == current_id) if current_id else -1
        if row >= 0:
            selection.setCurrentIndex(self.model.index(row, 0), flags)
        for r, quote in enumerate(self.model.records()):
            if quote.id in ids:
                selection.select(self.model.index(r, 0), flags)
        if row < 0:
            self._show_details(None)

    # ---------------------------------------------------------------- details
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        quote = self.model.record(current.row())
        if quote is None or quote.id != self.shown_id:
            self._show_details(quote)

    def _show_details(self, quote: QuoteRecord | None) -> None:
        self._note_finished()  # a note typed for the quote shown before is kept
        self.shown_id = quote.id if quote else None
        self.details.setEnabled(quote is not None)
        if quote is None:
            self.full_text.setText("Select a quote to see it in full, tag it or add a note.")
            self.source.clear()
            self.tags.set_tags([])
            self.note.clear()
            return
        saved = quote.created_at.strftime("%d %b %Y").lstrip("0")
        self.details.show_quote(
            quote.text, quote.attribution, f"From {source_text(quote)} · saved {saved}"
        )
        self.tags.set_tags(quote.tags)
        self.note.setText(quote.note)

    def _shown_quote(self) -> QuoteRecord | None:
        return next((q for q in self.quotes if q.id == self.shown_id), None)

    def _tags_changed(self, tags: list[str]) -> None:
        if self.shown_id is not None:
            self._update(self.shown_id, tags=tags)

    def _note_finished(self) -> None:
        quote = self._shown_quote()
        if quote is not None and self.note.text().strip() != quote.note:
            self._update(quote.id, note=self.note.text())

    def _update(self, quote_id: str, **fields: object) -> None:
        self.runner.submit(
            self.service.quotes.update,
            quote_id,
            on_result=self._updated,
            on_error=self._error,
            owner=self,
            **fields,
        )

    def _updated(self, record: QuoteRecord) -> None:
        self.quotes = [record if q.id == record.id else q for q in self.quotes]
        self._fill_tag_filter()
        self._apply_filter()
        self.status_message.emit("Quote saved")

    # ---------------------------------------------------------------- actions
    def _update_buttons(self, *_args: object) -> None:
        count = len(self.selected())
        self.copy_button.setEnabled(count > 0)
        self.remove_button.setEnabled(count > 0)
        self.export_button.setEnabled(bool(self.model.rowCount()))
        self.export_all.setText(f"All quotes shown ({self.model.rowCount()})…")
        self.export_selected.setText(f"Selected quotes ({count})…")
        self.export_selected.setEnabled(count > 0)

    def copy(self) -> None:
        quotes = self.selected()
        if not quotes:
            self.message.show_error("Select the quotes to copy first.")
            return
        QGuiApplication.clipboard().setText("\n\n".join(q.formatted for q in quotes))
        self.message.show_info(f"{plural(len(quotes))} copied, with their attribution.")

    def remove(self) -> None:
        quotes = self.selected()
        if not quotes:
            self.message.show_error("Select the quotes to remove first.")
            return
        self.runner.submit(
            remove_all,
            self.service,
            [q.id for q in quotes],
            on_result=lambda _none: self._removed(quotes),
            on_error=self._error,
            owner=self,
        )

    def _removed(self, quotes: list[QuoteRecord]) -> None:
        gone = {q.id for q in quotes}
        self.removed = quotes
        self.quotes = [q for q in self.quotes if q.id not in gone]
        self._fill_tag_filter()
        self._apply_filter()
        self.message.show_info(f"{plural(len(quotes))} removed.")
        self.undo_button.show()

    def undo_remove(self) -> None:
        quotes, self.removed = self.removed, []
        self.undo_button.hide()
        if not quotes:
            return
        self.runner.submit(
            restore, self.service, quotes, on_result=self._restored, on_error=self._error
        )

    def _restored(self, records: list[QuoteRecord]) -> None:
        self.message.show_info("The removed quotes are back.")
        self.refresh()

    def export(self, *, selected: bool) -> None:
        quotes = self.selected() if selected else self.shown()
        if not quotes:
            self.message.show_error("There are no quotes to export.")
            return
        path = self.choose_file(self, f"quotes-{date.today():%Y-%m-%d}.docx")
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != ".docx":
            target = target.with_name(target.name + ".docx")
        everything = not selected and len(quotes) == len(self.quotes)
        ids = None if everything else [q.id for q in quotes]
        self.message.show_info("Exporting…")
        self.runner.submit(
            self.service.quotes.export_docx,
            target,
            ids,
            on_result=lambda count: self._exported(count, target),
            on_error=self._error,
            owner=self,
        )

    def _exported(self, count: int, target: Path) -> None:
        text = f"{plural(count)} written to {target}"
        self.message.show_info(f"{text}. The file is not encrypted.")
        self.status_message.emit(text)

    # --------------------------------------------------------------- lifecycle
    def flush(self) -> None:
        """Save a note being typed (leaving the page, locking, closing)."""
        self._note_finished()

    def wipe(self) -> None:
        self.quotes, self.removed, self.shown_id = [], [], None
        self.model.clear()
        self._show_details(None)
        self.tags.set_known([])
        self.filter.clear()
        self.message.clear_message()
        self.undo_button.hide()
