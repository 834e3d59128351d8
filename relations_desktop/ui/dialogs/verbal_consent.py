"""Verbal consent at the start of a recording, and the consent panel of the recording screen.

The panel shows the consent badges of everyone present, the refusal when someone lacks
consent, and "Record verbal consent…". That dialog takes, for each person lacking
consent (for a child: the parent's consent and/or the child's assent), the form and the
answers read out, all unanswered at first; the core checks them before the recording
starts with them, and they are kept at 00:00 of the new recording.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.forms import Governs
from relations_desktop.core.consent.records import ConsentFormRecord, ConsentState
from relations_desktop.core.consent.rules import RecordFacts, decision, latest
from relations_desktop.core.consent.service import VerbalConsent
from relations_desktop.core.records import ParticipantRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.consent_badges import ConsentBadges
from relations_desktop.ui.widgets.consent_items import (
    ItemAnswers,
    given_by_combo,
    given_by_value,
    ordered_forms,
    scrolled,
)
from relations_desktop.ui.widgets.message import MessageLabel

AUDIO = Governs.AUDIO_RECORDING.value
AUDIENCE = {None: "adult", "parent": "parent", "assent": "child"}
PARTY_WORDS = {None: "", "parent": "parent's consent", "assent": "child's assent"}
HOW_TO = (
    "Read each statement aloud and tick the answer given (nothing is ticked for them). "
    "“Start recording” begins the recording and keeps this consent at its start (00:00): "
    "ask them to say again that they agree as soon as it runs."
)


@dataclass(frozen=True)
class VerbalNeed:
    """One agreement still needed: a person's own, or a parent's or a child's for a child."""

    state: ConsentState
    party: str | None  # None (their own), "parent" or "assent"

    @property
    def title(self) -> str:
        words = PARTY_WORDS[self.party]
        return f"{self.state.label}, {words}" if words else self.state.label


@dataclass(frozen=True)
class VerbalChoices:
    needs: list[VerbalNeed]
    forms: list[ConsentFormRecord]
    givers: list[ParticipantRecord]  # who may give a parent's consent (adults first present)
    withdrawn: list[str]  # present but withdrawn: they cannot be recorded at all


def load_verbal(service: StoreService, encounter_id: str) -> VerbalChoices:
    """(runs on the task runner) Who lacks consent to recording, and for what."""
    forms = service.consent.list_forms()
    by_id = {f.id: f for f in forms}
    encounter = service.get_encounter(encounter_id)
    needs: list[VerbalNeed] = []
    withdrawn: list[str] = []
    for state in service.consent.encounter_states(encounter_id):
        if state.withdrawn_scope is not None:
            withdrawn.append(state.label)
        elif state.allows(AUDIO):
            continue
        elif state.kind != "child":
            needs.append(VerbalNeed(state, None))
        else:
            facts = [
                RecordFacts(r.party, r.given_on, r.created_at,
                            by_id[r.form_id].items if r.form_id in by_id else (), r.answers)
                for r in service.consent.records(state.participant_id)
            ]  # fmt: skip
            parent, assent = latest(facts, "parent"), latest(facts, "assent")
            if parent is None or decision(parent, AUDIO) is not True:
                needs.append(VerbalNeed(state, "parent"))
            if assent is None or decision(assent, AUDIO) is False:
                needs.append(VerbalNeed(state, "assent"))
    people = [p for p in service.list_participants() if p.kind != "child" and not p.is_withdrawn]
    present = set(encounter.participant_ids)
    givers = [p for p in people if p.id in present]
    givers += [p for p in people if p.id not in present and p.kind == "parent"]
    return VerbalChoices(needs, forms, givers, withdrawn)


class NeedPage(QWidget):
    """The form and the answers of one person (or one party, for a child)."""

    def __init__(self, need: VerbalNeed, choices: VerbalChoices, parent: QWidget) -> None:
        super().__init__(parent)
        self.need = need
        self.given_by = given_by_combo(self, choices.givers)
        self.form_combo = QComboBox(self)
        self.form_combo.setAccessibleName("Consent form")
        for form in ordered_forms(choices.forms, AUDIENCE[need.party]):
            self.form_combo.addItem(form.label, form)
        self.items = ItemAnswers(self)
        self.form_combo.currentIndexChanged.connect(self._form_changed)
        rows = QFormLayout()
        if need.party == "parent":
            rows.addRow("Given by:", self.given_by)
        rows.addRow("Form:", self.form_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(rows)
        layout.addWidget(scrolled(self.items, self), 1)
        self._form_changed()

    def form(self) -> ConsentFormRecord | None:
        data = self.form_combo.currentData()
        return data if isinstance(data, ConsentFormRecord) else None

    def _form_changed(self, *_args: object) -> None:
        form = self.form()
        self.items.set_items(form.items if form else ())

    def problem(self) -> tuple[str, QWidget | None] | None:
        if self.form() is None:
            return "there is no consent form for this; import one first.", self.form_combo
        problems = self.items.problems()
        if problems:
            return problems[0]
        if self.need.party == "parent" and not self.given_by.currentText().strip():
            return "say which parent or carer gives consent (given by).", self.given_by
        return None

    def consent(self) -> VerbalConsent:
        form = self.form()
        assert form is not None
        return VerbalConsent(
            participant_id=self.need.state.participant_id,
            form=form.id,
            answers=self.items.answers(),
            party=self.need.party,
            given_by=given_by_value(self.given_by) if self.need.party == "parent" else "",
        )


class VerbalConsentDialog(QDialog):
    """Emits :attr:`confirmed` with the checked :class:`VerbalConsent` list, then closes."""

    confirmed = Signal(object)

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        encounter_id: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.encounter_id = encounter_id
        self.pages: list[NeedPage] = []
        self.setWindowTitle("Record verbal consent")
        self.setMinimumSize(680, 620)
        how = QLabel(HOW_TO, self)
        how.setWordWrap(True)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Who gives verbal consent")
        self.message = MessageLabel(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.start_button = QPushButton("Start recording with this consent", self)
        self.start_button.setObjectName("record")
        self.start_button.setEnabled(False)
        self.buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(how)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.message.show_info("Loading…")
        runner.submit(load_verbal, service, encounter_id, on_result=self._loaded,
                      on_error=lambda e: self.message.show_error(describe(e)))  # fmt: skip

    def _loaded(self, choices: VerbalChoices) -> None:
        self.message.clear_message()
        for need in choices.needs:
            page = NeedPage(need, choices, self.tabs)
            self.pages.append(page)
            self.tabs.addTab(page, need.title)
        if choices.withdrawn:
            self.message.show_error(
                f"{', '.join(choices.withdrawn)} withdrew from the study and cannot be "
                "recorded: take them out of this session first."
            )
        elif not choices.needs:
            self.message.show_info("Everyone present has already agreed to recording.")
        self.start_button.setEnabled(bool(self.pages) and not choices.withdrawn)

    def page(self, participant_id: str, party: str | None = None) -> NeedPage:
        return next(
            p for p in self.pages
            if p.need.state.participant_id == participant_id and p.need.party == party
        )  # fmt: skip

    def submit(self) -> None:
        for index, page in enumerate(self.pages):
            problem = page.problem()
            if problem is not None:
                text, widget = problem
                self.tabs.setCurrentIndex(index)
                self.message.show_error(f"{page.need.title}: {text}")
                if widget is not None:
                    widget.setFocus()
                return
        consents = [page.consent() for page in self.pages]
        self.start_button.setEnabled(False)
        self.runner.submit(
            self.service.consent.check_recording,
            self.encounter_id,
            consents,
            on_result=lambda _none: self._checked(consents),
            on_error=self._failed,
            owner=self,
        )

    def _checked(self, consents: list[VerbalConsent]) -> None:
        self.confirmed.emit(consents)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.start_button.setEnabled(True)
        self.message.show_error(describe(error))


def consent_names(consents: Sequence[VerbalConsent], states: Sequence[ConsentState]) -> str:
    labels = {s.participant_id: s.label for s in states}
    names: list[str] = []
    for item in consents:
        name = labels.get(item.participant_id, "a participant")
        if name not in names:
            names.append(name)
    return ", ".join(names)


class RecordingConsentPanel(QFrame):
    """Badges of everyone present, the refusal, and "Record verbal consent…"."""

    verbal_ready = Signal(object)  # list[VerbalConsent], checked by the core

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("recordingConsent")
        self.service = service
        self.runner = runner
        self.encounter_id: str | None = None
        self.states: list[ConsentState] = []
        self.idle = True
        self.pending: list[VerbalConsent] = []  # verbal consent for the start under way
        self.dialog: VerbalConsentDialog | None = None
        title = QLabel("Consent of those present:", self)
        title.setObjectName("sectionTitle")
        self.badges = ConsentBadges(parent=self, empty_text="Nobody is listed as present.")
        self.verbal_button = QPushButton("Record verbal consent…", self)
        self.verbal_button.setToolTip(
            "Take the consent of those who have not agreed yet by voice, at the start of "
            "the recording"
        )
        self.verbal_button.clicked.connect(self.open_verbal)
        self.refusal = MessageLabel(self)
        self.refusal.setAccessibleName("Recording refused")
        self.verbal_label = QLabel(self)
        self.verbal_label.setObjectName("hint")
        self.verbal_label.setAccessibleName("Verbal consent")
        self.verbal_label.hide()
        row = QHBoxLayout()
        row.addWidget(title)
        row.addWidget(self.badges, 1)
        row.addWidget(self.verbal_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.refusal)
        layout.addWidget(self.verbal_label)
        self._update_button()

    def load(self, encounter_id: str) -> None:
        self.encounter_id = encounter_id
        self.runner.submit(
            self.service.consent.encounter_states, encounter_id,
            on_result=lambda states: self._show(encounter_id, states),
            on_error=lambda e: self.refusal.show_error(describe(e)), owner=self,
        )  # fmt: skip

    def _show(self, encounter_id: str, states: list[ConsentState]) -> None:
        if encounter_id != self.encounter_id:
            return
        self.states = sorted(states, key=lambda s: s.label.casefold())
        self.badges.set_states(self.states)
        if not self.lacking:
            self.refusal.clear_message()  # consent was taken meanwhile
        self._update_button()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Back on the screen: consent may have been taken or withdrawn meanwhile."""
        super().showEvent(event)
        if self.encounter_id is not None and self.idle:
            self.load(self.encounter_id)

    @property
    def lacking(self) -> list[ConsentState]:
        return [s for s in self.states if not s.allows(Governs.AUDIO_RECORDING)]

    def set_idle(self, idle: bool) -> None:
        self.idle = idle
        self._update_button()

    def _update_button(self) -> None:
        self.verbal_button.setEnabled(
            self.idle and self.encounter_id is not None and bool(self.lacking)
        )

    def clear_refusal(self) -> None:
        self.refusal.clear_message()
        self.verbal_label.hide()

    def open_verbal(self) -> None:
        if self.encounter_id is None or not self.verbal_button.isEnabled():
            return
        dialog = VerbalConsentDialog(self.service, self.runner, self.encounter_id, self)
        dialog.confirmed.connect(self.verbal_ready)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def started(self, encounter_id: str) -> None:
        """A recording started: say whose verbal consent it holds at 00:00, if any."""
        if self.pending:
            names = consent_names(self.pending, self.states)
            self.verbal_label.setText(f"Verbal consent recorded at 00:00 for {names}")
            self.verbal_label.show()
        self.pending = []
        self.load(encounter_id)

    def clear(self) -> None:
        self.encounter_id = None
        self.states = []
        self.badges.clear()
        self.clear_refusal()
        self._update_button()
