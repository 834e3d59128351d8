"""Plain, immutable views of stored things: what services hand to the UI and the CLI.

Services never hand out ORM objects, so no caller can trigger a lazy load on the GUI
thread or hold a row after the store is locked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


def to_json(record: Any) -> dict[str, Any]:
    """A record as JSON-ready data (dates as ISO strings)."""
    data: dict[str, Any] = asdict(record)
    return {key: _plain(value) for key, value in data.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class ParticipantRecord:
    id: str
    pseudonym: str
    role_label: str
    region: str
    kind: str
    site_id: str | None
    family_id: str | None
    notes: str
    has_real_name: bool
    created_at: datetime
    updated_at: datetime
    age_band: str = ""
    sector: str = ""
    on_ost: bool | None = None
    withdrawn_on: date | None = None
    withdrawal_scope: str | None = None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawal_scope is not None

    @property
    def label(self) -> str:
        return f"{self.pseudonym} ({self.role_label})" if self.role_label else self.pseudonym


@dataclass(frozen=True)
class EncounterRecord:
    id: str
    encounter_type: str
    title: str
    date: date
    site_id: str | None
    summary: str
    participant_ids: list[str]
    participant_labels: list[str]
    note_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class FieldnoteRecord:
    id: str
    encounter_id: str
    kind: str
    title: str
    body: str
    offset_seconds: float | None
    recording_id: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    participant_ids: list[str] = field(default_factory=list)

    @property
    def preview(self) -> str:
        text = self.title or self.body
        line = text.strip().splitlines()[0] if text.strip() else ""
        return line[:120]


@dataclass(frozen=True)
class SearchHit:
    kind: str
    ref_id: str
    encounter_id: str
    encounter_title: str
    encounter_type: str
    date: date
    title: str
    snippet_parts: list[tuple[str, bool]]
    score: float
    recording_id: str | None = None  # for a transcript segment: where it was said
    seconds: float | None = None

    def snippet(self, before: str = "**", after: str = "**") -> str:
        """The snippet with matched words wrapped in ``before``/``after``."""
        return "".join(
            f"{before}{text}{after}" if hit else text for text, hit in self.snippet_parts
        )


@dataclass(frozen=True)
class AuditRecord:
    id: str
    at: datetime
    researcher_id: str | None
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoreInfo:
    path: str
    store_id: str
    created: str
    schema_revision: str
    researcher_id: str
    researcher_name: str
    project_name: str
    recovery_recipient: str | None
    database_bytes: int
    counts: dict[str, int]


@dataclass(frozen=True)
class JottingRecord:
    id: str
    offset_seconds: float
    text: str


@dataclass(frozen=True)
class RecordingRecord:
    id: str
    encounter_id: str
    status: str
    source: str
    sample_rate: int
    channels: int
    duration_seconds: float
    started_at: datetime
    ended_at: datetime | None
    device_name: str
    original_name: str
    overflow_count: int
    stop_reason: str
    size_bytes: int
    jottings: list[JottingRecord] = field(default_factory=list)


@dataclass(frozen=True)
class WordRecord:
    word: str  # as Whisper gives it, usually with its leading space
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class SpeakerRecord:
    id: str
    label: str  # "S1", or what the researcher renamed it to ("Interviewer")
    participant_id: str | None
    participant_label: str | None  # "Lara (Mother)" when linked


@dataclass(frozen=True)
class SegmentRecord:
    id: str
    position: int  # order in the transcript, 0-based
    start: float  # seconds into the recording
    end: float
    text: str
    speaker_id: str | None
    speaker_label: str | None
    words: list[WordRecord]
    machine_text: str  # what the model wrote; kept when the text is corrected
    edited: bool


@dataclass(frozen=True)
class TranscriptRecord:
    id: str
    recording_id: str
    encounter_id: str
    model_name: str
    language: str
    mode: str  # "fast" or "accurate"
    created_at: datetime
    updated_at: datetime
    duration_seconds: float
    segments: list[SegmentRecord]
    speakers: list[SpeakerRecord]
    jottings: list[JottingRecord]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


@dataclass(frozen=True)
class JobRecord:
    id: str
    recording_id: str
    status: str  # queued, running, done, failed, cancelled
    progress: float
    model_path: str
    language: str
    mode: str
    error: str
    transcript_id: str | None
    created_at: datetime
    finished_at: datetime | None
