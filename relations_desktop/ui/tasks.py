"""Database work off the GUI thread.

One background thread owns the store: every call that touches the database goes
through :class:`TaskRunner.submit`, runs there in submission order, and its result (or
error) comes back on the GUI thread through a queued Qt signal. A callback whose owner
was destroyed in the meantime, or lies inside a tree marked with :func:`discard` (the
workspace being torn down on lock), is dropped.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, Signal

from relations_desktop.core.errors import RelationsError

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


def describe(error: BaseException) -> str:
    """A message fit to show the user: never a traceback, never stored text."""
    if isinstance(error, RelationsError):
        return error.message
    return (
        f"Something went wrong ({type(error).__name__}). "
        "Your last change may not have been saved; please try again."
    )


@dataclass
class _Task:
    on_result: ResultCallback | None
    on_error: ErrorCallback | None
    owner: QObject | None
    value: Any = None
    error: BaseException | None = None


class TaskRunner(QObject):
    """Runs callables on one worker thread; delivers outcomes on the GUI thread."""

    failed = Signal(str)  # an error no caller handled, as a message for the user
    _done = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relations-db")
        self._pending = 0
        self._closed = False
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def pending(self) -> int:
        """Tasks submitted whose outcome has not been delivered yet."""
        return self._pending

    def submit(
        self,
        fn: Callable[..., Any],
        /,
        *args: Any,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        owner: QObject | None = None,
        **kwargs: Any,
    ) -> Future[None]:
        """Run ``fn(*args, **kwargs)`` on the worker thread.

        ``owner`` defaults to the object of a bound-method callback when that is a
        QObject; once the owner is destroyed its callbacks are not called.
        """
        if self._closed:
            raise RuntimeError("the task runner was shut down")
        if owner is None:
            owner = _owner_of(on_result)
        if owner is None:
            owner = _owner_of(on_error)
        task = _Task(on_result, on_error, owner)
        self._pending += 1
        return self._executor.submit(self._run, task, fn, args, kwargs)

    def _run(
        self, task: _Task, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        try:
            task.value = fn(*args, **kwargs)
        except Exception as exc:
            task.error = exc
            if not isinstance(exc, RelationsError):
                # The type and the frames only: messages may quote stored text.
                log.error(
                    "Background task failed with %s:\n%s",
                    type(exc).__name__,
                    "".join(traceback.format_tb(exc.__traceback__)),
                )
        self._done.emit(task)

    def _deliver(self, task: _Task) -> None:
        self._pending -= 1
        if task.owner is not None and not is_alive(task.owner):
            return
        if task.error is not None:
            if task.on_error is not None:
                task.on_error(task.error)
            else:
                self.failed.emit(describe(task.error))
        elif task.on_result is not None:
            task.on_result(task.value)

    def wait_idle(self, timeout_ms: int = 10_000) -> bool:
        """Process events until every submitted task was delivered (for close and tests)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self._pending > 0:
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.002)
        return True

    def shutdown(self) -> None:
        """Finish the queued work and stop the worker thread."""
        if self._closed:
            return
        self._closed = True
        self._executor.shutdown(wait=True)
        QCoreApplication.sendPostedEvents(self)


DISCARDED = "relationsDiscarded"


def discard(obj: QObject) -> None:
    """Mark ``obj`` and everything under it as torn down: their callbacks are dropped."""
    obj.setProperty(DISCARDED, True)


def is_alive(obj: QObject) -> bool:
    """Not destroyed, and not inside a discarded tree."""
    node: QObject | None = obj
    while node is not None:
        if not shiboken6.isValid(node) or node.property(DISCARDED):
            return False
        node = node.parent()
    return True


def _owner_of(callback: Callable[..., Any] | None) -> QObject | None:
    target = getattr(callback, "__self__", None)
    return target if isinstance(target, QObject) else None
