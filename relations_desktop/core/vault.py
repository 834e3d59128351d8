"""The vault: the data key, and what wraps it.

A store has one random 256-bit *data key*. ``vault.json`` keeps it wrapped twice at
most: under a key derived from the passphrase with Argon2id (AES-256-GCM, with the
vault header as associated data), and optionally for the team's recovery recipient
(an age X25519 public key, through ``pyrage``). The file holds nothing secret: only
salts, parameters, nonces and ciphertexts. Changing the passphrase re-wraps the same
data key; the database is never re-encrypted.

The SQLCipher key is derived from the data key with HKDF-SHA256 (see
:func:`database_key`), so the data key itself never reaches SQLite.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyrage
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from relations_desktop.core import fsutil
from relations_desktop.core.errors import InvalidInput, VaultDamaged, WrongPassphrase

VAULT_FILE = "vault.json"
FORMAT_NAME = "relations-desktop-vault"
FORMAT_VERSION = 1
DATA_KEY_BYTES = 32
NONCE_BYTES = 12
MIN_MEMORY_KIB = 64 * 1024
# Upper bounds on what a vault may ask for: an edited vault.json must not be able to
# make an unlock run out of memory or hang (1 GiB is far above any laptop default).
MAX_MEMORY_KIB = 1024 * 1024
MAX_ITERATIONS = 16
MAX_VAULT_BYTES = 64 * 1024


_KDF_LOCK = threading.Lock()


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, kept in the vault so later versions can raise them."""

    salt: bytes
    iterations: int = 3
    lanes: int = 4
    memory_kib: int = MIN_MEMORY_KIB

    @classmethod
    def fresh(cls, memory_kib: int = MIN_MEMORY_KIB, iterations: int = 3) -> KdfParams:
        if not MIN_MEMORY_KIB <= memory_kib <= MAX_MEMORY_KIB:
            raise InvalidInput(
                f"Argon2id memory must be between {MIN_MEMORY_KIB} and {MAX_MEMORY_KIB} KiB."
            )
        return cls(salt=secrets.token_bytes(16), iterations=iterations, memory_kib=memory_kib)

    def derive(self, passphrase: str) -> bytes:
        kdf = Argon2id(
            salt=self.salt,
            length=32,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        # One derivation at a time: two in parallel threads were seen to hang or run out
        # of memory in cryptography's Argon2id (tests/faults found it).
        with _KDF_LOCK:
            return kdf.derive(passphrase.encode("utf-8"))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "salt": _b64(self.salt),
            "iterations": self.iterations,
            "lanes": self.lanes,
            "memory_kib": self.memory_kib,
        }

    @classmethod
    def from_json(cls, data: Any) -> KdfParams:
        obj = _expect_dict(data, "kdf")
        if obj.get("name") != "argon2id":
            raise VaultDamaged("vault.json names an unknown key derivation; it cannot be opened.")
        params = cls(
            salt=_unb64(obj.get("salt"), "kdf.salt"),
            iterations=_expect_int(obj.get("iterations"), "kdf.iterations", 1, MAX_ITERATIONS),
            lanes=_expect_int(obj.get("lanes"), "kdf.lanes", 1, 64),
            memory_kib=_expect_int(obj.get("memory_kib"), "kdf.memory_kib", 8, MAX_MEMORY_KIB),
        )
        if len(params.salt) < 16:
            raise VaultDamaged("vault.json is damaged: the salt is too short.")
        if params.memory_kib < 8 * params.lanes:  # Argon2 needs 8 KiB per lane
            raise VaultDamaged("vault.json is damaged: kdf.memory_kib is out of range.")
        return params


@dataclass(frozen=True)
class VaultFile:
    """The parsed content of ``vault.json``."""

    store_id: str
    created: str
    kdf: KdfParams
    nonce: bytes
    wrapped_key: bytes
    recovery_recipient: str | None = None
    recovery_wrapped_key: bytes | None = None

    def header(self) -> bytes:
        """The authenticated header: everything that says how the key is wrapped."""
        head = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "store_id": self.store_id,
            "created": self.created,
            "kdf": self.kdf.to_json(),
            "recovery_recipient": self.recovery_recipient,
        }
        return json.dumps(head, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "store_id": self.store_id,
            "created": self.created,
            "kdf": self.kdf.to_json(),
            "passphrase_wrap": {
                "aead": "AES-256-GCM",
                "nonce": _b64(self.nonce),
                "ciphertext": _b64(self.wrapped_key),
            },
            "recovery": None,
        }
        if self.recovery_recipient and self.recovery_wrapped_key is not None:
            data["recovery"] = {
                "recipient": self.recovery_recipient,
                "age": _b64(self.recovery_wrapped_key),
            }
        data["checksum"] = hashlib.sha256(_canonical(data)).hexdigest()
        return data

    @classmethod
    def from_json(cls, data: Any) -> VaultFile:
        obj = _expect_dict(data, "vault")
        if obj.get("format") != FORMAT_NAME:
            raise VaultDamaged("vault.json is not a Relations Desktop vault.")
        version = obj.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise VaultDamaged("vault.json is damaged: it has no format version.")
        if version > FORMAT_VERSION:
            raise VaultDamaged(
                f"vault.json has format version {version}, newer than this app knows "
                f"({FORMAT_VERSION}); update Relations Desktop to open it."
            )
        if version < 1:
            raise VaultDamaged("vault.json is damaged: its format version is invalid.")
        checksum = obj.get("checksum")
        body = {k: v for k, v in obj.items() if k != "checksum"}
        if (
            not isinstance(checksum, str)
            or checksum != hashlib.sha256(_canonical(body)).hexdigest()
        ):
            raise VaultDamaged(
                "vault.json is damaged or was edited (its checksum does not match); "
                "restore it from a backup."
            )
        wrap = _expect_dict(obj.get("passphrase_wrap"), "passphrase_wrap")
        if wrap.get("aead") != "AES-256-GCM":
            raise VaultDamaged("vault.json names an unknown cipher; it cannot be opened.")
        recovery = obj.get("recovery")
        recipient: str | None = None
        recovery_key: bytes | None = None
        if recovery is not None:
            rec = _expect_dict(recovery, "recovery")
            recipient = _expect_str(rec.get("recipient"), "recovery.recipient")
            recovery_key = _unb64(rec.get("age"), "recovery.age")
        nonce = _unb64(wrap.get("nonce"), "passphrase_wrap.nonce")
        if len(nonce) != NONCE_BYTES:
            raise VaultDamaged("vault.json is damaged: passphrase_wrap.nonce has the wrong size.")
        return cls(
            store_id=_expect_str(obj.get("store_id"), "store_id"),
            created=_expect_str(obj.get("created"), "created"),
            kdf=KdfParams.from_json(obj.get("kdf")),
            nonce=nonce,
            wrapped_key=_unb64(wrap.get("ciphertext"), "passphrase_wrap.ciphertext"),
            recovery_recipient=recipient,
            recovery_wrapped_key=recovery_key,
        )


class DataKey:
    """The unwrapped data key; :meth:`wipe` overwrites it when the store locks."""

    def __init__(self, key: bytes, store_id: str) -> None:
        if len(key) != DATA_KEY_BYTES:
            raise WrongPassphrase("The recovered key has the wrong length.")
        self._key = bytearray(key)
        self.store_id = store_id

    @property
    def wiped(self) -> bool:
        return not any(self._key)

    def database_key(self) -> bytes:
        """The raw SQLCipher key: HKDF-SHA256 of the data key, bound to the store id."""
        if self.wiped:
            raise WrongPassphrase("The store is locked.")
        return HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=self.store_id.encode("ascii"),
            info=b"relations-desktop/sqlcipher/v1",
        ).derive(bytes(self._key))

    def raw(self) -> bytes:
        return bytes(self._key)

    def wipe(self) -> None:
        for i in range(len(self._key)):
            self._key[i] = 0


def vault_path(store_dir: Path) -> Path:
    return store_dir / VAULT_FILE


def check_passphrase(passphrase: str) -> None:
    """Refuse passphrases no one should use (empty or blank)."""
    if not passphrase or not passphrase.strip():
        raise InvalidInput("The passphrase is empty.")


def create_vault(
    store_dir: Path,
    passphrase: str,
    recovery_recipient: str | None = None,
    memory_kib: int = MIN_MEMORY_KIB,
) -> DataKey:
    """Make a new data key and write ``vault.json``; the folder must exist."""
    check_passphrase(passphrase)
    if recovery_recipient is not None:
        recovery_recipient = parse_recipient(recovery_recipient)
    data_key = DataKey(secrets.token_bytes(DATA_KEY_BYTES), str(uuid.uuid4()))
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    vault = _wrap(
        data_key,
        passphrase,
        KdfParams.fresh(memory_kib),
        created=created,
        recovery_recipient=recovery_recipient,
        recovery_wrapped=_wrap_for_recipient(data_key, recovery_recipient),
    )
    write_vault(store_dir, vault)
    return data_key


def read_vault(store_dir: Path) -> VaultFile:
    path = vault_path(store_dir)
    try:
        size = path.stat().st_size
        if size > MAX_VAULT_BYTES:
            raise VaultDamaged("vault.json is far too large to be a vault; it was not read.")
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise VaultDamaged("vault.json is missing from the store folder.") from exc
    except OSError as exc:
        raise VaultDamaged(f"vault.json cannot be read: {exc.strerror}.") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    # ValueError covers bad UTF-8, bad JSON and over-long integers; RecursionError, nesting.
    except (ValueError, RecursionError) as exc:
        raise VaultDamaged(
            "vault.json is damaged (truncated or not valid JSON); restore it from a backup."
        ) from exc
    return VaultFile.from_json(data)


def write_vault(store_dir: Path, vault: VaultFile) -> None:
    text = json.dumps(vault.to_json(), indent=2, sort_keys=True) + "\n"
    fsutil.atomic_write(vault_path(store_dir), text.encode("utf-8"))


def unlock_with_passphrase(store_dir: Path, passphrase: str) -> DataKey:
    check_passphrase(passphrase)
    vault = read_vault(store_dir)
    wrapping_key = vault.kdf.derive(passphrase)
    try:
        key = AESGCM(wrapping_key).decrypt(vault.nonce, vault.wrapped_key, vault.header())
    except InvalidTag as exc:
        raise WrongPassphrase("Wrong passphrase.") from exc
    return DataKey(key, vault.store_id)


def unlock_with_recovery_identity(store_dir: Path, identity_text: str) -> DataKey:
    """Open the vault with the team's recovery identity (an age secret key file)."""
    vault = read_vault(store_dir)
    if vault.recovery_recipient is None or vault.recovery_wrapped_key is None:
        raise WrongPassphrase("This store was created without a recovery recipient.")
    identities = parse_identities(identity_text)
    try:
        key = pyrage.decrypt(vault.recovery_wrapped_key, identities)
    except pyrage.DecryptError as exc:
        raise WrongPassphrase("This recovery identity does not open this store.") from exc
    return DataKey(key, vault.store_id)


def change_passphrase(
    store_dir: Path, data_key: DataKey, new_passphrase: str, memory_kib: int | None = None
) -> None:
    """Re-wrap the same data key under a new passphrase (and fresh salt and nonce)."""
    check_passphrase(new_passphrase)
    old = read_vault(store_dir)
    if data_key.store_id != old.store_id:
        raise InvalidInput("This key belongs to another store.")
    kdf = KdfParams.fresh(
        memory_kib or max(old.kdf.memory_kib, MIN_MEMORY_KIB), max(old.kdf.iterations, 3)
    )
    vault = _wrap(
        data_key,
        new_passphrase,
        kdf,
        created=old.created,
        recovery_recipient=old.recovery_recipient,
        recovery_wrapped=old.recovery_wrapped_key,
    )
    write_vault(store_dir, vault)


def parse_recipient(text: str) -> str:
    text = text.strip()
    try:
        pyrage.x25519.Recipient.from_str(text)
    except Exception as exc:  # pyrage raises its own RecipientError or ValueError
        raise InvalidInput(f"Not an age X25519 recipient: {text[:80]!r}.") from exc
    return text


def parse_identities(text: str) -> list[Any]:
    identities = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(pyrage.x25519.Identity.from_str(line))
        except Exception as exc:
            raise InvalidInput("The recovery identity file holds no valid age identity.") from exc
    if not identities:
        raise InvalidInput("The recovery identity file holds no age identity.")
    return identities


def _wrap(
    data_key: DataKey,
    passphrase: str,
    kdf: KdfParams,
    *,
    created: str,
    recovery_recipient: str | None,
    recovery_wrapped: bytes | None,
) -> VaultFile:
    nonce = os.urandom(NONCE_BYTES)
    draft = VaultFile(
        store_id=data_key.store_id,
        created=created,
        kdf=kdf,
        nonce=nonce,
        wrapped_key=b"",
        recovery_recipient=recovery_recipient,
        recovery_wrapped_key=recovery_wrapped,
    )
    wrapped = AESGCM(kdf.derive(passphrase)).encrypt(nonce, data_key.raw(), draft.header())
    return replace(draft, wrapped_key=wrapped)


def _wrap_for_recipient(data_key: DataKey, recipient: str | None) -> bytes | None:
    if recipient is None:
        return None
    parsed = pyrage.x25519.Recipient.from_str(recipient)
    wrapped: bytes = pyrage.encrypt(data_key.raw(), [parsed])
    return wrapped


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise VaultDamaged(f"vault.json is damaged: {name} is missing.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VaultDamaged(f"vault.json is damaged: {name} is not valid base64.") from exc


def _expect_dict(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise VaultDamaged(f"vault.json is damaged: {name} is missing or malformed.")
    return value


def _expect_str(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise VaultDamaged(f"vault.json is damaged: {name} is missing.")
    return value


def _expect_int(value: Any, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise VaultDamaged(f"vault.json is damaged: {name} is out of range.")
    return value
