"""The self-test: does this installation work, here, with no network and no microphone?

It runs the app's real work end to end in a temporary folder (removed afterwards), never
near the user's own store: two throwaway stores on one team roster, the embedded models'
SHA-256 checks, the bundled sample session added, its recording transcribed by the real
embedded speech model (a few expected words must come out), a bundle sealed to the second
store and opened there, a REFI-QDA project exported, and the sample removed again.

Each step is timed and reported as it finishes; the first step that fails ends the run
(the steps after it depend on it) and names itself. Nothing here imports Qt, so it runs
on a machine with no display; it is what ``relations-desktop self-test`` runs, also in
the frozen app (see docs/packaging.md).
"""

from __future__ import annotations

import contextlib
import platform
import secrets
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from relations_desktop import __version__
from relations_desktop.core.errors import RelationsError

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

# Words the embedded model reliably hears in the sample (tiny.en, fast mode).
EXPECTED_WORDS = ("kettle", "school", "appointment", "nurse")
INTERNAL_ERROR = 70
STEPS = (
    "create two temporary stores on one team roster",
    "check the speech model (SHA-256)",
    "check the name-finding model (SHA-256)",
    "add the sample session",
    "transcribe the sample recording",
    "seal a bundle for the team",
    "open the bundle in the team's store",
    "export a QDPX project",
    "remove the sample session",
)


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str  # what was found, or why the step failed
    exit_code: int = 0


@dataclass(frozen=True)
class SelfTestReport:
    ok: bool
    seconds: float
    steps: list[StepResult]
    not_run: list[str] = field(default_factory=list)
    version: str = __version__
    frozen: bool = bool(getattr(sys, "frozen", False))
    platform: str = platform.platform()

    @property
    def failed(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)


class _StepFailed(RelationsError):
    """A check inside a step found something wrong."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise _StepFailed(message)


class _Run:
    """The steps, sharing the temporary folder and the two stores."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.passphrase = secrets.token_urlsafe(24)
        self.field: StoreService | None = None  # a researcher's store, with the sample
        self.team: StoreService | None = None  # the team's store, which opens the bundle
        self.sample_recording = ""
        self.sample_session = ""
        self.bundle = folder / "self-test.bundle"

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        work = (
            self.create_stores,
            self.check_speech_model,
            self.check_name_model,
            self.add_sample,
            self.transcribe,
            self.seal,
            self.open_bundle,
            self.export_qdpx,
            self.remove_sample,
        )
        return list(zip(STEPS, work, strict=True))

    def close(self) -> None:
        for store in (self.field, self.team):
            if store is not None:
                with contextlib.suppress(Exception):
                    store.close()

    def _stores(self) -> tuple[StoreService, StoreService]:
        assert self.field is not None and self.team is not None
        return self.field, self.team

    # ------------------------------------------------------------------- steps
    def create_stores(self) -> str:
        from relations_desktop.core.services import StoreService

        self.field = StoreService.create(
            self.folder / "field-store", self.passphrase, researcher_name="Self-test Researcher"
        )
        self.team = StoreService.create(
            self.folder / "team-store", self.passphrase, researcher_name="Self-test Team"
        )
        for store in (self.field, self.team):
            for other, name in ((self.field, "Self-test Researcher"), (self.team, "Team")):
                keys = other.team.my_keys()
                role = "pi" if other is self.team else "member"
                store.team.add_member(
                    name, keys.age_recipient, signing_key=keys.signing_public_key, role=role
                )
        return f"in {self.folder}"

    def check_speech_model(self) -> str:
        from relations_desktop.core.transcription import model_files

        folder = model_files.default_model_dir()
        model_files.verify_default(folder)
        return f"{len(model_files.DEFAULT_MODEL_SHA256)} files match ({folder})"

    def check_name_model(self) -> str:
        from relations_desktop.core.identifiers import MODEL_SHA256, EntityModel

        folder = EntityModel.model_dir()
        EntityModel.verify(folder)
        return f"{len(MODEL_SHA256)} files match ({folder})"

    def add_sample(self) -> str:
        from relations_desktop.core.sample import add_sample_session

        field_store, _ = self._stores()
        got = add_sample_session(field_store)
        recording = field_store.recordings.get(got.recording_id)
        self.sample_recording = got.recording_id
        self.sample_session = got.encounter_id
        return f"{recording.duration_seconds:.1f} s of audio, {len(got.jotting_ids)} jottings"

    def transcribe(self) -> str:
        field_store, _ = self._stores()
        job = field_store.transcription.enqueue(self.sample_recording, model_dir="")
        done = field_store.transcription.run_job(job.id)
        _check(done.status == "done", f"the transcription {done.status}: {done.error}")
        assert done.transcript_id is not None
        transcript = field_store.transcripts.get(done.transcript_id)
        heard = " ".join(s.text for s in transcript.segments).lower()
        missing = [w for w in EXPECTED_WORDS if w not in heard]
        _check(not missing, f"the model did not hear {', '.join(missing)} (it heard {heard!r})")
        return f"{len(transcript.segments)} segments; heard {', '.join(EXPECTED_WORDS)}"

    def seal(self) -> str:
        field_store, _ = self._stores()
        # Named: a bundle of "everything" leaves the (fictional) sample session home.
        sealed = field_store.bundles.seal(self.bundle, [self.sample_session], with_audio=True)
        return f"{sealed.size} bytes for {sealed.recipients} recipients"

    def open_bundle(self) -> str:
        from relations_desktop.core.sample import SAMPLE_TITLE

        _, team = self._stores()
        got, summary = team.bundles.open(self.bundle)
        titles = [e.title for e in team.list_encounters()]
        _check(SAMPLE_TITLE in titles, f"the merged session is missing (found {titles})")
        recordings = team.recordings.list()
        _check(
            len(recordings) == 1 and recordings[0].size_bytes > 0,
            "the recording's audio did not arrive",
        )
        return f"signed by {got.signer}; merged {summary.describe()}"

    def export_qdpx(self) -> str:
        from relations_desktop.core.export.qdpx import export_qdpx

        _, team = self._stores()
        out = self.folder / "self-test.qdpx"
        result = export_qdpx(team, out, with_audio=True)
        with zipfile.ZipFile(out) as package:
            names = package.namelist()
            _check("project.qde" in names, "the project has no project.qde")
            _check(package.testzip() is None, "the project's ZIP is damaged")
        _check(result.transcripts == 1, f"{result.transcripts} transcripts exported, not 1")
        return f"{out.stat().st_size} bytes; {len(names)} files"

    def remove_sample(self) -> str:
        from relations_desktop.core.sample import find_sample, remove_sample

        field_store, _ = self._stores()
        removed = remove_sample(field_store)
        _check(removed.sessions == 1, f"{removed.sessions} sample sessions removed, not 1")
        left = field_store.list_encounters()
        _check(not left and find_sample(field_store) is None, "the sample is still there")
        return f"{removed.recordings} recording, {removed.notes} jottings removed"


def run_self_test(
    on_step: Callable[[StepResult], None] = lambda _step: None,
    *,
    temp_parent: Path | None = None,
) -> SelfTestReport:
    """Run every step in a temporary folder (removed at the end), reporting each."""
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="relations-self-test-", dir=temp_parent))
    run = _Run(folder)
    results: list[StepResult] = []
    steps = run.steps()
    try:
        for name, step in steps:
            step_started = time.perf_counter()
            try:
                detail, ok, code = step(), True, 0
            except RelationsError as exc:
                detail, ok, code = exc.message, False, exc.exit_code
            except Exception as exc:  # a bug or a missing piece of the build: report it
                detail, ok, code = f"{type(exc).__name__}: {exc}", False, INTERNAL_ERROR
            seconds = round(time.perf_counter() - step_started, 3)
            result = StepResult(name, ok, seconds, detail, code)
            results.append(result)
            on_step(result)
            if not ok:
                break
    finally:
        run.close()
        shutil.rmtree(folder, ignore_errors=True)
    not_run = [name for name, _ in steps[len(results) :]]
    ok = all(r.ok for r in results) and not not_run
    return SelfTestReport(ok, round(time.perf_counter() - started, 3), results, not_run)
