"""A recording goes on through a lock; a crash's recording is recovered and reported."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from relations_desktop.core.services import StoreService
from relations_desktop.ui.app import AppController
from relations_desktop.ui.dialogs.unlock import UnlockDialog
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.recording import RecordingView
from relations_desktop.ui.workspace import RECORDING, Workspace
from tests.ui.conftest import REC, WindowFactory, all_texts, start_recording
from tests.ui.fake_audio import FakeBackend, tone

CTRL = Qt.KeyboardModifier.ControlModifier


def test_locking_never_stops_a_recording(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    backend: FakeBackend,
    passphrase: str,
    sample,
) -> None:
    window = make_window(REC, audio_backend=backend)
    active = start_recording(qtbot, window)
    view = window.workspace.recording
    backend.stream.feed(tone(1.0))
    qtbot.keyClicks(view.jotting, "Lara talks about the pharmacy")
    qtbot.keyClick(view.jotting, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(view.timeline.marks) == 1, timeout=3000)
    qtbot.keyClicks(view.jotting, "half typed")  # kept through the lock

    qtbot.keyClick(window, Qt.Key.Key_L, CTRL)
    runner.wait_idle()
    assert window.is_locked and service.is_locked
    texts = all_texts()  # (also deletes what was destroyed)
    for secret in ("Home visit with Lara", "pharmacy", "half typed", "Lara"):
        assert secret not in texts
    assert window.findChildren(Workspace) == []
    assert window.findChildren(RecordingView) == []
    indicator = window.lock_screen.recording_label
    qtbot.waitUntil(lambda: indicator.text() == "● Recording — 00:00:01", timeout=2000)
    assert indicator.isVisible()

    # The interview goes on while locked.
    backend.stream.feed(tone(2.0))
    qtbot.waitUntil(lambda: indicator.text() == "● Recording — 00:00:03", timeout=2000)
    assert active.recorder.status().state == "recording"
    assert window.monitor.active is active

    screen = window.lock_screen
    qtbot.keyClicks(screen.passphrase, passphrase)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.is_locked, timeout=5000)
    assert window.workspace.current_page == RECORDING
    view = window.workspace.recording
    assert view.jotting.text() == "half typed"
    qtbot.waitUntil(lambda: view.title_label.text() == "Home visit with Lara", timeout=3000)
    qtbot.waitUntil(lambda: len(view.timeline.marks) == 1, timeout=3000)
    qtbot.waitUntil(lambda: view.timer_label.text() == "00:00:03", timeout=2000)
    assert not indicator.isVisible()  # the lock screen is hidden again

    view.jotting.clear()
    view.stop()
    qtbot.waitUntil(lambda: not window.monitor.is_running, timeout=5000)
    runner.wait_idle()
    stored = service.recordings.get(active.recording_id)
    assert stored.duration_seconds == pytest.approx(3.0)
    assert [j.text for j in stored.jottings] == ["Lara talks about the pharmacy"]
    assert indicator.isHidden()


def test_auto_lock_while_recording_keeps_recording(
    qtbot, make_window: WindowFactory, service, runner, backend: FakeBackend, sample
) -> None:
    window = make_window(replace(REC, idle_ms=400), audio_backend=backend)
    start_recording(qtbot, window)
    qtbot.waitUntil(lambda: window.is_locked, timeout=3000)
    backend.stream.feed(tone(1.0))
    qtbot.waitUntil(
        lambda: window.lock_screen.recording_label.text().endswith("00:00:01"), timeout=2000
    )
    assert window.monitor.active is not None


def _abandon_a_recording(store_dir: Path, passphrase: str, encounter_title: str) -> None:
    """Record 2.2 s, then lose the app: the recording is never closed."""
    service = StoreService.open(store_dir, passphrase)
    visit = service.add_encounter("home-visit", encounter_title)
    backend = FakeBackend()
    active = service.recordings.start(visit.id, backend=backend, device_timeout=60.0)
    sink = active.recorder.sink
    sink.finish = lambda *_args: None  # the crash: the row is never closed
    backend.stream.feed(tone(2.2))
    active.recorder.stop()  # the writer commits what it has, and "dies"
    sink._engine.dispose()
    service.recordings._active = None
    service.close()


def test_recovered_recordings_are_reported_once(qtbot, store_dir: Path, passphrase: str) -> None:
    StoreService.create(store_dir, passphrase, researcher_name="Mhairi").close()
    _abandon_a_recording(store_dir, passphrase, "Home visit with Lara")

    runner = TaskRunner()
    controller = AppController(store_dir, runner, options=REC)
    try:
        controller.start()
        dialog = controller.dialog
        assert isinstance(dialog, UnlockDialog)
        qtbot.keyClicks(dialog.passphrase, passphrase)
        qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: controller.window is not None, timeout=5000)
        window = controller.window

        def boxes() -> list[QMessageBox]:
            return [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox)
                and w.objectName() == "recoveredMessage"
                and w.isVisible()
            ]

        qtbot.waitUntil(lambda: len(boxes()) == 1, timeout=5000)
        text = boxes()[0].text()
        assert text.startswith("Relations Desktop closed unexpectedly while recording.")
        assert "1 recording was recovered: Home visit with Lara — 0:02 kept" in text
        boxes()[0].accept()

        service = controller.service
        runner.wait_idle()
        [record] = service.recordings.list()
        assert record.status == "recovered"
        assert record.duration_seconds == pytest.approx(2.2)  # every committed chunk
        assert len(list(service.recordings.samples(record.id))) > 0

        # Shown once: not again after a lock and an unlock.
        window.lock()
        runner.wait_idle()
        window.lock_screen.passphrase.setText(passphrase)
        window.lock_screen.submit()
        qtbot.waitUntil(lambda: not window.is_locked, timeout=5000)
        runner.wait_idle()
        assert boxes() == []
        panel = window.workspace.sessions.recordings
        qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=3000)
        assert panel.model.index(0, 2).data() == "Recovered"
    finally:
        controller.shutdown()


def test_shutting_the_app_down_while_recording_keeps_it(
    qtbot, store_dir: Path, passphrase: str
) -> None:
    with StoreService.create(store_dir, passphrase) as service:
        service.add_encounter("home-visit", "Home visit with Lara")
    backend = FakeBackend()
    runner = TaskRunner()
    controller = AppController(store_dir, runner, options=REC, audio_backend=backend)
    try:
        controller.start()
        dialog = controller.dialog
        assert isinstance(dialog, UnlockDialog)
        qtbot.keyClicks(dialog.passphrase, passphrase)
        qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: controller.window is not None, timeout=5000)
        start_recording(qtbot, controller.window)
        backend.stream.feed(tone(1.0))
    finally:
        controller.shutdown()  # e.g. the desktop session ends
    with StoreService.open(store_dir, passphrase) as service:
        [record] = service.recordings.list()
        assert record.status == "complete" and record.duration_seconds == pytest.approx(1.0)
        assert service.recordings.recovered == []
