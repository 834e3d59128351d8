"""The pseudonym register and how it is applied to everything that leaves the store.

Matching is whole-word and case-insensitive: ``Ann`` never matches inside ``Anne``,
``Annual``, ``Joanne``, ``Mary-Ann`` or ``Ann-Marie``; a possessive (``Lara's``,
``Lara’s``) keeps its ending, and so does a contraction (``Lara'll``); a name in quotes
(``'Lara'``) or next to punctuation is matched; the longest entry wins where entries
overlap (``Lara Smith`` before ``Lara``); a space in an entry matches any run of white
space or a hyphen (a name broken across lines, ``Tracy Ann`` for ``Tracy-Ann``); straight
and curly apostrophes are the same. A name written in capitals gets its pseudonym in
capitals. The register is seeded from participants' real names (identity register →
pseudonym).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relations_desktop.core.convert import choice
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.store.lookup import get_or_missing
from relations_desktop.core.store.models import IdentityEntry, Participant, Pseudonym, PseudonymKind

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

MAX_REAL = 300
SEEDED_TEXT = (
    "This entry comes from a participant's real name and pseudonym; change the name in the "
    "identity register or the pseudonym in their record instead."
)
_SPACES = re.compile(r"\s+")
# Not inside a word: no letter or digit before, and no hyphen or apostrophe joined to one
# (Mary-Ann, O'Neill); after, no letter or digit, and no hyphen joined to one (Ann-Marie).
# An apostrophe after the name starts a possessive or a contraction (Lara's, Lara'll,
# Lara'd), or closes a quote; otherwise it is inside a longer word.
_BEFORE = r"(?<!\w)(?<!\w['’\-])"
_AFTER = r"(?P<possessive>['’]s)?(?!\w)(?!-\w)(?!['’](?!(?:ll|d|ve|re|m)\b)\w)"
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


def real_key(real: str) -> str:
    return _SPACES.sub(" ", real.strip()).translate(_APOSTROPHES).casefold()


@dataclass(frozen=True)
class RegisterEntry:
    id: str
    real: str
    replacement: str
    kind: str
    notes: str = ""
    participant_id: str | None = None


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int
    found: str
    entry: RegisterEntry
    text: str  # what goes in its place


class Replacer:
    """Applies a register to text. Build once, use for many texts."""

    def __init__(self, entries: Iterable[RegisterEntry]) -> None:
        usable = [e for e in entries if e.real.strip()]
        usable.sort(key=lambda e: len(e.real), reverse=True)
        self._by_key = {real_key(e.real): e for e in usable}
        self._each = [(re.compile(_entry_pattern(e.real), re.IGNORECASE), e) for e in usable]
        alternatives = [_entry_pattern(e.real) for e in usable]
        self._pattern = (
            re.compile(f"{_BEFORE}(?P<name>{'|'.join(alternatives)}){_AFTER}", re.IGNORECASE)
            if alternatives
            else None
        )

    def find(self, text: str) -> list[Replacement]:
        if self._pattern is None or not text:
            return []
        found: list[Replacement] = []
        for match in self._pattern.finditer(text):
            name = match.group("name")
            entry = self._by_key.get(real_key(name)) or self._entry_for(name)
            new = entry.replacement
            if name.isupper() and len(name) > 1 and not new.startswith("["):
                new = new.upper()
            possessive = match.group("possessive") or ""
            found.append(Replacement(match.start(), match.end(), match.group(0), entry,
                                     new + possessive))  # fmt: skip
        return found

    def _entry_for(self, name: str) -> RegisterEntry:
        """The entry a match came from when its text is not the entry's key (a hyphen for a
        space, or a letter whose case folding differs)."""
        return next(e for pattern, e in self._each if pattern.fullmatch(name))

    def apply(self, text: str) -> str:
        pieces: list[str] = []
        last = 0
        for replacement in self.find(text):
            pieces.append(text[last : replacement.start])
            pieces.append(replacement.text)
            last = replacement.end
        pieces.append(text[last:])
        return "".join(pieces)


def _entry_pattern(real: str) -> str:
    words = _SPACES.split(real.strip())
    escaped = (re.escape(w.translate(_APOSTROPHES)).replace("'", "['’‘]") for w in words)
    return r"(?:\s+|\s*-\s*)".join(escaped)


class PseudonymService:
    def __init__(self, store: StoreService) -> None:
        self._store = store

    def add(
        self, real: str, replacement: str, *, kind: str = PseudonymKind.OTHER.value,
        notes: str = "",
    ) -> RegisterEntry:  # fmt: skip
        real, replacement = _check_pair(real, replacement)
        what = choice(PseudonymKind, kind, "kind")
        key = real_key(real)
        with self._store._session() as session:
            self._seed(session)
            _refuse_duplicate(session, real, key)
            row = Pseudonym(
                project_id=self._store.project_id,
                real=real,
                real_key=key,
                replacement=replacement,
                kind=what,
                notes=notes.strip(),
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            session.add(row)
            session.flush()
            entry = _entry(row)
        self._store.audit("pseudonym_added", "pseudonym", entry.id, kind=entry.kind)
        return entry

    def update(self, entry_id: str, **fields: Any) -> RegisterEntry:
        """Change an entry (``real``, ``replacement``, ``kind``, ``notes``). Entries seeded
        from a participant's real name follow the identity register and the pseudonym:
        their real string and replacement are changed there, not here."""
        unknown = set(fields) - {"real", "replacement", "kind", "notes"}
        if unknown:
            raise InvalidInput(f"A register entry has no {', '.join(sorted(unknown))}.")
        with self._store._session() as session:
            row = get_or_missing(session, Pseudonym, entry_id, "register entry")
            real, replacement = _check_pair(
                fields.get("real", row.real), fields.get("replacement", row.replacement)
            )
            kind = choice(PseudonymKind, fields.get("kind", row.kind.value), "kind")
            if row.participant_id is not None and (real, replacement) != (
                row.real, row.replacement,
            ):  # fmt: skip
                raise InvalidInput(SEEDED_TEXT)
            key = real_key(real)
            if key != row.real_key:
                _refuse_duplicate(session, real, key)
            row.real, row.real_key, row.replacement, row.kind = real, key, replacement, kind
            if "notes" in fields:
                row.notes = str(fields["notes"] or "").strip()
            row.updated_by = self._store.researcher_id
            session.flush()
            entry = _entry(row)
        self._store.audit("pseudonym_changed", "pseudonym", entry.id, kind=entry.kind)
        return entry

    def remove(self, entry_id: str) -> None:
        with self._store._session() as session:
            row = get_or_missing(session, Pseudonym, entry_id, "register entry")
            if row.participant_id is not None:
                raise InvalidInput(SEEDED_TEXT)
            session.delete(row)
        self._store.audit("pseudonym_removed", "pseudonym", entry_id)

    def list(self) -> list[RegisterEntry]:
        with self._store._session() as session:
            self._seed(session)
            rows = session.scalars(select(Pseudonym).order_by(Pseudonym.real_key))
            return [_entry(r) for r in rows]

    def replacer(self) -> Replacer:
        return Replacer(self.list())

    def apply(self, text: str) -> str:
        return self.replacer().apply(text)

    def _seed(self, session: Session) -> None:
        """Make sure every real name in the identity register has its entries."""
        rows = session.execute(
            select(Participant, IdentityEntry).join(
                IdentityEntry, IdentityEntry.participant_id == Participant.id
            )
        ).all()
        existing = {row.real_key: row for row in session.scalars(select(Pseudonym))}
        for participant, identity in rows:
            for real, replacement, kind in seeded_entries(
                identity.real_name, participant.pseudonym
            ):
                key = real_key(real)
                row = existing.get(key)
                if row is None:
                    row = Pseudonym(
                        project_id=participant.project_id,
                        real=real,
                        real_key=key,
                        replacement=replacement,
                        kind=PseudonymKind(kind),
                        participant_id=participant.id,
                        created_by=self._store.researcher_id,
                    )
                    session.add(row)
                    existing[key] = row
                elif row.participant_id == participant.id and row.replacement != replacement:
                    row.replacement = replacement  # the pseudonym was changed
        session.flush()


def seeded_entries(real_name: str, pseudonym: str) -> list[tuple[str, str, str]]:
    """A real name's entries: the full name and the first name become the pseudonym; the
    surname alone becomes ``[surname]``."""
    words = _SPACES.split(real_name.strip())
    if not words or not words[0]:
        return []
    entries = [(" ".join(words), pseudonym, PseudonymKind.FULL_NAME.value)]
    if len(words) > 1:
        entries.append((words[0], pseudonym, PseudonymKind.FIRST_NAME.value))
        entries.append((words[-1], "[surname]", PseudonymKind.SURNAME.value))
    else:
        entries[0] = (words[0], pseudonym, PseudonymKind.FIRST_NAME.value)
    return entries


def _check(value: Any, noun: str) -> str:
    text = _SPACES.sub(" ", str(value or "").strip())
    if not text:
        raise InvalidInput(f"The {noun} must not be empty.")
    if len(text) > MAX_REAL:
        raise InvalidInput(f"The {noun} is longer than {MAX_REAL} characters.")
    return text


def _check_pair(real: Any, replacement: Any) -> tuple[str, str]:
    real, replacement = _check(real, "real name or place"), _check(replacement, "replacement")
    if not any(ch.isalnum() for ch in real):
        raise InvalidInput(f"“{real}” has no letters or digits to match.")
    if real_key(real) == real_key(replacement):
        raise InvalidInput(f"The replacement for “{real}” must be different from it.")
    return real, replacement


def _refuse_duplicate(session: Session, real: str, key: str) -> None:
    existing = session.scalars(select(Pseudonym).where(Pseudonym.real_key == key)).first()
    if existing is not None:
        raise InvalidInput(
            f"“{real}” is already in the register (→ {existing.replacement}); "
            "change that entry instead."
        )


def _entry(row: Pseudonym) -> RegisterEntry:
    return RegisterEntry(
        id=row.id,
        real=row.real,
        replacement=row.replacement,
        kind=row.kind.value,
        notes=row.notes,
        participant_id=row.participant_id,
    )


def apply_all(replacer: Replacer, texts: Sequence[str]) -> list[str]:
    return [replacer.apply(t) for t in texts]
