"""Importing an audio file into a session, and exporting a decrypted copy of a recording.

Import runs on the task runner with a progress dialog whose Cancel stops it: the core
stores all of a file or nothing. Export first warns that the file will not be
encrypted, then asks where to write it (FLAC or WAV).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from relations_desktop.core.errors import Cancelled, InvalidInput
from relations_desktop.core.records import RecordingRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import format_duration, local_time
from relations_desktop.ui.messages import show_error
from relations_desktop.ui.tasks import TaskRunner, describe

OpenChooser = Callable[[QWidget], str | None]
SaveChooser = Callable[[QWidget, str], str | None]

AUDIO_FILTER = (
    "Audio files (*.wav *.flac *.mp3 *.m4a *.aac *.ogg *.oga *.opus *.wma *.amr *.3gp "
    "*.mp4 *.webm *.aif *.aiff);;All files (*)"
)
EXPORT_FILTERS = {"FLAC, lossless and smaller (*.flac)": ".flac", "WAV (*.wav)": ".wav"}
EXPORT_WARNING = (
    "The exported file will NOT be encrypted. Anyone who gets hold of it can listen to "
    "the interview.\n\nSave it only where the study's data protection plan allows "
    "(for example an encrypted disk), and delete it when you no longer need it."
)


def choose_audio_file(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Import a recording", "", AUDIO_FILTER)
    return path or None


def choose_export_file(parent: QWidget, suggested: str) -> str | None:
    path, chosen = QFileDialog.getSaveFileName(
        parent, "Export recording (not encrypted)", suggested, ";;".join(EXPORT_FILTERS)
    )
    if not path:
        return None
    if Path(path).suffix.lower() not in (".flac", ".wav"):
        path += EXPORT_FILTERS.get(chosen, ".flac")
    return path


class _Relay(QObject):
    """Carries progress from the worker thread to the dialog (queued)."""

    progress = Signal(float)


class ImportJob(QObject):
    """One import: progress dialog, cancel, and the outcome."""

    finished = Signal(object)  # the RecordingRecord stored, or None (failed or cancelled)

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        encounter_id: str,
        path: Path,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.cancel = threading.Event()
        self.dialog = QProgressDialog(f"Importing {path.name}…", "Cancel", 0, 1000, parent)
        self.dialog.setWindowTitle("Import recording")
        self.dialog.setAccessibleName("Import progress")
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.canceled.connect(self._cancel)  # the Cancel button
        self.dialog.rejected.connect(self._cancel)  # Esc
        self._over = False
        self.relay = _Relay(self)
        self.relay.progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        self.dialog.setValue(0)
        self.dialog.open()
        runner.submit(
            service.recordings.import_file,
            encounter_id,
            path,
            progress=self.relay.progress.emit,
            cancelled=self.cancel.is_set,
            on_result=self._done,
            on_error=self._failed,
            owner=self,
        )

    def _progress(self, fraction: float) -> None:
        if not self.cancel.is_set():
            self.dialog.setValue(round(fraction * 1000))

    def _cancel(self) -> None:
        if self._over:
            return
        self.cancel.set()
        self.dialog.setLabelText("Cancelling…")

    def _close_dialog(self) -> None:
        self._over = True  # closing a progress dialog would "cancel" it
        self.dialog.close()

    def _done(self, record: RecordingRecord) -> None:
        self._close_dialog()
        self.finished.emit(record)

    def _failed(self, error: BaseException) -> None:
        cancelled = isinstance(error, Cancelled) or (
            self.cancel.is_set() and isinstance(error, InvalidInput)
        )
        self._close_dialog()
        if not cancelled:
            show_error(self.parent_widget, describe(error), "Import recording")
        self.finished.emit(None)


def export_file_name(record: RecordingRecord, suffix: str = ".flac") -> str:
    """A suggested name that says nothing about who is on the recording."""
    return f"recording-{local_time(record.started_at):%Y-%m-%d-%H%M}{suffix}"


class ExportJob(QObject):
    """The unencrypted-file warning, then the save dialog, then the export itself."""

    finished = Signal(str)  # a status message ("" when nothing was written)

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        record: RecordingRecord,
        parent: QWidget,
        choose_file: SaveChooser = choose_export_file,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.record = record
        self.parent_widget = parent
        self.choose_file = choose_file
        self.warning = QMessageBox(
            QMessageBox.Icon.Warning, "Export recording", EXPORT_WARNING, parent=parent
        )
        self.warning.setObjectName("exportWarning")
        self.warning.setAccessibleName("Export warning")
        self.warning.setInformativeText(
            f"Recording of {format_duration(record.duration_seconds)} from "
            f"{local_time(record.started_at):%d %b %Y, %H:%M}."
        )
        self.continue_button = self.warning.addButton(
            "Export unencrypted copy…", QMessageBox.ButtonRole.AcceptRole
        )
        self.warning.addButton(QMessageBox.StandardButton.Cancel)
        self.warning.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.warning.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.warning.buttonClicked.connect(self._answered)
        self.warning.open()

    def _answered(self, button: object) -> None:
        if button is not self.continue_button:
            self.finished.emit("")
            return
        path = self.choose_file(self.parent_widget, export_file_name(self.record))
        if not path:
            self.finished.emit("")
            return
        target = Path(path)
        self.runner.submit(
            self.service.recordings.export_file,
            self.record.id,
            target,
            target.suffix.lstrip(".").lower() or "flac",
            on_result=lambda _frames: self.finished.emit(
                f"Exported to {target.name} — this copy is not encrypted"
            ),
            on_error=self._failed,
            owner=self,
        )

    def _failed(self, error: BaseException) -> None:
        show_error(self.parent_widget, describe(error), "Export recording")
        self.finished.emit("")
