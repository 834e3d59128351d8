"""The task runner: one worker thread, results and errors back on the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject

from relations_desktop.core.errors import WrongPassphrase
from relations_desktop.ui.tasks import TaskRunner, describe


def test_results_come_back_on_the_gui_thread_in_order(runner: TaskRunner) -> None:
    gui = threading.get_ident()
    workers: set[int] = set()
    delivered: list[tuple[int, int]] = []

    def work(n: int) -> int:
        workers.add(threading.get_ident())
        return n * n

    for n in range(5):
        runner.submit(work, n, on_result=lambda v: delivered.append((v, threading.get_ident())))
    assert runner.wait_idle()
    assert [v for v, _ in delivered] == [0, 1, 4, 9, 16]
    assert {t for _, t in delivered} == {gui}
    assert len(workers) == 1 and gui not in workers


def test_errors_go_to_the_handler_or_the_failed_signal(qtbot, runner: TaskRunner) -> None:
    def boom() -> None:
        raise WrongPassphrase("Wrong passphrase.")

    caught: list[BaseException] = []
    runner.submit(boom, on_error=caught.append)
    assert runner.wait_idle()
    assert isinstance(caught[0], WrongPassphrase)

    with qtbot.waitSignal(runner.failed, timeout=2000) as blocker:
        runner.submit(boom)
    assert blocker.args == ["Wrong passphrase."]


def test_unexpected_errors_are_described_without_their_text() -> None:
    message = describe(ValueError("secret fieldnote text"))
    assert "secret" not in message and "ValueError" in message


def test_callbacks_of_a_destroyed_owner_are_dropped(runner: TaskRunner) -> None:
    import shiboken6

    owner = QObject()
    called: list[object] = []
    gate = threading.Event()
    runner.submit(gate.wait, 5, on_result=called.append, owner=owner)
    shiboken6.delete(owner)
    gate.set()
    assert runner.wait_idle()
    assert called == []


def test_a_shut_down_runner_refuses_work(qtbot) -> None:
    runner = TaskRunner()
    runner.shutdown()
    with pytest.raises(RuntimeError):
        runner.submit(lambda: None)
