"""The Transcript menu: what the transcript editor does, with its keys shown.

The keys themselves belong to the editor (they work while it has the focus, before
the window's own shortcuts), so the menu only shows them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from relations_desktop.ui.views.transcript_editor import TranscriptEditor

Finder = Callable[[], TranscriptEditor | None]

ENTRIES: tuple[tuple[str, str, str] | None, ...] = (
    ("&Split segment at the cursor", "Alt+S", "split"),
    ("&Merge with the next segment", "Alt+M", "merge"),
    ("Assign speaker 1…9", "Ctrl+1…9", ""),
    None,
    ("&Undo", "Ctrl+Z", "undo"),
    ("&Redo", "Ctrl+Shift+Z", "redo"),
    None,
    ("Copy as &quote…", "Ctrl+Shift+C", "quote"),
    None,
    ("&History of the segment…", "", "history"),
    ("&Export transcript…", "", "export"),
    ("Transcription s&hortcuts…", "", "shortcuts"),
)


def build_transcript_menu(window: QMainWindow, find: Finder) -> list[QAction]:
    """Add the menu; ``find`` gives the editor when its page is shown."""
    menu = window.menuBar().addMenu("&Transcript")
    actions: list[QAction] = []
    for entry in ENTRIES:
        if entry is None:
            menu.addSeparator()
            continue
        text, keys, name = entry
        action = QAction(f"{text}\t{keys}" if keys else text, window)
        action.setObjectName(f"transcript_{name or 'speakers'}")
        if name:
            action.triggered.connect(lambda _checked=False, n=name: _run(window, find, n))
        else:
            action.setEnabled(False)  # a reminder of the keys only
        menu.addAction(action)
        actions.append(action)
    return actions


def _run(window: QMainWindow, find: Finder, name: str) -> None:
    editor = find()
    if editor is None:
        window.statusBar().showMessage("Open a transcript first (a session's recordings).", 5000)
        return
    editor.run_action(name)
