"""The command line: the same use cases as the GUI, headless.

``relations-desktop [--store DIR] COMMAND [--json] ...``. The passphrase comes from
``RELATIONS_PASSPHRASE``, ``--passphrase-file F`` or a prompt on a terminal, never from
the command line. Results go to stdout (JSON with ``--json``), progress and errors to
stderr. A bad input gets one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from relations_desktop import __version__, paths
from relations_desktop.core import passphrase as strength
from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.records import to_json
from relations_desktop.core.search import SearchFilters
from relations_desktop.core.services import StoreService, check_can_create
from relations_desktop.core.store.models import EncounterType, FieldnoteKind, ParticipantKind
from relations_desktop.core.vault import check_passphrase, parse_recipient

PROG = "relations-desktop"
PASSPHRASE_ENV = "RELATIONS_PASSPHRASE"  # noqa: S105 - a variable name
NEW_PASSPHRASE_ENV = "RELATIONS_NEW_PASSPHRASE"  # noqa: S105
MAX_NOTE_FILE_BYTES = 64 * 1024 * 1024


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


# ------------------------------------------------------------------- parsing
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

    init = command("init", "create a new encrypted store")
    init.add_argument(
        "--recovery-recipient",
        metavar="AGE_RECIPIENT",
        help="the team's age recovery recipient (age1...)",
    )
    init.add_argument("--researcher-name", default=getpass.getuser(), metavar="NAME")
    init.add_argument("--project-name", default="Fieldwork", metavar="NAME")
    command("info", "show the store's details")
    command("passwd", f"change the passphrase (new one from ${NEW_PASSPHRASE_ENV} or a prompt)")

    participant = command("participant", "participants").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    p_add = command("add", "register a participant", participant)
    p_add.add_argument("--pseudonym", required=True)
    p_add.add_argument("--role", required=True, help="role label, e.g. Mother, Health Visitor")
    p_add.add_argument("--region", default="")
    p_add.add_argument("--kind", default="parent", choices=[k.value for k in ParticipantKind])
    p_add.add_argument("--real-name", help="kept only in the encrypted identity register")
    command("list", "list participants", participant)

    encounter = command("encounter", "fieldwork sessions").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    e_add = command("add", "open a fieldwork session", encounter)
    e_add.add_argument(
        "--type",
        required=True,
        choices=[t.value for t in EncounterType],
        metavar="TYPE",
        help="one of: " + ", ".join(t.value for t in EncounterType),
    )
    e_add.add_argument("--title", required=True)
    e_add.add_argument("--date", type=parse_date, help="YYYY-MM-DD (default: today)")
    e_add.add_argument("--participant", action="append", default=[], metavar="ID")
    command("list", "list sessions", encounter)
    e_show = command("show", "show one session and its notes", encounter)
    e_show.add_argument("id")

    note = command("note", "fieldnotes").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    n_add = command("add", "write a fieldnote", note)
    n_add.add_argument("--encounter", required=True, metavar="ID")
    source = n_add.add_mutually_exclusive_group(required=True)
    source.add_argument("--text")
    source.add_argument("--file", type=Path, help="a UTF-8 text file, or - for stdin")
    n_add.add_argument("--kind", default="expanded", choices=[k.value for k in FieldnoteKind])
    n_add.add_argument("--title", default="")
    n_list = command("list", "list fieldnotes", note)
    n_list.add_argument("--encounter", metavar="ID")

    search = command("search", "full-text search of fieldnotes")
    search.add_argument("query")
    search.add_argument("--type", choices=[t.value for t in EncounterType], metavar="TYPE")
    search.add_argument("--participant", metavar="ID")
    search.add_argument("--from", dest="date_from", type=parse_date, metavar="YYYY-MM-DD")
    search.add_argument("--to", dest="date_to", type=parse_date, metavar="YYYY-MM-DD")
    search.add_argument("--limit", type=int, default=50)
    return parser


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


# ------------------------------------------------------------------- commands
def cmd_init(args: argparse.Namespace, out: Output) -> None:
    folder = store_dir(args).expanduser().absolute()
    check_can_create(folder)
    if args.recovery_recipient is not None:
        parse_recipient(args.recovery_recipient)
    if getattr(args, "passphrase_file", None) is None and PASSPHRASE_ENV not in os.environ:
        passphrase = new_passphrase(PASSPHRASE_ENV)
    else:
        passphrase = current_passphrase(args)
        assessed = strength.assess(passphrase)
        if passphrase and not assessed.acceptable:
            out.progress(f"Warning: this passphrase is {assessed.label.lower()}. {assessed.advice}")
    check_passphrase(passphrase)
    out.progress(f"Creating an encrypted store in {folder} …")
    with StoreService.create(
        folder,
        passphrase,
        recovery_recipient=args.recovery_recipient,
        researcher_name=args.researcher_name,
        project_name=args.project_name,
    ) as service:
        info = service.info()
    out.result({"id": info.store_id, "path": info.path}, info.store_id)


def cmd_info(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    info = service.info()
    rows = [
        ("Store", info.path),
        ("Store id", info.store_id),
        ("Created", info.created),
        ("Researcher", info.researcher_name),
        ("Project", info.project_name),
        ("Schema", info.schema_revision),
        ("Recovery recipient", info.recovery_recipient or "(none)"),
        ("Database size", f"{info.database_bytes / 1e6:.1f} MB"),
    ]
    rows += [(name.capitalize(), str(n)) for name, n in info.counts.items()]
    out.result(to_json(info), lambda: "\n".join(f"{k + ':':20} {v}" for k, v in rows))


def cmd_passwd(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    service.change_passphrase(new_passphrase(NEW_PASSPHRASE_ENV))
    out.progress("The passphrase was changed.")
    out.result({"changed": True}, "Passphrase changed.")


def cmd_participant(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if args.action == "add":
        record = service.add_participant(
            args.pseudonym, args.role, region=args.region, kind=args.kind, real_name=args.real_name
        )
        out.result({"id": record.id}, record.id)
        return
    people = service.list_participants()
    out.result(
        [to_json(p) for p in people],
        lambda: table(
            ["ID", "PSEUDONYM", "ROLE", "REGION", "KIND"],
            [[p.id, p.pseudonym, p.role_label, p.region, p.kind] for p in people],
        ),
    )


def cmd_encounter(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if args.action == "add":
        record = service.add_encounter(
            args.type, args.title, on=args.date, participant_ids=args.participant
        )
        out.result({"id": record.id}, record.id)
    elif args.action == "list":
        rows = service.list_encounters()
        out.result(
            [to_json(e) for e in rows],
            lambda: table(
                ["ID", "DATE", "TYPE", "TITLE", "PEOPLE", "NOTES"],
                [
                    [
                        e.id,
                        e.date.isoformat(),
                        e.encounter_type,
                        e.title,
                        str(len(e.participant_ids)),
                        str(e.note_count),
                    ]
                    for e in rows
                ],
            ),
        )
    else:
        record = service.get_encounter(args.id)
        notes = service.list_notes(record.id)
        data = to_json(record) | {"notes": [to_json(n) for n in notes]}

        def text() -> str:
            lines = [
                f"{record.title}",
                f"  id:           {record.id}",
                f"  type:         {record.encounter_type}",
                f"  date:         {record.date.isoformat()}",
                f"  participants: {', '.join(record.participant_labels) or '(none)'}",
                f"  notes:        {len(notes)}",
            ]
            lines += [f"    {n.id}  {n.kind:9}  {n.preview}" for n in notes]
            return "\n".join(lines)

        out.result(data, text)


def cmd_note(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if args.action == "add":
        body = args.text if args.text is not None else read_note_file(args.file)
        record = service.add_note(args.encounter, body, kind=args.kind, title=args.title)
        out.result({"id": record.id}, record.id)
        return
    notes = service.list_notes(args.encounter)
    out.result(
        [to_json(n) for n in notes],
        lambda: table(
            ["ID", "SESSION", "KIND", "UPDATED", "TEXT"],
            [
                [n.id, n.encounter_id, n.kind, n.updated_at.strftime("%Y-%m-%d %H:%M"), n.preview]
                for n in notes
            ],
        ),
    )


def read_note_file(path: Path) -> str:
    try:
        if str(path) == "-":
            return sys.stdin.read()
        if path.stat().st_size > MAX_NOTE_FILE_BYTES:
            raise InvalidInput(f"{path} is larger than {MAX_NOTE_FILE_BYTES // 2**20} MB.")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text; nothing was saved.") from exc
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror}.") from exc


def cmd_search(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    filters = SearchFilters(
        encounter_type=args.type,
        participant_id=args.participant,
        date_from=args.date_from,
        date_to=args.date_to,
    )
    hits = service.search(args.query, filters, limit=args.limit)
    data = [to_json(h) | {"snippet": h.snippet()} for h in hits]

    def text() -> str:
        if not hits:
            return "No matches."
        return "\n".join(
            f"{h.date.isoformat()}  {h.encounter_type}  {h.encounter_title}\n"
            f"  {h.kind} {h.ref_id}\n  {h.snippet().replace(chr(10), ' ')}"
            for h in hits
        )

    out.result(data, text)


def table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "(none)"
    widths = [max(len(str(v)) for v in col) for col in zip(headers, *rows, strict=False)]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=False)).rstrip()
        for row in [headers, *rows]
    )


HANDLERS: dict[str, Callable[[StoreService, argparse.Namespace, Output], None]] = {
    "info": cmd_info,
    "passwd": cmd_passwd,
    "participant": cmd_participant,
    "encounter": cmd_encounter,
    "note": cmd_note,
    "search": cmd_search,
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    out = Output(bool(getattr(args, "json", False)))
    try:
        if args.command == "init":
            cmd_init(args, out)
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
