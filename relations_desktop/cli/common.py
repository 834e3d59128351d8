"""Shared pieces of the command line: the parser class, output, passphrases, the store."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from relations_desktop import paths
from relations_desktop.core import passphrase as strength
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.services import StoreService

PROG = "relations-desktop"
PASSPHRASE_ENV = "RELATIONS_PASSPHRASE"  # noqa: S105 - a variable name
NEW_PASSPHRASE_ENV = "RELATIONS_NEW_PASSPHRASE"  # noqa: S105


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{PROG}: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


class Output:
    """Writes results as text or JSON, and progress to stderr."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def result(self, data: Any, text: str | Callable[[], str]) -> None:
        if self.as_json:
            print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        else:
            print(text() if callable(text) else text)

    @staticmethod
    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)


def table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "(none)"
    widths = [max(len(str(v)) for v in col) for col in zip(headers, *rows, strict=False)]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=False)).rstrip()
        for row in [headers, *rows]
    )


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


# ---------------------------------------------------------------- passphrases
def _read_secret_file(path: Path) -> str:
    try:
        data = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}.") from exc
    return data.splitlines()[0] if data.splitlines() else ""


def current_passphrase(args: argparse.Namespace) -> str:
    if getattr(args, "passphrase_file", None) is not None:
        return _read_secret_file(args.passphrase_file)
    if PASSPHRASE_ENV in os.environ:
        return os.environ[PASSPHRASE_ENV]
    if sys.stdin.isatty():
        return getpass.getpass("Passphrase: ")
    raise InvalidInput(f"No passphrase: set {PASSPHRASE_ENV} or use --passphrase-file.")


def new_passphrase(env_name: str, args: argparse.Namespace | None = None) -> str:
    if args is not None and getattr(args, "passphrase_file", None) is not None:
        return _read_secret_file(args.passphrase_file)
    if env_name in os.environ:
        value = os.environ[env_name]
    elif sys.stdin.isatty():
        value = getpass.getpass("New passphrase: ")
        if getpass.getpass("Repeat it: ") != value:
            raise InvalidInput("The two passphrases differ; nothing was changed.")
    else:
        raise InvalidInput(f"No new passphrase: set {env_name}.")
    assessed = strength.assess(value)
    if value and not assessed.acceptable:
        Output.progress(f"Warning: this passphrase is {assessed.label.lower()}. {assessed.advice}")
    return value


def open_store(args: argparse.Namespace) -> StoreService:
    store = store_dir(args)
    identity = getattr(args, "recovery_identity", None)
    if identity is not None:
        if args.command != "passwd":
            raise InvalidInput(
                "--recovery-identity is for a forgotten passphrase: use it with "
                "'passwd' to set a new one."
            )
        return StoreService.open(store, recovery_identity=_read_identity(identity))
    return StoreService.open(store, current_passphrase(args))


def _read_identity(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Cannot read the recovery identity {path}.") from exc


def store_dir(args: argparse.Namespace) -> Path:
    given = getattr(args, "store", None)
    return Path(given) if given is not None else paths.default_store_dir()


Handler = Callable[[StoreService, argparse.Namespace, "Output"], None]
StorelessHandler = Callable[[argparse.Namespace, "Output"], None]
CommandFactory = Callable[..., ArgumentParser]
