"""Team → Keys & roster: this researcher's public keys, and the signed team roster.

The keys box shows the age recipient and the signing public key with its key ID, each
with a Copy button. The roster table lists the members (you marked “(you)”): Add, Add
yourself, Remove, and the roster's export (signed, by a PI) and import, where the signer
is confirmed first when no PI here has their key (see ``RosterImportJob``). Every check
is the core's; a refusal is shown in the page and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.services import StoreService
from relations_desktop.core.team import (
    KeysRecord,
    RosterExport,
    RosterImport,
    TeamMemberRecord,
)
from relations_desktop.ui.dialogs.team_member import (
    AddMemberDialog,
    RosterImportJob,
    choose_roster_to_open,
    choose_roster_to_save,
    confirm_removal,
    key_field,
)
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.record_table import Column, Index, R, RecordTableModel

OpenChooser = Callable[[QWidget], str | None]
SaveChooser = Callable[[QWidget, str], str | None]


class TipTableModel(RecordTableModel[R]):
    """A record table whose cells can have a tooltip other than their text."""

    def __init__(
        self,
        columns: Sequence[Column[R]],
        tips: dict[int, Callable[[R], str]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(columns, parent)
        self._tips = tips

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        tip = self._tips.get(index.column())
        record = self.record(index.row())
        if role == Qt.ItemDataRole.ToolTipRole and tip is not None and record is not None:
            return tip(record)
        return super().data(index, role)


def short_key(text: str, head: int = 12, tail: int = 6) -> str:
    return text if len(text) <= head + tail + 1 else f"{text[:head]}…{text[-tail:]}"


def member_name(member: TeamMemberRecord) -> str:
    return f"{member.name} (you)" if member.is_me else member.name


def role_label(role: str) -> str:
    return "Principal investigator" if role == "pi" else "Member"


MEMBER_COLUMNS: list[Column[TeamMemberRecord]] = [
    Column("Name", member_name),
    Column("Role", lambda m: role_label(m.role)),
    Column("Age recipient", lambda m: short_key(m.age_recipient)),
    Column("Signing key ID", lambda m: m.signing_key_id or "–"),
]
MEMBER_TIPS: dict[int, Callable[[TeamMemberRecord], str]] = {
    2: lambda m: m.age_recipient,
    3: lambda m: m.signing_key or "No signing key: what this member sends cannot be checked",
}


@dataclass(frozen=True)
class RosterState:
    keys: KeysRecord
    members: list[TeamMemberRecord]
    my_name: str


def load_roster(service: StoreService) -> RosterState:
    """(runs on the task runner) My keys (made on first use), the roster, my name."""
    keys = service.team.my_keys()
    return RosterState(
        keys, service.team.list_members(), service.register.researcher_profile().name
    )


def _button(parent: QWidget, text: str, name: str, tip: str) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    return button


class TeamRosterView(QWidget):
    status_message = Signal(str)

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        choose_open: OpenChooser = choose_roster_to_open,
        choose_save: SaveChooser = choose_roster_to_save,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("teamRoster")
        self.service = service
        self.runner = runner
        self.choose_open = choose_open
        self.choose_save = choose_save
        self.state: RosterState | None = None
        self.member_dialog: AddMemberDialog | None = None
        self.import_job: RosterImportJob | None = None
        self.remove_prompt: QMessageBox | None = None

        keys_title = QLabel("Your keys", self)
        keys_title.setObjectName("sectionTitle")
        keys_hint = QLabel(
            "Give both to your principal investigator to be put on the team roster. They are "
            "public: the secret halves never leave this encrypted store.",
            self,
        )
        keys_hint.setObjectName("hint")
        keys_hint.setWordWrap(True)
        self.recipient = key_field(self, "Your age recipient", "")
        self.signing_key = key_field(self, "Your signing public key", "")
        for field in (self.recipient, self.signing_key):
            field.setReadOnly(True)
        self.key_id = QLabel(self)
        self.key_id.setAccessibleName("Your signing key ID")
        self.key_id.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_recipient = _button(
            self, "Copy", "Copy your age recipient", "Put your age recipient on the clipboard"
        )
        self.copy_recipient.clicked.connect(
            lambda: self._copy(self.recipient.text(), "Age recipient")
        )
        self.copy_signing = _button(
            self, "Copy", "Copy your signing public key", "Put your signing key on the clipboard"
        )
        self.copy_signing.clicked.connect(
            lambda: self._copy(self.signing_key.text(), "Signing public key")
        )
        keys = QGridLayout()
        keys.setColumnStretch(1, 1)
        rows = (
            ("Age recipient", self.recipient, self.copy_recipient),
            ("Signing public key", self.signing_key, self.copy_signing),
        )
        for row, (caption, field, copy) in enumerate(rows):
            keys.addWidget(QLabel(caption, self), row, 0)
            keys.addWidget(field, row, 1)
            keys.addWidget(copy, row, 2)
        keys.addWidget(QLabel("Signing key ID", self), 2, 0)
        keys.addWidget(self.key_id, 2, 1, 1, 2)

        roster_title = QLabel("Team roster", self)
        roster_title.setObjectName("sectionTitle")
        roster_hint = QLabel(
            "Bundles are encrypted to everyone here. The roster is signed by a principal "
            "investigator; import the one your PI sends you, or, as a PI, export it for the team.",
            self,
        )
        roster_hint.setObjectName("hint")
        roster_hint.setWordWrap(True)
        self.model: TipTableModel[TeamMemberRecord] = TipTableModel(
            MEMBER_COLUMNS, MEMBER_TIPS, self
        )
        self.table = QTableView(self)
        self.table.setObjectName("teamMembers")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Team members")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        remove_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        remove_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.activated.connect(self.remove_selected)

        self.add_button = _button(
            self, "Add member…", "Add a team member", "Add someone with their public keys"
        )
        self.add_button.clicked.connect(self.add_member)
        self.add_me_button = _button(
            self, "Add yourself…", "Add yourself to the roster", "Put your own keys on the roster"
        )
        self.add_me_button.clicked.connect(self.add_me)
        self.remove_button = _button(
            self, "Remove…", "Remove the team member", "Remove the selected member (Delete)"
        )
        self.remove_button.clicked.connect(self.remove_selected)
        self.export_button = _button(
            self,
            "Export roster…",
            "Export the roster",
            "Write the roster and its signature for the team (principal investigators)",
        )
        self.export_button.clicked.connect(self.export_roster)
        self.import_button = _button(
            self,
            "Import roster…",
            "Import a roster",
            "Check the signature of a roster your PI sent and make it this store's roster",
        )
        self.import_button.clicked.connect(self.import_roster)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.add_me_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)
        self.message = MessageLabel(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(keys_title)
        layout.addWidget(keys_hint)
        layout.addLayout(keys)
        layout.addSpacing(10)
        layout.addWidget(roster_title)
        layout.addWidget(roster_hint)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self._update_buttons()

    # ------------------------------------------------------------------ load
    def refresh(self) -> None:
        self.runner.submit(
            load_roster, self.service, on_result=self._fill, on_error=self._failed, owner=self
        )

    def _fill(self, state: RosterState) -> None:
        self.state = state
        self.recipient.setText(state.keys.age_recipient)
        self.signing_key.setText(state.keys.signing_public_key)
        for field in (self.recipient, self.signing_key):
            field.setCursorPosition(0)
        self.key_id.setText(state.keys.signing_key_id)
        selected = self.selected()
        self.model.set_records(state.members)
        if selected is not None:
            row = self.model.row_of(lambda m: m.id == selected.id)
            if row >= 0:
                self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> TeamMemberRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        on_roster = self.state is not None and any(m.is_me for m in self.state.members)
        self.add_me_button.setVisible(self.state is not None and not on_roster)
        self.remove_button.setEnabled(self.selected() is not None)

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))

    def _copy(self, text: str, what: str) -> None:
        if not text:
            return
        QGuiApplication.clipboard().setText(text)
        self.message.show_info(f"{what} copied to the clipboard.")
        self.status_message.emit(f"{what} copied")

    # ------------------------------------------------------- add and remove
    def add_member(self) -> None:
        self._open_member_dialog(AddMemberDialog(self.service, self.runner, self))

    def add_me(self) -> None:
        if self.state is None:
            return
        self._open_member_dialog(
            AddMemberDialog(
                self.service, self.runner, self, me=self.state.keys, my_name=self.state.my_name
            )
        )

    def _open_member_dialog(self, dialog: AddMemberDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.added.connect(self._member_added)
        self.member_dialog = dialog
        dialog.open()

    def _member_added(self, member: TeamMemberRecord) -> None:
        self.message.show_info(f"{member.name} is on the team roster ({role_label(member.role)}).")
        self.status_message.emit("Team member added")
        self.refresh()

    def remove_selected(self) -> None:
        member = self.selected()
        if member is not None:
            self.remove_prompt = confirm_removal(self, member, self._remove)

    def _remove(self, member: TeamMemberRecord) -> None:
        self.runner.submit(
            self.service.team.remove_member,
            member.id,
            on_result=lambda _r: self._removed(member),
            on_error=self._failed,
            owner=self,
        )

    def _removed(self, member: TeamMemberRecord) -> None:
        self.message.show_info(f"{member.name} was removed from the team roster.")
        self.status_message.emit("Team member removed")
        self.refresh()

    # ------------------------------------------------------ export and import
    def export_roster(self) -> None:
        path = self.choose_save(self, "roster.json")
        if not path:
            return
        self.runner.submit(
            self.service.team.export_roster,
            Path(path),
            on_result=self._exported,
            on_error=self._failed,
            owner=self,
        )

    def _exported(self, done: RosterExport) -> None:
        roster, signature = Path(done.roster_path).name, Path(done.signature_path).name
        self.message.show_info(
            f"Exported {roster} and its signature {signature} ({done.members} members, signed "
            f"with key ID {done.signer_key_id}). Send both files to the team."
        )
        self.status_message.emit("Team roster exported")

    def import_roster(self) -> None:
        path = self.choose_open(self)
        if not path:
            return
        self.message.clear_message()
        job = RosterImportJob(self.service, self.runner, Path(path), self)
        job.imported.connect(self._imported)
        job.failed.connect(self.message.show_error)
        job.declined.connect(
            lambda: self.message.show_info("Nothing was imported: the signer was not confirmed.")
        )
        self.import_job = job

    def _imported(self, done: RosterImport) -> None:
        self.message.show_info(
            f"Imported the roster signed by {done.signer_name} (key ID {done.signer_key_id}): "
            f"{done.members} members."
        )
        self.status_message.emit("Team roster imported")
        self.refresh()

    # ------------------------------------------------------------- lifecycle
    def flush(self) -> None:
        """Nothing is edited in place here."""

    def wipe(self) -> None:
        self.state = None
        self.model.clear()
        for field in (self.recipient, self.signing_key):
            field.clear()
        self.key_id.clear()
        self.message.clear_message()
