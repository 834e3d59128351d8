"""My researcher profile: name, role, institution, region and email, as the team and
the consent certificates know me."""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.register import ResearcherProfile
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import REGION_EXAMPLES
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel

ROLE_EXAMPLES = (
    "Principal Investigator",
    "Co-Investigator",
    "Research Fellow",
    "Researcher",
    "Research Assistant",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _editable_combo(parent: QWidget, examples: tuple[str, ...], name: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setEditable(True)
    combo.addItems(list(examples))
    combo.setCurrentIndex(-1)
    combo.setAccessibleName(name)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    return combo


class ResearcherProfileDialog(QDialog):
    """Loads the profile, saves it through the task runner; emits :attr:`saved`."""

    saved = Signal(object)  # ResearcherProfile

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.loaded = False
        self.setWindowTitle("My researcher profile")
        self.setMinimumWidth(460)

        self.name = QLineEdit(self)
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("your name, as the team knows you")
        self.role = _editable_combo(self, ROLE_EXAMPLES, "Role")
        self.institution = QLineEdit(self)
        self.institution.setAccessibleName("Institution")
        self.institution.setPlaceholderText("e.g. University of Stirling")
        self.region = _editable_combo(self, REGION_EXAMPLES, "Region")
        self.email = QLineEdit(self)
        self.email.setAccessibleName("Email")
        self.email.setPlaceholderText("optional")
        note = QLabel(
            "Shown to the team with what you send, and on the consent certificates you take.",
            self,
        )
        note.setObjectName("hint")
        note.setWordWrap(True)
        self.message = MessageLabel(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Role:", self.role)
        form.addRow("Institution:", self.institution)
        form.addRow("Region:", self.region)
        form.addRow("Email:", self.email)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        runner.submit(
            service.register.researcher_profile,
            on_result=self._loaded,
            on_error=lambda error: self.message.show_error(describe(error)),
            owner=self,
        )
        self.name.setFocus()

    def _loaded(self, profile: ResearcherProfile) -> None:
        self.name.setText(profile.name)
        self.role.setEditText(profile.role)
        self.institution.setText(profile.institution)
        self.region.setEditText(profile.region)
        self.email.setText(profile.email)
        self.loaded = True
        self.save_button.setEnabled(True)

    def fields(self) -> dict[str, str]:
        return {
            "name": self.name.text().strip(),
            "role": self.role.currentText().strip(),
            "institution": self.institution.text().strip(),
            "region": self.region.currentText().strip(),
            "email": self.email.text().strip(),
        }

    def submit(self) -> None:
        if not self.loaded:
            return
        fields = self.fields()
        if not fields["name"]:
            self.message.show_error("Give your name: the team sees it with what you send.")
            self.name.setFocus()
            return
        if fields["email"] and not _EMAIL.match(fields["email"]):
            self.message.show_error(
                "That email address does not look complete: it should be like "
                "name@university.ac.uk."
            )
            self.email.setFocus()
            return
        self.save_button.setEnabled(False)
        self.runner.submit(
            self.service.register.update_researcher_profile,
            on_result=self._saved,
            on_error=self._failed,
            owner=self,
            **fields,
        )

    def _saved(self, profile: ResearcherProfile) -> None:
        self.saved.emit(profile)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_error(describe(error))
