"""Merging an opened bundle into this (team) store (issue 7, part 4; docs/team-inbox.md).

``BundleService.open`` checks the bundle entry by entry and hands each checked entry to
a :class:`Merger`: ``begin`` once the signature and manifest are checked, ``add`` for
every data entry whose hash matched, then ``commit`` when the whole stream checked out
(the age authentication of the last byte included) or ``abort``. Everything happens in
one transaction (``defer_foreign_keys`` on), so nothing is durable before ``commit``;
audio chunks are inserted as they arrive, never held in memory.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from relations_desktop.core.bundle_format import refuse
from relations_desktop.core.bundle_merge_kinds import (
    KINDS,
    Context,
    Kind,
    remember,
    withdrawn_ids,
    write,
)
from relations_desktop.core.bundle_merge_people import apply_withdrawal, carry_consent, compact
from relations_desktop.core.bundle_merge_records import Malformed, content, digest, moment, when
from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.store.models import (
    AudioChunk,
    AuditEvent,
    MergeConflict,
    MergeState,
    ReceivedBundle,
    Recording,
    Researcher,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

OUTCOMES = ("added", "updated", "unchanged", "older", "conflicts", "skipped")
_LISTS = {
    "data/sites.json": "site",
    "data/families.json": "family",
    "data/encounters.json": "encounter",
    "data/fieldnotes.json": "fieldnote",
}
_AUDIO = re.compile(r"data/audio/([A-Za-z0-9-]{1,36})/(\d{6,9})\.flac")
_TRANSCRIPT = re.compile(r"data/transcripts/([A-Za-z0-9-]{1,36})\.json")


@dataclass(frozen=True)
class RecordCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0  # an older version than the one merged before: ignored
    conflicts: int = 0  # changed here and in the bundle: kept for a decision
    skipped: int = 0  # about someone who withdrew, or its session is not in this store


@dataclass(frozen=True)
class MergeSummary:
    bundle_id: str
    researcher_name: str
    signer: str
    sealed_at: str
    duplicate: bool  # opened before: nothing changed
    counts: dict[str, RecordCounts] = field(default_factory=dict)  # by record type
    withdrawals: int = 0

    def total(self, outcome: str) -> int:
        return sum(getattr(c, outcome) for c in self.counts.values())

    def describe(self) -> str:
        """One line: "3 added, 1 updated, 12 unchanged, 1 conflict, 1 withdrawal applied"."""
        if self.duplicate:
            return "opened here before; nothing changed"
        words = {"conflicts": ("conflict", "conflicts")}
        parts = []
        for outcome in OUTCOMES:
            n = self.total(outcome)
            if n:
                one, many = words.get(outcome, (outcome, outcome))
                parts.append(f"{n} {one if n == 1 else many}")
        if self.withdrawals:
            parts.append(f"{self.withdrawals} withdrawal(s) applied")
        return ", ".join(parts) or "nothing to merge"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["counts"] = {kind: asdict(c) for kind, c in self.counts.items()}
        return data


class Merger:
    """One bundle's merge; see the module docstring and docs/team-inbox.md."""

    def __init__(self, store: StoreService, source: str) -> None:
        self._store, self._source = store, source
        self._session: Session | None = None
        self._ctx: Context | None = None
        self._duplicate = False
        self._counts: dict[str, dict[str, int]] = {}
        self._audio: dict[str, dict[int, tuple[int, int]]] = {}  # chunks still to come
        self._withdrawals = 0
        self._erased = False  # a withdrawal deleted data: compact the files after commit
        self._manifest: dict[str, Any] = {}
        self._bundle_id = self._researcher_name = self._signer = self._sealed_at = ""

    # ------------------------------------------------------------- protocol
    def begin(self, manifest: dict[str, Any], signer: str) -> None:
        if self._session is not None:
            raise RelationsError("This merge has already begun.")
        researcher = manifest.get("researcher") or {}
        origin, name = researcher.get("id"), researcher.get("name", "")
        if not isinstance(origin, str) or not 0 < len(origin) <= 36:
            raise refuse("its manifest names no researcher id")
        if not isinstance(name, str) or len(name) > 200:
            raise refuse("its manifest's researcher name is malformed")
        if origin == self._store.researcher_id:
            raise refuse("it was sealed from this store: its records are here already")
        if self._store.recordings.active is not None:
            # The merge holds the database for writing until it ends; the recorder's
            # writer must never wait that long for a chunk.
            raise InvalidInput(
                "A recording is running in this store: open the bundle after it stops. "
                "Nothing was written."
            )
        self._manifest, self._signer = manifest, signer
        self._bundle_id, self._researcher_name = str(manifest["bundle_id"]), name
        self._sealed_at = str(manifest.get("created_at", ""))
        session = self._store._plain_session()
        self._session = session
        with self._database():
            connection = session.connection()
            connection.exec_driver_sql("BEGIN")  # the driver would begin only at a write
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            if session.get(ReceivedBundle, self._bundle_id) is not None:
                self._duplicate = True
                return
            self._ctx = Context(session, self._store, origin, withdrawn_ids(session))
            me = session.get(Researcher, origin)
            if me is None:
                session.add(Researcher(
                    id=origin, name=name.strip() or "Researcher", is_self=False,
                    created_by=origin, updated_by=origin,
                ))  # fmt: skip
            elif not me.is_self and name.strip() and me.name != name.strip():
                me.name = name.strip()

    def add(self, name: str, data: bytes) -> None:
        if self._duplicate:
            return
        self._context()
        try:
            with self._database():
                self._add(name, data)
                self._context().session.flush()  # what is written need not stay in memory
        except Malformed as exc:
            raise refuse(f"{name} holds a record this app cannot read ({exc})") from exc
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            # ValueError: JSONDecodeError, and Python's limit on huge integers.
            raise refuse(f"{name} is not valid JSON this app can read") from exc

    def commit(self, sha256: str = "") -> MergeSummary:
        """Make the merge durable; ``sha256`` (of the bundle file) is kept when given."""
        session = self._session
        if session is None:
            raise RelationsError("This merge has not begun (or has already ended).")
        summary = self._summary()
        try:
            if not self._duplicate:
                missing = sum(len(chunks) for chunks in self._audio.values())
                if missing:
                    raise refuse(
                        f"data/recordings.json promises {missing} audio chunk(s) the bundle "
                        "does not hold"
                    )
                self._record(session, summary, sha256)
            with self._database():
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            self._session = self._ctx = None
        if self._erased:
            compact(self._store)
        return summary

    def abort(self) -> None:
        session, self._session, self._ctx = self._session, None, None
        if session is not None:
            with contextlib.suppress(DBAPIError):
                session.rollback()
            session.close()

    # --------------------------------------------------------------- entries
    def _add(self, name: str, data: bytes) -> None:
        if chunk := _AUDIO.fullmatch(name):
            self._chunk(chunk.group(1), int(chunk.group(2)), data)
            return
        if name == "data/participants.json":
            for raw in _records(data):
                self._count("participant", self._merge(KINDS["participant"], raw))
                self._consent(raw)
        elif name == "data/recordings.json":
            for raw in _records(data):
                self._count("recording", self._merge(KINDS["recording"], raw))
                self._expect_audio(raw)
        elif name in _LISTS:
            kind = KINDS[_LISTS[name]]
            for raw in _records(data):
                self._count(kind.name, self._merge(kind, raw))
        elif match := _TRANSCRIPT.fullmatch(name):
            raw = json.loads(data.decode("utf-8"))
            if not isinstance(raw, dict) or raw.get("id") != match.group(1):
                raise Malformed("it is not the transcript its name says")
            self._count("transcript", self._merge(KINDS["transcript"], raw))
        elif name == "data/withdrawals.json":
            for raw in _records(data):
                self._withdrawal(raw)
        # Anything else (a later format's extra file) is signed but not merged.

    def _merge(self, kind: Kind, raw: dict[str, Any]) -> str:
        """The rules of docs/team-inbox.md for one record; the outcome's name."""
        ctx = self._context()
        s = ctx.session
        rec = kind.normalise(raw)
        resolved = kind.resolve(ctx, rec)
        if resolved is None:
            return "skipped"
        ident, sha = rec["id"], digest(kind.hashed(raw))
        state = s.get(MergeState, (kind.name, ident))
        if state is not None and state.incoming_sha256 == sha:
            return "unchanged"
        row = s.get(kind.model, ident)
        if row is None:
            write(ctx, kind, None, resolved)
            remember(ctx, kind, ident, self._bundle_id, sha, rec["updated_at"])
            return "added"
        local = kind.snap(s, row, ctx.withdrawn)
        incoming_at = moment(rec["updated_at"])
        if content(local) == content(resolved):
            if state is None or incoming_at >= moment(state.incoming_updated_at):
                remember(ctx, kind, ident, self._bundle_id, sha, rec["updated_at"])
            return "unchanged"
        if state is not None and incoming_at <= moment(state.incoming_updated_at):
            return "older"
        if state is not None and kind.stamp(s, ident) == state.local_updated_at:
            write(ctx, kind, row, resolved)
            remember(ctx, kind, ident, self._bundle_id, sha, rec["updated_at"])
            return "updated"
        return self._conflict(kind, ident, kind.hashed(raw), local, incoming_at)

    def _conflict(
        self, kind: Kind, ident: str, incoming: dict[str, Any], local: dict[str, Any], at: datetime
    ) -> str:
        s = self._context().session
        row = s.scalars(
            select(MergeConflict).where(
                MergeConflict.record_type == kind.name,
                MergeConflict.record_id == ident,
                MergeConflict.status == "open",
            )
        ).first()
        if row is None:
            row = MergeConflict(
                record_type=kind.name, record_id=ident, created_by=self._store.researcher_id
            )
            s.add(row)
        elif at < moment(when(row.incoming.get("updated_at"))):
            return "older"  # a newer incoming version already waits for a decision
        row.bundle_id, row.researcher_name = self._bundle_id, self._researcher_name
        row.incoming, row.local = incoming, local
        row.updated_by = self._store.researcher_id
        return "conflicts"

    # ------------------------------------------------------------------ people
    def _consent(self, raw: dict[str, Any]) -> None:
        if raw.get("consent") is None:
            return
        ctx = self._context()
        outcome, marked = carry_consent(ctx, raw, self._bundle_id, self._sealed_at, self._note())
        self._count("consent", outcome)
        self._withdrawals += marked

    def _withdrawal(self, raw: dict[str, Any]) -> None:
        outcome, erased = apply_withdrawal(self._context(), raw, self._note())
        self._count("withdrawal", outcome)
        self._withdrawals += outcome == "updated"
        self._erased |= erased

    # ------------------------------------------------------------------ audio
    def _expect_audio(self, raw: dict[str, Any]) -> None:
        audio = raw.get("audio")
        if audio is None:
            return
        chunks = audio.get("chunks") if isinstance(audio, dict) else None
        if not isinstance(chunks, list):
            raise Malformed("a recording's audio has no chunk list")
        expected: dict[int, tuple[int, int]] = {}
        for item in chunks:
            if not (isinstance(item, list) and len(item) == 3
                    and all(type(x) is int and x >= 0 for x in item)):  # fmt: skip
                raise Malformed("an audio chunk entry is not [seq, start frame, frames]")
            if item[0] in expected:
                raise Malformed("an audio chunk is listed twice")
            expected[item[0]] = (item[1], item[2])
        s, rid = self._context().session, str(raw["id"])
        held = select(AudioChunk.seq).where(AudioChunk.recording_id == rid).limit(1)
        if s.get(Recording, rid) is None:
            self._count("audio", "skipped")
        elif s.scalar(held) is not None:
            self._count("audio", "unchanged")  # audio already here is never replaced
        elif expected:
            self._audio[rid] = expected
            self._count("audio", "added")

    def _chunk(self, recording_id: str, seq: int, data: bytes) -> None:
        expected = self._audio.get(recording_id)
        if expected is None:
            return  # this recording keeps the audio it has (or is not merged)
        if seq not in expected:
            raise Malformed(f"audio chunk {seq} is not listed in data/recordings.json")
        if not data.startswith(b"fLaC"):
            raise Malformed(f"audio chunk {seq} is not FLAC")
        start, frames = expected.pop(seq)
        if not expected:
            del self._audio[recording_id]
        self._context().session.execute(
            insert(AudioChunk).values(
                recording_id=recording_id, seq=seq, start_frame=start, frames=frames, data=data
            )
        )

    # ---------------------------------------------------------------- helpers
    def _record(self, session: Session, summary: MergeSummary, sha256: str) -> None:
        ctx = self._context()
        counts = self._manifest.get("counts")
        session.add(ReceivedBundle(
            id=self._bundle_id, researcher_id=ctx.origin,
            researcher_name=self._researcher_name[:200], signer=self._signer[:200],
            sealed_at=self._sealed_at[:40], source=self._source, sha256=sha256,
            counts=counts if isinstance(counts, dict) else {},
            summary={"counts": summary.to_json()["counts"], "withdrawals": self._withdrawals},
            created_by=self._store.researcher_id, updated_by=self._store.researcher_id,
        ))  # fmt: skip
        session.add(AuditEvent(
            researcher_id=self._store.researcher_id or None, action="bundle_opened",
            target_type="bundle", target_id=self._bundle_id,
            detail={"researcher": self._researcher_name, "signer": self._signer,
                    "source": self._source, "withdrawals": self._withdrawals,
                    **{o: summary.total(o) for o in OUTCOMES}},
        ))  # fmt: skip

    def _summary(self) -> MergeSummary:
        return MergeSummary(
            bundle_id=self._bundle_id,
            researcher_name=self._researcher_name,
            signer=self._signer,
            sealed_at=self._sealed_at,
            duplicate=self._duplicate,
            counts={k: RecordCounts(**v) for k, v in sorted(self._counts.items())},
            withdrawals=self._withdrawals,
        )

    def _note(self) -> str:
        return f"Carried by bundle {self._bundle_id} from {self._researcher_name}."

    def _count(self, kind: str, outcome: str) -> None:
        counts = self._counts.setdefault(kind, dict.fromkeys(OUTCOMES, 0))
        counts[outcome] += 1

    def _context(self) -> Context:
        if self._ctx is None:
            raise RelationsError("This merge has not begun (or has already ended).")
        return self._ctx

    @contextlib.contextmanager
    def _database(self) -> Any:
        try:
            yield
        except DBAPIError as exc:
            raise RelationsError(
                f"The store refused the merge ({exc.orig}); nothing was written."
            ) from exc


def _records(data: bytes) -> list[dict[str, Any]]:
    value = json.loads(data.decode("utf-8"))
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Malformed("it is not a list of records")
    return value
