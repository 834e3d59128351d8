"""Families: label, household, region and site; who belongs (read only: a
participant's family is set in their own details); the children as a table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import ParticipantRecord
from relations_desktop.core.register import FamilyRecord, RegisterService, SiteRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import REGION_EXAMPLES
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.register import HOUSEHOLD_LABELS, NOT_RECORDED, household_label
from relations_desktop.ui.views.register_panel import RegisterPanel, editable_combo
from relations_desktop.ui.widgets.children_table import ChildrenEditor, ChildValues
from relations_desktop.ui.widgets.record_table import Column


@dataclass
class FamilyPlan:
    """A family's save, run on the worker thread; it notes what it has done so far, so
    a save that fails half-way can be retried without making anything twice."""

    family_id: str | None
    fields: dict[str, Any]
    children: list[tuple[int, str | None, ChildValues]]
    removed: list[str]
    created_family: str | None = None
    created_children: dict[int, str] = field(default_factory=dict)
    removed_done: set[str] = field(default_factory=set)

    def run(self, register: RegisterService) -> FamilyRecord:
        family_id = self.family_id
        if family_id is None:
            rest = {k: v for k, v in self.fields.items() if k != "label"}
            family_id = register.add_family(self.fields["label"], **rest).id
            self.created_family = family_id
        else:
            register.update_family(family_id, **self.fields)
        for gone in self.removed:
            register.remove_child(gone)
            self.removed_done.add(gone)
        for key, child_id, values in self.children:
            if child_id is None:
                details = asdict(values)
                arrangement = details.pop("living_arrangement")
                self.created_children[key] = register.add_child(
                    family_id, arrangement, **details
                ).id
            else:
                register.update_child(child_id, **asdict(values))
        return register.get_family(family_id)


class FamiliesPanel(RegisterPanel):
    noun = "family"
    plural = "families"

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None):
        self.people: dict[str, ParticipantRecord] = {}
        self.plan: FamilyPlan | None = None
        columns: list[Column[FamilyRecord]] = [
            Column("Family", lambda f: f.label),
            Column("Household", lambda f: household_label(f.household)),
            Column("Children", lambda f: str(len(f.children)), align_right=True),
        ]
        super().__init__(service, runner, columns, parent)

    def build_editor(self, form: QFormLayout) -> None:
        self.label = QLineEdit(self.editor)
        self.label.setAccessibleName("Family label")
        self.label.setPlaceholderText("e.g. Family A: a label, never a surname")
        self.household = QComboBox(self.editor)
        self.household.setAccessibleName("Household")
        self.household.addItem(NOT_RECORDED, None)
        for slug, label in HOUSEHOLD_LABELS.items():
            self.household.addItem(label, slug)
        self.region = editable_combo(self.editor, REGION_EXAMPLES, "Region")
        self.site = QComboBox(self.editor)
        self.site.setAccessibleName("Site")
        self.site.addItem("No site", None)
        self.members = QListWidget(self.editor)
        self.members.setAccessibleName("Family members")
        self.members.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.members_hint = QLabel(self.editor)
        self.members_hint.setObjectName("hint")
        self.members_hint.setWordWrap(True)
        form.addRow("Label:", self.label)
        form.addRow("Household:", self.household)
        form.addRow("Region:", self.region)
        form.addRow("Site:", self.site)
        form.addRow("Members:", self.members)
        form.addRow("", self.members_hint)
        self.label.textEdited.connect(self.mark_dirty)
        self.household.currentIndexChanged.connect(self.mark_dirty)
        self.region.editTextChanged.connect(self.mark_dirty)
        self.site.currentIndexChanged.connect(self.mark_dirty)
        self.label.returnPressed.connect(self.save)

    def add_below_form(self, layout: QVBoxLayout) -> None:
        self.children_editor = ChildrenEditor(self.editor)
        self.children_editor.changed.connect(self.mark_dirty)
        layout.addWidget(self.children_editor, 1)

    def wrap_editor(self, editor: QWidget) -> QWidget:
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(editor)
        editor.setAutoFillBackground(False)  # the page's colour, not the scroll area's
        scroll.viewport().setAutoFillBackground(False)
        return scroll

    def fetch(self) -> tuple[list[FamilyRecord], tuple[list[SiteRecord], list[ParticipantRecord]]]:
        register = self.service.register
        families = register.list_families()
        return families, (register.list_sites(), self.service.list_participants())

    def use_extra(self, extra: tuple[list[SiteRecord], list[ParticipantRecord]]) -> None:
        sites, people = extra
        self.people = {p.id: p for p in people}
        chosen = self.site.currentData()
        self.site.clear()
        self.site.addItem("No site", None)
        for site in sites:
            self.site.addItem(site.name, site.id)
        self.site.setCurrentIndex(max(0, self.site.findData(chosen)))

    def fill_editor(self, record: FamilyRecord | None) -> None:
        self.plan = None
        self.label.setText(record.label if record else "")
        household = record.household if record else None
        self.household.setCurrentIndex(max(0, self.household.findData(household)))
        self.region.setEditText(record.region if record else "")
        site_id = record.site_id if record else None
        self.site.setCurrentIndex(max(0, self.site.findData(site_id)))
        self.members.clear()
        for member_id in record.member_ids if record else ():
            person = self.people.get(member_id)
            self.members.addItem(person.label if person else "(a participant not listed)")
        self.members.setVisible(self.members.count() > 0)
        rows = max(1, self.members.count())
        line = max(self.members.sizeHintForRow(0), 20)
        self.members.setFixedHeight(min(rows, 4) * line + 12)
        self.members_hint.setText(
            "Participants join a family in their own details (Participants)."
            if self.members.count()
            else "No participants in this family yet: set a participant's family in Participants."
        )
        self.children_editor.set_children(record.children if record else ())

    def check(self) -> str | None:
        if not self.label.text().strip():
            return "Give the family a label, such as Family A."
        return self.children_editor.problem()

    def save_job(self) -> Callable[[], FamilyRecord]:
        fields: dict[str, Any] = {
            "label": self.label.text().strip(),
            "household": self.household.currentData(),
            "region": self.region.currentText().strip(),
            "site_id": self.site.currentData(),
        }
        children = [
            (row.key, row.child_id, row.values())
            for row in self.children_editor.rows
            if row.child_id is None or row.values() != row.original
        ]
        plan = FamilyPlan(
            self.current.id if self.current is not None else None,
            fields,
            children,
            self.children_editor.removed_ids(),
        )
        self.plan = plan
        register = self.service.register
        return lambda: plan.run(register)

    def after_save(self, record: FamilyRecord | None) -> None:
        """Note what the save made, so saving again (after more edits, or after a
        failure half-way) does not make it twice."""
        plan, self.plan = self.plan, None
        if plan is None:
            return
        if record is None and plan.created_family is not None and self.current is None:
            fields = plan.fields
            self.current = FamilyRecord(
                plan.created_family,
                fields["label"],
                fields["household"],
                fields["region"],
                fields["site_id"],
                "",
                (),
                (),
            )
        sent = {key: values for key, _child_id, values in plan.children}
        for row in self.children_editor.rows:
            if row.key in plan.created_children:
                row.child_id = plan.created_children[row.key]
            if record is not None and row.key in sent and row.child_id is not None:
                row.original = sent[row.key]
        for removed in self.children_editor.removed:
            if removed.child_id in plan.removed_done:
                removed.child_id = None  # deleted: undo would add it again

    def describe_record(self, record: FamilyRecord) -> str:
        return f"Family “{record.label}”"

    def heading(self, record: FamilyRecord) -> str:
        return record.label

    def first_field(self) -> QWidget:
        return self.label
