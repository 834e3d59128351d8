"""Use cases: what the UI and the CLI call. Nothing here knows about screens.

A :class:`StoreService` is one open store. It holds the process lock for as long as it
lives, and the key only while unlocked: :meth:`StoreService.lock` drops the engine and
wipes the key, :meth:`StoreService.unlock` brings them back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from relations_desktop.core import convert, vault
from relations_desktop.core.bundles import BundleService
from relations_desktop.core.consent.service import ConsentService
from relations_desktop.core.convert import required_text
from relations_desktop.core.errors import (
    InvalidInput,
    NotAStore,
    RelationsError,
    StoreDamaged,
    StoreExists,
    StoreLocked,
    WrongPassphrase,
)
from relations_desktop.core.fsutil import make_private, make_private_dir
from relations_desktop.core.inbox import InboxService
from relations_desktop.core.pseudonyms import PseudonymService
from relations_desktop.core.quotes import QuoteService
from relations_desktop.core.recordings import RecordingService
from relations_desktop.core.records import (
    AuditRecord,
    EncounterRecord,
    FieldnoteRecord,
    ParticipantRecord,
    SearchHit,
    StoreInfo,
)
from relations_desktop.core.register import RegisterService, clean_age_band
from relations_desktop.core.review import ReviewService
from relations_desktop.core.search import SearchFilters, search
from relations_desktop.core.store import migrate
from relations_desktop.core.store.engine import DAMAGED, DB_FILE, make_engine, verify_readable
from relations_desktop.core.store.lockfile import LOCK_FILE, StoreProcessLock
from relations_desktop.core.store.lookup import get_or_missing
from relations_desktop.core.store.models import (
    AuditEvent,
    Encounter,
    EncounterType,
    Family,
    Fieldnote,
    FieldnoteKind,
    IdentityEntry,
    Participant,
    ParticipantKind,
    Project,
    Researcher,
    Setting,
    Site,
    Tag,
)
from relations_desktop.core.sync import SyncService
from relations_desktop.core.team import TeamService
from relations_desktop.core.transcription.jobs import TranscriptionService
from relations_desktop.core.transcripts import TranscriptService

DEFAULT_AUTO_LOCK_MINUTES = 10


class StoreService:
    """One open store (see the module docstring)."""

    def __init__(self, store_dir: Path, process_lock: StoreProcessLock, key: vault.DataKey) -> None:
        self.store_dir = store_dir
        self._process_lock = process_lock
        self._key: vault.DataKey | None = None
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self.researcher_id = ""
        self.project_id = ""
        self.recordings = RecordingService(self)
        self.transcription = TranscriptionService(self)
        self.transcripts = TranscriptService(self)
        self.consent = ConsentService(self)
        self.register = RegisterService(self)
        self.pseudonyms = PseudonymService(self)
        self.review = ReviewService(self)
        self.quotes = QuoteService(self)
        self.team = TeamService(self)
        self.bundles = BundleService(self)
        self.sync = SyncService(self)
        self.inbox = InboxService(self)
        self._attach(key)

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    def create(
        cls,
        store_dir: Path,
        passphrase: str,
        *,
        recovery_recipient: str | None = None,
        researcher_name: str = "Researcher",
        project_name: str = "Fieldwork",
        kdf_memory_kib: int = vault.MIN_MEMORY_KIB,
    ) -> StoreService:
        """Create a new store in ``store_dir`` (which may exist but must hold no store)."""
        vault.check_passphrase(passphrase)
        if recovery_recipient is not None:
            recovery_recipient = vault.parse_recipient(recovery_recipient)
        store_dir = store_dir.expanduser().absolute()
        check_can_create(store_dir)
        folder_existed = store_dir.exists()
        make_private_dir(store_dir)
        lock = StoreProcessLock(store_dir)
        lock.acquire()
        try:
            key = vault.create_vault(store_dir, passphrase, recovery_recipient, kdf_memory_kib)
            service = cls(store_dir, lock, key)
        except BaseException:
            # Only what this call made is removed: the folder holds no store yet.
            lock.release()
            made = (vault.VAULT_FILE, DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", LOCK_FILE)
            for name in made:
                with contextlib.suppress(FileNotFoundError):
                    (store_dir / name).unlink()
            if not folder_existed:
                with contextlib.suppress(OSError):
                    store_dir.rmdir()
            raise
        with service._session() as session:
            researcher = Researcher(name=researcher_name.strip() or "Researcher", is_self=True)
            session.add(researcher)
            session.flush()
            researcher.created_by = researcher.updated_by = researcher.id
            session.add(Project(name=project_name, created_by=researcher.id))
        service._load_identity()
        service.consent.install_default_forms()
        service.audit("store_created", "store", key.store_id)
        service.team.ensure_keys()
        return service

    @classmethod
    def open(
        cls,
        store_dir: Path,
        passphrase: str | None = None,
        *,
        recovery_identity: str | None = None,
    ) -> StoreService:
        """Unlock an existing store with its passphrase or the team's recovery identity."""
        store_dir = store_dir.expanduser().absolute()
        check_is_store(store_dir)
        lock = StoreProcessLock(store_dir)
        lock.acquire()
        try:
            key = _unwrap(store_dir, passphrase, recovery_identity)
            service = cls(store_dir, lock, key)
        except BaseException:
            lock.release()
            raise
        method = "recovery-identity" if recovery_identity is not None else "passphrase"
        try:
            service.audit("store_unlocked", "store", key.store_id, method=method)
            service.recordings.recover_interrupted()
            service.transcription.requeue_interrupted()
        except BaseException:
            service.close()  # e.g. a full disk: let go of the store, so a retry can open it
            raise
        return service

    def _attach(self, key: vault.DataKey) -> None:
        db_path = self.store_dir / DB_FILE
        engine = make_engine(db_path, key.database_key())
        try:
            if db_path.exists():
                verify_readable(engine, db_path)
            migrate.migrate(engine, db_path)
        except BaseException:
            engine.dispose()
            raise
        for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm"):
            make_private(self.store_dir / name)
        self._key = key
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        if self.researcher_id == "" and self._has_identity():
            self._load_identity()

    def _has_identity(self) -> bool:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(Researcher)) != 0

    def _load_identity(self) -> None:
        with self._session() as session:
            me = session.scalars(select(Researcher).where(Researcher.is_self)).first()
            project = session.scalars(select(Project).order_by(Project.created_at)).first()
            if me is None or project is None:
                raise StoreDamaged("The store has no researcher or project record.")
            self.researcher_id, self.project_id = me.id, project.id

    @property
    def is_locked(self) -> bool:
        return self._engine is None

    def lock(self) -> None:
        """Drop the engine and wipe the key; the process lock stays held."""
        if self._engine is not None:
            self._engine.dispose()
        if self._key is not None:
            self._key.wipe()
        self._engine = self._sessions = self._key = None
        self.review.forget()

    def unlock(self, passphrase: str) -> None:
        if not self.is_locked:
            return
        key = vault.unlock_with_passphrase(self.store_dir, passphrase)
        self._attach(key)
        self.audit("store_unlocked", "store", key.store_id, method="passphrase")

    def close(self) -> None:
        """Stop any recording (keeping it), lock, and let go of the store."""
        self.recordings.stop("closed")
        self.transcription.shutdown()
        self.lock()
        self._process_lock.release()

    def __enter__(self) -> StoreService:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _dedicated_engine(self) -> Engine:
        """A second engine on the same database, for a writer that must outlive a lock."""
        if self._key is None:
            raise StoreLocked("The store is locked; unlock it first.")
        return make_engine(self.store_dir / DB_FILE, self._key.database_key())

    def _plain_session(self) -> Session:
        """A session without an open transaction, for short reads in a loop."""
        if self._sessions is None:
            raise StoreLocked("The store is locked; unlock it first.")
        return self._sessions()

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        if self._sessions is None:
            raise StoreLocked("The store is locked; unlock it first.")
        try:
            with self._sessions.begin() as session:
                yield session
        except DBAPIError as exc:
            raise _database_error(exc) from exc

    # ------------------------------------------------------------------- store
    def info(self) -> StoreInfo:
        assert self._key is not None or self.is_locked
        head = migrate.head_revision()
        vault_file = vault.read_vault(self.store_dir)
        with self._session() as session:
            me = session.get(Researcher, self.researcher_id)
            project = session.get(Project, self.project_id)
            counts = {
                "participants": _count(session, Participant),
                "encounters": _count(session, Encounter),
                "fieldnotes": _count(session, Fieldnote),
            }
            assert me is not None and project is not None
            return StoreInfo(
                path=str(self.store_dir),
                store_id=vault_file.store_id,
                created=vault_file.created,
                schema_revision=head,
                researcher_id=me.id,
                researcher_name=me.name,
                project_name=project.name,
                recovery_recipient=vault_file.recovery_recipient,
                database_bytes=(self.store_dir / DB_FILE).stat().st_size,
                counts=counts,
            )

    def change_passphrase(self, new_passphrase: str, current_passphrase: str | None = None) -> None:
        """Re-wrap the data key. ``current_passphrase``, when given, must be right.

        The GUI asks for it (someone at an unlocked laptop must not be able to take the
        store over); after a recovery unlock there is no current passphrase to give.
        """
        if self._key is None:
            raise StoreLocked("The store is locked; unlock it first.")
        if current_passphrase is not None:
            try:
                vault.unlock_with_passphrase(self.store_dir, current_passphrase).wipe()
            except WrongPassphrase:
                raise WrongPassphrase(
                    "The current passphrase is wrong; nothing was changed."
                ) from None
        vault.change_passphrase(self.store_dir, self._key, new_passphrase)
        self.audit("passphrase_changed", "store", self._key.store_id)

    def audit(self, action: str, target_type: str = "", target_id: str = "", **detail: Any) -> None:
        with self._session() as session:
            session.add(
                AuditEvent(
                    researcher_id=self.researcher_id or None,
                    action=action,
                    target_type=target_type,
                    target_id=target_id,
                    detail=detail,
                )
            )

    def audit_events(self, limit: int = 200) -> list[AuditRecord]:
        with self._session() as session:
            rows = session.scalars(select(AuditEvent).order_by(AuditEvent.at.desc()).limit(limit))
            return [convert.audit(row) for row in rows]

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._session() as session:
            row = session.get(Setting, key)
            return default if row is None else row.value.get("value", default)

    def set_setting(self, key: str, value: Any) -> None:
        with self._session() as session:
            session.merge(Setting(key=key, value={"value": value}))

    @property
    def auto_lock_minutes(self) -> int:
        value = self.get_setting("auto_lock_minutes", DEFAULT_AUTO_LOCK_MINUTES)
        return value if isinstance(value, int) and value > 0 else DEFAULT_AUTO_LOCK_MINUTES

    # ------------------------------------------------------------ participants
    def add_participant(
        self,
        pseudonym: str,
        role_label: str,
        *,
        region: str = "",
        kind: str = ParticipantKind.PARENT.value,
        real_name: str | None = None,
        notes: str = "",
        age_band: str = "",
        sector: str = "",
        on_ost: bool | None = None,
        site_id: str | None = None,
        family_id: str | None = None,
    ) -> ParticipantRecord:
        pseudonym, role_label = (
            required_text(pseudonym, "pseudonym"),
            required_text(role_label, "role"),
        )
        participant = Participant(
            project_id=self.project_id,
            pseudonym=pseudonym,
            role_label=role_label,
            region=region.strip(),
            kind=convert.choice(ParticipantKind, kind, "participant kind"),
            notes=notes,
            age_band=clean_age_band(age_band),
            sector=sector.strip(),
            on_ost=on_ost,
            created_by=self.researcher_id,
            updated_by=self.researcher_id,
        )
        if real_name and real_name.strip():
            participant.identity = IdentityEntry(
                real_name=real_name.strip(), created_by=self.researcher_id
            )
        with self._session() as session:
            participant.site_id = _optional_ref(session, Site, site_id, "site")
            participant.family_id = _optional_ref(session, Family, family_id, "family")
            session.add(participant)
            session.flush()
            return convert.participant(participant)

    def update_participant(self, participant_id: str, **fields: Any) -> ParticipantRecord:
        with self._session() as session:
            participant = _get(session, Participant, participant_id, "participant")
            for name in ("pseudonym", "role_label"):
                if name in fields:
                    setattr(participant, name, required_text(fields[name], name.replace("_", " ")))
            for name in ("region", "notes", "sector"):
                if name in fields:
                    setattr(participant, name, str(fields[name]).strip())
            if "age_band" in fields:
                participant.age_band = clean_age_band(str(fields["age_band"] or ""))
            if "on_ost" in fields:
                value = fields["on_ost"]
                participant.on_ost = None if value is None else bool(value)
            if "site_id" in fields:
                participant.site_id = _optional_ref(session, Site, fields["site_id"], "site")
            if "family_id" in fields:
                participant.family_id = _optional_ref(
                    session, Family, fields["family_id"], "family"
                )
            if "kind" in fields:
                participant.kind = convert.choice(ParticipantKind, fields["kind"], "kind")
            if "real_name" in fields:
                _set_real_name(participant, fields["real_name"], self.researcher_id)
            participant.updated_by = self.researcher_id
            session.flush()
            return convert.participant(participant)

    def list_participants(self) -> list[ParticipantRecord]:
        with self._session() as session:
            rows = session.scalars(select(Participant).order_by(Participant.pseudonym))
            return [convert.participant(p) for p in rows]

    def get_participant(self, participant_id: str) -> ParticipantRecord:
        with self._session() as session:
            return convert.participant(_get(session, Participant, participant_id, "participant"))

    def real_name(self, participant_id: str) -> str | None:
        """Read the identity register (shown on request only, never exported)."""
        with self._session() as session:
            participant = _get(session, Participant, participant_id, "participant")
            return participant.identity.real_name if participant.identity else None

    # -------------------------------------------------------------- encounters
    def add_encounter(
        self,
        encounter_type: str,
        title: str,
        *,
        on: date | None = None,
        participant_ids: Sequence[str] = (),
        summary: str = "",
        site_id: str | None = None,
    ) -> EncounterRecord:
        encounter = Encounter(
            project_id=self.project_id,
            encounter_type=convert.choice(EncounterType, encounter_type, "session type"),
            title=required_text(title, "title"),
            date=_as_date(on) if on is not None else date.today(),
            summary=summary,
            created_by=self.researcher_id,
            updated_by=self.researcher_id,
        )
        with self._session() as session:
            encounter.participants = _participants(session, participant_ids, check_active=True)
            encounter.site_id = _optional_ref(session, Site, site_id, "site")
            session.add(encounter)
            session.flush()
            return convert.encounter(encounter, 0)

    def update_encounter(self, encounter_id: str, **fields: Any) -> EncounterRecord:
        with self._session() as session:
            encounter = _get(session, Encounter, encounter_id, "session")
            if "encounter_type" in fields:
                encounter.encounter_type = convert.choice(
                    EncounterType, fields["encounter_type"], "session type"
                )
            if "title" in fields:
                encounter.title = required_text(fields["title"], "title")
            if "on" in fields:
                encounter.date = _as_date(fields["on"])
            if "summary" in fields:
                encounter.summary = str(fields["summary"])
            if "participant_ids" in fields:
                before = {p.id for p in encounter.participants}
                chosen = _participants(session, fields["participant_ids"])
                for participant in chosen:
                    if participant.id not in before:
                        _check_active(participant)
                encounter.participants = chosen
            if "site_id" in fields:
                encounter.site_id = _optional_ref(session, Site, fields["site_id"], "site")
            encounter.updated_by = self.researcher_id
            session.flush()
            return convert.encounter(encounter, len(encounter.fieldnotes))

    def list_encounters(self) -> list[EncounterRecord]:
        with self._session() as session:
            counts: dict[str, int] = {
                encounter_id: count
                for encounter_id, count in session.execute(
                    select(Fieldnote.encounter_id, func.count()).group_by(Fieldnote.encounter_id)
                )
            }
            rows = session.scalars(
                select(Encounter).order_by(Encounter.date.desc(), Encounter.created_at.desc())
            )
            return [convert.encounter(e, counts.get(e.id, 0)) for e in rows]

    def get_encounter(self, encounter_id: str) -> EncounterRecord:
        with self._session() as session:
            encounter = _get(session, Encounter, encounter_id, "session")
            return convert.encounter(encounter, len(encounter.fieldnotes))

    # --------------------------------------------------------------- fieldnotes
    def add_note(
        self,
        encounter_id: str,
        body: str,
        *,
        kind: str = FieldnoteKind.EXPANDED.value,
        title: str = "",
        offset_seconds: float | None = None,
        recording_id: str | None = None,
        tags: Sequence[str] = (),
        participant_ids: Sequence[str] = (),
    ) -> FieldnoteRecord:
        note_kind = convert.choice(FieldnoteKind, kind, "note kind")
        with self._session() as session:
            _get(session, Encounter, encounter_id, "session")
            note = Fieldnote(
                encounter_id=encounter_id,
                kind=note_kind,
                title=title.strip(),
                body=body,
                offset_seconds=offset_seconds,
                recording_id=recording_id,
                created_by=self.researcher_id,
                updated_by=self.researcher_id,
            )
            note.tags = self._tags(session, tags)
            note.participants = _participants(session, participant_ids)
            session.add(note)
            session.flush()
            return convert.fieldnote(note)

    def update_note(
        self,
        note_id: str,
        *,
        title: str | None = None,
        body: str | None = None,
        tags: Sequence[str] | None = None,
        participant_ids: Sequence[str] | None = None,
    ) -> FieldnoteRecord:
        with self._session() as session:
            note = _get(session, Fieldnote, note_id, "note")
            if title is not None:
                note.title = title.strip()
            if body is not None:
                note.body = body
            if tags is not None:
                note.tags = self._tags(session, tags)
            if participant_ids is not None:
                note.participants = _participants(session, participant_ids)
            note.updated_by = self.researcher_id
            session.flush()
            return convert.fieldnote(note)

    def list_notes(self, encounter_id: str | None = None) -> list[FieldnoteRecord]:
        with self._session() as session:
            query = select(Fieldnote).order_by(Fieldnote.created_at)
            if encounter_id is not None:
                _get(session, Encounter, encounter_id, "session")
                query = query.where(Fieldnote.encounter_id == encounter_id)
            return [convert.fieldnote(n) for n in session.scalars(query)]

    def get_note(self, note_id: str) -> FieldnoteRecord:
        with self._session() as session:
            return convert.fieldnote(_get(session, Fieldnote, note_id, "note"))

    def list_tags(self) -> list[str]:
        with self._session() as session:
            return list(session.scalars(select(Tag.name).order_by(Tag.name)))

    def _tags(self, session: Session, names: Sequence[str]) -> list[Tag]:
        wanted = list(dict.fromkeys(n.strip().lstrip("#").lower() for n in names if n.strip()))
        for name in wanted:
            if len(name) > 100:
                raise InvalidInput(f"A tag is at most 100 characters: {name[:40]!r}…")
        existing = {t.name: t for t in session.scalars(select(Tag).where(Tag.name.in_(wanted)))}
        for name in wanted:
            if name not in existing:
                existing[name] = Tag(
                    project_id=self.project_id, name=name, created_by=self.researcher_id
                )
                session.add(existing[name])
        return [existing[name] for name in sorted(wanted)]

    # ------------------------------------------------------------------ search
    def search(
        self, query: str, filters: SearchFilters | None = None, limit: int = 50
    ) -> list[SearchHit]:
        if filters and filters.encounter_type:
            convert.choice(EncounterType, filters.encounter_type, "session type")
        with self._session() as session:
            if filters and filters.participant_id:
                _get(session, Participant, filters.participant_id, "participant")
            if filters and filters.site_id:
                _get(session, Site, filters.site_id, "site")
            return search(session, query, filters, limit)


def check_can_create(store_dir: Path) -> None:
    """Refuse to create a store where one already is (or where a file is in the way)."""
    if store_dir.exists() and not store_dir.is_dir():
        raise InvalidInput(f"{store_dir} is a file, not a folder; nothing was changed.")
    if vault.vault_path(store_dir).exists() or (store_dir / DB_FILE).exists():
        raise StoreExists(f"There is already a store in {store_dir}; nothing was changed.")


def check_is_store(store_dir: Path) -> None:
    if not store_dir.is_dir():
        raise NotAStore(f"{store_dir} does not exist or is not a folder.")
    if not vault.vault_path(store_dir).exists():
        raise NotAStore(f"{store_dir} is not a Relations Desktop store (it has no vault.json).")
    if not (store_dir / DB_FILE).exists():
        raise StoreDamaged(f"{store_dir} has a vault.json but no store.db; nothing was changed.")


def _unwrap(
    store_dir: Path, passphrase: str | None, recovery_identity: str | None
) -> vault.DataKey:
    if recovery_identity is not None:
        return vault.unlock_with_recovery_identity(store_dir, recovery_identity)
    if passphrase is None:
        raise InvalidInput("No passphrase was given.")
    return vault.unlock_with_passphrase(store_dir, passphrase)


def _database_error(exc: DBAPIError) -> RelationsError:
    message = str(exc.orig).lower()
    if "full" in message:
        return RelationsError("The disk is full: the last change was not saved. Free some space.")
    if "malformed" in message or "not a database" in message or "hmac" in message:
        return StoreDamaged(DAMAGED)
    return RelationsError(f"The store refused the change: {exc.orig}.")


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"Not a date (YYYY-MM-DD): {value!r}.") from None


def _get(session: Session, model: Any, ident: str, noun: str) -> Any:
    return get_or_missing(session, model, ident, noun)


def _participants(
    session: Session, ids: Sequence[str], *, check_active: bool = False
) -> list[Participant]:
    chosen = [_get(session, Participant, pid, "participant") for pid in dict.fromkeys(ids)]
    if check_active:
        for participant in chosen:
            _check_active(participant)
    return chosen


def _check_active(participant: Participant) -> None:
    if participant.withdrawal_scope is not None:
        raise InvalidInput(
            f"{participant.pseudonym} ({participant.role_label}) withdrew from the study on "
            f"{participant.withdrawn_on}; they cannot be added to a session."
        )


def _optional_ref(session: Session, model: Any, ident: str | None, noun: str) -> str | None:
    if not ident:
        return None
    return str(_get(session, model, ident, noun).id)


def _set_real_name(participant: Participant, real_name: Any, researcher_id: str) -> None:
    name = str(real_name or "").strip()
    if not name:
        participant.identity = None
    elif participant.identity is None:
        participant.identity = IdentityEntry(real_name=name, created_by=researcher_id)
    else:
        participant.identity.real_name = name


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)
