"""Helpers of :mod:`.bundle_content`: which sessions changed since the last bundle
(``seal --since-last``), and records turned into plain JSON-ready values."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from relations_desktop.core.store.models import (
    Encounter,
    Fieldnote,
    Recording,
    Transcript,
    TranscriptSegment,
    TranscriptSpeaker,
)


def changed_encounters(session: Session, since: datetime) -> set[str]:
    """Sessions with anything changed after ``since``: the session, its notes, its
    recordings, or its transcripts' segments and speakers."""
    changed = set(session.scalars(select(Encounter.id).where(Encounter.updated_at > since)))
    changed |= set(
        session.scalars(select(Fieldnote.encounter_id).where(Fieldnote.updated_at > since))
    )
    changed |= set(
        session.scalars(select(Recording.encounter_id).where(Recording.updated_at > since))
    )
    transcript_changed = (
        select(Recording.encounter_id)
        .join(Transcript, Transcript.recording_id == Recording.id)
        .where(
            or_(
                Transcript.updated_at > since,
                Transcript.id.in_(
                    select(TranscriptSegment.transcript_id).where(
                        TranscriptSegment.updated_at > since
                    )
                ),
                Transcript.id.in_(
                    select(TranscriptSpeaker.transcript_id).where(
                        TranscriptSpeaker.updated_at > since
                    )
                ),
            )
        )
    )
    changed |= set(session.scalars(transcript_changed))
    return changed


_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain_records(value: Any) -> Any:
    """Records as plain dicts and lists, like ``dataclasses.asdict`` but without its deep
    copies (several times faster on a transcript's thousands of words)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _FIELDS.get(kind)
    if names is not None:
        return {name: plain_records(getattr(value, name)) for name in names}
    if kind is list or kind is tuple:
        return [plain_records(v) for v in value]
    if kind is dict:
        return {k: plain_records(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        _FIELDS[kind] = tuple(f.name for f in fields(value))
        return plain_records(value)
    return value
