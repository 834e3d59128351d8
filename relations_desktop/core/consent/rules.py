"""The rules by which consent governs the data. Pure functions over plain values.

- An adult's (or a professional's) consent is their latest own record.
- A child needs both a parent's consent and their own assent; for what the assent form
  asks about, both must say yes; for what it does not ask about, the parent decides.
- A form that never asks about something does not allow it.
- After a withdrawal (either scope) nothing more is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from relations_desktop.core.consent.forms import FormItem, Governs
from relations_desktop.core.consent.records import ConsentState


@dataclass(frozen=True)
class RecordFacts:
    party: str
    given_on: date
    created_at: datetime
    items: Sequence[FormItem]
    answers: Mapping[str, bool]


def decision(facts: RecordFacts, governs: str) -> bool | None:
    """True if every item governing it was answered yes; None if the form never asks."""
    relevant = [item for item in facts.items if item.governs == governs]
    if not relevant:
        return None
    return all(facts.answers.get(item.id) is True for item in relevant)


def latest(records: Iterable[RecordFacts], party: str) -> RecordFacts | None:
    mine = [r for r in records if r.party == party]
    return max(mine, key=lambda r: (r.given_on, r.created_at)) if mine else None


def consent_state(
    *,
    participant_id: str,
    label: str,
    kind: str,
    records: Sequence[RecordFacts],
    withdrawn_scope: str | None = None,
    withdrawn_on: date | None = None,
) -> ConsentState:
    governed = [g.value for g in Governs]
    missing: list[str] = []
    decisions: dict[str, bool | None]
    if kind == "child":
        parent, assent = latest(records, "parent"), latest(records, "assent")
        if parent is None:
            missing.append("no consent from a parent or carer")
        if assent is None:
            missing.append("no assent from the child")
        decisions = {}
        for g in governed:
            if parent is None or assent is None:
                decisions[g] = None
                continue
            by_parent, by_child = decision(parent, g), decision(assent, g)
            if by_child is None:
                decisions[g] = by_parent
            else:
                decisions[g] = by_parent is True and by_child is True
    else:
        own = latest(records, "self")
        if own is None:
            missing.append("no consent recorded")
        decisions = {g: None if own is None else decision(own, g) for g in governed}
    return ConsentState(
        participant_id=participant_id,
        label=label,
        kind=kind,
        decisions=decisions,
        missing=tuple(missing),
        withdrawn_scope=withdrawn_scope,
        withdrawn_on=withdrawn_on,
        record_count=len(records),
    )


def recording_refusal(states: Sequence[ConsentState]) -> str | None:
    """Why an encounter may not be recorded, naming who lacks consent; None if it may."""
    lacking = [
        f"{state.label} ({state.why_not(Governs.AUDIO_RECORDING)})"
        for state in states
        if not state.allows(Governs.AUDIO_RECORDING)
    ]
    if not lacking:
        return None
    return (
        "Recording refused: no consent to audio recording from "
        + ", ".join(lacking)
        + ". Take their consent first, or record verbal consent at the start of the recording."
    )
