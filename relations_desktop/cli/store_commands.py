"""Commands on the store itself: init, info, passwd, participants, sessions, notes, search."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from relations_desktop.cli.common import (
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    ArgumentParser,
    CommandFactory,
    Handler,
    Output,
    current_passphrase,
    new_passphrase,
    parse_date,
    store_dir,
    table,
)
from relations_desktop.core import passphrase as strength
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.records import ParticipantRecord, to_json
from relations_desktop.core.search import SearchFilters
from relations_desktop.core.services import StoreService, check_can_create
from relations_desktop.core.store.models import EncounterType, FieldnoteKind, ParticipantKind
from relations_desktop.core.vault import check_passphrase, parse_recipient

MAX_NOTE_FILE_BYTES = 64 * 1024 * 1024


def add_commands(command: CommandFactory) -> None:
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
    _register_options(p_add, adding=True)
    p_update = command("update", "change a participant's details", participant)
    p_update.add_argument("id", metavar="PARTICIPANT_ID")
    p_update.add_argument("--pseudonym")
    p_update.add_argument("--role")
    p_update.add_argument("--region")
    p_update.add_argument("--kind", choices=[k.value for k in ParticipantKind])
    p_update.add_argument("--real-name", help="'' removes it from the identity register")
    _register_options(p_update, adding=False)
    command("list", "list participants (and who withdrew)", participant)

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
    e_add.add_argument("--site", metavar="ID", help="the service site where it took place")
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
    n_add.add_argument("--tag", action="append", default=[], metavar="T", help="repeatable")
    n_add.add_argument(
        "--about", action="append", default=[], metavar="PARTICIPANT_ID", help="repeatable"
    )
    n_list = command("list", "list fieldnotes", note)
    n_list.add_argument("--encounter", metavar="ID")

    search = command("search", "full-text search of fieldnotes")
    search.add_argument("query")
    search.add_argument("--type", choices=[t.value for t in EncounterType], metavar="TYPE")
    search.add_argument("--participant", metavar="ID")
    search.add_argument("--from", dest="date_from", type=parse_date, metavar="YYYY-MM-DD")
    search.add_argument("--to", dest="date_to", type=parse_date, metavar="YYYY-MM-DD")
    search.add_argument("--site", metavar="ID")
    search.add_argument("--kind", choices=["fieldnote", "segment"], help="notes or transcripts")
    search.add_argument("--limit", type=int, default=50)


def _register_options(parser: ArgumentParser, *, adding: bool) -> None:
    """The register's fields of a participant; on update only what is given changes."""
    default = "" if adding else None
    parser.add_argument("--age-band", default=default, metavar="B", help="e.g. 25-34, 55+")
    parser.add_argument("--sector", default=default, help="a professional's sector")
    parser.add_argument(
        "--ost",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="on opioid substitution therapy (or not)",
    )
    parser.add_argument("--site", metavar="ID", help="'' clears it" if not adding else None)
    parser.add_argument("--family", metavar="ID", help="'' clears it" if not adding else None)


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
            args.pseudonym,
            args.role,
            region=args.region,
            kind=args.kind,
            real_name=args.real_name,
            age_band=args.age_band,
            sector=args.sector,
            on_ost=args.ost,
            site_id=args.site,
            family_id=args.family,
        )
        out.result({"id": record.id}, record.id)
        return
    if args.action == "update":
        names = {"role": "role_label", "ost": "on_ost", "site": "site_id", "family": "family_id"}
        given = ("pseudonym", "role", "region", "kind", "real_name", "age_band", "sector")
        fields = {
            names.get(name, name): getattr(args, name)
            for name in (*given, "ost", "site", "family")
            if getattr(args, name) is not None
        }
        if not fields:
            raise InvalidInput("Nothing to change: give at least one option (see --help).")
        record = service.update_participant(args.id, **fields)
        out.result(to_json(record), record.id)
        return
    people = service.list_participants()
    out.result(
        [to_json(p) for p in people],
        lambda: table(
            ["ID", "PSEUDONYM", "ROLE", "REGION", "KIND", "STATUS"],
            [[p.id, p.pseudonym, p.role_label, p.region, p.kind, _status(p)] for p in people],
        ),
    )


def _status(person: ParticipantRecord) -> str:
    if not person.is_withdrawn:
        return "active"
    return f"withdrawn ({person.withdrawal_scope}) {person.withdrawn_on}"


def cmd_encounter(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if args.action == "add":
        record = service.add_encounter(
            args.type, args.title, on=args.date, participant_ids=args.participant, site_id=args.site
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
        record = service.add_note(
            args.encounter,
            body,
            kind=args.kind,
            title=args.title,
            tags=args.tag,
            participant_ids=args.about,
        )
        out.result({"id": record.id}, record.id)
        return
    notes = service.list_notes(args.encounter)
    out.result(
        [to_json(n) for n in notes],
        lambda: table(
            ["ID", "SESSION", "KIND", "UPDATED", "TAGS", "TEXT"],
            [
                [
                    n.id,
                    n.encounter_id,
                    n.kind,
                    n.updated_at.strftime("%Y-%m-%d %H:%M"),
                    " ".join(f"#{t}" for t in n.tags),
                    n.preview,
                ]
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
        site_id=args.site,
        kind=args.kind,
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


HANDLERS: dict[str, Handler] = {
    "info": cmd_info,
    "passwd": cmd_passwd,
    "participant": cmd_participant,
    "encounter": cmd_encounter,
    "note": cmd_note,
    "search": cmd_search,
}
