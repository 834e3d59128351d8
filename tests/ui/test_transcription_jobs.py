"""Transcription in the GUI: live fill-in, cancel, a failed job's reason, export, the model."""

from __future__ import annotations

import shutil
import subprocess
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import JobStatus, Transcript, TranscriptionJob
from relations_desktop.core.transcription.jobs import JobEvent
from relations_desktop.ui.dialogs.transcript_export import (
    TRANSCRIPT_EXPORT_WARNING,
    TranscriptExportDialog,
)
from relations_desktop.ui.widgets.transcript_model import TEXT
from tests.ui.conftest import FAST, WindowFactory
from tests.ui.fake_audio import StubPlayer
from tests.ui.test_transcript_editor import EDIT, open_editor
from tests.ui.transcript_data import (
    INTERVIEW,
    JOTTINGS,
    add_segment,
    make_recording,
    make_transcript,
)


def _start_job(service: StoreService, recording_id: str) -> tuple[str, str]:
    """A job as the queue starts it: running, with an empty transcript. (job, transcript)"""
    job = service.transcription.enqueue(recording_id)
    with service._session() as session:
        transcript = Transcript(recording_id=recording_id, model_name="test", mode="fast")
        session.add(transcript)
        session.flush()
        row = session.get(TranscriptionJob, job.id)
        row.status, row.transcript_id = JobStatus.RUNNING, transcript.id
        return job.id, transcript.id


def _from_queue_thread(fn) -> None:
    """Run ``fn`` on another thread, as the core's queue calls its listeners."""
    thread = threading.Thread(target=fn)
    thread.start()
    thread.join()


def test_segments_appear_live_while_transcribing(
    qtbot, make_window: WindowFactory, service: StoreService, sample, tmp_path, runner
) -> None:
    rid = make_recording(service, sample["visit"], tmp_path, 30.0, JOTTINGS)
    window = make_window(EDIT, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.model.rowCount() == 2, timeout=3000)  # the jottings
    assert editor.empty_hint.isVisible() and "No transcript yet" in editor.empty_hint.text()
    job_id, tid = _start_job(service, rid)

    def arrive(count: int, start: int = 0) -> None:
        def work() -> None:
            for position in range(start, start + count):
                with service._session() as session:
                    segment_id = add_segment(session, tid, position, INTERVIEW[position])
                    session.get(TranscriptionJob, job_id).progress = (position + 1) / 5
                service.transcription._emit(
                    JobEvent(job_id, rid, "running", (position + 1) / 5, tid, segment_id)
                )

        _from_queue_thread(work)

    arrive(2)
    qtbot.waitUntil(lambda: len(editor.model.segments()) == 2, timeout=3000)
    assert editor.table.editor is None  # read-only until it has finished
    assert "segments appear as they are recognised" in editor.empty_hint.text()
    controls = editor.controls
    qtbot.waitUntil(lambda: controls.status.text() == "Transcribing… 40 %", timeout=3000)
    assert controls.cancel_button.isVisible()
    arrive(3, start=2)
    qtbot.waitUntil(lambda: len(editor.model.segments()) == 5, timeout=3000)
    assert editor.model.rowCount() == 7  # the jottings in between
    assert editor.model.index(3, TEXT).data() == "Lara makes tea"

    with service._session() as session:
        row = session.get(TranscriptionJob, job_id)
        row.status, row.progress = JobStatus.DONE, 1.0
    _from_queue_thread(lambda: service.transcription._emit(JobEvent(job_id, rid, "done", 1.0, tid)))
    qtbot.waitUntil(lambda: editor.table.editor is not None, timeout=3000)
    assert not editor.empty_hint.isVisible()
    assert "you can correct it now" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: controls.status.text().startswith("Transcribed"), timeout=3000)


def test_cancel_a_job_and_a_failed_job_shows_its_reason(
    qtbot, make_window: WindowFactory, service: StoreService, sample, tmp_path, runner
) -> None:
    rid = make_recording(service, sample["visit"], tmp_path, 10.0)
    window = make_window(EDIT)
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.recordings.current is not None, timeout=3000)
    controls = sessions.recordings.transcription
    qtbot.waitUntil(lambda: controls.status.text() == "Not transcribed yet", timeout=3000)
    controls.mode_actions["accurate"].trigger()
    qtbot.waitUntil(lambda: controls.status.text() == "Waiting to transcribe…", timeout=3000)
    assert not controls.transcribe_button.isEnabled()
    assert "Transcription queued (accurate)" in window.statusBar().currentMessage()
    [job] = service.transcription.jobs(rid)
    assert job.status == "queued" and job.mode == "accurate"
    qtbot.mouseClick(controls.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "cancelled" in controls.status.text(), timeout=3000)
    assert service.transcription.get_job(job.id).status == "cancelled"
    assert not controls.cancel_button.isVisible() and controls.transcribe_button.isEnabled()

    # The next one fails in the worker: the line says why, and the editor lets go of it.
    controls.mode_actions["fast"].trigger()
    qtbot.waitUntil(lambda: controls.job is not None and controls.job.id != job.id, timeout=3000)
    job_id, tid = _start_job_from(service, controls.job.id)
    editor_window_editor = window.workspace.transcript
    qtbot.mouseClick(controls.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor_window_editor.live_id == tid, timeout=3000)
    reason = "The speech engine stopped unexpectedly (exit code 1); the app goes on."
    with service._session() as session:
        row = session.get(TranscriptionJob, job_id)
        row.status, row.error, row.transcript_id = JobStatus.FAILED, reason, None
        session.delete(session.get(Transcript, tid))
    _from_queue_thread(
        lambda: service.transcription._emit(JobEvent(job_id, rid, "failed", 0.0, error=reason))
    )
    editor_controls = editor_window_editor.controls
    qtbot.waitUntil(
        lambda: editor_controls.status.text() == f"Transcription failed: {reason}", timeout=3000
    )
    assert editor_controls.status.property("tone") == "error"
    assert editor_window_editor.live_id is None and editor_window_editor.transcript is None
    assert "The transcription failed: The speech engine" in window.statusBar().currentMessage()
    window.workspace.show_session_recording(sample["visit"], rid)
    qtbot.waitUntil(lambda: controls.status.text().startswith("Transcription failed"), timeout=3000)


def _start_job_from(service: StoreService, job_id: str) -> tuple[str, str]:
    with service._session() as session:
        job = session.get(TranscriptionJob, job_id)
        transcript = Transcript(recording_id=job.recording_id, model_name="test", mode="fast")
        session.add(transcript)
        session.flush()
        job.status, job.transcript_id = JobStatus.RUNNING, transcript.id
        return job_id, transcript.id


def test_export_writes_a_file_after_the_warning(
    qtbot, make_window: WindowFactory, service: StoreService, sample, tmp_path, runner
) -> None:
    rid = make_recording(service, sample["visit"], tmp_path, 30.0, JOTTINGS)
    make_transcript(service, rid, INTERVIEW, ["Interviewer", "Lara"])
    window = make_window(EDIT, player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.toolbar.buttons["export"].isEnabled(), timeout=3000)
    target = tmp_path / "out" / "lara.txt"
    target.parent.mkdir()
    asked: list[str] = []

    def choose(_parent, suggested: str) -> str:
        asked.append(suggested)
        return str(target)

    editor.choose_export = choose
    qtbot.mouseClick(editor.toolbar.buttons["export"], Qt.MouseButton.LeftButton)
    dialog = editor.dialog
    assert isinstance(dialog, TranscriptExportDialog) and dialog.isVisible()
    assert dialog.warning.text() == TRANSCRIPT_EXPORT_WARNING
    assert "NOT be encrypted" in dialog.warning.text() and "register is applied" in (
        dialog.warning.text()
    )
    assert asked == []  # the warning first
    dialog.jottings.setChecked(True)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: target.exists(), timeout=5000)
    runner.wait_idle()
    assert asked[0].startswith("transcript-") and asked[0].endswith(".txt")
    text = target.read_text(encoding="utf-8")
    assert "Home visit with Lara" in text and "[00:00:04] Lara: Aye, come in" in text
    assert "(jotting) Lara makes tea" in text
    assert "not encrypted" in window.statusBar().currentMessage()
    assert service.audit_events()[0].action == "transcript_exported"


ESPEAK = shutil.which("espeak-ng")


@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")
def test_the_real_model_fills_the_editor_in_the_background(
    qtbot, make_window: WindowFactory, service: StoreService, sample, tmp_path: Path, runner
) -> None:
    clip = tmp_path / "clip.wav"
    said = "Thank you for meeting me. Can you tell me about the nursery and the pharmacy?"
    subprocess.run([ESPEAK, "-v", "en-gb", "-w", str(clip), said], check=True)
    recording = service.recordings.import_file(sample["visit"], clip)
    window = make_window(replace(FAST, transcript_save_ms=150), player_factory=StubPlayer)
    editor = open_editor(qtbot, window)
    controls = editor.controls
    seen: list[str] = []
    window.bridge.job_event.connect(lambda e: seen.append(e.status))
    controls.mode_actions["fast"].trigger()
    qtbot.waitUntil(lambda: len(editor.model.segments()) >= 1, timeout=60_000)
    qtbot.waitUntil(lambda: editor.table.editor is not None, timeout=60_000)  # finished
    text = " ".join(s.text for s in editor.model.segments()).lower()
    assert "nursery" in text and "pharmacy" in text
    assert "running" in seen and seen[-1] == "done"
    stored = service.transcripts.latest_for_recording(recording.id)
    assert stored is not None and stored.segments[0].words
    qtbot.waitUntil(lambda: controls.status.text().startswith("Transcribed (fast"), timeout=3000)
