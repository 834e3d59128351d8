"""Team → Inbox, what the merge did: the bundles received (from whom, signed by whom,
when, what merged), and the conflicts: records changed both here and in a researcher's
bundle since the two last agreed. Selecting one shows its differences field by field,
ours (this store) beside theirs (the bundle); Keep ours or Take theirs decides it
(``store.inbox.resolve``). Decided conflicts can be shown too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.bundle_merge import MergeSummary, RecordCounts
from relations_desktop.core.inbox import ConflictRecord, ReceivedBundleRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import local_time
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.views.outbox import when_text
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel

RECORD_TYPES = {
    "site": "Site",
    "family": "Family",
    "participant": "Participant",
    "encounter": "Session",
    "recording": "Recording",
    "fieldnote": "Note",
    "transcript": "Transcript",
}
STATUSES = {"open": "Open", "kept-local": "Kept ours", "took-incoming": "Took theirs"}
NOT_THERE = "(not there)"


def value_text(value: Any) -> str:
    """A field's value as the differences table shows it."""
    if value is None:
        return NOT_THERE
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return text if text.strip() else "(empty)"


def field_label(name: str) -> str:
    return name.replace("_ids", "s").replace("_id", "").replace("_", " ").capitalize()


def merged_words(summary: dict[str, Any]) -> str:
    counts = summary.get("counts") or {}
    merge = MergeSummary(
        "", "", "", "", False,
        {kind: RecordCounts(**c) for kind, c in counts.items() if isinstance(c, dict)},
        int(summary.get("withdrawals") or 0),
    )  # fmt: skip
    return merge.describe()


def short_time(value: datetime) -> str:
    return f"{local_time(value):%d %b %Y %H:%M}".lstrip("0")


def make_table(parent: QWidget, model: RecordTableModel[Any], name: str) -> QTableView:
    table = QTableView(parent)
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(model.columnCount() - 1, QHeaderView.ResizeMode.Stretch)
    header.setHighlightSections(False)
    return table


RECEIVED_COLUMNS: list[Column[ReceivedBundleRecord]] = [
    Column("From", lambda b: b.researcher_name),
    Column("Signer", lambda b: b.signer),
    Column("Sealed", lambda b: when_text(b.sealed_at)),
    Column("Opened", lambda b: short_time(b.opened_at)),
    Column("What merged", lambda b: merged_words(b.summary)),
]


COLUMNS: list[Column[ConflictRecord]] = [
    Column("Type", lambda c: RECORD_TYPES.get(c.record_type, c.record_type)),
    Column("Record", lambda c: c.label),
    Column("From", lambda c: c.researcher_name),
    Column("Status", lambda c: STATUSES.get(c.status, c.status)),
]


class ReceivedPanel(QWidget):
    def __init__(
        self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service, self.runner = service, runner
        self.model: RecordTableModel[ReceivedBundleRecord] = RecordTableModel(
            RECEIVED_COLUMNS, self
        )
        self.table = make_table(self, self.model, "Bundles received")
        self.table.setObjectName("inboxReceived")
        title = QLabel("Received", self)
        title.setObjectName("sectionTitle")
        self.message = MessageLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        self.runner.submit(
            self.service.inbox.received, on_result=self.model.set_records,
            on_error=lambda error: self.message.show_error(describe(error)), owner=self,
        )  # fmt: skip

    def wipe(self) -> None:
        self.model.clear()


class ConflictsPanel(QWidget):
    status_message = Signal(str)
    resolved = Signal(object)  # the ConflictRecord decided

    def __init__(
        self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("inboxConflicts")
        self.service, self.runner = service, runner
        title = QLabel("Conflicts", self)
        title.setObjectName("sectionTitle")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")
        self.show_decided = QCheckBox("Show decided ones", self)
        self.show_decided.setAccessibleName("Show decided conflicts")
        self.show_decided.toggled.connect(lambda _on: self.refresh())
        top = QHBoxLayout()
        top.addWidget(title)
        top.addWidget(self.count_label, 1)
        top.addWidget(self.show_decided)

        self.model: RecordTableModel[ConflictRecord] = RecordTableModel(COLUMNS, self)
        self.table = QTableView(self)
        self.table.setObjectName("conflictsTable")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Merge conflicts")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())

        self.differences = QTableWidget(0, 3, self)
        self.differences.setObjectName("conflictDifferences")
        self.differences.setAccessibleName("Differences, ours and theirs")
        self.differences.setHorizontalHeaderLabels(["Field", "Ours (this store)", "Theirs"])
        self.differences.verticalHeader().hide()
        self.differences.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.differences.setWordWrap(True)
        self.differences.setAlternatingRowColors(True)
        diff_header = self.differences.horizontalHeader()
        diff_header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        diff_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        diff_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        diff_header.sectionResized.connect(lambda *_: self.differences.resizeRowsToContents())
        self.detail = QLabel(self)
        self.detail.setObjectName("hint")
        self.detail.setWordWrap(True)
        self.keep_ours = QPushButton("Keep ours", self)
        self.keep_ours.setAccessibleName("Keep our version")
        self.keep_ours.setToolTip("The record stays as it is in this store")
        self.keep_ours.clicked.connect(lambda: self.resolve("local"))
        self.take_theirs = QPushButton("Take theirs", self)
        self.take_theirs.setAccessibleName("Take their version")
        self.take_theirs.setToolTip("The bundle's version replaces the one in this store")
        self.take_theirs.clicked.connect(lambda: self.resolve("incoming"))
        decide = QHBoxLayout()
        decide.addWidget(self.detail, 1)
        decide.addWidget(self.keep_ours)
        decide.addWidget(self.take_theirs)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.differences, 1)
        right_layout.addLayout(decide)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.table)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([440, 560])
        split.setChildrenCollapsible(False)
        self.message = MessageLabel(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        self._show_selected()

    # ------------------------------------------------------------------ load
    def refresh(self) -> None:
        status = None if self.show_decided.isChecked() else "open"
        self.runner.submit(
            self.service.inbox.conflicts, status, on_result=self._fill,
            on_error=self._failed, owner=self,
        )  # fmt: skip

    def _fill(self, conflicts: list[ConflictRecord]) -> None:
        chosen = self.selected()
        self.model.set_records(conflicts)
        row = self.model.row_of(lambda c: chosen is not None and c.id == chosen.id)
        if row < 0 and conflicts:
            row = next((i for i, c in enumerate(conflicts) if c.status == "open"), 0)
        if row >= 0:
            self.table.selectRow(row)
        waiting = sum(c.status == "open" for c in conflicts)
        self.count_label.setText(
            f"{waiting} waiting for a decision" if waiting else "none waiting for a decision"
        )
        self._show_selected()

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))

    def selected(self) -> ConflictRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def _show_selected(self) -> None:
        conflict = self.selected()
        rows = list(conflict.differences) if conflict is not None else []
        self.differences.setRowCount(len(rows))
        for i, difference in enumerate(rows):
            cells = (
                field_label(difference.field),
                value_text(difference.local),
                value_text(difference.incoming),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.differences.setItem(i, column, item)
        self.differences.resizeRowsToContents()
        is_open = conflict is not None and conflict.status == "open"
        self.keep_ours.setEnabled(is_open)
        self.take_theirs.setEnabled(is_open)
        if conflict is None:
            self.detail.setText("Select a conflict to see what differs.")
        elif is_open:
            self.detail.setText(
                f"Changed here and by {conflict.researcher_name} since you last agreed."
            )
            self.detail.setToolTip(f"Found {short_time(conflict.created_at)}")
        else:
            decided = conflict.decided_at
            when = f" on {local_time(decided):%d %b %Y %H:%M}".replace(" 0", " ") if decided else ""
            self.detail.setText(f"{STATUSES.get(conflict.status, conflict.status)}{when}.")

    # ---------------------------------------------------------------- decide
    def resolve(self, keep: str) -> None:
        conflict = self.selected()
        if conflict is None or conflict.status != "open":
            return
        self.keep_ours.setEnabled(False)
        self.take_theirs.setEnabled(False)
        self.runner.submit(
            self.service.inbox.resolve, conflict.id, keep, on_result=self._resolved,
            on_error=self._resolve_failed, owner=self,
        )  # fmt: skip

    def _resolved(self, conflict: ConflictRecord) -> None:
        kept = "our version" if conflict.status == "kept-local" else "their version"
        text = f"Kept {kept} of {conflict.label}."
        self.message.show_info(text)
        self.status_message.emit(text)
        self.resolved.emit(conflict)
        self.refresh()

    def _resolve_failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))
        self._show_selected()

    def wipe(self) -> None:
        self.model.clear()
        self.differences.setRowCount(0)
        self.message.clear_message()
