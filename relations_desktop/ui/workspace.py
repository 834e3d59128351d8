"""The unlocked workspace: a sidebar and the views. Destroyed whole on lock.

The recording screen and the transcript editor are pages of their own, listed in the
sidebar once opened. The register (sites and families), the study's profile report and
the audit log come after them, then the review of identifiers (with the pseudonym
register), the quote bank and the team page, so the first pages keep their numbers and
keys. The recording itself lives on in the :class:`RecordingMonitor` the main window
owns, so a workspace built after unlock shows the running recording again;
transcriptions go on in the core's queue, followed through the main window's
:class:`TranscriptionBridge`.
"""

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

from relations_desktop.core.audio.recorder import RecordingSummary
from relations_desktop.core.recordings import ActiveRecording
from relations_desktop.core.records import EncounterRecord, StoreInfo
from relations_desktop.core.services import StoreService
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.labels import NOTE_KINDS
from relations_desktop.ui.page_slots import PageSlot, call_if_any, quote_bank
from relations_desktop.ui.recording_monitor import RecordingMonitor
from relations_desktop.ui.tasks import TaskRunner, discard
from relations_desktop.ui.transcription_bridge import TranscriptionBridge
from relations_desktop.ui.views.audit_log import AuditLogView
from relations_desktop.ui.views.families import FamiliesPanel
from relations_desktop.ui.views.note_editor import NoteEditor
from relations_desktop.ui.views.participants import ParticipantsView
from relations_desktop.ui.views.profile_report import ProfileReportView
from relations_desktop.ui.views.recording import RecordingView
from relations_desktop.ui.views.register import RegisterView
from relations_desktop.ui.views.review_page import ReviewPage
from relations_desktop.ui.views.search import SearchView
from relations_desktop.ui.views.sessions import SessionsView
from relations_desktop.ui.views.sites import SitesPanel
from relations_desktop.ui.views.team_page import TeamPage
from relations_desktop.ui.views.transcript_editor import TranscriptEditor

(SESSIONS, PARTICIPANTS, SEARCH, RECORDING, TRANSCRIPT, REGISTER, PROFILE, AUDIT, REVIEW,
 QUOTES, TEAM) = range(11)  # fmt: skip
PAGES = (
    ("Sessions", "Ctrl+1"),
    ("Participants", "Ctrl+2"),
    ("Search", "Ctrl+3"),
    ("Recording", "Ctrl+R"),
    ("Transcript", "Open transcript, in a session's recordings"),
    ("Register", "Ctrl+4"),
    ("Profile", "Ctrl+5"),
    ("Audit log", "Ctrl+6"),
    ("Review", "Ctrl+7"),
    ("Quotes", "Ctrl+8"),
    ("Team", "Ctrl+9"),
)


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
        context: AppContext | None = None,
        monitor: RecordingMonitor | None = None,
        bridge: TranscriptionBridge | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workspace")
        self.service = service
        self.runner = runner
        self.context = context or AppContext(service, runner)
        self.monitor = monitor or RecordingMonitor(
            service,
            runner,
            backend=self.context.audio_backend,
            poll_ms=self.context.options.status_poll_ms,
            recorder_options=self.context.options.recorder_options,
            parent=self,
        )

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

        self.nav.item(RECORDING).setHidden(True)  # listed once the screen is opened
        self.nav.item(TRANSCRIPT).setHidden(True)

        self.sessions = SessionsView(service, runner, note_editor=note_editor, context=self.context)
        self.participants = ParticipantsView(service, runner)
        self.search = SearchView(service, runner)
        self.recording = RecordingView(self.context, self.monitor)
        self.transcript = TranscriptEditor(self.context, bridge)
        self.register = RegisterView(SitesPanel(service, runner), FamiliesPanel(service, runner))
        self.profile = ProfileReportView(service, runner)
        self.audit = AuditLogView(service, runner)
        self._review: ReviewPage | None = None  # built when first shown
        self._quotes: QWidget | None = None
        self._team: TeamPage | None = None
        self.review_slot = PageSlot("reviewSlot")
        self.quotes_slot = PageSlot("quotesSlot")
        self.team_slot = PageSlot("teamSlot")
        self.pages = QStackedWidget(self)
        self.pages.setObjectName("pages")
        views = (
            self.sessions,
            self.participants,
            self.search,
            self.recording,
            self.transcript,
            self.register,
            self.profile,
            self.audit,
        )
        for view in views:
            self.pages.addWidget(view)
            view.status_message.connect(self.status_message)
        self.pages.addWidget(self.review_slot)
        self.pages.addWidget(self.quotes_slot)
        self.pages.addWidget(self.team_slot)
        self.sessions.note_editor.save_failed.connect(self.save_failed)
        self.transcript.save_failed.connect(self.save_failed)
        self.transcript.back_requested.connect(self.show_session_recording)
        recordings = self.sessions.recordings
        recordings.open_transcript.connect(self.open_transcript)
        recordings.transcription.set_bridge(bridge)
        self.search.open_note.connect(self.open_note)
        self.search.open_segment.connect(self.open_transcript)
        self.sessions.record_requested.connect(self.open_recording)
        self.recording.back_requested.connect(self.show_session_recording)
        self.monitor.stopped.connect(self._recording_stopped)
        self.nav.currentRowChanged.connect(self._page_changed)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.pages, 1)

        self.nav.setCurrentRow(SESSIONS)
        self.sessions.refresh()
        runner.submit(service.info, on_result=self._show_info)
        if self.monitor.active is not None:  # rebuilt after unlock: back to the recording
            self._show_recording_page()

    def refresh_info(self) -> None:
        """Read the project and researcher names again (after the profile changed)."""
        self.runner.submit(self.service.info, on_result=self._show_info)

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
        if self.pages.currentIndex() == TRANSCRIPT and page != TRANSCRIPT:
            self.transcript.flush()
            self.transcript.stop_playback()
        if self.pages.currentIndex() == REGISTER and page != REGISTER:
            self.register.flush()
        if self.pages.currentIndex() == REVIEW and page != REVIEW and self._review:
            self._review.stop_playback()
        self.pages.setCurrentIndex(page)
        view = self.pages.currentWidget()
        if page == SESSIONS:
            self.sessions.refresh()
        elif isinstance(view, ParticipantsView | SearchView | ProfileReportView | AuditLogView):
            view.refresh()
        elif page == REGISTER:
            self.register.refresh()
            if not self.nav.hasFocus():  # Ctrl+N and Ctrl+S then work on the register
                self.register.focus_list()
        elif page == REVIEW:
            self.review.refresh()
        elif page == QUOTES:
            call_if_any(self.quotes, "refresh")
        elif page == TEAM:
            self.team.refresh()

    # ------------------------------------------- review and quotes (built lazily)
    @property
    def review(self) -> ReviewPage:
        """The review of identifiers and the pseudonym register."""
        if self._review is None:
            page = ReviewPage(self.context)
            page.status_message.connect(self.status_message)
            review = page.review
            review.open_note.connect(self.open_note)
            review.open_segment.connect(self.open_transcript)
            review.about_to_play.connect(self.sessions.stop_playback)
            review.about_to_play.connect(self.transcript.stop_playback)
            self.review_slot.set_view(page)
            self._review = page
        return self._review

    @property
    def quotes(self) -> QWidget:
        """The quote bank (``ui/views/quote_bank.py``), if this build has one."""
        if self._quotes is None:
            view = quote_bank(self.service, self.runner)
            signal = getattr(view, "status_message", None)
            if signal is not None:
                signal.connect(self.status_message)
            self.quotes_slot.set_view(view)
            self._quotes = view
        return self._quotes

    @property
    def team(self) -> TeamPage:
        """Keys and roster, and the outbox of sealed bundles."""
        if self._team is None:
            page = TeamPage(self.service, self.runner)
            page.status_message.connect(self.status_message)
            page.review_requested.connect(lambda: self.show_page(REVIEW))
            self.team_slot.set_view(page)
            self._team = page
        return self._team

    def new_session(self) -> None:
        self.show_page(SESSIONS)
        self.sessions.new_session()

    def new_note(self) -> None:
        self.show_page(SESSIONS)
        self.sessions.new_note(NOTE_KINDS[0][0])

    # -------------------------------------------------------------- recording
    def record(self) -> None:
        """Ctrl+R: open the recording screen for the session shown; there, start."""
        if self.current_page == RECORDING and self.recording.can_start:
            self.recording.start()
        elif self.monitor.is_running:
            self._show_recording_page()
        elif self.sessions.current is not None:
            self.open_recording(self.sessions.current)
        else:
            self.status_message.emit("Select or create a session first.")

    def open_recording(self, encounter: EncounterRecord) -> None:
        self.sessions.flush()
        self.stop_playback()  # the speakers would be recorded too
        self.recording.open_for(encounter)
        self._show_recording_page()

    def _show_recording_page(self) -> None:
        self.nav.item(RECORDING).setHidden(False)
        self.show_page(RECORDING)

    def toggle_pause(self) -> None:
        self.recording.toggle_pause()

    def stop_recording(self) -> None:
        self.recording.stop()

    def show_session_recording(self, encounter_id: str, recording_id: str) -> None:
        self.show_page(SESSIONS)
        self.sessions.show_recording(encounter_id, recording_id)

    def _recording_stopped(
        self, active: ActiveRecording | None, _summary: RecordingSummary | None
    ) -> None:
        current = self.sessions.current
        if active is not None and current is not None and current.id == active.encounter_id:
            self.sessions.show_recording(active.encounter_id, active.recording_id)

    # ------------------------------------------------------------- transcript
    def open_transcript(self, recording_id: str, segment_id: str | None = None) -> None:
        self.sessions.flush()
        self.sessions.stop_playback()  # one player at a time
        self.transcript.open_recording(recording_id, segment_id)
        self.nav.item(TRANSCRIPT).setHidden(False)
        self.show_page(TRANSCRIPT)

    def focus_search(self) -> None:
        self.show_page(SEARCH)
        self.search.focus_query()

    def open_note(self, encounter_id: str, note_id: str) -> None:
        self.show_page(SESSIONS)
        self.sessions.open_note(encounter_id, note_id)

    def flush(self) -> None:
        """Send every pending edit to the store (before lock and close)."""
        self.sessions.flush()
        self.transcript.flush()
        self.register.flush()
        call_if_any(self._review, "flush")
        call_if_any(self._quotes, "flush")
        call_if_any(self._team, "flush")

    def stop_playback(self) -> None:
        """Playback reads the store: it must stop before the store is locked."""
        self.sessions.stop_playback()
        self.transcript.stop_playback()
        call_if_any(self._review, "stop_playback")

    def unsaved_jotting(self) -> str:
        return self.recording.unsaved_jotting()

    def restore_jotting(self, text: str) -> None:
        self.recording.restore_jotting(text)

    def unsaved_drafts(self) -> dict[str, tuple[str, str]]:
        return self.sessions.note_editor.unsaved_drafts()

    def unsaved_segments(self) -> dict[str, str]:
        """Transcript corrections not saved yet, by segment id."""
        return self.transcript.unsaved_texts()

    def wipe(self) -> None:
        """Empty every view (after :meth:`flush`), before the widgets are destroyed.

        Nothing may load again: results still on their way are dropped, and emptying a
        list must not select (and so fetch) another item.
        """
        self.stop_playback()
        self.recording.wipe()  # lets go of the monitor, which lives on
        self.monitor.stopped.disconnect(self._recording_stopped)
        discard(self)
        for widget in self.findChildren(QWidget):
            widget.blockSignals(True)
        for view in (
            self.sessions,
            self.participants,
            self.search,
            self.transcript,
            self.register,
            self.profile,
            self.audit,
        ):
            view.wipe()
        call_if_any(self._review, "wipe")
        call_if_any(self._quotes, "wipe")
        call_if_any(self._team, "wipe")
        self.project_label.clear()
        self.researcher_label.clear()
