"""Researcher identities and the signed team roster (see docs/team-roster.md).

Each researcher has two key pairs, made on first use and kept only in the encrypted
store: an age X25519 identity (``pyrage``; bundles are encrypted to its recipient) and a
minisign (Ed25519) signing key (``py-minisign``; what they send is signed with it, and
the plain ``minisign`` tool verifies it). Nothing here is home-made cryptography.

The team roster lists the members (name, role, age recipient, signing public key). It
travels as ``roster.json`` plus a detached minisign signature ``roster.json.minisig``.
A roster is trusted when it is signed by a principal investigator already in this
store's roster, or, the first time, by the key the researcher names explicitly with
``trust_signer`` (the PI's full signing public key, confirmed out of band). Everything is
checked before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import minisign
import pyrage
from sqlalchemy import delete, select

from relations_desktop.core.convert import choice
from relations_desktop.core.errors import InvalidInput, NotFound, StoreDamaged
from relations_desktop.core.fsutil import atomic_write
from relations_desktop.core.store.models import (
    AuditEvent,
    Researcher,
    ResearcherKey,
    Setting,
    TeamMember,
    TeamRole,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from relations_desktop.core.services import StoreService

ROSTER_FORMAT = "relations-team-roster"
ROSTER_VERSION = 1
SIGNATURE_SUFFIX = ".minisig"
MAX_ROSTER_BYTES = 1024 * 1024  # 1 MiB: a roster is a few hundred bytes per member
MAX_SIGNATURE_BYTES = 16 * 1024  # a minisign signature is four short lines
MAX_MEMBERS = 1000
ROSTER_SIGNED_AT_SETTING = "team_roster_signed_at"


# ------------------------------------------------------------------- records
@dataclass(frozen=True)
class KeysRecord:
    """The public halves of this researcher's keys (what ``keys show`` prints)."""

    researcher_id: str
    age_recipient: str
    signing_public_key: str  # the minisign public key line (base64, "RW…")
    signing_key_id: str  # as the minisign tool shows it (16 hex digits)


@dataclass(frozen=True)
class TeamMemberRecord:
    id: str
    name: str
    role: str
    age_recipient: str
    signing_key: str | None
    signing_key_id: str | None
    is_me: bool


@dataclass(frozen=True)
class RosterExport:
    roster_path: str
    signature_path: str
    signed_at: str
    signer_key_id: str
    members: int


@dataclass(frozen=True)
class RosterImport:
    signer_name: str
    signer_key_id: str
    signed_at: str
    members: int
    trusted_by: str  # "roster" (a PI already trusted) or "confirmation" (trust_signer)


# ----------------------------------------------------------------- key text
def parse_recipient(text: str) -> str:
    """An age X25519 recipient in its canonical text, or a clear refusal."""
    value = text.strip()
    try:
        recipient = pyrage.x25519.Recipient.from_str(value)
    except Exception as exc:  # pyrage raises RecipientError or ValueError
        raise InvalidInput(f"Not an age X25519 recipient (age1…): {value[:80]!r}.") from exc
    return str(recipient)


def parse_signing_key(text: str) -> str:
    """A minisign public key: the base64 line (``RW…``), alone or with its comment line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("untrusted comment:"):
        lines = lines[1:]
    value = lines[0] if len(lines) == 1 else text.strip()
    try:
        key = minisign.PublicKey.from_base64(value)
    except Exception as exc:  # minisign.ParseError, or a bad type
        raise InvalidInput(
            f"Not a minisign public key (a base64 line starting RW…): {value[:80]!r}."
        ) from exc
    return str(key.to_base64().decode("ascii"))


def key_id(public_key: str) -> str:
    """The key id exactly as the minisign tool prints it: its 8 bytes read as a
    little-endian number, in upper-case hex without leading zeros (``%llX``)."""
    key = minisign.PublicKey.from_base64(public_key)
    return _hex_id(bytes(key._keynum_pk.key_id))


def signature_key_id(signature: Any) -> str:
    return _hex_id(bytes(signature._key_id))


def _hex_id(raw: bytes) -> str:
    return f"{int.from_bytes(raw, 'little'):X}"


def same_key_id(a: object, b: object) -> bool:
    """Key ids compared as numbers (older stores kept them zero-padded to 16 digits)."""
    try:
        return int(str(a), 16) == int(str(b), 16)
    except ValueError:
        return False


def _public_key_file(public_key: str) -> str:
    return f"untrusted comment: minisign public key {key_id(public_key)}\n{public_key}\n"


# ------------------------------------------------------------------ service
class TeamService:
    def __init__(self, store: StoreService) -> None:
        self._store = store

    # ------------------------------------------------------------ own keys
    def my_keys(self) -> KeysRecord:
        """This researcher's public keys; the keys are made on first use."""
        with self._store._session() as session:
            row = self._ensure_keys(session)
            return KeysRecord(
                researcher_id=row.researcher_id,
                age_recipient=row.age_recipient,
                signing_public_key=row.signing_public,
                signing_key_id=key_id(row.signing_public),
            )

    def ensure_keys(self) -> None:
        with self._store._session() as session:
            self._ensure_keys(session)

    def _ensure_keys(self, session: Session) -> ResearcherKey:
        researcher_id = self._store.researcher_id
        row = session.scalars(
            select(ResearcherKey).where(ResearcherKey.researcher_id == researcher_id)
        ).first()
        if row is not None:
            return row
        if session.get(Researcher, researcher_id) is None:
            raise StoreDamaged("The store has no researcher record to make keys for.")
        identity = pyrage.x25519.Identity.generate()
        pair = minisign.KeyPair.generate()
        public = str(pair.public_key.to_base64().decode("ascii"))
        row = ResearcherKey(
            researcher_id=researcher_id,
            age_identity=str(identity),
            age_recipient=str(identity.to_public()),
            signing_secret=str(pair.secret_key.to_base64().decode("ascii")),
            signing_public=public,
            signing_key_id=key_id(public),
            created_by=researcher_id,
            updated_by=researcher_id,
        )
        pair.secret_key.wipe()
        session.add(row)
        session.flush()
        self._audit(
            session,
            "keys_created",
            "researcher",
            researcher_id,
            age_recipient=row.age_recipient,
            signing_key_id=key_id(row.signing_public),
        )
        return row

    def _audit(
        self, session: Session, action: str, target_type: str, target_id: str, **detail: Any
    ) -> None:
        # In the caller's transaction, so an event is never recorded for a change that
        # was rolled back (nor the other way round).
        session.add(
            AuditEvent(
                researcher_id=self._store.researcher_id or None,
                action=action,
                target_type=target_type,
                target_id=target_id,
                detail=detail,
            )
        )

    def decrypt_for_me(self, data: bytes) -> bytes:
        """Decrypt an age file encrypted to this researcher's recipient."""
        with self._store._session() as session:
            identity = pyrage.x25519.Identity.from_str(self._ensure_keys(session).age_identity)
        try:
            plain: bytes = pyrage.decrypt(data, [identity])
        except Exception as exc:  # pyrage.DecryptError, or a malformed header
            raise InvalidInput(
                "This file is not encrypted to you, or it is damaged; nothing was read."
            ) from exc
        return plain

    def sign(self, data: bytes, trusted_comment: str) -> bytes:
        """A detached minisign signature of ``data`` (the text of a ``.minisig`` file)."""
        with self._store._session() as session:
            secret_text = self._ensure_keys(session).signing_secret
        secret = minisign.SecretKey.from_base64(secret_text)
        try:
            signature = secret.sign(
                data,
                untrusted_comment="signature from Relations Desktop",
                trusted_comment=trusted_comment,
            )
        finally:
            secret.wipe()
        return bytes(signature) + b"\n"

    # -------------------------------------------------------------- roster
    def list_members(self) -> list[TeamMemberRecord]:
        with self._store._session() as session:
            mine = self._ensure_keys(session)
            rows = session.scalars(
                select(TeamMember)
                .where(TeamMember.project_id == self._store.project_id)
                .order_by(TeamMember.role.desc(), TeamMember.name)
            )
            return [_member(row, mine) for row in rows]

    def add_member(
        self,
        name: str,
        recipient: str,
        *,
        signing_key: str | None = None,
        role: str = TeamRole.MEMBER.value,
    ) -> TeamMemberRecord:
        clean_name = _name(name)
        clean_role = choice(TeamRole, role, "team role")
        clean_recipient = parse_recipient(recipient)
        clean_key = parse_signing_key(signing_key) if signing_key else None
        if clean_role is TeamRole.PI and clean_key is None:
            raise InvalidInput(
                "A principal investigator needs a signing key (--signing-key): "
                "the team roster is signed with it."
            )
        with self._store._session() as session:
            mine = self._ensure_keys(session)
            existing = list(
                session.scalars(
                    select(TeamMember).where(TeamMember.project_id == self._store.project_id)
                )
            )
            _check_unique(existing, clean_name, clean_recipient, clean_key)
            row = TeamMember(
                project_id=self._store.project_id,
                name=clean_name,
                role=clean_role,
                age_recipient=clean_recipient,
                signing_key=clean_key,
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            session.add(row)
            session.flush()
            self._audit(
                session,
                "team_member_added",
                "team_member",
                row.id,
                role=clean_role.value,
                age_recipient=clean_recipient,
                signing_key_id=key_id(clean_key) if clean_key else None,
            )
            return _member(row, mine)

    def add_me(
        self, *, name: str | None = None, role: str = TeamRole.MEMBER.value
    ) -> TeamMemberRecord:
        """Put this researcher on the roster with their own keys."""
        keys = self.my_keys()
        if name is None or not name.strip():
            with self._store._session() as session:
                me = session.get(Researcher, self._store.researcher_id)
                name = me.name if me is not None else "Researcher"
        return self.add_member(
            name, keys.age_recipient, signing_key=keys.signing_public_key, role=role
        )

    def remove_member(self, member_id: str) -> None:
        with self._store._session() as session:
            row = session.get(TeamMember, member_id.strip())
            if row is None or row.project_id != self._store.project_id:
                raise NotFound(f"No team member with id {member_id!r}.")
            self._audit(
                session,
                "team_member_removed",
                "team_member",
                row.id,
                role=row.role.value,
                age_recipient=row.age_recipient,
            )
            session.delete(row)

    # -------------------------------------------------------------- export
    def export_roster(self, out: Path) -> RosterExport:
        """Write ``out`` (JSON) and ``out.minisig``, signed with this researcher's key,
        who must be a principal investigator on the roster."""
        members = self.list_members()
        keys = self.my_keys()
        me = next(
            (m for m in members if m.signing_key == keys.signing_public_key and m.role == "pi"),
            None,
        )
        if me is None:
            raise InvalidInput(
                "Only a principal investigator on the roster signs it: add yourself with "
                "'team add --me --role pi', or ask your PI for the signed roster."
            )
        signed_at = datetime.now(UTC).isoformat(timespec="microseconds")
        document = {
            "format": ROSTER_FORMAT,
            "version": ROSTER_VERSION,
            "signed_at": signed_at,
            "signed_by": {
                "name": me.name,
                "signing_key": keys.signing_public_key,
                "key_id": keys.signing_key_id,
            },
            "members": [
                {
                    "id": m.id,
                    "name": m.name,
                    "role": m.role,
                    "age_recipient": m.age_recipient,
                    "signing_key": m.signing_key,
                }
                for m in sorted(members, key=lambda m: (m.role != "pi", m.name, m.id))
            ],
        }
        data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        if len(data) > MAX_ROSTER_BYTES:
            raise InvalidInput("The roster is too large to export (over 1 MiB).")
        signature = self.sign(data, f"{ROSTER_FORMAT} v{ROSTER_VERSION} signed_at={signed_at}")
        out = out.expanduser()
        signature_path = out.with_name(out.name + SIGNATURE_SUFFIX)
        try:
            atomic_write(out, data)
            atomic_write(signature_path, signature)
        except OSError as exc:
            raise InvalidInput(f"Cannot write {out}: {exc.strerror or exc}.") from exc
        with self._store._session() as session:
            self._audit(
                session,
                "team_roster_exported",
                "team",
                self._store.project_id,
                members=len(members),
                signed_at=signed_at,
                sha256=hashlib.sha256(data).hexdigest(),
            )
        self._store.set_setting(ROSTER_SIGNED_AT_SETTING, signed_at)
        return RosterExport(
            str(out), str(signature_path), signed_at, keys.signing_key_id, len(members)
        )

    # -------------------------------------------------------------- import
    def import_roster(
        self,
        data: bytes,
        signature: bytes,
        *,
        trust_signer: str | None = None,
    ) -> RosterImport:
        """Verify, then replace this store's roster with the one in ``data``.

        Refused, with nothing written: an oversized file, a missing or malformed
        signature, a signature that does not verify, a signer who is neither a PI on the
        current roster nor the key given as ``trust_signer``, malformed JSON, another
        format or version, a bad recipient or key, duplicates, a roster older than the
        one already imported, a signer who is not a PI in the roster they signed.
        """
        if len(data) > MAX_ROSTER_BYTES:
            raise InvalidInput(
                f"The roster file is {len(data)} bytes; a roster is at most 1 MiB. "
                "Nothing was imported."
            )
        if len(signature) > MAX_SIGNATURE_BYTES or not signature.strip():
            raise InvalidInput("The roster's signature file is not a minisign signature.")
        try:
            sig = minisign.Signature.from_bytes(signature.strip())
        except Exception as exc:
            raise InvalidInput(
                "The roster's signature file is not a minisign signature; nothing was imported."
            ) from exc
        signer_id = signature_key_id(sig)
        confirmed = parse_signing_key(trust_signer) if trust_signer else None
        with self._store._session() as session:
            pis = [
                m.signing_key
                for m in session.scalars(
                    select(TeamMember).where(
                        TeamMember.project_id == self._store.project_id,
                        TeamMember.role == TeamRole.PI,
                    )
                )
                if m.signing_key
            ]
        candidates = [(k, "roster") for k in pis if key_id(k) == signer_id]
        if confirmed is not None and key_id(confirmed) == signer_id:
            candidates.append((confirmed, "confirmation"))
        if not candidates:
            hint = (
                f"the key you gave (key ID {key_id(confirmed)}) is not the one that signed it"
                if confirmed
                else "if your PI confirms this key to you (in person or by phone), import with "
                "--trust-signer and their signing public key (RW…)"
            )
            raise InvalidInput(
                f"The roster is signed by key ID {signer_id}, which is not a trusted principal "
                f"investigator here; {hint}. Nothing was imported."
            )
        signer_key = trusted_by = ""
        for candidate, how in candidates:
            try:
                minisign.PublicKey.from_base64(candidate).verify(data, sig)
            except Exception:  # minisign.VerifyError  # noqa: S112 - try the next key
                continue
            signer_key, trusted_by = candidate, how
            break
        if not signer_key:
            raise InvalidInput(
                "The roster's signature does not match the file: it was changed after it "
                "was signed, or damaged. Nothing was imported."
            )
        document = _parse_roster(data)
        signed_by = document["signed_by"]
        if signed_by["signing_key"] != signer_key:
            raise InvalidInput(
                "The roster names a different signer from the key that signed it. "
                "Nothing was imported."
            )
        members = document["members"]
        if not any(m["role"] == TeamRole.PI and m["signing_key"] == signer_key for m in members):
            raise InvalidInput(
                "The roster's signer is not a principal investigator in it. Nothing was imported."
            )
        signed_at: str = document["signed_at"]
        previous = self._store.get_setting(ROSTER_SIGNED_AT_SETTING)
        if isinstance(previous, str) and _when(previous) > _when(signed_at):
            raise InvalidInput(
                f"This roster (signed {signed_at}) is older than the one this store already "
                f"has (signed {previous}). Nothing was imported."
            )
        with self._store._session() as session:
            self._ensure_keys(session)
            session.execute(
                delete(TeamMember).where(TeamMember.project_id == self._store.project_id)
            )
            session.flush()
            for m in members:
                session.add(
                    TeamMember(
                        id=m["id"],
                        project_id=self._store.project_id,
                        name=m["name"],
                        role=m["role"],
                        age_recipient=m["age_recipient"],
                        signing_key=m["signing_key"],
                        created_by=self._store.researcher_id,
                        updated_by=self._store.researcher_id,
                    )
                )
            self._audit(
                session,
                "team_roster_imported",
                "team",
                self._store.project_id,
                members=len(members),
                signed_at=signed_at,
                signer_key_id=signer_id,
                trusted_by=trusted_by,
                sha256=hashlib.sha256(data).hexdigest(),
            )
            session.merge(Setting(key=ROSTER_SIGNED_AT_SETTING, value={"value": signed_at}))
        return RosterImport(
            signer_name=signed_by["name"],
            signer_key_id=signer_id,
            signed_at=signed_at,
            members=len(members),
            trusted_by=trusted_by,
        )

    def import_roster_file(self, path: Path, *, trust_signer: str | None = None) -> RosterImport:
        data = read_bounded(path, MAX_ROSTER_BYTES, "roster file")
        sig_path = path.with_name(path.name + SIGNATURE_SUFFIX)
        if not sig_path.exists():
            raise InvalidInput(
                f"The roster has no signature ({sig_path.name} is missing); nothing was imported."
            )
        signature = read_bounded(sig_path, MAX_SIGNATURE_BYTES, "roster signature")
        return self.import_roster(data, signature, trust_signer=trust_signer)


# ------------------------------------------------------------------ helpers
def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """A file's bytes, refusing one over ``limit`` without reading it all."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InvalidInput(f"No such file: {path}.") from None
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if len(data) > limit:
        raise InvalidInput(
            f"{path.name} is larger than a {what} can be ({limit // 1024} KiB at most); "
            "nothing was imported."
        )
    return data


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("A team member needs a name.")
    name = " ".join(value.split())
    if len(name) > 200:
        raise InvalidInput("A team member's name is at most 200 characters.")
    return name


def _check_unique(
    existing: list[TeamMember] | list[dict[str, Any]],
    name: str,
    recipient: str,
    signing_key: str | None,
) -> None:
    for other in existing:
        other_name, other_recipient, other_key = (
            (other["name"], other["age_recipient"], other["signing_key"])
            if isinstance(other, dict)
            else (other.name, other.age_recipient, other.signing_key)
        )
        if other_recipient == recipient:
            raise InvalidInput(f"{other_name} already has the recipient {recipient[:20]}….")
        if signing_key is not None and other_key == signing_key:
            raise InvalidInput(f"{other_name} already has the signing key {key_id(signing_key)}.")
        if other_name.casefold() == name.casefold():
            raise InvalidInput(f"There is already a team member called {other_name}.")


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidInput(f"The roster's signing time {text!r} is not a date and time.") from None
    if value.tzinfo is None:
        raise InvalidInput(f"The roster's signing time {text!r} has no time zone.")
    return value


def _parse_roster(data: bytes) -> dict[str, Any]:
    """The roster document, every field checked; a clear refusal otherwise."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # incl. huge integers
        raise InvalidInput("The roster file is not valid JSON; nothing was imported.") from None
    if not isinstance(document, dict) or document.get("format") != ROSTER_FORMAT:
        raise InvalidInput("The file is not a Relations Desktop team roster; nothing was imported.")
    if document.get("version") != ROSTER_VERSION:
        raise InvalidInput(
            f"The roster's format version {document.get('version')!r} is not one this app "
            f"reads (it reads version {ROSTER_VERSION}); nothing was imported."
        )
    signed_by = document.get("signed_by")
    members = document.get("members")
    if (
        not isinstance(signed_by, dict)
        or not isinstance(signed_by.get("name"), str)
        or not isinstance(signed_by.get("signing_key"), str)
        or not isinstance(document.get("signed_at"), str)
        or not isinstance(members, list)
    ):
        raise InvalidInput(
            "The roster lacks signed_by, signed_at or members; nothing was imported."
        )
    _when(document["signed_at"])
    if not members:
        raise InvalidInput("The roster has no members; nothing was imported.")
    if len(members) > MAX_MEMBERS:
        raise InvalidInput(f"The roster has more than {MAX_MEMBERS} members; nothing was imported.")
    clean: list[dict[str, Any]] = []
    for number, entry in enumerate(members, start=1):
        if not isinstance(entry, dict):
            raise InvalidInput(f"Roster member {number} is not an object; nothing was imported.")
        try:
            member_id = str(uuid.UUID(str(entry.get("id"))))
            name = _name(entry.get("name"))
            role = choice(TeamRole, str(entry.get("role")), "team role")
            recipient = parse_recipient(str(entry.get("age_recipient", "")))
            key = entry.get("signing_key")
            signing_key = parse_signing_key(key) if isinstance(key, str) else None
            if key is not None and not isinstance(key, str):
                raise InvalidInput("its signing key is not text.")
            if role is TeamRole.PI and signing_key is None:
                raise InvalidInput("a principal investigator needs a signing key.")
            _check_unique(clean, name, recipient, signing_key)
            if any(c["id"] == member_id for c in clean):
                raise InvalidInput(f"the id {member_id} appears twice.")
        except ValueError:
            raise InvalidInput(
                f"Roster member {number} has no valid id; nothing was imported."
            ) from None
        except InvalidInput as exc:
            raise InvalidInput(
                f"Roster member {number}: {exc.message.rstrip('.')}; nothing was imported."
            ) from None
        clean.append(
            {
                "id": member_id,
                "name": name,
                "role": role,
                "age_recipient": recipient,
                "signing_key": signing_key,
            }
        )
    document["members"] = clean
    return document


def _member(row: TeamMember, mine: ResearcherKey) -> TeamMemberRecord:
    return TeamMemberRecord(
        id=row.id,
        name=row.name,
        role=row.role.value,
        age_recipient=row.age_recipient,
        signing_key=row.signing_key,
        signing_key_id=key_id(row.signing_key) if row.signing_key else None,
        is_me=row.age_recipient == mine.age_recipient,
    )


def public_key_file_text(public_key: str) -> str:
    """The two-line ``.pub`` file the minisign tool reads with ``-p``."""
    return _public_key_file(public_key)
