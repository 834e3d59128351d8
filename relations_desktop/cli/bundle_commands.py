"""``bundle seal`` and ``bundle verify``: encrypted, signed bundles for the team
(see docs/bundle-format.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from relations_desktop.cli.common import ArgumentParser, CommandFactory, Handler, Output
from relations_desktop.core.bundle_io import VerifyResult
from relations_desktop.core.records import to_json
from relations_desktop.core.services import StoreService


def add_commands(command: CommandFactory) -> None:
    bundle = command("bundle", "encrypted, signed bundles for the team").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    seal = command("seal", "seal sessions into a bundle encrypted to the team roster", bundle)
    seal.add_argument(
        "--encounter",
        action="append",
        default=[],
        metavar="ID",
        help="a session to include (repeatable; all sessions when none is given)",
    )
    seal.add_argument(
        "--since-last",
        action="store_true",
        help="only sessions with anything changed since the last bundle sealed here",
    )
    seal.add_argument(
        "--with-audio",
        action="store_true",
        help="include the recordings' audio (FLAC); it cannot be pseudonymised",
    )
    seal.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="write the bundle here (default: the store's outbox, for sync)",
    )
    verify = command(
        "verify", "check a bundle (decrypt, signature, every hash); writes nothing", bundle
    )
    verify.add_argument("file", type=Path, metavar="FILE")
    opened = command("open", "verify a bundle, then merge it into this (team) store", bundle)
    opened.add_argument("file", type=Path, metavar="FILE")
    command("outbox", "bundles sealed here, and where they are", bundle)
    command("received", "bundles opened into this store", bundle)
    conflicts = command(
        "conflicts", "records changed both here and in a bundle, awaiting a decision", bundle
    )
    conflicts.add_argument("--all", action="store_true", help="decided ones too")
    resolve = command("resolve", "decide a merge conflict", bundle)
    resolve.add_argument("conflict", metavar="CONFLICT_ID")
    keep = resolve.add_mutually_exclusive_group(required=True)
    keep.add_argument("--keep-local", action="store_true", help="keep this store's version")
    keep.add_argument("--take-incoming", action="store_true", help="take the bundle's version")


def cmd_bundle(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    action = _ACTIONS[args.action]
    action(service, args, out)


def _seal(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    sealed = service.bundles.seal(
        args.out,
        args.encounter or None,
        since_last=args.since_last,
        with_audio=args.with_audio,
    )
    where = "in the outbox" if sealed.in_outbox else "at"
    lines = [
        f"Sealed bundle {sealed.bundle_id} {where} {sealed.path} for {sealed.recipients} "
        f"recipient(s): {_counts(sealed.counts)}."
    ]
    if sealed.audio_withheld:
        lines.append(
            f"Audio of {len(sealed.audio_withheld)} session(s) stayed home: someone present "
            "withdrew their data."
        )
    out.result(to_json(sealed), "\n".join(lines))


def _verify(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    got = service.bundles.verify(args.file)
    out.result(to_json(got), _verified(got))


def _verified(got: VerifyResult) -> str:
    return "\n".join(
        [
            f"Bundle {got.bundle_id} is intact and signed by {got.signer} "
            f"(key ID {got.signer_key_id}).",
            f"researcher: {got.researcher_name} ({got.researcher_id})",
            f"sealed at:  {got.created_at}",
            f"contents:   {_counts(got.counts)}; {got.files} files, {got.total_bytes} bytes",
        ]
    )


def _open(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    got, summary = service.bundles.open(args.file)
    if summary.duplicate:
        text = f"Bundle {got.bundle_id} was opened here before; nothing changed."
    else:
        text = _verified(got) + "\nMerged: " + summary.describe() + "."
    out.result({"bundle": to_json(got), "merge": to_json(summary)}, text)


def _outbox(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    rows = service.bundles.outbox()
    lines = [
        f"{r.bundle_id}  {r.sealed_at:%Y-%m-%d %H:%M}  {r.size:>10} bytes  "
        f"{'outbox' if r.in_outbox else 'elsewhere'}{'' if r.present else ' (file gone)'}  "
        f"{r.path}"
        for r in rows
    ]
    out.result(
        [to_json(r) for r in rows], "\n".join(lines) or "No bundle has been sealed here yet."
    )


def _received(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    rows = service.inbox.received()
    lines = [
        f"{r.bundle_id}  from {r.researcher_name} (signed by {r.signer}), sealed {r.sealed_at}"
        for r in rows
    ]
    out.result(
        [to_json(r) for r in rows], "\n".join(lines) or "No bundle has been opened here yet."
    )


def _conflicts(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    rows = service.inbox.conflicts(status=None if args.all else "open")
    lines: list[str] = []
    for c in rows:
        lines.append(
            f"{c.id}  {c.record_type} {c.record_id}  from {c.researcher_name}  [{c.status}]"
        )
        lines.extend(
            f"    {d.field}: here {d.local!r} / bundle {d.incoming!r}" for d in c.differences
        )
    out.result([to_json(r) for r in rows], "\n".join(lines) or "No merge conflict is waiting.")


def _resolve(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    keep = "incoming" if args.take_incoming else "local"
    decided = service.inbox.resolve(args.conflict, keep)
    out.result(to_json(decided), f"Conflict {args.conflict} decided: kept the {keep} version.")


_ACTIONS = {
    "seal": _seal,
    "verify": _verify,
    "open": _open,
    "outbox": _outbox,
    "received": _received,
    "conflicts": _conflicts,
    "resolve": _resolve,
}


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} {name}" for name, value in sorted(counts.items())) or "empty"


HANDLERS: dict[str, Handler] = {"bundle": cmd_bundle}
