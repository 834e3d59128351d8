"""Settings kept in the store: for now, the idle time before the window locks itself."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QWidget

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel

AUTO_LOCK_SETTING = "auto_lock_minutes"
MIN_AUTO_LOCK, MAX_AUTO_LOCK = 1, 240


class SettingsDialog(QDialog):
    auto_lock_changed = Signal(int)  # minutes, after it was stored

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        auto_lock_minutes: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.setWindowTitle("Settings")
        self.auto_lock = QSpinBox(self)
        self.auto_lock.setRange(MIN_AUTO_LOCK, MAX_AUTO_LOCK)
        self.auto_lock.setSuffix(" minutes")
        self.auto_lock.setValue(auto_lock_minutes)
        self.auto_lock.setAccessibleName("Lock after idle time")
        hint = QLabel("The window locks itself after this long without keyboard or mouse use.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.message = MessageLabel(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.setContentsMargins(24, 20, 24, 20)
        form.addRow("Lock after:", self.auto_lock)
        form.addRow("", hint)
        form.addRow(self.message)
        form.addRow(buttons)

    def submit(self) -> None:
        minutes = self.auto_lock.value()
        self.runner.submit(
            self.service.set_setting,
            AUTO_LOCK_SETTING,
            minutes,
            on_result=lambda _r: self._saved(minutes),
            on_error=self._failed,
            owner=self,
        )

    def _saved(self, minutes: int) -> None:
        self.auto_lock_changed.emit(minutes)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))
