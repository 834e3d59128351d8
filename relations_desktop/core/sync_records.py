"""The records sync gives the app and the CLI, and how they are read from the rows
(docs/sync.md, "For the app"). :mod:`.sync` does the work; :mod:`.sync_folder` and
:mod:`.sync_sftp` the copying.

Every delivery that has not arrived carries a ``problem``, a kind the app can act on
without reading the message: see :data:`PROBLEMS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from relations_desktop.core.errors import NotFound
from relations_desktop.core.store.models import Delivery, OutboxBundle, SyncTarget
from relations_desktop.core.sync_location import fingerprint, public_key_line

PENDING, SENT, FAILED = "pending", "sent", "failed"
# What one sync did with a (bundle, target) pair.
OUTCOMES = ("sent", "already-there", "already-sent", "waiting", "retry", "failed", "cancelled")
# Why a delivery has not arrived, worst first. The first three are failures that wait
# for a person; "unreachable" waits for its retry time, "cancelled" for the next sync.
HOST_KEY_CHANGED, AUTH_FAILED, REFUSED = "host-key-changed", "auth-failed", "refused"
UNREACHABLE, CANCELLED = "unreachable", "cancelled"
PROBLEMS = (HOST_KEY_CHANGED, AUTH_FAILED, REFUSED, UNREACHABLE, CANCELLED)


def worst_problem(problems: Iterable[str]) -> str:
    """The first of :data:`PROBLEMS` among ``problems``; "" when there is none."""
    found = set(problems)
    return next((p for p in PROBLEMS if p in found), "")


@dataclass(frozen=True)
class TargetRecord:
    id: str
    kind: str  # "folder" | "sftp"
    location: str  # the absolute folder, or USER@HOST[:PORT]/PATH
    enabled: bool
    auth: str  # "key" | "password" | "" (folders)
    client_key: str  # the login key's public half, for the server's authorized_keys
    host_key: str  # the pinned "TYPE BASE64" key, "" until first contact
    host_key_fingerprint: str  # "SHA256:…" as OpenSSH shows it
    pending: int
    sent: int
    failed: int
    last_error: str
    next_attempt_at: datetime | None
    last_delivered_at: datetime | None
    problem: str = ""  # the worst problem of its deliveries not sent yet (PROBLEMS)


@dataclass(frozen=True)
class DeliveryStatus:
    bundle_id: str
    target_id: str
    target: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    size: int
    delivered_at: datetime | None
    problem: str = ""  # one of PROBLEMS; "" when sent or not tried yet


@dataclass(frozen=True)
class SyncProgress:
    bundle_id: str
    target_id: str
    target: str
    done: int  # bytes at the target so far (a resumed part included)
    total: int


@dataclass(frozen=True)
class DeliveryResult:
    bundle_id: str
    target_id: str
    target: str
    outcome: str  # one of OUTCOMES
    state: str  # the delivery's state afterwards
    message: str
    problem: str = ""  # one of PROBLEMS (failed, retry, waiting, cancelled); "" when sent
    bytes_written: int = 0
    resumed_from: int = 0
    attempts: int = 0
    next_attempt_at: datetime | None = None
    earlier: bool = False  # failed in an earlier sync, not tried again this time


@dataclass(frozen=True)
class HostKeyInfo:
    target_id: str
    target: str
    key: str
    fingerprint: str
    previous_fingerprint: str  # "" when nothing was pinned before
    pinned: bool  # this call stored the key
    changed: bool  # it replaced another key


@dataclass(frozen=True)
class ServerHostKey:
    """The host key an SFTP server presents now, fetched without logging in or pinning
    (``SyncService.server_fingerprint``)."""

    target_id: str
    target: str
    key: str  # "TYPE BASE64"
    key_type: str  # "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"…
    fingerprint: str  # "SHA256:…" as OpenSSH shows it
    pinned_fingerprint: str  # "" when nothing is pinned yet
    matches: bool  # it is the pinned key (False when nothing is pinned)


@dataclass(frozen=True)
class SyncReport:
    results: tuple[DeliveryResult, ...]
    pinned: tuple[HostKeyInfo, ...] = ()
    cancelled: bool = False
    problems: tuple[DeliveryResult, ...] = field(default=())


# ------------------------------------------------------------ from the rows
def target_row(session: Session, target_id: str) -> SyncTarget:
    row = session.get(SyncTarget, target_id.strip())
    if row is None:
        raise NotFound(f"No sync target with the id {target_id!r} (see target list).")
    return row


def plan(session: Session, me: str) -> list[tuple[SyncTarget, list[tuple[OutboxBundle, Delivery]]]]:
    """Every enabled target with its (bundle, delivery) pairs; missing deliveries made."""
    bundles = session.scalars(
        select(OutboxBundle).where(OutboxBundle.in_outbox).order_by(OutboxBundle.sealed_at)
    ).all()
    targets = session.scalars(
        select(SyncTarget).where(SyncTarget.enabled).order_by(SyncTarget.created_at)
    ).all()
    rows = {(d.bundle_id, d.target_id): d for d in session.scalars(select(Delivery))}
    made = []
    for target in targets:
        pairs = []
        for bundle in bundles:
            row = rows.get((bundle.id, target.id))
            if row is None:
                row = Delivery(bundle_id=bundle.id, target_id=target.id, state=PENDING)
                row.attempts, row.last_error, row.problem, row.bytes_sent = 0, "", "", 0
                row.created_by = row.updated_by = me
                session.add(row)
            pairs.append((bundle, row))
        made.append((target, pairs))
    session.flush()
    return made


def retry_failed(session: Session, target_id: str) -> None:
    """The target's failed deliveries are due again (the user fixed something)."""
    for row in session.scalars(
        select(Delivery).where(Delivery.target_id == target_id, Delivery.state == FAILED)
    ):
        row.state, row.next_attempt_at = PENDING, None


def status_of(target: SyncTarget, bundle: OutboxBundle, row: Delivery) -> DeliveryStatus:
    return DeliveryStatus(
        row.bundle_id, target.id, target.location, row.state, row.attempts,
        row.next_attempt_at, row.last_error, bundle.size, row.delivered_at, row.problem,
    )  # fmt: skip


def result_of(
    target: SyncTarget,
    item: Delivery,
    outcome: str,
    message: str,
    problem: str = "",
    *,
    row: Delivery | None = None,
    written: int = 0,
    resumed: int = 0,
    earlier: bool = False,
) -> DeliveryResult:
    """What happened to one (bundle, target) pair; ``row`` is the delivery afterwards."""
    after = row if row is not None else item
    return DeliveryResult(
        item.bundle_id, target.id, target.location, outcome, after.state, message, problem,
        written, resumed, after.attempts, after.next_attempt_at, earlier,
    )  # fmt: skip


def target_record(session: Session, row: SyncTarget) -> TargetRecord:
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
        worst_problem(d.problem for d in unsent),
    )  # fmt: skip


def progress_of(
    target: SyncTarget, bundle_id: str, total: int, progress: Callable[[SyncProgress], None] | None
) -> Callable[[int], None] | None:
    """``deliver``'s byte count as :class:`SyncProgress` for ``progress``."""
    if progress is None:
        return None
    return lambda done: progress(SyncProgress(bundle_id, target.id, target.location, done, total))
