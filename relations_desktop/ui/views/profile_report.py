"""The study's profile, like its own summary slides: parents, families, children, sites
and professionals, each a card with its total and its breakdown.

Read again every time the page is shown. “Copy as text” puts the same report the
command line prints (``ProfileReport.lines()``) on the clipboard.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.register import ProfileReport
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.views.register import (
    NOT_RECORDED,
    SITE_TYPE_LABELS,
    household_label,
    living_label,
    site_type_label,
)
from relations_desktop.ui.widgets.message import MessageLabel

CARD_STYLE = """
QFrame#profileCard { background: #ffffff; border: 1px solid #e3e5e0; border-radius: 10px; }
QLabel#cardTitle { font-weight: 600; color: #374151; font-size: 11pt; }
QLabel#cardTotal { font-size: 28pt; font-weight: 600; color: #2f6f73; }
QLabel#cardGroup { font-weight: 600; color: #6b7280; }
QLabel#factLabel { color: #374151; }
QLabel#factValue { color: #111827; font-weight: 600; }
"""

Facts = list[tuple[str, str] | str]  # (label, value) rows; a plain string starts a group


class ProfileCard(QFrame):
    def __init__(self, title: str, total: int, facts: Facts, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("profileCard")
        self.setAccessibleName(title)
        heading = QLabel(title, self)
        heading.setObjectName("cardTitle")
        number = QLabel(str(total), self)
        number.setObjectName("cardTotal")
        number.setAccessibleName(f"{title}: total")
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(0, 1)
        for row, fact in enumerate(facts):
            if isinstance(fact, str):
                group = QLabel(fact, self)
                group.setObjectName("cardGroup")
                group.setContentsMargins(0, 6, 0, 0)
                grid.addWidget(group, row, 0, 1, 2)
                continue
            label, value = fact
            name = QLabel(label, self)
            name.setObjectName("factLabel")
            name.setWordWrap(True)
            shown = QLabel(value, self)
            shown.setObjectName("factValue")
            shown.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            shown.setAccessibleName(f"{title}: {label}")
            grid.addWidget(name, row, 0)
            grid.addWidget(shown, row, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 16)
        layout.setSpacing(2)
        layout.addWidget(heading)
        layout.addWidget(number)
        layout.addLayout(grid)
        layout.addStretch(1)


def _sector(text: str) -> str:
    return text[:1].upper() + text[1:] if text else NOT_RECORDED


def report_cards(report: ProfileReport) -> list[tuple[str, int, Facts]]:
    """What each card shows: title, total, and the rows beneath."""
    parents: Facts = [("Mothers", str(report.mothers)), ("Fathers", str(report.fathers))]
    if report.other_parents:
        parents.append(("Other parents", str(report.other_parents)))
    parents += [
        ("Age range", report.parent_age_range or NOT_RECORDED),
        ("On opioid substitution therapy", str(report.parents_on_ost)),
    ]
    families: Facts = [(household_label(k), str(v)) for k, v in report.households.items()]
    unrecorded = report.families - sum(report.households.values())
    if unrecorded > 0:
        families.append((NOT_RECORDED, str(unrecorded)))
    children: Facts = [
        ("Aged 16 and under", str(report.children_16_and_under)),
        ("Adult (18 and over)", str(report.children_adult)),
    ]
    if report.children_age_unknown:
        children.append(("Age not known, or 17", str(report.children_age_unknown)))
    children.append("Living arrangements")
    children += [(living_label(k), str(v)) for k, v in report.living_arrangements.items()]
    children += [
        "Involvement with services",
        ("Child protection, current", str(report.child_protection_current)),
        ("Child protection, past", str(report.child_protection_past)),
        ("Family support", str(report.family_support)),
    ]
    by_type = report.sites_by_type
    order = [t for t in SITE_TYPE_LABELS if t in by_type] + [
        t for t in by_type if t not in SITE_TYPE_LABELS
    ]
    sites: Facts = [(site_type_label(t), str(by_type[t])) for t in order]
    professionals: Facts = [(_sector(k), str(v)) for k, v in report.professionals_by_sector.items()]
    cards = [
        ("Parents", report.parents, parents),
        ("Families", report.families, families),
        ("Children", report.children, children),
        ("Sites", report.sites, sites),
        ("Professionals", report.professionals, professionals),
    ]
    others = report.family_members + report.child_participants
    if others:
        also: Facts = [
            ("Other family members", str(report.family_members)),
            ("Children taking part", str(report.child_participants)),
        ]
        cards.append(("Also met", others, also))
    return cards


# Where each card goes: row, column, rows spanned (Children is the tall one).
PLACES = {
    "Parents": (0, 0, 1),
    "Families": (0, 1, 1),
    "Children": (0, 2, 2),
    "Sites": (1, 0, 1),
    "Professionals": (1, 1, 1),
    "Also met": (2, 0, 1),
}


class ProfileReportView(QWidget):
    status_message = Signal(str)

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.report: ProfileReport | None = None
        self.facts: dict[tuple[str, str], str] = {}
        self.setStyleSheet(CARD_STYLE)

        heading = QLabel("Study profile", self)
        heading.setObjectName("viewTitle")
        hint = QLabel(
            "Who the study has met so far, from the register. People who withdrew their "
            "data are left out.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.copy_button = QPushButton("Copy as text", self)
        self.copy_button.setToolTip("Copy the report as plain text, one fact per line")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_text)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.copy_button)
        self.message = MessageLabel(self)

        self.cards = QWidget()
        self.cards.setObjectName("profileCards")
        self.grid = QGridLayout(self.cards)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(14)
        for column in range(3):
            self.grid.setColumnStretch(column, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.cards)
        scroll.setStyleSheet("QScrollArea, #profileCards { background: transparent; }")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addWidget(self.message)
        layout.addWidget(scroll, 1)

    def refresh(self) -> None:
        self.runner.submit(
            self.service.register.profile_report,
            on_result=self._show,
            on_error=lambda error: self.message.show_error(describe(error)),
            owner=self,
        )

    def _show(self, report: ProfileReport) -> None:
        self.report = report
        self.message.clear_message()
        self._clear_cards()
        self.facts = {}
        for title, total, facts in report_cards(report):
            self.facts[(title, "Total")] = str(total)
            for fact in facts:
                if not isinstance(fact, str):
                    self.facts[(title, fact[0])] = fact[1]
            row, column, span = PLACES[title]
            card = ProfileCard(title, total, facts, self.cards)
            self.grid.addWidget(card, row, column, span, 1)
            card.show()  # now, not at the layout's queued show
        self.grid.setRowStretch(3, 1)
        self.copy_button.setEnabled(True)

    def _clear_cards(self) -> None:
        while (item := self.grid.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()

    def fact(self, card: str, label: str = "Total") -> str:
        return self.facts.get((card, label), "")

    def text(self) -> str:
        return "\n".join(self.report.lines()) if self.report is not None else ""

    def copy_text(self) -> None:
        if self.report is None:
            return
        QGuiApplication.clipboard().setText(self.text())
        self.status_message.emit("The profile report was copied as text")

    def flush(self) -> None:
        """Nothing is edited here."""

    def wipe(self) -> None:
        self.report = None
        self.facts = {}
        self._clear_cards()
        self.copy_button.setEnabled(False)
