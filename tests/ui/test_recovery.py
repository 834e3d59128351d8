"""Opening with the team's recovery identity forces a new passphrase."""

from __future__ import annotations

from pathlib import Path

import pyrage
import pytest
from PySide6.QtCore import Qt

from relations_desktop.core.errors import WrongPassphrase
from relations_desktop.core.services import StoreService
from relations_desktop.ui.app import AppController
from relations_desktop.ui.dialogs.new_passphrase import NewPassphraseDialog
from relations_desktop.ui.dialogs.unlock import UnlockDialog
from relations_desktop.ui.tasks import TaskRunner
from tests.ui.conftest import FAST

OLD = "kitchen table methadone bairns"
NEW = "harbour lantern oatcake thistle"


def test_recovery_unlock_forces_a_new_passphrase(qtbot, tmp_path: Path, store_dir: Path) -> None:
    identity = pyrage.x25519.Identity.generate()
    StoreService.create(store_dir, OLD, recovery_recipient=str(identity.to_public())).close()
    identity_file = tmp_path / "team-recovery.txt"
    identity_file.write_text(f"# team recovery identity\n{identity}\n", encoding="utf-8")
    wrong_file = tmp_path / "other.txt"
    wrong_file.write_text(str(pyrage.x25519.Identity.generate()), encoding="utf-8")
    chosen = [str(wrong_file), str(identity_file)]

    runner = TaskRunner()
    controller = AppController(
        store_dir, runner, options=FAST, choose_file=lambda _parent: chosen.pop(0)
    )
    try:
        controller.start()
        unlock = controller.dialog
        assert isinstance(unlock, UnlockDialog)

        # Another team's identity: a message, and the dialog stays.
        qtbot.mouseClick(unlock.recovery_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "does not open" in unlock.message.text(), timeout=5000)
        assert controller.window is None

        qtbot.mouseClick(unlock.recovery_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: isinstance(controller.dialog, NewPassphraseDialog), timeout=5000)
        forced = controller.dialog
        assert isinstance(forced, NewPassphraseDialog) and forced.forced
        assert controller.window is None

        forced.reject()  # Escape / the close button do not skip it
        assert forced.isVisible()
        assert "Set a new passphrase first" in forced.message.text()

        qtbot.keyClicks(forced.passphrases.first, "abc")
        qtbot.keyClicks(forced.passphrases.second, "abc")
        qtbot.mouseClick(forced.save_button, Qt.MouseButton.LeftButton)
        assert "too weak" in forced.message.text()

        forced.passphrases.clear()
        qtbot.keyClicks(forced.passphrases.first, NEW)
        qtbot.keyClicks(forced.passphrases.second, NEW)
        qtbot.mouseClick(forced.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: controller.window is not None, timeout=5000)
    finally:
        controller.shutdown()

    with pytest.raises(WrongPassphrase):
        StoreService.open(store_dir, OLD)
    StoreService.open(store_dir, NEW).close()


def test_quitting_the_forced_change_closes_the_store(qtbot, tmp_path: Path, store_dir: Path):
    identity = pyrage.x25519.Identity.generate()
    StoreService.create(store_dir, OLD, recovery_recipient=str(identity.to_public())).close()
    identity_file = tmp_path / "id.txt"
    identity_file.write_text(str(identity), encoding="utf-8")
    runner = TaskRunner()
    controller = AppController(
        store_dir, runner, options=FAST, choose_file=lambda _parent: str(identity_file)
    )
    controller.start()
    controller.dialog.use_recovery_file()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, NewPassphraseDialog), timeout=5000)
    with qtbot.waitSignal(controller.finished, timeout=5000):
        qtbot.mouseClick(
            controller.dialog.buttons.button(controller.dialog.buttons.StandardButton.Cancel),
            Qt.MouseButton.LeftButton,
        )
    assert controller.service is None
    StoreService.open(store_dir, OLD).close()  # unchanged, and no longer held open
