"""Screenshots of the main window, search and lock screen on realistic sample data.

They are written to a temporary folder; with ``RELATIONS_SCREENSHOTS=1`` they go to
``docs/screenshots/`` (main-window.png, search.png, lock-screen.png, recording.png,
session-recordings.png).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.workspace import SEARCH
from tests.consent_data import give_adult_consent, give_child_consent
from tests.ui.conftest import FAST, REC, WindowFactory, start_recording
from tests.ui.fake_audio import FakeBackend, StubPlayer, tone

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

HOME_VISIT_NOTE = (
    "Arrived at 10:15. Lara opened the door with the baby on her hip and apologised for the "
    "mess, although the flat was tidy. The Health Visitor had been the day before and Lara "
    "said she had felt 'watched the whole time', weighing the baby in front of someone who "
    "knows about the methadone. We sat at the kitchen table; she made tea and talked about "
    "the pharmacy changing her pick-up time, which clashes with nursery drop-off. She spoke "
    "warmly about her mum, who helps most mornings, and said the hardest thing is 'being "
    "judged before I open my mouth'. Left at 11:40. Follow up: ask about the nursery meeting."
)
MEMO = (
    "Being watched: Lara's account of the weighing echoes Marianne's walk last week. "
    "Worth a code for surveillance as care and as threat."
)
WALK_NOTE = (
    "Met Marianne and her son at the park gates. He ran ahead to the swings while we walked "
    "the loop twice. She talked about the move to a new treatment service and how the new "
    "keyworker 'actually asks about him, not just about me'. Recording 42 minutes."
)
CONFERENCE_NOTE = (
    "Observed the review case conference (with consent of the chair and of Lara). Eight "
    "professionals present. The Social Worker summarised progress; the Substance Use Nurse "
    "reported a stable methadone dose and clean test results since January. Lara spoke "
    "briefly and was thanked. Outcome: plan continues, review in three months."
)


@pytest.fixture
def service(store_dir: Path, passphrase: str) -> Iterator[StoreService]:
    """The store of a named researcher on a named project (shown in the sidebar)."""
    with StoreService.create(
        store_dir, passphrase, researcher_name="Mhairi Campbell", project_name="Relations study"
    ) as svc:
        yield svc


def _sample_store(service: StoreService) -> None:
    lara = service.add_participant("Lara", "Mother", region="Scotland", real_name="(on file)")
    marianne = service.add_participant("Marianne", "Mother", region="England")
    son = service.add_participant("Jay", "Son", region="England", kind="child")
    ailsa = service.add_participant(
        "Ailsa", "Health Visitor", region="Scotland", kind="professional"
    )
    sw = service.add_participant("Euan", "Social Worker", region="Scotland", kind="professional")
    nurse = service.add_participant(
        "Morag", "Substance Use Nurse", region="Scotland", kind="professional"
    )
    support = service.add_participant(
        "Priya", "Third Sector Family Support Worker", region="England", kind="professional"
    )
    for adult in (lara, marianne, ailsa, sw, nurse, support):
        give_adult_consent(service, adult.id, quotes=adult is not sw)
    give_child_consent(service, son.id, parent_id=marianne.id)
    visit = service.add_encounter(
        "home-visit", "Home visit with Lara", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    service.add_note(visit.id, HOME_VISIT_NOTE, title="Kitchen table, morning visit")
    service.add_note(visit.id, MEMO, kind="memo", title="Being watched")
    service.add_note(visit.id, "Baby asleep; tea; pharmacy times", kind="jotting")
    walk = service.add_encounter(
        "walk-and-talk",
        "Walk in the park with Marianne and her son",
        on=date(2025, 3, 20),
        participant_ids=[marianne.id, son.id],
    )
    service.add_note(walk.id, WALK_NOTE, title="Park loop")
    conference = service.add_encounter(
        "case-conference",
        "Case conference",
        on=date(2025, 3, 27),
        participant_ids=[lara.id, sw.id, nurse.id, ailsa.id],
    )
    service.add_note(conference.id, CONFERENCE_NOTE, title="Review conference")
    phone = service.add_encounter(
        "telephone-interview",
        "Telephone interview with the family support worker",
        on=date(2025, 4, 2),
        participant_ids=[support.id],
    )
    service.add_note(phone.id, "Talked about waiting lists for family support.", kind="debrief")
    service.add_encounter("workday-debrief", "Team debrief, Glasgow", on=date(2025, 4, 3))


def _save(widget: QWidget, folder: Path, name: str) -> Path:
    path = folder / name
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 10_000
    return path


def test_screenshots(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    folder = DOCS if os.environ.get("RELATIONS_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    _sample_store(service)
    window = make_window(FAST)
    window.resize(1200, 800)
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.model.rowCount() == 5, timeout=3000)
    sessions.select_row(sessions.model.row_of(lambda e: e.title == "Home visit with Lara"))
    qtbot.waitUntil(lambda: sessions.note_editor.note is not None, timeout=3000)
    runner.wait_idle()
    qtbot.wait(50)
    _save(window, folder, "main-window.png")

    window.workspace.show_page(SEARCH)
    search = window.workspace.search
    search.query.setText("methadone OR tea")
    search.run_search()
    qtbot.waitUntil(lambda: search.results.count() >= 2, timeout=3000)
    window.statusBar().clearMessage()
    qtbot.wait(50)
    _save(window, folder, "search.png")

    window.lock()
    runner.wait_idle()
    qtbot.wait(50)
    _save(window, folder, "lock-screen.png")


# The recording screen after a long stretch: big chunks and blocks keep feeding fast.
LONG = replace(
    REC,
    silence_warning_ms=10_000,
    recorder_options={
        "device_timeout": 600.0,
        "chunk_seconds": 60.0,
        "block_seconds": 1.0,
        "queue_seconds": 7_200.0,
    },
)
JOTTINGS = (
    (95.0, "Lara makes tea; baby asleep in the pram"),
    (412.0, "Pharmacy moved her pick-up time — clashes with nursery"),
    (780.0, "Mum helps most mornings"),
    (1130.0, "'Judged before I open my mouth'"),
)


def _voice(seconds: float) -> np.ndarray:
    """Something like speech for the meter: a tone with a slow swell."""
    samples = tone(seconds, amplitude=0.22, freq=180.0).astype(np.float32)
    swell = 0.55 + 0.45 * np.sin(np.linspace(0, seconds * 2.1, len(samples)))
    return (samples * swell).astype(np.int16)


def test_recording_screenshots(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    folder = DOCS if os.environ.get("RELATIONS_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    _sample_store(service)
    backend = FakeBackend(name="Built-in microphone", others=("Zoom H1n (USB)",))
    window = make_window(LONG, audio_backend=backend, player_factory=StubPlayer)
    window.resize(1200, 800)
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.model.rowCount() == 5, timeout=3000)
    sessions.select_row(sessions.model.row_of(lambda e: e.title == "Home visit with Lara"))
    start_recording(qtbot, window)
    view = window.workspace.recording
    done = 0.0
    for offset, text in JOTTINGS:
        backend.stream.feed(_voice(offset - done))
        done = offset
        view.jotting.setText(text)
        view.submit_jotting()
        runner.wait_idle()
    backend.stream.feed(_voice(1421.0 - done))
    qtbot.keyClicks(view.jotting, "Baby wakes; Lara")
    qtbot.waitUntil(lambda: view.timer_label.text() == "00:23:41", timeout=5000)
    qtbot.waitUntil(lambda: len(view.timeline.marks) == len(JOTTINGS), timeout=3000)
    window.statusBar().clearMessage()
    qtbot.wait(60)
    _save(window, folder, "recording.png")

    view.jotting.clear()
    view.stop()
    qtbot.waitUntil(lambda: not window.monitor.is_running, timeout=10_000)
    runner.wait_idle()
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    panel = sessions.recordings
    qtbot.waitUntil(lambda: panel.current is not None, timeout=3000)
    memo = tmp_path / "Voice memo 0412.wav"
    soundfile.write(memo, _voice(96.0), 16_000, subtype="PCM_16")
    service.recordings.import_file(sessions.current.id, memo)  # (runner idle: safe)
    panel.refresh()
    runner.wait_idle()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=3000)
    panel.table.selectRow(panel.model.row_of(lambda r: r.source == "microphone"))
    timeline = panel.player.timeline
    qtbot.waitUntil(lambda: len(timeline.marks) == len(JOTTINGS), timeout=3000)
    panel.player.play_from(JOTTINGS[1][0] + 37.0)
    window.statusBar().clearMessage()
    qtbot.wait(60)
    _save(window, folder, "session-recordings.png")
