"""Correcting transcripts: text, speakers, split, merge, history, search and exports.

Most tests use a hand-made transcript written through the ORM the way the transcription
queue writes one (a segment and its "machine" revision); one uses a real transcription.
Every export is read back by an independent reader (srt, webvtt-py, python-docx, json).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import docx
import pytest
import srt
import webvtt

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.export.transcript_formats import ExportOptions
from relations_desktop.core.records import SegmentRecord, TranscriptRecord
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import SegmentRevision, Transcript, TranscriptSegment
from tests.conftest import PASSPHRASE
from tests.core.speech_fixtures import SpeechMaker, normalise, speech_maker, wer

LINES = [
    (0.0, 4.0, "Can you tell me about the mornings?"),
    (4.5, 10.0, "The nursery was closed today. So we walked to the park instead."),
    (10.5, 14.0, "The health visitor came round after lunch."),
]


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> SpeechMaker:
    return speech_maker(tmp_path_factory)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreService]:
    folder = tmp_path_factory.mktemp("transcripts-edit") / "store"
    svc = StoreService.create(folder, PASSPHRASE, researcher_name="Test Researcher")
    try:
        yield svc
    finally:
        svc.close()


@pytest.fixture(scope="module")
def recording_id(store: StoreService, speech: SpeechMaker) -> str:
    encounter = store.add_encounter("home-visit", "Kitchen table")
    return store.recordings.import_file(encounter.id, speech.sentence(1).path).id


def spread(start: float, end: float, text: str) -> list[list[object]]:
    """Whisper-like words ([" word", start, end, probability]) evenly over a segment."""
    words = text.split()
    step = (end - start) / len(words)
    return [[f" {w}", start + i * step, start + (i + 1) * step, 0.9] for i, w in enumerate(words)]


def make_transcript(
    store: StoreService, recording_id: str, lines: list[tuple[float, float, str]] = LINES
) -> TranscriptRecord:
    """A transcript stored as the queue stores one: segments with a machine revision."""
    with store._session() as session:
        transcript = Transcript(
            recording_id=recording_id,
            model_name="hand-made",
            duration_seconds=lines[-1][1],
            created_by=store.researcher_id,
        )
        session.add(transcript)
        session.flush()
        for position, (start, end, text) in enumerate(lines):
            segment = TranscriptSegment(
                transcript_id=transcript.id,
                position=position,
                start=start,
                end=end,
                text=text,
                machine_text=text,
                words=spread(start, end, text),
                created_by=store.researcher_id,
            )
            session.add(segment)
            session.flush()
            session.add(
                SegmentRevision(
                    transcript_id=transcript.id,
                    segment_id=segment.id,
                    action="machine",
                    text=text,
                    start=start,
                    end=end,
                    researcher_id=store.researcher_id,
                )
            )
        transcript_id = transcript.id
    return store.transcripts.get(transcript_id)


@pytest.fixture
def transcript(store: StoreService, recording_id: str) -> TranscriptRecord:
    return make_transcript(store, recording_id)


def hits(store: StoreService, word: str) -> set[str]:
    return {h.ref_id for h in store.search(word, limit=500) if h.kind == "segment"}


def actions(store: StoreService, segment_id: str) -> list[str]:
    return [r.action for r in store.transcripts.history(segment_id)]


def segment(store: StoreService, transcript_id: str, position: int) -> SegmentRecord:
    return store.transcripts.get(transcript_id).segments[position]


# ----------------------------------------------------------------------- text
def test_set_text_keeps_the_machine_text_and_adds_a_revision(
    store: StoreService, transcript: TranscriptRecord
) -> None:
    edits = store.transcripts
    original = transcript.segments[1]
    assert actions(store, original.id) == ["machine"]

    first = edits.set_text(original.id, "The creche was closed today. So we walked to the park.")
    assert first.machine_text == original.text and first.edited
    assert edits.set_text(original.id, first.text) == first  # unchanged: no revision
    second = edits.set_text(original.id, "The creche was shut today. So we walked to the park.")
    assert second.machine_text == original.text

    history = edits.history(original.id)
    assert [r.action for r in history] == ["machine", "edit", "edit"]
    assert [r.text for r in history] == [original.text, first.text, second.text]
    assert history[0].at <= history[1].at <= history[2].at
    assert all((r.start, r.end) == (4.5, 10.0) for r in history)

    stored = segment(store, transcript.id, 1)
    assert (stored.text, stored.machine_text, stored.edited) == (
        second.text,
        original.text,
        True,
    )
    assert stored.words == original.words  # the words stay the machine's
    back = edits.set_text(original.id, original.text)
    assert not back.edited and actions(store, original.id)[-1] == "edit"
    with pytest.raises(NotFound):
        edits.set_text("no-such-segment", "text")


def test_search_follows_text_edits(store: StoreService, transcript: TranscriptRecord) -> None:
    target = transcript.segments[1]
    assert target.id in hits(store, "nursery")
    store.transcripts.set_text(target.id, target.text.replace("nursery", "playgroup"))
    assert target.id not in hits(store, "nursery")
    assert hits(store, "playgroup") >= {target.id}
    assert target.id in hits(store, "walked")  # the rest of the text is still found


# ------------------------------------------------------------------- speakers
def test_speakers_are_added_renamed_linked_and_assigned(
    store: StoreService, transcript: TranscriptRecord
) -> None:
    edits = store.transcripts
    lara = store.add_participant("Lara", "Mother", region="Scotland")
    s1 = edits.add_speaker(transcript.id, " S1 ")
    s2 = edits.add_speaker(transcript.id, "S2")
    assert (s1.label, s1.participant_id, s1.participant_label) == ("S1", None, None)

    seg = transcript.segments[0]
    assigned = edits.set_speaker(seg.id, s1.id)
    assert (assigned.speaker_id, assigned.speaker_label) == (s1.id, "S1")
    renamed = edits.update_speaker(s1.id, label="Interviewer")
    assert renamed.label == "Interviewer" and renamed.participant_id is None
    linked = edits.update_speaker(s2.id, participant_id=lara.id)
    assert (linked.label, linked.participant_label) == ("S2", "Lara (Mother)")
    assert edits.set_speaker(transcript.segments[1].id, s2.id).speaker_label == "S2"

    reread = store.transcripts.get(transcript.id)
    assert reread.segments[0].speaker_label == "Interviewer"  # the rename reaches segments
    assert {(s.label, s.participant_label) for s in reread.speakers} == {
        ("Interviewer", None),
        ("S2", "Lara (Mother)"),
    }
    reassigned = edits.set_speaker(seg.id, s2.id)
    assert reassigned.speaker_label == "S2"
    history = edits.history(seg.id)
    assert [(r.action, r.speaker_label) for r in history] == [
        ("machine", ""),
        ("speaker", "S1"),
        ("speaker", "S2"),
    ]
    assert edits.set_speaker(seg.id, None).speaker_id is None
    assert edits.update_speaker(s2.id, participant_id=None).participant_label is None
    assert edits.update_speaker(s2.id, label="Mother").participant_id is None


def test_speaker_mistakes_are_refused(
    store: StoreService, transcript: TranscriptRecord, recording_id: str
) -> None:
    edits = store.transcripts
    speaker = edits.add_speaker(transcript.id, "S1")
    other = make_transcript(store, recording_id)
    stranger = edits.add_speaker(other.id, "S1")
    seg = transcript.segments[0]
    with pytest.raises(NotFound):
        edits.set_speaker(seg.id, "no-such-speaker")
    with pytest.raises(NotFound):
        edits.set_speaker(seg.id, stranger.id)  # a speaker of another transcript
    with pytest.raises(NotFound):
        edits.set_speaker("no-such-segment", speaker.id)
    with pytest.raises(NotFound):
        edits.update_speaker("no-such-speaker", label="Interviewer")
    with pytest.raises(NotFound):
        edits.update_speaker(speaker.id, participant_id="no-such-participant")
    with pytest.raises(NotFound):
        edits.add_speaker("no-such-transcript", "S1")
    with pytest.raises(NotFound):
        edits.add_speaker(transcript.id, "S9", participant_id="no-such-participant")
    for blank in ("", "   "):
        with pytest.raises(InvalidInput):
            edits.add_speaker(transcript.id, blank)
        with pytest.raises(InvalidInput):
            edits.update_speaker(speaker.id, label=blank)
    reread = store.transcripts.get(transcript.id)
    assert [s.label for s in reread.speakers] == ["S1"]
    assert reread.segments[0].speaker_id is None
    assert actions(store, seg.id) == ["machine"]


# ---------------------------------------------------------------------- split
def test_split_at_a_character_cuts_text_time_and_words(
    store: StoreService, transcript: TranscriptRecord
) -> None:
    edits = store.transcripts
    speaker = edits.add_speaker(transcript.id, "Mother")
    target = transcript.segments[1]
    edits.set_speaker(target.id, speaker.id)
    text = target.text
    cut = text.index("So we")

    first, second = edits.split(target.id, cut)
    assert first.id == target.id and second.id != target.id
    assert first.text == "The nursery was closed today."
    assert second.text == "So we walked to the park instead."
    cut_time = target.words[5].start
    assert (first.start, first.end) == (4.5, pytest.approx(cut_time))
    assert (second.start, second.end) == (pytest.approx(cut_time), 10.0)
    assert first.words == target.words[:5] and second.words == target.words[5:]
    assert second.speaker_id == speaker.id and second.speaker_label == "Mother"

    segments = store.transcripts.get(transcript.id).segments
    assert [s.position for s in segments] == [0, 1, 2, 3]
    assert [s.id for s in segments] == [
        transcript.segments[0].id,
        first.id,
        second.id,
        transcript.segments[2].id,
    ]
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert actions(store, first.id) == ["machine", "speaker", "split"]
    assert actions(store, second.id) == ["split"]
    assert store.transcripts.history(second.id)[0].text == second.text

    assert first.id in hits(store, "nursery") and second.id not in hits(store, "nursery")
    assert second.id in hits(store, "park") and first.id not in hits(store, "park")


@pytest.mark.parametrize("at", [0, -1, "end", "beyond"])
def test_split_at_either_end_is_refused(
    store: StoreService, transcript: TranscriptRecord, at: int | str
) -> None:
    target = transcript.segments[0]
    index = {"end": len(target.text), "beyond": len(target.text) + 5}.get(str(at), at)
    assert isinstance(index, int)
    with pytest.raises(InvalidInput):
        store.transcripts.split(target.id, index)
    after = store.transcripts.get(transcript.id)
    assert after.segments == transcript.segments
    assert actions(store, target.id) == ["machine"]


def test_split_of_an_unknown_segment_is_not_found(store: StoreService) -> None:
    with pytest.raises(NotFound):
        store.transcripts.split("no-such-segment", 3)


# ---------------------------------------------------------------------- merge
def test_merge_joins_a_segment_with_the_next(
    store: StoreService, transcript: TranscriptRecord
) -> None:
    a, b, c = transcript.segments
    merged = store.transcripts.merge(a.id, b.id)
    assert merged.id == a.id
    assert merged.text == f"{a.text} {b.text}"
    assert merged.machine_text == f"{a.machine_text} {b.machine_text}"
    assert (merged.start, merged.end) == (a.start, b.end)
    assert merged.words == a.words + b.words

    segments = store.transcripts.get(transcript.id).segments
    assert [(s.id, s.position) for s in segments] == [(a.id, 0), (c.id, 1)]
    assert actions(store, a.id) == ["machine", "merge"]
    assert actions(store, b.id) == ["machine", "merge"]  # kept after the segment is gone
    with pytest.raises(NotFound):
        store.transcripts.set_text(b.id, "gone")

    nursery = hits(store, "nursery")
    assert a.id in nursery and b.id not in nursery  # b's words live on in a only
    assert a.id in hits(store, "mornings")


def test_only_adjacent_segments_merge(
    store: StoreService, transcript: TranscriptRecord, recording_id: str
) -> None:
    a, b, c = transcript.segments
    other = make_transcript(store, recording_id)
    for first, second in ((a.id, c.id), (b.id, a.id), (a.id, a.id), (c.id, other.segments[0].id)):
        with pytest.raises(InvalidInput, match="right after"):
            store.transcripts.merge(first, second)
    for first, second in ((a.id, "no-such-segment"), ("no-such-segment", b.id)):
        with pytest.raises(NotFound):
            store.transcripts.merge(first, second)
    assert store.transcripts.get(transcript.id).segments == transcript.segments
    assert store.transcripts.get(other.id).segments == other.segments


# --------------------------------------------------------------------- export
@pytest.fixture
def edited(store: StoreService, transcript: TranscriptRecord) -> TranscriptRecord:
    """Text corrected, speakers named and linked, one split and one merge."""
    edits = store.transcripts
    lara = store.add_participant("Lara", "Mother", region="Scotland")
    interviewer = edits.add_speaker(transcript.id, "S1")
    edits.update_speaker(interviewer.id, label="Interviewer")
    mother = edits.add_speaker(transcript.id, "S2", participant_id=lara.id)
    edits.update_speaker(mother.id, label="Mother")
    a, b, c = transcript.segments
    corrected = edits.set_text(b.id, b.text.replace("nursery", "playgroup")).text
    edits.split(b.id, corrected.index("So we"))
    edits.merge(b.id, edits.get(transcript.id).segments[2].id)  # "So we…" back onto b
    edits.set_speaker(a.id, interviewer.id)
    edits.set_speaker(b.id, mother.id)
    edits.set_speaker(c.id, mother.id)
    return edits.get(transcript.id)


def test_the_edited_transcript_is_what_it_should_be(edited: TranscriptRecord) -> None:
    assert [(s.speaker_label, s.text) for s in edited.segments] == [
        ("Interviewer", "Can you tell me about the mornings?"),
        ("Mother", "The playgroup was closed today. So we walked to the park instead."),
        ("Mother", "The health visitor came round after lunch."),
    ]
    assert [s.edited for s in edited.segments] == [False, True, False]


def test_srt_export_reads_back(
    store: StoreService, edited: TranscriptRecord, tmp_path: Path
) -> None:
    path = tmp_path / "visit.srt"
    store.transcripts.export(edited.id, "srt", path)
    subs = list(srt.parse(path.read_text(encoding="utf-8"), ignore_errors=False))
    assert [s.content for s in subs] == [f"{s.speaker_label}: {s.text}" for s in edited.segments]
    for sub, seg in zip(subs, edited.segments, strict=True):
        assert sub.start == timedelta(milliseconds=round(seg.start * 1000))
        assert sub.end == timedelta(milliseconds=round(seg.end * 1000))
    assert "nursery" not in path.read_text(encoding="utf-8")
    audit = store.audit_events(5)
    assert any(a.action == "transcript_exported" and a.target_id == edited.id for a in audit)


def test_vtt_export_reads_back(
    store: StoreService, edited: TranscriptRecord, tmp_path: Path
) -> None:
    path = tmp_path / "visit.vtt"
    store.transcripts.export(edited.id, "vtt", path)
    captions = list(webvtt.read(str(path)).captions)
    assert [(c.voice, c.text) for c in captions] == [
        (s.speaker_label, s.text) for s in edited.segments
    ]
    assert [c.start_in_seconds for c in captions] == [int(s.start) for s in edited.segments]
    assert "nursery" not in path.read_text(encoding="utf-8")


def test_docx_export_reads_back(
    store: StoreService, edited: TranscriptRecord, tmp_path: Path
) -> None:
    path = tmp_path / "visit.docx"
    store.transcripts.export(edited.id, "docx", path, ExportOptions(title="Home visit"))
    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs == [
        "Home visit",
        "Interviewer: [00:00:00] Can you tell me about the mornings?",
        "Mother: [00:00:04] The playgroup was closed today. So we walked to the park instead.",
        "Mother: [00:00:10] The health visitor came round after lunch.",
    ]
    assert document.core_properties.title == "Home visit"
    plain = store.transcripts.export
    plain(edited.id, "docx", path, ExportOptions(times=False, speakers=False))
    assert [p.text for p in docx.Document(str(path)).paragraphs][1:] == [
        s.text for s in edited.segments
    ]


def test_json_export_reads_back(
    store: StoreService, edited: TranscriptRecord, tmp_path: Path
) -> None:
    path = tmp_path / "visit.json"
    store.transcripts.export(edited.id, "json", path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["transcript_id"] == edited.id
    assert [(s["speaker"], s["text"], s["edited"]) for s in data["segments"]] == [
        (s.speaker_label, s.text, s.edited) for s in edited.segments
    ]
    # An edited segment leaves its machine text and words in the store (they were not
    # reviewed for names); an unedited one keeps both.
    first, merged, last = data["segments"]
    assert "playgroup" in merged["text"] and "nursery" not in path.read_text(encoding="utf-8")
    assert (merged["machine_text"], merged["words"]) == ("", [])
    assert "nursery" in edited.segments[1].machine_text  # the store still has it
    for exported, segment in ((first, edited.segments[0]), (last, edited.segments[2])):
        assert exported["machine_text"] == segment.machine_text == segment.text
        assert [w["word"] for w in exported["words"]] == [w.word for w in segment.words]
        assert len(exported["words"]) == len(segment.text.split())
    labels = {s["label"]: s["participant_label"] for s in data["speakers"]}
    assert labels == {"Interviewer": None, "Mother": "Lara (Mother)"}


def test_txt_export_reads_back(
    store: StoreService, edited: TranscriptRecord, tmp_path: Path
) -> None:
    path = tmp_path / "visit.txt"
    store.transcripts.export(edited.id, "txt", path)
    paragraphs = path.read_text(encoding="utf-8").strip().split("\n\n")
    assert paragraphs == [
        "[00:00:00] Interviewer: Can you tell me about the mornings?",
        "[00:00:04] Mother: The playgroup was closed today. So we walked to the park instead.",
        "[00:00:10] Mother: The health visitor came round after lunch.",
    ]


# ------------------------------------------------------------ a real transcript
def test_a_real_transcript_can_be_corrected_split_and_exported(
    store: StoreService, recording_id: str, speech: SpeechMaker, tmp_path: Path
) -> None:
    job = store.transcription.enqueue(recording_id, mode="accurate")
    done = store.transcription.run_job(job.id)
    assert done.status == "done" and done.transcript_id is not None, done.error
    transcript = store.transcripts.get(done.transcript_id)
    assert wer(speech.sentence(1).text, transcript.text) <= 0.1, transcript.text
    target = next(s for s in transcript.segments if "nursery" in s.text.lower())
    corrected = store.transcripts.set_text(
        target.id, target.text.replace("nursery", "playgroup").replace("Nursery", "Playgroup")
    )
    assert corrected.machine_text == target.text
    at = corrected.text.lower().index("every")
    first, second = store.transcripts.split(target.id, at)
    words = [normalise(w.word) for w in first.words]
    assert words[-1] == "nursery" and normalise(second.words[0].word) == "every"
    assert first.start < first.end == second.start < second.end
    assert second.start == pytest.approx(target.words[len(words)].start)
    assert second.id in hits(store, "morning") and first.id in hits(store, "playgroup")

    out = tmp_path / "real.srt"
    store.transcripts.export(transcript.id, "srt", out)
    subs = list(srt.parse(out.read_text(encoding="utf-8"), ignore_errors=False))
    now = store.transcripts.get(transcript.id).segments
    assert [s.content for s in subs] == [s.text for s in now]
    assert [first.text, second.text] == [s.content for s in subs][-2:]
    assert "playgroup" in first.text.lower() and "nursery" not in out.read_text().lower()
