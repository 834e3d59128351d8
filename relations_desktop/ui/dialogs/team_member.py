"""Adding someone to the team roster, removing them, and importing a roster: before an
import the file's named signer is read, and when no principal investigator on this
roster has that key the signer's key is asked for, as confirmed out of band (what
``team import --trust-signer`` does on the command line). The core checks everything."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.services import StoreService
from relations_desktop.core.team import (
    MAX_ROSTER_BYTES,
    KeysRecord,
    RosterImport,
    TeamMemberRecord,
    read_bounded,
)
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel, set_busy

ROSTER_FILTER = "Team roster (*.json);;All files (*)"
PI_NEEDS_KEY = "A principal investigator needs a signing key: the team roster is signed with it."


def primary_button(parent: QWidget, text: str) -> QPushButton:
    """The dialog's main button (named before a button box polishes it, so it is styled)."""
    button = QPushButton(text, parent)
    button.setObjectName("primary")
    button.setAccessibleName(text)
    button.setDefault(True)
    return button


def key_field(parent: QWidget, name: str, placeholder: str) -> QLineEdit:
    """A one-line field for a key, in a fixed-width font so similar keys can be told apart."""
    field = QLineEdit(parent)
    field.setAccessibleName(name)
    field.setPlaceholderText(placeholder)
    field.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return field


@dataclass(frozen=True)
class RosterSigner:
    """Who a roster file says signed it (not yet checked), and whether a PI on this
    store's roster has that key."""

    path: Path
    name: str
    key_id: str
    trusted: bool


def read_signer(service: StoreService, path: Path) -> RosterSigner:
    """(runs on the task runner) The signer a roster file names. Only to ask the right
    question: the import itself checks the signature and everything else."""
    data = read_bounded(path, MAX_ROSTER_BYTES, "roster file")  # refuses a missing file
    try:
        signed_by = json.loads(data.decode("utf-8")).get("signed_by") or {}
        name, key = str(signed_by.get("name", "")), str(signed_by.get("signing_key", ""))
        key_id = str(signed_by.get("key_id", ""))
    except (UnicodeDecodeError, ValueError, AttributeError, RecursionError):
        return RosterSigner(path, "", "", trusted=True)  # let the import refuse it
    trusted = any(m.role == "pi" and m.signing_key == key for m in service.team.list_members())
    return RosterSigner(path, name, key_id, trusted)


def choose_roster_to_open(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Import the team roster", "", ROSTER_FILTER)
    return path or None


def choose_roster_to_save(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(
        parent, "Export the team roster", suggested, ROSTER_FILTER
    )
    return path or None


class AddMemberDialog(QDialog):
    """Name, age recipient, signing key and the PI role; the core checks every field and
    the dialog shows its refusal inline, with nothing added. With ``me`` the keys are this
    researcher's own and cannot be edited."""

    added = Signal(object)  # the TeamMemberRecord

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        me: KeysRecord | None = None,
        my_name: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add yourself to the roster" if me else "Add a team member")
        self.service = service
        self.runner = runner
        intro = QLabel(
            "Bundles are encrypted to every member's age recipient. Ask each member for "
            "theirs (Team → Keys & roster on their laptop, or 'keys show'), and add their "
            "signing key so the team can check what they send.",
            self,
        )
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.name = QLineEdit(my_name, self)
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("As the team knows them, e.g. Mhairi Campbell")
        self.recipient = key_field(self, "Age recipient", "age1…")
        self.signing_key = key_field(
            self, "Signing public key", "RW… (optional for a member, needed for a PI)"
        )
        self.pi = QCheckBox("Principal investigator (signs the team roster)", self)
        self.pi.setAccessibleName("Principal investigator")
        if me is not None:
            self.recipient.setText(me.age_recipient)
            self.signing_key.setText(me.signing_public_key)
            for field in (self.recipient, self.signing_key):
                field.setReadOnly(True)
                field.setCursorPosition(0)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Age recipient", self.recipient)
        form.addRow("Signing key", self.signing_key)
        form.addRow("Role", self.pi)
        self.message = MessageLabel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.add_button = primary_button(self, "Add to roster")
        buttons.addButton(self.add_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")
        buttons.accepted.connect(self.add)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())

    def add(self) -> None:
        name = self.name.text().strip()
        key = self.signing_key.text().strip()
        if not name:
            self.message.show_error("A team member needs a name.")
            self.name.setFocus()
            return
        if not self.recipient.text().strip():
            self.message.show_error("Paste the member's age recipient (it starts age1…).")
            self.recipient.setFocus()
            return
        if self.pi.isChecked() and not key:
            self.message.show_error(PI_NEEDS_KEY)
            self.signing_key.setFocus()
            return
        set_busy(self, True)
        self.runner.submit(
            self.service.team.add_member,
            name,
            self.recipient.text(),
            signing_key=key or None,
            role="pi" if self.pi.isChecked() else "member",
            on_result=self._added,
            on_error=self._failed,
            owner=self,
        )

    def _added(self, member: TeamMemberRecord) -> None:
        set_busy(self, False)
        self.added.emit(member)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        set_busy(self, False)
        self.message.show_error(describe(error))


class TrustSignerDialog(QDialog):
    """Who says they signed the roster, and a field for their signing public key as they
    confirm it in person or by phone (never copied from the roster or its email)."""

    confirmed = Signal(str)  # the key pasted

    def __init__(self, signer_name: str, key_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Confirm who signed the roster")
        who = signer_name or "someone"
        self.text = text = QLabel(
            f"This roster says it was signed by <b>{_escape(who)}</b> with key ID "
            f"<b>{_escape(key_id) or 'unknown'}</b>, and no principal investigator on your "
            "roster has that key yet.<br><br>Ask your principal investigator to read you "
            "their signing public key (it starts RW…) in person or by phone, and paste it "
            "below. Do not copy it from the roster file or from the message it came with: "
            "anyone could have made those.",
            self,
        )
        text.setWordWrap(True)
        text.setAccessibleName("Who signed the roster")
        self.key = key_field(self, "Principal investigator's signing public key", "RW…")
        self.message = MessageLabel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.trust_button = primary_button(self, "Trust this key and import")
        buttons.addButton(self.trust_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")
        buttons.accepted.connect(self._accept_key)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.key)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _accept_key(self) -> None:
        key = self.key.text().strip()
        if not key:
            self.message.show_error("Paste the signing public key your PI confirmed to you.")
            return
        self.confirmed.emit(key)
        self.accept()


class RosterImportJob(QObject):
    """One import: who the file names as signer, the confirmation if needed, the import."""

    imported = Signal(object)  # the RosterImport
    failed = Signal(str)
    declined = Signal()  # the signer's key was not given

    def __init__(
        self, service: StoreService, runner: TaskRunner, path: Path, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.parent_widget = parent
        self.trust_dialog: TrustSignerDialog | None = None
        runner.submit(
            read_signer, service, path, on_result=self._signer_read, on_error=self._failed
        )

    def _signer_read(self, signer: RosterSigner) -> None:
        if signer.trusted:
            self._import(signer.path, None)
            return
        dialog = TrustSignerDialog(signer.name, signer.key_id, self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.confirmed.connect(lambda key: self._import(signer.path, key))
        dialog.rejected.connect(self.declined)
        self.trust_dialog = dialog
        dialog.open()

    def _import(self, path: Path, trust_signer: str | None) -> None:
        self.runner.submit(
            self.service.team.import_roster_file,
            path,
            trust_signer=trust_signer,
            on_result=self._imported,
            on_error=self._failed,
            owner=self,
        )

    def _imported(self, done: RosterImport) -> None:
        self.imported.emit(done)

    def _failed(self, error: BaseException) -> None:
        self.failed.emit(describe(error))


def confirm_removal(
    parent: QWidget, member: TeamMemberRecord, remove: Callable[[TeamMemberRecord], None]
) -> QMessageBox:
    """Ask before taking someone off the roster; ``remove`` runs on Remove."""
    you = (
        " This is you: you can still read what you seal, but the team will not recognise "
        "your signature."
        if member.is_me
        else ""
    )
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Remove team member",
        f"Remove {member.name} from the team roster? Bundles sealed from now on are not "
        f"encrypted to them, and what they send is no longer accepted.{you}",
        parent=parent,
    )
    box.setAccessibleName("Remove team member")
    remove_button = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    remove_button.setAccessibleName("Remove")
    keep = box.addButton("Keep", QMessageBox.ButtonRole.RejectRole)
    keep.setAccessibleName("Keep")
    box.setDefaultButton(keep)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(lambda clicked: remove(member) if clicked is remove_button else None)
    box.open()
    return box


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
