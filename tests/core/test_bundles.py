"""Sealing and verifying bundles, against the real ``age`` and ``minisign`` tools.

One store (Ann, a PI) is built once per module with a visit: a participant with a real
name in the identity register, registered pseudonyms, a transcript, a fieldnote, and a
second participant who withdrew all their data. The team roster holds Ann and Mo, whose
age identity was made by the real ``age-keygen`` (so the test can decrypt as Mo with the
real ``age``). Hostile bundles are built here with ``tarfile``, ``pyrage`` and a
signature from Ann's own key, so only the tar entry is at fault.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import minisign
import pyrage
import pytest

from relations_desktop.core.bundle_format import BundleRefused
from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.review import IdentifiersUnresolved
from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.core.conftest import AgeKey
from tests.real_tools import real_tool
from tests.ui.transcript_data import Seg, make_recording, make_transcript

REAL_NAME = "Jane Realname"
WITHDRAWN_REAL = "Kirsty Goneaway"
WITHDRAWN_WORDS = "quince and gooseberry marmalade"  # said only by the one who withdrew
REGISTERED = (("Janey", "Lara", "nickname"), ("Harbour Clinic", "[drug service]", "service"))
SEGMENTS = (
    Seg(0.0, 5.0, "Jane came round to the Harbour Clinic today.", speaker=0),
    Seg(5.0, 9.0, f"I brought the {WITHDRAWN_WORDS} along.", speaker=1),
    Seg(9.0, 14.0, "Janey said the wean was fine.", speaker=2),
)


@dataclass(frozen=True)
class Base:
    store: Path
    encounter: str
    reals: tuple[str, ...]  # every real string in the identity and pseudonym registers
    ann_key: str  # Ann's minisign public key
    ann_recipient: str


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, age_key: AgeKey) -> Base:
    folder = tmp_path_factory.mktemp("bundle-base")
    store = folder / "store"
    with StoreService.create(store, PASSPHRASE, researcher_name="Ann") as service:
        service.team.add_me(role="pi")
        service.team.add_member("Mo", age_key.recipient)
        lara = service.add_participant("Lara", "Mother", real_name=REAL_NAME).id
        kim = service.add_participant("Kim", "Aunt", real_name=WITHDRAWN_REAL).id
        give_adult_consent(service, lara)
        give_adult_consent(service, kim)
        encounter = service.add_encounter("home-visit", "Kitchen", participant_ids=[lara, kim]).id
        for real, replacement, kind in REGISTERED:
            service.pseudonyms.add(real, replacement, kind=kind)
        recording = make_recording(service, encounter, folder, seconds=15.0)
        transcript = make_transcript(
            service, recording, SEGMENTS, speakers=["Interviewer", "S2", "S3"]
        )
        speakers = {s.label: s.id for s in service.transcripts.get(transcript).speakers}
        service.transcripts.update_speaker(speakers["S2"], participant_id=kim)
        service.transcripts.update_speaker(speakers["S3"], participant_id=lara)
        service.add_note(encounter, "Jane made tea; Janey's wean slept.", participant_ids=[lara])
        reals = tuple(e.real for e in service.pseudonyms.list())
        service.consent.withdraw(kim, "all")  # this also takes Kim out of the registers
        assert REAL_NAME in reals and WITHDRAWN_REAL in reals
        assert service.review.unresolved([encounter]) == []
        keys = service.team.my_keys()
        return Base(store, encounter, reals, keys.signing_public_key, keys.age_recipient)


@pytest.fixture
def service(base: Base, tmp_path: Path) -> Iterator[StoreService]:
    store = tmp_path / "store"
    shutil.copytree(base.store, store)
    with StoreService.open(store, PASSPHRASE) as opened:
        yield opened


@pytest.fixture
def sealed(service: StoreService, tmp_path: Path) -> Path:
    out = tmp_path / "ann.bundle"
    service.bundles.seal(out)
    return out


def members(tar_bytes: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def decrypt_as_mo(bundle: Path, age_key: AgeKey) -> bytes:
    done = subprocess.run(
        [real_tool("age"), "-d", "-i", str(age_key.identity_file), str(bundle)],
        capture_output=True,
        check=True,
    )
    return done.stdout


# ---------------------------------------------------------------- sealing
def test_a_roster_member_opens_the_bundle_with_the_real_tools(
    sealed: Path, age_key: AgeKey, base: Base, tmp_path: Path
) -> None:
    files = members(decrypt_as_mo(sealed, age_key))
    names = list(files)
    assert names[:2] == ["manifest.json", "manifest.json.minisig"]
    manifest = json.loads(files["manifest.json"])
    assert manifest["researcher"]["name"] == "Ann"
    listed = {e["path"]: e for e in manifest["files"]}
    assert set(listed) == set(names[2:])
    for name, entry in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == entry["sha256"]
        assert len(files[name]) == entry["size"]
    out = tmp_path / "extracted"
    out.mkdir()
    (out / "manifest.json").write_bytes(files["manifest.json"])
    (out / "manifest.json.minisig").write_bytes(files["manifest.json.minisig"])
    checked = subprocess.run(
        [real_tool("minisign"), "-V", "-P", base.ann_key, "-m", str(out / "manifest.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert manifest["counts"] == {
        "sites": 0,
        "families": 0,
        "participants": 1,
        "encounters": 1,
        "recordings": 1,
        "audio_chunks": 0,
        "fieldnotes": 1,
        "transcripts": 1,
        "withdrawals": 1,
    }


def test_nothing_in_the_bundle_holds_a_real_name_or_withdrawn_words(
    sealed: Path, age_key: AgeKey, base: Base
) -> None:
    plain = decrypt_as_mo(sealed, age_key)
    for real in (*base.reals, WITHDRAWN_WORDS, "Kim"):
        for variant in {real, real.lower(), real.upper()}:
            assert variant.encode("utf-8") not in plain, real
    files = members(plain)
    people = json.loads(files["data/participants.json"])
    assert [p["pseudonym"] for p in people] == ["Lara"]
    assert people[0]["consent"]["decisions"]
    assert b"Lara" in plain and b"[drug service]" in plain


def test_verify_reports_what_is_inside(service: StoreService, sealed: Path) -> None:
    got = service.bundles.verify(sealed)
    assert got.researcher_name == "Ann" and got.signer == "Ann"
    assert got.counts["transcripts"] == 1 and got.files == 8


def test_sealing_again_gives_the_same_data_files(
    service: StoreService, sealed: Path, age_key: AgeKey, tmp_path: Path
) -> None:
    again = tmp_path / "again.bundle"
    service.bundles.seal(again)
    first, second = members(decrypt_as_mo(sealed, age_key)), members(decrypt_as_mo(again, age_key))
    data = [n for n in first if n.startswith("data/")]
    assert data and all(first[n] == second[n] for n in data)


def test_seal_refuses_unresolved_identifiers(
    service: StoreService, base: Base, tmp_path: Path
) -> None:
    service.add_note(base.encounter, "Then Margaret Thomson phoned from Dundee.")
    out = tmp_path / "refused.bundle"
    with pytest.raises(IdentifiersUnresolved, match=r"Sealing refused: \d+ likely identifier"):
        service.bundles.seal(out, [base.encounter])
    assert list(tmp_path.glob("*bundle*")) == []


def test_seal_refuses_an_empty_roster(service: StoreService, tmp_path: Path) -> None:
    for member in service.team.list_members():
        service.team.remove_member(member.id)
    with pytest.raises(InvalidInput, match="roster is empty"):
        service.bundles.seal(tmp_path / "refused.bundle")
    assert list(tmp_path.glob("*bundle*")) == []


def test_seal_refuses_an_unknown_session(service: StoreService, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        service.bundles.seal(tmp_path / "x.bundle", ["no-such-session"])
    assert list(tmp_path.glob("*bundle*")) == []


# ------------------------------------------------------------ tampering
def test_flipped_bytes_anywhere_are_refused(
    service: StoreService, sealed: Path, tmp_path: Path
) -> None:
    data = sealed.read_bytes()
    chance = random.Random(7)
    positions = {0, 40, 100, len(data) // 2, len(data) - 1}
    positions |= {chance.randrange(len(data)) for _ in range(25)}
    bad = tmp_path / "bad.bundle"
    for position in sorted(positions):
        changed = bytearray(data)
        changed[position] ^= 1 << chance.randrange(8)
        bad.write_bytes(bytes(changed))
        with pytest.raises(BundleRefused, match="Bundle refused"):
            service.bundles.verify(bad)


def test_a_truncated_bundle_is_refused(service: StoreService, sealed: Path, tmp_path: Path) -> None:
    data = sealed.read_bytes()
    bad = tmp_path / "short.bundle"
    for length in (0, 10, 200, len(data) // 2, len(data) - 1):
        bad.write_bytes(data[:length])
        with pytest.raises(BundleRefused, match="Bundle refused"):
            service.bundles.verify(bad)


def test_a_bundle_sealed_for_someone_else_is_refused(
    service: StoreService, base: Base, other_age_key: AgeKey, tmp_path: Path
) -> None:
    bundle = craft(service, tmp_path, recipient=other_age_key.recipient)
    with pytest.raises(BundleRefused, match="not sealed for you"):
        service.bundles.verify(bundle)


def test_a_bundle_signed_by_a_stranger_is_refused(service: StoreService, tmp_path: Path) -> None:
    stranger = minisign.KeyPair.generate()

    def sign(data: bytes) -> bytes:
        return bytes(stranger.secret_key.sign(data, trusted_comment="stranger")) + b"\n"

    with pytest.raises(BundleRefused, match="nobody on your team roster"):
        service.bundles.verify(craft(service, tmp_path, sign=sign))


def test_a_well_formed_crafted_bundle_passes(service: StoreService, tmp_path: Path) -> None:
    # the control for the hostile ones below: the same construction, nothing wrong
    assert service.bundles.verify(craft(service, tmp_path)).files == 1


def _entry(name: str, kind: bytes = tarfile.REGTYPE, size: int = 5) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, size if kind == tarfile.REGTYPE else 0
    if kind == tarfile.SYMTYPE:
        info.linkname = "/etc/passwd"
    return info


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_entry("../data/x.json"), r"outside the bundle \('\.\.'\)"),
        (_entry("data/../../x.json"), r"outside the bundle"),
        (_entry("/etc/x.json"), "absolute path"),
        (_entry("data/x.json", tarfile.SYMTYPE), "is a link"),
        (_entry("data/x.json", tarfile.LNKTYPE), "is a link"),
        (_entry("data/x.json", tarfile.CHRTYPE), "device file"),
        (_entry("data/x.json", tarfile.BLKTYPE), "device file"),
        (_entry("data/x.json", size=50), "is 50 bytes; the manifest says 5"),
        # far more than the pipe holds: refused without waiting for the rest
        (_entry("data/x.json", size=3_000_000), "is 3000000 bytes; the manifest says 5"),
        (_entry("data/other.json"), "not in the manifest"),
    ],
)
def test_hostile_tar_entries_are_refused(
    service: StoreService, tmp_path: Path, entry: tarfile.TarInfo, message: str
) -> None:
    with pytest.raises(BundleRefused, match=message):
        service.bundles.verify(craft(service, tmp_path, entry=entry))


def test_a_manifest_promising_terabytes_is_refused(service: StoreService, tmp_path: Path) -> None:
    files = [{"path": "data/x.json", "size": 5 * 1024**4, "sha256": "0" * 64}]
    with pytest.raises(BundleRefused, match="promises"):
        service.bundles.verify(craft(service, tmp_path, listed=files))
    many = [{"path": f"data/{n}.json", "size": 15 * 1024**3, "sha256": "0" * 64} for n in range(40)]
    with pytest.raises(BundleRefused, match="in all"):
        service.bundles.verify(craft(service, tmp_path, listed=many))


def test_a_file_changed_after_signing_is_refused(service: StoreService, tmp_path: Path) -> None:
    with pytest.raises(BundleRefused, match="does not match its SHA-256"):
        service.bundles.verify(craft(service, tmp_path, content=b"EVIL!"))


def craft(
    service: StoreService,
    folder: Path,
    *,
    entry: tarfile.TarInfo | None = None,
    content: bytes = b"hello",
    listed: list[dict[str, Any]] | None = None,
    recipient: str | None = None,
    sign: Any = None,
) -> Path:
    """A bundle built by hand: a manifest listing ``data/x.json`` (``b"hello"``), signed by
    Ann unless ``sign`` is given, then ``entry`` (by default the honest one)."""
    files = listed or [
        {"path": "data/x.json", "size": 5, "sha256": hashlib.sha256(b"hello").hexdigest()}
    ]
    manifest = json.dumps(
        {
            "format": "relations-bundle",
            "schema_revision": 1,
            "bundle_id": str(uuid.uuid4()),
            "created_at": "2026-11-30T10:00:00+00:00",
            "researcher": {
                "id": "r",
                "name": "Ann",
                "signing_key_id": service.team.my_keys().signing_key_id,
            },
            "counts": {},
            "files": files,
        }
    ).encode()
    signature = sign(manifest) if sign else service.team.sign(manifest, "crafted")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in (("manifest.json", manifest), ("manifest.json.minisig", signature)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = entry or _entry("data/x.json")
        body = (content * (info.size // len(content) + 1))[: max(info.size, len(content))]
        tar.addfile(info, io.BytesIO(body) if info.isreg() else None)
    target = recipient or service.team.my_keys().age_recipient
    path = folder / f"crafted-{uuid.uuid4().hex[:8]}.bundle"
    path.write_bytes(pyrage.encrypt(buffer.getvalue(), [pyrage.x25519.Recipient.from_str(target)]))
    return path
