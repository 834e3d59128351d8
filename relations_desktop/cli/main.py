"""The command line: the same use cases as the GUI, headless.

``relations-desktop [--store DIR] COMMAND [--json] ...``. The passphrase comes from
``RELATIONS_PASSPHRASE``, ``--passphrase-file F`` or a prompt on a terminal, never from
the command line. Results go to stdout (JSON with ``--json``), progress and errors to
stderr. A bad input gets one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relations_desktop import __version__
from relations_desktop.cli import (
    bundle_commands,
    consent_commands,
    pseudonym_commands,
    qdpx_commands,
    recording_commands,
    register_commands,
    selftest_commands,
    store_commands,
    sync_commands,
    team_commands,
    transcript_commands,
)
from relations_desktop.cli.common import (
    PASSPHRASE_ENV,
    PROG,
    ArgumentParser,
    Handler,
    Output,
    StorelessHandler,
    open_store,
)
from relations_desktop.core.errors import RelationsError

HANDLERS: dict[str, Handler] = {
    **store_commands.HANDLERS,
    **recording_commands.HANDLERS,
    **transcript_commands.HANDLERS,
    **register_commands.HANDLERS,
    **consent_commands.HANDLERS,
    **pseudonym_commands.HANDLERS,
    **team_commands.HANDLERS,
    **bundle_commands.HANDLERS,
    **qdpx_commands.HANDLERS,
    **sync_commands.HANDLERS,
}
# Commands that run without unlocking a store.
STORELESS: dict[str, StorelessHandler] = {
    "init": store_commands.cmd_init,
    "devices": recording_commands.cmd_devices,
    **selftest_commands.STORELESS,
}


def build_parser() -> ArgumentParser:
    common = ArgumentParser(add_help=False)
    # SUPPRESS keeps a sub-command's copy from overwriting a value given before it.
    common.add_argument(
        "--store",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="the store folder (default: the user data folder)",
    )
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print machine-readable results",
    )
    common.add_argument(
        "--passphrase-file",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="F",
        help=f"read the passphrase from F (else ${PASSPHRASE_ENV} or a prompt)",
    )
    common.add_argument(
        "--recovery-identity",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="unlock with the team's age recovery identity (with passwd)",
    )

    parser = ArgumentParser(
        prog=PROG, parents=[common], description="Relations Desktop: encrypted fieldwork store."
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=ArgumentParser
    )

    def command(name: str, help_text: str, sub: Any = commands) -> ArgumentParser:
        parser: ArgumentParser = sub.add_parser(
            name, help=help_text, parents=[common], description=help_text
        )
        return parser

    store_commands.add_commands(command)
    recording_commands.add_commands(command)
    transcript_commands.add_commands(command)
    register_commands.add_commands(command)
    consent_commands.add_commands(command)
    pseudonym_commands.add_commands(command)
    team_commands.add_commands(command)
    bundle_commands.add_commands(command)
    qdpx_commands.add_commands(command)
    sync_commands.add_commands(command)
    selftest_commands.add_commands(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    out = Output(bool(getattr(args, "json", False)))
    try:
        if args.command in STORELESS:
            STORELESS[args.command](args, out)
        else:
            with open_store(args) as service:
                HANDLERS[args.command](service, args, out)
    except RelationsError as exc:
        sys.stderr.write(f"{PROG}: {exc.message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted.\n")
        return 130
    except Exception as exc:  # a bug: one line unless debugging is asked for
        if os.environ.get("RELATIONS_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(
            f"{PROG}: internal error ({type(exc).__name__}: {exc}); "
            "nothing further was changed. Set RELATIONS_DEBUG=1 for details.\n"
        )
        return 70
    return 0
