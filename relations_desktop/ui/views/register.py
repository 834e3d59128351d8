"""The register page: sites and families, one tab each; and the words the register's
slugs are shown with (here, the profile report and the panels use them).

Ctrl+N adds a site or a family while the page has the focus (elsewhere it is a new
session), Ctrl+S saves the one being edited.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from relations_desktop.core.store.models import (
    Household,
    Involvement,
    LivingArrangement,
    SiteType,
)
from relations_desktop.ui.views.register_panel import RegisterPanel

NOT_RECORDED = "Not recorded"
SITE_TYPE_LABELS: dict[str, str] = {
    SiteType.DRUG_TREATMENT.value: "Drug treatment",
    SiteType.CHILD_PROTECTION.value: "Child protection",
    SiteType.FAMILY_SUPPORT.value: "Family support",
    SiteType.PREGNANCY_SERVICES.value: "Pregnancy services",
    SiteType.OTHER.value: "Other",
}
HOUSEHOLD_LABELS: dict[str, str] = {
    Household.CO_HABITING.value: "Co-habiting",
    Household.SINGLE_PARENT.value: "Single parent",
    Household.CO_PARENTING_APART.value: "Co-parenting apart",
}
LIVING_LABELS: dict[str, str] = {
    LivingArrangement.WITH_PARENTS.value: "With parents",
    LivingArrangement.WITH_OTHER_PARENT.value: "With the other parent",
    LivingArrangement.FOSTER_CARE.value: "Foster care",
    LivingArrangement.KINSHIP_CARE.value: "Kinship care",
    LivingArrangement.ADOPTED.value: "Adopted",
    LivingArrangement.INDEPENDENT.value: "Living independently",
}
INVOLVEMENT_LABELS: dict[str, str] = {
    Involvement.NONE.value: "None",
    Involvement.CURRENT.value: "Current",
    Involvement.PAST.value: "Past",
}


def _words(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


def site_type_label(slug: str) -> str:
    return SITE_TYPE_LABELS.get(slug, _words(slug))


def household_label(slug: str | None) -> str:
    return HOUSEHOLD_LABELS.get(slug, _words(slug)) if slug else NOT_RECORDED


def living_label(slug: str) -> str:
    return LIVING_LABELS.get(slug, _words(slug))


SITES, FAMILIES = range(2)


class RegisterView(QWidget):
    """Holds the two panels it is given (the workspace builds them)."""

    status_message = Signal(str)

    def __init__(
        self, sites: RegisterPanel, families: RegisterPanel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.sites = sites
        self.families = families
        heading = QLabel("Register", self)
        heading.setObjectName("viewTitle")
        hint = QLabel("The study's sites and families. People are in Participants (Ctrl+2).", self)
        hint.setObjectName("hint")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(12)
        top.addWidget(hint)
        top.addStretch(1)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(sites, "Sites")
        self.tabs.addTab(families, "Families")
        for panel in (sites, families):
            panel.status_message.connect(self.status_message)
        self.tabs.currentChanged.connect(self._tab_changed)
        self._tab = SITES
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    @property
    def panel(self) -> RegisterPanel:
        return self.families if self.tabs.currentIndex() == FAMILIES else self.sites

    def show_tab(self, tab: int) -> None:
        self.tabs.setCurrentIndex(tab)

    def _tab_changed(self, tab: int) -> None:
        left = self.families if self._tab == FAMILIES else self.sites
        self._tab = tab
        left.flush()
        self.panel.refresh()

    def refresh(self) -> None:
        self.panel.refresh()

    def focus_list(self) -> None:
        self.panel.table.setFocus()

    def new_record(self) -> None:
        self.panel.new_record()

    # Ctrl+N and Ctrl+S belong to the page while it has the focus.
    def event(self, event: QEvent) -> bool:
        override = event.type() == QEvent.Type.ShortcutOverride
        if override and isinstance(event, QKeyEvent) and _ours(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.New):
            self.panel.new_record()
        elif event.matches(QKeySequence.StandardKey.Save):
            self.panel.save()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def flush(self) -> None:
        self.sites.flush()
        self.families.flush()

    def wipe(self) -> None:
        self.sites.wipe()
        self.families.wipe()


def _ours(event: QKeyEvent) -> bool:
    return event.matches(QKeySequence.StandardKey.New) or event.matches(
        QKeySequence.StandardKey.Save
    )
