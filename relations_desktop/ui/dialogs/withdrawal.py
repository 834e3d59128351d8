"""Withdraw a participant: no further participation, or their data deleted too.

For "withdraw their data too" the dialog lists what will go (the core's withdrawal
plan) and asks for the pseudonym to be typed before the red "Withdraw and delete"
button works. The withdrawal runs on the task runner (deleting and vacuuming can take
a while) with a busy indicator; nothing changes until it has succeeded.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.records import WithdrawalPlan
from relations_desktop.core.records import ParticipantRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel

DELETE_STYLE = (
    "QPushButton { background: #b3261e; color: #ffffff; border-color: #b3261e; }"
    "QPushButton:disabled { background: #f0c9c6; border-color: #f0c9c6; color: #ffffff; }"
)


class WithdrawalDialog(QDialog):
    """Emits :attr:`withdrawn` with the :class:`WithdrawalPlan` carried out, then closes."""

    withdrawn = Signal(object)

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
        self.plan: WithdrawalPlan | None = None
        self._running = False
        self.setWindowTitle(f"Withdraw {participant.label}")
        self.setMinimumSize(620, 560)

        intro = QLabel(
            f"{participant.label} no longer wishes to take part. Choose what happens.", self
        )
        intro.setWordWrap(True)
        self.future = QRadioButton("No further participation (keep the data collected)", self)
        self.all = QRadioButton("Withdraw their data too (delete it)", self)
        self.scope_group = QButtonGroup(self)
        self.scope_group.addButton(self.future)
        self.scope_group.addButton(self.all)
        if participant.withdrawal_scope == "future":
            # They already stopped taking part; only deleting their data remains.
            self.future.setEnabled(False)
            self.all.setChecked(True)
        else:
            self.future.setChecked(True)
        self.all.toggled.connect(self._scope_changed)
        self.date = QDateEdit(QDate.currentDate(), self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("d MMM yyyy")
        self.date.setMaximumDate(QDate.currentDate())
        self.date.setAccessibleName("Date of the withdrawal")
        self.note = QLineEdit(self)
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("optional, e.g. asked by phone")
        self.plan_text = QPlainTextEdit(self)
        self.plan_text.setReadOnly(True)
        self.plan_text.setAccessibleName("What will happen")
        self.confirm_label = QLabel(
            f"To confirm, type the pseudonym <b>{participant.pseudonym}</b>:", self
        )
        self.confirm = QLineEdit(self)
        self.confirm.setAccessibleName("Type the pseudonym to confirm")
        self.confirm.textChanged.connect(self._update_button)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setAccessibleName("Withdrawing")
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.message = MessageLabel(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.withdraw_button = QPushButton("Withdraw", self)
        self.withdraw_button.setAccessibleName("Withdraw")
        self.buttons.addButton(self.withdraw_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.withdraw_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("", self.future)
        form.addRow("", self.all)
        form.addRow("Date:", self.date)
        form.addRow("Note:", self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(QLabel("What will happen:", self))
        layout.addWidget(self.plan_text, 1)
        layout.addWidget(self.confirm_label)
        layout.addWidget(self.confirm)
        layout.addWidget(self.busy)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._scope_changed()

    @property
    def scope(self) -> str:
        return "all" if self.all.isChecked() else "future"

    def _scope_changed(self, *_args: Any) -> None:
        deleting = self.scope == "all"
        self.confirm_label.setVisible(deleting)
        self.confirm.setVisible(deleting)
        self.withdraw_button.setText("Withdraw and delete" if deleting else "Withdraw")
        self.withdraw_button.setAccessibleName(self.withdraw_button.text())
        self.withdraw_button.setStyleSheet(DELETE_STYLE if deleting else "")
        self.plan = None
        self.plan_text.setPlainText("Working out what this means…")
        self._update_button()
        self.runner.submit(
            self.service.consent.withdrawal_plan,
            self.participant.id,
            self.scope,
            on_result=self._show_plan,
            on_error=self._plan_failed,
        )

    def _show_plan(self, plan: WithdrawalPlan) -> None:
        if plan.scope != self.scope:
            return  # the scope changed meanwhile; its own plan is on the way
        self.plan = plan
        self.plan_text.setPlainText("\n".join(plan.lines()))
        self._update_button()

    def _plan_failed(self, error: BaseException) -> None:
        self.plan_text.setPlainText("")
        self.message.show_error(describe(error))

    @property
    def confirmed(self) -> bool:
        if self.scope != "all":
            return True
        return self.confirm.text().strip().casefold() == self.participant.pseudonym.casefold()

    def _update_button(self, *_args: Any) -> None:
        self.withdraw_button.setEnabled(
            self.plan is not None and self.confirmed and not self._running
        )

    def submit(self) -> None:
        if self.plan is None or self._running:
            return
        if not self.confirmed:
            self.message.show_error(
                f"Type the pseudonym {self.participant.pseudonym} to confirm that their data "
                "is to be deleted."
            )
            self.confirm.setFocus()
            return
        self._set_running(True)
        self.runner.submit(
            self.service.consent.withdraw,
            self.participant.id,
            self.scope,
            on=self.date.date().toPython(),
            note=self.note.text().strip(),
            on_result=self._done,
            on_error=self._failed,
        )

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.busy.setVisible(running)
        for widget in (self.future, self.all, self.date, self.note, self.confirm):
            widget.setEnabled(not running)
        if not running and self.participant.withdrawal_scope == "future":
            self.future.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(not running)
        if running:
            self.message.show_info(
                "Withdrawing…" if self.scope == "future" else
                "Deleting their data and cleaning the store file; this can take a minute…"
            )  # fmt: skip
        self._update_button()

    def _done(self, plan: WithdrawalPlan) -> None:
        self._running = False
        self.withdrawn.emit(plan)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._set_running(False)
        self.message.show_error(describe(error))

    def reject(self) -> None:
        if not self._running:  # a withdrawal under way finishes first
            super().reject()
