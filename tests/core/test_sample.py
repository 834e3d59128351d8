"""The bundled sample session: added marked as sample data, never twice, removed whole."""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.resources import resource
from relations_desktop.core.sample import (
    SAMPLE_PSEUDONYM,
    SAMPLE_ROLE,
    SAMPLE_TITLE,
    SampleData,
    SampleDataMissing,
    SampleResult,
    add_sample_session,
    find_sample,
    remove_sample,
)
from relations_desktop.core.services import StoreService
from tests.consent_data import give_adult_consent

SCRIPT = json.loads(resource("sample", "transcript.json").read_text(encoding="utf-8"))
# Words only the sample says (in its transcript, jottings, title, notes).
SAMPLE_WORDS = ("kettle", "shoes", "buses", "Sample jotting", "Sample Parent", "sample data")


def sample_ids(service: StoreService, got: SampleResult) -> set[str]:
    """Every id of a row the sample made (segments, speakers, tags included)."""
    assert service._engine is not None
    with service._engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id FROM transcript_segment WHERE transcript_id = :t "
                "UNION SELECT id FROM transcript_speaker WHERE transcript_id = :t "
                "UNION SELECT id FROM transcription_job WHERE recording_id = :r "
                "UNION SELECT id FROM tag WHERE name = 'sample'"
            ),
            {"t": got.transcript_id, "r": got.recording_id},
        )
        made = {row[0] for row in rows}
    return made | {
        got.participant_id,
        got.encounter_id,
        got.recording_id,
        got.transcript_id,
        got.consent_record_id,
        *got.jotting_ids,
    }


def rows_mentioning(service: StoreService, needles: set[str]) -> list[str]:
    """Every table (FTS shadow tables too) and row holding any of ``needles``."""
    assert service._engine is not None
    found = []
    with service._engine.connect() as conn:
        tables = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
        for (table,) in list(tables):
            # Audio chunks are FLAC: only their recording id can mention the sample.
            columns = "recording_id" if table == "audio_chunk" else "*"
            for row in conn.exec_driver_sql(f'SELECT {columns} FROM "{table}"'):
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    hits = [n for n in needles if n.encode() in raw]
                    if hits:
                        found.append(f"{table}: {hits}")
    return found


def test_the_sample_files_are_marked_and_fit_together() -> None:
    data = SampleData.load()
    assert data.transcript["sample_data"] is True and data.consent["sample_data"] is True
    assert data.participant["notes"].startswith("Sample data:")
    assert all(body.startswith("Sample jotting:") for _, body in data.jottings)
    segments = data.transcript["segments"]
    assert 30.0 <= data.transcript["duration_seconds"] <= 45.0
    assert {s["speaker"] for s in segments} == {"Interviewer", SAMPLE_PSEUDONYM}
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(segments))
    assert all(0 < offset < data.transcript["duration_seconds"] for offset, _ in data.jottings)
    readme = resource("sample", "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme and "scripts/make-sample" in readme and "MIT" in readme


def test_adding_the_sample_puts_everything_in_marked_as_sample(service: StoreService) -> None:
    got = add_sample_session(service)
    assert got.created
    person = service.get_participant(got.participant_id)
    assert (person.pseudonym, person.role_label) == (SAMPLE_PSEUDONYM, SAMPLE_ROLE)
    assert "Sample data" in service.get_participant(got.participant_id).notes
    state = service.consent.state(got.participant_id)
    assert state.allows("audio-recording") and state.allows("anonymised-quotes")
    [record] = service.consent.records(got.participant_id)
    assert record.id == got.consent_record_id and record.method == "signed"
    assert service.consent.certificate(record.id).startswith(b"%PDF")

    visit = service.get_encounter(got.encounter_id)
    assert visit.title == SAMPLE_TITLE and visit.participant_ids == [got.participant_id]
    assert visit.summary.startswith("Sample data:")
    recording = service.recordings.get(got.recording_id)
    assert recording.encounter_id == got.encounter_id and recording.original_name == "sample.flac"
    assert recording.duration_seconds == pytest.approx(SCRIPT["duration_seconds"], abs=0.05)

    transcript = service.transcripts.latest_for_recording(got.recording_id)
    assert transcript is not None and transcript.id == got.transcript_id
    assert [s.text for s in transcript.segments] == [s["text"] for s in SCRIPT["segments"]]
    assert [s.machine_text for s in transcript.segments] == [
        s["machine_text"] for s in SCRIPT["segments"]
    ]
    assert any(s.edited for s in transcript.segments) and transcript.segments[0].words
    parent = next(s for s in transcript.speakers if s.label == SAMPLE_PSEUDONYM)
    assert parent.participant_id == got.participant_id
    assert [j.text for j in transcript.jottings] == [body for _, body in SampleData.load().jottings]
    notes = service.list_notes(got.encounter_id)
    assert {n.id for n in notes} == set(got.jotting_ids)
    assert all(n.kind == "jotting" and n.tags == ["sample"] for n in notes)
    assert service.search("kettle") and service.search("jotting shoes")
    # Nothing in it needs pseudonymising: it can be sealed and exported as it is.
    assert service.review.unresolved([got.encounter_id]) == []


def test_adding_twice_does_not_duplicate(service: StoreService) -> None:
    first = add_sample_session(service)
    second = add_sample_session(service)
    assert not second.created
    assert dataclasses.replace(second, created=True) == first
    assert len(service.list_participants()) == 1 and len(service.list_encounters()) == 1
    assert service.recordings.count() == 1 and service.transcripts.count() == 1
    assert len(service.list_notes()) == len(first.jotting_ids)
    assert find_sample(service) == second


def test_removing_the_sample_leaves_nothing_and_touches_nothing_else(
    service: StoreService,
) -> None:
    lara = service.add_participant("Lara", "Mother", region="Scotland").id
    give_adult_consent(service, lara)
    visit = service.add_encounter("home-visit", "Kitchen", participant_ids=[lara]).id
    real_note = service.add_note(visit, "Lara put the kettle on.", tags=["sample"]).id
    got = add_sample_session(service)
    # The tag stays: the researcher's own note uses it too.
    needles = sample_ids(service, got) - {_tag_id(service)}
    needles |= {"Sample Parent", "Sample jotting", "sample data", "shoes", "buses"}
    assert rows_mentioning(service, needles)  # the scanner sees the sample before

    removed = remove_sample(service)
    assert (removed.sessions, removed.participants, removed.recordings) == (1, 1, 1)
    assert removed.notes == len(got.jotting_ids)
    assert rows_mentioning(service, needles) == []
    for word in ("shoes", "buses", "jotting", "appointment"):
        assert service.search(word) == [], word
    assert [h.ref_id for h in service.search("kettle")] == [real_note]
    assert [p.id for p in service.list_participants()] == [lara]
    assert [e.id for e in service.list_encounters()] == [visit]
    assert service.get_note(real_note).tags == ["sample"]  # the researcher's own tag
    assert service.recordings.count() == 0 and service.transcripts.count() == 0
    assert find_sample(service) is None
    assert remove_sample(service).nothing
    again = add_sample_session(service)  # and it can be tried again
    assert again.created and again.encounter_id != got.encounter_id


def _tag_id(service: StoreService) -> str:
    assert service._engine is not None
    with service._engine.connect() as conn:
        return str(conn.exec_driver_sql("SELECT id FROM tag WHERE name = 'sample'").scalar())


def test_a_failed_add_leaves_nothing_behind(service: StoreService, tmp_path: Path) -> None:
    broken = tmp_path / "sample"
    shutil.copytree(resource("sample"), broken)
    (broken / "sample.flac").write_bytes(b"not audio at all" * 100)
    with pytest.raises(InvalidInput):
        add_sample_session(service, SampleData.load(broken))
    assert service.list_participants() == [] and service.list_encounters() == []
    assert find_sample(service) is None


def test_damaged_sample_files_are_refused_with_a_message(tmp_path: Path) -> None:
    broken = tmp_path / "sample"
    shutil.copytree(resource("sample"), broken)
    doc: dict[str, Any] = json.loads((broken / "transcript.json").read_text())
    doc["segments"][0].pop("start")
    (broken / "transcript.json").write_text(json.dumps(doc))
    with pytest.raises(SampleDataMissing, match=r"sample data .* is damaged"):
        SampleData.load(broken)
    (broken / "jottings.json").unlink()
    with pytest.raises(SampleDataMissing, match=r"damaged \(jottings.json\)"):
        SampleData.load(broken)


def test_a_sample_participant_who_is_in_a_real_session_is_kept(service: StoreService) -> None:
    """Only what is sample data alone goes: markers are never enough to delete someone
    who is part of the researcher's own work."""
    got = add_sample_session(service)
    service.add_encounter("park-visit", "Park", participant_ids=[got.participant_id])
    removed = remove_sample(service)
    assert removed.participants == 0 and removed.sessions == 1
    assert [p.pseudonym for p in service.list_participants()] == [SAMPLE_PSEUDONYM]
    assert [e.title for e in service.list_encounters()] == ["Park"]


def test_the_sample_stays_out_of_bundles_unless_named(
    service: StoreService, tmp_path: Path
) -> None:
    """It is fictional: sealing everything leaves it home; naming it takes it."""
    added = add_sample_session(service)
    service.team.add_me(role="pi")
    everything = service.bundles.seal(tmp_path / "all.bundle")
    assert everything.counts["encounters"] == 0 and everything.counts["participants"] == 0
    named = service.bundles.seal(tmp_path / "named.bundle", [added.encounter_id])
    assert named.counts["encounters"] == 1 and named.counts["participants"] == 1
