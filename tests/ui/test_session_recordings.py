"""A session's recordings: import (progress, cancel, bad files), export, the player bar."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QPushButton, QToolTip

from relations_desktop.core.audio.player import Player
from relations_desktop.core.records import RecordingRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.recording_files import EXPORT_WARNING
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.recordings import RecordingsPanel
from tests.ui.conftest import REC, WindowFactory
from tests.ui.fake_audio import RATE, FakeBackend, StubPlayer, tone


def _record(service: StoreService, encounter_id: str, seconds: float, jottings=()) -> str:
    """A recording made through the core with the fake microphone; jottings at offsets."""
    backend = FakeBackend()
    active = service.recordings.start(encounter_id, backend=backend, device_timeout=60.0)
    done = 0.0
    for offset, text in jottings:
        backend.stream.feed(tone(offset - done))
        done = offset
        service.recordings.add_jotting(text)
    backend.stream.feed(tone(seconds - done))
    service.recordings.stop()
    return active.recording_id


def _panel(qtbot, window) -> RecordingsPanel:
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.current is not None, timeout=3000)
    return sessions.recordings


def _boxes(parent) -> list[QMessageBox]:
    return [b for b in parent.window().findChildren(QMessageBox) if b.isVisible()]


def test_import_with_progress(
    qtbot, make_window: WindowFactory, service: StoreService, runner, sample, tmp_path: Path
) -> None:
    wav = tmp_path / "dictaphone 0412.wav"
    soundfile.write(wav, tone(12.0), RATE, subtype="PCM_16")
    window = make_window(REC)
    panel = _panel(qtbot, window)
    assert panel.empty_hint.isVisible()
    panel.choose_import = lambda _parent: str(wav)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    job = panel.import_job
    assert job is not None and isinstance(job.dialog, QProgressDialog)
    assert job.dialog.isVisible() and job.dialog.labelText() == "Importing dictaphone 0412.wav…"
    seen: list[float] = []
    job.relay.progress.connect(seen.append)
    qtbot.waitUntil(lambda: panel.import_job is None, timeout=10_000)
    qtbot.waitUntil(lambda: panel.current is not None, timeout=3000)
    assert panel.current.source == "import"
    assert panel.current.duration_seconds == pytest.approx(12.0)
    assert seen and 0 < seen[0] < 1 and seen[-1] == 1.0  # progress came through
    assert panel.model.index(0, 3).data() == "dictaphone 0412.wav"
    assert panel.model.index(0, 2).data() == "Imported"
    assert "Imported dictaphone 0412.wav (0:12)" in window.statusBar().currentMessage()


def test_import_can_be_cancelled(
    qtbot, make_window: WindowFactory, service: StoreService, runner, sample, tmp_path: Path
) -> None:
    wav = tmp_path / "long.wav"
    soundfile.write(wav, tone(3.0), RATE, subtype="PCM_16")
    window = make_window(REC)
    panel = _panel(qtbot, window)
    panel.choose_import = lambda _parent: str(wav)
    gate = threading.Event()
    runner.submit(gate.wait, 10)  # hold the worker so Cancel comes first
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    job = panel.import_job
    assert job is not None
    cancel = next(b for b in job.dialog.findChildren(QPushButton) if b.text() == "Cancel")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert job.dialog.labelText() == "Cancelling…"
    gate.set()
    qtbot.waitUntil(lambda: panel.import_job is None, timeout=10_000)
    runner.wait_idle()
    assert service.recordings.list(sample["visit"]) == []
    assert [b.text() for b in _boxes(panel)] == []
    assert "Import cancelled; nothing was stored." in window.statusBar().currentMessage()


def test_a_corrupt_file_is_refused_clearly(
    qtbot, make_window: WindowFactory, service: StoreService, runner, sample, tmp_path: Path
) -> None:
    bad = tmp_path / "interview.mp3"
    bad.write_bytes(b"this is not audio at all " * 200)
    window = make_window(REC)
    panel = _panel(qtbot, window)
    panel.choose_import = lambda _parent: str(bad)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.import_job is None, timeout=10_000)
    [box] = _boxes(panel)
    assert box.text() == "interview.mp3 is not an audio file this app can read (or it is damaged)."
    runner.wait_idle()
    assert service.recordings.list(sample["visit"]) == []
    assert service.recordings.count() == 0


def test_export_warns_that_the_file_is_not_encrypted(
    qtbot, make_window: WindowFactory, service: StoreService, runner, sample, tmp_path: Path
) -> None:
    _record(service, sample["visit"], 2.0)
    window = make_window(REC)
    panel = _panel(qtbot, window)
    qtbot.waitUntil(lambda: panel.current is not None, timeout=3000)
    asked: list[str] = []
    target = tmp_path / "out.wav"

    def choose(_parent, suggested: str) -> str:
        asked.append(suggested)
        return str(target)

    panel.choose_export = choose
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    warning = panel.export_job.warning
    assert warning.isVisible() and warning.text() == EXPORT_WARNING
    assert "will NOT be encrypted" in warning.text()
    assert asked == []  # the warning comes first

    # Cancel: nothing is asked, nothing written.
    qtbot.mouseClick(warning.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert asked == [] and not target.exists() and panel.export_job is None

    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    job = panel.export_job
    qtbot.mouseClick(job.continue_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and asked[0].startswith("recording-") and asked[0].endswith(".flac")
    qtbot.waitUntil(lambda: panel.export_job is None, timeout=5000)
    data, rate = soundfile.read(target, dtype="int16")
    assert rate == RATE and len(data) == 2 * RATE
    assert "not encrypted" in window.statusBar().currentMessage()
    runner.wait_idle()
    assert service.audit_events()[0].action == "recording_exported"


def test_player_bar_and_timeline(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    jottings = ((1.0, "Tea made"), (3.0, "Baby asleep"))
    rid = _record(service, sample["visit"], 8.0, jottings)
    StubPlayer.instances.clear()
    window = make_window(REC, player_factory=StubPlayer)
    panel = _panel(qtbot, window)
    qtbot.waitUntil(lambda: panel.current is not None, timeout=3000)
    bar = panel.player
    assert bar.isVisible()
    assert bar.time_label.text() == "0:00 / 0:08"
    assert panel.model.index(0, 4).data() == "2"
    assert StubPlayer.instances == []  # no sound card until played
    timeline = bar.timeline
    assert [m.text for m in timeline.marks] == ["Tea made", "Baby asleep"]

    # Hovering a mark shows its jotting.
    point = timeline.mark_point(timeline.marks[1])
    QApplication.sendEvent(
        timeline, QHelpEvent(QEvent.Type.ToolTip, point, timeline.mapToGlobal(point))
    )
    assert QToolTip.text() == "0:03 — Baby asleep"
    QToolTip.hideText()

    # Clicking a mark plays the audio from there (decrypted from the store).
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=point)
    [player] = StubPlayer.instances
    assert player.source is not None and player.sample_rate == RATE
    assert player.state == "playing" and player.position_seconds == pytest.approx(3.0)
    assert player.read_from[-1][0] == pytest.approx(3.0) and player.read_from[-1][1] > 0
    qtbot.waitUntil(lambda: bar.play_button.text() == "Pause", timeout=2000)
    assert timeline.position == pytest.approx(3.0)

    # Anywhere else on the track seeks there.
    x = round(timeline.x_of(6.0))
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(x, 30))
    assert player.position_seconds == pytest.approx(6.0, abs=0.1)

    qtbot.mouseClick(bar.back_button, Qt.MouseButton.LeftButton)
    assert player.position_seconds == pytest.approx(1.0, abs=0.1)
    qtbot.mouseClick(bar.forward_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.forward_button, Qt.MouseButton.LeftButton)
    assert player.position_seconds == pytest.approx(8.0)  # not past the end
    assert bar.slider.value() == 8000 and bar.time_label.text() == "0:08 / 0:08"

    bar.slider.setValue(2500)
    assert player.position_seconds == pytest.approx(2.5)

    bar.speed.setCurrentIndex(bar.speed.findData(1.5))
    assert player.speed == 1.5
    assert [bar.speed.itemText(i) for i in range(bar.speed.count())] == [
        "0.75×",
        "1×",
        "1.25×",
        "1.5×",
    ]

    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    assert player.state == "paused"
    qtbot.waitUntil(lambda: bar.play_button.text() == "Play", timeout=2000)
    bar.slider.setFocus()
    qtbot.keyClick(bar.slider, Qt.Key.Key_Space)
    assert player.state == "playing"
    qtbot.keyClick(bar.slider, Qt.Key.Key_Escape)
    assert player.state == "paused"

    # Locking closes the player before the store is locked.
    window.lock()
    runner.wait_idle()
    assert player.closed
    assert service.is_locked
    service.unlock("kitchen table methadone bairns")
    assert len(service.recordings.get(rid).jottings) == 2


def test_the_core_player_plays_decrypted_audio(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    _record(service, sample["visit"], 4.0, ((1.0, "Tea made"),))
    backend = FakeBackend()
    window = make_window(REC, audio_backend=backend)  # the real player, fake speakers
    panel = _panel(qtbot, window)
    qtbot.waitUntil(lambda: panel.current is not None, timeout=3000)
    bar = panel.player
    timeline = bar.timeline
    qtbot.mouseClick(
        timeline, Qt.MouseButton.LeftButton, pos=timeline.mark_point(timeline.marks[0])
    )
    player = bar.player
    assert isinstance(player, Player) and player.state == "playing"
    [speaker] = backend.outputs
    qtbot.waitUntil(lambda: float(np.abs(speaker.pull()).max()) > 0.2, timeout=3000)
    for _ in range(10):
        speaker.pull()
    assert player.position_seconds > 1.2
    qtbot.waitUntil(lambda: (timeline.position or 0) > 1.2, timeout=2000)
    assert bar.play_button.text() == "Pause"

    bar.speed.setCurrentIndex(bar.speed.findData(0.75))
    assert player.speed == 0.75
    bar.slider.setFocus()
    qtbot.keyClick(bar.slider, Qt.Key.Key_Space)
    assert player.state == "paused"
    qtbot.waitUntil(lambda: bar.play_button.text() == "Play", timeout=2000)

    window.lock()  # the player is closed before the store locks
    runner.wait_idle()
    assert player.state == "stopped" and speaker.closed


def test_recordings_panel_texts() -> None:
    from datetime import UTC, datetime

    from relations_desktop.ui.views.recordings import source_text, status_text

    base = RecordingRecord(
        id="r",
        encounter_id="e",
        status="complete",
        source="microphone",
        sample_rate=RATE,
        channels=1,
        duration_seconds=754.0,
        started_at=datetime(2025, 3, 12, 10, 15, tzinfo=UTC),
        ended_at=None,
        device_name="USB headset",
        original_name="",
        overflow_count=0,
        stop_reason="device-lost",
        size_bytes=1,
    )
    assert status_text(base) == "Complete (microphone lost)"
    assert source_text(base) == "USB headset"
