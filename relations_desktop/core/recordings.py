"""Recording use cases: capture, jottings, crash recovery, import, export, reading audio.

Reached as ``StoreService.recordings``. Capture writes through a dedicated engine (see
:mod:`relations_desktop.core.audio.chunks`), so locking the store never stops it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from relations_desktop.core.audio import chunks, files
from relations_desktop.core.audio.codec import Samples, encode_flac
from relations_desktop.core.audio.devices import AudioBackend, DeviceInfo, SoundDeviceBackend
from relations_desktop.core.audio.recorder import Recorder, RecordingSummary
from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.fsutil import free_bytes
from relations_desktop.core.records import FieldnoteRecord, JottingRecord, RecordingRecord
from relations_desktop.core.store.lookup import get_or_missing
from relations_desktop.core.store.models import (
    AudioChunk,
    Encounter,
    Fieldnote,
    FieldnoteKind,
    Recording,
    RecordingSource,
    RecordingStatus,
)

if TYPE_CHECKING:
    from relations_desktop.core.consent.service import VerbalConsent
    from relations_desktop.core.services import StoreService

Progress = Callable[[float], None]


class ActiveRecording:
    """A capture in progress: the recorder plus the id of what it writes."""

    def __init__(self, recording_id: str, encounter_id: str, recorder: Recorder) -> None:
        self.recording_id = recording_id
        self.encounter_id = encounter_id
        self.recorder = recorder

    def stop(self, reason: str = "user") -> RecordingSummary:
        return self.recorder.stop(reason)


class RecordingService:
    def __init__(self, store: StoreService) -> None:
        self._store = store
        self._active: ActiveRecording | None = None
        self._guard = threading.Lock()
        self.recovered: list[RecordingRecord] = []

    # ------------------------------------------------------------------ capture
    @staticmethod
    def devices(backend: AudioBackend | None = None) -> list[DeviceInfo]:
        return (backend or SoundDeviceBackend()).input_devices()

    @property
    def active(self) -> ActiveRecording | None:
        active = self._active
        return active if active is not None and not active.recorder.stopped else None

    def start(
        self,
        encounter_id: str,
        *,
        device: str | int | None = None,
        backend: AudioBackend | None = None,
        verbal_consent: Sequence[VerbalConsent] = (),
        **recorder_options: Any,
    ) -> ActiveRecording:
        """Open the input device and start committing chunks to a new recording.

        Everyone present must have agreed to audio recording, or be giving verbal consent
        now (``verbal_consent``), which is stored against the recording's first seconds.
        """
        with self._guard:
            if self.active is not None:
                raise InvalidInput("A recording is already running; stop it first.")
            self._store.consent.check_recording(encounter_id, verbal_consent)
            backend = backend or SoundDeviceBackend()
            rate, device_name = backend.input_rate(device)
            with self._store._session() as session:
                _encounter(session, encounter_id)
                recording = Recording(
                    encounter_id=encounter_id,
                    status=RecordingStatus.RECORDING,
                    source=RecordingSource.MICROPHONE,
                    sample_rate=rate,
                    channels=1,
                    device_name=device_name,
                    created_by=self._store.researcher_id,
                    updated_by=self._store.researcher_id,
                )
                session.add(recording)
                session.flush()
                recording_id = recording.id
            sink = chunks.DatabaseChunkSink(
                self._store._dedicated_engine(), recording_id, self._store.researcher_id
            )
            store_dir = self._store.store_dir
            recorder = Recorder(
                sink,
                backend,
                rate,
                device,
                free_space=lambda: free_bytes(store_dir),
                **recorder_options,
            )
            try:
                recorder.start()
            except BaseException:
                recorder.wait(5)
                self._discard_empty(recording_id)
                raise
            self._active = ActiveRecording(recording_id, encounter_id, recorder)
            self._store.audit(
                "recording_started", "recording", recording_id, device=device_name, sample_rate=rate
            )
            if verbal_consent:
                self._store.consent.record_verbal(recording_id, verbal_consent, 0.0)
            return self._active

    def stop(self, reason: str = "user") -> RecordingSummary | None:
        active = self._active
        if active is None:
            return None
        summary = active.stop(reason)  # the sink closes and audits the recording
        self._active = None
        if summary.frames == 0:  # stopped before any audio arrived: nothing to keep
            self._discard_empty(active.recording_id)
        return summary

    def add_jotting(self, text: str) -> FieldnoteRecord:
        """A note typed while recording, placed at the current position of the audio."""
        active = self.active
        if active is None:
            raise InvalidInput("Jottings are taken while recording; nothing is recording.")
        if not text.strip():
            raise InvalidInput("The jotting is empty.")
        return self._store.add_note(
            active.encounter_id,
            text.strip(),
            kind=FieldnoteKind.JOTTING.value,
            offset_seconds=round(active.recorder.position_seconds, 3),
            recording_id=active.recording_id,
        )

    def _discard_empty(self, recording_id: str) -> None:
        with self._store._session() as session:
            if chunks.committed_frames(session, recording_id) == 0:
                recording = session.get(Recording, recording_id)
                if recording is not None:
                    session.delete(recording)

    # ----------------------------------------------------------------- recovery
    def recover_interrupted(self) -> list[RecordingRecord]:
        """Close recordings a crash left open: every committed chunk is kept."""
        recovered: list[str] = []
        with self._store._session() as session:
            stale = session.scalars(
                select(Recording).where(Recording.status == RecordingStatus.RECORDING)
            ).all()
            for recording in stale:
                recording.frames = chunks.committed_frames(session, recording.id)
                recording.status = RecordingStatus.RECOVERED
                recording.stop_reason = "recovered"
                recording.ended_at = datetime.now(UTC)
                recovered.append(recording.id)
        for recording_id in recovered:
            self._store.audit("recording_recovered", "recording", recording_id)
        self.recovered = [self.get(rid) for rid in recovered]
        return self.recovered

    # -------------------------------------------------------------------- query
    def list(self, encounter_id: str | None = None) -> list[RecordingRecord]:
        with self._store._session() as session:
            query = select(Recording).order_by(Recording.started_at)
            if encounter_id is not None:
                _encounter(session, encounter_id)
                query = query.where(Recording.encounter_id == encounter_id)
            return [self._record(session, r) for r in session.scalars(query).all()]

    def get(self, recording_id: str) -> RecordingRecord:
        with self._store._session() as session:
            return self._record(session, _recording(session, recording_id))

    def samples(self, recording_id: str, start_seconds: float = 0.0) -> Iterator[Samples]:
        """Decrypted audio, streamed in order from ``start_seconds`` (never to disk)."""
        record = self.get(recording_id)
        start = max(0, round(start_seconds * record.sample_rate))
        return chunks.iter_samples(self._store._plain_session, recording_id, start)

    def _record(self, session: Session, recording: Recording) -> RecordingRecord:
        live = recording.status == RecordingStatus.RECORDING
        frames = chunks.committed_frames(session, recording.id) if live else recording.frames
        notes = session.scalars(
            select(Fieldnote)
            .where(Fieldnote.recording_id == recording.id)
            .order_by(Fieldnote.offset_seconds)
        ).all()
        return RecordingRecord(
            id=recording.id,
            encounter_id=recording.encounter_id,
            status=recording.status.value,
            source=recording.source.value,
            sample_rate=recording.sample_rate,
            channels=recording.channels,
            duration_seconds=frames / recording.sample_rate,
            started_at=recording.started_at,
            ended_at=recording.ended_at,
            device_name=recording.device_name,
            original_name=recording.original_name,
            overflow_count=recording.overflow_count,
            stop_reason=recording.stop_reason,
            size_bytes=chunks.chunk_bytes(session, recording.id),
            jottings=[JottingRecord(n.id, n.offset_seconds or 0.0, n.body) for n in notes],
        )

    # ---------------------------------------------------------- import / export
    def import_file(
        self,
        encounter_id: str,
        path: Path,
        *,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        verbal_consent: Sequence[VerbalConsent] = (),
    ) -> RecordingRecord:
        """Store an existing recording (phone, dictaphone): all of it, or nothing.

        The same consent rule as for recording applies: everyone present must have agreed
        to audio recording, or give verbal consent at the start of this recording.
        """
        with self._store._session() as session:
            _encounter(session, encounter_id)
        self._store.consent.check_recording(encounter_id, verbal_consent)
        info = files.probe(path)
        rate = info.sample_rate
        with self._store._session() as session:
            recording = Recording(
                encounter_id=encounter_id,
                status=RecordingStatus.IMPORTED,
                source=RecordingSource.IMPORT,
                sample_rate=rate,
                channels=1,
                original_name=path.name[:300],
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            session.add(recording)
            session.flush()
            frames = 0
            # Core inserts, not ORM objects: nothing accumulates in memory however long
            # the file. One transaction: a damaged file or a cancel leaves nothing.
            for seq, block in enumerate(files.decode(path, rate, rate, cancelled)):
                session.execute(
                    insert(AudioChunk).values(
                        recording_id=recording.id,
                        seq=seq,
                        start_frame=frames,
                        frames=len(block),
                        data=encode_flac(block, rate),
                    )
                )
                frames += len(block)
                if progress and info.duration_seconds and seq % 10 == 9:
                    progress(min(1.0, frames / rate / info.duration_seconds))
            if frames == 0:
                raise InvalidInput(f"{path.name} holds no audio; nothing was stored.")
            recording.frames = frames
            recording.ended_at = datetime.now(UTC)
            recording_id = recording.id
        if progress:
            progress(1.0)
        self._store.audit("recording_imported", "recording", recording_id, seconds=frames / rate)
        if verbal_consent:
            self._store.consent.record_verbal(recording_id, verbal_consent, 0.0)
        return self.get(recording_id)

    def export_file(self, recording_id: str, path: Path, fmt: str | None = None) -> int:
        """Write a decrypted copy (FLAC or WAV) where the user asked; audited."""
        record = self.get(recording_id)
        try:
            frames = files.write(path, record.sample_rate, self.samples(recording_id), fmt)
        except OSError as exc:
            raise RelationsError(f"Cannot write {path}: {exc.strerror}.") from exc
        self._store.audit(
            "recording_exported", "recording", recording_id, path=str(path), unencrypted=True
        )
        return frames

    def count(self) -> int:
        with self._store._session() as session:
            return int(session.scalar(select(func.count()).select_from(Recording)) or 0)


def _encounter(session: Session, encounter_id: str) -> Encounter:
    return get_or_missing(session, Encounter, encounter_id, "session")


def _recording(session: Session, recording_id: str) -> Recording:
    return get_or_missing(session, Recording, recording_id, "recording")
