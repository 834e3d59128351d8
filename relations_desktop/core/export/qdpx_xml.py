"""The REFI-QDA file itself, built from plain values: the project document
(``project.qde``, QDA-XML 1.0) and the ZIP package around it.

:mod:`relations_desktop.core.export.qdpx` decides what may leave the store and hands it
here as the dataclasses below; this module only lays it out: the transcript text with
its sync points, the XML (lxml, in the order ``Project.xsd`` prescribes), and the ZIP
with the audio encoded to FLAC on the way in. It never sees the store. See
docs/qdpx-export.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import soundfile
from lxml import etree

from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.fsutil import PRIVATE_FILE_MODE, sync_dir

NS = "urn:QDA-XML:project:1.0"
_GUID_SPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://relations-desktop.invalid/qdpx/v1")
# XML 1.0 forbids these (tab and line feed are kept; carriage returns are dropped).
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_UNSAFE_NAME = re.compile(r"[\\/\t\n]+")

Value = str | bool | date


def guid(kind: str, record_id: str) -> str:
    """A GUID for one record, the same on every export (uuid5 of kind and record id)."""
    return str(uuid.uuid5(_GUID_SPACE, f"{kind}:{record_id}"))


def clean(text: str) -> str:
    """``text`` fit for XML 1.0 and UTF-8: line breaks as ``\\n``, lone surrogates as
    U+FFFD, characters XML cannot hold removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML.sub("", _SURROGATES.sub("\ufffd", text))


def one_line(text: str) -> str:
    return " ".join(clean(text).split())


def file_name(text: str) -> str:
    """A source name some programs also use as a file name: one line, no slashes."""
    return _UNSAFE_NAME.sub("-", one_line(text)).strip() or "untitled"


def millis(seconds: float) -> int:
    """Seconds as whole milliseconds (QualCoder's unit), never negative or infinite."""
    if not math.isfinite(seconds) or seconds <= 0:
        return 0
    return round(seconds * 1000)


def stamp(moment: datetime) -> str:
    """xsd:dateTime in UTC, e.g. ``2026-03-01T10:15:00Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------- the model
@dataclass(frozen=True)
class Variable:
    guid: str
    name: str
    kind: str  # typeOfVariable: Text, Boolean, Date
    description: str = ""


@dataclass(frozen=True)
class Made:
    """Who made a source and when."""

    user: str | None  # a User guid
    created: datetime
    modified: datetime


@dataclass(frozen=True)
class SyncPoint:
    guid: str
    time_ms: int
    position: int


@dataclass(frozen=True)
class TranscriptPart:
    guid: str
    name: str
    path: str  # internal://<guid>.txt
    made: Made
    sync_points: list[SyncPoint]


@dataclass(frozen=True)
class AudioItem:
    guid: str
    name: str
    path: str
    made: Made
    description: str
    transcript: TranscriptPart | None
    values: list[tuple[Variable, Value]] = field(default_factory=list)


@dataclass(frozen=True)
class TextItem:
    guid: str
    name: str
    path: str  # internal://<guid>.txt
    made: Made
    length: int  # characters in the text file
    selection: str  # the guid of the selection covering the whole text
    codings: list[tuple[str, str]]  # (Coding guid, Code guid)
    values: list[tuple[Variable, Value]] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    guid: str
    name: str
    values: list[tuple[Variable, Value]]
    sources: list[str]  # source guids


@dataclass(frozen=True)
class Project:
    name: str
    origin: str
    user: str
    created: datetime
    description: str
    users: list[tuple[str, str]]  # (guid, name)
    codes: list[tuple[str, str]]  # (guid, name)
    variables: list[Variable]
    cases: list[Case]
    sources: list[AudioItem | TextItem]


# -------------------------------------------------------------------- transcripts
def transcript_text(
    lines: Sequence[tuple[str, str, int, int, str]],
) -> tuple[str, list[SyncPoint]]:
    """The transcript's plain text and its sync points.

    ``lines`` are (speaker, text, start ms, end ms, segment id). Each becomes a paragraph
    ``Speaker: text`` (just ``text`` without a speaker), paragraphs separated by a blank
    line. Each gets two sync points: its start time at the first character of its text
    and its end time just after the last one (character offsets, counted in code
    points); the speaker's name lies outside them. A segment with no text is left out.
    """
    parts: list[str] = []
    points: list[SyncPoint] = []
    at = 0
    for speaker, raw, start_ms, end_ms, segment_id in lines:
        text = one_line(raw)
        if not text:
            continue
        if parts:
            parts.append("\n\n")
            at += 2
        prefix = f"{one_line(speaker)}: " if one_line(speaker) else ""
        parts.append(prefix + text)
        begin = at + len(prefix)
        at = begin + len(text)
        points.append(SyncPoint(guid("sync-start", segment_id), start_ms, begin))
        points.append(SyncPoint(guid("sync-end", segment_id), max(end_ms, start_ms), at))
    if parts:
        parts.append("\n")
    return "".join(parts), points


# ---------------------------------------------------------------------------- XML
def _el(parent: etree._Element, tag: str, **attrs: str | None) -> etree._Element:
    element: etree._Element = etree.SubElement(
        parent, f"{{{NS}}}{tag}", {k: clean(v) for k, v in attrs.items() if v is not None}
    )
    return element


def _text(parent: etree._Element, tag: str, text: str) -> None:
    _el(parent, tag).text = clean(text)


def _made(made: Made) -> dict[str, str | None]:
    return {
        "creatingUser": made.user,
        "creationDateTime": stamp(made.created),
        "modifyingUser": made.user,
        "modifiedDateTime": stamp(made.modified),
    }


def _values(parent: etree._Element, values: Sequence[tuple[Variable, Value]]) -> None:
    for variable, value in values:
        holder = _el(parent, "VariableValue")
        _el(holder, "VariableRef", targetGUID=variable.guid)
        if isinstance(value, bool):
            _el(holder, "BooleanValue").text = "true" if value else "false"
        elif isinstance(value, date):
            _el(holder, "DateValue").text = value.isoformat()
        else:
            _text(holder, "TextValue", value)


def project_xml(project: Project) -> bytes:
    """``project.qde`` as UTF-8 bytes (with its XML declaration)."""
    root = etree.Element(f"{{{NS}}}Project", nsmap={None: NS})
    root.set("name", one_line(project.name))
    root.set("origin", one_line(project.origin))
    root.set("creatingUserGUID", project.user)
    root.set("creationDateTime", stamp(project.created))
    if project.users:
        users = _el(root, "Users")
        for user_guid, name in project.users:
            _el(users, "User", guid=user_guid, name=one_line(name))
    if project.codes:
        codes = _el(_el(root, "CodeBook"), "Codes")
        for code_guid, name in project.codes:
            _el(codes, "Code", guid=code_guid, name=one_line(name), isCodable="true")
    if project.variables:
        variables = _el(root, "Variables")
        for variable in project.variables:
            element = _el(
                variables, "Variable", guid=variable.guid, name=variable.name,
                typeOfVariable=variable.kind,
            )  # fmt: skip
            if variable.description:
                _text(element, "Description", variable.description)
    if project.cases:
        cases = _el(root, "Cases")
        for case in project.cases:
            element = _el(cases, "Case", guid=case.guid, name=one_line(case.name))
            _values(element, case.values)
            for source in case.sources:
                _el(element, "SourceRef", targetGUID=source)
    if project.sources:
        sources = _el(root, "Sources")
        for item in project.sources:
            if isinstance(item, AudioItem):
                _audio(sources, item)
            else:
                _text_source(sources, item)
    if project.description:
        _text(root, "Description", project.description)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _audio(parent: etree._Element, item: AudioItem) -> None:
    element = _el(parent, "AudioSource", guid=item.guid, name=item.name, path=item.path,
                  **_made(item.made))  # fmt: skip
    if item.description:
        _text(element, "Description", item.description)
    part = item.transcript
    if part is not None:
        transcript = _el(element, "Transcript", guid=part.guid, name=part.name,
                         plainTextPath=part.path, **_made(part.made))  # fmt: skip
        for point in part.sync_points:
            _el(transcript, "SyncPoint", guid=point.guid, timeStamp=str(point.time_ms),
                position=str(point.position))  # fmt: skip
    _values(element, item.values)


def _text_source(parent: etree._Element, item: TextItem) -> None:
    element = _el(parent, "TextSource", guid=item.guid, name=item.name,
                  plainTextPath=item.path, **_made(item.made))  # fmt: skip
    if item.codings:
        selection = _el(
            element, "PlainTextSelection", guid=item.selection, name=item.name,
            startPosition="0", endPosition=str(item.length), creatingUser=item.made.user,
            creationDateTime=stamp(item.made.created),
        )  # fmt: skip
        for coding_guid, code_guid in item.codings:
            coding = _el(selection, "Coding", guid=coding_guid, creatingUser=item.made.user,
                         creationDateTime=stamp(item.made.created))  # fmt: skip
            _el(coding, "CodeRef", targetGUID=code_guid)
    _values(element, item.values)


# ------------------------------------------------------------------------ the ZIP
HEAD_BYTES = 64 * 1024  # the FLAC metadata libFLAC rewrites at the end lies well within this


@dataclass(frozen=True)
class AudioFile:
    member: str  # Sources/<guid>.flac
    rate: int
    blocks: Callable[[], Iterable[Any]]  # a fresh stream of mono int16 blocks at each call


def write_package(
    out: Path,
    project: Project,
    texts: Sequence[tuple[str, bytes]],
    audio: Sequence[AudioFile],
    progress: Callable[[float], None],
    cancelled: Callable[[], bool],
) -> None:
    """The ``.qdpx`` via a temporary name beside ``out``: whole or not at all, owner-only,
    flushed to disk before the rename."""
    steps, done = 1 + len(texts) + 2 * len(audio), 0

    def step(count: int = 1) -> None:
        nonlocal done
        if cancelled():
            raise RelationsError("The export was cancelled; nothing was written.")
        done += count
        progress(done / steps)

    tmp = out.with_name(f".{out.name}.partial")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags | getattr(os, "O_BINARY", 0), PRIVATE_FILE_MODE)
    except OSError as exc:
        raise InvalidInput(
            f"Cannot write {out}: {exc.strerror or exc}. Nothing was written."
        ) from exc
    try:
        with os.fdopen(fd, "w+b") as handle:
            with zipfile.ZipFile(handle, "w") as archive:
                archive.writestr(_member("project.qde"), project_xml(project))
                step()
                for name, data in texts:
                    archive.writestr(_member(name), data)
                    step()
                for item in audio:
                    _write_flac(archive, item, step)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(out)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError | soundfile.SoundFileError):
            reason = getattr(exc, "strerror", None) or exc
            raise RelationsError(f"Cannot write {out}: {reason}. Nothing was written.") from exc
        raise
    with contextlib.suppress(OSError):
        sync_dir(out.parent)


def _member(name: str, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, datetime.now(UTC).timetuple()[:6])
    info.compress_type = compress
    info.external_attr = (0o100000 | PRIVATE_FILE_MODE) << 16
    return info


def _write_flac(archive: zipfile.ZipFile, item: AudioFile, step: Callable[[int], None]) -> None:
    """Encode the recording twice, block by block: first to learn the header libFLAC
    fills in at the end (it seeks back; a ZIP member cannot), then into the ZIP with that
    header in place. Only the header is ever held in memory."""
    probe = _Flac()
    _encode(probe, item.rate, item.blocks(), step)
    info = _member(item.member, zipfile.ZIP_STORED)  # FLAC does not compress further
    info.file_size = probe.length  # lets zipfile choose ZIP64 for a long recording
    with archive.open(info, "w") as member:
        final = _Flac(member, bytes(probe.head))
        _encode(final, item.rate, item.blocks(), step)
    if (final.length, final.tail.digest()) != (probe.length, probe.tail.digest()):
        raise RelationsError(
            "A recording changed while it was being exported; nothing was written. Export again."
        )


def _encode(sink: _Flac, rate: int, blocks: Iterable[Any], step: Callable[[int], None]) -> None:
    with soundfile.SoundFile(
        sink, mode="w", samplerate=rate, channels=1, format="FLAC", subtype="PCM_16"
    ) as flac:
        for block in blocks:
            step(0)  # a cancel is seen between blocks
            flac.write(block)
    step(1)


class _Flac:
    """What soundfile writes a FLAC stream to: seekable as far as libFLAC needs.

    Without a target it only keeps the first :data:`HEAD_BYTES` (with libFLAC's
    rewrites) and hashes the rest. With a target, bytes go straight through, the
    stream's start replaced by the ``head`` learnt before, and rewrites dropped.
    """

    def __init__(self, target: IO[bytes] | None = None, head: bytes = b"") -> None:
        self.target, self.final_head = target, head
        self.head = bytearray()
        self.pos = self.length = 0
        self.tail = hashlib.sha256()

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        end = self.pos + len(chunk)
        if self.pos < self.length:  # libFLAC filling in its header
            if end > min(self.length, HEAD_BYTES):
                raise OSError("unexpected rewrite of audio data")
            if self.target is None:
                self.head[self.pos : end] = chunk
        else:
            if self.target is None:
                self.head += chunk[: max(0, HEAD_BYTES - self.pos)]
            else:
                known = self.final_head[self.pos : end]
                self.target.write(known + chunk[len(known) :])
            self.tail.update(chunk[max(0, HEAD_BYTES - self.pos) :])
            self.length = end
        self.pos = end
        return len(chunk)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.pos, os.SEEK_END: self.length}[whence]
        if not 0 <= base + offset <= self.length:
            raise OSError("seek outside the audio written so far")
        self.pos = base + offset
        return self.pos

    def tell(self) -> int:
        return self.pos
