"""First run (create the store) and later runs (unlock), driven through the dialogs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from relations_desktop.core.services import StoreService
from relations_desktop.paths import STORE_ENV, default_store_dir
from relations_desktop.ui.app import AppController
from relations_desktop.ui.dialogs.first_run import SAMPLE, TEAM, FirstRunWizard
from relations_desktop.ui.dialogs.unlock import UnlockDialog
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.tasks import TaskRunner
from tests.ui.conftest import FAST

STRONG = "kitchen table methadone bairns"


@pytest.fixture
def controller(qtbot, store_dir: Path) -> Iterator[AppController]:
    runner = TaskRunner()
    app = AppController(store_dir, runner, options=FAST)
    yield app
    app.shutdown()


def _click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_store_folder_comes_from_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "elsewhere"))
    assert default_store_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(STORE_ENV)
    assert default_store_dir().name == "store"


def test_first_run_creates_the_store(qtbot, controller: AppController, store_dir: Path) -> None:
    controller.start()
    wizard = controller.dialog
    assert isinstance(wizard, FirstRunWizard)
    _click(qtbot, wizard.next_button)  # past the welcome
    page = wizard.store
    qtbot.keyClicks(page.researcher, "Mhairi")

    # Mismatch: refused with a message, nothing created.
    qtbot.keyClicks(page.passphrases.first, STRONG)
    qtbot.keyClicks(page.passphrases.second, STRONG + "x")
    _click(qtbot, wizard.next_button)
    assert "not the same" in page.message.text()
    assert not store_dir.exists()

    # Weak: the meter says so while typing, and it is refused.
    page.passphrases.clear()
    qtbot.keyClicks(page.passphrases.first, "password1")
    assert "weak" in page.passphrases.meter.label.text().lower()
    qtbot.keyClicks(page.passphrases.second, "password1")
    _click(qtbot, wizard.next_button)
    assert "too weak" in page.message.text()
    assert not store_dir.exists()

    page.passphrases.clear()
    qtbot.keyClicks(page.passphrases.first, STRONG)
    qtbot.keyClicks(page.passphrases.second, STRONG)
    assert page.passphrases.meter.strength.acceptable
    _click(qtbot, wizard.next_button)
    qtbot.waitUntil(lambda: wizard.page == TEAM, timeout=5000)
    _click(qtbot, wizard.next_button)  # "Later": this makes the store
    qtbot.waitUntil(lambda: wizard.page == SAMPLE, timeout=10000)
    wizard.sample_page.add_sample.setChecked(False)
    _click(qtbot, wizard.next_button)
    qtbot.waitUntil(lambda: controller.window is not None, timeout=5000)
    assert (store_dir / "vault.json").exists()
    assert isinstance(controller.window, MainWindow)
    assert controller.window.windowTitle() == "Relations Desktop"
    assert controller.service is not None and not controller.service.is_locked
    controller.runner.wait_idle()
    assert "Mhairi" in controller.window.workspace.researcher_label.text()


def test_unlock_wrong_then_right(qtbot, controller: AppController, store_dir: Path) -> None:
    StoreService.create(store_dir, STRONG).close()
    controller.start()
    dialog = controller.dialog
    assert isinstance(dialog, UnlockDialog)

    qtbot.keyClicks(dialog.passphrase, "not my passphrase at all")
    _click(qtbot, dialog.unlock_button)
    qtbot.waitUntil(lambda: dialog.message.text() == "Wrong passphrase.", timeout=5000)
    assert dialog.isVisible() and dialog.isEnabled()
    assert controller.window is None

    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, STRONG)
    _click(qtbot, dialog.unlock_button)
    qtbot.waitUntil(lambda: controller.window is not None, timeout=5000)
    assert not dialog.used_recovery


def test_second_instance_on_the_same_store_is_told(
    qtbot, controller: AppController, service: StoreService
) -> None:
    controller.start()  # the `service` fixture holds the store open
    dialog = controller.dialog
    assert isinstance(dialog, UnlockDialog)
    qtbot.keyClicks(dialog.passphrase, STRONG)
    _click(qtbot, dialog.unlock_button)
    qtbot.waitUntil(lambda: "already open" in dialog.message.text(), timeout=5000)
    assert controller.window is None


def test_quitting_the_unlock_dialog_finishes(qtbot, controller: AppController, store_dir: Path):
    StoreService.create(store_dir, STRONG).close()
    controller.start()
    with qtbot.waitSignal(controller.finished, timeout=2000):
        controller.dialog.reject()
