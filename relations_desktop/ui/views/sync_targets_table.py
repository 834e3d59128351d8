"""The sync targets' table (Team → Outbox → Sync targets, ``ui/views/sync_targets.py``):
its columns and tooltips, and the panel's buttons."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QPushButton, QTableView, QWidget

from relations_desktop.core.sync import TargetRecord
from relations_desktop.ui.sync_background import KIND_WORDS, clock_text
from relations_desktop.ui.views.team_roster import TipTableModel, short_key
from relations_desktop.ui.widgets.record_table import Column


def host_key_text(t: TargetRecord) -> str:
    if t.kind != "sftp":
        return "–"
    return short_key(t.host_key_fingerprint, 14, 6) if t.host_key else "not confirmed"


def counts_text(t: TargetRecord) -> str:
    """Pending, sent and failed deliveries: "1 pending, 2 sent"."""
    counts = ((t.pending, "pending"), (t.sent, "sent"), (t.failed, "failed"))
    return ", ".join(f"{n} {word}" for n, word in counts if n) or "none yet"


def error_tip(t: TargetRecord) -> str:
    """The last error, with what kind of problem it is when that needs a person."""
    words = KIND_WORDS.get(t.problem) if t.failed else None
    return f"{words.capitalize()}: {t.last_error}" if words and t.last_error else t.last_error


COLUMNS: list[Column[TargetRecord]] = [
    Column("Kind", lambda t: "SFTP" if t.kind == "sftp" else "Folder"),
    Column("Location", lambda t: t.location),
    Column("Enabled", lambda t: "Yes" if t.enabled else "No"),
    Column("Host key", host_key_text),
    Column("Bundles", lambda t: counts_text(t)),
    Column("Next retry", lambda t: clock_text(t.next_attempt_at) if t.next_attempt_at else "–"),
    Column("Last error", lambda t: t.last_error or "–"),
]
TIPS: dict[int, Callable[[TargetRecord], str]] = {
    3: lambda t: t.host_key_fingerprint or "No host key pinned yet",
    4: lambda t: f"{t.pending} pending, {t.sent} sent, {t.failed} failed",
    6: error_tip,
}


def make_button(
    parent: QWidget, text: str, name: str, tip: str, slot: Callable[[], None]
) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def targets_table(parent: QWidget, model: TipTableModel[TargetRecord]) -> QTableView:
    table = QTableView(parent)
    table.setObjectName("syncTargetsTable")
    table.setModel(model)
    table.setAccessibleName("Sync targets")
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setMaximumHeight(140)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
    header.setHighlightSections(False)
    return table
