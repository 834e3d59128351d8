"""Two passphrase fields with live strength feedback (zxcvbn), for create and change."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QProgressBar, QVBoxLayout, QWidget

from relations_desktop.core.passphrase import LABELS, Strength, assess
from relations_desktop.ui.widgets.message import fit_height

_COLOURS = ("#b3261e", "#c2410c", "#a16207", "#15803d", "#166534")


def passphrase_problem(first: str, second: str) -> str | None:
    """Why this pair cannot become the passphrase, or None when it can."""
    if not first.strip():
        return "Type a passphrase."
    if first != second:
        return "The two passphrases are not the same. Type them again."
    strength = assess(first)
    if not strength.acceptable:
        advice = f" {strength.advice}" if strength.advice else ""
        return (
            f"This passphrase is too weak ({strength.label.lower()}).{advice} "
            "Several unrelated words work well."
        )
    return None


class StrengthMeter(QWidget):
    """A bar and a sentence: how hard the passphrase would be to guess."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, len(LABELS))
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.bar.setAccessibleName("Passphrase strength")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setObjectName("strengthLabel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        self.strength: Strength = assess("")
        self.update_for("")

    def update_for(self, passphrase: str) -> Strength:
        self.strength = assess(passphrase)
        score = self.strength.score
        self.bar.setValue(score + 1 if passphrase else 0)
        colour = _COLOURS[score]
        self.bar.setStyleSheet(f"QProgressBar::chunk {{ background: {colour}; }}")
        text = f"Strength: {self.strength.label}."
        if self.strength.advice:
            text += f" {self.strength.advice}"
        self.label.setText(text)
        self.label.setStyleSheet(f"color: {colour};" if passphrase else "")
        fit_height(self)
        return self.strength


class PassphrasePair(QObject):
    """Two passphrase fields ("Passphrase", "Repeat") and a strength meter, as form rows."""

    def __init__(self, first_label: str = "Passphrase", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first_label = first_label
        self.first = QLineEdit(parent)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName(first_label)
        self.first.setPlaceholderText("several unrelated words")
        self.second = QLineEdit(parent)
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Repeat passphrase")
        self.meter = StrengthMeter(parent)
        self.first.textChanged.connect(self.meter.update_for)

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow(f"{self.first_label}:", self.first)
        form.addRow("Repeat:", self.second)
        form.addRow("", self.meter)

    def problem(self) -> str | None:
        return passphrase_problem(self.first.text(), self.second.text())

    def passphrase(self) -> str:
        return self.first.text()

    def clear(self) -> None:
        self.first.clear()
        self.second.clear()
