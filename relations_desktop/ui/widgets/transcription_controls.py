"""A recording's transcription: Transcribe (fast or accurate), the job's status, Cancel.

The job runs in the core's background queue (in its own process); this line follows it
through the :class:`TranscriptionBridge`: waiting, "Transcribing… 43 %", done, or the
reason it failed. Cancel is immediate.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QWidget,
)

from relations_desktop.core.records import JobRecord
from relations_desktop.core.transcription.jobs import JobEvent
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.labels import local_time
from relations_desktop.ui.messages import show_error
from relations_desktop.ui.tasks import describe, is_alive
from relations_desktop.ui.transcription_bridge import TranscriptionBridge

MODES = {"fast": "Fast", "accurate": "Accurate"}
MODE_HINTS = {
    "fast": "Quicker; good enough for a first pass",
    "accurate": "Slower; fewer mistakes",
}
ACTIVE = ("queued", "running")


def job_text(job: JobRecord | None) -> str:
    """The status line for a recording's latest transcription job."""
    if job is None:
        return "Not transcribed yet"
    if job.status == "queued":
        return "Waiting to transcribe…"
    if job.status == "running":
        return f"Transcribing… {round(job.progress * 100)} %"
    if job.status == "done":
        when = f", {local_time(job.finished_at):%d %b %Y %H:%M}" if job.finished_at else ""
        return f"Transcribed ({MODES.get(job.mode, job.mode).lower()}{when})"
    if job.status == "failed":
        return f"Transcription failed: {job.error or 'no reason was given'}"
    return "Transcription cancelled; nothing was kept"


class TranscriptionControls(QWidget):
    open_requested = Signal(str)  # recording id
    status_message = Signal(str)

    def __init__(
        self, context: AppContext, parent: QWidget | None = None, *, show_open: bool = True
    ) -> None:
        super().__init__(parent)
        self.setObjectName("transcriptionControls")
        self.service = context.service
        self.runner = context.runner
        self.bridge: TranscriptionBridge | None = None
        self.recording_id: str | None = None
        self.job: JobRecord | None = None
        self.has_transcript = False
        self.confirm: QMessageBox | None = None

        self.status = QLabel(self)
        self.status.setObjectName("jobStatus")
        self.status.setAccessibleName("Transcription status")
        self.status.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("jobProgress")
        self.progress.setAccessibleName("Transcription progress")
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(120)
        self.progress.setFixedHeight(8)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel transcription")
        self.cancel_button.setToolTip("Stop the transcription now; nothing of it is kept")
        self.cancel_button.clicked.connect(self.cancel)
        self.transcribe_button = QPushButton("Transcribe", self)
        self.transcribe_button.setAccessibleName("Transcribe")
        self.transcribe_button.setToolTip(
            "Turn the recording into text on this computer, in the background"
        )
        self.transcribe_button.setProperty("hasMenu", True)
        menu = QMenu(self.transcribe_button)
        self.mode_actions: dict[str, QAction] = {}
        for mode, label in MODES.items():
            action = QAction(f"{label} — {MODE_HINTS[mode].lower()}", menu)
            action.triggered.connect(lambda _checked=False, m=mode: self.transcribe(m))
            menu.addAction(action)
            self.mode_actions[mode] = action
        self.transcribe_button.setMenu(menu)
        self.open_button = QPushButton("Open transcript", self)
        self.open_button.setAccessibleName("Open transcript")
        self.open_button.setToolTip("Correct the transcript while listening")
        self.open_button.clicked.connect(self._open)
        self.open_button.setVisible(show_open)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.transcribe_button)
        layout.addWidget(self.open_button)
        self._show()

    # ---------------------------------------------------------------- wiring
    def set_bridge(self, bridge: TranscriptionBridge | None) -> None:
        if self.bridge is not None:
            self.bridge.job_event.disconnect(self.on_event)
        self.bridge = bridge
        if bridge is not None:
            bridge.job_event.connect(self.on_event)

    def set_recording(self, recording_id: str | None) -> None:
        if recording_id != self.recording_id:
            self.recording_id = recording_id
            self.job = None
            self.has_transcript = False
        self._show()
        self.refresh()

    def refresh(self) -> None:
        recording_id = self.recording_id
        if recording_id is None:
            return
        self.runner.submit(
            self.service.transcription.jobs,
            recording_id,
            on_result=lambda jobs: self._jobs(recording_id, jobs),
            owner=self,
        )

    def _jobs(self, recording_id: str, jobs: list[JobRecord]) -> None:
        if recording_id != self.recording_id:
            return
        self.job = jobs[-1] if jobs else None
        self.has_transcript = any(j.status == "done" for j in jobs)
        self._show()

    @property
    def is_active(self) -> bool:
        return self.job is not None and self.job.status in ACTIVE

    # ---------------------------------------------------------------- actions
    def transcribe(self, mode: str) -> None:
        if self.recording_id is None or self.is_active:
            return
        if not self.has_transcript:
            self._enqueue(mode)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Transcribe again",
            "This recording already has a transcript. Transcribing it again makes a new "
            "one; the corrections you made stay in the old one, which is kept.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        self.again_button = box.addButton("Transcribe again", QMessageBox.ButtonRole.AcceptRole)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: self._enqueue(mode) if button is self.again_button else None
        )
        self.confirm = box
        box.open()

    def _enqueue(self, mode: str) -> None:
        if self.recording_id is None:
            return
        self.runner.submit(
            self.service.transcription.enqueue,
            self.recording_id,
            mode=mode,
            on_result=self._queued,
            on_error=self._enqueue_failed,
        )

    def _queued(self, job: JobRecord) -> None:
        self.status_message.emit(f"Transcription queued ({MODES[job.mode].lower()})")
        if job.recording_id == self.recording_id:
            self.job = job
            self._show()

    def _enqueue_failed(self, error: BaseException) -> None:
        show_error(self, describe(error), "Transcribe")

    def cancel(self) -> None:
        job = self.job
        if job is None or job.status not in ACTIVE:
            return
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling…")
        self.runner.submit(
            self.service.transcription.cancel, job.id, on_result=lambda _r: self.refresh()
        )

    def _open(self) -> None:
        if self.recording_id is not None:
            self.open_requested.emit(self.recording_id)

    # ---------------------------------------------------------------- events
    def on_event(self, event: JobEvent) -> None:
        if not is_alive(self) or event.recording_id != self.recording_id:
            return
        job = self.job
        if job is None or job.id != event.job_id:
            self.refresh()
            return
        self.job = replace(
            job,
            status=event.status,
            progress=event.progress,
            error=event.error,
            transcript_id=event.transcript_id,
        )
        if event.status == "done":
            self.has_transcript = True
            self.refresh()  # the finishing time
        self._show()

    def _show(self) -> None:
        job, selected = self.job, self.recording_id is not None
        self.status.setText(job_text(job) if selected else "")
        failed = job is not None and job.status == "failed"
        if self.status.property("tone") != ("error" if failed else ""):
            self.status.setProperty("tone", "error" if failed else "")
            self.status.style().unpolish(self.status)
            self.status.style().polish(self.status)
        active = self.is_active
        self.progress.setVisible(active)
        if job is not None:
            self.progress.setValue(round(job.progress * 100))
        self.cancel_button.setVisible(active)
        self.cancel_button.setEnabled(active)
        self.transcribe_button.setEnabled(selected and not active)
        self.open_button.setEnabled(selected)
        primary = "primary" if self.has_transcript or active else ""
        if self.open_button.objectName() != primary:  # the next step stands out
            self.open_button.setObjectName(primary)
            self.open_button.style().unpolish(self.open_button)
            self.open_button.style().polish(self.open_button)
