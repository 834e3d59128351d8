"""Pushing sealed bundles from the outbox to sync targets (issue 7, part 3; docs/sync.md).

Every bundle in the outbox goes to every enabled target; each (bundle, target) pair is a
``Delivery`` row: ``pending`` until it arrives (``sent``), or ``failed`` when only the
user can help (a changed host key, a refused login, a damaged bundle). A target that
cannot be reached now (no network, server down, drive unplugged) is no error: the
delivery stays pending and is tried again after a backoff (1 min doubling to 1 h,
±10 % jitter). How a copy is kept from ever looking complete while half-sent, and how it
resumes, is in :mod:`.sync_folder`; SFTP connections and host keys in :mod:`.sync_sftp`.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.store.models import Delivery, OutboxBundle, SyncTarget, utcnow
from relations_desktop.core.sync_folder import (
    Delivered,
    DeliveryRefused,
    DeliveryResult,
    DeliveryStatus,
    Destination,
    FolderDestination,
    HostKeyInfo,
    Source,
    SyncProgress,
    SyncReport,
    TargetRecord,
    TargetUnavailable,
    TransferCancelled,
    check_folder,
    deliver,
)
from relations_desktop.core.sync_sftp import (
    AuthenticationFailed,
    HostKeyChanged,
    fingerprint,
    host_key_changed,
    open_sftp,
    parse_location,
    public_key_line,
    read_credentials,
    server_key,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

__all__ = [  # the API for the app and the CLI
    "AuthenticationFailed", "DeliveryRefused", "DeliveryResult", "DeliveryStatus",
    "HostKeyChanged", "HostKeyInfo", "SyncProgress", "SyncReport", "SyncService",
    "TargetRecord", "TargetUnavailable", "backoff",
]  # fmt: skip
PENDING, SENT, FAILED = "pending", "sent", "failed"
BACKOFF_FIRST = 60.0
BACKOFF_MAX = 3600.0
JITTER = 0.1
CANCELLED = "Cancelled; the transfer resumes at the next sync."


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
            return [_target_record(session, row) for row in rows]

    def get_target(self, target_id: str) -> TargetRecord:
        with self._store._session() as session:
            return _target_record(session, _target_row(session, target_id))

    def remove_target(self, target_id: str) -> None:
        """Forget a target and its deliveries (files already at the target stay there)."""
        with self._store._session() as session:
            row = _target_row(session, target_id)
            location = row.location
            session.delete(row)
        self._store.audit("target_removed", "sync_target", target_id, location=location)

    def set_enabled(self, target_id: str, enabled: bool) -> TargetRecord:
        with self._store._session() as session:
            _target_row(session, target_id).enabled = enabled
        return self.get_target(target_id)

    def set_credentials(
        self, target_id: str, *, key_file: Path | None = None, password: str | None = None
    ) -> TargetRecord:
        """Replace an SFTP target's login key or password; its failed deliveries are tried
        again at the next sync."""
        secret_kind, secret = read_credentials(key_file, password)
        with self._store._session() as session:
            row = _target_row(session, target_id)
            if row.kind != "sftp":
                raise InvalidInput(f"Target {target_id} is a folder: it has no login to set.")
            row.secret_kind, row.secret = secret_kind, secret
            _retry_failed(session, target_id)
        self._store.audit("target_credentials_set", "sync_target", target_id, auth=secret_kind)
        return self.get_target(target_id)

    def pin_host_key(
        self, target_id: str, *, accept_new: bool = False, expected: str | None = None
    ) -> HostKeyInfo:
        """Contact the server and pin its host key when none is pinned yet; a different
        key replaces the pinned one only with ``accept_new`` (and, when ``expected`` is
        given, only if the server's key has that fingerprint)."""
        target = self._target(target_id)
        if target.kind != "sftp":
            raise InvalidInput(f"Target {target_id} is a folder: only SFTP servers have host keys.")
        loc = parse_location(target.location)
        offered = server_key(loc, target.host_key, self.timeout)
        new, old = fingerprint(offered), fingerprint(target.host_key)
        if expected is not None and expected.strip().removeprefix("SHA256:") != new[7:]:
            raise InvalidInput(
                f"The server presents the host key {new}, not {expected.strip()}; nothing was "
                "pinned. Check the fingerprint with the server's administrator again."
            )
        if offered == target.host_key:
            return HostKeyInfo(target_id, target.location, offered, new, old, False, False)
        if target.host_key and not accept_new:
            raise host_key_changed(target_id, loc, target.host_key, offered)
        return self._pin(target, offered)

    def _pin(self, target: SyncTarget, key: str) -> HostKeyInfo:
        with self._store._session() as session:
            row = _target_row(session, target.id)
            row.host_key = key
            if target.host_key:
                _retry_failed(session, target.id)
        old = fingerprint(target.host_key)
        self._store.audit(
            "host_key_pinned",
            "sync_target",
            target.id,
            location=target.location,
            fingerprint=fingerprint(key),
            previous=old,
        )
        return HostKeyInfo(
            target.id, target.location, key, fingerprint(key), old, True, bool(target.host_key)
        )

    def deliveries(self) -> list[DeliveryStatus]:
        """Every outbox bundle × enabled target, and any delivery on record."""
        with self._store._session() as session:
            plan = _plan(session, self._store.researcher_id)
            return [_status(target, bundle, row) for target, pairs in plan for bundle, row in pairs]

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
            plan = _plan(session, self._store.researcher_id)
        results: list[DeliveryResult] = []
        pinned: list[HostKeyInfo] = []
        cancelled = False
        for target, items in plan:
            due: list[tuple[OutboxBundle, Delivery]] = []
            for bundle, item in items:
                if item.state == SENT:
                    results.append(_result(target, item, "already-sent", "Delivered earlier."))
                elif item.state == FAILED and not force:
                    results.append(_result(target, item, "failed", item.last_error, "earlier"))
                elif not force and item.next_attempt_at is not None and item.next_attempt_at > now:
                    results.append(_result(target, item, "waiting", item.last_error))
                else:
                    due.append((bundle, item))
            if due and (cancelled or (cancel is not None and cancel())):
                cancelled = True
                results += [_result(target, item, "cancelled", CANCELLED) for _, item in due]
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
                        done = deliver(dest, source, _on_bytes(target, source, progress), cancel)
                    except TransferCancelled:
                        cancelled = True
                        continue
                    except DeliveryRefused as exc:
                        results.append(self._failed(target, item, exc.message, "refused"))
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
            results += [self._failed(target, i, exc.message, "host-key-changed") for i in remaining]
        except AuthenticationFailed as exc:
            results += [self._failed(target, i, exc.message, "authentication") for i in remaining]
        else:
            results += [_result(target, item, "cancelled", CANCELLED) for item in remaining]
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
            item, state=SENT, delivered_at=now, next_attempt_at=None, last_error="", bytes_sent=size
        )
        self._store.audit(
            "bundle_sent", "bundle", item.bundle_id, target=target.id,
            location=target.location, bytes=done.bytes_written, resumed_from=done.resumed_from,
            already_there=done.already_there,
        )  # fmt: skip
        if done.already_there:
            message, outcome = (
                "Already at the target, identical: counted as delivered.",
                "already-there",
            )
        else:
            resumed = f", resumed at byte {done.resumed_from}" if done.resumed_from else ""
            message, outcome = f"Delivered ({size} bytes{resumed}).", "sent"
        return _result(target, item, outcome, message, row=row, done=done)

    def _retry(
        self, target: SyncTarget, item: Delivery, message: str, when: datetime
    ) -> DeliveryResult:
        row = self._update(item, state=PENDING, next_attempt_at=when, last_error=message)
        return _result(target, item, "retry", message, row=row)

    def _failed(
        self, target: SyncTarget, item: Delivery, message: str, problem: str
    ) -> DeliveryResult:
        row = self._update(item, state=FAILED, next_attempt_at=None, last_error=message)
        return _result(target, item, "failed", message, problem, row=row)

    def _target(self, target_id: str) -> SyncTarget:
        with self._store._session() as session:
            return _target_row(session, target_id)


# ---------------------------------------------------------------- helpers
def _target_row(session: Session, target_id: str) -> SyncTarget:
    row = session.get(SyncTarget, target_id.strip())
    if row is None:
        raise NotFound(f"No sync target with the id {target_id!r} (see target list).")
    return row


def _status(target: SyncTarget, bundle: OutboxBundle, row: Delivery) -> DeliveryStatus:
    return DeliveryStatus(
        row.bundle_id, target.id, target.location, row.state, row.attempts,
        row.next_attempt_at, row.last_error, bundle.size, row.delivered_at,
    )  # fmt: skip


def _plan(
    session: Session, me: str
) -> list[tuple[SyncTarget, list[tuple[OutboxBundle, Delivery]]]]:
    """Every enabled target with its (bundle, delivery) pairs; missing deliveries made."""
    bundles = session.scalars(
        select(OutboxBundle).where(OutboxBundle.in_outbox).order_by(OutboxBundle.sealed_at)
    ).all()
    targets = session.scalars(
        select(SyncTarget).where(SyncTarget.enabled).order_by(SyncTarget.created_at)
    ).all()
    rows = {(d.bundle_id, d.target_id): d for d in session.scalars(select(Delivery))}
    plan = []
    for target in targets:
        pairs = []
        for bundle in bundles:
            row = rows.get((bundle.id, target.id))
            if row is None:
                row = Delivery(bundle_id=bundle.id, target_id=target.id, state=PENDING)
                row.attempts, row.last_error, row.bytes_sent = 0, "", 0
                row.created_by = row.updated_by = me
                session.add(row)
            pairs.append((bundle, row))
        plan.append((target, pairs))
    session.flush()
    return plan


def _on_bytes(
    target: SyncTarget, source: Source, progress: Callable[[SyncProgress], None] | None
) -> Callable[[int], None] | None:
    if progress is None:
        return None
    bundle_id, total = source.bundle_id, source.size
    return lambda done: progress(SyncProgress(bundle_id, target.id, target.location, done, total))


def _result(
    target: SyncTarget,
    item: Delivery,
    outcome: str,
    message: str,
    problem: str = "",
    *,
    row: Delivery | None = None,
    done: Delivered | None = None,
) -> DeliveryResult:
    """What happened to one (bundle, target) pair; ``row`` is the delivery afterwards."""
    state, attempts, retry = item.state, item.attempts, item.next_attempt_at
    if row is not None:
        state, attempts, retry = row.state, row.attempts, row.next_attempt_at
    written, resumed = (done.bytes_written, done.resumed_from) if done else (0, 0)
    return DeliveryResult(
        item.bundle_id, target.id, target.location, outcome, state, message, problem,
        written, resumed, attempts, retry,
    )  # fmt: skip


def _retry_failed(session: Session, target_id: str) -> None:
    for row in session.scalars(
        select(Delivery).where(Delivery.target_id == target_id, Delivery.state == FAILED)
    ):
        row.state, row.next_attempt_at = PENDING, None


def _target_record(session: Session, row: SyncTarget) -> TargetRecord:
    deliveries = list(session.scalars(select(Delivery).where(Delivery.target_id == row.id)))
    known = {d.bundle_id for d in deliveries}
    waiting_to_start = 0
    if row.enabled:
        in_outbox = session.scalars(select(OutboxBundle.id).where(OutboxBundle.in_outbox))
        waiting_to_start = sum(1 for bundle_id in in_outbox if bundle_id not in known)
    count = {s: sum(1 for d in deliveries if d.state == s) for s in (PENDING, SENT, FAILED)}
    unsent = sorted((d for d in deliveries if d.state != SENT), key=lambda d: d.updated_at)
    retries = [d.next_attempt_at for d in unsent if d.next_attempt_at is not None]
    delivered = [d.delivered_at for d in deliveries if d.delivered_at is not None]
    client_key = public_key_line(row.secret) if row.secret_kind == "key" else ""  # noqa: S105
    return TargetRecord(
        row.id, row.kind, row.location, row.enabled, row.secret_kind, client_key,
        row.host_key, fingerprint(row.host_key) if row.host_key else "",
        count[PENDING] + waiting_to_start, count[SENT], count[FAILED],
        next((d.last_error for d in reversed(unsent) if d.last_error), ""),
        min(retries, default=None), max(delivered, default=None),
    )  # fmt: skip
