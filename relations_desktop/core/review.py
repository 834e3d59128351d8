"""The pseudonymisation review: every likely identifier the register does not cover, in
the notes and transcripts of a scope, and the researcher's decision on each.

Decisions: *replace* (a register entry is chosen or made, so every occurrence is
covered), *keep* (in this note or transcript, with a reason), or *ignore everywhere*.
The store keeps the originals; the register is applied to whatever leaves it, and an
export is refused while anything it includes is unresolved.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.identifiers import (
    DATE_OF_BIRTH,
    EMAIL,
    PHONE,
    POSTCODE,
    Finding,
    detect,
    significant,
)
from relations_desktop.core.pseudonyms import real_key
from relations_desktop.core.store.lookup import get_or_missing
from relations_desktop.core.store.models import (
    Encounter,
    Fieldnote,
    IdentifierDecision,
    Participant,
    Recording,
    Transcript,
    TranscriptSegment,
    TranscriptSpeaker,
    WithdrawalScope,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

FIELDNOTE, TRANSCRIPT, SESSION = "fieldnote", "transcript", "session"
CONTEXT = 60


class IdentifiersUnresolved(RelationsError):
    """An export would include likely identifiers nobody has decided on."""

    exit_code = 13


@dataclass(frozen=True)
class Occurrence:
    """One flagged string in its place."""

    source_type: str  # fieldnote or transcript
    source_id: str  # the note's id, or the transcript's
    segment_id: str | None  # for a transcript: which segment
    field: str  # where the offsets point: "body" or "title" of a note, "text" of a segment
    encounter_id: str
    encounter_title: str
    recording_id: str | None
    seconds: float | None  # for a transcript: where the segment starts
    start: int  # character offsets in the note body or the segment text
    end: int
    text: str
    category: str
    before: str  # context, for the review screen
    after: str

    @property
    def place(self) -> str:
        """The session and the kind of text, without the time: “Home visit”, fieldnote."""
        return f"“{self.encounter_title}”, {self.source_type}"

    @property
    def where(self) -> str:
        if self.source_type == SESSION:
            return f"“{self.encounter_title}”, session {self.field}"
        if self.field.startswith("speaker"):
            return f"{self.place}, speaker name"
        if self.source_type == FIELDNOTE:
            return self.place
        minutes, seconds = divmod(int(self.seconds or 0), 60)
        return f"{self.place} at {minutes:02d}:{seconds:02d}"


@dataclass(frozen=True)
class _Text:
    source_type: str
    source_id: str
    segment_id: str | None
    field: str
    encounter_id: str
    encounter_title: str
    recording_id: str | None
    seconds: float | None
    text: str


class _FindingCache:
    """Detection is the slow part: remember results by the text's hash (in memory only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[bytes, frozenset[str]], list[Finding]] = {}

    def detect(self, texts: Sequence[str], known: frozenset[str]) -> list[list[Finding]]:
        keys = [(hashlib.sha256(t.encode()).digest(), known) for t in texts]
        with self._lock:
            missing = [i for i, k in enumerate(keys) if k not in self._cache]
        if missing:
            found = detect([texts[i] for i in missing], known=known)
            with self._lock:
                for i, result in zip(missing, found, strict=True):
                    self._cache[keys[i]] = result
                if len(self._cache) > 200_000:
                    self._cache.clear()
        with self._lock:
            return [self._cache.get(k, []) for k in keys]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


class ReviewService:
    def __init__(self, store: StoreService) -> None:
        self._store = store
        self._findings = _FindingCache()

    def forget(self) -> None:
        """Drop the cached findings (they hold names): called when the store locks."""
        self._findings.clear()

    def unresolved(self, encounter_ids: Sequence[str] | None = None) -> list[Occurrence]:
        """Every flagged occurrence in the scope (all sessions when None) not yet decided."""
        replacer = self._store.pseudonyms.replacer()
        texts, known, decisions = self._gather(encounter_ids)
        findings = self._findings.detect([t.text for t in texts], frozenset(known))
        occurrences: list[Occurrence] = []
        for item, found in zip(texts, findings, strict=True):
            covered = [(r.start, r.end) for r in replacer.find(item.text)]
            for finding in (p for f in found for p in uncovered(f, covered, item.text)):
                key = real_key(finding.text)
                if ("", "", key) in decisions or (item.source_type, item.source_id, key) in (
                    decisions
                ):
                    continue
                occurrences.append(_occurrence(item, finding))
        return occurrences

    def check_export(self, encounter_ids: Sequence[str] | None = None) -> None:
        """Refuse (saying how many and where) while anything in the scope is unresolved."""
        open_items = self.unresolved(encounter_ids)
        if not open_items:
            return
        places: dict[str, int] = {}
        for item in open_items:
            places[item.place] = places.get(item.place, 0) + 1
        listed = "; ".join(f"{count} in {place}" for place, count in list(places.items())[:5])
        more = f"; and {len(places) - 5} more places" if len(places) > 5 else ""
        raise IdentifiersUnresolved(
            f"Export refused: {len(open_items)} likely identifier(s) are not pseudonymised or "
            f"reviewed yet ({listed}{more}). Review them first (pseudonym check)."
        )

    def keep(self, occurrence: Occurrence, reason: str) -> None:
        """Keep this string in this note or transcript (it is not identifying here)."""
        self._decide(occurrence.source_type, occurrence.source_id, occurrence.text, "keep", reason)

    def ignore_everywhere(self, text: str, reason: str = "") -> None:
        self._decide("", "", text, "ignore", reason)

    def replace(self, occurrence: Occurrence, replacement: str, kind: str = "other") -> None:
        """Add the string to the register (covering every occurrence of it). To use an
        existing entry's replacement, pass that replacement."""
        self._store.pseudonyms.add(occurrence.text, replacement, kind=kind)

    def _decide(self, source_type: str, source_id: str, text: str, decision: str,
                reason: str) -> None:  # fmt: skip
        text = text.strip()
        if not text:
            raise InvalidInput("There is nothing to decide on.")
        if decision == "keep" and not reason.strip():
            raise InvalidInput("Say why this is kept (e.g. “a public figure”, “not a name”).")
        key = real_key(text)
        with self._store._session() as session:
            row = session.scalars(
                select(IdentifierDecision).where(
                    IdentifierDecision.source_type == source_type,
                    IdentifierDecision.source_id == source_id,
                    IdentifierDecision.text_key == key,
                )
            ).first()
            if row is None:
                session.add(
                    IdentifierDecision(
                        project_id=self._store.project_id,
                        source_type=source_type,
                        source_id=source_id,
                        text=text[:300],
                        text_key=key[:300],
                        decision=decision,
                        reason=reason.strip(),
                        created_by=self._store.researcher_id,
                    )
                )
            else:
                row.decision, row.reason = decision, reason.strip()
        self._store.audit(
            "identifier_" + decision, source_type or "project", source_id, category="review"
        )

    def _gather(
        self, encounter_ids: Sequence[str] | None
    ) -> tuple[list[_Text], set[str], set[tuple[str, str, str]]]:
        with self._store._session() as session:
            query = select(Encounter)
            if encounter_ids is not None:
                for encounter_id in encounter_ids:
                    get_or_missing(session, Encounter, encounter_id, "session")
                query = query.where(Encounter.id.in_(list(encounter_ids)))
            rows_e = session.scalars(query).all()
            encounters = {e.id: e.title for e in rows_e}
            texts: list[_Text] = []
            # The session's own title and summary leave the store with it (bundles).
            for encounter in rows_e:
                for field, body in (("title", encounter.title), ("summary", encounter.summary)):
                    if body.strip():
                        texts.append(
                            _Text(SESSION, encounter.id, None, field, encounter.id,
                                  encounter.title, None, None, body)
                        )  # fmt: skip
            notes = session.scalars(
                select(Fieldnote)
                .where(Fieldnote.encounter_id.in_(list(encounters)))
                .order_by(Fieldnote.created_at)
            )
            for note in notes:
                title = encounters[note.encounter_id]
                for field, body in (("title", note.title), ("body", note.body)):
                    if body.strip():
                        texts.append(
                            _Text(
                                FIELDNOTE,
                                note.id,
                                None,
                                field,
                                note.encounter_id,
                                title,
                                None,
                                None,
                                body,
                            )
                        )
            rows = session.execute(
                select(TranscriptSegment, Transcript.id, Recording.id, Recording.encounter_id)
                .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
                .join(Recording, Recording.id == Transcript.recording_id)
                .where(Recording.encounter_id.in_(list(encounters)))
                .order_by(Recording.started_at, TranscriptSegment.position)
            ).all()
            speakers = session.execute(
                select(TranscriptSpeaker, Recording.id, Recording.encounter_id)
                .join(Transcript, Transcript.id == TranscriptSpeaker.transcript_id)
                .join(Recording, Recording.id == Transcript.recording_id)
                .where(Recording.encounter_id.in_(list(encounters)))
            ).all()
            for speaker, recording_id, encounter_id in speakers:
                if speaker.label.strip():
                    texts.append(
                        _Text(TRANSCRIPT, speaker.transcript_id, None, f"speaker:{speaker.id}",
                              encounter_id, encounters[encounter_id], recording_id, None,
                              speaker.label)
                    )  # fmt: skip
            # What withdrawn participants said is left out of every export: not reviewed.
            gone = set(
                session.scalars(
                    select(TranscriptSpeaker.id)
                    .join(Participant, Participant.id == TranscriptSpeaker.participant_id)
                    .where(Participant.withdrawal_scope == WithdrawalScope.ALL)
                )
            )
            for segment, transcript_id, recording_id, encounter_id in rows:
                if segment.text.strip() and segment.speaker_id not in gone:
                    texts.append(
                        _Text(
                            TRANSCRIPT,
                            transcript_id,
                            segment.id,
                            "text",
                            encounter_id,
                            encounters[encounter_id],
                            recording_id,
                            segment.start,
                            segment.text,
                        )
                    )
            known = {p for p in session.scalars(select(Participant.pseudonym))}
            decisions = {
                (d.source_type, d.source_id, d.text_key)
                for d in session.scalars(select(IdentifierDecision))
            }
        known |= {e.replacement for e in self._store.pseudonyms.list()}
        return texts, known, decisions


_WHOLE = frozenset((PHONE, EMAIL, POSTCODE, DATE_OF_BIRTH))


def uncovered(finding: Finding, covered: list[tuple[int, int]], text: str) -> list[Finding]:
    """What of a finding the register does not cover. A finding the register covers
    entirely is resolved; one it covers in part (``Lara Smith`` with only ``Lara`` in the
    register) leaves its other words flagged, or, for a phone number, an e-mail address,
    a postcode or a date, the whole finding."""
    inside = [(max(s, finding.start), min(e, finding.end)) for s, e in covered
              if s < finding.end and finding.start < e]  # fmt: skip
    if not inside:
        return [finding]
    left = [i for i in range(finding.start, finding.end) if text[i].isalnum()]
    if all(any(s <= i < e for s, e in inside) for i in left):
        return []
    if finding.category in _WHOLE:
        return [finding]
    pieces: list[Finding] = []
    cursor = finding.start
    for s, e in [*sorted(inside), (finding.end, finding.end)]:
        start, end = cursor, max(cursor, s)
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        if text[start:end].endswith(("'s", "’s")):
            end -= 2
        if end > start and significant(text[start:end]):
            piece = text[start:end]
            pieces.append(Finding(start, end, piece, finding.category, finding.source))
        cursor = max(cursor, e)
    return pieces


def _occurrence(item: _Text, finding: Finding) -> Occurrence:
    return Occurrence(
        source_type=item.source_type,
        source_id=item.source_id,
        segment_id=item.segment_id,
        field=item.field,
        encounter_id=item.encounter_id,
        encounter_title=item.encounter_title,
        recording_id=item.recording_id,
        seconds=item.seconds,
        start=finding.start,
        end=finding.end,
        text=finding.text,
        category=finding.category,
        before=item.text[max(0, finding.start - CONTEXT) : finding.start],
        after=item.text[finding.end : finding.end + CONTEXT],
    )
