"""The pseudonymisation page: the review of flagged occurrences and the pseudonym
register, one tab each. The only page that shows real strings."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from relations_desktop.ui.context import AppContext
from relations_desktop.ui.views.pseudonym_register import PseudonymRegisterView
from relations_desktop.ui.views.review import ReviewView

REVIEW_TAB, REGISTER_TAB = range(2)


class ReviewPage(QWidget):
    status_message = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPage")
        heading = QLabel("Review identifiers", self)
        heading.setObjectName("viewTitle")
        hint = QLabel(
            "Names, places and numbers the pseudonym register does not cover yet. The store "
            "keeps the originals; everything that leaves it has the register applied, and an "
            "export is refused while anything it includes is unresolved.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        top = QVBoxLayout()
        top.setSpacing(2)
        top.addWidget(heading)
        top.addWidget(hint)

        self.review = ReviewView(context, self)
        self.pseudonyms = PseudonymRegisterView(context.service, context.runner, self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.review, "Flagged occurrences")
        self.tabs.addTab(self.pseudonyms, "Pseudonym register")
        self.tabs.setAccessibleName("Review or register")
        self.tabs.currentChanged.connect(self._tab_changed)
        for view in (self.review, self.pseudonyms):
            view.status_message.connect(self.status_message)
        self.pseudonyms.changed.connect(self.review.refresh)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    def show_tab(self, tab: int) -> None:
        self.tabs.setCurrentIndex(tab)

    def _tab_changed(self, tab: int) -> None:
        if tab != REVIEW_TAB:
            self.review.stop_playback()
        self.refresh()

    def refresh(self) -> None:
        if self.tabs.currentIndex() == REGISTER_TAB:
            self.pseudonyms.refresh()
        else:
            self.review.refresh()

    def stop_playback(self) -> None:
        self.review.stop_playback()

    def flush(self) -> None:
        self.review.flush()
        self.pseudonyms.flush()

    def wipe(self) -> None:
        self.review.wipe()
        self.pseudonyms.wipe()
