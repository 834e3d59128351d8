"""The Team page (Ctrl+9): your keys and the team roster, the outbox of sealed bundles,
and the team inbox, one tab each (issue 7). Ctrl+Shift+B seals a new bundle from any tab
(Ctrl+Shift+S stays Stop recording).

Inside the main window the page finds the window's :class:`BackgroundSync` and puts the
sync targets' panel under the outbox and the inbox screen in its tab (:meth:`attach`);
built on its own (as some tests do) it keeps the stand-ins, which
:meth:`TeamPage.set_inbox_view` and :meth:`OutboxView.set_sync_panel` replace."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from relations_desktop.core.services import StoreService
from relations_desktop.ui.page_slots import Unavailable, call_if_any
from relations_desktop.ui.sync_background import BackgroundSync
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.inbox import InboxView
from relations_desktop.ui.views.outbox import SEAL_KEYS, OutboxView
from relations_desktop.ui.views.sync_targets import SyncTargetsPanel
from relations_desktop.ui.views.team_roster import TeamRosterView

ROSTER_TAB, OUTBOX_TAB, INBOX_TAB = range(3)
INBOX_PLACEHOLDER = (
    "The team inbox (bundles from the team, checked and merged into this store) is not in "
    "this version of the app yet. On the command line: relations-desktop bundle verify FILE "
    "and bundle open FILE."
)


def find_background_sync(widget: QWidget) -> BackgroundSync | None:
    """The running :class:`BackgroundSync` beside one of the widget's ancestors (the main
    window makes one for each unlocked workspace)."""
    node: QObject | None = widget
    while node is not None:
        direct = Qt.FindChildOption.FindDirectChildrenOnly
        found = node.findChild(BackgroundSync, options=direct)
        if found is not None and not found.stopped:
            return found
        node = node.parent()
    return None


class TeamPage(QWidget):
    status_message = Signal(str)
    review_requested = Signal()  # "Go to Review" after a refused seal

    def __init__(
        self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("teamPage")
        self.service, self.runner = service, runner
        self.sync: BackgroundSync | None = None
        heading = QLabel("Team", self)
        heading.setObjectName("viewTitle")
        hint = QLabel(
            "What you send to the team travels in bundles encrypted to everyone on the team "
            "roster and signed with your key.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)

        self.roster = TeamRosterView(service, runner, self)
        self.outbox = OutboxView(service, runner, self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.roster, "Keys && roster")
        self.tabs.addTab(self.outbox, "Outbox")
        self.inbox: QWidget = Unavailable(INBOX_PLACEHOLDER, self)
        if (inner := self.inbox.layout()) is not None:
            inner.setContentsMargins(0, 12, 0, 0)
        self.tabs.addTab(self.inbox, "Inbox")
        self.tabs.setAccessibleName("Team tabs")
        self.tabs.currentChanged.connect(lambda _tab: self.refresh())
        for view in (self.roster, self.outbox):
            view.status_message.connect(self.status_message)
        self.outbox.review_requested.connect(self.review_requested)
        self.seal_key = QShortcut(QKeySequence(SEAL_KEYS), self)
        self.seal_key.setContext(Qt.ShortcutContext.WindowShortcut)  # while shown
        self.seal_key.activated.connect(self.seal)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(6)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(self.tabs, 1)

    def show_tab(self, tab: int) -> None:
        self.tabs.setCurrentIndex(tab)

    def set_inbox_view(self, view: QWidget) -> None:
        """Put the inbox screen in its tab (in place of the stand-in)."""
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)  # no refresh while the tabs are swapped
        self.tabs.removeTab(INBOX_TAB)
        self.inbox.deleteLater()
        self.inbox = view
        self.tabs.insertTab(INBOX_TAB, view, "Inbox")
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        signal = getattr(view, "status_message", None)
        if signal is not None:
            signal.connect(self.status_message)
        if current == INBOX_TAB:
            self.refresh()

    def attach(self, sync: BackgroundSync) -> None:
        """The sync targets under the outbox (with ``sync`` sending and reporting), and
        the inbox screen in its tab."""
        if self.sync is not None:
            return
        self.sync = sync
        panel = SyncTargetsPanel(self.service, self.runner, sync, self.outbox)
        panel.status_message.connect(self.status_message)
        panel.deliveries_changed.connect(self.outbox.set_delivery)
        self.outbox.set_sync_panel(panel)
        self.outbox.bundle_sealed.connect(sync.after_seal)
        self.set_inbox_view(InboxView(self.service, self.runner))

    def refresh(self) -> None:
        if self.sync is None and (sync := find_background_sync(self)) is not None:
            self.attach(sync)
        call_if_any(self.tabs.currentWidget(), "refresh")

    def seal(self) -> None:
        self.show_tab(OUTBOX_TAB)
        self.outbox.seal()

    def flush(self) -> None:
        for view in (self.roster, self.outbox, self.inbox):
            call_if_any(view, "flush")

    def wipe(self) -> None:
        for view in (self.roster, self.outbox, self.inbox):
            call_if_any(view, "wipe")
