"""The transcript editor's keys, in the style of oTranscribe and Express Scribe.

Six of them can be changed (Shortcuts…, stored with ``transcript_shortcuts``). While the
focus is in the editor its keys come first: :class:`EditorKeys` claims them before the
window's shortcuts (so Ctrl+1…9 assign speakers there instead of switching pages, and
Esc plays and pauses even while typing).
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QKeySequenceEdit, QLineEdit, QWidget

SETTING = "transcript_shortcuts"

# Action → (what it does, default key). The order is the dialog's.
CONFIGURABLE: dict[str, tuple[str, str]] = {
    "play_pause": ("Play / pause", "Esc"),
    "back": ("Back 3 seconds", "F1"),
    "forward": ("Forward 3 seconds", "F2"),
    "slower": ("Slower", "F3"),
    "faster": ("Faster", "F4"),
    "insert_time": ("Insert the current time", "Ctrl+J"),
}
FIXED: dict[str, str] = {
    "split": "Alt+S",
    "merge": "Alt+M",
    "undo": "Ctrl+Z",
    "redo": "Ctrl+Shift+Z",
    "redo_y": "Ctrl+Y",
    **{f"speaker_{n}": f"Ctrl+{n}" for n in range(1, 10)},
}
# Keys that still work while typing in a one-line field (a speaker's name).
TRANSPORT = frozenset({"play_pause", "back", "forward", "slower", "faster"})
SKIP_SECONDS = 3.0
_KEYPAD = Qt.KeyboardModifier.KeypadModifier


def label(action: str) -> str:
    if action in CONFIGURABLE:
        return CONFIGURABLE[action][0]
    if action.startswith("speaker_"):
        return f"Speaker {action.removeprefix('speaker_')}"
    return {"split": "Split segment", "merge": "Merge with next"}.get(
        action, action.replace("_y", "").capitalize()
    )


def defaults() -> dict[str, str]:
    return {action: keys for action, (_label, keys) in CONFIGURABLE.items()}


def normalise(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.PortableText)


def from_setting(value: object) -> dict[str, str]:
    """The stored mapping, with defaults for anything missing or unreadable."""
    mapping = defaults()
    if isinstance(value, Mapping):
        for action, keys in value.items():
            if action in CONFIGURABLE and isinstance(keys, str) and normalise(keys):
                mapping[action] = normalise(keys)
    return mapping


def clashes(mapping: Mapping[str, str]) -> list[str]:
    """Keys given to two actions, or taken by a fixed one."""
    seen: dict[str, str] = {normalise(k): a for a, k in FIXED.items()}
    problems: list[str] = []
    for action, keys in mapping.items():
        key = normalise(keys)
        if not key:
            problems.append(f"“{label(action)}” has no key.")
        elif key in seen:
            problems.append(f"{key} is used twice: “{label(seen[key])}” and “{label(action)}”.")
        else:
            seen[key] = action
    return problems


def event_keys(event: QKeyEvent) -> str:
    combination = event.keyCombination()
    modifiers = combination.keyboardModifiers() & ~_KEYPAD
    return QKeySequence(combination.key().value | modifiers.value).toString(
        QKeySequence.SequenceFormat.PortableText
    )


class EditorKeys(QObject):
    """An application event filter that gives ``view``'s keys to ``triggered``."""

    triggered = Signal(str)

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.view = view
        self._map: dict[str, str] = {}
        self._installed = False
        self.set_mapping(defaults())

    def set_mapping(self, mapping: Mapping[str, str]) -> None:
        keys = {normalise(k): a for a, k in FIXED.items()}
        keys.update({normalise(k): a for a, k in mapping.items() if normalise(k)})
        self._map = keys

    def keys_for(self, action: str) -> str:
        return next((k for k, a in self._map.items() if a == action), "")

    def install(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True

    def remove(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
        self._installed = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        if not isinstance(watched, QWidget) or not isinstance(event, QKeyEvent):
            return False
        if watched is not self.view and not self.view.isAncestorOf(watched):
            return False
        action = self._map.get(event_keys(event))
        if action is None or isinstance(watched, QKeySequenceEdit):
            return False
        if isinstance(watched, QLineEdit) and action not in TRANSPORT:
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # ours, not the window's: it comes back as a key press
            return True
        self.triggered.emit(action)
        return True
