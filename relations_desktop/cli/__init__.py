"""The command line: the same use cases as the GUI, headless (see :mod:`.main`)."""

from relations_desktop.cli.common import NEW_PASSPHRASE_ENV, PASSPHRASE_ENV, PROG
from relations_desktop.cli.main import build_parser, main

__all__ = ["NEW_PASSPHRASE_ENV", "PASSPHRASE_ENV", "PROG", "build_parser", "main"]
