"""The transcript editor's buttons (split, merge, undo, redo, history, export, shortcuts)
and the line that reminds of the keys."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QWidget

BUTTONS = (
    ("split", "Split", "Split the segment at the cursor (Alt+S)"),
    ("merge", "Merge", "Merge with the next segment (Alt+M)"),
    ("undo", "Undo", "Undo (Ctrl+Z)"),
    ("redo", "Redo", "Redo (Ctrl+Shift+Z)"),
    ("history", "History…", "Every version of the segment, from the machine's text on"),
    ("export", "Export…", "Write the transcript to a file (not encrypted)"),
    ("shortcuts", "Shortcuts…", "Choose the transcription keys"),
)


def keys_text(keys: Mapping[str, str]) -> str:
    return (
        f"{keys['play_pause']} play/pause · {keys['back']} back 3 s · "
        f"{keys['forward']} forward 3 s · {keys['slower']}/{keys['faster']} slower/faster · "
        f"{keys['insert_time']} insert the time · Alt+S split · Alt+M merge · "
        "Ctrl+1…9 speaker · Enter next segment · unsure words are highlighted"
    )


class TranscriptToolbar(QWidget):
    triggered = Signal(str)  # split, merge, undo, redo, history, export, shortcuts

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        for name, text, tip in BUTTONS:
            button = QPushButton(text, self)
            button.setToolTip(tip)
            button.setAccessibleName(text.rstrip("…"))
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the cursor stays in the text
            button.clicked.connect(lambda _checked=False, n=name: self.triggered.emit(n))
            self.buttons[name] = button
            if name == "history":
                row.addSpacing(12)
            if name == "shortcuts":
                row.addStretch(1)
                self.follow = QCheckBox("Follow playback", self)
                self.follow.setChecked(True)
                self.follow.setToolTip("Keep the segment being played in view")
                row.addWidget(self.follow)
            row.addWidget(button)
        self.buttons["undo"].setEnabled(False)
        self.buttons["redo"].setEnabled(False)
        self.keys_hint = QLabel(parent)
        self.keys_hint.setObjectName("hint")
        self.keys_hint.setWordWrap(True)

    def show_keys(self, keys: Mapping[str, str]) -> None:
        self.keys_hint.setText(keys_text(keys))

    def set_editable(self, editable: bool, *, can_export: bool) -> None:
        for name in ("split", "merge", "history"):
            self.buttons[name].setEnabled(editable)
        self.buttons["export"].setEnabled(can_export)
