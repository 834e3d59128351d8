"""The outbox pushed to folder targets, resume, backoff, and refused targets (docs/sync.md).

The SFTP transfer itself runs against a real sshd in tests/e2e/test_sftp_sync.py.
"""

from __future__ import annotations

import hashlib
import os
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.fsutil import make_private_dir
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import AuditEvent, Delivery, OutboxBundle
from relations_desktop.core.sync import SyncProgress, backoff
from relations_desktop.core.sync_folder import (
    CHUNK,
    FolderDestination,
    Source,
    TargetUnavailable,
    Writer,
    deliver,
)
from relations_desktop.core.sync_records import PROBLEMS, worst_problem
from relations_desktop.core.sync_sftp import fingerprint, parse_location
from tests.sshd import keygen, ssh_fingerprint

NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Bundle:
    id: str
    path: Path
    data: bytes

    @property
    def name(self) -> str:
        return f"{self.id}.age"

    @property
    def partial(self) -> str:
        return f".{self.id}.age.partial"


def outbox_bundle(service: StoreService, size: int = 3 * CHUNK + 1234) -> Bundle:
    """A file in the outbox with its ``OutboxBundle`` row, as ``bundle seal`` leaves it."""
    folder = service.store_dir / "outbox"
    make_private_dir(folder)
    bundle_id = str(uuid.uuid4())
    data = os.urandom(size)
    path = folder / f"{bundle_id}.age"
    path.write_bytes(data)
    with service._session() as session:
        session.add(
            OutboxBundle(
                id=bundle_id,
                path=str(path),
                in_outbox=True,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    return Bundle(bundle_id, path, data)


def sealed_bundle(service: StoreService) -> Bundle:
    """A real bundle sealed into the outbox (the roster holds this researcher)."""
    if not service.team.list_members():
        service.team.add_me(role="pi")
    sealed = service.bundles.seal(None)
    assert sealed.in_outbox
    path = Path(sealed.path)
    return Bundle(sealed.bundle_id, path, path.read_bytes())


def audit_actions(service: StoreService) -> list[str]:
    with service._session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.at)))


def delivery(service: StoreService, bundle_id: str) -> Delivery:
    with service._session() as session:
        row = session.scalar(select(Delivery).where(Delivery.bundle_id == bundle_id))
        assert row is not None
        return row


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "team-share"
    folder.mkdir()
    return folder


class CancelAfter:
    """A cancel callback that fires once ``limit`` bytes have gone."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.done = 0

    def progress(self, step: SyncProgress) -> None:
        self.done = step.done

    def __call__(self) -> bool:
        return self.done >= self.limit


class Killed(BaseException):
    """Stands for the app being killed mid-copy."""


# ------------------------------------------------------------------ end to end
def test_folder_target_gets_every_bundle_under_its_id(service: StoreService, dest: Path) -> None:
    target = service.sync.add_target("folder", str(dest))
    assert target.kind == "folder" and target.location == str(dest)
    bundles = [sealed_bundle(service), outbox_bundle(service, 10)]
    assert service.sync.list_targets()[0].pending == 2
    report = service.sync.sync(now=NOW)
    assert [r.outcome for r in report.results] == ["sent", "sent"]
    assert not report.problems and not report.cancelled
    assert sorted(p.name for p in dest.iterdir()) == sorted(b.name for b in bundles)
    for bundle in bundles:
        assert (dest / bundle.name).read_bytes() == bundle.data
        row = delivery(service, bundle.id)
        assert (row.state, row.attempts, row.delivered_at) == ("sent", 1, NOW)
    listed = service.sync.list_targets()[0]
    assert (listed.sent, listed.pending, listed.failed, listed.last_error) == (2, 0, 0, "")
    assert listed.last_delivered_at == NOW
    assert audit_actions(service).count("bundle_sent") == 2
    assert "target_added" in audit_actions(service)
    assert service.bundles.verify(dest / bundles[0].name).bundle_id == bundles[0].id


def test_sent_bundles_are_not_sent_again(service: StoreService, dest: Path) -> None:
    service.sync.add_target("folder", str(dest))
    bundle = outbox_bundle(service)
    service.sync.sync(now=NOW)
    (dest / bundle.name).unlink()
    again = service.sync.sync(now=NOW)
    assert [r.outcome for r in again.results] == ["already-sent"]
    assert not (dest / bundle.name).exists()
    assert audit_actions(service).count("bundle_sent") == 1


def test_the_final_name_appears_only_when_the_copy_is_complete(
    service: StoreService, dest: Path
) -> None:
    service.sync.add_target("folder", str(dest))
    bundle = outbox_bundle(service)
    seen: list[list[str]] = []

    def watch(step: SyncProgress) -> None:
        assert step.total == len(bundle.data)
        seen.append(sorted(p.name for p in dest.iterdir()))

    service.sync.sync(watch, now=NOW)
    assert len(seen) == 4  # one look per chunk written
    assert all(names == [bundle.partial] for names in seen)
    assert sorted(p.name for p in dest.iterdir()) == [bundle.name]


def test_a_cancel_leaves_the_partial_and_the_next_sync_resumes(
    service: StoreService, dest: Path
) -> None:
    service.sync.add_target("folder", str(dest))
    bundle = outbox_bundle(service)
    cancel = CancelAfter(2 * CHUNK)
    report = service.sync.sync(cancel.progress, cancel, now=NOW)
    assert report.cancelled
    assert [r.outcome for r in report.results] == ["cancelled"]
    assert [p.name for p in dest.iterdir()] == [bundle.partial]
    assert (dest / bundle.partial).read_bytes() == bundle.data[: 2 * CHUNK]
    row = delivery(service, bundle.id)
    assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 0, None)
    assert (row.problem, report.results[0].problem) == ("cancelled", "cancelled")

    again = service.sync.sync(now=NOW)
    (result,) = again.results
    assert result.outcome == "sent"
    assert result.resumed_from == 2 * CHUNK
    assert result.bytes_written == len(bundle.data) - 2 * CHUNK
    assert [p.name for p in dest.iterdir()] == [bundle.name]
    assert (dest / bundle.name).read_bytes() == bundle.data


def test_a_kill_mid_copy_leaves_the_partial_and_the_next_sync_resumes(
    service: StoreService, dest: Path
) -> None:
    service.sync.add_target("folder", str(dest))
    bundle = outbox_bundle(service)

    def die(step: SyncProgress) -> None:
        if step.done >= 3 * CHUNK:
            raise Killed

    with pytest.raises(Killed):
        service.sync.sync(die, now=NOW)
    assert [p.name for p in dest.iterdir()] == [bundle.partial]
    assert (dest / bundle.partial).stat().st_size == 3 * CHUNK

    (result,) = service.sync.sync(now=NOW).results
    assert (result.outcome, result.resumed_from, result.bytes_written) == ("sent", 3 * CHUNK, 1234)
    assert (dest / bundle.name).read_bytes() == bundle.data


@pytest.mark.parametrize("damage", ["flip", "too-long"])
def test_a_partial_that_does_not_match_is_started_over(
    service: StoreService, dest: Path, damage: str
) -> None:
    service.sync.add_target("folder", str(dest))
    bundle = outbox_bundle(service)
    cancel = CancelAfter(2 * CHUNK)
    service.sync.sync(cancel.progress, cancel, now=NOW)
    partial = dest / bundle.partial
    if damage == "flip":
        data = bytearray(partial.read_bytes())
        data[100] ^= 0x01
        partial.write_bytes(bytes(data))
    else:
        partial.write_bytes(bundle.data + b"extra")
    (result,) = service.sync.sync(now=NOW).results
    assert (result.outcome, result.resumed_from) == ("sent", 0)
    assert result.bytes_written == len(bundle.data)
    assert (dest / bundle.name).read_bytes() == bundle.data
    assert not partial.exists()


def test_an_identical_file_already_there_counts_as_sent(service: StoreService, dest: Path) -> None:
    service.sync.add_target("folder", str(dest))
    bundle = outbox_bundle(service)
    (dest / bundle.name).write_bytes(bundle.data)
    (result,) = service.sync.sync(now=NOW).results
    assert (result.outcome, result.state, result.bytes_written) == ("already-there", "sent", 0)


def test_a_different_file_under_the_name_is_left_alone(service: StoreService, dest: Path) -> None:
    service.sync.add_target("folder", str(dest))
    bundle = outbox_bundle(service)
    (dest / bundle.name).write_bytes(b"someone else's file")
    report = service.sync.sync(now=NOW)
    (result,) = report.results
    assert (result.outcome, result.problem, result.state) == ("failed", "refused", "failed")
    assert "different file" in result.message and report.problems == (result,)
    assert (dest / bundle.name).read_bytes() == b"someone else's file"
    # Not retried on its own (no retry storm); reported again; retried when asked.
    (later,) = service.sync.sync(now=NOW + timedelta(days=1)).results
    assert (later.outcome, later.problem, later.attempts) == ("failed", "refused", 1)
    assert later.earlier and not result.earlier
    (dest / bundle.name).unlink()
    (forced,) = service.sync.sync(now=NOW, force=True).results
    assert forced.outcome == "sent"


def test_a_bundle_changed_in_the_outbox_is_not_delivered(service: StoreService, dest: Path) -> None:
    service.sync.add_target("folder", str(dest))
    changed, missing = outbox_bundle(service), outbox_bundle(service)
    changed.path.write_bytes(changed.data[:-1] + bytes([changed.data[-1] ^ 1]))
    missing.path.unlink()
    results = {r.bundle_id: r for r in service.sync.sync(now=NOW).results}
    assert results[changed.id].outcome == results[missing.id].outcome == "failed"
    assert "changed or is damaged" in results[changed.id].message
    assert "cannot be read" in results[missing.id].message
    assert list(dest.iterdir()) == []


# ------------------------------------------------------------------ backoff
def test_backoff_doubles_from_a_minute_to_an_hour_with_jitter() -> None:
    rng = random.Random(7)
    for attempts, base in [(1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600), (40, 3600)]:
        for _ in range(20):
            seconds = backoff(attempts, rng).total_seconds()
            assert base * 0.9 <= seconds <= base * 1.1


def test_an_unreachable_folder_waits_and_retries_with_backoff(
    service: StoreService, dest: Path
) -> None:
    target = service.sync.add_target("folder", str(dest))
    bundle = outbox_bundle(service)
    dest.rmdir()  # the USB stick is not plugged in
    now, waits = NOW, []
    for attempt in range(1, 9):
        (result,) = service.sync.sync(now=now).results
        assert (result.outcome, result.state, result.attempts) == ("retry", "pending", attempt)
        assert "is not there" in result.message
        assert result.next_attempt_at is not None
        waits.append((result.next_attempt_at - now).total_seconds())
        # Before that time nothing is tried.
        (early,) = service.sync.sync(now=result.next_attempt_at - timedelta(seconds=1)).results
        assert (early.outcome, early.attempts) == ("waiting", attempt)
        now = result.next_attempt_at
    bases = [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert all(b * 0.9 <= w <= b * 1.1 for w, b in zip(waits, bases, strict=True))
    listed = service.sync.get_target(target.id)
    assert listed.pending == 1 and "is not there" in listed.last_error
    assert listed.next_attempt_at == now
    dest.mkdir()
    (done,) = service.sync.sync(now=now).results
    assert done.outcome == "sent" and (dest / bundle.name).read_bytes() == bundle.data
    assert service.sync.get_target(target.id).last_error == ""


def test_every_delivery_says_what_kind_of_problem_it_has(
    service: StoreService, dest: Path, tmp_path: Path
) -> None:
    """``problem`` on the row, the status, the result and (worst first) the target."""
    share = service.sync.add_target("folder", str(dest))
    first = outbox_bundle(service)
    assert [s.problem for s in service.sync.deliveries()] == [""]  # not tried yet
    (dest / first.name).write_bytes(b"someone else's file")
    (refused,) = service.sync.sync(now=NOW).results
    assert (refused.problem, delivery(service, first.id).problem) == ("refused", "refused")
    second = outbox_bundle(service, 10)
    stick = tmp_path / "stick"
    stick.mkdir()
    usb = service.sync.add_target("folder", str(stick))
    stick.rmdir()  # unplugged
    report = service.sync.sync(now=NOW)
    problems = {(r.target_id, r.bundle_id): (r.outcome, r.problem) for r in report.results}
    assert problems == {
        (share.id, first.id): ("failed", "refused"),  # earlier, not tried again
        (share.id, second.id): ("sent", ""),
        (usb.id, first.id): ("retry", "unreachable"),
        (usb.id, second.id): ("retry", "unreachable"),
    }
    statuses = {(s.target_id, s.bundle_id): s.problem for s in service.sync.deliveries()}
    assert statuses == {k: v[1] for k, v in problems.items()}
    waiting = {r.problem for r in service.sync.sync(now=NOW).results if r.target_id == usb.id}
    assert waiting == {"unreachable"}
    assert {t.id: t.problem for t in service.sync.list_targets()} == {
        share.id: "refused",  # the worst of its deliveries that have not arrived
        usb.id: "unreachable",
    }
    (dest / first.name).unlink()
    stick.mkdir()
    service.sync.sync(now=NOW, force=True)
    assert {t.problem for t in service.sync.list_targets()} == {""}
    assert {s.problem for s in service.sync.deliveries()} == {""}


def test_worst_problem_orders_the_kinds() -> None:
    assert PROBLEMS == ("host-key-changed", "auth-failed", "refused", "unreachable", "cancelled")
    assert worst_problem(["cancelled", "unreachable", ""]) == "unreachable"
    assert worst_problem(["refused", "auth-failed", "host-key-changed"]) == "host-key-changed"
    assert worst_problem([]) == worst_problem([""]) == ""


def test_force_ignores_the_retry_time(service: StoreService, dest: Path) -> None:
    service.sync.add_target("folder", str(dest))
    outbox_bundle(service)
    dest.rmdir()
    service.sync.sync(now=NOW)
    dest.mkdir()
    (waiting,) = service.sync.sync(now=NOW).results
    assert waiting.outcome == "waiting"
    (forced,) = service.sync.sync(now=NOW, force=True).results
    assert forced.outcome == "sent"


# ------------------------------------------------------------------ targets
def test_targets_are_listed_removed_and_audited(service: StoreService, dest: Path) -> None:
    target = service.sync.add_target("folder", str(dest))
    outbox_bundle(service)
    assert [d.state for d in service.sync.deliveries()] == ["pending"]
    service.sync.set_enabled(target.id, False)
    assert service.sync.sync(now=NOW).results == ()
    assert service.sync.get_target(target.id).enabled is False
    service.sync.remove_target(target.id)
    assert service.sync.list_targets() == []
    with service._session() as session:
        assert session.scalars(select(Delivery)).all() == []
    assert audit_actions(service)[-2:] == ["target_added", "target_removed"]
    with pytest.raises(NotFound):
        service.sync.remove_target(target.id)


def _absent(tmp_path: Path) -> Path:
    return tmp_path / "absent"


def _a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("x")
    return path


def _blank(tmp_path: Path) -> Path:
    return Path(" ")


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() == 0:
        return Path("/sys")  # refuses new files even to root
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    return folder


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_absent, "does not exist"),
        (_a_file, "is not a folder"),
        (_unwritable, "Cannot write to the folder"),
        (_blank, "Give the folder"),
    ],
)
def test_bad_folders_are_refused_and_nothing_is_added(
    service: StoreService, tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    before = audit_actions(service)
    with pytest.raises(InvalidInput, match=message):
        service.sync.add_target("folder", str(make(tmp_path)))
    assert service.sync.list_targets() == []
    assert audit_actions(service) == before


def test_the_store_folder_and_duplicates_are_refused(service: StoreService, dest: Path) -> None:
    make_private_dir(service.store_dir / "outbox")
    with pytest.raises(InvalidInput, match="inside the store"):
        service.sync.add_target("folder", str(service.store_dir / "outbox"))
    service.sync.add_target("folder", str(dest))
    with pytest.raises(InvalidInput, match="already a target"):
        service.sync.add_target("folder", str(dest / "."))
    with pytest.raises(InvalidInput, match="Unknown target kind"):
        service.sync.add_target("ftp", "x@y/z")
    assert len(service.sync.list_targets()) == 1


@pytest.mark.parametrize(
    ("text", "user", "host", "port", "path", "canonical"),
    [
        ("ann@files.example.org/srv/relations", "ann", "files.example.org", 22,
         "/srv/relations", "ann@files.example.org/srv/relations"),
        ("ann@host:2222/~/inbox/", "ann", "host", 2222, "inbox", "ann@host:2222/~/inbox"),
        ("a.b-c@10.0.0.5:22/~", "a.b-c", "10.0.0.5", 22, ".", "a.b-c@10.0.0.5/~"),
        ("root@[::1]:2200/srv", "root", "::1", 2200, "/srv", "root@[::1]:2200/srv"),
    ],
)  # fmt: skip
def test_sftp_locations_are_parsed(
    text: str, user: str, host: str, port: int, path: str, canonical: str
) -> None:
    loc = parse_location(text)
    assert (loc.user, loc.host, loc.port, loc.path) == (user, host, port, path)
    assert str(loc) == canonical
    assert parse_location(canonical) == loc


BAD_LOCATIONS = [
    ("", "USER@HOST"),
    ("files.example.org/srv", "no user name"),
    ("sftp://ann@host/srv", "without a scheme"),
    ("ann@host:/srv/x", "scp form"),
    ("ann@host", "names no folder"),
    ("ann@host/", "names no folder"),
    ("ann@host:99999/srv", "not between 1 and 65535"),
    ("ann@host:0/srv", "not between 1 and 65535"),
    ("ann@/srv", "no server name"),
    ("ann@bad_host!/srv", "not a valid server name"),
    ("ann@-host/srv", "not a valid server name"),
    ("@host/srv", "not a valid user name"),
    ("a n@host/srv", "spaces"),
    ("ann@[::1/srv", "IPv6"),
    ("ann@[zz]/srv", "not an IPv6 address"),
    ("ann@host/srv//x", "empty part"),
    ("ann@host/srv/../etc", "'..'"),
    ("ann@host/srv/~/x", "'~'"),
]


@pytest.mark.parametrize(("text", "message"), BAD_LOCATIONS)
def test_malformed_sftp_locations_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_location(text)


def test_a_malformed_location_adds_no_target(service: StoreService) -> None:
    before = audit_actions(service)
    for text, message in BAD_LOCATIONS:
        with pytest.raises(InvalidInput, match=message):
            service.sync.add_target("sftp", text, password="secret")
    assert service.sync.list_targets() == []
    assert audit_actions(service) == before


def test_sftp_login_keys_are_checked_and_kept(service: StoreService, tmp_path: Path) -> None:
    key = keygen(tmp_path / "sync_key")
    target = service.sync.add_target("sftp", "ann@host/srv/in", key_file=key)
    assert target.auth == "key" and target.host_key == ""
    public = (tmp_path / "sync_key.pub").read_text().split()
    assert target.client_key == " ".join(public[:2])
    assert fingerprint(target.client_key) == ssh_fingerprint(tmp_path / "sync_key.pub")
    with service._session() as session:
        details = [e.detail for e in session.scalars(select(AuditEvent))]
    assert key.read_text().strip() not in str(details)

    locked = keygen(tmp_path / "locked", passphrase="a passphrase")
    rsa = keygen(tmp_path / "rsa", kind="rsa")
    garbage = tmp_path / "garbage"
    garbage.write_text("not a key\n")
    cases = [
        ({"key_file": locked}, "protected by a passphrase"),
        ({"key_file": tmp_path / "sync_key.pub"}, "public key"),
        ({"key_file": garbage}, "not an SSH private key"),
        ({"key_file": tmp_path / "absent"}, "Cannot read the key file"),
        ({"key_file": key, "password": "pw"}, "not both"),
        ({"password": ""}, "password is empty"),
        ({}, "needs a login"),
    ]
    for options, message in cases:
        with pytest.raises(InvalidInput, match=message):
            service.sync.add_target("sftp", "bob@host/srv/in", **options)  # type: ignore[arg-type]
    assert service.sync.add_target("sftp", "bob@host/srv/in", key_file=rsa).auth == "key"
    assert service.sync.add_target("sftp", "cy@host/~", password="pw").auth == "password"
    assert len(service.sync.list_targets()) == 3


def test_folders_have_no_host_key_or_login(service: StoreService, dest: Path) -> None:
    target = service.sync.add_target("folder", str(dest))
    with pytest.raises(InvalidInput, match="only SFTP servers"):
        service.sync.pin_host_key(target.id)
    with pytest.raises(InvalidInput, match="only SFTP servers"):
        service.sync.server_fingerprint(target.id)
    with pytest.raises(InvalidInput, match="no login"):
        service.sync.set_credentials(target.id, password="pw")
    with pytest.raises(InvalidInput, match="takes no key"):
        service.sync.add_target("folder", str(dest), password="pw")


class FlakyShare(FolderDestination):
    """A share that damages one byte on its way to the disk."""

    def open_partial(self, name: str, offset: int) -> Writer:
        writer = super().open_partial(name, offset)
        real_write = writer.write

        def write(data: bytes) -> None:
            real_write(bytes([data[0] ^ 0xFF]) + data[1:] if offset == 0 else data)

        writer.write = write  # type: ignore[method-assign]
        return writer


def test_a_copy_that_does_not_read_back_right_is_never_named_complete(
    service: StoreService, dest: Path
) -> None:
    bundle = outbox_bundle(service)
    source = Source(
        bundle.id, bundle.path, len(bundle.data), hashlib.sha256(bundle.data).hexdigest()
    )
    with pytest.raises(TargetUnavailable, match="did not match the bundle when read back"):
        deliver(FlakyShare(dest), source)
    assert list(dest.iterdir()) == []
    assert deliver(FolderDestination(dest), source).bytes_written == len(bundle.data)
    assert (dest / bundle.name).read_bytes() == bundle.data
