"""A dialog's message line with a "Go to Review" button beside it, shown when something
leaving the store (a bundle, a REFI-QDA project) was refused because likely identifiers
are not reviewed yet (:class:`IdentifiersUnresolved`, exit code 13)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from relations_desktop.core.review import IdentifiersUnresolved
from relations_desktop.ui.tasks import describe
from relations_desktop.ui.widgets.message import MessageLabel

REVIEW_TIP = "Open the review of identifiers (Ctrl+7)"


class RefusalNote(QWidget):
    """``message`` (a :class:`MessageLabel`) and ``review_button``; the button is shown
    only for a refusal over unreviewed identifiers, and then takes the focus."""

    review_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = MessageLabel(self)
        self.review_button = QPushButton("Go to Review", self)
        self.review_button.setAccessibleName("Go to Review")
        self.review_button.setToolTip(REVIEW_TIP)
        self.review_button.clicked.connect(self.review_requested)
        self.review_button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.review_button, 0, Qt.AlignmentFlag.AlignTop)

    def show_refusal(self, error: BaseException) -> None:
        """The error's message in red; with "Go to Review" when identifiers are open."""
        self.message.show_error(describe(error))
        if isinstance(error, IdentifiersUnresolved):
            self.review_button.show()
            self.review_button.setFocus()
        else:
            self.review_button.hide()

    def clear(self) -> None:
        self.message.clear_message()
        self.review_button.hide()
