"""Team → Inbox on real stores: a researcher (Ann, a second store on the same roster)
seals bundles into the watched team folder; the team's store lists them, opens them
(the session appears), refuses a damaged copy with its reason and changes nothing, and
shows a conflict field by field until a button decides it."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QWidget
from sqlalchemy import text

from relations_desktop.core.services import StoreService
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views import inbox as inbox_module
from relations_desktop.ui.views import inbox_files
from relations_desktop.ui.views.inbox import SETTING, STEPS, InboxView
from relations_desktop.ui.views.team_page import INBOX_TAB, TeamPage
from relations_desktop.ui.workspace import SESSIONS, TEAM
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.ui.conftest import WindowFactory
from tests.ui.transcript_data import make_recording

SLOW_MS = 30_000  # the first identifier scan in a process loads the language model


@pytest.fixture
def ann(service: StoreService, tmp_path: Path) -> Iterator[StoreService]:
    """A researcher in the field, on one roster with the team's store (``service``)."""
    with StoreService.create(tmp_path / "ann", PASSPHRASE, researcher_name="Ann") as store:
        team_keys, ann_keys = service.team.my_keys(), store.team.my_keys()
        service.team.add_me(role="pi")
        service.team.add_member(
            "Ann", ann_keys.age_recipient, signing_key=ann_keys.signing_public_key
        )
        store.team.add_me()
        store.team.add_member(
            "Team", team_keys.age_recipient, signing_key=team_keys.signing_public_key
        )
        yield store


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "team-folder"
    path.mkdir()
    return path


def visit(store: StoreService, title: str = "Kitchen visit") -> str:
    encounter = store.add_encounter("home-visit", title, on=date(2025, 3, 12))
    store.add_note(encounter.id, "We had tea at the kitchen table and talked about the weather.")
    return encounter.id


def seal(store: StoreService, out: Path, **kw: object) -> Path:
    store.bundles.seal(out, **kw)  # type: ignore[arg-type]
    return out


def inbox_of(window: MainWindow, folder: Path) -> InboxView:
    workspace = window.workspace
    assert workspace is not None
    workspace.show_page(TEAM)
    page: TeamPage = workspace.team
    page.show_tab(INBOX_TAB)
    view = page.inbox
    assert isinstance(view, InboxView)
    view.choose_folder = lambda _parent: str(folder)
    window.runner.wait_idle()
    return view


def states(view: InboxView) -> dict[str, str]:
    return {Path(r.file.path).name: r.state for r in view.file_model.records()}


def table_rows(store: StoreService) -> dict[str, int]:
    with store._session() as session:
        names = session.execute(
            text("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        ).scalars()
        return {n: session.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


def test_a_bundle_in_the_watched_folder_is_listed_opened_and_merged(
    qtbot, make_window: WindowFactory, service: StoreService, ann: StoreService, folder: Path,
) -> None:  # fmt: skip
    visit(ann)
    window = make_window()
    view = inbox_of(window, folder)
    assert "No team folder chosen" in view.folder_label.text()
    assert view.file_model.rowCount() == 0
    view.choose_button.click()
    window.runner.wait_idle()
    assert service.get_setting(SETTING) == str(folder)
    assert view.folder_label.text() == str(folder)

    seal(ann, folder / "ann-1.age")  # arrives while the view watches the folder
    qtbot.waitUntil(lambda: states(view) == {"ann-1.age": "New"}, timeout=SLOW_MS)
    assert view.open_new_button.isEnabled() and not view.open_button.isEnabled()
    statuses: list[str] = []
    view.status_message.connect(statuses.append)
    view.open_new_button.click()
    received = view.received
    qtbot.waitUntil(lambda: not view.current and received.model.rowCount() == 1, timeout=SLOW_MS)
    window.runner.wait_idle()
    assert states(view)["ann-1.age"].startswith("Opened")
    assert [e.title for e in service.list_encounters()] == ["Kitchen visit"]
    model = received.model
    row = {model.headerData(c, Qt.Orientation.Horizontal): model.index(0, c).data()
           for c in range(model.columnCount())}  # fmt: skip
    assert row["From"] == "Ann" and row["Signer"] == "Ann"
    assert "2 added" in row["What merged"]
    assert statuses and statuses[-1].startswith("Opened the bundle from Ann: 2 added")
    assert not view.open_new_button.isEnabled()

    # a new view (after a lock, say) knows the file was opened from its SHA-256
    view.wipe()
    view.refresh()
    window.runner.wait_idle()
    assert states(view) == {"ann-1.age": "Opened"}
    window.workspace.show_page(SESSIONS)
    window.runner.wait_idle()
    sessions = window.workspace.sessions
    assert "Kitchen visit" in [str(r.title) for r in sessions.model.records()]


def test_a_flipped_byte_is_refused_with_its_reason_and_nothing_changes(
    qtbot, make_window: WindowFactory, service: StoreService, ann: StoreService, folder: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    visit(ann)
    good = seal(ann, tmp_path / "ann-1.age")
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0x40
    (folder / "ann-1-damaged.age").write_bytes(bytes(data))
    service.set_setting(SETTING, str(folder))
    before = table_rows(service)
    window = make_window()
    view = inbox_of(window, folder)
    assert states(view) == {"ann-1-damaged.age": "New"}
    view.file_table.selectRow(0)
    view.open_button.click()
    qtbot.waitUntil(lambda: not view.current and not view.queue, timeout=SLOW_MS)
    window.runner.wait_idle()
    state = states(view)["ann-1-damaged.age"]
    assert state.startswith("Refused: it is damaged or truncated")
    assert state.endswith("Nothing was written.")
    assert "\n" not in state
    assert table_rows(service) == before and service.list_encounters() == []
    assert not view.open_new_button.isEnabled()  # refused is not new

    # a damaged file from elsewhere: the reason in the message line
    view.choose_file = lambda _parent: str(folder / "ann-1-damaged.age")
    outside = tmp_path / "elsewhere.age"
    outside.write_bytes(bytes(data))
    view.choose_file = lambda _parent: str(outside)
    view.open_file_button.click()
    qtbot.waitUntil(lambda: not view.current, timeout=SLOW_MS)
    window.runner.wait_idle()
    assert "elsewhere.age: Bundle refused:" in view.message.text()
    assert table_rows(service) == before

    # the good copy from elsewhere opens
    view.choose_file = lambda _parent: str(good)
    view.open_file_button.click()
    qtbot.waitUntil(lambda: service.list_encounters() != [], timeout=SLOW_MS)


def test_a_conflict_is_shown_field_by_field_and_decided_with_a_button(
    qtbot, make_window: WindowFactory, service: StoreService, ann: StoreService, folder: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    encounter = visit(ann)
    service.bundles.open(seal(ann, tmp_path / "ann-1.age"))
    service.update_encounter(encounter, title="Kitchen visit (team)")
    ann.update_encounter(encounter, summary="A quiet morning.")
    seal(ann, folder / "ann-2.age")
    service.set_setting(SETTING, str(folder))
    window = make_window()
    view = inbox_of(window, folder)
    conflicts = view.conflicts
    assert conflicts.model.rowCount() == 0 and "none waiting" in conflicts.count_label.text()
    view.open_new_button.click()
    qtbot.waitUntil(lambda: conflicts.model.rowCount() == 1, timeout=SLOW_MS)
    window.runner.wait_idle()
    assert "1 conflict" in states(view)["ann-2.age"]
    assert [conflicts.model.index(0, c).data() for c in range(3)] == [
        "Session", "Kitchen visit (team)", "Ann",
    ]  # fmt: skip
    assert conflicts.selected() is not None  # the first open one is shown at once
    rows = {
        conflicts.differences.item(r, 0).text(): (
            conflicts.differences.item(r, 1).text(),
            conflicts.differences.item(r, 2).text(),
        )
        for r in range(conflicts.differences.rowCount())
    }
    assert rows == {
        "Title": ("Kitchen visit (team)", "Kitchen visit"),
        "Summary": ("(empty)", "A quiet morning."),
    }
    assert conflicts.keep_ours.isEnabled() and conflicts.take_theirs.isEnabled()
    conflicts.take_theirs.click()
    window.runner.wait_idle()
    changed = service.get_encounter(encounter)
    assert (changed.title, changed.summary) == ("Kitchen visit", "A quiet morning.")
    assert conflicts.model.rowCount() == 0 and "Kept their version" in conflicts.message.text()
    conflicts.show_decided.setChecked(True)
    window.runner.wait_idle()
    assert conflicts.model.rowCount() == 1
    assert conflicts.model.index(0, 3).data() == "Took theirs"
    assert not conflicts.keep_ours.isEnabled() and not conflicts.take_theirs.isEnabled()
    assert conflicts.detail.text().startswith("Took theirs on ")


def test_keep_ours(
    qtbot, make_window: WindowFactory, service: StoreService, ann: StoreService, tmp_path: Path,
    folder: Path,
) -> None:  # fmt: skip
    encounter = visit(ann)
    service.bundles.open(seal(ann, tmp_path / "ann-1.age"))
    service.update_encounter(encounter, title="Kitchen visit (team)")
    ann.update_encounter(encounter, title="Kitchen visit again")
    service.bundles.open(seal(ann, tmp_path / "ann-2.age"))
    window = make_window()
    conflicts = inbox_of(window, folder).conflicts
    assert conflicts.model.rowCount() == 1
    conflicts.keep_ours.click()
    window.runner.wait_idle()
    assert service.get_encounter(encounter).title == "Kitchen visit (team)"
    assert service.inbox.conflicts() == [] and conflicts.model.rowCount() == 0


def test_cancel_stops_the_bundle_being_opened_and_the_rest_and_hashing_is_off_the_gui_thread(
    qtbot, make_window: WindowFactory, service: StoreService, ann: StoreService, folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    threads: list[bool] = []
    real_hash = inbox_files.file_hash

    def spy(path: Path) -> str:
        threads.append(threading.current_thread() is threading.main_thread())
        return real_hash(path)

    monkeypatch.setattr(inbox_files, "file_hash", spy)
    visit(ann, "First visit")
    seal(ann, folder / "a.age")
    visit(ann, "Second visit")
    seal(ann, folder / "b.age", since_last=True)
    service.set_setting(SETTING, str(folder))
    window = make_window()
    runner: TaskRunner = window.runner
    view = inbox_of(window, folder)
    assert states(view) == {"a.age": "New", "b.age": "New"}
    assert threads == [False, False]
    gate = threading.Event()
    runner.submit(gate.wait, 10)
    view.open_new_button.click()
    assert view.cancel_button.isVisible() and view.progress.isVisible()
    assert states(view) == {"a.age": "Opening…", "b.age": "Waiting…"}
    before = table_rows(service)
    view.cancel_button.click()  # before a.age's turn came: it is stopped at once
    gate.set()
    qtbot.waitUntil(lambda: not view.cancel_button.isVisible(), timeout=SLOW_MS)
    runner.wait_idle()
    assert view.message.text() == "Cancelled: a.age was not merged; 1 more bundle(s) not opened."
    assert service.list_encounters() == [] and table_rows(service) == before
    assert states(view) == {"a.age": "New", "b.age": "New"}  # not refused: still new
    assert threads == [False, False]  # known files are not hashed again
    view.open_new_button.click()
    qtbot.waitUntil(lambda: len(service.list_encounters()) == 2, timeout=SLOW_MS)


def test_cancel_within_a_bundle_with_audio_merges_nothing(
    qtbot, make_window: WindowFactory, service: StoreService, ann: StoreService, folder: Path,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The progress bar follows the bundle's file as it is read; Cancel half-way stops
    it there: nothing merged, the bundle still new, and it opens afterwards."""
    person = ann.add_participant("Lara", "Mother").id
    give_adult_consent(ann, person)
    encounter = ann.add_encounter("home-visit", "Kitchen visit", participant_ids=[person]).id
    make_recording(ann, encounter, tmp_path, seconds=40.0)
    seal(ann, folder / "with-audio.age", with_audio=True)
    service.set_setting(SETTING, str(folder))
    reached, gate = threading.Event(), threading.Event()
    real_open = inbox_module.open_bundle

    def held_half_way(store: StoreService, path: str, progress: Any, cancelled: Any) -> Any:
        def report(share: float) -> None:
            progress(share)
            if share >= 0.3 and not reached.is_set():
                reached.set()
                gate.wait(10)  # the worker waits here until the test has pressed Cancel

        return real_open(store, path, report, cancelled)

    monkeypatch.setattr(inbox_module, "open_bundle", held_half_way)
    window = make_window()
    view = inbox_of(window, folder)
    before = table_rows(service)
    view.open_new_button.click()
    qtbot.waitUntil(lambda: reached.is_set() and view.progress.value() >= 300, timeout=SLOW_MS)
    assert view.progress.value() < view.progress.maximum() == STEPS
    assert states(view) == {"with-audio.age": "Opening…"} and view.cancel_button.isEnabled()
    view.cancel_button.click()
    assert "not merged" in view.message.text() and not view.cancel_button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: not view.cancel_button.isVisible(), timeout=SLOW_MS)
    window.runner.wait_idle()
    assert view.message.text() == "Cancelled: with-audio.age was not merged."
    assert states(view) == {"with-audio.age": "New"} and not view.progress.isVisible()
    assert table_rows(service) == before and service.list_encounters() == []

    view.open_new_button.click()  # the held worker was released: it opens in full now
    qtbot.waitUntil(lambda: not view.current and service.list_encounters() != [], timeout=SLOW_MS)
    window.runner.wait_idle()
    assert states(view)["with-audio.age"].startswith("Opened")
    assert [e.title for e in service.list_encounters()] == ["Kitchen visit"]


def test_locking_while_a_bundle_is_opened_stops_it(
    qtbot, make_window: WindowFactory, service: StoreService, ann: StoreService, folder: Path,
) -> None:  # fmt: skip
    visit(ann)
    seal(ann, folder / "a.age")
    service.set_setting(SETTING, str(folder))
    window = make_window()
    runner: TaskRunner = window.runner
    view = inbox_of(window, folder)
    gate = threading.Event()
    runner.submit(gate.wait, 10)
    view.open_new_button.click()
    event = view.cancel_event
    assert event is not None and not event.is_set()
    view.flush()  # what the window does before it locks
    assert event.is_set()
    gate.set()
    runner.wait_idle()
    assert service.list_encounters() == []


def test_buttons_are_named_and_reachable(
    qtbot, make_window: WindowFactory, service: StoreService, folder: Path
) -> None:
    window = make_window()
    view = inbox_of(window, folder)
    roots: list[QWidget] = [view]
    for root in roots:
        for button in root.findChildren(QAbstractButton):
            if button.isVisibleTo(root):
                assert button.accessibleName(), button.text()
                assert button.focusPolicy() & Qt.FocusPolicy.TabFocus, button.text()
    for table in (view.file_table, view.received.table, view.conflicts.table):
        assert table.accessibleName()
    assert view.conflicts.differences.accessibleName()


def test_copying_a_folder_in_lists_every_bundle(
    qtbot, make_window: WindowFactory, service: StoreService, ann: StoreService, folder: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    visit(ann)
    bundle = seal(ann, tmp_path / "ann-1.age")
    service.set_setting(SETTING, str(folder))
    window = make_window()
    view = inbox_of(window, folder)
    assert states(view) == {}
    (folder / ".partial.age").write_bytes(b"half")  # a transfer under way: not listed
    shutil.copy(bundle, folder / "ann-1.age")
    qtbot.waitUntil(lambda: states(view) == {"ann-1.age": "New"}, timeout=SLOW_MS)
