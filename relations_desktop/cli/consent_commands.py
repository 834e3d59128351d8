"""Consent: forms, records, certificates, withdrawal, review flags (see docs/consent-forms.md).

Files named on the command line (a form template, a signature, a scan) are read and
checked while the arguments are parsed, so a bad file is refused before the store is
even unlocked.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relations_desktop.cli.common import (
    ArgumentParser,
    CommandFactory,
    Handler,
    Output,
    parse_date,
    table,
)
from relations_desktop.core.consent.certificate import Signature, signature_from_json
from relations_desktop.core.consent.forms import FormTemplate, Governs, read_template_file
from relations_desktop.core.consent.records import ConsentRecordView, ConsentState
from relations_desktop.core.consent.service import MAX_SCAN_BYTES
from relations_desktop.core.errors import Cancelled, InvalidInput, NotFound
from relations_desktop.core.fsutil import atomic_write
from relations_desktop.core.records import to_json
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import ConsentMethod, WithdrawalScope

MAX_SIGNATURE_BYTES = 4 * 1024 * 1024
YES = ("yes", "y", "true")
NO = ("no", "n", "false")
PARTIES = ("parent", "assent")


# ------------------------------------------------------------ argument types
def _answer(text: str) -> tuple[str, bool]:
    item, sep, value = text.partition("=")
    if not sep or not item.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not ITEM=yes or ITEM=no")
    word = value.strip().lower()
    if word not in YES + NO:
        raise argparse.ArgumentTypeError(
            f"the answer to {item.strip()!r} must be yes or no (or y/n, true/false), not {value!r}"
        )
    return item.strip(), word in YES


class AnswerAction(argparse.Action):
    """``--answer ITEM=yes`` (repeatable) into a dict; the same item twice, differently,
    is refused."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        item, answer = values
        answers = dict(getattr(namespace, self.dest) or {})
        if answers.get(item, answer) != answer:
            parser.error(f"argument --answer: {item!r} is answered both yes and no")
        answers[item] = answer
        setattr(namespace, self.dest, answers)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def _read_file(text: str, limit: int, what: str) -> tuple[Path, bytes]:
    path = Path(text)
    try:
        if not path.is_file():
            raise argparse.ArgumentTypeError(f"{path} is not a file")
        size = path.stat().st_size
        if size > limit:
            raise argparse.ArgumentTypeError(
                f"{path.name} is {size / 1e6:.1f} MB; a {what} is at most {limit // 2**20} MiB"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data:
        raise argparse.ArgumentTypeError(f"{path.name} is empty")
    return path, data


def _signature_file(text: str) -> Signature:
    path, data = _read_file(text, MAX_SIGNATURE_BYTES, "signature file")
    try:
        strokes = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise argparse.ArgumentTypeError(
            f'{path.name} is not JSON strokes: {{"width": W, "height": H, '
            '"strokes": [[[x, y], ...], ...]}'
        ) from None
    try:
        return signature_from_json(strokes)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(f"{path.name}: {exc.message}") from None


def _scan_file(text: str) -> tuple[str, bytes]:
    path, data = _read_file(text, MAX_SCAN_BYTES, "scan")
    return path.name, data


def _template_file(text: str) -> FormTemplate:
    try:
        return read_template_file(Path(text))
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def add_answer_option(parser: argparse._ActionsContainer) -> None:
    parser.add_argument(
        "--answer",
        dest="answers",
        action=AnswerAction,
        type=_answer,
        metavar="ITEM=yes|no",
        help="an answer per form item (repeat); 'consent form show' lists the items",
    )


# ------------------------------------------------------------------ commands
def add_commands(command: CommandFactory) -> None:
    consent = command("consent", "consent forms, records and withdrawal").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    form = command("form", "consent form templates", consent).add_subparsers(
        dest="form_action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    command("list", "list form versions", form)
    f_show = command("show", "show a form's items", form)
    f_show.add_argument("ref", metavar="REF", help="an id, a name, or name@version")
    f_import = command("import", "add a form version from a JSON template", form)
    f_import.add_argument("template", type=_template_file, metavar="FILE")
    f_export = command("export", "write a form version as a JSON template", form)
    f_export.add_argument("ref", metavar="REF")
    f_export.add_argument("--out", type=Path, metavar="FILE", help="default: stdout")
    f_export.add_argument("--force", action="store_true", help="replace an existing file")

    record = command("record", "record a participant's consent on a form version", consent)
    record.add_argument("--participant", required=True, metavar="ID")
    record.add_argument("--form", required=True, metavar="REF", help="id, name or name@version")
    add_answer_option(record)
    record.add_argument("--method", required=True, choices=[m.value for m in ConsentMethod])
    record.add_argument("--party", choices=PARTIES, help="for a child: whose agreement")
    record.add_argument("--given-by", default="", metavar="TEXT", help="the parent or carer")
    record.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="default: today")
    record.add_argument(
        "--signature", type=_signature_file, metavar="FILE", help="signed: strokes as JSON"
    )
    record.add_argument("--scan", type=_scan_file, metavar="FILE", help="paper: the scan")
    record.add_argument("--recording", metavar="ID", help="verbal: the recording")
    record.add_argument("--at", type=_seconds, metavar="SECONDS", help="verbal: time in it")

    show = command("show", "a participant's consent: what it allows, every record", consent)
    show.add_argument("participant", metavar="PARTICIPANT_ID")
    certificate = command("certificate", "write a consent record's certificate (PDF)", consent)
    certificate.add_argument("record", metavar="RECORD_ID")
    certificate.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    certificate.add_argument("--force", action="store_true", help="replace an existing file")

    withdraw = command("withdraw", "record a participant's withdrawal", consent)
    withdraw.add_argument("--participant", required=True, metavar="ID")
    withdraw.add_argument(
        "--scope",
        required=True,
        choices=[s.value for s in WithdrawalScope],
        help="future: no further participation; all: delete their data too",
    )
    withdraw.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    withdraw.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    withdraw.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="default: today")
    withdraw.add_argument("--note", default="", metavar="TEXT")

    flags = command("flags", "sessions flagged for review after a withdrawal", consent)
    flags.add_argument("--encounter", metavar="ID")
    flags.add_argument("--all", action="store_true", help="include resolved flags")
    resolve = flags.add_subparsers(
        dest="flags_action", metavar="ACTION", required=False, parser_class=ArgumentParser
    )
    done = command("resolve", "mark a flag as reviewed", resolve)
    done.add_argument("flag", metavar="FLAG_ID")


def cmd_consent(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    action = {
        "form": _form,
        "record": _record,
        "show": _show,
        "certificate": _certificate,
        "withdraw": _withdraw,
        "flags": _flags,
    }[args.action]
    action(service, args, out)


# --------------------------------------------------------------------- forms
def _form(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    consent = service.consent
    if args.form_action == "list":
        forms = consent.list_forms()
        out.result(
            [to_json(f) for f in forms],
            lambda: table(
                ["ID", "SLUG", "VERSION", "TITLE", "AUDIENCE", "RECORDS"],
                [
                    [f.id, f.slug, f.version, _short(f.title), f.audience, str(f.record_count)]
                    for f in forms
                ],
            ),
        )
    elif args.form_action == "show":
        form = consent.get_form(args.ref)

        def text() -> str:
            lines = [
                form.label,
                f"  id:       {form.id}",
                f"  name:     {form.slug}@{form.version}",
                f"  date:     {form.form_date or '(none)'}",
                f"  ethics:   {form.ethics_reference or '(none)'}",
                f"  audience: {form.audience}",
                f"  records:  {form.record_count}",
                "  items:",
            ]
            for item in form.items:
                need = "required" if item.required else "optional"
                governs = f", governs {item.governs}" if item.governs else ""
                lines += [f"    {item.id} ({need}{governs})", f"      {item.statement}"]
            return "\n".join(lines)

        out.result(to_json(form), text)
    elif args.form_action == "import":
        template: FormTemplate = args.template
        try:
            consent.get_form(f"{template.slug}@{template.version}")
            existed = True
        except NotFound:
            existed = False
        form = consent.add_form(template)
        if existed:
            out.progress(f"{form.label} is already in the store, with the same wording.")
        out.result({"id": form.id, "added": not existed}, form.id)
    else:
        data = consent.form_template(args.ref).to_json()
        template_json = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if args.out is None:
            sys.stdout.write(template_json)
            return
        _write(args.out, template_json.encode("utf-8"), args.force)
        out.result({"path": str(args.out)}, str(args.out))


def _short(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ------------------------------------------------------------------- records
def _record(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    method = ConsentMethod(args.method)
    _check_method_options(method, args)
    scan_name, scan = args.scan if args.scan is not None else ("", None)
    view = service.consent.record(
        args.participant,
        args.form,
        args.answers or {},
        method.value,
        party=args.party,
        given_by=args.given_by,
        given_on=args.date,
        recording_id=args.recording,
        recording_offset=args.at,
        signature=args.signature,
        scan=scan,
        scan_name=scan_name,
    )
    out.result(to_json(view), view.id)


def _check_method_options(method: ConsentMethod, args: argparse.Namespace) -> None:
    needs = {
        ConsentMethod.SIGNED: ("--signature", args.signature is not None),
        ConsentMethod.PAPER: ("--scan", args.scan is not None),
        ConsentMethod.VERBAL: ("--recording", args.recording is not None),
    }
    for other, (option, given) in needs.items():
        if other is not method and given:
            raise InvalidInput(f"{option} goes with --method {other.value}, not {method.value}.")
    if method is not ConsentMethod.VERBAL and args.at is not None:
        raise InvalidInput("--at goes with --method verbal (the time in the recording).")
    if method is ConsentMethod.SIGNED and args.signature is None:
        raise InvalidInput(
            "Signed consent on the command line needs --signature FILE: the strokes as JSON "
            '({"width": W, "height": H, "strokes": [[[x, y], ...], ...]}).'
        )
    if method is ConsentMethod.PAPER and args.scan is None:
        raise InvalidInput("Consent on a paper form needs --scan FILE (the signed form).")
    if method is ConsentMethod.VERBAL and (args.recording is None or args.at is None):
        raise InvalidInput(
            "Verbal consent needs --recording ID and --at SECONDS: where it was said."
        )


def _show(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    state = service.consent.state(args.participant)
    records = service.consent.records(args.participant)
    data = to_json(state) | {
        "summary": state.summary,
        "records": [to_json(r) for r in records],
    }
    out.result(data, lambda: _describe(state, records))


def _describe(state: ConsentState, records: Sequence[ConsentRecordView]) -> str:
    lines = [state.label]
    if state.withdrawn_scope is not None or state.missing:
        lines.append(f"  {state.summary}")
    else:
        for governs in Governs:
            decision = state.decisions.get(governs.value)
            word = "yes" if decision else "no" if decision is False else "not asked"
            lines.append(f"  {governs.label + ':':26} {word}")
    lines.append(f"Records: {len(records)}")
    for r in records:
        who = f"{r.party}, given by {r.given_by}" if r.given_by else r.party
        where = f" ({r.recording_id} at {r.recording_offset:.0f} s)" if r.recording_id else ""
        lines.append(f"  {r.given_on}  {r.id}  {r.form_label}  {r.method}{where}  {who}")
        answers = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in r.answers.items())
        lines.append(f"    {answers}")
    return "\n".join(lines)


def _certificate(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    _refuse_overwrite(args.out, args.force)
    pdf = service.consent.certificate(args.record)
    _write(args.out, pdf, args.force)
    out.progress(
        f"Warning: {args.out} is NOT encrypted and may carry the participant's name; "
        "keep it safe and delete it when you are done."
    )
    out.result({"id": args.record, "path": str(args.out), "bytes": len(pdf)}, str(args.out))


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a file name.")
    if path.exists() and not force:
        raise InvalidInput(f"{path} already exists; nothing was written (--force replaces it).")


def _write(path: Path, data: bytes, force: bool) -> None:
    _refuse_overwrite(path, force)
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise InvalidInput(f"Cannot write {path}: {exc.strerror or exc}.") from None


# ----------------------------------------------------------------- withdrawal
def _withdraw(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    consent = service.consent
    plan = consent.withdrawal_plan(args.participant, args.scope)
    if args.dry_run:
        out.result(to_json(plan) | {"withdrawn": False}, lambda: "\n".join(plan.lines()))
        return
    if not args.yes:
        if not sys.stdin.isatty():
            raise InvalidInput(
                "A withdrawal needs confirmation: run it on a terminal, or add --yes "
                "(--dry-run shows what it will do); nothing was changed."
            )
        for line in plan.lines():
            out.progress(line)
        sys.stderr.write("Type yes to withdraw: ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() != "yes":
            raise Cancelled("Not confirmed; nothing was changed.")
    done = consent.withdraw(args.participant, args.scope, on=args.date, note=args.note)
    when = args.date.isoformat() if args.date else "today"
    out.result(
        to_json(done) | {"withdrawn": True},
        f"{done.participant_label} withdrew ({done.scope}), {when}.",
    )


def _flags(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    consent = service.consent
    if args.flags_action == "resolve":
        consent.resolve_flag(args.flag)
        out.result({"id": args.flag, "resolved": True}, f"Flag {args.flag} resolved.")
        return
    flags = consent.encounter_flags(args.encounter, include_resolved=args.all)

    def text() -> str:
        if not flags:
            return "No sessions are flagged for review."
        return "\n".join(
            f"{f.id}  {f.created_at:%Y-%m-%d}  {f.encounter_title} ({f.encounter_id})"
            + ("  [resolved]" if f.resolved_at else "")
            + f"\n  {f.message}"
            for f in flags
        )

    out.result([to_json(f) for f in flags], text)


HANDLERS: dict[str, Handler] = {"consent": cmd_consent}
