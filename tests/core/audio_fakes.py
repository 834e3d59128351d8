"""Test doubles for audio: a backend whose input the test drives, sinks, a clock, signals.

:class:`FakeBackend` implements the ``AudioBackend`` protocol. Nothing runs on its own:
the test calls :meth:`FakeInputStream.feed` and the recorder's callback runs right there,
block by block, as PortAudio would call it from its own thread. :meth:`FakeInputStream.finish`
is PortAudio ending the stream by itself (the microphone was unplugged).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from relations_desktop.core.audio.devices import AudioUnavailable, DeviceInfo
from relations_desktop.core.audio.recorder import DiskFull

Int16 = npt.NDArray[np.int16]


# ------------------------------------------------------------------- signals
def sine(seconds: float, rate: int, freq: float = 440.0, amplitude: int = 16384) -> Int16:
    t = np.arange(round(seconds * rate)) / rate
    return np.round(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def silence(seconds: float, rate: int) -> Int16:
    return np.zeros(round(seconds * rate), dtype=np.int16)


def speech_like(seconds: float, rate: int, seed: int = 0) -> Int16:
    """Deterministic speech-ish audio: voiced syllables, fricatives, pauses, room noise.

    Never digital silence (the room noise is always there), so any 64-byte window of it
    is distinctive, as real audio is.
    """
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    out = rng.normal(0.0, 40.0, n)  # room noise, about -58 dBFS
    pos = 0
    while pos < n:
        kind = rng.random()
        length = int(rate * rng.uniform(0.08, 0.3))
        end = min(n, pos + length)
        t = np.arange(end - pos) / rate
        envelope = np.sin(np.pi * np.linspace(0.0, 1.0, end - pos)) ** 2
        if kind < 0.6:  # a voiced syllable: a gliding pitch and its harmonics
            f0 = rng.uniform(110, 230) * (1 + 0.1 * t)
            phase = 2 * np.pi * np.cumsum(f0) / rate
            voiced = sum(np.sin(k * phase) / k for k in range(1, 6))
            out[pos:end] += rng.uniform(2000, 9000) * envelope * voiced
        elif kind < 0.8:  # a fricative: a burst of noise
            out[pos:end] += rng.uniform(500, 2500) * envelope * rng.normal(0, 1, end - pos)
        # else: a pause (room noise only)
        pos = end
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def dbfs(samples: Int16) -> float:
    """The recorder's level: RMS relative to full scale (a full-scale sine is -3 dBFS)."""
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return 20 * np.log10(max(rms, 1e-3) / 32768.0)


# --------------------------------------------------------------------- clock
class FakeClock:
    """A monotonic clock that moves only when told to (thread-safe)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


# ------------------------------------------------------------------- backend
@dataclass
class FakeFlags:
    """Like ``sounddevice.CallbackFlags``: falsy when no flag is set."""

    input_overflow: bool = False
    input_underflow: bool = False

    def __bool__(self) -> bool:
        return self.input_overflow or self.input_underflow


class FakeInputStream:
    def __init__(
        self,
        backend: FakeBackend,
        device: str | int | None,
        rate: int,
        blocksize: int,
        callback: Callable[[Any, int, Any, Any], None],
        finished: Callable[[], None],
    ) -> None:
        self.backend = backend
        self.device = device
        self.rate = rate
        self.blocksize = blocksize
        self._callback = callback
        self._finished = finished
        self._active = False
        self.started = False
        self.closed = False
        self.finished_calls = 0
        self.blocks_delivered = 0
        # Held while the callback runs: like PortAudio, stop() waits for a running callback.
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self._active

    def start(self) -> None:
        if self.backend.fail_start:
            raise AudioUnavailable("The fake microphone refused to start.")
        self.started = True
        self._active = True

    def stop(self) -> None:
        # PortAudio calls the finished callback once the stream is inactive, also
        # after a stop() asked for by the application.
        self._end()

    def close(self) -> None:
        self._end()
        self.closed = True

    def finish(self) -> None:
        """PortAudio ended the stream by itself: the device went away."""
        self._end()

    def _end(self) -> None:
        with self._lock:
            was_active, self._active = self._active, False
        if was_active:  # outside the lock, as PortAudio calls it after the last callback
            self.finished_calls += 1
            self._finished()

    def feed(self, samples: Int16, *, overflow: bool = False, realtime: float | None = None) -> int:
        """Deliver ``samples`` in blocks of ``blocksize``; returns the frames delivered.

        ``overflow`` flags the first block with ``input_overflow`` (PortAudio lost
        input before it). ``realtime`` paces the blocks at that many times real time.
        A stopped stream delivers nothing, as a real one would.
        """
        delivered = 0
        samples = np.asarray(samples, dtype=np.int16).reshape(-1)
        for start in range(0, len(samples), self.blocksize):
            block = samples[start : start + self.blocksize]
            flags = FakeFlags(input_overflow=overflow and start == 0)
            with self._lock:
                if not self._active:
                    break
                if self.backend.clock is not None:  # the block is complete when it arrives
                    self.backend.clock.advance(len(block) / self.rate)
                self._callback(block.reshape(-1, 1).copy(), len(block), None, flags)
                self.blocks_delivered += 1
            delivered += len(block)
            if realtime:
                time.sleep(len(block) / self.rate / realtime)
        return delivered


class FakeOutputStream:
    def __init__(self, callback: Callable[[Any, int, Any, Any], None], blocksize: int) -> None:
        self._callback = callback
        self.blocksize = blocksize
        self._active = False
        self.closed = False

    @property
    def active(self) -> bool:
        return self._active

    def start(self) -> None:
        self._active = True

    def stop(self) -> None:
        self._active = False

    def close(self) -> None:
        self._active = False
        self.closed = True

    def pull(self) -> npt.NDArray[np.float32]:
        out = np.zeros((self.blocksize, 1), dtype=np.float32)
        self._callback(out, self.blocksize, None, FakeFlags())
        return out


@dataclass
class FakeBackend:
    """An ``AudioBackend`` with one configurable input device."""

    rate: int = 48000
    name: str = "Fake USB Microphone"
    available: bool = True
    fail_open: bool = False
    fail_start: bool = False
    clock: FakeClock | None = None  # advanced by each block's duration as it is fed
    streams: list[FakeInputStream] = field(default_factory=list)

    def input_devices(self) -> list[DeviceInfo]:
        if not self.available:
            return []
        return [DeviceInfo(0, self.name, 1, self.rate, True)]

    def input_rate(self, device: str | int | None) -> tuple[int, str]:
        if not self.available:
            raise AudioUnavailable(
                "No microphone was found. Plug one in (or check it is enabled) and try again."
            )
        if device not in (None, 0, self.name):
            raise AudioUnavailable(f"No input device called {device!r}.")
        return self.rate, self.name

    def open_input(
        self,
        device: str | int | None,
        rate: int,
        blocksize: int,
        callback: Callable[[Any, int, Any, Any], None],
        finished: Callable[[], None],
    ) -> FakeInputStream:
        if not self.available or self.fail_open:
            raise AudioUnavailable("The microphone could not be opened: fake failure.")
        stream = FakeInputStream(self, device, rate, blocksize, callback, finished)
        self.streams.append(stream)
        return stream

    def open_output(
        self,
        device: str | int | None,
        rate: int,
        blocksize: int,
        callback: Callable[[Any, int, Any, Any], None],
        finished: Callable[[], None],
    ) -> FakeOutputStream:
        return FakeOutputStream(callback, blocksize)

    @property
    def stream(self) -> FakeInputStream:
        """The input stream opened last."""
        return self.streams[-1]


# --------------------------------------------------------------------- sinks
@dataclass
class Chunk:
    seq: int
    start_frame: int
    frames: int
    data: bytes


class MemorySink:
    """Keeps chunks in a list; can be held (blocked), and made to fail as a full disk."""

    def __init__(self, *, disk_full_at: int | None = None) -> None:
        self.chunks: list[Chunk] = []
        self.finish_calls: list[tuple[int, int, str]] = []
        self.disk_full_at = disk_full_at
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()  # set while a write is held at the gate
        self._changed = threading.Condition()

    def hold(self) -> None:
        """Make the next writes block until :meth:`release`."""
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def write_chunk(self, seq: int, start_frame: int, frames: int, data: bytes) -> None:
        if not self.gate.is_set():
            self.waiting.set()
            self.gate.wait()
            self.waiting.clear()
        if self.disk_full_at is not None and seq >= self.disk_full_at:
            raise DiskFull("database or disk is full")
        with self._changed:
            self.chunks.append(Chunk(seq, start_frame, frames, data))
            self._changed.notify_all()

    def finish(self, frames: int, overflows: int, stop_reason: str) -> None:
        with self._changed:
            self.finish_calls.append((frames, overflows, stop_reason))
            self._changed.notify_all()

    @property
    def finished(self) -> tuple[int, int, str] | None:
        return self.finish_calls[-1] if self.finish_calls else None

    def wait_for_chunks(self, count: int, timeout: float = 5.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.chunks) >= count, timeout)
