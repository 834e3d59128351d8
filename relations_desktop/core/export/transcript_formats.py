"""Exports of a transcript: TXT, DOCX, SRT, VTT and JSON.

The module renders what it is given and adds no name. :func:`pseudonymised` makes the
record that may leave the store (``TranscriptService.export`` calls it after its review
gate): the register applied to every text that goes into a file, and an edited
segment's machine text and words left out (they are what the model heard, not the text
the researcher reviewed, and may hold a name taken out by hand).

Text is kept as it was typed (dialect, punctuation, curly quotes, emoji); only what
would break a format is changed:

- every format: lone surrogates become U+FFFD (they cannot be written as UTF-8);
- TXT, DOCX, SRT, VTT: control characters are dropped, Unicode line separators become
  line breaks, and blank lines inside a segment are dropped (a blank line would end an
  SRT/VTT cue or look like a new paragraph); a segment with no text left is skipped;
- SRT (which has no escaping): a segment's lines are joined into one, so nothing in it
  can read as a cue number or timing line;
- VTT: ``&``, ``<`` and ``>`` are escaped, which also escapes any ``-->``.

One paragraph (or cue) per segment, in the order given. JSON is the full record (with
words) and keeps the text exactly; ``options.speakers=False`` drops speakers from it too.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.fsutil import PRIVATE_FILE_MODE, sync_dir
from relations_desktop.core.records import (
    JottingRecord,
    SegmentRecord,
    TranscriptRecord,
    WordRecord,
)

if TYPE_CHECKING:
    from relations_desktop.core.pseudonyms import Replacer

FORMATS = ("txt", "docx", "srt", "vtt", "json")

JOTTING_MARK = "(jotting)"
JOTTING_CUE_SECONDS = 4.0  # how long a jotting shows as an SRT/VTT cue
DEFAULT_TITLE = "Transcript"
MAX_SECONDS = 10_000_000.0  # beyond any recording; absurd or infinite times are clamped

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")  # tab (\x09) is kept
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ExportOptions:
    times: bool = True  # TXT/DOCX: "[00:01:23]" before each paragraph
    speakers: bool = True  # speaker labels (TXT, DOCX, SRT, VTT; JSON drops them when off)
    jottings: bool = False  # the researcher's jottings at their times, marked "(jotting)"
    title: str = ""  # DOCX heading and document title, TXT first line, JSON "title"


def suffix(fmt: str) -> str:
    """The file suffix for ``fmt``: ".txt", ".docx", …"""
    return "." + _format(fmt)


def render(
    transcript: TranscriptRecord, fmt: str, options: ExportOptions = ExportOptions()
) -> bytes:
    """The transcript in format ``fmt`` (one of :data:`FORMATS`) as bytes."""
    return _RENDERERS[_format(fmt)](transcript, options)


def write(
    transcript: TranscriptRecord,
    fmt: str,
    path: Path,
    options: ExportOptions = ExportOptions(),
) -> None:
    """Write the export to ``path``: whole or not at all, readable by its owner only.

    The bytes go to ``path`` + ".part", are flushed to disk, then renamed over ``path``;
    on any failure the ".part" file is removed.
    """
    data = render(transcript, fmt, options)
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a file name. Nothing was written.")
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist; nothing was written.")
    partial = path.with_name(path.name + ".part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    opened = False
    try:
        fd = os.open(partial, flags, PRIVATE_FILE_MODE)
        opened = True
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        partial.replace(path)
    except BaseException as exc:
        if opened:
            with contextlib.suppress(OSError):
                partial.unlink()
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise RelationsError(
                f"Cannot write the export to {path}: {reason}. Nothing was written."
            ) from exc
        raise
    with contextlib.suppress(OSError):
        sync_dir(path.parent)


# ------------------------------------------------------------------ pseudonymising


def pseudonymised(transcript: TranscriptRecord, replacer: Replacer) -> TranscriptRecord:
    """``transcript`` as it may leave the store: the register applied to segment texts,
    words, speaker and participant labels and jottings.

    An edited segment keeps no machine text and no words. An unedited segment keeps its
    words while they spell its text; a replacement that spans several words becomes one
    word, from the first one's start to the last one's end.
    """
    apply = replacer.apply

    def segment(seg: SegmentRecord) -> SegmentRecord:
        text = apply(seg.text)
        label = None if seg.speaker_label is None else apply(seg.speaker_label)
        if seg.edited:
            return replace(seg, text=text, speaker_label=label, machine_text="", words=[])
        spelled = " ".join("".join(w.word for w in seg.words).split())
        words = _words(seg.words, replacer) if spelled == " ".join(seg.text.split()) else []
        return replace(seg, text=text, speaker_label=label, machine_text=text, words=words)

    return replace(
        transcript,
        segments=[segment(s) for s in transcript.segments],
        speakers=[
            replace(
                s,
                label=apply(s.label),
                participant_label=None
                if s.participant_label is None
                else apply(s.participant_label),
            )
            for s in transcript.speakers
        ],
        jottings=[replace(j, text=apply(j.text)) for j in transcript.jottings],
    )


def _words(words: list[WordRecord], replacer: Replacer) -> list[WordRecord]:
    """The words with the register applied to the text they spell together."""
    joined = "".join(w.word for w in words)
    found = replacer.find(joined)
    if not found:
        return list(words)
    bounds, at = [], 0
    for word in words:
        bounds.append((at, at + len(word.word)))
        at += len(word.word)
    groups: list[list[int]] = []  # [first word, last word, first replacement, last one]
    for index, hit in enumerate(found):
        first = next(i for i, (_, end) in enumerate(bounds) if end > hit.start)
        last = max(i for i, (start, _) in enumerate(bounds) if start < hit.end)
        if groups and first <= groups[-1][1]:
            groups[-1][1], groups[-1][3] = max(last, groups[-1][1]), index
        else:
            groups.append([first, last, index, index])
    result: list[WordRecord] = []
    done = 0
    for first, last, low, high in groups:
        result.extend(words[done:first])
        pieces, cursor = [], bounds[first][0]
        for hit in found[low : high + 1]:
            pieces += [joined[cursor : hit.start], hit.text]
            cursor = hit.end
        pieces.append(joined[cursor : bounds[last][1]])
        span = words[first : last + 1]
        result.append(
            WordRecord(
                "".join(pieces),
                span[0].start,
                span[-1].end,
                min(w.probability for w in span),
            )
        )
        done = last + 1
    result.extend(words[done:])
    return result


# ------------------------------------------------------------------ shared helpers


def _format(fmt: str) -> str:
    name = fmt.strip().lower() if isinstance(fmt, str) else ""
    if name not in FORMATS:
        raise InvalidInput(f"Unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    return name


def _safe(text: str) -> str:
    """``text`` with lone surrogates replaced, so it can be encoded as UTF-8."""
    return _SURROGATES.sub("\ufffd", text)


def _lines(text: str) -> list[str]:
    """The non-blank lines of ``text``, stripped, without control characters."""
    stripped = (_CONTROLS.sub("", line).strip() for line in _safe(text).splitlines())
    return [line for line in stripped if line]


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", " ".join(_lines(text))).strip()


def _seconds(value: float) -> float:
    """A time fit to print: not negative, finite, not absurd."""
    if math.isnan(value) or value <= 0:
        return 0.0
    return min(float(value), MAX_SECONDS)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class _Entry:
    """One paragraph or cue: a segment or a jotting, ready to print."""

    start_ms: int
    end_ms: int
    speaker: str  # "" when none (or not shown)
    lines: list[str]
    jotting: bool


def _entries(transcript: TranscriptRecord, options: ExportOptions) -> list[_Entry]:
    """Segments in their order, with jottings (if asked) merged in by time."""
    labels = {s.id: s.label for s in transcript.speakers}
    jottings = sorted(transcript.jottings, key=lambda j: _seconds(j.offset_seconds))
    if not options.jottings:
        jottings = []
    entries: list[_Entry] = []
    pending = iter(jottings)
    waiting = next(pending, None)
    for segment in transcript.segments:
        start = _seconds(segment.start)
        while waiting is not None and _seconds(waiting.offset_seconds) < start:
            entries.extend(_jotting_entry(waiting))
            waiting = next(pending, None)
        entries.extend(_segment_entry(segment, labels, options))
    while waiting is not None:
        entries.extend(_jotting_entry(waiting))
        waiting = next(pending, None)
    return entries


def _segment_entry(
    segment: SegmentRecord, labels: dict[str, str], options: ExportOptions
) -> Iterator[_Entry]:
    lines = _lines(segment.text)
    if not lines:
        return
    speaker = ""
    if options.speakers:
        label = segment.speaker_label
        if label is None and segment.speaker_id is not None:
            label = labels.get(segment.speaker_id)
        speaker = _one_line(label or "")
    start_ms = round(_seconds(segment.start) * 1000)
    end_ms = max(round(_seconds(segment.end) * 1000), start_ms + 1)
    yield _Entry(start_ms, end_ms, speaker, lines, jotting=False)


def _jotting_entry(jotting: JottingRecord) -> Iterator[_Entry]:
    lines = _lines(jotting.text)
    if not lines:
        return
    start_ms = round(_seconds(jotting.offset_seconds) * 1000)
    yield _Entry(start_ms, start_ms + round(JOTTING_CUE_SECONDS * 1000), "", lines, jotting=True)


def _clock(ms: int) -> str:
    """HH:MM:SS (the second the entry starts in)."""
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _cue_time(ms: int, separator: str) -> str:
    """HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (VTT)."""
    return f"{_clock(ms)}{separator}{ms % 1000:03d}"


# ------------------------------------------------------------------------ formats


def _render_txt(transcript: TranscriptRecord, options: ExportOptions) -> bytes:
    paragraphs: list[str] = []
    title = _one_line(options.title)
    if title:
        paragraphs.append(title)
    for entry in _entries(transcript, options):
        prefix = []
        if options.times:
            prefix.append(f"[{_clock(entry.start_ms)}]")
        if entry.jotting:
            prefix.append(JOTTING_MARK)
        elif entry.speaker:
            prefix.append(f"{entry.speaker}:")
        first = " ".join([*prefix, entry.lines[0]])
        paragraphs.append("\n".join([first, *entry.lines[1:]]))
    return "".join(p + "\n\n" for p in paragraphs).removesuffix("\n").encode("utf-8")


def _render_srt(transcript: TranscriptRecord, options: ExportOptions) -> bytes:
    cues: list[str] = []
    for number, entry in enumerate(_entries(transcript, options), start=1):
        text = " ".join(entry.lines)
        if entry.jotting:
            text = f"{JOTTING_MARK} {text}"
        elif entry.speaker:
            text = f"{entry.speaker}: {text}"
        timing = f"{_cue_time(entry.start_ms, ',')} --> {_cue_time(entry.end_ms, ',')}"
        cues.append(f"{number}\n{timing}\n{text}\n\n")
    return "".join(cues).encode("utf-8")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _render_vtt(transcript: TranscriptRecord, options: ExportOptions) -> bytes:
    parts = ["WEBVTT\n\n"]
    for entry in _entries(transcript, options):
        lines = [_vtt_escape(line) for line in entry.lines]
        if entry.jotting:
            lines[0] = f"<c.jotting>{JOTTING_MARK} {lines[0]}"
            lines[-1] += "</c>"
        elif entry.speaker:
            lines[0] = f"<v {_vtt_escape(entry.speaker)}>{lines[0]}"
        timing = f"{_cue_time(entry.start_ms, '.')} --> {_cue_time(entry.end_ms, '.')}"
        parts.append(timing + "\n" + "\n".join(lines) + "\n\n")
    return "".join(parts).encode("utf-8")


def _render_docx(transcript: TranscriptRecord, options: ExportOptions) -> bytes:
    import docx  # python-docx; imported here so the other formats do not need it
    from docx.shared import Pt, RGBColor

    document = docx.Document()
    title = _one_line(options.title) or DEFAULT_TITLE
    properties = document.core_properties
    properties.title = title
    properties.author = ""  # the template says "python-docx"; add no one's name
    properties.last_modified_by = ""
    properties.comments = ""
    properties.language = _one_line(transcript.language)
    now = datetime.now(UTC).replace(microsecond=0)
    properties.created = now
    properties.modified = now
    document.add_heading(title, level=1)
    for entry in _entries(transcript, options):
        paragraph = document.add_paragraph()
        if entry.jotting:
            paragraph.add_run(JOTTING_MARK).italic = True
            paragraph.add_run(" ")
        elif entry.speaker:
            paragraph.add_run(f"{entry.speaker}:").bold = True
            paragraph.add_run(" ")
        if options.times:
            time_run = paragraph.add_run(f"[{_clock(entry.start_ms)}]")
            time_run.font.size = Pt(9)
            time_run.font.color.rgb = RGBColor(0x75, 0x75, 0x75)
            paragraph.add_run(" ")
        text_run = paragraph.add_run("\n".join(entry.lines))  # "\n" → a line break
        if entry.jotting:
            text_run.italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _render_json(transcript: TranscriptRecord, options: ExportOptions) -> bytes:
    speakers = options.speakers
    data: dict[str, Any] = {
        "transcript_id": transcript.id,
        "recording_id": transcript.recording_id,
        "encounter_id": transcript.encounter_id,
        "title": options.title,
        "model": transcript.model_name,
        "language": transcript.language,
        "mode": transcript.mode,
        "created_at": transcript.created_at.isoformat(),
        "updated_at": transcript.updated_at.isoformat(),
        "duration_seconds": _finite(transcript.duration_seconds),
        "speakers": [
            {
                "id": s.id,
                "label": s.label,
                "participant_id": s.participant_id,
                "participant_label": s.participant_label,
            }
            for s in transcript.speakers
        ]
        if speakers
        else [],
        "segments": [
            {
                "id": seg.id,
                "position": seg.position,
                "start": _finite(seg.start),
                "end": _finite(seg.end),
                "speaker_id": seg.speaker_id if speakers else None,
                "speaker": seg.speaker_label if speakers else None,
                "text": seg.text,
                "machine_text": seg.machine_text,
                "edited": seg.edited,
                "words": [
                    {
                        "word": w.word,
                        "start": _finite(w.start),
                        "end": _finite(w.end),
                        "probability": _finite(w.probability),
                    }
                    for w in seg.words
                ],
            }
            for seg in transcript.segments
        ],
    }
    if options.jottings:
        data["jottings"] = [
            {"id": j.id, "offset_seconds": _finite(j.offset_seconds), "text": j.text}
            for j in transcript.jottings
        ]
    text = json.dumps(_safe_strings(data), ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _safe_strings(value: Any) -> Any:
    if isinstance(value, str):
        return _safe(value)
    if isinstance(value, dict):
        return {key: _safe_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_safe_strings(item) for item in value]
    return value


_RENDERERS: dict[str, Callable[[TranscriptRecord, ExportOptions], bytes]] = {
    "txt": _render_txt,
    "docx": _render_docx,
    "srt": _render_srt,
    "vtt": _render_vtt,
    "json": _render_json,
}
