"""Search filters: notes or transcripts, session type, site, participant, date range."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.search import SearchView
from relations_desktop.ui.widgets.html_delegate import HTML_ROLE
from relations_desktop.ui.workspace import SEARCH, SESSIONS
from tests.consent_data import give_adult_consent
from tests.ui.conftest import WindowFactory
from tests.ui.transcript_data import Seg, make_recording, make_transcript


@pytest.fixture
def corpus(service: StoreService, tmp_path: Path) -> dict[str, str]:
    """Two sites, two sessions a month apart, notes and a transcript that say "methadone"."""
    riverside = service.register.add_site("Riverside Recovery Service", "drug-treatment")
    northfield = service.register.add_site("Northfield Family Centre", "family-support")
    lara = service.add_participant("Lara", "Mother", region="Scotland")
    nurse = service.add_participant("Morag", "Substance Use Nurse", kind="professional")
    visit = service.add_encounter(
        "home-visit",
        "Home visit with Lara",
        on=date(2025, 3, 12),
        participant_ids=[lara.id],
        site_id=northfield.id,
    )
    clinic = service.add_encounter(
        "clinic-visit",
        "Clinic with the nurse",
        on=date(2025, 4, 20),
        participant_ids=[nurse.id],
        site_id=riverside.id,
    )
    home_note = service.add_note(visit.id, "Lara keeps the methadone in a locked box.")
    clinic_note = service.add_note(clinic.id, "The methadone dose was reviewed today.")
    give_adult_consent(service, lara.id)
    recording = make_recording(service, visit.id, tmp_path, seconds=12.0)
    make_transcript(service, recording, [Seg(0.0, 5.0, "I pick up my methadone before nursery.")])
    return {
        "riverside": riverside.id,
        "northfield": northfield.id,
        "lara": lara.id,
        "nurse": nurse.id,
        "home_note": home_note.id,
        "clinic_note": clinic_note.id,
    }


def _view(qtbot, window, runner: TaskRunner) -> SearchView:
    window.workspace.show_page(SEARCH)
    runner.wait_idle()
    view = window.workspace.search
    view.query.setText("methadone")
    return view


def _search(view: SearchView, runner: TaskRunner) -> list[tuple[str, str]]:
    view.run_search()
    runner.wait_idle()
    return sorted((hit.kind, hit.encounter_title) for hit in view.hits)


def _choose(combo, value) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


ALL = [
    ("fieldnote", "Clinic with the nurse"),
    ("fieldnote", "Home visit with Lara"),
    ("segment", "Home visit with Lara"),
]


def test_kind_filter_notes_or_transcripts(
    qtbot, make_window: WindowFactory, runner: TaskRunner, corpus
) -> None:
    view = _view(qtbot, make_window(), runner)
    assert _search(view, runner) == ALL
    _choose(view.kind_filter, "fieldnote")
    assert _search(view, runner) == ALL[:2]
    assert all(hit.kind == "fieldnote" for hit in view.hits)
    _choose(view.kind_filter, "segment")
    assert _search(view, runner) == [("segment", "Home visit with Lara")]
    assert "Transcript · Home visit" in view.results.item(0).data(HTML_ROLE)


def test_site_filter(qtbot, make_window: WindowFactory, runner: TaskRunner, corpus) -> None:
    view = _view(qtbot, make_window(), runner)
    names = [view.site_filter.itemText(i) for i in range(view.site_filter.count())]
    assert names == ["Any site", "Northfield Family Centre", "Riverside Recovery Service"]
    _choose(view.site_filter, corpus["riverside"])
    assert _search(view, runner) == [("fieldnote", "Clinic with the nurse")]
    _choose(view.site_filter, corpus["northfield"])
    assert _search(view, runner) == ALL[1:]


def test_participant_filter(qtbot, make_window: WindowFactory, runner: TaskRunner, corpus) -> None:
    view = _view(qtbot, make_window(), runner)
    _choose(view.participant_filter, corpus["nurse"])
    assert _search(view, runner) == [("fieldnote", "Clinic with the nurse")]
    _choose(view.participant_filter, corpus["lara"])
    assert _search(view, runner) == ALL[1:]


def test_date_range(qtbot, make_window: WindowFactory, runner: TaskRunner, corpus) -> None:
    view = _view(qtbot, make_window(), runner)
    view.from_check.setChecked(True)
    view.from_date.setDate(QDate(2025, 4, 1))
    assert _search(view, runner) == [("fieldnote", "Clinic with the nurse")]
    view.from_check.setChecked(False)
    view.to_check.setChecked(True)
    view.to_date.setDate(QDate(2025, 3, 31))
    assert _search(view, runner) == ALL[1:]
    view.from_check.setChecked(True)
    view.from_date.setDate(QDate(2025, 3, 12))
    view.to_date.setDate(QDate(2025, 3, 12))  # one day, both ends included
    assert _search(view, runner) == ALL[1:]
    assert view.filters().date_from == date(2025, 3, 12) == view.filters().date_to


def test_a_backwards_date_range_is_refused_clearly(
    qtbot, make_window: WindowFactory, runner: TaskRunner, corpus
) -> None:
    view = _view(qtbot, make_window(), runner)
    assert _search(view, runner) == ALL
    view.from_check.setChecked(True)
    view.from_date.setDate(QDate(2025, 5, 1))
    view.to_check.setChecked(True)
    view.to_date.setDate(QDate(2025, 4, 1))
    view.run_search()
    assert runner.pending == 0  # nothing was asked of the store
    assert view.count_label.text() == "The “From” date is after the “To” date."
    assert view.results.count() == 3  # the last results stay


def test_filters_combine_and_clear_in_one_click(
    qtbot, make_window: WindowFactory, runner: TaskRunner, corpus
) -> None:
    view = _view(qtbot, make_window(), runner)
    _choose(view.kind_filter, "fieldnote")
    _choose(view.type_filter, "home-visit")
    _choose(view.participant_filter, corpus["lara"])
    _choose(view.site_filter, corpus["northfield"])
    view.from_check.setChecked(True)
    view.from_date.setDate(QDate(2025, 1, 1))
    assert _search(view, runner) == [("fieldnote", "Home visit with Lara")]
    _choose(view.type_filter, "clinic-visit")
    assert _search(view, runner) == []

    qtbot.mouseClick(view.clear_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    for combo in (view.kind_filter, view.type_filter, view.site_filter, view.participant_filter):
        assert combo.currentData() is None
    assert not view.from_check.isChecked() and not view.to_check.isChecked()
    assert view.filters() == type(view.filters())()
    assert sorted((h.kind, h.encounter_title) for h in view.hits) == ALL  # searched again


def test_enter_in_a_filter_runs_the_search(
    qtbot, make_window: WindowFactory, runner: TaskRunner, corpus
) -> None:
    window = make_window()
    view = _view(qtbot, window, runner)
    _choose(view.site_filter, corpus["riverside"])
    view.site_filter.setFocus()
    qtbot.keyClick(view.site_filter, Qt.Key.Key_Return)
    runner.wait_idle()
    assert [h.encounter_title for h in view.hits] == ["Clinic with the nurse"]
    view.to_check.setChecked(True)
    view.to_date.setDate(QDate(2025, 3, 31))
    qtbot.keyClick(view.to_date, Qt.Key.Key_Enter)
    runner.wait_idle()
    assert view.hits == []
    assert view.count_label.text() == "Nothing found."


def test_filters_are_remembered_while_the_view_lives(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, corpus
) -> None:
    window = make_window()
    view = _view(qtbot, window, runner)
    _choose(view.kind_filter, "segment")
    _choose(view.site_filter, corpus["northfield"])
    _choose(view.participant_filter, corpus["lara"])
    service.register.add_site("Eastgate Pregnancy Service", "pregnancy-services")
    window.workspace.show_page(SESSIONS)
    window.workspace.show_page(SEARCH)  # the lists are reloaded; the choices stay
    runner.wait_idle()
    assert view.site_filter.count() == 4
    assert view.kind_filter.currentData() == "segment"
    assert view.site_filter.currentData() == corpus["northfield"]
    assert view.participant_filter.currentData() == corpus["lara"]
    assert _search(view, runner) == [("segment", "Home visit with Lara")]
