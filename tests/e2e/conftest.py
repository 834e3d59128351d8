"""End-to-end fixtures: a virtual microphone (private PulseAudio daemon) and test speech.

Every test collected under ``tests/e2e`` gets the ``e2e`` marker (``-m "not e2e"`` skips
them). Tests that need PulseAudio, espeak-ng or sox are skipped, with the reason, only
where those cannot run; any other failure of the harness is an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.e2e.speech import make_speech, missing_programs
from tests.e2e.virtual_mic import VirtualMic

E2E_DIR = Path(__file__).parent

# Two sentences: ~6.0 s at 140 words a minute (see ``speech_wav``).
SPEECH_TEXT = "The health visitor came on Tuesday. We talked about the nursery and the bairns."
SPEECH_RATE = 16000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end test (virtual microphone, real tools)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Hooks in a sub-folder conftest see every collected item: mark only ours.
    for item in items:
        if E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def virtual_mic() -> Iterator[VirtualMic]:
    """One PulseAudio daemon for the session, with its client variables in os.environ.

    Subprocesses inherit the environment; an already imported ``sounddevice`` is
    re-initialised so this process sees the ``pulse`` (and ``default``) devices.
    Record the microphone with ``sounddevice`` on ``device="pulse"``; feed it with
    ``virtual_mic.play(wav)``; check playback with ``virtual_mic.record_speaker(s)``.
    """
    ok, reason = VirtualMic.available()
    if not ok:
        pytest.skip(reason)
    mic = VirtualMic().start()
    try:
        with mic.apply_to_os_environ():
            yield mic
    finally:
        mic.stop()


@pytest.fixture(scope="session")
def sd(virtual_mic: VirtualMic) -> ModuleType:
    """The ``sounddevice`` module, seeing the virtual microphone (``pulse``, ``default``).

    Import sounddevice through this fixture, not at module level: an import before the
    environment is set makes libpulse (through ALSA's pulse plugin) look for a system
    daemon and leave ``~/.config/pulse`` and ``/tmp/pulse-*`` behind. (It would still work:
    the ``virtual_mic`` fixture re-initialises PortAudio.)
    """
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: no PortAudio library
        pytest.skip(f"sounddevice unusable: {exc} (Debian: apt-get install libportaudio2)")
    return sounddevice


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 6 s of English speech (``SPEECH_TEXT``), mono 16-bit at 16 kHz."""
    missing = missing_programs()
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (Debian: apt-get install espeak-ng sox)")
    path = tmp_path_factory.mktemp("speech") / "speech_16k.wav"
    return make_speech(SPEECH_TEXT, path, rate=SPEECH_RATE, words_per_minute=140)
