"""Settings, in one place: speech model, recording, security (auto-lock, passphrase),
glossary, sync targets and the team roster, one tab each.

Save stores the first four tabs together (checked first: a bad model folder changes
nothing). The sync targets and the team roster are the Team page's own panels, whose
every action takes effect at once, as it does there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.audio.devices import AudioBackend
from relations_desktop.core.records import StoreInfo
from relations_desktop.core.services import StoreService
from relations_desktop.core.transcription.model_files import DEFAULT_MODEL_NAME
from relations_desktop.core.transcription.model_files import choose as choose_model
from relations_desktop.ui.dialogs.new_passphrase import NewPassphraseDialog
from relations_desktop.ui.dialogs.settings_pages import (
    GlossaryTab,
    RecordingSettings,
    RecordingTab,
    SecurityTab,
    SpeechTab,
    embedded,
    hint,
    load_recording_settings,
    recovery_text,
)
from relations_desktop.ui.page_slots import call_if_any
from relations_desktop.ui.sync_background import BackgroundSync
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.views.recording import DEVICE_SETTING
from relations_desktop.ui.views.sync_targets import SyncTargetsPanel
from relations_desktop.ui.views.team_roster import TeamRosterView
from relations_desktop.ui.widgets.message import MessageLabel

AUTO_LOCK_SETTING = "auto_lock_minutes"
SPEECH_TAB, RECORDING_TAB, SECURITY_TAB, GLOSSARY_TAB, SYNC_TAB, ROSTER_TAB = range(6)

FolderChooser = Callable[[QWidget], str]


def choose_model_folder(parent: QWidget) -> str:
    return QFileDialog.getExistingDirectory(parent, "Choose a speech model folder")


@dataclass(frozen=True)
class SpeechSettings:
    model_dir: str  # "" = embedded default
    language: str
    glossary: list[str]


def load_speech_settings(service: StoreService) -> SpeechSettings:
    transcription = service.transcription
    return SpeechSettings(
        transcription.model_setting(), transcription.language_setting(), transcription.terms()
    )


def save_settings(
    service: StoreService,
    minutes: int,
    model_dir: str,
    language: str,
    added: list[str],
    removed: list[str],
    device: str | None = None,
) -> None:
    """Everything at once, checked first: a bad model folder changes nothing.

    ``device`` is the microphone ("" = the system default; None leaves it as it is)."""
    transcription = service.transcription
    choose_model(model_dir or None)  # a folder that is not a model: refused, nothing changed
    transcription.set_language(language)
    if model_dir != transcription.model_setting():
        transcription.set_model(model_dir or None)
    for term in removed:
        transcription.remove_term(term)
    if added:
        transcription.add_terms(added)
    if device is not None:
        service.set_setting(DEVICE_SETTING, device)
    service.set_setting(AUTO_LOCK_SETTING, minutes)


class SettingsDialog(QDialog):
    auto_lock_changed = Signal(int)  # minutes, after it was stored
    status_message = Signal(str)
    team_page_requested = Signal()  # "Open the Team page" (no sync running to show here)

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        auto_lock_minutes: int,
        parent: QWidget | None = None,
        *,
        choose_folder: FolderChooser = choose_model_folder,
        audio_backend: AudioBackend | None = None,
        sync: BackgroundSync | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.choose_folder = choose_folder
        self.model_dir = ""
        self._loaded_terms: list[str] = []
        self.passphrase_dialog: NewPassphraseDialog | None = None
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.resize(900, 600)

        self.speech = SpeechTab(self)
        self.recording = RecordingTab(self)
        self.security = SecurityTab(auto_lock_minutes, self)
        self.glossary_tab = GlossaryTab(self)
        # The names the rest of the app and the tests use.
        self.model_label, self.default_button = self.speech.model_label, self.speech.default_button
        self.language = self.speech.language
        self.auto_lock = self.security.auto_lock
        self.glossary, self.new_term = self.glossary_tab.glossary, self.glossary_tab.new_term
        self.speech.choose_button.clicked.connect(self._choose_model)
        self.default_button.clicked.connect(lambda: self._set_model(""))
        self.glossary_tab.add_button.clicked.connect(self._add_term)
        self.glossary_tab.remove_button.clicked.connect(self._remove_term)
        self.new_term.returnPressed.connect(self._add_term)
        self.security.passphrase_button.clicked.connect(self.change_passphrase)

        self.roster = TeamRosterView(service, runner, self)
        self.roster.status_message.connect(self.status_message)
        roster_tab = embedded(
            self.roster,
            "The same as Team → Keys & roster (Ctrl+9): every change here takes effect at once.",
            self,
        )
        self.sync_panel: SyncTargetsPanel | None = None
        sync_tab = self._sync_tab(sync)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Settings sections")
        for widget, title in (
            (self.speech, "Speech model"),
            (self.recording, "Recording"),
            (self.security, "Security"),
            (self.glossary_tab, "Glossary"),
            (sync_tab, "Sync targets"),
            (roster_tab, "Team roster"),
        ):
            self.tabs.addTab(widget, title)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.message = MessageLabel(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save settings")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        runner.submit(
            load_speech_settings, service, on_result=self._loaded, on_error=self._failed, owner=self
        )
        runner.submit(
            load_recording_settings,
            service,
            audio_backend,
            on_result=self._devices_loaded,
            on_error=self._failed,
            owner=self,
        )
        runner.submit(service.info, on_result=self._info, owner=self)

    def _sync_tab(self, sync: BackgroundSync | None) -> QWidget:
        if sync is not None and not sync.stopped:
            panel = SyncTargetsPanel(self.service, self.runner, sync, self)
            panel.status_message.connect(self.status_message)
            self.sync_panel = panel
            return embedded(
                panel,
                "Where sealed bundles go, as under Team → Outbox: every change here takes "
                "effect at once.",
                self,
                grow=False,
            )
        tab = QWidget(self)
        button = QPushButton("Open the Team page", tab)
        button.setAccessibleName("Open the Team page")
        button.setAutoDefault(False)
        button.clicked.connect(self._open_team_page)
        layout = QVBoxLayout(tab)
        layout.addWidget(hint("Sync targets are set on the Team page, under the outbox.", tab))
        layout.addWidget(button)
        layout.addStretch(1)
        return tab

    def show_tab(self, tab: int) -> None:
        self.tabs.setCurrentIndex(tab)

    def _tab_shown(self, tab: int) -> None:
        if tab == SYNC_TAB:
            call_if_any(self.sync_panel, "refresh")
        elif tab == ROSTER_TAB:
            self.roster.refresh()

    def _open_team_page(self) -> None:
        self.team_page_requested.emit()
        self.reject()

    # ---------------------------------------------------------------- loading
    def _loaded(self, settings: SpeechSettings) -> None:
        self._set_model(settings.model_dir)
        self.language.setCurrentText(settings.language)
        self._loaded_terms = list(settings.glossary)
        self.glossary.clear()
        self.glossary.addItems(settings.glossary)

    def _devices_loaded(self, settings: RecordingSettings) -> None:
        self.recording.show_devices(settings)

    def _info(self, info: StoreInfo) -> None:
        self.security.recovery.setText(recovery_text(info.recovery_recipient))

    # ------------------------------------------------------------------ speech
    def _choose_model(self) -> None:
        folder = self.choose_folder(self)
        if folder:
            self._set_model(folder)

    def _set_model(self, folder: str) -> None:
        self.model_dir = folder
        self.model_label.setText(folder or DEFAULT_MODEL_NAME)
        self.default_button.setEnabled(bool(folder))

    def _add_term(self) -> None:
        term = " ".join(self.new_term.text().split())
        if term and term not in self.terms():
            self.glossary.addItem(term)
        self.new_term.clear()

    def _remove_term(self) -> None:
        for item in self.glossary.selectedItems():
            self.glossary.takeItem(self.glossary.row(item))

    def terms(self) -> list[str]:
        return [self.glossary.item(i).text() for i in range(self.glossary.count())]

    # --------------------------------------------------------------- security
    def change_passphrase(self) -> None:
        dialog = NewPassphraseDialog(self.service, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._passphrase_changed)
        self.passphrase_dialog = dialog
        dialog.open()

    def _passphrase_changed(self) -> None:
        self.message.show_info("The passphrase was changed.")
        self.status_message.emit("The passphrase was changed")

    # -------------------------------------------------------------------- save
    def submit(self) -> None:
        minutes = self.auto_lock.value()
        terms = self.terms()
        added = [t for t in terms if t not in self._loaded_terms]
        removed = [t for t in self._loaded_terms if t not in terms]
        self.runner.submit(
            save_settings,
            self.service,
            minutes,
            self.model_dir,
            self.language.currentText(),
            added,
            removed,
            self.recording.chosen(),
            on_result=lambda _r: self._saved(minutes),
            on_error=self._failed,
            owner=self,
        )

    def _saved(self, minutes: int) -> None:
        self.auto_lock_changed.emit(minutes)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))
