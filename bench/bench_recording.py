"""Recording benchmark (issue 3): recorder CPU, overflows under load, loss at a kill, storage.

    .venv/bin/python -m bench.bench_recording [--json out.json]     # full run, ~15 min
    .venv/bin/python -m bench.bench_recording --quick                # smoke run, ~3 min

The microphone is the test suite's virtual one (``tests/e2e/virtual_mic.py``): a private
PulseAudio daemon started by this script, whose ``vmic`` source is fed with ``paplay``.
Here it runs at 48 kHz (``feed_rate``), so full-band noise reaches the recorder.

* **CPU** — process CPU (user + system, from ``wait4``) of a real ``relations-desktop
  record --seconds 65`` minus that of a ``record --seconds 5`` (start-up, unlock and
  shutdown cancel out), per minute of the difference, as % of one core. Speech with a
  room-noise floor is playing into the microphone in both. Per-thread CPU (from
  ``/proc``) during the long run splits it into the CLI loop, libpulse's client thread
  and the recorder's own threads.
* **Overflows under load** — one busy-loop process per core (same niceness as the
  recorder) while ``record --seconds 600`` (``--quick``: 60) runs with audio playing:
  the recording's ``overflow_count``, the dropped seconds the CLI reports, and the wall
  time per second of audio taken, from the CLI's progress lines (audio lost upstream
  without being reported as an overflow would make it exceed 1).
* **Loss at a kill** — ``record`` killed with SIGKILL at random points, and at points
  just after a whole second (0.00–0.08 s after, where the ~1 s chunk being gathered is
  nearly complete: the worst case); the loss is the wall time between the "Recording"
  line (printed once the input stream runs) and the kill, minus the duration of the
  recording as recovered by the next unlock.
* **Storage** — bytes of the stored FLAC chunks per second of audio recorded through
  the microphone by the real capture path (``RecordingService.start``, in this process,
  with the device opened at 48 kHz; the CLI opens the device at its default rate, which
  is 44.1 kHz for ALSA's ``pulse`` device, also measured), extrapolated to MB per hour.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.speech import make_speech, read_mono, write_wav  # noqa: E402
from tests.e2e.virtual_mic import VirtualMic  # noqa: E402

PASSPHRASE = "bench kitchen table methadone bairns"
RATE = 48_000
NOISE_DBFS = -60.0
GOAL_CPU_PERCENT = 3.0
GOAL_OVERFLOWS = 0
GOAL_KILL_LOSS_SECONDS = 1.0
GOAL_MB_PER_HOUR = 120.0

SENTENCES = [
    "So the health visitor came round on Tuesday, about ten in the morning.",
    "We talked about the nursery, and whether the wee one could start in August.",
    "I had my script picked up on the Monday, so that was fine.",
    "She asked about the bairns' routines, bedtimes, and who looks after them when I am at the clinic.",  # noqa: E501
    "My mum helps out a lot, to be honest, she has them most weekends.",
    "The social worker said the case conference would be next month.",
    "It is hard, you know, when everybody is watching what you do.",
    "But I have been doing well, two years now without using.",
]


# ---------------------------------------------------------------------- audio material
def pink_noise(seconds: float, rate: int, dbfs: float, seed: int = 7) -> np.ndarray:
    """Noise with a 1/f power spectrum (pink-ish), at ``dbfs`` RMS."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    freqs[0] = freqs[1]
    spectrum /= np.sqrt(freqs)
    x = np.fft.irfft(spectrum, n)
    x *= 10 ** (dbfs / 20) / np.sqrt(np.mean(x * x))
    return x


def make_material(folder: Path, seconds: float) -> tuple[dict[str, Path], float]:
    """Interview-like speech with pauses at 48 kHz, the same with a noise floor, noise only."""
    rng = random.Random(3)
    parts: list[np.ndarray] = []
    clips = []
    for i, text in enumerate(SENTENCES):
        path = make_speech(text, folder / f"s{i}.wav", rate=RATE, words_per_minute=150)
        clips.append(read_mono(path)[0])
    total = 0
    i = 0
    while total < seconds * RATE:
        clip = clips[i % len(clips)]
        pause = np.zeros(round(rng.uniform(0.4, 2.0) * RATE))
        parts += [clip, pause]
        total += len(clip) + len(pause)
        i += 1
    speech = np.concatenate(parts)[: round(seconds * RATE)]
    noise = pink_noise(seconds, RATE, NOISE_DBFS)
    # Share of 50 ms frames with speech in them (louder than -40 dBFS).
    frames = speech[: len(speech) // 2400 * 2400].reshape(-1, 2400)
    talk = float(np.mean(np.sqrt(np.mean(frames * frames, axis=1)) > 10 ** (-40 / 20)))
    paths = {
        "speech": write_wav(folder / "speech.wav", speech, RATE),
        "speech+noise": write_wav(folder / "speech_noise.wav", speech + noise, RATE),
        "noise": write_wav(folder / "noise.wav", noise, RATE),
    }
    return paths, round(talk, 3)


class Looper:
    """Plays a WAV into the microphone again and again until stopped."""

    def __init__(self, mic: VirtualMic, wav: Path) -> None:
        self._mic = mic
        self._wav = wav
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._proc = self._mic.play(self._wav)
            self._proc.wait()

    def stop(self) -> None:
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
        self._thread.join(5)


# ----------------------------------------------------------------------- the CLI
class Cli:
    def __init__(self, store: Path, env: dict[str, str]) -> None:
        self.store = store
        self.env = {**env, "RELATIONS_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT)}

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "relations_desktop", "--store", str(self.store), *args]

    def ok(self, *args: str) -> str:
        done = subprocess.run(
            self.argv(*args), env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} → {done.returncode}: {done.stderr.strip()}")
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def new_store(self) -> str:
        self.ok("init", "--researcher-name", "Bench")
        return self.ok("encounter", "add", "--type", "home-visit", "--title", "Bench").strip()


class Recording:
    """A ``record`` subprocess whose stderr lines are timestamped as they arrive."""

    START = re.compile(r"^Recording (\S+) at (\d+) Hz")

    def __init__(self, cli: Cli, encounter: str, seconds: float) -> None:
        self.proc = subprocess.Popen(
            cli.argv("record", "--encounter", encounter, "--seconds", f"{seconds:g}"),
            env=cli.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self.started_at: float | None = None
        self.recording_id = ""
        self._started = threading.Event()
        self.stdout = ""
        self._threads = [
            threading.Thread(target=self._read_err, daemon=True),
            threading.Thread(target=self._read_out, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            now = time.monotonic()
            self.lines.append((now, line.rstrip("\n")))
            match = self.START.match(line)
            if match and self.started_at is None:
                self.started_at = now
                self.recording_id = match.group(1)
                self._started.set()
        self._started.set()

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()

    def wait_started(self, timeout: float = 30) -> float:
        self._started.wait(timeout)
        if self.started_at is None:
            self.proc.kill()
            raise RuntimeError(f"record did not start: {self.stderr()}")
        return self.started_at

    def wait_with_usage(self) -> tuple[int, float]:
        """Exit code and CPU seconds (user + system) of the process, via wait4."""
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        for t in self._threads:
            t.join(10)
        return self.proc.returncode, usage.ru_utime + usage.ru_stime

    def stderr(self) -> str:
        return "\n".join(text for _, text in self.lines)


# -------------------------------------------------------------------- measurements
def measure_cpu(cli: Cli, mic: VirtualMic, encounter: str, wav: Path, long_s: float) -> dict:
    short_s = 5.0
    runs: dict[str, list[dict[str, float]]] = {"short": [], "long": []}
    threads: dict[str, float] = {}
    for kind, seconds in (("short", short_s), ("long", long_s), ("short", short_s)):
        rec = Recording(cli, encounter, seconds)
        started = rec.wait_started()
        looper = Looper(mic, wav)
        if kind == "long":
            threads = thread_cpu_between(rec.proc.pid, started + 3, started + seconds - 3)
        code, cpu = rec.wait_with_usage()
        looper.stop()
        if code != 0:
            raise RuntimeError(f"record exited {code}: {rec.stderr()}")
        duration = cli.json("recording", "show", rec.recording_id)["duration_seconds"]
        runs[kind].append({"seconds": duration, "cpu_seconds": round(cpu, 3)})
        print(f"  record {seconds:g} s: {cpu:.2f} s CPU for {duration:.2f} s of audio")
    short_cpu = statistics.mean(r["cpu_seconds"] for r in runs["short"])
    short_len = statistics.mean(r["seconds"] for r in runs["short"])
    long_run = runs["long"][0]
    per_second = (long_run["cpu_seconds"] - short_cpu) / (long_run["seconds"] - short_len)
    print(f"  → {per_second * 100:.2f} % of one core")
    print("  by thread (% of one core): " + ", ".join(f"{k} {v}" for k, v in threads.items()))
    return {
        "method": "process CPU (wait4 user+sys) of `record --seconds 65` minus `--seconds 5`",
        "runs": runs,
        "threads_percent_of_one_core": threads,
        "cpu_seconds_per_minute": round(per_second * 60, 3),
        "percent_of_one_core": round(per_second * 100, 2),
        "goal_percent": GOAL_CPU_PERCENT,
    }


def _thread_times(pid: int) -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of each thread of ``pid``, with its kernel name."""
    tick = os.sysconf("SC_CLK_TCK")
    times = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        times[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return times


def thread_cpu_between(pid: int, start: float, end: float) -> dict[str, float]:
    """% of one core used by each kind of thread of ``pid`` between two monotonic times.

    The main thread runs the CLI's wait loop; ``threaded-ml`` is libpulse's client
    thread (ALSA's ``pulse`` plug-in, i.e. the audio system's side of the process); the
    other Python threads are the PortAudio callback and the recorder's writer (Python
    does not name its threads for the kernel, so these two are reported together).
    """
    time.sleep(max(0.0, start - time.monotonic()))
    first = _thread_times(pid)
    began = time.monotonic()
    time.sleep(max(0.0, end - time.monotonic()))
    last = _thread_times(pid)
    window = time.monotonic() - began
    groups: dict[str, float] = {}
    for tid, (name, cpu) in last.items():
        used = cpu - first.get(tid, (name, 0.0))[1]
        if tid == pid:
            kind = "main (CLI loop)"
        elif name == "threaded-ml":
            kind = "libpulse client"
        else:
            kind = "callback + writer"
        groups[kind] = groups.get(kind, 0.0) + used
    return {k: round(100 * v / window, 2) for k, v in sorted(groups.items())}


@contextmanager
def busy_cores(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def measure_overflows(
    cli: Cli, mic: VirtualMic, encounter: str, wav: Path, seconds: float
) -> dict[str, Any]:
    cores = os.cpu_count() or 2
    with busy_cores(max(2, cores)) as procs:
        time.sleep(1.0)
        rec = Recording(cli, encounter, seconds)
        started = rec.wait_started(60)
        looper = Looper(mic, wav)
        code, cpu = rec.wait_with_usage()
        ended = time.monotonic()
        looper.stop()
        busy_cpu = []
        for p in procs:
            try:
                stat = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
                busy_cpu.append((int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK"))
            except (OSError, IndexError, ValueError):
                busy_cpu.append(float("nan"))
    if code != 0:
        raise RuntimeError(f"record under load exited {code}: {rec.stderr()}")
    shown = cli.json("recording", "show", rec.recording_id)
    dropped = 0.0
    match = re.search(r"\(([\d.]+) s of audio could not be kept\)", rec.stderr())
    if match:
        dropped = float(match.group(1))
    wall = ended - started
    slope = wall_per_audio_second(rec.lines)
    print(
        f"  {shown['duration_seconds']:.2f} s stored in {wall:.2f} s wall time, "
        f"{shown['overflow_count']} overflows, {dropped:.2f} s dropped; "
        f"wall seconds per audio second {slope:.5f}"
    )
    return {
        "load_processes": len(procs),
        "busy_loop_cpu_seconds": [round(c, 1) for c in busy_cpu],
        "asked_seconds": seconds,
        "recorded_seconds": shown["duration_seconds"],
        "wall_seconds_start_line_to_exit": round(wall, 2),
        "wall_seconds_per_audio_second": round(slope, 5),
        "overflow_count": shown["overflow_count"],
        "dropped_seconds": dropped,
        "recorder_cpu_percent_of_one_core_under_load": round(100 * cpu / wall, 2),
        "status": shown["status"],
        "stop_reason": shown["stop_reason"],
        "goal_overflows": GOAL_OVERFLOWS,
    }


def wall_per_audio_second(lines: list[tuple[float, str]]) -> float:
    """Wall time per second of audio taken, from the CLI's once-a-second progress lines.

    1.0 means the audio kept up with the clock: no audio went missing upstream of the
    recorder without being reported (start-up and shutdown are outside the window).
    """
    points = [
        (when, int(m.group(1)))
        for when, text in lines
        if (m := re.match(r"^\s+(\d+) s  level", text))
    ]
    (t0, n0), (t1, n1) = points[min(2, len(points) - 2)], points[-1]
    return (t1 - t0) / (n1 - n0) if n1 > n0 else float("nan")


def measure_kill_loss(
    cli: Cli,
    mic: VirtualMic,
    encounter: str,
    wav: Path,
    kills: int,
    seed: int,
    boundary_kills: int = 0,
) -> dict[str, Any]:
    rng = random.Random(seed)
    # Random points, then points just after a whole second (the chunk boundaries, counted
    # from the start line): there the chunk being gathered is nearly complete.
    points = [("random", rng.uniform(1.5, 9.5)) for _ in range(kills)]
    points += [("boundary", 3 + i + 0.02 * i) for i in range(boundary_kills)]
    rows = []
    for kind, at in points:
        rec = Recording(cli, encounter, 60)
        started = rec.wait_started()
        looper = Looper(mic, wav)
        time.sleep(max(0.0, started + at - time.monotonic()))
        killed = time.monotonic()
        rec.proc.send_signal(signal.SIGKILL)
        rec.wait_with_usage()
        looper.stop()
        last_progress = 0.0
        for when, text in rec.lines:
            progress = re.match(r"^\s+(\d+) s  level", text)
            if progress and when <= killed:
                last_progress = float(progress.group(1))
        shown = cli.json("recording", "show", rec.recording_id)
        elapsed = killed - started
        rows.append(
            {
                "kind": kind,
                "elapsed_at_kill": round(elapsed, 3),
                "last_progress_line": last_progress,
                "recovered_seconds": shown["duration_seconds"],
                "status": shown["status"],
                "loss_seconds": round(elapsed - shown["duration_seconds"], 3),
            }
        )
        print(
            f"  {kind:8s} kill at {elapsed:5.2f} s → recovered {shown['duration_seconds']:5.2f} s "
            f"({shown['status']}), loss {rows[-1]['loss_seconds']:.2f} s"
        )
    losses = [r["loss_seconds"] for r in rows if r["kind"] == "random"]
    return {
        "kills": rows,
        "all_recovered": all(r["status"] == "recovered" for r in rows),
        "max_loss_seconds": max(losses),
        "median_loss_seconds": round(statistics.median(losses), 3),
        "max_loss_seconds_boundary_kills": max(
            (r["loss_seconds"] for r in rows if r["kind"] == "boundary"), default=None
        ),
        "goal_max_loss_seconds": GOAL_KILL_LOSS_SECONDS,
    }


def measure_storage(
    mic: VirtualMic,
    folder: Path,
    material: dict[str, Path],
    seconds: float,
    cli: Cli,
    encounter: str,
) -> dict[str, Any]:
    # In this process: sounddevice must be imported after the environment is set.
    from relations_desktop.core.audio.devices import SoundDeviceBackend
    from relations_desktop.core.services import StoreService

    class FixedRateBackend(SoundDeviceBackend):
        """The real backend, opening the device at a chosen rate."""

        def __init__(self, rate: int) -> None:
            super().__init__()
            self._rate = rate

        def input_rate(self, device: str | int | None) -> tuple[int, str]:
            _, name = super().input_rate(device)
            return self._rate, name

    def per_hour(size: int, duration: float) -> float:
        return size / duration * 3600 / 1e6

    results: dict[str, Any] = {}
    service = StoreService.create(folder / "storage-store", PASSPHRASE, researcher_name="Bench")
    try:
        enc = service.add_encounter("home-visit", "Storage").id
        for name in ("speech", "speech+noise", "noise", "silence"):
            active = service.recordings.start(enc, backend=FixedRateBackend(RATE))
            player = mic.play(material[name]) if name != "silence" else None
            deadline = time.monotonic() + seconds
            while active.recorder.position_seconds < seconds and time.monotonic() < deadline + 5:
                time.sleep(0.05)
            service.recordings.stop()
            if player is not None:
                player.terminate()
                player.wait()
            rec = service.recordings.get(active.recording_id)
            results[f"{name} @48k"] = {
                "seconds": rec.duration_seconds,
                "bytes": rec.size_bytes,
                "bytes_per_second": round(rec.size_bytes / rec.duration_seconds),
                "mb_per_hour": round(per_hour(rec.size_bytes, rec.duration_seconds), 1),
                "overflows": rec.overflow_count,
            }
            print(f"  {name:13s} @48k: {results[f'{name} @48k']['mb_per_hour']:6.1f} MB/h")
    finally:
        service.close()
    # The CLI, at the device's default rate.
    rec = Recording(cli, encounter, seconds)
    rec.wait_started()
    player = mic.play(material["speech+noise"])
    code, _ = rec.wait_with_usage()
    player.terminate()
    player.wait()
    if code != 0:
        raise RuntimeError(f"record exited {code}: {rec.stderr()}")
    shown = cli.json("recording", "show", rec.recording_id)
    key = f"speech+noise @{shown['sample_rate'] // 1000}k (CLI default rate)"
    results[key] = {
        "seconds": shown["duration_seconds"],
        "bytes": shown["size_bytes"],
        "bytes_per_second": round(shown["size_bytes"] / shown["duration_seconds"]),
        "mb_per_hour": round(per_hour(shown["size_bytes"], shown["duration_seconds"]), 1),
        "overflows": shown["overflow_count"],
    }
    print(f"  {key}: {results[key]['mb_per_hour']:6.1f} MB/h")
    # For scale: plain 16-bit PCM at 48 kHz mono.
    results["uncompressed_pcm_48k_mb_per_hour"] = round(RATE * 2 * 3600 / 1e6, 1)
    results["goal_mb_per_hour"] = GOAL_MB_PER_HOUR
    return results


# ------------------------------------------------------------------------ the run
def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "unknown"
    import soundfile

    pulse = subprocess.run(["pulseaudio", "--version"], capture_output=True, text=True)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "libsndfile": soundfile.__libsndfile_version__,
        "pulseaudio": pulse.stdout.strip(),
    }


def step(title: str, fn: Callable[[], Any]) -> Any:
    print(f"\n{title}", flush=True)
    began = time.monotonic()
    result = fn()
    print(f"  ({time.monotonic() - began:.0f} s)", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results here")
    parser.add_argument("--kills", type=int, help="kill -9 trials (default 10, quick 4)")
    parser.add_argument("--load-seconds", type=float, help="recording under load (600/60)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    kills = args.kills or (4 if args.quick else 10)
    load_seconds = args.load_seconds or (60.0 if args.quick else 600.0)
    long_seconds = 35.0 if args.quick else 65.0
    storage_seconds = 15.0 if args.quick else 30.0

    ok, why = VirtualMic.available()
    if not ok:
        print(f"Cannot run: {why}", file=sys.stderr)
        return 1
    results: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join(["python -m bench.bench_recording", *(argv or sys.argv[1:])]),
        "quick": args.quick,
    }
    with (
        tempfile.TemporaryDirectory(prefix="bench-rec-") as tmp,
        VirtualMic(feed_rate=RATE) as mic,
        mic.apply_to_os_environ(),
    ):
        folder = Path(tmp)
        material, talk = make_material(folder, 40.0)
        results["material"] = {
            "seconds": 40.0,
            "talk_fraction": talk,
            "noise_floor_dbfs": NOISE_DBFS,
            "feed_rate": RATE,
        }
        cli = Cli(folder / "store", dict(os.environ))
        encounter = cli.new_store()
        m = results["machine"]
        print(f"Recording benchmark  {m['date']}  ({m['cores']} cores, {m['cpu']})")
        results["cpu"] = step(
            "CPU of the recorder (record 65 s − record 5 s)",
            lambda: measure_cpu(cli, mic, encounter, material["speech+noise"], long_seconds),
        )
        results["load"] = step(
            f"Overflows: record {load_seconds:g} s with every core busy",
            lambda: measure_overflows(cli, mic, encounter, material["speech+noise"], load_seconds),
        )
        boundary = 2 if args.quick else 5
        results["kill"] = step(
            f"Loss at kill -9 ({kills} random kills, {boundary} just after a whole second)",
            lambda: measure_kill_loss(
                cli, mic, encounter, material["speech+noise"], kills, args.seed, boundary
            ),
        )
        results["storage"] = step(
            "Storage per hour",
            lambda: measure_storage(mic, folder, material, storage_seconds, cli, encounter),
        )
    summary = {
        "cpu_percent_of_one_core": results["cpu"]["percent_of_one_core"],
        "overflows_under_load": results["load"]["overflow_count"],
        "dropped_seconds_under_load": results["load"]["dropped_seconds"],
        "max_kill_loss_seconds": results["kill"]["max_loss_seconds"],
        "median_kill_loss_seconds": results["kill"]["median_loss_seconds"],
        "max_kill_loss_seconds_at_boundaries": results["kill"]["max_loss_seconds_boundary_kills"],
        "speech_noise_mb_per_hour_48k": results["storage"]["speech+noise @48k"]["mb_per_hour"],
    }
    results["summary"] = summary
    print("\nSummary")
    for key, value in summary.items():
        print(f"  {key:32s} {value}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nWritten to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
