"""Reading and correcting transcripts. Reached as ``StoreService.transcripts``.

The machine's text is kept on every segment (``machine_text``) and as its first
revision; every correction (text, speaker, split, merge) adds a revision, so the history
of each segment can be seen and nothing the model wrote is ever lost.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.records import (
    JottingRecord,
    SegmentRecord,
    SpeakerRecord,
    TranscriptRecord,
    WordRecord,
)
from relations_desktop.core.store.lookup import get_or_missing
from relations_desktop.core.store.models import (
    Fieldnote,
    Participant,
    Recording,
    SegmentRevision,
    Transcript,
    TranscriptSegment,
    TranscriptSpeaker,
)

if TYPE_CHECKING:
    from relations_desktop.core.export.transcript_formats import ExportOptions
    from relations_desktop.core.services import StoreService


class RevisionRecord:
    __slots__ = ("action", "at", "end", "segment_id", "speaker_label", "start", "text")

    def __init__(self, row: SegmentRevision) -> None:
        self.segment_id, self.action, self.text = row.segment_id, row.action, row.text
        self.start, self.end, self.speaker_label, self.at = (
            row.start,
            row.end,
            row.speaker_label,
            row.at,
        )


class TranscriptService:
    def __init__(self, store: StoreService) -> None:
        self._store = store

    # ------------------------------------------------------------------ read
    def latest_for_recording(self, recording_id: str) -> TranscriptRecord | None:
        with self._store._session() as session:
            if session.get(Recording, recording_id) is None:
                raise NotFound(f"There is no recording with id {recording_id!r}.")
            transcript_id = session.scalar(
                select(Transcript.id)
                .where(Transcript.recording_id == recording_id)
                .order_by(Transcript.created_at.desc())
                .limit(1)
            )
        return None if transcript_id is None else self.get(transcript_id)

    def get(self, transcript_id: str) -> TranscriptRecord:
        with self._store._session() as session:
            transcript = _transcript(session, transcript_id)
            recording = session.get(Recording, transcript.recording_id)
            assert recording is not None
            speakers = {
                s.id: s
                for s in session.scalars(
                    select(TranscriptSpeaker)
                    .where(TranscriptSpeaker.transcript_id == transcript_id)
                    .order_by(TranscriptSpeaker.label)
                )
            }
            people = {
                p.id: p
                for p in session.scalars(
                    select(Participant).where(
                        Participant.id.in_(
                            [s.participant_id for s in speakers.values() if s.participant_id]
                        )
                    )
                )
            }
            segments = session.scalars(
                select(TranscriptSegment)
                .where(TranscriptSegment.transcript_id == transcript_id)
                .order_by(TranscriptSegment.position)
            ).all()
            jottings = session.scalars(
                select(Fieldnote)
                .where(Fieldnote.recording_id == recording.id)
                .order_by(Fieldnote.offset_seconds)
            ).all()
            return TranscriptRecord(
                id=transcript.id,
                recording_id=recording.id,
                encounter_id=recording.encounter_id,
                model_name=transcript.model_name,
                language=transcript.language,
                mode=transcript.mode,
                created_at=transcript.created_at,
                updated_at=transcript.updated_at,
                duration_seconds=transcript.duration_seconds,
                segments=[_segment(s, speakers) for s in segments],
                speakers=[_speaker(s, people) for s in speakers.values()],
                jottings=[JottingRecord(j.id, j.offset_seconds or 0.0, j.body) for j in jottings],
            )

    def history(self, segment_id: str) -> list[RevisionRecord]:
        with self._store._session() as session:
            rows = session.scalars(
                select(SegmentRevision)
                .where(SegmentRevision.segment_id == segment_id)
                .order_by(SegmentRevision.at)
            )
            return [RevisionRecord(r) for r in rows]

    # ------------------------------------------------------------------ edit
    def set_text(self, segment_id: str, text: str) -> SegmentRecord:
        with self._store._session() as session:
            segment = _segment_row(session, segment_id)
            if segment.text == text:
                return self._record(session, segment)
            segment.text = text
            return self._revised(session, segment, "edit")

    def set_speaker(self, segment_id: str, speaker_id: str | None) -> SegmentRecord:
        with self._store._session() as session:
            segment = _segment_row(session, segment_id)
            if speaker_id is not None:
                speaker = session.get(TranscriptSpeaker, speaker_id)
                if speaker is None or speaker.transcript_id != segment.transcript_id:
                    raise NotFound(f"There is no speaker {speaker_id!r} in this transcript.")
            segment.speaker_id = speaker_id
            return self._revised(session, segment, "speaker")

    def add_speaker(
        self, transcript_id: str, label: str, participant_id: str | None = None
    ) -> SpeakerRecord:
        label = label.strip()
        if not label:
            raise InvalidInput("A speaker needs a name, such as Interviewer or S2.")
        with self._store._session() as session:
            _transcript(session, transcript_id)
            speaker = TranscriptSpeaker(
                transcript_id=transcript_id, label=label, created_by=self._store.researcher_id
            )
            session.add(speaker)
            session.flush()
            self._link(session, speaker, participant_id)
            return _speaker(speaker, _people(session, speaker))

    def update_speaker(
        self, speaker_id: str, *, label: str | None = None, participant_id: str | Any | None = ...
    ) -> SpeakerRecord:
        """Rename (S1 → Interviewer) and/or link to a participant (None unlinks)."""
        with self._store._session() as session:
            speaker = session.get(TranscriptSpeaker, speaker_id)
            if speaker is None:
                raise NotFound(f"There is no speaker with id {speaker_id!r}.")
            if label is not None:
                if not label.strip():
                    raise InvalidInput("A speaker needs a name.")
                speaker.label = label.strip()
            if participant_id is not ...:
                self._link(session, speaker, participant_id)
            speaker.updated_by = self._store.researcher_id
            return _speaker(speaker, _people(session, speaker))

    def split(self, segment_id: str, at_char: int) -> tuple[SegmentRecord, SegmentRecord]:
        """Split a segment's text at a character (snapped back to a word start).

        Times and words follow the words while the text has as many words as the model
        gave; after edits that changed that, the time is placed in proportion to the text.
        """
        with self._store._session() as session:
            segment = _segment_row(session, segment_id)
            text = segment.text
            at_char = _word_start(text, at_char)
            first_text, second_text = text[:at_char].rstrip(), text[at_char:].lstrip()
            if not first_text or not second_text:
                raise InvalidInput("Split inside the text, between two words.")
            words = list(segment.words or [])
            # Words still line up with the text when their number did not change.
            cut = len(first_text.split()) if len(words) == len(text.split()) else None
            if cut is not None and 0 < cut < len(words):
                split_time = float(words[cut][1])
            else:
                split_time = segment.start + (segment.end - segment.start) * at_char / len(text)
                cut = next(
                    (i for i, w in enumerate(words) if float(w[1]) >= split_time), len(words)
                )
            unedited = segment.text == segment.machine_text
            session.execute(
                update(TranscriptSegment)
                .where(
                    TranscriptSegment.transcript_id == segment.transcript_id,
                    TranscriptSegment.position > segment.position,
                )
                .values(position=TranscriptSegment.position + 1)
            )
            second = TranscriptSegment(
                transcript_id=segment.transcript_id,
                position=segment.position + 1,
                start=split_time,
                end=segment.end,
                text=second_text,
                machine_text=second_text if unedited else "",
                speaker_id=segment.speaker_id,
                words=words[cut:],
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            segment.text, segment.end, segment.words = first_text, split_time, words[:cut]
            if unedited:  # the machine's text, split the same way: still not "edited"
                segment.machine_text = first_text
            session.add(second)
            session.flush()
            return self._revised(session, segment, "split"), self._revised(session, second, "split")

    def merge(self, first_id: str, second_id: str) -> SegmentRecord:
        """Join a segment with the one after it."""
        with self._store._session() as session:
            first, second = _segment_row(session, first_id), _segment_row(session, second_id)
            if first.transcript_id != second.transcript_id or second.position != first.position + 1:
                raise InvalidInput("Only a segment and the one right after it can be merged.")
            first.text = f"{first.text.rstrip()} {second.text.lstrip()}".strip()
            first.machine_text = f"{first.machine_text} {second.machine_text}".strip()
            first.end = max(first.end, second.end)
            first.words = list(first.words or []) + list(second.words or [])
            session.add(
                SegmentRevision(
                    transcript_id=second.transcript_id,
                    segment_id=second.id,
                    action="merge",
                    text="",
                    start=second.start,
                    end=second.end,
                    researcher_id=self._store.researcher_id,
                )
            )
            session.delete(second)
            session.flush()
            session.execute(
                update(TranscriptSegment)
                .where(
                    TranscriptSegment.transcript_id == first.transcript_id,
                    TranscriptSegment.position > second.position,
                )
                .values(position=TranscriptSegment.position - 1)
            )
            return self._revised(session, first, "merge")

    def export(
        self,
        transcript_id: str,
        fmt: str,
        path: Path | None,
        options: ExportOptions | None = None,
    ) -> TranscriptRecord:
        """Write the transcript as it may leave the store; return what was exported.

        Refused (``IdentifiersUnresolved``, nothing written) while a likely identifier in
        what the export includes is unresolved: the segments of everyone who has not
        withdrawn, and the jottings when they are asked for. The pseudonym register is
        applied to every text that goes into the file (:func:`transcript_formats.
        pseudonymised`); what withdrawn participants said is left out. With ``path`` None
        nothing is written and the caller prints the returned record (the command line's
        standard output); the export is audited all the same.
        """
        from relations_desktop.core.export import transcript_formats as formats
        from relations_desktop.core.review import FIELDNOTE, TRANSCRIPT, IdentifiersUnresolved

        options = options or formats.ExportOptions()
        formats.suffix(fmt)  # an unknown format is refused before the (slower) review
        transcript = self.without_withdrawn(self.get(transcript_id))
        segments = {s.id for s in transcript.segments}
        speakers = {f"speaker:{s.id}" for s in transcript.speakers} if options.speakers else set()
        jottings = {j.id for j in transcript.jottings} if options.jottings else set()
        flagged = [
            o
            for o in self._store.review.unresolved([transcript.encounter_id])
            if (o.source_type == TRANSCRIPT and o.source_id == transcript.id
                and (o.segment_id in segments or o.field in speakers))
            or (o.source_type == FIELDNOTE and o.source_id in jottings and o.field == "body")
        ]  # fmt: skip
        if flagged:
            places = list(dict.fromkeys(o.where for o in flagged))
            more = f"; and {len(places) - 5} more places" if len(places) > 5 else ""
            raise IdentifiersUnresolved(
                f"Export refused: {len(flagged)} likely identifier(s) in this transcript are "
                f"not pseudonymised or reviewed yet ({'; '.join(places[:5])}{more}). Review "
                f"them first (pseudonym check --encounter {transcript.encounter_id})."
            )
        replacer = self._store.pseudonyms.replacer()
        exported = formats.pseudonymised(transcript, replacer)
        if path is not None:
            titled = dataclasses.replace(options, title=replacer.apply(options.title))
            formats.write(exported, fmt, path, titled)
        self._store.audit(
            "transcript_exported",
            "transcript",
            transcript_id,
            format=fmt,
            path=str(path) if path is not None else "(standard output)",
            pseudonymised=True,
        )
        return exported

    def without_withdrawn(self, transcript: TranscriptRecord) -> TranscriptRecord:
        """The transcript without what was said by anyone who withdrew their data."""
        excluded = self._store.consent.excluded_participant_ids()
        gone = {s.id for s in transcript.speakers if s.participant_id in excluded}
        if not gone:
            return transcript
        return dataclasses.replace(
            transcript,
            segments=[seg for seg in transcript.segments if seg.speaker_id not in gone],
            speakers=[s for s in transcript.speakers if s.id not in gone],
        )

    def count(self) -> int:
        with self._store._session() as session:
            return int(session.scalar(select(func.count()).select_from(Transcript)) or 0)

    # --------------------------------------------------------------- helpers
    def _link(self, session: Session, speaker: TranscriptSpeaker, participant_id: Any) -> None:
        if participant_id is not None and session.get(Participant, participant_id) is None:
            raise NotFound(f"There is no participant with id {participant_id!r}.")
        speaker.participant_id = participant_id

    def _revised(self, session: Session, segment: TranscriptSegment, action: str) -> SegmentRecord:
        segment.updated_by = self._store.researcher_id
        session.flush()
        speakers = {
            s.id: s
            for s in session.scalars(
                select(TranscriptSpeaker).where(
                    TranscriptSpeaker.transcript_id == segment.transcript_id
                )
            )
        }
        label = speakers[segment.speaker_id].label if segment.speaker_id in speakers else ""
        session.add(
            SegmentRevision(
                transcript_id=segment.transcript_id,
                segment_id=segment.id,
                action=action,
                text=segment.text,
                start=segment.start,
                end=segment.end,
                speaker_label=label,
                researcher_id=self._store.researcher_id,
            )
        )
        return _segment(segment, speakers)

    def _record(self, session: Session, segment: TranscriptSegment) -> SegmentRecord:
        speakers = {
            s.id: s
            for s in session.scalars(
                select(TranscriptSpeaker).where(
                    TranscriptSpeaker.transcript_id == segment.transcript_id
                )
            )
        }
        return _segment(segment, speakers)


def _word_start(text: str, at_char: int) -> int:
    """Move a cut that falls inside a word back to the start of that word."""
    at_char = max(0, min(len(text), at_char))
    while (
        0 < at_char < len(text) and not text[at_char - 1].isspace() and not text[at_char].isspace()
    ):
        at_char -= 1
    return at_char


def _transcript(session: Session, transcript_id: str) -> Transcript:
    return get_or_missing(session, Transcript, transcript_id, "transcript")


def _segment_row(session: Session, segment_id: str) -> TranscriptSegment:
    return get_or_missing(session, TranscriptSegment, segment_id, "transcript segment")


def _people(session: Session, speaker: TranscriptSpeaker) -> dict[str, Participant]:
    if speaker.participant_id is None:
        return {}
    person = session.get(Participant, speaker.participant_id)
    return {} if person is None else {person.id: person}


def _speaker(row: TranscriptSpeaker, people: dict[str, Participant]) -> SpeakerRecord:
    person = people.get(row.participant_id or "")
    return SpeakerRecord(
        row.id,
        row.label,
        row.participant_id,
        f"{person.pseudonym} ({person.role_label})" if person else None,
    )


def _segment(row: TranscriptSegment, speakers: dict[str, TranscriptSpeaker]) -> SegmentRecord:
    speaker = speakers.get(row.speaker_id or "")
    return SegmentRecord(
        id=row.id,
        position=row.position,
        start=row.start,
        end=row.end,
        text=row.text,
        speaker_id=row.speaker_id,
        speaker_label=speaker.label if speaker else None,
        words=[
            WordRecord(str(w[0]), float(w[1]), float(w[2]), float(w[3])) for w in (row.words or [])
        ],
        machine_text=row.machine_text,
        edited=row.text != row.machine_text,
    )
