"""File → Export for analysis (REFI-QDA)…: a ``.qdpx`` project for NVivo, ATLAS.ti,
MAXQDA and QualCoder (``core/export/qdpx.py``; docs/qdpx-export.md).

Which sessions (all, or ticked ones), whether audio goes in (with what consent means for
it), and where the file goes. The export runs on the task runner with a progress bar;
Cancel (or Esc) stops it and the core leaves no file. A refusal over unreviewed
identifiers shows "Go to Review" (the same note as the seal dialog's).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent
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

from relations_desktop.core.export.qdpx import QdpxResult, export_qdpx
from relations_desktop.core.records import EncounterRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import format_date
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.widgets.message import fit_height
from relations_desktop.ui.widgets.review_refusal import RefusalNote

SaveChooser = Callable[[QWidget, str], str | None]
QDPX_FILTER = "REFI-QDA project (*.qdpx);;All files (*)"
EXPORT_KEYS = "Ctrl+Shift+E"
INTRO = (
    "A REFI-QDA project opens in NVivo, ATLAS.ti, MAXQDA and QualCoder. Everything in it is "
    "pseudonymised; participants who withdrew their data are left out. The file is not "
    "encrypted: keep it like any other research data."
)
AUDIO_NOTE = (
    "Audio cannot be pseudonymised. A recording's audio goes in only if everyone in it "
    "allows audio recording now and nobody in it withdrew; otherwise its transcript goes in "
    "without it, and the result says why."
)
CANCELLED = "Export cancelled; no file was written."


def choose_qdpx_file(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Export for analysis as", suggested, QDPX_FILTER)
    return path or None


def result_words(result: QdpxResult) -> str:
    words = (
        f"Wrote {Path(result.path).name}: {result.audio_sources} recording(s) "
        f"({result.transcripts} with a transcript, {result.audio_files} with audio), "
        f"{result.text_sources} note(s), {result.cases} case(s), {result.codes} code(s)."
    )
    if result.participants_left_out:
        words += f" {result.participants_left_out} participant(s) who withdrew were left out."
    if result.audio_withheld:
        words += " Audio left out: " + "; ".join(result.audio_withheld)
    return words


class _Relay(QObject):
    progress = Signal(float)


class QdpxExportDialog(QDialog):
    exported = Signal(object)  # the QdpxResult
    status_message = Signal(str)
    review_requested = Signal()

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        choose_file: SaveChooser = choose_qdpx_file,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export for analysis (REFI-QDA)")
        self.service, self.runner, self.choose_file = service, runner, choose_file
        self.out_path: Path | None = None
        self.cancel_event: threading.Event | None = None  # set while exporting
        self.relay = _Relay(self)
        self.relay.progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)

        self.form = QWidget(self)
        intro = QLabel(INTRO, self.form)
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.scope_all = QRadioButton("All sessions", self.form)
        self.scope_chosen = QRadioButton("Chosen sessions:", self.form)
        self.scope_all.setAccessibleName("Export all sessions")
        self.scope_chosen.setAccessibleName("Export chosen sessions")
        self.scope = QButtonGroup(self)
        self.scope.addButton(self.scope_all)
        self.scope.addButton(self.scope_chosen)
        self.scope_all.setChecked(True)
        self.sessions = QListWidget(self.form)
        self.sessions.setAccessibleName("Sessions to export")
        self.sessions.setMinimumHeight(100)
        self.sessions.setMaximumHeight(200)
        self.scope.buttonToggled.connect(lambda *_: self._update())
        self.sessions.itemChanged.connect(lambda _item: self._update())
        self.with_audio = QCheckBox("Include audio (FLAC)", self.form)
        self.with_audio.setAccessibleName("Include audio")
        self.audio_note = QLabel(AUDIO_NOTE, self.form)
        self.audio_note.setObjectName("exportWarningText")
        self.audio_note.setAccessibleName("Audio and consent")
        self.audio_note.setWordWrap(True)
        self.with_audio.toggled.connect(lambda _on: self._update())
        self.file_label = QLabel("No file chosen yet", self.form)
        self.file_label.setObjectName("hint")
        self.file_button = QPushButton("Save as…", self.form)
        self.file_button.setAccessibleName("Choose where to save the project")
        self.file_button.clicked.connect(self.choose_destination)

        grid = QGridLayout(self.form)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        grid.addWidget(intro, 0, 0, 1, 3)
        grid.addWidget(_caption("Sessions", self.form), 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.scope_all, 1, 1, 1, 2)
        grid.addWidget(self.scope_chosen, 2, 1, 1, 2)
        grid.addWidget(self.sessions, 3, 1, 1, 2)
        grid.addWidget(_caption("Audio", self.form), 4, 0)
        grid.addWidget(self.with_audio, 4, 1, 1, 2)
        grid.addWidget(self.audio_note, 5, 1, 1, 2)
        grid.addWidget(_caption("File", self.form), 6, 0)
        grid.addWidget(self.file_label, 6, 1)
        grid.addWidget(self.file_button, 6, 2)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("jobProgress")
        self.progress.setAccessibleName("Export progress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.progress.hide()
        self.note = RefusalNote(self)
        self.message = self.note.message
        self.review_button = self.note.review_button
        self.note.review_requested.connect(self.go_to_review)

        buttons = QDialogButtonBox(self)
        self.export_button = QPushButton("Export", self)
        self.export_button.setObjectName("primary")
        self.export_button.setAccessibleName("Export the project")
        self.export_button.setDefault(True)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel")
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.progress)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self._update()
        self.resize(620, self.sizeHint().height())
        runner.submit(service.list_encounters, on_result=self._fill, on_error=self._failed)

    # ------------------------------------------------------------------- form
    def _fill(self, encounters: list[EncounterRecord]) -> None:
        self.sessions.clear()
        for encounter in encounters:
            item = QListWidgetItem(f"{format_date(encounter.date)}  {encounter.title}")
            item.setData(Qt.ItemDataRole.UserRole, encounter.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.sessions.addItem(item)
        self._update()

    def chosen_ids(self) -> list[str]:
        items = (self.sessions.item(i) for i in range(self.sessions.count()))
        return [
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in items
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
        path = self.choose_file(self, f"relations-{date.today():%Y-%m-%d}.qdpx")
        if not path:
            return False
        target = Path(path)
        self.out_path = target if target.suffix.lower() == ".qdpx" else Path(f"{target}.qdpx")
        self._update()
        return True

    def _update(self) -> None:
        self.sessions.setEnabled(self.scope_chosen.isChecked())
        if self.audio_note.isVisibleTo(self) != self.with_audio.isChecked():
            self.audio_note.setVisible(self.with_audio.isChecked())
            fit_height(self.audio_note)
        if self.out_path is not None:
            self.file_label.setText(str(self.out_path))
            self.file_label.setToolTip(str(self.out_path))
        chosen_ok = not self.scope_chosen.isChecked() or bool(self.chosen_ids())
        self.export_button.setEnabled(not self.exporting and chosen_ok)

    # ---------------------------------------------------------------- export
    @property
    def exporting(self) -> bool:
        return self.cancel_event is not None

    def export(self) -> None:
        if self.exporting:
            return
        ids = self.chosen_ids() if self.scope_chosen.isChecked() else None
        if self.scope_chosen.isChecked() and not ids:
            self.message.show_error("Tick at least one session to export.")
            return
        if self.out_path is None and not self.choose_destination():
            return
        self.note.clear()
        cancel = threading.Event()
        self.cancel_event = cancel
        self.form.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self._update()
        self.runner.submit(
            export_qdpx, self.service, self.out_path, ids, self.with_audio.isChecked(),
            progress=self.relay.progress.emit, cancelled=cancel.is_set,
            on_result=self._exported, on_error=self._failed, owner=self,
        )  # fmt: skip

    def _progress(self, fraction: float) -> None:
        if self.cancel_event is not None and not self.cancel_event.is_set():
            self.progress.setValue(round(fraction * 1000))

    def cancel_export(self) -> None:
        if self.cancel_event is None or self.cancel_event.is_set():
            return
        self.cancel_event.set()
        self.cancel_button.setEnabled(False)
        self.message.show_info("Cancelling…")

    def _finished(self) -> bool:
        """Back to the form; True when the export was cancelled."""
        cancelled = self.cancel_event is not None and self.cancel_event.is_set()
        self.cancel_event = None
        self.form.setEnabled(True)
        self.progress.hide()
        self.cancel_button.setEnabled(True)
        self._update()
        return cancelled

    def _exported(self, result: QdpxResult) -> None:
        self._finished()
        self.message.show_info(result_words(result))
        self.cancel_button.setText("Close")
        self.cancel_button.setAccessibleName("Close")
        self.status_message.emit(f"Exported for analysis: {result.path}")
        self.exported.emit(result)

    def _failed(self, error: BaseException) -> None:
        if self._finished():
            self.status_message.emit(CANCELLED)
            super().reject()
        else:
            self.note.show_refusal(error)  # "Go to Review" for unreviewed identifiers

    def go_to_review(self) -> None:
        self.review_requested.emit()
        super().reject()

    # ---------------------------------------- closing while exporting cancels
    def reject(self) -> None:
        if self.exporting:
            self.cancel_export()
        else:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.exporting:
            self.cancel_export()
            event.ignore()
        else:
            super().closeEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        self.cancel_export()  # hidden on lock: the store must not wait for the export
        super().hideEvent(event)


def _caption(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("sectionTitle")
    return label
