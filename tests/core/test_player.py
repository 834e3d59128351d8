"""The player against a fake output device whose callback the test drives block by block."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from relations_desktop.core.audio.devices import AudioUnavailable, DeviceInfo
from relations_desktop.core.audio.player import Player

RATE = 16_000
BLOCK = 1024


class FakeOutputStream:
    def __init__(self, rate: int, callback: Callable[..., None], finished: Callable[[], None]):
        self.rate = rate
        self.callback = callback
        self.finished = finished
        self.active = False
        self.closed = False
        self.starts = 0

    def start(self) -> None:
        self.active = True
        self.starts += 1

    def stop(self) -> None:
        if self.active:
            self.active = False
            self.finished()

    def close(self) -> None:
        self.closed = True

    def block(self, frames: int = BLOCK) -> np.ndarray:
        out = np.full((frames, 1), 9.0, dtype=np.float32)  # garbage the callback must overwrite
        self.callback(out, frames, None, None)
        return out[:, 0].copy()


class FakeBackend:
    def __init__(self, refuse: tuple[int, ...] = ()) -> None:
        self.refuse = refuse
        self.streams: list[FakeOutputStream] = []

    def input_devices(self) -> list[DeviceInfo]:
        return []

    def input_rate(self, device: str | int | None) -> tuple[int, str]:
        raise AudioUnavailable("no input")

    def open_input(self, *args: Any) -> Any:
        raise AudioUnavailable("no input")

    def open_output(
        self,
        device: str | int | None,
        rate: int,
        blocksize: int,
        callback: Callable[..., None],
        finished: Callable[[], None],
    ) -> FakeOutputStream:
        if rate in self.refuse:
            raise AudioUnavailable(f"rate {rate} refused")
        self.streams.append(FakeOutputStream(rate, callback, finished))
        return self.streams[-1]

    @property
    def stream(self) -> FakeOutputStream:
        return self.streams[-1]


def source_of(signal: np.ndarray, rate: int = RATE, fail_after: float | None = None):
    """Like the store: ~1 s int16 blocks from ``start`` on (optionally failing part-way)."""

    def source(start: float) -> Iterator[np.ndarray]:
        pos = round(start * rate)
        while pos < len(signal):
            if fail_after is not None and pos >= fail_after * rate:
                raise RuntimeError("the store was locked")
            yield signal[pos : pos + rate]
            pos += rate

    return source


def tone(seconds: float, freq: float = 440.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.5 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def noise(seconds: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-20000, 20000, round(seconds * RATE)).astype(np.int16)


def floats(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / 32768


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def ready(player: Player, frames: int) -> bool:
    """The feeder has buffered enough for a full block (so the test never underruns)."""
    queued, ended = player._buffered(player._gen)
    return ended or queued >= frames + 0.25 * player._out_rate or player.state != "playing"


def drive(player: Player, stream: FakeOutputStream, blocks: int) -> np.ndarray:
    out = []
    for _ in range(blocks):
        wait_for(lambda: ready(player, BLOCK))
        out.append(stream.block())
    return np.concatenate(out)


def drive_to_end(player: Player, stream: FakeOutputStream) -> np.ndarray:
    """Everything the device gets until the end, without the trailing silence."""
    out = []
    while player._reached_end != player._gen:
        wait_for(lambda: ready(player, BLOCK))
        before = player._played[1]
        block = stream.block()
        out.append(block[: player._played[1] - before])
    wait_for(lambda: player.state == "finished")
    return np.concatenate(out)


@pytest.fixture
def make_player():
    players: list[Player] = []

    def make(signal: np.ndarray, rate: int = RATE, **kwargs: Any) -> tuple[Player, FakeBackend]:
        backend = kwargs.pop("backend", None) or FakeBackend()
        src = kwargs.pop("source", None) or source_of(signal, rate)
        player = Player(src, rate, len(signal) / rate, backend=backend)
        players.append(player)
        return player, backend

    yield make
    for player in players:
        player.close()


def peak_hz(samples: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def test_plays_the_whole_recording_then_finishes(make_player) -> None:
    signal = noise(3.0)
    player, backend = make_player(signal)
    states: list[str] = []
    player.on_state = states.append
    assert player.state == "stopped"
    player.play()
    out = drive_to_end(player, backend.stream)
    assert len(out) == len(signal)
    np.testing.assert_allclose(out, floats(signal), atol=1e-4)
    assert player.state == "finished"
    assert states == ["playing", "finished"]
    assert player.position_seconds == pytest.approx(3.0)
    assert not backend.stream.active and backend.stream.closed
    assert backend.stream.rate == RATE
    assert player.underruns == 0
    # After the end, play starts again from 0 on a new stream.
    player.play()
    assert len(backend.streams) == 2
    np.testing.assert_allclose(drive(player, backend.stream, 3), floats(signal[: 3 * BLOCK]))


def test_seek_then_play_starts_exactly_there(make_player) -> None:
    signal = noise(4.0)
    player, backend = make_player(signal)
    player.seek(2.5)
    assert player.position_seconds == 2.5
    player.play()
    out = drive(player, backend.stream, 4)
    start = round(2.5 * RATE)
    np.testing.assert_allclose(out, floats(signal[start : start + 4 * BLOCK]), atol=1e-4)
    assert player.position_seconds == pytest.approx(2.5 + 4 * BLOCK / RATE)


def test_seek_while_playing_and_skips_clamp(make_player) -> None:
    signal = noise(4.0)
    player, backend = make_player(signal)
    player.play()
    drive(player, backend.stream, 5)
    player.seek(1.0)
    out = drive(player, backend.stream, 2)
    np.testing.assert_allclose(out, floats(signal[RATE : RATE + 2 * BLOCK]), atol=1e-4)
    player.skip(-5)
    assert player.position_seconds == 0.0
    np.testing.assert_allclose(drive(player, backend.stream, 1), floats(signal[:BLOCK]))
    player.skip(+5)
    assert player.position_seconds == 4.0
    wait_for(lambda: player.state == "finished" or ready(player, BLOCK))
    backend.stream.block()
    wait_for(lambda: player.state == "finished")
    assert player.position_seconds == 4.0
    player.seek(-3)
    assert player.position_seconds == 0.0
    player.seek(99)
    assert player.position_seconds == 4.0


def test_seek_after_the_end_then_play_resumes_there(make_player) -> None:
    signal = noise(1.5)
    player, backend = make_player(signal)
    player.play()
    drive_to_end(player, backend.stream)
    player.seek(0.5)
    assert player.state == "paused"
    player.play()
    half = RATE // 2
    np.testing.assert_allclose(drive(player, backend.stream, 2), floats(signal[half : half + 2048]))


def test_pause_holds_the_position_and_resume_continues_exactly(make_player) -> None:
    signal = noise(3.0)
    player, backend = make_player(signal)
    player.play()
    first = drive(player, backend.stream, 7)
    player.pause()
    assert player.state == "paused"
    held = player.position_seconds
    assert held == pytest.approx(7 * BLOCK / RATE)
    silent = drive(player, backend.stream, 5)
    assert not silent.any()
    assert player.position_seconds == held
    player.toggle()
    assert player.state == "playing"
    rest = drive_to_end(player, backend.stream)
    np.testing.assert_allclose(np.concatenate([first, rest]), floats(signal), atol=1e-4)


@pytest.mark.parametrize("speed", [1.5, 0.75])
def test_speed_keeps_the_pitch_and_the_recording_time(make_player, speed: float) -> None:
    signal = tone(4.0)
    player, backend = make_player(signal)
    player.set_speed(speed)
    assert player.speed == speed
    player.play()
    expected = len(signal) / speed
    half = drive(player, backend.stream, round(expected / 2 / BLOCK))
    assert player.position_seconds == pytest.approx(2.0, abs=0.1)
    out = np.concatenate([half, drive_to_end(player, backend.stream)])
    assert len(out) == pytest.approx(expected, rel=0.03)
    assert peak_hz(out) == pytest.approx(440, abs=5)
    assert player.position_seconds == pytest.approx(4.0)


def test_changing_speed_while_playing_keeps_the_position(make_player) -> None:
    signal = tone(4.0)
    player, backend = make_player(signal)
    player.play()
    drive(player, backend.stream, 20)
    before = player.position_seconds
    player.set_speed(1.25)
    assert player.position_seconds == pytest.approx(before, abs=1 / RATE)
    drive(player, backend.stream, 10)
    assert player.position_seconds == pytest.approx(before + 10 * BLOCK * 1.25 / RATE, abs=0.06)
    player.set_speed(9)
    assert player.speed == 2.0
    player.set_speed(0.1)
    assert player.speed == 0.5


def test_device_refusing_the_rate_gets_resampled_audio(make_player) -> None:
    signal = tone(2.0)
    backend = FakeBackend(refuse=(RATE,))
    player, _ = make_player(signal, backend=backend)
    player.play()
    assert backend.stream.rate == 48_000
    out = drive_to_end(player, backend.stream)
    assert len(out) == pytest.approx(len(signal) * 3, rel=0.01)
    assert peak_hz(out, 48_000) == pytest.approx(440, abs=5)


def test_no_device_at_all_raises_and_changes_nothing(make_player) -> None:
    player, _ = make_player(noise(1.0), backend=FakeBackend(refuse=(RATE, 48_000, 44_100)))
    with pytest.raises(AudioUnavailable):
        player.play()
    assert player.state == "stopped"


def test_a_failing_source_stops_cleanly(make_player) -> None:
    signal = noise(4.0)
    player, backend = make_player(signal, source=source_of(signal, fail_after=2.0))
    states: list[str] = []
    player.on_state = states.append
    player.play()
    for _ in range(200):
        if player.state != "playing":
            break
        backend.stream.block()
        time.sleep(0.002)
    wait_for(lambda: player.state == "stopped")
    assert states == ["playing", "stopped"]
    assert player.last_error == "the store was locked"
    assert not backend.stream.active and backend.stream.closed
    assert not backend.stream.block().any()
    started = time.monotonic()
    player.close()
    assert time.monotonic() - started < 0.5


def test_close_is_idempotent_and_joins_its_threads(make_player) -> None:
    player, backend = make_player(noise(3.0))
    player.play()
    drive(player, backend.stream, 3)
    player.close()
    player.close()
    assert player.state == "stopped"
    assert backend.stream.closed
    assert not [t for t in threading.enumerate() if t.name == "player-feeder"]
    assert not backend.stream.block().any()
    player.play()  # a closed player stays closed
    assert player.state == "stopped"


def test_silence_while_buffering_and_a_lost_device_stops(make_player) -> None:
    gate = threading.Event()
    signal = noise(2.0)

    def slow(start: float) -> Iterator[np.ndarray]:
        gate.wait(5)
        yield from source_of(signal)(start)

    player, backend = make_player(signal, source=slow)
    player.play()
    assert not backend.stream.block().any()  # nothing decoded yet: silence, no advance
    assert player.position_seconds == 0.0
    gate.set()
    np.testing.assert_allclose(drive(player, backend.stream, 2), floats(signal[: 2 * BLOCK]))
    backend.stream.active = False
    backend.stream.finished()  # PortAudio stopped on its own: the device went away
    wait_for(lambda: player.state == "stopped")
    assert player.last_error == "the audio output device stopped"
    assert player.position_seconds == pytest.approx(2 * BLOCK / RATE)
    player.play()  # a new stream, from where it stopped
    assert len(backend.streams) == 2
    out = drive(player, backend.stream, 1)
    np.testing.assert_allclose(out, floats(signal[2 * BLOCK : 3 * BLOCK]))
