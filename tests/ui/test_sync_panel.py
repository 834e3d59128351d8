"""Team → Outbox → Sync targets, on real stores: folder targets for real (add, seal, sync
after the seal, on the timer and with Sync now, cancel, disable, remove), an unreachable
target (a quiet "Offline — will retry", never a dialog), and SFTP through the core with
the server's answers injected (first contact confirmed, a changed host key shown with
both fingerprints and trusted only after a second confirmation, a refused login)."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QWidget,
)

from relations_desktop.core import sync as core_sync
from relations_desktop.core import sync_sftp
from relations_desktop.core.services import StoreService
from relations_desktop.core.sync import AuthenticationFailed, DeliveryStatus, TargetUnavailable
from relations_desktop.ui.dialogs.sync_target import HostKeyDialog, SftpTargetDialog
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.sync_background import (
    BackgroundSync,
    Problem,
    delivery_texts,
    failure_kind,
)
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.outbox import OutboxView
from relations_desktop.ui.views.sync_targets import SyncTargetsPanel
from relations_desktop.ui.views.team_page import OUTBOX_TAB, TeamPage
from relations_desktop.ui.workspace import TEAM
from tests.ui.conftest import WindowFactory

SLOW_MS = 30_000  # the first identifier scan in a process loads the language model
OLD_KEY = "ssh-ed25519 " + base64.b64encode(b"the server's first host key....").decode()
NEW_KEY = "ssh-ed25519 " + base64.b64encode(b"a host key nobody told you about").decode()
THIRD_KEY = "ssh-ed25519 " + base64.b64encode(b"yet another key, presented later").decode()
SFTP = "ann@files.example.org/srv/relations"


def fp(key: str) -> str:
    return sync_sftp.fingerprint(key)


@pytest.fixture
def ready(service: StoreService) -> str:
    """On the roster, with one session that needs no review; its id."""
    service.team.add_me(role="pi")
    visit = service.add_encounter("home-visit", "Home visit", on=date(2025, 3, 12))
    service.add_note(visit.id, "We had tea at the kitchen table and talked about the weather.")
    return visit.id


def team_of(window: MainWindow) -> TeamPage:
    workspace = window.workspace
    assert workspace is not None
    workspace.show_page(TEAM)
    page = workspace.team
    page.show_tab(OUTBOX_TAB)
    window.runner.wait_idle()
    return page


def panel_of(page: TeamPage) -> SyncTargetsPanel:
    panel = page.outbox.sync_panel
    assert isinstance(panel, SyncTargetsPanel)
    return panel


def sync_of(window: MainWindow) -> BackgroundSync:
    sync = window.background_sync
    assert sync is not None
    return sync


def cell(panel: SyncTargetsPanel, row: int, title: str) -> str:
    model = panel.model
    column = next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == title
    )
    return str(model.index(row, column).data())


def delivery(outbox: OutboxView, row: int = 0) -> str:
    return str(outbox.model.index(row, outbox.model.columnCount() - 1).data())


def visible_dialogs(window: MainWindow) -> list[QDialog]:
    """The window's dialogs and message boxes on screen (error boxes included)."""
    return [d for d in window.findChildren(QDialog) if d.isVisible()]


def finish(qtbot, sync: BackgroundSync, runs: int) -> None:
    qtbot.waitUntil(lambda: sync.runs > runs and not sync.running, timeout=SLOW_MS)


def click(dialog: QDialog | QMessageBox, text: str) -> None:
    button = next(b for b in dialog.findChildren(QAbstractButton) if b.text() == text)
    button.click()


# ------------------------------------------------------------------ folders
def test_folder_target_added_then_a_seal_is_delivered(
    qtbot, make_window: WindowFactory, service: StoreService, ready: str, tmp_path: Path
) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    window = make_window()
    page = team_of(window)
    panel = panel_of(page)
    assert "No sync target yet" in panel.state_label.text()
    assert not panel.sync_button.isEnabled()
    panel.choose_dir = lambda _parent: str(folder)
    panel.add_folder_button.click()
    window.runner.wait_idle()
    assert panel.model.rowCount() == 1
    assert cell(panel, 0, "Kind") == "Folder" and cell(panel, 0, "Location") == str(folder)
    assert cell(panel, 0, "Enabled") == "Yes" and cell(panel, 0, "Host key") == "–"
    assert "Added the folder target" in panel.message.text()

    page.outbox.seal()  # through the seal dialog, into the outbox
    dialog = page.outbox.seal_dialog
    assert dialog is not None
    window.runner.wait_idle()
    dialog.seal_button.click()
    qtbot.waitUntil(lambda: page.outbox.model.rowCount() == 1, timeout=SLOW_MS)
    (record,) = service.bundles.outbox()
    # right after the seal, the background sync sends it on
    qtbot.waitUntil(lambda: delivery(page.outbox) == "sent to 1 of 1", timeout=SLOW_MS)
    delivered = folder / f"{record.bundle_id}.age"
    assert delivered.read_bytes() == Path(record.path).read_bytes()
    assert [p.name for p in folder.iterdir()] == [delivered.name]  # no partial left
    panel.refresh()
    window.runner.wait_idle()
    assert cell(panel, 0, "Bundles") == "1 sent"
    assert "Delivered 1 bundle" in panel.state_label.text()


def test_sync_now_with_progress_and_the_timer(
    qtbot, make_window: WindowFactory, service: StoreService, ready: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "share", tmp_path / "stick"
    for folder in (first, second):
        folder.mkdir()
        service.sync.add_target("folder", str(folder))
    sealed = service.bundles.seal()
    window = make_window()
    sync = sync_of(window)
    page = team_of(window)
    panel = panel_of(page)
    assert delivery(page.outbox) == "waiting to send"
    seen: list[int] = []
    sync.progress.connect(lambda p: seen.append(p.done))
    runs = sync.runs
    panel.sync_button.click()
    assert panel.cancel_button.isVisible() and panel.progress.isVisible()
    assert not panel.sync_button.isEnabled()
    finish(qtbot, sync, runs)
    assert seen and seen[-1] == sealed.size
    assert not panel.cancel_button.isVisible() and not panel.progress.isVisible()
    assert delivery(page.outbox) == "sent to 2 of 2"
    assert (first / f"{sealed.bundle_id}.age").is_file()
    assert (second / f"{sealed.bundle_id}.age").is_file()
    assert "Delivered 2 bundles" in window.statusBar().currentMessage()

    # The timer (short here) picks up the next bundle without anyone asking.
    later = service.bundles.seal()
    page.outbox.refresh()
    window.runner.wait_idle()
    sync.set_interval(30)
    qtbot.waitUntil(lambda: (first / f"{later.bundle_id}.age").is_file(), timeout=SLOW_MS)
    qtbot.waitUntil(lambda: delivery(page.outbox, 0) == "sent to 2 of 2", timeout=SLOW_MS)


def test_cancel_leaves_the_bundle_waiting(
    qtbot, make_window: WindowFactory, service: StoreService, ready: str, tmp_path: Path
) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    service.sync.add_target("folder", str(folder))
    sealed = service.bundles.seal()
    window = make_window()
    sync = sync_of(window)
    page = team_of(window)
    panel = panel_of(page)
    gate = threading.Event()
    window.runner.submit(gate.wait, 10)
    runs = sync.runs
    panel.sync_button.click()
    panel.cancel_button.click()
    gate.set()
    finish(qtbot, sync, runs)
    assert not (folder / f"{sealed.bundle_id}.age").exists()
    assert "Sync cancelled" in panel.state_label.text()
    assert delivery(page.outbox) == "waiting to send"
    assert service.sync.deliveries()[0].state == "pending"


def test_disable_and_remove_a_target(
    qtbot, make_window: WindowFactory, service: StoreService, tmp_path: Path
) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    target = service.sync.add_target("folder", str(folder))
    window = make_window()
    panel = panel_of(team_of(window))
    panel.table.selectRow(0)
    assert panel.enable_button.text() == "Disable"
    assert not panel.host_key_button.isEnabled() and not panel.login_button.isEnabled()
    panel.enable_button.click()
    window.runner.wait_idle()
    assert not service.sync.get_target(target.id).enabled
    assert cell(panel, 0, "Enabled") == "No" and panel.enable_button.text() == "Enable"
    panel.remove_button.click()
    box = panel.prompt
    assert box is not None and box.isVisible() and str(folder) in box.text()
    click(box, "Keep")
    window.runner.wait_idle()
    assert service.sync.list_targets() != []
    panel.remove_button.click()
    assert panel.prompt is not None
    click(panel.prompt, "Remove")
    window.runner.wait_idle()
    assert service.sync.list_targets() == [] and panel.model.rowCount() == 0
    assert folder.is_dir()  # the folder itself stays


# ------------------------------------------------------------------ offline
def test_offline_is_a_quiet_status_with_the_retry_time(
    qtbot, make_window: WindowFactory, service: StoreService, ready: str, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    service.sync.add_target("folder", str(stick))
    stick.rmdir()  # unplugged
    service.sync.add_target("sftp", "ann@127.0.0.1:1/srv/relations", password="pw")  # nobody
    service.bundles.seal()
    window = make_window()
    sync = sync_of(window)
    page = team_of(window)
    panel = panel_of(page)
    runs = sync.runs
    panel.sync_button.click()
    finish(qtbot, sync, runs)
    retry = min(s.next_attempt_at for s in service.sync.deliveries() if s.next_attempt_at)
    when = retry.astimezone().strftime("%H:%M")
    expected = f"Offline — will retry at {when}."
    assert expected in panel.state_label.text()
    assert expected in window.statusBar().currentMessage()
    assert sync.indicator.isVisible() and expected in sync.indicator.text()
    assert delivery(page.outbox) == f"waiting: retry {when}"
    assert visible_dialogs(window) == [] and not panel.banner.isVisible()
    assert "is not there" in cell(panel, 0, "Last error") and cell(panel, 0, "Next retry") != "–"
    # The timer does not try again before the retry time: nothing is due.
    attempts = [s.attempts for s in service.sync.deliveries()]
    runs = sync.runs
    sync.tick()
    finish(qtbot, sync, runs)
    assert [s.attempts for s in service.sync.deliveries()] == attempts
    assert visible_dialogs(window) == []


# --------------------------------------------------------------------- SFTP
class FakeServer:
    """What the SFTP server presents; connecting with another key pinned is refused as
    the core refuses it, and with the right one the server is down (no real sshd)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, key: str) -> None:
        self.key = key
        self.login: str = "down"  # or "refused"
        for module in (core_sync, sync_sftp):
            monkeypatch.setattr(module, "server_key", lambda _loc, _pinned, _t: self.key)
        monkeypatch.setattr(core_sync, "open_sftp", self.open_sftp)

    @contextlib.contextmanager
    def open_sftp(self, target_id: str, loc: Any, pinned: str, *_args: Any) -> Iterator[Any]:
        if pinned and pinned != self.key:
            raise sync_sftp.host_key_changed(target_id, loc, pinned, self.key)
        if self.login == "refused":
            raise AuthenticationFailed(f"{loc.host} refused the login as {loc.user}.")
        raise TargetUnavailable(f"{loc.host} did not answer within 20 seconds.")
        yield


def test_first_contact_shows_the_fingerprint_before_pinning(
    qtbot, make_window: WindowFactory, service: StoreService, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeServer(monkeypatch, OLD_KEY)
    window = make_window()
    panel = panel_of(team_of(window))
    panel.add_sftp_button.click()
    dialog = panel.open_dialog()
    assert isinstance(dialog, SftpTargetDialog)
    dialog.location.setText("ann@files.example.org:/srv")  # the scp form: refused inline
    dialog.use_password.setChecked(True)
    dialog.password.setText("secret")
    dialog.ok_button.click()
    window.runner.wait_idle()
    assert dialog.isVisible() and "scp" in dialog.message.text().lower()
    assert service.sync.list_targets() == []
    dialog.location.setText(SFTP)
    dialog.ok_button.click()
    window.runner.wait_idle()
    (target,) = service.sync.list_targets()
    assert not target.enabled and target.host_key == ""  # not before the user confirms
    keys = panel.open_dialog()
    assert isinstance(keys, HostKeyDialog) and keys.check.state == "new"
    assert fp(OLD_KEY) in "\n".join(label.text() for label in keys.findChildren(QLabel))
    assert keys.trust_button.text() == "Trust and pin"
    keys.trust_button.click()
    window.runner.wait_idle()
    pinned = service.sync.get_target(target.id)
    assert pinned.enabled and pinned.host_key == OLD_KEY
    assert cell(panel, 0, "Enabled") == "Yes" and "SHA256:" in cell(panel, 0, "Host key")
    assert f"Pinned the host key {fp(OLD_KEY)}" in panel.message.text()


def test_not_trusting_at_first_contact_keeps_the_target_disabled(
    qtbot, make_window: WindowFactory, service: StoreService, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeServer(monkeypatch, OLD_KEY)
    target = service.sync.add_target("sftp", SFTP, password="pw")
    service.sync.set_enabled(target.id, False)
    window = make_window()
    panel = panel_of(team_of(window))
    panel.table.selectRow(0)
    assert cell(panel, 0, "Host key") == "not confirmed"
    panel.enable_button.click()  # enabling asks for the host key first
    window.runner.wait_idle()
    keys = panel.open_dialog()
    assert isinstance(keys, HostKeyDialog)
    keys.close_button.click()
    assert "was not trusted" in panel.message.text()
    assert not service.sync.get_target(target.id).enabled
    assert service.sync.get_target(target.id).host_key == ""


def pinned_target(service: StoreService, server: FakeServer) -> str:
    target = service.sync.add_target("sftp", SFTP, password="pw")
    service.sync.pin_host_key(target.id)  # the first key, long ago
    return target.id


def test_a_changed_host_key_is_a_banner_once_then_a_warning_with_both_keys(
    qtbot, make_window: WindowFactory, service: StoreService, ready: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    server = FakeServer(monkeypatch, OLD_KEY)
    target_id = pinned_target(service, server)
    server.key = NEW_KEY  # reinstalled, or someone in between
    service.bundles.seal()
    window = make_window()
    sync = sync_of(window)
    page = team_of(window)
    panel = panel_of(page)
    messages: list[str] = []
    sync.status_message.connect(messages.append)
    for _ in range(2):  # two syncs: one banner, one status message, no dialog
        runs = sync.runs
        panel.sync_button.click()
        finish(qtbot, sync, runs)
    assert panel.banner.isVisible() and "different host key" in panel.banner.text.text()
    assert visible_dialogs(window) == []
    assert [m for m in messages if "host key changed" in m] == [
        f"Sync to {SFTP} stopped: host key changed."
    ]
    assert delivery(page.outbox) == "failed: host key changed"
    assert service.sync.get_target(target_id).host_key == OLD_KEY

    panel.banner.action.click()  # Review host key…
    window.runner.wait_idle()
    warning = panel.open_dialog()
    assert isinstance(warning, HostKeyDialog) and warning.check.state == "changed"
    text = "\n".join(label.text() for label in warning.findChildren(QLabel))
    assert fp(OLD_KEY) in text and fp(NEW_KEY) in text and "administrator" in text
    assert warning.close_button.isDefault() and not warning.trust_button.isDefault()
    warning.trust_button.click()  # "Trust the new key…" asks again
    box = warning.confirm_box
    assert box is not None and box.isVisible() and fp(NEW_KEY) in box.text()
    assert service.sync.get_target(target_id).host_key == OLD_KEY  # not yet
    click(box, "Cancel")
    assert warning.isVisible() and service.sync.get_target(target_id).host_key == OLD_KEY
    warning.trust_button.click()
    assert warning.confirm_box is not None
    click(warning.confirm_box, "Trust the new key")
    window.runner.wait_idle()
    assert service.sync.get_target(target_id).host_key == NEW_KEY
    assert f"Pinned the host key {fp(NEW_KEY)}" in panel.message.text()
    # the failed delivery is due again: the next sync reaches the server (down now)
    qtbot.waitUntil(lambda: not panel.banner.isVisible(), timeout=SLOW_MS)
    qtbot.waitUntil(lambda: delivery(page.outbox).startswith("waiting"), timeout=SLOW_MS)


def test_trusting_pins_exactly_the_key_shown(
    qtbot, make_window: WindowFactory, service: StoreService, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = FakeServer(monkeypatch, OLD_KEY)
    target_id = pinned_target(service, server)
    server.key = NEW_KEY
    window = make_window()
    panel = panel_of(team_of(window))
    panel.table.selectRow(0)
    panel.host_key_button.click()
    window.runner.wait_idle()
    warning = panel.open_dialog()
    assert isinstance(warning, HostKeyDialog)
    server.key = THIRD_KEY  # it changed again while the dialog was open
    warning.trust_button.click()
    assert warning.confirm_box is not None
    click(warning.confirm_box, "Trust the new key")
    window.runner.wait_idle()
    assert f"not {fp(NEW_KEY)}" in panel.message.text()
    assert panel.message.property("tone") == "error"
    assert service.sync.get_target(target_id).host_key == OLD_KEY


def test_a_refused_login_is_a_banner_with_set_login(
    qtbot, make_window: WindowFactory, service: StoreService, ready: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    server = FakeServer(monkeypatch, OLD_KEY)
    target_id = pinned_target(service, server)
    server.login = "refused"
    service.bundles.seal()
    window = make_window()
    sync = sync_of(window)
    page = team_of(window)
    panel = panel_of(page)
    runs = sync.runs
    panel.sync_button.click()
    finish(qtbot, sync, runs)
    assert panel.banner.isVisible() and "refused the login" in panel.banner.text.text()
    assert delivery(page.outbox) == "failed: login refused" and visible_dialogs(window) == []
    panel.banner.action.click()  # Set login…
    dialog = panel.open_dialog()
    assert isinstance(dialog, SftpTargetDialog) and not dialog.location.isVisible()
    dialog.use_password.setChecked(True)
    dialog.password.setText("the right one")
    server.login = "down"
    dialog.ok_button.click()
    window.runner.wait_idle()
    assert "Saved the new login" in panel.message.text()
    assert service.sync.deliveries()[0].state == "pending"  # tried again at the next sync
    assert service.sync.get_target(target_id).auth == "password"
    qtbot.waitUntil(lambda: not panel.banner.isVisible(), timeout=SLOW_MS)


# ---------------------------------------------------------------- the rest
def test_delivery_texts() -> None:
    at = datetime.now(UTC).replace(hour=14, minute=5, second=0, microsecond=0)

    def status(
        bundle: str, state: str, retry: datetime | None = None, error: str = "", problem: str = ""
    ) -> Any:
        return DeliveryStatus(bundle, "t", "/x", state, 1, retry, error, 10, None, problem)

    host = "The SFTP server x:22 presented a different host key from the one pinned"
    login = "x refused the login as ann with the stored key."
    texts = delivery_texts([
        status("a", "sent"), status("a", "sent"),
        status("b", "pending", at, problem="unreachable"),
        status("b", "pending", at + timedelta(minutes=3), problem="unreachable"),
        status("c", "failed", error=host, problem="host-key-changed"), status("c", "sent"),
        status("d", "sent"), status("d", "pending"),
        status("e", "failed", error=login, problem="auth-failed"),
    ])  # fmt: skip
    local = at.astimezone().strftime("%H:%M")
    assert texts == {
        "a": "sent to 2 of 2",
        "b": f"waiting: retry {local}",
        "c": "sent to 1 of 2; failed: host key changed",
        "d": "sent to 1 of 2; waiting to send",
        "e": "failed: login refused",
    }
    assert failure_kind("another file under that name") == "refused"


def test_failures_are_told_apart_by_their_kind_not_their_wording(
    qtbot, service: StoreService, runner: TaskRunner
) -> None:
    """The core may word its messages differently (or translate them): the panel goes by
    the delivery's ``problem``. Reworded messages with the same kinds give the same
    texts and the same banners; the same words with another kind do not."""
    at = datetime.now(UTC)

    def status(bundle: str, target: str, error: str, problem: str) -> DeliveryStatus:
        return DeliveryStatus(bundle, target, f"ann@{target}/in", "failed", 1, None, error, 10,
                              at, problem)  # fmt: skip

    reworded = [
        status("a", "one", "Der Schlüssel des Servers hat sich geändert.", "host-key-changed"),
        status("b", "two", "Anmeldung abgelehnt.", "auth-failed"),
        status("c", "three", "The SFTP server presented a different host key", "refused"),
        status("d", "four", "x refused the login as ann with the stored key.", "refused"),
    ]
    assert [failure_kind(s.problem) for s in reworded] == [
        "host-key-changed", "auth-failed", "refused", "refused",
    ]  # fmt: skip
    assert delivery_texts(reworded) == {
        "a": "failed: host key changed",
        "b": "failed: login refused",
        "c": "failed: needs attention",
        "d": "failed: needs attention",
    }
    sync = BackgroundSync(service, runner)
    sync.take(reworded)
    assert {(p.target_id, p.kind) for p in sync.open_problems()} == {
        ("one", "host-key-changed"),
        ("two", "auth-failed"),
    }
    sync.stop()


def test_lock_stops_the_background_sync_and_unlock_starts_a_new_one(
    qtbot, make_window: WindowFactory, service: StoreService, passphrase: str
) -> None:
    window = make_window()
    first = sync_of(window)
    assert first.timer.isActive()
    window.lock()
    window.runner.wait_idle()
    assert window.background_sync is None and first.stopped
    assert not shiboken6.isValid(first) or not first.timer.isActive()
    window._unlock(passphrase)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=10_000)
    second = sync_of(window)
    assert second is not first and second.timer.isActive()


def check_buttons(root: QWidget | None) -> None:
    assert root is not None
    for button in root.findChildren(QAbstractButton):
        if isinstance(button.parent(), QDialogButtonBox) or button.isVisibleTo(root):
            assert button.accessibleName(), (root.objectName(), button.text())
            assert button.focusPolicy() & Qt.FocusPolicy.TabFocus, button.text()


def test_every_button_is_named_and_reachable(
    qtbot, make_window: WindowFactory, service: StoreService, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = FakeServer(monkeypatch, OLD_KEY)
    pinned_target(service, server)
    server.key = NEW_KEY
    window = make_window()
    panel = panel_of(team_of(window))
    panel.table.selectRow(0)
    panel.sync.problems[("x", "host-key-changed")] = Problem(
        "x", SFTP, "host-key-changed", "different host key"
    )
    panel.banner.show_problems()  # the banner's buttons too
    check_buttons(panel)
    panel.add_sftp()
    check_buttons(panel.open_dialog())
    panel.set_login()
    check_buttons(panel.open_dialog())
    panel.host_key_button.click()
    window.runner.wait_idle()
    warning = panel.open_dialog()
    assert isinstance(warning, HostKeyDialog)
    check_buttons(warning)
    warning.trust_button.click()
    check_buttons(warning.confirm_box)
    panel.remove_selected()
    check_buttons(panel.prompt)
    assert panel.table.accessibleName() and panel.table.focusPolicy() & Qt.FocusPolicy.TabFocus
