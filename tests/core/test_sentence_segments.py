"""Long model segments are cut into sentences using the word times."""

from __future__ import annotations

from relations_desktop.core.transcription.worker import sentence_segments


def words(*items: tuple[str, float, float]) -> list[tuple[str, float, float, float]]:
    return [(w, s, e, 0.9) for w, s, e in items]


def test_a_window_of_three_sentences_becomes_three_segments() -> None:
    ws = words(
        (" We", 0.0, 0.3),
        (" went", 0.3, 0.6),
        (" out.", 0.6, 2.0),
        (" Did", 3.0, 3.2),
        (" she", 3.2, 3.4),
        (" come?", 3.4, 5.0),
        (" Aye,", 6.0, 6.5),
        (" she", 6.5, 6.8),
        (" did", 6.8, 7.5),
    )
    pieces = sentence_segments(0.0, 7.5, "We went out. Did she come? Aye, she did", ws)
    assert [p.text for p in pieces] == ["We went out.", "Did she come?", "Aye, she did"]
    assert [(p.start, p.end) for p in pieces] == [(0.0, 2.0), (3.0, 5.0), (6.0, 7.5)]
    assert sum(len(p.words) for p in pieces) == len(ws)


def test_short_sentences_stay_together_and_no_words_keeps_the_segment() -> None:
    ws = words((" Yes.", 0.0, 0.4), (" No.", 0.5, 0.9), (" Maybe.", 1.0, 2.0), (" Aye", 2.5, 3))
    assert [p.text for p in sentence_segments(0.0, 3.0, "Yes. No. Maybe. Aye", ws)] == [
        "Yes. No. Maybe.",
        "Aye",
    ]
    whole = sentence_segments(1.0, 9.0, "No word times here. At all.", [])
    assert [(p.start, p.end, p.text) for p in whole] == [(1.0, 9.0, "No word times here. At all.")]


def test_split_snaps_to_a_word_start(service) -> None:  # type: ignore[no-untyped-def]
    from relations_desktop.core.store.models import (
        Recording,
        RecordingSource,
        RecordingStatus,
        Transcript,
        TranscriptSegment,
    )

    encounter = service.add_encounter("home-visit", "Split")
    with service._session() as session:
        rec = Recording(
            encounter_id=encounter.id,
            status=RecordingStatus.IMPORTED,
            source=RecordingSource.IMPORT,
            sample_rate=16000,
            frames=16000 * 4,
        )
        session.add(rec)
        session.flush()
        tr = Transcript(recording_id=rec.id, duration_seconds=4.0)
        session.add(tr)
        session.flush()
        seg = TranscriptSegment(
            transcript_id=tr.id,
            position=0,
            start=0.0,
            end=4.0,
            text="the bairns were fine",
            machine_text="the bairns were fine",
            words=[
                [" the", 0.0, 0.5, 0.9],
                [" bairns", 0.5, 1.5, 0.9],
                [" were", 2.0, 2.5, 0.9],
                [" fine", 2.5, 4.0, 0.9],
            ],
        )
        session.add(seg)
        session.flush()
        seg_id = seg.id
    first, second = service.transcripts.split(seg_id, len("the bairns we"))  # inside "were"
    assert (first.text, second.text) == ("the bairns", "were fine")
    assert second.start == 2.0 and not first.edited and not second.edited
