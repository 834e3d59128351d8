"""Pseudonymisation and quotes: the pseudonym register, the review of what it misses, and
quotes with their attribution (the quote bank).

``pseudonym check`` exits 1 while likely identifiers remain unresolved, so a script can
wait on it; each is resolved by a register entry (``pseudonym add``), by keeping it in
one note or transcript with a reason (``pseudonym keep``), or by ignoring it everywhere
(``pseudonym ignore``).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from relations_desktop.cli.common import ArgumentParser, CommandFactory, Handler, Output, table
from relations_desktop.core.errors import InvalidInput, NotFound, RelationsError
from relations_desktop.core.pseudonyms import RegisterEntry, real_key
from relations_desktop.core.quotes import RECORDING, QuoteDraft, QuoteRecord
from relations_desktop.core.records import to_json
from relations_desktop.core.review import CONTEXT, FIELDNOTE, Occurrence
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import PseudonymKind

KINDS = [k.value for k in PseudonymKind]
RESOLVE_HINT = (
    "replace each ('pseudonym add TEXT REPLACEMENT'), keep it where it is ('pseudonym keep "
    "TEXT --in ID --reason R') or ignore it everywhere ('pseudonym ignore TEXT')"
)


class IdentifiersRemain(RelationsError):
    """``pseudonym check`` found unresolved identifiers (exit status 1)."""

    exit_code = 1


def _position(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 0")
    return value


# ------------------------------------------------------------------ commands
def add_commands(command: CommandFactory) -> None:
    pseudonym = command(
        "pseudonym", "the pseudonym register and the review of what it misses"
    ).add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser)
    add = command("add", "add a real string and what replaces it wherever data leaves", pseudonym)
    add.add_argument("real", metavar="REAL", help="a name, nickname, place, service, ...")
    add.add_argument("replacement", metavar="REPLACEMENT", help="a pseudonym or a [role]")
    add.add_argument("--kind", choices=KINDS, default=PseudonymKind.OTHER.value)
    add.add_argument("--notes", default="", metavar="TEXT")
    command("list", "list the register (it holds real names: it never leaves the store)", pseudonym)
    remove = command("remove", "remove a register entry", pseudonym)
    remove.add_argument("entry", metavar="ENTRY_ID")
    check = command(
        "check",
        "list likely identifiers the register misses and nobody has reviewed (exit 1 "
        "while any remain)",
        pseudonym,
    )
    check.add_argument("--encounter", metavar="ID", help="one session (default: all)")
    keep = command("keep", "keep a flagged string in one note or transcript", pseudonym)
    keep.add_argument("text", metavar="TEXT")
    keep.add_argument(
        "--in",
        dest="within",
        required=True,
        metavar="ID",
        help="the note, transcript or recording it is in ('pseudonym check' shows it)",
    )
    keep.add_argument("--reason", required=True, metavar="R", help="why it is not identifying")
    ignore = command("ignore", "ignore a flagged string everywhere (not identifying)", pseudonym)
    ignore.add_argument("text", metavar="TEXT")
    ignore.add_argument("--reason", default="", metavar="R")

    quote = command(
        "quote",
        "print a passage, pseudonymised, with its attribution: “text” (Role, Region)",
    )
    source = quote.add_mutually_exclusive_group()
    source.add_argument("--recording", metavar="ID", help="from its transcript (seconds)")
    source.add_argument("--note", metavar="ID", help="from a fieldnote (characters)")
    where = "seconds into the recording, or a character position in the note"
    quote.add_argument("--from", dest="start", type=_position, metavar="N", help=where)
    quote.add_argument("--to", dest="end", type=_position, metavar="N", help=where)
    quote.add_argument("--save", action="store_true", help="put it in the quote bank")
    quote.add_argument(
        "--tag", dest="tags", action="append", default=[], metavar="T", help="with --save (repeat)"
    )
    quote.add_argument("--comment", default="", metavar="TEXT", help="with --save: a note")
    bank = quote.add_subparsers(
        dest="action", metavar="ACTION", required=False, parser_class=ArgumentParser
    )
    listing = command("list", "list the quote bank", bank)
    listing.add_argument("--tag", metavar="T")
    export = command("export", "write the quote bank as a Word document", bank)
    export.add_argument("--out", type=Path, required=True, metavar="FILE.docx")
    export.add_argument("--tag", metavar="T", help="only the quotes with this tag")
    export.add_argument("--force", action="store_true", help="replace an existing file")


def cmd_pseudonym(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    action = {
        "add": _add,
        "list": _list,
        "remove": _remove,
        "check": _check,
        "keep": _keep,
        "ignore": _ignore,
    }[args.action]
    action(service, args, out)


# ------------------------------------------------------------------ register
def _entry_json(entry: RegisterEntry) -> dict[str, Any]:
    return to_json(entry) | {"from_participant": entry.participant_id is not None}


def _add(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    entry = service.pseudonyms.add(args.real, args.replacement, kind=args.kind, notes=args.notes)
    out.result(_entry_json(entry), entry.id)


def _list(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    entries = service.pseudonyms.list()
    out.result(
        [_entry_json(e) for e in entries],
        lambda: table(
            ["REAL", "", "REPLACEMENT", "KIND", "FROM", "ID", "NOTES"],
            [[e.real, "→", e.replacement, e.kind, _origin(e), e.id, e.notes] for e in entries],
        ),
    )


def _origin(entry: RegisterEntry) -> str:
    return "participant" if entry.participant_id else ""


def _remove(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    service.pseudonyms.remove(args.entry)
    out.result({"id": args.entry, "removed": True}, f"Entry {args.entry} removed.")


# -------------------------------------------------------------------- review
def _occurrence_json(o: Occurrence) -> dict[str, Any]:
    return to_json(o) | {"where": o.where}


def _context(o: Occurrence) -> str:
    """The occurrence in its sentence, marked «thus»; a cut context ends on a whole word."""
    before, after = o.before, o.after
    if o.start > len(before):  # cut at the front
        before = "…" + (before.split(" ", 1)[1] if " " in before.strip() else before)
    if len(after) >= CONTEXT:  # cut at the back
        after = (after.rsplit(" ", 1)[0] if " " in after.strip() else after) + "…"
    return " ".join(f"{before}«{o.text}»{after}".split())


def _source(o: Occurrence) -> str:
    if o.source_type == FIELDNOTE:
        return f"note {o.source_id}" + (" (title)" if o.field == "title" else "")
    return f"transcript {o.source_id}"


def _check(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    scope = [args.encounter] if args.encounter else None
    found = service.review.unresolved(scope)

    def text() -> str:
        if not found:
            return "No unresolved identifiers."
        lines = []
        for o in found:
            lines.append(f"{o.where}  {o.category}  “{o.text}”  in {_source(o)}")
            lines.append(f"    {_context(o)}")
        return "\n".join(lines)

    out.result([_occurrence_json(o) for o in found], text)
    if found:
        raise IdentifiersRemain(
            f"{len(found)} likely identifier(s) are not pseudonymised or reviewed yet: "
            f"{RESOLVE_HINT}."
        )


def _source_encounter(service: StoreService, source_id: str) -> str:
    """The session of a note, a transcript or a recording."""
    lookups: list[Callable[[str], str]] = [
        lambda i: service.get_note(i).encounter_id,
        lambda i: service.transcripts.get(i).encounter_id,
        lambda i: service.recordings.get(i).encounter_id,
    ]
    for lookup in lookups:
        try:
            return lookup(source_id)
        except NotFound:
            continue
    raise NotFound(f"There is no note, transcript or recording with id {source_id!r}.")


def _keep(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if not args.reason.strip():
        raise InvalidInput("Say why this is kept (e.g. “a public figure”, “not a name”).")
    encounter = _source_encounter(service, args.within)
    key = real_key(args.text)
    found = [
        o
        for o in service.review.unresolved([encounter])
        if args.within in (o.source_id, o.recording_id) and real_key(o.text) == key
    ]
    if not found:
        raise InvalidInput(
            f"“{args.text}” is not flagged in {args.within} ('pseudonym check --encounter "
            f"{encounter}' lists what is); nothing was recorded."
        )
    for source in dict.fromkeys((o.source_type, o.source_id) for o in found):
        service.review.keep(next(o for o in found if (o.source_type, o.source_id) == source),
                            args.reason)  # fmt: skip
    out.result(
        {"text": args.text, "kept": len(found), "reason": args.reason.strip()},
        f"Kept “{args.text}” ({len(found)} occurrence(s)).",
    )


def _ignore(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    key = real_key(args.text)
    found = [o for o in service.review.unresolved() if real_key(o.text) == key]
    if not found:
        raise InvalidInput(
            f"“{args.text}” is not flagged anywhere ('pseudonym check' lists what is); "
            "nothing was recorded."
        )
    service.review.ignore_everywhere(found[0].text, args.reason)
    out.result(
        {"text": found[0].text, "ignored": len(found), "reason": args.reason.strip()},
        f"Ignored “{found[0].text}” everywhere ({len(found)} occurrence(s)).",
    )


# -------------------------------------------------------------------- quotes
def cmd_quote(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    drafting = {
        "--recording": args.recording is not None,
        "--note": args.note is not None,
        "--from": args.start is not None,
        "--to": args.end is not None,
        "--save": args.save,
        "--tag": bool(args.tags),
        "--comment": bool(args.comment),
    }
    if args.action is not None:
        given = [option for option, used in drafting.items() if used]
        if given:
            raise InvalidInput(f"{', '.join(given)}: not with 'quote {args.action}'.")
        (_bank_list if args.action == "list" else _bank_export)(service, args, out)
        return
    _draft(service, args, out)


def _draft(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if args.recording is None and args.note is None:
        raise InvalidInput(
            "Give --recording ID or --note ID with --from and --to "
            "(or 'quote list', 'quote export')."
        )
    if args.start is None or args.end is None:
        raise InvalidInput(
            "Give --from and --to: seconds in the recording, or character positions in the note."
        )
    if not args.save and (args.tags or args.comment):
        raise InvalidInput("--tag and --comment go with --save (the quote bank).")
    quotes = service.quotes
    draft: QuoteDraft
    if args.recording is not None:
        draft = quotes.from_recording(args.recording, args.start, args.end)
    else:
        if not (float(args.start).is_integer() and float(args.end).is_integer()):
            raise InvalidInput("In a note, --from and --to are character positions: whole numbers.")
        draft = quotes.from_note(args.note, int(args.start), int(args.end))
    data = to_json(draft) | {"formatted": draft.formatted, "id": None, "tags": []}
    if args.save:
        saved = quotes.save(draft, tags=args.tags, note=args.comment)
        data |= {"id": saved.id, "tags": saved.tags}
        out.progress(f"Saved in the quote bank as {saved.id}.")
    out.result(data, draft.formatted)


def _where(q: QuoteRecord) -> str:
    if q.source_type == RECORDING:
        minutes, seconds = divmod(int(q.start), 60)
        return f"“{q.encounter_title}”, recording at {minutes:02d}:{seconds:02d}"
    return f"“{q.encounter_title}”, fieldnote"


def _bank_list(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    quotes = service.quotes.list(args.tag)

    def text() -> str:
        if not quotes:
            return "The quote bank is empty." if not args.tag else f"No quotes tagged {args.tag}."
        lines = []
        for q in quotes:
            tags = f"  [{', '.join(q.tags)}]" if q.tags else ""
            lines += [f"{q.id}  {_where(q)}{tags}", f"  {q.formatted}"]
            if q.note:
                lines.append(f"  note: {q.note}")
        return "\n".join(lines)

    out.result([to_json(q) | {"formatted": q.formatted} for q in quotes], text)


def _bank_export(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    path: Path = args.out
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a file name.")
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist; nothing was written.")
    if path.exists() and not args.force:
        raise InvalidInput(f"{path} already exists; nothing was written (--force replaces it).")
    quotes = service.quotes.list(args.tag)
    if not quotes:
        what = f"No quotes are tagged {args.tag}" if args.tag else "The quote bank is empty"
        raise InvalidInput(f"{what}; nothing was written.")
    try:
        count = service.quotes.export_docx(path, [q.id for q in quotes])
    except OSError as exc:
        raise InvalidInput(f"Cannot write {path}: {exc.strerror or exc}.") from None
    out.progress(f"Warning: {path} is not encrypted (the quotes in it are pseudonymised).")
    out.result({"path": str(path), "quotes": count}, str(path))


HANDLERS: dict[str, Handler] = {"pseudonym": cmd_pseudonym, "quote": cmd_quote}
