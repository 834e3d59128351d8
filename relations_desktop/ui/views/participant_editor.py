"""Add or edit a participant. A real name, if given, goes only to the identity register."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import ParticipantRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import PARTICIPANT_KINDS, REGION_EXAMPLES, ROLE_EXAMPLES
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel


def _editable_combo(parent: QWidget, examples: tuple[str, ...], name: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setEditable(True)
    combo.addItems(list(examples))
    combo.setCurrentIndex(-1)
    combo.setAccessibleName(name)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    return combo


class ParticipantEditor(QDialog):
    """Emits :attr:`saved` with the stored record, then closes."""

    saved = Signal(object)  # ParticipantRecord

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        participant: ParticipantRecord | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.participant = participant
        self.setWindowTitle("Edit participant" if participant else "Add participant")
        self.setMinimumWidth(460)

        self.pseudonym = QLineEdit(self)
        self.pseudonym.setAccessibleName("Pseudonym")
        self.pseudonym.setPlaceholderText("the name used everywhere, e.g. Lara")
        self.role = _editable_combo(self, ROLE_EXAMPLES, "Role")
        self.region = _editable_combo(self, REGION_EXAMPLES, "Region")
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Kind")
        for slug, label in PARTICIPANT_KINDS:
            self.kind.addItem(label, slug)
        self.real_name = QLineEdit(self)
        self.real_name.setAccessibleName("Real name")
        self.forget_real_name = QCheckBox("Remove the real name on file", self)
        real_note = QLabel(
            "Optional. The real name is kept only in the encrypted identity register: it is "
            "never shown in lists, never exported, never sent to the team."
        )
        real_note.setObjectName("hint")
        real_note.setWordWrap(True)
        self.message = MessageLabel(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Pseudonym:", self.pseudonym)
        form.addRow("Role:", self.role)
        form.addRow("Region:", self.region)
        form.addRow("Kind:", self.kind)
        form.addRow("Real name:", self.real_name)
        form.addRow("", self.forget_real_name)
        form.addRow("", real_note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self.forget_real_name.hide()
        if participant is not None:
            self.pseudonym.setText(participant.pseudonym)
            self.role.setEditText(participant.role_label)
            self.region.setEditText(participant.region)
            self.kind.setCurrentIndex(max(0, self.kind.findData(participant.kind)))
            if participant.has_real_name:
                # The name on file is never put into a widget; typing replaces it.
                self.real_name.setPlaceholderText("A real name is on file. Type to replace it.")
                self.forget_real_name.show()
        else:
            self.real_name.setPlaceholderText("optional")
        self.pseudonym.setFocus()

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "pseudonym": self.pseudonym.text().strip(),
            "role_label": self.role.currentText().strip(),
            "region": self.region.currentText().strip(),
            "kind": str(self.kind.currentData()),
        }
        real = self.real_name.text().strip()
        if real:
            fields["real_name"] = real
        elif self.participant is not None and self.forget_real_name.isChecked():
            fields["real_name"] = ""
        return fields

    def submit(self) -> None:
        fields = self.fields()
        if not fields["pseudonym"]:
            self.message.show_error("Give the participant a pseudonym.")
            return
        if not fields["role_label"]:
            self.message.show_error("Give the participant a role, such as Mother or Social Worker.")
            return
        self.save_button.setEnabled(False)
        if self.participant is None:
            pseudonym, role = fields.pop("pseudonym"), fields.pop("role_label")
            self.runner.submit(
                self.service.add_participant,
                pseudonym,
                role,
                on_result=self._saved,
                on_error=self._failed,
                **fields,
            )
        else:
            self.runner.submit(
                self.service.update_participant,
                self.participant.id,
                on_result=self._saved,
                on_error=self._failed,
                **fields,
            )

    def _saved(self, record: ParticipantRecord) -> None:
        self.real_name.clear()
        self.saved.emit(record)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_error(describe(error))
