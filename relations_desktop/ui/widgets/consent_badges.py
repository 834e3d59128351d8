"""Consent at a glance: one badge per participant, in colour AND in words.

``Lara (Mother): recording ✓ quotes ✓ archive ✗``, with the state's summary as the
tooltip. Withdrawn participants and those without consent say so in words. Used by the
participant editor, the recording screen and any view listing people present.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from relations_desktop.core.consent.forms import Governs
from relations_desktop.core.consent.records import ConsentState
from relations_desktop.ui.labels import format_date
from relations_desktop.ui.widgets.flow_layout import FlowLayout

# (what it governs, the short word on the badge)
SHOWN = (
    (Governs.AUDIO_RECORDING, "recording"),
    (Governs.ANONYMISED_QUOTES, "quotes"),
    (Governs.ARCHIVING, "archive"),
)
YES, NO, UNASKED = "✓", "✗", "?"
_TONES = {  # background, border, text
    "ok": ("#e8f3ec", "#7fb392", "#14532d"),
    "partial": ("#fdf6e3", "#d9b45c", "#713f12"),
    "none": ("#fdecea", "#e0a19b", "#7f1d1d"),
    "withdrawn": ("#eeeeee", "#9ca3af", "#374151"),
}


def mark(value: bool | None) -> str:
    return YES if value is True else NO if value is False else UNASKED


def tone(state: ConsentState) -> str:
    """ok: may be recorded; partial: consent but no recording; none; withdrawn."""
    if state.withdrawn_scope is not None:
        return "withdrawn"
    if state.missing:
        return "none"
    return "ok" if state.allows(Governs.AUDIO_RECORDING) else "partial"


def short_text(state: ConsentState) -> str:
    """The badge's words without the name: ``recording ✓ quotes ✓ archive ✗``."""
    if state.withdrawn_scope is not None:
        what = "data deleted" if state.withdrawn_scope == "all" else "no further part"
        when = format_date(state.withdrawn_on) if state.withdrawn_on else ""
        return f"WITHDRAWN {when} ({what})".replace("  ", " ")
    if state.missing:
        return "no consent"
    return " ".join(f"{word} {mark(state.decisions.get(g.value))}" for g, word in SHOWN)


def spoken_text(state: ConsentState) -> str:
    """The same in words a screen reader says well."""
    if state.withdrawn_scope is not None or state.missing:
        return f"{state.label}: {short_text(state)}. {state.summary}"
    words = {YES: "yes", NO: "no", UNASKED: "not asked"}
    parts = [f"{word} {words[mark(state.decisions.get(g.value))]}" for g, word in SHOWN]
    return f"{state.label}: " + ", ".join(parts)


def badge_text(state: ConsentState) -> str:
    return f"{state.label}: {short_text(state)}"


class ConsentBadge(QLabel):
    def __init__(self, state: ConsentState, parent: QWidget | None = None) -> None:
        super().__init__(badge_text(state), parent)
        self.state = state
        self.setObjectName("consentBadge")
        self.tone = tone(state)
        self.setProperty("tone", self.tone)
        background, border, text = _TONES[self.tone]
        self.setStyleSheet(
            f"QLabel#consentBadge {{ background: {background}; border: 1px solid {border}; "
            f"color: {text}; border-radius: 9px; padding: 2px 9px; font-weight: 600; }}"
        )
        self.setToolTip(state.summary)
        self.setAccessibleName(spoken_text(state))
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


class ConsentBadges(QWidget):
    """Badges for a list of :class:`ConsentState`, wrapping onto as many lines as needed."""

    def __init__(
        self,
        states: Sequence[ConsentState] = (),
        parent: QWidget | None = None,
        *,
        empty_text: str = "Nobody is listed as present.",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("consentBadges")
        self.setAccessibleName("Consent")
        self.empty_text = empty_text
        self.flow = FlowLayout(self, spacing=6)
        self.badges: list[ConsentBadge] = []
        self.empty_label = QLabel(empty_text, self)
        self.empty_label.setObjectName("hint")
        self.flow.addWidget(self.empty_label)
        self.set_states(states)

    def set_states(self, states: Sequence[ConsentState]) -> None:
        for badge in self.badges:
            # Blanked at once: deletion comes later, and a lock must leave no name behind.
            badge.clear()
            badge.setToolTip("")
            badge.setAccessibleName("")
            self.flow.removeWidget(badge)
            badge.hide()
            badge.deleteLater()
        self.badges = [ConsentBadge(state, self) for state in states]
        for badge in self.badges:
            self.flow.addWidget(badge)
        self.empty_label.setVisible(not self.badges)
        self.updateGeometry()

    def clear(self) -> None:
        self.set_states([])

    @property
    def states(self) -> list[ConsentState]:
        return [b.state for b in self.badges]

    def texts(self) -> list[str]:
        return [b.text() for b in self.badges]
