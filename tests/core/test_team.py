"""Researcher identities and the signed team roster, against the real ``age`` and
``minisign`` tools."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.services import StoreService
from relations_desktop.core.team import ROSTER_SIGNED_AT_SETTING, public_key_file_text
from tests.conftest import PASSPHRASE
from tests.core.conftest import AgeKey
from tests.real_tools import real_tool


def minisign_verifies(roster: Path, public_key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [real_tool("minisign"), "-V", "-P", public_key, "-m", str(roster)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def pi(tmp_path: Path) -> StoreService:
    svc = StoreService.create(tmp_path / "pi", PASSPHRASE, researcher_name="Pat PI")
    yield svc  # type: ignore[misc]
    svc.close()


@pytest.fixture
def member(tmp_path: Path) -> StoreService:
    svc = StoreService.create(tmp_path / "member", PASSPHRASE, researcher_name="Mo Member")
    yield svc  # type: ignore[misc]
    svc.close()


def _roster(pi: StoreService, member: StoreService, out: Path) -> Path:
    pi.team.add_me(role="pi")
    mine = member.team.my_keys()
    pi.team.add_member("Mo Member", mine.age_recipient, signing_key=mine.signing_public_key)
    pi.team.export_roster(out)
    return out


# ------------------------------------------------------------------ identities
def test_keys_are_made_once_and_audited(service: StoreService) -> None:
    first = service.team.my_keys()
    assert first.age_recipient.startswith("age1")
    assert first.signing_public_key.startswith("RW") and len(first.signing_key_id) == 16
    assert service.team.my_keys() == first
    made = [e for e in service.audit_events() if e.action == "keys_created"]
    assert len(made) == 1


def test_key_id_is_the_one_the_minisign_tool_prints(service: StoreService, tmp_path: Path) -> None:
    keys = service.team.my_keys()
    pub = tmp_path / "me.pub"
    pub.write_text(public_key_file_text(keys.signing_public_key))
    assert keys.signing_key_id in pub.read_text().splitlines()[0]
    # The real tool prints its own key id for a key it makes; ours uses the same rule.
    made = subprocess.run(
        [
            real_tool("minisign"),
            "-G",
            "-W",
            "-p",
            str(tmp_path / "t.pub"),
            "-s",
            str(tmp_path / "t.key"),
        ],
        capture_output=True,
        check=True,
    )
    assert made.returncode == 0
    comment, line = (tmp_path / "t.pub").read_text().splitlines()
    from relations_desktop.core.team import key_id

    assert comment.endswith(key_id(line))


def test_real_age_encrypts_to_keys_show_and_the_store_decrypts(
    service: StoreService, tmp_path: Path, other_age_key: AgeKey
) -> None:
    recipient = service.team.my_keys().age_recipient
    secret = b"the bundle: Lara's interview, pseudonymised\n" * 100
    (tmp_path / "plain").write_bytes(secret)
    subprocess.run(
        [real_tool("age"), "-r", recipient, "-o", str(tmp_path / "x.age"), str(tmp_path / "plain")],
        check=True,
    )
    assert service.team.decrypt_for_me((tmp_path / "x.age").read_bytes()) == secret
    # A file for someone else is refused with a clear message.
    subprocess.run(
        [
            "age",
            "-r",
            other_age_key.recipient,
            "-o",
            str(tmp_path / "y.age"),
            str(tmp_path / "plain"),
        ],
        check=True,
    )
    with pytest.raises(InvalidInput, match="not encrypted to you"):
        service.team.decrypt_for_me((tmp_path / "y.age").read_bytes())


def test_no_secret_key_text_in_plaintext_files(service: StoreService, store_dir: Path) -> None:
    service.team.my_keys()
    with service._session() as session:
        from sqlalchemy import select

        from relations_desktop.core.store.models import ResearcherKey

        row = session.scalars(select(ResearcherKey)).one()
        secrets = [row.age_identity, row.signing_secret]
    assert secrets[0].startswith("AGE-SECRET-KEY-1")
    service.lock()
    found = []
    for path in store_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (*secrets, "AGE-SECRET-KEY"):
                for form in (secret.encode(), secret.lower().encode()):
                    if form in data:
                        found.append((path.name, secret[:12]))
    assert found == []
    vault = json.loads((store_dir / "vault.json").read_text())
    assert "AGE-SECRET" not in json.dumps(vault)


# ---------------------------------------------------------------------- roster
def test_add_list_remove_and_validation(pi: StoreService, member: StoreService) -> None:
    mine = member.team.my_keys()
    added = pi.team.add_member("Mo", mine.age_recipient, signing_key=mine.signing_public_key)
    me = pi.team.add_me(role="pi")
    listed = pi.team.list_members()
    assert [(m.name, m.role, m.is_me) for m in listed] == [
        ("Pat PI", "pi", True),
        ("Mo", "member", False),
    ]
    assert listed[1].signing_key_id == mine.signing_key_id
    with pytest.raises(InvalidInput, match="age X25519 recipient"):
        pi.team.add_member("X", "age1notarecipient")
    with pytest.raises(InvalidInput, match="minisign public key"):
        pi.team.add_member("X", _fresh_recipient(), signing_key="RWnotakey")
    with pytest.raises(InvalidInput, match="already has the recipient"):
        pi.team.add_member("Other", mine.age_recipient)
    with pytest.raises(InvalidInput, match="already has the signing key"):
        pi.team.add_member("Other", _fresh_recipient(), signing_key=mine.signing_public_key)
    with pytest.raises(InvalidInput, match="already a team member called"):
        pi.team.add_member("mo", _fresh_recipient())
    with pytest.raises(InvalidInput, match="needs a signing key"):
        pi.team.add_member("Boss", _fresh_recipient(), role="pi")
    with pytest.raises(NotFound):
        pi.team.remove_member("no-such-id")
    pi.team.remove_member(added.id)
    assert [m.id for m in pi.team.list_members()] == [me.id]
    actions = [e.action for e in pi.audit_events()]
    assert actions.count("team_member_added") == 2 and actions.count("team_member_removed") == 1


def test_export_verifies_with_minisign_and_imports_elsewhere(
    pi: StoreService, member: StoreService, tmp_path: Path
) -> None:
    roster = _roster(pi, member, tmp_path / "roster.json")
    key = pi.team.my_keys().signing_public_key
    done = minisign_verifies(roster, key)
    assert done.returncode == 0, done.stderr
    assert "Signature and comment signature verified" in done.stdout + done.stderr

    # Untrusted at first: refused, nothing written.
    with pytest.raises(InvalidInput, match="not a trusted principal investigator"):
        member.team.import_roster_file(roster)
    assert member.team.list_members() == []
    got = member.team.import_roster_file(roster, trust_signer=key)
    assert got.trusted_by == "confirmation" and got.members == 2
    names = {(m.name, m.role, m.is_me) for m in member.team.list_members()}
    assert names == {("Pat PI", "pi", False), ("Mo Member", "member", True)}
    assert [m.id for m in member.team.list_members()] == [m.id for m in pi.team.list_members()]

    # A later roster from the same PI is trusted through the roster itself.
    pi.team.add_member("Ria", _fresh_recipient())
    pi.team.export_roster(roster)
    assert member.team.import_roster_file(roster).trusted_by == "roster"
    assert len(member.team.list_members()) == 3
    actions = [e.action for e in member.audit_events()]
    assert actions.count("team_roster_imported") == 2
    assert "team_roster_exported" in [e.action for e in pi.audit_events()]


def _fresh_recipient() -> str:
    import pyrage

    return str(pyrage.x25519.Identity.generate().to_public())


def test_a_flipped_byte_is_refused_by_us_and_by_minisign(
    pi: StoreService, member: StoreService, tmp_path: Path
) -> None:
    roster = _roster(pi, member, tmp_path / "roster.json")
    key = pi.team.my_keys().signing_public_key
    data = bytearray(roster.read_bytes())
    where = data.index(b"Mo Member")
    data[where] ^= 0x01
    roster.write_bytes(bytes(data))
    assert minisign_verifies(roster, key).returncode != 0
    with pytest.raises(InvalidInput, match="does not match"):
        member.team.import_roster_file(roster, trust_signer=key)
    assert member.team.list_members() == []


def test_an_older_roster_is_refused(pi: StoreService, member: StoreService, tmp_path: Path) -> None:
    old = _roster(pi, member, tmp_path / "old.json")
    key = pi.team.my_keys().signing_public_key
    shutil.copy(old.with_name("old.json.minisig"), tmp_path / "keep.minisig")
    kept = old.read_bytes()
    pi.team.export_roster(tmp_path / "new.json")
    member.team.import_roster_file(tmp_path / "new.json", trust_signer=key)
    with pytest.raises(InvalidInput, match="older than the one"):
        member.team.import_roster(kept, (tmp_path / "keep.minisig").read_bytes())
    assert member.get_setting(ROSTER_SIGNED_AT_SETTING) is not None


def test_export_needs_a_pi(service: StoreService, tmp_path: Path) -> None:
    service.team.add_me()
    with pytest.raises(InvalidInput, match="principal investigator"):
        service.team.export_roster(tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()


def test_a_key_id_with_a_leading_zero_prints_as_the_minisign_tool_prints_it() -> None:
    """The tool prints the id with ``%llX`` (no leading zeros); CI once met such a key."""
    from relations_desktop.core.team import _hex_id, same_key_id

    assert _hex_id(bytes.fromhex("e7f697a2659f8407")) == "7849F65A297F6E7"
    assert same_key_id("07849F65A297F6E7", "7849F65A297F6E7")
    assert not same_key_id("7849F65A297F6E7", "not hex")
