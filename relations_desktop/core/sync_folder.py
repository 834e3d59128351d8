"""Folder targets, and what every kind of target shares: the safe copy (docs/sync.md).
The records the app is given are in :mod:`.sync_records` (importable from here too).

``deliver`` copies one outbox bundle to a :class:`Destination` (a folder here, an SFTP
server in :mod:`.sync_sftp`) so that a half-sent bundle never looks complete:

1. A file with the final name (``<bundle id>.age``) already there with the same size
   and SHA-256 counts as delivered; a different one is left alone and reported.
2. The bytes go to ``.<bundle id>.age.partial``. A partial left by an interrupted
   transfer is resumed from its size once the SHA-256 of its bytes matches the same
   prefix of the local file; otherwise it is started over.
3. The partial is flushed (fsync for a folder, closed for SFTP), its size and SHA-256
   are read back and checked, and only then is it renamed to the final name.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.fsutil import sync_dir
from relations_desktop.core.sync_records import OUTCOMES as OUTCOMES
from relations_desktop.core.sync_records import DeliveryResult as DeliveryResult
from relations_desktop.core.sync_records import DeliveryStatus as DeliveryStatus
from relations_desktop.core.sync_records import HostKeyInfo as HostKeyInfo
from relations_desktop.core.sync_records import SyncProgress as SyncProgress
from relations_desktop.core.sync_records import SyncReport as SyncReport
from relations_desktop.core.sync_records import TargetRecord as TargetRecord

if TYPE_CHECKING:
    from hashlib import _Hash

CHUNK = 256 * 1024


class TargetUnavailable(RelationsError):
    """The target cannot be reached or written now; the delivery is retried later."""

    exit_code = 17


class DeliveryRefused(RelationsError):
    """A delivery that cannot succeed by retrying: someone has to look at it."""

    exit_code = 18


class TransferCancelled(Exception):
    """The cancel callback asked to stop; the partial file stays for the next sync."""


class Writer(Protocol):
    def write(self, data: bytes) -> None: ...

    def finish(self) -> None:
        """Flush to durable storage and close; raises when that fails."""

    def abort(self) -> None:
        """Close after an interruption, keeping what was written; never raises."""


class Destination(Protocol):
    label: str

    def size(self, name: str) -> int | None:
        """The size of ``name`` at the target, or None when it is not there."""

    def sha256(self, name: str, limit: int | None = None) -> str:
        """The SHA-256 (hex) of ``name``'s first ``limit`` bytes (all when None)."""

    def open_partial(self, name: str, offset: int) -> Writer:
        """A writer at ``offset``; offset 0 creates or empties the file."""

    def rename(self, name: str, final: str) -> None: ...

    def remove(self, name: str) -> None:
        """Remove ``name``; nothing when it is already gone."""


@dataclass(frozen=True)
class Source:
    """An outbox bundle as it should arrive: its file, size and SHA-256."""

    bundle_id: str
    path: Path
    size: int
    sha256: str

    @property
    def name(self) -> str:
        return f"{self.bundle_id}.age"

    @property
    def partial_name(self) -> str:
        return f".{self.name}.partial"

    def measured(self) -> Source:
        """This source, with size and SHA-256 read from the file when they are unknown."""
        if self.size > 0 and len(self.sha256) == 64:
            return self
        digest = hashlib.sha256()
        try:
            with self.path.open("rb") as handle:
                while block := handle.read(CHUNK):
                    digest.update(block)
                size = handle.tell()
        except OSError:
            return self  # deliver() reports the unreadable file
        return Source(self.bundle_id, self.path, size, digest.hexdigest())


@dataclass(frozen=True)
class Delivered:
    already_there: bool
    bytes_written: int  # written in this transfer (the rest was resumed)
    resumed_from: int


def deliver(
    dest: Destination,
    source: Source,
    on_bytes: Callable[[int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Delivered:
    """Copy ``source`` to ``dest`` safely (see the module docstring)."""
    final_size = dest.size(source.name)
    if final_size is not None:
        if final_size == source.size and dest.sha256(source.name) == source.sha256:
            dest.remove(source.partial_name)
            return Delivered(True, 0, 0)
        raise DeliveryRefused(
            f"{dest.label} already holds a different file named {source.name} "
            f"({final_size} bytes, not {source.size}, or other content); it was left alone. "
            "Ask whoever manages the target to look at it."
        )
    local = _open_local(source)
    with local:
        digest, offset = _resume_point(dest, source, local)
        local.seek(offset)
        writer = dest.open_partial(source.partial_name, offset)
        done = offset
        try:
            while True:
                if cancel is not None and cancel():
                    raise TransferCancelled
                block = local.read(CHUNK)
                if not block:
                    break
                writer.write(block)
                digest.update(block)
                done += len(block)
                if on_bytes is not None:
                    on_bytes(done)
        except BaseException:
            writer.abort()
            raise
        writer.finish()
    if done != source.size or digest.hexdigest() != source.sha256:
        dest.remove(source.partial_name)
        raise DeliveryRefused(
            f"The bundle file {source.path} has changed or is damaged since it was sealed "
            "(its size or SHA-256 differs); nothing was delivered. Seal the bundle again."
        )
    got = dest.size(source.partial_name)
    if got != source.size or dest.sha256(source.partial_name) != source.sha256:
        dest.remove(source.partial_name)
        raise TargetUnavailable(
            f"The copy at {dest.label} did not match the bundle when read back "
            f"({got} bytes of {source.size}, or other content); it was removed and the "
            "bundle will be sent again."
        )
    dest.rename(source.partial_name, source.name)
    return Delivered(False, done - offset, offset)


def _open_local(source: Source) -> BinaryIO:
    try:
        handle = source.path.open("rb")
        size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise DeliveryRefused(
            f"The bundle file {source.path} cannot be read ({exc.strerror or exc}); "
            "seal the bundle again."
        ) from exc
    if size != source.size:
        handle.close()
        raise DeliveryRefused(
            f"The bundle file {source.path} has {size} bytes, not the {source.size} it had "
            "when it was sealed; nothing was delivered. Seal the bundle again."
        )
    return handle


def _resume_point(dest: Destination, source: Source, local: BinaryIO) -> tuple[_Hash, int]:
    """The hash so far and the offset to go on from: the partial's size when its bytes
    are the local file's prefix, else 0 (start over)."""
    partial = dest.size(source.partial_name)
    if partial and partial <= source.size:
        digest = hashlib.sha256()
        left = partial
        while left:
            block = local.read(min(CHUNK, left))
            if not block:
                break
            digest.update(block)
            left -= len(block)
        if not left and dest.sha256(source.partial_name, partial) == digest.hexdigest():
            return digest, partial
    return hashlib.sha256(), 0


# ------------------------------------------------------------------ folders
def check_folder(text: str) -> Path:
    """The absolute folder ``text`` names, once it is shown to exist and take a file."""
    if not text.strip():
        raise InvalidInput("Give the folder to copy bundles to.")
    folder = Path(text).expanduser().absolute()
    if not folder.exists():
        raise InvalidInput(
            f"The folder {folder} does not exist. Create it first (or connect the drive or "
            "share it is on); nothing was added."
        )
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder; nothing was added.")
    probe = folder / f".relations-write-test-{secrets.token_hex(4)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            probe.unlink()
    except OSError as exc:
        raise InvalidInput(
            f"Cannot write to the folder {folder} ({_why(exc)}); nothing was added."
        ) from exc
    return folder


def _why(exc: OSError) -> str:
    reasons = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "it is read-only",
        errno.ENOSPC: "it is full",
        errno.ENOENT: "it is not there",
    }
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))


class FolderDestination:
    """A local folder: a USB stick, a mounted network share, a cloud-synced folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.label = str(folder)
        if not folder.is_dir():
            raise TargetUnavailable(
                f"The folder {folder} is not there (is the drive or network share connected?)."
            )

    @contextlib.contextmanager
    def _io(self, what: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise TargetUnavailable(f"Cannot {what} in {self.folder}: {_why(exc)}.") from exc

    def size(self, name: str) -> int | None:
        with self._io("look for files"):
            try:
                return (self.folder / name).stat().st_size
            except FileNotFoundError:
                return None

    def sha256(self, name: str, limit: int | None = None) -> str:
        digest = hashlib.sha256()
        with self._io("read back files"), (self.folder / name).open("rb") as handle:
            left = limit
            while left is None or left > 0:
                block = handle.read(CHUNK if left is None else min(CHUNK, left))
                if not block:
                    break
                digest.update(block)
                if left is not None:
                    left -= len(block)
        return digest.hexdigest()

    def open_partial(self, name: str, offset: int) -> Writer:
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
        with self._io("write"):
            fd = os.open(self.folder / name, flags, 0o600)
            try:
                os.ftruncate(fd, offset)
                os.lseek(fd, offset, os.SEEK_SET)
            except OSError:
                os.close(fd)
                raise
        return _FileWriter(fd, self)

    def rename(self, name: str, final: str) -> None:
        with self._io("rename files"):
            (self.folder / name).rename(self.folder / final)
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder
            sync_dir(self.folder)

    def remove(self, name: str) -> None:
        with self._io("remove files"), contextlib.suppress(FileNotFoundError):
            (self.folder / name).unlink()


class _FileWriter:
    def __init__(self, fd: int, dest: FolderDestination) -> None:
        self._fd = fd
        self._dest = dest

    def write(self, data: bytes) -> None:
        with self._dest._io("write"):
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]

    def finish(self) -> None:
        with self._dest._io("write"):
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            os.fsync(self._fd)
        with contextlib.suppress(OSError):
            os.close(self._fd)
