"""The quote bank: list, filter, tags and notes, copy, remove with undo, export to Word."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import docx
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.quote_preview import short_time
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.quote_bank import EMPTY, QuoteBankView
from tests.consent_data import give_adult_consent
from tests.ui.test_quotes_ui import NOTE, study  # noqa: F401 - the fixture
from tests.ui.test_screenshots import DOCS, _save
from tests.ui.test_transcript_screenshot import SEGMENTS
from tests.ui.transcript_data import Seg, make_recording, make_transcript


@pytest.fixture
def bank(service: StoreService, study: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """Three quotes: two from the father's words, one from the fieldnote."""
    transcript = service.transcripts.latest_for_recording(study["recording"])
    assert transcript is not None
    segments = transcript.segments
    first = service.quotes.save(
        service.quotes.from_segments([segments[1].id]), tags=["places", "stigma"]
    )
    second = service.quotes.save(
        service.quotes.from_segments([segments[3].id]), tags=["stigma"], note="Chapter 3"
    )
    start = NOTE.index("made tea")
    third = service.quotes.save(
        service.quotes.from_note(study["note"], start, start + len("made tea for everyone")),
        tags=["care"],
    )
    return {**study, "first": first.id, "second": second.id, "third": third.id}


def bank_view(qtbot, service: StoreService, runner: TaskRunner) -> QuoteBankView:
    view = QuoteBankView(service, runner)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    runner.wait_idle()
    return view


def select(view: QuoteBankView, *rows: int) -> None:
    selection = view.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Rows
    selection.setCurrentIndex(
        view.model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | flags
    )
    for row in rows[1:]:
        selection.select(view.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select | flags)


def column(view: QuoteBankView, col: int) -> list[str]:
    return [view.model.index(r, col).data() for r in range(view.model.rowCount())]


def test_lists_and_filters_by_tag_and_text(
    qtbot, service: StoreService, runner: TaskRunner, bank
) -> None:
    view = bank_view(qtbot, service, runner)
    assert column(view, 0) == [
        "“She talked to me at the [supermarket], ken.”",
        "“She was all right, Davie said so.”",
        "“made tea for everyone”",
    ]
    assert column(view, 1) == ["(Father, Scotland)"] * 2 + ["(Researcher Fieldnote, Scotland)"]
    assert column(view, 2) == [
        "Home visit, 0:04–0:08",
        "Home visit, 0:12–0:16",
        "Home visit, fieldnote",
    ]
    assert column(view, 3) == ["places, stigma", "stigma", "care"]
    assert view.count_label.text() == "3 quotes"
    tags = [view.tag_filter.itemText(i) for i in range(view.tag_filter.count())]
    assert tags == ["All tags", "care", "places", "stigma"]

    view.tag_filter.setCurrentIndex(view.tag_filter.findData("stigma"))
    assert len(column(view, 0)) == 2
    assert view.count_label.text() == "2 of 3 quotes match"
    qtbot.keyClicks(view.filter, "davie")
    assert column(view, 0) == ["“She was all right, Davie said so.”"]
    view.tag_filter.setCurrentIndex(0)
    view.filter.setText("chapter")  # the note is searched too
    assert column(view, 4) == ["Chapter 3"]
    view.filter.clear()
    assert view.model.rowCount() == 3


def test_edit_tags_and_note(qtbot, service: StoreService, runner: TaskRunner, bank) -> None:
    view = bank_view(qtbot, service, runner)
    select(view, 2)
    assert view.tags.tags() == ["care"]
    assert "made tea for everyone" in view.full_text.text()
    assert view.source.text().startswith("From Home visit, fieldnote · saved ")
    view.tags.field.setFocus()
    qtbot.keyClicks(view.tags.field, "Kitchen")
    qtbot.keyClick(view.tags.field, Qt.Key.Key_Return)
    runner.wait_idle()
    stored = {q.id: q for q in service.quotes.list()}
    assert sorted(stored[bank["third"]].tags) == ["care", "kitchen"]
    assert view.tag_filter.findData("kitchen") > 0
    assert column(view, 3)[2] == "care, kitchen"
    assert view.table.currentIndex().row() == 2  # still on the same quote

    view.note.setFocus()
    qtbot.keyClicks(view.note, "Domestic routines")
    qtbot.keyClick(view.note, Qt.Key.Key_Return)
    runner.wait_idle()
    assert {q.id: q for q in service.quotes.list()}[bank["third"]].note == "Domestic routines"
    view.tags.remove_tag("care")
    runner.wait_idle()
    assert {q.id: q for q in service.quotes.list()}[bank["third"]].tags == ["kitchen"]


def test_copy_remove_and_undo(qtbot, service: StoreService, runner: TaskRunner, bank) -> None:
    view = bank_view(qtbot, service, runner)
    assert not view.copy_button.isEnabled() and not view.remove_button.isEnabled()
    select(view, 0, 2)
    qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == (
        "“She talked to me at the [supermarket], ken.” (Father, Scotland)\n\n"
        "“made tea for everyone” (Researcher Fieldnote, Scotland)"
    )
    select(view, 1)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert (
        QGuiApplication.clipboard().text()
        == "“She was all right, Davie said so.” (Father, Scotland)"
    )

    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    runner.wait_idle()
    assert [q.id for q in service.quotes.list()] == [bank["first"], bank["third"]]
    assert view.model.rowCount() == 2
    assert view.message.text() == "1 quote removed." and view.undo_button.isVisible()

    qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    quotes = service.quotes.list()
    assert len(quotes) == 3 and view.model.rowCount() == 3
    back = next(q for q in quotes if q.text == "She was all right, Davie said so.")
    assert back.tags == ["stigma"] and back.note == "Chapter 3"
    assert not view.undo_button.isVisible()

    select(view, 0, 1, 2)
    qtbot.mouseClick(view.remove_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    assert service.quotes.list() == [] and view.count_label.text() == EMPTY


def test_export_to_word_all_or_selected(
    qtbot, service: StoreService, runner: TaskRunner, bank, tmp_path: Path
) -> None:
    view = bank_view(qtbot, service, runner)
    asked: list[str] = []

    def choose(_parent, suggested: str) -> str:
        asked.append(suggested)
        return str(tmp_path / f"export-{len(asked)}")  # no suffix: .docx is added

    view.choose_file = choose
    view.export_all.trigger()
    runner.wait_idle()
    assert asked[0].startswith("quotes-") and asked[0].endswith(".docx")
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "export-1.docx")).paragraphs)
    assert "“She talked to me at the [supermarket], ken.” (Father, Scotland)" in text
    assert "“made tea for everyone” (Researcher Fieldnote, Scotland)" in text
    assert "Robert" not in text and "Tesco" not in text
    assert "3 quotes written to" in view.message.text()

    select(view, 1)
    assert view.export_selected.isEnabled()
    view.export_selected.trigger()
    runner.wait_idle()
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "export-2.docx")).paragraphs)
    assert "Davie said so" in text and "made tea" not in text and "supermarket" not in text

    view.tag_filter.setCurrentIndex(view.tag_filter.findData("care"))
    view.export_all.trigger()  # all shown: the filtered ones
    runner.wait_idle()
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "export-3.docx")).paragraphs)
    assert "made tea" in text and "Davie said so" not in text

    view.choose_file = lambda _parent, _suggested: None  # cancelled: nothing written
    view.export_all.trigger()
    runner.wait_idle()
    assert not (tmp_path / "export-4.docx").exists()


def test_short_times() -> None:
    assert short_time(0) == "0:00"
    assert short_time(754.9) == "12:34"
    assert short_time(3729) == "1:02:09"


def test_keyboard_and_accessible_names(
    qtbot, service: StoreService, runner: TaskRunner, bank
) -> None:
    view = bank_view(qtbot, service, runner)
    for widget in (view.filter, view.tag_filter, view.table, view.copy_button,
                   view.remove_button, view.export_button, view.note, view.tags.field):  # fmt: skip
        assert widget.accessibleName()
        assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus
    view.wipe()
    assert view.model.rowCount() == 0 and view.tags.tags() == []


def _screenshot_bank(service: StoreService, folder: Path) -> None:
    """A few quotes as a study would keep them: a mother, a professional, a fieldnote."""
    lara = service.add_participant("Lara", "Mother", region="Scotland", real_name="(on file)")
    priya = service.add_participant(
        "Priya", "Third Sector Family Support Worker", region="England", kind="professional"
    )
    for person in (lara, priya):
        give_adult_consent(service, person.id)
    visit = service.add_encounter(
        "home-visit", "Home visit with Lara", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    call = service.add_encounter(
        "telephone-interview",
        "Telephone interview with the family support worker",
        on=date(2025, 4, 2),
        participant_ids=[priya.id],
    )
    home = _linked_transcript(service, visit.id, folder, SEGMENTS, "Lara", lara.id)
    phone = _linked_transcript(service, call.id, folder, PHONE, "Priya", priya.id)
    quotes = service.quotes
    quotes.save(quotes.from_segments([home[3]]), tags=["pharmacy", "routines"])
    quotes.save(
        quotes.from_segments([home[7], home[9]]),
        tags=["surveillance", "stigma"],
        note="Compare the park walk: being watched as care and as threat",
    )
    quotes.save(quotes.from_segments([home[5]]), tags=["family", "support"])
    quotes.save(quotes.from_segments([phone[1]]), tags=["waiting lists", "support"])
    note = service.add_note(visit.id, FIELDNOTE, title="Kitchen table, morning visit")
    start = FIELDNOTE.index("the hardest")
    quotes.save(quotes.from_note(note.id, start, start + len(FIELDNOTE_QUOTE)), tags=["stigma"])


def _linked_transcript(
    service: StoreService, encounter_id: str, folder: Path, segments, label: str, pid: str
) -> list[str]:
    rid = make_recording(service, encounter_id, folder, max(s.end for s in segments))
    tid = make_transcript(service, rid, segments, ["Interviewer", label])
    transcript = service.transcripts.get(tid)
    speaker = next(s for s in transcript.speakers if s.label == label)
    service.transcripts.update_speaker(speaker.id, participant_id=pid)
    return [s.id for s in transcript.segments]


PHONE = (
    Seg(0.0, 5.0, "How long are families waiting for support at the moment?", speaker=0),
    Seg(5.0, 19.0, "Eighteen months, sometimes more. By the time we get to them the baby's "
        "at nursery and the crisis has been and gone.", speaker=1),
)  # fmt: skip
FIELDNOTE_QUOTE = "the hardest thing is being judged before she opens her mouth"
FIELDNOTE = (
    "We sat at the kitchen table; she made tea and talked about the pharmacy changing her "
    f"pick-up time. She said {FIELDNOTE_QUOTE}. Left at 11:40."
)


@pytest.mark.skipif(
    os.environ.get("RELATIONS_SCREENSHOTS") != "1", reason="screenshots: RELATIONS_SCREENSHOTS=1"
)
def test_quote_bank_screenshot(
    qtbot, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    _screenshot_bank(service, tmp_path)
    window = QMainWindow()
    qtbot.addWidget(window)
    view = QuoteBankView(service, runner)
    window.setCentralWidget(view)
    window.setWindowTitle("Relations Desktop — Quote bank")
    window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    view.refresh()
    runner.wait_idle()
    assert view.model.rowCount() == 5
    select(view, 1)
    qtbot.wait(50)
    DOCS.mkdir(parents=True, exist_ok=True)
    _save(window, DOCS, "quote-bank.png")
