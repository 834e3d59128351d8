"""One process per store: an exclusive lock on ``store.lock`` in the store folder."""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

from relations_desktop.core.errors import StoreInUse
from relations_desktop.core.fsutil import make_private

LOCK_FILE = "store.lock"


class StoreProcessLock:
    """Held for as long as this process has the store open (also while it is locked)."""

    def __init__(self, store_dir: Path) -> None:
        self._path = store_dir / LOCK_FILE
        self._lock = FileLock(self._path, timeout=0, thread_local=False, mode=0o600)

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except Timeout as exc:
            raise StoreInUse(
                "This store is already open in another Relations Desktop window or command; "
                "close it there first."
            ) from exc
        make_private(self._path)

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)

    @property
    def held(self) -> bool:
        return bool(self._lock.is_locked)
