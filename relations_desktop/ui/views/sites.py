"""Sites: name, type (drug treatment, child protection, family support, pregnancy
services…), region and notes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QPlainTextEdit, QWidget

from relations_desktop.core.register import SiteRecord
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import SiteType
from relations_desktop.ui.labels import REGION_EXAMPLES
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.register import SITE_TYPE_LABELS, site_type_label
from relations_desktop.ui.views.register_panel import RegisterPanel, editable_combo
from relations_desktop.ui.widgets.record_table import Column

SITE_COLUMNS: list[Column[SiteRecord]] = [
    Column("Name", lambda s: s.name),
    Column("Type", lambda s: site_type_label(s.site_type)),
    Column("Region", lambda s: s.region),
]


class SitesPanel(RegisterPanel):
    noun = "site"
    plural = "sites"

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(service, runner, SITE_COLUMNS, parent)

    def build_editor(self, form: QFormLayout) -> None:
        self.name = QLineEdit(self.editor)
        self.name.setAccessibleName("Site name")
        self.name.setPlaceholderText("e.g. Riverside Recovery Service")
        self.site_type = QComboBox(self.editor)
        self.site_type.setAccessibleName("Site type")
        for slug, label in SITE_TYPE_LABELS.items():
            self.site_type.addItem(label, slug)
        self.region = editable_combo(self.editor, REGION_EXAMPLES, "Region")
        self.notes = QPlainTextEdit(self.editor)
        self.notes.setAccessibleName("Notes")
        self.notes.setPlaceholderText("Optional: what the service does, how you reached it")
        self.notes.setMaximumHeight(140)
        form.addRow("Name:", self.name)
        form.addRow("Type:", self.site_type)
        form.addRow("Region:", self.region)
        form.addRow("Notes:", self.notes)
        self.name.textEdited.connect(self.mark_dirty)
        self.site_type.currentIndexChanged.connect(self.mark_dirty)
        self.region.editTextChanged.connect(self.mark_dirty)
        self.notes.textChanged.connect(self.mark_dirty)
        self.name.returnPressed.connect(self.save)
        line = self.region.lineEdit()
        if line is not None:
            line.returnPressed.connect(self.save)

    def fetch(self) -> tuple[list[SiteRecord], None]:
        return self.service.register.list_sites(), None

    def fill_editor(self, record: SiteRecord | None) -> None:
        self.name.setText(record.name if record else "")
        slug = record.site_type if record else SiteType.DRUG_TREATMENT.value
        self.site_type.setCurrentIndex(max(0, self.site_type.findData(slug)))
        self.region.setEditText(record.region if record else "")
        self.notes.setPlainText(record.notes if record else "")

    def check(self) -> str | None:
        if not self.name.text().strip():
            return "Give the site a name."
        return None

    def save_job(self) -> Callable[[], SiteRecord]:
        register = self.service.register
        fields = {
            "name": self.name.text().strip(),
            "site_type": str(self.site_type.currentData()),
            "region": self.region.currentText().strip(),
            "notes": self.notes.toPlainText().strip(),
        }
        if self.current is None:
            name, site_type = fields.pop("name"), fields.pop("site_type")
            return lambda: register.add_site(name, site_type, **fields)
        site_id = self.current.id
        return lambda: register.update_site(site_id, **fields)

    def describe_record(self, record: SiteRecord) -> str:
        return f"Site “{record.name}”"

    def heading(self, record: SiteRecord) -> str:
        return record.name

    def first_field(self) -> QWidget:
        return self.name
