"""An inline message line for dialogs: errors in red, hints in grey; empty is hidden."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget


class MessageLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message")
        self.setWordWrap(True)
        self.setAccessibleName("Message")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_error(self, text: str) -> None:
        self.setProperty("tone", "error")
        self._show(text)

    def show_info(self, text: str) -> None:
        self.setProperty("tone", "info")
        self._show(text)

    def _show(self, text: str) -> None:
        self.setText(text)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()
        fit_height(self)

    def clear_message(self) -> None:
        self.clear()
        self.hide()


def fit_height(widget: QWidget) -> None:
    """Grow the dialog holding ``widget`` when wrapped text needs more height.

    A window's minimum size ignores height-for-width, so a dialog whose message grows
    to two lines would squeeze its rows instead.
    """
    window = widget.window()
    layout = window.layout()
    if not isinstance(window, QDialog) or layout is None or not layout.hasHeightForWidth():
        return
    layout.activate()
    need = layout.totalHeightForWidth(window.width())
    if need > window.height():
        window.resize(window.width(), need)


def set_busy(widget: QWidget, busy: bool) -> None:
    """Grey out a dialog and show the wait cursor while its work runs."""
    widget.setEnabled(not busy)
    if busy:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    elif QApplication.overrideCursor() is not None:
        QApplication.restoreOverrideCursor()
