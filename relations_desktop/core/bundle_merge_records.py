"""The shapes of the records a bundle carries, for the merge (docs/team-inbox.md).

For each record type: a normaliser checks an incoming record's fields and gives them
one canonical shape, and a snapshot gives a local row the same shape, so the two compare
field by field; a stamp is the local row's last change (for a family or a transcript,
the latest of the row and its children, speakers and segments). What is written, and
when, is in bundle_merge_kinds.py and bundle_merge.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relations_desktop.core.bundle_format import json_bytes
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
)

EPOCH = datetime.min.replace(tzinfo=UTC)
_TIMES = ("updated_at", "created_at", "created_by")


class Malformed(ValueError):
    """An incoming record this app cannot read (the bundle is then refused)."""


# ------------------------------------------------------------------- values
def when(value: Any) -> str:
    """A time as canonical ISO text in UTC ("" when there is none)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise Malformed(f"{value[:40]!r} is not a time") from None
    else:
        raise Malformed(f"{value!r} is not a time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text) if text else EPOCH


def digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json_bytes(data)).hexdigest()


def _text(data: dict[str, Any], key: str, limit: int = 0, *, required: bool = False) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Malformed(f"{key} is not text")
    if required and not value.strip():
        raise Malformed(f"{key} is empty")
    if limit and len(value) > limit:
        raise Malformed(f"{key} is longer than {limit} characters")
    return value


def _ident(data: dict[str, Any], key: str = "id", *, optional: bool = False) -> str | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 36:
        raise Malformed(f"{key} is not a record id")
    return value


def _number(data: dict[str, Any], key: str, *, optional: bool = False, whole: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"{key} is not a number")
    if whole:
        if not isinstance(value, int):
            raise Malformed(f"{key} is not a whole number")
        return value
    return float(value)


def _flag(data: dict[str, Any], key: str, *, optional: bool = False) -> bool | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise Malformed(f"{key} is not yes or no")
    return value


def _slug(data: dict[str, Any], key: str, enum_cls: Any, *, optional: bool = False) -> str | None:
    value = data.get(key)
    if value is None and optional:
        return None
    try:
        return str(enum_cls(value).value)
    except ValueError:
        raise Malformed(f"{key} {value!r} is not one this app knows") from None


def _ids(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Malformed(f"{key} is not a list of ids")
    return sorted(set(value))


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Malformed(f"{key} is not a list of records")
    return value


# ------------------------------------------------------------ normalising
def _site(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _ident(d), "name": _text(d, "name", 200, required=True),
        "site_type": _slug(d, "site_type", SiteType), "region": _text(d, "region", 100),
        "notes": _text(d, "notes"), "updated_at": when(d.get("updated_at")),
    }  # fmt: skip


def _child(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _ident(d), "label": _text(d, "label", 200), "age_band": _text(d, "age_band", 20),
        "living_arrangement": _slug(d, "living_arrangement", LivingArrangement),
        "child_protection": _slug(d, "child_protection", Involvement),
        "family_support": _flag(d, "family_support"),
    }  # fmt: skip


def _family(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _ident(d), "label": _text(d, "label", 200, required=True),
        "notes": _text(d, "notes"), "household": _slug(d, "household", Household, optional=True),
        "region": _text(d, "region", 100), "site_id": _ident(d, "site_id", optional=True),
        "updated_at": when(d.get("updated_at")),
        "children": sorted((_child(c) for c in _list(d, "children")), key=lambda c: c["id"]),
    }  # fmt: skip


def _participant(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _ident(d), "pseudonym": _text(d, "pseudonym", 200, required=True),
        "role": _text(d, "role", 200, required=True), "region": _text(d, "region", 100),
        "kind": _slug(d, "kind", ParticipantKind), "age_band": _text(d, "age_band", 20),
        "sector": _text(d, "sector", 100), "on_ost": _flag(d, "on_ost", optional=True),
        "site_id": _ident(d, "site_id", optional=True),
        "family_id": _ident(d, "family_id", optional=True),
        "updated_at": when(d.get("updated_at")),
    }  # fmt: skip


def _encounter(d: dict[str, Any]) -> dict[str, Any]:
    try:
        on = date.fromisoformat(_text(d, "date", required=True)).isoformat()
    except ValueError:
        raise Malformed("date is not a date") from None
    return {
        "id": _ident(d), "type": _slug(d, "type", EncounterType),
        "title": _text(d, "title", 300, required=True), "date": on,
        "site_id": _ident(d, "site_id", optional=True), "summary": _text(d, "summary"),
        "participant_ids": _ids(d, "participant_ids"), "updated_at": when(d.get("updated_at")),
        "created_by": _ident(d, "created_by", optional=True),
    }  # fmt: skip


def _recording(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _ident(d), "encounter_id": _ident(d, "encounter_id"),
        "status": _slug(d, "status", RecordingStatus),
        "source": _slug(d, "source", RecordingSource),
        "sample_rate": _number(d, "sample_rate", whole=True),
        "channels": _number(d, "channels", whole=True), "codec": _text(d, "codec", 20),
        "frames": _number(d, "frames", whole=True), "started_at": when(d.get("started_at")),
        "ended_at": when(d.get("ended_at")), "original_name": _text(d, "original_name", 300),
        "overflow_count": _number(d, "overflow_count", whole=True),
        "stop_reason": _text(d, "stop_reason", 40), "updated_at": when(d.get("updated_at")),
    }  # fmt: skip


def _fieldnote(d: dict[str, Any]) -> dict[str, Any]:
    tags = d.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Malformed("tags is not a list of names")
    return {
        "id": _ident(d), "encounter_id": _ident(d, "encounter_id"),
        "kind": _slug(d, "kind", FieldnoteKind), "title": _text(d, "title", 300),
        "body": _text(d, "body"), "offset_seconds": _number(d, "offset_seconds", optional=True),
        "recording_id": _ident(d, "recording_id", optional=True), "tags": sorted(set(tags)),
        "participant_ids": _ids(d, "participant_ids"), "updated_at": when(d.get("updated_at")),
        "created_by": _ident(d, "created_by", optional=True),
    }  # fmt: skip


def _word(w: Any) -> list[Any]:
    if isinstance(w, dict):
        w = [w.get("word"), w.get("start"), w.get("end"), w.get("probability")]
    if not isinstance(w, list) or len(w) != 4 or not isinstance(w[0], str):
        raise Malformed("a word is malformed")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in w[1:]):
        raise Malformed("a word's times are not numbers")
    return [w[0], float(w[1]), float(w[2]), float(w[3])]


def _segment(d: dict[str, Any]) -> dict[str, Any]:
    words = d.get("words") or []
    if not isinstance(words, list):
        raise Malformed("words is not a list")
    return {
        "id": _ident(d), "position": _number(d, "position", whole=True),
        "start": _number(d, "start"), "end": _number(d, "end"), "text": _text(d, "text"),
        "machine_text": _text(d, "machine_text"),
        "speaker_id": _ident(d, "speaker_id", optional=True), "words": [_word(w) for w in words],
    }  # fmt: skip


def _speaker(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _ident(d), "label": _text(d, "label", 200, required=True),
        "participant_id": _ident(d, "participant_id", optional=True),
    }  # fmt: skip


def _transcript(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _ident(d), "recording_id": _ident(d, "recording_id"),
        "model_name": _text(d, "model_name", 300), "language": _text(d, "language", 20),
        "mode": _text(d, "mode", 20), "duration_seconds": _number(d, "duration_seconds"),
        "updated_at": when(d.get("updated_at")),
        "speakers": sorted((_speaker(s) for s in _list(d, "speakers")), key=lambda s: s["id"]),
        "segments": sorted(
            (_segment(s) for s in _list(d, "segments")), key=lambda s: (s["position"], s["id"])
        ),
    }  # fmt: skip


# --------------------------------------------------------------- snapshot
def _snap_site(s: Session, r: Site, w: set[str]) -> dict[str, Any]:
    return _site({"id": r.id, "name": r.name, "site_type": r.site_type.value,
                  "region": r.region, "notes": r.notes, "updated_at": r.updated_at})  # fmt: skip


def _snap_family(s: Session, r: Family, w: set[str]) -> dict[str, Any]:
    return _family({
        "id": r.id, "label": r.label, "notes": r.notes, "region": r.region,
        "household": r.household.value if r.household else None, "site_id": r.site_id,
        "updated_at": r.updated_at,
        "children": [{
            "id": c.id, "label": c.label, "age_band": c.age_band,
            "living_arrangement": c.living_arrangement.value,
            "child_protection": c.child_protection.value, "family_support": c.family_support,
        } for c in r.children],
    })  # fmt: skip


def _snap_participant(s: Session, r: Participant, w: set[str]) -> dict[str, Any]:
    return _participant({
        "id": r.id, "pseudonym": r.pseudonym, "role": r.role_label, "region": r.region,
        "kind": r.kind.value, "age_band": r.age_band, "sector": r.sector, "on_ost": r.on_ost,
        "site_id": r.site_id, "family_id": r.family_id, "updated_at": r.updated_at,
    })  # fmt: skip


def _snap_encounter(s: Session, r: Encounter, w: set[str]) -> dict[str, Any]:
    return _encounter({
        "id": r.id, "type": r.encounter_type.value, "title": r.title,
        "date": r.date.isoformat(), "site_id": r.site_id, "summary": r.summary,
        "participant_ids": [p.id for p in r.participants if p.id not in w],
        "updated_at": r.updated_at, "created_by": r.created_by,
    })  # fmt: skip


def _snap_recording(s: Session, r: Recording, w: set[str]) -> dict[str, Any]:
    return _recording({
        "id": r.id, "encounter_id": r.encounter_id, "status": r.status.value,
        "source": r.source.value, "sample_rate": r.sample_rate, "channels": r.channels,
        "codec": r.codec, "frames": r.frames, "started_at": r.started_at,
        "ended_at": r.ended_at, "original_name": r.original_name,
        "overflow_count": r.overflow_count, "stop_reason": r.stop_reason,
        "updated_at": r.updated_at,
    })  # fmt: skip


def _snap_fieldnote(s: Session, r: Fieldnote, w: set[str]) -> dict[str, Any]:
    return _fieldnote({
        "id": r.id, "encounter_id": r.encounter_id, "kind": r.kind.value, "title": r.title,
        "body": r.body, "offset_seconds": r.offset_seconds, "recording_id": r.recording_id,
        "tags": [t.name for t in r.tags],
        "participant_ids": [p.id for p in r.participants if p.id not in w],
        "updated_at": r.updated_at, "created_by": r.created_by,
    })  # fmt: skip


def _snap_transcript(s: Session, r: Transcript, w: set[str]) -> dict[str, Any]:
    speakers = s.scalars(select(TranscriptSpeaker).where(TranscriptSpeaker.transcript_id == r.id))
    segments = s.scalars(select(TranscriptSegment).where(TranscriptSegment.transcript_id == r.id))
    return _transcript({
        "id": r.id, "recording_id": r.recording_id, "model_name": r.model_name,
        "language": r.language, "mode": r.mode, "duration_seconds": r.duration_seconds,
        "updated_at": r.updated_at,
        "speakers": [{"id": x.id, "label": x.label, "participant_id": x.participant_id}
                     for x in speakers],
        "segments": [{
            "id": g.id, "position": g.position, "start": g.start, "end": g.end,
            "text": g.text, "machine_text": g.machine_text, "speaker_id": g.speaker_id,
            "words": list(g.words or []),
        } for g in segments],
    })  # fmt: skip


# ------------------------------------------------------------------ stamps
def _latest(s: Session, *columns_and_filters: tuple[Any, Any]) -> datetime | None:
    found = [s.scalar(select(func.max(col)).where(cond)) for col, cond in columns_and_filters]
    times = [t for t in found if t is not None]
    return max(times) if times else None


def _stamp_family(s: Session, r: Family) -> datetime:
    child = _latest(s, (FamilyChild.updated_at, FamilyChild.family_id == r.id))
    return max(r.updated_at, child) if child else r.updated_at


def _stamp_transcript(s: Session, r: Transcript) -> datetime:
    parts = _latest(
        s,
        (TranscriptSpeaker.updated_at, TranscriptSpeaker.transcript_id == r.id),
        (TranscriptSegment.updated_at, TranscriptSegment.transcript_id == r.id),
    )
    return max(r.updated_at, parts) if parts else r.updated_at


def content(rec: dict[str, Any]) -> dict[str, Any]:
    """What is compared: everything but times and authorship."""
    return {k: v for k, v in rec.items() if k not in _TIMES}


Normaliser = Callable[[dict[str, Any]], dict[str, Any]]
Snapshot = Callable[[Session, Any, set[str]], dict[str, Any]]
Stamp = Callable[[Session, Any], datetime]

NORMALISE: dict[str, Normaliser] = {
    "site": _site, "family": _family, "participant": _participant, "encounter": _encounter,
    "recording": _recording, "fieldnote": _fieldnote, "transcript": _transcript,
}  # fmt: skip
SNAPSHOT: dict[str, Snapshot] = {
    "site": _snap_site, "family": _snap_family, "participant": _snap_participant,
    "encounter": _snap_encounter, "recording": _snap_recording, "fieldnote": _snap_fieldnote,
    "transcript": _snap_transcript,
}  # fmt: skip
STAMP: dict[str, Stamp] = {"family": _stamp_family, "transcript": _stamp_transcript}
