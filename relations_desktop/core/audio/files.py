"""Audio files outside the store: decoding imports (PyAV) and writing exports (soundfile).

Imports are streamed: a multi-hour file is decoded, resampled to mono 16-bit at its own
rate, and handed on a second at a time, in constant memory. Exports are written to a
sibling ``.part`` file and renamed when complete, so a half-written file never looks
finished.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile

from relations_desktop.core.audio.codec import Samples
from relations_desktop.core.errors import InvalidInput

EXPORT_FORMATS = {"flac": ("FLAC", "PCM_16"), "wav": ("WAV", "PCM_16")}


@dataclass(frozen=True)
class AudioFileInfo:
    sample_rate: int
    duration_seconds: float | None
    codec: str


def probe(path: Path) -> AudioFileInfo:
    """What an import would read; a clear InvalidInput for anything that is not audio."""
    try:
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
    try:
        with av.open(str(path)) as container:
            stream = _audio_stream(container, path)
            for frame in container.decode(stream):
                if cancelled():
                    raise InvalidInput("The import was cancelled; nothing was stored.")
                for out in resampler.resample(frame):
                    block = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
                    pending.append(block)
                    pending_frames += len(block)
                while pending_frames >= block_frames:
                    joined = np.concatenate(pending)
                    yield joined[:block_frames]
                    rest = joined[block_frames:]
                    pending, pending_frames = ([rest] if len(rest) else []), len(rest)
            for out in resampler.resample(None):
                block = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
                pending.append(block)
                pending_frames += len(block)
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"{path.name} could not be decoded to the end: it is damaged or not audio. "
            "Nothing was stored."
        ) from exc
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
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return frames


def _audio_stream(container: av.container.InputContainer, path: Path) -> av.AudioStream:
    streams = container.streams.audio
    if not streams:
        raise InvalidInput(
            f"{path.name} is not an audio file (it has no audio in it); nothing was stored."
        )
    return streams[0]
