"""Create or edit a session (an encounter): type, title, date, site, who took part.

Also the top of a session's page (:class:`EncounterHeader`): everyone present with a
consent badge, and the banner of a session flagged for review after a withdrawal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.records import ConsentState, EncounterFlagRecord
from relations_desktop.core.records import EncounterRecord, ParticipantRecord
from relations_desktop.core.register import SiteRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import ENCOUNTER_TYPES, encounter_type_label, format_date
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.consent_badges import ConsentBadges
from relations_desktop.ui.widgets.message import MessageLabel

ID_ROLE = Qt.ItemDataRole.UserRole
BANNER_STYLE = (
    "QFrame#flagBanner { background: #fff4d6; border: 1px solid #e9c46a; border-radius: 6px; }"
    "QFrame#flagBanner QLabel { color: #7a4b00; }"
)


# ------------------------------------------------------------------ consent
def consent_view(parent: QWidget, empty: str) -> ConsentBadges:
    """Everyone present and what their consent allows (read-only, a badge each)."""
    view = ConsentBadges((), parent, empty_text=empty)
    view.setAccessibleName("Consent of those present")
    return view


def show_states(view: ConsentBadges, states: list[ConsentState]) -> None:
    """Replace the badges; the old ones are blanked at once (their deletion comes later,
    and a lock must leave no name in any widget)."""
    for badge in view.badges:
        badge.clear()
        badge.setToolTip("")
        badge.setAccessibleName("")
    view.set_states(states)


class FlagBanner(QFrame):
    """A session flagged for review (someone in it withdrew their data); hidden otherwise."""

    resolve_requested = Signal(list)  # the flag ids

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("flagBanner")
        self.setAccessibleName("Review needed")
        self.setStyleSheet(BANNER_STYLE)
        self.flags: list[EncounterFlagRecord] = []
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.resolve_button = QPushButton("Mark reviewed", self)
        self.resolve_button.setAccessibleName("Mark reviewed")
        self.resolve_button.setToolTip("You have reviewed this session after the withdrawal")
        self.resolve_button.clicked.connect(
            lambda: self.resolve_requested.emit([f.id for f in self.flags])
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 8, 6)
        row.addWidget(self.text, 1)
        row.addWidget(self.resolve_button, 0, Qt.AlignmentFlag.AlignTop)
        self.set_flags([])

    def set_flags(self, flags: list[EncounterFlagRecord]) -> None:
        self.flags = list(flags)
        lines = ["⚑ Review needed: this session changed after a withdrawal."]
        self.text.setText("\n".join(lines + [f.message for f in self.flags]))
        self.resolve_button.setEnabled(True)
        self.setVisible(bool(self.flags))


# ----------------------------------------------------------------- the session page
@dataclass(frozen=True)
class Overview:
    encounter_id: str
    states: list[ConsentState]
    flags: list[EncounterFlagRecord]


def overview(service: StoreService, encounter_id: str) -> Overview:
    """(worker thread) The consent of those present and the open review flags."""
    return Overview(
        encounter_id,
        service.consent.encounter_states(encounter_id),
        service.consent.encounter_flags(encounter_id),
    )


def resolve_flags(service: StoreService, flag_ids: list[str]) -> None:
    for flag_id in flag_ids:
        service.consent.resolve_flag(flag_id)


class EncounterHeader(QWidget):
    """The top of a session's page: title, type, date, site, review banner, who was there."""

    reviewed = Signal()  # flags were resolved: the list of sessions changes
    status_message = Signal(str)

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.encounter_id: str | None = None
        self.title_label = QLabel(self)
        self.title_label.setObjectName("sessionTitle")
        self.meta_label = QLabel(self)
        self.meta_label.setObjectName("hint")
        self.meta_label.setWordWrap(True)
        self.banner = FlagBanner(self)
        self.banner.resolve_requested.connect(self.resolve)
        present = QLabel("Present", self)
        present.setObjectName("sectionTitle")
        self.consent = consent_view(self, "Nobody is linked to this session yet.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget in (self.title_label, self.meta_label, self.banner, present, self.consent):
            layout.addWidget(widget)

    def show_encounter(self, record: EncounterRecord, site_name: str | None) -> None:
        """Show the session's heading and (from the store) its consent and flags."""
        if record.id != self.encounter_id:
            self.encounter_id = record.id
            show_states(self.consent, [])
            self.banner.set_flags([])
        self.title_label.setText(record.title)
        meta = [encounter_type_label(record.encounter_type), format_date(record.date)]
        if record.site_id:
            meta.append(site_name or "(unknown site)")
        self.meta_label.setText("  ·  ".join(meta))
        self.runner.submit(
            overview, self.service, record.id, on_result=self._show_overview, owner=self
        )

    def _show_overview(self, info: Overview) -> None:
        if info.encounter_id == self.encounter_id:
            show_states(self.consent, info.states)
            self.banner.set_flags(info.flags)

    def resolve(self, flag_ids: list[str]) -> None:
        """Mark reviewed: the session is no longer flagged."""
        if not flag_ids:
            return
        self.banner.resolve_button.setEnabled(False)
        self.runner.submit(
            resolve_flags,
            self.service,
            flag_ids,
            on_result=lambda _none: self._resolved(),
            on_error=self._resolve_failed,
            owner=self,
        )

    def _resolved(self) -> None:
        self.status_message.emit("Session marked as reviewed")
        self.reviewed.emit()

    def _resolve_failed(self, error: BaseException) -> None:
        self.banner.resolve_button.setEnabled(True)
        self.status_message.emit(describe(error))

    def clear(self) -> None:
        self.encounter_id = None
        self.title_label.clear()
        self.meta_label.clear()
        show_states(self.consent, [])
        self.banner.set_flags([])


# ------------------------------------------------------------------------ dialog
DialogContext = tuple[list[ParticipantRecord], list[SiteRecord], dict[str, ConsentState]]


def dialog_context(service: StoreService) -> DialogContext:
    """(worker thread) Everyone, the sites, and everyone's consent state."""
    people = service.list_participants()
    states = {p.id: service.consent.state(p.id) for p in people}
    return people, service.register.list_sites(), states


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
        self.states: dict[str, ConsentState] = {}
        self.setWindowTitle("Edit session" if encounter else "New session")
        self.setMinimumSize(620, 600)  # room for a consent badge on a line

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
        self.site_combo = QComboBox(self)
        self.site_combo.setAccessibleName("Site")
        self.site_combo.addItem("No site", None)
        self.participants = QListWidget(self)
        self.participants.setAccessibleName("Participants")
        self.participants.itemChanged.connect(lambda _item: self._show_consent())
        self.consent = consent_view(self, "Tick who takes part to see their consent.")
        self.summary = QPlainTextEdit(self)
        self.summary.setTabChangesFocus(True)
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
        form.addRow("Site:", self.site_combo)
        form.addRow("Participants:", self.participants)
        form.addRow("Consent:", self.consent)
        form.addRow("Summary:", self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        chosen: set[str] = set()
        site_id: str | None = None
        if encounter is not None:
            self.type_combo.setCurrentIndex(
                max(0, self.type_combo.findData(encounter.encounter_type))
            )
            self.title.setText(encounter.title)
            self.date.setDate(QDate(encounter.date))
            self.summary.setPlainText(encounter.summary)
            chosen = set(encounter.participant_ids)
            site_id = encounter.site_id
        else:
            self.date.setDate(QDate.currentDate())
        self.loaded = False
        self.save_button.setEnabled(False)
        runner.submit(
            dialog_context,
            service,
            on_result=lambda context: self._fill(context, chosen, site_id),
            on_error=lambda error: self.message.show_error(describe(error)),
            owner=self,
        )
        self.title.setFocus()

    def _fill(self, context: DialogContext, chosen: set[str], site_id: str | None) -> None:
        people, sites, self.states = context
        for site in sites:
            self.site_combo.addItem(site.name, site.id)
        self.site_combo.setCurrentIndex(max(0, self.site_combo.findData(site_id)))
        self.participants.blockSignals(True)
        for person in people:
            item = QListWidgetItem(person.label, self.participants)
            item.setData(ID_ROLE, person.id)
            state = self.states.get(person.id)
            item.setToolTip(state.summary if state else "")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if person.id in chosen else Qt.CheckState.Unchecked
            )
            if person.is_withdrawn:
                when = format_date(person.withdrawn_on) if person.withdrawn_on else ""
                item.setText(f"{person.label} — withdrew {when}".rstrip())
                if person.id not in chosen:  # they cannot be added; they can be removed
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
        self.participants.blockSignals(False)
        if not people:
            self.message.show_info("Add participants in the Participants view to link them here.")
        self._show_consent()
        self.loaded = True
        self.save_button.setEnabled(True)

    def _show_consent(self) -> None:
        chosen = self.chosen_participants()
        show_states(self.consent, [self.states[pid] for pid in chosen if pid in self.states])

    def check_participant(self, participant_id: str, checked: bool = True) -> None:
        for row in range(self.participants.count()):
            item = self.participants.item(row)
            if item.data(ID_ROLE) == participant_id and item.flags() & Qt.ItemFlag.ItemIsEnabled:
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
            "site_id": self.site_combo.currentData(),
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
