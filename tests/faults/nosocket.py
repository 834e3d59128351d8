"""Run the command line (or a module) under an audit hook that forbids the network.

``python -m tests.faults.nosocket ARGS...`` runs ``relations_desktop.cli.main.main(ARGS)``;
``python -m tests.faults.nosocket --module NAME ARGS...`` runs that module as ``__main__``.
Before that, :func:`install` adds a ``sys.addaudithook`` hook that sees every Internet
socket being made, connected or bound and every name lookup, writes the event to the
file named by ``RELATIONS_NOSOCKET_LOG``, and ends the process at once (exit 86), unless
``RELATIONS_NOSOCKET_ALLOW=1`` (the sync to an SFTP server may try to connect), when it
only writes it down. Unix sockets (``socketpair``, the transcription worker's pipe) are
not network and are let through. ``nosocket_site/sitecustomize.py`` installs the same
hook in every Python process started with that folder on ``PYTHONPATH``, so that the
transcription worker (spawned, a fresh interpreter) is watched too.
"""

from __future__ import annotations

import runpy
import sys

from tests.faults.nosocket_hook import install


def main(argv: list[str]) -> int:
    install()
    if argv[:1] == ["--module"]:
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    from relations_desktop.cli.main import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
