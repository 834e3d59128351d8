"""The domain, as SQLAlchemy 2 typed models.

Primary keys are UUID strings so that bundles from several researchers can be merged
without clashes. Every row records when it was made and changed, and by which
researcher. Real names live only in :class:`IdentityEntry`, apart from everything
else, so that nothing that leaves the store can carry them by accident.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class EncounterType(enum.StrEnum):
    HOME_VISIT = "home-visit"
    WALK_AND_TALK = "walk-and-talk"
    TELEPHONE_INTERVIEW = "telephone-interview"
    VIDEO_INTERVIEW = "video-interview"
    PARK_VISIT = "park-visit"
    STAFF_INTERVIEW = "staff-interview"
    FOCUS_GROUP = "focus-group"
    WORKDAY_DEBRIEF = "workday-debrief"
    TEAM_MEETING = "team-meeting"
    CLINIC_VISIT = "clinic-visit"
    SUPERVISED_CONTACT_VISIT = "supervised-contact-visit"
    CASE_CONFERENCE = "case-conference"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()


class ParticipantKind(enum.StrEnum):
    PARENT = "parent"
    PROFESSIONAL = "professional"
    FAMILY_MEMBER = "family-member"
    CHILD = "child"


class FieldnoteKind(enum.StrEnum):
    JOTTING = "jotting"
    EXPANDED = "expanded"
    MEMO = "memo"
    DEBRIEF = "debrief"

    @property
    def label(self) -> str:
        return "Expanded fieldnote" if self is FieldnoteKind.EXPANDED else self.value.capitalize()


class SiteType(enum.StrEnum):
    DRUG_TREATMENT = "drug-treatment"
    CHILD_PROTECTION = "child-protection"
    FAMILY_SUPPORT = "family-support"
    PREGNANCY_SERVICES = "pregnancy-services"
    OTHER = "other"


class RecordingStatus(enum.StrEnum):
    RECORDING = "recording"  # being captured now (or the app died: see recovery)
    COMPLETE = "complete"
    RECOVERED = "recovered"  # closed at the next unlock after a crash
    IMPORTED = "imported"


class RecordingSource(enum.StrEnum):
    MICROPHONE = "microphone"
    IMPORT = "import"


class Household(enum.StrEnum):
    CO_HABITING = "co-habiting"
    SINGLE_PARENT = "single-parent"
    CO_PARENTING_APART = "co-parenting-apart"


class LivingArrangement(enum.StrEnum):
    WITH_PARENTS = "with-parents"
    WITH_OTHER_PARENT = "with-other-parent"
    FOSTER_CARE = "foster-care"
    KINSHIP_CARE = "kinship-care"
    ADOPTED = "adopted"
    INDEPENDENT = "independent"  # an adult child living on their own


class Involvement(enum.StrEnum):
    """Child-protection involvement with a family."""

    NONE = "none"
    CURRENT = "current"
    PAST = "past"


class ConsentMethod(enum.StrEnum):
    SIGNED = "signed"  # signed on screen
    PAPER = "paper"  # a paper form, with a scan attached
    VERBAL = "verbal"  # said aloud, at a time in a recording


class ConsentParty(enum.StrEnum):
    """Whose agreement a consent record holds."""

    SELF = "self"  # the participant's own consent
    PARENT = "parent"  # a parent's consent for a child
    ASSENT = "assent"  # the child's own assent


class WithdrawalScope(enum.StrEnum):
    FUTURE = "future"  # no further participation; data kept
    ALL = "all"  # withdraw the data too


class PseudonymKind(enum.StrEnum):
    FULL_NAME = "full-name"
    FIRST_NAME = "first-name"
    NICKNAME = "nickname"
    SURNAME = "surname"
    PLACE = "place"
    SERVICE = "service"
    SCHOOL = "school"
    STREET = "street"
    ORGANISATION = "organisation"
    OTHER = "other"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as the slug (the enum's value), checked by a named CHECK constraint.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class UTCDateTime(TypeDecorator[datetime]):
    """Times stored as UTC and read back time-zone aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class Tracked:
    """Id, times and authorship shared by every domain row."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    updated_by: Mapped[str | None] = mapped_column(String(36), default=None)


class Researcher(Tracked, Base):
    __tablename__ = "researcher"

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    is_self: Mapped[bool] = mapped_column(default=False)
    role: Mapped[str] = mapped_column(String(200), default="")
    institution: Mapped[str] = mapped_column(String(300), default="")
    region: Mapped[str] = mapped_column(String(100), default="")


class Project(Tracked, Base):
    __tablename__ = "project"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class Site(Tracked, Base):
    __tablename__ = "site"

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    site_type: Mapped[SiteType] = mapped_column(_enum(SiteType, "site_type"))
    region: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")


class Family(Tracked, Base):
    __tablename__ = "family"

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    household: Mapped[Household | None] = mapped_column(_enum(Household, "household"), default=None)
    region: Mapped[str] = mapped_column(String(100), default="")
    site_id: Mapped[str | None] = mapped_column(
        ForeignKey("site.id", ondelete="SET NULL"), default=None
    )

    children: Mapped[list[FamilyChild]] = relationship(
        back_populates="family", cascade="all, delete-orphan", order_by="FamilyChild.created_at"
    )


class FamilyChild(Tracked, Base):
    """A child, recorded as an attribute of a family (children are not interviewed)."""

    __tablename__ = "family_child"
    __table_args__ = (Index("ix_family_child_family", "family_id"),)

    family_id: Mapped[str] = mapped_column(ForeignKey("family.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200), default="")  # "primary school aged daughter"
    age_band: Mapped[str] = mapped_column(String(20), default="")  # "0-4", "11-16", "18+", "7"
    living_arrangement: Mapped[LivingArrangement] = mapped_column(
        _enum(LivingArrangement, "living_arrangement")
    )
    child_protection: Mapped[Involvement] = mapped_column(
        _enum(Involvement, "involvement"), default=Involvement.NONE
    )
    family_support: Mapped[bool] = mapped_column(default=False)

    family: Mapped[Family] = relationship(back_populates="children")


class Participant(Tracked, Base):
    __tablename__ = "participant"

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    pseudonym: Mapped[str] = mapped_column(String(200))
    role_label: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[ParticipantKind] = mapped_column(_enum(ParticipantKind, "participant_kind"))
    site_id: Mapped[str | None] = mapped_column(
        ForeignKey("site.id", ondelete="SET NULL"), default=None
    )
    family_id: Mapped[str | None] = mapped_column(
        ForeignKey("family.id", ondelete="SET NULL"), default=None
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    age_band: Mapped[str] = mapped_column(String(20), default="")
    sector: Mapped[str] = mapped_column(String(100), default="")  # professionals: health, ...
    on_ost: Mapped[bool | None] = mapped_column(default=None)  # opioid substitution therapy
    withdrawn_on: Mapped[date | None] = mapped_column(Date, default=None)
    withdrawal_scope: Mapped[WithdrawalScope | None] = mapped_column(
        _enum(WithdrawalScope, "withdrawal_scope"), default=None
    )

    identity: Mapped[IdentityEntry | None] = relationship(
        back_populates="participant", cascade="all, delete-orphan", uselist=False
    )


class IdentityEntry(Tracked, Base):
    """The identity register: a participant's real name, kept apart from all else."""

    __tablename__ = "identity_entry"

    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), unique=True
    )
    real_name: Mapped[str] = mapped_column(String(300))
    contact: Mapped[str] = mapped_column(Text, default="")

    participant: Mapped[Participant] = relationship(back_populates="identity")


encounter_participant = Table(
    "encounter_participant",
    Base.metadata,
    Column("encounter_id", ForeignKey("encounter.id", ondelete="CASCADE"), primary_key=True),
    Column("participant_id", ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True),
)

fieldnote_participant = Table(
    "fieldnote_participant",
    Base.metadata,
    Column("fieldnote_id", ForeignKey("fieldnote.id", ondelete="CASCADE"), primary_key=True),
    Column("participant_id", ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True),
)

fieldnote_tag = Table(
    "fieldnote_tag",
    Base.metadata,
    Column("fieldnote_id", ForeignKey("fieldnote.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)


class Encounter(Tracked, Base):
    """A fieldwork session (the UI says "session")."""

    __tablename__ = "encounter"
    __table_args__ = (Index("ix_encounter_date", "date"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    encounter_type: Mapped[EncounterType] = mapped_column(_enum(EncounterType, "encounter_type"))
    title: Mapped[str] = mapped_column(String(300))
    date: Mapped[date] = mapped_column(Date)
    site_id: Mapped[str | None] = mapped_column(
        ForeignKey("site.id", ondelete="SET NULL"), default=None
    )
    summary: Mapped[str] = mapped_column(Text, default="")

    participants: Mapped[list[Participant]] = relationship(
        secondary=encounter_participant, order_by="Participant.pseudonym"
    )
    fieldnotes: Mapped[list[Fieldnote]] = relationship(
        back_populates="encounter", cascade="all, delete-orphan", order_by="Fieldnote.created_at"
    )


class Fieldnote(Tracked, Base):
    __tablename__ = "fieldnote"
    __table_args__ = (Index("ix_fieldnote_encounter", "encounter_id"),)

    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounter.id", ondelete="CASCADE"))
    kind: Mapped[FieldnoteKind] = mapped_column(_enum(FieldnoteKind, "fieldnote_kind"))
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    offset_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    recording_id: Mapped[str | None] = mapped_column(
        ForeignKey("recording.id", ondelete="SET NULL"), default=None
    )

    encounter: Mapped[Encounter] = relationship(back_populates="fieldnotes")
    tags: Mapped[list[Tag]] = relationship(secondary=fieldnote_tag, order_by="Tag.name")
    participants: Mapped[list[Participant]] = relationship(
        secondary=fieldnote_participant, order_by="Participant.pseudonym"
    )


class Recording(Tracked, Base):
    """Audio of an encounter, kept as ordered FLAC chunks in :class:`AudioChunk`."""

    __tablename__ = "recording"
    __table_args__ = (Index("ix_recording_encounter", "encounter_id"),)

    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounter.id", ondelete="CASCADE"))
    status: Mapped[RecordingStatus] = mapped_column(_enum(RecordingStatus, "recording_status"))
    source: Mapped[RecordingSource] = mapped_column(_enum(RecordingSource, "recording_source"))
    sample_rate: Mapped[int]
    channels: Mapped[int] = mapped_column(default=1)
    codec: Mapped[str] = mapped_column(String(20), default="flac")
    frames: Mapped[int] = mapped_column(default=0)  # final length; live length = sum of chunks
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    device_name: Mapped[str] = mapped_column(String(300), default="")
    original_name: Mapped[str] = mapped_column(String(300), default="")
    overflow_count: Mapped[int] = mapped_column(default=0)
    stop_reason: Mapped[str] = mapped_column(String(40), default="")


class AudioChunk(Base):
    """About a second of audio, losslessly compressed (FLAC), committed as it arrives."""

    __tablename__ = "audio_chunk"

    recording_id: Mapped[str] = mapped_column(
        ForeignKey("recording.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    start_frame: Mapped[int]
    frames: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)


class TranscriptionJob(Tracked, Base):
    """A queued transcription; kept in the store so the queue survives a restart."""

    __tablename__ = "transcription_job"
    __table_args__ = (Index("ix_transcription_job_status", "status"),)

    recording_id: Mapped[str] = mapped_column(ForeignKey("recording.id", ondelete="CASCADE"))
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "job_status"))
    model_path: Mapped[str] = mapped_column(Text, default="")  # "" = the embedded default
    language: Mapped[str] = mapped_column(String(20), default="en")
    mode: Mapped[str] = mapped_column(String(20), default="fast")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")
    transcript_id: Mapped[str | None] = mapped_column(String(36), default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Transcript(Tracked, Base):
    __tablename__ = "transcript"
    __table_args__ = (Index("ix_transcript_recording", "recording_id"),)

    recording_id: Mapped[str] = mapped_column(ForeignKey("recording.id", ondelete="CASCADE"))
    model_name: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(20), default="en")
    mode: Mapped[str] = mapped_column(String(20), default="fast")
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class TranscriptSpeaker(Tracked, Base):
    __tablename__ = "transcript_speaker"

    transcript_id: Mapped[str] = mapped_column(ForeignKey("transcript.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    participant_id: Mapped[str | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), default=None
    )


class TranscriptSegment(Tracked, Base):
    __tablename__ = "transcript_segment"
    __table_args__ = (Index("ix_transcript_segment_transcript", "transcript_id", "position"),)

    transcript_id: Mapped[str] = mapped_column(ForeignKey("transcript.id", ondelete="CASCADE"))
    position: Mapped[int]
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    machine_text: Mapped[str] = mapped_column(Text, default="")
    speaker_id: Mapped[str | None] = mapped_column(
        ForeignKey("transcript_speaker.id", ondelete="SET NULL"), default=None
    )
    words: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[word, start, end, p], ...]


class SegmentRevision(Base):
    """Every version of every segment: the machine's first, then each correction."""

    __tablename__ = "segment_revision"
    __table_args__ = (Index("ix_segment_revision_transcript", "transcript_id", "segment_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    transcript_id: Mapped[str] = mapped_column(ForeignKey("transcript.id", ondelete="CASCADE"))
    segment_id: Mapped[str] = mapped_column(String(36))  # kept after a merge deletes it
    action: Mapped[str] = mapped_column(String(20))  # machine, edit, speaker, split, merge, time
    text: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    speaker_label: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    researcher_id: Mapped[str | None] = mapped_column(String(36), default=None)


class GlossaryTerm(Tracked, Base):
    """A name or term of the study, given to the speech model as a hint."""

    __tablename__ = "glossary_term"
    __table_args__ = (UniqueConstraint("project_id", "term"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(200))


class Tag(Tracked, Base):
    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))


class ConsentForm(Tracked, Base):
    """One version of a consent form. Never changed once made: edits make a new version."""

    __tablename__ = "consent_form"
    __table_args__ = (UniqueConstraint("project_id", "slug", "version"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100))  # the same for every version of a form
    title: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(40))
    form_date: Mapped[date | None] = mapped_column(Date, default=None)
    ethics_reference: Mapped[str] = mapped_column(String(200), default="")
    audience: Mapped[str] = mapped_column(String(40), default="adult")  # adult, parent, child
    # [{"id", "statement", "required", "governs"}, ...] in the order they are read out
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ConsentRecord(Tracked, Base):
    """Consent given on one form version: an answer per item, how, by whom, when."""

    __tablename__ = "consent_record"
    __table_args__ = (Index("ix_consent_record_participant", "participant_id"),)

    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    form_id: Mapped[str] = mapped_column(ForeignKey("consent_form.id", ondelete="RESTRICT"))
    party: Mapped[ConsentParty] = mapped_column(_enum(ConsentParty, "consent_party"))
    given_by: Mapped[str] = mapped_column(String(200), default="")  # "Lara (Mother)" for a parent
    method: Mapped[ConsentMethod] = mapped_column(_enum(ConsentMethod, "consent_method"))
    given_on: Mapped[date] = mapped_column(Date)
    researcher_id: Mapped[str | None] = mapped_column(String(36), default=None)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # item id -> bool
    recording_id: Mapped[str | None] = mapped_column(
        ForeignKey("recording.id", ondelete="SET NULL"), default=None
    )
    recording_offset: Mapped[float | None] = mapped_column(Float, default=None)
    signature_strokes: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    scan: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    scan_name: Mapped[str] = mapped_column(String(300), default="")
    certificate_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)

    form: Mapped[ConsentForm] = relationship()


class ConsentWithdrawal(Tracked, Base):
    __tablename__ = "consent_withdrawal"

    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), unique=True
    )
    withdrawn_on: Mapped[date] = mapped_column(Date)
    scope: Mapped[WithdrawalScope] = mapped_column(_enum(WithdrawalScope, "withdrawal_scope"))
    recorded_by: Mapped[str | None] = mapped_column(String(36), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    # What went (counts only, never content), for the audit trail and the review screen.
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EncounterFlag(Tracked, Base):
    """Something in an encounter the researcher must look at (e.g. after a withdrawal)."""

    __tablename__ = "encounter_flag"
    __table_args__ = (Index("ix_encounter_flag_encounter", "encounter_id"),)

    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounter.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(60))  # "withdrawal"
    message: Mapped[str] = mapped_column(Text, default="")
    participant_id: Mapped[str | None] = mapped_column(String(36), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Pseudonym(Tracked, Base):
    """The pseudonym register: a real string and what replaces it wherever data leaves.

    Real strings are identifying: the register never leaves the store.
    """

    __tablename__ = "pseudonym"
    __table_args__ = (UniqueConstraint("project_id", "real_key"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    real: Mapped[str] = mapped_column(String(300))
    real_key: Mapped[str] = mapped_column(String(300))  # casefolded, spaces collapsed
    replacement: Mapped[str] = mapped_column(String(300))
    kind: Mapped[PseudonymKind] = mapped_column(_enum(PseudonymKind, "pseudonym_kind"))
    notes: Mapped[str] = mapped_column(Text, default="")
    participant_id: Mapped[str | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), default=None
    )


class IdentifierDecision(Tracked, Base):
    """A flagged string the researcher chose to keep in one note or transcript, or to
    ignore everywhere (``source_id`` empty), with the reason."""

    __tablename__ = "identifier_decision"
    __table_args__ = (UniqueConstraint("project_id", "source_type", "source_id", "text_key"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    source_type: Mapped[str] = mapped_column(String(20))  # fieldnote, transcript, "" = all
    source_id: Mapped[str] = mapped_column(String(36), default="")
    text: Mapped[str] = mapped_column(String(300))
    text_key: Mapped[str] = mapped_column(String(300))
    decision: Mapped[str] = mapped_column(String(20))  # keep, ignore
    reason: Mapped[str] = mapped_column(Text, default="")


quote_tag = Table(
    "quote_tag",
    Base.metadata,
    Column("quote_id", ForeignKey("quote.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)


class Quote(Tracked, Base):
    """A passage kept in the quote bank, pseudonymised, with its attribution and source."""

    __tablename__ = "quote"

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    attribution: Mapped[str] = mapped_column(String(300))
    source_type: Mapped[str] = mapped_column(String(20))  # recording, fieldnote
    source_id: Mapped[str] = mapped_column(String(36))
    encounter_id: Mapped[str | None] = mapped_column(
        ForeignKey("encounter.id", ondelete="CASCADE"), default=None
    )
    participant_id: Mapped[str | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), default=None
    )
    start: Mapped[float] = mapped_column(Float, default=0.0)  # seconds, or a character offset
    end: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")

    tags: Mapped[list[Tag]] = relationship(secondary=quote_tag, order_by="Tag.name")


class AuditEvent(Base):
    """Who did what, when. Append-only; never carries interview content."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    researcher_id: Mapped[str | None] = mapped_column(String(36), default=None)
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(60), default="")
    target_id: Mapped[str] = mapped_column(String(36), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Setting(Base):
    """Per-store preferences (auto-lock time, …) as JSON values."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TeamRole(enum.StrEnum):
    MEMBER = "member"
    PI = "pi"  # a principal investigator: signs the team roster


class ResearcherKey(Tracked, Base):
    """This researcher's own keys: an age X25519 identity (bundles are encrypted to its
    recipient) and a minisign (Ed25519) signing key. The secret halves live only here,
    inside the encrypted database, and never leave the store."""

    __tablename__ = "researcher_key"

    researcher_id: Mapped[str] = mapped_column(
        ForeignKey("researcher.id", ondelete="CASCADE"), unique=True
    )
    age_identity: Mapped[str] = mapped_column(Text)  # AGE-SECRET-KEY-1…
    age_recipient: Mapped[str] = mapped_column(String(100))  # age1…
    signing_secret: Mapped[str] = mapped_column(Text)  # minisign secret key, base64
    signing_public: Mapped[str] = mapped_column(String(100))  # minisign public key, base64
    signing_key_id: Mapped[str] = mapped_column(String(16))  # as the minisign tool shows it


class TeamMember(Tracked, Base):
    """One entry of the team roster: who may receive bundles, and whose signature counts."""

    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("project_id", "age_recipient"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[TeamRole] = mapped_column(_enum(TeamRole, "team_role"))
    age_recipient: Mapped[str] = mapped_column(String(100))
    signing_key: Mapped[str | None] = mapped_column(String(100), default=None)


class OutboxBundle(Tracked, Base):
    """A sealed bundle (the id is the bundle's own id). ``path`` is the age file: in the
    store's ``outbox/`` folder unless the researcher sealed it elsewhere with ``--out``.
    ``sealed_at`` is what ``seal --since-last`` compares record changes with."""

    __tablename__ = "outbox_bundle"

    path: Mapped[str] = mapped_column(Text)
    in_outbox: Mapped[bool] = mapped_column(default=True)
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    with_audio: Mapped[bool] = mapped_column(default=False)
    scope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SyncTarget(Tracked, Base):
    """Where outbox bundles go: a folder, or an SFTP server whose host key is pinned on
    first use. ``secret`` (an SSH private key or a password) stays in the encrypted store."""

    __tablename__ = "sync_target"

    kind: Mapped[str] = mapped_column(String(20))  # "folder" | "sftp"
    location: Mapped[str] = mapped_column(Text)  # the folder, or USER@HOST[:PORT]/PATH
    host_key: Mapped[str] = mapped_column(Text, default="")  # "ssh-ed25519 AAAA…" once pinned
    secret_kind: Mapped[str] = mapped_column(String(20), default="")  # "key" | "password"
    secret: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)


class Delivery(Tracked, Base):
    """One bundle on its way to one target: its state, attempts and the next retry."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("bundle_id", "target_id"),)

    bundle_id: Mapped[str] = mapped_column(ForeignKey("outbox_bundle.id", ondelete="CASCADE"))
    target_id: Mapped[str] = mapped_column(ForeignKey("sync_target.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # what went wrong, as a kind the app can act on (see core/sync.py PROBLEMS), "" if sent
    problem: Mapped[str] = mapped_column(String(30), default="")
    bytes_sent: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ReceivedBundle(Tracked, Base):
    """A bundle opened into this (team) store; the id is the bundle's id, so opening the
    same bundle twice is recognised and does nothing."""

    __tablename__ = "received_bundle"

    researcher_id: Mapped[str] = mapped_column(String(36))
    researcher_name: Mapped[str] = mapped_column(String(200), default="")
    signer: Mapped[str] = mapped_column(String(200), default="")
    sealed_at: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # added/updated/… counts


class MergeState(Base):
    """What the last merged version of a record was, so that the next bundle can tell a
    newer change (take it) from a true conflict (both sides changed since: keep both)."""

    __tablename__ = "merge_state"

    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    origin_researcher_id: Mapped[str] = mapped_column(String(36))
    bundle_id: Mapped[str] = mapped_column(String(36))
    incoming_sha256: Mapped[str] = mapped_column(String(64))  # the merged record's JSON
    incoming_updated_at: Mapped[str] = mapped_column(String(40))
    local_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the row after merging


class MergeConflict(Tracked, Base):
    """A record changed both here and in a bundle since they last agreed: both versions
    are kept until someone decides (``status`` open → kept-local | took-incoming)."""

    __tablename__ = "merge_conflict"
    __table_args__ = (Index("ix_merge_conflict_status", "status"),)

    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    bundle_id: Mapped[str] = mapped_column(String(36))
    researcher_name: Mapped[str] = mapped_column(String(200), default="")
    incoming: Mapped[dict[str, Any]] = mapped_column(default=dict)
    local: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class CarriedConsent(Base):
    """A participant's consent as a bundle carried it (team side): what each consent item
    decided, so that quotes and archiving obey the researcher's consent records, which
    themselves (signatures, certificates) never leave the researcher's store."""

    __tablename__ = "carried_consent"

    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    decisions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    missing: Mapped[list[Any]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    bundle_id: Mapped[str] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
