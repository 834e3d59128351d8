"""Audio chunks in the encrypted database: the recorder's sink, and ordered reading.

The sink owns a dedicated engine (keyed like the main one) so that a recording goes on
while the app is locked: locking drops the main engine and the key, never an interview.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from relations_desktop.core.audio.codec import Samples, decode_flac
from relations_desktop.core.audio.recorder import DiskFull
from relations_desktop.core.store.models import (
    AudioChunk,
    AuditEvent,
    Recording,
    RecordingStatus,
)

READ_BATCH = 32  # chunks per query while streaming audio out (~32 s, ~2 MB)


class DatabaseChunkSink:
    """Commits every chunk of one recording at once, in its own transaction."""

    def __init__(
        self,
        engine: Engine,
        recording_id: str,
        researcher_id: str | None = None,
        on_finish: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine)
        self.recording_id = recording_id
        self.researcher_id = researcher_id
        self._on_finish = on_finish

    def write_chunk(self, seq: int, start_frame: int, frames: int, data: bytes) -> None:
        try:
            with self._sessions.begin() as session:
                session.add(
                    AudioChunk(
                        recording_id=self.recording_id,
                        seq=seq,
                        start_frame=start_frame,
                        frames=frames,
                        data=data,
                    )
                )
        except DBAPIError as exc:
            if "full" in str(exc.orig).lower():
                raise DiskFull(str(exc.orig)) from exc
            raise

    def finish(self, frames: int, overflows: int, stop_reason: str) -> None:
        """Close the recording and audit it, through this engine: the app may be locked,
        and the recorder may have stopped by itself (device lost, disk low)."""
        try:
            with self._sessions.begin() as session:
                session.execute(
                    update(Recording)
                    .where(Recording.id == self.recording_id)
                    .values(
                        status=RecordingStatus.COMPLETE,
                        frames=frames,
                        overflow_count=overflows,
                        stop_reason=stop_reason,
                        ended_at=datetime.now(UTC),
                    )
                )
                rate = session.scalar(
                    select(Recording.sample_rate).where(Recording.id == self.recording_id)
                )
                session.add(
                    AuditEvent(
                        researcher_id=self.researcher_id,
                        action="recording_stopped",
                        target_type="recording",
                        target_id=self.recording_id,
                        detail={
                            "seconds": round(frames / (rate or 1), 3),
                            "reason": stop_reason,
                            "overflows": overflows,
                        },
                    )
                )
        finally:
            self._engine.dispose()
            self._on_finish()


def committed_frames(session: Session, recording_id: str) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(AudioChunk.frames), 0)).where(
            AudioChunk.recording_id == recording_id
        )
    )
    return int(total or 0)


def chunk_bytes(session: Session, recording_id: str) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(func.length(AudioChunk.data)), 0)).where(
            AudioChunk.recording_id == recording_id
        )
    )
    return int(total or 0)


def iter_samples(
    sessions: Callable[[], Session], recording_id: str, start_frame: int = 0
) -> Iterator[Samples]:
    """Decoded audio from ``start_frame`` on, in order, a chunk at a time.

    Reads in small batches with a short session each, so memory stays constant however
    long the recording, and no transaction stays open while the caller plays or writes.
    """
    next_seq: int | None = None
    while True:
        with sessions() as session:
            query = select(AudioChunk.seq, AudioChunk.start_frame, AudioChunk.data).where(
                AudioChunk.recording_id == recording_id
            )
            if next_seq is None:
                first = session.scalar(
                    select(func.max(AudioChunk.seq)).where(
                        AudioChunk.recording_id == recording_id,
                        AudioChunk.start_frame <= start_frame,
                    )
                )
                next_seq = int(first) if first is not None else 0
            rows = session.execute(
                query.where(AudioChunk.seq >= next_seq).order_by(AudioChunk.seq).limit(READ_BATCH)
            ).all()
        if not rows:
            return
        for seq, chunk_start, data in rows:
            samples, _rate = decode_flac(data)
            if chunk_start < start_frame:
                samples = samples[start_frame - chunk_start :]
            if len(samples):
                yield samples
            next_seq = seq + 1


def read_all(sessions: Callable[[], Session], recording_id: str) -> Samples:
    """The whole recording in memory (short clips and tests only)."""
    parts = list(iter_samples(sessions, recording_id))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


def delete_chunks(session: Session, recording_id: str) -> None:
    session.execute(delete(AudioChunk).where(AudioChunk.recording_id == recording_id))
