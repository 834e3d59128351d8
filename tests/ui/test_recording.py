"""The recording screen: shortcuts, the level meter, warnings, jottings, self-stops, quit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from relations_desktop.core.audio.recorder import RecorderStatus
from relations_desktop.core.errors import RelationsError
from relations_desktop.core.services import StoreService
from relations_desktop.ui.recording_monitor import STOP_QUESTION
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.recording import SILENCE_TEXT
from relations_desktop.ui.widgets.level_meter import LevelMeter
from relations_desktop.ui.workspace import SESSIONS
from tests.ui.conftest import REC, WindowFactory, start_recording
from tests.ui.fake_audio import FakeBackend, silence, tone

CTRL = Qt.KeyboardModifier.ControlModifier


def _visible_boxes(window) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_start_pause_resume_stop_with_shortcuts(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    backend: FakeBackend,
    sample,
) -> None:
    window = make_window(REC, audio_backend=backend)
    active = start_recording(qtbot, window)
    view = window.workspace.recording
    assert active.encounter_id == sample["visit"]
    assert view.title_label.text() == "Home visit with Lara"
    assert "Ctrl+R" in view.start_button.toolTip()
    assert "Ctrl+P" in view.pause_button.toolTip()
    assert "Ctrl+Shift+S" in view.stop_button.toolTip()
    assert not view.start_button.isEnabled() and view.stop_button.isEnabled()

    backend.stream.feed(tone(1.5))
    qtbot.waitUntil(lambda: view.timer_label.text() == "00:00:01", timeout=2000)
    assert view.state_label.text() == "● Recording"
    assert window.recording_hint.text() == "● Recording 00:00:01"

    qtbot.keyClick(window, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: view.state_label.text() == "Paused", timeout=2000)
    assert view.pause_button.text() == "Resume"
    backend.stream.feed(tone(2.0))  # not recorded while paused
    assert active.recorder.position_seconds == pytest.approx(1.5)
    qtbot.keyClick(window, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: view.state_label.text() == "● Recording", timeout=2000)
    backend.stream.feed(tone(1.0))

    qtbot.keyClick(window, Qt.Key.Key_S, CTRL | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: not window.monitor.is_running, timeout=5000)
    assert view.state_label.text() == "Saved — 0:02 recorded"
    assert view.start_button.isEnabled()
    runner.wait_idle()
    [stored] = service.recordings.list(sample["visit"])
    assert stored.status == "complete" and stored.stop_reason == "user"
    assert stored.duration_seconds == pytest.approx(2.5)
    assert service.get_setting("input_device") == ""  # the system's default

    # Back in the session, the recording is listed and selected.
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    assert window.workspace.current_page == SESSIONS
    panel = window.workspace.sessions.recordings
    qtbot.waitUntil(lambda: panel.current is not None, timeout=3000)
    assert panel.current.id == stored.id
    assert panel.model.index(0, 1).data() == "0:02"
    assert panel.model.index(0, 2).data() == "Complete"


def test_the_chosen_device_is_used_and_remembered(
    qtbot, make_window: WindowFactory, service: StoreService, runner, backend, sample
) -> None:
    window = make_window(REC, audio_backend=backend)
    qtbot.waitUntil(lambda: window.workspace.sessions.current is not None, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL)
    view = window.workspace.recording
    qtbot.waitUntil(lambda: view.device_combo.count() == 3, timeout=3000)
    assert view.device_combo.itemText(1) == "Fake microphone (default)"
    view.device_combo.setCurrentIndex(view.device_combo.findData("USB headset"))
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.monitor.active is not None, timeout=3000)
    assert backend.opened_devices == ["USB headset"]
    assert not view.device_combo.isEnabled()
    qtbot.waitUntil(lambda: view.device_label.text() == "USB headset", timeout=3000)
    qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.monitor.is_running, timeout=5000)
    runner.wait_idle()
    assert service.get_setting("input_device") == "USB headset"

    window.workspace.show_page(SESSIONS)
    view.device_combo.setCurrentIndex(0)
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL)  # opens the screen again
    runner.wait_idle()
    assert view.device_combo.currentText() == "USB headset"


def test_no_microphone_is_told_clearly(
    qtbot, make_window: WindowFactory, service: StoreService, runner, sample
) -> None:
    window = make_window(REC, audio_backend=FakeBackend(available=False))
    qtbot.waitUntil(lambda: window.workspace.sessions.current is not None, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL)
    view = window.workspace.recording
    runner.wait_idle()
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: "No microphone was found" in view.message.text(), timeout=3000)
    assert not window.monitor.is_running and view.start_button.isEnabled()
    runner.wait_idle()
    assert service.recordings.list(sample["visit"]) == []


def test_level_meter_and_clip_light_follow_the_input(
    qtbot, make_window: WindowFactory, backend: FakeBackend, sample
) -> None:
    window = make_window(REC, audio_backend=backend)
    start_recording(qtbot, window)
    meter = window.workspace.recording.meter
    backend.stream.feed(tone(0.3, amplitude=0.05))
    qtbot.waitUntil(lambda: -33 < meter.level_dbfs < -26, timeout=2000)
    assert not meter.clip_lit
    backend.stream.feed(tone(0.3, amplitude=1.5))  # clipped
    qtbot.waitUntil(lambda: meter.clip_lit, timeout=2000)
    assert meter.level_dbfs > -3
    assert "clipping" in meter.accessibleDescription()


def test_clip_light_holds_for_about_a_second() -> None:
    now = [100.0]
    meter = LevelMeter(clock=lambda: now[0])
    meter.set_level(-2.0, 1.0, True)
    assert meter.clip_lit
    now[0] += 0.6
    meter.set_level(-20.0, 0.1, False)
    assert meter.clip_lit
    now[0] += 0.6
    assert not meter.clip_lit
    meter.grab()  # paints


def test_silence_warning_after_the_silence_time(
    qtbot, make_window: WindowFactory, backend: FakeBackend, sample
) -> None:
    window = make_window(REC, audio_backend=backend)  # warns after 300 ms
    start_recording(qtbot, window)
    view = window.workspace.recording
    backend.stream.feed(tone(0.2))
    assert not view.silence_label.isVisible()
    backend.stream.feed(silence(0.5))
    qtbot.waitUntil(lambda: view.silence_label.isVisible(), timeout=3000)
    assert view.silence_label.text() == SILENCE_TEXT == "No signal — is the microphone muted?"
    backend.stream.feed(tone(0.2))
    qtbot.waitUntil(lambda: not view.silence_label.isVisible(), timeout=2000)


def test_jottings_are_saved_at_their_offset_and_marked(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    backend: FakeBackend,
    sample,
) -> None:
    window = make_window(REC, audio_backend=backend)
    active = start_recording(qtbot, window)
    view = window.workspace.recording
    assert view.jotting.hasFocus()
    backend.stream.feed(tone(2.0))
    qtbot.keyClicks(view.jotting, "Baby woke up; Lara picks him up")
    qtbot.keyClick(view.jotting, Qt.Key.Key_Return)
    assert view.jotting.text() == ""
    qtbot.waitUntil(lambda: len(view.timeline.marks) == 1, timeout=3000)
    mark = view.timeline.marks[0]
    assert mark.offset_seconds == pytest.approx(2.0)
    assert mark.text == "Baby woke up; Lara picks him up"
    assert view.jottings.item(0).text().startswith("00:00:02")
    runner.wait_idle()
    [jotting] = service.recordings.get(active.recording_id).jottings
    assert jotting.offset_seconds == pytest.approx(2.0)
    note = service.get_note(jotting.id)
    assert note.kind == "jotting" and note.recording_id == active.recording_id

    # Space pauses when the jotting field does not have the focus; in it, it types.
    qtbot.keyClicks(view.jotting, "a b")
    assert view.jotting.text() == "a b" and not window.monitor.is_paused
    view.timeline.setFocus()
    qtbot.keyClick(view.timeline, Qt.Key.Key_Space)
    assert window.monitor.is_paused
    view.jotting.clear()


def test_a_jotting_that_fails_keeps_its_text(
    qtbot, make_window: WindowFactory, service: StoreService, backend, sample, monkeypatch
) -> None:
    window = make_window(REC, audio_backend=backend)
    start_recording(qtbot, window)
    view = window.workspace.recording

    def refuse(_text: str) -> None:
        raise RelationsError("The disk is full.")

    monkeypatch.setattr(service.recordings, "add_jotting", refuse)
    qtbot.keyClicks(view.jotting, "Health visitor arrives")
    qtbot.keyClick(view.jotting, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.jotting.text() == "Health visitor arrives", timeout=3000)
    assert "The disk is full." in view.message.text()
    assert view.timeline.marks == []


def test_microphone_lost_stops_and_keeps_the_recording(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    backend: FakeBackend,
    sample,
) -> None:
    window = make_window(REC, audio_backend=backend)
    start_recording(qtbot, window)
    backend.stream.feed(tone(1.2))
    backend.stream.finish()  # unplugged
    qtbot.waitUntil(lambda: not window.monitor.is_running, timeout=5000)
    runner.wait_idle()
    [box] = _visible_boxes(window)
    assert "microphone stopped sending sound" in box.text()
    assert "Everything recorded (00:00:01) is kept" in box.text()
    [stored] = service.recordings.list(sample["visit"])
    assert stored.stop_reason == "device-lost" and stored.status == "complete"
    assert stored.duration_seconds == pytest.approx(1.2)
    assert window.workspace.recording.start_button.isEnabled()


def test_low_disk_stops_cleanly_and_says_why(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    backend: FakeBackend,
    sample,
) -> None:
    # Any free space counts as "too low": the recorder stops after its first chunk.
    options = replace(REC, recorder_options={"device_timeout": 60.0, "low_disk_stop": 1 << 62})
    window = make_window(options, audio_backend=backend)
    start_recording(qtbot, window)
    backend.stream.feed(tone(1.5))
    qtbot.waitUntil(lambda: not window.monitor.is_running, timeout=5000)
    runner.wait_idle()
    [box] = _visible_boxes(window)
    assert "Free disk space fell below 200 MB" in box.text()
    [stored] = service.recordings.list(sample["visit"])
    assert stored.stop_reason == "disk-low"
    assert stored.duration_seconds == pytest.approx(1.5)  # nothing lost


def test_free_space_warning_below_one_gigabyte(
    qtbot, make_window: WindowFactory, backend: FakeBackend, sample
) -> None:
    window = make_window(REC, audio_backend=backend)
    start_recording(qtbot, window)
    view = window.workspace.recording
    ok = window.monitor.last_status
    assert isinstance(ok, RecorderStatus)
    view.show_status(replace(ok, free_bytes=50_000_000_000, low_disk=False))
    assert view.disk_label.text() == "Free disk space: 50.0 GB"
    assert view.disk_label.property("tone") == ""
    # (no event is processed in between, so no live reading replaces these)
    view.show_status(replace(ok, free_bytes=640_000_000, low_disk=True, overflows=3))
    assert "640.0 MB — under 1 GB" in view.disk_label.text()
    assert view.disk_label.property("tone") == "warning"
    assert view.overflow_label.isVisible() and "3 audio block(s)" in view.overflow_label.text()


def test_closing_while_recording_asks_first(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    backend: FakeBackend,
    sample,
) -> None:
    window = make_window(REC, audio_backend=backend)
    start_recording(qtbot, window)
    backend.stream.feed(tone(1.0))
    window.close()
    prompt = window.stop_prompt
    assert prompt is not None and prompt.isVisible() and prompt.text() == STOP_QUESTION
    keep = next(b for b in prompt.buttons() if b.text() == "Keep recording")
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    assert window.isVisible() and window.monitor.active is not None
    backend.stream.feed(tone(1.0))

    answers: list[bool] = []
    window.ask_stop = lambda answer: (answers.append(True), answer(True))
    with qtbot.waitSignal(window.closed, timeout=5000):
        window.close()
    assert answers == [True]
    runner.wait_idle()
    [stored] = service.recordings.list(sample["visit"])
    assert stored.status == "complete" and stored.duration_seconds == pytest.approx(2.0)
