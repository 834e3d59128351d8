"""What a bundle carries about people, merged into this (team) store: each
participant's consent decisions, and withdrawals (see docs/team-inbox.md).

A withdrawal of everything deletes what this store holds of the person as
``consent/withdrawal.py`` does in the researcher's store (their sessions alone with
recordings, audio, transcripts and notes; notes about them alone; flags on sessions
shared with others), and more, since the team keeps no copy for anyone: what they said
in shared sessions (segments, their revisions and the speaker), quotes of them, their
carried consent, and merge conflicts that mention them. The participant row stays as a
tombstone (withdrawn, all), so that no later bundle brings them back.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from relations_desktop.core.bundle_merge_kinds import KINDS, Context, Kind
from relations_desktop.core.bundle_merge_records import Malformed, moment, when
from relations_desktop.core.consent import withdrawal
from relations_desktop.core.consent.records import WithdrawalPlan
from relations_desktop.core.store.migrate import BACKUP_DIR
from relations_desktop.core.store.models import (
    CarriedConsent,
    MergeConflict,
    MergeState,
    Participant,
    ParticipantKind,
    Quote,
    ReceivedBundle,
    SegmentRevision,
    TranscriptSegment,
    TranscriptSpeaker,
    WithdrawalScope,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from relations_desktop.core.services import StoreService

TOMBSTONE = "Withdrawn participant"


def carry_consent(
    ctx: Context, raw: dict[str, Any], bundle_id: str, sealed_at: str, note: str
) -> tuple[str, bool]:
    """Keep the participant's consent block as :class:`CarriedConsent` (the outcome's
    name), and mark them withdrawn for the future if the block says so (the flag)."""
    s, pid, block = ctx.session, str(raw["id"]), raw["consent"]
    person = s.get(Participant, pid)
    if pid in ctx.withdrawn or person is None:
        return "skipped", False
    decisions, missing, summary = _consent_block(block)
    row = s.get(CarriedConsent, pid)
    if row is None:
        s.add(CarriedConsent(participant_id=pid, decisions=decisions, missing=missing,
                             summary=summary, bundle_id=bundle_id))  # fmt: skip
        outcome = "added"
    elif (row.decisions, list(row.missing), row.summary) == (decisions, missing, summary):
        outcome = "unchanged"
    elif _sealed(s, row.bundle_id) > _moment(sealed_at):
        outcome = "older"  # a bundle sealed later carried this participant's consent
    else:
        row.decisions, row.missing, row.summary = decisions, missing, summary
        row.bundle_id, outcome = bundle_id, "updated"
    if block.get("withdrawn_scope") != "future" or person.withdrawal_scope is not None:
        return outcome, False
    before = KINDS["participant"].stamp(s, pid)
    plan = WithdrawalPlan(pid, f"{person.pseudonym} ({person.role_label})", "future")
    withdrawal._mark(ctx.store, s, person, WithdrawalScope.FUTURE, day(block.get(
        "withdrawn_on")), note, plan)  # fmt: skip
    refresh(ctx, KINDS["participant"], pid, before)
    return outcome, True


def apply_withdrawal(ctx: Context, raw: dict[str, Any], note: str) -> tuple[str, bool]:
    """One entry of withdrawals.json: the outcome's name, and whether data was deleted."""
    s, pid = ctx.session, raw.get("participant_id")
    if not isinstance(pid, str) or not 0 < len(pid) <= 36:
        raise Malformed("a withdrawal names no participant")
    try:
        scope = WithdrawalScope(str(raw.get("scope")))
    except ValueError:
        raise Malformed(f"withdrawal scope {raw.get('scope')!r} is unknown") from None
    on, person = day(raw.get("withdrawn_on")), s.get(Participant, pid)
    if person is not None and person.withdrawal_scope in (scope, WithdrawalScope.ALL):
        return "unchanged", False
    if person is None and scope is WithdrawalScope.FUTURE:
        return "skipped", False  # nobody here to stop
    erased = False
    before = None if person is None else KINDS["participant"].stamp(s, pid)
    if person is None:  # a tombstone, so that no later bundle brings them in
        person = Participant(
            id=pid, project_id=ctx.store.project_id, pseudonym=TOMBSTONE,
            role_label="withdrawn", kind=ParticipantKind.PARENT, created_by=ctx.origin,
            updated_by=ctx.origin,
        )  # fmt: skip
        s.add(person)
        s.flush()
        plan = WithdrawalPlan(pid, TOMBSTONE, scope.value)
    elif scope is WithdrawalScope.ALL:
        plan = withdrawal._plan(ctx.store, s, person, scope)
        _erase(ctx, person, withdrawal._Scope(s, person))
        erased = True
    else:
        plan = WithdrawalPlan(pid, f"{person.pseudonym} ({person.role_label})", scope.value)
    withdrawal._mark(ctx.store, s, person, scope, on, note, plan)
    if scope is WithdrawalScope.ALL:
        ctx.withdrawn.add(pid)
    else:
        refresh(ctx, KINDS["participant"], pid, before)
    return "updated", erased


def _erase(ctx: Context, person: Participant, found: Any) -> None:
    s, pid = ctx.session, person.id
    speakers = list(s.scalars(select(TranscriptSpeaker).where(
        TranscriptSpeaker.participant_id == pid)))  # fmt: skip
    transcripts = {x.transcript_id: KINDS["transcript"].stamp(s, x.transcript_id)
                   for x in speakers}  # fmt: skip
    spoken = list(s.scalars(select(TranscriptSegment.id).where(
        TranscriptSegment.speaker_id.in_([x.id for x in speakers]))))  # fmt: skip
    s.execute(delete(SegmentRevision).where(SegmentRevision.segment_id.in_(spoken)))
    s.execute(delete(TranscriptSegment).where(TranscriptSegment.id.in_(spoken)))
    s.execute(delete(TranscriptSpeaker).where(TranscriptSpeaker.participant_id == pid))
    s.execute(delete(Quote).where(
        (Quote.participant_id == pid) | Quote.source_id.in_(found.own_notes)))  # fmt: skip
    s.execute(delete(CarriedConsent).where(CarriedConsent.participant_id == pid))
    withdrawal._delete_data(ctx.store, s, person, found)
    s.flush()
    s.expire_all()  # rows the database's cascades deleted must not linger in the session
    for transcript_id, before in transcripts.items():
        if exists(s, KINDS["transcript"], transcript_id):
            refresh(ctx, KINDS["transcript"], transcript_id, before)
    for conflict in list(s.scalars(select(MergeConflict))):
        kind = KINDS.get(conflict.record_type)
        gone = kind is None or not exists(s, kind, conflict.record_id)
        if gone or pid in json.dumps([conflict.incoming, conflict.local]):
            s.delete(conflict)


def refresh(ctx: Context, kind: Kind, ident: str, before: datetime | None) -> None:
    """A change the merge itself made is not a local change: move the stamp along."""
    state = ctx.session.get(MergeState, (kind.name, ident))
    if state is not None and state.local_updated_at == before:
        state.local_updated_at = kind.stamp(ctx.session, ident) or state.local_updated_at


def compact(store: StoreService) -> None:
    """After a withdrawal deleted data: no copy of it in backups, the index or free pages."""
    folder = store.store_dir / BACKUP_DIR
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # pre-upgrade backups hold the withdrawn person's data
    withdrawal.compact(store)


def exists(session: Session, kind: Kind, ident: str) -> bool:
    query = select(kind.model.id).where(kind.model.id == ident)
    return session.scalar(query) is not None


def day(value: Any) -> date:
    if value is None or value == "":
        return date.today()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise Malformed(f"{value!r} is not a date") from None


def _moment(text: str) -> datetime:
    try:
        return moment(when(text))
    except Malformed:
        return moment("")


def _sealed(session: Session, bundle_id: str) -> datetime:
    row = session.get(ReceivedBundle, bundle_id)
    return _moment(row.sealed_at) if row is not None else moment("")


def _consent_block(block: Any) -> tuple[dict[str, bool | None], list[str], str]:
    if not isinstance(block, dict):
        raise Malformed("a participant's consent is not a record")
    decisions, missing = block.get("decisions", {}), block.get("missing", [])
    summary = block.get("summary", "")
    if not isinstance(decisions, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, bool)) for k, v in decisions.items()
    ):
        raise Malformed("a participant's consent decisions are not yes, no or never asked")
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        raise Malformed("a participant's missing consent is not a list of reasons")
    if not isinstance(summary, str):
        raise Malformed("a participant's consent summary is not text")
    return dict(decisions), list(missing), summary
