"""The children of a family as a table, edited in place: a description (never a
name), an age band, the living arrangement, child-protection and family-support
involvement. Rows are saved with the family; “Undo remove” brings back the last
removed row until then."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.register import ChildRecord, parse_age_band
from relations_desktop.core.store.models import Involvement, LivingArrangement
from relations_desktop.ui.views.register import INVOLVEMENT_LABELS, LIVING_LABELS

CHILD_HEADERS = (
    "Description",
    "Age\nband",
    "Living\narrangement",
    "Child\nprotection",
    "Family\nsupport",
    "",
)
COLUMN_WIDTHS = (72, 158, 104, 76, 46)  # after the description, which takes the rest
CHILD_PLACEHOLDER = "a description, never a name: e.g. primary school aged daughter"


def _combo(parent: QWidget, labels: dict[str, str], name: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    for slug, label in labels.items():
        combo.addItem(label, slug)
    return combo


@dataclass(frozen=True)
class ChildValues:
    label: str = ""
    age_band: str = ""
    living_arrangement: str = LivingArrangement.WITH_PARENTS.value
    child_protection: str = Involvement.NONE.value
    family_support: bool = False

    @classmethod
    def of(cls, child: ChildRecord) -> ChildValues:
        return cls(
            child.label,
            child.age_band,
            child.living_arrangement,
            child.child_protection,
            child.family_support,
        )


_keys = itertools.count(1)


class ChildRow:
    """The widgets of one child's row."""

    def __init__(self, parent: QWidget, child_id: str | None, values: ChildValues) -> None:
        self.key = next(_keys)
        self.child_id = child_id
        self.original = values if child_id is not None else None
        self.label = QLineEdit(values.label, parent)
        self.label.setAccessibleName("Child description")
        self.label.setPlaceholderText(CHILD_PLACEHOLDER)
        self.label.setToolTip(
            "Describe the child without naming them: age, school stage, relationship. "
            "Names do not belong in the register."
        )
        self.age_band = QLineEdit(values.age_band, parent)
        self.age_band.setAccessibleName("Age band")
        self.age_band.setPlaceholderText("e.g. 7, 5-10, 18+")
        self.living = _combo(parent, LIVING_LABELS, "Living arrangement")
        self.living.setCurrentIndex(max(0, self.living.findData(values.living_arrangement)))
        self.protection = _combo(parent, INVOLVEMENT_LABELS, "Child-protection involvement")
        self.protection.setCurrentIndex(max(0, self.protection.findData(values.child_protection)))
        self.support_box = QWidget(parent)
        self.support = QCheckBox(self.support_box)
        self.support.setAccessibleName("Family support involvement")
        self.support.setChecked(values.family_support)
        box = QHBoxLayout(self.support_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.support, 0, Qt.AlignmentFlag.AlignCenter)
        self.remove_box = QWidget(parent)
        self.remove = QToolButton(self.remove_box)
        self.remove.setText("✕")
        self.remove.setAccessibleName("Remove child")
        self.remove.setToolTip("Remove this child (Undo remove brings it back until you save)")
        self.remove.setFixedSize(28, 28)
        self.remove.setStyleSheet("padding: 0;")
        centre = QHBoxLayout(self.remove_box)
        centre.setContentsMargins(0, 0, 0, 0)
        centre.addWidget(self.remove, 0, Qt.AlignmentFlag.AlignCenter)

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.label, self.age_band, self.living, self.protection, self.support_box)

    def values(self) -> ChildValues:
        return ChildValues(
            self.label.text().strip(),
            self.age_band.text().strip(),
            str(self.living.currentData()),
            str(self.protection.currentData()),
            self.support.isChecked(),
        )


@dataclass
class _Removed:
    index: int
    child_id: str | None
    values: ChildValues


class ChildrenEditor(QWidget):
    """The children table with Add child and Undo remove; emits :attr:`changed`."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ChildRow] = []
        self.removed: list[_Removed] = []
        heading = QLabel("Children", self)
        heading.setObjectName("sectionTitle")
        hint = QLabel(
            "Children are recorded as part of the family: describe them, never name them.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.add_button = QPushButton("Add child", self)
        self.add_button.clicked.connect(self.add_new)
        self.undo_button = QPushButton("Undo remove", self)
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo_remove)
        self.table = QTableWidget(0, len(CHILD_HEADERS), self)
        self.table.setAccessibleName("Children")
        self.table.setHorizontalHeaderLabels(list(CHILD_HEADERS))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        self.table.setMinimumHeight(150)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumSectionSize(36)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate(COLUMN_WIDTHS, start=1):
            self.table.setColumnWidth(column, width)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.undo_button)
        top.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)

    def set_children(self, children: tuple[ChildRecord, ...]) -> None:
        self.table.setRowCount(0)
        self.rows.clear()
        self.removed.clear()
        self.undo_button.setEnabled(False)
        for child in children:
            self._insert(len(self.rows), child.id, ChildValues.of(child))

    def add_new(self) -> ChildRow:
        row = self._insert(len(self.rows), None, ChildValues())
        row.label.setFocus()
        self.changed.emit()
        return row

    def _insert(self, index: int, child_id: str | None, values: ChildValues) -> ChildRow:
        row = ChildRow(self.table, child_id, values)
        self.table.insertRow(index)
        for column, widget in enumerate((*row.widgets(), row.remove_box)):
            self.table.setCellWidget(index, column, widget)
        self.rows.insert(index, row)
        row.label.textEdited.connect(self.changed)
        row.age_band.textEdited.connect(self.changed)
        row.living.currentIndexChanged.connect(self.changed)
        row.protection.currentIndexChanged.connect(self.changed)
        row.support.toggled.connect(self.changed)
        row.remove.clicked.connect(lambda _checked=False, r=row: self.remove_row(r))
        return row

    def remove_row(self, row: ChildRow) -> None:
        index = self.rows.index(row)
        self.removed.append(_Removed(index, row.child_id, row.values()))
        self.rows.pop(index)
        self.table.removeRow(index)
        self.undo_button.setEnabled(True)
        self.changed.emit()

    def undo_remove(self) -> None:
        if not self.removed:
            return
        last = self.removed.pop()
        row = self._insert(min(last.index, len(self.rows)), last.child_id, last.values)
        if last.child_id is not None:
            row.original = None  # saved again as it is now, whatever it was
        self.undo_button.setEnabled(bool(self.removed))
        self.changed.emit()

    def removed_ids(self) -> list[str]:
        return [r.child_id for r in self.removed if r.child_id is not None]

    def problem(self) -> str | None:
        for number, row in enumerate(self.rows, start=1):
            try:
                parse_age_band(row.age_band.text())
            except InvalidInput as error:
                return f"Child {number}: {error.message}"
        return None
