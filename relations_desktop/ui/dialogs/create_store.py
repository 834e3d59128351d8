"""First run: create the encrypted store (passphrase twice, with strength feedback)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel, set_busy
from relations_desktop.ui.widgets.passphrase import PassphrasePair


class CreateStoreDialog(QDialog):
    """Accepted once the store exists; the open service is then in :attr:`service`."""

    def __init__(self, store_dir: Path, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store_dir = store_dir
        self.runner = runner
        self.service: StoreService | None = None
        self.setWindowTitle("Relations Desktop — create your store")
        self.setMinimumWidth(520)

        intro = QLabel(
            "<b>Welcome.</b> Everything you collect is kept in one encrypted store on this "
            "computer. Choose a passphrase you will remember: without it (or your team's "
            "recovery key) nobody, not even you, can open the store."
        )
        intro.setWordWrap(True)
        where = QLabel(f"Store folder: {store_dir}")
        where.setObjectName("hint")
        where.setWordWrap(True)

        self.researcher = QLineEdit(self)
        self.researcher.setAccessibleName("Your name")
        self.researcher.setPlaceholderText("as your team knows you")
        self.project = QLineEdit("Fieldwork", self)
        self.project.setAccessibleName("Project name")
        self.recovery = QLineEdit(self)
        self.recovery.setAccessibleName("Team recovery key")
        self.recovery.setPlaceholderText("age1… (optional, from your team)")
        self.passphrases = PassphrasePair(parent=self)

        form = QFormLayout()
        form.addRow("Your name:", self.researcher)
        form.addRow("Project:", self.project)
        form.addRow("Team recovery key:", self.recovery)
        self.passphrases.add_rows(form)

        self.message = MessageLabel(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create store")
        self.create_button.setAccessibleName("Create store")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(where)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.passphrases.first.setFocus()

    def submit(self) -> None:
        problem = self.passphrases.problem()
        if problem:
            self.message.show_error(problem)
            return
        self.message.show_info("Creating the store…")
        set_busy(self, True)
        self.runner.submit(
            StoreService.create,
            self.store_dir,
            self.passphrases.passphrase(),
            researcher_name=self.researcher.text().strip() or "Researcher",
            project_name=self.project.text().strip() or "Fieldwork",
            recovery_recipient=self.recovery.text().strip() or None,
            on_result=self._created,
            on_error=self._failed,
        )

    def _created(self, service: StoreService) -> None:
        set_busy(self, False)
        self.service = service
        self.passphrases.clear()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        set_busy(self, False)
        self.message.show_error(describe(error))
