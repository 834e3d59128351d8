"""Sealing and verifying bundles (issue 7, part 2 and part 4's verify; see
docs/bundle-format.md).

``seal`` writes an age file (``pyrage.encrypt_io``, streamed) encrypted to every roster
member and to the sealing researcher, holding a tar stream (``tarfile`` mode ``w|``):
``manifest.json``, its detached minisign signature, then pseudonymised JSON data. The
tar is produced piece by piece as age reads it, so only one data file is ever in memory.
``verify`` decrypts with this store's identity (``pyrage.decrypt_io`` in a thread,
feeding a pipe that ``tarfile`` reads in mode ``r|``), checks the signature against the
roster and every entry against the signed manifest, and writes nothing anywhere; ``open``
does the same and hands each checked entry to the merger (core/bundle_merge.py), whose
transaction is committed only when the whole bundle checked out.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyrage
from sqlalchemy import func, select

from relations_desktop.core.bundle_content import BundleContent
from relations_desktop.core.bundle_format import (
    BUNDLE_FORMAT,
    MANIFEST_NAME,
    SCHEMA_REVISION,
    SIGNATURE_NAME,
    json_bytes,
)
from relations_desktop.core.bundle_io import VerifyResult, check_stream, write_age
from relations_desktop.core.bundle_reading import Opened as _Opened
from relations_desktop.core.errors import Cancelled, InvalidInput, RelationsError
from relations_desktop.core.fsutil import make_private_dir
from relations_desktop.core.review import IdentifiersUnresolved
from relations_desktop.core.store.models import (
    OutboxBundle,
    ReceivedBundle,
    Researcher,
    ResearcherKey,
)
from relations_desktop.core.team import key_id

if TYPE_CHECKING:
    from relations_desktop.core.bundle_merge import MergeSummary
    from relations_desktop.core.services import StoreService


OUTBOX_DIR = "outbox"
AUDIO_PREFIX = "data/audio/"
# JSON entries (transcripts above all) cost far more to make than to keep: up to this
# much is kept from the hashing pass for the writing pass. Audio chunks are only read,
# so they are read again; memory stays bounded whatever the bundle's size.
KEEP_BETWEEN_PASSES = 64 * 1024 * 1024
OPEN_CANCELLED = "Opening was cancelled; nothing was merged."
VERIFY_CANCELLED = "Verifying was cancelled."


@dataclass(frozen=True)
class SealResult:
    path: str
    bundle_id: str
    recipients: int
    files: int
    counts: dict[str, int]
    size: int
    sha256: str
    in_outbox: bool
    since: str | None
    audio_withheld: list[str]


@dataclass(frozen=True)
class OutboxRecord:
    bundle_id: str
    path: str
    in_outbox: bool
    size: int
    sha256: str
    sealed_at: datetime
    since: datetime | None
    with_audio: bool
    counts: dict[str, Any]
    present: bool  # the file is still where it was written


class NothingToSeal(RelationsError):
    """``--since-last`` found nothing changed since the last bundle."""

    exit_code = 1


class BundleService:
    def __init__(self, store: StoreService) -> None:
        self._store = store

    @property
    def outbox_dir(self) -> Path:
        return self._store.store_dir / OUTBOX_DIR

    # ------------------------------------------------------------------ seal
    def seal(
        self,
        out: Path | None = None,
        encounter_ids: Sequence[str] | None = None,
        *,
        since_last: bool = False,
        with_audio: bool = False,
        progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> SealResult:
        """Seal the given sessions (all when none; with ``since_last`` only those changed
        since the last bundle) into ``out``, or into the outbox when ``out`` is None.

        Refused with nothing written: an empty roster, an unknown session, nothing new
        (``since_last``), or likely identifiers in the scope that nobody has reviewed.
        ``progress`` gets the fraction written; ``cancelled`` returning True stops the seal
        (:class:`Cancelled`), leaving no file behind.
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
        since = self.last_sealed_at() if since_last else None
        content = BundleContent(self._store, scope, since, with_audio)
        if since is not None and content.empty:
            raise NothingToSeal(
                f"Nothing has changed since the last bundle (sealed {since:%Y-%m-%d %H:%M} UTC); "
                "no bundle was sealed."
            )
        scope_ids = [e["id"] for e in content.encounters] if since is not None else scope
        self._check_reviewed(scope_ids)
        keys = self._store.team.my_keys()
        recipients = sorted({m.age_recipient for m in members} | {keys.age_recipient})
        listed: list[dict[str, Any]] = []
        expected: dict[str, str] = {}
        kept: dict[str, bytes] = {}  # made once, written as they are (within a budget)
        budget = KEEP_BETWEEN_PASSES
        for name, data in content.entries():
            expected[name] = hashlib.sha256(data).hexdigest()
            listed.append({"path": name, "size": len(data), "sha256": expected[name]})
            if not name.startswith(AUDIO_PREFIX) and len(data) <= budget:
                kept[name] = data
                budget -= len(data)
        with self._store._session() as session:
            me = session.get(Researcher, self._store.researcher_id)
            name = me.name if me is not None else "Researcher"
        bundle_id = str(uuid.uuid4())
        sealed_at = datetime.now(UTC)
        since_text = since.isoformat(timespec="seconds") if since is not None else None
        manifest = {
            "format": BUNDLE_FORMAT,
            "schema_revision": SCHEMA_REVISION,
            "bundle_id": bundle_id,
            "created_at": sealed_at.isoformat(timespec="seconds"),
            "researcher": {
                "id": self._store.researcher_id,
                "name": name,
                "signing_key_id": keys.signing_key_id,
            },
            "scope": scope_ids if scope_ids is not None else "all",
            "since": since_text,
            "with_audio": with_audio,
            "audio_withheld": sorted(content.audio_withheld),
            "counts": content.counts,
            "files": listed,
        }
        manifest_data = json_bytes(manifest)
        signature = self._store.team.sign(
            manifest_data, f"{BUNDLE_FORMAT} v{SCHEMA_REVISION} id={bundle_id}"
        )
        in_outbox = out is None
        if out is None:
            make_private_dir(self.outbox_dir)
            _remove_stale_partials(self.outbox_dir)
            target = self.outbox_dir / f"{bundle_id}.age"
        else:
            target = out.expanduser()
        size, digest = write_age(
            target,
            # A chain, not a list: the entries must be made as age reads them.
            itertools.chain(
                [(MANIFEST_NAME, manifest_data), (SIGNATURE_NAME, signature)],
                _checked(content.entries(kept), expected, progress, cancelled),
            ),
            recipients,
        )
        with self._store._session() as session:
            session.add(
                OutboxBundle(
                    id=bundle_id,
                    path=str(target.resolve()),
                    in_outbox=in_outbox,
                    size=size,
                    sha256=digest,
                    sealed_at=sealed_at,
                    since=since,
                    with_audio=with_audio,
                    scope={"encounters": scope_ids},
                    counts=content.counts,
                    created_by=self._store.researcher_id,
                )
            )
        self._store.audit(
            "bundle_sealed",
            "bundle",
            bundle_id,
            path=str(target),
            recipients=len(recipients),
            counts=content.counts,
            with_audio=with_audio,
        )
        return SealResult(
            str(target),
            bundle_id,
            len(recipients),
            len(listed),
            content.counts,
            size,
            digest,
            in_outbox,
            since_text,
            sorted(content.audio_withheld),
        )

    def last_sealed_at(self) -> datetime | None:
        with self._store._session() as session:
            return session.scalar(select(func.max(OutboxBundle.sealed_at)))

    def outbox(self) -> list[OutboxRecord]:
        """Every bundle sealed here, newest first."""
        with self._store._session() as session:
            rows = session.scalars(
                select(OutboxBundle).order_by(OutboxBundle.sealed_at.desc(), OutboxBundle.id)
            )
            return [
                OutboxRecord(
                    bundle_id=r.id,
                    path=r.path,
                    in_outbox=r.in_outbox,
                    size=r.size,
                    sha256=r.sha256,
                    sealed_at=r.sealed_at,
                    since=r.since,
                    with_audio=r.with_audio,
                    counts=dict(r.counts),
                    present=Path(r.path).is_file(),
                )
                for r in rows
            ]

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

    # ------------------------------------------------------- verify and open
    def verify(
        self,
        path: Path,
        progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> VerifyResult:
        """Decrypt (streamed), check signature, manifest and every entry; write nothing.
        ``progress`` and ``cancelled`` as for :meth:`open`."""
        with self._opened(path).watch(progress, cancelled, VERIFY_CANCELLED) as (plain, roster):
            return check_stream(plain, roster)

    def open(
        self,
        path: Path,
        progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> tuple[VerifyResult, MergeSummary]:
        """Verify the bundle and merge it into this store in one transaction, committed
        only when every check passed to the bundle's last byte (docs/team-inbox.md).
        ``progress`` gets the fraction of the bundle file read; ``cancelled`` is asked as
        it is read (and once more before the commit): True stops with :class:`Cancelled`,
        the merge undone and nothing written."""
        from relations_desktop.core.bundle_merge import Merger

        merger = Merger(self._store, str(path))
        opened = self._opened(path).watch(progress, cancelled, OPEN_CANCELLED)
        try:
            with opened as (plain, roster):
                result = check_stream(plain, roster, merger.begin, merger.add)
            if cancelled():
                raise Cancelled(OPEN_CANCELLED)
        except BaseException:
            merger.abort()
            raise
        return result, merger.commit(sha256=opened.sha256)

    def opened_file_hashes(self) -> set[str]:
        """SHA-256 of every bundle file opened here (the inbox skips them)."""
        with self._store._session() as session:
            return set(session.scalars(select(ReceivedBundle.sha256)))

    def _opened(self, path: Path) -> _Opened:
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
        return _Opened(path, identity, roster)


def _checked(
    entries: Iterator[tuple[str, bytes]],
    expected: dict[str, str],
    progress: Callable[[float], None] | None,
    cancelled: Callable[[], bool],
) -> Iterator[tuple[str, bytes]]:
    """The second pass over the entries, each checked against the hash the manifest
    already promises: a store changed in between fails the seal (nothing is kept)."""
    for done, (name, data) in enumerate(entries, start=1):
        if cancelled():
            raise Cancelled("Sealing was cancelled; no bundle was written.")
        if expected.get(name) != hashlib.sha256(data).hexdigest():
            raise RelationsError(
                f"The store changed while sealing ({name}); nothing was written. Seal again."
            )
        yield name, data
        if progress is not None:
            progress(done / len(expected))


def _remove_stale_partials(outbox: Path) -> None:
    """A seal into the outbox killed mid-way leaves ``.<id>.age.partial``; each seal has a
    new id, so nothing would ever finish or reuse it. One process holds the store and
    seals one at a time, so any partial here now is stale."""
    for partial in outbox.glob(".*.age.partial"):
        with contextlib.suppress(OSError):
            partial.unlink()
