"""The main window: menus and shortcuts, the workspace while unlocked, the lock screen.

Locking saves the open note, destroys the whole workspace (so no widget or model keeps
any of the data), locks the store (the key is wiped) and shows only the lock screen.
Unlocking builds a fresh workspace. A recording goes on through a lock: it belongs to
the core and to the :class:`RecordingMonitor` held here, and the lock screen shows only
that it runs and for how long. Closing the window while recording asks first.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from relations_desktop.core.audio.recorder import RecorderStatus
from relations_desktop.core.records import FieldnoteRecord
from relations_desktop.core.sample import SampleRemoval, SampleResult, find_sample, remove_sample
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.dialogs.consent_forms import open_consent_forms
from relations_desktop.ui.dialogs.first_run import confirm_remove_sample
from relations_desktop.ui.dialogs.new_passphrase import NewPassphraseDialog
from relations_desktop.ui.dialogs.qdpx_export import EXPORT_KEYS, QdpxExportDialog
from relations_desktop.ui.dialogs.researcher_profile import ResearcherProfileDialog
from relations_desktop.ui.dialogs.settings import SettingsDialog
from relations_desktop.ui.drafts import Drafts
from relations_desktop.ui.labels import format_clock
from relations_desktop.ui.lock import IdleWatcher, LockScreen
from relations_desktop.ui.messages import show_error
from relations_desktop.ui.recording_monitor import Answer, RecordingMonitor, ask_stop_recording
from relations_desktop.ui.recovered import Recovered, collect_recovered, show_recovered
from relations_desktop.ui.sync_background import BackgroundSync
from relations_desktop.ui.tasks import describe
from relations_desktop.ui.transcript_menu import build_transcript_menu
from relations_desktop.ui.transcription_bridge import TranscriptionBridge
from relations_desktop.ui.views.note_editor import NoteEditor
from relations_desktop.ui.views.transcript_editor import TranscriptEditor
from relations_desktop.ui.workspace import (
    AUDIT,
    PARTICIPANTS,
    PROFILE,
    QUOTES,
    REGISTER,
    REVIEW,
    SEARCH,
    SESSIONS,
    TEAM,
    TRANSCRIPT,
    Workspace,
)

MINUTE_MS = 60_000


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.service = context.service
        self.runner = context.runner
        self.workspace: Workspace | None = None
        self.background_sync: BackgroundSync | None = None  # while unlocked
        self.dialog: QDialog | None = None
        self.drafts = Drafts(self.service, self.runner, self)
        self.drafts.note_saved.connect(self._draft_saved)
        self.drafts.status.connect(self._status)
        self.drafts.failed.connect(self._show_error)
        self._close_anyway = False
        self._locking = False
        self._jotting_draft = ""
        self._recovered_shown: set[str] = set()
        self._quit_after_stop = False
        self.stop_prompt: QMessageBox | None = None
        # How closing while recording asks; tests give an answer directly.
        self.ask_stop: Callable[[Answer], None] = self._ask_stop_recording
        self.auto_lock_minutes = 10
        self.setWindowTitle("Relations Desktop")
        self.resize(1200, 800)

        self.stack = QStackedWidget(self)
        self.lock_screen = LockScreen(self.stack)
        self.lock_screen.unlock_requested.connect(self._unlock)
        self.stack.addWidget(self.lock_screen)
        self.setCentralWidget(self.stack)
        self.auto_lock_label = QLabel(self)
        self.auto_lock_label.setObjectName("statusHint")
        self.statusBar().addPermanentWidget(self.auto_lock_label)
        self.recording_hint = QLabel(self)
        self.recording_hint.setObjectName("recordingHint")
        self.recording_hint.setAccessibleName("Recording in progress")
        self.recording_hint.hide()
        self.statusBar().addPermanentWidget(self.recording_hint)
        self.runner.failed.connect(self._show_error)

        options = context.options
        self.monitor = RecordingMonitor(
            self.service,
            self.runner,
            backend=context.audio_backend,
            poll_ms=options.status_poll_ms,
            recorder_options=options.recorder_options,
            parent=self,
        )
        self.monitor.status_changed.connect(self._recording_status)
        self.monitor.stopped.connect(self._recording_ended)
        self.monitor.stopped_by_itself.connect(self._show_error)

        self.bridge = TranscriptionBridge(
            self.service, self.runner, self, run_queue=options.transcription_queue
        )

        self.idle = IdleWatcher(context.options.idle_ms or 10 * MINUTE_MS, self)
        self.idle.idle.connect(self.lock)
        self._data_actions: list[QAction] = []
        self._build_menus()
        self._build_workspace()
        if context.options.idle_ms is None:
            self.runner.submit(
                lambda: self.service.auto_lock_minutes, on_result=self._set_auto_lock, owner=self
            )
        else:
            self._show_auto_lock()

    # ------------------------------------------------------------------- menus
    def _action(
        self,
        menu: QMenu,
        text: str,
        keys: str | None,
        slot: Callable[[], object],
        *,
        data: bool = True,
        app_wide: bool = False,
    ) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
        if app_wide:
            # Lock and Quit also work while one of our dialogs has the focus.
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # shortcuts work while the menu bar is hidden too
        if data:
            self._data_actions.append(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.lock_action = self._action(file_menu, "&Lock", "Ctrl+L", self.lock, app_wide=True)
        self.passphrase_action = self._action(
            file_menu, "Change &passphrase…", None, self.change_passphrase
        )
        self.settings_action = self._action(file_menu, "&Settings…", None, self.open_settings)
        self.profile_action = self._action(
            file_menu, "My researcher &profile…", None, self.open_researcher_profile
        )
        self.consent_forms_action = self._action(
            file_menu, "&Consent forms…", None, self.open_consent_forms
        )
        self.qdpx_action = self._action(
            file_menu, "&Export for analysis (REFI-QDA)…", EXPORT_KEYS, self.open_qdpx_export
        )
        self.remove_sample_action = self._action(
            file_menu, "Remove sample &data…", None, self.remove_sample_data
        )
        self.remove_sample_action.setVisible(False)  # while the store holds the sample
        self._sample: SampleResult | None = None
        file_menu.addSeparator()
        self.quit_action = self._action(
            file_menu, "&Quit", "Ctrl+Q", self.close, data=False, app_wide=True
        )
        go = bar.addMenu("&Go")
        self._action(go, "&Sessions", "Ctrl+1", lambda: self._go(SESSIONS))
        self._action(go, "&Participants", "Ctrl+2", lambda: self._go(PARTICIPANTS))
        self._action(go, "Searc&h", "Ctrl+3", lambda: self._go(SEARCH))
        self._action(go, "&Register", "Ctrl+4", lambda: self._go(REGISTER))
        self._action(go, "Pr&ofile report", "Ctrl+5", lambda: self._go(PROFILE))
        self._action(go, "&Audit log", "Ctrl+6", lambda: self._go(AUDIT))
        self._action(go, "Re&view identifiers", "Ctrl+7", lambda: self._go(REVIEW))
        self._action(go, "&Quotes", "Ctrl+8", lambda: self._go(QUOTES))
        self._action(go, "&Team", "Ctrl+9", lambda: self._go(TEAM))
        self.find_action = self._action(go, "&Find in fieldnotes", "Ctrl+F", self._find)
        session = bar.addMenu("&Session")
        self.new_session_action = self._action(
            session, "&New session…", "Ctrl+N", self._new_session
        )
        self._action(session, "New &note", "Ctrl+Shift+N", self._new_note)
        recording = bar.addMenu("&Recording")
        self.record_action = self._action(recording, "&Record…", "Ctrl+R", self._record)
        self.pause_action = self._action(recording, "&Pause / resume", "Ctrl+P", self._toggle_pause)
        self.stop_action = self._action(
            recording, "&Stop recording", "Ctrl+Shift+S", self._stop_recording
        )
        self.transcript_actions = build_transcript_menu(self, self._transcript_editor)
        self._data_actions.extend(a for a in self.transcript_actions if a.isEnabled())

    def _transcript_editor(self) -> TranscriptEditor | None:
        workspace = self.workspace
        if workspace is None or workspace.current_page != TRANSCRIPT:
            return None
        return workspace.transcript

    def _set_data_actions(self, enabled: bool) -> None:
        for action in self._data_actions:
            action.setEnabled(enabled)

    def _go(self, page: int) -> None:
        if self.workspace is not None:
            self.workspace.show_page(page)

    def _find(self) -> None:
        if self.workspace is not None:
            self.workspace.focus_search()

    def _new_session(self) -> None:
        if self.workspace is not None:
            self.workspace.new_session()

    def _new_note(self) -> None:
        if self.workspace is not None:
            self.workspace.new_note()

    def _record(self) -> None:
        if self.workspace is not None:
            self.workspace.record()

    def _toggle_pause(self) -> None:
        if self.workspace is not None:
            self.workspace.toggle_pause()

    def _stop_recording(self) -> None:
        if self.workspace is not None:
            self.workspace.stop_recording()
        else:
            self.monitor.stop()

    # --------------------------------------------------------------- workspace
    @property
    def is_locked(self) -> bool:
        return self.workspace is None

    def _build_workspace(self) -> None:
        options = self.context.options
        editor = NoteEditor(
            self.service,
            self.runner,
            debounce_ms=options.autosave_debounce_ms,
            max_interval_ms=options.autosave_max_ms,
        )
        self.workspace = Workspace(
            self.service,
            self.runner,
            self.stack,
            note_editor=editor,
            context=self.context,
            monitor=self.monitor,
            bridge=self.bridge,
        )
        self.workspace.status_message.connect(self._status)
        self.workspace.save_failed.connect(self._show_error)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self.workspace.restore_jotting(self._jotting_draft)
        self._jotting_draft = ""
        self._set_data_actions(True)
        self.idle.start()
        self.bridge.start()  # queued transcriptions run in the background
        self.background_sync = BackgroundSync(self.service, self.runner, self.workspace)
        self.background_sync.status_message.connect(self._status)
        self.background_sync.start(self.statusBar())  # sealed bundles go on to the targets
        self.runner.submit(
            collect_recovered, self.service, on_result=self._show_recovered, owner=self
        )
        self.runner.submit(find_sample, self.service, on_result=self._show_sample, owner=self)

    def _stop_sync(self) -> None:
        """Before lock and close: a sync under way is cancelled, none starts again."""
        if self.background_sync is not None:
            self.background_sync.stop()
            self.background_sync = None

    def _destroy_workspace(self) -> None:
        workspace, self.workspace = self.workspace, None
        if workspace is None:
            return
        workspace.wipe()
        self.stack.removeWidget(workspace)
        workspace.hide()
        workspace.setParent(None)
        workspace.deleteLater()

    def _close_dialogs(self) -> None:
        for dialog in self.findChildren(QDialog):
            dialog.hide()
            dialog.deleteLater()
        self.dialog = None

    # ----------------------------------------------------------------- locking
    def lock(self) -> None:
        """Save, destroy the workspace, lock the store, show the lock screen."""
        if self.workspace is None or self._locking:
            return
        self._locking = True
        self.idle.stop()
        self._stop_sync()
        self._close_dialogs()
        self.workspace.stop_playback()  # playback reads the store: stop it first
        self.workspace.flush()
        self.runner.wait_idle(5_000)  # the last save, so a failure keeps its text
        self._keep_drafts(self.workspace)
        self._jotting_draft = self.workspace.unsaved_jotting()
        self._destroy_workspace()
        self._set_data_actions(False)
        self.lock_action.setEnabled(False)
        self.runner.submit(self.service.lock, on_error=self._lock_failed, owner=self)
        self.lock_screen.reset()
        self.stack.setCurrentWidget(self.lock_screen)
        self.lock_screen.passphrase.setFocus()
        self.statusBar().showMessage("Locked")
        self._locking = False
        if self.drafts:
            self._show_error(self.drafts.describe_kept())

    def _lock_failed(self, error: BaseException) -> None:
        self._show_error(f"Locking the store failed: {describe(error)}")

    def _unlock(self, passphrase: str) -> None:
        self.runner.submit(
            self.service.unlock,
            passphrase,
            on_result=self._unlocked,
            on_error=lambda error: self.lock_screen.show_error(describe(error)),
            owner=self,
        )

    def _unlocked(self, _result: object = None) -> None:
        self.lock_screen.reset()
        self.statusBar().clearMessage()
        self._build_workspace()
        self.drafts.save_all()

    def _keep_drafts(self, workspace: Workspace) -> None:
        self.drafts.notes.update(workspace.unsaved_drafts())
        self.drafts.segments.update(workspace.unsaved_segments())

    def _draft_saved(self, note: FieldnoteRecord) -> None:
        if self.workspace is not None:
            self.workspace.sessions.open_note(note.encounter_id, note.id)

    # ---------------------------------------------------------------- settings
    def _set_auto_lock(self, minutes: int) -> None:
        self.auto_lock_minutes = minutes
        self.idle.set_interval(minutes * MINUTE_MS)
        self._show_auto_lock()

    def _show_auto_lock(self) -> None:
        self.auto_lock_label.setText(f"Locks after {self.auto_lock_minutes} min idle · Ctrl+L")

    def open_settings(self) -> None:
        dialog = SettingsDialog(
            self.service,
            self.runner,
            self.auto_lock_minutes,
            self,
            audio_backend=self.context.audio_backend,
            sync=self.background_sync,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.auto_lock_changed.connect(self._set_auto_lock)
        dialog.status_message.connect(self._status)
        dialog.team_page_requested.connect(lambda: self._go(TEAM))
        self.dialog = dialog
        dialog.open()

    # ------------------------------------------------------------- sample data
    def _show_sample(self, sample: SampleResult | None) -> None:
        self._sample = sample
        self.remove_sample_action.setVisible(sample is not None)

    def remove_sample_data(self) -> None:
        self.dialog = confirm_remove_sample(self, self._remove_sample)

    def _remove_sample(self) -> None:
        if self.workspace is not None:
            self.workspace.stop_playback()  # the sample recording may be playing
            self.workspace.flush()
        self.runner.submit(remove_sample, self.service, on_result=self._sample_removed, owner=self)

    def _sample_removed(self, removal: SampleRemoval) -> None:
        sample, self._sample = self._sample, None
        self.remove_sample_action.setVisible(False)
        self._status(f"Sample data removed ({removal.sessions} session(s))")
        workspace = self.workspace
        if workspace is not None:
            shown = workspace.transcript.recording
            if sample is not None and shown is not None and shown.id == sample.recording_id:
                workspace.nav.item(TRANSCRIPT).setHidden(True)  # its transcript is gone
            workspace.show_page(SESSIONS)
            workspace.sessions.refresh()

    def open_researcher_profile(self) -> None:
        dialog = ResearcherProfileDialog(self.service, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._profile_saved)
        self.dialog = dialog
        dialog.open()

    def open_consent_forms(self) -> None:
        self.dialog = open_consent_forms(self, self.context)

    def open_qdpx_export(self) -> None:
        dialog = QdpxExportDialog(self.service, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.status_message.connect(self._status)
        dialog.review_requested.connect(lambda: self._go(REVIEW))
        self.dialog = dialog
        dialog.open()

    def _profile_saved(self, _profile: object) -> None:
        self._status("Your researcher profile was saved")
        if self.workspace is not None:
            self.workspace.refresh_info()

    def change_passphrase(self) -> None:
        dialog = NewPassphraseDialog(self.service, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._status("The passphrase was changed"))
        self.dialog = dialog
        dialog.open()

    # --------------------------------------------------------------- recording
    def _recording_status(self, status: RecorderStatus) -> None:
        if status.state == "stopped":
            self.lock_screen.show_recording(None)
            self.recording_hint.hide()
            return
        paused = status.state == "paused"
        self.lock_screen.show_recording(status.recorded_seconds, paused)
        state = "Recording paused" if paused else "Recording"
        self.recording_hint.setText(f"● {state} {format_clock(status.recorded_seconds)}")
        self.recording_hint.setVisible(not self.is_locked)

    def _recording_ended(self, *_args: object) -> None:
        self.lock_screen.show_recording(None)
        self.recording_hint.hide()
        if self._quit_after_stop:
            self._quit_after_stop = False
            self.close()

    def _show_recovered(self, items: list[Recovered]) -> None:
        new = [i for i in items if i.recording_id not in self._recovered_shown]
        if not new or self.is_locked:
            return
        self._recovered_shown.update(i.recording_id for i in new)
        self.dialog = show_recovered(self, new)

    def _ask_stop_recording(self, answer: Answer) -> None:
        self.stop_prompt = ask_stop_recording(self, answer)

    def _prompt_open(self) -> bool:
        prompt = self.stop_prompt
        return prompt is not None and shiboken6.isValid(prompt) and prompt.isVisible()

    def _stop_answered(self, stop: bool) -> None:
        self.stop_prompt = None
        if not stop:
            return
        if not self.monitor.is_running:  # it stopped by itself meanwhile
            self.close()
            return
        self._quit_after_stop = True
        self._status("Stopping the recording…")
        self._stop_recording()

    # ------------------------------------------------------------------ status
    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 5_000)

    def _show_error(self, message: str) -> None:
        show_error(self, message)

    # ------------------------------------------------------------------- close
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.monitor.is_running:
            event.ignore()
            if not self._quit_after_stop and not self._prompt_open():
                self.ask_stop(self._stop_answered)
            return
        if self.workspace is not None:
            if self.background_sync is not None:
                self.background_sync.cancel()  # the flush below must not wait for it
            self.workspace.stop_playback()
            self.workspace.flush()
            self.runner.wait_idle(10_000)
            self._keep_drafts(self.workspace)
        if self.drafts and not self._close_anyway:
            self._close_anyway = True
            event.ignore()
            self._show_error(
                "Some changes could not be saved, so the window stays open. "
                "Copy the text somewhere safe, or free disk space and try again. "
                "Closing again discards them."
            )
            return
        self.idle.stop()
        self._stop_sync()
        self._close_dialogs()
        self._destroy_workspace()
        self.bridge.close()
        event.accept()
        self.closed.emit()
