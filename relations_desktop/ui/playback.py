"""What the player bar needs from a player, and how the real one is made.

The core's :class:`~relations_desktop.core.audio.player.Player` plays decrypted chunks
straight from the store (no temporary file). The UI reaches it through
:data:`PlayerFactory`, so tests can give a stand-in and the app runs without audio.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from relations_desktop.core.audio.codec import Samples
from relations_desktop.core.audio.devices import AudioBackend, AudioUnavailable

SampleSource = Callable[[float], Iterator[Samples]]


class PlayerLike(Protocol):
    on_state: Any  # called (from any thread) when ``state`` changes

    @property
    def position_seconds(self) -> float: ...

    @property
    def duration_seconds(self) -> float: ...

    @property
    def speed(self) -> float: ...

    @property
    def state(self) -> str: ...  # "stopped" | "playing" | "paused" | "finished"

    def play(self) -> None: ...

    def pause(self) -> None: ...

    def toggle(self) -> None: ...

    def seek(self, seconds: float) -> None: ...

    def skip(self, delta: float) -> None: ...

    def set_speed(self, factor: float) -> None: ...

    def close(self) -> None: ...


class PlayerFactory(Protocol):
    def __call__(
        self,
        source: SampleSource,
        sample_rate: int,
        duration_seconds: float,
        *,
        backend: AudioBackend | None = None,
        device: str | int | None = None,
    ) -> PlayerLike: ...


def core_player(
    source: SampleSource,
    sample_rate: int,
    duration_seconds: float,
    *,
    backend: AudioBackend | None = None,
    device: str | int | None = None,
) -> PlayerLike:
    """The core's player, imported when first needed."""
    try:
        from relations_desktop.core.audio.player import Player
    except ImportError as exc:
        raise AudioUnavailable("Playback is not available in this version of the app.") from exc
    player: PlayerLike = Player(
        source, sample_rate, duration_seconds, backend=backend, device=device
    )
    return player
