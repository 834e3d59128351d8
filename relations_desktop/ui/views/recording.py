"""The recording screen: consent, start, pause, stop; the timer, the level; jottings.

The recording belongs to the core and is driven through :class:`RecordingMonitor`
(owned by the main window), so this screen can be destroyed by a lock and built again
after unlock while the interview goes on: it then reattaches to the running recording.
Those present show with their consent (:class:`RecordingConsentPanel`), refusals too.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.audio.devices import DeviceInfo
from relations_desktop.core.audio.recorder import RecorderStatus, RecordingSummary
from relations_desktop.core.consent.service import VerbalConsent
from relations_desktop.core.fsutil import free_bytes
from relations_desktop.core.recordings import ActiveRecording
from relations_desktop.core.records import EncounterRecord, FieldnoteRecord, RecordingRecord
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.dialogs.verbal_consent import RecordingConsentPanel
from relations_desktop.ui.labels import format_bytes, format_clock, format_duration
from relations_desktop.ui.recording_monitor import RecordingMonitor
from relations_desktop.ui.tasks import describe
from relations_desktop.ui.widgets.level_meter import LevelMeter
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.timeline import Mark, Timeline

DEVICE_SETTING = "input_device"
SILENCE_TEXT = "No signal — is the microphone muted?"


def _label(parent: QWidget, name: str, object_name: str = "", text: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(object_name)
    label.setAccessibleName(name)
    return label


def _button(parent: QWidget, text: str, tip: str) -> QPushButton:
    button = QPushButton(text, parent)
    button.setToolTip(tip)
    button.setAccessibleName(text)
    return button


def _set_tone(label: QLabel, tone: str) -> None:
    if label.property("tone") == tone:
        return
    label.setProperty("tone", tone)
    label.style().unpolish(label)
    label.style().polish(label)


class RecordingView(QWidget):
    back_requested = Signal(str, str)  # encounter id, recording id ("" when none)
    status_message = Signal(str)

    def __init__(
        self, context: AppContext, monitor: RecordingMonitor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recordingView")
        self.service = context.service
        self.runner = context.runner
        self.backend = context.audio_backend
        self.silence_ms = context.options.silence_warning_ms
        self.monitor = monitor
        self.encounter_id: str | None = None
        self.recording_id: str | None = None
        self.mode = "idle"
        self._build()
        self._connections = [
            (monitor.started, self._started),
            (monitor.start_failed, self._start_failed),
            (monitor.consent_refused, self._consent_refused),
            (monitor.status_changed, self.show_status),
            (monitor.stopped, self._stopped),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)
        self._set_mode("idle")
        if monitor.active is not None:
            self._started(monitor.active)
            if monitor.last_status is not None:
                self.show_status(monitor.last_status)

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        heading = _label(self, "Recording", "viewTitle", "Recording")
        self.back_button = QPushButton("Back to the session", self)
        self.back_button.setAccessibleName("Back to the session")
        self.back_button.clicked.connect(self._back)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.back_button)
        self.title_label = _label(self, "Session", "sessionTitle")
        self.consent = RecordingConsentPanel(self.service, self.runner, self)
        self.consent.verbal_ready.connect(self.start)  # with the consent given by voice

        card = QFrame(self)
        card.setObjectName("recordingCard")
        self.state_label = _label(card, "Recording state", "recState")
        self.timer_label = _label(card, "Elapsed time", "recTimer", "00:00:00")
        self.meter = LevelMeter(card)
        self.silence_label = _label(card, "Silence warning", "recWarning", SILENCE_TEXT)
        _set_tone(self.silence_label, "warning")
        self.start_button = _button(card, "Start recording", "Start recording (Ctrl+R)")
        self.start_button.setObjectName("record")
        self.start_button.clicked.connect(lambda: self.start())
        self.pause_button = _button(card, "Pause", "Pause or resume (Ctrl+P, or Space)")
        self.pause_button.setAccessibleName("Pause or resume")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = _button(card, "Stop", "Stop and save the recording (Ctrl+Shift+S)")
        self.stop_button.setAccessibleName("Stop recording")
        self.stop_button.clicked.connect(self.stop)
        self.device_combo = QComboBox(card)
        self.device_combo.setAccessibleName("Microphone")
        self.device_combo.setMinimumWidth(260)
        self.device_label = _label(card, "Microphone in use")  # while recording
        self.disk_label = _label(card, "Free disk space", "recInfo")
        self.overflow_label = _label(card, "Dropped audio", "recWarning")
        _set_tone(self.overflow_label, "warning")

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.start_button, self.pause_button, self.stop_button):
            button.setMinimumWidth(120)
            buttons.addWidget(button)
        buttons.addStretch(1)
        device_row = QHBoxLayout()
        device_row.addWidget(QLabel("Microphone:", card))
        device_row.addWidget(self.device_combo, 1)
        device_row.addWidget(self.device_label, 1)
        device_row.addSpacing(16)
        device_row.addWidget(self.disk_label)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 20, 28, 20)
        inner.setSpacing(8)
        for label in (self.state_label, self.timer_label):
            inner.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
        inner.addWidget(self.meter)
        inner.addWidget(self.silence_label, 0, Qt.AlignmentFlag.AlignHCenter)
        inner.addLayout(buttons)
        inner.addSpacing(4)
        inner.addLayout(device_row)
        inner.addWidget(self.overflow_label)

        self.jotting = QLineEdit(self)
        self.jotting.setObjectName("jotting")
        self.jotting.setAccessibleName("Jotting")
        self.jotting.setPlaceholderText(
            "Type a jotting and press Enter: it is saved at once, at this point in the audio"
        )
        self.jotting.returnPressed.connect(self.submit_jotting)
        self.timeline = Timeline(self, interactive=False)  # no playback while recording
        self.timeline.setAccessibleName("Recording timeline")
        self.jottings = QListWidget(self)
        self.jottings.setObjectName("jottingsList")
        self.jottings.setAccessibleName("Jottings")
        self.message = MessageLabel(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.title_label)
        layout.addWidget(self.consent)
        layout.addWidget(card)
        layout.addWidget(_label(self, "Jottings", "sectionTitle", "Jottings"))
        layout.addWidget(self.jotting)
        layout.addWidget(self.timeline)
        layout.addWidget(self.jottings, 1)
        layout.addWidget(self.message)

        self.space = QShortcut(QKeySequence("Space"), self)
        self.space.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.space.activated.connect(self.toggle_pause)

    # ---------------------------------------------------------------- opening
    def open_for(self, encounter: EncounterRecord) -> None:
        """Get ready to record ``encounter`` (nothing happens while one is running)."""
        if self.monitor.is_running:
            return
        self._reset(encounter.id)
        self.consent.load(encounter.id)
        self.title_label.setText(encounter.title)
        self.state_label.setText("Ready to record")
        self.runner.submit(
            self.service.recordings.devices,
            self.backend,
            on_result=self._fill_devices,
            on_error=lambda e: self.message.show_error(describe(e)),
        )
        self.runner.submit(free_bytes, self.service.store_dir, on_result=self._show_free)
        self.start_button.setFocus()

    def _reset(self, encounter_id: str) -> None:
        self.encounter_id = encounter_id
        self.recording_id = None
        self.timer_label.setText(format_clock(0))
        self.meter.reset()
        self.timeline.clear()
        self.jottings.clear()
        self.message.clear_message()
        self.consent.clear_refusal()
        self.silence_label.hide()
        self.overflow_label.hide()
        self._set_mode("idle")

    def _fill_devices(self, devices: list[DeviceInfo]) -> None:
        self.device_combo.clear()
        self.device_combo.addItem("System default microphone", None)
        for device in devices:
            label = f"{device.name} (default)" if device.is_default else device.name
            self.device_combo.addItem(label, device.name)
        self.runner.submit(self.service.get_setting, DEVICE_SETTING, on_result=self._pick_device)

    def _pick_device(self, name: object) -> None:
        index = self.device_combo.findData(name) if name else -1
        self.device_combo.setCurrentIndex(max(0, index))

    def _show_free(self, free: int) -> None:
        self.disk_label.setText(f"Free disk space: {format_bytes(free)}")
        _set_tone(self.disk_label, "warning" if free < 1_000_000_000 else "")

    # ---------------------------------------------------------------- control
    @property
    def can_start(self) -> bool:
        return self.encounter_id is not None and not self.monitor.is_running

    def start(self, verbal_consent: Sequence[VerbalConsent] = ()) -> None:
        if not self.can_start or self.encounter_id is None:
            return
        device = self.device_combo.currentData()
        self.runner.submit(self.service.set_setting, DEVICE_SETTING, device or "")
        self._reset(self.encounter_id)
        self.consent.pending = list(verbal_consent)
        self._set_mode("starting")
        self.monitor.start(self.encounter_id, device, self.consent.pending)

    def toggle_pause(self) -> None:
        self.monitor.toggle_pause()

    def stop(self) -> None:
        if self.monitor.active is None:
            return
        self.submit_jotting()  # a jotting typed but not sent yet is kept
        self._set_mode("stopping")
        self.monitor.stop()

    def _back(self) -> None:
        if self.encounter_id is not None:
            self.back_requested.emit(self.encounter_id, self.recording_id or "")

    # ----------------------------------------------------------- from monitor
    def _started(self, active: ActiveRecording) -> None:
        if active.encounter_id != self.encounter_id:
            self._reset(active.encounter_id)
            self.runner.submit(
                self.service.get_encounter, active.encounter_id, on_result=self._show_title
            )
        self.recording_id = active.recording_id
        self.consent.started(active.encounter_id)
        self.runner.submit(self.service.recordings.get, active.recording_id, on_result=self._marks)
        self._set_mode("recording")
        self.jotting.setFocus()

    def _show_title(self, encounter: EncounterRecord) -> None:
        if encounter.id == self.encounter_id:
            self.title_label.setText(encounter.title)

    def _marks(self, record: RecordingRecord) -> None:
        if record.id != self.recording_id:
            return
        self.timeline.set_marks(Mark(j.offset_seconds, j.text, j.id) for j in record.jottings)
        self.device_label.setText(record.device_name)
        self.jottings.clear()
        for jotting in record.jottings:
            self._list_jotting(jotting.offset_seconds, jotting.text)

    def _start_failed(self, message: str) -> None:
        self.consent.pending = []
        self._set_mode("idle")
        self.state_label.setText("Not recording")
        self.message.show_error(message)

    def _consent_refused(self, message: str) -> None:
        """Nothing was recorded; say who lacks consent, beside their badges."""
        self.consent.pending = []
        self._set_mode("idle")
        self.state_label.setText("Not recording: consent is missing")
        self.consent.refusal.show_error(message)

    def show_status(self, status: RecorderStatus) -> None:
        self.timer_label.setText(format_clock(status.recorded_seconds))
        self.timeline.set_duration(status.recorded_seconds)
        self.meter.set_level(status.level_dbfs, status.peak, status.clipping)
        running = status.state in ("recording", "paused")
        if running and status.state != self.mode and not self.monitor.is_stopping:
            self._set_mode(status.state)
        silent = status.state == "recording" and status.silent_seconds * 1000 >= self.silence_ms
        self.silence_label.setVisible(silent)
        self._show_free(status.free_bytes)
        if status.low_disk:
            self.disk_label.setText(
                f"Free disk space: {format_bytes(status.free_bytes)} — under 1 GB; "
                "recording stops by itself below 200 MB"
            )
        if status.overflows:
            self.overflow_label.setText(
                f"{status.overflows} audio block(s) dropped ({status.dropped_seconds:.1f} s "
                "lost): the computer was too busy."
            )
        self.overflow_label.setVisible(status.overflows > 0)

    def _stopped(self, active: ActiveRecording | None, summary: RecordingSummary | None) -> None:
        if active is None or active.recording_id != self.recording_id:
            return
        self._set_mode("idle")
        self.silence_label.hide()
        self.meter.reset()
        seconds = summary.seconds if summary is not None else 0.0
        self.state_label.setText(f"Saved — {format_duration(seconds)} recorded")
        self.status_message.emit(f"Recording saved ({format_duration(seconds)})")

    # --------------------------------------------------------------- jottings
    def submit_jotting(self) -> None:
        text = self.jotting.text().strip()
        if not text:
            return
        if self.monitor.active is None:
            self.message.show_error("Jottings are taken while recording; nothing is recording.")
            return
        self.jotting.clear()
        self.runner.submit(
            self.service.recordings.add_jotting,
            text,
            on_result=self._jotting_saved,
            on_error=lambda error: self._jotting_failed(text, error),
        )

    def _jotting_saved(self, note: FieldnoteRecord) -> None:
        if note.recording_id != self.recording_id:
            return
        offset = note.offset_seconds or 0.0
        self.timeline.add_mark(Mark(offset, note.body, note.id))
        self._list_jotting(offset, note.body)
        self.message.clear_message()

    def _list_jotting(self, offset: float, text: str) -> None:
        item = QListWidgetItem(f"{format_clock(offset)}   {text}", self.jottings)
        self.jottings.scrollToItem(item)

    def _jotting_failed(self, text: str, error: BaseException) -> None:
        typed = self.jotting.text()
        self.jotting.setText(f"{text} {typed}".strip())
        self.message.show_error(
            f"The jotting was not saved: {describe(error)} Its text is back in the field."
        )

    def unsaved_jotting(self) -> str:
        return self.jotting.text()

    def restore_jotting(self, text: str) -> None:
        if text:
            self.jotting.setText(text)

    # ------------------------------------------------------------------ state
    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        running = mode in ("recording", "paused")
        self.start_button.setEnabled(mode == "idle" and self.encounter_id is not None)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.pause_button.setText("Resume" if mode == "paused" else "Pause")
        self.device_combo.setEnabled(mode == "idle")
        self.device_combo.setVisible(mode == "idle")
        self.device_label.setVisible(mode != "idle")
        self.jotting.setEnabled(running)
        self.space.setEnabled(running)
        self.back_button.setEnabled(self.encounter_id is not None)
        self.consent.set_idle(mode == "idle")
        texts = {
            "starting": "Starting…",
            "recording": "● Recording",
            "paused": "Paused",
            "stopping": "Saving…",
        }
        if mode in texts:
            self.state_label.setText(texts[mode])
        _set_tone(self.state_label, mode if mode in ("recording", "paused") else "")

    def wipe(self) -> None:
        """Let go of the monitor and empty every field (before a lock destroys us)."""
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        self.encounter_id = self.recording_id = None
        self.consent.clear()
        self.title_label.clear()
        self.jotting.clear()
        self.jottings.clear()
        self.timeline.clear()
        self.meter.reset()
        self.message.clear_message()
