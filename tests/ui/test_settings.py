"""Settings: the speech model folder (checked), the language and the glossary."""

from __future__ import annotations

import shutil
from pathlib import Path

from relations_desktop.core.services import StoreService
from relations_desktop.core.transcription import model_files
from relations_desktop.ui.dialogs.settings import SettingsDialog
from relations_desktop.ui.tasks import TaskRunner


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
