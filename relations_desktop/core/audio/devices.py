"""The audio backend: PortAudio through ``sounddevice``, behind a small protocol.

The recorder and the player talk to an :class:`AudioBackend`; the real one is
:class:`SoundDeviceBackend`. Tests of the logic around it use a fake; the real one is
tested end to end against a virtual microphone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from relations_desktop.core.errors import RelationsError

InputCallback = Callable[[Any, int, Any, Any], None]
OutputCallback = Callable[[Any, int, Any, Any], None]


class AudioUnavailable(RelationsError):
    """No usable audio device (or no PortAudio at all)."""

    exit_code = 10


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    channels: int
    default_rate: int
    is_default: bool


class Stream(Protocol):
    @property
    def active(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class AudioBackend(Protocol):
    def input_devices(self) -> list[DeviceInfo]: ...

    def input_rate(self, device: str | int | None) -> tuple[int, str]:
        """The device's native rate and its name; raises AudioUnavailable."""
        ...

    def open_input(
        self,
        device: str | int | None,
        rate: int,
        blocksize: int,
        callback: InputCallback,
        finished: Callable[[], None],
    ) -> Stream: ...

    def open_output(
        self,
        device: str | int | None,
        rate: int,
        blocksize: int,
        callback: OutputCallback,
        finished: Callable[[], None],
    ) -> Stream: ...


class SoundDeviceBackend:
    """PortAudio via sounddevice, imported on first use (the app runs without it)."""

    def __init__(self) -> None:
        try:
            import sounddevice
        except OSError as exc:  # the PortAudio library itself is missing
            raise AudioUnavailable(
                "Audio is unavailable: the PortAudio library is not installed "
                "(on Debian or Ubuntu: apt install libportaudio2)."
            ) from exc
        self._sd: Any = sounddevice

    def input_devices(self) -> list[DeviceInfo]:
        sd = self._sd
        try:
            default_in = sd.default.device[0]
            devices = sd.query_devices()
        except sd.PortAudioError as exc:
            raise AudioUnavailable(f"Audio devices cannot be listed: {exc}.") from exc
        return [
            DeviceInfo(
                index=i,
                name=str(d["name"]),
                channels=int(d["max_input_channels"]),
                default_rate=int(d["default_samplerate"]),
                is_default=i == default_in,
            )
            for i, d in enumerate(devices)
            if int(d["max_input_channels"]) > 0
        ]

    def input_rate(self, device: str | int | None) -> tuple[int, str]:
        sd = self._sd
        try:
            info = sd.query_devices(device, "input")
        except (ValueError, sd.PortAudioError) as exc:
            if device is None:
                raise AudioUnavailable(
                    "No microphone was found. Plug one in (or check it is enabled) and try again."
                ) from exc
            raise AudioUnavailable(
                f"No input device called {device!r}. Run 'relations-desktop devices' to list them."
            ) from exc
        if int(info["max_input_channels"]) < 1:
            raise AudioUnavailable(f"{info['name']} is not an input device.")
        return int(info["default_samplerate"]), str(info["name"])

    def open_input(
        self,
        device: str | int | None,
        rate: int,
        blocksize: int,
        callback: InputCallback,
        finished: Callable[[], None],
    ) -> Stream:
        return self._open(
            self._sd.InputStream,
            "int16",
            "The microphone",
            device,
            rate,
            blocksize,
            callback,
            finished,
        )

    def open_output(
        self,
        device: str | int | None,
        rate: int,
        blocksize: int,
        callback: OutputCallback,
        finished: Callable[[], None],
    ) -> Stream:
        return self._open(
            self._sd.OutputStream,
            "float32",
            "The speakers",
            device,
            rate,
            blocksize,
            callback,
            finished,
        )

    def _open(
        self,
        stream_class: Any,
        dtype: str,
        what: str,
        device: str | int | None,
        rate: int,
        blocksize: int,
        callback: Any,
        finished: Callable[[], None],
    ) -> Stream:
        """A mono stream; PortAudio's refusal becomes a message for the researcher."""
        try:
            stream: Stream = stream_class(
                device=device,
                samplerate=rate,
                channels=1,
                dtype=dtype,
                blocksize=blocksize,
                callback=callback,
                finished_callback=finished,
            )
        except (ValueError, self._sd.PortAudioError) as exc:
            raise AudioUnavailable(f"{what} could not be opened: {exc}.") from exc
        return stream
