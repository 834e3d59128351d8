"""What goes into a bundle: pseudonymised records as canonical JSON, and audio as the
store's own FLAC chunks (see docs/bundle-format.md, "What the data holds").

:class:`BundleContent` decides the scope once (which sessions, which people, which
recordings) and then yields the data entries in bundle order, as often as asked: the
sealer walks them twice, once to hash them for the manifest and once to write them, so
no more than one entry is ever in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from relations_desktop.core.bundle_format import json_bytes
from relations_desktop.core.bundle_scope import changed_encounters, plain_records
from relations_desktop.core.export.transcript_formats import pseudonymised
from relations_desktop.core.sample import SAMPLE_SETTING
from relations_desktop.core.store.models import (
    AudioChunk,
    ConsentWithdrawal,
    Encounter,
    Family,
    Fieldnote,
    Participant,
    Recording,
    Site,
    Transcript,
    TranscriptSegment,
    TranscriptSpeaker,
    WithdrawalScope,
    encounter_participant,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from relations_desktop.core.pseudonyms import Replacer
    from relations_desktop.core.services import StoreService

AUDIO_BATCH = 64  # chunks (about a second each) read per query


class BundleContent:
    """The records of one bundle. ``scope`` None means every session; ``since`` keeps
    only sessions with something changed after it (``seal --since-last``)."""

    def __init__(
        self,
        store: StoreService,
        scope: list[str] | None,
        since: datetime | None = None,
        with_audio: bool = False,
    ) -> None:
        self._store = store
        self._replacer: Replacer = store.pseudonyms.replacer()
        self._excluded = store.consent.excluded_participant_ids()
        self.with_audio = with_audio
        # The bundled sample session (core/sample.py) is fictional: it stays home unless
        # the researcher names it.
        sample = store.get_setting(SAMPLE_SETTING) or {}
        named = set(scope or ())
        if (
            isinstance(sample.get("participant_id"), str)
            and sample.get("encounter_id") not in named
        ):
            self._excluded.add(sample["participant_id"])
        with store._session() as session:
            if since is not None:
                changed = changed_encounters(session, since)
                scope = sorted(changed if scope is None else changed & set(scope))
            query = select(Encounter).order_by(Encounter.date, Encounter.id)
            if scope is not None:
                query = query.where(Encounter.id.in_(scope))
            if sample.get("encounter_id") and sample["encounter_id"] not in named:
                query = query.where(Encounter.id != sample["encounter_id"])
            self.encounters = [self._encounter(e) for e in session.scalars(query)]
            ids = [e["id"] for e in self.encounters]
            self.notes = [
                self._fieldnote(n)
                for n in session.scalars(
                    select(Fieldnote)
                    .where(Fieldnote.encounter_id.in_(ids))
                    .order_by(Fieldnote.created_at, Fieldnote.id)
                )
            ]
            recordings = list(
                session.scalars(
                    select(Recording)
                    .where(Recording.encounter_id.in_(ids))
                    .order_by(Recording.started_at, Recording.id)
                )
            )
            self.audio_withheld = self._audio_withheld(session, ids) if with_audio else set()
            self.recordings = [self._recording(session, r) for r in recordings]
            self.transcript_ids = list(
                session.scalars(
                    select(Transcript.id)
                    .where(Transcript.recording_id.in_([r.id for r in recordings]))
                    .order_by(Transcript.created_at, Transcript.id)
                )
            )
            people = select(Participant).order_by(Participant.id)
            if scope is not None:
                wanted = {p for e in self.encounters for p in e["participant_ids"]}
                wanted |= {p for n in self.notes for p in n["participant_ids"]}
                people = people.where(Participant.id.in_(wanted))
            self.people_ids = [p.id for p in session.scalars(people) if p.id not in self._excluded]
            family_ids, site_ids = self._register_ids(session)
            self.sites = [
                self._site(s)
                for s in session.scalars(
                    select(Site).where(Site.id.in_(site_ids)).order_by(Site.id)
                )
            ]
            self.families = [
                self._family(f)
                for f in session.scalars(
                    select(Family).where(Family.id.in_(family_ids)).order_by(Family.id)
                )
            ]
            recent = (
                None
                if since is None
                else set(
                    session.scalars(
                        select(ConsentWithdrawal.participant_id).where(
                            ConsentWithdrawal.updated_at > since
                        )
                    )
                )
            )
            self.withdrawals = [
                {
                    "participant_id": p.id,
                    "scope": p.withdrawal_scope.value if p.withdrawal_scope else "all",
                    "withdrawn_on": p.withdrawn_on.isoformat() if p.withdrawn_on else None,
                }
                for p in session.scalars(
                    select(Participant)
                    .where(Participant.withdrawal_scope == WithdrawalScope.ALL)
                    .order_by(Participant.id)
                )
            ]

            self.new_withdrawals = (
                len(self.withdrawals)
                if recent is None
                else sum(w["participant_id"] in recent for w in self.withdrawals)
            )

    @property
    def empty(self) -> bool:
        """Nothing to send: no session, and no withdrawal the team has not been told of."""
        return not self.encounters and not self.new_withdrawals

    @property
    def counts(self) -> dict[str, int]:
        return {
            "sites": len(self.sites),
            "families": len(self.families),
            "participants": len(self.people_ids),
            "encounters": len(self.encounters),
            "recordings": len(self.recordings),
            "audio_chunks": sum(
                len(r["audio"]["chunks"]) for r in self.recordings if r["audio"] is not None
            ),
            "fieldnotes": len(self.notes),
            "transcripts": len(self.transcript_ids),
            "withdrawals": len(self.withdrawals),
        }

    # ------------------------------------------------------------ the entries
    def entries(self, kept: Mapping[str, bytes] | None = None) -> Iterator[tuple[str, bytes]]:
        """Every data entry in bundle order; callable again for the second pass, which
        takes the entries ``kept`` from the first as they are instead of making them
        again."""
        kept = kept or {}

        def entry(name: str, make: Callable[[], bytes]) -> tuple[str, bytes]:
            return name, kept[name] if name in kept else make()

        yield entry("data/sites.json", lambda: json_bytes(self.sites))
        yield entry("data/families.json", lambda: json_bytes(self.families))
        yield entry(
            "data/participants.json",
            lambda: json_bytes([self._participant(p) for p in self.people_ids]),
        )
        yield entry("data/encounters.json", lambda: json_bytes(self.encounters))
        yield entry("data/recordings.json", lambda: json_bytes(self.recordings))
        for recording in self.recordings:
            if recording["audio"] is not None:
                yield from self._audio(recording["id"])
        yield entry("data/fieldnotes.json", lambda: json_bytes(self.notes))
        for transcript_id in self.transcript_ids:
            yield entry(
                f"data/transcripts/{transcript_id}.json",
                lambda t=transcript_id: self._transcript(t),  # type: ignore[misc]
            )
        yield entry("data/withdrawals.json", lambda: json_bytes(self.withdrawals))

    def _audio(self, recording_id: str) -> Iterator[tuple[str, bytes]]:
        next_seq = 0
        while True:
            with self._store._session() as session:
                rows = session.execute(
                    select(AudioChunk.seq, AudioChunk.data)
                    .where(AudioChunk.recording_id == recording_id, AudioChunk.seq >= next_seq)
                    .order_by(AudioChunk.seq)
                    .limit(AUDIO_BATCH)
                ).all()
            if not rows:
                return
            for seq, data in rows:
                yield f"data/audio/{recording_id}/{seq:06d}.flac", bytes(data)
                next_seq = seq + 1

    def _transcript(self, transcript_id: str) -> bytes:
        store = self._store
        record = store.transcripts.without_withdrawn(store.transcripts.get(transcript_id))
        data: dict[str, Any] = plain_records(pseudonymised(record, self._replacer))
        with store._session() as session:
            latest = [
                session.scalar(
                    select(func.max(model.updated_at)).where(model.transcript_id == transcript_id)
                )
                for model in (TranscriptSegment, TranscriptSpeaker)
            ]
        data["updated_at"] = max([record.updated_at, *(t for t in latest if t is not None)])
        return json_bytes(data)

    # ---------------------------------------------------------------- records
    def _participant(self, participant_id: str) -> dict[str, Any]:
        state = self._store.consent.state(participant_id)
        with self._store._session() as session:
            p = session.get(Participant, participant_id)
            assert p is not None
            return {
                "id": p.id,
                "pseudonym": p.pseudonym,
                "role": p.role_label,
                "region": p.region,
                "kind": p.kind.value,
                "age_band": p.age_band,
                "sector": p.sector,
                "on_ost": p.on_ost,
                "site_id": p.site_id,
                "family_id": p.family_id,
                "withdrawal_scope": p.withdrawal_scope.value if p.withdrawal_scope else None,
                "updated_at": p.updated_at.isoformat(),
                "consent": {
                    "decisions": state.decisions,
                    "missing": list(state.missing),
                    "withdrawn_scope": state.withdrawn_scope,
                    "withdrawn_on": state.withdrawn_on,
                    "summary": state.summary,
                },
            }

    def _encounter(self, e: Encounter) -> dict[str, Any]:
        apply = self._replacer.apply
        return {
            "id": e.id,
            "type": e.encounter_type.value,
            "title": apply(e.title),
            "date": e.date.isoformat(),
            "site_id": e.site_id,
            "summary": apply(e.summary),
            "participant_ids": sorted(p.id for p in e.participants if p.id not in self._excluded),
            "created_by": e.created_by,
            "updated_at": e.updated_at.isoformat(),
        }

    def _fieldnote(self, n: Fieldnote) -> dict[str, Any]:
        apply = self._replacer.apply
        return {
            "id": n.id,
            "encounter_id": n.encounter_id,
            "kind": n.kind.value,
            "title": apply(n.title),
            "body": apply(n.body),
            "offset_seconds": n.offset_seconds,
            "recording_id": n.recording_id,
            "tags": [t.name for t in n.tags],
            "participant_ids": sorted(p.id for p in n.participants if p.id not in self._excluded),
            "created_by": n.created_by,
            "updated_at": n.updated_at.isoformat(),
        }

    def _recording(self, session: Session, r: Recording) -> dict[str, Any]:
        audio = None
        if self.with_audio and r.encounter_id not in self.audio_withheld:
            chunks = session.execute(
                select(AudioChunk.seq, AudioChunk.start_frame, AudioChunk.frames)
                .where(AudioChunk.recording_id == r.id)
                .order_by(AudioChunk.seq)
            ).all()
            audio = {"chunks": [list(row) for row in chunks]}
        return {
            "id": r.id,
            "encounter_id": r.encounter_id,
            "status": r.status.value,
            "source": r.source.value,
            "sample_rate": r.sample_rate,
            "channels": r.channels,
            "codec": r.codec,
            "frames": r.frames,
            "started_at": r.started_at.isoformat(),
            "ended_at": r.ended_at.isoformat() if r.ended_at else None,
            "original_name": self._replacer.apply(r.original_name),
            "overflow_count": r.overflow_count,
            "stop_reason": r.stop_reason,
            "updated_at": r.updated_at.isoformat(),
            "audio": audio,
            "audio_withheld": r.encounter_id in self.audio_withheld,
        }

    def _site(self, s: Site) -> dict[str, Any]:
        apply = self._replacer.apply
        return {
            "id": s.id,
            "name": apply(s.name),
            "site_type": s.site_type.value,
            "region": s.region,
            "notes": apply(s.notes),
            "updated_at": s.updated_at.isoformat(),
        }

    def _family(self, f: Family) -> dict[str, Any]:
        apply = self._replacer.apply
        return {
            "id": f.id,
            "label": apply(f.label),
            "notes": apply(f.notes),
            "household": f.household.value if f.household else None,
            "region": f.region,
            "site_id": f.site_id,
            "updated_at": f.updated_at.isoformat(),
            "children": [
                {
                    "id": c.id,
                    "label": apply(c.label),
                    "age_band": c.age_band,
                    "living_arrangement": c.living_arrangement.value,
                    "child_protection": c.child_protection.value,
                    "family_support": c.family_support,
                }
                for c in f.children
            ],
        }

    # ------------------------------------------------------------------ scope
    def _audio_withheld(self, session: Session, encounter_ids: list[str]) -> set[str]:
        """Sessions whose audio stays home: someone present withdrew their data. Their
        words are cut from the transcript, but a voice cannot be cut from a recording."""
        if not self._excluded:
            return set()
        rows = session.execute(
            select(encounter_participant.c.encounter_id).where(
                encounter_participant.c.encounter_id.in_(encounter_ids),
                encounter_participant.c.participant_id.in_(self._excluded),
            )
        )
        return {row[0] for row in rows}

    def _register_ids(self, session: Session) -> tuple[set[str], set[str]]:
        families: set[str] = set()
        sites = {e["site_id"] for e in self.encounters if e["site_id"]}
        for p in session.scalars(select(Participant).where(Participant.id.in_(self.people_ids))):
            if p.family_id:
                families.add(p.family_id)
            if p.site_id:
                sites.add(p.site_id)
        for f in session.scalars(select(Family).where(Family.id.in_(families))):
            if f.site_id:
                sites.add(f.site_id)
        return families, sites
