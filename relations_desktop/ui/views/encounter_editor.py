"""Create or edit a session (an encounter): type, title, date, who took part."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import EncounterRecord, ParticipantRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import ENCOUNTER_TYPES
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel

ID_ROLE = Qt.ItemDataRole.UserRole


class EncounterEditor(QDialog):
    """Emits :attr:`saved` with the stored record, then closes."""

    saved = Signal(object)  # EncounterRecord

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        encounter: EncounterRecord | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.encounter = encounter
        self.setWindowTitle("Edit session" if encounter else "New session")
        self.setMinimumSize(460, 520)

        self.type_combo = QComboBox(self)
        self.type_combo.setAccessibleName("Session type")
        for slug, label in ENCOUNTER_TYPES:
            self.type_combo.addItem(label, slug)
        self.title = QLineEdit(self)
        self.title.setAccessibleName("Session title")
        self.title.setPlaceholderText("e.g. Home visit with Lara")
        self.date = QDateEdit(self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("d MMM yyyy")
        self.date.setAccessibleName("Session date")
        self.participants = QListWidget(self)
        self.participants.setAccessibleName("Participants")
        self.summary = QPlainTextEdit(self)
        self.summary.setAccessibleName("Summary")
        self.summary.setPlaceholderText("A line or two about the session (optional)")
        self.summary.setMaximumHeight(90)
        self.message = MessageLabel(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Type:", self.type_combo)
        form.addRow("Title:", self.title)
        form.addRow("Date:", self.date)
        form.addRow("Participants:", self.participants)
        form.addRow("Summary:", self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        chosen: set[str] = set()
        if encounter is not None:
            self.type_combo.setCurrentIndex(
                max(0, self.type_combo.findData(encounter.encounter_type))
            )
            self.title.setText(encounter.title)
            self.date.setDate(QDate(encounter.date))
            self.summary.setPlainText(encounter.summary)
            chosen = set(encounter.participant_ids)
        else:
            self.date.setDate(QDate.currentDate())
        self.loaded = False
        self.save_button.setEnabled(False)
        runner.submit(
            service.list_participants,
            on_result=lambda people: self._fill_participants(people, chosen),
            on_error=lambda error: self.message.show_error(describe(error)),
            owner=self,
        )
        self.title.setFocus()

    def _fill_participants(self, people: list[ParticipantRecord], chosen: set[str]) -> None:
        for person in people:
            item = QListWidgetItem(person.label, self.participants)
            item.setData(ID_ROLE, person.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if person.id in chosen else Qt.CheckState.Unchecked
            )
        if not people:
            self.message.show_info("Add participants in the Participants view to link them here.")
        self.loaded = True
        self.save_button.setEnabled(True)

    def check_participant(self, participant_id: str, checked: bool = True) -> None:
        for row in range(self.participants.count()):
            item = self.participants.item(row)
            if item.data(ID_ROLE) == participant_id:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def chosen_participants(self) -> list[str]:
        items = (self.participants.item(row) for row in range(self.participants.count()))
        return [
            str(item.data(ID_ROLE)) for item in items if item.checkState() == Qt.CheckState.Checked
        ]

    def submit(self) -> None:
        title = self.title.text().strip()
        if not title:
            self.message.show_error("Give the session a title.")
            self.title.setFocus()
            return
        fields: dict[str, Any] = {
            "encounter_type": str(self.type_combo.currentData()),
            "title": title,
            "on": _to_date(self.date.date()),
            "participant_ids": self.chosen_participants(),
            "summary": self.summary.toPlainText(),
        }
        self.save_button.setEnabled(False)
        if self.encounter is None:
            kind = fields.pop("encounter_type")
            self.runner.submit(
                self.service.add_encounter,
                kind,
                on_result=self._saved,
                on_error=self._failed,
                **fields,
            )
        else:
            self.runner.submit(
                self.service.update_encounter,
                self.encounter.id,
                on_result=self._saved,
                on_error=self._failed,
                **fields,
            )

    def _saved(self, record: EncounterRecord) -> None:
        self.saved.emit(record)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_error(describe(error))


def _to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())
