"""Sync to a real OpenSSH server (``sshd`` on 127.0.0.1, started and stopped here).

First contact pins the host key, an interrupted transfer resumes, a changed host key is
refused with both fingerprints, a server that is down means a retry later, and a wrong
key or password is a clear authentication failure (docs/sync.md).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.services import StoreService
from relations_desktop.core.sync import HostKeyChanged, SyncProgress, TargetRecord
from relations_desktop.core.sync_folder import CHUNK, TargetUnavailable
from tests.core.test_sync import NOW, CancelAfter, audit_actions, outbox_bundle, sealed_bundle
from tests.sshd import Sshd, free_port, keygen, running_sshd


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    with running_sshd(tmp_path_factory.mktemp("sshd")) as started:
        yield started


@pytest.fixture
def inbox(server: Sshd) -> Iterator[Path]:
    yield server.inbox
    shutil.rmtree(server.inbox)
    server.inbox.mkdir()


@pytest.fixture
def target(service: StoreService, server: Sshd, inbox: Path) -> TargetRecord:
    service.sync.timeout = 5
    return service.sync.add_target("sftp", server.location, key_file=server.client_key)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_first_sync_pins_the_host_key_and_delivers(
    service: StoreService, server: Sshd, inbox: Path, target: TargetRecord
) -> None:
    assert target.host_key == ""
    bundle, there = sealed_bundle(service), outbox_bundle(service, 1000)
    (inbox / there.name).write_bytes(there.data)  # already there, identical
    report = service.sync.sync(now=NOW)
    (pinned,) = report.pinned
    assert pinned.fingerprint == server.host_fingerprint and pinned.previous_fingerprint == ""
    outcomes = {r.bundle_id: r.outcome for r in report.results}
    assert outcomes == {bundle.id: "sent", there.id: "already-there"}
    assert names(inbox) == sorted([bundle.name, there.name])
    assert (inbox / bundle.name).read_bytes() == bundle.data
    assert service.bundles.verify(inbox / bundle.name).bundle_id == bundle.id
    listed = service.sync.get_target(target.id)
    assert listed.host_key_fingerprint == server.host_fingerprint
    assert (listed.sent, listed.pending) == (2, 0)
    assert {"host_key_pinned", "bundle_sent"} <= set(audit_actions(service))
    # The same key next time: no new pin.
    outbox_bundle(service, 10)
    assert service.sync.sync(now=NOW).pinned == ()


def test_pinning_before_the_first_sync(
    service: StoreService, server: Sshd, target: TargetRecord
) -> None:
    first = service.sync.pin_host_key(target.id)
    assert (first.pinned, first.changed, first.fingerprint) == (
        True,
        False,
        server.host_fingerprint,
    )
    again = service.sync.pin_host_key(target.id, expected=server.host_fingerprint)
    assert (again.pinned, again.changed) == (False, False)


def test_a_cancelled_transfer_leaves_only_the_partial_and_resumes(
    service: StoreService, inbox: Path, target: TargetRecord
) -> None:
    bundle = outbox_bundle(service, 6 * CHUNK + 77)
    cancel = CancelAfter(2 * CHUNK)
    report = service.sync.sync(cancel.progress, cancel, now=NOW)
    assert report.cancelled and [r.outcome for r in report.results] == ["cancelled"]
    assert names(inbox) == [bundle.partial]
    assert (inbox / bundle.partial).read_bytes() == bundle.data[: 2 * CHUNK]

    (result,) = service.sync.sync(now=NOW).results
    assert (result.outcome, result.resumed_from) == ("sent", 2 * CHUNK)
    assert result.bytes_written == len(bundle.data) - 2 * CHUNK
    assert names(inbox) == [bundle.name]
    assert (inbox / bundle.name).read_bytes() == bundle.data


def test_a_dropped_connection_is_retried_and_resumes(
    service: StoreService, server: Sshd, inbox: Path, target: TargetRecord
) -> None:
    bundle = outbox_bundle(service, 24 * CHUNK)
    killed: list[int] = []

    def drop_connection(step: SyncProgress) -> None:
        partial = inbox / bundle.partial
        if not killed and partial.exists() and partial.stat().st_size >= 2 * CHUNK:
            killed.append(server.kill_sessions())

    (result,) = service.sync.sync(drop_connection, now=NOW).results
    assert killed and killed[0] >= 1
    assert (result.outcome, result.state, result.attempts) == ("retry", "pending", 1)
    assert result.next_attempt_at is not None and result.next_attempt_at > NOW
    assert names(inbox) == [bundle.partial]
    kept = (inbox / bundle.partial).stat().st_size
    assert 2 * CHUNK <= kept < len(bundle.data)

    (done,) = service.sync.sync(now=result.next_attempt_at).results
    assert (done.outcome, done.resumed_from, done.bytes_written) == (
        "sent",
        kept,
        len(bundle.data) - kept,
    )
    assert (inbox / bundle.name).read_bytes() == bundle.data


def test_the_server_fingerprint_is_fetched_without_logging_in_or_pinning(
    service: StoreService, server: Sshd, inbox: Path
) -> None:
    service.sync.timeout = 5
    # A password the server would refuse: fetching the key never tries to log in.
    target = service.sync.add_target("sftp", server.location, password="not the password")
    offered = service.sync.server_fingerprint(target.id)
    assert (offered.target_id, offered.target) == (target.id, target.location)
    assert (offered.fingerprint, offered.key_type) == (server.host_fingerprint, "ssh-ed25519")
    assert offered.key.split()[0] == "ssh-ed25519"
    public = (server.folder / "host_key.pub").read_text().split()
    assert offered.key == f"{public[0]} {public[1]}"
    assert (offered.pinned_fingerprint, offered.matches) == ("", False)
    assert service.sync.get_target(target.id).host_key == ""  # nothing pinned
    assert "host_key_pinned" not in audit_actions(service)

    service.sync.pin_host_key(target.id)
    again = service.sync.server_fingerprint(target.id)
    assert (again.matches, again.pinned_fingerprint) == (True, server.host_fingerprint)


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa"])  # ecdsa: the pinned type is gone
def test_a_changed_host_key_is_refused_with_both_fingerprints(
    service: StoreService, tmp_path: Path, kind: str
) -> None:
    service.sync.timeout = 5
    with running_sshd(tmp_path / "sshd") as changing:
        target = service.sync.add_target("sftp", changing.location, key_file=changing.client_key)
        first = outbox_bundle(service, 1000)
        old = service.sync.sync(now=NOW).pinned[0].fingerprint
        changing.stop()
        changing.new_host_key(kind)
        changing.start()
        new = changing.host_fingerprint
        assert new != old
        second = outbox_bundle(service, 1000)
        report = service.sync.sync(now=NOW)
        (problem,) = report.problems
        assert service.sync.get_target(target.id).problem == "host-key-changed"
        assert (problem.bundle_id, problem.problem, problem.state) == (
            second.id,
            "host-key-changed",
            "failed",
        )
        assert old in problem.message and new in problem.message
        assert {"ed25519": "(ssh-ed25519)", "ecdsa": "(ecdsa-sha2-nistp256)"}[
            kind
        ] in problem.message
        assert f"target pin {target.id} --accept-new" in problem.message
        assert names(changing.inbox) == [first.name]  # nothing sent, nothing overwritten
        assert service.sync.get_target(target.id).host_key_fingerprint == old
        assert "host_key_changed" in audit_actions(service)

        offered = service.sync.server_fingerprint(target.id)  # shown, not pinned
        assert (offered.fingerprint, offered.pinned_fingerprint) == (new, old)
        assert not offered.matches and offered.key_type == offered.key.split()[0]
        assert service.sync.get_target(target.id).host_key_fingerprint == old
        with pytest.raises(HostKeyChanged) as changed:
            service.sync.pin_host_key(target.id)
        assert (changed.value.old_fingerprint, changed.value.new_fingerprint) == (old, new)
        assert changed.value.new_key.split()[0] in ("ssh-ed25519", "ecdsa-sha2-nistp256")
        with pytest.raises(InvalidInput, match="not SHA256:wrong"):
            service.sync.pin_host_key(target.id, accept_new=True, expected="SHA256:wrong")
        assert service.sync.get_target(target.id).host_key_fingerprint == old

        accepted = service.sync.pin_host_key(target.id, accept_new=True, expected=new)
        assert (accepted.changed, accepted.previous_fingerprint) == (True, old)
        outcomes = [r.outcome for r in service.sync.sync(now=NOW).results]
        assert sorted(outcomes) == ["already-sent", "sent"]
        assert names(changing.inbox) == sorted([first.name, second.name])


def test_a_server_that_is_down_means_a_retry_later(service: StoreService) -> None:
    service.sync.timeout = 5
    port = free_port()  # nothing listens there
    target = service.sync.add_target("sftp", f"ann@127.0.0.1:{port}/srv", password="pw")
    outbox_bundle(service, 100)
    report = service.sync.sync(now=NOW)
    (result,) = report.results
    assert (result.outcome, result.state, result.attempts) == ("retry", "pending", 1)
    assert "refused the connection" in result.message and not report.problems
    assert result.next_attempt_at is not None
    assert timedelta(seconds=54) <= result.next_attempt_at - NOW <= timedelta(seconds=66)
    assert service.sync.get_target(target.id).pending == 1
    with pytest.raises(TargetUnavailable, match="refused the connection"):
        service.sync.pin_host_key(target.id)
    with pytest.raises(TargetUnavailable, match="refused the connection"):
        service.sync.server_fingerprint(target.id)


def test_a_wrong_key_is_an_authentication_failure_without_retries(
    service: StoreService, server: Sshd, inbox: Path, tmp_path: Path
) -> None:
    service.sync.timeout = 5
    stranger = keygen(tmp_path / "stranger")
    target = service.sync.add_target("sftp", server.location, key_file=stranger)
    bundle = outbox_bundle(service, 100)
    (result,) = service.sync.sync(now=NOW).results
    assert (result.outcome, result.problem, result.state) == ("failed", "auth-failed", "failed")
    assert "refused the login" in result.message and "authorized_keys" in result.message
    later = service.sync.sync(now=NOW + timedelta(days=1)).results[0]
    assert (later.outcome, later.problem, later.attempts) == ("failed", "auth-failed", 1)
    assert later.earlier
    (status,) = service.sync.deliveries()
    assert (status.state, status.problem) == ("failed", "auth-failed")
    assert service.sync.get_target(target.id).problem == "auth-failed"
    assert names(inbox) == []

    service.sync.set_credentials(target.id, key_file=server.client_key)
    (fixed,) = service.sync.sync(now=NOW).results
    assert fixed.outcome == "sent" and names(inbox) == [bundle.name]


def test_a_wrong_password_is_an_authentication_failure(
    service: StoreService, server: Sshd, inbox: Path
) -> None:
    service.sync.timeout = 5
    service.sync.add_target("sftp", server.location, password="not the password")
    outbox_bundle(service, 100)
    (result,) = service.sync.sync(now=NOW).results
    assert (result.outcome, result.problem) == ("failed", "auth-failed")
    assert "with the stored password" in result.message


def test_a_missing_folder_on_the_server_is_retried(
    service: StoreService, server: Sshd, inbox: Path
) -> None:
    service.sync.timeout = 5
    location = server.location.replace("/inbox", "/no-such-folder")
    service.sync.add_target("sftp", location, key_file=server.client_key)
    outbox_bundle(service, 100)
    (result,) = service.sync.sync(now=NOW).results
    assert (result.outcome, result.state) == ("retry", "pending")
    assert "does not exist" in result.message
