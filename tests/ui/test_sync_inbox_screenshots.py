"""Screenshots of the sync targets (under the outbox), the team inbox (a received bundle
and an open conflict) and the export for analysis (REFI-QDA).

Skipped unless ``RELATIONS_SCREENSHOTS=1``; then they are written to
``docs/screenshots/`` (sync-targets.png, inbox.png, qdpx-export.png).
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from relations_desktop.core import sync as core_sync
from relations_desktop.core import sync_sftp
from relations_desktop.core.services import StoreService
from relations_desktop.core.sync import TargetUnavailable
from relations_desktop.ui.dialogs.qdpx_export import QdpxExportDialog
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.inbox import SETTING, InboxView
from relations_desktop.ui.views.sync_targets import SyncTargetsPanel
from relations_desktop.ui.views.team_page import INBOX_TAB, OUTBOX_TAB
from relations_desktop.ui.workspace import TEAM
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.ui.conftest import FAST, WindowFactory
from tests.ui.transcript_data import Seg, make_recording, make_transcript

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SLOW_MS = 30_000
PINNED = "ssh-ed25519 " + base64.b64encode(b"files.example.org, as first seen.").decode()
PRESENTED = "ssh-ed25519 " + base64.b64encode(b"files.example.org after a rebuild").decode()
NOTE = "We sat at the kitchen table; she made tea while the baby slept."
pytestmark = pytest.mark.skipif(
    os.environ.get("RELATIONS_SCREENSHOTS") != "1", reason="screenshots: RELATIONS_SCREENSHOTS=1"
)


@pytest.fixture
def service(
    store_dir: Path, passphrase: str, request: pytest.FixtureRequest
) -> Iterator[StoreService]:
    name = "Ruth Anderson" if "inbox" in request.node.name else "Mhairi Campbell"
    with StoreService.create(
        store_dir, passphrase, researcher_name=name, project_name="Relations study"
    ) as svc:
        yield svc


def shoot(window: MainWindow, name: str, qtbot) -> None:
    window.statusBar().clearMessage()
    qtbot.wait(80)
    path = DOCS / name
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000


def sessions(store: StoreService, folder: Path) -> list[str]:
    lara = store.add_participant("Lara", "Mother", region="Scotland")
    give_adult_consent(store, lara.id)
    visit = store.add_encounter(
        "home-visit", "Home visit with Lara", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    store.add_note(visit.id, NOTE)
    recording = make_recording(store, visit.id, folder, 6.0)
    lines = [Seg(0.0, 3.0, "Thanks for having me round again.", speaker=0),
             Seg(3.0, 6.0, "The mornings are the hardest.", speaker=1)]  # fmt: skip
    make_transcript(store, recording, lines, speakers=["Interviewer", "Lara"])
    clinic = store.add_encounter("clinic-visit", "Clinic appointment", on=date(2025, 3, 19))
    store.add_note(clinic.id, "The waiting room was full; the appointment ran late.")
    debrief = store.add_encounter("workday-debrief", "Team debrief", on=date(2025, 3, 21))
    store.add_note(debrief.id, "Talked through the week's visits and what to follow up.")
    return [visit.id, clinic.id, debrief.id]


class ChangedServer:
    """The SFTP server now presents another host key (no real sshd here)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.key = PINNED
        for module in (core_sync, sync_sftp):
            monkeypatch.setattr(module, "server_key", lambda *_a: self.key)
        monkeypatch.setattr(core_sync, "open_sftp", self.open_sftp)

    @contextlib.contextmanager
    def open_sftp(self, target_id: str, loc: Any, pinned: str, *_a: Any) -> Iterator[Any]:
        if pinned and pinned != self.key:
            raise sync_sftp.host_key_changed(target_id, loc, pinned, self.key)
        raise TargetUnavailable(f"{loc.host} did not answer within 20 seconds.")
        yield


def test_sync_targets_screenshot(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    DOCS.mkdir(parents=True, exist_ok=True)
    server = ChangedServer(monkeypatch)
    service.team.add_me(role="pi")
    visit, clinic, debrief = sessions(service, tmp_path)
    with tempfile.TemporaryDirectory(prefix="team-share-") as share:
        service.sync.add_target("folder", share)
        sftp = service.sync.add_target("sftp", "mhairi@files.example.org/srv/relations",
                                       password="not shown")  # fmt: skip
        service.sync.pin_host_key(sftp.id)
        service.bundles.seal(encounter_ids=[visit], with_audio=True)
        service.sync.set_enabled(sftp.id, False)
        service.sync.sync()  # the first bundle reached both, long ago
        service.sync.set_enabled(sftp.id, True)
        service.sync.sync(force=True)
        server.key = PRESENTED
        service.bundles.seal(encounter_ids=[clinic, debrief])

        window = make_window(FAST)
        window.resize(1200, 800)
        workspace = window.workspace
        assert workspace is not None
        workspace.show_page(TEAM)
        page = workspace.team
        page.show_tab(OUTBOX_TAB)
        runner.wait_idle()
        panel = page.outbox.sync_panel
        assert isinstance(panel, SyncTargetsPanel)
        sync = window.background_sync
        assert sync is not None
        runs = sync.runs
        panel.sync_button.click()
        qtbot.waitUntil(lambda: sync.runs > runs and not sync.running, timeout=SLOW_MS)
        runner.wait_idle()
        assert panel.banner.isVisible()
        panel.table.selectRow(1)
        shoot(window, "sync-targets.png", qtbot)


def test_inbox_screenshot(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="team-share-")))
        field = {
            name: stack.enter_context(
                StoreService.create(tmp_path / name, PASSPHRASE, researcher_name=name)
            )
            for name in ("Mhairi Campbell", "Tom Hughes")
        }
        stores = [service, *field.values()]
        keys = [(s.info().researcher_name, s.team.my_keys()) for s in stores]
        for store in stores:
            for name, key in keys:
                role = "pi" if name == "Ruth Anderson" else "member"
                store.team.add_member(
                    name, key.age_recipient, signing_key=key.signing_public_key, role=role
                )
        mhairi, tom = field["Mhairi Campbell"], field["Tom Hughes"]
        visit, _clinic, _debrief = sessions(mhairi, tmp_path)
        first = folder / "mhairi-2025-03-21.age"
        mhairi.bundles.seal(first, with_audio=True)
        service.bundles.open(first)
        service.update_encounter(visit, title="Home visit with Lara (first)")
        mhairi.update_encounter(visit, summary="Lara talked about the school run and the rent.")
        second = folder / "mhairi-2025-03-24.age"
        mhairi.bundles.seal(second, since_last=True)
        park = tom.add_encounter("park-visit", "Park with the twins", on=date(2025, 3, 22))
        tom.add_note(park.id, "Windy; the swings were busy and the café was shut.")
        tom.bundles.seal(folder / "tom-2025-03-22.age")
        damaged = bytearray(second.read_bytes())
        damaged[len(damaged) // 3] ^= 0x20
        (folder / "copy-from-usb.age").write_bytes(bytes(damaged))
        service.set_setting(SETTING, str(folder))

        window = make_window(FAST)
        window.resize(1200, 800)
        workspace = window.workspace
        assert workspace is not None
        workspace.show_page(TEAM)
        page = workspace.team
        page.show_tab(INBOX_TAB)
        runner.wait_idle()
        view = page.inbox
        assert isinstance(view, InboxView)
        paths = [str(second), str(folder / "copy-from-usb.age")]
        view.open_paths(paths)
        qtbot.waitUntil(lambda: not view.current and not view.queue, timeout=SLOW_MS)
        runner.wait_idle()
        assert view.conflicts.model.rowCount() == 1
        view.conflicts.table.selectRow(0)
        shoot(window, "inbox.png", qtbot)


def test_qdpx_export_screenshot(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    visit, clinic, _debrief = sessions(service, tmp_path)
    window = make_window(FAST)
    window.open_qdpx_export()
    dialog = window.dialog
    assert isinstance(dialog, QdpxExportDialog)
    runner.wait_idle()
    dialog.choose_file = lambda *_a: "/home/mhairi/Analysis/relations-2025-03-24.qdpx"
    dialog.check_sessions([visit, clinic])
    dialog.with_audio.setChecked(True)
    dialog.choose_destination()
    qtbot.wait(80)
    path = DOCS / "qdpx-export.png"
    assert dialog.grab().save(str(path))
    assert path.stat().st_size > 5_000
