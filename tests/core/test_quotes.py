"""Quotes: attribution, cuts, the register, consent and review gates, and the quote bank."""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import docx
import pytest

from relations_desktop.core.errors import ConsentRequired, InvalidInput, NotFound
from relations_desktop.core.review import IdentifiersUnresolved
from relations_desktop.core.services import StoreService
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_recording, make_transcript

IV, DAVIE, LARA, KIM, NOBODY = range(5)
SEGMENTS = (
    Seg(0.0, 4.0, "How was the week?", speaker=IV),
    Seg(4.0, 8.0, "She talked to me at the Tesco, ken.", speaker=DAVIE),
    Seg(8.0, 12.0, "And then what happened?", speaker=IV),
    Seg(12.0, 16.0, "She was all right, Robert said so.", speaker=DAVIE),
    Seg(16.0, 20.0, "The bairns were fine the whole time.", speaker=LARA),
    Seg(20.0, 24.0, "She really listens, the health visitor.", speaker=KIM),
    Seg(24.0, 28.0, "We went round the shops after that.", speaker=NOBODY),
    Seg(28.0, 32.0, "I phoned Morag Henderson in Paisley about the flat.", speaker=DAVIE),
    Seg(32.0, 36.0, "Then I went home and slept.", speaker=DAVIE),
)
REAL_NAMES = ("Robert", "Smith", "Tesco", "Fiona", "Gallacher", "Jane", "Doherty")


@dataclass(frozen=True)
class Study:
    davie: str
    lara: str
    kim: str
    visit: str
    recording: str
    segments: list[str]
    speakers: dict[str, str]


@pytest.fixture
def study(service: StoreService, tmp_path: Path) -> Study:
    """A father (quotes yes), a mother (quotes no) and a health visitor (quotes yes)."""
    davie = service.add_participant("Davie", "Father", region="Scotland", real_name="Robert Smith")
    lara = service.add_participant("Lara", "Mother", region="Scotland", real_name="Jane Doherty")
    kim = service.add_participant("Kim", "Health Visitor", kind="professional",
                                  region="England", real_name="Fiona Gallacher")  # fmt: skip
    give_adult_consent(service, davie.id, quotes=True)
    give_adult_consent(service, lara.id, quotes=False)
    give_adult_consent(service, kim.id, quotes=True)
    visit = service.add_encounter("home-visit", "Visit to Robert", on=date(2025, 3, 12),
                                  participant_ids=[davie.id, lara.id, kim.id])  # fmt: skip
    service.pseudonyms.add("Tesco", "[supermarket]", kind="place")
    rid = make_recording(service, visit.id, tmp_path, 40.0)
    tid = make_transcript(
        service, rid, SEGMENTS, ["Interviewer", "Davie", "Lara", "Kim", "Speaker 5"]
    )
    transcript = service.transcripts.get(tid)
    speakers = {s.label: s.id for s in transcript.speakers}
    for label, pid in (("Davie", davie.id), ("Lara", lara.id), ("Kim", kim.id)):
        service.transcripts.update_speaker(speakers[label], participant_id=pid)
    segments = [s.id for s in transcript.segments]
    return Study(davie.id, lara.id, kim.id, visit.id, rid, segments, speakers)


def reviewed(service: StoreService) -> None:
    """Decide on everything still flagged (Morag Henderson, Paisley) in the visit."""
    for occurrence in service.review.unresolved():
        service.review.ignore_everywhere(occurrence.text, "test: decided")


# ------------------------------------------------------------------ attribution
def test_a_parent_is_attributed_by_role_and_region(service: StoreService, study: Study) -> None:
    draft = service.quotes.from_segments([study.segments[1]])
    assert draft.attribution == "(Father, Scotland)"
    assert draft.text == "She talked to me at the [supermarket], ken."
    assert draft.formatted == "“She talked to me at the [supermarket], ken.” (Father, Scotland)"
    assert (draft.source_type, draft.source_id) == ("recording", study.recording)
    assert (draft.participant_id, draft.encounter_id) == (study.davie, study.visit)
    assert (draft.start, draft.end) == (4.0, 8.0)


def test_a_professional_is_attributed_by_role_and_region(
    service: StoreService, study: Study
) -> None:
    draft = service.quotes.from_recording(study.recording, 20.0, 24.0)
    assert draft.formatted == "“She really listens, the health visitor.” (Health Visitor, England)"


def test_a_speaker_without_a_region_takes_the_sessions(service: StoreService, study: Study) -> None:
    service.update_participant(study.kim, region="")
    site = service.register.add_site("Northside clinic", "drug-treatment", region="England")
    service.update_encounter(study.visit, site_id=site.id)
    assert service.quotes.from_segments([study.segments[5]]).attribution == (
        "(Health Visitor, England)"
    )


def test_a_fieldnote_is_the_researchers(service: StoreService, study: Study) -> None:
    body = "Lara described the nurse as “really good”. Robert made tea."
    note = service.add_note(study.visit, body)
    draft = service.quotes.from_note(note.id, 0, len(body))
    # No site: the participants' regions differ (Scotland, England), so none is given.
    assert draft.attribution == "(Researcher Fieldnote)"
    assert draft.text == "Lara described the nurse as “really good”. Davie made tea."
    assert (draft.source_type, draft.source_id, draft.participant_id) == (
        "fieldnote", note.id, None,
    )  # fmt: skip
    assert (draft.start, draft.end) == (0.0, float(len(body)))

    service.update_participant(study.kim, region="Scotland")  # a common region now
    assert (
        service.quotes.from_note(note.id, 0, 10).attribution == "(Researcher Fieldnote, Scotland)"
    )
    site = service.register.add_site("Eastside family centre", "family-support", region="England")
    service.update_encounter(study.visit, site_id=site.id)  # the site's region comes first
    assert service.quotes.from_note(note.id, 0, 10).attribution == "(Researcher Fieldnote, England)"


def test_a_note_passage_by_characters(service: StoreService, study: Study) -> None:
    body = "Arrived at ten.\nRobert said the   bairns were\nfine. Left at noon."
    note = service.add_note(study.visit, body)
    start, end = body.index("Robert"), body.index("fine.") + 5
    assert service.quotes.from_note(note.id, start, end).text == (
        "Davie said the bairns were fine."
    )
    for bad in ((5, 5), (-1, 4), (0, len(body) + 1), (10, 3)):
        with pytest.raises(InvalidInput, match="not inside the note"):
            service.quotes.from_note(note.id, *bad)
    with pytest.raises(InvalidInput, match="empty"):
        service.quotes.from_note(service.add_note(study.visit, "a    b").id, 1, 5)
    with pytest.raises(NotFound):
        service.quotes.from_note("no-such-note", 0, 4)


# ------------------------------------------------------------------ cuts
def test_another_speakers_turn_becomes_a_cut(service: StoreService, study: Study) -> None:
    draft = service.quotes.from_recording(study.recording, 4.0, 16.0)
    assert (
        draft.text
        == "She talked to me at the [supermarket], ken. [...] She was all right, Davie said so."
    )
    assert draft.attribution == "(Father, Scotland)"
    # Starting on the interviewer's question: still the father's words, the question cut.
    assert service.quotes.from_recording(study.recording, 0.0, 16.0).text == draft.text


def test_segments_that_are_not_adjacent_are_cut(service: StoreService, study: Study) -> None:
    reviewed(service)
    s = study.segments
    assert service.quotes.from_segments([s[3], s[1]]).text == (
        "She talked to me at the [supermarket], ken. [...] She was all right, Davie said so."
    )
    assert service.quotes.from_segments([s[7], s[8]]).text == (
        "I phoned Morag Henderson in Paisley about the flat. Then I went home and slept."
    )
    with pytest.raises(InvalidInput, match="one person's words"):
        service.quotes.from_segments([s[1], s[4]])
    with pytest.raises(InvalidInput, match="Select the passage"):
        service.quotes.from_segments([])


def test_part_of_a_segment_by_its_word_times(service: StoreService, study: Study) -> None:
    # "She was all right, Davie said so." spoken 12–16 s, seven words of ~0.57 s each.
    assert service.quotes.from_recording(study.recording, 12.0, 14.3).text == ("She was all right,")


def test_corrected_text_wins_over_the_models_words(service: StoreService, study: Study) -> None:
    segment = study.segments[3]
    service.transcripts.set_text(segment, "She was all right, Robert said it.")
    assert service.quotes.from_recording(study.recording, 14.3, 16.0).text == "Davie said it."
    service.transcripts.set_text(segment, "She was fine, Robert told me.")  # 6 words, not 7
    assert service.quotes.from_recording(study.recording, 14.3, 16.0).text == (
        "She was fine, Davie told me."
    )


def test_bad_time_ranges(service: StoreService, study: Study) -> None:
    with pytest.raises(InvalidInput, match="start before its end"):
        service.quotes.from_recording(study.recording, 9.0, 5.0)
    with pytest.raises(InvalidInput, match="Nothing is transcribed"):
        service.quotes.from_recording(study.recording, 50.0, 60.0)
    with pytest.raises(NotFound):
        service.quotes.from_recording("no-such-recording", 0.0, 4.0)


# ------------------------------------------------------------------ refusals
def test_no_quotes_without_anonymised_quotes_consent(service: StoreService, study: Study) -> None:
    with pytest.raises(ConsentRequired, match=r"Lara \(Mother\) cannot be quoted: they said no"):
        service.quotes.from_segments([study.segments[4]])
    with pytest.raises(ConsentRequired, match="anonymised quotes"):
        service.quotes.from_recording(study.recording, 16.0, 20.0)
    note = service.add_note(
        study.visit, "Lara kept the bairns close.", participant_ids=[study.lara]
    )
    with pytest.raises(ConsentRequired, match="Lara"):
        service.quotes.from_note(note.id, 0, 10)
    assert ConsentRequired.exit_code == 12


def test_no_quotes_from_a_participant_who_withdrew(service: StoreService, study: Study) -> None:
    draft = service.quotes.from_segments([study.segments[5]])
    service.quotes.save(draft, tags=["listening"])
    service.consent.withdraw(study.kim, "future")
    with pytest.raises(
        ConsentRequired, match=r"Kim \(Health Visitor\) cannot be quoted: .*withdrew"
    ):
        service.quotes.from_segments([study.segments[5]])


def test_an_unlinked_speaker_cannot_be_quoted(service: StoreService, study: Study) -> None:
    for segment in (study.segments[0], study.segments[6]):  # interviewer, unknown speaker
        with pytest.raises(InvalidInput, match="Link this speaker to a participant"):
            service.quotes.from_segments([segment])
    with pytest.raises(InvalidInput, match="Link this speaker"):
        service.quotes.from_recording(study.recording, 24.0, 28.0)


def test_unreviewed_identifiers_block_a_quote_until_reviewed(
    service: StoreService, study: Study
) -> None:
    with pytest.raises(IdentifiersUnresolved, match="Morag Henderson") as refused:
        service.quotes.from_segments([study.segments[7]])
    assert "Paisley" in str(refused.value)
    # The rest of the transcript is not held up by it.
    service.quotes.from_segments([study.segments[1]])
    names = {o.text: o for o in service.review.unresolved()}
    service.review.replace(names["Morag Henderson"], "[housing officer]", kind="full-name")
    service.review.keep(names["Paisley"], "The town is given in the attribution anyway")
    assert service.quotes.from_segments([study.segments[7]]).text == (
        "I phoned [housing officer] in Paisley about the flat."
    )


# ------------------------------------------------------------------ the quote bank
def test_save_list_update_remove(service: StoreService, study: Study) -> None:
    first = service.quotes.save(
        service.quotes.from_segments([study.segments[1]]),
        tags=["Supermarket", "relationships"],
        note=" opening ",
    )
    second = service.quotes.save(service.quotes.from_recording(study.recording, 20.0, 24.0))
    assert (first.text, first.attribution, first.note) == (
        "She talked to me at the [supermarket], ken.", "(Father, Scotland)", "opening",
    )  # fmt: skip
    assert sorted(first.tags) == ["relationships", "supermarket"]
    assert first.encounter_title == "Visit to Robert" and first.start == 4.0
    assert [q.id for q in service.quotes.list()] == [first.id, second.id]
    assert [q.id for q in service.quotes.list(tag="Supermarket")] == [first.id]
    assert service.quotes.list(tag="nothing") == []

    updated = service.quotes.update(second.id, tags=["professionals"], note="HV on listening")
    assert (updated.tags, updated.note) == (["professionals"], "HV on listening")
    assert [q.id for q in service.quotes.list(tag="professionals")] == [second.id]
    assert service.quotes.update(second.id).tags == ["professionals"]  # nothing given

    service.quotes.remove(first.id)
    assert [q.id for q in service.quotes.list()] == [second.id]
    with pytest.raises(NotFound):
        service.quotes.remove(first.id)
    with pytest.raises(NotFound):
        service.quotes.update("no-such-quote", note="x")
    actions = [e.action for e in service.audit_events()]
    assert {"quote_saved", "quote_removed"} <= set(actions)


def test_a_withdrawn_participants_quotes_leave_the_bank(
    service: StoreService, study: Study
) -> None:
    kept = service.quotes.save(service.quotes.from_segments([study.segments[1]]))
    service.quotes.save(service.quotes.from_segments([study.segments[5]]))
    service.consent.withdraw(study.kim, "future")  # what was said before may still be used
    assert len(service.quotes.list()) == 2
    service.consent.withdraw(study.kim, "all")
    assert [q.id for q in service.quotes.list()] == [kept.id]


def _xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def test_export_docx_has_the_quotes_and_no_real_name(
    service: StoreService, study: Study, tmp_path: Path
) -> None:
    reviewed(service)  # Morag Henderson and Paisley: decided on, kept for now
    one = service.quotes.save(service.quotes.from_recording(study.recording, 4.0, 16.0),
                              tags=["robert", "tesco"])  # fmt: skip
    two = service.quotes.save(service.quotes.from_segments([study.segments[7]]))
    service.quotes.save(service.quotes.from_recording(study.recording, 20.0, 24.0))
    # Registered after the quote was saved: applied again when the bank is exported.
    service.pseudonyms.add("Morag Henderson", "[housing officer]", kind="full-name")
    target = tmp_path / "quotes.docx"
    assert service.quotes.export_docx(target) == 3
    assert os.stat(target).st_mode & 0o777 == 0o600

    paragraphs = [p.text for p in docx.Document(str(target)).paragraphs]
    assert (
        "“She talked to me at the [supermarket], ken. [...] She was all right, Davie said so.” "
        "(Father, Scotland)"
    ) in paragraphs
    assert "“I phoned [housing officer] in Paisley about the flat.” (Father, Scotland)" in (
        paragraphs
    )
    assert "“She really listens, the health visitor.” (Health Visitor, England)" in paragraphs
    assert "From: Visit to Davie · at 00:04 · tags: Davie, [supermarket]" in paragraphs
    xml = _xml(target)
    for real in (*REAL_NAMES, "Morag", "Henderson"):
        assert real.casefold() not in xml.casefold(), real

    chosen = tmp_path / "chosen.docx"
    assert service.quotes.export_docx(chosen, [two.id, one.id]) == 2
    assert "health visitor" not in _xml(chosen)
    assert "quotes_exported" in [e.action for e in service.audit_events()]


def test_export_docx_refuses_a_bad_path(
    service: StoreService, study: Study, tmp_path: Path
) -> None:
    service.quotes.save(service.quotes.from_segments([study.segments[1]]))
    with pytest.raises(InvalidInput, match="does not exist"):
        service.quotes.export_docx(tmp_path / "missing" / "q.docx")
    with pytest.raises(InvalidInput, match="is a folder"):
        service.quotes.export_docx(tmp_path)
    assert list(tmp_path.glob("*.docx")) == []
