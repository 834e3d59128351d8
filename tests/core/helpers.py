"""Small helpers shared by the core tests (no fixtures here; see conftest.py)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: its bytes and mtime (nanoseconds)."""
    result = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            result[str(path.relative_to(folder))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return result


def file_state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def reseal(obj: dict[str, Any]) -> dict[str, Any]:
    """Recompute the vault checksum, as someone editing vault.json on purpose would."""
    body = {k: v for k, v in obj.items() if k != "checksum"}
    obj["checksum"] = hashlib.sha256(canonical(body)).hexdigest()
    return obj


def flip_b64(value: str, index: int = 0) -> str:
    """Change one base64 character (the first by default, which always changes a byte)."""
    old = value[index]
    new = B64_ALPHABET[(B64_ALPHABET.index(old) + 1) % 64]
    return value[:index] + new + value[index + 1 :]


def mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
