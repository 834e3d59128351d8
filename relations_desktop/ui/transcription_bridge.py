"""Transcription events, from the core's queue thread to the GUI thread.

The core calls its listeners on the queue thread; :class:`TranscriptionBridge` (owned by
the main window, so it outlives a lock) re-emits each :class:`JobEvent` on the GUI
thread through a queued signal, where views may touch their widgets.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

from relations_desktop.core.services import StoreService
from relations_desktop.core.transcription.jobs import JobEvent
from relations_desktop.ui.tasks import TaskRunner


class TranscriptionBridge(QObject):
    job_event = Signal(object)  # a JobEvent, on the GUI thread
    _relay = Signal(object)  # from the queue thread

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QObject | None = None,
        *,
        run_queue: bool = True,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.run_queue = run_queue
        self._listening = True
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        service.transcription.add_listener(self._heard)

    def start(self) -> None:
        """Run queued jobs in the background (after unlock; the queue survives a lock)."""
        if self.run_queue:
            self.runner.submit(self.service.transcription.start_background, owner=self)

    def close(self) -> None:
        """Stop listening (the window closes; the store's close stops the queue)."""
        self._listening = False
        self.service.transcription.remove_listener(self._heard)

    def _heard(self, event: JobEvent) -> None:  # the queue thread
        if self._listening and shiboken6.isValid(self):
            self._relay.emit(event)

    def _deliver(self, event: JobEvent) -> None:
        if self._listening:
            self.job_event.emit(event)
