"""Use cases of StoreService: participants, sessions, notes, authorship, audit, settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from relations_desktop.core.errors import InvalidInput, NotFound, StoreLocked, WrongPassphrase
from relations_desktop.core.records import to_json
from relations_desktop.core.services import DEFAULT_AUTO_LOCK_MINUTES, StoreService
from relations_desktop.core.store.models import (
    Encounter,
    Fieldnote,
    IdentityEntry,
    Participant,
    Researcher,
)

PASS = "kitchen table methadone bairns"

# The thirteen fieldwork session types of the design, by slug (stable: scripts use them).
ENCOUNTER_TYPES = [
    "home-visit",
    "walk-and-talk",
    "telephone-interview",
    "video-interview",
    "park-visit",
    "staff-interview",
    "focus-group",
    "workday-debrief",
    "team-meeting",
    "clinic-visit",
    "supervised-contact-visit",
    "case-conference",
    "other",
]
PARTICIPANT_KINDS = ["parent", "professional", "family-member", "child"]
NOTE_KINDS = ["jotting", "expanded", "memo", "debrief"]


def _counts(service: StoreService) -> dict[str, int]:
    return service.info().counts


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreService]:
    """One store for the tests that only add rows (a store costs ~0.3 s to create)."""
    svc = StoreService.create(
        tmp_path_factory.mktemp("shared") / "store", PASS, researcher_name="Test Researcher"
    )
    try:
        yield svc
    finally:
        svc.close()


# --------------------------------------------------------------- participants
def test_add_participant(service: StoreService) -> None:
    p = service.add_participant(
        "  Lara ", " Mother ", region=" Scotland ", kind="parent", notes="met at clinic"
    )
    assert (p.pseudonym, p.role_label, p.region, p.kind) == ("Lara", "Mother", "Scotland", "parent")
    assert p.notes == "met at clinic"
    assert p.has_real_name is False
    assert p.label == "Lara (Mother)"
    assert service.get_participant(p.id) == p
    assert [x.id for x in service.list_participants()] == [p.id]
    assert service.real_name(p.id) is None


@pytest.mark.parametrize("kind", PARTICIPANT_KINDS)
def test_every_participant_kind(shared: StoreService, kind: str) -> None:
    assert shared.add_participant("P", "Role", kind=kind).kind == kind
    assert shared.add_participant("Q", "Role", kind=f" {kind.upper()} ").kind == kind


def test_default_kind_is_parent(shared: StoreService) -> None:
    assert shared.add_participant("P", "Mother").kind == "parent"


def test_invalid_kind_lists_the_choices(shared: StoreService) -> None:
    before = _counts(shared)
    with pytest.raises(InvalidInput) as info:
        shared.add_participant("P", "Role", kind="social-worker")
    for kind in PARTICIPANT_KINDS:
        assert kind in info.value.message
    assert "social-worker" in info.value.message
    assert _counts(shared) == before


@pytest.mark.parametrize(
    "pseudonym, role", [("", "Mother"), ("   ", "Mother"), ("Lara", ""), ("Lara", " \t ")]
)
def test_empty_pseudonym_or_role_refused(shared: StoreService, pseudonym: str, role: str) -> None:
    before = _counts(shared)
    with pytest.raises(InvalidInput):
        shared.add_participant(pseudonym, role, real_name="Someone Real")
    assert _counts(shared) == before


def test_real_name_only_through_real_name(shared: StoreService) -> None:
    real = "Jane Realperson"
    p = shared.add_participant("Lara", "Mother", real_name=f"  {real} ")
    assert p.has_real_name is True
    assert shared.real_name(p.id) == real
    # Nowhere in the plain records handed to the UI, the CLI or exports.
    for record in [p, shared.get_participant(p.id), *shared.list_participants()]:
        assert real not in repr(record)
        assert real not in str(to_json(record))
        assert not hasattr(record, "real_name")
    enc = shared.add_encounter("home-visit", "Visit", participant_ids=[p.id])
    assert real not in repr(shared.get_encounter(enc.id))


def test_blank_real_name_records_nothing(shared: StoreService) -> None:
    p = shared.add_participant("Lara", "Mother", real_name="   ")
    assert p.has_real_name is False
    assert shared.real_name(p.id) is None


def test_update_participant(shared: StoreService) -> None:
    p = shared.add_participant("Lara", "Mother", real_name="Jane Real")
    q = shared.update_participant(
        p.id,
        pseudonym="Lena",
        role_label="Grandmother",
        region="England",
        kind="family-member",
        notes=" new notes ",
    )
    assert (q.pseudonym, q.role_label, q.region, q.kind, q.notes) == (
        "Lena",
        "Grandmother",
        "England",
        "family-member",
        "new notes",
    )
    assert q.has_real_name is True
    assert shared.get_participant(p.id) == q
    # Change, then remove, then add the real name.
    assert shared.update_participant(p.id, real_name="Janet Real").has_real_name is True
    assert shared.real_name(p.id) == "Janet Real"
    assert shared.update_participant(p.id, real_name="").has_real_name is False
    assert shared.real_name(p.id) is None
    assert shared.update_participant(p.id, real_name="J. Real").has_real_name is True
    assert shared.real_name(p.id) == "J. Real"
    # Untouched fields stay.
    assert shared.update_participant(p.id, notes="x").pseudonym == "Lena"


def test_failed_update_changes_nothing(shared: StoreService) -> None:
    p = shared.add_participant("Lara", "Mother", real_name="Jane Real")
    with pytest.raises(InvalidInput):
        shared.update_participant(p.id, pseudonym="Changed", kind="bogus")
    with pytest.raises(InvalidInput):
        shared.update_participant(p.id, region="Wales", pseudonym="  ")
    with pytest.raises(InvalidInput):
        shared.update_participant(p.id, role_label=None)
    assert shared.get_participant(p.id) == p
    assert shared.real_name(p.id) == "Jane Real"


def test_unknown_participant(shared: StoreService) -> None:
    for ident in ("", "no-such-id", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFound):
            shared.get_participant(ident)
        with pytest.raises(NotFound):
            shared.update_participant(ident, pseudonym="X")
        with pytest.raises(NotFound):
            shared.real_name(ident)


def test_participants_listed_by_pseudonym(service: StoreService) -> None:
    for name in ("Mo", "Amira", "Lara"):
        service.add_participant(name, "Role")
    assert [p.pseudonym for p in service.list_participants()] == ["Amira", "Lara", "Mo"]


# ----------------------------------------------------------------- encounters
@pytest.mark.parametrize("etype", ENCOUNTER_TYPES)
def test_every_encounter_type(shared: StoreService, etype: str) -> None:
    enc = shared.add_encounter(etype, f"A {etype}")
    assert enc.encounter_type == etype
    assert shared.get_encounter(enc.id).encounter_type == etype
    assert shared.add_encounter(etype.upper(), "Upper").encounter_type == etype


def test_there_are_thirteen_encounter_types() -> None:
    from relations_desktop.core.store.models import EncounterType

    assert sorted(t.value for t in EncounterType) == sorted(ENCOUNTER_TYPES)


@pytest.mark.parametrize("etype", ["interview", "", "home visit", "home_visit", "HOMEVISIT"])
def test_unknown_encounter_type(shared: StoreService, etype: str) -> None:
    before = _counts(shared)
    with pytest.raises(InvalidInput) as info:
        shared.add_encounter(etype, "Visit")
    for slug in ENCOUNTER_TYPES:
        assert slug in info.value.message
    assert _counts(shared) == before


def test_encounter_defaults_and_fields(shared: StoreService) -> None:
    a = shared.add_participant("Lara", "Mother")
    b = shared.add_participant("Amira", "Health Visitor", kind="professional")
    before = date.today()
    enc = shared.add_encounter(
        "home-visit", " Kitchen ", participant_ids=[a.id, b.id, a.id], summary="tea"
    )
    assert enc.date in (before, date.today())  # default: today
    assert enc.title == "Kitchen"
    assert enc.summary == "tea"
    assert sorted(enc.participant_ids) == sorted([a.id, b.id])
    assert sorted(enc.participant_labels) == ["Amira (Health Visitor)", "Lara (Mother)"]
    assert enc.note_count == 0
    dated = shared.add_encounter("park-visit", "Park", on=date(2024, 5, 17))
    assert dated.date == date(2024, 5, 17)
    assert shared.get_encounter(dated.id).date == date(2024, 5, 17)
    # Listed newest first.
    ids = [e.id for e in shared.list_encounters()]
    assert ids.index(enc.id) < ids.index(dated.id)


def test_encounter_with_unknown_participant_writes_nothing(shared: StoreService) -> None:
    a = shared.add_participant("Lara", "Mother")
    before = _counts(shared)
    with pytest.raises(NotFound):
        shared.add_encounter("home-visit", "Visit", participant_ids=[a.id, "missing"])
    with pytest.raises(NotFound):
        shared.add_encounter("home-visit", "Visit", participant_ids=[""])
    assert _counts(shared) == before
    enc = shared.add_encounter("home-visit", "Visit", participant_ids=[a.id])
    with pytest.raises(NotFound):
        shared.update_encounter(enc.id, participant_ids=["missing"], title="Changed")
    assert shared.get_encounter(enc.id) == enc


def test_encounter_empty_title_refused(shared: StoreService) -> None:
    before = _counts(shared)
    with pytest.raises(InvalidInput):
        shared.add_encounter("home-visit", "  ")
    assert _counts(shared) == before


def test_update_encounter(shared: StoreService) -> None:
    a = shared.add_participant("Lara", "Mother")
    enc = shared.add_encounter("home-visit", "Visit")
    upd = shared.update_encounter(
        enc.id,
        encounter_type="case-conference",
        title="Conference",
        on=date(2025, 1, 2),
        summary="s",
        participant_ids=[a.id],
    )
    assert (upd.encounter_type, upd.title, upd.date, upd.summary, upd.participant_ids) == (
        "case-conference",
        "Conference",
        date(2025, 1, 2),
        "s",
        [a.id],
    )
    assert shared.get_encounter(enc.id) == upd
    with pytest.raises(InvalidInput):
        shared.update_encounter(enc.id, encounter_type="nope")
    with pytest.raises(NotFound):
        shared.update_encounter("missing", title="x")
    with pytest.raises(NotFound):
        shared.get_encounter("missing")


# ---------------------------------------------------------------------- notes
def test_note_for_missing_encounter_writes_nothing(shared: StoreService) -> None:
    before = _counts(shared)
    with pytest.raises(NotFound):
        shared.add_note("no-such-session", "Orphaned words zebracorn")
    with pytest.raises(NotFound):
        shared.add_note("", "Orphaned words zebracorn")
    assert _counts(shared) == before
    shared.add_encounter("home-visit", "Visit")
    assert shared.search("zebracorn") == []


@pytest.mark.parametrize("kind", NOTE_KINDS)
def test_every_note_kind(shared: StoreService, kind: str) -> None:
    enc = shared.add_encounter("home-visit", "Visit")
    note = shared.add_note(enc.id, "body", kind=kind)
    assert note.kind == kind
    assert shared.get_note(note.id).kind == kind


def test_default_note_kind_is_expanded_and_bad_kind_refused(shared: StoreService) -> None:
    enc = shared.add_encounter("home-visit", "Visit")
    before = _counts(shared)
    assert shared.add_note(enc.id, "body").kind == "expanded"
    with pytest.raises(InvalidInput) as info:
        shared.add_note(enc.id, "body", kind="diary")
    for kind in NOTE_KINDS:
        assert kind in info.value.message
    assert _counts(shared) == {**before, "fieldnotes": before["fieldnotes"] + 1}


def test_notes_add_update_list(shared: StoreService) -> None:
    enc = shared.add_encounter("walk-and-talk", "Walk")
    other = shared.add_encounter("home-visit", "Visit")
    jot = shared.add_note(enc.id, "pram, rain", kind="jotting", offset_seconds=62.5)
    assert jot.offset_seconds == 62.5
    note = shared.add_note(enc.id, "Long text\nsecond line", title="  Expanded  ")
    assert note.title == "Expanded"
    assert note.preview == "Expanded"
    shared.add_note(other.id, "elsewhere")
    assert [n.id for n in shared.list_notes(enc.id)] == [jot.id, note.id]
    assert {jot.id, note.id} <= {n.id for n in shared.list_notes()}
    assert shared.get_encounter(enc.id).note_count == 2
    counts = {e.id: e.note_count for e in shared.list_encounters()}
    assert (counts[enc.id], counts[other.id]) == (2, 1)

    upd = shared.update_note(note.id, body="Rewritten")
    assert (upd.title, upd.body) == ("Expanded", "Rewritten")
    upd = shared.update_note(note.id, title="New title")
    assert (upd.title, upd.body) == ("New title", "Rewritten")
    assert shared.get_note(note.id) == upd
    assert upd.updated_at >= note.updated_at
    with pytest.raises(NotFound):
        shared.update_note("missing", body="x")
    with pytest.raises(NotFound):
        shared.get_note("missing")
    with pytest.raises(NotFound):
        shared.list_notes("missing")


def test_unicode_and_empty_bodies(shared: StoreService) -> None:
    enc = shared.add_encounter("home-visit", "Visit")
    text = "Mam said “aye, nae bother” — 🍼 ça va, Großmutter\x00end"
    note = shared.add_note(enc.id, text)
    assert shared.get_note(note.id).body == text
    assert shared.add_note(enc.id, "").body == ""


# ------------------------------------------------------------------ authorship
def test_authorship_is_the_researcher(service: StoreService) -> None:
    info = service.info()
    assert info.researcher_id == service.researcher_id
    assert info.researcher_name == "Test Researcher"
    rid = info.researcher_id
    p = service.add_participant("Lara", "Mother", real_name="Jane Real")
    enc = service.add_encounter("home-visit", "Visit", participant_ids=[p.id])
    note = service.add_note(enc.id, "text")
    with service._session() as session:
        me = session.get(Researcher, rid)
        assert me is not None and me.is_self
        assert (me.created_by, me.updated_by) == (rid, rid)
        for model, ident in ((Participant, p.id), (Encounter, enc.id), (Fieldnote, note.id)):
            row = session.get(model, ident)
            assert (row.created_by, row.updated_by) == (rid, rid), model.__name__
        identity = session.scalars(select(IdentityEntry)).one()
        assert identity.created_by == rid

    # Edits record who made them, and a reopened store keeps the same researcher.
    service.close()
    with StoreService.open(service.store_dir, PASS) as again:
        assert again.researcher_id == rid
        again.update_participant(p.id, region="Scotland")
        again.update_encounter(enc.id, title="Visit 2")
        again.update_note(note.id, body="text 2")
        with again._session() as session:
            for model, ident in ((Participant, p.id), (Encounter, enc.id), (Fieldnote, note.id)):
                row = session.get(model, ident)
                assert (row.created_by, row.updated_by) == (rid, rid), model.__name__
            assert session.scalars(select(Researcher)).all() == [session.get(Researcher, rid)]


# ----------------------------------------------------------------------- audit
def test_audit_events(store_dir: Path) -> None:
    secret = "the new passphrase is here"
    svc = StoreService.create(store_dir, PASS)
    try:
        events = svc.audit_events()
        assert [e.action for e in events] == ["keys_created", "store_created"]
        events = events[1:]
        store_id = svc.info().store_id
        assert events[0].target_type == "store"
        assert events[0].target_id == store_id
        assert events[0].researcher_id == svc.researcher_id
        svc.lock()
        svc.unlock(PASS)
        svc.change_passphrase(secret)
    finally:
        svc.close()
    with StoreService.open(store_dir, secret) as svc:
        events = svc.audit_events()
        actions = [e.action for e in events]
        # Newest first.
        assert actions == [
            "store_unlocked",
            "passphrase_changed",
            "store_unlocked",
            "keys_created",
            "store_created",
        ]
        assert events[0].detail == {"method": "passphrase"}
        assert all(e.researcher_id == svc.researcher_id for e in events)
        assert all(e.target_id == store_id for e in events if e.target_type == "store")
        assert all(secret not in repr(e) and PASS not in repr(e) for e in events)
        assert [e.action for e in svc.audit_events(limit=2)] == actions[:2]


def test_failed_unlock_is_not_an_unlock(service: StoreService, passphrase: str) -> None:
    service.lock()
    with pytest.raises(WrongPassphrase):
        service.unlock("wrong")
    service.unlock(passphrase)
    assert [e.action for e in service.audit_events()].count("store_unlocked") == 1


# -------------------------------------------------------------------- settings
@pytest.mark.parametrize(
    "value", [5, "text ✓", 1.5, True, None, [1, "two", {"three": 3}], {"nested": {"a": [1]}}]
)
def test_settings_round_trip(shared: StoreService, value: object) -> None:
    shared.set_setting("some.key", value)
    assert shared.get_setting("some.key") == value
    shared.set_setting("some.key", "overwritten")
    assert shared.get_setting("some.key") == "overwritten"


def test_settings_defaults_and_persistence(service: StoreService, passphrase: str) -> None:
    assert DEFAULT_AUTO_LOCK_MINUTES == 10
    assert service.auto_lock_minutes == 10
    assert service.get_setting("missing") is None
    assert service.get_setting("missing", "fallback") == "fallback"
    service.set_setting("auto_lock_minutes", 3)
    assert service.auto_lock_minutes == 3
    service.close()
    with StoreService.open(service.store_dir, passphrase) as again:
        assert again.auto_lock_minutes == 3
        assert again.get_setting("auto_lock_minutes") == 3


def test_records_survive_locking(service: StoreService) -> None:
    """Services hand out plain records, usable after the store locks."""
    p = service.add_participant("Lara", "Mother")
    enc = service.add_encounter("home-visit", "Visit", participant_ids=[p.id])
    note = service.add_note(enc.id, "body")
    listed = service.list_encounters()
    service.lock()
    assert (p.pseudonym, enc.participant_labels, note.body) == ("Lara", ["Lara (Mother)"], "body")
    assert listed[0].title == "Visit"
    assert to_json(note)["body"] == "body"
    with pytest.raises(StoreLocked):
        service.list_notes()


def test_info(service: StoreService) -> None:
    enc = service.add_encounter("home-visit", "Visit")
    service.add_note(enc.id, "x")
    service.add_participant("P", "R")
    info = service.info()
    assert info.counts == {"participants": 1, "encounters": 1, "fieldnotes": 1}
    assert info.project_name == "Fieldwork"
    assert info.recovery_recipient is None
    assert info.database_bytes > 0
    assert Path(info.path) == service.store_dir


def test_change_passphrase_checks_the_current_one_when_given(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from relations_desktop.core.errors import WrongPassphrase

    old, new = "first long passphrase here", "second long passphrase here"
    with StoreService.create(tmp_path / "s", old) as svc:
        before = (tmp_path / "s" / "vault.json").read_bytes()
        with pytest.raises(WrongPassphrase, match="current passphrase is wrong"):
            svc.change_passphrase(new, current_passphrase="not it")
        assert (tmp_path / "s" / "vault.json").read_bytes() == before
        svc.change_passphrase(new, current_passphrase=old)
    with StoreService.open(tmp_path / "s", new):
        pass
