"""The transcription queue: jobs kept in the store, run one at a time in a worker process.

Reached as ``StoreService.transcription``. Jobs are rows, so the queue survives a
restart: a job left ``running`` by a crash goes back to ``queued`` at the next open.
Segments are committed as they arrive, so the editor fills in live. The queue writes
through a dedicated engine (like the recorder), so a lock does not interrupt it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import av
import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from relations_desktop.core.audio import chunks
from relations_desktop.core.errors import Cancelled, InvalidInput, NotFound, RelationsError
from relations_desktop.core.records import JobRecord
from relations_desktop.core.store.models import (
    AuditEvent,
    GlossaryTerm,
    JobStatus,
    Recording,
    SegmentRevision,
    Transcript,
    TranscriptionJob,
    TranscriptSegment,
)
from relations_desktop.core.transcription import model_files
from relations_desktop.core.transcription.worker import (
    SEND_BLOCK_FRAMES,
    WHISPER_RATE,
    Done,
    Failed,
    Message,
    Progress,
    Request,
    SegmentMessage,
    WorkerProcess,
)
from relations_desktop.core.transcription.worker import (
    Cancelled as WorkerCancelled,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

MODES = ("fast", "accurate")
DEFAULT_THREADS = 2
# Per-store settings (Settings in the GUI); --model / --language override them.
MODEL_SETTING = "speech_model_dir"  # "" = the embedded default
LANGUAGE_SETTING = "speech_language"
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class JobEvent:
    """What listeners (the GUI, the CLI's progress line) hear about a job."""

    job_id: str
    recording_id: str
    status: str
    progress: float
    transcript_id: str | None = None
    segment_id: str | None = None  # set when a segment was just stored
    error: str = ""


Listener = Callable[[JobEvent], None]


class TranscriptionService:
    def __init__(self, store: StoreService) -> None:
        self._store = store
        self._listeners: list[Listener] = []
        self._cancel: dict[str, threading.Event] = {}
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._worker: WorkerProcess | None = None
        self.threads = DEFAULT_THREADS

    # ------------------------------------------------------------- glossary
    def add_terms(self, terms: list[str]) -> list[str]:
        added: list[str] = []
        with self._store._session() as session:
            existing = set(session.scalars(select(GlossaryTerm.term)))
            for raw in terms:
                term = " ".join(raw.split())
                if not term:
                    raise InvalidInput("A glossary term must not be empty.")
                if term not in existing:
                    session.add(
                        GlossaryTerm(
                            project_id=self._store.project_id,
                            term=term,
                            created_by=self._store.researcher_id,
                        )
                    )
                    existing.add(term)
                    added.append(term)
        return added

    def set_model(self, model_dir: str | None) -> str:
        """Choose the speech model for this store (None: the embedded default); checked."""
        choice = model_files.choose(model_dir)
        self._store.set_setting(MODEL_SETTING, "" if choice.is_default else str(choice.path))
        return choice.name

    def model_setting(self) -> str:
        return str(self._store.get_setting(MODEL_SETTING, "") or "")

    def set_language(self, language: str) -> None:
        code = language.strip().lower()
        if not code or len(code) > 10 or not code.replace("-", "").isalpha():
            raise InvalidInput(f"{language!r} is not a language code (such as en, cy, gd).")
        self._store.set_setting(LANGUAGE_SETTING, code)

    def language_setting(self) -> str:
        return str(self._store.get_setting(LANGUAGE_SETTING, DEFAULT_LANGUAGE))

    def remove_term(self, term: str) -> None:
        with self._store._session() as session:
            session.execute(delete(GlossaryTerm).where(GlossaryTerm.term == term))

    def terms(self) -> list[str]:
        with self._store._session() as session:
            return list(session.scalars(select(GlossaryTerm.term).order_by(GlossaryTerm.term)))

    # ----------------------------------------------------------------- jobs
    def enqueue(
        self,
        recording_id: str,
        *,
        model_dir: str | None = None,
        language: str | None = None,
        mode: str = "fast",
    ) -> JobRecord:
        """Queue a transcription; the model and language default to the store's settings."""
        if mode not in MODES:
            raise InvalidInput(f"Unknown mode {mode!r}; choose fast or accurate.")
        if model_dir is None:
            model_dir = str(self._store.get_setting(MODEL_SETTING, "") or "") or None
        if language is None:
            language = str(self._store.get_setting(LANGUAGE_SETTING, DEFAULT_LANGUAGE))
        choice = model_files.choose(model_dir)  # a bad folder is refused before queueing
        with self._store._session() as session:
            if session.get(Recording, recording_id) is None:
                raise NotFound(f"There is no recording with id {recording_id!r}.")
            job = TranscriptionJob(
                recording_id=recording_id,
                status=JobStatus.QUEUED,
                model_path="" if choice.is_default else str(choice.path),
                language=(language or DEFAULT_LANGUAGE).strip().lower(),
                mode=mode,
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            session.add(job)
            session.flush()
            record = _job_record(job)
        self._wake.set()
        return record

    def jobs(self, recording_id: str | None = None) -> list[JobRecord]:
        with self._store._session() as session:
            query = select(TranscriptionJob).order_by(TranscriptionJob.created_at)
            if recording_id is not None:
                query = query.where(TranscriptionJob.recording_id == recording_id)
            return [_job_record(j) for j in session.scalars(query)]

    def get_job(self, job_id: str) -> JobRecord:
        with self._store._session() as session:
            job = session.get(TranscriptionJob, job_id)
            if job is None:
                raise NotFound(f"There is no transcription job with id {job_id!r}.")
            return _job_record(job)

    def cancel(self, job_id: str) -> None:
        """Cancel at once: a running worker is killed; a queued job never starts."""
        event = self._cancel.get(job_id)
        if event is not None:
            event.set()
            return
        with self._store._session() as session:
            job = session.get(TranscriptionJob, job_id)
            if job is None or job.status != JobStatus.QUEUED:
                return
            job.status, job.finished_at = JobStatus.CANCELLED, datetime.now(UTC)
            recording_id = job.recording_id
        self._emit(JobEvent(job_id, recording_id, "cancelled", 0.0))

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def requeue_interrupted(self) -> int:
        """Jobs a crash left running go back to the queue; their partial text is dropped."""
        with self._store._session() as session:
            stale = session.scalars(
                select(TranscriptionJob).where(TranscriptionJob.status == JobStatus.RUNNING)
            ).all()
            for job in stale:
                if job.transcript_id:
                    session.execute(delete(Transcript).where(Transcript.id == job.transcript_id))
                job.status, job.progress, job.transcript_id = JobStatus.QUEUED, 0.0, None
            return len(stale)

    # ---------------------------------------------------------------- running
    def start_background(self) -> None:
        """Run queued jobs one at a time on a background thread until :meth:`shutdown`."""
        if self._thread is not None and self._thread.is_alive():
            self._wake.set()
            return
        self._stop.clear()
        sessions = sessionmaker(self._store._dedicated_engine())
        self._thread = threading.Thread(
            target=self._loop, args=(sessions,), daemon=True, name="transcription-queue"
        )
        self._thread.start()
        self._wake.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the queue: a running job is interrupted and goes back to the queue."""
        self._stop.set()
        for event in list(self._cancel.values()):
            event.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_job(self, job_id: str) -> JobRecord:
        """Run one job now, on this thread (the CLI); returns it finished."""
        sessions = sessionmaker(self._store._dedicated_engine())
        try:
            self._run(sessions, job_id)
        finally:
            engine = sessions.kw["bind"]
            engine.dispose()
        return self.get_job(job_id)

    @property
    def worker_pid(self) -> int | None:
        worker = self._worker
        return None if worker is None else worker.pid

    def _loop(self, sessions: sessionmaker[Session]) -> None:
        try:
            while not self._stop.is_set():
                with sessions() as session:
                    job_id = session.scalar(
                        select(TranscriptionJob.id)
                        .where(TranscriptionJob.status == JobStatus.QUEUED)
                        .order_by(TranscriptionJob.created_at)
                        .limit(1)
                    )
                if job_id is None:
                    self._wake.wait(1.0)
                    self._wake.clear()
                    continue
                self._run(sessions, job_id)
        finally:
            sessions.kw["bind"].dispose()

    def _run(self, sessions: sessionmaker[Session], job_id: str) -> None:
        cancel = self._cancel.setdefault(job_id, threading.Event())
        try:
            with sessions.begin() as session:
                job = session.get(TranscriptionJob, job_id)
                if job is None or job.status not in (JobStatus.QUEUED, JobStatus.FAILED):
                    return
                recording = session.get(Recording, job.recording_id)
                assert recording is not None
                choice = model_files.choose(job.model_path or None)
                transcript = Transcript(
                    recording_id=recording.id,
                    model_name=choice.name,
                    language=job.language,
                    mode=job.mode,
                    duration_seconds=recording.frames / recording.sample_rate,
                    created_by=job.created_by,
                    updated_by=job.created_by,
                )
                session.add(transcript)
                session.flush()
                job.status, job.progress, job.error = JobStatus.RUNNING, 0.0, ""
                job.transcript_id, job.started_at = transcript.id, datetime.now(UTC)
                terms = session.scalars(select(GlossaryTerm.term).order_by(GlossaryTerm.term))
                request = Request(
                    model_path=str(choice.path),
                    verify_default=choice.is_default,
                    language=job.language,
                    mode=job.mode,
                    hotwords=", ".join(terms),
                    threads=self.threads,
                    frames=_frames_at_16k(recording),
                )
                sample_rate = recording.sample_rate
                recording_id, transcript_id = recording.id, transcript.id
                researcher_id = job.created_by
            self._emit(JobEvent(job_id, recording_id, "running", 0.0, transcript_id))
            writer = _SegmentWriter(
                sessions, job_id, recording_id, transcript_id, researcher_id, self._emit
            )
            self._worker = WorkerProcess()
            try:
                outcome = self._worker.run(
                    request,
                    _audio_16k(sessions, recording_id, sample_rate, cancel.is_set),
                    writer.on_message,
                    cancel.is_set,
                )
            except Cancelled:
                outcome = WorkerCancelled()
            finally:
                self._worker = None
            self._finish(sessions, job_id, recording_id, transcript_id, outcome)
        except RelationsError as exc:
            self._finish_failed(sessions, job_id, exc.message)
        finally:
            self._cancel.pop(job_id, None)

    def _finish(
        self,
        sessions: sessionmaker[Session],
        job_id: str,
        recording_id: str,
        transcript_id: str,
        outcome: Done | Failed | WorkerCancelled,
    ) -> None:
        interrupted = isinstance(outcome, WorkerCancelled) and self._stop.is_set()
        with sessions.begin() as session:
            job = session.get(TranscriptionJob, job_id)
            assert job is not None
            if isinstance(outcome, Done):
                job.status, job.progress = JobStatus.DONE, 1.0
                session.add(
                    AuditEvent(
                        researcher_id=job.created_by,
                        action="transcribed",
                        target_type="recording",
                        target_id=recording_id,
                        detail={"seconds": round(outcome.decode_seconds, 2)},
                    )
                )
            else:
                session.execute(delete(Transcript).where(Transcript.id == transcript_id))
                job.transcript_id = None
                if interrupted:  # the app is closing: run it again next time
                    job.status, job.progress = JobStatus.QUEUED, 0.0
                elif isinstance(outcome, Failed):
                    job.status, job.error = JobStatus.FAILED, outcome.message
                else:
                    job.status = JobStatus.CANCELLED
            if job.status != JobStatus.QUEUED:
                job.finished_at = datetime.now(UTC)
            status, error, progress = job.status.value, job.error, job.progress
            done_id = job.transcript_id
        self._emit(JobEvent(job_id, recording_id, status, progress, done_id, error=error))

    def _finish_failed(self, sessions: sessionmaker[Session], job_id: str, message: str) -> None:
        with sessions.begin() as session:
            job = session.get(TranscriptionJob, job_id)
            if job is None:
                return
            if job.transcript_id:
                session.execute(delete(Transcript).where(Transcript.id == job.transcript_id))
            job.status, job.error, job.transcript_id = JobStatus.FAILED, message, None
            job.finished_at = datetime.now(UTC)
            recording_id = job.recording_id
        self._emit(JobEvent(job_id, recording_id, "failed", 0.0, error=message))

    def _emit(self, event: JobEvent) -> None:
        for listener in list(self._listeners):
            listener(event)


class _SegmentWriter:
    """Commits each segment as the worker sends it (with its first, machine revision)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        job_id: str,
        recording_id: str,
        transcript_id: str,
        researcher_id: str | None,
        emit: Callable[[JobEvent], None],
    ) -> None:
        self.sessions, self.job_id, self.recording_id = sessions, job_id, recording_id
        self.transcript_id, self.researcher_id, self.emit = transcript_id, researcher_id, emit
        self.position = 0
        self.progress = 0.0

    def on_message(self, message: Message) -> None:
        if isinstance(message, Progress):
            if message.fraction - self.progress >= 0.01 or message.fraction >= 1.0:
                self.progress = message.fraction
                with self.sessions.begin() as session:
                    session.execute(
                        update(TranscriptionJob)
                        .where(TranscriptionJob.id == self.job_id)
                        .values(progress=message.fraction)
                    )
                self.emit(
                    JobEvent(
                        self.job_id,
                        self.recording_id,
                        "running",
                        message.fraction,
                        self.transcript_id,
                    )
                )
        elif isinstance(message, SegmentMessage):
            text = message.text.strip()
            with self.sessions.begin() as session:
                segment = TranscriptSegment(
                    transcript_id=self.transcript_id,
                    position=self.position,
                    start=message.start,
                    end=message.end,
                    text=text,
                    machine_text=text,
                    words=[list(w) for w in message.words],
                    created_by=self.researcher_id,
                    updated_by=self.researcher_id,
                )
                session.add(segment)
                session.flush()
                session.add(
                    SegmentRevision(
                        transcript_id=self.transcript_id,
                        segment_id=segment.id,
                        action="machine",
                        text=text,
                        start=message.start,
                        end=message.end,
                        researcher_id=self.researcher_id,
                    )
                )
                segment_id = segment.id
            self.position += 1
            self.emit(
                JobEvent(
                    self.job_id,
                    self.recording_id,
                    "running",
                    self.progress,
                    self.transcript_id,
                    segment_id,
                )
            )


def _frames_at_16k(recording: Recording) -> int:
    return round(recording.frames * WHISPER_RATE / recording.sample_rate) + WHISPER_RATE


def _audio_16k(
    sessions: sessionmaker[Session],
    recording_id: str,
    sample_rate: int,
    cancelled: Callable[[], bool],
) -> Iterator[bytes]:
    """The recording decrypted and resampled to 16 kHz, as PCM byte blocks, in memory.

    Read through the queue's own engine, so a lock of the app does not interrupt it.
    """
    resampler = av.AudioResampler(format="s16", layout="mono", rate=WHISPER_RATE)
    pending: list[bytes] = []
    size = 0
    pts = 0
    for block in chunks.iter_samples(sessions, recording_id):
        if cancelled():
            raise Cancelled("The transcription was cancelled.")
        frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = pts
        pts += len(block)
        for out in resampler.resample(frame):
            data = out.to_ndarray().astype(np.int16).tobytes()
            pending.append(data)
            size += len(data)
        if size >= SEND_BLOCK_FRAMES * 2:
            yield b"".join(pending)
            pending, size = [], 0
    for out in resampler.resample(None):
        pending.append(out.to_ndarray().astype(np.int16).tobytes())
    if pending:
        yield b"".join(pending)


def _job_record(job: TranscriptionJob) -> JobRecord:
    return JobRecord(
        id=job.id,
        recording_id=job.recording_id,
        status=job.status.value,
        progress=job.progress,
        model_path=job.model_path,
        language=job.language,
        mode=job.mode,
        error=job.error,
        transcript_id=job.transcript_id,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )
