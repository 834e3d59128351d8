"""The pseudonymisation review and the export gate, with the real detector."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.review import IdentifiersUnresolved, Occurrence
from relations_desktop.core.services import StoreService
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_recording, make_transcript

NOTE = "Laura's pal Shona came round with her wean. Shona lives in Paisley now, ken."
OTHER_NOTE = "Phoned Shona to rearrange; Laura Quartermaine was out."
SEGMENTS = (
    Seg(0.0, 5.0, "How have things been?", speaker=0),
    Seg(65.0, 70.0, "Aye, Davie Quartermaine was back on Tuesday.", speaker=1),
    Seg(70.0, 75.0, "The bairns were fine, ken.", speaker=1),
)


@dataclass(frozen=True)
class Study:
    visit: str
    other: str
    note: str
    other_note: str
    transcript: str
    recording: str


@pytest.fixture
def study(service: StoreService, tmp_path: Path) -> Study:
    laura = service.add_participant(
        "Marianne", "Mother", region="Scotland", real_name="Laura Quartermaine"
    )
    give_adult_consent(service, laura.id)
    visit = service.add_encounter("home-visit", "Visit at the flat", participant_ids=[laura.id])
    other = service.add_encounter("telephone-interview", "Phone call", participant_ids=[laura.id])
    note = service.add_note(visit.id, NOTE, title="Kitchen")
    other_note = service.add_note(other.id, OTHER_NOTE)
    recording = make_recording(service, visit.id, tmp_path, 80.0)
    transcript = make_transcript(service, recording, SEGMENTS, ["Interviewer", "Marianne"])
    return Study(visit.id, other.id, note.id, other_note.id, transcript, recording)


def listed(occurrences: list[Occurrence]) -> list[tuple[str, str, str]]:
    return sorted((o.source_type, o.encounter_title, o.text) for o in occurrences)


def test_unresolved_lists_each_occurrence_with_where_and_context(
    service: StoreService, study: Study
) -> None:
    found = service.review.unresolved()
    assert listed(found) == [
        ("fieldnote", "Phone call", "Shona"),
        ("fieldnote", "Visit at the flat", "Paisley"),
        ("fieldnote", "Visit at the flat", "Shona"),
        ("fieldnote", "Visit at the flat", "Shona"),
        ("transcript", "Visit at the flat", "Davie"),  # Quartermaine is in the register
    ]
    paisley = next(o for o in found if o.text == "Paisley")
    assert (paisley.source_id, paisley.field, paisley.segment_id) == (study.note, "body", None)
    assert NOTE[paisley.start : paisley.end] == "Paisley"
    assert paisley.before.endswith("Shona lives in ") and paisley.after.startswith(" now, ken.")
    assert paisley.where == "“Visit at the flat”, fieldnote"
    assert paisley.category == "place" and paisley.encounter_id == study.visit

    davie = next(o for o in found if o.text == "Davie")
    assert (davie.source_type, davie.source_id) == ("transcript", study.transcript)
    assert davie.recording_id == study.recording and davie.seconds == 65.0
    assert davie.segment_id is not None and davie.field == "text"
    assert SEGMENTS[1].text[davie.start : davie.end] == "Davie"
    assert davie.where == "“Visit at the flat”, transcript at 01:05"
    assert davie.before == "Aye, " and davie.after.startswith(" Quartermaine was back")


def test_register_covered_strings_are_never_flagged(service: StoreService, study: Study) -> None:
    texts = {o.text for o in service.review.unresolved()}
    assert not {"Laura", "Laura's", "Quartermaine", "Laura Quartermaine", "Marianne"} & texts
    service.pseudonyms.add("Paisley", "[town]", kind="place")
    assert "Paisley" not in {o.text for o in service.review.unresolved()}
    service.pseudonyms.add("shona", "Kirsty", kind="first-name")  # any case
    assert listed(service.review.unresolved()) == [("transcript", "Visit at the flat", "Davie")]


def test_the_scope_is_the_sessions_given(service: StoreService, study: Study) -> None:
    assert listed(service.review.unresolved([study.other])) == [
        ("fieldnote", "Phone call", "Shona")
    ]
    assert service.review.unresolved([]) == []
    with pytest.raises(NotFound):
        service.review.unresolved(["no-such-session"])


def test_check_export_refuses_with_how_many_and_where(service: StoreService, study: Study) -> None:
    with pytest.raises(IdentifiersUnresolved) as refused:
        service.review.check_export([study.visit])
    message = str(refused.value)
    assert "4 likely identifier(s)" in message
    assert "3 in “Visit at the flat”, fieldnote" in message
    assert "1 in “Visit at the flat”, transcript" in message
    assert "Phone call" not in message
    assert IdentifiersUnresolved.exit_code == 13
    with pytest.raises(IdentifiersUnresolved, match="1 likely identifier"):
        service.review.check_export([study.other])


def test_keep_needs_a_reason_and_holds_only_in_that_note(
    service: StoreService, study: Study
) -> None:
    shona = next(o for o in service.review.unresolved([study.visit]) if o.text == "Shona")
    before = service.review.unresolved()
    for reason in ("", "   "):
        with pytest.raises(InvalidInput, match="Say why"):
            service.review.keep(shona, reason)
    assert service.review.unresolved() == before
    service.review.keep(shona, "Her first name alone; she is not in the study")
    assert listed(service.review.unresolved()) == [
        ("fieldnote", "Phone call", "Shona"),  # another note: still to decide
        ("fieldnote", "Visit at the flat", "Paisley"),
        ("transcript", "Visit at the flat", "Davie"),
    ]
    assert "identifier_keep" in [e.action for e in service.audit_events()]


def test_ignore_everywhere_resolves_everywhere(service: StoreService, study: Study) -> None:
    with pytest.raises(InvalidInput):
        service.review.ignore_everywhere("  ")
    service.review.ignore_everywhere("shona", "A common name here")  # any case
    assert listed(service.review.unresolved()) == [
        ("fieldnote", "Visit at the flat", "Paisley"),
        ("transcript", "Visit at the flat", "Davie"),
    ]


def test_replace_adds_a_register_entry_that_covers_the_occurrence(
    service: StoreService, study: Study
) -> None:
    davie = next(o for o in service.review.unresolved() if o.text == "Davie")
    service.review.replace(davie, "[brother]", kind="first-name")
    entry = next(e for e in service.pseudonyms.list() if e.real == "Davie")
    assert (entry.replacement, entry.kind) == ("[brother]", "first-name")
    assert "Davie" not in {o.text for o in service.review.unresolved()}
    assert (
        service.pseudonyms.apply(SEGMENTS[1].text)
        == "Aye, [brother] [surname] was back on Tuesday."
    )
    with pytest.raises(InvalidInput, match="already in the register"):
        service.review.replace(davie, "[uncle]")


def test_after_everything_is_resolved_the_export_passes(
    service: StoreService, study: Study
) -> None:
    found = service.review.unresolved()
    paisley = next(o for o in found if o.text == "Paisley")
    davie = next(o for o in found if o.text == "Davie")
    service.review.replace(paisley, "[town]", kind="place")
    service.review.replace(davie, "[brother]", kind="first-name")
    with pytest.raises(IdentifiersUnresolved):
        service.review.check_export()
    for occurrence in service.review.unresolved():  # Shona, in two notes
        service.review.keep(occurrence, "Not identifying in this note")
    assert service.review.unresolved() == []
    service.review.check_export()
    service.review.check_export([study.visit])

    # A new name typed later is caught again.
    service.update_note(study.other_note, body=OTHER_NOTE + " Auntie Bridie was there.")
    assert [o.text for o in service.review.unresolved()] == ["Bridie"]
    with pytest.raises(IdentifiersUnresolved, match="1 in “Phone call”, fieldnote"):
        service.review.check_export()


def test_a_note_title_is_reviewed_too(service: StoreService, study: Study) -> None:
    service.update_note(study.other_note, title="Call with Bridie McAllister")
    titled = [o for o in service.review.unresolved([study.other]) if o.field == "title"]
    assert [o.text for o in titled] == ["Bridie McAllister"]
    assert titled[0].source_id == study.other_note


def test_session_titles_and_speaker_names_are_reviewed_too(
    service: StoreService, tmp_path: Path
) -> None:
    session = service.add_encounter("home-visit", "Visit to Robert Duncan",
                                    summary="Met at the Gorbals flat.")  # fmt: skip
    recording = make_recording(service, session.id, tmp_path, seconds=6.0)
    transcript = make_transcript(service, recording, [Seg(0.0, 4.0, "Hello there.", speaker=0)],
                                 speakers=["Jessica Whyte"])  # fmt: skip
    found = {(o.source_type, o.field, o.text) for o in service.review.unresolved([session.id])}
    assert ("session", "title", "Robert Duncan") in found
    assert ("transcript", f"speaker:{service.transcripts.get(transcript).speakers[0].id}",
            "Jessica Whyte") in found  # fmt: skip
    where = {o.where for o in service.review.unresolved([session.id])}
    assert "“Visit to Robert Duncan”, session title" in where
    with pytest.raises(IdentifiersUnresolved, match="speaker name"):
        service.transcripts.export(transcript, "txt", tmp_path / "out.txt")
    assert not (tmp_path / "out.txt").exists()


def test_what_a_withdrawn_participant_said_is_not_reviewed(
    service: StoreService, tmp_path: Path
) -> None:
    lara = service.add_participant("Lara", "Mother").id
    tom = service.add_participant("Tom", "Father").id
    give_adult_consent(service, lara)
    give_adult_consent(service, tom)
    session = service.add_encounter("park-visit", "Park", participant_ids=[lara, tom])
    recording = make_recording(service, session.id, tmp_path, seconds=8.0)
    transcript = make_transcript(
        service, recording,
        [Seg(0.0, 3.0, "Janet Baxter came by.", speaker=0), Seg(3.0, 6.0, "Fine.", speaker=1)],
        speakers=["Lara", "Tom"],
    )  # fmt: skip
    lara_speaker = service.transcripts.get(transcript).speakers[0]
    service.transcripts.update_speaker(lara_speaker.id, participant_id=lara)
    assert "Janet Baxter" in {o.text for o in service.review.unresolved([session.id])}
    service.consent.withdraw(lara, "all")
    assert "Janet Baxter" not in {o.text for o in service.review.unresolved([session.id])}


def test_cached_findings_are_dropped_when_the_store_locks(
    service: StoreService, passphrase: str
) -> None:
    session = service.add_encounter("home-visit", "Visit")
    service.add_note(session.id, "Janet Baxter phoned from Govan.")
    assert service.review.unresolved([session.id])
    assert service.review._findings._cache  # names held in memory while unlocked
    service.lock()
    assert not service.review._findings._cache
    service.unlock(passphrase)
