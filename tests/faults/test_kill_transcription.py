"""kill -9 of ``transcribe`` at random moments: never a half transcript, never lost audio.

The real CLI transcribes the bundled sample (43 s of speech) with the real embedded model
in accurate mode, whose first 30-second window is committed segment by segment before
the second is decoded, so a half transcript really is on disk for a while. Each run is a
fresh copy of one store and is killed (SIGKILL to the CLI process only, as a crash would)
at a seeded random moment: every fifth anywhere in the run, the others after the
"Transcribing" line (the job is queued) and before the run would have ended.

After each kill, before the store is opened, the database is read directly to see what
the kill left (no job, a queued job, a running job with n segments, a finished one);
then ``StoreService.open`` (which recovers interrupted jobs) must give: integrity ok,
the recording's samples unchanged, and either no transcript or one identical to an
uninterrupted run's, never a part of it. A requeued job runs again to the same text.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from relations_desktop.core import vault
from relations_desktop.core.audio import chunks
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.engine import DB_FILE, make_engine
from relations_desktop.core.store.models import (
    JobStatus,
    Transcript,
    TranscriptionJob,
    TranscriptSegment,
)
from tests.conftest import PASSPHRASE
from tests.faults.helpers import Cli, integrity, kill_points, open_store, run_kills

RUNS = 20
SEED = 8_2026
MARKER = r"^Transcribing "  # the job is committed as queued; the worker starts next
HALF = r"transcribing +[1-9]\d?%"  # 1-99 %: the first window's segments are committed


@dataclass(frozen=True)
class Template:
    path: Path
    recording: str
    samples: np.ndarray
    database_key: bytes  # the same for every copy (they share vault.json)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, speech: Path) -> Template:
    path = tmp_path_factory.mktemp("transcribe") / "store"
    with StoreService.create(path, PASSPHRASE, researcher_name="Ann") as service:
        encounter = service.add_encounter("home-visit", "Kitchen table").id
        recording = service.recordings.import_file(encounter, speech).id
        samples = chunks.read_all(service._plain_session, recording)
    key = vault.unlock_with_passphrase(path, PASSPHRASE)
    try:
        database_key = key.database_key()
    finally:
        key.wipe()
    return Template(path, recording, samples, database_key)


@pytest.fixture
def copies(tmp_path: Path, template: Template) -> Iterator[Callable[[str], Path]]:
    made: list[Path] = []

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(template.path, target)
        made.append(target)
        return target

    yield copy
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


def left_behind(store: Path, template: Template) -> str:
    """What the kill left on disk, read before any recovery: a short label."""
    engine = make_engine(store / DB_FILE, template.database_key)
    try:
        with engine.connect() as conn:
            query = select(TranscriptionJob.status, TranscriptionJob.transcript_id)
            job = conn.execute(query).first()
            if job is None:
                return "no job"
            status, transcript_id = job
            if status != JobStatus.RUNNING:
                return str(status)
            segments = conn.execute(
                select(func.count())
                .select_from(TranscriptSegment)
                .where(TranscriptSegment.transcript_id == transcript_id)
            ).scalar_one()
            return "running, some segments" if segments else "running, no segment yet"
    finally:
        engine.dispose()


def transcripts_of(service: StoreService, recording: str) -> list[list[str]]:
    with service._session() as session:
        ids = session.scalars(select(Transcript.id).where(Transcript.recording_id == recording))
        return [[s.text for s in service.transcripts.get(i).segments] for i in list(ids)]


def check_after_kill(store: Path, template: Template, reference: list[str]) -> StoreService:
    service = open_store(store)
    assert integrity(service) == ["ok"]
    stored = chunks.read_all(service._plain_session, template.recording)
    assert np.array_equal(stored, template.samples), "the recording's audio changed"
    found = transcripts_of(service, template.recording)
    assert found in ([], [reference]), f"a half or different transcript: {found}"
    jobs = service.transcription.jobs(template.recording)
    if found:
        assert [j.status for j in jobs] == ["done"]
    else:
        assert [j.status for j in jobs] in ([], ["queued"]), jobs
    return service


@pytest.mark.timeout(150)
def test_kill_9_during_transcription_leaves_no_half_transcript(copies, template: Template) -> None:
    # An uninterrupted run: the reference text, and where the marker and the end fall.
    calibration = copies("calibration")
    cli = Cli(calibration)
    run = cli.victim("transcribe", template.recording, "--mode", "accurate")
    marker_at = run.wait_for(run.said(MARKER))
    ended = run.end()
    assert ended.returncode == 0, ended.stderr
    assert marker_at is not None and ended.lingering == []
    with open_store(calibration) as service:
        [reference] = transcripts_of(service, template.recording)
    assert len(reference) >= 4 and "".join(reference).strip()

    def one_run(number: int, after_marker: bool, at: float) -> tuple[str, Path]:
        store = copies(f"kill-{number}")
        victim = Cli(store).victim("transcribe", template.recording, "--mode", "accurate")
        if number % 5 == 3:
            # Right after the first window's segments were committed (its progress line):
            # a half transcript is on disk for most of a second.
            start = victim.wait_for(victim.said(HALF))
            assert start is not None, victim.lines
            at = start + at % 0.3
        elif after_marker:
            start = victim.wait_for(victim.said(MARKER))
            assert start is not None, victim.lines
            at += start
        # Every fourth run kills the CLI alone and gives the worker 5 s to notice; the
        # others kill the whole process group at once, as a power cut would.
        alone = number % 4 == 1
        victim.kill_at(at, group=not alone)
        result = victim.end(linger=5.0 if alone else 1.0)
        assert result.returncode in (-9, 0), result.stderr
        assert result.lingering == [], f"run {number}: the worker outlived a kill -9 by 5 s"
        state = left_behind(store, template) if result.returncode == -9 else "finished"
        check_after_kill(store, template, reference).close()
        return state, store

    points = kill_points(SEED, RUNS, ended.ended_at, (marker_at, ended.ended_at))
    outcomes = run_kills(one_run, points)
    seen = Counter(state for state, _ in outcomes)
    requeued = next((store for state, store in outcomes if state.startswith("running")), None)

    # The kills landed where it matters: while the job ran, with a half transcript too.
    assert seen["running, no segment yet"] + seen["running, some segments"] >= 8, seen
    assert seen["running, some segments"] >= 2, seen
    # The requeued job (as the GUI's queue would run it after a restart) completes.
    assert requeued is not None, seen
    with open_store(requeued) as service:
        [job] = service.transcription.jobs(template.recording)
        assert job.status == "queued"
        done = service.transcription.run_job(job.id)
        assert done.status == "done", done.error
        assert transcripts_of(service, template.recording) == [reference]
    print(f"kill points: {dict(seen)}")
