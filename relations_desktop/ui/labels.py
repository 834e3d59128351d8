"""Words the interface shows for the core's slugs, and the examples it offers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from relations_desktop.core.store.models import EncounterType, FieldnoteKind, ParticipantKind

ROLE_EXAMPLES = (
    "Mother",
    "Father",
    "Health Visitor",
    "Social Worker",
    "Substance Use Nurse",
    "Third Sector Family Support Worker",
)
REGION_EXAMPLES = ("Scotland", "England")

ENCOUNTER_TYPES: tuple[tuple[str, str], ...] = tuple((t.value, t.label) for t in EncounterType)
NOTE_KINDS: tuple[tuple[str, str], ...] = tuple(
    (k.value, k.label)
    for k in (
        FieldnoteKind.EXPANDED,
        FieldnoteKind.MEMO,
        FieldnoteKind.DEBRIEF,
        FieldnoteKind.JOTTING,
    )
)
PARTICIPANT_KINDS: tuple[tuple[str, str], ...] = tuple(
    (k.value, k.value.replace("-", " ").capitalize()) for k in ParticipantKind
)


def encounter_type_label(slug: str) -> str:
    try:
        return EncounterType(slug).label
    except ValueError:
        return slug


def note_kind_label(slug: str) -> str:
    try:
        return FieldnoteKind(slug).label
    except ValueError:
        return slug


def participant_kind_label(slug: str) -> str:
    return dict(PARTICIPANT_KINDS).get(slug, slug)


def format_date(value: date) -> str:
    return value.strftime("%d %b %Y").lstrip("0")


def local_time(value: datetime) -> datetime:
    """A stored time in the local zone (SQLite hands back naive UTC times)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone()


RECORDING_STATUSES = {
    "recording": "Recording",
    "complete": "Complete",
    "recovered": "Recovered",
    "imported": "Imported",
}


def recording_status_label(slug: str) -> str:
    return RECORDING_STATUSES.get(slug, slug.capitalize())


def format_clock(seconds: float) -> str:
    """A running timer: always hours, minutes and seconds (00:12:34)."""
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def format_duration(seconds: float) -> str:
    """A length: 12:34, or 1:02:03 from an hour on."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    if hours:
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{rest // 60}:{rest % 60:02d}"


def format_bytes(size: int) -> str:
    """Disk sizes as people read them (decimal units, like file managers)."""
    value = float(max(0, size))
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit in ("bytes", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
