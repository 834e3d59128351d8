"""The team inbox: bundles opened into this store, and merge conflicts (issue 7, part 4;
docs/team-inbox.md). Reached as ``StoreService.inbox``.

The merge itself is :class:`relations_desktop.core.bundle_merge.Merger`; this service
lists what it did and lets the team decide each conflict (keep the local version, or
take the incoming one).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from relations_desktop.core.bundle_merge_kinds import (
    KINDS,
    Context,
    Kind,
    remember,
    withdrawn_ids,
    write,
)
from relations_desktop.core.bundle_merge_records import Malformed, digest
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.store.models import AuditEvent, MergeConflict, ReceivedBundle

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from relations_desktop.core.services import StoreService

STATUSES = ("open", "kept-local", "took-incoming")
_KEEP = {"local": "kept-local", "incoming": "took-incoming"}
_ITEMS = {"children": "child", "speakers": "speaker", "segments": "segment"}
_NOT_SHOWN = frozenset({"id", "updated_at", "created_at", "created_by", "words"})


@dataclass(frozen=True)
class ReceivedBundleRecord:
    bundle_id: str
    researcher_id: str
    researcher_name: str
    signer: str  # the roster member whose key signed it
    sealed_at: str
    opened_at: datetime
    source: str  # the file it was opened from
    sha256: str
    counts: dict[str, Any]  # what the manifest said it holds
    summary: dict[str, Any]  # {"counts": {type: {added, updated, …}}, "withdrawals": n}


@dataclass(frozen=True)
class FieldDifference:
    field: str  # "title", "participant_ids", "segment 4 text", "speaker 2 label", …
    local: Any  # None: not in the local version
    incoming: Any  # None: not in the incoming version


@dataclass(frozen=True)
class ConflictRecord:
    id: str
    record_type: str  # site, family, participant, encounter, recording, fieldnote, transcript
    record_id: str
    label: str  # a short name for the record (a pseudonym, a session title…)
    bundle_id: str
    researcher_name: str  # whose bundle brought the incoming version
    status: str  # open, kept-local, took-incoming
    created_at: datetime
    decided_at: datetime | None
    differences: tuple[FieldDifference, ...]
    local: dict[str, Any]
    incoming: dict[str, Any]


class InboxService:
    def __init__(self, store: StoreService) -> None:
        self._store = store

    def received(self) -> list[ReceivedBundleRecord]:
        """Bundles opened into this store, the latest first."""
        with self._store._session() as session:
            rows = session.scalars(
                select(ReceivedBundle).order_by(ReceivedBundle.created_at.desc())
            )
            return [
                ReceivedBundleRecord(
                    bundle_id=r.id,
                    researcher_id=r.researcher_id,
                    researcher_name=r.researcher_name,
                    signer=r.signer,
                    sealed_at=r.sealed_at,
                    opened_at=r.created_at,
                    source=r.source,
                    sha256=r.sha256,
                    counts=dict(r.counts),
                    summary=dict(r.summary),
                )
                for r in rows
            ]

    def conflicts(self, status: str | None = "open") -> list[ConflictRecord]:
        """Conflicts with the given status (None or "all": every one), oldest first; each
        with its differences field by field against the local record as it is now."""
        if status is not None and status not in (*STATUSES, "all"):
            raise InvalidInput(
                f"Unknown conflict status {status!r}; choose one of: {', '.join(STATUSES)}, all."
            )
        with self._store._session() as session:
            query = select(MergeConflict).order_by(MergeConflict.created_at, MergeConflict.id)
            if status not in (None, "all"):
                query = query.where(MergeConflict.status == status)
            withdrawn = withdrawn_ids(session)
            return [_conflict(session, row, withdrawn) for row in session.scalars(query)]

    def conflict(self, conflict_id: str) -> ConflictRecord:
        with self._store._session() as session:
            row = _find(session, conflict_id)
            return _conflict(session, row, withdrawn_ids(session))

    def resolve(self, conflict_id: str, keep: str) -> ConflictRecord:
        """Decide an open conflict: ``keep`` "local" (the record stays as it is here) or
        "incoming" (the bundle's version replaces it). Either way the decided version
        becomes the one both sides agree on, so the same incoming version is not a
        conflict again; a later change from the researcher is then merged as usual."""
        if keep not in _KEEP:
            raise InvalidInput(f"Keep “local” or “incoming”, not {keep!r}; nothing was changed.")
        store = self._store
        with store._session() as session:
            row = _find(session, conflict_id)
            if row.status != "open":
                when = f" on {row.decided_at:%Y-%m-%d %H:%M}" if row.decided_at else ""
                raise InvalidInput(
                    f"This conflict was already decided ({row.status}{when}); nothing was changed."
                )
            kind = _kind(row)
            bundle = session.get(ReceivedBundle, row.bundle_id)
            origin = bundle.researcher_id if bundle is not None else store.researcher_id
            ctx = Context(session, store, origin, withdrawn_ids(session))
            try:
                incoming = kind.normalise(row.incoming)
            except Malformed as exc:
                raise InvalidInput(f"The incoming version cannot be read ({exc}).") from exc
            if keep == "incoming":
                resolved = kind.resolve(ctx, incoming)
                if resolved is None:
                    raise InvalidInput(
                        "The incoming version cannot be taken: what it belongs to (its session "
                        "or recording) is no longer in this store, or it is about someone who "
                        "withdrew. Keep the local version instead; nothing was changed."
                    )
                write(ctx, kind, session.get(kind.model, row.record_id), resolved)
            remember(
                ctx, kind, row.record_id, row.bundle_id, digest(row.incoming),
                incoming["updated_at"],
            )  # fmt: skip
            row.status, row.decided_at = _KEEP[keep], datetime.now(UTC)
            row.updated_by = store.researcher_id
            session.add(AuditEvent(
                researcher_id=store.researcher_id or None, action="conflict_resolved",
                target_type=row.record_type, target_id=row.record_id,
                detail={"conflict": row.id, "kept": keep, "bundle": row.bundle_id},
            ))  # fmt: skip
            session.flush()
            return _conflict(session, row, ctx.withdrawn)


# ---------------------------------------------------------------------- helpers
def _find(session: Session, conflict_id: str) -> MergeConflict:
    ident = (conflict_id or "").strip()
    row = session.get(MergeConflict, ident) if ident else None
    if row is None:
        raise InvalidInput(
            f"There is no merge conflict with id {conflict_id!r}; the conflict list shows them."
        )
    return row


def _kind(row: MergeConflict) -> Kind:
    kind = KINDS.get(row.record_type)
    if kind is None:
        raise InvalidInput(f"This app cannot merge {row.record_type!r} records.")
    return kind


def _conflict(session: Session, row: MergeConflict, withdrawn: set[str]) -> ConflictRecord:
    kind = KINDS.get(row.record_type)
    local, incoming = dict(row.local), dict(row.incoming)
    if kind is not None:
        local = kind.snapshot(session, row.record_id, withdrawn) or local
        with contextlib.suppress(Malformed):  # else shown as it came
            incoming = kind.normalise(incoming)
    return ConflictRecord(
        id=row.id,
        record_type=row.record_type,
        record_id=row.record_id,
        label=label(row.record_type, local or incoming),
        bundle_id=row.bundle_id,
        researcher_name=row.researcher_name,
        status=row.status,
        created_at=row.created_at,
        decided_at=row.decided_at,
        differences=tuple(differences(local, incoming)),
        local=local,
        incoming=incoming,
    )


def differences(local: dict[str, Any], incoming: dict[str, Any]) -> list[FieldDifference]:
    """Field by field; lists of children, speakers and segments item by item (by id)."""
    found: list[FieldDifference] = []
    for key in dict.fromkeys([*incoming, *local]):
        if key in _NOT_SHOWN:
            continue
        if key in _ITEMS:
            found += _item_differences(_ITEMS[key], local.get(key) or [], incoming.get(key) or [])
        elif local.get(key) != incoming.get(key):
            found.append(FieldDifference(key, local.get(key), incoming.get(key)))
    return found


def _item_differences(
    noun: str, local: list[dict[str, Any]], incoming: list[dict[str, Any]]
) -> list[FieldDifference]:
    mine = {str(x.get("id")): x for x in local}
    theirs = {str(x.get("id")): x for x in incoming}
    found: list[FieldDifference] = []
    for number, ident in enumerate(dict.fromkeys([*theirs, *mine]), start=1):
        a, b = mine.get(ident), theirs.get(ident)
        place = b if b is not None else a
        assert place is not None
        name = f"{noun} {place['position'] + 1 if 'position' in place else number}"
        if a is None or b is None:
            found.append(FieldDifference(name, _brief(a), _brief(b)))
            continue
        for key in dict.fromkeys([*b, *a]):
            if key not in _NOT_SHOWN and a.get(key) != b.get(key):
                found.append(FieldDifference(f"{name} {key}", a.get(key), b.get(key)))
    return found


def _brief(item: dict[str, Any] | None) -> Any:
    if item is None:
        return None
    return item.get("text") or item.get("label") or item.get("age_band") or item.get("id")


def label(kind: str, rec: dict[str, Any]) -> str:
    """A short name for a record, for the conflict list."""
    if kind == "participant":
        return f"{rec.get('pseudonym', '')} ({rec.get('role', '')})"
    if kind == "transcript":
        return f"Transcript ({len(rec.get('segments') or [])} segments)"
    if kind == "recording":
        return f"Recording of {str(rec.get('started_at', ''))[:16]}"
    if kind == "fieldnote":
        return str(rec.get("title") or str(rec.get("body", "")).strip()[:60] or "Note")
    return str(rec.get("title") or rec.get("name") or rec.get("label") or rec.get("id", ""))
