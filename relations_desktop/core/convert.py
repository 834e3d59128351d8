"""ORM rows to plain records, and user-typed choices to enum members."""

from __future__ import annotations

import enum
from typing import TypeVar

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.records import (
    AuditRecord,
    EncounterRecord,
    FieldnoteRecord,
    ParticipantRecord,
)
from relations_desktop.core.store.models import AuditEvent, Encounter, Fieldnote, Participant

E = TypeVar("E", bound=enum.Enum)


def choice(enum_cls: type[E], value: object, noun: str) -> E:
    """The member whose slug is ``value``, or a message listing the valid slugs."""
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(str(value).strip().lower())
    except ValueError:
        valid = ", ".join(str(m.value) for m in enum_cls)
        raise InvalidInput(f"Unknown {noun} {value!r}; choose one of: {valid}.") from None


def participant(row: Participant) -> ParticipantRecord:
    return ParticipantRecord(
        id=row.id,
        pseudonym=row.pseudonym,
        role_label=row.role_label,
        region=row.region,
        kind=row.kind.value,
        site_id=row.site_id,
        family_id=row.family_id,
        notes=row.notes,
        has_real_name=row.identity is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        age_band=row.age_band,
        sector=row.sector,
        on_ost=row.on_ost,
        withdrawn_on=row.withdrawn_on,
        withdrawal_scope=row.withdrawal_scope.value if row.withdrawal_scope else None,
    )


def encounter(row: Encounter, note_count: int) -> EncounterRecord:
    return EncounterRecord(
        id=row.id,
        encounter_type=row.encounter_type.value,
        title=row.title,
        date=row.date,
        site_id=row.site_id,
        summary=row.summary,
        participant_ids=[p.id for p in row.participants],
        participant_labels=[f"{p.pseudonym} ({p.role_label})" for p in row.participants],
        note_count=note_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def fieldnote(row: Fieldnote) -> FieldnoteRecord:
    return FieldnoteRecord(
        id=row.id,
        encounter_id=row.encounter_id,
        kind=row.kind.value,
        title=row.title,
        body=row.body,
        offset_seconds=row.offset_seconds,
        recording_id=row.recording_id,
        tags=[t.name for t in row.tags],
        created_at=row.created_at,
        updated_at=row.updated_at,
        participant_ids=[p.id for p in row.participants],
    )


def audit(row: AuditEvent) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        researcher_id=row.researcher_id,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        detail=dict(row.detail),
    )


def required_text(value: object, name: str) -> str:
    """``value`` as trimmed text, or a message that the ``name`` must not be empty."""
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(f"The {name} must not be empty.")
    return text
