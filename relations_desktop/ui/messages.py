"""Showing errors: a clear sentence in a non-blocking message box, never a traceback."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def show_error(
    parent: QWidget | None, message: str, title: str = "Relations Desktop"
) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("errorMessage")
    box.setAccessibleName("Error message")
    box.open()
    return box
