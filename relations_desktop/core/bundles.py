"""Sealing and verifying bundles (issue 7, part 2 and part 4's verify; see
docs/bundle-format.md).

``seal`` writes an age file (``pyrage.encrypt_io``, streamed) encrypted to every roster
member and to the sealing researcher, holding a tar stream (``tarfile`` mode ``w|``):
``manifest.json``, its detached minisign signature, then pseudonymised JSON data. The
tar is produced piece by piece as age reads it, so only one data file is ever in memory.
``verify`` decrypts with this store's identity (``pyrage.decrypt_io`` in a thread,
feeding a pipe that ``tarfile`` reads in mode ``r|``), checks the signature against the
roster and every entry against the signed manifest, and writes nothing anywhere.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyrage
from sqlalchemy import select

from relations_desktop.core.bundle_format import (
    BUNDLE_FORMAT,
    MANIFEST_NAME,
    SCHEMA_REVISION,
    SIGNATURE_NAME,
    json_bytes,
)
from relations_desktop.core.bundle_io import (
    Decrypted,
    Producer,
    VerifyResult,
    check_stream,
    write_age,
)
from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.export.transcript_formats import pseudonymised
from relations_desktop.core.review import IdentifiersUnresolved
from relations_desktop.core.store.models import (
    Encounter,
    Fieldnote,
    Participant,
    Recording,
    Researcher,
    ResearcherKey,
    Transcript,
)
from relations_desktop.core.team import key_id

if TYPE_CHECKING:
    from relations_desktop.core.pseudonyms import Replacer
    from relations_desktop.core.services import StoreService


@dataclass(frozen=True)
class SealResult:
    path: str
    bundle_id: str
    recipients: int
    files: int
    counts: dict[str, int]


class BundleService:
    def __init__(self, store: StoreService) -> None:
        self._store = store

    # ------------------------------------------------------------------ seal
    def seal(self, out: Path, encounter_ids: Sequence[str] | None = None) -> SealResult:
        """Seal the given sessions (all when none) into ``out``; see the module docstring.

        Refused with nothing written: an empty roster, an unknown session, or likely
        identifiers in the scope that nobody has reviewed.
        """
        members = self._store.team.list_members()
        if not members:
            raise InvalidInput(
                "The team roster is empty: a bundle is encrypted to the team, so import the "
                "roster first (team import). Nothing was written."
            )
        scope = list(dict.fromkeys(e.strip() for e in encounter_ids)) if encounter_ids else None
        for encounter_id in scope or ():
            self._store.get_encounter(encounter_id)  # NotFound for an unknown id
        self._check_reviewed(scope)
        keys = self._store.team.my_keys()
        recipients = sorted({m.age_recipient for m in members} | {keys.age_recipient})
        files, counts = self._collect(scope)
        listed: list[dict[str, Any]] = []
        expected: dict[str, str] = {}
        for name, produce in files:
            data = produce()
            expected[name] = hashlib.sha256(data).hexdigest()
            listed.append({"path": name, "size": len(data), "sha256": expected[name]})
        with self._store._session() as session:
            me = session.get(Researcher, self._store.researcher_id)
            name = me.name if me is not None else "Researcher"
        bundle_id = str(uuid.uuid4())
        manifest = {
            "format": BUNDLE_FORMAT,
            "schema_revision": SCHEMA_REVISION,
            "bundle_id": bundle_id,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "researcher": {
                "id": self._store.researcher_id,
                "name": name,
                "signing_key_id": keys.signing_key_id,
            },
            "scope": scope or "all",
            "counts": counts,
            "files": listed,
        }
        manifest_data = json_bytes(manifest)
        signature = self._store.team.sign(
            manifest_data, f"{BUNDLE_FORMAT} v{SCHEMA_REVISION} id={bundle_id}"
        )
        entries: list[tuple[str, Producer]] = [
            (MANIFEST_NAME, lambda: manifest_data),
            (SIGNATURE_NAME, lambda: signature),
            *((n, _checked(n, p, expected[n])) for n, p in files),
        ]
        write_age(out.expanduser(), entries, recipients)
        self._store.audit(
            "bundle_sealed",
            "bundle",
            bundle_id,
            path=str(out),
            recipients=len(recipients),
            counts=counts,
        )
        return SealResult(str(out), bundle_id, len(recipients), len(listed), counts)

    def _check_reviewed(self, scope: list[str] | None) -> None:
        open_items = self._store.review.unresolved(scope)
        if not open_items:
            return
        places: dict[str, int] = {}
        for item in open_items:
            places[item.place] = places.get(item.place, 0) + 1
        listed = "; ".join(f"{count} in {place}" for place, count in list(places.items())[:5])
        more = f"; and {len(places) - 5} more places" if len(places) > 5 else ""
        raise IdentifiersUnresolved(
            f"Sealing refused: {len(open_items)} likely identifier(s) are not pseudonymised "
            f"or reviewed yet ({listed}{more}). Review them first (pseudonym check). "
            "Nothing was written."
        )

    def _collect(
        self, scope: list[str] | None
    ) -> tuple[list[tuple[str, Producer]], dict[str, int]]:
        """The data files, each a function making its bytes (called once to hash, once to
        write), and the counts that go in the manifest."""
        store = self._store
        replacer = store.pseudonyms.replacer()
        excluded = store.consent.excluded_participant_ids()
        with store._session() as session:
            query = select(Encounter).order_by(Encounter.date, Encounter.id)
            if scope is not None:
                query = query.where(Encounter.id.in_(scope))
            encounters = [_encounter(e, replacer, excluded) for e in session.scalars(query)]
            ids = [e["id"] for e in encounters]
            notes = [
                _fieldnote(n, replacer, excluded)
                for n in session.scalars(
                    select(Fieldnote)
                    .where(Fieldnote.encounter_id.in_(ids))
                    .order_by(Fieldnote.created_at, Fieldnote.id)
                )
            ]
            transcript_ids = list(
                session.scalars(
                    select(Transcript.id)
                    .join(Recording, Recording.id == Transcript.recording_id)
                    .where(Recording.encounter_id.in_(ids))
                    .order_by(Transcript.created_at, Transcript.id)
                )
            )
            people_query = select(Participant).order_by(Participant.id)
            if scope is not None:
                wanted = {p for e in encounters for p in e["participant_ids"]}
                wanted |= {p for n in notes for p in n["participant_ids"]}
                people_query = people_query.where(Participant.id.in_(wanted))
            people_ids = [p.id for p in session.scalars(people_query) if p.id not in excluded]

        def participants() -> bytes:
            return json_bytes([self._participant(pid) for pid in people_ids])

        def transcript(transcript_id: str) -> Producer:
            def produce() -> bytes:
                record = store.transcripts.without_withdrawn(store.transcripts.get(transcript_id))
                return json_bytes(asdict(pseudonymised(record, replacer)))

            return produce

        files: list[tuple[str, Producer]] = [
            ("data/participants.json", participants),
            ("data/encounters.json", lambda: json_bytes(encounters)),
            ("data/fieldnotes.json", lambda: json_bytes(notes)),
            *((f"data/transcripts/{t}.json", transcript(t)) for t in transcript_ids),
        ]
        counts = {
            "participants": len(people_ids),
            "encounters": len(encounters),
            "fieldnotes": len(notes),
            "transcripts": len(transcript_ids),
        }
        return files, counts

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
                "consent": {
                    "decisions": state.decisions,
                    "missing": list(state.missing),
                    "withdrawn_scope": state.withdrawn_scope,
                    "withdrawn_on": state.withdrawn_on,
                    "summary": state.summary,
                },
            }

    # ---------------------------------------------------------------- verify
    def verify(self, path: Path) -> VerifyResult:
        """Decrypt (streamed), check signature, manifest and every entry; write nothing."""
        roster = {
            key_id(m.signing_key): (m.name, m.signing_key)
            for m in self._store.team.list_members()
            if m.signing_key
        }
        with self._store._session() as session:
            row = session.scalars(
                select(ResearcherKey).where(
                    ResearcherKey.researcher_id == self._store.researcher_id
                )
            ).first()
            if row is None:
                raise InvalidInput("This store has no age identity yet (keys show makes it).")
            identity = pyrage.x25519.Identity.from_str(row.age_identity)
        try:
            source = path.expanduser().open("rb")
        except OSError as exc:
            raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        with source, Decrypted(source, identity) as plain:
            return check_stream(plain, roster)


# -------------------------------------------------------------------- data
def _encounter(e: Encounter, replacer: Replacer, excluded: set[str]) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.encounter_type.value,
        "title": replacer.apply(e.title),
        "date": e.date.isoformat(),
        "site_id": e.site_id,
        "summary": replacer.apply(e.summary),
        "participant_ids": sorted(p.id for p in e.participants if p.id not in excluded),
        "updated_at": e.updated_at.isoformat(),
    }


def _fieldnote(n: Fieldnote, replacer: Replacer, excluded: set[str]) -> dict[str, Any]:
    return {
        "id": n.id,
        "encounter_id": n.encounter_id,
        "kind": n.kind.value,
        "title": replacer.apply(n.title),
        "body": replacer.apply(n.body),
        "offset_seconds": n.offset_seconds,
        "recording_id": n.recording_id,
        "tags": [t.name for t in n.tags],
        "participant_ids": sorted(p.id for p in n.participants if p.id not in excluded),
        "updated_at": n.updated_at.isoformat(),
    }


def _checked(name: str, produce: Producer, digest: str) -> Producer:
    def again() -> bytes:
        data = produce()
        if hashlib.sha256(data).hexdigest() != digest:
            raise RelationsError(
                f"The store changed while sealing ({name}); nothing was written. Seal again."
            )
        return data

    return again
