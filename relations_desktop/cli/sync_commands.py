"""``target ...`` and ``sync``: where sealed bundles go, and sending them (docs/sync.md).

``sync`` exits 0 when everything is delivered or waits for a retry (no network is no
error), and non-zero with one line on stderr when the user must act: 15 a changed host
key, 16 a refused login, 18 another delivery that needs attention; failures of earlier
runs that were not tried again keep their own code.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from relations_desktop.cli.common import ArgumentParser, CommandFactory, Handler, Output, table
from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.records import to_json
from relations_desktop.core.services import StoreService
from relations_desktop.core.sync import DeliveryResult, SyncProgress, SyncReport, TargetRecord

EXIT_CODES = {"host-key-changed": 15, "auth-failed": 16}  # by DeliveryResult.problem


class SyncProblem(RelationsError):
    """Some deliveries need the user; the exit code says which kind came first."""

    exit_code = 18

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


def add_commands(command: CommandFactory) -> None:
    target = command("target", "where sealed bundles are sent (folders, SFTP)").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    add = command("add", "add a folder or an SFTP server as a target", target)
    add.add_argument("kind", choices=("folder", "sftp"), metavar="folder|sftp")
    add.add_argument(
        "location", metavar="PATH|USER@HOST[:PORT]/PATH", help="/srv/x is absolute, /~/x is in home"
    )
    _login_options(add, required=False)
    command("list", "list targets with what was sent, what waits and why", target)
    remove = command("remove", "forget a target (files already there stay)", target)
    remove.add_argument("target", metavar="ID")
    pin = command("pin", "contact an SFTP server and pin (or check) its host key", target)
    pin.add_argument("target", metavar="ID")
    pin.add_argument(
        "--accept-new",
        action="store_true",
        help="replace a pinned key that changed (only after checking it with the server's admin)",
    )
    pin.add_argument(
        "--fingerprint", metavar="SHA256:...", help="pin only if the server's key has this one"
    )
    credentials = command("credentials", "replace an SFTP target's login key or password", target)
    credentials.add_argument("target", metavar="ID")
    _login_options(credentials, required=True)

    sync = command("sync", "send every bundle in the outbox to every target")
    sync.add_argument(
        "--now",
        action="store_true",
        help="also try what waits for its retry time or failed earlier",
    )


def _login_options(parser: ArgumentParser, *, required: bool) -> None:
    login = parser.add_mutually_exclusive_group(required=required)
    login.add_argument(
        "--key", type=Path, metavar="FILE", help="SSH private key without a passphrase"
    )
    login.add_argument(
        "--password-stdin", action="store_true", help="read the SFTP password from stdin"
    )


def _password(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise InvalidInput("No password on stdin; nothing was changed.")
    return password


def cmd_target(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    sync = service.sync
    if args.action == "add":
        if args.kind == "folder" and (args.key is not None or args.password_stdin):
            raise InvalidInput("A folder target takes no --key or --password-stdin.")
        added = sync.add_target(
            args.kind, args.location, key_file=args.key, password=_password(args)
        )
        lines = [f"Added {added.kind} target {added.id}: {added.location}"]
        if added.client_key:
            lines.append(f"The server's authorized_keys must hold: {added.client_key}")
        out.result(to_json(added), "\n".join(lines))
    elif args.action == "list":
        targets = sync.list_targets()
        out.result([to_json(t) for t in targets], lambda: _target_table(targets))
    elif args.action == "remove":
        sync.remove_target(args.target)
        out.result({"removed": args.target}, f"Removed target {args.target}.")
    elif args.action == "credentials":
        changed = sync.set_credentials(args.target, key_file=args.key, password=_password(args))
        out.result(to_json(changed), f"New login stored for {changed.location}.")
    else:
        got = sync.pin_host_key(args.target, accept_new=args.accept_new, expected=args.fingerprint)
        if got.changed:
            text = (
                f"Replaced the pinned host key of {got.target}: was {got.previous_fingerprint}, "
                f"now {got.fingerprint}. Failed deliveries are tried again at the next sync."
            )
        elif got.pinned:
            text = (
                f"Pinned the host key of {got.target}: {got.fingerprint} ({got.key.split()[0]}). "
                "Check this fingerprint with the server's administrator."
            )
        else:
            text = f"The host key of {got.target} is the pinned one: {got.fingerprint}."
        out.result(to_json(got), text)


def _target_table(targets: list[TargetRecord]) -> str:
    rows = [
        [
            t.id,
            t.kind + ("" if t.enabled else " (off)"),
            t.location,
            str(t.sent),
            str(t.pending),
            str(t.failed),
            t.host_key_fingerprint or ("-" if t.kind == "folder" else "not pinned yet"),
            _when(t.next_attempt_at) if t.next_attempt_at else "-",
        ]
        for t in targets
    ]
    lines = [
        table(["ID", "KIND", "LOCATION", "SENT", "PENDING", "FAILED", "HOST KEY", "NEXT"], rows)
    ]
    lines += [f"{t.id}: {t.last_error}" for t in targets if t.last_error]
    return "\n".join(lines)


def cmd_sync(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    started: set[tuple[str, str]] = set()

    def progress(step: SyncProgress) -> None:
        if (step.bundle_id, step.target_id) not in started:
            started.add((step.bundle_id, step.target_id))
            out.progress(f"Sending {step.bundle_id} to {step.target} ({step.total} bytes)…")

    report = service.sync.sync(progress if sys.stderr.isatty() else None, force=args.now)
    out.result(to_json(report), lambda: _report_text(report))
    if report.problems:
        first = next(
            (p for kind in EXIT_CODES for p in report.problems if p.problem == kind),
            report.problems[0],
        )
        more = len(report.problems) - 1
        tail = f" ({more} more deliveries need attention: see target list.)" if more else ""
        raise SyncProblem(first.message + tail, EXIT_CODES.get(first.problem, 18))


def _report_text(report: SyncReport) -> str:
    lines = [
        f"Pinned the host key of {p.target} on first contact: {p.fingerprint}. "
        "Check it with the server's administrator."
        for p in report.pinned
    ]
    earlier = sum(1 for r in report.results if r.outcome == "already-sent")
    lines += [_result_line(r) for r in report.results if r.outcome != "already-sent"]
    if earlier:
        lines.append(f"{earlier} delivered earlier.")
    if not report.results:
        lines.append("Nothing to send: the outbox is empty or there is no target (target add).")
    if report.cancelled:
        lines.append("Cancelled: what was started resumes at the next sync.")
    return "\n".join(lines)


def _result_line(result: DeliveryResult) -> str:
    text = f"{result.outcome:<13} {result.bundle_id} → {result.target}: {result.message}"
    if result.outcome in ("retry", "waiting") and result.next_attempt_at is not None:
        text += f" Next try at {_when(result.next_attempt_at)}."
    return text


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


HANDLERS: dict[str, Handler] = {"target": cmd_target, "sync": cmd_sync}
