"""File → Export for analysis (REFI-QDA)…: the menu item and its shortcut, all or chosen
sessions, audio with its consent note, progress, Cancel leaving no file, and the refusal
over unreviewed identifiers with "Go to Review"."""

from __future__ import annotations

import threading
import zipfile
from datetime import date
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QRadioButton

from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.qdpx_export import EXPORT_KEYS, QdpxExportDialog
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.workspace import REVIEW
from tests.consent_data import give_adult_consent
from tests.ui.conftest import WindowFactory
from tests.ui.transcript_data import Seg, make_recording, make_transcript

SLOW_MS = 30_000  # the first identifier scan in a process loads the language model
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def clean_session(service: StoreService, title: str) -> str:
    visit = service.add_encounter("home-visit", title, on=date(2025, 3, 12))
    service.add_note(visit.id, "We had tea at the kitchen table and talked about the weather.")
    return visit.id


def open_dialog(qtbot, window: MainWindow, out: Path | None) -> QdpxExportDialog:
    qtbot.keyClick(window, Qt.Key.Key_E, CTRL_SHIFT)
    dialog = window.dialog
    assert isinstance(dialog, QdpxExportDialog) and dialog.isVisible()
    dialog.choose_file = lambda _parent, _suggested: str(out) if out else None
    window.runner.wait_idle()
    return dialog


def test_the_menu_item_and_a_shortcut_that_clashes_with_nothing(
    qtbot, make_window: WindowFactory
) -> None:
    window = make_window()
    assert window.qdpx_action.text() == "&Export for analysis (REFI-QDA)…"
    assert window.qdpx_action.shortcut().toString() == EXPORT_KEYS
    assert window.qdpx_action in window.menuBar().actions()[0].menu().actions()
    keys = [k for a in window.findChildren(QAction) if (k := a.shortcut().toString())]
    assert keys.count(EXPORT_KEYS) == 1 and len(keys) == len(set(keys))
    window.lock()
    window.runner.wait_idle()
    assert not window.qdpx_action.isEnabled()  # nothing to export while locked


def test_export_all_sessions_writes_a_qdpx(
    qtbot, make_window: WindowFactory, service: StoreService, tmp_path: Path
) -> None:
    clean_session(service, "Home visit")
    clean_session(service, "Park walk")
    out = tmp_path / "analysis"
    window = make_window()
    dialog = open_dialog(qtbot, window, out)
    assert dialog.sessions.count() == 2 and not dialog.sessions.isEnabled()
    assert not dialog.audio_note.isVisible()
    dialog.with_audio.setChecked(True)
    assert dialog.audio_note.isVisible() and "cannot be pseudonymised" in dialog.audio_note.text()
    dialog.with_audio.setChecked(False)
    progress: list[float] = []
    dialog.relay.progress.connect(progress.append)
    dialog.export_button.click()  # asks where (the chooser), then exports
    qtbot.waitUntil(lambda: not dialog.exporting, timeout=SLOW_MS)
    written = tmp_path / "analysis.qdpx"
    assert written.is_file() and zipfile.is_zipfile(written)
    with zipfile.ZipFile(written) as archive:
        assert "project.qde" in archive.namelist()
        project = archive.read("project.qde").decode("utf-8")
    assert "Home visit" in project and "Park walk" in project
    assert progress and progress[-1] == 1.0
    assert "Wrote analysis.qdpx" in dialog.message.text() and "2 note(s)" in dialog.message.text()
    assert dialog.cancel_button.text() == "Close" and dialog.isVisible()
    assert window.statusBar().currentMessage() == f"Exported for analysis: {written}"
    dialog.cancel_button.click()
    assert not dialog.isVisible()


def test_chosen_sessions_with_audio(
    qtbot, make_window: WindowFactory, service: StoreService, tmp_path: Path
) -> None:
    lara = service.add_participant("Lara", "Mother", region="Scotland")
    give_adult_consent(service, lara.id)
    visit = service.add_encounter(
        "home-visit", "Home visit", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    recording = make_recording(service, visit.id, tmp_path, 2.0)
    make_transcript(service, recording, [Seg(0.0, 1.5, "The bus was late again.", speaker=0)])
    clean_session(service, "Park walk")
    out = tmp_path / "visit.qdpx"
    window = make_window()
    dialog = open_dialog(qtbot, window, out)
    dialog.scope_chosen.setChecked(True)
    assert dialog.sessions.isEnabled() and not dialog.export_button.isEnabled()
    dialog.check_sessions([visit.id])
    dialog.with_audio.setChecked(True)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: not dialog.exporting, timeout=SLOW_MS)
    with zipfile.ZipFile(out) as archive:
        project = archive.read("project.qde").decode("utf-8")
        flac = [n for n in archive.namelist() if n.endswith(".flac")]
    assert "Home visit" in project and "Park walk" not in project
    assert len(flac) == 1 and "1 with audio" in dialog.message.text()


def test_cancel_leaves_no_file(
    qtbot, make_window: WindowFactory, service: StoreService, tmp_path: Path
) -> None:
    clean_session(service, "Home visit")
    out = tmp_path / "cancelled.qdpx"
    window = make_window()
    statuses: list[str] = []
    dialog = open_dialog(qtbot, window, out)
    dialog.status_message.connect(statuses.append)
    gate = threading.Event()
    window.runner.submit(gate.wait, 10)
    dialog.export_button.click()
    assert dialog.exporting and dialog.progress.isVisible() and not dialog.form.isEnabled()
    dialog.reject()  # Esc or Cancel while exporting cancels, and the dialog waits
    assert dialog.isVisible() and "Cancelling" in dialog.message.text()
    gate.set()
    qtbot.waitUntil(
        lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=SLOW_MS
    )
    window.runner.wait_idle()
    assert not out.exists()
    assert not any(p.name.startswith(".cancelled") for p in tmp_path.iterdir())
    assert statuses == ["Export cancelled; no file was written."]


def test_unreviewed_identifiers_refuse_with_go_to_review(
    qtbot, make_window: WindowFactory, service: StoreService, tmp_path: Path
) -> None:
    visit = service.add_encounter("home-visit", "Home visit", on=date(2025, 3, 12))
    service.add_note(visit.id, "Call her on 07700 900123 about the nursery.")
    out = tmp_path / "refused.qdpx"
    window = make_window()
    dialog = open_dialog(qtbot, window, out)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.review_button.isVisible(), timeout=SLOW_MS)
    assert "likely identifier" in dialog.message.text()
    assert dialog.message.property("tone") == "error" and not out.exists()
    assert dialog.isVisible() and dialog.form.isEnabled()
    dialog.review_button.click()
    assert window.workspace is not None and window.workspace.current_page == REVIEW
    assert not dialog.isVisible()
    window.runner.wait_idle()


def test_buttons_are_named_and_reachable_and_lock_closes_it(
    qtbot, make_window: WindowFactory, service: StoreService, tmp_path: Path
) -> None:
    window = make_window()
    dialog = open_dialog(qtbot, window, tmp_path / "x.qdpx")
    for button in dialog.findChildren(QAbstractButton):
        if isinstance(button.parent(), QDialogButtonBox) or button.isVisibleTo(dialog):
            assert button.accessibleName(), button.text()
            if not isinstance(button, QRadioButton):  # (a group is one stop; arrows move)
                assert button.focusPolicy() & Qt.FocusPolicy.TabFocus, button.text()
    assert dialog.sessions.accessibleName()
    window.lock()
    window.runner.wait_idle()
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
