"""Participants: pseudonym, role, region, kind, whether a real name is on file, and
their consent in short. Withdrawn participants stay listed, greyed and marked."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.records import ConsentState
from relations_desktop.core.records import ParticipantRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import format_date, participant_kind_label
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.participant_editor import ParticipantEditor
from relations_desktop.ui.widgets.consent_badges import short_text
from relations_desktop.ui.widgets.record_table import Column, Index, RecordTableModel

GREY = QColor("#8a8f98")


def consent_column(person: ParticipantRecord, state: ConsentState | None) -> str:
    if person.is_withdrawn:
        when = format_date(person.withdrawn_on) if person.withdrawn_on else ""
        what = "data deleted" if person.withdrawal_scope == "all" else "no further part"
        return f"withdrawn {when} ({what})".replace("  ", " ")
    return "…" if state is None else short_text(state)


class ParticipantsModel(RecordTableModel[ParticipantRecord]):
    """Participants with their consent in short; withdrawn rows greyed (and say so)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.states: dict[str, ConsentState] = {}
        columns: list[Column[ParticipantRecord]] = [
            Column("Pseudonym", lambda p: p.pseudonym),
            Column("Role", lambda p: p.role_label),
            Column("Region", lambda p: p.region),
            Column("Kind", lambda p: participant_kind_label(p.kind)),
            # Only whether one exists: the real name itself is never shown in a list.
            Column("Real name on file", lambda p: "Yes" if p.has_real_name else "No"),
            Column("Consent", lambda p: consent_column(p, self.states.get(p.id))),
        ]
        super().__init__(columns, parent)

    def set_people(self, people: list[ParticipantRecord], states: list[ConsentState]) -> None:
        self.states = {s.participant_id: s for s in states}
        self.set_records(people)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        person = self.record(index.row())
        if person is not None and person.is_withdrawn:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(GREY)
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{person.label}: {consent_column(person, None)}"
        if person is not None and role == Qt.ItemDataRole.ToolTipRole and index.column() == 5:
            state = self.states.get(person.id)
            return state.summary if state is not None else None
        return super().data(index, role)


def load_people(service: StoreService) -> tuple[list[ParticipantRecord], list[ConsentState]]:
    """(runs on the task runner)"""
    people = service.list_participants()
    return people, [service.consent.state(p.id) for p in people]


class ParticipantsView(QWidget):
    status_message = Signal(str)

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.editor_dialog: ParticipantEditor | None = None

        heading = QLabel("Participants", self)
        heading.setObjectName("viewTitle")
        self.add_button = QPushButton("Add participant", self)
        self.add_button.setObjectName("primary")
        self.add_button.clicked.connect(self.add_participant)
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.clicked.connect(self.edit_selected)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.edit_button)
        top.addWidget(self.add_button)

        self.model = ParticipantsModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Participants")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.doubleClicked.connect(self._double_clicked)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

    def refresh(self) -> None:
        self.runner.submit(load_people, self.service, on_result=self._fill)

    def _fill(self, loaded: tuple[list[ParticipantRecord], list[ConsentState]]) -> None:
        people, states = loaded
        current = self.selected()
        self.model.set_people(people, states)
        if current is not None:
            row = self.model.row_of(lambda p: p.id == current.id)
            if row >= 0:
                self.table.selectRow(row)
        withdrawn = sum(p.is_withdrawn for p in people)
        if people:
            text = f"{len(people)} participant{'s' if len(people) != 1 else ''}"
            self.count_label.setText(text + (f", {withdrawn} withdrawn" if withdrawn else ""))
        else:
            self.count_label.setText("No participants yet. Add one with “Add participant”.")

    def selected(self) -> ParticipantRecord | None:
        index = self.table.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    def add_participant(self) -> None:
        self._open_editor(None)

    def edit_selected(self) -> None:
        record = self.selected()
        if record is not None:
            self._open_editor(record)

    def _double_clicked(self, index: QModelIndex) -> None:
        record = self.model.record(index.row())
        if record is not None:
            self._open_editor(record)

    def _open_editor(self, record: ParticipantRecord | None) -> None:
        dialog = ParticipantEditor(self.service, self.runner, record, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        dialog.consent_changed.connect(self.refresh)
        self.editor_dialog = dialog
        dialog.open()

    def _saved(self, record: ParticipantRecord) -> None:
        self.status_message.emit(f"Participant {record.pseudonym} saved")
        self.refresh()

    def flush(self) -> None:
        """Nothing is edited in place here."""

    def wipe(self) -> None:
        self.model.set_people([], [])
