"""Property-based fuzzing of the vault file (hypothesis): a mutated ``vault.json`` gives
a clear ``VaultDamaged`` or ``WrongPassphrase`` (one line), never a crash, and the
unlock attempt writes nothing.

Byte-level mutations (flips, cuts, insertions) mostly meet the JSON parser and the
checksum; structured ones change fields to random JSON and then recompute the checksum
(it guards against accidents, not attackers), so the checks behind it are reached too:
types, base64, sizes, key-derivation bounds, the authenticated header.

So that an example costs milliseconds, the store's data key is re-wrapped once under a
cheap Argon2id setting (8 KiB, one pass): a vault the app reads as any other. Generated
key-derivation values are either cheap or out of bounds, never an in-bounds gigabyte.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from relations_desktop.core import vault
from relations_desktop.core.errors import RelationsError, VaultDamaged, WrongPassphrase
from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE

EXAMPLES = 800

pytestmark = pytest.mark.timeout(60)  # a bound on every test here


@dataclass(frozen=True)
class Store:
    path: Path
    vault_text: bytes  # the cheap, valid vault.json


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("fuzz-vault") / "store"
    recipient = vault.parse_recipient(
        "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    )
    StoreService.create(path, PASSPHRASE, recovery_recipient=recipient).close()
    key = vault.unlock_with_passphrase(path, PASSPHRASE)
    old = vault.read_vault(path)
    cheap = vault.KdfParams(salt=old.kdf.salt, iterations=1, lanes=1, memory_kib=8)
    vault.write_vault(
        path,
        vault._wrap(
            key,
            PASSPHRASE,
            cheap,
            created=old.created,
            recovery_recipient=old.recovery_recipient,
            recovery_wrapped=old.recovery_wrapped_key,
        ),
    )
    key.wipe()
    StoreService.open(path, PASSPHRASE).close()  # the cheap vault opens the store
    yield Store(path, (path / "vault.json").read_bytes())


# ------------------------------------------------------------- strategies
KDF_INTS = st.sampled_from(
    [-1, 0, 1, 2, 3, 4, 7, 8, 16, 64, 65, 1024, 65536, 2**20 + 1, 2**31, 2**63, 10**30]
)
json_values = st.recursive(
    st.none() | st.booleans() | KDF_INTS | st.floats() | st.text(max_size=16),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
# Any size, or exactly a nonce's, a salt's, a wrapped key's: well-formed but wrong.
exact = st.sampled_from([12, 16, 48]).flatmap(lambda n: st.binary(min_size=n, max_size=n))
b64_values = (st.binary(max_size=64) | exact).map(lambda b: base64.b64encode(b).decode())
PATHS = [
    ("format",),
    ("version",),
    ("store_id",),
    ("created",),
    ("kdf",),
    ("kdf", "name"),
    ("kdf", "salt"),
    ("kdf", "iterations"),
    ("kdf", "lanes"),
    ("kdf", "memory_kib"),
    ("passphrase_wrap",),
    ("passphrase_wrap", "aead"),
    ("passphrase_wrap", "nonce"),
    ("passphrase_wrap", "ciphertext"),
    ("recovery",),
    ("recovery", "recipient"),
    ("recovery", "age"),
    ("checksum",),
    ("extra",),
]


def checksum(document: dict[str, Any]) -> str:
    body = {k: v for k, v in document.items() if k != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()


@st.composite
def structured(draw: st.DrawFn, original: bytes) -> bytes:
    document = json.loads(original)
    changed = copy.deepcopy(document)
    for path in draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3)):
        parent = changed
        for part in path[:-1]:
            if not isinstance(parent.get(part), dict):
                break
            parent = parent[part]
        else:
            if draw(st.integers(0, 4)) == 0:
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(json_values | b64_values)
    if draw(st.integers(0, 4)):  # mostly: a checksum that matches the change
        changed["checksum"] = checksum(changed)
    return json.dumps(changed, indent=draw(st.sampled_from([None, 2]))).encode()


@st.composite
def byte_level(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        what = draw(st.sampled_from(["flip", "cut", "insert"]))
        if what == "flip" and position < len(data):
            data[position] ^= draw(st.integers(1, 255))
        elif what == "cut":
            del data[position:]
        else:
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


# ------------------------------------------------------------------ the test
@pytest.mark.timeout(60)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_mutated_vault_is_refused_clearly(store: Store, data: st.DataObject) -> None:
    mutated = data.draw(
        st.one_of(structured(store.vault_text), byte_level(store.vault_text)), label="vault"
    )
    (store.path / "vault.json").write_bytes(mutated)
    database = (store.path / "store.db").read_bytes()  # a success before may have changed it
    try:
        StoreService.open(store.path, PASSPHRASE).close()
    except (VaultDamaged, WrongPassphrase) as exc:
        event(f"{type(exc).__name__}: {exc.message[:45]}")
        assert exc.message.strip() and "\n" not in exc.message
        # Nothing was written: neither the vault nor the database.
        assert (store.path / "vault.json").read_bytes() == mutated
        assert (store.path / "store.db").read_bytes() == database
    except RelationsError as exc:
        pytest.fail(f"not a vault error but {type(exc).__name__}: {exc.message}")
    else:
        event("opened (the change did not matter)")
    finally:
        (store.path / "vault.json").write_bytes(store.vault_text)
