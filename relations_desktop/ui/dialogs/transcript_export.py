"""Export transcript…: the format and what goes in, a clear warning, then where to save."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.export.transcript_formats import ExportOptions, suffix
from relations_desktop.core.records import TranscriptRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import local_time
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel, set_busy

SaveChooser = Callable[[QWidget, str], str | None]

FORMATS = (
    ("txt", "Plain text (.txt)"),
    ("docx", "Word document (.docx)"),
    ("srt", "Subtitles (.srt)"),
    ("vtt", "Web subtitles (.vtt)"),
    ("json", "JSON, with every word and time (.json)"),
)
TRANSCRIPT_EXPORT_WARNING = (
    "The exported file will NOT be encrypted: anyone who gets hold of it can read the "
    "interview. The pseudonym register is applied (real names and places become their "
    "pseudonyms), and the export is refused while names in it are not reviewed — but what "
    "people describe can still identify them.\n\nSave it only where the study's data "
    "protection plan allows, and delete it when you no longer need it."
)


def choose_transcript_file(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Export transcript (not encrypted)", suggested)
    return path or None


def transcript_file_name(transcript: TranscriptRecord, fmt: str) -> str:
    """A suggested name that says nothing about who speaks in it."""
    return f"transcript-{local_time(transcript.created_at):%Y-%m-%d-%H%M}{suffix(fmt)}"


class TranscriptExportDialog(QDialog):
    exported = Signal(str)  # a status message

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        transcript: TranscriptRecord,
        title: str,
        parent: QWidget | None = None,
        choose_file: SaveChooser = choose_transcript_file,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export transcript")
        self.service = service
        self.runner = runner
        self.transcript = transcript
        self.choose_file = choose_file
        self.warning = QLabel(TRANSCRIPT_EXPORT_WARNING, self)
        self.warning.setObjectName("exportWarningText")
        self.warning.setAccessibleName("Export warning")
        self.warning.setWordWrap(True)
        self.format = QComboBox(self)
        self.format.setAccessibleName("Format")
        for slug, label in FORMATS:
            self.format.addItem(label, slug)
        self.title = QLineEdit(title, self)
        self.title.setAccessibleName("Title")
        self.times = QCheckBox("Times before each paragraph ([00:01:23])", self)
        self.times.setChecked(True)
        self.speakers = QCheckBox("Speakers", self)
        self.speakers.setChecked(True)
        self.jottings = QCheckBox("Jottings at their times, marked (jotting)", self)
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Title", self.title)
        form.addRow("Include", self.times)
        form.addRow("", self.speakers)
        form.addRow("", self.jottings)
        self.message = MessageLabel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = buttons.addButton(
            "Export unencrypted copy…", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def options(self) -> ExportOptions:
        return ExportOptions(
            times=self.times.isChecked(),
            speakers=self.speakers.isChecked(),
            jottings=self.jottings.isChecked(),
            title=self.title.text().strip(),
        )

    def export(self) -> None:
        fmt = str(self.format.currentData())
        path = self.choose_file(self, transcript_file_name(self.transcript, fmt))
        if not path:
            return
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(suffix(fmt))
        set_busy(self, True)
        self.runner.submit(
            self.service.transcripts.export,
            self.transcript.id,
            fmt,
            target,
            self.options(),
            on_result=lambda _r: self._done(target),
            on_error=self._failed,
            owner=self,
        )

    def _done(self, target: Path) -> None:
        set_busy(self, False)
        self.exported.emit(f"Exported to {target.name} — this copy is not encrypted")
        self.accept()

    def _failed(self, error: BaseException) -> None:
        set_busy(self, False)
        self.message.show_error(describe(error))
