"""The virtual microphone harness itself, with plain sounddevice (no app code)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.speech import (
    best_lag_correlation,
    dominant_frequency,
    frame_levels_dbfs,
    read_mono,
    resample,
    rms_dbfs,
    tone,
    write_wav,
)
from tests.e2e.virtual_mic import VirtualMic, process_alive, sounddevice_names

# sounddevice is not imported here: the ``sd`` fixture imports it once the virtual
# microphone's environment is set (see conftest.py).
ROOT = Path(__file__).resolve().parents[2]
RATE = 48000


def record_while(sd, device: str, seconds: float, during, pre_roll: float = 0.5):
    """Record ``device`` (mono int16 at 48 kHz) for ``seconds`` of wall-clock time.

    ``during()`` runs ``pre_roll`` seconds after the stream has started (like a live
    microphone: what is played before the stream opens is lost). Returns
    (samples as int16, wall seconds between start and stop).
    """
    blocks: list[np.ndarray] = []
    lock = threading.Lock()

    def callback(indata, frames, time_info, status):
        with lock:
            blocks.append(indata.copy())

    with sd.InputStream(
        device=device, samplerate=RATE, channels=1, dtype="int16", callback=callback
    ) as stream:
        started = time.monotonic()
        time.sleep(pre_roll)
        result = during()
        time.sleep(max(0.0, started + seconds - time.monotonic()))
        stopped = time.monotonic()
        stream.stop()
    with lock:
        data = np.concatenate(blocks)[:, 0] if blocks else np.zeros(0, np.int16)
    return data, stopped - started, result


def test_pulse_and_default_devices_are_listed(sd):
    names = sounddevice_names()
    assert "pulse" in names, (
        f"PortAudio lists {names}: ALSA's 'pulse' device is missing "
        "(Debian package libasound2-plugins)"
    )
    assert "default" in names


def test_env_set_before_import_is_enough_in_a_new_process(virtual_mic):
    code = "import sounddevice as sd; print([d['name'] for d in sd.query_devices()])"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=virtual_mic.client_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "'pulse'" in done.stdout


def test_portaudio_reinitialisation_picks_up_a_new_environment(virtual_mic):
    # The daemon is unreachable at import time, reachable after re-initialisation.
    code = (
        "import json, os, sys\n"
        "import sounddevice as sd\n"
        "from tests.e2e.virtual_mic import reinitialise_portaudio, sounddevice_names\n"
        "before = sounddevice_names()\n"
        "os.environ['PULSE_SERVER'] = sys.argv[1]\n"
        "reinitialise_portaudio()\n"
        "print(json.dumps([before, sounddevice_names()]))\n"
    )
    env = virtual_mic.client_env()
    env["PULSE_SERVER"] = f"unix:{virtual_mic.dir}/no-such-socket"
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", code, virtual_mic.env["PULSE_SERVER"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert "pulse" not in before
    assert "pulse" in after
    assert "default" in after


def test_microphone_records_the_played_speech(sd, virtual_mic, speech_wav):
    reference, ref_rate = read_mono(speech_wav)
    asked = 8.0
    recorded, wall, player = record_while(
        sd, "pulse", asked, lambda: virtual_mic.play(speech_wav), pre_roll=0.5
    )
    assert player.wait(timeout=10) == 0, player.stderr.read()

    # (a) the length: no 2 s idle-sink blocks missing at the start.
    duration = len(recorded) / RATE
    assert abs(duration - asked) < 0.1, (duration, wall)
    assert abs(duration - wall) < 0.1, (duration, wall)

    # (c) the speech is there, faithfully, shortly after the playback started.
    match = best_lag_correlation(recorded, reference, RATE, ref_rate, max_lag_seconds=2.0)
    assert match.correlation >= 0.9, match
    assert 0.4 < match.lag_seconds < 1.5, match

    # (b) speech parts are loud; before and after the speech it is (near) silent.
    ref48 = resample(reference, ref_rate, RATE)
    aligned = recorded[match.lag : match.lag + len(ref48)]
    loud = frame_levels_dbfs(ref48, RATE) > -35
    levels = frame_levels_dbfs(aligned, RATE)[: len(loud)]
    speech_level = float(np.median(levels[loud[: len(levels)]]))
    silence = np.concatenate(
        [recorded[: match.lag - RATE // 20], recorded[match.lag + len(ref48) + RATE // 20 :]]
    )
    silence_level = rms_dbfs(silence)
    assert speech_level > -40, speech_level
    assert speech_level - silence_level > 40, (speech_level, silence_level)


def test_default_device_routes_to_the_virtual_microphone(sd, virtual_mic, tmp_path):
    wav = write_wav(tmp_path / "440.wav", tone(1.0, 440, 16000), 16000)
    recorded, _, player = record_while(
        sd, "default", 2.0, lambda: virtual_mic.play(wav), pre_roll=0.3
    )
    assert player.wait(timeout=10) == 0
    assert rms_dbfs(recorded) > -30
    assert abs(dominant_frequency(recorded, RATE) - 440) < 5


@pytest.mark.parametrize("device", ["pulse", "default"])
def test_speaker_capture_hears_what_sounddevice_plays(sd, virtual_mic, device):
    played = tone(2.0, 1000, RATE).astype(np.float32)
    capture = virtual_mic.start_speaker_recording(3.0, rate=RATE)
    time.sleep(0.3)
    with sd.OutputStream(device=device, samplerate=RATE, channels=1, dtype="float32") as out:
        out.write(played.reshape(-1, 1))
    heard, rate = read_mono(capture.wait(timeout=10))
    assert rate == RATE
    assert len(heard) == 3 * RATE
    assert abs(dominant_frequency(heard, rate) - 1000) < 5
    match = best_lag_correlation(heard, played, rate, RATE, max_lag_seconds=1.5)
    assert match.correlation >= 0.9, match
    assert rms_dbfs(heard[match.lag : match.lag + len(played)]) > -15


def test_stop_leaves_no_daemon_and_no_folder():
    with VirtualMic() as mic:
        pid, folder = mic.pid, mic.dir
        assert pid is not None and folder is not None
        assert process_alive(pid)
        assert "vmic" in mic.pactl("list", "short", "sources")
    assert not process_alive(pid)
    assert not folder.exists()
    assert not mic.running
    mic.stop()  # idempotent


@pytest.mark.parametrize("ending", ["atexit", "os._exit"])
def test_daemon_dies_with_the_process_that_started_it(ending):
    end = "os._exit(0)" if ending == "os._exit" else "sys.exit(0)"
    code = (
        "import os, sys\n"
        "from tests.e2e.virtual_mic import VirtualMic\n"
        "mic = VirtualMic().start()\n"
        "print(mic.pid, mic.dir, flush=True)\n"
        f"{end}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    pid_text, folder = done.stdout.split()
    deadline = time.monotonic() + 5
    while (process_alive(int(pid_text)) or Path(folder).exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_alive(int(pid_text))
    assert not Path(folder).exists()
