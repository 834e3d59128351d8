"""Sealing options: audio as the store's FLAC chunks, ``--since-last``, and the outbox.

Bundles are opened with the real ``age`` and a member identity made by ``age-keygen``.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from relations_desktop.core.audio import chunks
from relations_desktop.core.bundles import NothingToSeal
from relations_desktop.core.errors import Cancelled
from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.core.conftest import AgeKey
from tests.real_tools import real_tool
from tests.ui.transcript_data import make_recording


@pytest.fixture
def service(tmp_path: Path, age_key: AgeKey) -> Iterator[StoreService]:
    with StoreService.create(tmp_path / "store", PASSPHRASE, researcher_name="Ann") as store:
        store.team.add_me(role="pi")
        store.team.add_member("Mo", age_key.recipient)
        yield store


def _visit(service: StoreService, folder: Path, title: str, seconds: float = 4.0) -> str:
    person = service.add_participant(f"P{title}", "Mother").id
    give_adult_consent(service, person)
    encounter = service.add_encounter("home-visit", title, participant_ids=[person]).id
    make_recording(service, encounter, folder, seconds=seconds)
    return encounter


def _files(bundle: Path, age_key: AgeKey) -> dict[str, bytes]:
    plain = subprocess.run(
        [real_tool("age"), "-d", "-i", str(age_key.identity_file), str(bundle)],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def test_with_audio_carries_every_chunk_as_flac(
    service: StoreService, tmp_path: Path, age_key: AgeKey
) -> None:
    encounter = _visit(service, tmp_path, "Kitchen", seconds=3.5)
    recording = service.recordings.list(encounter)[0]
    stored = chunks.read_all(service._session, recording.id)
    sealed = service.bundles.seal(tmp_path / "a.bundle", with_audio=True)
    files = _files(Path(sealed.path), age_key)
    audio = sorted(n for n in files if n.startswith(f"data/audio/{recording.id}/"))
    meta = json.loads(files["data/recordings.json"])[0]
    assert len(audio) == len(meta["audio"]["chunks"]) == sealed.counts["audio_chunks"] > 1
    decoded = [soundfile.read(io.BytesIO(files[n]), dtype="int16")[0] for n in audio]
    assert np.array_equal(np.concatenate(decoded), stored)
    assert sum(c[2] for c in meta["audio"]["chunks"]) == len(stored) == meta["frames"]


def test_without_audio_no_chunk_goes(
    service: StoreService, tmp_path: Path, age_key: AgeKey
) -> None:
    _visit(service, tmp_path, "Kitchen")
    sealed = service.bundles.seal(tmp_path / "a.bundle")
    files = _files(Path(sealed.path), age_key)
    assert not [n for n in files if n.startswith("data/audio/")]
    assert json.loads(files["data/recordings.json"])[0]["audio"] is None


def test_audio_stays_home_when_someone_present_withdrew(
    service: StoreService, tmp_path: Path, age_key: AgeKey
) -> None:
    encounter = _visit(service, tmp_path, "Kitchen")
    kim = service.add_participant("Kim", "Aunt").id
    give_adult_consent(service, kim)
    service.update_encounter(
        encounter, participant_ids=[*service.get_encounter(encounter).participant_ids, kim]
    )
    service.consent.withdraw(kim, "all")
    sealed = service.bundles.seal(tmp_path / "a.bundle", with_audio=True)
    files = _files(Path(sealed.path), age_key)
    assert sealed.audio_withheld == [encounter]
    assert not [n for n in files if n.startswith("data/audio/")]
    assert json.loads(files["data/recordings.json"])[0]["audio_withheld"] is True
    assert json.loads(files["data/withdrawals.json"])[0]["participant_id"] == kim


def test_seal_without_out_goes_to_the_outbox(service: StoreService, tmp_path: Path) -> None:
    _visit(service, tmp_path, "Kitchen")
    sealed = service.bundles.seal()
    path = Path(sealed.path)
    assert sealed.in_outbox and path.parent == service.store_dir / "outbox"
    assert path.name == f"{sealed.bundle_id}.age"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sealed.sha256
    assert path.stat().st_size == sealed.size
    assert path.stat().st_mode & 0o077 == 0
    (listed,) = service.bundles.outbox()
    assert (listed.bundle_id, listed.sha256, listed.present) == (
        sealed.bundle_id,
        sealed.sha256,
        True,
    )
    assert not list(path.parent.glob(".*.partial"))


def test_since_last_takes_only_what_changed(
    service: StoreService, tmp_path: Path, age_key: AgeKey
) -> None:
    kitchen = _visit(service, tmp_path, "Kitchen")
    park = _visit(service, tmp_path, "Park")
    first = service.bundles.seal(since_last=True)  # the first time: everything
    assert first.counts["encounters"] == 2
    with pytest.raises(NothingToSeal, match="Nothing has changed since the last bundle"):
        service.bundles.seal(tmp_path / "none.bundle", since_last=True)
    assert not (tmp_path / "none.bundle").exists()
    assert len(service.bundles.outbox()) == 1
    service.add_note(park, "Swings; the children ran ahead.")
    second = service.bundles.seal(tmp_path / "b.bundle", since_last=True)
    files = _files(Path(second.path), age_key)
    assert [e["id"] for e in json.loads(files["data/encounters.json"])] == [park]
    assert second.since is not None and not second.in_outbox
    assert kitchen not in json.dumps(json.loads(files["manifest.json"])["scope"])


def test_a_bundle_for_a_scope_holds_only_its_register_entries(
    service: StoreService, tmp_path: Path, age_key: AgeKey
) -> None:
    site = service.register.add_site("Harbour Clinic", "drug-treatment", region="North East").id
    far = service.register.add_site("Far Clinic", "other").id
    kitchen = _visit(service, tmp_path, "Kitchen")
    service.update_encounter(kitchen, site_id=site)
    other = _visit(service, tmp_path, "Other")
    service.update_encounter(other, site_id=far)
    sealed = service.bundles.seal(tmp_path / "a.bundle", [kitchen])
    sites = json.loads(_files(Path(sealed.path), age_key)["data/sites.json"])
    assert [s["id"] for s in sites] == [site]


def test_a_cancelled_seal_leaves_no_file(service: StoreService, tmp_path: Path) -> None:
    _visit(service, tmp_path, "Kitchen")
    seen: list[float] = []
    with pytest.raises(Cancelled, match="no bundle was written"):
        service.bundles.seal(
            tmp_path / "a.bundle", progress=seen.append, cancelled=lambda: len(seen) >= 2
        )
    assert seen == [pytest.approx(seen[0]), pytest.approx(seen[1])] and seen[0] < 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["interview-4.wav"]
    assert service.bundles.outbox() == []


def test_gnu_tar_reads_the_decrypted_stream(
    service: StoreService, tmp_path: Path, age_key: AgeKey
) -> None:
    _visit(service, tmp_path, "Kitchen")
    sealed = service.bundles.seal(tmp_path / "a.bundle", with_audio=True)
    plain = tmp_path / "a.tar"
    subprocess.run(
        [real_tool("age"), "-d", "-i", str(age_key.identity_file), "-o", str(plain), sealed.path],
        check=True,
    )
    listed = subprocess.run(
        ["tar", "-tf", str(plain)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert listed[:2] == ["manifest.json", "manifest.json.minisig"]
    assert listed[2:] == list(_files(Path(sealed.path), age_key))[2:]
    assert plain.stat().st_size % 10240 == 0


def test_entries_are_made_while_age_writes_not_before(
    service: StoreService, tmp_path: Path
) -> None:
    """Streaming, checked from outside: while the entries are being made the partial
    bundle file is already open and growing, so no more than one entry is ever held."""
    person = service.add_participant("Noor", "Mother").id
    give_adult_consent(service, person)
    encounter = service.add_encounter("home-visit", "Long", participant_ids=[person]).id
    noise = tmp_path / "noise.wav"  # noise, so the FLAC chunks stay large (~3 MB in all)
    rng = np.random.default_rng(1)
    soundfile.write(noise, rng.integers(-9000, 9000, 16000 * 100).astype(np.int16), 16000)
    service.recordings.import_file(encounter, noise)
    partial = tmp_path / ".a.bundle.partial"
    sizes: list[int] = []
    service.bundles.seal(
        tmp_path / "a.bundle",
        with_audio=True,
        progress=lambda _f: sizes.append(partial.stat().st_size if partial.exists() else -1),
    )
    assert len(sizes) > 5 and -1 not in sizes
    assert sizes[-1] > sizes[0]


def test_a_seal_into_the_outbox_clears_partials_a_killed_seal_left(
    service: StoreService, tmp_path: Path
) -> None:
    _visit(service, tmp_path, "Kitchen")
    outbox = service.store_dir / "outbox"
    outbox.mkdir(mode=0o700, exist_ok=True)
    stale = outbox / ".0b1e5a1e-dead-4bad-beef-000000000000.age.partial"
    stale.write_bytes(b"half a bundle")
    keep = outbox / "notes.txt"  # not ours to touch
    keep.write_text("x")
    sealed = service.bundles.seal()
    assert not stale.exists() and keep.exists()
    assert Path(sealed.path).is_file()
