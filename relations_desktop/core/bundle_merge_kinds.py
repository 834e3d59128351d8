"""How each record type a bundle carries is merged (see docs/team-inbox.md).

``resolve`` drops what must not come in (people who withdrew, references to rows this
store does not have) and says when a record cannot come in at all (its session is not
here, or it is about someone who withdrew); ``apply`` writes it into the session: a new
row, or the local one (a family with its children, a transcript with its speakers and
segments, replaced as one record).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from relations_desktop.core.bundle_merge_records import NORMALISE, SNAPSHOT, STAMP, moment
from relations_desktop.core.store.models import (
    Encounter,
    EncounterType,
    Family,
    FamilyChild,
    Fieldnote,
    FieldnoteKind,
    Household,
    Involvement,
    LivingArrangement,
    MergeState,
    Participant,
    ParticipantKind,
    Recording,
    RecordingSource,
    RecordingStatus,
    Site,
    SiteType,
    Transcript,
    TranscriptSegment,
    TranscriptSpeaker,
    WithdrawalScope,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService


@dataclass
class Context:
    session: Session
    store: StoreService
    origin: str  # the id of the researcher whose bundle this is
    withdrawn: set[str] = field(default_factory=set)


def _ref(session: Session, model: Any, ident: str | None) -> str | None:
    return ident if ident and session.get(model, ident) is not None else None


# -------------------------------------------------------------- resolving
def _keep_people(ctx: Context, ids: list[str]) -> list[str] | None:
    """The ids to link; None when every one given has withdrawn (the record is theirs)."""
    kept = [p for p in ids if p not in ctx.withdrawn]
    if ids and not kept:
        return None
    return [p for p in kept if ctx.session.get(Participant, p) is not None]


def _resolve(ctx: Context, kind: str, rec: dict[str, Any]) -> dict[str, Any] | None:
    s = ctx.session
    rec = dict(rec)
    if kind == "participant" and rec["id"] in ctx.withdrawn:
        return None
    if kind in ("family", "participant", "encounter"):
        rec["site_id"] = _ref(s, Site, rec["site_id"])
    if kind == "participant":
        rec["family_id"] = _ref(s, Family, rec["family_id"])
    if kind in ("encounter", "fieldnote"):
        people = _keep_people(ctx, rec["participant_ids"])
        if people is None:
            return None
        rec["participant_ids"] = people
    if kind in ("recording", "fieldnote") and s.get(Encounter, rec["encounter_id"]) is None:
        return None
    if kind == "fieldnote":
        rec["recording_id"] = _ref(s, Recording, rec["recording_id"])
    if kind == "transcript":
        if s.get(Recording, rec["recording_id"]) is None:
            return None
        gone = {x["id"] for x in rec["speakers"] if x["participant_id"] in ctx.withdrawn}
        rec["speakers"] = [
            {**x, "participant_id": _ref(s, Participant, x["participant_id"])}
            for x in rec["speakers"]
            if x["id"] not in gone
        ]
        known = {x["id"] for x in rec["speakers"]}
        rec["segments"] = [
            {**g, "speaker_id": g["speaker_id"] if g["speaker_id"] in known else None}
            for g in rec["segments"]
            if g["speaker_id"] not in gone
        ]
    return rec


# ------------------------------------------------------------------ apply
def _stamped(row: Any, rec: dict[str, Any], ctx: Context, new: bool) -> None:
    if new:
        row.created_by = rec.get("created_by") or ctx.origin
    row.updated_by = ctx.origin
    if rec.get("updated_at"):
        row.updated_at = moment(rec["updated_at"])


def _apply_site(ctx: Context, row: Site | None, rec: dict[str, Any]) -> Site:
    new = row is None
    row = row or Site(id=rec["id"], project_id=ctx.store.project_id)
    row.name, row.site_type = rec["name"], SiteType(rec["site_type"])
    row.region, row.notes = rec["region"], rec["notes"]
    _stamped(row, rec, ctx, new)
    return row


def _apply_family(ctx: Context, row: Family | None, rec: dict[str, Any]) -> Family:
    new = row is None
    row = row or Family(id=rec["id"], project_id=ctx.store.project_id)
    row.label, row.notes, row.region = rec["label"], rec["notes"], rec["region"]
    row.household = Household(rec["household"]) if rec["household"] else None
    row.site_id = rec["site_id"]
    existing = {c.id: c for c in row.children} if not new else {}
    children = []
    for data in rec["children"]:
        child = existing.get(data["id"]) or FamilyChild(id=data["id"], created_by=ctx.origin)
        child.label, child.age_band = data["label"], data["age_band"]
        child.living_arrangement = LivingArrangement(data["living_arrangement"])
        child.child_protection = Involvement(data["child_protection"])
        child.family_support, child.updated_by = bool(data["family_support"]), ctx.origin
        children.append(child)
    row.children = children
    _stamped(row, rec, ctx, new)
    return row


def _apply_participant(ctx: Context, row: Participant | None, rec: dict[str, Any]) -> Participant:
    new = row is None
    row = row or Participant(id=rec["id"], project_id=ctx.store.project_id)
    row.pseudonym, row.role_label, row.region = rec["pseudonym"], rec["role"], rec["region"]
    row.kind, row.age_band = ParticipantKind(rec["kind"]), rec["age_band"]
    row.sector, row.on_ost = rec["sector"], rec["on_ost"]
    row.site_id, row.family_id = rec["site_id"], rec["family_id"]
    _stamped(row, rec, ctx, new)
    return row


def _people(ctx: Context, ids: list[str]) -> list[Participant]:
    found = (ctx.session.get(Participant, p) for p in ids)
    return [p for p in found if p is not None]


def _apply_encounter(ctx: Context, row: Encounter | None, rec: dict[str, Any]) -> Encounter:
    new = row is None
    row = row or Encounter(id=rec["id"], project_id=ctx.store.project_id)
    row.encounter_type, row.title = EncounterType(rec["type"]), rec["title"]
    row.date, row.summary = date.fromisoformat(rec["date"]), rec["summary"]
    row.site_id = rec["site_id"]
    # Links to people who withdrew stay (as in the researcher's store); they are never sent.
    kept = [p for p in (row.participants if not new else []) if p.id in ctx.withdrawn]
    row.participants = [*_people(ctx, rec["participant_ids"]), *kept]
    _stamped(row, rec, ctx, new)
    return row


def _apply_recording(ctx: Context, row: Recording | None, rec: dict[str, Any]) -> Recording:
    new = row is None
    status = RecordingStatus(rec["status"])
    row = row or Recording(id=rec["id"])
    row.encounter_id = rec["encounter_id"]
    # Still "recording" when sealed: here it can only be what was kept (recovery would
    # otherwise close it at the next unlock and count that as a local change).
    row.status = RecordingStatus.RECOVERED if status is RecordingStatus.RECORDING else status
    row.source = RecordingSource(rec["source"])
    row.sample_rate, row.channels, row.codec = rec["sample_rate"], rec["channels"], rec["codec"]
    row.frames, row.original_name = rec["frames"], rec["original_name"]
    if rec["started_at"]:
        row.started_at = moment(rec["started_at"])
    row.ended_at = moment(rec["ended_at"]) if rec["ended_at"] else None
    row.overflow_count, row.stop_reason = rec["overflow_count"], rec["stop_reason"]
    _stamped(row, rec, ctx, new)
    return row


def _apply_fieldnote(ctx: Context, row: Fieldnote | None, rec: dict[str, Any]) -> Fieldnote:
    new = row is None
    row = row or Fieldnote(id=rec["id"])
    row.encounter_id, row.kind = rec["encounter_id"], FieldnoteKind(rec["kind"])
    row.title, row.body = rec["title"], rec["body"]
    row.offset_seconds, row.recording_id = rec["offset_seconds"], rec["recording_id"]
    row.tags = ctx.store._tags(ctx.session, rec["tags"])
    kept = [p for p in (row.participants if not new else []) if p.id in ctx.withdrawn]
    row.participants = [*_people(ctx, rec["participant_ids"]), *kept]
    _stamped(row, rec, ctx, new)
    return row


def _apply_transcript(ctx: Context, row: Transcript | None, rec: dict[str, Any]) -> Transcript:
    """The transcript with its speakers and segments, all replaced by the incoming ones."""
    s, new = ctx.session, row is None
    row = row or Transcript(id=rec["id"])
    row.recording_id, row.model_name = rec["recording_id"], rec["model_name"]
    row.language, row.mode = rec["language"], rec["mode"]
    row.duration_seconds = rec["duration_seconds"]
    _stamped(row, rec, ctx, new)
    if new:
        s.add(row)
    else:
        s.execute(delete(TranscriptSegment).where(TranscriptSegment.transcript_id == row.id))
        s.execute(delete(TranscriptSpeaker).where(TranscriptSpeaker.transcript_id == row.id))
    s.flush()
    for x in rec["speakers"]:
        s.add(TranscriptSpeaker(
            id=x["id"], transcript_id=row.id, label=x["label"],
            participant_id=x["participant_id"], created_by=ctx.origin, updated_by=ctx.origin,
        ))  # fmt: skip
    s.flush()
    for g in rec["segments"]:
        s.add(TranscriptSegment(
            id=g["id"], transcript_id=row.id, position=g["position"], start=g["start"],
            end=g["end"], text=g["text"], machine_text=g["machine_text"],
            speaker_id=g["speaker_id"], words=g["words"], created_by=ctx.origin,
            updated_by=ctx.origin,
        ))  # fmt: skip
    return row


def _updated(_session: Session, row: Any) -> datetime:
    return row.updated_at  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Kind:
    name: str
    model: Any
    apply: Callable[[Context, Any, dict[str, Any]], Any]
    unhashed: frozenset[str] = frozenset()  # parts merged on their own (consent, audio)

    def normalise(self, raw: dict[str, Any]) -> dict[str, Any]:
        return NORMALISE[self.name](raw)

    def resolve(self, ctx: Context, rec: dict[str, Any]) -> dict[str, Any] | None:
        return _resolve(ctx, self.name, rec)

    def snap(self, session: Session, row: Any, withdrawn: set[str]) -> dict[str, Any]:
        return SNAPSHOT[self.name](session, row, withdrawn)

    def snapshot(self, session: Session, ident: str, withdrawn: set[str]) -> dict[str, Any] | None:
        row = session.get(self.model, ident)
        return None if row is None else self.snap(session, row, withdrawn)

    def stamp(self, session: Session, ident: str) -> datetime | None:
        session.flush()
        row = session.get(self.model, ident)
        return None if row is None else STAMP.get(self.name, _updated)(session, row)

    def hashed(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in raw.items() if k not in self.unhashed}


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("site", Site, _apply_site),
        Kind("family", Family, _apply_family),
        Kind("participant", Participant, _apply_participant, frozenset({"consent"})),
        Kind("encounter", Encounter, _apply_encounter),
        Kind("recording", Recording, _apply_recording, frozenset({"audio"})),
        Kind("fieldnote", Fieldnote, _apply_fieldnote),
        Kind("transcript", Transcript, _apply_transcript),
    )
}


# ------------------------------------------- used by the merge and the inbox
def write(ctx: Context, kind: Kind, row: Any, rec: dict[str, Any]) -> None:
    """Put an incoming record (resolved) into the session: a new row or the local one."""
    new = row is None
    row = kind.apply(ctx, row, rec)
    if new:
        ctx.session.add(row)
    ctx.session.flush()


def remember(
    ctx: Context, kind: Kind, ident: str, bundle_id: str, sha256: str, updated_at: str
) -> None:
    """Record the version both sides now agree on (see MergeState)."""
    s = ctx.session
    stamp = kind.stamp(s, ident) or datetime.now(UTC)
    state = s.get(MergeState, (kind.name, ident))
    if state is None:
        state = MergeState(record_type=kind.name, record_id=ident)
        s.add(state)
    state.origin_researcher_id, state.bundle_id = ctx.origin, bundle_id
    state.incoming_sha256, state.incoming_updated_at = sha256, updated_at
    state.local_updated_at = stamp


def withdrawn_ids(session: Session) -> set[str]:
    query = select(Participant.id).where(Participant.withdrawal_scope == WithdrawalScope.ALL)
    return set(session.scalars(query))
