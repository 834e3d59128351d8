"""Add or edit a participant: who they are in the register, and their consent.

A real name, if given, goes only to the identity register. The consent section (for a
participant already saved) shows what their consent allows, the records taken, and
opens the consent, certificate and withdrawal dialogs; those save at once, on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.records import ConsentRecordView, ConsentState
from relations_desktop.core.records import ParticipantRecord
from relations_desktop.core.register import FamilyRecord, SiteRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.consent_record import ConsentRecordDialog
from relations_desktop.ui.dialogs.consent_view import PARTIES, ConsentCertificateDialog
from relations_desktop.ui.dialogs.withdrawal import WithdrawalDialog
from relations_desktop.ui.labels import (
    PARTICIPANT_KINDS,
    REGION_EXAMPLES,
    ROLE_EXAMPLES,
    format_date,
)
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.consent_badges import ConsentBadges
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel

SECTOR_EXAMPLES = ("Health", "Social work", "Drug treatment", "Third sector", "Education")
OST_CHOICES = (("Not known", None), ("Yes", True), ("No", False))
METHOD_WORDS = {"signed": "Signed on screen", "paper": "Paper form", "verbal": "Verbal"}
RECORD_COLUMNS: list[Column[ConsentRecordView]] = [
    Column("Date", lambda r: format_date(r.given_on)),
    Column("Form", lambda r: r.form_label),
    Column("Method", lambda r: METHOD_WORDS.get(r.method, r.method)),
    Column("Party", lambda r: party_text(r)),
]
BANNER_STYLE = (
    "QLabel { background: #fdecea; border: 1px solid #e0a19b; color: #7f1d1d; "
    "border-radius: 6px; padding: 6px 10px; font-weight: 600; }"
)


def party_text(record: ConsentRecordView) -> str:
    text = PARTIES.get(record.party, record.party)
    return f"{text} ({record.given_by})" if record.given_by else text


def _editable_combo(parent: QWidget, examples: tuple[str, ...], name: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setEditable(True)
    combo.addItems(list(examples))
    combo.setCurrentIndex(-1)
    combo.setAccessibleName(name)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    return combo


def withdrawal_text(person: ParticipantRecord) -> str:
    when = format_date(person.withdrawn_on) if person.withdrawn_on else "an unknown date"
    if person.withdrawal_scope == "all":
        return f"Withdrawn on {when}: their data was deleted. They are left out of every export."
    return f"Withdrawn on {when}: no further participation (the data collected is kept)."


@dataclass(frozen=True)
class ConsentFacts:
    participant: ParticipantRecord
    state: ConsentState
    records: list[ConsentRecordView]


def load_consent(service: StoreService, participant_id: str) -> ConsentFacts:
    """(runs on the task runner)"""
    return ConsentFacts(
        service.get_participant(participant_id),
        service.consent.state(participant_id),
        service.consent.records(participant_id),
    )


def load_register(service: StoreService) -> tuple[list[SiteRecord], list[FamilyRecord]]:
    return service.register.list_sites(), service.register.list_families()


class ParticipantEditor(QDialog):
    """Emits :attr:`saved` with the stored record, then closes; :attr:`consent_changed`
    when consent was taken or the participant withdrew (the dialog stays open)."""

    saved = Signal(object)  # ParticipantRecord
    consent_changed = Signal()

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
        self.facts: ConsentFacts | None = None
        self.dialog: QDialog | None = None  # the consent, certificate or withdrawal dialog
        self._register_loaded = False
        self.setWindowTitle("Edit participant" if participant else "Add participant")
        self.setMinimumWidth(640)
        if participant is not None:  # room for the consent section under the fields
            self.setMinimumHeight(760)
        self._build()
        self._fill(participant)
        runner.submit(load_register, service, on_result=self._register, on_error=self._failed)
        if participant is not None:
            self.refresh_consent()
        self.pseudonym.setFocus()

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        self.pseudonym = QLineEdit(self)
        self.pseudonym.setAccessibleName("Pseudonym")
        self.pseudonym.setPlaceholderText("the name used everywhere, e.g. Lara")
        self.role = _editable_combo(self, ROLE_EXAMPLES, "Role")
        self.region = _editable_combo(self, REGION_EXAMPLES, "Region")
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Kind")
        for slug, label in PARTICIPANT_KINDS:
            self.kind.addItem(label, slug)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.age_band = QLineEdit(self)
        self.age_band.setAccessibleName("Age band")
        self.age_band.setPlaceholderText("e.g. 25-34, 55+ or 7")
        self.sector = _editable_combo(self, SECTOR_EXAMPLES, "Sector")
        self.on_ost = QComboBox(self)
        self.on_ost.setAccessibleName("On opioid substitution therapy")
        for label, value in OST_CHOICES:
            self.on_ost.addItem(label, value)
        self.site = QComboBox(self)
        self.site.setAccessibleName("Site")
        self.site.addItem("No site", None)
        self.family = QComboBox(self)
        self.family.setAccessibleName("Family")
        self.family.addItem("No family", None)
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

        self.form = form = QFormLayout()
        form.addRow("Pseudonym:", self.pseudonym)
        form.addRow("Role:", self.role)
        form.addRow("Region:", self.region)
        form.addRow("Kind:", self.kind)
        form.addRow("Age band:", self.age_band)
        form.addRow("Sector:", self.sector)
        form.addRow("On opioid substitution therapy:", self.on_ost)
        form.addRow("Site:", self.site)
        form.addRow("Family:", self.family)
        form.addRow("Real name:", self.real_name)
        form.addRow("", self.forget_real_name)
        form.addRow("", real_note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(form)
        layout.addWidget(self._consent_section(), 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.forget_real_name.hide()

    def _consent_section(self) -> QWidget:
        box = QWidget(self)
        self.consent_box = box
        title = QLabel("Consent", box)
        title.setObjectName("sectionTitle")
        hint = QLabel("Consent and withdrawal are saved at once, without Save.", box)
        hint.setObjectName("hint")
        self.banner = QLabel(box)
        self.banner.setObjectName("withdrawnBanner")
        self.banner.setAccessibleName("Withdrawn")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()
        self.badges = ConsentBadges(parent=box, empty_text="Loading…")
        self.records_model: RecordTableModel[ConsentRecordView] = RecordTableModel(
            RECORD_COLUMNS, self
        )
        self.records = QTableView(box)
        self.records.setModel(self.records_model)
        self.records.setAccessibleName("Consent records")
        self.records.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.records.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.records.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.records.verticalHeader().hide()
        self.records.setMinimumHeight(110)
        header = self.records.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the form's title
        self.records.doubleClicked.connect(lambda _index: self.view_certificate())
        self.take_button = QPushButton("Take consent…", box)
        self.take_button.clicked.connect(self.take_consent)
        self.view_button = QPushButton("View certificate…", box)
        self.view_button.clicked.connect(self.view_certificate)
        self.withdraw_button = QPushButton("Withdraw…", box)
        self.withdraw_button.clicked.connect(self.withdraw)
        for button in (self.take_button, self.view_button, self.withdraw_button):
            button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.take_button)
        buttons.addWidget(self.view_button)
        buttons.addStretch(1)
        buttons.addWidget(self.withdraw_button)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(hint)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.banner)
        layout.addWidget(self.badges)
        layout.addWidget(self.records, 1)
        layout.addLayout(buttons)
        box.setVisible(self.participant is not None)
        return box

    # ---------------------------------------------------------------- filling
    def _fill(self, participant: ParticipantRecord | None) -> None:
        if participant is None:
            self.real_name.setPlaceholderText("optional")
            self._kind_changed()
            return
        self.pseudonym.setText(participant.pseudonym)
        self.role.setEditText(participant.role_label)
        self.region.setEditText(participant.region)
        self.kind.setCurrentIndex(max(0, self.kind.findData(participant.kind)))
        self.age_band.setText(participant.age_band)
        self.sector.setEditText(participant.sector)
        self.on_ost.setCurrentIndex([v for _, v in OST_CHOICES].index(participant.on_ost))
        if participant.has_real_name:
            # The name on file is never put into a widget; typing replaces it.
            self.real_name.setPlaceholderText("A real name is on file. Type to replace it.")
            self.forget_real_name.show()
        self._kind_changed()

    def _kind_changed(self, *_args: Any) -> None:
        kind = self.kind.currentData()
        self.form.setRowVisible(self.sector, kind == "professional")
        self.form.setRowVisible(self.on_ost, kind == "parent")

    def _register(self, register: tuple[list[SiteRecord], list[FamilyRecord]]) -> None:
        sites, families = register
        for site in sites:
            self.site.addItem(site.name, site.id)
        for family in families:
            self.family.addItem(family.label, family.id)
        if self.participant is not None:
            self.site.setCurrentIndex(max(0, self.site.findData(self.participant.site_id)))
            self.family.setCurrentIndex(max(0, self.family.findData(self.participant.family_id)))
        self._register_loaded = True

    # ---------------------------------------------------------------- consent
    def refresh_consent(self) -> None:
        if self.participant is not None:
            self.runner.submit(
                load_consent, self.service, self.participant.id,
                on_result=self._show_consent, on_error=self._failed,
            )  # fmt: skip

    def _show_consent(self, facts: ConsentFacts) -> None:
        self.facts = facts
        person = facts.participant
        self.banner.setText(withdrawal_text(person))
        self.banner.setVisible(person.is_withdrawn)
        self.badges.set_states([facts.state])
        self.records_model.set_records(facts.records)
        if facts.records:
            self.records.selectRow(len(facts.records) - 1)
        self.take_button.setEnabled(not person.is_withdrawn)
        self.take_button.setToolTip(
            "They withdrew: no new consent can be taken." if person.is_withdrawn else ""
        )
        self.view_button.setEnabled(bool(facts.records))
        self.withdraw_button.setEnabled(person.withdrawal_scope != "all")

    def selected_record(self) -> ConsentRecordView | None:
        index = self.records.currentIndex()
        return self.records_model.record(index.row()) if index.isValid() else None

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def take_consent(self) -> None:
        if self.facts is None or self.facts.participant.is_withdrawn:
            return
        dialog = ConsentRecordDialog(self.service, self.runner, self.facts.participant, self)
        dialog.saved.connect(self._consent_changed)
        self._open(dialog)

    def view_certificate(self) -> None:
        record = self.selected_record()
        if record is not None:
            self._open(ConsentCertificateDialog(self.service, self.runner, record, self))

    def withdraw(self) -> None:
        if self.facts is None or self.facts.participant.withdrawal_scope == "all":
            return
        dialog = WithdrawalDialog(self.service, self.runner, self.facts.participant, self)
        dialog.withdrawn.connect(self._consent_changed)
        self._open(dialog)

    def _consent_changed(self, *_args: Any) -> None:
        self.refresh_consent()
        self.consent_changed.emit()

    # ------------------------------------------------------------------- save
    def fields(self) -> dict[str, Any]:
        kind = str(self.kind.currentData())
        fields: dict[str, Any] = {
            "pseudonym": self.pseudonym.text().strip(),
            "role_label": self.role.currentText().strip(),
            "region": self.region.currentText().strip(),
            "kind": kind,
            "age_band": self.age_band.text().strip(),
            "sector": self.sector.currentText().strip() if kind == "professional" else "",
            "on_ost": self.on_ost.currentData() if kind == "parent" else None,
        }
        if self._register_loaded:  # otherwise the stored site and family stay as they are
            fields["site_id"] = self.site.currentData()
            fields["family_id"] = self.family.currentData()
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
                self.service.add_participant, pseudonym, role,
                on_result=self._saved, on_error=self._save_failed, **fields,
            )  # fmt: skip
        else:
            self.runner.submit(
                self.service.update_participant, self.participant.id,
                on_result=self._saved, on_error=self._save_failed, **fields,
            )  # fmt: skip

    def _saved(self, record: ParticipantRecord) -> None:
        self.real_name.clear()
        self.saved.emit(record)
        self.accept()

    def _save_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_error(describe(error))

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))
