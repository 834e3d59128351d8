"""The chunk codec: ~1 s of mono 16-bit PCM as a self-contained FLAC stream.

Each chunk is a complete FLAC file (a few dozen bytes of header), so any chunk can be
decoded alone: a crash, a seek or a partial bundle never needs its neighbours.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import soundfile

Samples = npt.NDArray[np.int16]


def encode_flac(samples: Samples, sample_rate: int) -> bytes:
    """Encode mono int16 samples losslessly (FLAC, highest compression)."""
    buffer = io.BytesIO()
    with soundfile.SoundFile(
        buffer,
        mode="w",
        samplerate=sample_rate,
        channels=1,
        format="FLAC",
        subtype="PCM_16",
        compression_level=1.0,
    ) as out:
        out.write(np.ascontiguousarray(samples, dtype=np.int16))
    return buffer.getvalue()


def decode_flac(data: bytes) -> tuple[Samples, int]:
    """Decode one chunk back to mono int16 samples and its sample rate."""
    with soundfile.SoundFile(io.BytesIO(data), mode="r") as source:
        samples = source.read(dtype="int16", always_2d=True)
        rate = int(source.samplerate)
    mono: Samples = (
        samples[:, 0].copy() if samples.shape[1] == 1 else samples.mean(axis=1).astype(np.int16)
    )
    return mono, rate


def to_float(samples: Samples) -> npt.NDArray[np.float32]:
    return (samples.astype(np.float32) / 32768.0).astype(np.float32)
