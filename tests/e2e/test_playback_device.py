"""Playback through a real output device: the core Player with the real sounddevice backend.

The store holds the audio (imported, so encrypted in chunks); the Player decrypts and
plays it on PortAudio's default device, which is the virtual speaker ``vspk``; what
reached the speaker is captured from its monitor with ``parec``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from relations_desktop.core.audio.player import Player
from relations_desktop.core.services import StoreService
from tests.e2e.speech import (
    best_lag_correlation,
    dominant_frequency,
    frame_levels_dbfs,
    make_tone,
    read_mono,
)
from tests.e2e.virtual_mic import VirtualMic

CAPTURE_RATE = 48_000


def _loud_span(x: np.ndarray, rate: int, threshold_db: float = -45.0) -> float:
    """Seconds from the first to the last 10 ms frame louder than ``threshold_db``."""
    frame = 0.01
    loud = np.flatnonzero(frame_levels_dbfs(x, rate, frame) > threshold_db)
    return 0.0 if len(loud) == 0 else (loud[-1] - loud[0] + 1) * frame


@pytest.fixture
def stored(service: StoreService):
    """Import a file into the store; returns (recording record, a Player factory)."""
    encounter = service.add_encounter("home-visit", "Playback").id
    players: list[Player] = []

    def store(path: Path):
        record = service.recordings.import_file(encounter, path)

        def player() -> Player:
            p = Player(
                lambda start: service.recordings.samples(record.id, start),
                record.sample_rate,
                record.duration_seconds,
            )  # backend=None: the real SoundDeviceBackend, default output device
            players.append(p)
            return p

        return record, player

    yield store
    for p in players:
        p.close()


def _play_and_capture(mic: VirtualMic, player: Player, seconds: float) -> tuple[np.ndarray, float]:
    """Capture the speaker while ``player`` plays to the end; (audio, wall seconds playing)."""
    capture = mic.start_speaker_recording(seconds, rate=CAPTURE_RATE)
    time.sleep(0.3)
    began = time.monotonic()
    player.play()
    deadline = began + seconds
    while player.state == "playing" and time.monotonic() < deadline:
        time.sleep(0.01)
    played = time.monotonic() - began
    assert player.state == "finished", (player.state, player.last_error)
    heard, rate = read_mono(capture.wait(timeout=seconds + 10))
    assert rate == CAPTURE_RATE
    return heard, played


def test_speech_plays_faithfully_on_the_default_device(sd, virtual_mic, stored, speech_wav):
    reference, ref_rate = read_mono(speech_wav)
    record, make_player = stored(speech_wav)
    player = make_player()
    heard, played = _play_and_capture(virtual_mic, player, record.duration_seconds + 3)
    assert player.underruns == 0
    assert player.position_seconds == pytest.approx(record.duration_seconds, abs=0.05)
    assert abs(played - record.duration_seconds) < 0.6, (played, record.duration_seconds)
    match = best_lag_correlation(heard, reference, CAPTURE_RATE, ref_rate, max_lag_seconds=2.5)
    assert match.correlation >= 0.8, match
    assert 0.25 <= match.lag_seconds <= 1.5, match


def test_speed_one_and_a_half_is_shorter_with_the_pitch_kept(
    sd, virtual_mic, stored, speech_wav, tmp_path
):
    reference, ref_rate = read_mono(speech_wav)
    speech, make_player = stored(speech_wav)
    fast = make_player()
    fast.set_speed(1.5)
    heard, played = _play_and_capture(virtual_mic, fast, speech.duration_seconds / 1.5 + 3)
    ratio = _loud_span(heard, CAPTURE_RATE) / _loud_span(reference, ref_rate)
    assert abs(ratio - 1 / 1.5) <= 0.1 / 1.5, ratio
    assert abs(played - speech.duration_seconds / 1.5) < 0.6, played

    # A steady tone: 1.5 times as fast, same frequency (not 1.5 times higher).
    tone_wav = make_tone(tmp_path / "tone.wav", 4.0, freq=1000.0, rate=16000, amplitude=0.5)
    _, make_player = stored(tone_wav)
    player = make_player()
    player.set_speed(1.5)
    heard, _ = _play_and_capture(virtual_mic, player, 4.0 / 1.5 + 3)
    span = _loud_span(heard, CAPTURE_RATE, threshold_db=-30.0)
    assert abs(span - 4.0 / 1.5) <= 0.1 * 4.0 / 1.5, span
    levels = frame_levels_dbfs(heard, CAPTURE_RATE, 0.01)
    loud = np.flatnonzero(levels > -30.0)
    middle = heard[(loud[0] + 10) * 480 : (loud[-1] - 10) * 480]
    assert abs(dominant_frequency(middle, CAPTURE_RATE) - 1000.0) <= 30.0
