"""200 bundles with random byte flips: every one refused, with nothing written.

One real bundle (a session with a transcript, a note and audio chunks) is sealed once;
each case flips one to three random bytes of a copy (seeded, so a failure names its
seed). ``verify`` must refuse all 200; ``open`` into a team store must refuse a sample
of them and leave every table of the team store as it was.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from relations_desktop.core.bundle_format import BundleRefused
from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_recording, make_transcript

CASES = 200
OPENED_CASES = 20  # of the 200, also opened into the team store


@dataclass(frozen=True)
class Sealed:
    bundle: bytes
    team: Path


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    folder = tmp_path_factory.mktemp("fuzz")
    with StoreService.create(folder / "team", PASSPHRASE, researcher_name="Pat") as team:
        team.team.add_me(role="pi")
        pat = team.team.my_keys()
    with StoreService.create(folder / "ann", PASSPHRASE, researcher_name="Ann") as ann:
        ann.team.add_me()
        ann.team.add_member("Pat", pat.age_recipient, signing_key=pat.signing_public_key)
        person = ann.add_participant("Lara", "Mother").id
        give_adult_consent(ann, person)
        encounter = ann.add_encounter("home-visit", "Kitchen", participant_ids=[person]).id
        recording = make_recording(ann, encounter, folder, seconds=3.0)
        make_transcript(ann, recording, [Seg(0.0, 2.5, "We had tea in the kitchen.")])
        ann.add_note(encounter, "Quiet afternoon; the kettle and the radio.")
        me = ann.team.my_keys()
        out = folder / "ann.bundle"
        ann.bundles.seal(out, with_audio=True)
    with StoreService.open(folder / "team", PASSPHRASE) as team:
        team.team.add_member("Ann", me.age_recipient, signing_key=me.signing_public_key)
        assert team.bundles.verify(out).counts["audio_chunks"] >= 3
    return Sealed(out.read_bytes(), folder / "team")


@pytest.fixture(scope="module")
def team(sealed: Sealed) -> Iterator[StoreService]:
    with StoreService.open(sealed.team, PASSPHRASE) as opened:
        yield opened


def flipped(bundle: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    data = bytearray(bundle)
    for _ in range(rng.randint(1, 3)):
        position = rng.randrange(len(data))
        data[position] ^= rng.randint(1, 255)
    return bytes(data)


def table_rows(store: StoreService) -> dict[str, int]:
    with store._session() as session:
        names = session.execute(
            text("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        ).scalars()
        return {n: session.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


def test_every_flipped_bundle_is_refused(
    sealed: Sealed, team: StoreService, tmp_path: Path
) -> None:
    before = table_rows(team)
    for seed in range(CASES):
        path = tmp_path / f"flip-{seed}.bundle"
        path.write_bytes(flipped(sealed.bundle, seed))
        with pytest.raises(BundleRefused) as refused:
            team.bundles.verify(path)
        assert "Nothing was written" in str(refused.value), seed
        assert "damaged or truncated" in str(refused.value) or "not sealed for you" in str(
            refused.value
        ), seed
        if seed < OPENED_CASES:
            with pytest.raises(BundleRefused):
                team.bundles.open(path)
        path.unlink()
    assert table_rows(team) == before


def test_the_unflipped_bundle_opens(sealed: Sealed, team: StoreService, tmp_path: Path) -> None:
    """The control: the same bundle without a flip is accepted."""
    path = tmp_path / "honest.bundle"
    path.write_bytes(sealed.bundle)
    assert team.bundles.verify(path).signer == "Ann"
