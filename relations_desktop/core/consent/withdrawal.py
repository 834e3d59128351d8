"""Withdrawal: ``future`` stops further participation; ``all`` removes the data too.

For ``all``, everything that is the participant's alone is deleted inside one
transaction; then the full-text index is rebuilt without their words, the database is
vacuumed (with ``secure_delete`` on, freed pages are zeroed) and the write-ahead log is
checkpointed and truncated, so no trace of them stays in the store's files. Sessions
that other people were in are kept and flagged for the researcher to review.
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from relations_desktop.core.consent.records import WithdrawalPlan
from relations_desktop.core.convert import choice
from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.store.lookup import get_or_missing
from relations_desktop.core.store.migrate import BACKUP_DIR
from relations_desktop.core.store.models import (
    ConsentRecord,
    ConsentWithdrawal,
    Encounter,
    EncounterFlag,
    Fieldnote,
    IdentityEntry,
    JobStatus,
    Participant,
    Pseudonym,
    Recording,
    Transcript,
    TranscriptionJob,
    TranscriptSpeaker,
    WithdrawalScope,
    encounter_participant,
    fieldnote_participant,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService


class _Scope:
    """The rows a withdrawal of everything touches."""

    def __init__(self, session: Session, participant: Participant) -> None:
        pid = participant.id
        mine = set(
            session.scalars(
                select(encounter_participant.c.encounter_id).where(
                    encounter_participant.c.participant_id == pid
                )
            )
        )
        spoken = set(
            session.scalars(
                select(Recording.encounter_id)
                .join(Transcript, Transcript.recording_id == Recording.id)
                .join(TranscriptSpeaker, TranscriptSpeaker.transcript_id == Transcript.id)
                .where(TranscriptSpeaker.participant_id == pid)
            )
        )
        noted = set(
            session.scalars(
                select(Fieldnote.encounter_id)
                .join(fieldnote_participant, fieldnote_participant.c.fieldnote_id == Fieldnote.id)
                .where(fieldnote_participant.c.participant_id == pid)
            )
        )
        self.solo: list[Encounter] = []
        self.shared: list[Encounter] = []
        for encounter_id in sorted(mine | spoken | noted):
            encounter = session.get(Encounter, encounter_id)
            if encounter is None:
                continue
            others = [p for p in encounter.participants if p.id != pid]
            (self.shared if others or encounter_id not in mine else self.solo).append(encounter)
        solo_ids = [e.id for e in self.solo]
        self.recording_ids = list(
            session.scalars(select(Recording.id).where(Recording.encounter_id.in_(solo_ids)))
        )
        self.transcripts = len(
            session.scalars(
                select(Transcript.id).where(Transcript.recording_id.in_(self.recording_ids))
            ).all()
        )
        solo_notes = session.scalars(
            select(Fieldnote.id).where(Fieldnote.encounter_id.in_(solo_ids))
        ).all()
        # A note linked to them alone, in a shared session, is about them: it goes too.
        # A note linked to them and to others stays, and its session is flagged.
        self.own_notes: list[str] = []
        for note_id in session.scalars(
            select(fieldnote_participant.c.fieldnote_id).where(
                fieldnote_participant.c.participant_id == pid
            )
        ):
            links = session.scalars(
                select(fieldnote_participant.c.participant_id).where(
                    fieldnote_participant.c.fieldnote_id == note_id
                )
            ).all()
            if set(links) == {pid} and note_id not in solo_notes:
                self.own_notes.append(note_id)
        self.notes = len(solo_notes) + len(self.own_notes)
        self.records_with_identity = len(
            session.scalars(
                select(ConsentRecord.id).where(
                    ConsentRecord.participant_id == pid,
                    (ConsentRecord.signature_png.is_not(None))
                    | (ConsentRecord.scan.is_not(None))
                    | (ConsentRecord.certificate_pdf.is_not(None)),
                )
            ).all()
        )


def plan(store: StoreService, participant_id: str, scope: str) -> WithdrawalPlan:
    how = choice(WithdrawalScope, scope, "withdrawal scope")
    with store._session() as session:
        participant = get_or_missing(session, Participant, participant_id, "participant")
        _check_not_withdrawn(participant, how)
        return _plan(store, session, participant, how)


def _plan(
    store: StoreService, session: Session, participant: Participant, how: WithdrawalScope
) -> WithdrawalPlan:
    label = f"{participant.pseudonym} ({participant.role_label})"
    if how is WithdrawalScope.FUTURE:
        return WithdrawalPlan(participant.id, label, how.value)
    found = _Scope(session, participant)
    return WithdrawalPlan(
        participant_id=participant.id,
        participant_label=label,
        scope=how.value,
        encounters_deleted=tuple(e.title for e in found.solo),
        recordings_deleted=len(found.recording_ids),
        transcripts_deleted=found.transcripts,
        notes_deleted=found.notes,
        identity_entry_deleted=participant.identity is not None,
        signatures_and_scans_deleted=found.records_with_identity,
        encounters_flagged=tuple(e.title for e in found.shared),
        backups_deleted=tuple(p.name for p in _backups(store.store_dir)),
    )


def execute(
    store: StoreService,
    participant_id: str,
    scope: str,
    *,
    on: date | None = None,
    note: str = "",
) -> WithdrawalPlan:
    how = choice(WithdrawalScope, scope, "withdrawal scope")
    when = on or date.today()
    if when > date.today():
        raise InvalidInput(f"A withdrawal cannot be dated in the future ({when}).")
    active = store.recordings.active
    with store._session() as session:
        participant = get_or_missing(session, Participant, participant_id, "participant")
        _check_not_withdrawn(participant, how)
        result = _plan(store, session, participant, how)
        if how is WithdrawalScope.ALL:
            found = _Scope(session, participant)
            if active is not None and active.encounter_id in {e.id for e in found.solo}:
                raise InvalidInput(
                    "A recording of a session being deleted is running; stop it first."
                )
            running = session.scalars(
                select(TranscriptionJob.id).where(
                    TranscriptionJob.recording_id.in_(found.recording_ids),
                    TranscriptionJob.status == JobStatus.RUNNING,
                )
            ).first()
            if running is not None:
                raise InvalidInput(
                    "A recording that would be deleted is being transcribed; cancel that "
                    "transcription or let it finish, then withdraw."
                )
            _delete_data(store, session, participant, found)
        _mark(store, session, participant, how, when, note, result)
    store.audit(
        "consent_withdrawn", "participant", participant_id, scope=how.value,
        on=when.isoformat(), recordings_deleted=result.recordings_deleted,
        notes_deleted=result.notes_deleted, sessions_flagged=len(result.encounters_flagged),
    )  # fmt: skip
    if how is WithdrawalScope.ALL:
        for path in _backups(store.store_dir):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        compact(store)
    return result


def _check_not_withdrawn(participant: Participant, how: WithdrawalScope) -> None:
    before = participant.withdrawal_scope
    if before is None:
        return
    if before is WithdrawalScope.FUTURE and how is WithdrawalScope.ALL:
        return  # someone who stopped taking part may later ask for their data to go too
    raise InvalidInput(
        f"{participant.pseudonym} ({participant.role_label}) already withdrew "
        f"({before.value}) on {participant.withdrawn_on}; nothing was changed."
    )


def _delete_data(
    store: StoreService, session: Session, participant: Participant, found: _Scope
) -> None:
    solo_ids = [e.id for e in found.solo]
    # Foreign keys cascade: recordings -> audio chunks, transcripts -> segments (whose
    # triggers take them out of the search index), fieldnotes, jobs, flags.
    if found.own_notes:
        session.execute(delete(Fieldnote).where(Fieldnote.id.in_(found.own_notes)))
    if solo_ids:
        session.execute(delete(Encounter).where(Encounter.id.in_(solo_ids)))
    session.execute(delete(IdentityEntry).where(IdentityEntry.participant_id == participant.id))
    # Their real name also seeded the pseudonym register. Mentions of them in other
    # people's transcripts are then flagged again by the review, which keeps exports shut
    # until the researcher has dealt with them.
    session.execute(delete(Pseudonym).where(Pseudonym.participant_id == participant.id))
    session.expire(participant, ["identity"])
    for record in session.scalars(
        select(ConsentRecord).where(ConsentRecord.participant_id == participant.id)
    ):
        record.signature_png = record.signature_strokes = None
        record.scan = record.certificate_pdf = None
        record.scan_name = ""
    participant.notes = ""
    for encounter in found.shared:
        session.add(
            EncounterFlag(
                encounter_id=encounter.id,
                reason="withdrawal",
                message=(
                    f"{participant.pseudonym} ({participant.role_label}) withdrew their data. "
                    "Review this session's recordings, transcript and notes: remove or "
                    "redact what is theirs. They are left out of exports."
                ),
                participant_id=participant.id,
                created_by=store.researcher_id,
            )
        )
    # Merge the full-text index into one segment, dropping the deleted entries.
    session.execute(text("INSERT INTO search_index(search_index) VALUES ('optimize')"))


def _mark(
    store: StoreService,
    session: Session,
    participant: Participant,
    how: WithdrawalScope,
    when: date,
    note: str,
    result: WithdrawalPlan,
) -> None:
    participant.withdrawal_scope = how
    participant.withdrawn_on = when
    participant.updated_by = store.researcher_id
    summary = {
        "sessions_deleted": len(result.encounters_deleted),
        "recordings_deleted": result.recordings_deleted,
        "transcripts_deleted": result.transcripts_deleted,
        "notes_deleted": result.notes_deleted,
        "sessions_flagged": len(result.encounters_flagged),
    }
    row = session.scalars(
        select(ConsentWithdrawal).where(ConsentWithdrawal.participant_id == participant.id)
    ).first()
    if row is None:
        session.add(
            ConsentWithdrawal(
                participant_id=participant.id,
                withdrawn_on=when,
                scope=how,
                recorded_by=store.researcher_id,
                note=note.strip(),
                summary=summary,
                created_by=store.researcher_id,
            )
        )
    else:
        row.scope, row.withdrawn_on, row.summary = how, when, summary
        row.note = "\n".join(filter(None, [row.note, note.strip()]))
        row.updated_by = store.researcher_id


def compact(store: StoreService) -> None:
    """VACUUM, then checkpoint and truncate the WAL: deleted pages leave the files."""
    engine = store._engine
    if engine is None:
        raise RelationsError("The store is locked; unlock it first.")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM")
        busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:
        # Another connection still reads an old snapshot; the next checkpoint finishes.
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _backups(store_dir: Path) -> list[Path]:
    folder = store_dir / BACKUP_DIR
    return sorted(folder.glob("*")) if folder.is_dir() else []
