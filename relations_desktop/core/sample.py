"""The sample session: bundled sample data to try the app on, removable in one step.

``resources/sample/`` holds a fictional home visit (see its README): a recording of two
synthetic voices, its transcript (the embedded model's words, corrected to the script),
jottings, the sample participant and their consent. :func:`add_sample_session` puts it in
a store through the same use cases a researcher's data goes through (a participant with
consent, a session, an imported recording, jottings); :func:`remove_sample` takes all of
it out again, leaving no row that mentions it.

Everything is marked: the participant is "Sample Parent" ("Mother (sample)") with a note
saying so, the session is titled "Sample session (sample data)", jottings start with
"Sample jotting:" and carry the tag ``sample``, and the store remembers the ids it made
(the ``sample_session`` setting), so adding twice does not duplicate anything.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from relations_desktop.core.consent.certificate import signature_from_json
from relations_desktop.core.consent.records import ConsentFormRecord
from relations_desktop.core.errors import NotFound, RelationsError
from relations_desktop.core.resources import resource
from relations_desktop.core.store.models import (
    AuditEvent,
    ConsentRecord,
    Encounter,
    Fieldnote,
    IdentifierDecision,
    JobStatus,
    MergeConflict,
    MergeState,
    Participant,
    Quote,
    Recording,
    SegmentRevision,
    Setting,
    Tag,
    Transcript,
    TranscriptionJob,
    TranscriptSegment,
    TranscriptSpeaker,
    fieldnote_tag,
    quote_tag,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

SAMPLE_SETTING = "sample_session"
SAMPLE_DIR = "sample"
# What marks the sample in any store, also one it reached through a bundle.
SAMPLE_PSEUDONYM = "Sample Parent"
SAMPLE_ROLE = "Mother (sample)"
SAMPLE_TITLE = "Sample session (sample data)"
SAMPLE_TAG = "sample"
_GRANTED = ("audio-recording", "anonymised-quotes", "archiving")  # the sample needs these


class SampleDataMissing(RelationsError):
    """The bundled sample files are missing or damaged."""


@dataclass(frozen=True)
class SampleResult:
    participant_id: str
    encounter_id: str
    recording_id: str
    transcript_id: str
    consent_record_id: str
    jotting_ids: tuple[str, ...]
    created: bool  # False: the sample was already in the store, nothing was added


@dataclass(frozen=True)
class SampleRemoval:
    sessions: int
    participants: int
    recordings: int
    notes: int

    @property
    def nothing(self) -> bool:
        return not (self.sessions or self.participants)


@dataclass(frozen=True)
class SampleData:
    """The parsed files of ``resources/sample/``."""

    folder: Path
    participant: Mapping[str, Any]
    session: Mapping[str, Any]
    consent: Mapping[str, Any]
    transcript: Mapping[str, Any]
    jottings: tuple[tuple[float, str], ...]

    @property
    def recording(self) -> Path:
        return self.folder / "sample.flac"

    @classmethod
    def load(cls, folder: Path | None = None) -> SampleData:
        folder = folder or resource(SAMPLE_DIR)
        try:
            session = _json(folder / "session.json")
            transcript = _json(folder / "transcript.json")
            jottings = tuple(
                (float(j["offset_seconds"]), str(j["text"]))
                for j in _json(folder / "jottings.json")["jottings"]
            )
            consent = _json(folder / "consent.json")
            data = cls(folder, session["participant"], session["session"], consent, transcript,
                       jottings)  # fmt: skip
            if not all(_segment_ok(seg) for seg in transcript["segments"]):
                raise ValueError("a transcript segment lacks its times, speaker or text")
        except (KeyError, TypeError, ValueError) as exc:
            raise SampleDataMissing(
                f"The app's sample data in {folder} is damaged ({exc}); reinstall the app."
            ) from exc
        if not data.recording.is_file():
            raise SampleDataMissing(
                f"The sample recording {data.recording} is missing; reinstall the app."
            )
        return data


def _segment_ok(seg: Any) -> bool:
    return (
        isinstance(seg, dict)
        and all(isinstance(seg.get(k), int | float) for k in ("start", "end"))
        and all(isinstance(seg.get(k), str) for k in ("speaker", "text"))
        and isinstance(seg.get("words", []), list)
    )


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SampleDataMissing(
            f"The app's sample data is missing or damaged ({path.name}); reinstall the app."
        ) from exc


# ------------------------------------------------------------------------ add
def find_sample(store: StoreService) -> SampleResult | None:
    """The sample this store holds (as added here), or None."""
    saved = store.get_setting(SAMPLE_SETTING)
    if not isinstance(saved, dict):
        return None
    with store._session() as session:
        if session.get(Encounter, saved.get("encounter_id", "")) is None:
            return None
    try:
        return SampleResult(
            **{**saved, "jotting_ids": tuple(saved["jotting_ids"]), "created": False}
        )
    except (KeyError, TypeError):
        return None


def add_sample_session(store: StoreService, data: SampleData | None = None) -> SampleResult:
    """Add the sample (participant, consent, session, recording, transcript, jottings).

    Adding it again returns what is there. If adding fails half-way, what was added is
    taken out again, so a store never holds half a sample.
    """
    existing = find_sample(store)
    if existing is not None:
        return existing
    data = data or SampleData.load()
    remove_sample(store)  # leftovers of a sample the researcher partly deleted by hand
    made: dict[str, Any] = {}
    try:
        result = _add(store, data, made)
    except BaseException:
        if made:
            remove_sample(store, extra=made)
        raise
    store.audit("sample_added", "encounter", result.encounter_id)
    return result


def _add(store: StoreService, data: SampleData, made: dict[str, Any]) -> SampleResult:
    person, visit = data.participant, data.session
    participant = store.add_participant(
        SAMPLE_PSEUDONYM,
        SAMPLE_ROLE,
        kind=str(person.get("kind", "parent")),
        region=str(person.get("region", "")),
        notes=str(person.get("notes", "")),
    )
    made["participant_id"] = participant.id
    form = _form(store, str(data.consent.get("form", "adult-participant")))
    consent = store.consent.record(
        participant.id,
        form.id,
        _answers(form, data.consent.get("answers", {})),
        str(data.consent.get("method", "signed")),
        signature=signature_from_json(data.consent["signature"]),
    )
    encounter = store.add_encounter(
        str(visit.get("type", "home-visit")),
        SAMPLE_TITLE,
        participant_ids=[participant.id],
        summary=str(visit.get("summary", "")),
    )
    made["encounter_id"] = encounter.id
    recording = store.recordings.import_file(encounter.id, data.recording)
    transcript_id = _write_transcript(store, recording.id, participant.id, data.transcript)
    jottings = tuple(
        store.add_note(encounter.id, body, kind="jotting", offset_seconds=at,
                       recording_id=recording.id, tags=[SAMPLE_TAG]).id
        for at, body in data.jottings
    )  # fmt: skip
    result = SampleResult(
        participant.id, encounter.id, recording.id, transcript_id, consent.id, jottings, True
    )
    saved = dataclasses.asdict(result)
    del saved["created"]
    store.set_setting(SAMPLE_SETTING, {**saved, "jotting_ids": list(jottings)})
    return result


def _form(store: StoreService, ref: str) -> ConsentFormRecord:
    try:
        return store.consent.get_form(ref)
    except NotFound:
        adult = [f for f in store.consent.list_forms() if f.audience == "adult"]
        if not adult:
            raise
        return adult[-1]


def _answers(form: ConsentFormRecord, given: Mapping[str, Any]) -> dict[str, bool]:
    """The sample's answers on this store's version of the form: every required item
    and what the sample needs (recording, quotes, archiving) agreed; the rest as given."""
    return {
        item.id: item.required or item.governs in _GRANTED or bool(given.get(item.id, False))
        for item in form.items
    }


def _write_transcript(
    store: StoreService, recording_id: str, participant_id: str, data: Mapping[str, Any]
) -> str:
    """The transcript as the queue would have stored it, then corrected: each segment's
    machine text (the model's) is its first revision, the script's line its edit."""
    me = store.researcher_id
    by = {"created_by": me, "updated_by": me}
    segments = list(data["segments"])
    with store._session() as session:
        transcript = Transcript(
            recording_id=recording_id,
            model_name=str(data.get("model_name", "")),
            language=str(data.get("language", "en")),
            mode="accurate",
            duration_seconds=float(data.get("duration_seconds", 0.0)),
            **by,
        )
        session.add(transcript)
        session.flush()
        speakers: dict[str, str] = {}
        for label in dict.fromkeys(str(s["speaker"]) for s in segments):
            linked = participant_id if label == SAMPLE_PSEUDONYM else None
            speaker = TranscriptSpeaker(
                transcript_id=transcript.id, label=label, participant_id=linked, **by
            )
            session.add(speaker)
            session.flush()
            speakers[label] = speaker.id
        for position, seg in enumerate(segments):
            start, end, text = float(seg["start"]), float(seg["end"]), str(seg["text"])
            machine = str(seg.get("machine_text", text))
            words = [
                [str(w[0]), float(w[1]), float(w[2]), float(w[3])] for w in seg.get("words", [])
            ]
            row = TranscriptSegment(
                transcript_id=transcript.id,
                position=position,
                start=start,
                end=end,
                text=text,
                machine_text=machine,
                speaker_id=speakers[str(seg["speaker"])],
                words=words,
                **by,
            )
            session.add(row)
            session.flush()
            edits = [("machine", machine, None)] + ([("edit", text, me)] if text != machine else [])
            for action, revised, who in edits:
                session.add(
                    SegmentRevision(
                        transcript_id=transcript.id,
                        segment_id=row.id,
                        action=action,
                        text=revised,
                        start=start,
                        end=end,
                        researcher_id=who,
                    )
                )
        now = datetime.now(UTC)
        session.add(
            TranscriptionJob(
                recording_id=recording_id,
                status=JobStatus.DONE,
                mode="accurate",
                progress=1.0,
                transcript_id=transcript.id,
                started_at=now,
                finished_at=now,
                **by,
            )
        )
        return transcript.id


# --------------------------------------------------------------------- remove
def remove_sample(store: StoreService, *, extra: Mapping[str, Any] | None = None) -> SampleRemoval:
    """Take the sample out in one transaction: its session (recording, transcript,
    jottings, quotes), its participant (consent, certificate), their audit events, review
    decisions and merge records, the ``sample`` tag if nothing else uses it. Nothing of
    anyone else is touched: only sessions whose every participant is a sample one go."""
    saved = store.get_setting(SAMPLE_SETTING)
    known = dict(saved) if isinstance(saved, dict) else {}
    known.update(extra or {})
    with store._session() as session:
        marked, people = _sample_people(session, known.get("participant_id"))
        visits = _sample_sessions(session, known.get("encounter_id"), marked)
        gone = _ids_of(session, visits, people)
        if visits:
            session.execute(delete(Quote).where(Quote.encounter_id.in_(visits)))
            session.execute(delete(Encounter).where(Encounter.id.in_(visits)))
        if people:
            session.execute(delete(Quote).where(Quote.participant_id.in_(people)))
            session.execute(delete(Participant).where(Participant.id.in_(people)))
        everything = set().union(*gone.values()) | set(visits) | set(people)
        if everything:
            session.execute(
                delete(IdentifierDecision).where(IdentifierDecision.source_id.in_(everything))
            )
            session.execute(delete(AuditEvent).where(AuditEvent.target_id.in_(everything)))
            session.execute(delete(MergeState).where(MergeState.record_id.in_(everything)))
            session.execute(delete(MergeConflict).where(MergeConflict.record_id.in_(everything)))
        _drop_unused_tag(session)
        session.execute(delete(Setting).where(Setting.key == SAMPLE_SETTING))
        removal = SampleRemoval(
            len(visits), len(people), len(gone["recordings"]), len(gone["notes"])
        )
    if not removal.nothing:
        store.audit("sample_removed", sessions=removal.sessions)
    return removal


def _sample_people(session: Session, known: object) -> tuple[set[str], list[str]]:
    """The sample participant(s) (the one added here, and any a bundle brought), and
    those of them that may go: someone also in a real session is kept."""
    marked = set(
        session.scalars(
            select(Participant.id).where(
                Participant.pseudonym == SAMPLE_PSEUDONYM, Participant.role_label == SAMPLE_ROLE
            )
        )
    )
    if isinstance(known, str) and session.get(Participant, known) is not None:
        marked.add(known)
    removable = set(marked)
    for encounter in session.scalars(select(Encounter).where(Encounter.title != SAMPLE_TITLE)):
        removable -= {p.id for p in encounter.participants}
    return marked, sorted(removable)


def _sample_sessions(session: Session, known: object, people: set[str]) -> list[str]:
    """Sample sessions with no one in them but sample participants."""
    candidates = list(session.scalars(select(Encounter).where(Encounter.title == SAMPLE_TITLE)))
    if isinstance(known, str) and (visit := session.get(Encounter, known)) is not None:
        candidates.append(visit)
    return sorted({e.id for e in candidates if all(p.id in people for p in e.participants)})


def _ids_of(session: Session, visits: list[str], people: list[str]) -> dict[str, set[str]]:
    """Every id the removal takes with it (for the audit log and the merge records)."""

    def ids(column: Any, where: Any) -> set[str]:
        return set(session.scalars(select(column).where(where)))

    recordings = ids(Recording.id, Recording.encounter_id.in_(visits))
    transcripts = ids(Transcript.id, Transcript.recording_id.in_(recordings))
    return {
        "recordings": recordings,
        "transcripts": transcripts,
        "notes": ids(Fieldnote.id, Fieldnote.encounter_id.in_(visits)),
        "segments": ids(TranscriptSegment.id, TranscriptSegment.transcript_id.in_(transcripts)),
        "speakers": ids(TranscriptSpeaker.id, TranscriptSpeaker.transcript_id.in_(transcripts)),
        "jobs": ids(TranscriptionJob.id, TranscriptionJob.recording_id.in_(recordings)),
        "consent": ids(ConsentRecord.id, ConsentRecord.participant_id.in_(people)),
        "quotes": ids(Quote.id, Quote.encounter_id.in_(visits) | Quote.participant_id.in_(people)),
    }


def _drop_unused_tag(session: Session) -> None:
    tag = session.scalars(select(Tag).where(Tag.name == SAMPLE_TAG)).first()
    if tag is None:
        return
    used = session.scalars(select(fieldnote_tag.c.tag_id).where(fieldnote_tag.c.tag_id == tag.id))
    quoted = session.scalars(select(quote_tag.c.tag_id).where(quote_tag.c.tag_id == tag.id))
    if used.first() is None and quoted.first() is None:
        session.delete(tag)
