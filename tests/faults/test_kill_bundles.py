"""kill -9 of ``bundle seal`` and ``bundle open`` at random moments.

Sealing: a researcher's store (three sessions with consent, transcripts, notes and ten
minutes of audio) is sealed ``--with-audio`` by the real CLI, to ``--out F`` (even runs)
or into the outbox (odd runs), and killed at a seeded random moment: every fifth run
anywhere, the others once the ``.partial`` file appeared (the bundle is being written).
Afterwards: the store opens, integrity ok, every table unchanged in content (an outbox
row is allowed only beside the complete file it describes); no file with the final name
unless it is a whole bundle that verifies; at most a ``.partial``; and the next seal
works (for ``--out F`` it leaves no ``.partial`` behind).

Opening: a team store opens that bundle with the real CLI, killed every fifth run
anywhere and otherwise once the CLI has the bundle file open (decrypting, checking,
merging). Afterwards the team store opens, integrity ok, and the row count of every
table is either what it was before or what a complete open gives, nothing between;
opening the bundle again completes.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import soundfile

from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.core.audio_fakes import speech_like
from tests.faults.helpers import (
    Cli,
    has_open,
    integrity,
    kill_points,
    open_store,
    partial_files,
    run_kills,
    table_counts,
    table_digests,
)
from tests.ui.transcript_data import Seg, make_transcript

RUNS = 20
SEED = 5_2026
OUTBOX_ROWS = "outbox_bundle"
CHUNKS = 210  # a second of audio each
RATE = 16_000


@dataclass(frozen=True)
class Stores:
    ann: Path  # the researcher's store
    team: Path  # the PI's team store, with Ann on its roster
    bundle: Path  # Ann's sessions, sealed with audio, for the team
    ann_digests: dict[str, str]
    ann_outbox: set[str]  # bundles the template had sealed already
    team_counts: dict[str, int]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Stores:
    folder = tmp_path_factory.mktemp("bundles")
    with StoreService.create(folder / "team", PASSPHRASE, researcher_name="Pat") as team:
        team.team.add_me(role="pi")
        pat = team.team.my_keys()
    with StoreService.create(folder / "ann", PASSPHRASE, researcher_name="Ann") as ann:
        ann.team.add_me()
        ann.team.add_member("Pat", pat.age_recipient, signing_key=pat.signing_public_key)
        for number, (who, seconds) in enumerate((("Lara", 120.0), ("Mo", 60.0), ("Kim", 30.0))):
            person = ann.add_participant(who, "Mother").id
            give_adult_consent(ann, person)
            visit = ann.add_encounter("home-visit", f"Visit {number}", participant_ids=[person])
            recording = imported(ann, visit.id, folder, seconds, seed=number)
            make_transcript(
                ann,
                recording,
                [Seg(0.0, 4.0, "We had tea in the kitchen."), Seg(4.0, 9.0, "The kettle boiled.")],
            )
            ann.add_note(visit.id, f"Quiet afternoon number {number}; the kettle and the radio.")
        me = ann.team.my_keys()
        bundle = folder / "ann.bundle"
        ann.bundles.seal(bundle, with_audio=True)
        digests = table_digests(ann)
        sealed = {r.bundle_id for r in ann.bundles.outbox()}
    with StoreService.open(folder / "team", PASSPHRASE) as team:
        team.team.add_member("Ann", me.age_recipient, signing_key=me.signing_public_key)
        counts = table_counts(team)
    return Stores(folder / "ann", folder / "team", bundle, digests, sealed, counts)


def imported(service: StoreService, encounter: str, folder: Path, seconds: float, seed: int) -> str:
    """A recording of speech-like audio (it compresses as speech does, unlike a tone, so
    the bundle takes a while to write)."""
    wav = folder / f"speech-{seed}.wav"
    soundfile.write(wav, speech_like(seconds, RATE, seed=seed), RATE, subtype="PCM_16")
    return service.recordings.import_file(encounter, wav).id


@pytest.fixture
def copies(tmp_path: Path) -> Iterator[Callable[[Path, str], Path]]:
    def copy(template: Path, name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(template, target)
        return target

    yield copy


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------- sealing
def seal_args(number: int, store: Path) -> tuple[list[str], Path]:
    """The CLI arguments of run ``number`` and the folder its bundle goes to."""
    if number % 2 == 0:
        out = store.parent / f"{store.name}-out" / "sealed.bundle"
        out.parent.mkdir()
        return ["bundle", "seal", "--with-audio", "--out", str(out)], out.parent
    return ["bundle", "seal", "--with-audio"], store / "outbox"


def check_sealed(store: Path, folder: Path, stores: Stores, out: bool) -> str:
    """What the kill left, checked; a short label of it."""
    names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    finals = [n for n in names if not n.endswith(".partial")]
    partials = partial_files(folder) if folder.is_dir() else []
    assert len(partials) <= 1 and len(finals) <= 1, names
    with open_store(store) as service:
        assert integrity(service) == ["ok"]
        after = table_digests(service)
        outbox = [r for r in service.bundles.outbox() if r.bundle_id not in stores.ann_outbox]
        before = stores.ann_digests
        changed = {name for name in before if after.get(name) != before[name]}
        assert changed <= {OUTBOX_ROWS}, f"the kill changed {changed}"
        if finals:
            final = folder / finals[0]
            got = service.bundles.verify(final)  # a complete, intact bundle, or it raises
            assert got.counts["audio_chunks"] == CHUNKS
            # The outbox row, if the kill let the seal write it, describes that file.
            assert [r.sha256 for r in outbox] in ([], [sha256(final)])
        else:
            assert outbox == []
        # The next seal works.
        again = service.bundles.seal(folder / "sealed.bundle" if out else None, with_audio=True)
        assert service.bundles.verify(Path(again.path)).bundle_id == again.bundle_id
    if out:
        assert partial_files(folder) == [], "a .partial outlived the next seal"
    return "complete" if finals else "partial" if partials else "nothing"


@pytest.mark.timeout(120)
def test_kill_9_while_sealing_never_leaves_a_bundle_that_looks_complete(
    stores: Stores, copies
) -> None:
    calibration = copies(stores.ann, "calibration")
    argv, folder = seal_args(0, calibration)
    final = folder / "sealed.bundle"
    run = Cli(calibration).victim(*argv)
    marker_at = run.wait_for(lambda: bool(partial_files(folder)))
    written_at = run.wait_for(final.exists)
    ended = run.end()
    assert ended.returncode == 0, ended.stderr
    assert marker_at is not None and written_at is not None

    def one_run(number: int, after_marker: bool, at: float) -> str:
        store = copies(stores.ann, f"kill-{number}")
        argv, folder = seal_args(number, store)
        victim = Cli(store).victim(*argv)
        if after_marker:
            start = victim.wait_for(lambda: folder.is_dir() and bool(partial_files(folder)))
            at += start if start is not None else 0.0
        victim.kill_at(at)
        result = victim.end(linger=1.0)
        assert result.returncode in (-9, 0), result.stderr
        label = check_sealed(store, folder, stores, out=number % 2 == 0)
        shutil.rmtree(store)
        return label if result.returncode == -9 else "finished"

    points = kill_points(SEED, RUNS, ended.ended_at, (marker_at, written_at))
    seen = Counter(run_kills(one_run, points))
    print(f"seal kills: {dict(seen)}")
    # Most kills landed while the bundle was being written.
    assert seen["partial"] >= 8, seen


# ------------------------------------------------------------------- opening
@pytest.mark.timeout(120)
def test_kill_9_while_opening_merges_all_or_nothing(stores: Stores, copies) -> None:
    calibration = copies(stores.team, "calibration")
    run = Cli(calibration).victim("bundle", "open", str(stores.bundle))
    marker_at = run.wait_for(lambda: has_open(run.proc.pid, stores.bundle))
    # The file is closed when every entry was checked and merged: the commit follows.
    closed_at = run.wait_for(lambda: not has_open(run.proc.pid, stores.bundle))
    ended = run.end()
    assert ended.returncode == 0, ended.stderr
    assert marker_at is not None and closed_at is not None
    with open_store(calibration) as service:
        merged = table_counts(service)
    assert merged["audio_chunk"] == stores.team_counts["audio_chunk"] + CHUNKS
    assert merged["received_bundle"] == stores.team_counts["received_bundle"] + 1

    def one_run(number: int, after_marker: bool, at: float) -> str:
        store = copies(stores.team, f"kill-{number}")
        victim = Cli(store).victim("bundle", "open", str(stores.bundle))
        if after_marker:
            start = victim.wait_for(lambda: has_open(victim.proc.pid, stores.bundle))
            at += start if start is not None else 0.0
        victim.kill_at(at)
        result = victim.end(linger=1.0)
        assert result.returncode in (-9, 0), result.stderr
        with open_store(store) as service:
            assert integrity(service) == ["ok"]
            counts = table_counts(service)
            assert counts in (stores.team_counts, merged), "a partial merge"
            label = "merged" if counts == merged else "nothing"
            # Opening again completes (or finds it was opened already).
            _, summary = service.bundles.open(stores.bundle)
            assert summary.duplicate == (label == "merged")
            assert table_counts(service) == merged
        shutil.rmtree(store)
        return label if result.returncode == -9 else "finished"

    points = kill_points(SEED, RUNS, ended.ended_at, (marker_at, closed_at + 0.05))
    seen = Counter(run_kills(one_run, points))
    print(f"open kills: {dict(seen)}")
    assert seen["nothing"] >= 5, seen
