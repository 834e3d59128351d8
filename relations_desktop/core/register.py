"""The register: sites, families (children as their attributes), the researcher's
profile, and the profile report that summarises who the study has met."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from relations_desktop.core.convert import choice, required_text
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.store.lookup import get_or_missing
from relations_desktop.core.store.models import (
    Family,
    FamilyChild,
    Household,
    Involvement,
    LivingArrangement,
    Participant,
    ParticipantKind,
    Researcher,
    Site,
    SiteType,
    WithdrawalScope,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

_AGE_BAND = re.compile(r"^(\d{1,3})(?:\s*[-–]\s*(\d{1,3}))?(\+)?$")


def parse_age_band(value: str) -> tuple[int, int | None] | None:
    """``"25-34"`` → (25, 34); ``"55+"`` → (55, None); ``"7"`` → (7, 7); ``""`` → None."""
    text = value.strip()
    if not text:
        return None
    match = _AGE_BAND.match(text)
    if match is None:
        raise InvalidInput(f"Age band {value!r} should look like 25-34, 55+ or 7.")
    low = int(match.group(1))
    high = None if match.group(3) else int(match.group(2) or low)
    if high is not None and high < low:
        raise InvalidInput(f"Age band {value!r} ends before it starts.")
    if low > 120:
        raise InvalidInput(f"Age band {value!r} is not a human age.")
    return low, high


def clean_age_band(value: str) -> str:
    parsed = parse_age_band(value)
    if parsed is None:
        return ""
    low, high = parsed
    return f"{low}+" if high is None else str(low) if low == high else f"{low}-{high}"


@dataclass(frozen=True)
class SiteRecord:
    id: str
    name: str
    site_type: str
    region: str
    notes: str


@dataclass(frozen=True)
class ChildRecord:
    id: str
    family_id: str
    label: str
    age_band: str
    living_arrangement: str
    child_protection: str
    family_support: bool


@dataclass(frozen=True)
class FamilyRecord:
    id: str
    label: str
    household: str | None
    region: str
    site_id: str | None
    notes: str
    children: tuple[ChildRecord, ...]
    member_ids: tuple[str, ...]


@dataclass(frozen=True)
class ResearcherProfile:
    id: str
    name: str
    role: str
    institution: str
    region: str
    email: str


@dataclass(frozen=True)
class ProfileReport:
    """Counts in the shape of the study's summary slides."""

    parents: int = 0
    mothers: int = 0
    fathers: int = 0
    other_parents: int = 0
    parent_age_range: str = ""
    parents_on_ost: int = 0
    families: int = 0
    households: dict[str, int] = field(default_factory=dict)
    children: int = 0
    children_16_and_under: int = 0
    children_adult: int = 0
    children_age_unknown: int = 0
    living_arrangements: dict[str, int] = field(default_factory=dict)
    child_protection_current: int = 0
    child_protection_past: int = 0
    family_support: int = 0
    sites: int = 0
    sites_by_type: dict[str, int] = field(default_factory=dict)
    professionals: int = 0
    professionals_by_sector: dict[str, int] = field(default_factory=dict)
    family_members: int = 0
    child_participants: int = 0

    def lines(self) -> list[str]:
        """The report as text, one fact per line (the CLI and the view's copy button)."""

        def breakdown(counts: dict[str, int]) -> str:
            return ", ".join(f"{_words(k)} {v}" for k, v in counts.items()) or "none"

        age = f", aged {self.parent_age_range}" if self.parent_age_range else ""
        return [
            f"Parents: {self.parents} ({self.mothers} mothers, {self.fathers} fathers"
            + (f", {self.other_parents} other" if self.other_parents else "")
            + f"{age}); {self.parents_on_ost} on opioid substitution therapy",
            f"Families: {self.families} ({breakdown(self.households)})",
            f"Children: {self.children} ({self.children_16_and_under} aged 16 and under, "
            f"{self.children_adult} adult"
            + (f", {self.children_age_unknown} age not known" if self.children_age_unknown else "")
            + ")",
            f"  living arrangements: {breakdown(self.living_arrangements)}",
            f"  child protection involvement: {self.child_protection_current} current, "
            f"{self.child_protection_past} past",
            f"  family support involvement: {self.family_support}",
            f"Sites: {self.sites} ({breakdown(self.sites_by_type)})",
            f"Professionals: {self.professionals} ({breakdown(self.professionals_by_sector)})",
            f"Other family members: {self.family_members}",
        ]


def _words(slug: str) -> str:
    return slug.replace("-", " ")


class RegisterService:
    def __init__(self, store: StoreService) -> None:
        self._store = store

    # ------------------------------------------------------------------ sites
    def add_site(
        self, name: str, site_type: str, *, region: str = "", notes: str = ""
    ) -> SiteRecord:
        site = Site(
            project_id=self._store.project_id,
            name=required_text(name, "site name"),
            site_type=choice(SiteType, site_type, "site type"),
            region=region.strip(),
            notes=notes,
            created_by=self._store.researcher_id,
            updated_by=self._store.researcher_id,
        )
        with self._store._session() as session:
            session.add(site)
            session.flush()
            return _site(site)

    def update_site(self, site_id: str, **fields: Any) -> SiteRecord:
        with self._store._session() as session:
            site = get_or_missing(session, Site, site_id, "site")
            if "name" in fields:
                site.name = required_text(fields["name"], "site name")
            if "site_type" in fields:
                site.site_type = choice(SiteType, fields["site_type"], "site type")
            for name in ("region", "notes"):
                if name in fields:
                    setattr(site, name, str(fields[name]).strip())
            site.updated_by = self._store.researcher_id
            return _site(site)

    def list_sites(self) -> list[SiteRecord]:
        with self._store._session() as session:
            return [_site(s) for s in session.scalars(select(Site).order_by(Site.name))]

    def get_site(self, site_id: str) -> SiteRecord:
        with self._store._session() as session:
            return _site(get_or_missing(session, Site, site_id, "site"))

    # --------------------------------------------------------------- families
    def add_family(
        self,
        label: str,
        *,
        household: str | None = None,
        region: str = "",
        site_id: str | None = None,
        notes: str = "",
    ) -> FamilyRecord:
        with self._store._session() as session:
            if site_id:
                get_or_missing(session, Site, site_id, "site")
            family = Family(
                project_id=self._store.project_id,
                label=required_text(label, "family label"),
                household=choice(Household, household, "household") if household else None,
                region=region.strip(),
                site_id=site_id or None,
                notes=notes,
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            session.add(family)
            session.flush()
            return _family(session, family)

    def update_family(self, family_id: str, **fields: Any) -> FamilyRecord:
        with self._store._session() as session:
            family = get_or_missing(session, Family, family_id, "family")
            if "label" in fields:
                family.label = required_text(fields["label"], "family label")
            if "household" in fields:
                value = fields["household"]
                family.household = choice(Household, value, "household") if value else None
            if "site_id" in fields:
                if fields["site_id"]:
                    get_or_missing(session, Site, fields["site_id"], "site")
                family.site_id = fields["site_id"] or None
            for name in ("region", "notes"):
                if name in fields:
                    setattr(family, name, str(fields[name]).strip())
            family.updated_by = self._store.researcher_id
            return _family(session, family)

    def list_families(self) -> list[FamilyRecord]:
        with self._store._session() as session:
            rows = session.scalars(select(Family).order_by(Family.label)).all()
            return [_family(session, f) for f in rows]

    def get_family(self, family_id: str) -> FamilyRecord:
        with self._store._session() as session:
            return _family(session, get_or_missing(session, Family, family_id, "family"))

    def add_child(
        self,
        family_id: str,
        living_arrangement: str,
        *,
        age_band: str = "",
        label: str = "",
        child_protection: str = Involvement.NONE.value,
        family_support: bool = False,
    ) -> ChildRecord:
        with self._store._session() as session:
            get_or_missing(session, Family, family_id, "family")
            child = FamilyChild(
                family_id=family_id,
                label=label.strip(),
                age_band=clean_age_band(age_band),
                living_arrangement=choice(
                    LivingArrangement, living_arrangement, "living arrangement"
                ),
                child_protection=choice(Involvement, child_protection, "involvement"),
                family_support=bool(family_support),
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            session.add(child)
            session.flush()
            return _child(child)

    def update_child(self, child_id: str, **fields: Any) -> ChildRecord:
        with self._store._session() as session:
            child = get_or_missing(session, FamilyChild, child_id, "child")
            if "label" in fields:
                child.label = str(fields["label"]).strip()
            if "age_band" in fields:
                child.age_band = clean_age_band(str(fields["age_band"]))
            if "living_arrangement" in fields:
                child.living_arrangement = choice(
                    LivingArrangement, fields["living_arrangement"], "living arrangement"
                )
            if "child_protection" in fields:
                child.child_protection = choice(
                    Involvement, fields["child_protection"], "involvement"
                )
            if "family_support" in fields:
                child.family_support = bool(fields["family_support"])
            child.updated_by = self._store.researcher_id
            return _child(child)

    def remove_child(self, child_id: str) -> None:
        with self._store._session() as session:
            session.delete(get_or_missing(session, FamilyChild, child_id, "child"))

    # --------------------------------------------------------------- profile
    def researcher_profile(self) -> ResearcherProfile:
        with self._store._session() as session:
            me = get_or_missing(session, Researcher, self._store.researcher_id, "researcher")
            return _researcher(me)

    def update_researcher_profile(self, **fields: Any) -> ResearcherProfile:
        with self._store._session() as session:
            me = get_or_missing(session, Researcher, self._store.researcher_id, "researcher")
            if "name" in fields:
                me.name = required_text(fields["name"], "name")
            for name in ("role", "institution", "region"):
                if name in fields:
                    setattr(me, name, str(fields[name]).strip())
            if "email" in fields:
                me.email = str(fields["email"]).strip() or None
            me.updated_by = self._store.researcher_id
            return _researcher(me)

    def profile_report(self) -> ProfileReport:
        """Who the study has met, leaving out anyone who withdrew their data."""
        with self._store._session() as session:
            people = [
                p
                for p in session.scalars(select(Participant))
                if p.withdrawal_scope is not WithdrawalScope.ALL
            ]
            families = session.scalars(select(Family)).all()
            sites = session.scalars(select(Site)).all()
            parents = [p for p in people if p.kind is ParticipantKind.PARENT]
            mothers = [p for p in parents if _parent_role(p.role_label) == "mother"]
            fathers = [p for p in parents if _parent_role(p.role_label) == "father"]
            children = [c for f in families for c in f.children]
            bands = [parse_age_band(c.age_band) for c in children]
            arrangements = Counter(c.living_arrangement.value for c in children)
            households = Counter(f.household.value for f in families if f.household)
            professionals = [p for p in people if p.kind is ParticipantKind.PROFESSIONAL]
            return ProfileReport(
                parents=len(parents),
                mothers=len(mothers),
                fathers=len(fathers),
                other_parents=len(parents) - len(mothers) - len(fathers),
                parent_age_range=_age_range(p.age_band for p in parents),
                parents_on_ost=sum(1 for p in parents if p.on_ost),
                families=len(families),
                households={h.value: households[h.value] for h in Household if households[h.value]},
                children=len(children),
                children_16_and_under=sum(
                    1 for b in bands if b is not None and b[1] is not None and b[1] <= 16
                ),
                children_adult=sum(1 for b in bands if b is not None and b[0] >= 18),
                children_age_unknown=sum(
                    1 for b in bands if b is None or (b[0] < 18 and (b[1] is None or b[1] > 16))
                ),
                living_arrangements={
                    a.value: arrangements[a.value]
                    for a in LivingArrangement
                    if arrangements[a.value]
                },
                child_protection_current=sum(
                    1 for c in children if c.child_protection is Involvement.CURRENT
                ),
                child_protection_past=sum(
                    1 for c in children if c.child_protection is Involvement.PAST
                ),
                family_support=sum(1 for c in children if c.family_support),
                sites=len(sites),
                sites_by_type=dict(sorted(Counter(s.site_type.value for s in sites).items())),
                professionals=len(professionals),
                professionals_by_sector=dict(
                    sorted(Counter(p.sector or "not recorded" for p in professionals).items())
                ),
                family_members=sum(1 for p in people if p.kind is ParticipantKind.FAMILY_MEMBER),
                child_participants=sum(1 for p in people if p.kind is ParticipantKind.CHILD),
            )


def _parent_role(role_label: str) -> str:
    words = role_label.lower()
    if "mother" in words or "mum" in words or "mam" in words:
        return "mother"
    if "father" in words or "dad" in words:
        return "father"
    return "other"


def _age_range(bands: Any) -> str:
    parsed = [b for b in (parse_age_band(x) for x in bands) if b is not None]
    if not parsed:
        return ""
    low = min(b[0] for b in parsed)
    highs = [b[1] for b in parsed]
    if any(h is None for h in highs):
        return f"{low}+"
    return f"{low}–{max(h for h in highs if h is not None)}"


def _site(row: Site) -> SiteRecord:
    return SiteRecord(row.id, row.name, row.site_type.value, row.region, row.notes)


def _child(row: FamilyChild) -> ChildRecord:
    return ChildRecord(
        id=row.id,
        family_id=row.family_id,
        label=row.label,
        age_band=row.age_band,
        living_arrangement=row.living_arrangement.value,
        child_protection=row.child_protection.value,
        family_support=row.family_support,
    )


def _family(session: Any, row: Family) -> FamilyRecord:
    members = session.scalars(
        select(Participant.id)
        .where(Participant.family_id == row.id)
        .order_by(Participant.pseudonym)
    ).all()
    return FamilyRecord(
        id=row.id,
        label=row.label,
        household=row.household.value if row.household else None,
        region=row.region,
        site_id=row.site_id,
        notes=row.notes,
        children=tuple(_child(c) for c in row.children),
        member_ids=tuple(members),
    )


def _researcher(row: Researcher) -> ResearcherProfile:
    return ResearcherProfile(
        id=row.id,
        name=row.name,
        role=row.role,
        institution=row.institution,
        region=row.region,
        email=row.email or "",
    )
