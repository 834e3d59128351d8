"""The first-run wizard, driven offscreen: make the store, start or join a team, try the
sample; and every bad input refused with a message and nothing changed."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QMessageBox

from relations_desktop.core.sample import SAMPLE_TITLE, find_sample
from relations_desktop.core.services import StoreService
from relations_desktop.core.vault import read_vault
from relations_desktop.ui.app import AppController
from relations_desktop.ui.dialogs.first_run import (
    RECOVERY,
    SAMPLE,
    STORE,
    TEAM,
    WELCOME,
    FirstRunWizard,
)
from relations_desktop.ui.dialogs.team_member import TrustSignerDialog
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.workspace import SESSIONS
from tests.conftest import PASSPHRASE
from tests.ui.conftest import FAST, all_texts

TIMEOUT = 10_000


def click(qtbot, button) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def fill_store_page(qtbot, wizard: FirstRunWizard, recovery: str = "") -> None:  # type: ignore[no-untyped-def]
    click(qtbot, wizard.next_button)  # welcome → store
    assert wizard.page == STORE
    page = wizard.store
    qtbot.keyClicks(page.researcher, "Mhairi Campbell")
    page.passphrases.first.setText(PASSPHRASE)
    page.passphrases.second.setText(PASSPHRASE)
    page.recovery.setText(recovery)
    click(qtbot, wizard.next_button)


def made_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def wizard(qtbot, store_dir: Path, runner: TaskRunner) -> Iterator[FirstRunWizard]:
    printed: list[QTextDocument] = []
    dialog = FirstRunWizard(
        store_dir, runner, printer=lambda _parent, document: printed.append(document)
    )
    dialog.printed = printed  # type: ignore[attr-defined]
    qtbot.addWidget(dialog)
    dialog.open()
    yield dialog
    runner.wait_idle()
    if dialog.service is not None:
        dialog.service.close()


# ---------------------------------------------------------------- start a team
def test_start_a_team_then_the_sample_then_the_main_window(
    qtbot, store_dir: Path, tmp_path: Path
) -> None:
    controller = AppController(store_dir, TaskRunner(), options=FAST)
    try:
        _start_a_team(qtbot, controller, store_dir, tmp_path)
    finally:
        controller.shutdown()


def _start_a_team(qtbot, controller: AppController, store_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    controller.start()
    wizard = controller.dialog
    assert isinstance(wizard, FirstRunWizard) and wizard.page == WELCOME
    assert "stays on this laptop" in wizard.welcome.text.text()
    printed: list[QTextDocument] = []
    wizard.recovery.printer = lambda _parent, document: printed.append(document)
    fill_store_page(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.page == TEAM, timeout=TIMEOUT)
    team = wizard.team
    team.start.click()
    assert wizard.next_button.text() == "Create store"

    # No place chosen, then a place inside the store folder: refused, nothing made.
    click(qtbot, wizard.next_button)
    assert "Choose where to save" in team.message.text()
    team.identity_path.setText(str(store_dir / "team-recovery.txt"))
    click(qtbot, wizard.next_button)
    qtbot.waitUntil(lambda: "inside the store folder" in team.message.text(), timeout=TIMEOUT)
    assert not store_dir.exists() and wizard.service is None and wizard.page == TEAM

    usb = tmp_path / "usb"
    usb.mkdir()
    team.identity_path.setText(str(usb / "team-recovery.txt"))
    click(qtbot, wizard.next_button)
    qtbot.waitUntil(lambda: wizard.page == RECOVERY, timeout=TIMEOUT)
    identity = usb / "team-recovery.txt"
    assert made_files(usb) == ["team-recovery.txt"]
    assert stat.S_IMODE(identity.stat().st_mode) == 0o600
    assert store_dir.resolve() not in identity.resolve().parents
    recipient = wizard.recovery.recipient.text()
    assert recipient.startswith("age1") and f"# public key: {recipient}" in identity.read_text()
    assert read_vault(store_dir).recovery_recipient == recipient
    assert wizard.service is not None
    [me] = wizard.service.team.list_members()
    assert (me.name, me.role, me.is_me) == ("Mhairi Campbell", "pi", True)
    steps = wizard.recovery.steps.text()
    for advice in ("Print it", "USB stick", "second copy", "Never keep it on a laptop",
                   "can open every store"):  # fmt: skip
        assert advice in steps
    assert str(identity.resolve()) in wizard.recovery.where.text()
    assert "readable only by you" in wizard.recovery.where.text()
    assert not wizard.back_button.isEnabled() and not wizard.cancel_button.isVisible()

    click(qtbot, wizard.recovery.print_button)
    assert len(printed) == 1 and "AGE-SECRET-KEY-1" in printed[0].toPlainText()
    assert not wizard.next_button.isEnabled()  # until the PI says they will keep it safe
    wizard.recovery.understood.click()
    click(qtbot, wizard.next_button)
    assert wizard.page == SAMPLE and wizard.sample_page.add_sample.isChecked()
    click(qtbot, wizard.next_button)
    qtbot.waitUntil(lambda: controller.window is not None, timeout=TIMEOUT)
    window = controller.window
    assert isinstance(window, MainWindow)
    controller.runner.wait_idle()
    assert find_sample(window.service) is not None
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: SAMPLE_TITLE in all_texts(), timeout=TIMEOUT)
    assert sessions.current is not None and sessions.current.title == SAMPLE_TITLE

    # File → Remove sample data, asked first; then the menu item goes.
    assert window.remove_sample_action.isVisible()
    window.remove_sample_action.trigger()
    box = window.dialog
    assert isinstance(box, QMessageBox) and "Nothing of your own" in box.text()
    keep = next(b for b in box.buttons() if b.text() == "Keep")
    click(qtbot, keep)
    controller.runner.wait_idle()
    assert find_sample(window.service) is not None
    window.remove_sample_action.trigger()
    box = window.dialog
    assert isinstance(box, QMessageBox)
    click(qtbot, next(b for b in box.buttons() if b.text() == "Remove"))
    qtbot.waitUntil(lambda: not window.remove_sample_action.isVisible(), timeout=TIMEOUT)
    controller.runner.wait_idle()
    assert find_sample(window.service) is None
    assert window.service.list_encounters() == []
    assert window.workspace.current_page == SESSIONS
    assert sessions.model.rowCount() == 0 and sessions.current is None


def test_starting_a_team_with_a_typed_recovery_key_is_refused(
    qtbot, wizard: FirstRunWizard, store_dir: Path, tmp_path: Path, runner: TaskRunner
) -> None:
    theirs = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    fill_store_page(qtbot, wizard, recovery=theirs)
    runner.wait_idle()
    wizard.team.start.setChecked(True)
    wizard.team.identity_path.setText(str(tmp_path / "id.txt"))
    click(qtbot, wizard.next_button)
    runner.wait_idle()
    assert "already has one" in wizard.team.message.text()
    assert not store_dir.exists() and not (tmp_path / "id.txt").exists()
    # Back to clear the field, then it works.
    click(qtbot, wizard.back_button)
    assert wizard.page == STORE
    wizard.store.recovery.clear()
    click(qtbot, wizard.next_button)
    runner.wait_idle()
    click(qtbot, wizard.next_button)
    qtbot.waitUntil(lambda: wizard.page == RECOVERY, timeout=TIMEOUT)
    assert read_vault(store_dir).recovery_recipient == wizard.recovery.recipient.text() != theirs


# ------------------------------------------------------------------ join a team
@pytest.fixture
def pi_roster(tmp_path: Path) -> tuple[Path, str]:
    """A roster exported and signed by a PI on another store; the PI's signing key."""
    out = tmp_path / "from-pi"
    out.mkdir()
    with StoreService.create(tmp_path / "pi", PASSPHRASE, researcher_name="Prof Ross") as pi:
        pi.team.add_me(role="pi")
        pi.team.add_member("Mo", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
        pi.team.export_roster(out / "roster.json")
        return out / "roster.json", pi.team.my_keys().signing_public_key


def trust(qtbot, wizard: FirstRunWizard, runner: TaskRunner, key: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(
        lambda: wizard.import_job is not None and wizard.import_job.trust_dialog is not None,
        timeout=TIMEOUT,
    )
    assert wizard.import_job is not None
    dialog = wizard.import_job.trust_dialog
    assert isinstance(dialog, TrustSignerDialog) and "Prof Ross" in dialog.text.text()
    dialog.key.setText(key)
    click(qtbot, dialog.trust_button)
    runner.wait_idle()


def test_join_a_team_with_the_roster_file(
    qtbot,
    wizard: FirstRunWizard,
    store_dir: Path,
    tmp_path: Path,
    runner: TaskRunner,
    pi_roster: tuple[Path, str],
) -> None:
    roster, pi_key = pi_roster
    forged = tmp_path / "forged" / "roster.json"
    forged.parent.mkdir()
    forged.write_bytes(roster.read_bytes().replace(b'"Mo"', b'"Eve"'))
    forged.with_name("roster.json.minisig").write_bytes(
        roster.with_name("roster.json.minisig").read_bytes()
    )
    wizard.team.choose_roster = lambda _parent: str(forged)
    fill_store_page(qtbot, wizard)
    runner.wait_idle()
    wizard.team.join.click()
    click(qtbot, wizard.next_button)
    assert "Choose the roster file" in wizard.team.message.text()
    assert not store_dir.exists()
    wizard.team._pick_roster()
    assert wizard.team.roster.text() == str(forged)

    # A roster whose signature does not match: refused, the roster stays empty.
    click(qtbot, wizard.next_button)
    trust(qtbot, wizard, runner, pi_key)
    assert "does not match the file" in wizard.team.message.text()
    assert "nothing else changed" in wizard.team.message.text()
    assert wizard.service is not None and wizard.service.team.list_members() == []
    assert wizard.page == TEAM and not wizard.team.start.isEnabled()
    assert not wizard.back_button.isEnabled()
    assert wizard.next_button.text() == "Import roster" and wizard.next_button.isEnabled()

    wizard.team.roster.setText(str(roster))
    click(qtbot, wizard.next_button)
    trust(qtbot, wizard, runner, pi_key)
    assert wizard.page == SAMPLE
    assert "Prof Ross" in wizard.sample_page.message.text()
    assert {m.name for m in wizard.service.team.list_members()} == {"Prof Ross", "Mo"}
    assert read_vault(store_dir).recovery_recipient is None
    wizard.sample_page.add_sample.click()  # no sample this time
    click(qtbot, wizard.next_button)
    assert wizard.result() == FirstRunWizard.DialogCode.Accepted
    runner.wait_idle()
    assert find_sample(wizard.service) is None


# -------------------------------------------------------------------- bad input
def test_bad_store_inputs_change_nothing_and_cancel_leaves_nothing(
    qtbot, wizard: FirstRunWizard, store_dir: Path, runner: TaskRunner
) -> None:
    click(qtbot, wizard.next_button)
    page = wizard.store
    page.passphrases.first.setText(PASSPHRASE)
    page.passphrases.second.setText(PASSPHRASE + "x")
    click(qtbot, wizard.next_button)
    assert "not the same" in page.message.text() and wizard.page == STORE
    page.passphrases.clear()
    qtbot.keyClicks(page.passphrases.first, "password1")
    assert "weak" in page.passphrases.meter.label.text().lower()
    page.passphrases.second.setText("password1")
    click(qtbot, wizard.next_button)
    assert "too weak" in page.message.text()
    page.passphrases.first.setText(PASSPHRASE)
    page.passphrases.second.setText(PASSPHRASE)
    page.recovery.setText("age1nope")
    click(qtbot, wizard.next_button)
    runner.wait_idle()
    assert "Not an age X25519 recipient" in page.message.text() and wizard.page == STORE
    assert not store_dir.exists()
    click(qtbot, wizard.back_button)
    assert wizard.page == WELCOME
    click(qtbot, wizard.cancel_button)
    assert wizard.result() == FirstRunWizard.DialogCode.Rejected
    assert not store_dir.exists() and wizard.service is None


def test_later_without_the_sample_and_closing_after_the_store_is_made(
    qtbot, wizard: FirstRunWizard, store_dir: Path, runner: TaskRunner
) -> None:
    fill_store_page(qtbot, wizard)
    runner.wait_idle()
    assert wizard.team.later.isChecked()
    click(qtbot, wizard.next_button)
    qtbot.waitUntil(lambda: wizard.page == SAMPLE, timeout=TIMEOUT)
    assert (store_dir / "vault.json").exists()
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)  # the store is made: on to the main window
    assert wizard.result() == FirstRunWizard.DialogCode.Accepted
    assert wizard.service is not None and wizard.service.team.list_members() == []
    assert find_sample(wizard.service) is None
