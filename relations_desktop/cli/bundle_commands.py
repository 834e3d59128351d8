"""``bundle seal`` and ``bundle verify``: encrypted, signed bundles for the team
(see docs/bundle-format.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from relations_desktop.cli.common import ArgumentParser, CommandFactory, Handler, Output
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
    seal.add_argument("--out", type=Path, required=True, metavar="FILE", help="the bundle file")
    verify = command(
        "verify", "check a bundle (decrypt, signature, every hash); writes nothing", bundle
    )
    verify.add_argument("file", type=Path, metavar="FILE")


def cmd_bundle(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if args.action == "seal":
        sealed = service.bundles.seal(args.out, args.encounter or None)
        out.result(
            to_json(sealed),
            f"Sealed {sealed.path} (bundle {sealed.bundle_id}) for {sealed.recipients} "
            f"recipient(s): {_counts(sealed.counts)}.",
        )
        return
    got = service.bundles.verify(args.file)
    out.result(
        to_json(got),
        "\n".join(
            [
                f"Bundle {got.bundle_id} is intact and signed by {got.signer} "
                f"(key ID {got.signer_key_id}).",
                f"researcher: {got.researcher_name} ({got.researcher_id})",
                f"sealed at:  {got.created_at}",
                f"contents:   {_counts(got.counts)}; {got.files} files, {got.total_bytes} bytes",
            ]
        ),
    )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} {name}" for name, value in sorted(counts.items())) or "empty"


HANDLERS: dict[str, Handler] = {"bundle": cmd_bundle}
