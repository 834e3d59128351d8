"""Crash-safe capture: callback → bounded queue → writer thread → committed chunks.

The PortAudio callback only copies the block into a bounded queue and measures its
level; it never touches the database, never blocks and never allocates much. A writer
thread gathers blocks into ~1 s chunks, encodes each as FLAC and hands it to a
:class:`ChunkSink`, which commits it at once: a crash loses at most the chunk being
gathered. A full queue is counted as an overflow and reported, never silent.

The recorder stops itself, keeping everything already committed, when the device goes
away (no audio for a few seconds), when free disk space falls below a floor, or when
the disk is full.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from relations_desktop.core.audio.codec import Samples, encode_flac
from relations_desktop.core.audio.devices import AudioBackend, Stream

log = logging.getLogger(__name__)

LOW_DISK_WARNING_BYTES = 1_000_000_000
LOW_DISK_STOP_BYTES = 200_000_000
SILENCE_DBFS = -55.0  # quieter than this is "no signal"
CLIP_LEVEL = 32_000  # of 32_767
DEVICE_TIMEOUT_SECONDS = 3.0
# Worst-case loss at a kill is the chunk being gathered plus the blocks in
# flight (~50 ms), and that must stay under 1 s, so chunks are 0.9 s.
CHUNK_SECONDS = 0.9
_STOP = object()


class ChunkSink(Protocol):
    """Where chunks go; the database sink commits each one in its own transaction."""

    def write_chunk(self, seq: int, start_frame: int, frames: int, data: bytes) -> None: ...

    def finish(self, frames: int, overflows: int, stop_reason: str) -> None: ...


class DiskFull(Exception):
    """Raised by a sink when the disk refused a chunk."""


@dataclass(frozen=True)
class RecorderStatus:
    state: str  # "recording", "paused", "stopped"
    recorded_seconds: float
    peak: float  # 0..1, latest block
    level_dbfs: float  # RMS of the latest block
    clipping: bool  # a clipped sample in the last second
    silent_seconds: float  # how long the input has been below SILENCE_DBFS
    overflows: int
    dropped_seconds: float
    free_bytes: int
    low_disk: bool  # under LOW_DISK_WARNING_BYTES
    stop_reason: str
    chunks: int


@dataclass(frozen=True)
class RecordingSummary:
    frames: int
    seconds: float
    overflows: int
    dropped_seconds: float
    stop_reason: str
    chunks: int


class Recorder:
    """One capture from one input device into one sink."""

    def __init__(
        self,
        sink: ChunkSink,
        backend: AudioBackend,
        sample_rate: int,
        device: str | int | None = None,
        *,
        free_space: Callable[[], int] = lambda: 1 << 62,
        chunk_seconds: float = CHUNK_SECONDS,
        block_seconds: float = 0.05,
        queue_seconds: float = 20.0,
        low_disk_stop: int = LOW_DISK_STOP_BYTES,
        device_timeout: float = DEVICE_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink = sink
        self.backend = backend
        self.rate = sample_rate
        self.device = device
        self._free_space = free_space
        self._chunk_frames = max(1, round(sample_rate * chunk_seconds))
        self._block_frames = max(1, round(sample_rate * block_seconds))
        self._queue: queue.Queue[Any] = queue.Queue(
            maxsize=max(4, math.ceil(queue_seconds / block_seconds))
        )
        self._low_disk_stop = low_disk_stop
        self._device_timeout = device_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._stream: Stream | None = None
        self._writer: threading.Thread | None = None
        self._stopped = threading.Event()
        self._paused = False
        self._state = "new"
        # Written by the callback thread, read by others (plain ints/floats: atomic in CPython).
        self._accepted_frames = 0
        self._overflows = 0
        self._dropped_frames = 0
        self._peak = 0.0
        self._level_dbfs = -120.0
        self._last_clip = -1e9
        self._last_signal = 0.0
        self._last_block = 0.0
        # Owned by the writer thread.
        self._committed_frames = 0
        self._chunks = 0
        self._free_bytes = free_space()
        self._stop_reason = ""
        self._stop_request = ""

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        if self._state != "new":
            raise RuntimeError("a recorder starts once")
        now = self._clock()
        self._last_signal = self._last_block = now
        try:
            self._stream = self.backend.open_input(
                self.device, self.rate, self._block_frames, self._callback, self._on_finished
            )
        except BaseException:
            # No writer was started: stop here, so that nobody waits for one.
            self._stop_request = self._stop_reason = "device-error"
            self._state = "stopped"
            try:
                self.sink.finish(0, 0, self._stop_reason)
            except Exception:
                log.exception("Closing the recording failed")
            self._stopped.set()
            raise
        self._writer = threading.Thread(
            target=self._write_loop, name="recorder-writer", daemon=True
        )
        self._state = "recording"
        self._writer.start()
        try:
            self._stream.start()
        except Exception:
            self._request_stop("device-error")
            self._writer.join()
            raise

    def pause(self) -> None:
        if self._state == "recording":
            self._paused = True
            self._state = "paused"

    def resume(self) -> None:
        if self._state == "paused":
            self._last_block = self._clock()
            self._paused = False
            self._state = "recording"

    def stop(self, reason: str = "user", timeout: float | None = None) -> RecordingSummary:
        """Stop capturing, commit what is gathered, close the recording."""
        self._request_stop(reason)
        if self._writer is not None and threading.current_thread() is not self._writer:
            self._writer.join(timeout)
        return self.summary()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the recorder has stopped (by itself or by :meth:`stop`)."""
        return self._stopped.wait(timeout)

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    @property
    def position_seconds(self) -> float:
        """Audio taken so far (paused time excluded): where a jotting belongs."""
        return self._accepted_frames / self.rate

    def status(self) -> RecorderStatus:
        now = self._clock()
        return RecorderStatus(
            state="stopped" if self._stopped.is_set() else self._state,
            recorded_seconds=self._accepted_frames / self.rate,
            peak=self._peak,
            level_dbfs=self._level_dbfs,
            clipping=now - self._last_clip < 1.0,
            silent_seconds=0.0 if self._paused else max(0.0, now - self._last_signal),
            overflows=self._overflows,
            dropped_seconds=self._dropped_frames / self.rate,
            free_bytes=self._free_bytes,
            low_disk=self._free_bytes < LOW_DISK_WARNING_BYTES,
            stop_reason=self._stop_reason,
            chunks=self._chunks,
        )

    def summary(self) -> RecordingSummary:
        return RecordingSummary(
            frames=self._committed_frames,
            seconds=self._committed_frames / self.rate,
            overflows=self._overflows,
            dropped_seconds=self._dropped_frames / self.rate,
            stop_reason=self._stop_reason or self._stop_request,
            chunks=self._chunks,
        )

    # ---------------------------------------------------------- callback thread
    def _callback(self, indata: Any, frames: int, _time: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self._overflows += 1
        block = indata[:, 0]
        peak = int(np.max(np.abs(block.astype(np.int32)))) if frames else 0
        now = self._clock()
        self._last_block = now
        self._peak = peak / 32768.0
        if frames:
            rms = float(np.sqrt(np.mean(np.square(block.astype(np.float32)))))
            self._level_dbfs = 20 * math.log10(max(rms, 1e-3) / 32768.0)
            if self._level_dbfs > SILENCE_DBFS:
                self._last_signal = now
        if peak >= CLIP_LEVEL:
            self._last_clip = now
        if self._paused or self._stop_request:
            return
        try:
            self._queue.put_nowait(block.copy())
        except queue.Full:
            self._overflows += 1
            self._dropped_frames += frames
            return
        self._accepted_frames += frames

    def _on_finished(self) -> None:
        # PortAudio ended the stream: fine when we asked, the device gone otherwise.
        if not self._stop_request:
            self._request_stop("device-lost")

    # ------------------------------------------------------------ writer thread
    def _request_stop(self, reason: str) -> None:
        with self._lock:
            if self._stop_request:
                return
            self._stop_request = reason
        # Never block: the caller may be the writer itself (low disk), or PortAudio's
        # thread while the writer closes the stream; a full queue would wait forever.
        # The writer also checks the request after every item.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_STOP)

    def _write_loop(self) -> None:
        pending: list[Samples] = []
        pending_frames = 0
        try:
            while True:
                try:
                    item = self._queue.get(timeout=0.25)
                except queue.Empty:
                    item = None
                if item is _STOP:
                    break
                if item is not None:
                    pending.append(item)
                    pending_frames += len(item)
                while pending_frames >= self._chunk_frames:
                    pending, pending_frames = self._flush(pending, self._chunk_frames)
                if self._device_silent():
                    self._request_stop("device-lost")
                if self._stop_request:
                    break
            self._close_stream()
            # Whatever arrived before the stream closed still belongs to the recording.
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not _STOP:
                    pending.append(item)
                    pending_frames += len(item)
            while pending_frames > 0:
                pending, pending_frames = self._flush(
                    pending, min(pending_frames, self._chunk_frames)
                )
        except DiskFull:
            self._stop_reason = "disk-full"
            self._close_stream()
        except Exception:
            log.exception("The recording writer failed")
            self._stop_reason = "error"
            self._close_stream()
        finally:
            self._stop_reason = self._stop_reason or self._stop_request or "user"
            try:
                self.sink.finish(self._committed_frames, self._overflows, self._stop_reason)
            except Exception:
                # The chunks are committed; the next unlock closes the recording.
                log.exception("Closing the recording failed")
            self._state = "stopped"
            self._stopped.set()

    def _device_silent(self) -> bool:
        """No callback for a while although we are recording: the device went away."""
        return (
            self._state == "recording"
            and not self._stop_request
            and self._clock() - self._last_block > self._device_timeout
        )

    def _flush(self, pending: list[Samples], frames: int) -> tuple[list[Samples], int]:
        joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
        chunk, rest = joined[:frames], joined[frames:]
        self.sink.write_chunk(
            self._chunks, self._committed_frames, len(chunk), encode_flac(chunk, self.rate)
        )
        self._chunks += 1
        self._committed_frames += len(chunk)
        self._free_bytes = self._free_space()
        if self._free_bytes < self._low_disk_stop and not self._stop_request:
            self._request_stop("disk-low")
        return ([rest] if len(rest) else []), len(rest)

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.stop()
        except Exception:
            log.debug("stopping the input stream failed", exc_info=True)
        try:
            stream.close()
        except Exception:
            log.debug("closing the input stream failed", exc_info=True)
