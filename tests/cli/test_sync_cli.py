"""``target ...`` and ``sync`` on the command line (docs/sync.md)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from relations_desktop import cli
from relations_desktop.cli import bundle_commands, sync_commands
from relations_desktop.cli.common import CommandFactory
from relations_desktop.cli.main import HANDLERS
from relations_desktop.core.services import StoreService
from tests.cli.test_cli import Cli, one_line_error
from tests.conftest import PASSPHRASE
from tests.core.test_sync import Bundle, outbox_bundle
from tests.sshd import keygen, running_sshd


@pytest.fixture(autouse=True)
def sync_commands_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plug the commands in while cli/main.py does not register them yet."""
    if "sync" in HANDLERS:
        return
    for name, handler in sync_commands.HANDLERS.items():
        monkeypatch.setitem(HANDLERS, name, handler)
    add_bundle_commands = bundle_commands.add_commands

    def add_both(command: CommandFactory) -> None:
        add_bundle_commands(command)
        sync_commands.add_commands(command)

    monkeypatch.setattr(bundle_commands, "add_commands", add_both)


@pytest.fixture
def run(
    store_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cli]:
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    runner = Cli(store_dir, capsys)
    runner.ok("init", "--researcher-name", "Ann")
    yield runner


def sealed(store_dir: Path, size: int = 5000) -> Bundle:
    with StoreService.open(store_dir, PASSPHRASE) as service:
        return outbox_bundle(service, size)


def text_starts(prefix: str, text: str) -> bool:
    return text.startswith(prefix)


def state(store_dir: Path) -> tuple[object, ...]:
    """Targets, deliveries and the audit log (apart from unlocking, which every command
    records)."""
    with StoreService.open(store_dir, PASSPHRASE) as service:
        actions = [e.action for e in service.audit_events(1000) if e.action != "store_unlocked"]
        return service.sync.list_targets(), service.sync.deliveries(), actions


def refused(run: Cli, code: int, text: str, *args: str) -> None:
    """The command fails in one line that says ``text`` (the tests check with ``state``
    that nothing changed)."""
    got, _, err = run(*args)
    assert got == code, err
    assert text in one_line_error(err)


def test_folder_targets_are_added_listed_and_removed(run: Cli, tmp_path: Path) -> None:
    added = run.json("target", "add", "folder", str(tmp_path))
    assert isinstance(added, dict) and added["location"] == str(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    assert text_starts("Added folder target ", run.ok("target", "add", "folder", str(other)))
    listed = run.json("target", "list")
    assert isinstance(listed, list) and [t["kind"] for t in listed] == ["folder", "folder"]
    text = run.ok("target", "list")
    assert "LOCATION" in text and str(tmp_path) in text
    assert "Removed" in run.ok("target", "remove", added["id"])
    assert len(run.json("target", "list")) == 1  # type: ignore[arg-type]


def test_bad_targets_are_refused_in_one_line(run: Cli, tmp_path: Path) -> None:
    before = state(run.store)
    refused(run, 2, "does not exist", "target", "add", "folder", str(tmp_path / "absent"))
    refused(run, 2, "takes no --key", "target", "add", "folder", str(tmp_path), "--key", "k")
    refused(run, 2, "scp form", "target", "add", "sftp", "ann@host:/srv", "--key", "k")
    refused(run, 2, "no user name", "target", "add", "sftp", "host/srv", "--key", "k")
    refused(run, 2, "needs a login", "target", "add", "sftp", "ann@host/srv")
    refused(run, 2, "Cannot read the key file", "target", "add", "sftp", "a@h/s", "--key", "k")
    refused(run, 2, "invalid choice", "target", "add", "ftp", "x")
    refused(run, 3, "No sync target", "target", "remove", "nope")
    refused(run, 3, "No sync target", "target", "pin", "nope")
    assert state(run.store) == before


def test_sftp_targets_take_a_key_or_a_password_from_stdin(
    run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = keygen(tmp_path / "sync_key")
    text = run.ok("target", "add", "sftp", "ann@files.example.org/srv/in", "--key", str(key))
    public = " ".join((tmp_path / "sync_key.pub").read_text().split()[:2])
    assert f"authorized_keys must hold: {public}" in text
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret pass\n"))
    added = run.json("target", "add", "sftp", "bob@host:2222/~/in", "--password-stdin")
    assert isinstance(added, dict) and added["auth"] == "password"
    assert added["location"] == "bob@host:2222/~/in" and "s3cret" not in str(added)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    before = state(run.store)
    refused(run, 2, "No password on stdin", "target", "add", "sftp", "c@h/s", "--password-stdin")
    both = ("--key", "k", "--password-stdin")
    refused(run, 2, "not allowed with", "target", "add", "sftp", "c@h/s", *both)
    assert state(run.store) == before
    folder = run.json("target", "add", "folder", str(tmp_path))
    assert isinstance(folder, dict)
    refused(run, 2, "only SFTP servers", "target", "pin", folder["id"])


def test_sync_prints_what_happened_to_each_bundle(run: Cli, tmp_path: Path) -> None:
    assert "Nothing to send" in run.ok("sync")
    dest = tmp_path / "share"
    dest.mkdir()
    run.ok("target", "add", "folder", str(dest))
    run.ok("team", "add", "--me", "--role", "pi")
    seal = run.json("bundle", "seal")
    assert isinstance(seal, dict) and seal["in_outbox"]
    text = run.ok("sync")
    delivered = dest / f"{seal['bundle_id']}.age"
    assert f"sent          {seal['bundle_id']} → {dest}: Delivered ({seal['size']} bytes)." in text
    assert delivered.read_bytes() == Path(seal["path"]).read_bytes()
    assert "is intact and signed by Ann" in run.ok("bundle", "verify", str(delivered))
    assert "1 delivered earlier." in run.ok("sync")
    report = run.json("sync")
    assert isinstance(report, dict)
    assert [r["outcome"] for r in report["results"]] == ["already-sent"]
    listed = run.json("target", "list")
    assert isinstance(listed, list) and listed[0]["sent"] == 1


def test_sync_without_a_connection_exits_0_and_says_when_it_retries(
    run: Cli, tmp_path: Path
) -> None:
    dest = tmp_path / "usb-stick"
    dest.mkdir()
    run.ok("target", "add", "folder", str(dest))
    dest.rmdir()
    sealed(run.store)
    text = run.ok("sync")
    assert text.startswith("retry") and "is not there" in text and "Next try at" in text
    assert "waiting" in run.ok("sync")
    dest.mkdir()
    assert "sent" in run.ok("sync", "--now")


def test_sync_that_needs_the_user_exits_non_zero(run: Cli, tmp_path: Path) -> None:
    dest = tmp_path / "share"
    dest.mkdir()
    run.ok("target", "add", "folder", str(dest))
    bundle = sealed(run.store)
    (dest / bundle.name).write_bytes(b"another file")
    code, out, err = run("sync")
    assert code == 18
    assert "different file" in one_line_error(err) and out.startswith("failed")
    code, _, err = run("sync")
    assert code == 18 and "different file" in one_line_error(err)


def test_sync_to_sftp_exit_codes_for_login_and_host_key(
    run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_sshd(tmp_path / "sshd") as server:
        stranger = keygen(tmp_path / "stranger")
        bad = run.json("target", "add", "sftp", server.location, "--key", str(stranger))
        assert isinstance(bad, dict)
        bundle = sealed(run.store)
        code, _, err = run("sync")
        assert code == 16 and "refused the login" in one_line_error(err)
        # Not tried again, reported again: with its own code, not the generic 18.
        code, out, err = run("sync", "--json")
        assert code == 16 and "refused the login" in one_line_error(err)
        assert '"problem": "auth-failed"' in out and '"earlier": true' in out
        run.ok("target", "credentials", bad["id"], "--key", str(server.client_key))
        text = run.ok("sync")
        assert f"Pinned the host key of {server.location} on first contact" in text
        assert server.host_fingerprint in text
        assert (server.inbox / bundle.name).read_bytes() == bundle.data

        old = server.host_fingerprint
        server.stop()
        server.new_host_key()
        server.start()
        sealed(run.store)
        code, _, err = run("sync")
        line = one_line_error(err)
        assert code == 15 and old in line and server.host_fingerprint in line
        code, _, err = run("sync")  # the earlier failure
        assert code == 15 and "different host key" in one_line_error(err)
        refused(run, 15, "different host key", "target", "pin", bad["id"])
        text = run.ok("target", "pin", bad["id"], "--accept-new")
        assert f"was {old}, now {server.host_fingerprint}" in text
        assert run.ok("sync").startswith("sent")
