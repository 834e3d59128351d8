"""The register: site, family (and its children), researcher, profile."""

from __future__ import annotations

import argparse
import enum

from relations_desktop.cli.common import ArgumentParser, CommandFactory, Handler, Output, table
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.records import to_json
from relations_desktop.core.register import FamilyRecord
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import Household, Involvement, LivingArrangement, SiteType


def _values(enum_cls: type[enum.StrEnum]) -> list[str]:
    return [m.value for m in enum_cls]


def add_commands(command: CommandFactory) -> None:
    site = command("site", "fieldwork sites (services, projects)").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    s_add = command("add", "register a site", site)
    s_add.add_argument("name")
    s_add.add_argument(
        "--type",
        dest="site_type",
        required=True,
        choices=_values(SiteType),
        metavar="TYPE",
        help="one of: " + ", ".join(_values(SiteType)),
    )
    s_add.add_argument("--region", default="")
    s_add.add_argument("--notes", default="")
    command("list", "list sites", site)

    family = command("family", "families and their children").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    f_add = command("add", "register a family", family)
    f_add.add_argument("label", help="a pseudonymous label, e.g. 'Family A'")
    f_add.add_argument("--household", choices=_values(Household))
    f_add.add_argument("--region", default="")
    f_add.add_argument("--site", metavar="ID", help="the site the family was met through")
    f_add.add_argument("--notes", default="")
    command("list", "list families", family)
    f_show = command("show", "show one family, its children and members", family)
    f_show.add_argument("id", metavar="FAMILY_ID")
    child = command("child", "a family's children", family).add_subparsers(
        dest="child_action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    c_add = command("add", "add a child to a family", child)
    c_add.add_argument("family_id", metavar="FAMILY_ID")
    c_add.add_argument(
        "--living",
        required=True,
        choices=_values(LivingArrangement),
        metavar="ARRANGEMENT",
        help="one of: " + ", ".join(_values(LivingArrangement)),
    )
    c_add.add_argument("--age-band", default="", metavar="B", help="e.g. 0-4, 12, 18+")
    c_add.add_argument("--label", default="", metavar="L", help="e.g. 'eldest son'")
    c_add.add_argument("--child-protection", default="none", choices=_values(Involvement))
    c_add.add_argument("--family-support", action="store_true", help="involved with family support")

    researcher = command("researcher", "your researcher profile").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    command("show", "show your profile", researcher)
    r_set = command("set", "change your profile", researcher)
    for option in ("--name", "--role", "--institution", "--region", "--email"):
        r_set.add_argument(option, metavar=option[2].upper())

    command("profile", "the profile report: who the study has met, in counts")


def cmd_site(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    register = service.register
    if args.action == "add":
        record = register.add_site(args.name, args.site_type, region=args.region, notes=args.notes)
        out.result({"id": record.id}, record.id)
        return
    sites = register.list_sites()
    out.result(
        [to_json(s) for s in sites],
        lambda: table(
            ["ID", "NAME", "TYPE", "REGION"],
            [[s.id, s.name, s.site_type, s.region] for s in sites],
        ),
    )


def cmd_family(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    register = service.register
    if args.action == "add":
        record = register.add_family(
            args.label,
            household=args.household,
            region=args.region,
            site_id=args.site,
            notes=args.notes,
        )
        out.result({"id": record.id}, record.id)
    elif args.action == "child":
        child = register.add_child(
            args.family_id,
            args.living,
            age_band=args.age_band,
            label=args.label,
            child_protection=args.child_protection,
            family_support=args.family_support,
        )
        out.result({"id": child.id}, child.id)
    elif args.action == "show":
        family = register.get_family(args.id)
        out.result(to_json(family), lambda: _describe_family(service, family))
    else:
        families = register.list_families()
        out.result(
            [to_json(f) for f in families],
            lambda: table(
                ["ID", "LABEL", "HOUSEHOLD", "REGION", "CHILDREN", "MEMBERS"],
                [
                    [
                        f.id,
                        f.label,
                        f.household or "",
                        f.region,
                        str(len(f.children)),
                        str(len(f.member_ids)),
                    ]
                    for f in families
                ],
            ),
        )


def _describe_family(service: StoreService, family: FamilyRecord) -> str:
    site = service.register.get_site(family.site_id).name if family.site_id else "(none)"
    members = [service.get_participant(pid).label for pid in family.member_ids]
    lines = [
        family.label,
        f"  id:        {family.id}",
        f"  household: {family.household or '(not recorded)'}",
        f"  region:    {family.region or '(not recorded)'}",
        f"  site:      {site}",
        f"  members:   {', '.join(members) or '(none)'}",
        f"  children:  {len(family.children)}",
    ]
    for c in family.children:
        facts = [c.age_band and f"aged {c.age_band}", c.living_arrangement.replace("-", " ")]
        if c.child_protection != "none":
            facts.append(f"child protection ({c.child_protection})")
        if c.family_support:
            facts.append("family support")
        lines.append(f"    {c.id}  {c.label or 'child'}: {', '.join(f for f in facts if f)}")
    return "\n".join(lines)


def cmd_researcher(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    register = service.register
    if args.action == "set":
        fields = {
            name: getattr(args, name)
            for name in ("name", "role", "institution", "region", "email")
            if getattr(args, name) is not None
        }
        if not fields:
            raise InvalidInput(
                "Nothing to change: give --name, --role, --institution, --region or --email."
            )
        email = fields.get("email", "").strip()
        if email and ("@" not in email or any(c.isspace() for c in email)):
            raise InvalidInput(f"{email!r} does not look like an email address.")
        register.update_researcher_profile(**fields)
    me = register.researcher_profile()
    rows = [
        ("Name", me.name),
        ("Role", me.role),
        ("Institution", me.institution),
        ("Region", me.region),
        ("Email", me.email),
    ]
    out.result(
        to_json(me),
        lambda: "\n".join(f"{k + ':':13} {v or '(not set)'}" for k, v in rows),
    )


def cmd_profile(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    report = service.register.profile_report()
    out.result(to_json(report), lambda: "\n".join(report.lines()))


HANDLERS: dict[str, Handler] = {
    "site": cmd_site,
    "family": cmd_family,
    "researcher": cmd_researcher,
    "profile": cmd_profile,
}
