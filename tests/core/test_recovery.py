"""The team recovery identity: written once, owner-only, never in a store folder; it opens
a store made with its recipient (with this app and with the plain age tool)."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from pathlib import Path

import pyrage
import pytest

from relations_desktop.core import recovery
from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.recovery import (
    check_recovery_path,
    create_recovery_identity,
    remove_unused_identity,
    start_team,
)
from relations_desktop.core.services import StoreService
from relations_desktop.core.vault import read_vault
from tests.conftest import PASSPHRASE
from tests.real_tools import real_tool


def test_identity_written_owner_only_and_it_opens_the_store(
    tmp_path: Path, store_dir: Path
) -> None:
    target = tmp_path / "usb" / "team-recovery.txt"
    target.parent.mkdir()
    made = create_recovery_identity(target, store_dir=store_dir)
    assert made.path == target.resolve()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text(encoding="ascii")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert len(lines) == 1 and lines[0].startswith("AGE-SECRET-KEY-1")
    assert f"# public key: {made.recipient}" in text
    assert str(pyrage.x25519.Identity.from_str(lines[0]).to_public()) == made.recipient

    StoreService.create(store_dir, PASSPHRASE, recovery_recipient=made.recipient).close()
    assert read_vault(store_dir).recovery_recipient == made.recipient
    with StoreService.open(store_dir, recovery_identity=text) as opened:
        assert not opened.is_locked
    secret = lines[0].encode("ascii")
    assert not any(secret in p.read_bytes() for p in store_dir.rglob("*") if p.is_file())


def test_the_plain_age_tool_reads_the_identity_file(tmp_path: Path) -> None:
    age = real_tool("age", "age")
    made = create_recovery_identity(tmp_path / "id.txt")
    sealed = pyrage.encrypt(b"the data key", [pyrage.x25519.Recipient.from_str(made.recipient)])
    out = subprocess.run(
        [age, "-d", "-i", str(made.path)], input=sealed, capture_output=True, timeout=20
    )
    assert out.returncode == 0 and out.stdout == b"the data key"


@pytest.mark.parametrize(
    "where",
    ["store", "store/vault-copy.txt", "store/deeper/id.txt", "link/id.txt"],
)
def test_never_inside_the_store_folder(tmp_path: Path, store_dir: Path, where: str) -> None:
    store_dir.mkdir()
    (store_dir / "deeper").mkdir()
    (tmp_path / "link").symlink_to(store_dir)  # a way into the store by another name
    before = sorted(p.name for p in store_dir.rglob("*"))
    with pytest.raises(InvalidInput, match="inside the store folder"):
        create_recovery_identity(tmp_path / where, store_dir=store_dir)
    assert sorted(p.name for p in store_dir.rglob("*")) == before


def test_a_store_folder_not_made_yet_is_still_refused(tmp_path: Path, store_dir: Path) -> None:
    with pytest.raises(InvalidInput, match="inside the store folder"):
        check_recovery_path(store_dir / "id.txt", store_dir)
    assert not store_dir.exists()


def test_bad_paths_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    existing = tmp_path / "someone-elses-identity.txt"
    existing.write_text("AGE-SECRET-KEY-1 keep me\n")
    with pytest.raises(InvalidInput, match="never overwritten"):
        create_recovery_identity(existing)
    assert existing.read_text() == "AGE-SECRET-KEY-1 keep me\n"
    with pytest.raises(InvalidInput, match="is a folder"):
        create_recovery_identity(tmp_path)
    with pytest.raises(InvalidInput, match="does not exist"):
        create_recovery_identity(tmp_path / "no-such-folder" / "id.txt")
    with pytest.raises(InvalidInput, match="Choose where"):
        check_recovery_path(Path(""))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["someone-elses-identity.txt"]


def test_a_full_disk_leaves_no_partial_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recovery.os, "fsync", full)
    with pytest.raises(InvalidInput, match=r"could not be written.*No space left"):
        create_recovery_identity(tmp_path / "id.txt")
    assert list(tmp_path.iterdir()) == []


def test_every_identity_is_new_and_an_unused_one_can_be_removed(tmp_path: Path) -> None:
    first = create_recovery_identity(tmp_path / "a.txt")
    second = create_recovery_identity(tmp_path / "b.txt")
    assert first.recipient != second.recipient
    remove_unused_identity(first)
    remove_unused_identity(first)  # already gone: no error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"]


# ------------------------------------------------------------------ start a team
def test_start_a_team(tmp_path: Path, store_dir: Path) -> None:
    started = start_team(store_dir, PASSPHRASE, tmp_path / "id.txt", researcher_name="Prof Ross")
    with started.service as service:
        assert read_vault(store_dir).recovery_recipient == started.identity.recipient
        [me] = service.team.list_members()
        assert (me.name, me.role, me.is_me) == ("Prof Ross", "pi", True)
        assert started.roster_problem == ""
    assert stat.S_IMODE((tmp_path / "id.txt").stat().st_mode) == 0o600
    text = (tmp_path / "id.txt").read_text()
    with StoreService.open(store_dir, recovery_identity=text) as reopened:
        assert not reopened.is_locked


def test_starting_a_team_refused_leaves_nothing(tmp_path: Path, store_dir: Path) -> None:
    identity = tmp_path / "id.txt"
    with pytest.raises(InvalidInput, match="inside the store folder"):
        start_team(store_dir, PASSPHRASE, store_dir / "id.txt")
    assert not store_dir.exists()
    with pytest.raises(InvalidInput, match="passphrase is empty"):
        start_team(store_dir, " ", identity)
    assert not identity.exists() and not store_dir.exists()
    StoreService.create(store_dir, PASSPHRASE).close()
    before = sorted(p.name for p in store_dir.iterdir())
    with pytest.raises(RelationsError):
        start_team(store_dir, PASSPHRASE, identity)  # a store is already there
    assert not identity.exists()
    assert sorted(p.name for p in store_dir.iterdir()) == before


def test_a_drive_that_cannot_keep_the_file_private_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A FAT USB stick mounted with umask 022 shows every file as 0644, whatever was asked.
    real_stat = Path.stat

    def fat_stat(self: Path, **kwargs: object) -> object:
        result = real_stat(self, **kwargs)  # type: ignore[arg-type]
        if self.name == "id.txt":
            fields = list(result)
            fields[0] = stat.S_IFREG | 0o644
            return os.stat_result(fields)
        return result

    monkeypatch.setattr(Path, "stat", fat_stat)
    assert create_recovery_identity(tmp_path / "id.txt").owner_only is False
    assert create_recovery_identity(tmp_path / "other.txt").owner_only is True
