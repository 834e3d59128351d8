"""Progress and Cancel while a bundle is opened or verified (``BundleService.open`` and
``verify`` with ``progress`` and ``cancelled``; docs/team-inbox.md).

A real bundle with audio (a session, a note, a transcript, tens of FLAC chunks) from a
researcher's store is opened into a copy of the team's store: progress is the share of
the bundle file read, reported on the caller's thread, up to 1.0; a cancel half-way,
while the merger already holds data entries, raises ``Cancelled`` and leaves every
table of the team store as it was, and the same bundle opens afterwards.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from relations_desktop.core import bundle_merge
from relations_desktop.core.errors import Cancelled
from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.core.test_bundle_fuzz import table_rows
from tests.ui.transcript_data import Seg, make_recording, make_transcript


@dataclass(frozen=True)
class Made:
    bundle: Path
    team: Path  # the team's store, closed (each test opens a copy)
    audio_chunks: int


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    folder = tmp_path_factory.mktemp("open-cancel")
    with StoreService.create(folder / "team", PASSPHRASE, researcher_name="Pat") as team:
        team.team.add_me(role="pi")
        pat = team.team.my_keys()
    with StoreService.create(folder / "ann", PASSPHRASE, researcher_name="Ann") as ann:
        ann.team.add_me()
        ann.team.add_member("Pat", pat.age_recipient, signing_key=pat.signing_public_key)
        person = ann.add_participant("Lara", "Mother").id
        give_adult_consent(ann, person)
        encounter = ann.add_encounter("home-visit", "Kitchen", participant_ids=[person]).id
        recording = make_recording(ann, encounter, folder, seconds=40.0)
        make_transcript(ann, recording, [Seg(0.0, 2.5, "We had tea in the kitchen.")])
        ann.add_note(encounter, "Quiet afternoon; the kettle and the radio.")
        me = ann.team.my_keys()
        out = folder / "ann.age"
        sealed = ann.bundles.seal(out, with_audio=True)
    with StoreService.open(folder / "team", PASSPHRASE) as team:
        team.team.add_member("Ann", me.age_recipient, signing_key=me.signing_public_key)
    return Made(out, folder / "team", sealed.counts["audio_chunks"])


@pytest.fixture
def team(made: Made, tmp_path: Path) -> Iterator[StoreService]:
    copy = tmp_path / "team"
    shutil.copytree(made.team, copy)
    with StoreService.open(copy, PASSPHRASE) as opened:
        yield opened


class Watch:
    """Progress as reported (and on which thread); cancels once ``at`` is reached."""

    def __init__(self, at: float | None = None) -> None:
        self.at = at
        self.fractions: list[float] = []
        self.on_caller_thread = True
        self.asked_after_cancel = 0

    def progress(self, fraction: float) -> None:
        self.on_caller_thread &= threading.current_thread() is threading.main_thread()
        self.fractions.append(fraction)

    def cancelled(self) -> bool:
        stop = self.at is not None and bool(self.fractions) and self.fractions[-1] >= self.at
        self.asked_after_cancel += stop
        return stop


@pytest.fixture
def merged_entries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the entries handed to the merger."""
    names: list[str] = []
    real_add = bundle_merge.Merger.add

    def add(self: Any, name: str, data: bytes) -> None:
        names.append(name)
        real_add(self, name, data)

    monkeypatch.setattr(bundle_merge.Merger, "add", add)
    return names


def test_cancel_half_way_through_a_bundle_with_audio_changes_nothing(
    made: Made, team: StoreService, merged_entries: list[str]
) -> None:
    assert made.audio_chunks >= 30
    before = table_rows(team)
    watch = Watch(at=0.5)
    with pytest.raises(Cancelled) as stopped:
        team.bundles.open(made.bundle, watch.progress, watch.cancelled)
    assert str(stopped.value) == "Opening was cancelled; nothing was merged."
    assert watch.asked_after_cancel == 1  # it stopped at the first question answered yes
    assert 0.5 <= watch.fractions[-1] < 0.75 and watch.on_caller_thread
    audio = [n for n in merged_entries if n.startswith("data/audio/")]
    assert 0 < len(audio) < made.audio_chunks  # the merger held audio when it was stopped
    assert table_rows(team) == before
    assert team.list_encounters() == [] and team.bundles.opened_file_hashes() == set()

    # Nothing half-done is left in the way: the same bundle opens in full.
    merged_entries.clear()
    done = Watch()
    verified, summary = team.bundles.open(made.bundle, done.progress, done.cancelled)
    assert not summary.duplicate and verified.signer == "Ann"
    assert [e.title for e in team.list_encounters()] == ["Kitchen"]
    assert done.fractions == sorted(done.fractions) and done.fractions[-1] == 1.0
    assert len(done.fractions) <= 1001 and done.on_caller_thread  # throttled
    assert len([n for n in merged_entries if n.startswith("data/audio/")]) == made.audio_chunks


def test_a_cancel_after_the_last_byte_still_merges_nothing(made: Made, team: StoreService) -> None:
    before = table_rows(team)
    watch = Watch(at=1.0)
    with pytest.raises(Cancelled, match="nothing was merged"):
        team.bundles.open(made.bundle, watch.progress, watch.cancelled)
    assert watch.fractions[-1] == 1.0
    assert table_rows(team) == before


def test_a_cancel_before_the_start_reads_nothing(made: Made, team: StoreService) -> None:
    before = table_rows(team)
    watch = Watch()
    with pytest.raises(Cancelled, match="nothing was merged"):
        team.bundles.open(made.bundle, watch.progress, lambda: True)
    assert watch.fractions == [] and table_rows(team) == before


def test_verify_reports_progress_and_can_be_cancelled(made: Made, team: StoreService) -> None:
    watch = Watch()
    assert team.bundles.verify(made.bundle, watch.progress, watch.cancelled).signer == "Ann"
    assert watch.fractions == sorted(watch.fractions) and watch.fractions[-1] == 1.0
    assert watch.fractions[0] < 0.5 and watch.on_caller_thread
    half = Watch(at=0.3)
    with pytest.raises(Cancelled, match="Verifying was cancelled"):
        team.bundles.verify(made.bundle, half.progress, half.cancelled)
    assert 0.3 <= half.fractions[-1] < 1.0
    # Without the new arguments, nothing changed.
    assert team.bundles.verify(made.bundle).files > made.audio_chunks
