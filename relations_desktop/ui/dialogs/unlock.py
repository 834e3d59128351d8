"""Later runs: unlock the store with the passphrase, or with the team's recovery identity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel, set_busy

MAX_IDENTITY_FILE_BYTES = 64 * 1024

FileChooser = Callable[[QWidget], str | None]


def choose_identity_file(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(
        parent, "Choose the team's recovery identity file", "", "Age identity (*.txt *.key *)"
    )
    return path or None


def open_with_identity_file(store_dir: Path, identity_path: Path) -> StoreService:
    """Read an age identity file (small, text) and open the store with it."""
    try:
        if identity_path.stat().st_size > MAX_IDENTITY_FILE_BYTES:
            raise InvalidInput("That file is far too large to be an age identity file.")
        text = identity_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("That file is not an age identity file (it is not text).") from exc
    except OSError as exc:
        raise InvalidInput(f"The identity file cannot be read: {exc.strerror}.") from exc
    return StoreService.open(store_dir, recovery_identity=text)


class UnlockDialog(QDialog):
    """Accepted once the store is open (:attr:`service`); :attr:`used_recovery` tells how."""

    def __init__(
        self,
        store_dir: Path,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        choose_file: FileChooser = choose_identity_file,
    ) -> None:
        super().__init__(parent)
        self.store_dir = store_dir
        self.runner = runner
        self.choose_file = choose_file
        self.service: StoreService | None = None
        self.used_recovery = False
        self.setWindowTitle("Relations Desktop — unlock")
        self.setMinimumWidth(440)

        heading = QLabel("<b>Unlock your store</b>")
        where = QLabel(str(store_dir))
        where.setObjectName("hint")
        where.setWordWrap(True)
        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        form = QFormLayout()
        form.addRow("Passphrase:", self.passphrase)

        self.message = MessageLabel(self)
        self.recovery_button = QPushButton("Use recovery identity file…", self)
        self.recovery_button.setAccessibleName("Use recovery identity file")
        self.recovery_button.setAutoDefault(False)
        self.recovery_button.clicked.connect(self.use_recovery_file)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.unlock_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.unlock_button.setText("Unlock")
        self.unlock_button.setAccessibleName("Unlock")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        self.buttons.addButton(self.recovery_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(where)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.passphrase.setFocus()

    def submit(self) -> None:
        passphrase = self.passphrase.text()
        if not passphrase:
            self.message.show_error("Type your passphrase.")
            return
        self._start("Unlocking…")
        self.runner.submit(
            StoreService.open,
            self.store_dir,
            passphrase,
            on_result=self._opened,
            on_error=self._failed,
        )

    def use_recovery_file(self) -> None:
        path = self.choose_file(self)
        if not path:
            return
        self._start("Opening with the recovery identity…")
        self.used_recovery = True
        self.runner.submit(
            open_with_identity_file,
            self.store_dir,
            Path(path),
            on_result=self._opened,
            on_error=self._failed,
        )

    def _start(self, text: str) -> None:
        self.message.show_info(text)
        set_busy(self, True)

    def _opened(self, service: StoreService) -> None:
        set_busy(self, False)
        self.service = service
        self.passphrase.clear()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        set_busy(self, False)
        self.used_recovery = False
        self.message.show_error(describe(error))
        self.passphrase.selectAll()
        self.passphrase.setFocus()
