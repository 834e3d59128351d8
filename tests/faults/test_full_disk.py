"""A full disk: a small tmpfs (mounted as root, unmounted in a finally) holding a store
while it records, the output of ``bundle seal --out``, and a folder sync target.

The recording goes through the core ``RecordingService`` with the fake input the recorder
tests use (``tests/core/audio_fakes.py``), fed a second at a time as a microphone would.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from relations_desktop.cli.recording_commands import STOP_MESSAGES
from relations_desktop.core.audio import chunks
from relations_desktop.core.audio.recorder import RecordingSummary
from relations_desktop.core.errors import StoreInUse
from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE
from tests.core.audio_fakes import FakeBackend, speech_like
from tests.faults.helpers import (
    Cli,
    fill,
    integrity,
    one_line_error,
    open_store,
    partial_files,
    table_digests,
    tmpfs,
)
from tests.ui.transcript_data import make_recording

RATE = 16_000
SECONDS = 60  # offered to the recorder; the disk fills long before


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk", "16m") as mounted:
        yield mounted


def record_until_stopped(
    service: StoreService, encounter: str, **options: Any
) -> tuple[str, RecordingSummary, np.ndarray]:
    """Record speech-like audio, fed a second at a time, until the recorder stops itself;
    the summary and what was fed."""
    backend = FakeBackend(rate=RATE)
    active = service.recordings.start(encounter, backend=backend, **options)
    signal = speech_like(SECONDS, RATE, seed=11)
    for second in range(SECONDS):
        if active.recorder.stopped:
            break
        backend.stream.feed(signal[second * RATE : (second + 1) * RATE])
        time.sleep(0.02)  # the writer keeps up, as with a real microphone
    assert active.recorder.wait(10), "the recorder did not stop on a full disk"
    summary = service.recordings.stop() or active.recorder.summary()
    return active.recording_id, summary, signal


def store_on(disk: Path) -> tuple[Path, str]:
    store = disk / "store"
    with StoreService.create(store, PASSPHRASE, researcher_name="Ann") as service:
        encounter = service.add_encounter("home-visit", "Kitchen table").id
    return store, encounter


# ------------------------------------------------------------------ recording
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("options", "reason"),
    [({"low_disk_stop": 0}, "disk-full"), ({}, "disk-low")],
    ids=["disk-full", "below-the-floor"],
)
def test_a_recording_on_a_full_disk_stops_and_keeps_what_was_committed(
    disk: Path, options: dict[str, int], reason: str
) -> None:
    """With the floor turned off the disk really fills (SQLite: "database or disk is
    full"); with the default floor (200 MB) the recorder stops before that."""
    store, encounter = store_on(disk)
    filler = fill(disk, 300_000)
    service = open_store(store)
    try:
        recording, summary, signal = record_until_stopped(service, encounter, **options)
    finally:
        service.close()  # must not raise on a full disk either
    assert summary.stop_reason == reason
    assert "kept" in STOP_MESSAGES[reason]  # what the record command says
    assert 0 < summary.frames < len(signal)

    filler.unlink()  # the researcher frees some space
    with open_store(store) as service:
        assert integrity(service) == ["ok"]
        row = service.recordings.get(recording)
        # Closed by the recorder, or (when even that write found no room) by recovery.
        assert row.status in ("complete", "recovered"), row
        assert round(row.duration_seconds * RATE) == summary.frames
        stored = chunks.read_all(service._plain_session, recording)
        assert np.array_equal(stored, signal[: summary.frames])
        # Usable: it exports, and recording goes on once there is room.
        out = disk / "kept.wav"
        assert service.recordings.export_file(recording, out) == summary.frames
        out.unlink()


@pytest.mark.timeout(60)
def test_unlocking_on_a_full_disk_says_the_disk_is_full_not_damaged(disk: Path) -> None:
    store, _ = store_on(disk)  # closed cleanly; then the disk fills up (photos, downloads)
    filler = fill(disk, 0)
    done = Cli(store).run("info")
    message = one_line_error(done.stderr)
    filler.unlink()
    with open_store(store) as service:  # it was intact all along
        assert integrity(service) == ["ok"]
    assert done.returncode != 0
    assert "full" in message.lower() or "space" in message.lower(), message
    assert "damaged" not in message and "backup" not in message, message


@pytest.mark.timeout(60)
def test_a_failed_unlock_on_a_full_disk_can_be_retried_once_space_is_freed(
    disk: Path,
) -> None:
    store, _ = store_on(disk)
    filler = fill(disk, 40_000)  # room to read (WAL index), none for the unlock's audit
    with pytest.raises(Exception, match="disk is full"):
        open_store(store)
    filler.unlink()
    try:
        service = open_store(store)
    except StoreInUse as exc:
        pytest.fail(f"the failed unlock kept the store: {exc.message}")
    service.close()


# ---------------------------------------------------------------------- sealing
@pytest.fixture(scope="module")
def sealable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store (on the ordinary disk) with a session, 60 s of audio, and a team roster."""
    folder = tmp_path_factory.mktemp("sealable")
    store = folder / "store"
    with StoreService.create(store, PASSPHRASE, researcher_name="Ann") as service:
        service.team.add_me(role="pi")
        visit = service.add_encounter("home-visit", "Kitchen table").id
        make_recording(service, visit, folder, seconds=60.0)
        service.add_note(visit, "The radio was on; the kettle boiled twice.")
    return store


@pytest.mark.timeout(60)
def test_seal_onto_a_full_disk_is_refused_leaving_nothing(
    disk: Path, sealable: Path, tmp_path: Path
) -> None:
    store = shutil.copytree(sealable, tmp_path / "store")
    with open_store(store) as service:
        before = table_digests(service)
        size = service.bundles.seal(tmp_path / "measure.bundle", with_audio=True).size
        before_outbox = len(service.bundles.outbox())
    fill(disk, size // 3)
    out = disk / "sealed.bundle"
    done = Cli(store).run("bundle", "seal", "--with-audio", "--out", str(out), timeout=90)
    assert done.returncode != 0
    message = one_line_error(done.stderr)
    assert "no space left" in message.lower() or "full" in message.lower(), message
    assert sorted(p.name for p in disk.iterdir()) == ["filler.bin"]  # no partial file
    with open_store(store) as service:
        assert integrity(service) == ["ok"]
        after = table_digests(service)
        assert after == {**before, "outbox_bundle": after["outbox_bundle"]}
        assert len(service.bundles.outbox()) == before_outbox  # nothing recorded as sealed


# ----------------------------------------------------------------------- syncing
@pytest.mark.timeout(60)
def test_sync_to_a_full_folder_waits_then_completes(
    disk: Path, sealable: Path, tmp_path: Path
) -> None:
    store = shutil.copytree(sealable, tmp_path / "store")
    target = disk / "team-share"
    target.mkdir()
    with open_store(store) as service:
        sealed = service.bundles.seal(None, with_audio=True)
        service.sync.add_target("folder", str(target))
    fill(disk, sealed.size // 3)
    cli = Cli(store)

    done = cli.run("sync", "--json")
    assert done.returncode == 0, done.stderr  # a full target is no error: it waits
    [result] = json.loads(done.stdout)["results"]
    assert result["outcome"] == "retry" and result["state"] == "pending", result
    assert "full" in result["message"], result["message"]
    assert "\n" not in result["message"] and "Traceback" not in done.stderr
    leftover = [p.name for p in target.iterdir()]
    assert leftover == [f".{sealed.bundle_id}.age.partial"], leftover  # never the final name

    (disk / "filler.bin").unlink()  # space is freed
    done = cli.run("sync", "--now", "--json")
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)["results"]
    assert result["outcome"] == "sent", result
    delivered = target / f"{sealed.bundle_id}.age"
    assert sorted(p.name for p in target.iterdir()) == [delivered.name]
    assert hashlib.sha256(delivered.read_bytes()).hexdigest() == sealed.sha256
    assert partial_files(target) == []
