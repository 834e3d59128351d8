"""Sending sealed bundles on to the sync targets, in the background.

:class:`BackgroundSync` (one per unlocked workspace, started and stopped by the main
window) runs ``store.sync.sync()`` on the task runner every minute when a delivery is
due, soon after a seal, and at once for "Sync now". A target that cannot be reached is
no error: a quiet "Offline — will retry at 14:05" in the panel and the status bar. A
changed host key or a refused login is announced once per unlock, as a banner in the
panel (never a dialog popping up by itself). The panel is
``ui/views/sync_targets.py``; its dialogs are in ``ui/dialogs/sync_target.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStatusBar, QWidget

from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import utcnow
from relations_desktop.core.sync import DeliveryStatus, SyncProgress, SyncReport, TargetRecord
from relations_desktop.core.sync_records import (
    AUTH_FAILED,
    HOST_KEY_CHANGED,
    REFUSED,
    worst_problem,
)
from relations_desktop.ui.labels import local_time
from relations_desktop.ui.tasks import TaskRunner, describe, is_alive

SYNC_INTERVAL_MS = 60_000
FIRST_SYNC_MS = 5_000  # after unlock: what waited while the store was locked
AFTER_SEAL_MS = 300
ATTENTION = (HOST_KEY_CHANGED, AUTH_FAILED)  # a banner, until the user acts
KIND_WORDS = {
    HOST_KEY_CHANGED: "host key changed",
    AUTH_FAILED: "login refused",
    REFUSED: "needs attention",
}
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SyncState:
    text: str = ""
    tone: str = "info"  # info | offline | warning


@dataclass(frozen=True)
class Problem:
    target_id: str
    location: str
    kind: str  # host-key-changed | auth-failed (the delivery's problem)
    message: str


@dataclass(frozen=True)
class SyncRun:
    report: SyncReport | None  # None: nothing was due
    targets: list[TargetRecord]
    deliveries: list[DeliveryStatus]


def load_targets(service: StoreService) -> SyncRun:
    """(runs on the task runner) The targets and every bundle's deliveries."""
    return SyncRun(None, service.sync.list_targets(), service.sync.deliveries())


def sync_task(
    service: StoreService,
    now: datetime,
    force: bool,
    progress: Callable[[SyncProgress], None],
    cancel: Callable[[], bool],
) -> SyncRun:
    """(runs on the task runner) Sync when forced or when a delivery is due."""
    report = None
    due = force or any(
        s.state == "pending" and (s.next_attempt_at is None or s.next_attempt_at <= now)
        for s in service.sync.deliveries()
    )
    if due:
        report = service.sync.sync(progress=progress, cancel=cancel, now=now, force=force)
    return SyncRun(report, service.sync.list_targets(), service.sync.deliveries())


def failure_kind(problem: str) -> str:
    """What a failed delivery is about, from its ``problem`` (the core's kind, never the
    wording of its message): host-key-changed, auth-failed, or refused for the rest."""
    return problem if problem in KIND_WORDS else REFUSED


def clock_text(when: datetime, now: datetime | None = None) -> str:
    local = local_time(when)
    today = local_time(now or utcnow()).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%d %b %H:%M}".lstrip("0")


def delivery_texts(statuses: list[DeliveryStatus]) -> dict[str, str]:
    """The outbox's Delivery column: "sent to 2 of 2", "waiting: retry 14:05", "failed: …"."""
    by_bundle: dict[str, list[DeliveryStatus]] = {}
    for status in statuses:
        by_bundle.setdefault(status.bundle_id, []).append(status)
    texts = {}
    for bundle_id, items in by_bundle.items():
        total, sent = len(items), sum(s.state == "sent" for s in items)
        failed = [s for s in items if s.state == "failed"]
        retries = [s.next_attempt_at for s in items if s.state == "pending" and s.next_attempt_at]
        done = f"sent to {sent} of {total}"
        if failed:
            kind = failure_kind(worst_problem(s.problem for s in failed))
            text = f"failed: {KIND_WORDS[kind]}"
        elif sent == total:
            text = done
        elif retries:
            text = f"waiting: retry {clock_text(min(retries))}"
        else:
            text = "waiting to send"
        texts[bundle_id] = f"{done}; {text}" if sent and sent < total else text
    return texts


def summarise(report: SyncReport) -> SyncState:
    sent = sum(r.outcome in ("sent", "already-there") for r in report.results)
    retries = [
        r.next_attempt_at
        for r in report.results
        if r.outcome in ("retry", "waiting") and r.next_attempt_at is not None
    ]
    parts = [f"Delivered {sent} bundle{'' if sent == 1 else 's'}."] if sent else []
    if report.cancelled:
        parts.append("Sync cancelled; it resumes at the next sync.")
    if retries:
        parts.append(f"Offline — will retry at {clock_text(min(retries))}.")
    for pinned in report.pinned:  # a target added elsewhere (the CLI), first reached now
        parts.append(
            f"Pinned the host key {pinned.fingerprint} of {pinned.target} at first contact: "
            "compare it with the one the server's administrator gives you."
        )
    if report.problems:
        failed = len(report.problems)
        parts.append(f"{failed} deliver{'y' if failed == 1 else 'ies'} need attention.")
    if not parts:
        parts.append(
            "Up to date: every bundle has reached every target."
            if report.results
            else "Nothing to send: no bundle in the outbox, or no enabled target."
        )
    tone = "warning" if report.problems else "offline" if retries else "info"
    return SyncState(" ".join(parts), tone)


class _Relay(QObject):
    """Carries progress from the worker thread to the GUI thread (queued)."""

    progress = Signal(object)


class BackgroundSync(QObject):
    """Syncs while the store is unlocked; see the module docstring."""

    updated = Signal(object)  # a SyncRun, after every run
    state_changed = Signal(object)  # SyncState
    problems_changed = Signal()
    running_changed = Signal(bool)  # a sync the user can see (and cancel) runs
    progress = Signal(object)  # SyncProgress
    status_message = Signal(str)

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QObject | None = None,
        *,
        interval_ms: int = SYNC_INTERVAL_MS,
        first_ms: int = FIRST_SYNC_MS,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent)
        self.service, self.runner, self.clock = service, runner, clock
        self.first_ms = first_ms
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        self.relay = _Relay(self)
        self.relay.progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        self.state = SyncState()
        self.problems: dict[tuple[str, str], Problem] = {}  # failing now
        self.announced: set[tuple[str, str]] = set()  # once per unlock
        self.dismissed: set[tuple[str, str]] = set()
        self.cancel_event: threading.Event | None = None
        self.shown = False  # the current run is visible (manual, or sending something)
        self.again = False  # "Sync now" while a run was under way
        self.stopped = True
        self.runs = 0  # finished runs (for tests)
        self.indicator = QLabel()
        self.indicator.setObjectName("statusHint")
        self.indicator.setAccessibleName("Sync status")
        self.indicator.hide()

    # -------------------------------------------------------------- control
    def start(self, status_bar: QStatusBar | None = None) -> None:
        if status_bar is not None:
            status_bar.addPermanentWidget(self.indicator)
        self.stopped = False
        self.timer.start()
        QTimer.singleShot(self.first_ms, self, self.tick)

    def stop(self) -> None:
        """On lock and close: no more runs; one under way is cancelled between blocks."""
        if self.stopped:
            return
        self.stopped = True
        self.timer.stop()
        self.cancel()
        self.indicator.hide()
        self.indicator.deleteLater()

    def set_interval(self, ms: int) -> None:
        self.timer.setInterval(ms)

    @property
    def running(self) -> bool:
        return self.cancel_event is not None

    def tick(self) -> None:
        """Background: sync when a delivery is due; quiet unless something happens."""
        self._run(force=False, shown=False)

    def sync_now(self) -> None:
        """The user asked: also what waits for its retry time or failed earlier."""
        if self.running:
            self.again = True
            self.shown = True
            self.running_changed.emit(True)
            return
        self._run(force=True, shown=True)

    def after_seal(self) -> None:
        QTimer.singleShot(AFTER_SEAL_MS, self, self.tick)

    def cancel(self) -> None:
        self.again = False
        if self.cancel_event is not None:
            self.cancel_event.set()

    def dismiss(self, key: tuple[str, str]) -> None:
        self.dismissed.add(key)
        self.problems_changed.emit()

    def open_problems(self) -> list[Problem]:
        return [p for key, p in self.problems.items() if key not in self.dismissed]

    # ---------------------------------------------------------------- runs
    def _run(self, *, force: bool, shown: bool) -> None:
        if self.stopped or self.running or not is_alive(self):
            return
        cancel = threading.Event()
        self.cancel_event, self.shown = cancel, shown
        if shown:
            self.running_changed.emit(True)
        self.runner.submit(
            sync_task, self.service, self.clock(), force, self.relay.progress.emit, cancel.is_set,
            on_result=self._finished, on_error=self._failed, owner=self,
        )  # fmt: skip

    def _progress(self, progress: SyncProgress) -> None:
        if self.cancel_event is None or self.cancel_event.is_set():
            return
        if not self.shown:
            self.shown = True
            self.running_changed.emit(True)
        self.progress.emit(progress)

    def _idle(self) -> None:
        self.cancel_event = None
        self.runs += 1
        if self.shown:
            self.shown = False
            self.running_changed.emit(False)

    def _finished(self, run: SyncRun) -> None:
        self._idle()
        if run.report is not None:
            self._set_state(summarise(run.report))
        self.take(run.deliveries)
        self.updated.emit(run)
        if self.again and not self.stopped:
            self.again = False
            self._run(force=True, shown=True)

    def _failed(self, error: BaseException) -> None:
        self._idle()
        self.again = False
        if not self.stopped:
            self._set_state(SyncState(f"Sync failed: {describe(error)}", "warning"))

    def _set_state(self, state: SyncState) -> None:
        changed = state != self.state
        self.state = state
        if not self.stopped:  # the status bar's indicator goes on stop
            quiet = state.tone == "info"
            self.indicator.setText("" if quiet else state.text)
            self.indicator.setVisible(not quiet)
        if changed:
            self.state_changed.emit(state)
            self.status_message.emit(state.text)

    def take(self, statuses: list[DeliveryStatus]) -> None:
        """What needs a person now: a changed host key, a refused login (from the
        deliveries' state); each is announced once."""
        found: dict[tuple[str, str], Problem] = {}
        for status in statuses:
            kind = failure_kind(status.problem) if status.state == "failed" else ""
            if kind in ATTENTION:
                key = (status.target_id, kind)
                found.setdefault(
                    key, Problem(status.target_id, status.target, kind, status.last_error)
                )
        if found.keys() == self.problems.keys():
            return
        self.problems = found
        for key, problem in found.items():
            if key not in self.announced:
                self.announced.add(key)
                words = KIND_WORDS[problem.kind]
                self.status_message.emit(f"Sync to {problem.location} stopped: {words}.")
        self.problems_changed.emit()


class ProblemBanner(QFrame):
    """The first problem that needs a person, with what to do about it and Dismiss."""

    act = Signal(object)  # the Problem: review the host key, or set the login
    STYLE = (
        "QFrame#syncBanner { background: #fef3c7; border: 1px solid #f59e0b; border-radius: 6px; }"
    )

    def __init__(self, sync: BackgroundSync, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sync = sync
        self.setObjectName("syncBanner")
        self.setStyleSheet(self.STYLE)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Sync warning")
        self.action = QPushButton(self)
        self.action.clicked.connect(self._act)
        self.dismiss = QPushButton("Dismiss", self)
        self.dismiss.setAccessibleName("Dismiss the sync warning")
        self.dismiss.setToolTip("Hide this warning until the next unlock")
        self.dismiss.clicked.connect(self._dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.text, 1)
        row.addWidget(self.action)
        row.addWidget(self.dismiss)
        sync.problems_changed.connect(self.show_problems)
        self.show_problems()

    def first(self) -> Problem | None:
        problems = self.sync.open_problems()
        return problems[0] if problems else None

    def show_problems(self) -> None:
        problems = self.sync.open_problems()
        self.setVisible(bool(problems))
        if not problems:
            return
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        if first.kind == HOST_KEY_CHANGED:
            text = (
                f"Warning: the SFTP server {first.location} presented a different host key. "
                "Nothing is sent there until you have checked it with the server's "
                "administrator."
            )
            action, name = "Review host key…", "Review the changed host key"
        else:
            text = f"{first.location} refused the login: nothing is sent there until it is fixed."
            action, name = "Set login…", "Set the SFTP login"
        self.text.setText(text + more)
        self.text.setToolTip(first.message)
        self.action.setText(action)
        self.action.setAccessibleName(name)

    def _act(self) -> None:
        if (problem := self.first()) is not None:
            self.act.emit(problem)

    def _dismiss(self) -> None:
        if (problem := self.first()) is not None:
            self.sync.dismiss((problem.target_id, problem.kind))
