"""Settings: the speech model folder (checked), the language and the glossary."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtWidgets import QPushButton

from relations_desktop.core.audio.devices import AudioUnavailable, DeviceInfo
from relations_desktop.core.services import StoreService
from relations_desktop.core.transcription import model_files
from relations_desktop.ui.dialogs.settings import (
    GLOSSARY_TAB,
    ROSTER_TAB,
    SECURITY_TAB,
    SYNC_TAB,
    SettingsDialog,
)
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.recording import DEVICE_SETTING
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WindowFactory
from tests.ui.fake_audio import FakeBackend


def open_dialog(qtbot, service: StoreService, runner: TaskRunner, folder: str) -> SettingsDialog:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(service, runner, 10, choose_folder=lambda _parent: folder)
    qtbot.addWidget(dialog)
    runner.wait_idle()
    return dialog


def test_a_folder_that_is_not_a_model_is_refused_and_nothing_changes(
    qtbot, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    service.transcription.add_terms(["methadone"])
    dialog = open_dialog(qtbot, service, runner, str(tmp_path))
    assert dialog.terms() == ["methadone"]
    dialog._choose_model()
    dialog.new_term.setText("kinship care")
    dialog._add_term()
    dialog.auto_lock.setValue(5)
    dialog.submit()
    runner.wait_idle()
    assert "not a CTranslate2 Whisper model folder" in dialog.message.text()
    assert service.transcription.model_setting() == ""
    assert service.transcription.terms() == ["methadone"]
    assert service.auto_lock_minutes == 10


def test_model_language_and_glossary_are_saved(
    qtbot, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    copy = tmp_path / "model-copy"
    shutil.copytree(model_files.default_model_dir(), copy)
    service.transcription.add_terms(["OST", "methadone"])
    dialog = open_dialog(qtbot, service, runner, str(copy))
    dialog._choose_model()
    assert dialog.model_label.text() == str(copy)
    dialog.language.setCurrentText("gd")
    dialog.glossary.setCurrentRow(0)  # "OST" (sorted)
    dialog.glossary.item(0).setSelected(True)
    dialog._remove_term()
    dialog.new_term.setText("  kinship   care ")
    dialog._add_term()
    dialog.submit()
    runner.wait_idle()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert service.transcription.model_setting() == str(copy)
    assert service.transcription.language_setting() == "gd"
    assert service.transcription.terms() == ["kinship care", "methadone"]


def test_the_embedded_model_can_be_chosen_again(
    qtbot, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    copy = tmp_path / "model-copy"
    shutil.copytree(model_files.default_model_dir(), copy)
    service.transcription.set_model(str(copy))
    dialog = open_dialog(qtbot, service, runner, "")
    assert dialog.default_button.isEnabled()
    dialog.default_button.click()
    dialog.submit()
    runner.wait_idle()
    assert service.transcription.model_setting() == ""


# ------------------------------------------------- settings in one place (issue 8)
def test_every_setting_has_its_section(qtbot, service: StoreService, runner: TaskRunner) -> None:
    dialog = open_dialog(qtbot, service, runner, "")
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert titles == [
        "Speech model", "Recording", "Security", "Glossary", "Sync targets", "Team roster",
    ]  # fmt: skip
    assert dialog.tabs.widget(GLOSSARY_TAB).isAncestorOf(dialog.glossary)
    assert dialog.tabs.widget(SECURITY_TAB).isAncestorOf(dialog.auto_lock)
    assert "no team recovery key" in dialog.security.recovery.text()


def test_the_microphone_is_chosen_and_saved_with_the_rest(
    qtbot, service: StoreService, runner: TaskRunner
) -> None:
    dialog = SettingsDialog(service, runner, 10, audio_backend=FakeBackend())
    qtbot.addWidget(dialog)
    runner.wait_idle()
    combo = dialog.recording.device
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "System default microphone", "Fake microphone (default)", "USB headset",
    ]  # fmt: skip
    assert "lossless" in dialog.recording.quality.text()
    combo.setCurrentIndex(combo.findData("USB headset"))
    dialog.auto_lock.setValue(7)
    dialog.submit()
    runner.wait_idle()
    assert service.get_setting(DEVICE_SETTING) == "USB headset"
    assert service.auto_lock_minutes == 7

    # Opened again: the saved one is chosen; one that is unplugged stays, marked.
    unplugged = SettingsDialog(service, runner, 7, audio_backend=FakeBackend(others=()))
    qtbot.addWidget(unplugged)
    runner.wait_idle()
    assert unplugged.recording.device.currentText() == "USB headset (not connected)"


class NoAudio(FakeBackend):
    def input_devices(self) -> list[DeviceInfo]:
        raise AudioUnavailable("Audio is unavailable: the PortAudio library is not installed.")


def test_no_audio_is_said_and_the_saved_microphone_is_kept(
    qtbot, service: StoreService, runner: TaskRunner
) -> None:
    service.set_setting(DEVICE_SETTING, "USB headset")
    dialog = SettingsDialog(service, runner, 10, audio_backend=NoAudio())
    qtbot.addWidget(dialog)
    runner.wait_idle()
    assert "PortAudio" in dialog.recording.message.text()
    dialog.recording.device.setCurrentIndex(0)
    dialog.submit()
    runner.wait_idle()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert service.get_setting(DEVICE_SETTING) == "USB headset"


def test_passphrase_change_and_recovery_in_security(
    qtbot, store_dir: Path, runner: TaskRunner, tmp_path: Path
) -> None:
    recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    with StoreService.create(store_dir, PASSPHRASE, recovery_recipient=recipient) as service:
        dialog = open_dialog(qtbot, service, runner, "")
        dialog.show_tab(SECURITY_TAB)
        assert "can reopen this store" in dialog.security.recovery.text()
        dialog.security.passphrase_button.click()
        change = dialog.passphrase_dialog
        assert change is not None and change.isVisible()
        change.current.setText(PASSPHRASE)
        change.passphrases.first.setText("harbour lantern quietly biscuit")
        change.passphrases.second.setText("harbour lantern quietly biscuit")
        change.save_button.click()
        runner.wait_idle()
        assert dialog.message.text() == "The passphrase was changed."
        service.lock()
        service.unlock("harbour lantern quietly biscuit")


def test_sync_targets_and_roster_work_inside_settings(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    service.team.add_me(role="pi")
    window = make_window()
    window.open_settings()
    dialog = window.dialog
    assert isinstance(dialog, SettingsDialog) and dialog.sync_panel is not None
    dialog.show_tab(ROSTER_TAB)
    runner.wait_idle()
    assert dialog.roster.model.rowCount() == 1
    dialog.show_tab(SYNC_TAB)
    runner.wait_idle()
    folder = tmp_path / "usb"
    folder.mkdir()
    dialog.sync_panel.choose_dir = lambda _parent: str(folder)
    dialog.sync_panel.add_folder_button.click()
    runner.wait_idle()
    assert [t.location for t in service.sync.list_targets()] == [str(folder)]
    assert dialog.sync_panel.model.rowCount() == 1


def test_without_background_sync_the_team_page_is_offered(
    qtbot, service: StoreService, runner: TaskRunner
) -> None:
    dialog = open_dialog(qtbot, service, runner, "")
    assert dialog.sync_panel is None
    with qtbot.waitSignal(dialog.team_page_requested, timeout=1000):
        next(
            b for b in dialog.findChildren(QPushButton) if b.text() == "Open the Team page"
        ).click()
    assert dialog.result() == SettingsDialog.DialogCode.Rejected
