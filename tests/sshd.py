"""A real OpenSSH ``sshd`` on 127.0.0.1 for the SFTP sync tests.

Each :class:`Sshd` has its own folder with host key, config, authorized_keys, pid file
and the folder bundles are sent to; it listens on a free port, runs in the foreground
(``-D -e``) as a child of the test run and is stopped by it. The login is the user the
tests run as (root in the container and CI: ``PermitRootLogin yes``). Missing ``sshd``
skips locally and fails under CI (see ``tests/real_tools.py``).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.real_tools import real_tool

CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {folder}/host_key
PidFile {folder}/sshd.pid
AuthorizedKeysFile {folder}/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin yes
MaxStartups 100
LogLevel ERROR
Subsystem sftp internal-sftp
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keygen(path: Path, kind: str = "ed25519", passphrase: str = "") -> Path:
    """A key pair made by the real ``ssh-keygen``; returns the private key's path."""
    real_tool("ssh-keygen", "openssh-client")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", "test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


def ssh_fingerprint(public_key: Path) -> str:
    """``SHA256:…`` as ``ssh-keygen -l`` prints it."""
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(public_key)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()[1]


@dataclass
class Sshd:
    folder: Path
    port: int
    client_key: Path
    user: str = ""
    process: subprocess.Popen[bytes] | None = None  # started by start(), stopped by stop()

    @property
    def inbox(self) -> Path:
        return self.folder / "inbox"

    @property
    def location(self) -> str:
        return f"{self.user}@127.0.0.1:{self.port}{self.inbox}"

    @property
    def host_fingerprint(self) -> str:
        return ssh_fingerprint(self.folder / "host_key.pub")

    def new_host_key(self, kind: str = "ed25519") -> None:
        for name in ("host_key", "host_key.pub"):
            (self.folder / name).unlink(missing_ok=True)
        keygen(self.folder / "host_key", kind)

    def start(self) -> Sshd:
        sshd = real_tool("sshd", "openssh-server")
        if os.geteuid() == 0:  # privilege separation needs it; the service unit makes it
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        config = self.folder / "sshd_config"
        config.write_text(CONFIG.format(port=self.port, folder=self.folder), encoding="utf-8")
        log = self.folder / "sshd.log"
        with log.open("ab") as err:
            self.process = subprocess.Popen(
                [os.path.realpath(sshd), "-D", "-e", "-f", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                text = log.read_text(errors="replace")
                pytest.fail(f"sshd exited at once ({self.process.returncode}): {text}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return self
            time.sleep(0.01)  # waiting for a subprocess to listen, not for the code under test
        self.stop()
        pytest.fail("sshd did not start listening within 10 s")

    def kill_sessions(self) -> int:
        """SIGKILL the per-connection sshd processes: the network connection drops."""
        assert self.process is not None
        pid = self.process.pid
        children = [
            int(stat.parent.name)
            for stat in Path("/proc").glob("[0-9]*/stat")
            if _parent(stat) == pid
        ]
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        return len(children)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _parent(stat: Path) -> int:
    try:
        text = stat.read_text()
    except OSError:
        return -1
    return int(text[text.rindex(")") + 2 :].split()[1])


def make_sshd(folder: Path) -> Sshd:
    """An sshd (not yet started) with fresh host and client keys and an empty inbox."""
    folder.mkdir(parents=True, exist_ok=True)
    keygen(folder / "host_key")
    client = keygen(folder / "client_key")
    (folder / "authorized_keys").write_text(
        (folder / "client_key.pub").read_text(), encoding="utf-8"
    )
    server = Sshd(folder, free_port(), client, user=getpass.getuser())
    server.inbox.mkdir()
    return server


@contextlib.contextmanager
def running_sshd(folder: Path) -> Iterator[Sshd]:
    server = make_sshd(folder).start()
    try:
        yield server
    finally:
        server.stop()
