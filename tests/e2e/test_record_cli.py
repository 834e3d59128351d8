"""``relations-desktop record`` end to end: the real CLI, PortAudio and a virtual microphone.

Each test runs the command line in a subprocess (as a script or a researcher would),
plays speech into the virtual microphone once the "Recording" line says the input stream
runs, and checks what was stored by exporting it through the CLI.

The helpers here (:class:`Cli`, :class:`RecordProcess`) are shared by the other e2e
tests of the recording issue.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import PASSPHRASE
from tests.e2e.speech import (
    best_lag_correlation,
    dominant_frequency,
    make_tone,
    read_mono,
    resample,
    rms_dbfs,
    write_wav,
)
from tests.e2e.virtual_mic import VirtualMic

ROOT = Path(__file__).resolve().parents[2]
PROG = "relations-desktop:"
START_LINE = re.compile(r"^Recording (\S+) at (\d+) Hz for ")


class Cli:
    """``python -m relations_desktop --store DIR ...`` in a subprocess."""

    def __init__(self, store: Path, env: dict[str, str] | None = None) -> None:
        self.store = store
        base = dict(os.environ if env is None else env)
        self.env = {**base, "RELATIONS_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT)}

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "relations_desktop", "--store", str(self.store), *args]

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            env=self.env if env is None else env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def ok(self, *args: str, timeout: float = 60) -> str:
        done = self.run(*args, timeout=timeout)
        assert done.returncode == 0, f"{args} exited {done.returncode}: {done.stderr}"
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def init_with_session(self) -> str:
        """Create the store and one home-visit session; returns the session id."""
        self.ok("init", "--researcher-name", "E2E")
        return self.ok("encounter", "add", "--type", "home-visit", "--title", "Kitchen").strip()

    def copy_of(self, template: StoreTemplate) -> str:
        """Make this store a copy of ``template`` (faster than init); returns its session id."""
        shutil.copytree(template.path, self.store)
        return template.session_id

    def recordings(self) -> list[dict[str, Any]]:
        return self.json("recording", "list")

    def export_wav(self, recording_id: str, out: Path) -> tuple[np.ndarray, int]:
        self.ok("recording", "export", recording_id, "--out", str(out))
        return read_mono(out)

    def record(self, encounter: str, seconds: float, *extra: str) -> RecordProcess:
        argv = self.argv("record", "--encounter", encounter, "--seconds", f"{seconds:g}", *extra)
        return RecordProcess(argv, self.env)


class RecordProcess:
    """A running ``record``: stderr lines are timestamped as they arrive."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[tuple[float, str]] = []
        self.started_at: float | None = None
        self.recording_id = ""
        self.rate = 0
        self.stdout = ""
        self._started = threading.Event()
        self._readers = [
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            now = time.monotonic()
            self.lines.append((now, line.rstrip("\n")))
            match = START_LINE.match(line)
            if match and self.started_at is None:
                self.recording_id, self.rate = match.group(1), int(match.group(2))
                self.started_at = now
                self._started.set()
        self._started.set()  # ended without starting: wake the waiter

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()

    def wait_started(self, timeout: float = 30) -> float:
        """Monotonic time of the "Recording" line (the input stream is running)."""
        self._started.wait(timeout)
        if self.started_at is None:
            self.kill()
            pytest.fail(f"record never said it was recording: {self.stderr}")
        return self.started_at

    def wait(self, timeout: float = 60) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"record still running after {timeout} s: {self.stderr}")
        for reader in self._readers:
            reader.join(10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        for reader in self._readers:
            reader.join(10)

    @property
    def stderr(self) -> str:
        return "\n".join(text for _, text in self.lines)


@dataclass(frozen=True)
class StoreTemplate:
    """A store with one session, made once and copied for each test (init takes ~2 s)."""

    path: Path
    session_id: str

    @classmethod
    def make(cls, folder: Path) -> StoreTemplate:
        path = folder / "template-store"
        return cls(path, Cli(path).init_with_session())


def error_lines(stderr: str) -> list[str]:
    """What the app itself said on stderr (not ALSA's or PortAudio's own chatter)."""
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not line.startswith(("ALSA lib", "Expression '"))
    ]


def assert_one_clear_line(stderr: str, *needles: str) -> None:
    lines = [line for line in error_lines(stderr) if not line.startswith("Importing ")]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, f"expected one line, got: {stderr!r}"
    assert lines[0].startswith(PROG), lines
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> StoreTemplate:
    return StoreTemplate.make(tmp_path_factory.mktemp("template"))


@pytest.fixture
def cli(tmp_path: Path, virtual_mic: VirtualMic) -> Cli:
    return Cli(tmp_path / "store")


@pytest.fixture
def session_id(cli: Cli, template: StoreTemplate) -> str:
    return cli.copy_of(template)


# ------------------------------------------------------------------------- recording
def test_record_eight_seconds_of_speech(cli, session_id, virtual_mic, speech_wav, tmp_path):
    reference, ref_rate = read_mono(speech_wav)
    rec = cli.record(session_id, 8)
    rec.wait_started()
    time.sleep(0.3)
    player = virtual_mic.play(speech_wav)
    assert rec.wait(40) == 0, rec.stderr
    assert player.wait(10) == 0
    assert rec.stdout.strip() == rec.recording_id
    # A progress line every second, on stderr.
    assert sum(1 for _, line in rec.lines if re.match(r"^\s+\d+ s  level", line)) >= 7

    shown = cli.json("recording", "show", rec.recording_id)
    assert shown["status"] == "complete"
    assert shown["stop_reason"] == "user"
    assert shown["overflow_count"] == 0
    assert shown["sample_rate"] == rec.rate
    assert abs(shown["duration_seconds"] - 8.0) <= 0.1, shown
    assert shown["size_bytes"] > 0

    audio, rate = cli.export_wav(rec.recording_id, tmp_path / "out.wav")
    assert rate == rec.rate
    assert abs(len(audio) / rate - 8.0) <= 0.1
    assert abs(len(audio) / rate - shown["duration_seconds"]) < 1e-6

    match = best_lag_correlation(audio, reference, rate, ref_rate, max_lag_seconds=2.0)
    assert match.correlation >= 0.9, match
    assert 0.2 <= match.lag_seconds <= 1.5, match
    ref = resample(reference, ref_rate, rate)
    speech = audio[match.lag : match.lag + len(ref)]
    after = audio[match.lag + len(ref) + rate // 5 :]
    assert len(after) > rate // 2, "no silence after the speech to compare with"
    speech_db, silence_db = rms_dbfs(speech), rms_dbfs(after)
    assert speech_db > -35, speech_db
    assert speech_db - silence_db >= 30, (speech_db, silence_db)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_and_keeps_everything(
    cli, session_id, virtual_mic, speech_wav, tmp_path, signum
):
    reference, ref_rate = read_mono(speech_wav)
    rec = cli.record(session_id, 60)
    started = rec.wait_started()
    player = virtual_mic.play(speech_wav)
    time.sleep(max(0.0, started + 3.0 - time.monotonic()))
    rec.proc.send_signal(signum)
    elapsed = time.monotonic() - started
    assert rec.wait(20) == 0, rec.stderr
    player.terminate()
    player.wait(5)
    assert rec.stdout.strip() == rec.recording_id
    assert "Stopping" in rec.stderr
    assert "Traceback" not in rec.stderr

    shown = cli.json("recording", "show", rec.recording_id)
    assert shown["status"] == "complete"
    assert shown["stop_reason"] == "user"
    assert shown["duration_seconds"] >= 2.0
    assert abs(shown["duration_seconds"] - elapsed) <= 0.5, (shown, elapsed)

    audio, rate = cli.export_wav(rec.recording_id, tmp_path / "stopped.wav")
    assert abs(len(audio) / rate - shown["duration_seconds"]) < 1e-6
    # What was kept is the beginning of what was said.
    match = best_lag_correlation(audio, reference, rate, ref_rate, max_lag_seconds=1.5)
    assert match.correlation >= 0.9, match


def test_devices_json_lists_the_virtual_microphone(cli):
    done = cli.run("devices", "--json")
    assert done.returncode == 0, done.stderr
    devices = json.loads(done.stdout)
    names = [d["name"] for d in devices]
    assert "pulse" in names, names
    pulse = next(d for d in devices if d["name"] == "pulse")
    assert pulse["channels"] >= 1
    assert pulse["default_rate"] > 0
    assert sum(d["is_default"] for d in devices) == 1


def test_record_from_a_named_device(cli, session_id, virtual_mic, tmp_path):
    wav = make_tone(tmp_path / "tone.wav", 3.0, freq=1000.0, rate=16000, amplitude=0.5)
    rec = cli.record(session_id, 3, "--device", "pulse")
    rec.wait_started()
    player = virtual_mic.play(wav)
    assert rec.wait(30) == 0, rec.stderr
    player.terminate()
    player.wait(5)
    shown = cli.json("recording", "show", rec.recording_id)
    assert shown["device_name"] == "pulse"
    assert shown["status"] == "complete"
    assert abs(shown["duration_seconds"] - 3.0) <= 0.1
    audio, rate = cli.export_wav(rec.recording_id, tmp_path / "tone-out.wav")
    assert rms_dbfs(audio) > -20
    assert abs(dominant_frequency(audio, rate) - 1000.0) < 10


# ------------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("device", ["Nonexistent USB Mic", "99"])
def test_unknown_device_is_one_clear_line_and_stores_nothing(cli, session_id, device):
    done = cli.run("record", "--encounter", session_id, "--seconds", "3", "--device", device)
    assert done.returncode not in (0, 1, 70), done
    assert done.stdout == ""
    assert_one_clear_line(done.stderr, device)
    assert cli.recordings() == []


def test_no_microphone_at_all(cli, session_id, tmp_path):
    # PulseAudio unreachable (no daemon on that socket, no autospawn): PortAudio finds
    # no input device at all, as on a machine whose only microphone is unplugged.
    folder = tmp_path / "no-pulse"
    folder.mkdir()
    (folder / "client.conf").write_text("autospawn = no\n")
    env = {k: v for k, v in cli.env.items() if not k.startswith("PULSE_")}
    env.update(
        PULSE_SERVER=f"unix:{folder / 'no-such-socket'}",
        PULSE_CLIENTCONFIG=str(folder / "client.conf"),
        PULSE_RUNTIME_PATH=str(folder / "runtime"),
        PULSE_STATE_PATH=str(folder / "state"),
        PULSE_COOKIE=str(folder / "cookie"),
    )
    devices = cli.run("devices", "--json", env=env)
    assert devices.returncode == 0, devices.stderr
    assert [d for d in json.loads(devices.stdout) if d["name"] in ("pulse", "default")] == []

    done = cli.run("record", "--encounter", session_id, "--seconds", "3", env=env)
    assert done.returncode == 10, done
    assert done.stdout == ""
    assert_one_clear_line(done.stderr, "No microphone was found")
    assert cli.recordings() == []


def test_unknown_session_exits_3_and_stores_nothing(cli, session_id):
    for bad in ("no-such-session", "00000000-0000-0000-0000-000000000000"):
        done = cli.run("record", "--encounter", bad, "--seconds", "2")
        assert done.returncode == 3, done
        assert_one_clear_line(done.stderr, bad)
    assert cli.recordings() == []


def _corrupt_files(folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(5)
    signal_ = 0.3 * np.sin(2 * np.pi * 440 * np.arange(10 * 16000) / 16000)
    noisy = signal_ + 0.01 * rng.standard_normal(len(signal_))
    files = {"random.wav": folder / "random.wav"}
    files["random.wav"].write_bytes(rng.bytes(200_000))
    whole = write_wav(folder / "whole.wav", signal_, 16000).read_bytes()
    files["truncated.wav"] = folder / "truncated.wav"
    files["truncated.wav"].write_bytes(whole[: len(whole) // 2])
    flac = folder / "whole.flac"
    import soundfile

    soundfile.write(flac, noisy, 16000, subtype="PCM_16")
    data = bytearray(flac.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 20_000] = rng.bytes(20_000)
    files["damaged.flac"] = folder / "damaged.flac"
    files["damaged.flac"].write_bytes(bytes(data))
    return files


def test_import_of_a_corrupt_file_stores_nothing(cli, session_id, tmp_path):
    for name, path in _corrupt_files(tmp_path).items():
        done = cli.run("recording", "import", "--encounter", session_id, str(path))
        assert done.returncode == 2, (name, done)
        assert done.stdout == "", name
        assert_one_clear_line(done.stderr, path.name)
    assert cli.recordings() == []


# ------------------------------------------------------------------ device unplugged
def test_unplugged_microphone_ends_the_recording_and_keeps_the_audio(
    tmp_path, speech_wav, virtual_mic, template
):
    # A second, private daemon: killing it is the "unplug"; the session one is untouched.
    with VirtualMic() as unplugged:
        cli = Cli(tmp_path / "store", unplugged.client_env())
        session = cli.copy_of(template)
        rec = cli.record(session, 20)
        started = rec.wait_started()
        unplugged.play(speech_wav)
        time.sleep(max(0.0, started + 4.0 - time.monotonic()))
        assert unplugged.pid is not None
        os.kill(unplugged.pid, signal.SIGKILL)
        pulled = time.monotonic()
        code = rec.wait(15)
        ended = time.monotonic()
    assert code == 0, rec.stderr
    assert ended - pulled < 5.0, f"the recording ran on for {ended - pulled:.1f} s"
    assert "Traceback" not in rec.stderr
    assert "stopped sending audio" in rec.stderr  # the app says what happened
    shown = cli.json("recording", "show", rec.recording_id)
    assert shown["status"] == "complete"
    assert shown["stop_reason"] == "device-lost"
    elapsed = pulled - started
    assert elapsed - 1.0 <= shown["duration_seconds"] <= elapsed + 0.5, (shown, elapsed)
    audio, rate = cli.export_wav(rec.recording_id, tmp_path / "unplugged.wav")
    reference, ref_rate = read_mono(speech_wav)
    match = best_lag_correlation(audio, reference, rate, ref_rate, max_lag_seconds=1.5)
    assert match.correlation >= 0.9, match
    # The session microphone still works after the other one was unplugged.
    assert virtual_mic.running


def test_microphone_removed_from_the_sound_server_keeps_the_audio(
    tmp_path, speech_wav, virtual_mic, template
):
    # Unloading the source is what PulseAudio does when a USB microphone is pulled out:
    # it moves the capture stream to another source (here, one of the null devices), so
    # the recording may either go on from there or stop by itself as device-lost. Either
    # way: no crash, a complete recording, the speech before the unplug kept.
    with VirtualMic() as unplugged:
        cli = Cli(tmp_path / "store", unplugged.client_env())
        session = cli.copy_of(template)
        rec = cli.record(session, 6)
        started = rec.wait_started()
        unplugged.play(speech_wav)
        time.sleep(max(0.0, started + 3.0 - time.monotonic()))
        modules = unplugged.pactl("list", "short", "modules").splitlines()
        [module] = [m.split("\t")[0] for m in modules if "module-remap-source" in m]
        unplugged.pactl("unload-module", module)
        pulled = time.monotonic()
        assert rec.wait(15) == 0, rec.stderr
    assert "Traceback" not in rec.stderr
    shown = cli.json("recording", "show", rec.recording_id)
    assert shown["status"] == "complete"
    assert shown["stop_reason"] in ("user", "device-lost"), shown
    if shown["stop_reason"] == "user":  # moved to another source: recorded to the end
        assert abs(shown["duration_seconds"] - 6.0) <= 0.1, shown
    else:
        assert shown["duration_seconds"] >= pulled - started - 1.0, shown
    audio, rate = cli.export_wav(rec.recording_id, tmp_path / "moved.wav")
    reference, ref_rate = read_mono(speech_wav)
    before = audio[: round((pulled - started) * rate)]
    match = best_lag_correlation(before, reference, rate, ref_rate, max_lag_seconds=1.0)
    assert match.correlation >= 0.9, match
