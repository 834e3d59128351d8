"""The unlocked workspace: a sidebar and the three views. Destroyed whole on lock."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import StoreInfo
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import NOTE_KINDS
from relations_desktop.ui.tasks import TaskRunner, discard
from relations_desktop.ui.views.note_editor import NoteEditor
from relations_desktop.ui.views.participants import ParticipantsView
from relations_desktop.ui.views.search import SearchView
from relations_desktop.ui.views.sessions import SessionsView

SESSIONS, PARTICIPANTS, SEARCH = range(3)
PAGES = (("Sessions", "Ctrl+1"), ("Participants", "Ctrl+2"), ("Search", "Ctrl+3"))


class Workspace(QWidget):
    status_message = Signal(str)
    save_failed = Signal(str)

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        note_editor: NoteEditor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workspace")
        self.service = service
        self.runner = runner

        self.sidebar = QWidget(self)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(200)
        brand = QLabel("Relations", self.sidebar)
        brand.setObjectName("brand")
        self.project_label = QLabel(self.sidebar)
        self.project_label.setObjectName("sidebarHint")
        self.project_label.setWordWrap(True)
        self.nav = QListWidget(self.sidebar)
        self.nav.setObjectName("nav")
        self.nav.setAccessibleName("Navigation")
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for name, keys in PAGES:
            item = QListWidgetItem(name, self.nav)
            item.setToolTip(f"{name} ({keys})")
            item.setSizeHint(QSize(0, 38))
        self.researcher_label = QLabel(self.sidebar)
        self.researcher_label.setObjectName("sidebarHint")
        self.researcher_label.setWordWrap(True)
        side = QVBoxLayout(self.sidebar)
        side.setContentsMargins(12, 18, 12, 14)
        side.setSpacing(4)
        side.addWidget(brand)
        side.addWidget(self.project_label)
        side.addSpacing(18)
        side.addWidget(self.nav, 1)
        side.addWidget(self.researcher_label)

        self.sessions = SessionsView(service, runner, note_editor=note_editor)
        self.participants = ParticipantsView(service, runner)
        self.search = SearchView(service, runner)
        self.pages = QStackedWidget(self)
        self.pages.setObjectName("pages")
        for view in (self.sessions, self.participants, self.search):
            self.pages.addWidget(view)
            view.status_message.connect(self.status_message)
        self.sessions.note_editor.save_failed.connect(self.save_failed)
        self.search.open_note.connect(self.open_note)
        self.nav.currentRowChanged.connect(self._page_changed)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.pages, 1)

        self.nav.setCurrentRow(SESSIONS)
        self.sessions.refresh()
        runner.submit(service.info, on_result=self._show_info)

    def _show_info(self, info: StoreInfo) -> None:
        self.project_label.setText(info.project_name)
        self.researcher_label.setText(f"Signed in as\n{info.researcher_name}")

    def show_page(self, page: int) -> None:
        self.nav.setCurrentRow(page)

    @property
    def current_page(self) -> int:
        return self.pages.currentIndex()

    def _page_changed(self, page: int) -> None:
        if page < 0:
            return
        if self.pages.currentIndex() == SESSIONS and page != SESSIONS:
            self.sessions.flush()
        self.pages.setCurrentIndex(page)
        view = self.pages.currentWidget()
        if page == SESSIONS:
            self.sessions.refresh()
        elif isinstance(view, ParticipantsView | SearchView):
            view.refresh()

    def new_session(self) -> None:
        self.show_page(SESSIONS)
        self.sessions.new_session()

    def new_note(self) -> None:
        self.show_page(SESSIONS)
        self.sessions.new_note(NOTE_KINDS[0][0])

    def focus_search(self) -> None:
        self.show_page(SEARCH)
        self.search.focus_query()

    def open_note(self, encounter_id: str, note_id: str) -> None:
        self.show_page(SESSIONS)
        self.sessions.open_note(encounter_id, note_id)

    def flush(self) -> None:
        """Send every pending edit to the store (before lock and close)."""
        self.sessions.flush()

    def unsaved_drafts(self) -> dict[str, tuple[str, str]]:
        return self.sessions.note_editor.unsaved_drafts()

    def wipe(self) -> None:
        """Empty every view (after :meth:`flush`), before the widgets are destroyed.

        Nothing may load again: results still on their way are dropped, and emptying a
        list must not select (and so fetch) another item.
        """
        discard(self)
        for widget in self.findChildren(QWidget):
            widget.blockSignals(True)
        for view in (self.sessions, self.participants, self.search):
            view.wipe()
        self.project_label.clear()
        self.researcher_label.clear()
