"""Withdrawal: `future` stops participation; `all` leaves no trace of the person's data,
checked by decrypting every page of the database file and its WAL after the vacuum."""

from __future__ import annotations

from pathlib import Path

import pytest

from relations_desktop.core.errors import ConsentRequired, InvalidInput
from relations_desktop.core.services import StoreService
from tests.consent_data import adult_answers, give_adult_consent
from tests.sqlcipher_pages import plaintext_of_store
from tests.ui.transcript_data import Seg, make_recording, make_transcript

REAL_NAME = "Laura Quartermaine"
NOTE_MARKER = "zebracornlighthouse"
SPOKEN_MARKER = "pitlochrieverran"
ABOUT_MARKER = "kestrelwhistlebrae"
SHARED_MARKER = "sharedmarmaladewords"
MARKERS = (REAL_NAME, NOTE_MARKER, SPOKEN_MARKER, ABOUT_MARKER)


@pytest.fixture
def people(service: StoreService, tmp_path: Path) -> dict[str, str]:
    lara = service.add_participant("Lara", "Mother", real_name=REAL_NAME).id
    tom = service.add_participant("Tom", "Father", real_name="Thomas Other").id
    give_adult_consent(service, lara)
    give_adult_consent(service, tom)
    solo = service.add_encounter("home-visit", "Lara at home", participant_ids=[lara]).id
    service.add_note(solo, f"She told me about {NOTE_MARKER} and the lockbox.")
    recording = make_recording(service, solo, tmp_path, seconds=5.0)
    make_transcript(
        service, recording, [Seg(0.0, 4.0, f"My neighbour {SPOKEN_MARKER} has the bairns.")]
    )
    shared = service.add_encounter("park-visit", "Park", participant_ids=[lara, tom]).id
    service.add_note(shared, f"Lara alone: {ABOUT_MARKER}.", participant_ids=[lara])
    service.add_note(shared, f"Both of them: {SHARED_MARKER}.", participant_ids=[lara, tom])
    return {"lara": lara, "tom": tom, "solo": solo, "shared": shared, "recording": recording}


def _plaintext(service: StoreService) -> bytes:
    assert service._key is not None
    return plaintext_of_store(service.store_dir, service._key.database_key()).lower()


def test_the_scanner_finds_the_markers_before_withdrawal(
    service: StoreService, people: dict[str, str]
) -> None:
    plain = _plaintext(service)
    for marker in MARKERS:
        assert marker.lower().encode() in plain, marker


def test_withdrawing_all_leaves_no_trace_in_search_or_in_the_files(
    service: StoreService, people: dict[str, str]
) -> None:
    backups = service.store_dir / "backups"
    backups.mkdir()
    (backups / "store-0003.db").write_bytes(b"an old encrypted copy")
    assert REAL_NAME in {e.real for e in service.pseudonyms.list()}  # seeded from the name
    plan = service.consent.withdrawal_plan(people["lara"], "all")
    assert plan.encounters_deleted == ("Lara at home",)
    assert (plan.recordings_deleted, plan.transcripts_deleted, plan.notes_deleted) == (1, 1, 2)
    assert plan.identity_entry_deleted and plan.encounters_flagged == ("Park",)
    assert plan.backups_deleted == ("store-0003.db",)
    text = "\n".join(plan.lines())
    assert "Lara at home" in text and "Park" in text and "cannot be undone" in text

    service.consent.withdraw(people["lara"], "all")
    wal = service.store_dir / "store.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated

    for word in (NOTE_MARKER, SPOKEN_MARKER, ABOUT_MARKER):
        assert service.search(word) == [], word
    assert service.search(SHARED_MARKER) != []  # shared with Tom: kept, flagged
    assert service.real_name(people["lara"]) is None
    assert not {e.real for e in service.pseudonyms.list()} & {REAL_NAME, "Laura", "Quartermaine"}
    assert service.real_name(people["tom"]) == "Thomas Other"
    assert [e.title for e in service.list_encounters()] == ["Park"]
    assert service.recordings.count() == 0
    assert not (backups / "store-0003.db").exists()
    (flag,) = service.consent.encounter_flags()
    assert flag.encounter_id == people["shared"] and "Lara (Mother) withdrew" in flag.message
    assert service.consent.excluded_participant_ids() == {people["lara"]}
    record = service.consent.records(people["lara"])[0]
    assert not record.has_signature and not record.has_certificate
    assert record.answers["audio-recording"] is True  # the answers stay on record
    plain = _plaintext(service)
    for marker in MARKERS:
        assert marker.lower().encode() not in plain, marker
    assert SHARED_MARKER.encode() in plain  # the scan still sees what was kept
    actions = [e.action for e in service.audit_events()]
    assert "consent_withdrawn" in actions


def test_after_withdrawal_nothing_new_is_allowed(
    service: StoreService, people: dict[str, str], tmp_path: Path
) -> None:
    service.consent.withdraw(people["lara"], "future")
    assert service.search(NOTE_MARKER) != []  # `future` keeps what was collected
    assert service.real_name(people["lara"]) == REAL_NAME
    with pytest.raises(ConsentRequired, match=r"Lara \(Mother\) \(withdrew on"):
        service.consent.check_recording(people["shared"])
    with pytest.raises(InvalidInput, match="withdrew from the study"):
        service.consent.record(people["lara"], "adult-participant", adult_answers(), "paper",
                               scan=b"x")  # fmt: skip
    with pytest.raises(InvalidInput, match="cannot be added to a session"):
        service.add_encounter("home-visit", "Again", participant_ids=[people["lara"]])
    assert service.consent.state(people["lara"]).summary.startswith("Withdrawn (future)")


def test_withdrawing_again_is_refused_but_future_can_become_all(
    service: StoreService, people: dict[str, str]
) -> None:
    service.consent.withdraw(people["lara"], "future", note="Moved away.")
    before = len(service.audit_events(1000))
    with pytest.raises(InvalidInput, match=r"already withdrew \(future\)"):
        service.consent.withdraw(people["lara"], "future")
    with pytest.raises(InvalidInput, match=r"already withdrew"):
        service.consent.withdrawal_plan(people["lara"], "future")
    assert len(service.audit_events(1000)) == before
    service.consent.withdraw(people["lara"], "all", note="Asked for her data to go.")
    assert service.search(NOTE_MARKER) == []
    with pytest.raises(InvalidInput, match=r"already withdrew \(all\)"):
        service.consent.withdraw(people["lara"], "all")
    with pytest.raises(InvalidInput, match="Unknown withdrawal scope"):
        service.consent.withdraw(people["tom"], "some")


def test_a_flag_is_resolved_once_reviewed(service: StoreService, people: dict[str, str]) -> None:
    service.consent.withdraw(people["lara"], "all")
    (flag,) = service.consent.encounter_flags(people["shared"])
    service.consent.resolve_flag(flag.id)
    assert service.consent.encounter_flags() == []
    assert len(service.consent.encounter_flags(include_resolved=True)) == 1


def test_the_withdrawn_are_left_out_of_the_profile_report(
    service: StoreService, people: dict[str, str]
) -> None:
    assert service.register.profile_report().parents == 2
    service.consent.withdraw(people["lara"], "all")
    report = service.register.profile_report()
    assert (report.parents, report.mothers, report.fathers) == (1, 0, 1)


def test_what_a_withdrawn_participant_said_in_a_shared_session_is_left_out_of_exports(
    service: StoreService, people: dict[str, str], tmp_path: Path
) -> None:
    recording = make_recording(service, people["shared"], tmp_path, seconds=8.0)
    transcript = make_transcript(
        service,
        recording,
        [Seg(0.0, 3.0, "Lara speaking here.", speaker=0), Seg(3.0, 6.0, "Tom here.", speaker=1)],
        speakers=["S1", "S2"],
    )
    speakers = service.transcripts.get(transcript).speakers
    service.transcripts.update_speaker(speakers[0].id, label="Lara", participant_id=people["lara"])
    service.transcripts.update_speaker(speakers[1].id, label="Tom", participant_id=people["tom"])
    service.consent.withdraw(people["lara"], "all")
    out = tmp_path / "shared.txt"
    service.transcripts.export(transcript, "txt", out)
    text = out.read_text(encoding="utf-8")
    assert "Tom here." in text
    assert "Lara speaking here." not in text and "Lara:" not in text
    (flag,) = service.consent.encounter_flags(people["shared"])
    assert flag.reason == "withdrawal"
