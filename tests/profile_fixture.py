"""A register that mirrors the study's profile slides, and the report it must give.

16 parents (10 mothers, 6 fathers, aged 22–52, 9 on opioid substitution therapy) in
12 families; 25 children (14 aged 16 and under, 11 adult; 9 with parents, 4 with the
other parent, 5 in foster care, 5 in kinship care, 2 adopted; child protection 8
current and 10 past; family support 6); 12 sites (4 drug treatment, 3 child
protection, 3 family support, 2 pregnancy services); 19 professionals (health 8,
social work 6, third sector 5). Used by the GUI's and the command line's tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from relations_desktop.core.register import ProfileReport
from relations_desktop.core.services import StoreService

SITES = (
    ("Riverside Recovery Service", "drug-treatment", "Scotland"),
    ("Northgate Drug Treatment Clinic", "drug-treatment", "England"),
    ("Harbour Street Pharmacy Hub", "drug-treatment", "Scotland"),
    ("Eastfield Community Addictions Team", "drug-treatment", "Scotland"),
    ("Westfield Children and Families Team", "child-protection", "Scotland"),
    ("Southbank Children's Social Care", "child-protection", "England"),
    ("Glenview Child Protection Unit", "child-protection", "Scotland"),
    ("Thistle Family Support Project", "family-support", "Scotland"),
    ("Hope Street Family Centre", "family-support", "England"),
    ("Parents Together", "family-support", "England"),
    ("Maternity Special Needs Team", "pregnancy-services", "Scotland"),
    ("Bumps and Beyond Midwifery", "pregnancy-services", "England"),
)
# label, household (None: not recorded), region, index of its site
FAMILIES = (
    ("Family A", "co-habiting", "Scotland", 0),
    ("Family B", "co-habiting", "Scotland", 7),
    ("Family C", "co-habiting", "England", 1),
    ("Family D", "co-habiting", "England", 8),
    ("Family E", "co-habiting", "Scotland", 2),
    ("Family F", "single-parent", "Scotland", 4),
    ("Family G", "single-parent", "England", 5),
    ("Family H", "single-parent", "Scotland", 10),
    ("Family I", "single-parent", "England", 11),
    ("Family J", "co-parenting-apart", "Scotland", 3),
    ("Family K", "co-parenting-apart", "England", 9),
    ("Family L", None, "Scotland", 6),
)
# pseudonym, role, age band, on OST, index of the family
PARENTS = (
    ("Lara", "Mother", "22-25", True, 0),
    ("Marianne", "Mother", "25-34", True, 1),
    ("Shona", "Mother", "25-34", False, 2),
    ("Kirsty", "Mother", "35-44", True, 3),
    ("Donna", "Mother", "28", True, 4),
    ("Jen", "Mother", "30", False, 5),
    ("Amy", "Mother", "35-44", True, 6),
    ("Leanne", "Mother", "25-34", False, 7),
    ("Claire", "Mother", "45-52", True, 8),
    ("Nicola", "Mother", "35-44", False, 9),
    ("Stevie", "Father", "25-34", True, 0),
    ("Craig", "Father", "35-44", False, 1),
    ("Darren", "Father", "45-52", True, 2),
    ("Gary", "Father", "30", False, 3),
    ("Paul", "Father", "40", True, 10),
    ("Barry", "Father", "35-44", False, 11),
)
# description, age band, living arrangement, child protection, family support
CHILDREN = (
    ("baby son", "0-1", "foster-care", "current", False),
    ("toddler daughter", "2", "foster-care", "current", False),
    ("nursery aged son", "3-4", "foster-care", "current", False),
    ("primary school aged daughter", "7", "foster-care", "current", False),
    ("primary school aged son", "9", "foster-care", "current", False),
    ("baby daughter", "0-1", "kinship-care", "current", False),
    ("primary school aged son", "5-10", "kinship-care", "current", False),
    ("teenage daughter", "13", "kinship-care", "current", False),
    ("toddler son", "1-2", "with-parents", "past", True),
    ("primary school aged daughter", "6", "with-parents", "past", True),
    ("secondary school aged son", "11-16", "with-parents", "past", True),
    ("teenage son", "15", "with-parents", "past", True),
    ("primary school aged daughter", "8", "with-other-parent", "past", True),
    ("teenage daughter", "14", "with-other-parent", "past", True),
    ("adult son", "18-25", "with-parents", "none", False),
    ("adult daughter", "19", "with-parents", "none", False),
    ("adult son", "21", "with-parents", "none", False),
    ("adult daughter", "26-30", "with-parents", "none", False),
    ("adult son", "18+", "with-parents", "none", False),
    ("adult daughter", "20", "with-other-parent", "none", False),
    ("adult son", "22-25", "with-other-parent", "none", False),
    ("adult daughter", "30+", "kinship-care", "past", False),
    ("adult son", "18-25", "kinship-care", "past", False),
    ("adult daughter", "24", "adopted", "past", False),
    ("adult son", "18-21", "adopted", "past", False),
)
# role, sector, how many
PROFESSIONALS = (
    ("Health Visitor", "health", 3),
    ("Substance Use Nurse", "health", 3),
    ("Midwife", "health", 2),
    ("Social Worker", "social work", 6),
    ("Third Sector Family Support Worker", "third sector", 5),
)

EXPECTED = ProfileReport(
    parents=16,
    mothers=10,
    fathers=6,
    parent_age_range="22–52",
    parents_on_ost=9,
    families=12,
    households={"co-habiting": 5, "single-parent": 4, "co-parenting-apart": 2},
    children=25,
    children_16_and_under=14,
    children_adult=11,
    living_arrangements={
        "with-parents": 9,
        "with-other-parent": 4,
        "foster-care": 5,
        "kinship-care": 5,
        "adopted": 2,
    },
    child_protection_current=8,
    child_protection_past=10,
    family_support=6,
    sites=12,
    sites_by_type={
        "child-protection": 3,
        "drug-treatment": 4,
        "family-support": 3,
        "pregnancy-services": 2,
    },
    professionals=19,
    professionals_by_sector={"health": 8, "social work": 6, "third sector": 5},
)


@dataclass(frozen=True)
class ProfileIds:
    sites: list[str]
    families: list[str]
    parents: list[str]
    professionals: list[str]


def build_profile_register(service: StoreService) -> ProfileIds:
    """Fill ``service``'s register with the study's profile (see :data:`EXPECTED`)."""
    register = service.register
    sites = [register.add_site(n, t, region=r).id for n, t, r in SITES]
    families = [
        register.add_family(label, household=household, region=region, site_id=sites[site]).id
        for label, household, region, site in FAMILIES
    ]
    for number, (label, age, living, protection, support) in enumerate(CHILDREN):
        register.add_child(
            families[number % len(families)],
            living,
            age_band=age,
            label=label,
            child_protection=protection,
            family_support=support,
        )
    parents = [
        service.add_participant(
            name,
            role,
            region=FAMILIES[family][2],
            age_band=age,
            on_ost=ost,
            family_id=families[family],
            site_id=sites[FAMILIES[family][3]],
        ).id
        for name, role, age, ost, family in PARENTS
    ]
    professionals: list[str] = []
    for role, sector, count in PROFESSIONALS:
        for n in range(count):
            professionals.append(
                service.add_participant(
                    f"{role.split()[0]} {n + 1}",
                    role,
                    kind="professional",
                    sector=sector,
                    region="Scotland" if n % 2 == 0 else "England",
                ).id
            )
    return ProfileIds(sites, families, parents, professionals)
