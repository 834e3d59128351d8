"""The team inbox: received bundles, conflicts and their decisions; and the whole round
trip through real sealing and opening, with three stores on one roster (Ann and Bea in
the field, the team's store at the office)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import MergeState
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.core.test_bundle_merge import (
    T1,
    T2,
    count,
    merge,
    new_id,
    person,
    session_,
    site,
    speaker,
    transcript,
)
from tests.sqlcipher_pages import plaintext_of_store
from tests.ui.transcript_data import Seg, make_recording, make_transcript

REAL_NAME = "Jane Realname"


# ------------------------------------------------------------ inbox service
@pytest.fixture
def conflicted(service: StoreService) -> dict[str, str]:
    """A session merged, then changed here and (later) in a bundle: one open conflict."""
    lara, enc = new_id(), new_id()
    merge(service, [("data/participants.json", [person(lara)]),
                    ("data/encounters.json", [session_(enc, [lara])])])  # fmt: skip
    service.update_encounter(enc, title="Team title")
    newer = session_(enc, [lara], T1, title="Ann's title", summary="Rain all day.")
    merge(service, [("data/encounters.json", [newer])])
    [waiting] = service.inbox.conflicts()
    return {"lara": lara, "enc": enc, "conflict": waiting.id}


def test_received_lists_every_bundle_opened_with_what_it_did(service: StoreService) -> None:
    first = merge(service, [("data/sites.json", [site(new_id())])])
    second = merge(service, [("data/sites.json", [site(new_id())])], sealed=T1)
    got = service.inbox.received()
    assert {r.bundle_id for r in got} == {first.bundle_id, second.bundle_id}
    assert got[0].researcher_name == "Ann" and got[0].signer == "Ann"
    assert got[0].summary["counts"]["site"]["added"] == 1
    assert {r.sealed_at for r in got} == {"2026-03-01T10:00:00+00:00", T1}


def test_a_conflict_shows_its_differences_field_by_field(
    service: StoreService, conflicted: dict[str, str]
) -> None:
    [c] = service.inbox.conflicts()
    assert (c.record_type, c.record_id, c.status) == ("encounter", conflicted["enc"], "open")
    assert c.label == "Team title" and c.researcher_name == "Ann"
    assert [(d.field, d.local, d.incoming) for d in c.differences] == [
        ("title", "Team title", "Ann's title"),
        ("summary", "", "Rain all day."),
    ]
    assert service.inbox.conflicts("kept-local") == []
    assert service.inbox.conflict(c.id) == c
    with pytest.raises(InvalidInput, match="Unknown conflict status 'shut'"):
        service.inbox.conflicts("shut")


def test_keeping_the_local_version(service: StoreService, conflicted: dict[str, str]) -> None:
    decided = service.inbox.resolve(conflicted["conflict"], "local")
    assert decided.status == "kept-local" and decided.decided_at is not None
    assert service.get_encounter(conflicted["enc"]).title == "Team title"
    assert service.inbox.conflicts() == []
    assert [c.id for c in service.inbox.conflicts("all")] == [conflicted["conflict"]]
    events = [e for e in service.audit_events() if e.action == "conflict_resolved"]
    assert events[0].detail["kept"] == "local" and events[0].target_id == conflicted["enc"]
    # the version decided on is agreed: the same version again is no conflict
    same = session_(conflicted["enc"], [conflicted["lara"]], T1, title="Ann's title",
                    summary="Rain all day.")  # fmt: skip
    assert merge(service, [("data/encounters.json", [same])]).counts["encounter"].unchanged == 1
    # and a later change from the researcher, with nothing changed here since, is taken
    later = {**same, "updated_at": T2, "summary": "Sun at last."}
    assert merge(service, [("data/encounters.json", [later])]).counts["encounter"].updated == 1
    assert service.get_encounter(conflicted["enc"]).summary == "Sun at last."


def test_taking_the_incoming_version(service: StoreService, conflicted: dict[str, str]) -> None:
    decided = service.inbox.resolve(conflicted["conflict"], "incoming")
    assert decided.status == "took-incoming" and decided.differences == ()
    encounter = service.get_encounter(conflicted["enc"])
    assert (encounter.title, encounter.summary) == ("Ann's title", "Rain all day.")
    with service._session() as session:
        state = session.get(MergeState, ("encounter", conflicted["enc"]))
        assert state is not None and state.incoming_updated_at == T1
    service.update_encounter(conflicted["enc"], title="Changed here again")
    newer = session_(conflicted["enc"], [conflicted["lara"]], T2, title="And there")
    assert merge(service, [("data/encounters.json", [newer])]).total("conflicts") == 1


def test_deciding_twice_or_an_unknown_conflict_is_refused(
    service: StoreService, conflicted: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput, match="There is no merge conflict with id 'nope'"):
        service.inbox.resolve("nope", "local")
    with pytest.raises(InvalidInput, match="Keep “local” or “incoming”"):
        service.inbox.resolve(conflicted["conflict"], "both")
    service.inbox.resolve(conflicted["conflict"], "incoming")
    with pytest.raises(InvalidInput, match=r"already decided \(took-incoming on .*nothing was"):
        service.inbox.resolve(conflicted["conflict"], "local")
    assert service.get_encounter(conflicted["enc"]).title == "Ann's title"


def test_taking_an_incoming_transcript_replaces_its_segments(service: StoreService) -> None:
    enc, rec, tr = new_id(), new_id(), new_id()
    from tests.core.test_bundle_merge import recording

    people = [speaker("S1")]
    first = transcript(tr, rec, [("One.", 0), ("Two.", 0)], people)
    merge(service, [("data/encounters.json", [session_(enc, [])]),
                    ("data/recordings.json", [recording(rec, enc)]),
                    (f"data/transcripts/{tr}.json", first)])  # fmt: skip
    segment = service.transcripts.get(tr).segments[0]
    service.transcripts.set_text(segment.id, "One, here.")
    theirs = transcript(tr, rec, [("One, there.", 0), ("Two.", 0), ("Three.", 0)], people, T1)
    merge(service, [(f"data/transcripts/{tr}.json", theirs)])
    [c] = service.inbox.conflicts()
    assert [d.field for d in c.differences] == [
        "duration_seconds", "segment 1 text", "segment 1 machine_text", "segment 3"
    ]  # fmt: skip
    assert c.differences[3].local is None and c.differences[3].incoming == "Three."
    service.inbox.resolve(c.id, "incoming")
    assert [s.text for s in service.transcripts.get(tr).segments] == [
        "One, there.", "Two.", "Three."
    ]  # fmt: skip
    assert service.search("there") and not service.search("here")


# ---------------------------------------------------- real seal, real open
@dataclass
class Team:
    ann: StoreService
    bea: StoreService
    hub: StoreService  # the team's store
    folder: Path
    lara: str = ""
    visit: str = ""
    recording: str = ""
    note: str = ""

    def seal(self, store: StoreService, name: str, **kw: Any) -> Path:
        out = self.folder / f"{name}.bundle"
        store.bundles.seal(out, **kw)
        return out


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    stores = [
        StoreService.create(tmp_path / name, PASSPHRASE, researcher_name=name)
        for name in ("Ann", "Bea", "Team")
    ]
    try:
        keys = [(s.info().researcher_name, s.team.my_keys()) for s in stores]
        for store in stores:
            for name, key in keys:
                store.team.add_member(name, key.age_recipient, signing_key=key.signing_public_key)
        t = Team(*stores, folder=tmp_path)
        ann = t.ann
        place = ann.register.add_site("Harbour", "drug-treatment", region="Scotland")
        t.lara = ann.add_participant(
            "Lara", "Mother", region="Scotland", real_name=REAL_NAME, site_id=place.id
        ).id
        give_adult_consent(ann, t.lara)
        t.visit = ann.add_encounter("home-visit", "Kitchen visit", participant_ids=[t.lara]).id
        t.note = ann.add_note(t.visit, "The kettle was on.", participant_ids=[t.lara]).id
        t.recording = make_recording(ann, t.visit, tmp_path, seconds=3.0)
        lines = [Seg(0.0, 1.5, "How was the week?", speaker=0),
                 Seg(1.5, 3.0, "The bus was late again today.", speaker=1)]  # fmt: skip
        made = make_transcript(ann, t.recording, lines, speakers=["Interviewer", "S2"])
        s2 = next(s for s in ann.transcripts.get(made).speakers if s.label == "S2")
        ann.transcripts.update_speaker(s2.id, participant_id=t.lara)
        yield t
    finally:
        for store in stores:
            store.close()


def test_two_researchers_bundles_merge_into_one_team_store(team: Team) -> None:
    ann_bundle = team.seal(team.ann, "ann-1", with_audio=True)
    # Bea works with Lara too: she opens Ann's bundle, then visits the park with her
    team.bea.bundles.open(ann_bundle)
    tom = team.bea.add_participant("Tom", "Father", region="Scotland", real_name="T. Real").id
    give_adult_consent(team.bea, tom)
    park = team.bea.add_encounter("park-visit", "Park", participant_ids=[team.lara, tom]).id
    team.bea.add_note(park, "The swings were busy.", participant_ids=[team.lara, tom])
    bea_bundle = team.seal(team.bea, "bea-1")

    hub = team.hub
    _, first = hub.bundles.open(ann_bundle)
    assert first.total("added") == 8 and first.counts["audio"].added == 1
    _, second = hub.bundles.open(bea_bundle)
    assert second.total("conflicts") == 0
    assert second.counts["participant"].added == 1 and second.counts["participant"].unchanged == 1
    assert second.counts["encounter"].added == 1 and second.counts["encounter"].unchanged == 1
    assert second.counts["transcript"].unchanged == 1

    assert sorted(p.pseudonym for p in hub.list_participants()) == ["Lara", "Tom"]
    assert sorted(e.title for e in hub.list_encounters()) == ["Kitchen visit", "Park"]
    assert hub.recordings.get(team.recording).duration_seconds == pytest.approx(3.0)
    assert sum(len(b.data) for b in hub.recordings.samples(team.recording)) == 3 * 16_000
    assert set(hub.get_encounter(park).participant_ids) == {team.lara, tom}
    assert [r.researcher_name for r in hub.inbox.received()] == ["Bea", "Ann"]
    assert hub.inbox.conflicts() == []
    assert hub.real_name(team.lara) is None
    draft = hub.quotes.from_recording(team.recording, 1.5, 3.0)
    assert draft.attribution == "(Mother, Scotland)"
    assert hub._key is not None
    plain = plaintext_of_store(hub.store_dir, hub._key.database_key())
    assert REAL_NAME.encode() not in plain and b"T. Real" not in plain
    _, again = hub.bundles.open(ann_bundle)
    assert again.duplicate


def test_a_newer_change_wins_and_a_true_conflict_waits(team: Team) -> None:
    hub, ann = team.hub, team.ann
    hub.bundles.open(team.seal(ann, "ann-1"))
    ann.update_note(team.note, body="The kettle was on; the radio played.")
    _, newer = hub.bundles.open(team.seal(ann, "ann-2"))
    assert newer.counts["fieldnote"].updated == 1 and newer.total("updated") == 1
    assert hub.get_note(team.note).body == "The kettle was on; the radio played."
    hub.update_encounter(team.visit, title="Kitchen visit (team)")
    ann.update_encounter(team.visit, summary="A quiet morning.")
    _, both = hub.bundles.open(team.seal(ann, "ann-3"))
    assert both.counts["encounter"].conflicts == 1
    [c] = hub.inbox.conflicts()
    assert {d.field for d in c.differences} == {"title", "summary"}
    hub.inbox.resolve(c.id, "incoming")
    visit = hub.get_encounter(team.visit)
    assert (visit.title, visit.summary) == ("Kitchen visit", "A quiet morning.")
    _, settled = hub.bundles.open(team.seal(ann, "ann-4"))
    assert settled.total("conflicts") == 0 and settled.total("updated") == 0


def test_a_withdrawal_reaches_the_team_and_no_bundle_brings_them_back(team: Team) -> None:
    first = team.seal(team.ann, "ann-1", with_audio=True)
    team.hub.bundles.open(first)
    team.bea.bundles.open(first)  # Bea still holds Lara's visit
    team.ann.consent.withdraw(team.lara, "all")
    _, gone = team.hub.bundles.open(team.seal(team.ann, "ann-2"))
    assert gone.withdrawals == 1
    hub = team.hub
    assert hub.get_participant(team.lara).withdrawal_scope == "all"
    assert hub.list_encounters() == [] and hub.recordings.count() == 0
    assert hub.transcripts.count() == 0 and hub.list_notes() == []
    assert hub.search("kettle") == [] and hub.search("bus") == []
    _, stale = hub.bundles.open(team.seal(team.bea, "bea-1"))
    assert stale.counts["participant"].skipped == 1 and stale.counts["encounter"].skipped == 1
    assert stale.total("added") == 0
    assert hub.list_encounters() == [] and count(hub, MergeState) > 0
