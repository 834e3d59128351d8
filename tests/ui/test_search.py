"""Search: hits with escaped, highlighted snippets; double-click opens the note."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.search import HIT_ROLE, snippet_html
from relations_desktop.ui.widgets.html_delegate import HTML_ROLE
from relations_desktop.ui.workspace import SEARCH, SESSIONS
from tests.ui.conftest import WindowFactory


def test_search_shows_a_hit_and_opens_the_note(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    other = service.add_encounter("case-conference", "Case conference")
    target = service.add_note(other.id, "The <b>social worker</b> raised the methadone dose.")
    service.add_note(sample["visit"], "Nothing about that here.")
    window = make_window()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    view = window.workspace.search
    assert window.workspace.current_page == SEARCH
    assert view.query.hasFocus()

    qtbot.keyClicks(view.query, "methadone")
    qtbot.keyClick(view.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.results.count() == 1, timeout=3000)
    assert view.count_label.text().startswith("1 result")
    html_text = view.results.item(0).data(HTML_ROLE)
    assert "Case conference" in html_text
    assert "<b " in html_text and ">methadone</b>" in html_text
    assert "&lt;b&gt;social worker&lt;/b&gt;" in html_text  # stored text is escaped

    index = view.results.model().index(0, 0)
    rect = view.results.visualRect(index)
    # A real double-click starts with a press: the view needs it to know the item.
    QTest.mouseClick(view.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(view.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    sessions = window.workspace.sessions
    assert window.workspace.current_page == SESSIONS
    qtbot.waitUntil(
        lambda: sessions.note_editor.note is not None and sessions.note_editor.note.id == target.id,
        timeout=3000,
    )
    assert sessions.current is not None and sessions.current.id == other.id
    assert "methadone dose" in sessions.note_editor.body.toPlainText()


def test_search_filters_and_nothing_found(
    qtbot, make_window: WindowFactory, runner: TaskRunner, sample
) -> None:
    window = make_window()
    window.workspace.show_page(SEARCH)
    view = window.workspace.search
    runner.wait_idle()
    assert view.participant_filter.count() == 3  # "Any" + the two participants
    view.query.setText("tea")
    view.type_filter.setCurrentIndex(view.type_filter.findData("case-conference"))
    view.run_search()
    runner.wait_idle()
    assert view.results.count() == 0 and view.count_label.text() == "Nothing found."
    view.type_filter.setCurrentIndex(0)
    view.participant_filter.setCurrentIndex(view.participant_filter.findData(sample["lara"]))
    view.run_search()
    runner.wait_idle()
    assert view.results.count() == 1


def test_snippet_html_escapes_and_marks() -> None:
    from datetime import date

    from relations_desktop.core.records import SearchHit

    hit = SearchHit(
        "fieldnote",
        "n",
        "e",
        "T",
        "home-visit",
        date(2025, 1, 1),
        "",
        [("a <script>", False), ("x&y", True)],
        0.0,
    )
    out = snippet_html(hit)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert out.endswith(">x&amp;y</b>")


def test_a_transcript_hit_opens_the_editor_at_that_segment(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample, tmp_path
) -> None:
    from relations_desktop.ui.workspace import TRANSCRIPT
    from tests.ui.transcript_data import Seg, make_recording, make_transcript

    recording_id = make_recording(service, sample["visit"], tmp_path, seconds=20.0)
    make_transcript(
        service,
        recording_id,
        [
            Seg(0.0, 4.0, "Thanks for having me round again."),
            Seg(4.0, 9.0, "The pharmacy moved my pick-up to nine."),
            Seg(9.0, 14.0, "Kinship care came up at the hearing."),
        ],
    )
    window = make_window()
    view = window.workspace.search
    window.workspace.focus_search()
    qtbot.keyClicks(view.query, "kinship")
    qtbot.keyClick(view.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.results.count() == 1, timeout=3000)
    hit = view.results.item(0).data(HIT_ROLE)
    assert hit.kind == "segment" and hit.recording_id == recording_id and hit.seconds == 9.0
    rect = view.results.visualRect(view.results.model().index(0, 0))
    QTest.mouseClick(view.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(view.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = window.workspace.transcript
    assert window.workspace.current_page == TRANSCRIPT
    qtbot.waitUntil(lambda: editor.transcript is not None, timeout=5000)
    row = editor.table.currentIndex().row()
    assert editor.model.row_of(hit.ref_id) == row
