"""Transcripts for the editor's tests, written straight through the ORM.

They look like what the transcription queue stores (segments with words and their
probabilities, a first "machine" revision each, a finished job), without running the
speech model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import soundfile

from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import (
    JobStatus,
    SegmentRevision,
    Transcript,
    TranscriptionJob,
    TranscriptSegment,
    TranscriptSpeaker,
)
from tests.ui.fake_audio import RATE, tone


@dataclass(frozen=True)
class Seg:
    start: float
    end: float
    text: str
    unsure: Mapping[str, float] = field(default_factory=dict)  # word → probability
    speaker: int | None = None  # index into the speakers given


def make_recording(
    service: StoreService,
    encounter_id: str,
    folder: Path,
    seconds: float = 30.0,
    jottings: Sequence[tuple[float, str]] = (),
) -> str:
    """An imported recording (a tone) with jottings at offsets; its id."""
    wav = folder / f"interview-{seconds:g}.wav"
    soundfile.write(wav, tone(seconds), RATE, subtype="PCM_16")
    recording = service.recordings.import_file(encounter_id, wav)
    for offset, text in jottings:
        service.add_note(
            encounter_id, text, kind="jotting", offset_seconds=offset, recording_id=recording.id
        )
    return recording.id


def words_of(seg: Seg) -> list[list[object]]:
    tokens = seg.text.split()
    step = (seg.end - seg.start) / max(1, len(tokens))
    return [
        [f" {t}", seg.start + i * step, seg.start + (i + 1) * step, seg.unsure.get(t, 0.93)]
        for i, t in enumerate(tokens)
    ]


def make_transcript(
    service: StoreService,
    recording_id: str,
    segments: Sequence[Seg],
    speakers: Sequence[str] = (),
    *,
    job: bool = True,
    mode: str = "fast",
) -> str:
    """A finished transcript (and its done job); its id."""
    rid = service.researcher_id
    with service._session() as session:
        transcript = Transcript(
            recording_id=recording_id,
            model_name="whisper-tiny.en (embedded)",
            mode=mode,
            duration_seconds=max((s.end for s in segments), default=0.0),
            created_by=rid,
        )
        session.add(transcript)
        session.flush()
        people = []
        for label in speakers:
            speaker = TranscriptSpeaker(transcript_id=transcript.id, label=label, created_by=rid)
            session.add(speaker)
            session.flush()
            people.append(speaker.id)
        for position, seg in enumerate(segments):
            add_segment(session, transcript.id, position, seg, people)
        if job:
            session.add(
                TranscriptionJob(
                    recording_id=recording_id,
                    status=JobStatus.DONE,
                    mode=mode,
                    progress=1.0,
                    transcript_id=transcript.id,
                    finished_at=datetime.now(UTC),
                    created_by=rid,
                )
            )
        return transcript.id


def add_segment(
    session: object, transcript_id: str, position: int, seg: Seg, speaker_ids: Sequence[str] = ()
) -> str:
    """One segment as the queue's writer stores it (with its machine revision)."""
    speaker_id = speaker_ids[seg.speaker] if seg.speaker is not None and speaker_ids else None
    row = TranscriptSegment(
        transcript_id=transcript_id,
        position=position,
        start=seg.start,
        end=seg.end,
        text=seg.text,
        machine_text=seg.text,
        speaker_id=speaker_id,
        words=words_of(seg),
    )
    session.add(row)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    session.add(  # type: ignore[attr-defined]
        SegmentRevision(
            transcript_id=transcript_id,
            segment_id=row.id,
            action="machine",
            text=seg.text,
            start=seg.start,
            end=seg.end,
        )
    )
    return row.id


INTERVIEW = (
    Seg(0.0, 4.0, "Thanks for having me round again.", speaker=0),
    Seg(4.0, 9.5, "Aye, come in, the wean's just gone down.", {"wean's": 0.31}, speaker=1),
    Seg(9.5, 15.0, "How have things been with the pharmacy?", speaker=0),
    Seg(
        15.0,
        24.0,
        "They moved my pick-up to nine, and nursery is at nine as well.",
        {"pick-up": 0.42, "nursery": 0.18},
        speaker=1,
    ),
    Seg(24.0, 29.0, "That must be hard to juggle.", speaker=0),
)
JOTTINGS = ((12.0, "Lara makes tea"), (26.5, "Baby stirs"))
