"""Audio files outside the store: decoding imports (PyAV) and writing exports (soundfile).

Imports are streamed: a multi-hour file is decoded, resampled to mono 16-bit at its own
rate, and handed on a second at a time, in constant memory. Exports are written to a
sibling ``.part`` file and renamed when complete, so a half-written file never looks
finished.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile

from relations_desktop.core.audio.codec import Samples
from relations_desktop.core.errors import Cancelled, InvalidInput, RelationsError

EXPORT_FORMATS = {"flac": ("FLAC", "PCM_16"), "wav": ("WAV", "PCM_16")}
# A file that decodes to less than its header declares was cut short (an interrupted
# copy): refused, so that a partial import never passes for the whole interview. The
# margin allows for durations that are estimates (an MP3 without a Xing header).
SHORT_TOLERANCE_SECONDS = 0.5
SHORT_TOLERANCE_FRACTION = 0.02
INCOMPLETE = (
    "{name} is incomplete: it holds {got:.1f} s of the {declared:.1f} s its header "
    "declares (an interrupted copy?). Copy it again from the recorder. Nothing was stored."
)


@dataclass(frozen=True)
class AudioFileInfo:
    sample_rate: int
    duration_seconds: float | None
    codec: str


MAX_SAMPLE_RATE = 384_000  # the highest rate audio interfaces record at; FLAC's limit is 655,350


def probe(path: Path) -> AudioFileInfo:
    """What an import would read; a clear InvalidInput for anything that is not audio."""
    try:
        _check_wav_complete(path)
        with av.open(str(path)) as container:
            stream = _audio_stream(container, path)
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration:
                duration = container.duration / 1_000_000
            rate = int(stream.codec_context.sample_rate or stream.rate or 0)
            if rate <= 0:
                raise InvalidInput(f"{path.name} has no sample rate; it cannot be imported.")
            if rate > MAX_SAMPLE_RATE:
                raise InvalidInput(
                    f"{path.name} claims {rate} samples a second, more than any recorder "
                    "makes; it is damaged or not audio. Nothing was stored."
                )
            return AudioFileInfo(rate, duration, str(stream.codec_context.name))
    except FileNotFoundError as exc:
        raise InvalidInput(f"{path} does not exist.") from exc
    except IsADirectoryError as exc:
        raise InvalidInput(f"{path} is a folder, not an audio file.") from exc
    except PermissionError as exc:
        raise InvalidInput(f"{path} cannot be read (permission denied).") from exc
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"{path.name} is not an audio file this app can read (or it is damaged)."
        ) from exc


def decode(
    path: Path, sample_rate: int, block_frames: int, cancelled: Callable[[], bool] = lambda: False
) -> Iterator[Samples]:
    """Mono int16 blocks of ``block_frames`` (the last may be shorter)."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
    pending: list[Samples] = []
    pending_frames = 0
    declared: float | None = None
    decoded = 0
    try:
        with av.open(str(path)) as container:
            stream = _audio_stream(container, path)
            if stream.duration is not None and stream.time_base is not None:
                declared = float(stream.duration * stream.time_base)
            for frame in container.decode(stream):
                if cancelled():
                    raise Cancelled("The import was cancelled; nothing was stored.")
                for out in resampler.resample(frame):
                    block = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
                    pending.append(block)
                    pending_frames += len(block)
                    decoded += len(block)
                while pending_frames >= block_frames:
                    joined = np.concatenate(pending)
                    yield joined[:block_frames]
                    rest = joined[block_frames:]
                    pending, pending_frames = ([rest] if len(rest) else []), len(rest)
            for out in resampler.resample(None):
                block = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
                pending.append(block)
                pending_frames += len(block)
                decoded += len(block)
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"{path.name} could not be decoded to the end: it is damaged or not audio. "
            "Nothing was stored."
        ) from exc
    got = decoded / sample_rate
    if declared is not None and declared - got > max(
        SHORT_TOLERANCE_SECONDS, SHORT_TOLERANCE_FRACTION * declared
    ):
        raise InvalidInput(INCOMPLETE.format(name=path.name, got=got, declared=declared))
    if pending_frames:
        joined = np.concatenate(pending)
        for start in range(0, len(joined), block_frames):
            yield joined[start : start + block_frames]


def write(path: Path, sample_rate: int, blocks: Iterable[Samples], fmt: str | None = None) -> int:
    """Write mono 16-bit audio to ``path`` (FLAC or WAV); returns the frames written."""
    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind not in EXPORT_FORMATS:
        raise InvalidInput("Export as .flac or .wav.")
    container, subtype = EXPORT_FORMATS[kind]
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a file name.")
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist; nothing was written.")
    partial = path.with_name(path.name + ".part")
    frames = 0
    try:
        with soundfile.SoundFile(
            partial, mode="w", samplerate=sample_rate, channels=1, format=container, subtype=subtype
        ) as out:
            for block in blocks:
                out.write(block)
                frames += len(block)
        partial.replace(path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        if isinstance(exc, soundfile.SoundFileError):  # libsndfile's own I/O errors
            raise RelationsError(f"Cannot write {path}: {exc}") from exc
        raise
    return frames


def _check_wav_complete(path: Path) -> None:
    """A WAV whose data chunk claims more bytes than the file holds was cut short.

    FFmpeg silently reads such a file to where it ends, so the header is read here. A
    size of 0 or 0xFFFFFFFF means "unknown" (a recorder that never finished the header).
    """
    with path.open("rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:] != b"WAVE":
            return
        size = path.stat().st_size
        position = 12
        while position + 8 <= size:
            handle.seek(position)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                available = size - position - 8
                if chunk_size not in (0, 0xFFFFFFFF) and chunk_size > available:
                    raise InvalidInput(
                        f"{path.name} is incomplete: its header declares "
                        f"{chunk_size:,} bytes of audio but only {available:,} are there "
                        "(an interrupted copy?). Copy it again from the recorder. "
                        "Nothing was stored."
                    )
                return
            position += 8 + chunk_size + (chunk_size & 1)


def _audio_stream(container: av.container.InputContainer, path: Path) -> av.AudioStream:
    streams = container.streams.audio
    if not streams:
        raise InvalidInput(
            f"{path.name} is not an audio file (it has no audio in it); nothing was stored."
        )
    stream = streams[0]
    if stream.codec_context is None:  # a format tag no decoder knows
        raise InvalidInput(
            f"{path.name} holds audio in a format this app cannot decode; nothing was stored."
        )
    return stream
