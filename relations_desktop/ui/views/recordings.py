"""A session's recordings: the list, Record / Import / Export, transcription, the player."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
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

from relations_desktop.core.records import RecordingRecord
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.dialogs.recording_files import (
    ExportJob,
    ImportJob,
    OpenChooser,
    SaveChooser,
    choose_audio_file,
    choose_export_file,
)
from relations_desktop.ui.labels import format_duration, local_time, recording_status_label
from relations_desktop.ui.widgets.player_bar import PlayerBar
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel
from relations_desktop.ui.widgets.timeline import Mark
from relations_desktop.ui.widgets.transcription_controls import TranscriptionControls

STOP_REASONS = {
    "device-lost": "microphone lost",
    "disk-low": "low disk space",
    "disk-full": "disk full",
    "error": "error",
}


def status_text(record: RecordingRecord) -> str:
    label = recording_status_label(record.status)
    reason = STOP_REASONS.get(record.stop_reason)
    return f"{label} ({reason})" if reason and record.status == "complete" else label


def source_text(record: RecordingRecord) -> str:
    if record.source == "import":
        return record.original_name or "Imported file"
    return record.device_name or "Microphone"


COLUMNS: list[Column[RecordingRecord]] = [
    Column("Recorded", lambda r: f"{local_time(r.started_at):%d %b %Y, %H:%M}".lstrip("0")),
    Column("Length", lambda r: format_duration(r.duration_seconds), align_right=True),
    Column("Status", status_text),
    Column("Source", source_text),
    Column("Jottings", lambda r: str(len(r.jottings)), align_right=True),
]


class RecordingsPanel(QWidget):
    record_requested = Signal()
    status_message = Signal(str)
    open_transcript = Signal(str)  # recording id

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingsPanel")
        self.service = context.service
        self.runner = context.runner
        self.encounter_id: str | None = None
        self.current: RecordingRecord | None = None
        self._want_id: str | None = None
        self.choose_import: OpenChooser = choose_audio_file
        self.choose_export: SaveChooser = choose_export_file
        self.import_job: ImportJob | None = None
        self.export_job: ExportJob | None = None

        heading = QLabel("Recordings", self)
        heading.setObjectName("sectionTitle")
        self.record_button = QPushButton("Record", self)
        self.record_button.setObjectName("record")
        self.record_button.setAccessibleName("Record")
        self.record_button.setToolTip("Open the recording screen for this session (Ctrl+R)")
        self.record_button.clicked.connect(self.record_requested)
        self.import_button = QPushButton("Import recording…", self)
        self.import_button.setAccessibleName("Import recording")
        self.import_button.setToolTip("Store an existing audio file (phone, dictaphone)")
        self.import_button.clicked.connect(self.import_recording)
        self.export_button = QPushButton("Export…", self)
        self.export_button.setAccessibleName("Export recording")
        self.export_button.setToolTip("Write a decrypted copy (FLAC or WAV) — not encrypted")
        self.export_button.clicked.connect(self.export_recording)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.import_button)
        top.addWidget(self.export_button)
        top.addWidget(self.record_button)

        self.model: RecordTableModel[RecordingRecord] = RecordTableModel(COLUMNS, self)
        self.table = QTableView(self)
        self.table.setObjectName("recordingsTable")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Recordings")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.empty_hint = QLabel(
            "No recordings yet. Record this session (Ctrl+R) or import an audio file.", self
        )
        self.empty_hint.setObjectName("hint")

        self.transcription = TranscriptionControls(context, self)
        self.transcription.open_requested.connect(self.open_transcript)
        self.transcription.status_message.connect(self.status_message)
        self.player = PlayerBar(context.player_factory, context.audio_backend, self)
        self.player.error.connect(self.status_message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.transcription)
        layout.addWidget(self.player)
        layout.addStretch(1)
        self._show_list(False)

    # ------------------------------------------------------------------ list
    def set_encounter(self, encounter_id: str | None, select_id: str | None = None) -> None:
        if encounter_id != self.encounter_id:
            self.encounter_id = encounter_id
            self.current = None
            self.player.unload()
            self.model.clear()
        self.refresh(select_id)

    def refresh(self, select_id: str | None = None) -> None:
        if select_id is not None:
            self._want_id = select_id
        encounter_id = self.encounter_id
        if encounter_id is None:
            self._show_list(False)
            return
        self.runner.submit(
            self.service.recordings.list,
            encounter_id,
            on_result=lambda records: self._fill(encounter_id, records),
            owner=self,
        )

    def _fill(self, encounter_id: str, records: list[RecordingRecord]) -> None:
        if encounter_id != self.encounter_id:
            return
        keep = self._want_id or (self.current.id if self.current else None)
        self._want_id = None
        self.model.set_records(records)
        self._show_list(bool(records))
        self._fit_table()
        row = self.model.row_of(lambda r: r.id == keep) if keep else -1
        if row < 0 and records:
            row = len(records) - 1  # the latest
        if row >= 0:
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            self.table.selectionModel().setCurrentIndex(self.model.index(row, 0), flags)
        else:
            self._select(None)

    def _fit_table(self) -> None:
        """As tall as its rows, up to three (then it scrolls)."""
        rows = max(1, min(3, self.model.rowCount()))
        self.table.resizeRowsToContents()
        row_height = self.table.verticalHeader().defaultSectionSize()
        if self.model.rowCount():
            row_height = self.table.rowHeight(0)
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header + rows * row_height + 2 * self.table.frameWidth())

    def _show_list(self, has_records: bool) -> None:
        self.table.setVisible(has_records)
        self.empty_hint.setVisible(not has_records)
        self.player.setVisible(has_records)
        self.transcription.setVisible(has_records)
        self.export_button.setEnabled(has_records)
        enabled = self.encounter_id is not None
        self.record_button.setEnabled(enabled)
        self.import_button.setEnabled(enabled)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._select(self.model.record(current.row()) if current.isValid() else None)

    def _select(self, record: RecordingRecord | None) -> None:
        previous, self.current = self.current, record
        self.transcription.set_recording(record.id if record is not None else None)
        if record is None:
            self.player.unload()
            return
        if record == previous and self.player.duration > 0:
            return  # the same recording, unchanged: keep playing
        recording_id = record.id
        self.player.load(
            lambda start: self.service.recordings.samples(recording_id, start),
            record.sample_rate,
            record.duration_seconds,
            [Mark(j.offset_seconds, j.text, j.id) for j in record.jottings],
        )

    def select_recording(self, recording_id: str) -> None:
        row = self.model.row_of(lambda r: r.id == recording_id)
        if row >= 0:
            self.table.selectRow(row)
        else:
            self.refresh(recording_id)

    # ------------------------------------------------------- import / export
    def import_recording(self) -> None:
        if self.encounter_id is None or self.import_job is not None:
            return
        path = self.choose_import(self)
        if not path:
            return
        job = ImportJob(self.service, self.runner, self.encounter_id, Path(path), self)
        job.finished.connect(self._imported)
        self.import_job = job

    def _imported(self, record: RecordingRecord | None) -> None:
        job, self.import_job = self.import_job, None
        if job is not None:
            job.deleteLater()
        if record is None:
            if job is not None and job.cancel.is_set():
                self.status_message.emit("Import cancelled; nothing was stored.")
            return
        self.status_message.emit(
            f"Imported {record.original_name} ({format_duration(record.duration_seconds)})"
        )
        if record.encounter_id == self.encounter_id:
            self.refresh(record.id)

    def export_recording(self) -> None:
        if self.current is None:
            self.status_message.emit("Select a recording to export.")
            return
        job = ExportJob(self.service, self.runner, self.current, self, self.choose_export)
        job.finished.connect(self._exported)
        self.export_job = job

    def _exported(self, message: str) -> None:
        job, self.export_job = self.export_job, None
        if job is not None:
            job.deleteLater()
        if message:
            self.status_message.emit(message)

    # ------------------------------------------------------------- lifecycle
    def stop_playback(self) -> None:
        self.player.close_player()

    def wipe(self) -> None:
        self.transcription.set_bridge(None)
        self.transcription.set_recording(None)
        self.player.unload()
        self.model.clear()
        self.current = None
        self.encounter_id = None
