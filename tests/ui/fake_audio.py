"""Fake audio for the UI tests, on top of the core's test doubles (tests/core/audio_fakes).

``FakeBackend`` is the core's fake (a microphone the test ``feed``s, whose ``finish()``
is an unplugged device, and output streams the test ``pull``s) with a second input
device and a record of the output streams opened. ``StubPlayer`` follows the core
player's API without any audio, for screenshots that need a fixed position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from relations_desktop.core.audio.devices import DeviceInfo
from tests.core.audio_fakes import FakeBackend as CoreFakeBackend
from tests.core.audio_fakes import FakeOutputStream, sine
from tests.core.audio_fakes import silence as _silence

RATE = 16_000


def tone(seconds: float, amplitude: float = 0.3, freq: float = 440.0) -> np.ndarray:
    """A sine tone as int16 samples (an amplitude above 1.0 clips)."""
    if amplitude <= 1.0:
        return sine(seconds, RATE, freq, round(amplitude * 32767))
    wave = sine(seconds, RATE, freq, 32767).astype(np.float64) * amplitude
    return np.clip(wave, -32768, 32767).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return _silence(seconds, RATE)


@dataclass
class FakeBackend(CoreFakeBackend):
    """The core's fake at 16 kHz, with more input devices (the first is the default)."""

    rate: int = RATE
    name: str = "Fake microphone"
    others: tuple[str, ...] = ("USB headset",)
    opened_devices: list[str | int | None] = field(default_factory=list)
    outputs: list[FakeOutputStream] = field(default_factory=list)

    def input_devices(self) -> list[DeviceInfo]:
        devices = super().input_devices()
        if not self.available:
            return devices
        start = len(devices)
        return devices + [
            DeviceInfo(start + i, n, 1, self.rate, False) for i, n in enumerate(self.others)
        ]

    def input_rate(self, device: str | int | None) -> tuple[int, str]:
        if self.available and device in self.others:
            return self.rate, str(device)
        return super().input_rate(device)

    def open_input(self, device: str | int | None, *args: Any, **kwargs: Any) -> Any:
        self.opened_devices.append(device)
        return super().open_input(device, *args, **kwargs)

    def open_output(self, *args: Any, **kwargs: Any) -> FakeOutputStream:
        stream = super().open_output(*args, **kwargs)
        self.outputs.append(stream)
        return stream


class StubPlayer:
    """The core player's API, without a sound card; it reads its source on seek."""

    instances: ClassVar[list[StubPlayer]] = []

    def __init__(
        self,
        source: Callable[[float], Iterator[np.ndarray]],
        sample_rate: int,
        duration_seconds: float,
        *,
        backend: object = None,
        device: object = None,
    ) -> None:
        self.source = source
        self.sample_rate = sample_rate
        self.duration_seconds = duration_seconds
        self.backend = backend
        self.position_seconds = 0.0
        self.speed = 1.0
        self.state = "stopped"
        self.on_state: Callable[..., None] | None = None
        self.closed = False
        self.read_from: list[tuple[float, int]] = []  # (start, samples in the first block)
        StubPlayer.instances.append(self)

    def _set(self, state: str) -> None:
        self.state = state
        if self.on_state is not None:
            self.on_state(state)

    def play(self) -> None:
        self._set("playing")

    def pause(self) -> None:
        self._set("paused")

    def toggle(self) -> None:
        self.pause() if self.state == "playing" else self.play()

    def seek(self, seconds: float) -> None:
        self.position_seconds = min(self.duration_seconds, max(0.0, seconds))
        first = next(iter(self.source(self.position_seconds)), np.zeros(0, dtype=np.int16))
        self.read_from.append((self.position_seconds, len(first)))

    def skip(self, delta: float) -> None:
        self.seek(self.position_seconds + delta)

    def set_speed(self, factor: float) -> None:
        self.speed = factor

    def close(self) -> None:
        self.closed = True
        self._set("stopped")
