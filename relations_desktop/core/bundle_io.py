"""The bundle's streams: the tar made as age reads it (sealing), and the age file
decrypted in a thread into a pipe that ``tarfile`` reads and checks entry by entry
against the signed manifest (verifying). See docs/bundle-format.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import minisign
import pyrage

from relations_desktop.core.bundle_format import (
    CHUNK,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    MAX_SIGNATURE_BYTES,
    SIGNATURE_NAME,
    check_entry,
    parse_manifest,
    refuse,
)
from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.fsutil import PRIVATE_FILE_MODE, sync_dir
from relations_desktop.core.team import same_key_id, signature_key_id

Entries = Iterable[tuple[str, bytes]]
OnManifest = Callable[[dict[str, Any], str], None]
OnEntry = Callable[[str, bytes], None]
MAX_OPEN_ENTRY_BYTES = 512 * 1024 * 1024  # an entry handed to the merger whole


@dataclass(frozen=True)
class VerifyResult:
    bundle_id: str
    researcher_id: str
    researcher_name: str
    signer: str  # the roster member whose key signed the manifest
    signer_key_id: str
    created_at: str
    schema_revision: int
    files: int
    total_bytes: int
    counts: dict[str, int]


# ------------------------------------------------------------- sealing I/O
class _TarReader(io.RawIOBase):
    """A readable POSIX tar stream, made one entry at a time as it is read.

    Headers come from the standard library (``TarInfo.tobuf``, PAX format); the stream
    around them is the plain tar framing: each file padded to 512-byte blocks, two zero
    blocks at the end, the whole padded to tar's 10,240-byte record, as ``tarfile``'s
    own ``w|`` mode writes it, but without copying every byte through a buffer.
    """

    def __init__(self, entries: Entries) -> None:
        self._pieces = self._run(entries)
        self._current = memoryview(b"")
        self.error: BaseException | None = None  # what stopped the entries, for the caller

    @staticmethod
    def _run(entries: Entries) -> Iterator[bytes]:
        created = int(datetime.now(UTC).timestamp())
        total = 0
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), created, 0o600
            header = info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")
            padding = -len(data) % tarfile.BLOCKSIZE
            total += len(header) + len(data) + padding
            yield header
            yield data
            if padding:
                yield tarfile.NUL * padding
        total += 2 * tarfile.BLOCKSIZE
        yield tarfile.NUL * (2 * tarfile.BLOCKSIZE + (-total % tarfile.RECORDSIZE))

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        filled = 0
        while filled < len(view):
            if not self._current:
                try:
                    piece = next(self._pieces, None)
                except BaseException as exc:  # pyrage would wrap it in an EncryptError
                    self.error = exc
                    raise
                if piece is None:
                    break
                self._current = memoryview(piece)
                continue
            count = min(len(view) - filled, len(self._current))
            view[filled : filled + count] = self._current[:count]
            self._current = self._current[count:]
            filled += count
        return filled


class _HashingSink(io.RawIOBase):
    """The bundle file, hashed and counted as age writes it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw, self.hasher, self.size = raw, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._raw.write(view)
        self.hasher.update(view)
        self.size += len(view)
        return len(view)


def write_age(out: Path, entries: Entries, recipients: list[str]) -> tuple[int, str]:
    """Encrypt the tar stream to ``out`` via a temporary name, renamed only when complete;
    returns the file's size and SHA-256."""
    parsed = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
    tmp = out.with_name(f".{out.name}.partial")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except OSError as exc:
        raise InvalidInput(f"Cannot write {out}: {exc.strerror or exc}.") from exc
    try:
        reader = _TarReader(entries)
        with os.fdopen(fd, "wb") as raw, io.BufferedReader(reader, CHUNK) as tar:
            sink = _HashingSink(raw)
            try:
                pyrage.encrypt_io(tar, sink, parsed)
            except Exception:
                if reader.error is not None:
                    raise reader.error from None
                raise
            raw.flush()
            os.fsync(raw.fileno())
        tmp.replace(out)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise InvalidInput(f"Cannot write {out}: {exc.strerror or exc}.") from exc
        raise
    sync_dir(out.parent)
    return sink.size, sink.hasher.hexdigest()


# ----------------------------------------------------------- verifying I/O
class Decrypted:
    """The plaintext of an age file as a readable pipe, decrypted in a thread."""

    def __init__(self, source: BinaryIO, identity: Any) -> None:
        self._source, self._identity = source, identity
        self.error: BaseException | None = None

    def __enter__(self) -> _DecryptedStream:
        read_fd, write_fd = os.pipe()
        self._reader = os.fdopen(read_fd, "rb")
        self._writer = os.fdopen(write_fd, "wb")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return _DecryptedStream(self._reader, self)

    def _run(self) -> None:
        try:
            pyrage.decrypt_io(self._source, self._writer, [self._identity])
        except BaseException as exc:  # reported by the reading side
            self.error = exc
        finally:
            with contextlib.suppress(OSError):
                self._writer.close()

    def finish(self) -> None:
        self._thread.join()
        if self.error is not None:
            raise _decrypt_refusal(self.error)

    def abort(self) -> None:
        """Stop reading (the decrypting thread then fails on the closed pipe and ends);
        raise the decryption failure if there was one before that."""
        with contextlib.suppress(OSError):
            self._reader.close()
        self._thread.join()
        error = self.error
        closed = isinstance(error, BrokenPipeError) or "broken pipe" in str(error).lower()
        if error is not None and not closed:
            raise _decrypt_refusal(error)

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._reader.close()
        self._thread.join()


class _DecryptedStream(io.RawIOBase):
    def __init__(self, reader: BinaryIO, owner: Decrypted) -> None:
        self._reader, self.owner = reader, owner

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        data = self._reader.read(len(target))
        target[: len(data)] = data
        return len(data)


def _decrypt_refusal(error: BaseException) -> RelationsError:
    text = str(error).lower()
    if "no matching" in text or "no identity matched" in text:
        return refuse("it was not sealed for you (it is encrypted to other recipients)")
    return refuse(f"it is damaged or truncated (decryption failed: {str(error)[:120]})")


def check_stream(
    plain: _DecryptedStream,
    roster: dict[str, tuple[str, str]],
    on_manifest: OnManifest | None = None,
    on_entry: OnEntry | None = None,
) -> VerifyResult:
    """Check everything; hand the manifest and each entry whose hash matched to the
    callbacks (opening), which must keep what they do undone until the caller commits."""
    try:
        result = _check_tar(plain, roster, on_manifest, on_entry)
        # The tar ends before the age stream does (record padding): drain it, so that age
        # authenticates every byte and a truncated or altered tail is refused too.
        trailing = 0
        while chunk := plain.read(CHUNK):
            trailing += len(chunk)
            if trailing > 1024 * 1024 or chunk.strip(b"\0"):
                raise refuse("there is data after the end of the archive")
    except (tarfile.TarError, EOFError, OSError, RelationsError) as exc:
        plain.owner.abort()  # a decryption failure explains a broken tar best
        if isinstance(exc, RelationsError):
            raise
        raise refuse(f"the archive inside is malformed ({exc})") from exc
    plain.owner.finish()
    return result


def _check_tar(
    plain: _DecryptedStream,
    roster: dict[str, tuple[str, str]],
    on_manifest: OnManifest | None,
    on_entry: OnEntry | None,
) -> VerifyResult:
    with tarfile.open(fileobj=plain, mode="r|") as tar:
        members: Iterator[tarfile.TarInfo] = iter(tar)
        manifest_data = _read_small(tar, next(members, None), MANIFEST_NAME, MAX_MANIFEST_BYTES)
        signature = _read_small(tar, next(members, None), SIGNATURE_NAME, MAX_SIGNATURE_BYTES)
        signer, signer_id = _check_signature(manifest_data, signature, roster)
        manifest = parse_manifest(manifest_data)
        claimed = manifest["researcher"].get("signing_key_id")
        if not same_key_id(claimed, signer_id):
            raise refuse(
                f"its manifest names signing key {str(claimed)[:20]!r} but key {signer_id} "
                "signed it"
            )
        if on_manifest is not None:
            on_manifest(manifest, signer)
        promised = {e["path"]: (e["size"], e["sha256"]) for e in manifest["files"]}
        seen: set[str] = set()
        for info in members:
            check_entry(info)
            if info.name not in promised:
                raise refuse(f"the entry {info.name!r} is not in the manifest")
            if info.name in seen:
                raise refuse(f"the entry {info.name!r} appears twice")
            size, digest = promised[info.name]
            if info.size != size:
                raise refuse(
                    f"the entry {info.name!r} is {info.size} bytes; the manifest says {size}"
                )
            if on_entry is not None and size > MAX_OPEN_ENTRY_BYTES:
                raise refuse(f"the entry {info.name!r} is too large to open ({size} bytes)")
            handle = tar.extractfile(info)
            assert handle is not None
            hasher, got = hashlib.sha256(), 0
            kept: list[bytes] | None = [] if on_entry is not None else None
            while block := handle.read(min(CHUNK, size - got + 1)):
                got += len(block)
                if got > size:
                    raise refuse(f"the entry {info.name!r} is larger than the manifest says")
                hasher.update(block)
                if kept is not None:
                    kept.append(block)
            if got != size or hasher.hexdigest() != digest:
                raise refuse(f"the entry {info.name!r} does not match its SHA-256 in the manifest")
            seen.add(info.name)
            if on_entry is not None and kept is not None:
                on_entry(info.name, b"".join(kept))
        missing = sorted(set(promised) - seen)
        if missing:
            raise refuse(f"{len(missing)} file(s) in the manifest are missing ({missing[0]!r}…)")
    researcher = manifest["researcher"]
    counts = manifest.get("counts")
    return VerifyResult(
        bundle_id=manifest["bundle_id"],
        researcher_id=str(researcher.get("id", "")),
        researcher_name=str(researcher.get("name", "")),
        signer=signer,
        signer_key_id=signer_id,
        created_at=manifest["created_at"],
        schema_revision=manifest["schema_revision"],
        files=len(promised),
        total_bytes=sum(s for s, _ in promised.values()),
        counts={str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {},
    )


def _read_small(tar: tarfile.TarFile, info: tarfile.TarInfo | None, name: str, limit: int) -> bytes:
    if info is None:
        raise refuse(f"it holds no {name}")
    check_entry(info)
    if info.name != name:
        raise refuse(f"its entry {info.name!r} comes where {name} must be")
    if info.size > limit:
        raise refuse(f"its {name} is {info.size} bytes (at most {limit})")
    handle = tar.extractfile(info)
    assert handle is not None
    data = handle.read(limit + 1)
    if len(data) != info.size:
        raise refuse(f"its {name} is cut short")
    return data


def _check_signature(
    data: bytes, signature: bytes, roster: dict[str, tuple[str, str]]
) -> tuple[str, str]:
    try:
        sig = minisign.Signature.from_bytes(signature.strip())
    except Exception as exc:  # minisign.ParseError
        raise refuse("its manifest signature is not a minisign signature") from exc
    signer_id = signature_key_id(sig)
    if signer_id not in roster:
        raise refuse(
            f"it is signed by key ID {signer_id}, which belongs to nobody on your team roster"
        )
    name, public = roster[signer_id]
    try:
        minisign.PublicKey.from_base64(public).verify(data, sig)
    except Exception as exc:  # minisign.VerifyError
        raise refuse("its manifest does not match its signature (changed after signing)") from exc
    return name, signer_id
