"""Fieldnote tags, links to participants, templates, and the new search filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.note_templates import note_templates
from relations_desktop.core.search import SearchFilters
from relations_desktop.core.services import StoreService
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_recording, make_transcript


def test_tags_and_participant_links_are_saved_and_normalised(service: StoreService) -> None:
    lara = service.add_participant("Lara", "Mother").id
    session = service.add_encounter("clinic-visit", "Clinic").id
    note = service.add_note(session, "Body", tags=["#Waiting Room", "script", "script"],
                            participant_ids=[lara])  # fmt: skip
    assert note.tags == ["script", "waiting room"] and note.participant_ids == [lara]
    note = service.update_note(note.id, tags=["testing"], participant_ids=[])
    assert note.tags == ["testing"] and note.participant_ids == []
    assert service.list_tags() == ["script", "testing", "waiting room"]
    with pytest.raises(NotFound):
        service.update_note(note.id, participant_ids=["nobody"])
    with pytest.raises(InvalidInput, match="at most 100"):
        service.update_note(note.id, tags=["x" * 101])
    assert service.get_note(note.id).tags == ["testing"]


def test_the_observation_templates_ship() -> None:
    keys = {t.key: t for t in note_templates()}
    assert set(keys) >= {"clinic-visit", "team-meeting", "case-conference",
                         "supervised-contact-visit"}  # fmt: skip
    assert keys["case-conference"].title == "Case conference"
    assert "## My reflections" in keys["clinic-visit"].body


def test_search_filters_by_kind_and_site(service: StoreService, tmp_path: Path) -> None:
    site = service.register.add_site("Hub", "drug-treatment")
    lara = service.add_participant("Lara", "Mother").id
    give_adult_consent(service, lara)
    at_hub = service.add_encounter("clinic-visit", "Clinic", site_id=site.id,
                                   participant_ids=[lara]).id  # fmt: skip
    elsewhere = service.add_encounter("home-visit", "Home").id
    service.add_note(at_hub, "methadone at the hub")
    service.add_note(elsewhere, "methadone at home")
    recording = make_recording(service, at_hub, tmp_path, seconds=4.0)
    make_transcript(service, recording, [Seg(0.0, 3.0, "my methadone script")])
    assert len(service.search("methadone")) == 3
    assert {h.kind for h in service.search("methadone", SearchFilters(kind="segment"))} == {
        "segment"
    }
    assert len(service.search("methadone", SearchFilters(kind="fieldnote"))) == 2
    hub = service.search("methadone", SearchFilters(site_id=site.id))
    assert {h.encounter_id for h in hub} == {at_hub} and len(hub) == 2
    with pytest.raises(InvalidInput, match="Unknown kind"):
        service.search("methadone", SearchFilters(kind="photo"))
