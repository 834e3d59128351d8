"""Set a new passphrase (twice, with strength feedback); forced after a recovery unlock."""

from __future__ import annotations

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


class NewPassphraseDialog(QDialog):
    """Accepted once ``change_passphrase`` succeeded.

    With ``forced`` (after opening with the recovery identity) it cannot be dismissed:
    its only way out without a new passphrase is "Quit", which rejects it.
    """

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        forced: bool = False,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.forced = forced
        self._quitting = False
        self.setWindowTitle("Relations Desktop — new passphrase")
        self.setMinimumWidth(480)

        if forced:
            text = (
                "<b>You opened the store with the team's recovery identity.</b><br>"
                "Choose a new passphrase now; the old one will no longer open the store."
            )
        else:
            text = (
                "<b>Choose a new passphrase.</b><br>Your data is not re-encrypted; only the "
                "key that opens it is wrapped again. The old passphrase stops working."
            )
        intro = QLabel(text)
        intro.setWordWrap(True)
        self.current = QLineEdit(self)
        self.current.setEchoMode(QLineEdit.EchoMode.Password)
        self.current.setAccessibleName("Current passphrase")
        self.passphrases = PassphrasePair("New passphrase", self)
        self.message = MessageLabel(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.save_button.setText("Set passphrase")
        self.save_button.setAccessibleName("Set passphrase")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if forced:
            cancel.setText("Quit")
            cancel.clicked.connect(self._quit)
        else:
            cancel.clicked.connect(self.reject)
        self.buttons.accepted.connect(self.submit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(intro)
        form = QFormLayout()
        if not forced:
            form.addRow("Current passphrase", self.current)
        self.passphrases.add_rows(form)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        (self.passphrases.first if forced else self.current).setFocus()

    def reject(self) -> None:
        # Escape and the window's close button must not skip a forced change.
        if self.forced and not self._quitting:
            self.message.show_error("Set a new passphrase first, or choose Quit.")
            return
        super().reject()

    def _quit(self) -> None:
        self._quitting = True
        self.reject()

    def submit(self) -> None:
        problem = self.passphrases.problem()
        if not self.forced and not self.current.text():
            problem = "Type your current passphrase."
        if problem:
            self.message.show_error(problem)
            return
        self.message.show_info("Saving the new passphrase…")
        set_busy(self, True)
        self.runner.submit(
            self.service.change_passphrase,
            self.passphrases.passphrase(),
            None if self.forced else self.current.text(),
            on_result=self._changed,
            on_error=self._failed,
            owner=self,
        )

    def _changed(self, _result: object) -> None:
        set_busy(self, False)
        self.passphrases.clear()
        self.current.clear()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        set_busy(self, False)
        self.message.show_error(describe(error))
