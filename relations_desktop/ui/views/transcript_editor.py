"""The transcript editor: listen and correct, with the recording's player on top.

Segments show their time, speaker and text; unsure words are highlighted; jottings
sit at their times. Clicking a time plays from there and the segment being played is
highlighted and kept in view. Keys in the style of oTranscribe and Express Scribe
(:mod:`transcript_keys`). While a transcription runs, segments appear as they are
recognised (read-only until it has finished). Part of the workspace: a lock saves and
destroys it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import (
    EncounterRecord,
    RecordingRecord,
    SpeakerRecord,
    TranscriptRecord,
)
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.dialogs.quote_preview import QUOTE_KEYS, QuotePreviewDialog
from relations_desktop.ui.dialogs.segment_history import SegmentHistoryDialog
from relations_desktop.ui.dialogs.transcript_export import (
    SaveChooser,
    TranscriptExportDialog,
    choose_transcript_file,
)
from relations_desktop.ui.dialogs.transcript_shortcuts import ShortcutsDialog
from relations_desktop.ui.labels import format_date, format_duration, local_time
from relations_desktop.ui.live_transcript import LiveFill, Loaded, load
from relations_desktop.ui.messages import show_error
from relations_desktop.ui.tasks import describe
from relations_desktop.ui.transcript_editing import SegmentEditing
from relations_desktop.ui.transcript_keys import EditorKeys, from_setting
from relations_desktop.ui.transcript_transport import Transport
from relations_desktop.ui.transcription_bridge import TranscriptionBridge
from relations_desktop.ui.widgets.player_bar import PlayerBar
from relations_desktop.ui.widgets.segment_table import SegmentTable
from relations_desktop.ui.widgets.speakers_panel import SpeakersPanel
from relations_desktop.ui.widgets.timeline import Mark
from relations_desktop.ui.widgets.transcript_model import TranscriptModel
from relations_desktop.ui.widgets.transcript_toolbar import TranscriptToolbar
from relations_desktop.ui.widgets.transcription_controls import TranscriptionControls

EMPTY_TEXT = (
    "No transcript yet. Choose Transcribe above: the text appears here as it is "
    "recognised, and you can correct it when it has finished."
)
DIALOGS = {
    "history": "show_history",
    "export": "export",
    "shortcuts": "edit_shortcuts",
    "quote": "copy_as_quote",
}
LIVE_TEXT = "Transcribing: segments appear as they are recognised. Correct them when it is done."


class TranscriptEditor(QWidget):
    back_requested = Signal(str, str)  # encounter id, recording id
    status_message = Signal(str)
    save_failed = Signal(str)

    def __init__(
        self,
        context: AppContext,
        bridge: TranscriptionBridge | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("transcriptEditor")
        self.service = context.service
        self.runner = context.runner
        self.bridge = bridge
        self._focus_segment: str | None = None
        self.recording: RecordingRecord | None = None
        self.encounter: EncounterRecord | None = None
        self.transcript: TranscriptRecord | None = None
        self.shortcuts = from_setting(None)
        self.dialog: QDialog | None = None
        self.choose_export: SaveChooser = choose_transcript_file

        self.model = TranscriptModel(self)
        self._build(context)
        options = context.options
        self.editing = SegmentEditing(
            self.service,
            self.runner,
            self.table,
            self._reload,
            debounce_ms=options.transcript_save_ms,
            max_interval_ms=options.autosave_max_ms,
            parent=self,
        )
        self.editing.status_changed.connect(self.save_status.setText)
        self.editing.message.connect(self.status_message)
        self.editing.failed.connect(self._failed)
        self.editing.speakers_changed.connect(self._show_speakers)
        buttons = self.toolbar.buttons
        self.editing.stack.canUndoChanged.connect(buttons["undo"].setEnabled)
        self.editing.stack.canRedoChanged.connect(buttons["redo"].setEnabled)
        self.live = LiveFill(self.service, self.runner, self)
        self.live.started.connect(self._live_started)
        self.live.arrived.connect(self._arrived)
        self.live.finished.connect(self._live_finished)
        self.live.ended.connect(self._live_ended)
        self.live.message.connect(self.status_message)
        self.editing.speaker_added.connect(self._speaker_added)
        self.keys = EditorKeys(self)
        self.keys.triggered.connect(self.run_action)
        self.transport = Transport(self.player, self.table, self.toolbar.follow, self)
        self.transport.message.connect(self.status_message)
        self.quote_key = QShortcut(QKeySequence(QUOTE_KEYS), self)
        self.quote_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.quote_key.activated.connect(self.copy_as_quote)
        self.table.quote_requested.connect(self.copy_as_quote)
        if bridge is not None:
            bridge.job_event.connect(self.live.on_event)
            self.controls.set_bridge(bridge)

    @property
    def live_id(self) -> str | None:
        """The transcript a running job is filling (read-only until it is done)."""
        return self.live.live_id

    # ----------------------------------------------------------------- layout
    def _build(self, context: AppContext) -> None:
        heading = QLabel("Transcript", self)
        heading.setObjectName("viewTitle")
        self.back_button = QPushButton("Back to the session", self)
        self.back_button.setAccessibleName("Back to the session")
        self.back_button.clicked.connect(self._back)
        self.save_status = QLabel(self)
        self.save_status.setObjectName("saveStatus")
        self.save_status.setAccessibleName("Save status")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.save_status)
        top.addWidget(self.back_button)
        self.title_label = QLabel(self)
        self.title_label.setObjectName("sessionTitle")
        self.meta_label = QLabel(self)
        self.meta_label.setObjectName("hint")
        self.controls = TranscriptionControls(context, self, show_open=False)
        self.controls.status_message.connect(self.status_message)
        self.player = PlayerBar(context.player_factory, context.audio_backend, self)
        self.player.error.connect(self.status_message)

        self.table = SegmentTable(self.model, self)
        self.empty_hint = QLabel(EMPTY_TEXT, self)
        self.empty_hint.setObjectName("hint")
        self.empty_hint.setWordWrap(True)
        self.speakers = SpeakersPanel(self)
        self.speakers.add_requested.connect(self._add_speaker)
        self.speakers.rename_requested.connect(
            lambda s, label: self.editing.rename_speaker(s, label)
        )
        self.speakers.link_requested.connect(lambda s, p: self.editing.link_speaker(s, p))
        self.speakers.assign_requested.connect(lambda s: self.editing.assign(s))

        self.toolbar = TranscriptToolbar(self)
        self.toolbar.triggered.connect(self.run_action)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        left_layout.addWidget(self.toolbar)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty_hint)
        left_layout.addWidget(self.toolbar.keys_hint)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.speakers)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 1)
        split.setSizes([800, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.title_label)
        layout.addWidget(self.meta_label)
        layout.addWidget(self.controls)
        layout.addWidget(self.player)
        layout.addWidget(split, 1)
        self.toolbar.show_keys(self.shortcuts)

    # ---------------------------------------------------------------- opening
    def open_recording(self, recording_id: str, segment_id: str | None = None) -> None:
        """Open a recording's transcript, at ``segment_id`` if given (a search hit)."""
        self._focus_segment = segment_id
        self.flush()
        self.stop_playback()
        self._clear()
        self.runner.submit(
            load, self.service, recording_id, on_result=self._loaded, on_error=self._failed_open
        )

    def _loaded(self, loaded: Loaded) -> None:
        recording = loaded.recording
        self.recording, self.encounter = recording, loaded.encounter
        self.shortcuts = from_setting(loaded.shortcuts)
        self.keys.set_mapping(self.shortcuts)
        self.toolbar.show_keys(self.shortcuts)
        self.title_label.setText(loaded.encounter.title)
        self.controls.set_recording(recording.id)
        recording_id = recording.id
        self.player.load(
            lambda start: self.service.recordings.samples(recording_id, start),
            recording.sample_rate,
            recording.duration_seconds,
            [Mark(j.offset_seconds, j.text, j.id) for j in recording.jottings],
        )
        self.speakers.set_participants(loaded.participants)
        transcript = loaded.transcript
        self.live.reset(recording.id, transcript.id if transcript else None, loaded.live_id)
        self._show_transcript(transcript)
        self.transport.start()
        self.table.setFocus()
        focus = self.model.row_of(self._focus_segment) if self._focus_segment else -1
        self.table.go_to(focus if focus >= 0 else self.model.next_segment_row(-1))

    def _failed_open(self, error: BaseException) -> None:
        show_error(self, describe(error), "Open transcript")

    def _show_transcript(self, transcript: TranscriptRecord | None) -> None:
        self.transcript = transcript
        self.table.set_read_only(transcript is None or self.live_id is not None)
        if transcript is None:
            jottings = self.recording.jottings if self.recording else []
            self.model.set_content([], [], jottings)
        else:
            self.model.set_content(transcript.segments, transcript.speakers, transcript.jottings)
        self._show_speakers()
        self._show_meta()
        self._show_state()

    def _show_meta(self) -> None:
        recording, transcript = self.recording, self.transcript
        if recording is None:
            self.meta_label.clear()
            return
        started = local_time(recording.started_at)
        meta = [
            f"Recording of {format_date(started.date())}, {started:%H:%M}",
            format_duration(recording.duration_seconds),
        ]
        if transcript is not None:
            meta.append(f"{transcript.model_name} ({transcript.mode})")
        self.meta_label.setText("  ·  ".join(meta))

    def _show_state(self) -> None:
        live = self.live_id is not None
        has_text = self.transcript is not None and bool(self.transcript.segments)
        self.empty_hint.setText(LIVE_TEXT if live else EMPTY_TEXT)
        self.empty_hint.setVisible(live or not has_text)
        editable = self.transcript is not None and not live
        self.toolbar.set_editable(editable, can_export=has_text and not live)
        self.speakers.setEnabled(editable)

    def _add_speaker(self, label: str) -> None:
        if self.transcript is not None:
            self.editing.add_speaker(self.transcript.id, label)

    def _show_speakers(self) -> None:
        self.speakers.set_speakers(self.model.speakers)

    def _reload(self, select_id: str | None = None) -> None:
        transcript = self.transcript
        if transcript is None:
            return
        self.runner.submit(
            self.service.transcripts.get,
            transcript.id,
            on_result=lambda record: self._reloaded(record, select_id),
            on_error=self._failed,
            owner=self,
        )

    def _reloaded(self, record: TranscriptRecord, select_id: str | None) -> None:
        if self.transcript is None or record.id != self.transcript.id:
            return
        current = self.table.current_segment()
        scroll = self.table.verticalScrollBar().value()
        self.transcript = record
        self.model.set_content(record.segments, record.speakers, record.jottings)
        self._show_speakers()
        self.table.verticalScrollBar().setValue(scroll)
        target = select_id or (current.id if current else None)
        if target:
            self.table.go_to_segment(target)

    # ------------------------------------------------------- live fill-in
    def _live_started(self) -> None:
        self.table.set_read_only(True)
        self._show_state()

    def _arrived(self, record: TranscriptRecord) -> None:
        if self.transcript is None or self.transcript.id != record.id:
            self._show_transcript(record)
            return
        bar = self.table.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        self.transcript = record
        self.model.append_segments(record.segments)
        if at_end:
            self.table.scrollToBottom()
        self._show_state()

    def _live_finished(self) -> None:
        self.table.set_read_only(False)
        if self.table.current_segment() is None:
            self.table.go_to(self.model.next_segment_row(-1), focus=False)
        self._show_state()
        self.status_message.emit("The transcription has finished: you can correct it now.")

    def _live_ended(self, message: str) -> None:
        if self.transcript is not None and self.transcript.id == self.live.shown_id:
            self.live.shown_id = None
            self._show_transcript(None)
        self._show_state()
        self.status_message.emit(message)

    # ------------------------------------------------------------------ keys
    def play_from(self, seconds: float) -> None:
        self.transport.play_from(seconds)

    def run_action(self, action: str) -> None:
        if self.transport.run(action):
            return
        if action in DIALOGS:
            getattr(self, DIALOGS[action])()
        elif self.transcript is None or self.live_id is not None:
            self.status_message.emit("The transcript can be corrected when it has finished.")
        else:
            self.editing.run(action)

    def _speaker_added(self, speaker: SpeakerRecord) -> None:
        self._show_speakers()
        self.speakers.select(speaker.id)
        self.speakers.name.setFocus()
        self.speakers.name.selectAll()

    # ----------------------------------------------------------------- dialogs
    def show_history(self) -> None:
        self.editing.commit_text()
        segment = self.table.current_segment()
        if segment is None:
            self.status_message.emit("Select a segment to see its history.")
            return
        self._open_dialog(SegmentHistoryDialog(self.service, self.runner, segment, self))

    def export(self) -> None:
        self.editing.commit_text()
        if self.transcript is None or self.live_id is not None:
            self.status_message.emit("There is no finished transcript to export yet.")
            return
        title = self.encounter.title if self.encounter else ""
        dialog = TranscriptExportDialog(
            self.service, self.runner, self.transcript, title, self, self.choose_export
        )
        dialog.exported.connect(self.status_message)
        self._open_dialog(dialog)

    def copy_as_quote(self) -> None:
        """The selected segments (one speaker's) as a quote, in a preview to copy or keep."""
        self.editing.commit_text()  # the runner saves the typing before drafting
        segments = self.table.selected_segments() if self.transcript is not None else []
        if not segments:
            self.status_message.emit("Select the segments to quote first (one speaker's).")
            return
        ids, resolve = [s.id for s in segments], self.editing.ids.resolve
        quotes = self.service.quotes
        dialog = QuotePreviewDialog(
            self.service, self.runner, lambda: quotes.from_segments([resolve(i) for i in ids]), self
        )
        dialog.copied.connect(self.status_message)
        dialog.saved.connect(lambda _record: self.status_message.emit("Quote saved to the bank"))
        self._open_dialog(dialog)

    def edit_shortcuts(self) -> None:
        dialog = ShortcutsDialog(self.service, self.runner, self.shortcuts, self)
        dialog.saved.connect(self._shortcuts_saved)
        self._open_dialog(dialog)

    def _shortcuts_saved(self, mapping: dict[str, str]) -> None:
        self.shortcuts = from_setting(mapping)
        self.keys.set_mapping(self.shortcuts)
        self.toolbar.show_keys(self.shortcuts)
        self.status_message.emit("Shortcuts saved")

    def _open_dialog(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def _failed(self, message: object) -> None:
        text = describe(message) if isinstance(message, BaseException) else str(message)
        self.save_failed.emit(text)

    def _back(self) -> None:
        self.flush()
        recording = self.recording
        if recording is not None:
            self.back_requested.emit(recording.encounter_id, recording.id)

    # --------------------------------------------------------------- lifecycle
    def flush(self) -> None:
        """Save what is typed (leaving the page, locking, closing)."""
        self.editing.commit_text()

    def stop_playback(self) -> None:
        self.transport.close()

    def unsaved_texts(self) -> dict[str, str]:
        return self.editing.unsaved_texts()

    def _clear(self) -> None:
        self.transport.stop()
        self.editing.reset()
        self.recording = self.encounter = self.transcript = None
        self.live.reset(None)
        self.player.unload()
        self.model.clear()
        self.speakers.set_speakers([])
        self.title_label.clear()
        self.meta_label.clear()
        self.save_status.clear()
        self.controls.set_recording(None)

    def wipe(self) -> None:
        """Empty every widget (after :meth:`flush`), before the workspace is destroyed."""
        self.keys.remove()
        if self.bridge is not None:
            self.bridge.job_event.disconnect(self.live.on_event)
            self.controls.set_bridge(None)
            self.bridge = None
        self._clear()
        self.speakers.set_participants([])

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.keys.install()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        self.keys.remove()
        super().hideEvent(event)
