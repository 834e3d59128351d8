"""The vault: passphrase → wrapped data key, damage handling, passphrase change, recovery."""

from __future__ import annotations

import base64
import copy
import json
import secrets
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyrage
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relations_desktop.core import vault
from relations_desktop.core.errors import (
    InvalidInput,
    RelationsError,
    StoreDamaged,
    StoreLocked,
    VaultDamaged,
    WrongPassphrase,
)
from relations_desktop.core.services import StoreService

from .conftest import AgeKey
from .helpers import file_state, flip_b64, reseal, snapshot

PASS = "kitchen table methadone bairns"
NEW_PASS = "walk and talk in the park"


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def vault_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """One real vault.json (made once: Argon2id is slow) and the data key it wraps."""
    folder = tmp_path_factory.mktemp("vault-template")
    key = vault.create_vault(folder, PASS)
    return (folder / vault.VAULT_FILE).read_bytes(), key.raw()


@pytest.fixture
def vault_dir(tmp_path: Path, vault_template: tuple[bytes, bytes]) -> Path:
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / vault.VAULT_FILE).write_bytes(vault_template[0])
    return folder


def _load(folder: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((folder / vault.VAULT_FILE).read_text())
    return result


def _dump(folder: Path, obj: Any) -> None:
    (folder / vault.VAULT_FILE).write_text(json.dumps(obj))


# ------------------------------------------------------------- round trips
def test_create_then_unlock_returns_the_same_data_key(tmp_path: Path) -> None:
    created = vault.create_vault(tmp_path, PASS)
    unlocked = vault.unlock_with_passphrase(tmp_path, PASS)
    assert len(created.raw()) == vault.DATA_KEY_BYTES
    assert unlocked.raw() == created.raw()
    assert unlocked.store_id == created.store_id
    assert unlocked.database_key() == created.database_key()
    # The SQLCipher key is derived, never the data key itself.
    assert created.database_key() != created.raw()


def test_two_vaults_have_different_keys_salts_and_ids(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = vault.create_vault(tmp_path / "a", PASS)
    b = vault.create_vault(tmp_path / "b", PASS)
    assert a.raw() != b.raw()
    assert a.store_id != b.store_id
    assert a.database_key() != b.database_key()
    assert vault.read_vault(tmp_path / "a").kdf.salt != vault.read_vault(tmp_path / "b").kdf.salt


def test_vault_file_holds_no_key_material(vault_template: tuple[bytes, bytes]) -> None:
    raw, key = vault_template
    assert key not in raw
    assert base64.b64encode(key) not in raw
    assert key.hex().encode() not in raw
    assert PASS.encode() not in raw


def test_wrong_passphrase_is_refused_and_vault_unchanged(vault_dir: Path) -> None:
    before = file_state(vault_dir / vault.VAULT_FILE)
    with pytest.raises(WrongPassphrase):
        vault.unlock_with_passphrase(vault_dir, PASS + " ")
    with pytest.raises(WrongPassphrase):
        vault.unlock_with_passphrase(vault_dir, PASS.upper())
    assert file_state(vault_dir / vault.VAULT_FILE) == before


def test_data_key_wipe(vault_dir: Path) -> None:
    key = vault.unlock_with_passphrase(vault_dir, PASS)
    key.wipe()
    assert key.wiped
    assert key.raw() == bytes(vault.DATA_KEY_BYTES)
    with pytest.raises(WrongPassphrase):
        key.database_key()


@pytest.mark.parametrize("blank", ["", " ", "   \t\n", "\u3000"])
def test_blank_passphrase_refused_everywhere(tmp_path: Path, vault_dir: Path, blank: str) -> None:
    target = tmp_path / "new"
    target.mkdir()
    with pytest.raises(InvalidInput):
        vault.create_vault(target, blank)
    assert list(target.iterdir()) == []

    before = file_state(vault_dir / vault.VAULT_FILE)
    with pytest.raises(InvalidInput):
        vault.unlock_with_passphrase(vault_dir, blank)
    key = vault.unlock_with_passphrase(vault_dir, PASS)
    with pytest.raises(InvalidInput):
        vault.change_passphrase(vault_dir, key, blank)
    assert file_state(vault_dir / vault.VAULT_FILE) == before

    store = tmp_path / "store"
    with pytest.raises(InvalidInput):
        StoreService.create(store, blank)
    assert not store.exists()


# --------------------------------------------------------- damaged vaults
Mutation = Callable[[dict[str, Any]], Any]


def _set(path: str, value: Any) -> Mutation:
    def mutate(obj: dict[str, Any]) -> dict[str, Any]:
        *parents, last = path.split(".")
        node = obj
        for name in parents:
            node = node[name]
        node[last] = value
        return obj

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(obj: dict[str, Any]) -> dict[str, Any]:
        *parents, last = path.split(".")
        node = obj
        for name in parents:
            node = node[name]
        del node[last]
        return obj

    return mutate


def _flip(path: str, index: int = 0) -> Mutation:
    def mutate(obj: dict[str, Any]) -> dict[str, Any]:
        *parents, last = path.split(".")
        node = obj
        for name in parents:
            node = node[name]
        node[last] = flip_b64(node[last], index)
        return obj

    return mutate


# (mutation of the parsed JSON, recompute the checksum?, expected error)
STRUCTURAL: dict[str, tuple[Mutation, bool, type[RelationsError]]] = {
    "wrong-format": (_set("format", "something-else"), True, VaultDamaged),
    "no-format": (_delete("format"), True, VaultDamaged),
    "newer-version": (_set("version", 2), True, VaultDamaged),
    "version-zero": (_set("version", 0), True, VaultDamaged),
    "version-string": (_set("version", "1"), True, VaultDamaged),
    "version-bool": (_set("version", True), True, VaultDamaged),
    "version-float": (_set("version", 1.0), True, VaultDamaged),
    "no-version": (_delete("version"), True, VaultDamaged),
    "no-checksum": (_delete("checksum"), False, VaultDamaged),
    "checksum-not-string": (_set("checksum", 12), False, VaultDamaged),
    "no-store-id": (_delete("store_id"), True, VaultDamaged),
    "empty-store-id": (_set("store_id", ""), True, VaultDamaged),
    "no-created": (_delete("created"), True, VaultDamaged),
    "no-kdf": (_delete("kdf"), True, VaultDamaged),
    "kdf-is-list": (_set("kdf", [1, 2]), True, VaultDamaged),
    "kdf-unknown": (_set("kdf.name", "scrypt"), True, VaultDamaged),
    "kdf-no-salt": (_delete("kdf.salt"), True, VaultDamaged),
    "kdf-salt-short": (_set("kdf.salt", base64.b64encode(b"short").decode()), True, VaultDamaged),
    "kdf-salt-bad-b64": (_set("kdf.salt", "not base64!!"), True, VaultDamaged),
    "kdf-salt-non-ascii": (_set("kdf.salt", "ÄÖÜ="), True, VaultDamaged),
    "kdf-iterations-0": (_set("kdf.iterations", 0), True, VaultDamaged),
    "kdf-iterations-huge": (_set("kdf.iterations", 10**9), True, VaultDamaged),
    "kdf-iterations-str": (_set("kdf.iterations", "3"), True, VaultDamaged),
    "kdf-lanes-0": (_set("kdf.lanes", 0), True, VaultDamaged),
    "kdf-memory-tiny": (_set("kdf.memory_kib", 1), True, VaultDamaged),
    "kdf-memory-huge": (_set("kdf.memory_kib", 2**40), True, VaultDamaged),
    # Argon2 needs at least 8 KiB per lane: 8 KiB with 4 lanes is not a valid setting.
    "kdf-memory-below-lanes": (_set("kdf.memory_kib", 8), True, VaultDamaged),
    "no-wrap": (_delete("passphrase_wrap"), True, VaultDamaged),
    "wrap-is-string": (_set("passphrase_wrap", "x"), True, VaultDamaged),
    "wrap-unknown-aead": (_set("passphrase_wrap.aead", "ROT13"), True, VaultDamaged),
    "wrap-no-nonce": (_delete("passphrase_wrap.nonce"), True, VaultDamaged),
    "wrap-nonce-bad-b64": (_set("passphrase_wrap.nonce", "@@@"), True, VaultDamaged),
    "wrap-nonce-empty": (_set("passphrase_wrap.nonce", ""), True, VaultDamaged),
    "wrap-nonce-short": (_set("passphrase_wrap.nonce", "AAAA"), True, VaultDamaged),
    "wrap-nonce-long": (
        _set("passphrase_wrap.nonce", base64.b64encode(bytes(200)).decode()),
        True,
        VaultDamaged,
    ),
    "wrap-no-ciphertext": (_delete("passphrase_wrap.ciphertext"), True, VaultDamaged),
    "wrap-ciphertext-null": (_set("passphrase_wrap.ciphertext", None), True, VaultDamaged),
    "wrap-ciphertext-bad-b64": (_set("passphrase_wrap.ciphertext", "abc"), True, VaultDamaged),
    "recovery-is-list": (_set("recovery", []), True, VaultDamaged),
    "recovery-no-age": (_set("recovery", {"recipient": "age1x"}), True, VaultDamaged),
    # Edited without recomputing the checksum: damaged, whatever the edit.
    "edited-created": (_set("created", "2020-01-01T00:00:00+00:00"), False, VaultDamaged),
    "edited-iterations": (_set("kdf.iterations", 4), False, VaultDamaged),
    "flip-ciphertext-no-checksum": (_flip("passphrase_wrap.ciphertext"), False, VaultDamaged),
    "flip-ciphertext-end-no-checksum": (
        _flip("passphrase_wrap.ciphertext", 10),
        False,
        VaultDamaged,
    ),
    "flip-salt-no-checksum": (_flip("kdf.salt"), False, VaultDamaged),
    "flip-nonce-no-checksum": (_flip("passphrase_wrap.nonce"), False, VaultDamaged),
    # Deliberate edits with the checksum recomputed: the AEAD (header as AAD) refuses them.
    "flip-ciphertext": (_flip("passphrase_wrap.ciphertext"), True, WrongPassphrase),
    "flip-ciphertext-tag": (_flip("passphrase_wrap.ciphertext", -3), True, WrongPassphrase),
    "flip-salt": (_flip("kdf.salt"), True, WrongPassphrase),
    "flip-nonce": (_flip("passphrase_wrap.nonce"), True, WrongPassphrase),
    "header-store-id": (
        _set("store_id", "11111111-2222-3333-4444-555555555555"),
        True,
        WrongPassphrase,
    ),
    "header-created": (_set("created", "2020-01-01T00:00:00+00:00"), True, WrongPassphrase),
    "header-iterations": (_set("kdf.iterations", 2), True, WrongPassphrase),
    "header-lanes": (_set("kdf.lanes", 2), True, WrongPassphrase),
    "truncated-ciphertext": (
        lambda o: _set("passphrase_wrap.ciphertext", o["passphrase_wrap"]["ciphertext"][:8])(o),
        True,
        WrongPassphrase,
    ),
    "empty-ciphertext": (_set("passphrase_wrap.ciphertext", ""), True, WrongPassphrase),
}


@pytest.mark.parametrize("case", sorted(STRUCTURAL))
def test_damaged_vault_gives_a_clear_error_and_is_not_changed(vault_dir: Path, case: str) -> None:
    mutate, recompute, expected = STRUCTURAL[case]
    obj = mutate(_load(vault_dir))
    if recompute:
        reseal(obj)
    _dump(vault_dir, obj)
    before = file_state(vault_dir / vault.VAULT_FILE)
    with pytest.raises(expected) as info:
        vault.unlock_with_passphrase(vault_dir, PASS)
    assert type(info.value) is expected
    assert info.value.message and "\n" not in info.value.message
    assert file_state(vault_dir / vault.VAULT_FILE) == before
    assert sorted(p.name for p in vault_dir.iterdir()) == [vault.VAULT_FILE]


def test_header_adding_a_recovery_recipient_is_refused(vault_dir: Path) -> None:
    """Someone who edits vault.json cannot slip in their own recovery recipient."""
    identity = pyrage.x25519.Identity.generate()
    obj = _load(vault_dir)
    obj["recovery"] = {
        "recipient": str(identity.to_public()),
        "age": base64.b64encode(
            pyrage.encrypt(secrets.token_bytes(32), [identity.to_public()])
        ).decode(),
    }
    _dump(vault_dir, reseal(obj))
    with pytest.raises(WrongPassphrase):
        vault.unlock_with_passphrase(vault_dir, PASS)


RAW_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda raw: b"",
    "truncated-half": lambda raw: raw[: len(raw) // 2],
    "truncated-last-byte": lambda raw: raw.rstrip()[:-1],
    "not-json": lambda raw: b"this is not json at all",
    "binary": lambda raw: bytes(range(256)) * 4,
    "invalid-utf8": lambda raw: b'{"format": "\xff\xfe"}',
    "utf16": lambda raw: raw.decode().encode("utf-16"),
    "json-array": lambda raw: b"[1, 2, 3]",
    "json-null": lambda raw: b"null",
    "json-string": lambda raw: b'"relations-desktop-vault"',
    "json-number": lambda raw: b"1",
    "empty-object": lambda raw: b"{}",
    "nul-bytes": lambda raw: b"\x00" * 4096,
    "deeply-nested": lambda raw: b"[" * 30000 + b"]" * 30000,
    "huge-integer": lambda raw: b'{"version": ' + b"9" * 5000 + b"}",
    "huge-file": lambda raw: raw + b" " * (vault.MAX_VAULT_BYTES + 1),
    "huge-garbage": lambda raw: b"x" * (10 * 1024 * 1024),
}


@pytest.mark.parametrize("case", sorted(RAW_DAMAGE))
def test_unreadable_vault_file_is_damaged_and_unchanged(vault_dir: Path, case: str) -> None:
    path = vault_dir / vault.VAULT_FILE
    path.write_bytes(RAW_DAMAGE[case](path.read_bytes()))
    before = file_state(path)
    with pytest.raises(VaultDamaged) as info:
        vault.unlock_with_passphrase(vault_dir, PASS)
    assert "vault.json" in info.value.message
    assert file_state(path) == before


def test_missing_vault_is_damaged(tmp_path: Path) -> None:
    with pytest.raises(VaultDamaged):
        vault.unlock_with_passphrase(tmp_path, PASS)


def test_damaged_vault_through_the_service_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    StoreService.create(store, PASS).close()
    obj = _load(store)
    obj["passphrase_wrap"]["ciphertext"] = flip_b64(obj["passphrase_wrap"]["ciphertext"])
    _dump(store, obj)  # checksum not recomputed
    before = snapshot(store)
    with pytest.raises(VaultDamaged):
        StoreService.open(store, PASS)
    assert snapshot(store) == before
    _dump(store, reseal(obj))
    before = snapshot(store)
    with pytest.raises(WrongPassphrase):
        StoreService.open(store, PASS)
    assert snapshot(store) == before


def test_vault_of_another_store_does_not_open_this_database(tmp_path: Path) -> None:
    """Swapping in another store's vault.json (and its passphrase) gives StoreDamaged."""
    a, b = tmp_path / "a", tmp_path / "b"
    StoreService.create(a, PASS).close()
    StoreService.create(b, NEW_PASS).close()
    shutil.copyfile(b / vault.VAULT_FILE, a / vault.VAULT_FILE)
    before = snapshot(a)
    with pytest.raises(StoreDamaged):
        StoreService.open(a, NEW_PASS)
    assert snapshot(a) == before


# ------------------------------------------------------------- KDF params
def test_kdf_parameters_are_stored_and_strong(vault_dir: Path) -> None:
    obj = _load(vault_dir)
    kdf = obj["kdf"]
    assert kdf["name"] == "argon2id"
    assert kdf["memory_kib"] >= 65536
    assert kdf["iterations"] >= 3
    assert kdf["lanes"] >= 1
    assert len(base64.b64decode(kdf["salt"])) >= 16
    assert obj["passphrase_wrap"]["aead"] == "AES-256-GCM"
    assert len(base64.b64decode(obj["passphrase_wrap"]["nonce"])) == 12
    # 32-byte key + 16-byte GCM tag
    assert len(base64.b64decode(obj["passphrase_wrap"]["ciphertext"])) == 48
    parsed = vault.read_vault(vault_dir)
    assert parsed.kdf.memory_kib == kdf["memory_kib"]


def test_kdf_memory_below_minimum_refused(tmp_path: Path, vault_dir: Path) -> None:
    with pytest.raises(InvalidInput):
        vault.KdfParams.fresh(memory_kib=vault.MIN_MEMORY_KIB - 1)
    with pytest.raises(InvalidInput):
        vault.create_vault(tmp_path, PASS, memory_kib=1024)
    assert not (tmp_path / vault.VAULT_FILE).exists()
    key = vault.unlock_with_passphrase(vault_dir, PASS)
    before = file_state(vault_dir / vault.VAULT_FILE)
    with pytest.raises(InvalidInput):
        vault.change_passphrase(vault_dir, key, NEW_PASS, memory_kib=1024)
    assert file_state(vault_dir / vault.VAULT_FILE) == before


def test_change_passphrase_can_raise_kdf_memory(vault_dir: Path) -> None:
    old = vault.read_vault(vault_dir)
    key = vault.unlock_with_passphrase(vault_dir, PASS)
    vault.change_passphrase(vault_dir, key, NEW_PASS, memory_kib=2 * vault.MIN_MEMORY_KIB)
    new = vault.read_vault(vault_dir)
    assert new.kdf.memory_kib == 2 * vault.MIN_MEMORY_KIB
    assert new.kdf.salt != old.kdf.salt
    assert new.nonce != old.nonce
    assert (new.store_id, new.created) == (old.store_id, old.created)
    assert vault.unlock_with_passphrase(vault_dir, NEW_PASS).raw() == key.raw()
    with pytest.raises(WrongPassphrase):
        vault.unlock_with_passphrase(vault_dir, PASS)
    # A later change without memory_kib keeps the raised cost; it never lowers it.
    vault.change_passphrase(vault_dir, key, PASS)
    assert vault.read_vault(vault_dir).kdf.memory_kib == 2 * vault.MIN_MEMORY_KIB
    assert vault.unlock_with_passphrase(vault_dir, PASS).raw() == key.raw()


def test_change_passphrase_refuses_a_key_from_another_store(
    tmp_path: Path, vault_dir: Path
) -> None:
    stranger = vault.create_vault(tmp_path, NEW_PASS)
    before = file_state(vault_dir / vault.VAULT_FILE)
    with pytest.raises(InvalidInput):
        vault.change_passphrase(vault_dir, stranger, "another passphrase")
    assert file_state(vault_dir / vault.VAULT_FILE) == before


def test_change_passphrase_through_service_keeps_data(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with StoreService.create(store, PASS) as svc:
        person = svc.add_participant("Lara", "Mother", region="Scotland", real_name="Jane Real")
        enc = svc.add_encounter("home-visit", "Kitchen table", participant_ids=[person.id])
        note = svc.add_note(enc.id, "Talked about the methadone script.", title="First visit")
        db_key = vault.unlock_with_passphrase(store, PASS).database_key()
        svc.change_passphrase(NEW_PASS)
        # Still usable in this session.
        assert svc.get_note(note.id).body == "Talked about the methadone script."
        actions = [e.action for e in svc.audit_events()]
        assert "passphrase_changed" in actions
    # The database key is unchanged: the data was re-wrapped, not re-encrypted.
    assert vault.unlock_with_passphrase(store, NEW_PASS).database_key() == db_key
    with pytest.raises(WrongPassphrase):
        StoreService.open(store, PASS)
    with StoreService.open(store, NEW_PASS) as svc:
        assert svc.get_participant(person.id).pseudonym == "Lara"
        assert svc.real_name(person.id) == "Jane Real"
        assert svc.get_note(note.id).title == "First visit"
        assert [h.ref_id for h in svc.search("methadone")] == [note.id]


def test_change_passphrase_while_locked_is_refused(service: StoreService, passphrase: str) -> None:
    service.lock()
    before = file_state(service.store_dir / vault.VAULT_FILE)
    with pytest.raises(StoreLocked):
        service.change_passphrase(NEW_PASS)
    assert file_state(service.store_dir / vault.VAULT_FILE) == before
    service.unlock(passphrase)


# --------------------------------------------------------------- recovery
def test_recovery_with_real_age_keygen_identity(tmp_path: Path, age_key: AgeKey) -> None:
    store = tmp_path / "store"
    with StoreService.create(store, PASS, recovery_recipient=age_key.recipient) as svc:
        person = svc.add_participant("Mo", "Health Visitor", kind="professional")
        enc = svc.add_encounter("clinic-visit", "Clinic", participant_ids=[person.id])
        note = svc.add_note(enc.id, "Clinic waiting room observations.")
        assert svc.info().recovery_recipient == age_key.recipient
    data_key = vault.unlock_with_passphrase(store, PASS).raw()

    # The plain `age` tool opens the recovery wrap: the team needs nothing but age.
    wrapped = base64.b64decode(_load(store)["recovery"]["age"])
    if shutil.which("age"):
        out = subprocess.run(
            ["age", "-d", "-i", str(age_key.identity_file)],
            input=wrapped,
            capture_output=True,
            check=True,
        ).stdout
        assert out == data_key

    # Forgotten passphrase: the team's identity file opens the store…
    with StoreService.open(store, recovery_identity=age_key.identity_text) as svc:
        assert svc.get_note(note.id).body == "Clinic waiting room observations."
        events = svc.audit_events()
        assert events[0].action == "store_unlocked"
        assert events[0].detail == {"method": "recovery-identity"}
        # …and a new passphrase is set.
        svc.change_passphrase(NEW_PASS)
    with pytest.raises(WrongPassphrase):
        StoreService.open(store, PASS)
    with StoreService.open(store, NEW_PASS) as svc:
        assert svc.get_participant(person.id).pseudonym == "Mo"
    # The recovery wrap survives the passphrase change.
    assert vault.read_vault(store).recovery_recipient == age_key.recipient
    assert vault.unlock_with_recovery_identity(store, age_key.identity_text).raw() == data_key


def test_wrong_recovery_identity_refused(
    tmp_path: Path, age_key: AgeKey, other_age_key: AgeKey
) -> None:
    store = tmp_path / "store"
    StoreService.create(store, PASS, recovery_recipient=age_key.recipient).close()
    before = snapshot(store)
    with pytest.raises(WrongPassphrase):
        StoreService.open(store, recovery_identity=other_age_key.identity_text)
    with pytest.raises(InvalidInput):
        StoreService.open(store, recovery_identity="AGE-SECRET-KEY-1NOTAKEY")
    with pytest.raises(InvalidInput):
        StoreService.open(store, recovery_identity="# only a comment\n\n")
    assert snapshot(store) == before
    # Still closed cleanly: the process lock was released after each failure.
    StoreService.open(store, PASS).close()


def test_recovery_identity_on_a_store_without_recipient(tmp_path: Path, age_key: AgeKey) -> None:
    store = tmp_path / "store"
    StoreService.create(store, PASS).close()
    before = snapshot(store)
    with pytest.raises(WrongPassphrase, match="without a recovery recipient"):
        StoreService.open(store, recovery_identity=age_key.identity_text)
    assert snapshot(store) == before


def test_open_without_passphrase_or_identity(tmp_path: Path) -> None:
    store = tmp_path / "store"
    StoreService.create(store, PASS).close()
    with pytest.raises(InvalidInput):
        StoreService.open(store)


@pytest.mark.parametrize(
    "recipient",
    [
        "",
        "   ",
        "age1notarecipient",
        "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGarbage user@host",
        "age1" + "q" * 58 + "\nage1" + "q" * 58,
    ],
)
def test_invalid_recovery_recipient_at_create(tmp_path: Path, recipient: str) -> None:
    store = tmp_path / "store"
    with pytest.raises(InvalidInput):
        StoreService.create(store, PASS, recovery_recipient=recipient)
    assert not store.exists()
    folder = tmp_path / "bare"
    folder.mkdir()
    with pytest.raises(InvalidInput):
        vault.create_vault(folder, PASS, recovery_recipient=recipient)
    assert list(folder.iterdir()) == []


def test_recovery_wrapped_key_is_damaged(tmp_path: Path, age_key: AgeKey) -> None:
    folder = tmp_path / "v"
    folder.mkdir()
    vault.create_vault(folder, PASS, recovery_recipient=age_key.recipient)
    obj = _load(folder)
    obj["recovery"]["age"] = base64.b64encode(b"age-encryption.org/v1\n-> junk\n").decode()
    _dump(folder, reseal(obj))
    with pytest.raises(WrongPassphrase):
        vault.unlock_with_recovery_identity(folder, age_key.identity_text)
    # recovery.age is not part of the AAD; the passphrase still opens the vault.
    vault.unlock_with_passphrase(folder, PASS)


# ------------------------------------------------------- property: hostile files
CHEAP_PASS = "cheap passphrase"


def _cheap_vault_json() -> dict[str, Any]:
    """A valid vault with a tiny Argon2 cost, so that examples reaching derive stay fast."""
    key = vault.DataKey(secrets.token_bytes(32), "0f6c3a2e-0000-4000-8000-000000000000")
    kdf = vault.KdfParams(salt=secrets.token_bytes(16), iterations=1, lanes=1, memory_kib=8)
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    vf = vault._wrap(
        key,
        CHEAP_PASS,
        kdf,
        created="2026-11-30T00:00:00+00:00",
        recovery_recipient=recipient,
        recovery_wrapped=vault._wrap_for_recipient(key, recipient),
    )
    return vf.to_json()


CHEAP_VAULT = _cheap_vault_json()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Values meant to reach deep into parsing: small ints (Argon2 parameters), base64 strings.
tricky_values = st.one_of(
    st.integers(min_value=-2, max_value=80),
    st.binary(max_size=140).map(lambda b: base64.b64encode(b).decode()),
    st.sampled_from(["argon2id", "AES-256-GCM", "relations-desktop-vault", ""]),
    json_values,
)
PATHS = [
    "format",
    "version",
    "store_id",
    "created",
    "checksum",
    "recovery",
    "kdf",
    "kdf.name",
    "kdf.salt",
    "kdf.iterations",
    "kdf.lanes",
    "kdf.memory_kib",
    "passphrase_wrap",
    "passphrase_wrap.aead",
    "passphrase_wrap.nonce",
    "passphrase_wrap.ciphertext",
    "recovery.recipient",
    "recovery.age",
]


@st.composite
def mutated_vaults(draw: st.DrawFn) -> bytes:
    obj = copy.deepcopy(CHEAP_VAULT)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        *parents, last = path.split(".")
        node: Any = obj
        for name in parents:
            node = node.get(name) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        if draw(st.booleans()):
            node[last] = draw(tricky_values)
        else:
            node.pop(last, None)
    if draw(st.integers(0, 4)):  # usually resealed, so the edit gets past the checksum
        reseal(obj)
    return json.dumps(obj).encode()


hostile_files = st.one_of(
    st.binary(max_size=600),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=200).map(str.encode),
    mutated_vaults(),
    mutated_vaults(),
    mutated_vaults(),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=hostile_files,
    passphrase=st.sampled_from([CHEAP_PASS, "wrong one", ""]),
    recover=st.booleans(),
)
def test_hostile_vault_files_only_raise_relations_errors(
    tmp_path: Path, raw: bytes, passphrase: str, recover: bool
) -> None:
    path = tmp_path / vault.VAULT_FILE
    path.write_bytes(raw)
    try:
        if recover:
            identity = str(pyrage.x25519.Identity.generate())
            vault.unlock_with_recovery_identity(tmp_path, identity)
        else:
            key = vault.unlock_with_passphrase(tmp_path, passphrase)
            assert passphrase == CHEAP_PASS
            assert len(key.raw()) == 32
    except (VaultDamaged, WrongPassphrase, InvalidInput) as exc:
        assert exc.message
    assert path.read_bytes() == raw


def test_cheap_vault_template_is_valid(tmp_path: Path) -> None:
    """Guard for the property test: its base vault really opens."""
    (tmp_path / vault.VAULT_FILE).write_text(json.dumps(CHEAP_VAULT))
    vault.unlock_with_passphrase(tmp_path, CHEAP_PASS)
    with pytest.raises(WrongPassphrase):
        vault.unlock_with_passphrase(tmp_path, "wrong one")
