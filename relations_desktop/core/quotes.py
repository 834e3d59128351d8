"""Quotes: a passage of a transcript or a fieldnote, pseudonymised, with its attribution
in the study's style — ``(Father, Scotland)`` or ``(Researcher Fieldnote, Scotland)`` —
and the quote bank that collects them for writing up.

A participant who has not agreed to anonymised quotes (or who withdrew) cannot be
quoted; the message says why.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from relations_desktop.core.consent.forms import Governs
from relations_desktop.core.errors import ConsentRequired, InvalidInput, NotFound
from relations_desktop.core.fsutil import atomic_write
from relations_desktop.core.review import IdentifiersUnresolved, Occurrence
from relations_desktop.core.store.lookup import get_or_missing
from relations_desktop.core.store.models import (
    Encounter,
    Fieldnote,
    Participant,
    Quote,
    Recording,
    Site,
    Tag,
    Transcript,
    TranscriptSegment,
    TranscriptSpeaker,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

CUT = "[...]"
RECORDING, FIELDNOTE = "recording", "fieldnote"


@dataclass(frozen=True)
class QuoteDraft:
    text: str  # pseudonymised, cuts shown as [...]
    attribution: str  # "(Father, Scotland)"
    source_type: str  # recording or fieldnote
    source_id: str
    encounter_id: str
    participant_id: str | None
    start: float  # seconds into the recording, or a character offset into the note
    end: float

    @property
    def formatted(self) -> str:
        return f"“{self.text}” {self.attribution}"


@dataclass(frozen=True)
class QuoteRecord:
    id: str
    text: str
    attribution: str
    source_type: str
    source_id: str
    encounter_id: str | None
    encounter_title: str
    participant_id: str | None
    start: float
    end: float
    note: str
    tags: list[str]
    created_at: datetime

    @property
    def formatted(self) -> str:
        return f"“{self.text}” {self.attribution}"


class QuoteService:
    def __init__(self, store: StoreService) -> None:
        self._store = store

    # --------------------------------------------------------------- drafting
    def from_recording(self, recording_id: str, start: float, end: float) -> QuoteDraft:
        """The words said between ``start`` and ``end`` seconds by the person speaking."""
        if not end > start >= 0:
            raise InvalidInput("A quote needs a start before its end (in seconds, from 0).")
        with self._store._session() as session:
            recording = get_or_missing(session, Recording, recording_id, "recording")
            transcript = _latest_transcript(session, recording.id)
            segments = [
                s
                for s in _segments(session, transcript.id)
                if s.end > start and s.start < end and s.text.strip()
            ]
            if not segments:
                raise InvalidInput(f"Nothing is transcribed between {start:.1f} s and {end:.1f} s.")
            speaker_id = _quoted_speaker(session, segments, start, end)
            pieces = _passage(segments, speaker_id, start, end)
            draft = self._draft(session, recording, speaker_id, pieces, start, end)
            segment_ids = {s.id for s in segments if s.speaker_id == speaker_id}
        self._check_reviewed(draft, lambda o: o.segment_id in segment_ids)
        return draft

    def from_segments(self, segment_ids: Sequence[str]) -> QuoteDraft:
        """Selected segments of one speaker; skipped segments become [...]."""
        if not segment_ids:
            raise InvalidInput("Select the passage to quote first.")
        with self._store._session() as session:
            rows = [get_or_missing(session, TranscriptSegment, i, "segment") for i in segment_ids]
            transcripts = {r.transcript_id for r in rows}
            if len(transcripts) != 1:
                raise InvalidInput("A quote comes from one transcript.")
            speakers = {r.speaker_id for r in rows}
            if len(speakers) != 1:
                raise InvalidInput("A quote is one person's words: select one speaker's text.")
            transcript = get_or_missing(session, Transcript, rows[0].transcript_id, "transcript")
            recording = get_or_missing(session, Recording, transcript.recording_id, "recording")
            rows.sort(key=lambda r: r.position)
            pieces: list[str] = []
            for previous, row in zip([None, *rows], rows, strict=False):
                if previous is not None and row.position != previous.position + 1:
                    pieces.append(CUT)
                pieces.append(row.text.strip())
            draft = self._draft(
                session, recording, rows[0].speaker_id, pieces, rows[0].start, rows[-1].end
            )
            chosen = {r.id for r in rows}
        self._check_reviewed(draft, lambda o: o.segment_id in chosen)
        return draft

    def from_note(self, note_id: str, start: int, end: int) -> QuoteDraft:
        with self._store._session() as session:
            note = get_or_missing(session, Fieldnote, note_id, "note")
            if not 0 <= start < end <= len(note.body):
                raise InvalidInput(
                    f"Characters {start}–{end} are not inside the note (it has {len(note.body)})."
                )
            passage = " ".join(note.body[start:end].split())
            if not passage:
                raise InvalidInput("The selected text is empty.")
            for person in note.participants:
                self._check_quotable(person)
            encounter = get_or_missing(session, Encounter, note.encounter_id, "session")
            region = _encounter_region(session, encounter)
            attribution = (
                f"(Researcher Fieldnote, {region})" if region else ("(Researcher Fieldnote)")
            )
            text = self._store.pseudonyms.apply(passage)
            draft = QuoteDraft(text, attribution, FIELDNOTE, note.id, encounter.id, None,
                              float(start), float(end))  # fmt: skip
        self._check_reviewed(
            draft,
            lambda o: o.source_id == note_id and o.field == "body"
            and o.start < end and o.end > start,
        )  # fmt: skip
        return draft

    def _check_reviewed(self, draft: QuoteDraft, inside: Callable[[Occurrence], bool]) -> None:
        """A quote leaves the store: refuse it while the passage holds unreviewed names."""
        found = [o for o in self._store.review.unresolved([draft.encounter_id]) if inside(o)]
        if found:
            names = ", ".join(dict.fromkeys(o.text for o in found))
            raise IdentifiersUnresolved(
                f"The passage has {len(found)} likely identifier(s) not pseudonymised or "
                f"reviewed yet ({names}); review them first."
            )

    def _draft(
        self,
        session: Session,
        recording: Recording,
        speaker_id: str | None,
        pieces: list[str],
        start: float,
        end: float,
    ) -> QuoteDraft:
        speaker = session.get(TranscriptSpeaker, speaker_id) if speaker_id else None
        if speaker is None or speaker.participant_id is None:
            raise InvalidInput(
                "Link this speaker to a participant first: the attribution comes from "
                "their record (role and region)."
            )
        person = get_or_missing(session, Participant, speaker.participant_id, "participant")
        self._check_quotable(person)
        encounter = get_or_missing(session, Encounter, recording.encounter_id, "session")
        region = person.region or _encounter_region(session, encounter)
        attribution = f"({person.role_label}, {region})" if region else f"({person.role_label})"
        text = self._store.pseudonyms.apply(" ".join(p for p in pieces if p))
        return QuoteDraft(text, attribution, RECORDING, recording.id, encounter.id, person.id,
                          start, end)  # fmt: skip

    def _check_quotable(self, person: Participant) -> None:
        state = self._store.consent.state(person.id)
        if not state.allows(Governs.ANONYMISED_QUOTES):
            raise ConsentRequired(
                f"{person.pseudonym} ({person.role_label}) cannot be quoted: they "
                f"{state.why_not(Governs.ANONYMISED_QUOTES)}."
            )

    # ------------------------------------------------------------- the bank
    def save(self, draft: QuoteDraft, *, tags: Sequence[str] = (), note: str = "") -> QuoteRecord:
        with self._store._session() as session:
            row = Quote(
                project_id=self._store.project_id,
                text=draft.text,
                attribution=draft.attribution,
                source_type=draft.source_type,
                source_id=draft.source_id,
                encounter_id=draft.encounter_id,
                participant_id=draft.participant_id,
                start=draft.start,
                end=draft.end,
                note=note.strip(),
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            row.tags = self._store._tags(session, tags)
            session.add(row)
            session.flush()
            record = _record(session, row)
        self._store.audit("quote_saved", "quote", record.id, source=record.source_type)
        return record

    def update(
        self, quote_id: str, *, tags: Sequence[str] | None = None, note: str | None = None
    ) -> QuoteRecord:
        with self._store._session() as session:
            row = get_or_missing(session, Quote, quote_id, "quote")
            if tags is not None:
                row.tags = self._store._tags(session, tags)
            if note is not None:
                row.note = note.strip()
            row.updated_by = self._store.researcher_id
            session.flush()
            return _record(session, row)

    def remove(self, quote_id: str) -> None:
        with self._store._session() as session:
            session.delete(get_or_missing(session, Quote, quote_id, "quote"))
        self._store.audit("quote_removed", "quote", quote_id)

    def list(self, tag: str | None = None) -> list[QuoteRecord]:
        with self._store._session() as session:
            query = select(Quote).order_by(Quote.created_at)
            if tag:
                query = query.where(Quote.tags.any(Tag.name == tag.strip().lower()))
            excluded = self._store.consent.excluded_participant_ids()
            return [
                _record(session, q)
                for q in session.scalars(query)
                if q.participant_id not in excluded
            ]

    def export_docx(self, path: Path, quote_ids: Sequence[str] | None = None) -> int:
        """The quote bank (or the chosen quotes) as a Word document; how many were written."""
        from docx import Document

        path = Path(path)
        if path.is_dir():
            raise InvalidInput(f"{path} is a folder; give a file name. Nothing was written.")
        if not path.parent.is_dir():
            raise InvalidInput(f"The folder {path.parent} does not exist; nothing was written.")
        quotes = self.list()
        if quote_ids is not None:
            wanted = set(quote_ids)
            quotes = [q for q in quotes if q.id in wanted]
        # The register is applied again: entries added since a quote was saved count too,
        # and session titles and tags are the researcher's own words.
        apply = self._store.pseudonyms.replacer().apply
        document = Document()
        document.add_heading("Quotes", level=1)
        for quote in quotes:
            paragraph = document.add_paragraph(style="Quote")
            paragraph.add_run(f"“{apply(quote.text)}”")
            paragraph.add_run(f" {apply(quote.attribution)}").italic = True
            details = [f"From: {apply(quote.encounter_title)}"]
            if quote.source_type == RECORDING:
                minutes, seconds = divmod(int(quote.start), 60)
                details.append(f"at {minutes:02d}:{seconds:02d}")
            if quote.tags:
                details.append("tags: " + ", ".join(apply(t) for t in quote.tags))
            document.add_paragraph(" · ".join(details))
        data = io.BytesIO()
        document.save(data)
        atomic_write(path, data.getvalue())  # owner-only, whole or not at all
        self._store.audit("quotes_exported", "quote", "", count=len(quotes), path=str(path))
        return len(quotes)


def _latest_transcript(session: Session, recording_id: str) -> Transcript:
    transcript = session.scalars(
        select(Transcript)
        .where(Transcript.recording_id == recording_id)
        .order_by(Transcript.created_at.desc())
    ).first()
    if transcript is None:
        raise NotFound("This recording has no transcript yet; transcribe it first.")
    return transcript


def _segments(session: Session, transcript_id: str) -> list[TranscriptSegment]:
    return list(
        session.scalars(
            select(TranscriptSegment)
            .where(TranscriptSegment.transcript_id == transcript_id)
            .order_by(TranscriptSegment.position)
        )
    )


def _quoted_speaker(
    session: Session, segments: list[TranscriptSegment], start: float, end: float
) -> str | None:
    """Whose words a time range quotes: of the speakers linked to a participant, the one
    who speaks longest in it (the interviewer's questions in between become cuts); when
    nobody there is linked, the first speaker (and the quote is refused for that)."""
    spoken: dict[str, float] = {}
    for segment in segments:
        if segment.speaker_id is not None:
            overlap = min(end, segment.end) - max(start, segment.start)
            spoken[segment.speaker_id] = spoken.get(segment.speaker_id, 0.0) + overlap
    linked = [
        speaker_id
        for speaker_id in spoken
        if (row := session.get(TranscriptSpeaker, speaker_id)) is not None
        and row.participant_id is not None
    ]
    if linked:
        return max(linked, key=lambda s: spoken[s])  # the first of equals: dicts keep order
    return next((s.speaker_id for s in segments if s.speaker_id), None)


def _passage(
    segments: list[TranscriptSegment], speaker_id: str | None, start: float, end: float
) -> list[str]:
    """The speaker's words in [start, end]; other people's turns become [...]."""
    pieces: list[str] = []
    for segment in segments:
        if segment.speaker_id != speaker_id:
            if pieces and pieces[-1] != CUT:
                pieces.append(CUT)
            continue
        # The model's word times choose the words; the words themselves come from the
        # segment's text as corrected (the model's words are not updated by edits). When
        # an edit changed the number of words, the times no longer fit: the whole segment.
        words, tokens = segment.words or [], segment.text.split()
        inside = [i for i, w in enumerate(words) if start <= (float(w[1]) + float(w[2])) / 2 <= end]
        if len(words) == len(tokens) and 0 < len(inside) < len(tokens):
            text = " ".join(tokens[i] for i in inside)
        else:
            text = segment.text.strip()
        if text:
            pieces.append(text)
    while pieces and pieces[-1] == CUT:
        pieces.pop()
    return pieces


def _encounter_region(session: Session, encounter: Encounter) -> str:
    if encounter.site_id:
        site = session.get(Site, encounter.site_id)
        if site is not None and site.region:
            return site.region
    regions = {p.region for p in encounter.participants if p.region}
    return regions.pop() if len(regions) == 1 else ""


def _record(session: Session, row: Quote) -> QuoteRecord:
    encounter = session.get(Encounter, row.encounter_id) if row.encounter_id else None
    return QuoteRecord(
        id=row.id,
        text=row.text,
        attribution=row.attribution,
        source_type=row.source_type,
        source_id=row.source_id,
        encounter_id=row.encounter_id,
        encounter_title=encounter.title if encounter else "",
        participant_id=row.participant_id,
        start=row.start,
        end=row.end,
        note=row.note,
        tags=[t.name for t in row.tags],
        created_at=row.created_at,
    )
