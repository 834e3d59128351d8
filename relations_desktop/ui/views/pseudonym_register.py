"""The pseudonym register: each real string and what replaces it wherever data leaves the
store (a pseudonym such as Lara, or a role in brackets such as [social worker]).

A table (real → replacement, kind, notes, whether it comes from a participant), a search
box, and a form below it to add, change or remove an entry. Entries made from a
participant's real name are read-only here: they follow the participant's record.
Real strings are shown here and on the review screen only: the messages sent to the
window's status bar never contain them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.pseudonyms import RegisterEntry
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.occurrence_panel import KIND_LABELS, kind_label
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel

FROM_PARTICIPANT = "From participant"
READ_ONLY_TEXT = (
    "This entry comes from a participant's real name (identity register → pseudonym), so "
    "it cannot be changed or removed here: change the participant's record (Participants, "
    "Ctrl+2) and the register follows."
)
COLUMNS: list[Column[RegisterEntry]] = [
    Column("Real", lambda e: e.real),
    Column("Replacement", lambda e: e.replacement),
    Column("Kind", lambda e: kind_label(e.kind)),
    Column("Notes", lambda e: e.notes),
    Column(FROM_PARTICIPANT, lambda e: "Yes" if e.participant_id else ""),
]


def matches(entry: RegisterEntry, words: str) -> bool:
    haystack = f"{entry.real} {entry.replacement} {kind_label(entry.kind)} {entry.notes}"
    return all(word in haystack.casefold() for word in words.casefold().split())


class PseudonymRegisterView(QWidget):
    status_message = Signal(str)  # never with a real string in it
    changed = Signal()

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pseudonymRegister")
        self.service = service
        self.runner = runner
        self.entries: list[RegisterEntry] = []
        self.editing: RegisterEntry | None = None  # None: the form adds a new entry
        self._select_id: str | None = None
        self._busy = False

        self.search = QLineEdit(self)
        self.search.setAccessibleName("Search the register")
        self.search.setPlaceholderText("Search real strings, replacements, kinds, notes")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)

        self.model: RecordTableModel[RegisterEntry] = RecordTableModel(COLUMNS, self)
        self.table = QTableView(self)
        self.table.setObjectName("pseudonymTable")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Pseudonym register")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        remove_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        remove_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.activated.connect(self.remove_selected)

        self.form_title = QLabel(self)
        self.form_title.setObjectName("sectionTitle")
        self.real = QLineEdit(self)
        self.real.setAccessibleName("Real name or place")
        self.real.setPlaceholderText("As written or said: a name, nickname, place, service, school")
        self.replacement = QLineEdit(self)
        self.replacement.setAccessibleName("Replacement")
        self.replacement.setPlaceholderText("A pseudonym, or a [role] in brackets")
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Kind of entry")
        for slug, label in KIND_LABELS.items():
            self.kind.addItem(label, slug)
        self.notes = QLineEdit(self)
        self.notes.setAccessibleName("Notes")
        self.notes.setPlaceholderText("Optional, e.g. the mother's sister")
        for field in (self.real, self.replacement, self.notes):
            field.returnPressed.connect(self.save)
        self.read_only_note = QLabel(READ_ONLY_TEXT, self)
        self.read_only_note.setObjectName("hint")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setAccessibleName("Why this entry cannot be changed")
        self.new_button = QPushButton("New entry", self)
        self.new_button.setToolTip("Clear the form to add an entry (Ctrl+N)")
        self.new_button.clicked.connect(self.new_entry)
        self.save_button = QPushButton("Add", self)
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip("Add the entry, or save the changes (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setAccessibleName("Remove the entry")
        self.remove_button.setToolTip("Remove the selected entry (Delete in the table)")
        self.remove_button.clicked.connect(self.remove_selected)
        self.message = MessageLabel(self)

        grid = QGridLayout()
        for column, (caption, widget) in enumerate(
            (
                ("Real", self.real),
                ("Replacement", self.replacement),
                ("Kind", self.kind),
                ("Notes", self.notes),
            )
        ):
            buddy = QLabel(caption, self)
            buddy.setBuddy(widget)
            grid.addWidget(buddy, 0, column)
            grid.addWidget(widget, 1, column)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(3, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.form_title)
        layout.addLayout(grid)
        layout.addWidget(self.read_only_note)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.new_entry()

    # -------------------------------------------------------------- the table
    def refresh(self) -> None:
        self.runner.submit(
            self.service.pseudonyms.list,
            on_result=self._fill,
            on_error=lambda error: self.message.show_error(describe(error)),
            owner=self,
        )

    def _fill(self, entries: list[RegisterEntry]) -> None:
        self.entries = entries
        keep = self._select_id or (self.editing.id if self.editing else None)
        self._select_id = None
        self._apply_filter()
        row = self.model.row_of(lambda e: e.id == keep) if keep else -1
        if row >= 0:
            self.table.selectRow(row)
        elif self.editing is not None:
            self.new_entry()  # it was removed

    def _apply_filter(self) -> None:
        words = self.search.text().strip()
        shown = [e for e in self.entries if matches(e, words)] if words else list(self.entries)
        keep = self.editing.id if self.editing else None
        self.model.set_records(shown)
        row = self.model.row_of(lambda e: e.id == keep) if keep else -1
        if row >= 0:
            self.table.selectRow(row)
        total = len(self.entries)
        if words:
            self.count_label.setText(f"{len(shown)} of {total} entries match")
        else:
            self.count_label.setText(f"{total} entr{'y' if total == 1 else 'ies'}")

    def _row_changed(self, index: QModelIndex, _previous: QModelIndex) -> None:
        entry = self.model.record(index.row()) if index.isValid() else None
        if entry is not None:
            self._edit(entry)

    # --------------------------------------------------------------- the form
    def new_entry(self) -> None:
        self.editing = None
        self.table.setCurrentIndex(QModelIndex())
        self.form_title.setText("Add an entry")
        for field in (self.real, self.replacement, self.notes):
            field.clear()
        self.kind.setCurrentIndex(max(0, self.kind.findData("first-name")))
        self._set_read_only(False)
        self.save_button.setText("Add")
        self.save_button.setAccessibleName("Add the entry")
        self.remove_button.setEnabled(False)
        self.message.clear_message()
        self.real.setFocus()

    def _edit(self, entry: RegisterEntry) -> None:
        if self.editing is None or self.editing.id != entry.id:
            self.message.clear_message()
        self.editing = entry
        self.form_title.setText("This entry")
        self.real.setText(entry.real)
        self.replacement.setText(entry.replacement)
        self.kind.setCurrentIndex(max(0, self.kind.findData(entry.kind)))
        self.notes.setText(entry.notes)
        self._set_read_only(entry.participant_id is not None)
        self.save_button.setText("Save changes")
        self.save_button.setAccessibleName("Save the changes")

    def _set_read_only(self, read_only: bool) -> None:
        for widget in (self.real, self.replacement, self.kind, self.notes, self.save_button):
            widget.setEnabled(not read_only and not self._busy)
        self.remove_button.setEnabled(not read_only and self.editing is not None)
        self.read_only_note.setVisible(read_only)

    def save(self) -> None:
        if self._busy or (self.editing is not None and self.editing.participant_id):
            return
        real, replacement = self.real.text(), self.replacement.text()
        kind, notes = str(self.kind.currentData()), self.notes.text()
        if self.editing is None:
            self._submit(
                "Added",
                self.service.pseudonyms.add,
                real,
                replacement,
                kind=kind,
                notes=notes,
            )
            return
        self._submit(
            "Saved",
            self.service.pseudonyms.update,
            self.editing.id,
            real=real,
            replacement=replacement,
            kind=kind,
            notes=notes,
        )

    def remove_selected(self) -> None:
        entry = self.editing
        if self._busy or entry is None:
            return
        if entry.participant_id is not None:
            self.message.show_error(READ_ONLY_TEXT)
            return
        self._busy = True
        self.runner.submit(
            self.service.pseudonyms.remove,
            entry.id,
            on_result=lambda _r: self._removed(entry),
            on_error=self._failed,
            owner=self,
        )

    def _submit(self, verb: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._busy = True
        self.save_button.setEnabled(False)
        self.runner.submit(
            call,
            *args,
            on_result=lambda entry: self._saved(verb, entry),
            on_error=self._failed,
            owner=self,
            **kwargs,
        )

    def _saved(self, verb: str, entry: RegisterEntry) -> None:
        self._busy = False
        self._select_id = entry.id
        self._edit(entry)
        self.message.show_info(f"{verb}: “{entry.real}” → {entry.replacement}.")
        self.status_message.emit(f"Pseudonym register: entry {verb.lower()}")
        self.changed.emit()
        self.refresh()

    def _removed(self, entry: RegisterEntry) -> None:
        self._busy = False
        self.new_entry()
        self.message.show_info(f"Removed “{entry.real}” from the register.")
        self.status_message.emit("Pseudonym register: entry removed")
        self.changed.emit()
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        self._set_read_only(self.editing is not None and self.editing.participant_id is not None)
        self.message.show_error(describe(error))

    # Ctrl+N and Ctrl+S belong to the register while it has the focus.
    def event(self, event: QEvent) -> bool:
        override = event.type() == QEvent.Type.ShortcutOverride
        if override and isinstance(event, QKeyEvent) and _ours(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.New):
            self.new_entry()
        elif event.matches(QKeySequence.StandardKey.Save):
            self.save()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def flush(self) -> None:
        """Entries are saved with Add / Save changes, never in the background."""

    def wipe(self) -> None:
        self.entries = []
        self.editing = None
        self.model.clear()
        for field in (self.real, self.replacement, self.notes, self.search):
            field.clear()
        self.message.clear_message()


def _ours(event: QKeyEvent) -> bool:
    return event.matches(QKeySequence.StandardKey.New) or event.matches(
        QKeySequence.StandardKey.Save
    )
