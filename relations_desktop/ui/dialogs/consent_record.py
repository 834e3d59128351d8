"""Take consent: a form version, an answer per item, and how it was given.

Signed on screen (the signature pad), a paper form (its scan attached) or verbally (a
recording of one of the participant's sessions and the time in it). For a child, either
a parent's consent (with who gave it) or the child's own assent. Required items must be
answered yes; the core checks everything again and its refusal is shown here, with
nothing typed lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.records import ConsentFormRecord, ConsentRecordView
from relations_desktop.core.records import ParticipantRecord, RecordingRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import format_date, format_duration, local_time
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.consent_items import (
    ItemAnswers,
    ScanPicker,
    given_by_combo,
    given_by_value,
    ordered_forms,
    scrolled,
)
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.signature_pad import SignaturePad

METHODS = (("signed", "Signed on screen"), ("paper", "Paper form"), ("verbal", "Verbal"))
_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d)\s*$")


def parse_time(text: str) -> float | None:
    """``"02:30"`` → 150.0; anything else → None."""
    match = _TIME.match(text)
    return None if match is None else int(match.group(1)) * 60.0 + int(match.group(2))


@dataclass(frozen=True)
class ConsentChoices:
    forms: list[ConsentFormRecord]
    parents: list[ParticipantRecord]  # offered as "given by" for a child
    recordings: list[tuple[str, RecordingRecord]]  # (label, recording) of their sessions


def load_choices(service: StoreService, participant: ParticipantRecord) -> ConsentChoices:
    """(runs on the task runner)"""
    forms = service.consent.list_forms()
    people = service.list_participants()
    members: set[str] = set()
    if participant.family_id:
        members = set(service.register.get_family(participant.family_id).member_ids)
    adults = [p for p in people if p.kind != "child" and not p.is_withdrawn]
    parents = [p for p in adults if p.id in members] or [p for p in adults if p.kind == "parent"]
    recordings: list[tuple[str, RecordingRecord]] = []
    for encounter in service.list_encounters():
        if participant.id not in encounter.participant_ids:
            continue
        for rec in service.recordings.list(encounter.id):
            when = format_date(local_time(rec.started_at).date())
            label = f"{encounter.title}, {when} ({format_duration(rec.duration_seconds)})"
            recordings.append((label, rec))
    return ConsentChoices(forms, parents, recordings)


class ConsentRecordDialog(QDialog):
    """Emits :attr:`saved` with the stored :class:`ConsentRecordView`, then closes."""

    saved = Signal(object)

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        participant: ParticipantRecord,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.participant = participant
        self.is_child = participant.kind == "child"
        self.choices = ConsentChoices([], [], [])
        self.discard_prompt: QMessageBox | None = None
        self._closing = False
        self.setWindowTitle(f"Take consent: {participant.label}")
        self.setMinimumSize(680, 720)
        self._build()
        self.runner.submit(load_choices, service, participant, on_result=self._loaded,
                           on_error=lambda e: self.message.show_error(describe(e)))  # fmt: skip

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        heading = QLabel(f"Consent of {self.participant.label}", self)
        heading.setObjectName("sessionTitle")
        self.party_parent = QRadioButton("Parent or carer's consent", self)
        self.party_assent = QRadioButton("Child's own assent", self)
        self.party_group = QButtonGroup(self)
        for button in (self.party_parent, self.party_assent):
            self.party_group.addButton(button)
        self.party_parent.setChecked(True)
        self.party_group.buttonToggled.connect(self._party_changed)
        party_row = QHBoxLayout()
        party_row.setContentsMargins(0, 0, 0, 0)
        party_row.addWidget(self.party_parent)
        party_row.addWidget(self.party_assent)
        party_row.addStretch(1)
        self.party_box = QWidget(self)
        self.party_box.setLayout(party_row)
        self.given_by = given_by_combo(self)
        self.form_combo = QComboBox(self)
        self.form_combo.setAccessibleName("Consent form")
        self.form_combo.currentIndexChanged.connect(self._form_changed)
        self.form_info = QLabel(self)
        self.form_info.setObjectName("hint")
        self.form_info.setWordWrap(True)

        self.items = ItemAnswers(self)

        self.method_group = QButtonGroup(self)
        method_row = QHBoxLayout()
        for slug, label in METHODS:
            button = QRadioButton(label, self)
            button.setProperty("method", slug)
            self.method_group.addButton(button)
            method_row.addWidget(button)
        method_row.addStretch(1)
        self.method_buttons = {b.property("method"): b for b in self.method_group.buttons()}
        self.method_buttons["signed"].setChecked(True)
        self.method_group.buttonToggled.connect(self._method_changed)
        self.pages = QStackedWidget(self)
        self.pad = SignaturePad(self)
        self.pages.addWidget(self.pad)
        self.scan_picker = ScanPicker(self)
        self.pages.addWidget(self.scan_picker)
        self.pages.addWidget(self._verbal_page())
        self.date = QDateEdit(QDate.currentDate(), self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("d MMM yyyy")
        self.date.setMaximumDate(QDate.currentDate())
        self.date.setAccessibleName("Date consent was given")

        self.message = MessageLabel(self)
        self.items.changed.connect(self._answers_changed)
        self.scan_picker.refused.connect(self.message.show_error)
        self.scan_picker.chosen.connect(self.message.clear_message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = QPushButton("Save consent", self)
        self.save_button.setObjectName("primary")
        self.save_button.setDefault(True)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        self.top_form = form = QFormLayout()
        form.addRow("Who agrees:", self.party_box)
        form.addRow("Given by:", self.given_by)
        form.addRow("Form:", self.form_combo)
        form.addRow("", self.form_info)
        form.setRowVisible(self.party_box, self.is_child)
        bottom = QFormLayout()
        bottom.addRow("How:", method_row)
        bottom.addRow("", self.pages)
        bottom.addRow("Date:", self.date)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(scrolled(self.items, self, 220), 1)
        layout.addLayout(bottom)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._party_changed()
        self._method_changed()

    def _verbal_page(self) -> QWidget:
        page = QWidget(self)
        self.recording_combo = QComboBox(page)
        self.recording_combo.setAccessibleName("Recording where consent was given")
        self.time_edit = QLineEdit("00:00", page)
        self.time_edit.setAccessibleName("Time in the recording (mm:ss)")
        self.time_edit.setMaximumWidth(90)
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.recording_combo, 1)
        row.addWidget(QLabel("at", page))
        row.addWidget(self.time_edit)
        return page

    # ---------------------------------------------------------------- filling
    def _loaded(self, choices: ConsentChoices) -> None:
        self.choices = choices
        for person in choices.parents:
            self.given_by.addItem(person.label, person.id)
        self.given_by.setCurrentIndex(-1)
        for label, rec in choices.recordings:
            self.recording_combo.addItem(label, rec.id)
        if not choices.recordings:
            self.recording_combo.addItem("No recordings of their sessions yet", None)
        self._fill_forms()

    @property
    def party(self) -> str | None:
        if not self.is_child:
            return None
        return "parent" if self.party_parent.isChecked() else "assent"

    def _audience(self) -> str:
        return {"parent": "parent", "assent": "child"}.get(self.party or "", "adult")

    def _fill_forms(self) -> None:
        self.form_combo.blockSignals(True)
        self.form_combo.clear()
        for form in ordered_forms(self.choices.forms, self._audience()):
            self.form_combo.addItem(form.label, form)
        self.form_combo.setCurrentIndex(0 if self.form_combo.count() else -1)
        self.form_combo.blockSignals(False)
        self._form_changed()

    def _party_changed(self, *_args: Any) -> None:
        self.top_form.setRowVisible(self.given_by, self.party == "parent")
        self._fill_forms()

    def form(self) -> ConsentFormRecord | None:
        data = self.form_combo.currentData()
        return data if isinstance(data, ConsentFormRecord) else None

    def _form_changed(self, *_args: Any) -> None:
        form = self.form()
        self.items.set_items(form.items if form else ())
        if form is None:
            self.form_info.setText("No consent form for this yet: import one first.")
            return
        parts = [f"Version {form.version}"]
        if form.form_date:
            parts.append(f"dated {format_date(form.form_date)}")
        if form.ethics_reference:
            parts.append(f"ethics approval {form.ethics_reference}")
        self.form_info.setText(", ".join(parts) + ". Unanswered optional items count as No.")

    def _method_changed(self, *_args: Any) -> None:
        self.pages.setCurrentIndex([m for m, _ in METHODS].index(self.method))

    @property
    def method(self) -> str:
        checked = self.method_group.checkedButton()
        return str(checked.property("method")) if checked else "signed"

    def _answers_changed(self) -> None:
        if self.message.property("tone") == "error" and not self.items.problems():
            self.message.clear_message()

    # ------------------------------------------------------------------- save
    def _problem(self) -> tuple[str, QWidget | None] | None:
        form = self.form()
        if form is None:
            return "Choose a consent form first.", self.form_combo
        problems = self.items.problems()
        if problems:
            return problems[0]
        if self.party == "parent" and not self.given_by.currentText().strip():
            return "Say which parent or carer gave consent (given by).", self.given_by
        if self.method == "signed" and self.pad.is_empty:
            return (
                "Ask them to sign in the box (or choose Paper form or Verbal).",
                self.pad.canvas,
            )
        if self.method == "paper" and self.scan_picker.scan is None:
            return "Attach the scan of the signed paper form (Choose scan…).", (
                self.scan_picker.button
            )
        if self.method == "verbal":
            if self.recording_combo.currentData() is None:
                return "Choose the recording in which consent was given.", self.recording_combo
            if parse_time(self.time_edit.text()) is None:
                return "Give the time in the recording as minutes:seconds, e.g. 02:30.", (
                    self.time_edit
                )
        return None

    def submit(self) -> None:
        problem = self._problem()
        if problem is not None:
            text, widget = problem
            self.message.show_error(text)
            if widget is not None:
                widget.setFocus()
            return
        form = self.form()
        assert form is not None
        kwargs: dict[str, Any] = {
            "party": self.party,
            "given_by": given_by_value(self.given_by) if self.party == "parent" else "",
            "given_on": self.date.date().toPython(),
        }
        if self.method == "signed":
            kwargs["signature"] = self.pad.signature()
        elif self.method == "paper" and self.scan_picker.scan is not None:
            kwargs["scan_name"], kwargs["scan"] = self.scan_picker.scan
        elif self.method == "verbal":
            kwargs["recording_id"] = self.recording_combo.currentData()
            kwargs["recording_offset"] = parse_time(self.time_edit.text())
        self.save_button.setEnabled(False)
        self.message.show_info("Saving…")
        self.runner.submit(
            self.service.consent.record,
            self.participant.id,
            form.id,
            self.items.answers(),
            self.method,
            on_result=self._saved,
            on_error=self._failed,
            **kwargs,
        )

    def _saved(self, record: ConsentRecordView) -> None:
        self._closing = True
        self.saved.emit(record)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_error(describe(error))

    # ----------------------------------------------------------------- cancel
    def is_dirty(self) -> bool:
        typed = self.items.any_answered() or not self.pad.is_empty
        return typed or self.scan_picker.scan is not None

    def reject(self) -> None:
        if self._closing or not self.is_dirty():
            super().reject()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Discard this consent?",
            "The answers given so far are not saved. Discard them?",
            parent=self,
        )
        box.setAccessibleName("Discard this consent?")
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: self._discard() if button is discard else None)
        self.discard_prompt = box
        box.open()

    def _discard(self) -> None:
        self._closing = True
        super().reject()
