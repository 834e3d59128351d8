"""The audit log, read only: who did what and when, newest first.

Consent changes, exports, deletions, unlocks… Nothing here can be changed: the table
takes no edits and the page has no button that writes. The filter narrows the rows
shown by their action or target; “Load more” reads further back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import AuditRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import local_time
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel

PAGE = 200
ACTIONS = {
    "store_created": "Store created",
    "store_unlocked": "Store unlocked",
    "passphrase_changed": "Passphrase changed",
    "consent_form_added": "Consent form added",
    "consent_recorded": "Consent recorded",
    "consent_withdrawn": "Consent withdrawn",
    "flag_resolved": "Session review resolved",
    "recording_started": "Recording started",
    "recording_recovered": "Recording recovered after a crash",
    "recording_imported": "Recording imported",
    "recording_exported": "Recording exported",
    "transcript_exported": "Transcript exported",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def action_words(action: str) -> str:
    return ACTIONS.get(action, action.replace("_", " ").replace("-", " ").capitalize())


def _short(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value)
    return text[:8] if _UUID.match(text) else text


def compact_detail(detail: dict[str, Any]) -> str:
    return " ".join(f"{key}={_short(value)}" for key, value in detail.items())


@dataclass(frozen=True)
class AuditRow:
    """One event as the table shows it."""

    event: AuditRecord
    time: str
    researcher: str
    action: str
    target: str
    detail: str

    def matches(self, words: str) -> bool:
        haystack = f"{self.action} {self.event.action} {self.target}".lower()
        return all(word in haystack for word in words.lower().split())


COLUMNS: list[Column[AuditRow]] = [
    Column("Time", lambda r: r.time),
    Column("Researcher", lambda r: r.researcher),
    Column("Action", lambda r: r.action),
    Column("Target", lambda r: r.target),
    Column("Detail", lambda r: r.detail),
]


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditRecord]
    names: dict[str, str]  # target and researcher ids → what to call them
    limit: int


def load_page(service: StoreService, limit: int) -> AuditPage:
    """Runs on the worker thread: the events and the names of what they concern."""
    names: dict[str, str] = {}
    me = service.register.researcher_profile()
    names[me.id] = me.name
    for person in service.list_participants():
        names[person.id] = person.label  # pseudonyms only, never real names
    for encounter in service.list_encounters():
        names[encounter.id] = encounter.title
    for site in service.register.list_sites():
        names[site.id] = site.name
    for family in service.register.list_families():
        names[family.id] = family.label
    return AuditPage(service.audit_events(limit), names, limit)


def audit_row(event: AuditRecord, names: dict[str, str]) -> AuditRow:
    who = event.researcher_id
    researcher = names.get(who, f"Researcher {who[:8]}") if who else "–"
    kind = event.target_type.replace("_", " ")
    if event.target_id in names:
        target = f"{kind} {names[event.target_id]}".strip()
    else:
        target = f"{kind} {event.target_id[:8]}".strip()
    return AuditRow(
        event,
        local_time(event.at).strftime("%d %b %Y %H:%M:%S").lstrip("0"),
        researcher,
        action_words(event.action),
        target,
        compact_detail(event.detail),
    )


class AuditLogView(QWidget):
    status_message = Signal(str)

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.limit = PAGE
        self.rows: list[AuditRow] = []
        self.more = False

        heading = QLabel("Audit log", self)
        heading.setObjectName("viewTitle")
        hint = QLabel(
            "Who did what and when: consent, exports, deletions, unlocks. "
            "Newest first; nothing here can be changed.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.filter = QLineEdit(self)
        self.filter.setAccessibleName("Filter the audit log")
        self.filter.setPlaceholderText("Filter by action or target, e.g. consent")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(320)
        self.filter.textChanged.connect(self._apply_filter)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.filter)

        self.model: RecordTableModel[AuditRow] = RecordTableModel(COLUMNS, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit events")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")
        self.more_button = QPushButton("Load more", self)
        self.more_button.setToolTip(f"Read the next {PAGE} older events")
        self.more_button.clicked.connect(self.load_more)
        self.more_button.hide()
        self.message = MessageLabel(self)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label)
        bottom.addStretch(1)
        bottom.addWidget(self.more_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    def refresh(self) -> None:
        self.runner.submit(
            load_page,
            self.service,
            self.limit,
            on_result=self._fill,
            on_error=lambda error: self.message.show_error(describe(error)),
            owner=self,
        )

    def load_more(self) -> None:
        self.limit += PAGE
        self.refresh()

    def _fill(self, page: AuditPage) -> None:
        self.message.clear_message()
        self.rows = [audit_row(event, page.names) for event in page.events]
        self.more = len(page.events) >= page.limit
        self.more_button.setVisible(self.more)
        self._apply_filter()

    def _apply_filter(self) -> None:
        words = self.filter.text().strip()
        shown = [r for r in self.rows if r.matches(words)] if words else list(self.rows)
        self.model.set_records(shown)
        total = len(self.rows)
        more = " (there are older ones: Load more)" if self.more else ""
        if words:
            self.count_label.setText(f"{len(shown)} of {total} events match{more}")
        else:
            self.count_label.setText(f"{total} event{'' if total == 1 else 's'}{more}")

    def flush(self) -> None:
        """Nothing is edited here."""

    def wipe(self) -> None:
        self.rows = []
        self.model.clear()
