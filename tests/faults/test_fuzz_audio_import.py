"""Property-based fuzzing of audio import (hypothesis): random, truncated and mutated WAV
and FLAC files are imported whole or refused cleanly, never a crash, never a half one.

Every example imports one file into the same store. A refusal must be a
:class:`RelationsError` with a one-line message and must leave the counts of recordings
and audio chunks as they were; an import must hold audio (and, when libsndfile reads the
file as plain mono 16-bit audio at 16 kHz, every one of its samples).

Two crashes were found this way (see the xfail tests at the end). While they still
reproduce, the fuzzers count those two exceptions as refusals, still checking that
nothing was stored, so that they go on looking for anything else; once fixed, the xfail
tests pass (strict: they then fail until their marks are removed) and the fuzzers treat
the two like any other crash again.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from relations_desktop.core.audio import chunks
from relations_desktop.core.errors import RelationsError
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import AudioChunk, Recording
from tests.conftest import PASSPHRASE
from tests.core.audio_fakes import speech_like

RATE = 16_000
EXAMPLES = 200  # per strategy: the file runs in about 10 s on 2 cores

pytestmark = pytest.mark.timeout(60)  # a bound on every test here


@dataclass(frozen=True)
class Target:
    service: StoreService
    encounter: str
    folder: Path


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("fuzz-audio")
    with StoreService.create(folder / "store", PASSPHRASE, researcher_name="Ann") as service:
        encounter = service.add_encounter("home-visit", "Kitchen table").id
        yield Target(service, encounter, folder)


def encoded(fmt: str, subtype: str, seconds: float = 0.4) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, speech_like(seconds, RATE, seed=4), RATE, format=fmt, subtype=subtype)
    return buffer.getvalue()


WAV = encoded("WAV", "PCM_16")
FLAC = encoded("FLAC", "PCM_16")
SEEDS = {"wav": WAV, "flac": FLAC}


def counts(service: StoreService) -> tuple[int, int]:
    with service._session() as session:
        recordings = session.scalar(select(func.count()).select_from(Recording))
        chunk_rows = session.scalar(select(func.count()).select_from(AudioChunk))
        return int(recordings or 0), int(chunk_rows or 0)


def plain_samples(data: bytes) -> np.ndarray | None:
    """What libsndfile reads, when it is plain mono 16-bit audio at RATE; else None."""
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="int16")
    except Exception:
        return None
    if rate != RATE or samples.ndim != 1 or not len(samples):
        return None
    return np.asarray(samples)


def wav(fmt_tag: int, channels: int, rate: int, bits: int, align: int, data_size: int) -> bytes:
    """The seed WAV's samples under a header saying whatever it is given."""
    body = WAV[44:]
    fmt = struct.pack(
        "<HHIIHH", fmt_tag, channels, rate, (rate * align) & 0xFFFFFFFF, align & 0xFFFF, bits
    )
    data = b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVEfmt " + struct.pack("<I", 16)
    return data + fmt + b"data" + struct.pack("<I", data_size) + body


# The two crashes found: a format tag no decoder knows, and a rate FLAC cannot hold.
UNKNOWN_ENCODING = wav(0, 1, RATE, 16, 2, len(WAV) - 44)
ABSURD_RATE = wav(1, 1, 2**31 - 1, 16, 2, len(WAV) - 44)


def known_crash(exc: Exception) -> str | None:
    if isinstance(exc, AttributeError) and "sample_rate" in str(exc):
        return "unknown-encoding"
    if type(exc).__name__ == "LibsndfileError" and "sample rate" in str(exc):
        return "flac-rate"
    return None


@pytest.fixture(scope="module")
def still_broken(target: Target) -> set[str]:
    """Which of the two found crashes still reproduce (tolerated by the fuzzers only then)."""
    broken = set()
    for data in (UNKNOWN_ENCODING, ABSURD_RATE):
        path = target.folder / "known.wav"
        path.write_bytes(data)
        try:
            target.service.recordings.import_file(target.encounter, path)
        except RelationsError:
            continue
        except Exception as exc:
            broken.add(known_crash(exc) or "?")
    return broken


def import_or_refuse(target: Target, data: bytes, suffix: str, tolerated: set[str]) -> None:
    path = target.folder / f"fuzzed.{suffix}"
    path.write_bytes(data)
    before = counts(target.service)
    try:
        record = target.service.recordings.import_file(target.encounter, path)
    except Exception as exc:
        if not isinstance(exc, RelationsError) and known_crash(exc) not in tolerated:
            raise
        message = exc.message if isinstance(exc, RelationsError) else str(exc)
        assert message.strip() and "\n" not in message, message
        assert counts(target.service) == before, "a refused import left something behind"
        return
    recordings, chunk_rows = counts(target.service)
    assert recordings == before[0] + 1
    stored = chunks.read_all(target.service._plain_session, record.id)
    assert len(stored) > 0 and chunk_rows > before[1]
    assert round(record.duration_seconds * record.sample_rate) == len(stored)
    expected = plain_samples(data)
    if expected is not None and record.sample_rate == RATE:
        # Whole: every sample the file holds (libsndfile's reading of it), none lost.
        assert len(stored) == len(expected), (len(stored), len(expected))


fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.timeout(60)
@fuzz
@given(kind=st.sampled_from(sorted(SEEDS)), cut=st.integers(0, len(WAV)))
def test_truncated_files(target: Target, still_broken: set[str], kind: str, cut: int) -> None:
    import_or_refuse(target, SEEDS[kind][:cut], kind, still_broken)


@pytest.mark.timeout(60)
@fuzz
@given(
    kind=st.sampled_from(sorted(SEEDS)),
    changes=st.lists(st.tuples(st.integers(0, len(WAV) - 1), st.integers(0, 255)), max_size=8),
    head=st.booleans(),
)
def test_mutated_files(
    target: Target, still_broken: set[str], kind: str, changes: list[tuple[int, int]], head: bool
) -> None:
    data = bytearray(SEEDS[kind])
    for position, value in changes:
        # Half the time the changes land in the first 64 bytes: the headers.
        data[(position % 64 if head else position) % len(data)] = value
    import_or_refuse(target, bytes(data), kind, still_broken)


@pytest.mark.timeout(60)
@fuzz
@given(
    channels=st.integers(0, 9),
    rate=st.sampled_from([0, 1, 8000, 16000, 44100, 48000, 2**31 - 1, 2**32 - 1]),
    bits=st.sampled_from([0, 1, 8, 16, 24, 32, 33, 64]),
    align=st.integers(0, 70_000),
    data_size=st.sampled_from([0, 1, 2, 100, len(WAV) - 44, 2**31, 2**32 - 1]),
    fmt_tag=st.sampled_from([0, 1, 2, 3, 6, 7, 0x11, 0xFFFE]),
)
def test_wav_headers(
    target: Target,
    still_broken: set[str],
    channels: int,
    rate: int,
    bits: int,
    align: int,
    data_size: int,
    fmt_tag: int,
) -> None:
    data = wav(fmt_tag, channels, rate, bits, align, data_size)
    import_or_refuse(target, data, "wav", still_broken)


@pytest.mark.timeout(60)
@fuzz
@given(
    prefix=st.sampled_from([b"", b"RIFF\x00\x00\x00\x00WAVE", b"fLaC", b"ID3\x03", b"OggS"]),
    noise=st.binary(max_size=2048),
)
def test_random_bytes(target: Target, still_broken: set[str], prefix: bytes, noise: bytes):
    suffix = "wav" if prefix.startswith(b"RIFF") else "flac"
    import_or_refuse(target, prefix + noise, suffix, still_broken)


# ------------------------------------------------------------- the crashes found
def refused_cleanly(target: Target, data: bytes) -> None:
    path = target.folder / "found.wav"
    path.write_bytes(data)
    before = counts(target.service)
    with pytest.raises(RelationsError):
        target.service.recordings.import_file(target.encounter, path)
    assert counts(target.service) == before


def test_a_wav_in_an_unknown_encoding_is_refused_cleanly(target: Target) -> None:
    refused_cleanly(target, UNKNOWN_ENCODING)


def test_a_wav_with_an_absurd_sample_rate_is_refused_cleanly(target: Target) -> None:
    refused_cleanly(target, ABSURD_RATE)
