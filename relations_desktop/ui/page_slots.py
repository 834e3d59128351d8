"""Pages the workspace builds only when first shown (start-up stays quick, and the idle
lock's clock does not start late), and the quote bank, looked up when needed."""

from __future__ import annotations

import importlib
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner


class PageSlot(QWidget):
    """A page's place in the stack; the page itself comes with :meth:`set_view`."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.view: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def set_view(self, view: QWidget) -> None:
        self.view = view
        self._layout.addWidget(view)
        view.show()  # at once (a layout shows a late child only after the event loop ran)


class Unavailable(QWidget):
    """Stands in for a page this build does not have."""

    status_message = Signal(str)

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        label = QLabel(text, self)
        label.setObjectName("hint")
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.addWidget(label)
        layout.addStretch(1)


def quote_bank(service: StoreService, runner: TaskRunner) -> QWidget:
    """The quote bank's view (``ui/views/quote_bank.py``), or a page saying this build
    has none."""
    try:
        module: Any = importlib.import_module("relations_desktop.ui.views.quote_bank")
        view: QWidget = module.QuoteBankView(service, runner)
    except (ImportError, AttributeError):
        return Unavailable("The quote bank is not available in this version of the app.")
    return view


def call_if_any(view: QWidget | None, name: str) -> None:
    """Call the view's method of that name, if the view exists and has one."""
    method = getattr(view, name, None)
    if callable(method):
        method()
