"""Pushing sealed bundles from the outbox to sync targets (issue 7, part 3; docs/sync.md).

Every bundle in the outbox goes to every enabled target; each (bundle, target) pair is a
``Delivery`` row: ``pending`` until it arrives (``sent``), or ``failed`` when only the
user can help (a changed host key, a refused login, a damaged bundle). A target that
cannot be reached now (no network, server down, drive unplugged) is no error: the
delivery stays pending and is tried again after a backoff (1 min doubling to 1 h,
±10 % jitter). How a copy is kept from ever looking complete while half-sent, and how it
resumes, is in :mod:`.sync_folder`; SFTP connections and host keys in :mod:`.sync_sftp`;
the records returned, and each delivery's ``problem`` kind, in :mod:`.sync_records`.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.store.models import Delivery, OutboxBundle, SyncTarget, utcnow
from relations_desktop.core.sync_folder import (
    Delivered,
    DeliveryRefused,
    Destination,
    FolderDestination,
    Source,
    TargetUnavailable,
    TransferCancelled,
    check_folder,
    deliver,
)
from relations_desktop.core.sync_records import (
    AUTH_FAILED,
    FAILED,
    HOST_KEY_CHANGED,
    PENDING,
    PROBLEMS,
    REFUSED,
    SENT,
    UNREACHABLE,
    DeliveryResult,
    DeliveryStatus,
    HostKeyInfo,
    ServerHostKey,
    SyncProgress,
    SyncReport,
    TargetRecord,
    plan,
    progress_of,
    result_of,
    retry_failed,
    status_of,
    target_record,
    target_row,
)
from relations_desktop.core.sync_records import CANCELLED as CANCELLED_KIND
from relations_desktop.core.sync_sftp import (
    AuthenticationFailed,
    HostKeyChanged,
    fingerprint,
    host_key_changed,
    open_sftp,
    parse_location,
    read_credentials,
    server_key,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

__all__ = [  # the API for the app and the CLI
    "FAILED", "PENDING", "PROBLEMS", "SENT", "AuthenticationFailed", "DeliveryRefused",
    "DeliveryResult", "DeliveryStatus", "HostKeyChanged", "HostKeyInfo", "ServerHostKey",
    "SyncProgress", "SyncReport", "SyncService", "TargetRecord", "TargetUnavailable", "backoff",
]  # fmt: skip
BACKOFF_FIRST = 60.0
BACKOFF_MAX = 3600.0
JITTER = 0.1
CANCELLED = "Cancelled; the transfer resumes at the next sync."
ALREADY_THERE = "Already at the target, identical: counted as delivered."


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """The wait after ``attempts`` failed tries: 1 min, 2, 4 … up to 1 h, ±10 %."""
    base = min(BACKOFF_FIRST * 2 ** min(max(attempts - 1, 0), 16), BACKOFF_MAX)
    return timedelta(seconds=base * rng.uniform(1 - JITTER, 1 + JITTER))


class SyncService:
    def __init__(self, store: StoreService) -> None:
        self._store = store
        self.timeout = 20.0  # seconds for connecting, each handshake step and each reply
        self.random = random.Random()  # noqa: S311 - jitter, not secrets

    # ------------------------------------------------------------ targets
    def add_target(
        self, kind: str, location: str, *, key_file: Path | None = None, password: str | None = None
    ) -> TargetRecord:
        """Add a folder or SFTP target; nothing is added when anything is wrong."""
        if kind == "folder":
            if key_file is not None or password is not None:
                raise InvalidInput("A folder target takes no key or password; nothing was added.")
            folder = check_folder(location)
            if folder == self._store.store_dir or self._store.store_dir in folder.parents:
                raise InvalidInput(f"{folder} is inside the store folder; choose another one.")
            canonical, secret_kind, secret = str(folder), "", ""
        elif kind == "sftp":
            canonical = str(parse_location(location))
            secret_kind, secret = read_credentials(key_file, password)
        else:
            raise InvalidInput(f"Unknown target kind {kind!r}: use folder or sftp.")
        with self._store._session() as session:
            same = session.scalar(
                select(SyncTarget).where(SyncTarget.kind == kind, SyncTarget.location == canonical)
            )
            if same is not None:
                raise InvalidInput(f"{canonical} is already a target ({same.id}); nothing added.")
            me = self._store.researcher_id
            row = SyncTarget(kind=kind, location=canonical, secret_kind=secret_kind, secret=secret)
            row.created_by = row.updated_by = me
            session.add(row)
            session.flush()
            target_id = row.id
        audit = {"kind": kind, "location": canonical, "auth": secret_kind}
        self._store.audit("target_added", "sync_target", target_id, **audit)
        return self.get_target(target_id)

    def list_targets(self) -> list[TargetRecord]:
        with self._store._session() as session:
            rows = session.scalars(select(SyncTarget).order_by(SyncTarget.created_at)).all()
            return [target_record(session, row) for row in rows]

    def get_target(self, target_id: str) -> TargetRecord:
        with self._store._session() as session:
            return target_record(session, target_row(session, target_id))

    def remove_target(self, target_id: str) -> None:
        """Forget a target and its deliveries (files already at the target stay there)."""
        with self._store._session() as session:
            row = target_row(session, target_id)
            location = row.location
            session.delete(row)
        self._store.audit("target_removed", "sync_target", target_id, location=location)

    def set_enabled(self, target_id: str, enabled: bool) -> TargetRecord:
        with self._store._session() as session:
            target_row(session, target_id).enabled = enabled
        return self.get_target(target_id)

    def set_credentials(
        self, target_id: str, *, key_file: Path | None = None, password: str | None = None
    ) -> TargetRecord:
        """Replace an SFTP target's login key or password; its failed deliveries are tried
        again at the next sync."""
        secret_kind, secret = read_credentials(key_file, password)
        with self._store._session() as session:
            row = target_row(session, target_id)
            if row.kind != "sftp":
                raise InvalidInput(f"Target {target_id} is a folder: it has no login to set.")
            row.secret_kind, row.secret = secret_kind, secret
            retry_failed(session, target_id)
        self._store.audit("target_credentials_set", "sync_target", target_id, auth=secret_kind)
        return self.get_target(target_id)

    # ---------------------------------------------------------- host keys
    def server_fingerprint(self, target_id: str) -> ServerHostKey:
        """Connect and fetch the host key the SFTP server presents now (of the pinned
        key's type while it offers one), without logging in and without pinning it;
        :class:`TargetUnavailable` when the server cannot be reached."""
        return self._offered(self._target(target_id))

    def _offered(self, target: SyncTarget) -> ServerHostKey:
        if target.kind != "sftp":
            raise InvalidInput(f"Target {target.id} is a folder: only SFTP servers have host keys.")
        key = server_key(parse_location(target.location), target.host_key, self.timeout)
        pinned = target.host_key
        return ServerHostKey(
            target.id, target.location, key, key.split()[0], fingerprint(key),
            fingerprint(pinned), bool(pinned) and key == pinned,
        )  # fmt: skip

    def pin_host_key(
        self, target_id: str, *, accept_new: bool = False, expected: str | None = None
    ) -> HostKeyInfo:
        """Contact the server and pin its host key when none is pinned yet; a different
        key replaces the pinned one only with ``accept_new`` (and, when ``expected`` is
        given, only if the server's key has that fingerprint)."""
        target = self._target(target_id)
        offered = self._offered(target)
        new = offered.fingerprint
        if expected is not None and expected.strip().removeprefix("SHA256:") != new[7:]:
            raise InvalidInput(
                f"The server presents the host key {new}, not {expected.strip()}; nothing was "
                "pinned. Check the fingerprint with the server's administrator again."
            )
        if offered.matches:
            return HostKeyInfo(target.id, target.location, offered.key, new, new, False, False)
        if target.host_key and not accept_new:
            loc = parse_location(target.location)
            raise host_key_changed(target.id, loc, target.host_key, offered.key)
        return self._pin(target, offered.key)

    def _pin(self, target: SyncTarget, key: str) -> HostKeyInfo:
        with self._store._session() as session:
            row = target_row(session, target.id)
            row.host_key = key
            if target.host_key:
                retry_failed(session, target.id)
        old = fingerprint(target.host_key)
        self._store.audit(
            "host_key_pinned", "sync_target", target.id, location=target.location,
            fingerprint=fingerprint(key), previous=old,
        )  # fmt: skip
        return HostKeyInfo(
            target.id, target.location, key, fingerprint(key), old, True, bool(target.host_key)
        )

    def deliveries(self) -> list[DeliveryStatus]:
        """Every outbox bundle × enabled target, and any delivery on record."""
        with self._store._session() as session:
            pairs = plan(session, self._store.researcher_id)
            return [status_of(target, bundle, row) for target, due in pairs for bundle, row in due]

    # ------------------------------------------------------------ sync
    def sync(
        self,
        progress: Callable[[SyncProgress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        now: datetime | None = None,
        *,
        force: bool = False,
    ) -> SyncReport:
        """Push every due delivery (see the module docstring); a target that cannot be
        reached is reported and retried later, never raised. ``force`` also tries what
        waits for its retry time or failed earlier (the user fixed something)."""
        now = now or utcnow()
        with self._store._session() as session:  # rows stay readable afterwards
            pairs = plan(session, self._store.researcher_id)
        results: list[DeliveryResult] = []
        pinned: list[HostKeyInfo] = []
        cancelled = False
        for target, items in pairs:
            due: list[tuple[OutboxBundle, Delivery]] = []
            for bundle, item in items:
                if item.state == SENT:
                    results.append(result_of(target, item, "already-sent", "Delivered earlier."))
                elif item.state == FAILED and not force:
                    problem = item.problem or REFUSED
                    results.append(
                        result_of(target, item, "failed", item.last_error, problem, earlier=True)
                    )
                elif not force and item.next_attempt_at is not None and item.next_attempt_at > now:
                    problem = item.problem or UNREACHABLE
                    results.append(result_of(target, item, "waiting", item.last_error, problem))
                else:
                    due.append((bundle, item))
            if due and (cancelled or (cancel is not None and cancel())):
                cancelled, results = True, results + self._cancelled(target, [i for _, i in due])
            elif due:
                cancelled = self._sync_target(target, due, progress, cancel, now, results, pinned)
        problems = tuple(r for r in results if r.outcome == "failed")
        return SyncReport(tuple(results), tuple(pinned), cancelled, problems)

    def _sync_target(
        self,
        target: SyncTarget,
        due: list[tuple[OutboxBundle, Delivery]],
        progress: Callable[[SyncProgress], None] | None,
        cancel: Callable[[], bool] | None,
        now: datetime,
        results: list[DeliveryResult],
        pinned: list[HostKeyInfo],
    ) -> bool:
        """Deliver ``due`` to one target over one connection; True when cancelled."""
        remaining = [row for _, row in due]
        sources = {b.id: Source(b.id, Path(b.path), b.size, b.sha256) for b, _ in due}
        cancelled = False
        try:
            with self._destination(target) as (dest, offered):
                if offered and not target.host_key:
                    pinned.append(self._pin(target, offered))
                while remaining and not cancelled:
                    item = remaining[0]
                    source = sources[item.bundle_id].measured()
                    try:
                        if cancel is not None and cancel():
                            raise TransferCancelled
                        on_bytes = progress_of(target, source.bundle_id, source.size, progress)
                        done = deliver(dest, source, on_bytes, cancel)
                    except TransferCancelled:
                        cancelled = True
                        continue
                    except DeliveryRefused as exc:
                        results.append(self._failed(target, item, exc.message, REFUSED))
                    else:
                        results.append(self._sent(target, item, source.size, done, now))
                    remaining.pop(0)
        except TargetUnavailable as exc:
            wait = backoff(max(i.attempts for i in remaining) + 1, self.random)
            results += [self._retry(target, i, exc.message, now + wait) for i in remaining]
        except HostKeyChanged as exc:
            self._store.audit(
                "host_key_changed", "sync_target", target.id, location=target.location,
                pinned=exc.old_fingerprint, offered=exc.new_fingerprint,
            )  # fmt: skip
            results += [self._failed(target, i, exc.message, HOST_KEY_CHANGED) for i in remaining]
        except AuthenticationFailed as exc:
            results += [self._failed(target, i, exc.message, AUTH_FAILED) for i in remaining]
        else:
            results += self._cancelled(target, remaining)
        return cancelled

    @contextlib.contextmanager
    def _destination(self, target: SyncTarget) -> Iterator[tuple[Destination, str]]:
        if target.kind == "folder":
            yield FolderDestination(Path(target.location)), ""
            return
        loc, pinned, timeout = parse_location(target.location), target.host_key, self.timeout
        with open_sftp(target.id, loc, pinned, target.secret_kind, target.secret, timeout) as ssh:
            yield ssh.destination, ssh.server_key

    # -------------------------------------------------------- bookkeeping
    def _update(self, item: Delivery, **values: object) -> Delivery:
        with self._store._session() as session:
            row = session.get(Delivery, item.id)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)
            row.attempts += 1
            row.updated_by = self._store.researcher_id
            return row

    def _sent(
        self, target: SyncTarget, item: Delivery, size: int, done: Delivered, now: datetime
    ) -> DeliveryResult:
        row = self._update(
            item, state=SENT, delivered_at=now, next_attempt_at=None, last_error="", problem="",
            bytes_sent=size,
        )  # fmt: skip
        self._store.audit(
            "bundle_sent", "bundle", item.bundle_id, target=target.id,
            location=target.location, bytes=done.bytes_written, resumed_from=done.resumed_from,
            already_there=done.already_there,
        )  # fmt: skip
        outcome, message = "already-there", ALREADY_THERE
        if not done.already_there:
            resumed = f", resumed at byte {done.resumed_from}" if done.resumed_from else ""
            message, outcome = f"Delivered ({size} bytes{resumed}).", "sent"
        return result_of(
            target, item, outcome, message, row=row, written=done.bytes_written,
            resumed=done.resumed_from,
        )  # fmt: skip

    def _retry(
        self, target: SyncTarget, item: Delivery, message: str, when: datetime
    ) -> DeliveryResult:
        row = self._update(
            item, state=PENDING, next_attempt_at=when, last_error=message, problem=UNREACHABLE
        )
        return result_of(target, item, "retry", message, UNREACHABLE, row=row)

    def _failed(
        self, target: SyncTarget, item: Delivery, message: str, problem: str
    ) -> DeliveryResult:
        row = self._update(
            item, state=FAILED, next_attempt_at=None, last_error=message, problem=problem
        )
        return result_of(target, item, "failed", message, problem, row=row)

    def _cancelled(self, target: SyncTarget, items: list[Delivery]) -> list[DeliveryResult]:
        """No attempt counted; a pending delivery says it was cancelled (a failed one
        keeps its problem). Either is tried again at the next sync."""
        results = []
        with self._store._session() as session:
            for item in items:
                row = session.get(Delivery, item.id)
                if row is not None and row.state == PENDING:
                    row.problem, row.last_error = CANCELLED_KIND, CANCELLED
                    row.updated_by = self._store.researcher_id
                after = row if row is not None else item
                results.append(
                    result_of(target, item, "cancelled", CANCELLED, CANCELLED_KIND, row=after)
                )
        return results

    def _target(self, target_id: str) -> SyncTarget:
        with self._store._session() as session:
            return target_row(session, target_id)
