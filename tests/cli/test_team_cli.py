"""``keys show`` and ``team ...`` on the command line, with the real ``minisign`` tool.

Two stores are built once per module (a PI's and a member's, both with their keys) and
copied for each test, together with rosters the PI signed: a good one and signed but bad
ones. Every refusal is one line, a non-zero exit, and the member's store unchanged.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import pytest

from relations_desktop import cli
from relations_desktop.core.services import StoreService
from tests.cli.test_cli import Cli, fingerprint, one_line_error
from tests.cli.test_consent_cli import rows
from tests.conftest import PASSPHRASE
from tests.real_tools import real_tool


@dataclass(frozen=True)
class Base:
    folder: Path
    pi_key: str  # the PI's minisign public key (RW…)
    member_recipient: str


def _recipient() -> str:
    return str(pyrage.x25519.Identity.generate().to_public())


def _write_signed(pi: StoreService, path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.with_name(path.name + ".minisig").write_bytes(pi.team.sign(data, "test"))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("team-base")
    with StoreService.create(folder / "member", PASSPHRASE, researcher_name="Mo") as member:
        mine = member.team.my_keys()
    with StoreService.create(folder / "pi", PASSPHRASE, researcher_name="Pat") as pi:
        pi.team.add_me(role="pi")
        pi.team.add_member("Mo", mine.age_recipient, signing_key=mine.signing_public_key)
        pi.team.export_roster(folder / "roster.json")
        good: dict[str, Any] = json.loads((folder / "roster.json").read_text())
        key = pi.team.my_keys().signing_public_key

        def variant(name: str, change: Any) -> None:
            doc = json.loads(json.dumps(good))
            change(doc)
            _write_signed(pi, folder / name, json.dumps(doc).encode())

        _write_signed(pi, folder / "malformed.json", b'{"format": "relations-team-roster", ')
        variant("version.json", lambda d: d.update(version=2))
        variant("recipient.json", lambda d: d["members"][1].update(age_recipient="age1nope"))
        variant("signing-key.json", lambda d: d["members"][1].update(signing_key="RWnope"))
        variant(
            "duplicate.json",
            lambda d: d["members"].append(
                dict(d["members"][1], id=str(uuid.uuid4()), name="Mo again")
            ),
        )
        variant("no-pi.json", lambda d: d["members"][0].update(role="member"))
        big = (folder / "roster.json").read_bytes() + b" " * (1024 * 1024)
        _write_signed(pi, folder / "big.json", big)
    return Base(folder, key, mine.age_recipient)


@dataclass(frozen=True)
class World:
    run: Cli
    store: Path
    pi: Cli
    files: Path
    pi_key: str
    tmp: Path


@pytest.fixture
def world(
    base: Base, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> World:
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    files = tmp_path / "files"
    shutil.copytree(base.folder, files, ignore=shutil.ignore_patterns("member", "pi"))
    shutil.copytree(base.folder / "member", tmp_path / "member")
    shutil.copytree(base.folder / "pi", tmp_path / "pi")
    return World(
        Cli(tmp_path / "member", capsys),
        tmp_path / "member",
        Cli(tmp_path / "pi", capsys),
        files,
        base.pi_key,
        tmp_path,
    )


def refused(w: World, *args: str, code: int = 2, run: Cli | None = None) -> str:
    got, out, err = (run or w.run)(*args)
    assert got == code, err
    assert out == ""
    return one_line_error(err)


def minisign(*args: str) -> subprocess.CompletedProcess[str]:
    real_tool("minisign")
    return subprocess.run(["minisign", *args], capture_output=True, text=True, check=False)


# ------------------------------------------------------------------ happy path
def test_keys_show(world: World) -> None:
    data = world.run.json("keys", "show")
    assert isinstance(data, dict)
    assert data["age_recipient"].startswith("age1")
    assert data["signing_public_key"].startswith("RW") and len(data["signing_key_id"]) == 16
    text = world.run.ok("keys", "show")
    assert data["age_recipient"] in text and data["signing_public_key"] in text
    assert "SECRET" not in text.upper()


def test_export_verify_with_minisign_then_import(world: World) -> None:
    w = world
    out = w.tmp / "exported.json"
    done = w.pi.json("team", "export", "--out", str(out))
    assert isinstance(done, dict) and done["members"] == 2
    checked = minisign("-V", "-P", w.pi_key, "-m", str(out))
    assert checked.returncode == 0, checked.stderr
    pub = w.tmp / "pi.pub"
    pub.write_text(f"untrusted comment: minisign public key {done['signer_key_id']}\n{w.pi_key}\n")
    assert minisign("-V", "-p", str(pub), "-m", str(out), "-x", f"{out}.minisig").returncode == 0

    got = w.run.json("team", "import", str(out), "--trust-signer", w.pi_key)
    assert isinstance(got, dict) and got["trusted_by"] == "confirmation"
    listing = w.run.ok("team", "list")
    assert "Pat" in listing and "Mo (you)" in listing and "pi" in listing
    members = w.run.json("team", "list")
    assert isinstance(members, list) and len(members) == 2

    # The PI adds someone; the next roster needs no confirmation.
    w.pi.ok("team", "add", "--name", "Ria", "--recipient", _recipient())
    w.pi.ok("team", "export", "--out", str(out))
    assert "Imported the roster signed by Pat" in w.run.ok("team", "import", str(out))
    assert len(w.run.json("team", "list")) == 3  # type: ignore[arg-type]


def test_add_and_remove(world: World) -> None:
    w = world
    member_id = w.run.ok("team", "add", "--name", "Ria", "--recipient", _recipient()).strip()
    me = w.run.json("team", "add", "--me")
    assert isinstance(me, dict) and me["is_me"] and me["name"] == "Mo"
    assert w.run.ok("team", "remove", member_id).startswith("Removed")
    assert [m["name"] for m in w.run.json("team", "list")] == ["Mo"]  # type: ignore[union-attr]


# ------------------------------------------------------------------ bad inputs
def test_flipped_byte_refused_by_us_and_by_minisign(world: World) -> None:
    w = world
    roster = w.files / "roster.json"
    data = bytearray(roster.read_bytes())
    data[data.index(b'"Mo"') + 1] ^= 0x20
    roster.write_bytes(bytes(data))
    assert minisign("-V", "-P", w.pi_key, "-m", str(roster)).returncode != 0
    before = rows(w.store)
    msg = refused(w, "team", "import", str(roster), "--trust-signer", w.pi_key)
    assert "signature does not match" in msg
    assert rows(w.store) == before


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("malformed.json", "not valid JSON"),
        ("version.json", "format version 2"),
        ("recipient.json", "Not an age X25519 recipient"),
        ("signing-key.json", "Not a minisign public key"),
        ("duplicate.json", "already has the recipient"),
        ("no-pi.json", "not a principal investigator in it"),
        ("big.json", "(1024 KiB at most)"),
    ],
)
def test_signed_but_bad_rosters_are_refused(world: World, name: str, expected: str) -> None:
    before = rows(world.store)
    msg = refused(world, "team", "import", str(world.files / name), "--trust-signer", world.pi_key)
    assert expected in msg
    assert rows(world.store) == before


def test_untrusted_missing_and_garbage_signatures_are_refused(world: World) -> None:
    w = world
    roster = w.files / "roster.json"
    before = rows(w.store)
    assert "not a trusted principal investigator" in refused(w, "team", "import", str(roster))
    with StoreService.create(w.tmp / "stranger", PASSPHRASE) as stranger:
        other = stranger.team.my_keys().signing_public_key
    msg = refused(w, "team", "import", str(roster), "--trust-signer", other)
    assert "is not the one that signed it" in msg
    sig = roster.with_name("roster.json.minisig")
    sig.write_text("untrusted comment: nope\nAAAA\n")
    assert "not a minisign signature" in refused(w, "team", "import", str(roster))
    sig.unlink()
    assert "has no signature" in refused(w, "team", "import", str(roster))
    assert "No such file" in refused(w, "team", "import", str(w.tmp / "absent.json"))
    assert rows(w.store) == before


def test_parse_time_refusals_leave_the_files_untouched(world: World) -> None:
    w = world
    before = fingerprint(w.store)
    roster = str(w.files / "roster.json")
    assert "minisign public key" in refused(w, "team", "import", roster, "--trust-signer", "RW!")
    assert "age X25519 recipient" in refused(
        w, "team", "add", "--name", "X", "--recipient", "age1bad"
    )
    assert "minisign public key" in refused(
        w, "team", "add", "--name", "X", "--recipient", _recipient(), "--signing-key", "nope"
    )
    assert fingerprint(w.store) == before


def test_refusals_after_unlock_leave_the_rows_untouched(world: World) -> None:
    w = world
    before = rows(w.store)
    assert "needs a signing key" in refused(
        w, "team", "add", "--name", "X", "--recipient", _recipient(), "--role", "pi"
    )
    assert "needs a name" in refused(w, "team", "add", "--recipient", _recipient())
    assert "Only a principal investigator" in refused(
        w, "team", "export", "--out", str(w.tmp / "r.json")
    )
    assert not (w.tmp / "r.json").exists()
    assert "No team member" in refused(w, "team", "remove", "nope", code=3)
    assert rows(w.store) == before
    # Duplicates, once there is someone to duplicate.
    w.run.ok("team", "add", "--me")
    after = rows(w.store)
    assert "already a team member" in refused(
        w, "team", "add", "--name", "mo", "--recipient", _recipient()
    )
    assert "already has the recipient" in refused(w, "team", "add", "--me", "--name", "Other")
    assert rows(w.store) == after
