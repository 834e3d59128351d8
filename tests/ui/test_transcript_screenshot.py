"""A screenshot of the transcript editor on a realistic interview (transcript-editor.png).

Written to a temporary folder; with ``RELATIONS_SCREENSHOTS=1`` to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import soundfile
from sqlalchemy import select

from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import Recording, TranscriptionJob
from relations_desktop.ui.tasks import TaskRunner
from tests.consent_data import give_adult_consent
from tests.ui.conftest import FAST, WindowFactory
from tests.ui.fake_audio import StubPlayer
from tests.ui.test_screenshots import DOCS, _save, _voice
from tests.ui.test_screenshots import service as service  # the named store
from tests.ui.test_transcript_editor import open_editor
from tests.ui.transcript_data import Seg, make_transcript

IV, LA = 0, 1  # Interviewer, Lara
SEGMENTS = (
    Seg(0.0, 6.2, "Thanks for having me round again, Lara. Is now still a good time?", speaker=IV),
    Seg(6.2, 13.8, "Aye, it's fine. The wean's just gone down, so we've got a wee while.",
        {"wean's": 0.34}, speaker=LA),
    Seg(13.8, 21.5, "Last time you mentioned the pharmacy had changed things. How has that been?",
        speaker=IV),
    Seg(21.5, 36.0, "They moved my pick-up to nine o'clock, and nursery drop-off is at nine "
        "as well, so I'm running between the two every morning.",
        {"pick-up": 0.41}, speaker=LA),
    Seg(36.0, 41.0, "That sounds like a lot to juggle.", speaker=IV),
    Seg(41.0, 58.5, "It is. My mum helps most mornings, she takes him to nursery if I've "
        "to be at the chemist. I don't know what I'd do without her.", speaker=LA),
    Seg(58.5, 66.0, "And the health visitor came by yesterday?", speaker=IV),
    Seg(66.0, 83.0, "She did. She weighed him and that was fine, but I felt watched the whole "
        "time, like she was looking for something.", {"watched": 0.47}, speaker=LA),
    Seg(83.0, 88.5, "What made it feel like that?", speaker=IV),
    Seg(88.5, 104.0, "Just the way she looked round the kitchen. Everybody knows about the "
        "methadone, so you get judged before you open your mouth.",
        {"methadone,": 0.28}, speaker=LA),
    Seg(104.0, 110.0, "Has anyone said anything to you directly?", speaker=IV),
    Seg(110.0, 126.0, "Not in so many words. The social worker's been alright, to be fair.",
        speaker=LA),
)  # fmt: skip
JOTTINGS = ((35.5, "Lara makes tea; baby asleep in the pram"), (86.0, "Glances at the kitchen"))


def test_transcript_editor_screenshot(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    folder = DOCS if os.environ.get("RELATIONS_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    lara = service.add_participant("Lara", "Mother", region="Scotland", real_name="(on file)")
    give_adult_consent(service, lara.id)
    visit = service.add_encounter(
        "home-visit", "Home visit with Lara", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    wav = tmp_path / "home visit.wav"
    soundfile.write(wav, _voice(150.0), 16_000, subtype="PCM_16")
    recording = service.recordings.import_file(visit.id, wav)
    for offset, text in JOTTINGS:
        service.add_note(
            visit.id, text, kind="jotting", offset_seconds=offset, recording_id=recording.id
        )
    tid = make_transcript(service, recording.id, SEGMENTS, ["Interviewer", "Lara"])
    with service._session() as session:  # recorded on the day, transcribed that evening
        session.get(Recording, recording.id).started_at = datetime(2025, 3, 12, 10, 15, tzinfo=UTC)
        for job in session.scalars(select(TranscriptionJob)):
            job.finished_at = datetime(2025, 3, 12, 19, 40, tzinfo=UTC)
    lara_speaker = service.transcripts.get(tid).speakers[1]
    service.transcripts.update_speaker(lara_speaker.id, participant_id=lara.id)
    first = service.transcripts.get(tid).segments[3]
    service.transcripts.set_text(first.id, first.text.replace("nine o'clock", "nine"))

    window = make_window(replace(FAST, transcription_queue=False), player_factory=StubPlayer)
    window.resize(1200, 800)
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.model.rowCount() == len(SEGMENTS) + 2, timeout=3000)
    editor.table.go_to(editor.model.row_of(service.transcripts.get(tid).segments[7].id))
    editor.play_from(70.0)
    editor.speakers.select(lara_speaker.id)
    qtbot.waitUntil(lambda: editor.model.playing_row >= 0, timeout=2000)
    window.statusBar().clearMessage()
    qtbot.wait(80)
    _save(window, folder, "transcript-editor.png")
