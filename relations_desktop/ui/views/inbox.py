"""Team → Inbox: bundles from the team, checked and merged into this store.

The team folder (kept as the store setting ``inbox_folder``) is watched
(``QFileSystemWatcher``, plus Rescan): its ``*.age`` files are listed as new, opened
(their SHA-256, computed on the task runner, is among the files opened here) or refused
(with the one-line reason, for this session). Open selected / Open all new open them
one after another on the task runner (``store.bundles.open``: nothing is written unless
the whole bundle checks out), with progress through each bundle's file; Cancel stops
the bundle being opened at once (nothing of it is merged) and starts no further one.
Open bundle file… takes one from elsewhere. Below: the bundles received, and the
conflicts (``ui/views/inbox_conflicts.py``); the files' table is in ``inbox_files.py``.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.bundle_io import VerifyResult
from relations_desktop.core.bundle_merge import MergeSummary
from relations_desktop.core.errors import Cancelled
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.views.inbox_conflicts import ConflictsPanel, ReceivedPanel, make_table
from relations_desktop.ui.views.inbox_files import FILE_COLUMNS as FILE_COLUMNS
from relations_desktop.ui.views.inbox_files import BundleFile as BundleFile
from relations_desktop.ui.views.inbox_files import FileRow as FileRow
from relations_desktop.ui.views.inbox_files import OpenChooser as OpenChooser
from relations_desktop.ui.views.inbox_files import choose_bundle as choose_bundle
from relations_desktop.ui.views.inbox_files import choose_inbox_folder as choose_inbox_folder
from relations_desktop.ui.views.inbox_files import file_hash as file_hash
from relations_desktop.ui.views.inbox_files import make_button
from relations_desktop.ui.views.inbox_files import open_bundle as open_bundle
from relations_desktop.ui.views.inbox_files import scan_folder as scan_folder
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.record_table import RecordTableModel

SETTING = "inbox_folder"
RESCAN_MS = 400  # after the folder changed (a copy lands as several events)
NO_FOLDER = "No team folder chosen yet: choose the folder the team's bundles arrive in."
STEPS = 1000  # of the progress bar, over every bundle being opened


class _Relay(QObject):
    """Carries a bundle's progress from the task runner's thread to the view (queued)."""

    progress = Signal(str, float)  # the bundle's path, the share of its file read


class InboxView(QWidget):
    status_message = Signal(str)

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        choose_folder: OpenChooser = choose_inbox_folder,
        choose_file: OpenChooser = choose_bundle,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("inbox")
        self.service, self.runner = service, runner
        self.choose_folder, self.choose_file = choose_folder, choose_file
        self.folder = ""
        self.files: list[BundleFile] = []
        self.hashes: dict[tuple[str, int, float], str] = {}
        self.refused: dict[str, tuple[str, str]] = {}  # path → (SHA-256, reason)
        self.opened: dict[str, tuple[str, str]] = {}  # path → (SHA-256, what it did)
        self.queue: list[str] = []
        self.current = ""  # the bundle being opened
        self.total = 0
        self.cancelled = False
        self.cancel_event: threading.Event | None = None  # while a bundle is being opened
        self.interrupted = ""  # the bundle a cancel stopped half-way
        self.relay = _Relay(self)
        self.relay.progress.connect(self._bundle_progress, Qt.ConnectionType.QueuedConnection)

        hint = QLabel(
            "Bundles from the team are decrypted with your key and checked (signature, every "
            "hash) before anything is merged; a bundle that fails is refused whole.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.folder_label = QLabel(NO_FOLDER, self)
        self.folder_label.setAccessibleName("Team folder")
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button = make_button(
            self, "Choose folder…", "Choose the team folder",
            "The folder the team's bundles arrive in", self.choose_team_folder,
        )  # fmt: skip
        self.rescan_button = make_button(
            self, "Rescan", "Rescan the team folder", "Look for new bundles in the folder now",
            self.rescan,
        )  # fmt: skip
        self.open_button = make_button(
            self, "Open selected", "Open the selected bundles",
            "Check the selected bundles and merge them into this store", self.open_selected,
        )  # fmt: skip
        self.open_new_button = make_button(
            self, "Open all new", "Open all new bundles",
            "Check every new bundle and merge it into this store", self.open_all_new,
        )  # fmt: skip
        self.open_new_button.setObjectName("primary")
        self.open_file_button = make_button(
            self, "Open bundle file…", "Open a bundle file",
            "Open a bundle that is not in the team folder", self.open_file,
        )  # fmt: skip
        self.cancel_button = make_button(
            self, "Cancel", "Cancel opening bundles",
            "Stop now: the bundle being opened is not merged, and no further one is started",
            self.cancel,
        )  # fmt: skip
        self.cancel_button.hide()
        folder_row = QHBoxLayout()
        folder_row.addWidget(QLabel("Team folder:", self))
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.choose_button)
        folder_row.addWidget(self.rescan_button)
        actions = QHBoxLayout()
        for button in (self.open_new_button, self.open_button, self.open_file_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.cancel_button)

        self.file_model: RecordTableModel[FileRow] = RecordTableModel(FILE_COLUMNS, self)
        self.file_table = make_table(self, self.file_model, "Bundles in the team folder")
        self.file_table.setObjectName("inboxFiles")
        self.file_table.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.progress = QProgressBar(self)
        self.progress.setObjectName("jobProgress")
        self.progress.setAccessibleName("Opening progress")
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.progress.hide()
        self.message = MessageLabel(self)
        files = QWidget(self)
        files_layout = QVBoxLayout(files)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addLayout(actions)
        files_layout.addWidget(self.message)
        files_layout.addWidget(self.file_table, 1)
        files_layout.addWidget(self.progress)

        self.received = ReceivedPanel(service, runner, self)
        self.conflicts = ConflictsPanel(service, runner, self)
        self.conflicts.status_message.connect(self.status_message)
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        for part, stretch in ((files, 3), (self.received, 2), (self.conflicts, 4)):
            self.split.addWidget(part)
            self.split.setStretchFactor(self.split.count() - 1, stretch)
        self.split.setSizes([300, 200, 330])  # in proportion: the files first
        self.split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(hint)
        layout.addLayout(folder_row)
        layout.addWidget(self.split, 1)

        self.rescan_soon = QTimer(self)
        self.rescan_soon.setSingleShot(True)
        self.rescan_soon.setInterval(RESCAN_MS)
        self.rescan_soon.timeout.connect(self.rescan)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _path: self.rescan_soon.start())
        self._update()

    # ------------------------------------------------------------------ load
    def refresh(self) -> None:
        self.runner.submit(self.service.get_setting, SETTING, "", on_result=self._set_folder,
                           on_error=self._failed, owner=self)  # fmt: skip
        self.received.refresh()
        self.conflicts.refresh()

    def _set_folder(self, folder: str) -> None:
        self.folder = folder or ""
        self.folder_label.setText(self.folder or NO_FOLDER)
        self.folder_label.setToolTip(self.folder)
        watched = self.watcher.directories()
        if watched:
            self.watcher.removePaths(watched)
        if self.folder and Path(self.folder).is_dir():
            self.watcher.addPath(self.folder)
        elif self.folder:
            self.message.show_error(f"The team folder {self.folder} is not there now.")
        self.rescan()

    def rescan(self) -> None:
        if not self.folder:
            self.files = []
            self._show_files()
            return
        self.runner.submit(scan_folder, self.service, self.folder, dict(self.hashes),
                           on_result=self._scanned, on_error=self._failed, owner=self)  # fmt: skip

    def _scanned(self, files: list[BundleFile]) -> None:
        self.hashes.update({(f.path, f.size, f.modified): f.sha256 for f in files})
        self.files = files
        self._show_files()

    def state_of(self, file: BundleFile) -> str:
        if file.path == self.current:
            return "Opening…"
        if file.path in self.queue:
            return "Waiting…"
        sha, reason = self.refused.get(file.path, ("", ""))
        if sha == file.sha256:
            return f"Refused: {reason.removeprefix('Bundle refused: ')}"
        sha, what = self.opened.get(file.path, ("", ""))
        if sha == file.sha256:
            return f"Opened: {what}"
        return "Opened" if file.opened else "New"

    def _show_files(self) -> None:
        chosen = set(self.selected_paths())
        self.file_model.set_records([FileRow(f, self.state_of(f)) for f in self.files])
        selection = self.file_table.selectionModel()
        for row, f in enumerate(self.files):
            if f.path in chosen:
                index = self.file_model.index(row, 0)
                selection.select(
                    index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows
                )
        self._update()

    def selected_paths(self) -> list[str]:
        rows = self.file_table.selectionModel().selectedRows()
        return [r.file.path for i in rows if (r := self.file_model.record(i.row())) is not None]

    def new_paths(self) -> list[str]:
        return [f.path for f in self.files if self.state_of(f) == "New"]

    def _update(self) -> None:
        busy = bool(self.current)
        self.open_button.setEnabled(not busy and bool(self.selected_paths()))
        self.open_new_button.setEnabled(not busy and bool(self.new_paths()))
        self.open_file_button.setEnabled(not busy)
        self.choose_button.setEnabled(not busy)

    def _failed(self, error: BaseException) -> None:
        self.message.show_error(describe(error))

    def choose_team_folder(self) -> None:
        folder = self.choose_folder(self)
        if not folder:
            return
        self.runner.submit(self.service.set_setting, SETTING, folder,
                           on_result=lambda _: self._set_folder(folder),
                           on_error=self._failed, owner=self)  # fmt: skip

    # ------------------------------------------------------------------ open
    def open_selected(self) -> None:
        self.open_paths(self.selected_paths())

    def open_all_new(self) -> None:
        self.open_paths(self.new_paths())

    def open_file(self) -> None:
        path = self.choose_file(self)
        if path:
            self.open_paths([path])

    def open_paths(self, paths: list[str]) -> None:
        if self.current or not paths:
            return
        self.queue, self.total, self.cancelled = list(paths), len(paths), False
        self.interrupted = ""
        self.message.clear_message()
        self.progress.setRange(0, STEPS)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self._next()

    def _next(self) -> None:
        if self.cancelled or not self.queue:
            self._finish()
            return
        self.current = self.queue.pop(0)
        self._show_files()
        self.cancel_event = event = threading.Event()
        path, emit = self.current, self.relay.progress.emit
        self.runner.submit(
            open_bundle, self.service, path, lambda share: emit(path, share), event.is_set,
            on_result=self._opened, on_error=self._refused, owner=self,
        )  # fmt: skip

    def _bundle_progress(self, path: str, fraction: float) -> None:
        """The share of the current bundle's file read, as part of all being opened."""
        if path != self.current or self.cancel_event is None or self.cancel_event.is_set():
            return
        done = self.total - len(self.queue) - 1
        self.progress.setValue(round((done + fraction) / max(self.total, 1) * STEPS))

    def _sha(self, path: str) -> str:
        return next((f.sha256 for f in self.files if f.path == path), "")

    def _opened(self, result: tuple[VerifyResult, MergeSummary]) -> None:
        verified, summary = result
        what = summary.describe()
        self.opened[self.current] = (self._sha(self.current), what)
        self.refused.pop(self.current, None)
        self.status_message.emit(f"Opened the bundle from {verified.researcher_name}: {what}")
        self._step()

    def _refused(self, error: BaseException) -> None:
        if isinstance(error, Cancelled):  # not refused: it stays new
            self.interrupted = self.current
            self._step()
            return
        reason = describe(error)
        self.refused[self.current] = (self._sha(self.current), reason)
        if not any(f.path == self.current for f in self.files):  # from elsewhere
            self.message.show_error(f"{Path(self.current).name}: {reason}")
        self._step()

    def _step(self) -> None:
        self.current, self.cancel_event = "", None
        self.progress.setValue(round((self.total - len(self.queue)) / self.total * STEPS))
        self._next()

    def cancel(self) -> None:
        if self.queue or self.current:
            self.cancelled = True
            if self.cancel_event is not None:
                self.cancel_event.set()
            self.cancel_button.setEnabled(False)
            self.message.show_info("Cancelling: the bundle being opened is not merged…")

    def _finish(self) -> None:
        left = len(self.queue)
        self.queue, self.current = [], ""
        self.progress.hide()
        self.cancel_button.hide()
        stopped = f"{Path(self.interrupted).name} was not merged" if self.interrupted else ""
        if self.cancelled and (left or stopped):
            more = f"{left}{' more' if stopped else ''} bundle(s) not opened" if left else ""
            self.message.show_info(f"Cancelled: {'; '.join(p for p in (stopped, more) if p)}.")
        elif not self.message.isVisible() or self.message.property("tone") == "info":
            self.message.clear_message()
        self.refresh()
        self._update()

    # ------------------------------------------------------------- lifecycle
    def flush(self) -> None:
        """Before lock or close: the bundle being opened is stopped (nothing of it is
        merged, and the store is not held up), and no further one is started."""
        self.cancelled = True
        self.queue = []
        if self.cancel_event is not None:
            self.cancel_event.set()

    def wipe(self) -> None:
        self.flush()
        self.rescan_soon.stop()
        if watched := self.watcher.directories():
            self.watcher.removePaths(watched)
        self.files, self.refused, self.opened, self.hashes = [], {}, {}, {}
        self.file_model.clear()
        self.received.wipe()
        self.conflicts.wipe()
        self.message.clear_message()
