"""``keys show`` and ``team ...``: this researcher's public keys and the signed team roster
(see docs/team-roster.md).

Recipients and signing keys given on the command line are checked while the arguments
are parsed, so a bad one is refused before the store is even unlocked.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from relations_desktop.cli.common import (
    ArgumentParser,
    CommandFactory,
    Handler,
    Output,
    table,
)
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.records import to_json
from relations_desktop.core.services import StoreService
from relations_desktop.core.team import parse_recipient, parse_signing_key


def _recipient(text: str) -> str:
    try:
        return parse_recipient(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _signing_key(text: str) -> str:
    try:
        return parse_signing_key(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def add_commands(command: CommandFactory) -> None:
    keys = command("keys", "this researcher's keys (public halves only)").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    command(
        "show",
        "print your age recipient (to receive bundles) and minisign signing public key",
        keys,
    )

    team = command("team", "the team roster: members and their public keys").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    add = command("add", "add a team member to the roster", team)
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--recipient", type=_recipient, metavar="AGE1...", help="their age recipient")
    who.add_argument("--me", action="store_true", help="yourself, with your own keys")
    add.add_argument("--name", metavar="N", help="their name (with --me: yours by default)")
    add.add_argument(
        "--signing-key", type=_signing_key, metavar="KEY", help="their minisign public key (RW...)"
    )
    add.add_argument("--role", choices=("member", "pi"), default="member")
    command("list", "list the roster", team)
    remove = command("remove", "remove a member from the roster", team)
    remove.add_argument("member", metavar="ID")
    export = command("export", "write the roster, signed with your key (PIs only)", team)
    export.add_argument(
        "--out", type=Path, required=True, metavar="F", help="writes F and F.minisig"
    )
    imp = command("import", "verify and import a signed roster (F and F.minisig)", team)
    imp.add_argument("file", type=Path, metavar="F")
    imp.add_argument(
        "--trust-signer",
        type=_signing_key,
        metavar="KEY",
        help="the signing public key (RW...) of the PI who signed it, confirmed with them "
        "in person or by phone: needed for the first roster you import",
    )


def cmd_keys(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    keys = service.team.my_keys()
    out.result(
        to_json(keys),
        "\n".join(
            [
                f"age recipient:      {keys.age_recipient}",
                f"signing key ID:     {keys.signing_key_id}",
                f"signing public key: {keys.signing_public_key}",
            ]
        ),
    )


def cmd_team(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if args.action == "add":
        if args.me:
            if args.signing_key is not None:
                raise InvalidInput("--me uses your own signing key; leave out --signing-key.")
            member = service.team.add_me(name=args.name, role=args.role)
        else:
            if not args.name:
                raise InvalidInput("A team member needs a name (--name).")
            member = service.team.add_member(
                args.name, args.recipient, signing_key=args.signing_key, role=args.role
            )
        out.result(to_json(member), member.id)
    elif args.action == "list":
        members = service.team.list_members()
        out.result(
            [to_json(m) for m in members],
            lambda: table(
                ["NAME", "ROLE", "SIGNING KEY ID", "RECIPIENT", "ID"],
                [
                    [
                        m.name + (" (you)" if m.is_me else ""),
                        m.role,
                        m.signing_key_id or "-",
                        m.age_recipient,
                        m.id,
                    ]
                    for m in members
                ],
            ),
        )
    elif args.action == "remove":
        service.team.remove_member(args.member)
        out.result({"removed": args.member}, f"Removed {args.member}.")
    elif args.action == "export":
        done = service.team.export_roster(args.out)
        out.result(
            to_json(done),
            f"Wrote {done.roster_path} and {done.signature_path} "
            f"({done.members} members, signed by key ID {done.signer_key_id}).",
        )
    else:
        got = service.team.import_roster_file(args.file, trust_signer=args.trust_signer)
        out.result(
            to_json(got),
            f"Imported the roster signed by {got.signer_name} (key ID {got.signer_key_id}) "
            f"at {got.signed_at}: {got.members} members.",
        )


HANDLERS: dict[str, Handler] = {"keys": cmd_keys, "team": cmd_team}
