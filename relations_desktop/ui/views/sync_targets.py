"""Team → Outbox → Sync targets: where sealed bundles go, and how far each has got.

A table of targets (kind, location, enabled, the pinned host key, pending / sent /
failed, the last error, the next retry); Add folder target…, Add SFTP target…, Enable
or disable, Host key…, Login…, Remove (asked first), and Sync now with progress and
Cancel. A changed host key or a refused login shows as a banner above the table (from
:class:`BackgroundSync`, which also does the syncing); the outbox's Delivery column is
filled from the same data (:attr:`SyncTargetsPanel.deliveries_changed`). The table's
columns are in ``sync_targets_table.py``.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.services import StoreService
from relations_desktop.core.sync import HostKeyInfo, SyncProgress, TargetRecord
from relations_desktop.core.sync_records import HOST_KEY_CHANGED
from relations_desktop.ui.dialogs.sync_target import (
    HostKeyCheck,
    HostKeyDialog,
    OpenChooser,
    SftpTargetDialog,
    check_host_key,
    choose_folder,
    choose_key_file,
    confirm_remove,
    pin_and_enable,
)
from relations_desktop.ui.labels import format_bytes
from relations_desktop.ui.sync_background import (
    BackgroundSync,
    Problem,
    ProblemBanner,
    SyncRun,
    SyncState,
    clock_text,
    delivery_texts,
    load_targets,
)
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.views.sync_targets_table import COLUMNS as COLUMNS
from relations_desktop.ui.views.sync_targets_table import TIPS as TIPS
from relations_desktop.ui.views.sync_targets_table import counts_text as counts_text
from relations_desktop.ui.views.sync_targets_table import host_key_text as host_key_text
from relations_desktop.ui.views.sync_targets_table import make_button, targets_table
from relations_desktop.ui.views.team_roster import TipTableModel
from relations_desktop.ui.widgets.message import MessageLabel

NO_TARGET = (
    "No sync target yet. Add a folder (a USB stick, a network share, a cloud-synced folder) "
    "or an SFTP server, and bundles in the outbox are copied there."
)


class SyncTargetsPanel(QWidget):
    status_message = Signal(str)
    deliveries_changed = Signal(dict)  # bundle id → the Delivery column's text

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        sync: BackgroundSync,
        parent: QWidget | None = None,
        *,
        choose_dir: OpenChooser = choose_folder,
        choose_key: OpenChooser = choose_key_file,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("syncTargets")
        self.service, self.runner, self.sync = service, runner, sync
        self.choose_dir, self.choose_key = choose_dir, choose_key
        self.targets: list[TargetRecord] = []
        self.dialog: QDialog | None = None  # the SFTP or host key dialog, while open
        self.prompt: QMessageBox | None = None

        self.banner = ProblemBanner(sync, self)
        self.banner.act.connect(self._banner_action)

        self.add_folder_button = make_button(
            self, "Add folder target…", "Add a folder target",
            "Copy bundles to a folder: a USB stick, a network share, a cloud-synced folder",
            self.add_folder,
        )  # fmt: skip
        self.add_sftp_button = make_button(
            self, "Add SFTP target…", "Add an SFTP target",
            "Copy bundles to a folder on an SFTP server", self.add_sftp,
        )  # fmt: skip
        self.enable_button = make_button(
            self, "Disable", "Enable or disable the target",
            "A disabled target is left out of syncing", self.toggle_enabled,
        )  # fmt: skip
        self.host_key_button = make_button(
            self, "Host key…", "Check the server's host key",
            "Ask the server for its host key and compare it with the pinned one",
            lambda: self.check_host_key(),
        )  # fmt: skip
        self.login_button = make_button(
            self, "Login…", "Set the SFTP login", "Set another login key or password",
            lambda: self.set_login(),
        )  # fmt: skip
        self.remove_button = make_button(
            self, "Remove", "Remove the target", "Forget this target (its copies stay there)",
            self.remove_selected,
        )  # fmt: skip
        self.sync_button = make_button(
            self, "Sync now", "Sync now", "Send what waits in the outbox to every enabled target",
            self.sync.sync_now,
        )  # fmt: skip
        self.sync_button.setObjectName("primary")
        buttons = QHBoxLayout()
        for button in (self.add_folder_button, self.add_sftp_button, self.enable_button,
                       self.host_key_button, self.login_button, self.remove_button):  # fmt: skip
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.sync_button)

        self.model: TipTableModel[TargetRecord] = TipTableModel(COLUMNS, TIPS, self)
        self.table = targets_table(self, self.model)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.state_label = QLabel(self)
        self.state_label.setObjectName("hint")
        self.state_label.setWordWrap(True)
        self.state_label.setAccessibleName("Sync status")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("jobProgress")
        self.progress.setAccessibleName("Sync progress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.progress.hide()
        self.cancel_button = make_button(
            self, "Cancel", "Cancel the sync", "Stop after the current block; it resumes later",
            self.sync.cancel,
        )  # fmt: skip
        self.cancel_button.hide()
        status = QHBoxLayout()
        status.addWidget(self.state_label, 1)
        status.addWidget(self.cancel_button)
        self.message = MessageLabel(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.banner)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.table)
        layout.addWidget(self.progress)
        layout.addLayout(status)

        sync.updated.connect(self._fill)
        sync.state_changed.connect(self._show_state)
        sync.running_changed.connect(self._running)
        sync.progress.connect(self._progress)
        self._update_buttons()
        self._running(sync.shown)

    # ------------------------------------------------------------------ load
    def refresh(self) -> None:
        self.runner.submit(load_targets, self.service, on_result=self._fill,
                           on_error=self._failed, owner=self)  # fmt: skip

    def _fill(self, run: SyncRun) -> None:
        chosen = self.selected()
        self.targets = run.targets
        self.model.set_records(run.targets)
        if chosen is not None and (row := self.model.row_of(lambda t: t.id == chosen.id)) >= 0:
            self.table.selectRow(row)
        self.deliveries_changed.emit(delivery_texts(run.deliveries))
        self.sync.take(run.deliveries)
        self._show_state(self.sync.state)
        self._update_buttons()

    def _show_state(self, state: SyncState) -> None:
        text = state.text
        if not self.targets:
            text = NO_TARGET
        elif not text:
            retries = [t.next_attempt_at for t in self.targets if t.next_attempt_at]
            text = f"Waiting — next try at {clock_text(min(retries))}." if retries else ""
        self.state_label.setText(text)
        self.state_label.setStyleSheet("color: #b45309;" if state.tone == "warning" else "")

    def selected(self) -> TargetRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected()
        sftp = chosen is not None and chosen.kind == "sftp"
        self.enable_button.setEnabled(chosen is not None)
        self.enable_button.setText(
            "Enable" if chosen is not None and not chosen.enabled else "Disable"
        )
        self.host_key_button.setEnabled(sftp)
        self.login_button.setEnabled(sftp)
        self.remove_button.setEnabled(chosen is not None)
        self.sync_button.setEnabled(bool(self.targets) and not self.sync.running)

    def _changed(self, text: str) -> None:
        self.message.show_info(text)
        self.status_message.emit(text)
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))

    # ------------------------------------------------------------ targets
    def add_folder(self) -> None:
        path = self.choose_dir(self)
        if not path:
            return
        self.runner.submit(
            self.service.sync.add_target, "folder", path,
            on_result=lambda t: self._changed(f"Added the folder target {t.location}."),
            on_error=self._failed, owner=self,
        )  # fmt: skip

    def add_sftp(self) -> None:
        dialog = SftpTargetDialog(self.service, self.runner, self, choose_key=self.choose_key)
        dialog.done_with.connect(self._sftp_added)
        self._open(dialog)

    def _sftp_added(self, target: TargetRecord) -> None:
        self._changed(
            f"Added {target.location}. It stays disabled until you confirm the server's host "
            "key; asking the server for it…"
        )
        self.check_host_key(target)

    def remove_selected(self) -> None:
        target = self.selected()
        if target is None:
            return
        self.prompt = confirm_remove(self, target, self._remove)

    def _remove(self, target: TargetRecord) -> None:
        self.runner.submit(
            self.service.sync.remove_target, target.id,
            on_result=lambda _: self._changed(f"Removed the target {target.location}."),
            on_error=self._failed, owner=self,
        )  # fmt: skip

    def toggle_enabled(self) -> None:
        target = self.selected()
        if target is None:
            return
        if not target.enabled and target.kind == "sftp" and not target.host_key:
            self.check_host_key(target)  # enabled once its key is confirmed
            return
        state = "Enabled" if not target.enabled else "Disabled"
        self.runner.submit(
            self.service.sync.set_enabled, target.id, not target.enabled,
            on_result=lambda t: self._changed(f"{state} the target {t.location}."),
            on_error=self._failed, owner=self,
        )  # fmt: skip

    def set_login(self, target: TargetRecord | None = None) -> None:
        target = target or self.selected()
        if target is None or target.kind != "sftp":
            return
        dialog = SftpTargetDialog(
            self.service, self.runner, self, target=target, choose_key=self.choose_key
        )
        dialog.done_with.connect(self._login_saved)
        self._open(dialog)

    def _login_saved(self, target: TargetRecord) -> None:
        self._changed(f"Saved the new login for {target.location}; it is used at the next sync.")
        self.sync.after_seal()  # what failed on the login is due again

    # ---------------------------------------------------------- host keys
    def check_host_key(self, target: TargetRecord | None = None) -> None:
        target = target or self.selected()
        if target is None or target.kind != "sftp":
            return
        self.message.show_info(f"Asking {target.location} for its host key…")
        self.runner.submit(check_host_key, self.service, target.id, on_result=self._host_key,
                           on_error=self._host_key_failed, owner=self)  # fmt: skip

    def _host_key_failed(self, error: BaseException) -> None:
        self.message.show_error(f"Could not check the host key now. {describe(error)}")

    def _host_key(self, check: HostKeyCheck) -> None:
        if check.state == "same":
            enabled = "" if check.target.enabled else " (the target is disabled)"
            self.message.show_info(
                f"{check.target.location} still presents the pinned host key "
                f"{check.fingerprint}{enabled}."
            )
            return
        self.message.clear_message()
        dialog = HostKeyDialog(check, self)
        dialog.trusted.connect(lambda fingerprint: self._trust(check, fingerprint))
        if check.state == "new":
            dialog.rejected.connect(lambda: self.message.show_info(
                f"The host key of {check.target.location} was not trusted: the target stays "
                "disabled. Check it again with Host key… once you have the fingerprint."
            ))  # fmt: skip
        self._open(dialog)

    def _trust(self, check: HostKeyCheck, fingerprint: str) -> None:
        self.runner.submit(
            pin_and_enable, self.service, check.target.id, fingerprint,
            on_result=self._pinned, on_error=self._failed, owner=self,
        )  # fmt: skip

    def _pinned(self, info: HostKeyInfo) -> None:
        self._changed(f"Pinned the host key {info.fingerprint} for {info.target}.")
        self.sync.after_seal()  # deliveries refused on the old key are due again

    # ------------------------------------------------------------- banner
    def _banner_action(self, problem: Problem) -> None:
        target = next((t for t in self.targets if t.id == problem.target_id), None)
        if target is None:
            return
        if problem.kind == HOST_KEY_CHANGED:
            self.check_host_key(target)
        else:
            self.set_login(target)

    # ------------------------------------------------------------ progress
    def _running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.progress.setValue(0)
        if running:
            self.state_label.setText("Syncing…")
        self._update_buttons()

    def _progress(self, progress: SyncProgress) -> None:
        total = max(progress.total, 1)
        self.progress.setValue(round(progress.done / total * 1000))
        self.state_label.setText(
            f"Sending to {progress.target}: "
            f"{format_bytes(progress.done)} of {format_bytes(progress.total)}"
        )

    # ------------------------------------------------------------- lifecycle
    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def open_dialog(self) -> QDialog | None:
        dialog = self.dialog
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.isVisible():
            return None
        return dialog

    def wipe(self) -> None:
        self.targets = []
        self.model.clear()
        self.message.clear_message()
