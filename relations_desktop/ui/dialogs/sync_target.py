"""Sync targets' dialogs: an SFTP target (or a new login for one), and the server's host
key, confirmed at first contact and shown with both fingerprints when it changed.

The host key is never trusted silently from here: an SFTP target added in the app stays
disabled until the user has seen the fingerprint the server presents and confirmed it;
a changed key is refused until the user asks to trust the new one *and* confirms that
again, and then exactly the key shown is pinned (``pin_host_key(expected=…)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.services import StoreService
from relations_desktop.core.sync import HostKeyInfo, TargetRecord
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel, set_busy

OpenChooser = Callable[[QWidget], str | None]
LOCATION_HINT = "ann@files.example.org/srv/relations"
KEY_NOTE = (
    "The key must have no passphrase (sync runs unattended; the key is kept inside this "
    "encrypted store). Make one just for sync: ssh-keygen -t ed25519 -N '' -f relations-sync, "
    "and give the server's administrator relations-sync.pub."
)


def choose_folder(parent: QWidget) -> str | None:
    path = QFileDialog.getExistingDirectory(parent, "Choose the folder bundles are copied to")
    return path or None


def choose_key_file(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Choose the SSH private key for sync")
    return path or None


# ------------------------------------------------------- runner functions
@dataclass(frozen=True)
class HostKeyCheck:
    target: TargetRecord
    state: str  # "new" (nothing pinned yet), "same" (the pinned key), "changed"
    fingerprint: str  # what the server presents now
    key_type: str
    pinned_fingerprint: str = ""  # "changed": the one pinned


def check_host_key(service: StoreService, target_id: str) -> HostKeyCheck:
    """(runs on the task runner) Ask the server for its host key; pins nothing and does
    not log in (``SyncService.server_fingerprint``)."""
    target = service.sync.get_target(target_id)
    offered = service.sync.server_fingerprint(target_id)
    if not offered.pinned_fingerprint:
        return HostKeyCheck(target, "new", offered.fingerprint, offered.key_type)
    if offered.matches:
        return HostKeyCheck(target, "same", offered.fingerprint, offered.key_type)
    return HostKeyCheck(
        target, "changed", offered.fingerprint, offered.key_type, offered.pinned_fingerprint
    )


def pin_and_enable(service: StoreService, target_id: str, fingerprint: str) -> HostKeyInfo:
    """(runs on the task runner) Pin exactly the key with this fingerprint; enable."""
    info = service.sync.pin_host_key(target_id, accept_new=True, expected=fingerprint)
    service.sync.set_enabled(target_id, True)
    return info


def add_sftp_target(
    service: StoreService, location: str, key_file: Path | None, password: str | None
) -> TargetRecord:
    """(runs on the task runner) Add it disabled: it is enabled once its host key is
    confirmed."""
    target = service.sync.add_target("sftp", location, key_file=key_file, password=password)
    return service.sync.set_enabled(target.id, False)


def confirm_remove(
    parent: QWidget, target: TargetRecord, remove: Callable[[TargetRecord], None]
) -> QMessageBox:
    """Ask before forgetting a target; ``remove`` runs on Remove."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Remove sync target",
        f"Remove the target {target.location}? Bundles already copied there stay there; "
        "nothing more is sent to it.",
        parent=parent,
    )
    box.setAccessibleName("Remove sync target")
    yes = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    yes.setAccessibleName("Remove")
    keep = box.addButton("Keep", QMessageBox.ButtonRole.RejectRole)
    keep.setAccessibleName("Keep")
    box.setDefaultButton(keep)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    yes.clicked.connect(lambda: remove(target))
    box.open()
    return box


# ------------------------------------------------------------------ SFTP
class SftpTargetDialog(QDialog):
    """Add an SFTP target, or (with ``target``) set another login for one."""

    done_with = Signal(object)  # the TargetRecord added or changed

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        target: TargetRecord | None = None,
        choose_key: OpenChooser = choose_key_file,
    ) -> None:
        super().__init__(parent)
        self.service, self.runner, self.target = service, runner, target
        self.choose_key = choose_key
        adding = target is None
        self.setWindowTitle("Add an SFTP target" if adding else "Set the SFTP login")
        intro = QLabel(
            "Bundles are copied to a folder on an SFTP server. The folder must already exist "
            "(ask the server's administrator)."
            if adding
            else f"A new login key or password for {target.location if target else ''}. "
            "Deliveries that failed on the login are tried again at the next sync.",
            self,
        )
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.location = QLineEdit(self)
        self.location.setPlaceholderText(LOCATION_HINT)
        self.location.setAccessibleName("Server and folder")
        self.location.setToolTip("USER@HOST[:PORT]/PATH, e.g. " + LOCATION_HINT)
        self.location.setVisible(adding)
        self.use_key = QRadioButton("Private key file", self)
        self.use_password = QRadioButton("Password", self)
        self.use_key.setAccessibleName("Log in with a private key file")
        self.use_password.setAccessibleName("Log in with a password")
        group = QButtonGroup(self)
        group.addButton(self.use_key)
        group.addButton(self.use_password)
        self.use_key.setChecked(True)
        self.key_file = QLineEdit(self)
        self.key_file.setAccessibleName("Private key file")
        self.key_file.setPlaceholderText("~/.ssh/relations-sync")
        self.browse = QPushButton("Browse…", self)
        self.browse.setAccessibleName("Choose the private key file")
        self.browse.clicked.connect(self._browse)
        self.key_note = QLabel(KEY_NOTE, self)
        self.key_note.setObjectName("hint")
        self.key_note.setWordWrap(True)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        group.buttonToggled.connect(lambda *_: self._update())

        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        location_label = QLabel("Server and folder", self)
        location_label.setVisible(adding)
        grid.addWidget(location_label, 0, 0)
        grid.addWidget(self.location, 0, 1, 1, 2)
        grid.addWidget(self.use_key, 1, 0)
        grid.addWidget(self.key_file, 1, 1)
        grid.addWidget(self.browse, 1, 2)
        grid.addWidget(self.key_note, 2, 1, 1, 2)
        grid.addWidget(self.use_password, 3, 0)
        grid.addWidget(self.password, 3, 1, 1, 2)
        self.message = MessageLabel(self)
        buttons = QDialogButtonBox(self)
        self.ok_button = QPushButton("Add" if adding else "Save login", self)
        self.ok_button.setObjectName("primary")
        self.ok_button.setAccessibleName("Add the SFTP target" if adding else "Save the login")
        self.ok_button.setDefault(True)
        buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._update()
        self.resize(560, self.sizeHint().height())

    def _update(self) -> None:
        key = self.use_key.isChecked()
        for widget in (self.key_file, self.browse, self.key_note):
            widget.setEnabled(key)
        self.password.setEnabled(not key)

    def _browse(self) -> None:
        path = self.choose_key(self)
        if path:
            self.key_file.setText(path)
            self.use_key.setChecked(True)

    def submit(self) -> None:
        key_file: Path | None = None
        password: str | None = None
        if self.use_key.isChecked():
            text = self.key_file.text().strip()
            if not text:
                self.message.show_error("Choose the private key file, or log in with a password.")
                return
            key_file = Path(text).expanduser()
        else:
            password = self.password.text()
        self.message.show_info("Checking…")
        set_busy(self, True)
        if self.target is None:
            self.runner.submit(
                add_sftp_target, self.service, self.location.text().strip(), key_file, password,
                on_result=self._done, on_error=self._failed, owner=self,
            )  # fmt: skip
        else:
            self.runner.submit(
                self.service.sync.set_credentials, self.target.id, key_file=key_file,
                password=password, on_result=self._done, on_error=self._failed, owner=self,
            )  # fmt: skip

    def _done(self, target: TargetRecord) -> None:
        set_busy(self, False)
        self.password.clear()
        self.done_with.emit(target)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        set_busy(self, False)
        self.message.show_error(describe(error))  # nothing was added or changed


# ------------------------------------------------------------- host keys
class HostKeyDialog(QDialog):
    """First contact: the fingerprint to confirm. Changed: a warning with both."""

    trusted = Signal(str)  # the fingerprint the user confirmed

    def __init__(self, check: HostKeyCheck, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.confirm_box: QMessageBox | None = None
        changed = check.state == "changed"
        where = check.target.location
        self.setWindowTitle("The server's host key changed" if changed else "Confirm the host key")
        heading = QLabel(self)
        heading.setObjectName("sectionTitle")
        heading.setWordWrap(True)
        body = QLabel(self)
        body.setWordWrap(True)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if changed:
            heading.setText(f"Warning: {where} presents a different host key")
            heading.setProperty("tone", "warning")
            body.setText(
                f"Pinned until now: {check.pinned_fingerprint}\n"
                f"Presented now: {check.fingerprint} ({check.key_type})\n\n"
                "Nothing is sent to this server while the keys differ. A server that was "
                "reinstalled or moved gets a new key, but a different key can also mean that "
                "someone is intercepting the connection.\n\n"
                "Ask the server's administrator whether the key was changed and what its new "
                "fingerprint is. Trust the new key only if it is exactly the one above."
            )
        else:
            heading.setText(f"{where} presents this host key")
            body.setText(
                f"{check.fingerprint} ({check.key_type})\n\n"
                "Compare it with the fingerprint the server's administrator gave you. Once "
                "trusted, it is pinned: a server presenting any other key is refused."
            )
        body.setAccessibleName("Host key fingerprints")
        buttons = QDialogButtonBox(self)
        self.trust_button = QPushButton("Trust the new key…" if changed else "Trust and pin", self)
        self.trust_button.setAccessibleName(
            "Trust the new host key" if changed else "Trust and pin the host key"
        )
        if not changed:
            self.trust_button.setObjectName("primary")
        buttons.addButton(self.trust_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton(
            "Keep refusing" if changed else "Not now", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.close_button.setAccessibleName(
            "Keep refusing the new key" if changed else "Do not trust the key now"
        )
        if changed:  # Enter never trusts a changed key
            self.trust_button.setAutoDefault(False)
            self.close_button.setDefault(True)
            self.close_button.setFocus()
        self.trust_button.clicked.connect(self._trust)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addWidget(buttons)
        self.resize(580, self.sizeHint().height())

    def _trust(self) -> None:
        if self.check.state != "changed":
            self.trusted.emit(self.check.fingerprint)
            self.accept()
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Trust the new host key?",
            f"Pin {self.check.fingerprint} for {self.check.target.location}?\n\n"
            "Only if the server's administrator confirmed this exact fingerprint.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        yes = box.addButton("Trust the new key", QMessageBox.ButtonRole.AcceptRole)
        yes.setAccessibleName("Yes, trust the new host key")
        no = box.addButton(QMessageBox.StandardButton.Cancel)
        no.setAccessibleName("Cancel")
        box.setDefaultButton(no)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        yes.clicked.connect(self._confirmed)
        self.confirm_box = box
        box.open()

    def _confirmed(self) -> None:
        self.trusted.emit(self.check.fingerprint)
        self.accept()
