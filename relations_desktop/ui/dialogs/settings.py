"""Settings kept in the store: auto-lock time; the speech model, language and glossary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.services import StoreService
from relations_desktop.core.transcription.model_files import DEFAULT_MODEL_NAME
from relations_desktop.core.transcription.model_files import choose as choose_model
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel

AUTO_LOCK_SETTING = "auto_lock_minutes"
MIN_AUTO_LOCK, MAX_AUTO_LOCK = 1, 240
LANGUAGES = ("en", "cy", "gd", "ga", "pl", "ro", "ur", "pa", "ar", "fr", "de", "es")

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
) -> None:
    """Everything at once, checked first: a bad model folder changes nothing."""
    transcription = service.transcription
    choose_model(model_dir or None)  # a folder that is not a model: refused, nothing changed
    transcription.set_language(language)
    if model_dir != transcription.model_setting():
        transcription.set_model(model_dir or None)
    for term in removed:
        transcription.remove_term(term)
    if added:
        transcription.add_terms(added)
    service.set_setting(AUTO_LOCK_SETTING, minutes)


class SettingsDialog(QDialog):
    auto_lock_changed = Signal(int)  # minutes, after it was stored

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        auto_lock_minutes: int,
        parent: QWidget | None = None,
        *,
        choose_folder: FolderChooser = choose_model_folder,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.choose_folder = choose_folder
        self.model_dir = ""
        self._loaded_terms: list[str] = []
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)

        self.auto_lock = QSpinBox(self)
        self.auto_lock.setRange(MIN_AUTO_LOCK, MAX_AUTO_LOCK)
        self.auto_lock.setSuffix(" minutes")
        self.auto_lock.setValue(auto_lock_minutes)
        self.auto_lock.setAccessibleName("Lock after idle time")
        general = QWidget(self)
        general_form = QFormLayout(general)
        general_form.addRow("Lock after:", self.auto_lock)
        general_form.addRow(
            "",
            _hint(
                "The window locks itself after this long without keyboard "
                "or mouse use. A recording goes on while locked."
            ),
        )

        self.model_label = QLabel(DEFAULT_MODEL_NAME, self)
        self.model_label.setWordWrap(True)
        choose = QPushButton("Choose folder…", self)
        choose.setAccessibleName("Choose a speech model folder")
        choose.clicked.connect(self._choose_model)
        self.default_button = QPushButton("Use the embedded model", self)
        self.default_button.clicked.connect(lambda: self._set_model(""))
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_label, 1)
        model_row.addWidget(choose)
        model_row.addWidget(self.default_button)
        self.language = QComboBox(self)
        self.language.setEditable(True)
        self.language.addItems(LANGUAGES)
        self.language.setAccessibleName("Transcription language")
        self.glossary = QListWidget(self)
        self.glossary.setAccessibleName("Glossary")
        self.new_term = QLineEdit(self)
        self.new_term.setPlaceholderText("A name or term, e.g. kinship care")
        self.new_term.setAccessibleName("New glossary term")
        self.new_term.returnPressed.connect(self._add_term)
        add = QPushButton("Add", self)
        add.clicked.connect(self._add_term)
        remove = QPushButton("Remove", self)
        remove.clicked.connect(self._remove_term)
        term_row = QHBoxLayout()
        term_row.addWidget(self.new_term, 1)
        term_row.addWidget(add)
        term_row.addWidget(remove)
        speech = QWidget(self)
        speech_form = QFormLayout(speech)
        speech_form.addRow("Speech model:", model_row)
        speech_form.addRow(
            "",
            _hint(
                "Any CTranslate2 Whisper model folder (for example a larger "
                "model copied from a USB stick). Nothing is downloaded."
            ),
        )
        speech_form.addRow("Language:", self.language)
        speech_form.addRow("Glossary:", self.glossary)
        speech_form.addRow("", term_row)
        speech_form.addRow(
            "",
            _hint(
                "Names and words of the study, given to the model as hints. "
                "They help larger models; see docs/benchmarks.md."
            ),
        )

        self.tabs = QTabWidget(self)
        self.tabs.addTab(general, "General")
        self.tabs.addTab(speech, "Transcription")
        self.message = MessageLabel(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(self.tabs)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.runner.submit(
            load_speech_settings, service, on_result=self._loaded, on_error=self._failed, owner=self
        )

    # ------------------------------------------------------------------ speech
    def _loaded(self, settings: SpeechSettings) -> None:
        self._set_model(settings.model_dir)
        self.language.setCurrentText(settings.language)
        self._loaded_terms = list(settings.glossary)
        self.glossary.clear()
        self.glossary.addItems(settings.glossary)

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
            on_result=lambda _r: self._saved(minutes),
            on_error=self._failed,
            owner=self,
        )

    def _saved(self, minutes: int) -> None:
        self.auto_lock_changed.emit(minutes)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label
