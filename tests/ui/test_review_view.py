"""The review screen, driven with qtbot on a real store and the real detection model:
scan a session, replace, keep (a reason is required), ignore everywhere, nothing left;
the audio at a transcript occurrence; real strings never reach the status bar."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from relations_desktop.core.services import StoreService
from relations_desktop.ui import page_slots
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.review import LIST, READY_TEXT, STATE, ReviewView
from relations_desktop.ui.workspace import AUDIT, QUOTES, REVIEW
from tests.consent_data import give_adult_consent
from tests.ui.conftest import FAST, WindowFactory, all_texts
from tests.ui.fake_audio import StubPlayer
from tests.ui.transcript_data import Seg, make_recording, make_transcript

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton
NOTE = (
    "Janet from Govan came round. Call her on 07700 900123. Janet was tired. "
    "Her pal Janet Baxter came too."
)
SEGMENTS = (
    Seg(0.0, 4.0, "Thanks for having me round again."),
    Seg(8.0, 14.0, "Janet said she would phone me later."),
)
REAL = ("Janet", "Baxter", "Govan", "07700", "Patel", "Real Person")
SCAN_MS = 30_000  # the first scan in a process loads the model
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def service(store_dir: Path, passphrase: str) -> Iterator[StoreService]:
    """A named researcher on a named project (the sidebar shows them in the screenshot)."""
    with StoreService.create(
        store_dir, passphrase, researcher_name="Mhairi Campbell", project_name="Relations study"
    ) as svc:
        yield svc


def _store(service: StoreService, folder: Path) -> dict[str, str]:
    lara = service.add_participant("Lara", "Mother", region="Scotland", real_name="Real Person")
    give_adult_consent(service, lara.id)
    visit = service.add_encounter(
        "home-visit", "Home visit with Lara", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    note = service.add_note(visit.id, NOTE)
    recording = make_recording(service, visit.id, folder, 30.0)
    make_transcript(service, recording, SEGMENTS)
    other = service.add_encounter("workday-debrief", "Team debrief", on=date(2025, 3, 14))
    service.add_note(other.id, "Dr Patel phoned about the referral.")
    return {"visit": visit.id, "note": note.id, "recording": recording, "other": other.id}


def _open_review(qtbot, window: MainWindow, runner: TaskRunner) -> ReviewView:
    qtbot.keyClick(window, Qt.Key.Key_7, CTRL)
    assert window.workspace.current_page == REVIEW
    view = window.workspace.review.review
    runner.wait_idle()
    return view


def _scan(qtbot, view: ReviewView, encounter_id: str | None) -> None:
    view.bar.set_scope(encounter_id)
    qtbot.mouseClick(view.bar.scan_button, LEFT)
    qtbot.waitUntil(lambda: not view.scanning, timeout=SCAN_MS)


def _select(view: ReviewView, text: str, source_type: str = "fieldnote") -> None:
    row = view.model.row_of(lambda o: o.text == text and o.source_type == source_type)
    assert row >= 0, f"{text} is not listed"
    view.table.selectRow(row)
    assert view.panel.occurrence is not None and view.panel.occurrence.text == text


def _no_real_strings_outside(window: MainWindow, messages: list[str]) -> None:
    shown = [window.windowTitle(), window.statusBar().currentMessage(), *messages]
    for real in REAL:
        assert not any(real in text for text in shown), real


def test_scan_then_replace_keep_and_ignore_until_nothing_is_left(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    ids = _store(service, tmp_path)
    window = make_window(FAST, player_factory=StubPlayer)
    messages: list[str] = []
    window.workspace.status_message.connect(messages.append)
    view = _open_review(qtbot, window, runner)
    assert view.body.currentIndex() == STATE and view.state_label.text() == READY_TEXT
    assert view.bar.scope.findData(ids["visit"]) > 0  # the sessions are offered

    view.bar.set_scope(ids["visit"])
    view.bar.scope.setFocus()
    qtbot.keyClick(view.bar.scope, Qt.Key.Key_F5)  # Scan, from the keyboard
    assert view.scanning and not view.bar.busy.isHidden()
    assert not view.bar.scan_button.isEnabled() and not view.bar.cancel_button.isHidden()
    qtbot.waitUntil(lambda: not view.scanning, timeout=SCAN_MS)
    assert view.bar.busy.isHidden()
    found = [(o.source_type, o.text, o.category) for o in view.occurrences]
    assert found == [
        ("fieldnote", "Janet", "person"),
        ("fieldnote", "Govan", "place"),
        ("fieldnote", "07700 900123", "phone"),
        ("fieldnote", "Janet", "person"),
        ("fieldnote", "Janet Baxter", "person"),
        ("transcript", "Janet", "person"),
    ]  # not the other session's name, nor the participant's real name (in the register)
    assert view.bar.progress.text() == "6 of 6 left"
    assert view.body.currentIndex() == LIST
    assert view.table.isColumnHidden(3)  # one session: no session column
    # Where, what, and the text around it with the string highlighted.
    _select(view, "07700 900123")
    panel = view.panel
    assert panel.where_label.text() == "Home visit with Lara · fieldnote"
    assert panel.category_label.text() == "Phone number"
    assert "Call her on <span" in panel.context.text() and ">07700 900123</span>" in (
        panel.context.text()
    )
    assert panel.replacement.currentText() == "[phone number]"  # a suggestion
    assert panel.play_button.isHidden()  # a fieldnote has no audio
    _select(view, "Janet", "transcript")
    assert panel.where_label.text() == "Home visit with Lara · transcript at 00:08"
    assert not panel.play_button.isHidden() and panel.play_button.text() == "Play from 00:06"

    # Replace with a new pseudonym: a register entry, and every “Janet” goes; of “Janet
    # Baxter” the surname stays listed, as the store has it.
    view.table.selectRow(0)
    panel.replacement.setFocus()
    panel.replacement.lineEdit().selectAll()
    qtbot.keyClicks(panel.replacement.lineEdit(), "Jess")
    panel.kind.setCurrentIndex(panel.kind.findData("first-name"))
    qtbot.keyClick(panel.replacement, Qt.Key.Key_R, CTRL_SHIFT)
    qtbot.waitUntil(lambda: view.bar.progress.text() == "3 of 6 left", timeout=5000)
    assert [o.text for o in view.occurrences] == ["Govan", "07700 900123", "Baxter"]
    assert view.message.text() == (
        "Replaced “Janet” with “Jess” everywhere (added to the register): 3 occurrences "
        "resolved. The other words of 1 longer name are still listed."
    )
    runner.wait_idle()
    assert view.occurrences == service.review.unresolved([ids["visit"]])
    entry = next(e for e in service.pseudonyms.list() if e.real == "Janet")
    assert (entry.replacement, entry.kind, entry.participant_id) == ("Jess", "first-name", None)
    assert panel.replacement.findText("Jess") >= 0  # now offered for the next ones
    assert view.current is not None and view.current.text == "Govan"  # the next one
    _no_real_strings_outside(window, messages)

    # Keep needs a reason: refused with the core's message, nothing changed.
    _select(view, "07700 900123")
    qtbot.keyClick(view.table, Qt.Key.Key_K, CTRL_SHIFT)
    qtbot.waitUntil(lambda: view.message.property("tone") == "error", timeout=5000)
    assert view.message.text() == "Say why this is kept (e.g. “a public figure”, “not a name”)."
    assert view.bar.progress.text() == "3 of 6 left"
    runner.wait_idle()
    assert len(service.review.unresolved([ids["visit"]])) == 3
    panel.reason.setFocus()
    qtbot.keyClicks(panel.reason, "the clinic's public number")
    qtbot.keyClick(panel.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.bar.progress.text() == "2 of 6 left", timeout=5000)
    assert view.message.text() == "Kept “07700 900123” in this fieldnote: 1 occurrence resolved."
    runner.wait_idle()
    assert view.occurrences == service.review.unresolved([ids["visit"]])

    # Replace with a replacement the register has already: its kind comes with it.
    assert view.current is not None and view.current.text == "Baxter"  # moved on by itself
    panel.replacement.setCurrentIndex(panel.replacement.findText("[surname]"))
    assert panel.kind.currentData() == "surname"
    qtbot.mouseClick(panel.replace_button, LEFT)
    qtbot.waitUntil(lambda: view.bar.progress.text() == "1 of 6 left", timeout=5000)
    runner.wait_idle()
    entry = next(e for e in service.pseudonyms.list() if e.real == "Baxter")
    assert (entry.replacement, entry.kind) == ("[surname]", "surname")

    # Ignore everywhere: the last one; then nothing is left, checked with the store.
    assert view.current is not None and view.current.text == "Govan"
    qtbot.mouseClick(panel.ignore_button, LEFT)
    qtbot.waitUntil(lambda: view.state_label.text().startswith("Nothing left"), timeout=SCAN_MS)
    assert view.body.currentIndex() == STATE and not view.scanning
    assert view.state_label.text().startswith("Nothing left to review in “Home visit with Lara”.")
    assert view.bar.progress.text() == "0 of 6 left"
    assert view.message.text().startswith("“Govan” is ignored everywhere from now on")
    runner.wait_idle()
    assert service.review.unresolved([ids["visit"]]) == []
    # All sessions: only the other session's name is left.
    _scan(qtbot, view, None)
    assert [o.text for o in view.occurrences] == ["Dr Patel"]
    assert view.bar.progress.text() == "1 of 1 left"
    assert not view.table.isColumnHidden(3)  # which session each is in
    _no_real_strings_outside(window, messages)

    window.lock()
    runner.wait_idle()
    texts = all_texts(flush=False) + all_texts()
    for real in (*REAL, "Home visit with Lara", "Team debrief"):
        assert real not in texts


def test_play_starts_a_couple_of_seconds_before_the_occurrence(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    ids = _store(service, tmp_path)
    StubPlayer.instances.clear()
    window = make_window(FAST, player_factory=StubPlayer)
    view = _open_review(qtbot, window, runner)
    _scan(qtbot, view, ids["visit"])
    _select(view, "Janet", "transcript")
    runner.wait_idle()
    assert StubPlayer.instances == []  # no sound card until played
    qtbot.mouseClick(view.panel.play_button, LEFT)
    qtbot.waitUntil(lambda: len(StubPlayer.instances) == 1, timeout=3000)
    player = StubPlayer.instances[0]
    assert player.state == "playing"
    assert player.position_seconds == 6.0  # the segment starts at 8 s
    assert player.duration_seconds == 30.0
    assert view.panel.player.play_button.text() == "Pause"
    # From the keyboard too, after it was moved elsewhere; leaving the page stops it.
    player.seek(20.0)
    qtbot.keyClick(view.table, Qt.Key.Key_P, CTRL_SHIFT)
    assert player.position_seconds == 6.0 and player.state == "playing"
    qtbot.keyClick(window, Qt.Key.Key_1, CTRL)
    assert player.closed


def test_a_scan_can_be_cancelled_and_opens_the_place_it_found(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    ids = _store(service, tmp_path)
    window = make_window(FAST, player_factory=StubPlayer)
    view = _open_review(qtbot, window, runner)
    view.bar.set_scope(ids["visit"])
    view.bar.scan_button.click()
    view.bar.cancel_button.click()
    assert not view.scanning and view.bar.scan_button.isEnabled()
    assert view.message.text() == "Scan cancelled: nothing was changed."
    runner.wait_idle()
    assert view.occurrences == [] and view.state_label.text() == READY_TEXT  # dropped

    _scan(qtbot, view, ids["visit"])
    _select(view, "Govan")
    qtbot.mouseClick(view.panel.open_button, LEFT)
    runner.wait_idle()
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.note_editor.note is not None, timeout=3000)
    assert window.workspace.current_page == 0
    assert sessions.note_editor.note.id == ids["note"]


SCREENSHOT_NOTE = (
    "Arrived at 10:15. Lara's sister Donna was there with the baby; she had come over from "
    "Easterhouse on the bus. Lara said the health visitor, Mrs Kerr, had phoned on "
    "0141 496 0123 to move the weighing to Thursday."
)
SCREENSHOT_SEGMENTS = (
    Seg(0.0, 5.5, "Thanks for having me round again.", speaker=0),
    Seg(5.5, 12.0, "Aye, come in. Donna's just away to the shops with the wean.", speaker=1),
    Seg(12.0, 19.0, "How have things been with the pharmacy?", speaker=0),
    Seg(19.0, 28.5, "They moved me to the one in Shettleston, it's two buses.", speaker=1),
)


@pytest.mark.skipif(
    os.environ.get("RELATIONS_SCREENSHOTS") != "1", reason="screenshots: RELATIONS_SCREENSHOTS=1"
)
def test_review_screenshot(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    lara = service.add_participant("Lara", "Mother", region="Scotland", real_name="(on file)")
    give_adult_consent(service, lara.id)
    visit = service.add_encounter(
        "home-visit", "Home visit with Lara", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    service.add_note(visit.id, SCREENSHOT_NOTE, title="Kitchen table, morning visit")
    recording = make_recording(service, visit.id, tmp_path, 95.0)
    make_transcript(service, recording, SCREENSHOT_SEGMENTS, speakers=["Researcher", "Lara"])
    window = make_window(FAST, player_factory=StubPlayer)
    window.resize(1200, 800)
    view = _open_review(qtbot, window, runner)
    _scan(qtbot, view, visit.id)
    _select(view, "Shettleston", "transcript")
    runner.wait_idle()
    view.panel.replacement.setEditText("[area of the city]")
    view.panel.kind.setCurrentIndex(view.panel.kind.findData("place"))
    window.statusBar().clearMessage()
    qtbot.wait(60)
    DOCS.mkdir(parents=True, exist_ok=True)
    path = DOCS / "review.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_review_and_quotes_are_pages_after_the_others(
    qtbot, make_window: WindowFactory, runner: TaskRunner, monkeypatch
) -> None:
    window = make_window()
    workspace = window.workspace
    names = [workspace.nav.item(i).text() for i in range(workspace.nav.count())]
    assert names[AUDIT:] == ["Audit log", "Review", "Quotes", "Team"]
    assert workspace._review is None and workspace._quotes is None  # built when first shown
    qtbot.keyClick(window, Qt.Key.Key_6, CTRL)
    assert workspace.current_page == AUDIT
    qtbot.keyClick(window, Qt.Key.Key_8, CTRL)
    assert workspace.current_page == QUOTES
    assert type(workspace.quotes).__name__ == "QuoteBankView"
    assert workspace.quotes.isVisibleTo(window)
    qtbot.keyClick(window, Qt.Key.Key_7, CTRL)
    assert workspace.current_page == REVIEW and workspace.review.isVisibleTo(window)
    runner.wait_idle()

    # A build without the quote bank still lists the page, and says so.
    def missing(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(page_slots.importlib, "import_module", missing)
    stand_in = page_slots.quote_bank(window.workspace.service, runner)
    assert isinstance(stand_in, page_slots.Unavailable)
    assert "not available" in stand_in.findChild(QLabel).text()
