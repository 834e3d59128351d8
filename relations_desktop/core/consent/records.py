"""Plain views of consent forms, records and each participant's consent state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from relations_desktop.core.consent.forms import FormItem, Governs


@dataclass(frozen=True)
class ConsentFormRecord:
    id: str
    slug: str
    title: str
    version: str
    form_date: date | None
    ethics_reference: str
    audience: str
    items: tuple[FormItem, ...]
    record_count: int
    created_at: datetime

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"

    def item(self, item_id: str) -> FormItem | None:
        return next((i for i in self.items if i.id == item_id), None)


@dataclass(frozen=True)
class ConsentRecordView:
    id: str
    participant_id: str
    form_id: str
    form_label: str
    party: str
    given_by: str
    method: str
    given_on: date
    researcher_id: str | None
    answers: dict[str, bool]
    recording_id: str | None
    recording_offset: float | None
    has_signature: bool
    scan_name: str
    has_scan: bool
    has_certificate: bool
    created_at: datetime


@dataclass(frozen=True)
class ConsentState:
    """What a participant's consent allows now, decided from their latest records."""

    participant_id: str
    label: str
    kind: str
    decisions: dict[str, bool | None]  # Governs value -> yes / no / never asked
    missing: tuple[str, ...] = ()  # "no consent recorded", "no assent from the child", ...
    withdrawn_scope: str | None = None
    withdrawn_on: date | None = None
    record_count: int = 0

    def allows(self, governs: Governs | str) -> bool:
        return self.withdrawn_scope is None and self.decisions.get(str(governs)) is True

    def why_not(self, governs: Governs | str) -> str:
        """Why :meth:`allows` is false, in words for a message."""
        if self.withdrawn_scope is not None:
            return f"withdrew on {self.withdrawn_on}"
        if self.missing:
            return "; ".join(self.missing)
        decision = self.decisions.get(str(governs))
        name = Governs(str(governs)).label.lower()
        return "said no to " + name if decision is False else f"was never asked about {name}"

    @property
    def summary(self) -> str:
        if self.withdrawn_scope is not None:
            return f"Withdrawn ({self.withdrawn_scope}) on {self.withdrawn_on}"
        if self.missing:
            return "No consent: " + "; ".join(self.missing)
        parts = [
            f"{Governs(g).label}: {'yes' if v else 'no' if v is False else '—'}"
            for g, v in self.decisions.items()
        ]
        return ", ".join(parts)


@dataclass(frozen=True)
class WithdrawalPlan:
    """What a withdrawal will remove or flag (counts and titles, never content)."""

    participant_id: str
    participant_label: str
    scope: str
    encounters_deleted: tuple[str, ...] = ()  # titles of sessions they were alone in
    recordings_deleted: int = 0
    transcripts_deleted: int = 0
    notes_deleted: int = 0
    identity_entry_deleted: bool = False
    signatures_and_scans_deleted: int = 0
    encounters_flagged: tuple[str, ...] = ()  # titles of sessions shared with others
    backups_deleted: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def lines(self) -> list[str]:
        """The confirmation text: what will go and what will be flagged."""
        if self.scope == "future":
            return [
                f"{self.participant_label} takes no further part: no new recordings or "
                "consent with them. Their data already collected is kept."
            ]
        lines = [f"Withdraw {self.participant_label} and their data. This will delete:"]
        for title in self.encounters_deleted:
            lines.append(f"  - the session “{title}” (they were its only participant)")
        lines.append(f"  - {self.recordings_deleted} recording(s) and "
                     f"{self.transcripts_deleted} transcript(s)")  # fmt: skip
        lines.append(f"  - {self.notes_deleted} fieldnote(s) about them")
        if self.identity_entry_deleted:
            lines.append(
                "  - their entry in the identity register (real name, contact) and the "
                "pseudonym register entries made from it"
            )
        if self.signatures_and_scans_deleted:
            lines.append(
                f"  - signatures, scans and certificates of {self.signatures_and_scans_deleted} "
                "consent record(s) (the answers and the withdrawal stay on record)"
            )
        for name in self.backups_deleted:
            lines.append(f"  - the pre-upgrade backup {name} (it holds their data)")
        if self.encounters_flagged:
            lines.append("These sessions include other people and are flagged for you to review:")
            lines.extend(f"  - {title}" for title in self.encounters_flagged)
        lines.extend(self.warnings)
        lines.append("They will be left out of every export from now on. This cannot be undone.")
        return lines


@dataclass(frozen=True)
class EncounterFlagRecord:
    id: str
    encounter_id: str
    encounter_title: str
    reason: str
    message: str
    participant_id: str | None
    created_at: datetime
    resolved_at: datetime | None
