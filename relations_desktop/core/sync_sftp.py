"""SFTP targets (``paramiko``): pinned host keys, the connection and the transfer
(docs/sync.md). Locations and login keys are read in :mod:`.sync_location` (its names
are importable from here too).

The server's host key is pinned on first contact and compared at every connection; a
different key is refused (:class:`HostKeyChanged`) before anything is sent.
"""

from __future__ import annotations

import contextlib
import hashlib
import posixpath
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import paramiko

from relations_desktop.core.errors import RelationsError
from relations_desktop.core.sync_folder import CHUNK, TargetUnavailable, Writer
from relations_desktop.core.sync_location import DEFAULT_PORT as DEFAULT_PORT
from relations_desktop.core.sync_location import MAX_KEY_FILE as MAX_KEY_FILE
from relations_desktop.core.sync_location import SftpLocation as SftpLocation
from relations_desktop.core.sync_location import fingerprint as fingerprint
from relations_desktop.core.sync_location import key_line as key_line
from relations_desktop.core.sync_location import load_private_key as load_private_key
from relations_desktop.core.sync_location import parse_location as parse_location
from relations_desktop.core.sync_location import public_key_line as public_key_line
from relations_desktop.core.sync_location import read_credentials as read_credentials


class HostKeyChanged(RelationsError):
    """The server presented another host key than the pinned one: refused, never
    overwritten. The GUI shows both fingerprints and offers to accept the new key."""

    exit_code = 15

    def __init__(self, message: str, *, target_id: str, old: str, new: str, new_key: str):
        super().__init__(message)
        self.target_id = target_id
        self.old_fingerprint = old
        self.new_fingerprint = new
        self.new_key = new_key


class AuthenticationFailed(RelationsError):
    """The server refused the stored key or password; not retried until it changes."""

    exit_code = 16


# ---------------------------------------------------------------- connection
@dataclass
class SftpSession:
    server_key: str  # "ssh-ed25519 AAAA…"
    destination: SftpDestination


def _key_types(pinned: str) -> tuple[str, ...]:
    kind = pinned.split()[0]
    return ("rsa-sha2-512", "rsa-sha2-256") if kind == "ssh-rsa" else (kind,)


def _handshake(loc: SftpLocation, pinned: str, timeout: float) -> paramiko.Transport:
    try:
        sock = socket.create_connection((loc.host, loc.port), timeout=timeout)
    except socket.gaierror as exc:
        raise TargetUnavailable(
            f"The server name {loc.host} could not be found: no network connection, or a "
            "mistyped name."
        ) from exc
    except ConnectionRefusedError as exc:
        raise TargetUnavailable(
            f"{loc.host} refused the connection on port {loc.port}: no SFTP server is "
            "running there, or a firewall blocks it."
        ) from exc
    except TimeoutError as exc:
        raise TargetUnavailable(f"{loc.host} did not answer within {timeout:g} seconds.") from exc
    except OSError as exc:
        raise TargetUnavailable(
            f"Cannot reach {loc.host} on port {loc.port} ({exc.strerror or exc})."
        ) from exc
    transport = paramiko.Transport(sock)
    try:
        if pinned:
            known = set(transport.get_security_options().key_types)
            wanted = tuple(t for t in _key_types(pinned) if t in known)
            if wanted:
                transport.get_security_options().key_types = wanted
        transport.banner_timeout = transport.handshake_timeout = timeout
        transport.auth_timeout = timeout
        transport.start_client(timeout=timeout)
    except BaseException as exc:
        transport.close()
        if pinned and isinstance(exc, paramiko.IncompatiblePeer):
            raise  # the caller looks at the key the server offers now
        if isinstance(exc, paramiko.SSHException | OSError | EOFError):
            raise TargetUnavailable(
                f"The SSH connection to {loc.host}:{loc.port} failed ({exc}): is it an SSH server?"
            ) from exc
        raise
    return transport


def server_key(loc: SftpLocation, pinned: str, timeout: float) -> str:
    """The host key the server offers (of the pinned key's type when it has one)."""
    try:
        transport = _handshake(loc, pinned, timeout)
    except paramiko.IncompatiblePeer:
        transport = _handshake(loc, "", timeout)
    try:
        return key_line(transport.get_remote_server_key())
    finally:
        transport.close()


def host_key_changed(target_id: str, loc: SftpLocation, old: str, new: str) -> HostKeyChanged:
    message = (
        f"The SFTP server {loc.host}:{loc.port} presented a different host key from the one "
        f"pinned for target {target_id}: pinned {fingerprint(old)} ({old.split()[0]}), now "
        f"{fingerprint(new)} ({new.split()[0]}). Nothing was sent. This happens when the "
        "server is reinstalled, but it can also mean someone is intercepting the connection. "
        "Check the new fingerprint with the server's administrator; only then accept it with "
        f"'target pin {target_id} --accept-new'."
    )
    return HostKeyChanged(
        message, target_id=target_id, old=fingerprint(old), new=fingerprint(new), new_key=new
    )


@contextlib.contextmanager
def open_sftp(
    target_id: str, loc: SftpLocation, pinned: str, secret_kind: str, secret: str, timeout: float
) -> Iterator[SftpSession]:
    """Connect, check the host key against ``pinned`` (when set), log in, open SFTP."""
    try:
        transport = _handshake(loc, pinned, timeout)
    except paramiko.IncompatiblePeer:  # it no longer offers the pinned key's type
        raise host_key_changed(target_id, loc, pinned, server_key(loc, "", timeout)) from None
    try:
        offered = key_line(transport.get_remote_server_key())
        if pinned and offered != pinned:
            raise host_key_changed(target_id, loc, pinned, offered)
        _login(transport, loc, secret_kind, secret)
        try:
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                raise paramiko.SSHException("the server has no SFTP subsystem")
            sftp.get_channel().settimeout(timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise TargetUnavailable(f"{loc.host} does not offer SFTP now ({exc}).") from exc
        destination = SftpDestination(sftp, loc)
        destination.check_folder()
        yield SftpSession(offered, destination)
    finally:
        transport.close()


def _login(transport: paramiko.Transport, loc: SftpLocation, kind: str, secret: str) -> None:
    what = "key" if kind == "key" else "password"
    try:
        if kind == "key":
            key = load_private_key(secret)
            transport.auth_publickey(loc.user, key)
        elif kind == "password":
            transport.auth_password(loc.user, secret)
        else:
            raise AuthenticationFailed(
                f"No login key or password is stored for {loc}; set one (target credentials)."
            )
    except paramiko.BadAuthenticationType as exc:
        allowed = ", ".join(exc.allowed_types) or "nothing"
        raise AuthenticationFailed(
            f"{loc.host} does not accept {what} logins for {loc.user} (it allows: {allowed}). "
            "Set other credentials for this target (target credentials)."
        ) from None
    except paramiko.AuthenticationException:
        hint = (
            f"Check that the key's public half ({fingerprint(public_key_line(secret))}) is in "
            f"{loc.user}'s authorized_keys on the server"
            if kind == "key"
            else "Check the password"
        )
        raise AuthenticationFailed(
            f"{loc.host} refused the login as {loc.user} with the stored {what}. {hint}, then "
            "set the credentials again (target credentials) or run sync with --now."
        ) from None
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise TargetUnavailable(
            f"The connection to {loc.host} broke while logging in ({exc})."
        ) from exc


# ---------------------------------------------------------------- transfer
class SftpDestination:
    """The target folder on an SFTP server (see :class:`.sync_folder.Destination`)."""

    def __init__(self, sftp: paramiko.SFTPClient, loc: SftpLocation) -> None:
        self._sftp = sftp
        self._loc = loc
        self.label = str(loc)

    def _path(self, name: str) -> str:
        return posixpath.join(self._loc.path, name)

    @contextlib.contextmanager
    def remote(self, what: str) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError as exc:
            raise TargetUnavailable(
                f"Could not {what} in {self._loc.path} on {self._loc.host}: the folder or "
                "file is no longer there."
            ) from exc
        except PermissionError as exc:
            raise TargetUnavailable(
                f"The server does not let {self._loc.user} {what} in {self._loc.path} "
                "(permission denied); ask its administrator."
            ) from exc
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise TargetUnavailable(
                f"The transfer to {self._loc.host} broke off while trying to {what} ({exc}); "
                "it resumes at the next sync."
            ) from exc

    def check_folder(self) -> None:
        with self.remote("open the folder"):
            try:
                attrs = self._sftp.stat(self._loc.path)
            except FileNotFoundError:
                attrs = None
        if attrs is None or not _is_dir(attrs):
            raise TargetUnavailable(
                f"The folder {self._loc.path} does not exist on {self._loc.host}; ask the "
                "server's administrator to create it."
            )

    def size(self, name: str) -> int | None:
        with self.remote("look for files"):
            try:
                return int(self._sftp.stat(self._path(name)).st_size or 0)
            except FileNotFoundError:
                return None

    def sha256(self, name: str, limit: int | None = None) -> str:
        digest = hashlib.sha256()
        with self.remote("read back files"), self._sftp.open(self._path(name), "rb") as handle:
            size = int(handle.stat().st_size or 0)
            left = size if limit is None else min(limit, size)
            handle.prefetch(left)
            while left > 0:
                block = handle.read(min(CHUNK, left))
                if not block:
                    break
                digest.update(block)
                left -= len(block)
        return digest.hexdigest()

    def open_partial(self, name: str, offset: int) -> Writer:
        with self.remote("write"):
            if offset == 0:
                handle = self._sftp.open(self._path(name), "wb")
            else:
                handle = self._sftp.open(self._path(name), "r+b")
                handle.truncate(offset)
                handle.seek(offset)
            handle.set_pipelined(True)
        return _SftpWriter(handle, self)

    def rename(self, name: str, final: str) -> None:
        with self.remote("rename files"):
            try:
                self._sftp.posix_rename(self._path(name), self._path(final))
            except PermissionError:
                raise
            except OSError:  # the server lacks posix-rename@openssh.com
                self._sftp.rename(self._path(name), self._path(final))

    def remove(self, name: str) -> None:
        with self.remote("remove files"), contextlib.suppress(FileNotFoundError):
            self._sftp.remove(self._path(name))


def _is_dir(attrs: Any) -> bool:
    mode = attrs.st_mode
    return mode is None or (int(mode) & 0o170000) == 0o040000


class _SftpWriter:
    def __init__(self, handle: paramiko.SFTPFile, dest: SftpDestination) -> None:
        self._handle = handle
        self._dest = dest

    def write(self, data: bytes) -> None:
        with self._dest.remote("write"):
            self._handle.write(data)

    def finish(self) -> None:
        with self._dest.remote("write"):
            self._handle.close()  # waits for every pipelined write to be acknowledged

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._handle.close()
