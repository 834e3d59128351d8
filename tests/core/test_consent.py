"""Consent records, the rules that decide what they allow, and the recording gate."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
import soundfile
from pypdf import PdfReader

from relations_desktop.core.consent.certificate import render_pages, signature_from_json
from relations_desktop.core.consent.forms import parse_template
from relations_desktop.core.consent.service import VerbalConsent
from relations_desktop.core.errors import ConsentRequired, InvalidInput, NotFound
from relations_desktop.core.services import StoreService
from tests.consent_data import SIGNATURE, adult_answers, give_adult_consent
from tests.ui.fake_audio import RATE, tone


def _wav(folder: Path, seconds: float = 3.0) -> Path:
    path = folder / "interview.wav"
    soundfile.write(path, tone(seconds), RATE, subtype="PCM_16")
    return path


@pytest.fixture
def lara(service: StoreService) -> str:
    return service.add_participant(
        "Lara", "Mother", region="Scotland", real_name="Laura Quartermaine"
    ).id


def _nothing_recorded(service: StoreService, pid: str, audit_before: int) -> None:
    assert service.consent.records(pid) == []
    assert len(service.audit_events(1000)) == audit_before


def test_a_new_store_has_the_default_forms(service: StoreService) -> None:
    slugs = {f.slug for f in service.consent.list_forms()}
    assert slugs == {"adult-participant", "parent-for-child", "child-assent"}
    assert service.consent.get_form("adult-participant").version == "1.0"


def test_signed_consent_allows_what_was_agreed_and_nothing_else(
    service: StoreService, lara: str
) -> None:
    assert not service.consent.state(lara).allows("audio-recording")
    record_id = give_adult_consent(service, lara, audio=True, quotes=False)
    state = service.consent.state(lara)
    assert state.allows("audio-recording")
    assert not state.allows("anonymised-quotes")
    assert "said no to anonymised quotes" in state.why_not("anonymised-quotes")
    assert not state.allows("future-contact")  # optional items left out are "no"
    image = service.consent.signature_image(record_id)
    assert image is not None and image.startswith(b"\x89PNG")
    events = [e for e in service.audit_events() if e.action == "consent_recorded"]
    assert events and events[0].target_id == lara


def test_the_latest_record_decides(service: StoreService, lara: str) -> None:
    service.consent.record(
        lara,
        "adult-participant",
        adult_answers(audio_recording=True),
        "signed",
        signature=SIGNATURE,
        given_on=date.today() - timedelta(days=30),
    )
    service.consent.record(
        lara, "adult-participant", adult_answers(audio_recording=False), "signed",
        signature=SIGNATURE,
    )  # fmt: skip
    assert not service.consent.state(lara).allows("audio-recording")


def test_certificate_pdf_holds_the_form_the_person_and_every_answer(
    service: StoreService, lara: str
) -> None:
    record_id = give_adult_consent(service, lara, audio=True, quotes=False)
    pdf = service.consent.certificate(record_id)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert "Consent certificate" in flat
    assert "Participant consent form" in flat and "version 1.0" in flat
    assert "Lara (Mother)" in flat and "Laura Quartermaine" in flat
    assert "Signed on screen" in flat and "Test Researcher" in flat
    assert flat.count("YES") == 6 and flat.count("NO") == 3
    assert "I agree to interviews and conversations with me being audio recorded" in flat
    pages = render_pages(pdf, scale=0.5)
    assert pages and all(p.startswith(b"\x89PNG") for p in pages)


@pytest.mark.parametrize(
    ("answers", "form", "message"),
    [
        ({"take-part": True}, "adult-participant", "required item 'information-sheet'"),
        ({**adult_answers(), "photos": True}, "adult-participant", "has no item 'photos'"),
        (adult_answers(), "adult-participant@9.9", "no consent form 'adult-participant@9.9'"),
        (adult_answers(), "no-such-form", "no consent form"),
        ({**adult_answers(), "take-part": False}, "adult-participant", "required to take part"),
        (adult_answers(), "child-assent", "is for children; a participant's own consent needs"),
    ],
)
def test_bad_consent_is_refused_and_nothing_is_recorded(
    service: StoreService, lara: str, answers: dict[str, bool], form: str, message: str
) -> None:
    before = len(service.audit_events(1000))
    with pytest.raises((InvalidInput, NotFound), match=message):
        service.consent.record(lara, form, answers, "signed", signature=SIGNATURE)
    _nothing_recorded(service, lara, before)


def test_each_method_needs_its_evidence(service: StoreService, lara: str) -> None:
    before = len(service.audit_events(1000))
    with pytest.raises(InvalidInput, match="signature drawn on screen"):
        service.consent.record(lara, "adult-participant", adult_answers(), "signed")
    with pytest.raises(InvalidInput, match="scan of the signed form"):
        service.consent.record(lara, "adult-participant", adult_answers(), "paper")
    with pytest.raises(InvalidInput, match="recording it was given in"):
        service.consent.record(lara, "adult-participant", adult_answers(), "verbal")
    with pytest.raises(InvalidInput, match="Unknown consent method"):
        service.consent.record(lara, "adult-participant", adult_answers(), "telepathy")
    with pytest.raises(InvalidInput, match="future"):
        service.consent.record(
            lara, "adult-participant", adult_answers(), "signed", signature=SIGNATURE,
            given_on=date.today() + timedelta(days=1),
        )  # fmt: skip
    _nothing_recorded(service, lara, before)


def test_paper_consent_keeps_the_scan(service: StoreService, lara: str) -> None:
    scan = b"%PDF-1.4 scanned form bytes"
    record = service.consent.record(
        lara, "adult-participant", adult_answers(audio_recording=True), "paper",
        scan=scan, scan_name="/home/me/Lara consent.pdf",
    )  # fmt: skip
    assert service.consent.scan(record.id) == ("Lara consent.pdf", scan)
    assert service.consent.state(lara).allows("audio-recording")


def test_a_signature_from_outside_is_checked() -> None:
    good = {"width": 300, "height": 100, "strokes": [[[1, 2], [30, 40]]]}
    assert not signature_from_json(good).is_empty
    for bad, message in [
        ({"width": 300, "height": 100, "strokes": []}, "empty"),
        ({"width": 0, "height": 100, "strokes": [[[1, 1]]]}, "width"),
        ({"width": 300, "height": 100, "strokes": [[[1, 2000]]]}, "outside the pad"),
        ({"width": 300, "height": 100, "strokes": [[["a", 1]]]}, "\\[x, y\\]"),
        ([1, 2], "object"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            signature_from_json(bad)


def test_a_child_needs_a_parents_consent_and_their_own_assent(service: StoreService) -> None:
    mum = service.add_participant("Lara", "Mother").id
    child = service.add_participant("Skye", "Daughter", kind="child").id
    parent_answers = {
        "information-sheet": True, "voluntary": True, "take-part": True,
        "audio-recording": True, "anonymised-quotes": True, "archiving": True,
    }  # fmt: skip
    with pytest.raises(InvalidInput, match="is a child"):
        service.consent.record(child, "parent-for-child", parent_answers, "signed",
                               signature=SIGNATURE)  # fmt: skip
    with pytest.raises(InvalidInput, match="which parent"):
        service.consent.record(child, "parent-for-child", parent_answers, "signed",
                               signature=SIGNATURE, party="parent")  # fmt: skip
    service.consent.record(
        child, "parent-for-child", parent_answers, "signed", signature=SIGNATURE,
        party="parent", given_by=mum,
    )  # fmt: skip
    state = service.consent.state(child)
    assert not state.allows("audio-recording")
    assert state.missing == ("no assent from the child",)
    service.consent.record(
        child, "child-assent",
        {"understood": True, "take-part": True, "audio-recording": True,
         "anonymised-quotes": False},
        "signed", signature=SIGNATURE, party="assent",
    )  # fmt: skip
    state = service.consent.state(child)
    assert state.allows("audio-recording")
    assert not state.allows("anonymised-quotes")  # the child said no, whatever the parent said
    assert state.allows("archiving")  # the assent form does not ask: the parent decides
    records = service.consent.records(child)
    assert records[0].given_by == "Lara (Mother)"
    with pytest.raises(InvalidInput, match="not recorded as a child"):
        service.consent.record(mum, "parent-for-child", parent_answers, "signed",
                               signature=SIGNATURE, party="parent", given_by="x")  # fmt: skip


def test_a_new_form_version_never_changes_records_taken_on_the_old_one(
    service: StoreService, lara: str
) -> None:
    old_record = give_adult_consent(service, lara)
    template = service.consent.form_template("adult-participant").to_json()
    template["version"] = "1.1"
    template["items"][4]["statement"] = "I agree to be audio recorded (new wording)."
    template["items"].append(
        {"id": "photographs", "statement": "Photos of places.", "required": False,
         "governs": None}
    )  # fmt: skip
    new = service.consent.add_form(parse_template(__import__("json").dumps(template)))
    assert new.version == "1.1"
    assert service.consent.get_form("adult-participant").id == new.id  # latest by default
    old = service.consent.get_form("adult-participant@1.0")
    assert "new wording" not in old.items[4].statement and len(old.items) == 9
    record = service.consent.records(lara)[0]
    assert record.id == old_record and record.form_id == old.id
    assert "photographs" not in record.answers
    # The same version with other wording is refused; the same wording again is harmless.
    template["items"][0]["statement"] = "Changed after people signed it."
    with pytest.raises(InvalidInput, match="already exists with different wording"):
        service.consent.add_form(parse_template(__import__("json").dumps(template)))
    again = service.consent.form_template("adult-participant@1.1")
    assert service.consent.add_form(again).id == new.id


def test_recording_is_refused_naming_who_lacks_consent_then_allowed(
    service: StoreService, lara: str, tmp_path: Path
) -> None:
    tom = service.add_participant("Tom", "Father").id
    session = service.add_encounter("home-visit", "Visit", participant_ids=[lara, tom]).id
    give_adult_consent(service, lara)
    with pytest.raises(ConsentRequired, match=r"Tom \(Father\) \(no consent recorded\)") as err:
        service.recordings.import_file(session, _wav(tmp_path))
    assert "Lara" not in str(err.value) and err.value.exit_code == 12
    assert service.recordings.list(session) == []
    give_adult_consent(service, tom, audio=False)
    with pytest.raises(ConsentRequired, match="said no to audio recording"):
        service.consent.check_recording(session)
    give_adult_consent(service, tom, audio=True)
    service.consent.check_recording(session)
    assert len([service.recordings.import_file(session, _wav(tmp_path))]) == 1


def test_verbal_consent_at_the_start_of_a_recording(
    service: StoreService, lara: str, tmp_path: Path
) -> None:
    session = service.add_encounter("telephone-interview", "Call", participant_ids=[lara]).id
    saying_no = VerbalConsent(lara, "adult-participant", adult_answers(audio_recording=False))
    with pytest.raises(ConsentRequired):
        service.recordings.import_file(session, _wav(tmp_path), verbal_consent=[saying_no])
    assert service.recordings.list(session) == [] and service.consent.records(lara) == []
    yes = VerbalConsent(lara, "adult-participant", adult_answers(audio_recording=True))
    recording = service.recordings.import_file(session, _wav(tmp_path), verbal_consent=[yes])
    (record,) = service.consent.records(lara)
    assert record.method == "verbal"
    assert record.recording_id == recording.id and record.recording_offset == 0.0
    assert service.consent.state(lara).allows("audio-recording")
    pdf = service.consent.certificate(record.id)
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Given verbally and recorded" in text and "at 00:00" in text
    outsider = service.add_participant("Ann", "Health Visitor", kind="professional").id
    with pytest.raises(InvalidInput, match="not one of them"):
        service.consent.check_recording(
            session, [VerbalConsent(outsider, "adult-participant", adult_answers())]
        )


def test_verbal_consent_linked_later_must_be_inside_the_recording(
    service: StoreService, lara: str, tmp_path: Path
) -> None:
    session = service.add_encounter("home-visit", "Visit", participant_ids=[lara]).id
    yes = VerbalConsent(lara, "adult-participant", adult_answers(audio_recording=True))
    recording = service.recordings.import_file(session, _wav(tmp_path, 3.0), verbal_consent=[yes])
    before = service.consent.records(lara)
    tom = service.add_participant("Tom", "Father").id
    with pytest.raises(InvalidInput, match=r"Tom \(Father\) was not in the session"):
        service.consent.record(
            tom, "adult-participant", adult_answers(), "verbal",
            recording_id=recording.id, recording_offset=1.0,
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="outside the recording"):
        service.consent.record(
            lara, "adult-participant", adult_answers(), "verbal",
            recording_id=recording.id, recording_offset=10.0,
        )  # fmt: skip
    with pytest.raises(NotFound, match="no recording"):
        service.consent.record(
            lara, "adult-participant", adult_answers(), "verbal",
            recording_id="nope", recording_offset=1.0,
        )  # fmt: skip
    assert service.consent.records(lara) == before and service.consent.records(tom) == []


def test_a_session_without_participants_may_be_recorded(service: StoreService) -> None:
    session = service.add_encounter("team-meeting", "Team meeting").id
    service.consent.check_recording(session)
