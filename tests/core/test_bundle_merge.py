"""The merge of a bundle into a team store, driven through ``Merger`` directly with
records built here (the shapes of docs/bundle-format.md), so every rule of
docs/team-inbox.md can be set up exactly. The end-to-end tests through real sealing and
opening are in test_inbox.py.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import numpy as np
import pytest
import soundfile
from sqlalchemy import func, select

from relations_desktop.core.bundle_format import BundleRefused, json_bytes
from relations_desktop.core.bundle_merge import Merger, MergeSummary
from relations_desktop.core.errors import ConsentRequired, InvalidInput
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import (
    AudioChunk,
    AuditEvent,
    CarriedConsent,
    EncounterFlag,
    MergeConflict,
    MergeState,
    Participant,
    Quote,
    ReceivedBundle,
    Researcher,
    SegmentRevision,
    TranscriptSegment,
)
from tests.sqlcipher_pages import plaintext_of_store
from tests.ui.fake_audio import RATE, tone

ANN = "a0a0a0a0-0000-4000-8000-000000000001"
BEA = "b0b0b0b0-0000-4000-8000-000000000002"
T0, T1, T2 = "2026-03-01T10:00:00+00:00", "2026-03-02T10:00:00+00:00", "2026-03-03T10:00:00+00:00"
YES = {"audio-recording": True, "anonymised-quotes": True, "archiving": True}
NO_QUOTES = {"audio-recording": True, "anonymised-quotes": False, "archiving": True}


def new_id() -> str:
    return str(uuid.uuid4())


# ------------------------------------------------------------------ records
def site(ident: str, at: str = T0, **kw: Any) -> dict[str, Any]:
    return {"id": ident, "name": "Harbour Clinic", "site_type": "drug-treatment",
            "region": "Scotland", "notes": "", "updated_at": at, **kw}  # fmt: skip


def family(ident: str, site_id: str | None = None, at: str = T0, **kw: Any) -> dict[str, Any]:
    return {
        "id": ident, "label": "Family A", "notes": "", "household": "single-parent",
        "region": "Scotland", "site_id": site_id, "updated_at": at,
        "children": [{"id": new_id(), "label": "baby", "age_band": "0-4",
                      "living_arrangement": "with-parents", "child_protection": "none",
                      "family_support": True}],
        **kw,
    }  # fmt: skip


def person(ident: str, at: str = T0, consent: dict[str, Any] | None = None, **kw: Any) -> dict:
    return {
        "id": ident, "pseudonym": "Lara", "role": "Mother", "region": "Scotland",
        "kind": "parent", "age_band": "25-34", "sector": "", "on_ost": True,
        "site_id": None, "family_id": None, "withdrawal_scope": None, "updated_at": at,
        "consent": {"decisions": consent if consent is not None else YES, "missing": [],
                    "withdrawn_scope": None, "withdrawn_on": None, "summary": "agreed"},
        **kw,
    }  # fmt: skip


def session_(ident: str, people: list[str], at: str = T0, **kw: Any) -> dict[str, Any]:
    return {"id": ident, "type": "home-visit", "title": "Kitchen visit", "date": "2026-02-27",
            "site_id": None, "summary": "", "participant_ids": people, "created_by": ANN,
            "updated_at": at, **kw}  # fmt: skip


def recording(ident: str, encounter: str, chunks: int | None = None, at: str = T0) -> dict:
    audio = None if chunks is None else {"chunks": [[i, i * RATE, RATE] for i in range(chunks)]}
    return {
        "id": ident, "encounter_id": encounter, "status": "imported", "source": "import",
        "sample_rate": RATE, "channels": 1, "codec": "flac", "frames": (chunks or 2) * RATE,
        "started_at": "2026-02-27T10:00:00+00:00", "ended_at": "2026-02-27T10:00:02+00:00",
        "original_name": "visit.wav", "overflow_count": 0, "stop_reason": "",
        "updated_at": at, "audio": audio, "audio_withheld": False,
    }  # fmt: skip


def note(ident: str, encounter: str, body: str, people: list[str] = (), at: str = T0) -> dict:  # type: ignore[assignment]
    return {"id": ident, "encounter_id": encounter, "kind": "expanded", "title": "",
            "body": body, "offset_seconds": None, "recording_id": None, "tags": ["home"],
            "participant_ids": list(people), "created_by": ANN, "updated_at": at}  # fmt: skip


def transcript(
    ident: str, recording_id: str, lines: list[tuple[str, int]], speakers: list[dict], at: str = T0
) -> dict[str, Any]:
    """``lines``: (text, speaker index); ``speakers``: {"id", "label", "participant_id"}."""
    segments = []
    for position, (text, who) in enumerate(lines):
        words = [{"word": f" {w}", "start": position + i * 0.1, "end": position + i * 0.1 + 0.1,
                  "probability": 0.9} for i, w in enumerate(text.split())]  # fmt: skip
        segments.append({
            "id": f"{ident[:24]}{position:012d}", "position": position, "start": float(position),
            "end": position + 1.0, "text": text, "machine_text": text,
            "speaker_id": speakers[who]["id"], "speaker_label": speakers[who]["label"],
            "words": words, "edited": False,
        })  # fmt: skip
    return {
        "id": ident, "recording_id": recording_id, "encounter_id": "", "model_name": "tiny.en",
        "language": "en", "mode": "fast", "created_at": T0, "updated_at": at,
        "duration_seconds": float(len(lines)), "segments": segments,
        "speakers": [{**s, "participant_label": None} for s in speakers], "jottings": [],
    }  # fmt: skip


def speaker(label: str, participant_id: str | None = None) -> dict[str, Any]:
    return {"id": new_id(), "label": label, "participant_id": participant_id}


def flac(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    soundfile.write(out, tone(seconds), RATE, format="FLAC", subtype="PCM_16")
    return out.getvalue()


Entries = list[tuple[str, Any]]


def merger(store: StoreService, entries: Entries, *, bundle_id: str | None = None,
           researcher: tuple[str, str] = (ANN, "Ann"), sealed: str = T0) -> Merger:  # fmt: skip
    """A merger that has begun and taken ``entries`` (not committed)."""
    m = Merger(store, "test.bundle")
    m.begin({"format": "relations-bundle", "schema_revision": 1,
             "bundle_id": bundle_id or new_id(), "created_at": sealed,
             "researcher": {"id": researcher[0], "name": researcher[1]},
             "counts": {}, "files": []}, researcher[1])  # fmt: skip
    for name, value in entries:
        m.add(name, value if isinstance(value, bytes) else json_bytes(value))
    return m


def merge(store: StoreService, entries: Entries, **kw: Any) -> MergeSummary:
    return merger(store, entries, **kw).commit()


def refused(store: StoreService, entries: Entries) -> str:
    """The refusal of a merge of ``entries`` (aborted, as BundleService.open does)."""
    m = Merger(store, "crafted.bundle")
    try:
        with pytest.raises(BundleRefused) as caught:
            m.begin({"bundle_id": new_id(), "created_at": T0,
                     "researcher": {"id": ANN, "name": "Ann"}}, "Ann")  # fmt: skip
            for name, value in entries:
                m.add(name, value if isinstance(value, bytes) else json_bytes(value))
            m.commit()
    finally:
        m.abort()
    return caught.value.message


def count(store: StoreService, model: Any, *where: Any) -> int:
    with store._session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.fixture
def team(service: StoreService) -> StoreService:
    return service


@pytest.fixture
def visit() -> dict[str, Any]:
    """Ids and records of one home visit: Lara, a session, a recording, a note, a
    transcript where the interviewer and Lara speak."""
    ids = {k: new_id() for k in ("site", "family", "lara", "enc", "rec", "note", "tr")}
    people = [speaker("Interviewer"), speaker("S2", ids["lara"])]
    lines = [("How was the week?", 0), ("The bus was late again today.", 1)]
    return {
        **ids,
        "speakers": people,
        "entries": [
            ("data/sites.json", [site(ids["site"])]),
            ("data/families.json", [family(ids["family"], ids["site"])]),
            ("data/participants.json",
             [person(ids["lara"], site_id=ids["site"], family_id=ids["family"])]),
            ("data/encounters.json", [session_(ids["enc"], [ids["lara"]])]),
            ("data/recordings.json", [recording(ids["rec"], ids["enc"])]),
            ("data/fieldnotes.json", [note(ids["note"], ids["enc"], "The kettle was on.")]),
            (f"data/transcripts/{ids['tr']}.json",
             transcript(ids["tr"], ids["rec"], lines, people)),
            ("data/withdrawals.json", []),
        ],
    }  # fmt: skip


def replace(entries: Entries, name: str, value: Any) -> Entries:
    return [(n, value if n == name else v) for n, v in entries]


# -------------------------------------------------------------- first bundle
def test_a_first_bundle_adds_every_record_with_its_own_id(
    team: StoreService, visit: dict[str, Any]
) -> None:
    got = merge(team, visit["entries"])
    assert not got.duplicate and got.researcher_name == "Ann" and got.signer == "Ann"
    assert got.total("added") == 8 and got.counts["transcript"].added == 1
    assert got.counts["consent"].added == 1
    lara = team.get_participant(visit["lara"])
    assert (lara.pseudonym, lara.site_id, lara.family_id) == ("Lara", visit["site"],
                                                             visit["family"])  # fmt: skip
    encounter = team.get_encounter(visit["enc"])
    assert encounter.participant_ids == [visit["lara"]]
    assert team.register.get_family(visit["family"]).children[0].label == "baby"
    assert team.get_note(visit["note"]).tags == ["home"]
    text = team.transcripts.get(visit["tr"])
    assert [s.text for s in text.segments][1] == "The bus was late again today."
    assert text.speakers[1].participant_id == visit["lara"]
    with team._session() as session:
        row = session.get(Participant, visit["lara"])
        assert row is not None and row.project_id == team.project_id
        assert (row.created_by, row.updated_by) == (ANN, ANN)
        ann = session.get(Researcher, ANN)
        assert ann is not None and ann.name == "Ann" and not ann.is_self
        received = session.get(ReceivedBundle, got.bundle_id)
        assert received is not None and received.summary["counts"]["site"]["added"] == 1
    events = [e for e in team.audit_events() if e.action == "bundle_opened"]
    assert len(events) == 1 and events[0].target_id == got.bundle_id
    assert [h.kind for h in team.search("bus late")] == ["segment"]
    assert len(team.search("kettle")) == 1


def test_nothing_is_durable_before_commit_and_abort_leaves_nothing(
    team: StoreService, visit: dict[str, Any]
) -> None:
    m = merger(team, visit["entries"])
    assert team.list_participants() == []  # another connection sees nothing yet
    m.abort()
    assert team.list_participants() == [] and team.list_encounters() == []
    assert count(team, Researcher) == 1 and count(team, ReceivedBundle) == 0
    assert count(team, MergeState) == 0 and count(team, CarriedConsent) == 0
    assert team.search("kettle") == []


def test_a_malformed_record_refuses_the_bundle(team: StoreService, visit: dict[str, Any]) -> None:
    bad = replace(visit["entries"], "data/encounters.json",
                  [session_(visit["enc"], [visit["lara"]], type="séance")])  # fmt: skip
    assert "encounters.json holds a record this app cannot read (type 'séance'" in refused(
        team, bad
    )
    for broken in (b"{not json", json_bytes({"a": 1}), json_bytes([1, 2])):
        assert "sites.json" in refused(team, [("data/sites.json", broken)])
    no_name = [("data/participants.json", [person(new_id(), pseudonym="")])]
    assert "pseudonym is empty" in refused(team, no_name)
    assert count(team, ReceivedBundle) == 0 and team.register.list_sites() == []
    assert team.list_encounters() == []


def test_the_same_bundle_twice_changes_nothing(team: StoreService, visit: dict[str, Any]) -> None:
    first = merge(team, visit["entries"])
    changed = replace(visit["entries"], "data/sites.json", [site(visit["site"], T1, name="X")])
    again = merge(team, changed, bundle_id=first.bundle_id)
    assert again.duplicate and again.counts == {}
    assert team.register.get_site(visit["site"]).name == "Harbour Clinic"
    assert count(team, ReceivedBundle) == 1
    assert len([e for e in team.audit_events() if e.action == "bundle_opened"]) == 1


def test_sealing_the_same_data_again_is_all_unchanged(
    team: StoreService, visit: dict[str, Any]
) -> None:
    merge(team, visit["entries"])
    again = merge(team, visit["entries"])
    assert again.total("unchanged") == 8 and again.total("added") == 0
    assert again.describe() == "8 unchanged"


# -------------------------------------------------------------- newer / older
def test_a_newer_version_is_taken_and_an_older_one_ignored(
    team: StoreService, visit: dict[str, Any]
) -> None:
    merge(team, visit["entries"])
    newer = [("data/encounters.json", [session_(visit["enc"], [visit["lara"]], T2, title="B")])]
    assert merge(team, newer).counts["encounter"].updated == 1
    assert team.get_encounter(visit["enc"]).title == "B"
    older = [("data/encounters.json", [session_(visit["enc"], [visit["lara"]], T1, title="A")])]
    assert merge(team, older).counts["encounter"].older == 1
    assert team.get_encounter(visit["enc"]).title == "B"
    assert count(team, MergeConflict) == 0


def test_a_change_on_both_sides_is_a_conflict_and_the_local_row_stays(
    team: StoreService, visit: dict[str, Any]
) -> None:
    merge(team, visit["entries"])
    team.update_encounter(visit["enc"], title="Team's title")
    newer = [("data/encounters.json", [session_(visit["enc"], [visit["lara"]], T1, title="B")])]
    got = merge(team, newer)
    assert got.counts["encounter"].conflicts == 1 and got.describe() == "1 conflict"
    assert team.get_encounter(visit["enc"]).title == "Team's title"
    with team._session() as session:
        row = session.scalars(select(MergeConflict)).one()
        assert (row.record_type, row.record_id, row.status) == ("encounter", visit["enc"], "open")
        assert row.incoming["title"] == "B" and row.local["title"] == "Team's title"
        assert row.researcher_name == "Ann" and row.bundle_id == got.bundle_id
    # a still newer version replaces the waiting one; an older one does not
    newest = [("data/encounters.json", [session_(visit["enc"], [visit["lara"]], T2, title="C")])]
    assert merge(team, newest).counts["encounter"].conflicts == 1
    assert merge(team, newer).counts["encounter"].older == 1
    [waiting] = team.inbox.conflicts()
    assert waiting.incoming["title"] == "C"


def test_a_local_record_never_merged_conflicts_unless_equal(team: StoreService) -> None:
    made = team.register.add_site("Harbour Clinic", "drug-treatment", region="Scotland")
    same = merge(team, [("data/sites.json", [site(made.id)])])
    assert same.counts["site"].unchanged == 1
    other = team.register.add_site("Dock Road", "family-support")
    differs = merge(team, [("data/sites.json", [site(other.id, T1)])])
    assert differs.counts["site"].conflicts == 1
    assert team.register.get_site(other.id).name == "Dock Road"


def test_a_local_change_the_bundle_agrees_with_is_no_conflict(
    team: StoreService, visit: dict[str, Any]
) -> None:
    merge(team, visit["entries"])
    team.update_encounter(visit["enc"], title="B")
    newer = [("data/encounters.json", [session_(visit["enc"], [visit["lara"]], T1, title="B")])]
    assert merge(team, newer).counts["encounter"].unchanged == 1
    assert count(team, MergeConflict) == 0


# ---------------------------------------------------------------- transcripts
def test_a_transcript_is_one_record_with_its_speakers_and_segments(
    team: StoreService, visit: dict[str, Any]
) -> None:
    merge(team, visit["entries"])
    name = f"data/transcripts/{visit['tr']}.json"
    people = [visit["speakers"][1], speaker("S3")]
    lines = [("The bus was late.", 0), ("It always is.", 1), ("Aye.", 0)]
    newer = transcript(visit["tr"], visit["rec"], lines, people, T1)
    assert merge(team, [(name, newer)]).counts["transcript"].updated == 1
    got = team.transcripts.get(visit["tr"])
    assert [s.text for s in got.segments] == ["The bus was late.", "It always is.", "Aye."]
    assert sorted(s.label for s in got.speakers) == ["S2", "S3"]
    assert team.search("always")
    # a correction here, then a newer version from the researcher: a conflict
    team.transcripts.set_text(got.segments[2].id, "Aye, right.")
    newest = transcript(visit["tr"], visit["rec"], [*lines[:2], ("Aye, it is.", 0)], people, T2)
    assert merge(team, [(name, newest)]).counts["transcript"].conflicts == 1
    assert team.transcripts.get(visit["tr"]).segments[2].text == "Aye, right."
    [waiting] = team.inbox.conflicts()
    assert [(d.field, d.local, d.incoming) for d in waiting.differences] == [
        ("segment 3 text", "Aye, right.", "Aye, it is."),
        ("segment 3 machine_text", "Aye.", "Aye, it is."),
    ]


def test_a_transcript_of_a_recording_not_here_is_skipped(team: StoreService) -> None:
    tid = new_id()
    got = merge(team, [(f"data/transcripts/{tid}.json",
                        transcript(tid, new_id(), [("Hello.", 0)], [speaker("S1")]))])  # fmt: skip
    assert got.counts["transcript"].skipped == 1 and team.transcripts.count() == 0
    misnamed = [(f"data/transcripts/{new_id()}.json", transcript(tid, new_id(), [], []))]
    assert "not the transcript its name says" in refused(team, misnamed)


def test_references_to_rows_not_here_are_dropped_and_orphans_skipped(
    team: StoreService,
) -> None:
    lara, enc = new_id(), new_id()
    got = merge(team, [
        ("data/participants.json", [person(lara, site_id=new_id(), family_id=new_id())]),
        ("data/encounters.json", [session_(enc, [lara, new_id()], site_id=new_id())]),
        ("data/fieldnotes.json", [note(new_id(), new_id(), "Lost."), note(new_id(), enc, "Ok.")]),
        ("data/recordings.json", [recording(new_id(), new_id())]),
    ])  # fmt: skip
    assert got.counts["fieldnote"].skipped == 1 and got.counts["fieldnote"].added == 1
    assert got.counts["recording"].skipped == 1
    assert team.get_participant(lara).site_id is None
    assert team.get_encounter(enc).participant_ids == [lara]


# ---------------------------------------------------------------------- audio
@pytest.fixture
def with_audio(visit: dict[str, Any]) -> Entries:
    entries = replace(visit["entries"], "data/recordings.json",
                      [recording(visit["rec"], visit["enc"], chunks=2)])  # fmt: skip
    at = next(i for i, (n, _) in enumerate(entries) if n == "data/recordings.json") + 1
    chunks = [(f"data/audio/{visit['rec']}/{seq:06d}.flac", flac()) for seq in range(2)]
    return entries[:at] + chunks + entries[at:]


def test_audio_chunks_go_in_as_they_arrive_and_are_kept_at_commit(
    team: StoreService, visit: dict[str, Any], with_audio: Entries
) -> None:
    at = next(i for i, (n, _) in enumerate(with_audio) if n.endswith("000000.flac"))
    m = merger(team, with_audio[: at + 1])
    assert m._session is not None  # the merge's own transaction holds the chunk already
    held = m._session.scalar(select(func.count()).select_from(AudioChunk))
    assert held == 1 and count(team, AudioChunk) == 0
    for name, value in with_audio[at + 1 :]:
        m.add(name, json_bytes(value) if not isinstance(value, bytes) else value)
    got = m.commit()
    assert got.counts["audio"].added == 1
    decoded = np.concatenate([b.data for b in team.recordings.samples(visit["rec"])])
    assert len(decoded) == 2 * RATE


def test_audio_already_here_is_never_replaced(
    team: StoreService, visit: dict[str, Any], with_audio: Entries
) -> None:
    merge(team, with_audio)
    with team._session() as session:
        before = list(session.scalars(select(AudioChunk.data).order_by(AudioChunk.seq)))
    louder = [(n, flac(0.5) if n.endswith(".flac") else v) for n, v in with_audio]
    assert merge(team, louder).counts["audio"].unchanged == 1
    with team._session() as session:
        assert list(session.scalars(select(AudioChunk.data).order_by(AudioChunk.seq))) == before


def test_audio_that_is_promised_but_missing_or_not_flac_refuses_the_bundle(
    team: StoreService, with_audio: Entries
) -> None:
    short = [(n, v) for n, v in with_audio if not n.endswith("000001.flac")]
    assert "promises 1 audio chunk(s) the bundle does not hold" in refused(team, short)
    fake = [(n, b"RIFF....WAVE" if n.endswith(".flac") else v) for n, v in with_audio]
    assert "audio chunk 0 is not FLAC" in refused(team, fake)
    stray = [*with_audio[:-1], (f"data/audio/{new_id()}/000000.flac", flac())]
    assert merge(team, stray).counts["audio"].added == 1  # a recording not listed: ignored
    team_chunks = count(team, AudioChunk)
    assert team_chunks == 2
    assert count(team, ReceivedBundle) == 1


# -------------------------------------------------------------------- consent
def quote_the_mother(team: StoreService, visit: dict[str, Any]) -> Any:
    return team.quotes.from_recording(visit["rec"], 1.0, 2.0)


def test_quotes_obey_the_consent_the_bundle_carried(
    team: StoreService, visit: dict[str, Any]
) -> None:
    merge(team, visit["entries"])
    assert team.consent.state(visit["lara"]).allows("anonymised-quotes")
    draft = quote_the_mother(team, visit)
    assert (
        draft.text == "The bus was late again today." and draft.attribution == "(Mother, Scotland)"
    )
    people = [("data/participants.json", [person(visit["lara"], consent=NO_QUOTES)])]
    assert merge(team, people, sealed=T1).counts["consent"].updated == 1
    with pytest.raises(ConsentRequired, match="said no to anonymised quotes"):
        quote_the_mother(team, visit)
    # consent from a bundle sealed earlier does not undo what a later one carried
    assert (
        merge(team, [("data/participants.json", [person(visit["lara"])])]).counts["consent"].older
        == 1
    )
    assert not team.consent.state(visit["lara"]).allows("anonymised-quotes")


def test_consent_recorded_here_wins_over_carried_consent(
    team: StoreService, visit: dict[str, Any]
) -> None:
    from tests.consent_data import give_adult_consent

    merge(team, replace(visit["entries"], "data/participants.json",
                        [person(visit["lara"], consent=NO_QUOTES)]))  # fmt: skip
    give_adult_consent(team, visit["lara"], quotes=True)
    assert team.consent.state(visit["lara"]).allows("anonymised-quotes")


def test_a_withdrawal_for_the_future_is_carried(team: StoreService, visit: dict[str, Any]) -> None:
    merge(team, visit["entries"])
    stopped = person(visit["lara"], T1)
    stopped["consent"].update(withdrawn_scope="future", withdrawn_on="2026-03-02")
    got = merge(team, [("data/participants.json", [stopped])])
    assert got.withdrawals == 1
    record = team.get_participant(visit["lara"])
    assert record.withdrawal_scope == "future" and str(record.withdrawn_on) == "2026-03-02"
    with pytest.raises(ConsentRequired, match="withdrew"):
        quote_the_mother(team, visit)
    assert merge(team, [("data/participants.json", [stopped])]).total("conflicts") == 0


# ---------------------------------------------------------------- withdrawals
MARKERS = ("zebracornlighthouse", "pitlochrieverran", "kestrelwhistlebrae")


@pytest.fixture
def shared(team: StoreService, visit: dict[str, Any]) -> dict[str, Any]:
    """Lara's visit, and a park visit with Lara and Tom (each speaks; a note about Lara
    alone, one about both), merged into the team store; a quote of Lara kept there."""
    tom, park, rec, tr = new_id(), new_id(), new_id(), new_id()
    people = [speaker("S1", visit["lara"]), speaker("S2", tom)]
    lines = [(f"My neighbour {MARKERS[1]} has the bairns.", 0), ("The swings are new.", 1)]
    entries = replace(visit["entries"], "data/fieldnotes.json", [
        note(visit["note"], visit["enc"], f"She told me about {MARKERS[0]}."),
        note(new_id(), park, f"Lara alone: {MARKERS[2]}.", [visit["lara"]]),
        note(new_id(), park, "Both of them laughed.", [visit["lara"], tom]),
    ])  # fmt: skip
    entries = replace(entries, "data/participants.json", [
        person(visit["lara"]), person(tom, pseudonym="Tom", role="Father"),
    ])  # fmt: skip
    entries = replace(entries, "data/encounters.json", [
        session_(visit["enc"], [visit["lara"]]),
        session_(park, [visit["lara"], tom], type="park-visit", title="Park"),
    ])  # fmt: skip
    entries = replace(entries, "data/recordings.json",
                      [recording(visit["rec"], visit["enc"]), recording(rec, park)])  # fmt: skip
    entries.insert(-1, (f"data/transcripts/{tr}.json", transcript(tr, rec, lines, people)))
    merge(team, entries)
    team.quotes.save(quote_the_mother(team, visit))
    return {**visit, "tom": tom, "park": park, "park_rec": rec, "park_tr": tr,
            "all": entries}  # fmt: skip


def test_a_carried_withdrawal_deletes_everything_of_theirs(
    team: StoreService, shared: dict[str, Any]
) -> None:
    lara = shared["lara"]
    team.transcripts.set_text(  # a revision of Lara's words, made here
        team.transcripts.get(shared["park_tr"]).segments[0].id, f"{MARKERS[1]} has the bairns."
    )
    gone = [("data/withdrawals.json",
             [{"participant_id": lara, "scope": "all", "withdrawn_on": "2026-03-02"}])]  # fmt: skip
    got = merge(team, gone, sealed=T1)
    assert got.withdrawals == 1 and got.counts["withdrawal"].updated == 1
    record = team.get_participant(lara)
    assert record.withdrawal_scope == "all"
    assert [e.id for e in team.list_encounters()] == [shared["park"]]
    park = team.transcripts.get(shared["park_tr"])
    assert [s.text for s in park.segments] == ["The swings are new."]
    assert [n.body for n in team.list_notes()] == ["Both of them laughed."]
    flags = team.consent.encounter_flags()
    assert [f.encounter_id for f in flags] == [shared["park"]]
    assert count(team, Quote) == 0 and count(team, CarriedConsent, CarriedConsent.participant_id
                                                == lara) == 0  # fmt: skip
    assert count(team, SegmentRevision) == 0 and count(team, TranscriptSegment) == 1
    for marker in MARKERS:
        assert team.search(marker) == []
    assert team._key is not None
    plain = plaintext_of_store(team.store_dir, team._key.database_key()).lower()
    for marker in MARKERS:
        assert marker.encode() not in plain, marker
    # the same bundle content again (another researcher still had it) brings nothing back
    again = merge(team, shared["all"], researcher=(BEA, "Bea"))
    assert again.counts["participant"].skipped == 1 and again.total("added") == 0
    assert [e.id for e in team.list_encounters()] == [shared["park"]]
    assert [s.text for s in team.transcripts.get(shared["park_tr"]).segments] == [
        "The swings are new."
    ]
    assert team.search(MARKERS[0]) == [] and team.search(MARKERS[1]) == []
    assert merge(team, gone).counts["withdrawal"].unchanged == 1


def test_a_withdrawal_of_someone_never_merged_leaves_a_tombstone(team: StoreService) -> None:
    kim = new_id()
    gone = [("data/withdrawals.json", [{"participant_id": kim, "scope": "all",
                                         "withdrawn_on": "2026-03-02"}])]  # fmt: skip
    assert merge(team, gone).withdrawals == 1
    assert team.get_participant(kim).withdrawal_scope == "all"
    later = merge(team, [("data/participants.json", [person(kim)]),
                         ("data/encounters.json", [session_(new_id(), [kim])])])  # fmt: skip
    assert later.counts["participant"].skipped == 1 and later.counts["encounter"].skipped == 1
    assert team.list_encounters() == [] and team.get_participant(kim).pseudonym != "Lara"
    future = [("data/withdrawals.json", [{"participant_id": new_id(), "scope": "future"}])]
    assert merge(team, future).counts["withdrawal"].skipped == 1


def test_conflicts_that_mention_a_withdrawn_person_are_deleted(
    team: StoreService, shared: dict[str, Any]
) -> None:
    team.update_encounter(shared["park"], title="Swings")
    both = [shared["lara"], shared["tom"]]
    newer = [("data/encounters.json", [session_(shared["park"], both, T1, title="P")])]
    assert merge(team, newer).total("conflicts") == 1
    gone = [("data/withdrawals.json", [{"participant_id": shared["lara"], "scope": "all"}])]
    merge(team, gone)
    assert team.inbox.conflicts() == [] and count(team, MergeConflict) == 0


def test_the_audit_trail_and_the_flags_name_the_bundle(
    team: StoreService, shared: dict[str, Any]
) -> None:
    gone = [("data/withdrawals.json", [{"participant_id": shared["lara"], "scope": "all"}])]
    got = merge(team, gone)
    with team._session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.target_id == got.bundle_id)
        ).one()
        assert event.action == "bundle_opened" and event.detail["withdrawals"] == 1
        assert session.scalar(select(func.count()).select_from(EncounterFlag)) == 1


def test_a_bundle_sealed_in_this_very_store_is_refused(team: StoreService) -> None:
    m = Merger(team, "mine.bundle")
    with pytest.raises(BundleRefused, match="sealed from this store"):
        m.begin({"bundle_id": new_id(), "created_at": T0,
                 "researcher": {"id": team.researcher_id, "name": "Me"}}, "Me")  # fmt: skip
    m.abort()
    assert count(team, ReceivedBundle) == 0


def test_no_bundle_is_opened_while_a_recording_runs(
    team: StoreService, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Running:
        class recorder:  # noqa: N801 - stands in for the recorder attribute
            stopped = False

    monkeypatch.setattr(team.recordings, "_active", Running())
    m = Merger(team, "later.bundle")
    with pytest.raises(InvalidInput, match="A recording is running in this store"):
        m.begin({"bundle_id": new_id(), "created_at": T0,
                 "researcher": {"id": ANN, "name": "Ann"}}, "Ann")  # fmt: skip
    m.abort()
