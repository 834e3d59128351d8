"""Team → Outbox: the bundles sealed here, newest first, and sealing a new one.

Each row: when it was sealed, how many sessions, notes and transcripts it holds, whether
it carries audio, its size, and where it is (the store's outbox, or a file elsewhere;
a file no longer there is marked). The delivery column is filled by the sync targets
(:meth:`OutboxView.set_delivery`). Verify decrypts the selected bundle with your own key
and checks its signature and every hash, writing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.bundle_io import VerifyResult
from relations_desktop.core.bundles import OutboxRecord, SealResult
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.seal_bundle import (
    SaveChooser,
    SealBundleDialog,
    choose_bundle_file,
)
from relations_desktop.ui.labels import format_bytes, local_time
from relations_desktop.ui.page_slots import call_if_any
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.views.team_roster import TipTableModel
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.record_table import Column

SEAL_KEYS = "Ctrl+Shift+B"
SYNC_PLACEHOLDER = (
    "Sending bundles on to a team folder or an SFTP server is not in this version of the app "
    "yet: use Copy path, and copy the bundle to the team's folder yourself."
)


@dataclass(frozen=True)
class OutboxRow:
    record: OutboxRecord
    delivery: str  # from the sync targets; empty until they report (shown as –)


def where(record: OutboxRecord) -> str:
    place = "Outbox" if record.in_outbox else "Elsewhere"
    return place if record.present else f"{place} (file missing)"


def count(record: OutboxRecord, key: str) -> str:
    return str(record.counts.get(key, 0))


def sealed_at(record: OutboxRecord) -> str:
    return local_time(record.sealed_at).strftime("%d %b %Y %H:%M").lstrip("0")


def delivery(row: OutboxRow) -> str:
    return row.delivery or "–"


COLUMNS: list[Column[OutboxRow]] = [
    Column("Sealed", lambda r: sealed_at(r.record)),
    Column("Sessions", lambda r: count(r.record, "encounters"), align_right=True),
    Column("Notes", lambda r: count(r.record, "fieldnotes"), align_right=True),
    Column("Transcripts", lambda r: count(r.record, "transcripts"), align_right=True),
    Column("Audio", lambda r: "Yes" if r.record.with_audio else "No"),
    Column("Size", lambda r: format_bytes(r.record.size), align_right=True),
    Column("Where", lambda r: where(r.record)),
    Column("Delivery", delivery),
]
TIPS: dict[int, Callable[[OutboxRow], str]] = {
    0: lambda r: f"Bundle {r.record.bundle_id}",
    6: lambda r: r.record.path,
}


def sealed_words(result: SealResult) -> str:
    counts = result.counts
    where_to = "in the outbox" if result.in_outbox else f"as {Path(result.path).name}"
    withheld = (
        f"; audio of {len(result.audio_withheld)} recording(s) was left out (no consent)"
        if result.audio_withheld
        else ""
    )
    return (
        f"Sealed a bundle for {result.recipients} recipient(s) {where_to}: "
        f"{counts.get('encounters', 0)} sessions, {counts.get('fieldnotes', 0)} notes, "
        f"{counts.get('transcripts', 0)} transcripts ({format_bytes(result.size)}){withheld}."
    )


def when_text(iso: str) -> str:
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return local_time(value).strftime("%d %b %Y %H:%M").lstrip("0")


def verified_words(result: VerifyResult) -> str:
    return (
        f"The bundle checks out: signed by {result.signer} (key ID {result.signer_key_id}), "
        f"sealed {when_text(result.created_at)}; {result.files} files, every hash matches. "
        "Nothing was written."
    )


class OutboxView(QWidget):
    status_message = Signal(str)
    review_requested = Signal()
    bundle_sealed = Signal()  # into the outbox or a file: the sync targets may have work

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        choose_file: SaveChooser = choose_bundle_file,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("outbox")
        self.service = service
        self.runner = runner
        self.choose_file = choose_file
        self.records: list[OutboxRecord] = []
        self.delivery: dict[str, str] = {}
        self.seal_dialog: SealBundleDialog | None = None

        hint = QLabel(
            "Sealed bundles wait here until they reach the team. Each one is encrypted to the "
            "team roster and signed with your key; sealing the same sessions again is harmless.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.seal_button = QPushButton("Seal new bundle…", self)
        self.seal_button.setObjectName("primary")
        self.seal_button.setAccessibleName("Seal a new bundle")
        self.seal_button.setToolTip(f"Seal sessions into an encrypted bundle ({SEAL_KEYS})")
        self.seal_button.clicked.connect(self.seal)
        self.copy_button = QPushButton("Copy path", self)
        self.copy_button.setAccessibleName("Copy the bundle's path")
        self.copy_button.setToolTip("Put where the selected bundle's file is on the clipboard")
        self.copy_button.clicked.connect(self.copy_path)
        self.verify_button = QPushButton("Verify", self)
        self.verify_button.setAccessibleName("Verify the selected bundle")
        self.verify_button.setToolTip(
            "Decrypt the selected bundle and check its signature and every file; writes nothing"
        )
        self.verify_button.clicked.connect(self.verify_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.seal_button)
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.verify_button)

        self.model: TipTableModel[OutboxRow] = TipTableModel(COLUMNS, TIPS, self)
        self.table = QTableView(self)
        self.table.setObjectName("outboxTable")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Sealed bundles")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")
        self.message = MessageLabel(self)
        sync_title = QLabel("Sync targets", self)
        sync_title.setObjectName("sectionTitle")
        self.sync_panel: QWidget = QLabel(SYNC_PLACEHOLDER, self)
        self.sync_panel.setObjectName("hint")
        self.sync_panel.setWordWrap(True)

        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 12, 0, 0)
        self.layout_.setSpacing(8)
        self.layout_.addWidget(hint)
        self.layout_.addLayout(buttons)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.count_label)
        self.layout_.addSpacing(6)
        self.layout_.addWidget(sync_title)
        self.layout_.addWidget(self.sync_panel)
        self._update_buttons()

    # ------------------------------------------------------------------ load
    def refresh(self) -> None:
        self.runner.submit(
            self.service.bundles.outbox, on_result=self._fill, on_error=self._failed, owner=self
        )
        call_if_any(self.sync_panel, "refresh")

    def _fill(self, records: list[OutboxRecord]) -> None:
        selected = self.selected()
        self.records = records
        self._show_rows()
        if selected is not None:
            row = self.model.row_of(lambda r: r.record.bundle_id == selected.bundle_id)
            if row >= 0:
                self.table.selectRow(row)
        total = len(records)
        self.count_label.setText(
            f"{total} bundle{'' if total == 1 else 's'} sealed" if total else "No bundle yet"
        )
        self._update_buttons()

    def set_sync_panel(self, panel: QWidget) -> None:
        """Put the sync targets' panel under the table (in place of the stand-in)."""
        self.layout_.replaceWidget(self.sync_panel, panel)
        self.sync_panel.deleteLater()
        self.sync_panel = panel

    def set_delivery(self, statuses: dict[str, str]) -> None:
        """The delivery status of each bundle, by bundle id (from the sync targets)."""
        self.delivery = dict(statuses)
        self._show_rows()

    def _show_rows(self) -> None:
        self.model.set_records(
            [OutboxRow(r, self.delivery.get(r.bundle_id, "")) for r in self.records]
        )

    def selected(self) -> OutboxRecord | None:
        rows = self.table.selectionModel().selectedRows()
        row = self.model.record(rows[0].row()) if rows else None
        return row.record if row is not None else None

    def _update_buttons(self) -> None:
        chosen = self.selected()
        self.copy_button.setEnabled(chosen is not None)
        self.verify_button.setEnabled(chosen is not None and chosen.present)

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))

    # ------------------------------------------------------------------ seal
    def open_dialog(self) -> SealBundleDialog | None:
        """The seal dialog, while it is open."""
        dialog = self.seal_dialog
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.isVisible():
            return None
        return dialog

    def seal(self) -> None:
        if (dialog := self.open_dialog()) is not None:
            dialog.raise_()
            dialog.activateWindow()
            return
        dialog = SealBundleDialog(self.service, self.runner, self, choose_file=self.choose_file)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sealed.connect(self._sealed)
        dialog.status_message.connect(self.status_message)
        dialog.review_requested.connect(self.review_requested)
        self.seal_dialog = dialog
        dialog.open()

    def _sealed(self, result: SealResult) -> None:
        self.message.show_info(sealed_words(result))
        self.status_message.emit("Bundle sealed")
        self.refresh()
        self.bundle_sealed.emit()

    # ------------------------------------------------------ path and verify
    def copy_path(self) -> None:
        record = self.selected()
        if record is None:
            return
        QGuiApplication.clipboard().setText(record.path)
        missing = "" if record.present else " (the file is no longer there)"
        self.message.show_info(f"Copied the path: {record.path}{missing}")
        self.status_message.emit("Bundle path copied")

    def verify_selected(self) -> None:
        record = self.selected()
        if record is None:
            return
        if not record.present:
            self.message.show_error(f"The bundle's file is no longer at {record.path}.")
            return
        self.verify_button.setEnabled(False)
        self.message.show_info("Verifying…")
        self.runner.submit(
            self.service.bundles.verify,
            Path(record.path),
            on_result=self._verified,
            on_error=self._verify_failed,
            owner=self,
        )

    def _verified(self, result: VerifyResult) -> None:
        self._update_buttons()
        self.message.show_info(verified_words(result))

    def _verify_failed(self, error: BaseException) -> None:
        self._update_buttons()
        self.message.show_error(describe(error))

    # ------------------------------------------------------------- lifecycle
    def flush(self) -> None:
        """Nothing is edited here; a seal under way is cancelled (before lock or close),
        so the store is not held up and no bundle appears unseen."""
        dialog = self.seal_dialog
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.cancel_sealing()

    def wipe(self) -> None:
        self.flush()
        self.records = []
        self.model.clear()
        self.message.clear_message()
        call_if_any(self.sync_panel, "wipe")
