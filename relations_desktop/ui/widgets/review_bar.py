"""The review screen's top row: where to look, Scan and Cancel, a busy bar, the progress.

It also holds the flagged occurrences' table (one row each: where, category, what).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QWidget,
)

from relations_desktop.core.records import EncounterRecord
from relations_desktop.core.review import Occurrence
from relations_desktop.ui.labels import format_date
from relations_desktop.ui.widgets.occurrence_panel import category_label, place_text
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel

TITLE_ROLE = Qt.ItemDataRole.UserRole + 1
SESSION_COLUMN = 3
COLUMNS: list[Column[Occurrence]] = [
    Column("Found", lambda o: o.text),
    Column("Category", lambda o: category_label(o.category)),
    Column("Where", place_text),
    Column("Session", lambda o: o.encounter_title),
]


class ReviewBar(QWidget):
    scan_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        scope_label = QLabel("Look in", self)
        self.scope = QComboBox(self)
        self.scope.setAccessibleName("Where to look")
        self.scope.addItem("All sessions", None)
        self.scope.setMinimumWidth(300)
        scope_label.setBuddy(self.scope)
        self.scan_button = QPushButton("Scan", self)
        self.scan_button.setObjectName("primary")
        self.scan_button.setAccessibleName("Scan for identifiers")
        self.scan_button.setToolTip("Find likely identifiers the register does not cover (F5)")
        self.scan_button.clicked.connect(self.scan_requested)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel the scan")
        self.cancel_button.setToolTip(
            "Stop waiting for this scan; nothing is changed (the detection already running "
            "finishes in the background)"
        )
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.busy = QProgressBar(self)
        self.busy.setObjectName("jobProgress")
        self.busy.setAccessibleName("Scanning")
        self.busy.setRange(0, 0)  # busy, without a percentage
        self.busy.setTextVisible(False)
        self.busy.setFixedSize(160, 8)
        self.progress = QLabel(self)
        self.progress.setObjectName("sectionTitle")
        self.progress.setAccessibleName("Progress")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (scope_label, self.scope, self.scan_button, self.cancel_button, self.busy):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.progress)
        self.set_busy(False)

    def set_sessions(self, encounters: list[EncounterRecord]) -> None:
        chosen = self.scope.currentData()
        self.scope.blockSignals(True)
        self.scope.clear()
        self.scope.addItem("All sessions", None)
        for encounter in sorted(encounters, key=lambda e: e.date, reverse=True):
            self.scope.addItem(f"{encounter.title} ({format_date(encounter.date)})", encounter.id)
            self.scope.setItemData(self.scope.count() - 1, encounter.title, TITLE_ROLE)
        self.scope.setCurrentIndex(max(0, self.scope.findData(chosen)))
        self.scope.blockSignals(False)

    def set_scope(self, encounter_id: str | None) -> None:
        self.scope.setCurrentIndex(max(0, self.scope.findData(encounter_id)))

    @property
    def encounter_id(self) -> str | None:
        value = self.scope.currentData()
        return str(value) if value else None

    @property
    def scope_name(self) -> str:
        """“Session title”, or all sessions (titles carry pseudonyms, never real names)."""
        return f"“{self.scope.currentData(TITLE_ROLE)}”" if self.encounter_id else "all sessions"

    def set_busy(self, busy: bool) -> None:
        self.scan_button.setEnabled(not busy)
        self.scope.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.busy.setVisible(busy)
        if busy:
            self.progress.clear()


class OccurrenceTable(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("occurrences")
        self.records: RecordTableModel[Occurrence] = RecordTableModel(COLUMNS, self)
        self.setModel(self.records)
        self.setAccessibleName("Flagged occurrences")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)

    def show_sessions(self, show: bool) -> None:
        """The session column, when the scan covered more than one."""
        self.setColumnHidden(SESSION_COLUMN, not show)

    @property
    def current(self) -> Occurrence | None:
        index = self.currentIndex()
        return self.records.record(index.row()) if index.isValid() else None
