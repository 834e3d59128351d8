"""What the transcript editor loads, and how it follows a transcription as it runs.

:class:`LiveFill` listens to the job events of the recording shown. While its job
runs, each new segment fetches the transcript again (one fetch at a time; events that
come meanwhile ask for one more), so the editor fills in without being reopened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from relations_desktop.core.errors import NotFound
from relations_desktop.core.records import (
    EncounterRecord,
    JobRecord,
    ParticipantRecord,
    RecordingRecord,
    TranscriptRecord,
)
from relations_desktop.core.services import StoreService
from relations_desktop.core.transcription.jobs import JobEvent
from relations_desktop.ui.tasks import TaskRunner, describe, is_alive
from relations_desktop.ui.transcript_keys import SETTING


@dataclass(frozen=True)
class Loaded:
    recording: RecordingRecord
    encounter: EncounterRecord
    transcript: TranscriptRecord | None
    jobs: list[JobRecord]
    participants: list[ParticipantRecord]
    shortcuts: Any

    @property
    def live_id(self) -> str | None:
        """The transcript a running job is still filling, when it is the one shown."""
        transcript = self.transcript
        running = next((j for j in self.jobs if j.status == "running"), None)
        if (
            transcript is not None
            and running is not None
            and running.transcript_id == transcript.id
        ):
            return transcript.id
        return None


def load(service: StoreService, recording_id: str) -> Loaded:
    """Everything the editor shows (on the worker thread)."""
    recording = service.recordings.get(recording_id)
    return Loaded(
        recording,
        service.get_encounter(recording.encounter_id),
        service.transcripts.latest_for_recording(recording_id),
        service.transcription.jobs(recording_id),
        service.list_participants(),
        service.get_setting(SETTING),
    )


class LiveFill(QObject):
    started = Signal()  # a job fills the transcript shown (or the empty editor)
    arrived = Signal(object)  # the TranscriptRecord as it stands now
    finished = Signal()  # the job is done: the transcript can be corrected
    ended = Signal(str)  # failed or cancelled (a message); its transcript is gone
    message = Signal(str)

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QObject) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.recording_id: str | None = None
        self.shown_id: str | None = None  # the transcript the editor shows
        self.live_id: str | None = None  # the transcript a job is filling
        self._fetching = self._again = self._finishing = False

    def reset(
        self, recording_id: str | None, shown_id: str | None = None, live_id: str | None = None
    ) -> None:
        self.recording_id, self.shown_id, self.live_id = recording_id, shown_id, live_id
        self._fetching = self._again = self._finishing = False

    def on_event(self, event: JobEvent) -> None:
        if not is_alive(self) or event.recording_id != self.recording_id:
            return
        other = event.transcript_id not in (None, self.shown_id)
        if event.status == "done" and other and self.live_id is None:
            self.message.emit("The new transcript is ready: open it from the session.")
            return  # the transcript shown stays as it is
        if event.status == "running" and event.transcript_id:
            if self.shown_id not in (None, event.transcript_id):
                return  # an older transcript is shown: it stays as it is
            if self.live_id != event.transcript_id:
                self.live_id = event.transcript_id
                self.started.emit()
            if event.segment_id:
                self.fetch()
        elif event.status == "done" and self.live_id and event.transcript_id == self.live_id:
            self._finishing = True
            self.fetch()
        elif event.status in ("failed", "cancelled") and self.live_id:
            self.live_id = None
            reason = f"failed: {event.error}" if event.status == "failed" else "was cancelled"
            self.ended.emit(f"The transcription {reason}. Nothing of it was kept.")

    def fetch(self) -> None:
        if self._fetching:
            self._again = True
            return
        if self.live_id is None:
            return
        self._fetching = True
        self.runner.submit(
            self.service.transcripts.get,
            self.live_id,
            on_result=self._fetched,
            on_error=self._failed,
            owner=self,
        )

    def _fetched(self, record: TranscriptRecord) -> None:
        self._fetching = False
        if record.recording_id != self.recording_id or record.id != self.live_id:
            return
        self.shown_id = record.id
        self.arrived.emit(record)
        if self._again:
            self._again = False
            self.fetch()
        elif self._finishing:
            self._finishing = False
            self.live_id = None
            self.finished.emit()

    def _failed(self, error: BaseException) -> None:
        self._fetching = False
        if not isinstance(error, NotFound):  # a cancelled job's transcript is gone
            self.message.emit(describe(error))
