"""SFTP targets (``paramiko``): locations, login keys, pinned host keys, the transfer
(docs/sync.md).

A location is ``USER@HOST[:PORT]/PATH``: ``/srv/inbox`` is an absolute folder on the
server, ``/~/inbox`` one under the login's home. The server's host key is pinned on
first contact and compared at every connection; a different key is refused
(:class:`HostKeyChanged`) before anything is sent. Login keys must be unencrypted: the
key lives inside the encrypted store, so a passphrase on it would protect nothing more.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import ipaddress
import posixpath
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko

from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.sync_folder import CHUNK, TargetUnavailable, Writer

DEFAULT_PORT = 22
MAX_KEY_FILE = 64 * 1024
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_EXAMPLE = "e.g. ann@files.example.org/srv/relations or ann@files.example.org:2222/~/inbox"


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


# ---------------------------------------------------------------- locations
@dataclass(frozen=True)
class SftpLocation:
    user: str
    host: str
    port: int
    path: str  # as given to the server: "/srv/inbox", or "inbox" / "." under the home

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == DEFAULT_PORT else f":{self.port}"
        if self.path.startswith("/"):
            path = self.path
        else:
            path = "/~" if self.path == "." else f"/~/{self.path}"
        return f"{self.user}@{host}{port}{path}"


def parse_location(text: str) -> SftpLocation:
    """``USER@HOST[:PORT]/PATH``, strictly, with a message for each malformed form."""
    text = text.strip()
    if not text:
        raise InvalidInput(f"Give the SFTP location as USER@HOST[:PORT]/PATH ({_EXAMPLE}).")
    if any(c.isspace() or not c.isprintable() for c in text):
        raise InvalidInput(f"The SFTP location {text!r} contains spaces or control characters.")
    if "://" in text:
        raise InvalidInput(
            f"Write the SFTP location without a scheme: USER@HOST/PATH ({_EXAMPLE})."
        )
    user, at, rest = text.partition("@")
    if not at:
        raise InvalidInput(f"The SFTP location {text!r} has no user name: USER@HOST/PATH.")
    if not _USER.fullmatch(user):
        raise InvalidInput(f"{user!r} is not a valid user name in the SFTP location {text!r}.")
    host, rest = _split_host(rest, text)
    port = DEFAULT_PORT
    if rest.startswith(":"):
        port_text, slash, path_rest = rest[1:].partition("/")
        if not port_text.isdigit():
            raise InvalidInput(
                f"In {text!r}, ':' must be followed by a port number. For a folder write "
                f"USER@HOST/PATH, not the scp form HOST:PATH ({_EXAMPLE})."
            )
        port = int(port_text)
        if not 1 <= port <= 65535:
            raise InvalidInput(f"The port {port_text} in {text!r} is not between 1 and 65535.")
        rest = slash + path_rest
    if not rest.startswith("/"):
        raise InvalidInput(
            f"The SFTP location {text!r} names no folder on the server: add /PATH ({_EXAMPLE})."
        )
    return SftpLocation(user, host, port, _server_path(rest, text))


def _split_host(rest: str, text: str) -> tuple[str, str]:
    if rest.startswith("["):
        inside, bracket, after = rest[1:].partition("]")
        try:
            ipaddress.IPv6Address(inside)
        except ValueError:
            raise InvalidInput(f"{inside!r} in {text!r} is not an IPv6 address.") from None
        if not bracket:
            raise InvalidInput(f"The IPv6 address in {text!r} lacks its closing ']'.")
        return inside, after
    end = min((i for i in (rest.find(":"), rest.find("/")) if i >= 0), default=len(rest))
    host = rest[:end]
    if not host:
        raise InvalidInput(f"The SFTP location {text!r} has no server name after '@'.")
    if len(host) > 253 or not _HOST.fullmatch(host):
        raise InvalidInput(f"{host!r} in {text!r} is not a valid server name.")
    return host, rest[end:]


def _server_path(path: str, text: str) -> str:
    parts = path.rstrip("/").split("/")[1:]
    if not parts:
        raise InvalidInput(
            f"The SFTP location {text!r} names no folder: write /PATH, or /~ for the home folder."
        )
    if "" in parts:
        raise InvalidInput(f"The folder in {text!r} has an empty part ('//').")
    if any(p in (".", "..") for p in parts) or "~" in parts[1:]:
        raise InvalidInput(f"The folder in {text!r} may not contain '.', '..' or a later '~'.")
    if parts[0] == "~":
        return "/".join(parts[1:]) or "."
    return "/" + "/".join(parts)


# ---------------------------------------------------------------- keys
def fingerprint(key_line: str) -> str:
    """``SHA256:…`` of a ``TYPE BASE64`` key line, as ``ssh-keygen -l`` shows it."""
    try:
        blob = base64.b64decode(key_line.split()[1], validate=True)
    except (IndexError, binascii.Error):
        return ""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _key_line(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


def load_private_key(text: str, origin: str = "The stored login key") -> paramiko.PKey:
    """An Ed25519, ECDSA or RSA private key (OpenSSH or PEM), unencrypted."""
    if text.lstrip().startswith(("ssh-", "ecdsa-")):
        raise InvalidInput(
            f"{origin} is a public key (.pub): give the private key file (without .pub)."
        )
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            key: paramiko.PKey = cls.from_private_key(io.StringIO(text))
        except paramiko.PasswordRequiredException:
            raise InvalidInput(
                f"{origin} is protected by a passphrase. Sync runs unattended and keeps the "
                "key inside the encrypted store, so it needs a key without one: make a key for "
                "sync (ssh-keygen -t ed25519 -N '' -f relations-sync) and add "
                "relations-sync.pub to the server's authorized_keys."
            ) from None
        except Exception:  # noqa: S112 - try the next key type
            continue
        return key
    raise InvalidInput(
        f"{origin} is not an SSH private key that this app can use (Ed25519, ECDSA or RSA, "
        "in OpenSSH or PEM format)."
    )


def public_key_line(private_text: str) -> str:
    return _key_line(load_private_key(private_text))


def read_credentials(key_file: Path | None, password: str | None) -> tuple[str, str]:
    """("key", the private key's text) or ("password", it), checked."""
    if key_file is not None and password is not None:
        raise InvalidInput("Give either a login key or a password, not both; nothing was changed.")
    if key_file is not None:
        path = Path(key_file).expanduser()
        try:
            if path.stat().st_size > MAX_KEY_FILE:
                raise InvalidInput(f"{path} is too large to be an SSH private key.")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or "not a text file"
            raise InvalidInput(f"Cannot read the key file {path} ({why}).") from exc
        load_private_key(text, f"The key file {path}")
        return "key", text
    if password is not None:
        if not password:
            raise InvalidInput("The password is empty; nothing was changed.")
        return "password", password
    raise InvalidInput(
        "An SFTP target needs a login: a private key without a passphrase (--key FILE) or a "
        "password (--password-stdin)."
    )


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
        return _key_line(transport.get_remote_server_key())
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
        offered = _key_line(transport.get_remote_server_key())
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
