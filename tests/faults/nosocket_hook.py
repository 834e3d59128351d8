"""The no-network audit hook (see ``nosocket.py``, which runs the CLI under it, and
``nosocket_site/sitecustomize.py``, which installs it in every child interpreter).

One Internet socket is known and let through, marked ``[urllib3 IPv6 probe]`` in the
log: ``import spacy`` imports its CLI, which imports ``requests`` and so ``urllib3``,
whose import makes an AF_INET6 socket and binds it to ``[::1]:0`` to learn whether the
machine has IPv6 (it sends nothing and is closed at once). test_offline.py reports it
with an xfail: the app's offline guarantee says no socket at all.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

LOG_ENV = "RELATIONS_NOSOCKET_LOG"
ALLOW_ENV = "RELATIONS_NOSOCKET_ALLOW"
EXIT_CODE = 86
NETWORK = {socket.AF_INET, socket.AF_INET6}
LOOKUPS = {
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyname_ex",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
}
PROBE = "[urllib3 IPv6 probe]"
_installed = False


def _from_urllib3_probe() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        path = code.co_filename.replace("\\", "/")
        if code.co_name == "_has_ipv6" and path.endswith("urllib3/util/connection.py"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _family(value: Any) -> int | None:
    family = getattr(value, "family", value)
    return int(family) if isinstance(family, int) else None


def network_event(event: str, args: tuple[Any, ...]) -> bool:
    if event in LOOKUPS:
        return True
    if event == "socket.__new__":
        return _family(args[1]) in NETWORK
    if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
        return _family(args[0]) in NETWORK
    return False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not event.startswith("socket.") or not network_event(event, args):
        return
    probe = event in ("socket.__new__", "socket.bind") and _from_urllib3_probe()
    line = f"{os.getpid()} {event} {args[1:] if event.startswith('socket.__') else args!r}"
    log = os.environ.get(LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(line + (f" {PROBE}\n" if probe else "\n"))
    if not probe and os.environ.get(ALLOW_ENV) != "1":
        os._exit(EXIT_CODE)


def install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
