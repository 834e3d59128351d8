"""Playback of a stored recording, decrypted in memory: source → feeder → buffer → device.

A feeder thread pulls int16 blocks from ``source(start_seconds)``, time-stretches them with
PyAV's ``atempo`` filter when the speed is not 1 (the pitch is kept), resamples them with
``aresample`` if the device refused the recording's rate, and queues them. The output
callback only copies from that queue: it never blocks, never touches the database, and
plays silence while (re)buffering. Each queued block knows its place in the *recording's*
timeline, so the position is exact at speed 1 and within the filter's window (tens of ms)
at other speeds. A seek, skip or speed change bumps a generation counter: the callback
drops older blocks and the feeder starts again there. Nothing is ever written to disk.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from relations_desktop.core.audio.devices import AudioBackend, AudioUnavailable, Stream

log = logging.getLogger(__name__)

MIN_SPEED, MAX_SPEED = 0.5, 2.0
FALLBACK_RATES = (48_000, 44_100)  # tried when the device refuses the recording's rate
_BLOCK_SECONDS = 0.04  # device block
_PREFILL_SECONDS = 0.2  # buffered before the callback starts (or restarts after an underrun)
_AHEAD_SECONDS = 1.5  # the feeder stays at most this far ahead of the device
_POLL = 0.02
FEEDER = "player-feeder"  # the thread's name
_JOIN_TIMEOUT = 2.0

Source = Callable[[float], Iterator[npt.NDArray[np.int16]]]
Floats = npt.NDArray[np.float32]
# (generation, samples or None for the end, recording frame of the first sample,
#  recording frames per output frame)
_Item = tuple[int, Floats | None, float, float]


class _Stretch:
    """abuffer → [atempo] → [aresample] → abuffersink, mono float, all in memory."""

    def __init__(self, rate: int, speed: float, out_rate: int) -> None:
        import av  # imported on first use, as sounddevice is

        self._av: Any = av
        self._rate = rate
        self._pushed = 0
        graph = av.filter.Graph()
        tb = Fraction(1, rate)
        nodes = [graph.add_abuffer(sample_rate=rate, format="flt", layout="mono", time_base=tb)]
        if speed != 1.0:
            nodes.append(graph.add("atempo", f"{speed:.6f}"))
        if out_rate != rate:
            nodes.append(graph.add("aresample", str(out_rate)))
        nodes.append(graph.add("abuffersink"))
        graph.link_nodes(*nodes)
        graph.configure()
        self._graph = graph

    def process(self, samples: Floats | None) -> list[Floats]:
        """Push ``samples`` (``None``: the end) and return whatever the graph has ready."""
        if samples is None:
            self._graph.push(None)
        else:
            frame = self._av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
            frame.sample_rate = self._rate
            frame.time_base = Fraction(1, self._rate)
            frame.pts = self._pushed
            self._pushed += len(samples)
            self._graph.push(frame)
        out: list[Floats] = []
        while True:
            try:
                frame = self._graph.pull()
            except (self._av.BlockingIOError, self._av.EOFError):
                return out
            out.append(np.ascontiguousarray(frame.to_ndarray().reshape(-1), dtype=np.float32))


def _pieces(blocks: Iterator[npt.NDArray[np.int16]], stretch: _Stretch | None) -> Iterator[Floats]:
    """The source's int16 blocks as float32, through the filter graph if there is one."""
    for block in blocks:
        floats = np.asarray(block, np.int16).reshape(-1).astype(np.float32) * np.float32(2**-15)
        yield from stretch.process(floats) if stretch else (floats,)
    if stretch:
        yield from stretch.process(None)  # the filter's tail


class Player:
    """Plays one recording; every method may be called from any thread."""

    def __init__(
        self,
        source: Source,
        sample_rate: int,
        duration_seconds: float,
        backend: AudioBackend | None = None,
        device: str | int | None = None,
    ) -> None:
        if backend is None:
            from relations_desktop.core.audio.devices import SoundDeviceBackend

            backend = SoundDeviceBackend()
        self._source = source
        self.sample_rate = sample_rate
        self.duration_seconds = max(0.0, float(duration_seconds))
        self._backend = backend
        self._device = device
        self.on_state: Callable[[str], None] | None = None
        self.last_error: str | None = None  # why playback stopped on its own, for the UI
        self._cv = threading.Condition()
        self._state = "stopped"
        self._speed = 1.0
        self._out_rate = sample_rate
        self._stream: Stream | None = None
        self._feeder: threading.Thread | None = None
        self._closing = False
        self._opened = 0  # streams opened so far; ``_lost``: the last one that stopped
        self._lost = -1
        self._end_frames = round(self.duration_seconds * sample_rate)
        # Shared with the callback: plain attribute reads and writes, a deque (atomic ops).
        self._gen = 0
        self._start = 0  # recording frame the current generation starts from
        self._buffer: collections.deque[_Item] = collections.deque()
        self._fed: tuple[int, int, bool] = (0, 0, False)  # gen, output frames queued, end queued
        self._played: tuple[int, int] = (0, 0)  # gen, output frames consumed
        self._pos: tuple[int, float] = (0, 0.0)  # gen, recording frame reached
        self._reached_end = -1  # generation whose end the callback reached
        self._underruns = 0
        # Callback-only state.
        self._cur: _Item | None = None
        self._cur_off = 0
        self._priming = True

    # ------------------------------------------------------------------ reading
    @property
    def state(self) -> str:
        return self._state

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def underruns(self) -> int:
        """Device blocks that ran dry while playing (the feeder fell behind)."""
        return self._underruns

    @property
    def position_seconds(self) -> float:
        gen, frame = self._pos
        if gen != self._gen:
            frame = float(self._start)
        return min(max(frame / self.sample_rate, 0.0), self.duration_seconds)

    # ------------------------------------------------------------------ control
    def play(self) -> None:
        with self._cv:
            if self._closing or self._state == "playing":
                return
            if self._state == "finished" or self._current_frame() >= self._end_frames:
                self._restart_locked(0)
            elif self._state == "stopped":  # first play, or after a failure: read afresh
                self._restart_locked(self._current_frame())
            self._ensure_stream_locked()
            self._state = "playing"
            if self._feeder is None:
                self._feeder = threading.Thread(target=self._feed_loop, name=FEEDER, daemon=True)
                self._feeder.start()
            self._cv.notify_all()
        self._emit("playing")

    def pause(self) -> None:
        with self._cv:
            if self._state != "playing":
                return
            self._state = "paused"  # the stream keeps running and plays silence
        self._emit("paused")

    def toggle(self) -> None:
        if self._state == "playing":
            self.pause()
        else:
            self.play()

    def seek(self, seconds: float) -> None:
        frame = round(min(max(seconds, 0.0), self.duration_seconds) * self.sample_rate)
        with self._cv:
            if self._closing:
                return
            self._restart_locked(frame)
            unfinished = self._state == "finished"
            if unfinished:  # no longer at the end; the device is stopped until play()
                self._state = "paused"
        if unfinished:
            self._emit("paused")

    def skip(self, delta_seconds: float) -> None:
        self.seek(self.position_seconds + delta_seconds)

    def set_speed(self, factor: float) -> None:
        factor = round(min(max(float(factor), MIN_SPEED), MAX_SPEED), 4)
        with self._cv:
            if factor == self._speed or self._closing:
                return
            self._speed = factor
            self._restart_locked(self._current_frame())

    def close(self) -> None:
        with self._cv:
            if self._closing:
                return
            self._closing = True
            self._gen += 1
            self._buffer.clear()
            changed = self._state != "stopped"
            self._state = "stopped"
            stream, self._stream = self._stream, None
            feeder = self._feeder
            self._cv.notify_all()
        self._release(stream)
        if feeder is not None and feeder is not threading.current_thread():
            feeder.join(_JOIN_TIMEOUT)
        if changed:
            self._emit("stopped")

    # ------------------------------------------------------------------ internals
    def _current_frame(self) -> int:
        return min(round(self.position_seconds * self.sample_rate), self._end_frames)

    def _restart_locked(self, frame: int) -> None:
        self._start = frame
        self._gen += 1
        self._buffer.clear()
        self._cv.notify_all()

    def _ensure_stream_locked(self) -> None:
        if self._stream is not None:
            return
        rates = [self.sample_rate, *(r for r in FALLBACK_RATES if r != self.sample_rate)]
        error: AudioUnavailable | None = None
        self._opened += 1
        opened = self._opened  # ``finished`` of an older stream must not count

        def finished() -> None:  # PortAudio: the stream stopped (perhaps the device left)
            self._lost = opened

        for rate in rates:
            block = max(64, round(rate * _BLOCK_SECONDS))
            try:
                stream = self._backend.open_output(
                    self._device, rate, block, self._callback, finished
                )
            except AudioUnavailable as exc:
                error = error or exc
                continue
            if rate != self._out_rate:
                self._out_rate = rate
                self._restart_locked(self._current_frame())
            try:
                stream.start()
            except Exception as exc:
                self._release(stream)
                raise AudioUnavailable(f"The speakers could not be started: {exc}.") from exc
            self._stream = stream
            return
        assert error is not None
        raise error

    def _release(self, stream: Stream | None) -> None:
        if stream is None:
            return
        try:
            stream.stop()
            stream.close()
        except Exception:  # a device that vanished may refuse even this
            log.debug("closing the output stream failed", exc_info=True)

    def _emit(self, state: str) -> None:
        hook = self.on_state
        if hook is not None:
            try:
                hook(state)
            except Exception:
                log.exception("player state hook failed")

    def _finish(self, state: str, gen: int) -> None:
        """Stop the device after the end ("finished") or a failure ("stopped") of ``gen``."""
        with self._cv:
            if gen != self._gen or self._state not in ("playing", "paused"):
                return
            self._state = state
            if state == "finished":
                self._pos = (gen, float(self._end_frames))
            stream, self._stream = self._stream, None
        self._release(stream)
        self._emit(state)

    # ------------------------------------------------------------------ feeder thread
    def _feed_loop(self) -> None:
        done = -1
        while True:
            with self._cv:
                if self._closing:
                    return
                gen, start, speed, out_rate = self._gen, self._start, self._speed, self._out_rate
                busy = gen != done and self._state in ("playing", "paused")
            if not busy:
                self._idle()
                continue
            try:
                self._feed(gen, start, speed, out_rate)
            except Exception as exc:
                log.warning("playback stopped: the audio could not be read (%s)", exc)
                self.last_error = str(exc) or type(exc).__name__
                self._finish("stopped", gen)
            done = gen

    def _idle(self) -> None:
        """Wait a little, then act on the end having been played or the device gone."""
        with self._cv:
            self._cv.wait(_POLL)
        gen = self._gen
        if self._reached_end == gen and self._state == "playing":
            self._finish("finished", gen)
        elif self._lost == self._opened and self._stream is not None:
            self.last_error = "the audio output device stopped"
            self._finish("stopped", gen)

    def _feed(self, gen: int, start: int, speed: float, out_rate: int) -> None:
        stretch = None
        if speed != 1.0 or out_rate != self.sample_rate:
            stretch = _Stretch(self.sample_rate, speed, out_rate)
        step = speed * self.sample_rate / out_rate  # recording frames per output frame
        blocks = self._source(start / self.sample_rate)
        fed = 0  # output frames queued so far
        try:
            for piece in _pieces(blocks, stretch):
                if len(piece) and not self._put((gen, piece, start + fed * step, step)):
                    return
                fed += len(piece)
                self._fed = (gen, fed, False)
            self._buffer.append((gen, None, start + fed * step, step))
            self._fed = (gen, fed, True)
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()  # let a generator release its database cursor now

    def _put(self, item: _Item) -> bool:
        """Queue ``item`` once there is room; ``False`` when its generation is stale."""
        gen = item[0]
        while self._buffered(gen)[0] > _AHEAD_SECONDS * self._out_rate:
            if gen != self._gen or self._closing:
                return False
            self._idle()
        if gen != self._gen or self._closing:
            return False
        self._buffer.append(item)
        return True

    def _buffered(self, gen: int) -> tuple[int, bool]:
        """Output frames queued but not yet played for ``gen``, and whether the end is queued."""
        fed_gen, fed, ended = self._fed
        if fed_gen != gen:
            return 0, False
        played_gen, played = self._played
        return fed - (played if played_gen == gen else 0), ended

    # ------------------------------------------------------------------ device callback
    def _callback(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        out = outdata[:, 0]
        gen = self._gen
        if self._played[0] != gen:  # a seek, skip or speed change since the last block
            self._played = (gen, 0)
            self._cur = None
            self._priming = True
        if self._state != "playing" or self._reached_end == gen:
            out.fill(0)
            return
        if self._priming:
            queued, ended = self._buffered(gen)
            if queued < _PREFILL_SECONDS * self._out_rate and not ended:
                out.fill(0)
                return
            self._priming = False
        filled = 0
        played = self._played[1]
        while filled < frames:
            item = self._cur
            if item is None or item[0] != gen:
                try:
                    item = self._buffer.popleft()
                except IndexError:
                    self._underruns += 1
                    self._priming = True
                    break
                if item[0] != gen:
                    continue
                self._cur, self._cur_off = item, 0
            _, data, rec_start, step = item
            if data is None:
                self._reached_end = gen
                break
            n = min(frames - filled, len(data) - self._cur_off)
            out[filled : filled + n] = data[self._cur_off : self._cur_off + n]
            self._cur_off += n
            filled += n
            played += n
            self._pos = (gen, rec_start + self._cur_off * step)
            if self._cur_off >= len(data):
                self._cur = None
        out[filled:] = 0
        self._played = (gen, played)
