"""The items table of the consent form editor, and the small helpers it shares."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from relations_desktop.core.consent.forms import Governs

STATEMENT, REQUIRED, GOVERNS, ITEM_ID = range(4)
HEADERS = ("Statement", "Required", "Governs", "Item id")
VALUE_ROLE = Qt.ItemDataRole.UserRole  # on a Governs cell: the Governs value, "" = nothing
AUTO_ROLE = Qt.ItemDataRole.UserRole + 1  # on an id cell: the id follows the statement
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
GOVERNS_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Nothing"),
    *((g.value, g.label) for g in Governs),
)
AUDIENCE_WORDS = {
    "adult": "Adults (their own consent)",
    "parent": "Parents or carers (consent for a child)",
    "child": "Children (their own assent)",
}
Index = QModelIndex | QPersistentModelIndex


def governs_words(value: str | None) -> str:
    return dict(GOVERNS_CHOICES).get(value or "", value or "Nothing")


def audience_words(audience: str) -> str:
    return AUDIENCE_WORDS.get(audience, audience)


def bump_version(version: str, taken: Collection[str] = ()) -> str:
    """The next version number not in ``taken``: 1.0 → 1.1, 1.9 → 1.10, 1-draft → 1-draft.1."""
    pieces = version.strip().split(".")
    if pieces[-1].isdigit():
        pieces[-1] = str(int(pieces[-1]) + 1)
        candidate = ".".join(pieces)
    else:
        candidate = f"{version.strip()}.1"
    return bump_version(candidate, taken) if candidate in taken else candidate


def item_id_from(statement: str, taken: Collection[str] = ()) -> str:
    """An item id from the first words of a statement, unique among ``taken``."""
    words = re.sub(r"[^a-z0-9]+", " ", statement.lower()).split()
    base = "-".join(words[:5])[:40].strip("-") or "item"
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


@dataclass(frozen=True)
class Row:
    statement: str
    required: bool
    governs: str  # a Governs value, or "" for nothing
    item_id: str
    auto_id: bool = False  # a new item whose id is still made from its statement


class CellDelegate(QStyledItemDelegate):
    """Cell editors with accessible names; "Governs" is a combo box, "Nothing" first."""

    def createEditor(  # noqa: N802
        self, parent: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> QWidget:
        if index.column() != GOVERNS:
            editor = super().createEditor(parent, option, index)
            editor.setAccessibleName(HEADERS[index.column()])
            return editor
        combo = QComboBox(parent)
        combo.setAccessibleName("What this item governs")
        for value, label in GOVERNS_CHOICES:
            combo.addItem(label, value)
        combo.activated.connect(lambda _i: self.commitData.emit(combo))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:  # noqa: N802
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(index.data(VALUE_ROLE) or "")))
        else:
            super().setEditorData(editor, index)

    def setModelData(  # noqa: N802
        self, editor: QWidget, model: QAbstractItemModel, index: Index
    ) -> None:
        if not isinstance(editor, QComboBox):
            super().setModelData(editor, model, index)
            return
        value = str(editor.currentData() or "")
        model.setData(index, value, VALUE_ROLE)
        model.setData(index, governs_words(value), Qt.ItemDataRole.DisplayRole)


class ItemsTable(QTableWidget):
    """The items being edited, one row each, with undo (Ctrl+Z) and redo."""

    edited = Signal()

    def __init__(self, rows: tuple[Row, ...], parent: QWidget) -> None:
        super().__init__(0, len(HEADERS), parent)
        self._filling = False
        self._undo: list[tuple[Row, ...]] = []
        self._redo: list[tuple[Row, ...]] = []
        self.setHorizontalHeaderLabels(list(HEADERS))
        self.setAccessibleName("Items")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        triggers = QAbstractItemView.EditTrigger
        self.setEditTriggers(
            triggers.DoubleClicked | triggers.EditKeyPressed | triggers.AnyKeyPressed
        )
        self.setWordWrap(True)
        self.setTabKeyNavigation(False)  # Tab leaves the table; the arrows move in it
        self.setItemDelegate(CellDelegate(self))
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(STATEMENT, QHeaderView.ResizeMode.Stretch)
        for keys, slot in (
            (QKeySequence.StandardKey.Undo, self.undo),
            (QKeySequence.StandardKey.Redo, self.redo),
            (QKeySequence("Alt+Up"), lambda: self.move_item(-1)),
            (QKeySequence("Alt+Down"), lambda: self.move_item(1)),
        ):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)  # not while a cell is open
            shortcut.activated.connect(slot)
        self.set_rows(rows)
        self._last = rows
        self.itemChanged.connect(self._item_changed)

    def cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.item(row, column)
        if item is None:  # cannot happen: _insert fills every cell
            item = QTableWidgetItem()
            self.setItem(row, column, item)
        return item

    def rows(self) -> tuple[Row, ...]:
        cell = self.cell
        return tuple(
            Row(
                cell(r, STATEMENT).text(),
                cell(r, REQUIRED).checkState() == Qt.CheckState.Checked,
                str(cell(r, GOVERNS).data(VALUE_ROLE) or ""),
                cell(r, ITEM_ID).text(),
                bool(cell(r, ITEM_ID).data(AUTO_ROLE)),
            )
            for r in range(self.rowCount())
        )

    def set_rows(self, rows: tuple[Row, ...]) -> None:
        self._filling = True
        self.setRowCount(0)
        for row in rows:
            self._insert(self.rowCount(), row)
        self._filling = False

    def _insert(self, at: int, row: Row) -> None:
        self.insertRow(at)
        required = QTableWidgetItem()
        flags = Qt.ItemFlag
        required.setFlags(flags.ItemIsEnabled | flags.ItemIsSelectable | flags.ItemIsUserCheckable)
        required.setCheckState(Qt.CheckState.Checked if row.required else Qt.CheckState.Unchecked)
        governs = QTableWidgetItem(governs_words(row.governs))
        governs.setData(VALUE_ROLE, row.governs)
        ident = QTableWidgetItem(row.item_id)
        ident.setData(AUTO_ROLE, row.auto_id)
        for column, item in enumerate((QTableWidgetItem(row.statement), required, governs, ident)):
            self.setItem(at, column, item)

    def set_governs(self, row: int, value: str) -> None:
        """What choosing in the combo box does (for scripts and tests)."""
        item = self.cell(row, GOVERNS)
        item.setData(VALUE_ROLE, value)
        item.setData(Qt.ItemDataRole.DisplayRole, governs_words(value))

    def commit_open_editor(self) -> None:
        """Store what is being typed in a cell (Save or Ctrl+S while a cell is open)."""
        editor = self.indexWidget(self.currentIndex())
        if editor is not None and self.state() == QAbstractItemView.State.EditingState:
            self.commitData(editor)
            self.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        self._filling = True
        row, ident = item.row(), self.cell(item.row(), ITEM_ID)
        if item.column() == STATEMENT and ident.data(AUTO_ROLE):
            others = {r.item_id for i, r in enumerate(self.rows()) if i != row}
            ident.setText(item_id_from(item.text(), others) if item.text().strip() else "")
        elif item is ident:
            ident.setData(AUTO_ROLE, False)  # edited by hand: no longer follows the statement
        self._filling = False
        self._changed()

    def _changed(self) -> None:
        now = self.rows()
        if now != self._last:
            self._undo.append(self._last)
            self._redo.clear()
            self._last = now
        self.edited.emit()

    def _restore(self, rows: tuple[Row, ...], keep: list[tuple[Row, ...]]) -> None:
        keep.append(self._last)
        row = self.currentRow()
        self.set_rows(rows)
        self._last = rows
        if rows:
            self.setCurrentCell(max(0, min(row, len(rows) - 1)), STATEMENT)
        self.edited.emit()

    def undo_available(self) -> bool:
        return bool(self._undo)

    def undo(self) -> None:
        if self._undo:
            self._restore(self._undo.pop(), self._redo)

    def redo(self) -> None:
        if self._redo:
            self._restore(self._redo.pop(), self._undo)

    def add_item(self) -> None:
        self.commit_open_editor()
        at = self.currentRow() + 1 if self.rowCount() else 0
        self._filling = True
        self._insert(at, Row("", False, "", "", auto_id=True))
        self._filling = False
        self._changed()
        self.setCurrentCell(at, STATEMENT)
        self.setFocus()
        self.editItem(self.cell(at, STATEMENT))

    def remove_item(self) -> bool:
        row = self.currentRow()
        if row < 0:
            return False
        self.commit_open_editor()
        self.removeRow(row)
        self._changed()
        if self.rowCount():
            self.setCurrentCell(min(row, self.rowCount() - 1), STATEMENT)
        return True

    def move_item(self, delta: int) -> None:
        row, column = self.currentRow(), max(0, self.currentColumn())
        if row < 0 or not 0 <= row + delta < self.rowCount():
            return
        self.commit_open_editor()
        rows = list(self.rows())
        rows[row], rows[row + delta] = rows[row + delta], rows[row]
        self.set_rows(tuple(rows))
        self._changed()
        self.setCurrentCell(row + delta, column)
