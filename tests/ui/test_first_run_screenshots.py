"""Screenshots of the first run, the settings, and the main window in dark mode and at
200 %, written to ``docs/screenshots/`` (first-run-welcome.png, first-run-team.png,
settings.png, main-window-dark.png, main-window-200.png). Skipped unless
``RELATIONS_SCREENSHOTS=1``; the same screens are driven by test_first_run.py,
test_settings.py and test_accessibility.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from relations_desktop.core.sample import add_sample_session
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.first_run import TEAM, FirstRunWizard
from relations_desktop.ui.dialogs.settings import RECORDING_TAB, SettingsDialog
from relations_desktop.ui.tasks import TaskRunner
from tests.ui.conftest import FAST, WindowFactory
from tests.ui.fake_audio import FakeBackend
from tests.ui.test_accessibility import ROOT, dark_palette, run_scaled, settle

pytestmark = pytest.mark.skipif(
    os.environ.get("RELATIONS_SCREENSHOTS") != "1", reason="screenshots: RELATIONS_SCREENSHOTS=1"
)
DOCS = ROOT / "docs" / "screenshots"
STORE = Path("/home/mhairi/.local/share/relations-desktop/store")  # only shown, never made


def save(widget: QWidget, name: str) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    path = DOCS / name
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 10_000


@pytest.fixture
def service(store_dir: Path, passphrase: str) -> Iterator[StoreService]:
    with StoreService.create(
        store_dir, passphrase, researcher_name="Mhairi Campbell", project_name="Relations study"
    ) as svc:
        yield svc


def test_first_run(qtbot, runner: TaskRunner) -> None:
    wizard = FirstRunWizard(STORE, runner)
    qtbot.addWidget(wizard)
    wizard.open()
    qtbot.waitExposed(wizard)
    save(wizard, "first-run-welcome.png")
    wizard.go(TEAM)
    wizard.team.start.setChecked(True)
    wizard.team.identity_path.setText("/media/mhairi/KINGSTON/team-recovery-identity.txt")
    save(wizard, "first-run-team.png")
    wizard.reject()
    assert not STORE.exists()


def test_settings(qtbot, service: StoreService, runner: TaskRunner) -> None:
    service.set_setting("input_device", "Zoom H1n (USB)")
    backend = FakeBackend(name="Built-in microphone", others=("Zoom H1n (USB)",))
    dialog = SettingsDialog(service, runner, 10, audio_backend=backend)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.show_tab(RECORDING_TAB)
    settle(runner)
    assert dialog.recording.device.currentText() == "Zoom H1n (USB)"
    save(dialog, "settings.png")


def test_main_window_dark(
    qtbot, qapp: QApplication, make_window: WindowFactory, service: StoreService
) -> None:
    add_sample_session(service)
    saved = qapp.palette()
    qapp.setPalette(dark_palette())
    try:
        window = make_window(FAST)
        window.resize(1200, 800)
        settle(window.runner)
        save(window, "main-window-dark.png")
    finally:
        qapp.setPalette(saved)


def test_main_window_at_200_percent(tmp_path: Path) -> None:
    run_scaled(tmp_path)
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "main-window-200.png", DOCS / "main-window-200.png")
