"""Shared pieces of the fault-injection suite: the CLI in a subprocess, kill -9 with
process-group clean-up, store snapshots (row counts, row digests, integrity), and the
"root feature" rule (skip on a developer's machine, fail under CI).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text

from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FLAC = ROOT / "resources" / "sample" / "sample.flac"
# Rows every unlock adds (store_unlocked, recovery notes): never part of "content".
NOT_CONTENT = frozenset({"audit_event"})


def need(ok: bool, reason: str) -> None:
    """Skip locally when a privileged feature (tmpfs, network namespaces) is missing;
    under CI (``CI`` set, running as root) it is a failure, never a silent skip."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI runs as root and must be able to do this)")
    pytest.skip(reason)


# ------------------------------------------------------------------ the CLI
class Cli:
    """``python -m relations_desktop --store DIR ...`` in a subprocess."""

    def __init__(
        self, store: Path, prefix: Iterable[str] = (), module: str = "relations_desktop", **env: str
    ) -> None:
        self.store = store
        self.prefix = list(prefix)  # e.g. ["unshare", "-n"]
        self.module = module  # or tests.faults.nosocket: the CLI under the no-network hook
        self.env = {
            **os.environ,
            "RELATIONS_PASSPHRASE": PASSPHRASE,
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.env.pop("RELATIONS_DEBUG", None)

    def argv(self, *args: str) -> list[str]:
        return [*self.prefix, sys.executable, "-m", self.module, "--store", str(self.store), *args]

    def run(
        self,
        *args: str,
        timeout: float = 60,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            env={**self.env, **(env or {})},
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def victim(self, *args: str) -> Victim:
        return Victim(self.argv(*args), self.env)


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("relations-desktop: "), stderr
    return lines[0]


# ---------------------------------------------------------------- kill -9
def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (zombies excluded), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


def has_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open now (a marker that work on it began)."""
    wanted = str(path.resolve())
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == wanted:
                    return True
            except OSError:
                continue
    except OSError:
        return False
    return False


@dataclass(frozen=True)
class Ended:
    returncode: int  # -9 when the kill landed; 0 (or an error code) when it finished first
    marker_at: float | None  # seconds from start to the marker (None: never seen)
    ended_at: float  # seconds from start to the end (or the kill)
    lingering: list[int]  # children still alive ``linger`` s after the end (then reaped)
    stderr: str


class Victim:
    """A CLI command run to be killed: started in its own session (so its whole process
    group can be reaped), stderr read line by line as it comes."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.marker_at: float | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def said(self, pattern: str) -> Callable[[], bool]:
        """A marker: a line of stderr matching the regular expression ``pattern``."""
        compiled = re.compile(pattern)
        return lambda: any(compiled.search(line) for line in self.lines)

    def wait_for(self, marker: Callable[[], bool], timeout: float = 60) -> float | None:
        """Poll ``marker`` every few ms until it holds (its time from the start is kept),
        the process ends, or ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker():
                self.marker_at = time.monotonic() - self.started
                return self.marker_at
            if self.proc.poll() is not None:
                return None
            time.sleep(0.003)
        return None

    def kill_at(self, seconds: float, *, group: bool = False) -> None:
        """SIGKILL ``seconds`` after the start: the process itself (a crash of the app;
        its children are left to notice) or, with ``group``, it and all its children at
        once (a power cut); nothing when it already ended."""
        deadline = self.started + seconds
        while self.proc.poll() is None and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(0.003, left))
        if self.proc.poll() is None:
            if group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.send_signal(signal.SIGKILL)

    def end(self, linger: float = 5.0, timeout: float = 60) -> Ended:
        """Wait for the end; give children ``linger`` s to notice and end by themselves
        (a worker whose parent died must not run on), then reap whatever is left."""
        code = self.proc.wait(timeout)
        ended = time.monotonic() - self.started
        self._reader.join(5)
        until = time.monotonic() + linger
        left = group_members(self.proc.pid)
        while left and time.monotonic() < until:
            time.sleep(0.05)
            left = group_members(self.proc.pid)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return Ended(code, self.marker_at, ended, left, "\n".join(self.lines))


def kill_points(
    seed: int, runs: int, end_at: float, window: tuple[float, float], anywhere_every: int = 5
) -> list[tuple[bool, float]]:
    """Seeded kill points: ``(after_marker, seconds)``. Every ``anywhere_every``-th run is
    killed anywhere in a whole run of ``end_at`` s (seconds from its start); the others
    in the interesting stretch ``window`` (from the marker to where that stretch ended in
    an uninterrupted run), as seconds after the marker, with 10 % to spare."""
    rng = random.Random(seed)
    start, stop = window
    points = []
    for run in range(runs):
        if run % anywhere_every == 0:
            points.append((False, rng.uniform(0.05, end_at)))
        else:
            points.append((True, rng.uniform(0.0, (stop - start) * 1.1)))
    return points


T = TypeVar("T")


def run_kills(
    run: Callable[[int, bool, float], T], points: list[tuple[bool, float]], parallel: int = 2
) -> list[T]:
    """Run ``run(number, after_marker, seconds)`` for every kill point, ``parallel`` at a
    time (each on its own copy of a store; the machine has two cores and a killed CLI
    spends much of its life waiting). The first failure is raised."""
    with ThreadPoolExecutor(parallel) as pool:
        futures = [pool.submit(run, n, after, at) for n, (after, at) in enumerate(points)]
        return [f.result() for f in futures]


# ------------------------------------------------------------ store state
def table_names(store: StoreService) -> list[str]:
    """Every table, the full-text index's shadow tables left out (its virtual table and
    ``search_doc`` stay: they are what search reads)."""
    with store._session() as session:
        rows = session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type='table' ORDER BY name")
        ).all()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [
        name
        for name, _ in rows
        if not name.startswith("sqlite_") and not any(name.startswith(v + "_") for v in virtual)
    ]


def table_counts(store: StoreService, skip: Iterable[str] = NOT_CONTENT) -> dict[str, int]:
    skipped = set(skip)
    with store._session() as session:
        return {
            name: session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in table_names(store)
            if name not in skipped
        }


def table_digests(store: StoreService, skip: Iterable[str] = NOT_CONTENT) -> dict[str, str]:
    """SHA-256 of every row of every table (in rowid order): "unchanged in content"."""
    skipped = set(skip)
    digests = {}
    with store._session() as session:
        for name in table_names(store):
            if name in skipped:
                continue
            digest = hashlib.sha256()
            for row in session.execute(text(f'SELECT * FROM "{name}" ORDER BY rowid')):
                digest.update(repr(tuple(row)).encode())
            digests[name] = digest.hexdigest()
    return digests


def integrity(store: StoreService) -> list[str]:
    with store._session() as session:
        return [str(r) for r in session.execute(text("PRAGMA integrity_check")).scalars()]


# cryptography's Argon2id hangs or raises MemoryError when two threads of one process
# derive at once (checked with cryptography 50.0.2); the app derives on one thread only.
_ARGON2 = threading.Lock()


def open_store(path: Path) -> StoreService:
    """``StoreService.open`` with the test passphrase (recovery runs as in the app);
    one at a time across the threads of :func:`run_kills`."""
    with _ARGON2:
        return StoreService.open(path, PASSPHRASE)


def partial_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


# ------------------------------------------------------------- a full disk
@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted on ``folder`` (root only), unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        reason = done.stderr.strip() or f"mount exited {done.returncode}"
        ok = done.returncode == 0
    except FileNotFoundError:
        ok, reason = False, "there is no mount command"
    need(ok, f"cannot mount a small tmpfs for the full-disk tests ({reason})")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def fill(folder: Path, leave: int) -> Path:
    """Take all but ``leave`` bytes of the file system ``folder`` is on; the filler's path
    (delete it to free the space again)."""
    filler = folder / "filler.bin"
    free = shutil.disk_usage(folder).free
    with filler.open("ab") as handle:
        os.posix_fallocate(handle.fileno(), handle.tell(), max(0, free - leave))
    return filler
