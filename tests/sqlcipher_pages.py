"""Read a SQLCipher 4 file page by page with its raw key, as an attacker with the key
would: every page, free ones included, and the WAL frames. Used only by tests that check
no trace of deleted data remains anywhere in the files (not merely in the live rows).

SQLCipher 4 defaults: 4096-byte pages, each ending in a 16-byte IV and a 64-byte HMAC;
AES-256-CBC with the raw key; page 1 starts with the 16-byte salt.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE = 4096
RESERVE = 80
IV = 16
WAL_HEADER = 32
FRAME_HEADER = 24


def _decrypt_page(page: bytes, key: bytes, first: bool) -> bytes:
    iv = page[PAGE - RESERVE : PAGE - RESERVE + IV]
    start = 16 if first else 0
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start : PAGE - RESERVE]) + decryptor.finalize()


def decrypted_pages(db: Path, key: bytes) -> list[bytes]:
    data = db.read_bytes()
    return [
        _decrypt_page(data[offset : offset + PAGE], key, offset == 0)
        for offset in range(0, len(data) - PAGE + 1, PAGE)
    ]


def decrypted_wal_frames(wal: Path, key: bytes) -> list[bytes]:
    if not wal.exists():
        return []
    data = wal.read_bytes()
    frames = []
    offset = WAL_HEADER
    while offset + FRAME_HEADER + PAGE <= len(data):
        page_number = int.from_bytes(data[offset : offset + 4], "big")
        page = data[offset + FRAME_HEADER : offset + FRAME_HEADER + PAGE]
        frames.append(_decrypt_page(page, key, page_number == 1))
        offset += FRAME_HEADER + PAGE
    return frames


def plaintext_of_store(store_dir: Path, key: bytes) -> bytes:
    """Every decrypted page of store.db and its WAL, concatenated."""
    pages = decrypted_pages(store_dir / "store.db", key)
    frames = decrypted_wal_frames(store_dir / "store.db-wal", key)
    return b"".join(pages + frames)
