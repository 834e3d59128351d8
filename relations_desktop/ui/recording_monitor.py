"""The running recording, seen from the GUI: start, pause, stop, and a live status.

The recording itself belongs to the core (``service.recordings.active``); this object
belongs to the main window, not to the workspace, so it outlives a lock: locking
destroys every view but never stops an interview. It polls the recorder's status (a
cheap, thread-safe read with no database) and notices when the recorder stopped by
itself (microphone gone, disk nearly full), then closes the recording through the task
runner and says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from relations_desktop.core.audio.devices import AudioBackend
from relations_desktop.core.audio.recorder import RecorderStatus, RecordingSummary
from relations_desktop.core.consent.service import VerbalConsent
from relations_desktop.core.errors import ConsentRequired
from relations_desktop.core.recordings import ActiveRecording
from relations_desktop.core.services import StoreService
from relations_desktop.ui.context import STATUS_POLL_MS
from relations_desktop.ui.labels import format_clock
from relations_desktop.ui.tasks import TaskRunner, describe

STOP_QUESTION = "A recording is running. Stop it and quit?"
Answer = Callable[[bool], None]


def ask_stop_recording(parent: QWidget, answer: Answer) -> QMessageBox:
    """Ask (without blocking) whether to stop the recording and quit."""
    box = QMessageBox(QMessageBox.Icon.Question, "Relations Desktop", STOP_QUESTION, parent=parent)
    box.setObjectName("stopRecordingPrompt")
    box.setAccessibleName("Stop the recording and quit?")
    box.setInformativeText("Everything recorded so far is kept either way.")
    stop = box.addButton("Stop and quit", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep recording", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(lambda button: answer(button is stop))
    box.open()
    return box


def stop_message(reason: str, seconds: float) -> str:
    """Why the recorder stopped by itself, and that nothing was lost."""
    kept = f"Everything recorded ({format_clock(seconds)}) is kept."
    if reason == "device-lost":
        return (
            "The microphone stopped sending sound (was it unplugged?), so the recording "
            f"was stopped. {kept}"
        )
    if reason == "disk-low":
        return (
            "Free disk space fell below 200 MB, so the recording was stopped to keep it "
            f"safe. {kept} Free some space before recording again."
        )
    if reason == "disk-full":
        return f"The disk is full, so the recording was stopped. {kept}"
    return f"The recording stopped because of an error. {kept}"


class RecordingMonitor(QObject):
    started = Signal(object)  # ActiveRecording
    start_failed = Signal(str)  # a message for the user
    consent_refused = Signal(str)  # someone present lacks consent: who, and what to do
    status_changed = Signal(object)  # RecorderStatus, every poll while a recording runs
    stopped = Signal(object, object)  # ActiveRecording, RecordingSummary | None
    stopped_by_itself = Signal(str)  # why, for the user

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        *,
        backend: AudioBackend | None = None,
        poll_ms: int = STATUS_POLL_MS,
        recorder_options: Mapping[str, Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.backend = backend
        self.recorder_options = dict(recorder_options or {})
        self.active: ActiveRecording | None = service.recordings.active
        self.last_status: RecorderStatus | None = None
        self._starting = False
        self._stop_when_started = False
        self._stopping = False
        self._timer = QTimer(self, interval=poll_ms)
        self._timer.timeout.connect(self.poll)
        if self.active is not None:
            self._timer.start()

    # ------------------------------------------------------------------ state
    @property
    def is_running(self) -> bool:
        """A recording is open (recording or paused), or being started."""
        return self.active is not None or self._starting

    @property
    def is_paused(self) -> bool:
        return self.active is not None and self.active.recorder.status().state == "paused"

    @property
    def is_stopping(self) -> bool:
        return self._stopping

    # ---------------------------------------------------------------- control
    def start(
        self,
        encounter_id: str,
        device: str | None = None,
        verbal_consent: Sequence[VerbalConsent] = (),
    ) -> None:
        """Start through the runner. The core refuses unless everyone present consented to
        recording or gives ``verbal_consent`` now (kept at the recording's first second)."""
        if self.is_running:
            return
        self._starting = True
        self.runner.submit(
            self.service.recordings.start,
            encounter_id,
            device=device,
            backend=self.backend,
            verbal_consent=tuple(verbal_consent),
            **self.recorder_options,
            on_result=self._started,
            on_error=self._start_failed,
            owner=self,
        )

    def _started(self, active: ActiveRecording) -> None:
        self._starting = False
        self.active = active
        self.last_status = None
        self._timer.start()
        self.started.emit(active)
        self.poll()
        if self._stop_when_started:
            self._stop_when_started = False
            self.stop()

    def _start_failed(self, error: BaseException) -> None:
        self._starting = False
        self._stop_when_started = False
        if isinstance(error, ConsentRequired):
            self.consent_refused.emit(describe(error))
        else:
            self.start_failed.emit(describe(error))

    def pause(self) -> None:
        if self.active is not None and not self._stopping:
            self.active.recorder.pause()
            self.poll()

    def resume(self) -> None:
        if self.active is not None and not self._stopping:
            self.active.recorder.resume()
            self.poll()

    def toggle_pause(self) -> None:
        if self.is_paused:
            self.resume()
        else:
            self.pause()

    def stop(self, reason: str = "user") -> None:
        """Stop and close the recording (keeping everything) through the runner."""
        if self._starting:
            self._stop_when_started = True
            return
        if self.active is None or self._stopping:
            return
        self._stopping = True
        self._close(reason, by_itself=False)

    # ---------------------------------------------------------------- polling
    def poll(self) -> None:
        active = self.active
        if active is None:
            self._timer.stop()
            return
        status = active.recorder.status()
        self.last_status = status
        self.status_changed.emit(status)
        if active.recorder.stopped and not self._stopping:
            # The recorder stopped by itself; everything it took is committed.
            self._stopping = True
            self._close(status.stop_reason or "error", by_itself=True)

    def _close(self, reason: str, *, by_itself: bool) -> None:
        try:
            self.runner.submit(
                self.service.recordings.stop,
                reason,
                on_result=lambda summary: self._closed(summary, by_itself),
                on_error=lambda error: self._close_failed(error, by_itself),
                owner=self,
            )
        except RuntimeError:  # the app is shutting down; closing the store stops it
            self._timer.stop()

    def _closed(self, summary: RecordingSummary | None, by_itself: bool) -> None:
        active, self.active = self.active, None
        self._stopping = False
        self._timer.stop()
        if active is not None:
            self.status_changed.emit(active.recorder.status())
        if by_itself and summary is not None:
            self.stopped_by_itself.emit(stop_message(summary.stop_reason, summary.seconds))
        self.stopped.emit(active, summary)

    def _close_failed(self, error: BaseException, by_itself: bool) -> None:
        # The recorder has stopped and its chunks are committed; at worst the next
        # unlock closes the recording as recovered.
        active = self.active
        summary = active.recorder.summary() if active is not None else None
        self._closed(summary, by_itself)
        self.stopped_by_itself.emit(f"Closing the recording failed: {describe(error)}")
