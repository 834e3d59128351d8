"""Reading a bundle file for ``BundleService.verify`` and ``open`` (core/bundles.py): the
file hashed and counted as age decrypts it (in its own thread), and the plaintext as the
checks read it, reporting the share of the file read and stopping when cancelled.

Progress and cancel are served on the thread that checks (the caller's), never on the
decrypting one: ``cancelled`` is asked before every read of the plaintext and raises
:class:`Cancelled`; whatever else goes wrong once a cancel was seen (the decryption cut
off, a broken pipe) is reported as that cancel.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from relations_desktop.core.bundle_io import Decrypted
from relations_desktop.core.errors import Cancelled, InvalidInput

Progress = Callable[[float], None]
STEP = 0.001  # progress is reported when it moved by at least this share of the file


class Opened:
    """The decrypted stream of a bundle file and the roster to check it with."""

    def __init__(self, path: Path, identity: Any, roster: dict[str, tuple[str, str]]) -> None:
        self._path, self._identity, self._roster = path.expanduser(), identity, roster
        self._progress: Progress | None = None
        self._cancelled: Callable[[], bool] = lambda: False
        self._message = "Cancelled."
        self._watched: Watched | None = None

    def watch(
        self, progress: Progress | None, cancelled: Callable[[], bool], message: str
    ) -> Opened:
        """Report progress and honour cancel while reading; ``message`` for :class:`Cancelled`."""
        self._progress, self._cancelled, self._message = progress, cancelled, message
        return self

    @property
    def sha256(self) -> str:
        return self._source.hasher.hexdigest()

    @property
    def cancelled(self) -> bool:
        return self._watched is not None and self._watched.cancelled

    def __enter__(self) -> tuple[Any, dict[str, tuple[str, str]]]:
        if self._path.is_dir():
            raise InvalidInput(f"{self._path} is a folder, not a bundle file.")
        try:
            self._source = HashingReader(self._path.open("rb"))
        except OSError as exc:
            raise InvalidInput(f"Cannot read {self._path}: {exc.strerror or exc}.") from exc
        if self._cancelled():
            self._source.close()
            raise Cancelled(self._message)
        self._decrypted = Decrypted(self._source, self._identity)  # type: ignore[arg-type]
        try:
            plain = self._decrypted.__enter__()
        except BaseException:
            self._source.close()
            raise
        self._watched = Watched(plain, self._source, self._progress, self._cancelled, self._message)
        return self._watched, self._roster

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        try:
            self._decrypted.__exit__(kind, *exc)
        finally:
            self._source.close()
        if kind is not None and self.cancelled and not issubclass(kind, Cancelled):
            raise Cancelled(self._message)  # the reading was cut off by the cancel


class HashingReader(io.RawIOBase):
    """The bundle file, hashed and counted as age reads it (so the inbox knows it was
    opened, and progress knows how far it got)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw, self.hasher, self.count = raw, hashlib.sha256(), 0
        self.size = os.fstat(raw.fileno()).st_size

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        count = self._raw.readinto(target)  # type: ignore[attr-defined]
        if count:
            self.hasher.update(memoryview(target)[:count])
            self.count += count
        return int(count or 0)

    def close(self) -> None:
        self._raw.close()
        super().close()


class Watched(io.RawIOBase):
    """The decrypted stream as the checks read it (see the module docstring); ``owner``
    is the :class:`Decrypted` behind it, as ``check_stream`` expects."""

    def __init__(
        self,
        plain: Any,
        source: HashingReader,
        progress: Progress | None,
        cancelled: Callable[[], bool],
        message: str,
    ) -> None:
        self._plain, self.owner, self._source = plain, plain.owner, source
        self._progress, self._ask, self._message = progress, cancelled, message
        self._shown = -1.0
        self.cancelled = False

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if self._ask():
            self.cancelled = True
            raise Cancelled(self._message)
        count = int(self._plain.readinto(target))
        if self._progress is not None:
            size = max(self._source.size, 1)
            fraction = min(self._source.count / size, 1.0)
            if fraction - self._shown >= STEP or (fraction == 1.0 and self._shown < 1.0):
                self._shown = fraction
                self._progress(fraction)
        return count
