"""The register: sites, families with children, participants' attributes, the profile."""

from __future__ import annotations

import pytest

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.register import clean_age_band, parse_age_band
from relations_desktop.core.services import StoreService


@pytest.mark.parametrize(
    ("text", "parsed", "clean"),
    [("25-34", (25, 34), "25-34"), ("55+", (55, None), "55+"), (" 7 ", (7, 7), "7"),
     ("11 – 16", (11, 16), "11-16"), ("", None, "")],
)  # fmt: skip
def test_age_bands(text: str, parsed: object, clean: str) -> None:
    assert parse_age_band(text) == parsed
    assert clean_age_band(text) == clean


@pytest.mark.parametrize("bad", ["about 30", "34-25", "300", "-5", "thirty"])
def test_bad_age_bands_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_age_band(bad)


def test_sites_families_children_and_participants(service: StoreService) -> None:
    register = service.register
    site = register.add_site("Riverside recovery hub", "drug-treatment", region="Scotland")
    family = register.add_family("Family A", household="single-parent", site_id=site.id)
    register.add_child(family.id, "kinship-care", age_band="5-10", child_protection="current",
                       label="primary school aged daughter")  # fmt: skip
    register.add_child(family.id, "with-parents", age_band="19", family_support=True)
    lara = service.add_participant(
        "Lara", "Mother", region="Scotland", age_band="25-34", on_ost=True,
        site_id=site.id, family_id=family.id,
    )  # fmt: skip
    assert (lara.age_band, lara.on_ost, lara.site_id, lara.family_id) == (
        "25-34", True, site.id, family.id
    )  # fmt: skip
    stored = register.get_family(family.id)
    assert stored.member_ids == (lara.id,)
    assert [c.living_arrangement for c in stored.children] == ["kinship-care", "with-parents"]
    updated = service.update_participant(lara.id, on_ost=False, age_band="35-44")
    assert (updated.on_ost, updated.age_band) == (False, "35-44")
    encounter = service.add_encounter("clinic-visit", "Clinic", site_id=site.id)
    assert encounter.site_id == site.id


def test_bad_register_input_is_refused_and_nothing_is_added(service: StoreService) -> None:
    with pytest.raises(InvalidInput, match="Unknown site type 'pub'"):
        service.register.add_site("The Crown", "pub")
    with pytest.raises(InvalidInput, match="site name must not be empty"):
        service.register.add_site("  ", "other")
    with pytest.raises(InvalidInput, match="Unknown household"):
        service.register.add_family("F", household="commune")
    with pytest.raises(NotFound, match="no site"):
        service.register.add_family("F", site_id="missing")
    assert service.register.list_sites() == [] and service.register.list_families() == []
    family = service.register.add_family("F")
    with pytest.raises(InvalidInput, match="Unknown living arrangement"):
        service.register.add_child(family.id, "boarding-school")
    with pytest.raises(InvalidInput, match="Age band"):
        service.register.add_child(family.id, "adopted", age_band="teen")
    with pytest.raises(NotFound, match="no family"):
        service.add_participant("Lara", "Mother", family_id="nope")
    assert service.register.get_family(family.id).children == ()
    assert service.list_participants() == []


def test_profile_report_counts(service: StoreService) -> None:
    register = service.register
    for name, kind in [("Hub", "drug-treatment"), ("Team", "child-protection"),
                       ("Clinic", "pregnancy-services")]:  # fmt: skip
        register.add_site(name, kind)
    family = register.add_family("A", household="co-habiting")
    other = register.add_family("B", household="single-parent")
    register.add_child(family.id, "foster-care", age_band="0-4", child_protection="current")
    register.add_child(family.id, "independent", age_band="18+", child_protection="past")
    register.add_child(other.id, "with-other-parent", age_band="16", family_support=True)
    register.add_child(other.id, "with-parents", age_band="15-19")  # straddles: unknown
    service.add_participant("Lara", "Mother", age_band="22", on_ost=True)
    service.add_participant("Jo", "Mum", age_band="30-39", on_ost=False)
    service.add_participant("Dan", "Father", age_band="45-52", on_ost=True)
    service.add_participant("Ann", "Health Visitor", kind="professional", sector="health")
    service.add_participant("Bea", "Social Worker", kind="professional", sector="social work")
    service.add_participant("Cy", "Family Support Worker", kind="professional")
    service.add_participant("Gran", "Grandmother", kind="family-member")
    report = register.profile_report()
    assert (report.parents, report.mothers, report.fathers, report.parents_on_ost) == (3, 2, 1, 2)
    assert report.parent_age_range == "22–52"
    assert (report.families, report.households) == (2, {"co-habiting": 1, "single-parent": 1})
    assert (report.children, report.children_16_and_under, report.children_adult) == (4, 2, 1)
    assert report.children_age_unknown == 1
    assert (report.child_protection_current, report.child_protection_past) == (1, 1)
    assert report.family_support == 1
    assert report.sites_by_type == {
        "child-protection": 1, "drug-treatment": 1, "pregnancy-services": 1
    }  # fmt: skip
    assert report.professionals_by_sector == {
        "health": 1, "not recorded": 1, "social work": 1
    }  # fmt: skip
    assert report.family_members == 1
    text = "\n".join(report.lines())
    assert "Parents: 3 (2 mothers, 1 fathers, aged 22–52); 2 on opioid substitution" in text
    assert "Children: 4 (2 aged 16 and under, 1 adult, 1 age not known)" in text


def test_researcher_profile(service: StoreService) -> None:
    profile = service.register.update_researcher_profile(
        role="Research Fellow", institution="University", region="Scotland"
    )
    assert profile.name == "Test Researcher" and profile.region == "Scotland"
    with pytest.raises(InvalidInput):
        service.register.update_researcher_profile(name=" ")
