"""Seal new bundle…: what goes in, whether audio does, and where the bundle is written.

Sealing runs on the task runner with a progress bar; Cancel (or Esc) stops it and the
core leaves no file behind. Refusals stay in the dialog in plain words: identifiers not
reviewed yet (with a button to the Review page), nothing changed since the last bundle,
an empty roster.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.bundles import NothingToSeal, SealResult
from relations_desktop.core.errors import Cancelled
from relations_desktop.core.records import EncounterRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import format_date, local_time
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import fit_height
from relations_desktop.ui.widgets.review_refusal import RefusalNote

SaveChooser = Callable[[QWidget, str], str | None]
BUNDLE_FILTER = "Relations bundle (*.age);;All files (*)"
AUDIO_WARNING = (
    "Audio cannot be pseudonymised: voices, and the names and places people say, stay as "
    "they are. The audio of anyone who did not consent to recording is left out, but "
    "include audio only if the study's data plan allows the team to receive it."
)
CANCELLED = "Sealing cancelled; no bundle was written."


@dataclass(frozen=True)
class SealChoices:
    encounters: list[EncounterRecord]
    last_sealed: datetime | None


def load_choices(service: StoreService) -> SealChoices:
    """(runs on the task runner) The sessions to choose from, and the last bundle's time."""
    return SealChoices(service.list_encounters(), service.bundles.last_sealed_at())


def choose_bundle_file(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save the bundle as", suggested, BUNDLE_FILTER)
    return path or None


class _Relay(QObject):
    """Carries progress from the worker thread to the dialog (queued)."""

    progress = Signal(float)


class SealBundleDialog(QDialog):
    sealed = Signal(object)  # the SealResult
    status_message = Signal(str)
    review_requested = Signal()

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        choose_file: SaveChooser = choose_bundle_file,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Seal a bundle for the team")
        self.service = service
        self.runner = runner
        self.choose_file = choose_file
        self.out_path: Path | None = None
        self.cancel_event: threading.Event | None = None  # set while sealing
        self.relay = _Relay(self)
        self.relay.progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)

        self.form = QWidget(self)
        intro = QLabel(
            "A bundle is encrypted to everyone on the team roster and signed with your key. "
            "Participants appear under their pseudonyms; anyone who withdrew is left out.",
            self.form,
        )
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.scope_all = QRadioButton("All sessions", self.form)
        self.scope_changed = QRadioButton("What changed since the last bundle", self.form)
        self.scope_chosen = QRadioButton("Chosen sessions:", self.form)
        self.scope = QButtonGroup(self)
        for button in (self.scope_all, self.scope_changed, self.scope_chosen):
            button.setAccessibleName(f"Seal {button.text().rstrip(':').lower()}")
            self.scope.addButton(button)
        self.scope_all.setChecked(True)
        self.sessions = QListWidget(self.form)
        self.sessions.setAccessibleName("Sessions to seal")
        self.sessions.setMinimumHeight(100)
        self.sessions.setMaximumHeight(200)
        self.scope.buttonToggled.connect(lambda *_: self._update())
        self.sessions.itemChanged.connect(lambda _item: self._update())

        self.with_audio = QCheckBox("Include audio (FLAC)", self.form)
        self.with_audio.setAccessibleName("Include audio")
        self.audio_warning = QLabel(AUDIO_WARNING, self.form)
        self.audio_warning.setObjectName("exportWarningText")
        self.audio_warning.setAccessibleName("Audio warning")
        self.audio_warning.setWordWrap(True)
        self.with_audio.toggled.connect(lambda _on: self._update())

        self.to_outbox = QRadioButton("The outbox (sent on to the team's sync targets)", self.form)
        self.to_file = QRadioButton("A file of your choice", self.form)
        self.to_outbox.setAccessibleName("Seal into the outbox")
        self.to_file.setAccessibleName("Seal into a file")
        self.destination = QButtonGroup(self)
        self.destination.addButton(self.to_outbox)
        self.destination.addButton(self.to_file)
        self.to_outbox.setChecked(True)
        self.file_label = QLabel(self.form)
        self.file_label.setObjectName("hint")
        self.file_button = QPushButton("Save as…", self.form)
        self.file_button.setAccessibleName("Choose where to save the bundle")
        self.file_button.clicked.connect(self.choose_destination)
        self.destination.buttonToggled.connect(lambda *_: self._update())

        grid = QGridLayout(self.form)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        grid.addWidget(intro, 0, 0, 1, 3)
        grid.addWidget(_caption("What", self.form), 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.scope_all, 1, 1, 1, 2)
        grid.addWidget(self.scope_changed, 2, 1, 1, 2)
        grid.addWidget(self.scope_chosen, 3, 1, 1, 2)
        grid.addWidget(self.sessions, 4, 1, 1, 2)
        grid.addWidget(_caption("Audio", self.form), 5, 0)
        grid.addWidget(self.with_audio, 5, 1, 1, 2)
        grid.addWidget(self.audio_warning, 6, 1, 1, 2)
        grid.addWidget(_caption("Where", self.form), 7, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.to_outbox, 7, 1, 1, 2)
        grid.addWidget(self.to_file, 8, 1)
        grid.addWidget(self.file_button, 8, 2)
        grid.addWidget(self.file_label, 9, 1, 1, 2)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("jobProgress")
        self.progress.setAccessibleName("Sealing progress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.progress.hide()
        self.note = RefusalNote(self)
        self.message = self.note.message
        self.review_button = self.note.review_button
        self.note.review_requested.connect(self.go_to_review)

        buttons = QDialogButtonBox(self)
        self.seal_button = QPushButton("Seal", self)
        self.seal_button.setObjectName("primary")  # before the button box polishes it
        self.seal_button.setAccessibleName("Seal the bundle")
        self.seal_button.setDefault(True)
        buttons.addButton(self.seal_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel")
        buttons.accepted.connect(self.seal)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.progress)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self._update()
        self.resize(600, self.sizeHint().height())
        runner.submit(load_choices, service, on_result=self._fill, on_error=self._failed)

    # ------------------------------------------------------------------- form
    def _fill(self, choices: SealChoices) -> None:
        self.sessions.clear()
        for encounter in choices.encounters:
            item = QListWidgetItem(f"{format_date(encounter.date)}  {encounter.title}")
            item.setData(Qt.ItemDataRole.UserRole, encounter.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.sessions.addItem(item)
        if choices.last_sealed is None:
            self.scope_changed.setText("What changed since the last bundle (none sealed yet)")
        else:
            when = local_time(choices.last_sealed)
            self.scope_changed.setText(
                f"What changed since the last bundle (sealed {format_date(when.date())}, "
                f"{when:%H:%M})"
            )
        self._update()

    def chosen_ids(self) -> list[str]:
        return [
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in (self.sessions.item(i) for i in range(self.sessions.count()))
            if item.checkState() == Qt.CheckState.Checked
        ]

    def check_sessions(self, encounter_ids: list[str]) -> None:
        """Tick these sessions (and choose "Chosen sessions")."""
        self.scope_chosen.setChecked(True)
        for i in range(self.sessions.count()):
            item = self.sessions.item(i)
            wanted = item.data(Qt.ItemDataRole.UserRole) in encounter_ids
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def choose_destination(self) -> bool:
        path = self.choose_file(self, f"bundle-{date.today():%Y-%m-%d}.age")
        if not path:
            return False
        target = Path(path)
        self.out_path = target if target.suffix else target.with_suffix(".age")
        self.to_file.setChecked(True)
        self._update()
        return True

    def _update(self) -> None:
        self.sessions.setEnabled(self.scope_chosen.isChecked())
        if self.audio_warning.isVisibleTo(self) != self.with_audio.isChecked():
            self.audio_warning.setVisible(self.with_audio.isChecked())
            fit_height(self.audio_warning)
        if self.out_path is not None:
            self.file_label.setText(str(self.out_path))
            self.file_label.setToolTip(str(self.out_path))
        self.file_label.setVisible(self.to_file.isChecked() and self.out_path is not None)
        sealing = self.cancel_event is not None
        chosen_ok = not self.scope_chosen.isChecked() or bool(self.chosen_ids())
        self.seal_button.setEnabled(not sealing and chosen_ok)

    # ------------------------------------------------------------------ seal
    @property
    def sealing(self) -> bool:
        return self.cancel_event is not None

    def seal(self) -> None:
        if self.sealing:
            return
        ids = self.chosen_ids() if self.scope_chosen.isChecked() else None
        if self.scope_chosen.isChecked() and not ids:
            self.message.show_error("Tick at least one session to seal.")
            return
        if self.to_file.isChecked() and self.out_path is None and not self.choose_destination():
            return
        out = self.out_path if self.to_file.isChecked() else None
        self.note.clear()
        cancel = threading.Event()
        self.cancel_event = cancel
        self.form.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self._update()
        self.runner.submit(
            self.service.bundles.seal,
            out,
            ids,
            since_last=self.scope_changed.isChecked(),
            with_audio=self.with_audio.isChecked(),
            progress=self.relay.progress.emit,
            cancelled=cancel.is_set,
            on_result=self._sealed,
            on_error=self._failed,
            owner=self,
        )

    def _progress(self, fraction: float) -> None:
        if self.cancel_event is not None and not self.cancel_event.is_set():
            self.progress.setValue(round(fraction * 1000))

    def cancel_sealing(self) -> None:
        if self.cancel_event is None or self.cancel_event.is_set():
            return
        self.cancel_event.set()
        self.cancel_button.setEnabled(False)
        self.message.show_info("Cancelling…")

    def _finished(self) -> None:
        self.cancel_event = None
        self.form.setEnabled(True)
        self.progress.hide()
        self.cancel_button.setEnabled(True)
        self._update()

    def _sealed(self, result: SealResult) -> None:
        self._finished()
        self.sealed.emit(result)
        super().accept()

    def _failed(self, error: BaseException) -> None:
        was_cancelled = self.cancel_event is not None and self.cancel_event.is_set()
        self._finished()
        if isinstance(error, Cancelled) or was_cancelled:
            self.status_message.emit(CANCELLED)
            super().reject()
        elif isinstance(error, NothingToSeal):
            self.message.show_info(describe(error))
        else:
            self.note.show_refusal(error)  # with "Go to Review" for unreviewed identifiers

    def go_to_review(self) -> None:
        self.review_requested.emit()
        super().reject()

    # ---------------------------------------- closing while sealing cancels
    def reject(self) -> None:
        if self.sealing:
            self.cancel_sealing()
        else:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.sealing:
            self.cancel_sealing()
            event.ignore()
        else:
            super().closeEvent(event)


def _caption(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("sectionTitle")
    return label
