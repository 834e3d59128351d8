"""The audio of a flagged transcript occurrence: the recording in a player bar, read
through the task runner, played from a couple of seconds before the segment starts."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from relations_desktop.core.records import RecordingRecord
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.tasks import describe
from relations_desktop.ui.widgets.player_bar import PlayerBar

PRE_ROLL = 2.0  # seconds before the segment, so the name is heard in its sentence


class OccurrenceAudio(QObject):
    about_to_play = Signal()  # other players should stop
    error = Signal(str)

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = context.service
        self.runner = context.runner
        self.bar = PlayerBar(context.player_factory, context.audio_backend)
        self.bar.error.connect(self.error)
        self.loaded: str | None = None  # the recording in the bar
        self._wanted: str | None = None
        self._records: dict[str, RecordingRecord] = {}
        self._fetching: set[str] = set()
        self._pending: tuple[str, float] | None = None

    def show_recording(self, recording_id: str | None) -> None:
        """Put this recording in the bar (the sound card opens only when played)."""
        self._wanted = recording_id
        if recording_id is None or recording_id == self.loaded:
            self._play_pending()
            return
        record = self._records.get(recording_id)
        if record is not None:
            self._load(record)
            return
        if recording_id in self._fetching:
            return
        self._fetching.add(recording_id)
        self.runner.submit(
            self.service.recordings.get,
            recording_id,
            on_result=self._read,
            on_error=lambda error: self._not_read(recording_id, error),
            owner=self,
        )

    def play_near(self, recording_id: str, seconds: float) -> None:
        self._pending = (recording_id, max(0.0, seconds - PRE_ROLL))
        self.show_recording(recording_id)

    def _read(self, record: RecordingRecord) -> None:
        self._fetching.discard(record.id)
        self._records[record.id] = record
        if record.id == self._wanted and record.id != self.loaded:
            self._load(record)

    def _not_read(self, recording_id: str, error: BaseException) -> None:
        self._fetching.discard(recording_id)
        self._pending = None
        self.error.emit(describe(error))

    def _load(self, record: RecordingRecord) -> None:
        recording_id = record.id
        self.bar.load(
            lambda start: self.service.recordings.samples(recording_id, start),
            record.sample_rate,
            record.duration_seconds,
            [],
        )
        self.loaded = recording_id
        self._play_pending()

    def _play_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == self.loaded:
            self.about_to_play.emit()
            self.bar.play_from(pending[1])

    def stop(self) -> None:
        self.bar.close_player()

    def unload(self) -> None:
        self._pending = None
        self._wanted = None
        self.loaded = None
        self.bar.unload()

    def forget(self) -> None:
        self.unload()
        self._records.clear()
        self._fetching.clear()
