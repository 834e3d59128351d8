"""The GUI's own recording path against the virtual microphone (pytest-qt, offscreen).

The main window is built as the app builds it, with ``audio_backend=None`` (the real
sounddevice backend, PortAudio's default input, which is the virtual microphone). The
researcher's keys drive it: Ctrl+R opens the recording screen for the selected session,
Ctrl+R again starts, a jotting is typed while recording, the Stop button stops.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest
from PySide6.QtCore import Qt

from relations_desktop.core.services import StoreService
from relations_desktop.ui.context import AppContext, UiOptions
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.style import apply_style
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.workspace import RECORDING, SESSIONS
from tests.e2e.speech import best_lag_correlation, read_mono

CTRL = Qt.KeyboardModifier.ControlModifier
RECORD_SECONDS = 7.0


@pytest.fixture
def runner(qtbot) -> Iterator[TaskRunner]:
    r = TaskRunner()
    yield r
    r.wait_idle()
    r.shutdown()


@pytest.fixture
def window(qtbot, qapp, sd, virtual_mic, service: StoreService, runner) -> Iterator[MainWindow]:
    apply_style(qapp)
    service.add_encounter("home-visit", "Home visit with Lara", on=date(2025, 3, 12))
    win = MainWindow(AppContext(service, runner, UiOptions(idle_ms=600_000)))
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    runner.wait_idle()
    yield win
    win.ask_stop = lambda answer: answer(True)  # a recording left running is stopped
    if win.isVisible():
        win.close()
        runner.wait_idle()
        qtbot.waitUntil(lambda: not win.isVisible(), timeout=10_000)
    runner.wait_idle()


def test_record_speech_from_the_recording_screen(
    qtbot, window: MainWindow, service: StoreService, runner, virtual_mic, speech_wav
):
    reference, ref_rate = read_mono(speech_wav)
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.current is not None, timeout=5000)
    encounter_id = sessions.current.id

    qtbot.keyClick(window, Qt.Key.Key_R, CTRL)  # open the recording screen
    assert window.workspace.current_page == RECORDING
    view = window.workspace.recording
    # The real device list: the system default plus PortAudio's inputs.
    qtbot.waitUntil(lambda: view.device_combo.count() > 1, timeout=10_000)
    names = [view.device_combo.itemData(i) for i in range(view.device_combo.count())]
    assert "pulse" in names, names
    assert view.device_combo.currentData() is None  # "System default microphone"

    qtbot.keyClick(window, Qt.Key.Key_R, CTRL)  # start
    qtbot.waitUntil(lambda: window.monitor.active is not None, timeout=10_000)
    started = time.monotonic()
    active = window.monitor.active
    assert active.encounter_id == encounter_id
    qtbot.waitUntil(lambda: view.state_label.text() == "● Recording", timeout=5000)
    player = virtual_mic.play(speech_wav)

    # The level meter and the timer follow the real input.
    qtbot.waitUntil(lambda: view.timer_label.text() == "00:00:02", timeout=10_000)
    qtbot.waitUntil(lambda: active.recorder.status().level_dbfs > -40, timeout=5000)
    assert not view.silence_label.isVisible()
    qtbot.keyClicks(view.jotting, "Lara lights a cigarette")
    qtbot.keyClick(view.jotting, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: time.monotonic() - started >= RECORD_SECONDS, timeout=20_000)
    qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.monitor.is_running, timeout=10_000)
    assert player.wait(10) == 0
    runner.wait_idle()
    assert view.state_label.text().startswith("Saved")

    [stored] = service.recordings.list(encounter_id)
    assert stored.id == active.recording_id
    assert stored.status == "complete"
    assert stored.stop_reason == "user"
    assert stored.overflow_count == 0
    assert stored.device_name == "default"
    assert abs(stored.duration_seconds - RECORD_SECONDS) <= 0.6, stored.duration_seconds
    [jotting] = stored.jottings
    assert jotting.text == "Lara lights a cigarette"
    assert 1.5 <= jotting.offset_seconds <= stored.duration_seconds

    samples = np.concatenate(list(service.recordings.samples(stored.id)))
    assert len(samples) == round(stored.duration_seconds * stored.sample_rate)
    match = best_lag_correlation(
        samples, reference, stored.sample_rate, ref_rate, max_lag_seconds=2.5
    )
    assert match.correlation >= 0.9, match

    # Back in the session the new recording is listed.
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    assert window.workspace.current_page == SESSIONS
