"""SFTP locations and login keys (docs/sync.md): parsing ``USER@HOST[:PORT]/PATH``
strictly, reading and checking a login key or password, and key fingerprints as OpenSSH
shows them. The connection and the transfer are in :mod:`.sync_sftp`.

A location is ``USER@HOST[:PORT]/PATH``: ``/srv/inbox`` is an absolute folder on the
server, ``/~/inbox`` one under the login's home. Login keys must be unencrypted: the
key lives inside the encrypted store, so a passphrase on it would protect nothing more.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

import paramiko

from relations_desktop.core.errors import InvalidInput

DEFAULT_PORT = 22
MAX_KEY_FILE = 64 * 1024
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_EXAMPLE = "e.g. ann@files.example.org/srv/relations or ann@files.example.org:2222/~/inbox"


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
def fingerprint(line: str) -> str:
    """``SHA256:…`` of a ``TYPE BASE64`` key line, as ``ssh-keygen -l`` shows it."""
    try:
        blob = base64.b64decode(line.split()[1], validate=True)
    except (IndexError, binascii.Error):
        return ""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def key_line(key: paramiko.PKey) -> str:
    """``TYPE BASE64``, as in ``authorized_keys`` and ``known_hosts``."""
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
    return key_line(load_private_key(private_text))


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
