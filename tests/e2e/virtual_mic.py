"""A virtual microphone (and speaker) for end-to-end tests: a private PulseAudio daemon.

Recipe from ``/work/shared/STACK-NOTES.md`` ("A virtual microphone for tests"):

* sink ``vmic_feed`` (16 kHz mono) — play speech into it with :meth:`VirtualMic.play`;
* source ``vmic`` — a remap of ``vmic_feed.monitor``: the microphone (default source);
* sink ``vspk`` — the speaker (default sink); :meth:`VirtualMic.record_speaker` records
  its monitor with ``parec``;
* a ``vclock`` null source looped into both sinks, then a suspend/unsuspend, so an idle
  null sink does not run in 2 s blocks (without it a capture starts up to 2 s late).

Everything the daemon and its clients write lives in one temporary folder (``HOME``,
``XDG_RUNTIME_DIR``, ``PULSE_RUNTIME_PATH``, ``PULSE_STATE_PATH``, ``PULSE_COOKIE``);
nothing touches the real home folder, and no D-Bus or audio hardware is needed.

How an application reaches it (Debian's PortAudio has no PulseAudio backend): through
ALSA's ``pulse`` device (``libasound2-plugins``, a hard dependency of ``pulseaudio``), so
record with ``sounddevice`` and ``device="pulse"``. While a daemon is reachable, ALSA's
``default`` device is routed to PulseAudio as well (``/etc/alsa/conf.d/99-pulse.conf``,
evaluated when ALSA loads its configuration, i.e. when PortAudio initialises).

PortAudio lists devices once, when ``sounddevice`` is imported. Either set :attr:`env`
in ``os.environ`` before the first ``import sounddevice`` in a process (subprocesses:
pass ``env=``), or re-initialise PortAudio afterwards — :func:`reinitialise_portaudio`
(``sounddevice._terminate(); sounddevice._initialize()``, checked to work with
sounddevice 0.5.6; no stream may be open while doing it).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterator, Mapping
from pathlib import Path

FEED_SINK = "vmic_feed"
MIC_SOURCE = "vmic"
SPEAKER_SINK = "vspk"
SPEAKER_MONITOR = "vspk.monitor"
FEED_RATE = 16000

REQUIRED_PROGRAMS = ("pulseaudio", "pactl", "paplay", "parec")

# Variables a PulseAudio client needs (set by :attr:`VirtualMic.env`).
CLIENT_VARIABLES = (
    "PULSE_SERVER",
    "PULSE_COOKIE",
    "PULSE_CLIENTCONFIG",
    "PULSE_RUNTIME_PATH",
    "PULSE_STATE_PATH",
)

_DAEMON_FLAGS = (
    "-n",  # no default script: only ours
    "--daemonize=yes",
    "--use-pid-file=yes",
    "--exit-idle-time=-1",
    "--realtime=no",
    "--high-priority=no",
    "--no-cpu-limit=yes",  # a busy CI machine must not get the daemon killed by RLIMIT_CPU
    "--disable-shm=yes",  # no /dev/shm needed (small or missing in containers)
    "--system=no",
)

# Kills the daemon and removes its folder when the test process goes away, however it
# goes (even os._exit or SIGKILL, which skip atexit): it waits for EOF on its stdin.
_WATCHDOG = r"""
import os, shutil, signal, sys, time
pid_file, folder = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.stdin.buffer.read()
try:
    pid = int(open(pid_file).read().split()[0])
    if open(f"/proc/{pid}/comm").read().strip() == "pulseaudio":
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
except (OSError, ValueError, IndexError):
    pass
shutil.rmtree(folder, ignore_errors=True)
"""


class VirtualMicError(RuntimeError):
    """The virtual microphone could not be started, used or stopped."""


def process_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (``kill -0`` succeeds on zombies)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    for line in status.splitlines():
        if line.startswith("State:"):
            return "Z" not in line.split()[1] and "X" not in line.split()[1]
    return True


def _is_pulseaudio(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "pulseaudio"
    except OSError:
        return False


def reinitialise_portaudio() -> None:
    """Make an already imported ``sounddevice`` list devices again (new environment).

    A no-op if ``sounddevice`` was never imported in this process (the first import will
    read the environment). Uses sounddevice's private ``_terminate``/``_initialize``;
    every stream must be closed first.
    """
    sd = sys.modules.get("sounddevice")
    if sd is None:
        return
    sd._terminate()
    sd._initialize()


def sounddevice_names() -> list[str]:
    """Names of the PortAudio devices this process sees now."""
    import sounddevice as sd

    return [str(d["name"]) for d in sd.query_devices()]


class SpeakerRecording:
    """A ``parec`` capture of the virtual speaker running in the background.

    Reads exactly ``seconds`` of raw audio from ``parec`` (so the length does not depend
    on how fast parec is stopped), then writes ``path`` as a 16-bit WAV.
    """

    def __init__(
        self, env: Mapping[str, str], seconds: float, path: Path, rate: int, channels: int
    ) -> None:
        self.path = path
        self.rate = rate
        self.channels = channels
        self.seconds = seconds
        self._wanted = round(seconds * rate) * channels * 2
        self._data = bytearray()
        self._error: BaseException | None = None
        self._proc = subprocess.Popen(
            [
                "parec",
                f"--device={SPEAKER_MONITOR}",
                "--raw",
                "--format=s16le",
                f"--rate={rate}",
                f"--channels={channels}",
                "--latency-msec=20",
            ],
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._thread = threading.Thread(target=self._read, name="parec-reader", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            assert self._proc.stdout is not None
            while len(self._data) < self._wanted:
                chunk = self._proc.stdout.read1(self._wanted - len(self._data))
                if not chunk:
                    break
                self._data += chunk
        except BaseException as exc:  # reported by wait()
            self._error = exc
        finally:
            self._terminate()

    def _terminate(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def wait(self, timeout: float | None = None) -> Path:
        """Wait for the capture to finish; returns the WAV path."""
        limit = self.seconds + 5 if timeout is None else timeout
        self._thread.join(limit)
        if self._thread.is_alive():
            self._terminate()
            self._thread.join(2)
        stderr = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
        if self._error is not None:
            raise VirtualMicError(f"parec failed: {self._error}") from self._error
        if len(self._data) < self._wanted:
            raise VirtualMicError(
                f"parec delivered {len(self._data)} of {self._wanted} bytes in time; "
                f"stderr: {stderr.strip()}"
            )
        with wave.open(str(self.path), "wb") as out:
            out.setnchannels(self.channels)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            out.writeframes(bytes(self._data[: self._wanted]))
        return self.path

    def stop(self) -> None:
        """Abandon the capture (no file is written)."""
        self._terminate()
        self._thread.join(2)


class VirtualMic:
    """A private PulseAudio daemon with a virtual microphone ``vmic`` and speaker ``vspk``.

    ``with VirtualMic() as mic:`` starts and stops it; or call :meth:`start` and
    :meth:`stop`. A started daemon is also stopped at interpreter exit (``atexit``) and,
    should the process die without running ``atexit``, by a small watchdog process.
    """

    def __init__(
        self, base_dir: str | os.PathLike[str] | None = None, *, feed_rate: int = FEED_RATE
    ) -> None:
        self._base_dir = base_dir
        # The microphone's native rate (``vmic_feed`` and the ``vclock`` that paces it):
        # 16 kHz by default; 48 kHz lets a benchmark feed full-band audio.
        self.feed_rate = feed_rate
        self.dir: Path | None = None
        self.pid: int | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    # ---------------------------------------------------------------- lifecycle
    @classmethod
    def available(cls) -> tuple[bool, str]:
        """Whether PulseAudio can run here: (True, "") or (False, why not).

        Checks the programs and starts (then stops) a bare daemon with only the native
        protocol, so a mistake in this harness's own module setup is *not* reported as
        "unavailable" but fails loudly in :meth:`start`.
        """
        if not sys.platform.startswith("linux"):
            return False, f"PulseAudio virtual microphone needs Linux, not {sys.platform}"
        missing = [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
        if missing:
            return False, (
                f"PulseAudio programs missing: {', '.join(missing)} "
                "(Debian: apt-get install pulseaudio)"
            )
        probe = cls()
        try:
            probe._start(minimal=True)
        except VirtualMicError as exc:
            return False, f"PulseAudio daemon cannot start here: {exc}"
        finally:
            probe.stop()
        return True, ""

    def start(self) -> VirtualMic:
        """Start the daemon with the virtual devices; returns self."""
        self._start(minimal=False)
        return self

    def _start(self, *, minimal: bool) -> None:
        if self.running:
            raise VirtualMicError("already running")
        base = self._base_dir
        if base is None and len(tempfile.gettempdir()) > 60:
            base = "/tmp"  # a unix socket path must stay under 108 bytes
        folder = Path(tempfile.mkdtemp(prefix="vmic-", dir=base))
        self.dir = folder
        atexit.register(self.stop)
        try:
            self._launch(folder, minimal)
        except BaseException:
            self.stop()
            raise

    def _launch(self, folder: Path, minimal: bool) -> None:
        (folder / "client.conf").write_text("autospawn = no\nenable-shm = no\n")
        (folder / "default.pa").write_text(self._script(minimal))
        log = folder / "daemon.log"
        self._start_watchdog()
        try:
            done = subprocess.run(
                [
                    "pulseaudio",
                    *_DAEMON_FLAGS,
                    "-F",
                    str(folder / "default.pa"),
                    f"--log-target=file:{log}",
                ],
                env=self._daemon_env(),
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise VirtualMicError(f"pulseaudio did not start: {exc}") from exc
        if done.returncode != 0:
            detail = self._log_tail() or done.stderr.strip()
            raise VirtualMicError(f"pulseaudio exited with {done.returncode}: {detail}")
        self.pid = self._read_pid()
        if self.pid is None or not process_alive(self.pid):
            raise VirtualMicError(f"pulseaudio daemon is not running: {self._log_tail()}")
        self._wait_for_socket()
        if not minimal:
            # The timing fix: wake the null sinks up so they follow the 20 ms loopbacks.
            for sink in (FEED_SINK, SPEAKER_SINK):
                self.pactl("suspend-sink", sink, "1")
                self.pactl("suspend-sink", sink, "0")
            self._verify()

    def _verify(self) -> None:
        """Check the devices exist (the daemon ignores failing lines of its script)."""
        sinks = self._names("sinks")
        sources = self._names("sources")
        problems = [f"no sink {n}" for n in (FEED_SINK, SPEAKER_SINK) if n not in sinks]
        problems += [f"no source {n}" for n in (MIC_SOURCE, "vclock") if n not in sources]
        info = self.pactl("info")
        for line in (f"Default Sink: {SPEAKER_SINK}", f"Default Source: {MIC_SOURCE}"):
            if line not in info.splitlines():
                problems.append(f"not set: {line}")
        # Each sink plays exactly one vclock loopback (the timing fix).
        ids = {i: n for i, n in self._ids("sinks").items() if n in (FEED_SINK, SPEAKER_SINK)}
        inputs = [ids.get(line.split("\t")[1]) for line in self._short("sink-inputs")]
        for sink in (FEED_SINK, SPEAKER_SINK):
            if inputs.count(sink) != 1:
                problems.append(f"{inputs.count(sink)} vclock loopbacks on {sink}")
        if problems:
            raise VirtualMicError(
                f"bad PulseAudio setup: {'; '.join(problems)}. Log: {self._log_tail()}"
            )

    def _short(self, kind: str) -> list[str]:
        return [line for line in self.pactl("list", "short", kind).splitlines() if line]

    def _ids(self, kind: str) -> dict[str, str]:
        return {f[0]: f[1] for f in (line.split("\t") for line in self._short(kind))}

    def _names(self, kind: str) -> set[str]:
        return set(self._ids(kind).values())

    def _script(self, minimal: bool) -> str:
        assert self.dir is not None
        lines = [
            ".fail",
            "load-module module-native-protocol-unix auth-anonymous=1 "
            f"socket={self.dir / 'native'}",
        ]
        rate = self.feed_rate
        if not minimal:
            lines += [
                f"load-module module-null-sink sink_name={FEED_SINK} rate={rate} channels=1",
                f"load-module module-remap-source master={FEED_SINK}.monitor "
                f"source_name={MIC_SOURCE}",
                f"load-module module-null-sink sink_name={SPEAKER_SINK}",
                # Defaults *before* the loopbacks: changing the default sink moves every
                # stream without an explicit target, the vclock loopback included.
                f"set-default-source {MIC_SOURCE}",
                f"set-default-sink {SPEAKER_SINK}",
                f"load-module module-null-source source_name=vclock rate={rate} channels=1",
                *(
                    f"load-module module-loopback source=vclock sink={sink} latency_msec=20 "
                    "source_dont_move=true sink_dont_move=true"
                    for sink in (FEED_SINK, SPEAKER_SINK)
                ),
            ]
        return "\n".join(lines) + "\n"

    def _daemon_env(self) -> dict[str, str]:
        assert self.dir is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PULSE_", "DBUS_"))}
        env.pop("DISPLAY", None)
        env.update(
            HOME=str(self.dir),
            XDG_RUNTIME_DIR=str(self.dir),
            XDG_CONFIG_HOME=str(self.dir / ".config"),
            PULSE_RUNTIME_PATH=str(self.dir),
            PULSE_STATE_PATH=str(self.dir),
            PULSE_COOKIE=str(self.dir / "cookie"),
            PULSE_CLIENTCONFIG=str(self.dir / "client.conf"),
        )
        return env

    def _start_watchdog(self) -> None:
        assert self.dir is not None
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(self.dir / "pid"), str(self.dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _read_pid(self) -> int | None:
        assert self.dir is not None
        try:
            return int((self.dir / "pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _wait_for_socket(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            done = subprocess.run(
                ["pactl", "info"],
                env=self.client_env(),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                detail = self._log_tail()
                raise VirtualMicError(f"pactl cannot reach the daemon: {done.stderr} {detail}")
            time.sleep(0.05)

    def _log_tail(self, lines: int = 15) -> str:
        if self.dir is None:
            return ""
        try:
            text = (self.dir / "daemon.log").read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the daemon (found by its pid file) and remove the folder. Idempotent.

        Waits until the process is gone or a zombie (a daemonised process is reaped by
        init, sometimes late); SIGKILL after ``timeout``. Raises VirtualMicError if the
        daemon survives even that.
        """
        atexit.unregister(self.stop)
        survivor: int | None = None
        if self.dir is not None:
            pid = self._read_pid() or self.pid
            if pid is not None and _is_pulseaudio(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                if not self._wait_gone(pid, timeout):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    if not self._wait_gone(pid, 2.0):
                        survivor = pid
        if self._watchdog is not None:
            # EOF lets the watchdog finish (nothing left for it to kill).
            with contextlib.suppress(OSError):
                assert self._watchdog.stdin is not None
                self._watchdog.stdin.close()
            try:
                self._watchdog.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()
                self._watchdog.wait()
            self._watchdog = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        self.pid = None
        if survivor is not None:
            raise VirtualMicError(f"pulseaudio {survivor} survived SIGKILL")

    @staticmethod
    def _wait_gone(pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while process_alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    @property
    def running(self) -> bool:
        return self.pid is not None and process_alive(self.pid)

    def __enter__(self) -> VirtualMic:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --------------------------------------------------------------- for clients
    @property
    def env(self) -> dict[str, str]:
        """Variables a client process needs to use this daemon (add them to its env).

        ``PULSE_RUNTIME_PATH``/``PULSE_STATE_PATH`` keep libpulse from creating
        ``~/.config/pulse`` and ``/tmp/pulse-*`` for the client.
        """
        if self.dir is None:
            raise VirtualMicError("not started")
        return {
            "PULSE_SERVER": f"unix:{self.dir / 'native'}",
            "PULSE_COOKIE": str(self.dir / "cookie"),
            "PULSE_CLIENTCONFIG": str(self.dir / "client.conf"),
            "PULSE_RUNTIME_PATH": str(self.dir),
            "PULSE_STATE_PATH": str(self.dir),
        }

    def client_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """A full environment for a subprocess: ``base`` (default os.environ) + :attr:`env`."""
        merged = dict(os.environ if base is None else base)
        merged.update(self.env)
        return merged

    @contextlib.contextmanager
    def apply_to_os_environ(self, *, reinit_portaudio: bool = True) -> Iterator[dict[str, str]]:
        """Put :attr:`env` in ``os.environ`` (so subprocesses inherit it), restore on exit.

        With ``reinit_portaudio`` an already imported ``sounddevice`` is re-initialised on
        entry, so this process sees the ``pulse`` and ``default`` devices too. On exit
        PortAudio is left alone: its device list is stale (opening ``pulse`` fails once
        the daemon is stopped). Re-initialising without a reachable daemon would make
        libpulse search for a system one and leave ``~/.config/pulse`` and
        ``/tmp/pulse-*`` behind.
        """
        saved = {k: os.environ.get(k) for k in CLIENT_VARIABLES}
        os.environ.update(self.env)
        if reinit_portaudio:
            reinitialise_portaudio()
        try:
            yield self.env
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def pactl(self, *args: str) -> str:
        """Run ``pactl`` against this daemon; returns its stdout."""
        done = subprocess.run(
            ["pactl", *args], env=self.client_env(), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise VirtualMicError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def play(
        self, wav_path: str | os.PathLike[str], device: str = FEED_SINK
    ) -> subprocess.Popen[bytes]:
        """Start ``paplay`` into ``device`` (default: the microphone feed); returns at once."""
        return subprocess.Popen(
            ["paplay", f"--device={device}", os.fspath(wav_path)],
            env=self.client_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def play_blocking(
        self, wav_path: str | os.PathLike[str], device: str = FEED_SINK, timeout: float = 60
    ) -> None:
        """Play ``wav_path`` into ``device`` and wait until it has been played."""
        proc = self.play(wav_path, device)
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise VirtualMicError(f"paplay {wav_path} took over {timeout} s") from None
        if proc.returncode != 0:
            raise VirtualMicError(f"paplay failed ({proc.returncode}): {stderr.decode().strip()}")

    def start_speaker_recording(
        self,
        seconds: float,
        path: str | os.PathLike[str] | None = None,
        rate: int = 48000,
        channels: int = 1,
    ) -> SpeakerRecording:
        """Start recording ``vspk.monitor`` (what was played to the speaker) in the background."""
        if self.dir is None:
            raise VirtualMicError("not started")
        if path is None:
            fd, name = tempfile.mkstemp(prefix="vspk-", suffix=".wav", dir=self.dir)
            os.close(fd)
            path = name
        out = Path(path)
        return SpeakerRecording(self.client_env(), seconds, out, rate, channels)

    def record_speaker(
        self,
        seconds: float,
        path: str | os.PathLike[str] | None = None,
        rate: int = 48000,
        channels: int = 1,
    ) -> Path:
        """Record ``seconds`` of ``vspk.monitor``; blocks; returns the WAV path.

        Without ``path`` the file goes in the daemon's folder (removed by :meth:`stop`).
        """
        return self.start_speaker_recording(seconds, path, rate, channels).wait()
