"""Small file-system helpers: private folders and crash-safe writes."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) and make it readable by its owner only."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        path.chmod(PRIVATE_DIR_MODE)


def make_private(path: Path) -> None:
    """Set owner-only permissions on a file if it exists (no-op where unsupported)."""
    with contextlib.suppress(FileNotFoundError, PermissionError, NotImplementedError):
        path.chmod(PRIVATE_FILE_MODE)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old or the new file, whole.

    The new content goes to a sibling file opened owner-only, is flushed to disk, then
    renamed over the target; the folder is synced so the rename survives a power cut.
    """
    tmp = path.with_name(f".{path.name}.new")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), PRIVATE_FILE_MODE
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    sync_dir(path.parent)


def sync_dir(path: Path) -> None:
    """fsync a directory so renames in it are durable (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free
