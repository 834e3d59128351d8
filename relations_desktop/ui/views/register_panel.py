"""The list-and-editor panel the register's sites and families share.

Editing is explicit, as in the participant editor: Save (or Enter in a field, or
Ctrl+S) stores the changes and "Discard changes" drops them. Choosing another item,
adding one (Ctrl+N) or leaving the page first saves changes that can be saved, so
nothing typed is lost; changes that cannot be saved keep the editor where it is and
say why. Every store call goes through the task runner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel


def editable_combo(parent: QWidget, examples: tuple[str, ...], name: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setEditable(True)
    combo.addItems(list(examples))
    combo.setCurrentIndex(-1)
    combo.setAccessibleName(name)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    return combo


class RegisterPanel(QWidget):
    """A table of records on the left, the chosen one's editor on the right."""

    status_message = Signal(str)
    noun = "item"
    plural = "items"
    stretch = (0,)  # the table's columns that take the spare width

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        columns: list[Column[Any]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.current: Any = None  # the record in the editor; None: a new one (or nothing)
        self.editing = False  # whether the editor shows anything
        self.dirty = False
        self._edits = 0  # counts changes, so a save does not clear newer ones
        self._shown = 0  # counts what the editor showed, so late results can tell
        self._loading = False
        self._reverting = False
        self._want_id: str | None = None

        self.add_button = QPushButton(f"Add {self.noun}", self)
        self.add_button.setObjectName("primary")
        self.add_button.setToolTip(f"Add a {self.noun} (Ctrl+N)")
        self.add_button.clicked.connect(self.new_record)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")
        self.model: RecordTableModel[Any] = RecordTableModel(columns, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.plural.capitalize())
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for column in self.stretch:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header.setHighlightSections(False)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        top = QHBoxLayout()
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.add_button)
        left_layout.addLayout(top)
        left_layout.addWidget(self.table, 1)

        self.editor = QWidget(self)
        self.editor_title = QLabel(self.editor)
        self.editor_title.setObjectName("sessionTitle")
        self.form = QFormLayout()
        self.message = MessageLabel(self.editor)
        self.state_label = QLabel(self.editor)
        self.state_label.setObjectName("saveStatus")
        self.discard_button = QPushButton("Discard changes", self.editor)
        self.discard_button.clicked.connect(self.discard)
        self.save_button = QPushButton("Save", self.editor)
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip("Save (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.build_editor(self.form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state_label)
        buttons.addStretch(1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.save_button)
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.setContentsMargins(8, 0, 0, 0)
        editor_layout.addWidget(self.editor_title)
        editor_layout.addLayout(self.form)
        self.add_below_form(editor_layout)
        editor_layout.addWidget(self.message)
        editor_layout.addLayout(buttons)

        self.empty_hint = QLabel(self)
        self.empty_hint.setObjectName("hint")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.right = QStackedWidget(self)
        self.right.addWidget(self.empty_hint)
        self.right.addWidget(self.wrap_editor(self.editor))
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.right)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([360, 780])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(splitter)
        self._set_dirty(False)
        self._show_editor(False)

    # ------------------------------------------------------- for subclasses
    def build_editor(self, form: QFormLayout) -> None:
        raise NotImplementedError

    def add_below_form(self, layout: QVBoxLayout) -> None:
        layout.addStretch(1)

    def wrap_editor(self, editor: QWidget) -> QWidget:
        return editor

    def fetch(self) -> tuple[list[Any], Any]:
        """Runs on the worker thread: the records, and anything else the editor needs."""
        raise NotImplementedError

    def use_extra(self, extra: Any) -> None:
        """Takes what :meth:`fetch` gave besides the records (on the GUI thread)."""

    def fill_editor(self, record: Any) -> None:
        raise NotImplementedError

    def check(self) -> str | None:
        """What stops the editor's content being saved, as a sentence; None if nothing."""
        raise NotImplementedError

    def save_job(self) -> Callable[[], Any]:
        """The editor's content, captured now, as work for the worker thread."""
        raise NotImplementedError

    def after_save(self, record: Any) -> None:
        """A save ended while its record is still shown: ``record`` is None if it failed."""

    def describe_record(self, record: Any) -> str:
        """The record in a sentence: “Site “Hope Street”” saved."""
        raise NotImplementedError

    def heading(self, record: Any) -> str:
        """The editor's title while it shows ``record``."""
        raise NotImplementedError

    def empty_text(self) -> str:
        return f"No {self.plural} yet. Add the first with “Add {self.noun}” (Ctrl+N)."

    def first_field(self) -> QWidget:
        raise NotImplementedError

    def mark_dirty(self, *_args: object) -> None:
        """Connected to every field's change signal."""
        if self._loading:
            return
        self._edits += 1
        self._set_dirty(True)

    # ----------------------------------------------------------------- list
    def refresh(self) -> None:
        self.runner.submit(self.fetch, on_result=self._fill, owner=self)

    def _fill(self, data: tuple[list[Any], Any]) -> None:
        records, extra = data
        self._loading = True
        try:
            self.use_extra(extra)
        finally:
            self._loading = False
        keep = self._want_id or (self.current.id if self.current is not None else None)
        self._want_id = None
        self._reverting = True
        try:
            self.model.set_records(records)
            row = self.model.row_of(lambda r: r.id == keep) if keep else -1
            if row >= 0:
                self._select(row)
        finally:
            self._reverting = False
        count = len(records)
        self.count_label.setText(f"{count} {self.noun if count == 1 else self.plural}")
        self.empty_hint.setText(self.empty_text())
        if row >= 0 and not self.dirty:
            self.show_record(records[row])
        elif row < 0 and not self.editing and records:
            self._select(0)  # shows it
        elif not self.editing:
            self._show_editor(False)

    def _select(self, row: int) -> None:
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(self.model.index(row, 0), flags)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._reverting:
            return
        record = self.model.record(current.row()) if current.isValid() else None
        if record is None or (self.current is not None and record.id == self.current.id):
            return
        if not self.leave():  # back to the row being edited (none, for a new one)
            shown = self.current
            row = self.model.row_of(lambda r: r.id == shown.id) if shown is not None else -1
            self._reverting = True
            try:
                if row >= 0:
                    self._select(row)
                else:
                    self.table.selectionModel().clear()
            finally:
                self._reverting = False
            return
        self.show_record(record)

    def select_id(self, record_id: str) -> bool:
        row = self.model.row_of(lambda r: r.id == record_id)
        if row >= 0:
            self._select(row)
        return row >= 0

    # --------------------------------------------------------------- editor
    def show_record(self, record: Any) -> None:
        self._shown += 1
        self.current = record
        self._loading = True
        try:
            self.fill_editor(record)
        finally:
            self._loading = False
        self.editor_title.setText(
            self.heading(record) if record is not None else f"New {self.noun}"
        )
        self.message.clear_message()
        self._set_dirty(False)
        self._show_editor(True)

    def new_record(self) -> None:
        if not self.leave():
            return
        self._reverting = True
        try:
            self.table.selectionModel().clear()
        finally:
            self._reverting = False
        self.show_record(None)
        self.first_field().setFocus()

    def leave(self) -> bool:
        """Before the editor shows something else: save what can be saved."""
        if not self.dirty:
            return True
        problem = self.check()
        if problem is not None:
            self.message.show_error(f"{problem} Fix it, or discard the changes, first.")
            return False
        self.save()
        return True

    def save(self) -> None:
        if not self.editing or (self.current is not None and not self.dirty):
            return
        problem = self.check()
        if problem is not None:
            self.message.show_error(problem)
            return
        job = self.save_job()
        shown, edits = self._shown, self._edits
        self.save_button.setEnabled(False)
        self.runner.submit(
            job,
            on_result=lambda record: self._saved(record, shown, edits),
            on_error=lambda error: self._failed(error, shown),
            owner=self,
        )

    def _saved(self, record: Any, shown: int, edits: int) -> None:
        if shown == self._shown:
            self.current = record
            self.after_save(record)
            self.editor_title.setText(self.heading(record))
            self.message.clear_message()
            self._set_dirty(edits != self._edits)
            self._want_id = record.id
        self.status_message.emit(f"{self.describe_record(record)} saved")
        self.refresh()

    def _failed(self, error: BaseException, shown: int) -> None:
        self._set_dirty(self.dirty)
        if shown == self._shown:
            self.after_save(None)
            self.message.show_error(describe(error))
        else:
            self.status_message.emit(f"Not saved: {describe(error)}")
        self.refresh()

    def discard(self) -> None:
        if self.current is not None:
            self.show_record(self.current)
            return
        self._set_dirty(False)
        self.editing = False
        if self.model.rowCount():
            self._select(0)
        else:
            self._show_editor(False)

    def _set_dirty(self, dirty: bool) -> None:
        self.dirty = dirty
        self.save_button.setEnabled(dirty or (self.editing and self.current is None))
        self.discard_button.setEnabled(dirty)
        self.state_label.setText("Unsaved changes" if dirty else "")

    def _show_editor(self, visible: bool) -> None:
        self.editing = visible
        self.right.setCurrentIndex(1 if visible else 0)
        self.empty_hint.setText(self.empty_text())
        self._set_dirty(self.dirty)

    # ------------------------------------------------------------ lifecycle
    def flush(self) -> None:
        """Save changes that can be saved (before the page changes or the store locks)."""
        if self.dirty and self.check() is None:
            self.save()

    def wipe(self) -> None:
        self._reverting = True
        self.model.clear()
        self.current = None
        self.dirty = False
        self._loading = True
        self.fill_editor(None)
        self._loading = False
        self._show_editor(False)
