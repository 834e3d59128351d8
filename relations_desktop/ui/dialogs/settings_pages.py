"""The tabs of the settings dialog (``settings.py``) that hold settings of their own:
speech model, recording, security and glossary. The sync targets and the team roster
tabs show the Team page's own panels."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.audio.devices import AudioBackend, DeviceInfo
from relations_desktop.core.errors import RelationsError
from relations_desktop.core.services import StoreService
from relations_desktop.core.transcription.model_files import DEFAULT_MODEL_NAME
from relations_desktop.ui.views.recording import DEVICE_SETTING
from relations_desktop.ui.widgets.message import MessageLabel

MIN_AUTO_LOCK, MAX_AUTO_LOCK = 1, 240
LANGUAGES = ("en", "cy", "gd", "ga", "pl", "ro", "ur", "pa", "ar", "fr", "de", "es")
SYSTEM_DEFAULT = "System default microphone"
QUALITY_TEXT = (
    "Recordings are kept lossless (FLAC, mono) at the microphone's own sample rate, "
    "inside the encrypted store: nothing is compressed away."
)


def hint(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


def _button(text: str, name: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(name)
    button.setAutoDefault(False)
    return button


def _left(widget: QWidget) -> QHBoxLayout:
    """A form field at its natural width, not stretched across the tab."""
    row = QHBoxLayout()
    row.addWidget(widget)
    row.addStretch(1)
    return row


def embedded(panel: QWidget, text: str, parent: QWidget, *, grow: bool = True) -> QWidget:
    """A Team page panel as a settings tab: a line saying its changes apply at once, and
    the margins the other tabs have. Without ``grow`` the panel keeps its own height."""
    tab = QWidget(parent)
    layout = QVBoxLayout(tab)
    layout.addWidget(hint(text, tab))
    layout.addWidget(panel, 1 if grow else 0)
    if not grow:
        layout.addStretch(1)
    return tab


# ------------------------------------------------------------------ loading
@dataclass(frozen=True)
class RecordingSettings:
    devices: list[DeviceInfo]
    chosen: str  # "" = the system default
    problem: str  # why the devices could not be listed ("" when they could)


def load_recording_settings(
    service: StoreService, backend: AudioBackend | None = None
) -> RecordingSettings:
    """(runs on the task runner) The input devices and the one chosen last."""
    chosen = service.get_setting(DEVICE_SETTING) or ""
    try:
        devices = service.recordings.devices(backend)
    except RelationsError as exc:
        return RecordingSettings([], str(chosen), exc.message)
    return RecordingSettings(devices, str(chosen), "")


def recovery_text(recipient: str | None) -> str:
    if recipient:
        return (
            f"Your team can reopen this store with its recovery identity if you forget your "
            f"passphrase (recovery key {recipient[:16]}…{recipient[-6:]})."
        )
    return (
        "This store has no team recovery key: if you forget your passphrase, nobody can "
        "open it. Keep the passphrase somewhere safe."
    )


# --------------------------------------------------------------------- tabs
class SpeechTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_label = QLabel(DEFAULT_MODEL_NAME, self)
        self.model_label.setWordWrap(True)
        self.model_label.setAccessibleName("Speech model in use")
        self.choose_button = _button("Choose folder…", "Choose a speech model folder", self)
        self.default_button = _button(
            "Use the embedded model", "Use the embedded speech model", self
        )
        row = QHBoxLayout()
        row.addWidget(self.model_label, 1)
        row.addWidget(self.choose_button)
        row.addWidget(self.default_button)
        self.language = QComboBox(self)
        self.language.setEditable(True)
        self.language.addItems(LANGUAGES)
        self.language.setAccessibleName("Transcription language")
        form = QFormLayout(self)
        form.addRow("Speech model:", row)
        form.addRow(
            "",
            hint(
                "Any CTranslate2 Whisper model folder (for example a larger model copied "
                "from a USB stick). Nothing is downloaded.",
                self,
            ),
        )
        form.addRow("Language:", self.language)


class RecordingTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device = QComboBox(self)
        self.device.setAccessibleName("Microphone")
        self.device.addItem(SYSTEM_DEFAULT, "")
        self.device.setMinimumWidth(280)
        self.loaded = False
        self.message = MessageLabel(self)
        self.quality = hint(QUALITY_TEXT, self)
        self.quality.setAccessibleName("Recording quality")
        form = QFormLayout(self)
        form.addRow("Microphone:", self.device)
        form.addRow(
            "",
            hint(
                "Used when you start a recording; the recording screen can still pick "
                "another one for a single interview.",
                self,
            ),
        )
        form.addRow("", self.message)
        form.addRow("Quality:", self.quality)

    def show_devices(self, settings: RecordingSettings) -> None:
        self.device.clear()
        self.device.addItem(SYSTEM_DEFAULT, "")
        for info in settings.devices:
            label = f"{info.name} (default)" if info.is_default else info.name
            self.device.addItem(label, info.name)
        if settings.chosen and self.device.findData(settings.chosen) < 0:
            self.device.addItem(f"{settings.chosen} (not connected)", settings.chosen)
        self.device.setCurrentIndex(max(0, self.device.findData(settings.chosen)))
        if settings.problem:  # nothing listed: the saved choice is left as it is
            self.message.show_error(settings.problem)
        self.loaded = not settings.problem
        self.device.setEnabled(self.loaded)

    def chosen(self) -> str | None:
        """The device to store ("" = system default), or None when nothing was loaded."""
        return str(self.device.currentData() or "") if self.loaded else None


class SecurityTab(QWidget):
    def __init__(self, auto_lock_minutes: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auto_lock = QSpinBox(self)
        self.auto_lock.setRange(MIN_AUTO_LOCK, MAX_AUTO_LOCK)
        self.auto_lock.setSuffix(" minutes")
        self.auto_lock.setValue(auto_lock_minutes)
        self.auto_lock.setAccessibleName("Lock after idle time")
        self.passphrase_button = _button("Change passphrase…", "Change passphrase", self)
        self.recovery = hint("", self)
        self.recovery.setAccessibleName("Recovery")
        form = QFormLayout(self)
        form.addRow("Lock after:", _left(self.auto_lock))
        form.addRow(
            "",
            hint(
                "The window locks itself after this long without keyboard or mouse use "
                "(Ctrl+L locks at once). A recording goes on while locked.",
                self,
            ),
        )
        form.addRow("Passphrase:", _left(self.passphrase_button))
        form.addRow("Recovery:", self.recovery)


class GlossaryTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.glossary = QListWidget(self)
        self.glossary.setAccessibleName("Glossary")
        self.new_term = QLineEdit(self)
        self.new_term.setPlaceholderText("A name or term, e.g. kinship care")
        self.new_term.setAccessibleName("New glossary term")
        self.add_button = _button("Add", "Add the term", self)
        self.remove_button = _button("Remove", "Remove the selected terms", self)
        row = QHBoxLayout()
        row.addWidget(self.new_term, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(
            hint(
                "Names and words of the study, given to the speech model as hints. They "
                "help larger models; see docs/benchmarks.md.",
                self,
            )
        )
        layout.addWidget(self.glossary, 1)
        layout.addLayout(row)
