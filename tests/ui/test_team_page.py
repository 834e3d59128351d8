"""The Team page (Ctrl+9) on real stores: keys and the roster (add, remove, export and
import into a second store with the signer confirmed), and the outbox (seal into the
outbox or a file, refusals, cancel, verify)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QWidget,
)

from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.seal_bundle import CANCELLED, SealBundleDialog
from relations_desktop.ui.dialogs.team_member import AddMemberDialog, TrustSignerDialog
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.outbox import OutboxView
from relations_desktop.ui.views.team_page import INBOX_TAB, OUTBOX_TAB, TeamPage
from relations_desktop.ui.views.team_roster import TeamRosterView
from relations_desktop.ui.workspace import REVIEW, TEAM
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.ui.conftest import WindowFactory
from tests.ui.transcript_data import make_recording

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
SLOW_MS = 30_000  # the first identifier scan in a process loads the language model
OTHER_RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"


def team_page(qtbot, service: StoreService, runner: TaskRunner, **options: Any) -> TeamPage:
    page = TeamPage(service, runner)
    if options:
        page.roster.choose_open = options.get("choose_open", page.roster.choose_open)
        page.roster.choose_save = options.get("choose_save", page.roster.choose_save)
        page.outbox.choose_file = options.get("choose_file", page.outbox.choose_file)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    page.refresh()
    runner.wait_idle()
    return page


def column_texts(view: TeamRosterView | OutboxView, column: int) -> list[str]:
    model = view.model
    return [str(model.index(row, column).data()) for row in range(model.rowCount())]


def header_column(view: OutboxView, title: str) -> int:
    model = view.model
    return next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == title
    )


def click_dialog_button(dialog: QDialog | QMessageBox, text: str) -> None:
    button = next(b for b in dialog.findChildren(QAbstractButton) if b.text() == text)
    button.click()


def closed(dialog: QDialog) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def fake_chooser(path: Path | None) -> Callable[..., str | None]:
    return lambda *_args: str(path) if path is not None else None


def clean_session(service: StoreService, title: str = "Home visit") -> str:
    visit = service.add_encounter("home-visit", title, on=date(2025, 3, 12))
    service.add_note(visit.id, "We had tea at the kitchen table and talked about the weather.")
    return visit.id


# ------------------------------------------------------------------ keys and roster
def test_keys_and_roster_show_me_marked(qtbot, service: StoreService, runner: TaskRunner) -> None:
    service.team.add_me(role="pi")
    service.team.add_member("Mo", OTHER_RECIPIENT)
    keys = service.team.my_keys()
    page = team_page(qtbot, service, runner)
    roster = page.roster
    assert roster.recipient.text() == keys.age_recipient
    assert roster.signing_key.text() == keys.signing_public_key
    assert roster.key_id.text() == keys.signing_key_id
    assert sorted(column_texts(roster, 0)) == ["Mo", "Test Researcher (you)"]
    me = roster.model.row_of(lambda m: m.is_me)
    assert roster.model.index(me, 1).data() == "Principal investigator"
    # The recipient is abbreviated in the table, whole in its tooltip.
    cell = roster.model.index(me, 2)
    assert cell.data() != keys.age_recipient and "…" in cell.data()
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == keys.age_recipient
    assert roster.model.index(me, 3).data() == keys.signing_key_id
    assert not roster.add_me_button.isVisible()  # already on the roster

    roster.copy_recipient.click()
    assert QGuiApplication.clipboard().text() == keys.age_recipient
    roster.copy_signing.click()
    assert QGuiApplication.clipboard().text() == keys.signing_public_key


def test_add_member_validation_and_add(qtbot, service: StoreService, runner: TaskRunner) -> None:
    page = team_page(qtbot, service, runner)
    roster = page.roster
    assert roster.model.rowCount() == 0 and roster.add_me_button.isVisible()
    roster.add_button.click()
    dialog = roster.member_dialog
    assert isinstance(dialog, AddMemberDialog) and dialog.isVisible()

    dialog.name.setText("Mo")
    dialog.recipient.setText("age1notarecipient")
    dialog.add_button.click()
    runner.wait_idle()
    assert dialog.isVisible() and dialog.message.isVisible()
    assert "Not an age X25519 recipient" in dialog.message.text()
    assert service.team.list_members() == []

    dialog.recipient.setText(OTHER_RECIPIENT)
    dialog.pi.setChecked(True)
    dialog.add_button.click()  # a PI without a signing key
    assert "needs a signing key" in dialog.message.text()
    dialog.signing_key.setText("RWnot-a-key")
    dialog.add_button.click()
    runner.wait_idle()
    assert "Not a minisign public key" in dialog.message.text()
    assert service.team.list_members() == []

    dialog.pi.setChecked(False)
    dialog.signing_key.clear()
    dialog.add_button.click()
    runner.wait_idle()
    assert [m.name for m in service.team.list_members()] == ["Mo"]
    assert column_texts(roster, 0) == ["Mo"]
    assert "Mo is on the team roster" in roster.message.text()

    # The same recipient twice: refused, nothing added.
    roster.add_button.click()
    again = roster.member_dialog
    assert again is not None and again is not dialog
    again.name.setText("Someone else")
    again.recipient.setText(OTHER_RECIPIENT)
    again.add_button.click()
    runner.wait_idle()
    assert "already has the recipient" in again.message.text()
    assert len(service.team.list_members()) == 1
    again.reject()


def test_add_yourself_as_pi(qtbot, service: StoreService, runner: TaskRunner) -> None:
    page = team_page(qtbot, service, runner)
    roster = page.roster
    roster.add_me_button.click()
    dialog = roster.member_dialog
    assert dialog is not None
    keys = service.team.my_keys()
    assert dialog.name.text() == "Test Researcher"
    assert dialog.recipient.text() == keys.age_recipient and dialog.recipient.isReadOnly()
    assert dialog.signing_key.text() == keys.signing_public_key
    dialog.pi.setChecked(True)
    dialog.add_button.click()
    runner.wait_idle()
    (me,) = service.team.list_members()
    assert me.is_me and me.role == "pi"
    assert column_texts(roster, 0) == ["Test Researcher (you)"]
    assert not roster.add_me_button.isVisible()


def test_remove_asks_first(qtbot, service: StoreService, runner: TaskRunner) -> None:
    service.team.add_member("Mo", OTHER_RECIPIENT)
    roster = team_page(qtbot, service, runner).roster
    assert not roster.remove_button.isEnabled()
    roster.table.selectRow(0)
    assert roster.remove_button.isEnabled()
    roster.remove_button.click()
    prompt = roster.remove_prompt
    assert prompt is not None and "Remove Mo" in prompt.text()
    click_dialog_button(prompt, "Keep")
    runner.wait_idle()
    assert len(service.team.list_members()) == 1
    roster.remove_button.click()
    assert roster.remove_prompt is not None
    click_dialog_button(roster.remove_prompt, "Remove")
    runner.wait_idle()
    assert service.team.list_members() == []
    assert roster.model.rowCount() == 0


def test_export_then_import_into_a_second_store(
    qtbot, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    roster_file = tmp_path / "out" / "roster.json"
    roster_file.parent.mkdir()
    # Not a PI on the roster: export refused, in the page.
    page = team_page(qtbot, service, runner, choose_save=fake_chooser(roster_file))
    page.roster.export_button.click()
    runner.wait_idle()
    assert "Only a principal investigator" in page.roster.message.text()
    assert not roster_file.exists()

    service.team.add_me(role="pi")
    service.team.add_member("Mo", OTHER_RECIPIENT)
    page.roster.export_button.click()
    runner.wait_idle()
    assert roster_file.exists() and roster_file.with_name("roster.json.minisig").exists()
    assert "Send both files" in page.roster.message.text()
    pi_key = service.team.my_keys()

    with StoreService.create(tmp_path / "team", PASSPHRASE, researcher_name="Mo") as other:
        view = team_page(qtbot, other, runner, choose_open=fake_chooser(roster_file)).roster
        # A tampered copy: refused, nothing imported (the signer is confirmed first).
        tampered = tmp_path / "tampered.json"
        tampered.write_bytes(roster_file.read_bytes().replace(b'"Mo"', b'"Mx"'))
        tampered.with_name("tampered.json.minisig").write_bytes(
            roster_file.with_name("roster.json.minisig").read_bytes()
        )
        view.choose_open = fake_chooser(tampered)
        view.import_button.click()
        runner.wait_idle()
        trust = view.import_job.trust_dialog if view.import_job else None
        assert isinstance(trust, TrustSignerDialog) and trust.isVisible()
        trust.key.setText(pi_key.signing_public_key)
        trust.trust_button.click()
        runner.wait_idle()
        assert "does not match the file" in view.message.text()
        assert other.team.list_members() == []

        # The real one: who signed it is shown; a wrong key is refused.
        view.choose_open = fake_chooser(roster_file)
        view.import_button.click()
        runner.wait_idle()
        assert view.import_job is not None
        trust = view.import_job.trust_dialog
        assert trust is not None
        assert "Test Researcher" in trust.text.text() and pi_key.signing_key_id in trust.text.text()
        trust.trust_button.click()  # empty: asked again, not closed
        assert trust.isVisible() and "Paste" in trust.message.text()
        trust.key.setText(other.team.my_keys().signing_public_key)
        trust.trust_button.click()
        runner.wait_idle()
        assert "is not the one that signed it" in view.message.text()
        assert other.team.list_members() == []

        view.import_button.click()
        runner.wait_idle()
        assert view.import_job is not None and view.import_job.trust_dialog is not None
        view.import_job.trust_dialog.key.setText(pi_key.signing_public_key)
        view.import_job.trust_dialog.trust_button.click()
        runner.wait_idle()
        assert "Imported the roster signed by Test Researcher" in view.message.text()
        assert sorted(column_texts(view, 0)) == ["Mo", "Test Researcher"]  # not Mo's keys
        assert {m.name for m in other.team.list_members()} == {"Mo", "Test Researcher"}

        # Now the PI is trusted: a newer roster imports without asking.
        page.roster.export_button.click()
        runner.wait_idle()
        view.import_button.click()
        runner.wait_idle()
        assert view.import_job is not None and view.import_job.trust_dialog is None
        assert "Imported the roster" in view.message.text()


# ---------------------------------------------------------------------- outbox
def test_seal_into_the_outbox(qtbot, service: StoreService, runner: TaskRunner) -> None:
    service.team.add_me(role="pi")
    clean_session(service)
    page = team_page(qtbot, service, runner)
    page.show_tab(OUTBOX_TAB)
    runner.wait_idle()
    outbox = page.outbox
    assert outbox.model.rowCount() == 0
    outbox.seal_button.click()
    dialog = outbox.seal_dialog
    assert isinstance(dialog, SealBundleDialog) and dialog.isVisible()
    runner.wait_idle()
    assert dialog.sessions.count() == 1 and not dialog.sessions.isEnabled()
    assert not dialog.audio_warning.isVisible()
    dialog.with_audio.setChecked(True)
    assert dialog.audio_warning.isVisible() and "cannot be pseudonymised" in (
        dialog.audio_warning.text()
    )
    dialog.with_audio.setChecked(False)
    dialog.seal_button.click()
    qtbot.waitUntil(lambda: outbox.model.rowCount() == 1, timeout=SLOW_MS)
    assert closed(dialog)
    (record,) = service.bundles.outbox()
    assert record.in_outbox and Path(record.path).is_file()
    assert Path(record.path).parent == service.bundles.outbox_dir
    row = {outbox.model.headerData(c, Qt.Orientation.Horizontal): outbox.model.index(0, c).data()
           for c in range(outbox.model.columnCount())}  # fmt: skip
    assert row["Sessions"] == "1" and row["Notes"] == "1" and row["Transcripts"] == "0"
    assert row["Audio"] == "No" and row["Where"] == "Outbox" and row["Delivery"] == "–"
    assert "Sealed a bundle" in outbox.message.text()
    outbox.set_delivery({record.bundle_id: "Sent to team folder"})
    assert outbox.model.index(0, header_column(outbox, "Delivery")).data() == (
        "Sent to team folder"
    )

    # Nothing changed since: an information message, nothing sealed.
    outbox.seal_button.click()
    dialog = outbox.seal_dialog
    assert dialog is not None
    runner.wait_idle()
    dialog.scope_changed.setChecked(True)
    dialog.seal_button.click()
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=SLOW_MS)
    assert dialog.message.property("tone") == "info"
    assert "Nothing has changed since the last bundle" in dialog.message.text()
    assert dialog.isVisible() and len(service.bundles.outbox()) == 1
    dialog.reject()


def test_seal_chosen_sessions_to_a_file_and_verify(
    qtbot, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    service.team.add_me(role="pi")
    first = clean_session(service, "Home visit")
    clean_session(service, "Park walk")
    target = tmp_path / "elsewhere" / "for-the-team"
    target.parent.mkdir()
    page = team_page(qtbot, service, runner, choose_file=fake_chooser(target))
    page.show_tab(OUTBOX_TAB)
    outbox = page.outbox
    outbox.seal()
    dialog = outbox.seal_dialog
    assert dialog is not None
    runner.wait_idle()
    dialog.scope_chosen.setChecked(True)
    assert dialog.sessions.isEnabled() and not dialog.seal_button.isEnabled()  # none ticked
    dialog.check_sessions([first])
    assert dialog.seal_button.isEnabled()
    dialog.to_file.setChecked(True)
    dialog.seal_button.click()  # asks where, then seals
    qtbot.waitUntil(lambda: outbox.model.rowCount() == 1, timeout=SLOW_MS)
    written = target.with_suffix(".age")
    assert written.is_file()
    (record,) = service.bundles.outbox()
    assert not record.in_outbox and record.counts["encounters"] == 1
    where = header_column(outbox, "Where")
    assert outbox.model.index(0, where).data() == "Elsewhere"
    assert outbox.model.index(0, where).data(Qt.ItemDataRole.ToolTipRole) == str(written.resolve())

    outbox.table.selectRow(0)
    outbox.copy_button.click()
    assert QGuiApplication.clipboard().text() == record.path
    outbox.verify_button.click()
    runner.wait_idle()
    assert "The bundle checks out" in outbox.message.text()
    assert "Test Researcher" in outbox.message.text()

    written.unlink()
    outbox.refresh()
    runner.wait_idle()
    assert outbox.model.index(0, where).data() == "Elsewhere (file missing)"
    assert not outbox.verify_button.isEnabled()


def test_unresolved_identifiers_refuse_with_go_to_review(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    service.team.add_me(role="pi")
    visit = service.add_encounter("home-visit", "Home visit", on=date(2025, 3, 12))
    service.add_note(visit.id, "Call her on 07700 900123 about the nursery.")
    window = make_window()
    workspace = window.workspace
    qtbot.keyClick(window, Qt.Key.Key_9, CTRL)
    assert workspace.current_page == TEAM
    page = workspace.team
    page.show_tab(OUTBOX_TAB)
    runner.wait_idle()
    page.outbox.seal()
    dialog = page.outbox.seal_dialog
    assert dialog is not None
    runner.wait_idle()
    dialog.seal_button.click()
    qtbot.waitUntil(lambda: dialog.review_button.isVisible(), timeout=SLOW_MS)
    assert "likely identifier" in dialog.message.text()
    assert dialog.message.property("tone") == "error"
    assert service.bundles.outbox() == []
    outbox_dir = service.bundles.outbox_dir
    assert not outbox_dir.exists() or list(outbox_dir.iterdir()) == []
    dialog.review_button.click()
    assert workspace.current_page == REVIEW
    assert closed(dialog)
    runner.wait_idle()


def test_an_empty_roster_is_refused_in_the_dialog(
    qtbot, service: StoreService, runner: TaskRunner
) -> None:
    clean_session(service)
    page = team_page(qtbot, service, runner)
    page.seal()
    assert page.tabs.currentIndex() == OUTBOX_TAB
    dialog = page.outbox.seal_dialog
    assert dialog is not None
    runner.wait_idle()
    dialog.seal_button.click()
    runner.wait_idle()
    assert "roster is empty" in dialog.message.text()
    assert not dialog.review_button.isVisible()
    assert service.bundles.outbox() == []
    dialog.reject()


@pytest.fixture
def recorded(service: StoreService, tmp_path: Path) -> str:
    """A PI's store with a session holding a few recordings (so a seal has many entries)."""
    service.team.add_me(role="pi")
    lara = service.add_participant("Lara", "Mother", region="Scotland")
    give_adult_consent(service, lara.id)
    visit = service.add_encounter(
        "home-visit", "Home visit", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    for seconds in (2.0, 3.0, 4.0):
        make_recording(service, visit.id, tmp_path, seconds)
    service.add_note(visit.id, "We had tea at the kitchen table.")
    return visit.id


def _no_bundle_written(service: StoreService) -> None:
    assert service.bundles.outbox() == []
    outbox_dir = service.bundles.outbox_dir
    assert not outbox_dir.exists() or list(outbox_dir.iterdir()) == []


def test_cancel_mid_seal_leaves_no_file(
    qtbot, service: StoreService, runner: TaskRunner, recorded: str, monkeypatch
) -> None:
    page = team_page(qtbot, service, runner)
    page.show_tab(OUTBOX_TAB)
    outbox = page.outbox
    statuses: list[str] = []
    page.status_message.connect(statuses.append)
    seal = service.bundles.seal
    fractions: list[float] = []

    def seal_and_cancel_midway(*args: Any, **kwargs: Any) -> Any:
        shown = kwargs["progress"]

        def progress(fraction: float) -> None:
            fractions.append(fraction)
            shown(fraction)
            if len(fractions) == 2:  # some entries written: the user presses Cancel
                dialog = outbox.seal_dialog
                assert dialog is not None and dialog.cancel_event is not None
                dialog.cancel_event.set()

        return seal(*args, **{**kwargs, "progress": progress})

    monkeypatch.setattr(service.bundles, "seal", seal_and_cancel_midway)
    outbox.seal()
    dialog = outbox.seal_dialog
    assert dialog is not None
    runner.wait_idle()
    dialog.with_audio.setChecked(True)
    dialog.seal_button.click()
    qtbot.waitUntil(lambda: closed(dialog), timeout=SLOW_MS)
    assert len(fractions) == 2 and fractions[-1] < 1.0
    assert CANCELLED in statuses
    _no_bundle_written(service)
    assert outbox.model.rowCount() == 0


def test_the_cancel_button_stops_sealing(
    qtbot, service: StoreService, runner: TaskRunner, recorded: str
) -> None:
    page = team_page(qtbot, service, runner)
    page.show_tab(OUTBOX_TAB)
    outbox = page.outbox
    outbox.seal()
    dialog = outbox.seal_dialog
    assert dialog is not None
    runner.wait_idle()
    gate = threading.Event()
    runner.submit(gate.wait, 10)  # the worker is busy: the seal waits its turn
    dialog.seal_button.click()
    assert dialog.sealing and dialog.progress.isVisible() and not dialog.form.isEnabled()
    dialog.cancel_button.click()
    assert dialog.isVisible() and "Cancelling" in dialog.message.text()
    gate.set()
    qtbot.waitUntil(lambda: closed(dialog), timeout=SLOW_MS)
    _no_bundle_written(service)


# -------------------------------------------------------------- keyboard, names
def test_keyboard_and_accessible_names(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    service.team.add_member("Mo", OTHER_RECIPIENT)
    window = make_window()
    workspace = window.workspace
    assert workspace.nav.item(TEAM).text() == "Team"
    assert workspace._team is None  # built when first shown
    qtbot.keyClick(window, Qt.Key.Key_9, CTRL)
    assert workspace.current_page == TEAM
    page = workspace.team
    assert page.isVisibleTo(window)
    runner.wait_idle()
    assert page.roster.model.rowCount() == 1

    qtbot.keyClick(window, Qt.Key.Key_B, CTRL_SHIFT)  # seal, from either tab
    assert page.tabs.currentIndex() == OUTBOX_TAB
    dialog = page.outbox.seal_dialog
    assert dialog is not None and dialog.isVisible()
    runner.wait_idle()
    page.roster.add_member()
    page.roster.table.selectRow(0)
    page.roster.remove_selected()
    widgets: list[QWidget] = [page, dialog]
    for extra in (page.roster.member_dialog, page.roster.remove_prompt):
        assert extra is not None
        widgets.append(extra)
    for root in widgets:
        for button in root.findChildren(QAbstractButton):
            if isinstance(button.parent(), QDialogButtonBox) or button.isVisibleTo(root):
                assert button.accessibleName(), (root.objectName(), button.text())
    assert page.roster.table.accessibleName() and page.outbox.table.accessibleName()
    for extra in (page.roster.member_dialog, page.roster.remove_prompt):
        if extra is not None:
            extra.close()
    runner.wait_idle()
    window.lock()  # with the seal dialog open: it goes with the workspace
    runner.wait_idle()
    assert window.workspace is None and closed(dialog)


class StubInbox(QWidget):
    status_message = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.refreshed = 0

    def refresh(self) -> None:
        self.refreshed += 1


def test_places_for_the_inbox_and_the_sync_targets(
    qtbot, service: StoreService, runner: TaskRunner
) -> None:
    page = team_page(qtbot, service, runner)
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == [
        "Keys && roster",
        "Outbox",
        "Inbox",
    ]
    page.show_tab(INBOX_TAB)
    stand_in = page.tabs.widget(INBOX_TAB).findChild(QLabel)
    assert stand_in is not None and "not in this version" in stand_in.text()
    assert isinstance(page.outbox.sync_panel, QLabel)
    assert "not in this version" in page.outbox.sync_panel.text()

    inbox = StubInbox()
    page.set_inbox_view(inbox)
    assert page.tabs.widget(INBOX_TAB) is inbox and page.tabs.currentIndex() == INBOX_TAB
    assert inbox.refreshed == 1  # it is the tab shown
    page.show_tab(OUTBOX_TAB)
    page.show_tab(INBOX_TAB)
    assert inbox.refreshed == 2
    statuses: list[str] = []
    page.status_message.connect(statuses.append)
    inbox.status_message.emit("Bundle opened")
    assert statuses == ["Bundle opened"]

    panel = QLabel("Team folder: 2 bundles waiting")
    page.outbox.set_sync_panel(panel)
    assert page.outbox.sync_panel is panel and panel.parent() is page.outbox
    page.show_tab(OUTBOX_TAB)
    assert panel.isVisible()


def test_locking_while_sealing_cancels_the_seal(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, recorded: str
) -> None:
    window = make_window()
    assert window.workspace is not None
    window.workspace.show_page(TEAM)
    page = window.workspace.team
    page.seal()
    dialog = page.outbox.seal_dialog
    assert dialog is not None
    runner.wait_idle()
    gate = threading.Event()
    runner.submit(gate.wait, 10)
    dialog.seal_button.click()
    cancel = dialog.cancel_event
    assert cancel is not None
    QTimer.singleShot(0, gate.set)  # the worker goes on while the lock waits for it
    window.lock()
    runner.wait_idle()
    assert cancel.is_set() and window.workspace is None
    outbox_dir = service.bundles.outbox_dir
    assert not outbox_dir.exists() or list(outbox_dir.iterdir()) == []
    service.unlock(PASSPHRASE)  # (the runner is idle)
    assert service.bundles.outbox() == []
