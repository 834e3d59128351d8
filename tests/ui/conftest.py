"""UI fixtures: a task runner, a main window on the test store, and text probes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from relations_desktop.core.recordings import ActiveRecording
from relations_desktop.core.services import StoreService
from relations_desktop.ui.context import AppContext, UiOptions
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.style import apply_style
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.widgets.html_delegate import HTML_ROLE
from relations_desktop.ui.workspace import RECORDING
from tests.consent_data import give_adult_consent
from tests.ui.fake_audio import FakeBackend

# Short autosave timings; idle lock far away unless a test asks for it.
FAST = UiOptions(idle_ms=600_000, autosave_debounce_ms=150, autosave_max_ms=400)


@pytest.fixture(autouse=True)
def _styled(qapp: QApplication) -> None:
    apply_style(qapp)


@pytest.fixture
def runner(qtbot: object) -> Iterator[TaskRunner]:
    r = TaskRunner()
    yield r
    r.wait_idle()
    r.shutdown()


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot, service: StoreService, runner: TaskRunner) -> Iterator[WindowFactory]:
    windows: list[MainWindow] = []

    def make(options: UiOptions = FAST, **context: Any) -> MainWindow:
        window = MainWindow(AppContext(service, runner, options, **context))
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        runner.wait_idle()
        return window

    yield make
    for window in windows:
        window.ask_stop = lambda answer: answer(True)  # a recording left running stops
        if window.isVisible():
            window.close()
            runner.wait_idle()
            if window.isVisible():
                qtbot.waitUntil(lambda w=window: not w.isVisible(), timeout=5000)
    runner.wait_idle()


@pytest.fixture
def sample(service: StoreService) -> dict[str, str]:
    """Two participants who consented to everything, a session with one note; their ids."""
    lara = service.add_participant("Lara", "Mother", region="Scotland", real_name="Real Person")
    hv = service.add_participant("Ailsa", "Health Visitor", region="Scotland", kind="professional")
    give_adult_consent(service, lara.id)
    give_adult_consent(service, hv.id)
    visit = service.add_encounter(
        "home-visit", "Home visit with Lara", on=date(2025, 3, 12), participant_ids=[lara.id, hv.id]
    )
    note = service.add_note(visit.id, "Lara made tea while the baby slept; we talked about rent.")
    return {"lara": lara.id, "hv": hv.id, "visit": visit.id, "note": note.id}


def flush_deletes() -> None:
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


def widget_texts(widget: QWidget) -> list[str]:
    """Every piece of text a widget holds (fields, labels, item models)."""
    texts = [widget.windowTitle(), widget.toolTip(), widget.accessibleName()]
    if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
        texts.append(widget.text())
    if isinstance(widget, QLineEdit):
        texts.append(widget.placeholderText())
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        texts.append(widget.toPlainText())
    if isinstance(widget, QComboBox):
        texts.extend(widget.itemText(i) for i in range(widget.count()))
    if isinstance(widget, QAbstractItemView) and widget.model() is not None:
        model = widget.model()
        root = QModelIndex()
        for row in range(model.rowCount(root)):
            col = 0
            while (index := model.index(row, col, root)).isValid():
                col += 1
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, HTML_ROLE):
                    value = index.data(role)
                    if value is not None:
                        texts.append(str(value))
    return [t for t in texts if t]


def all_texts(*, flush: bool = True) -> str:
    """The text of every widget that still exists in the application.

    Without ``flush``, widgets whose deletion is pending are included too.
    """
    if flush:
        flush_deletes()
    return "\n".join(t for w in QApplication.allWidgets() for t in widget_texts(w))


# Recording: fast status polling, a short silence warning, and a device timeout far
# away (the fake microphone only sends what a test feeds it).
REC = UiOptions(
    idle_ms=600_000,
    autosave_debounce_ms=150,
    autosave_max_ms=400,
    status_poll_ms=20,
    silence_warning_ms=300,
    recorder_options={"device_timeout": 60.0},
)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


def start_recording(qtbot, window: MainWindow) -> ActiveRecording:
    """Ctrl+R opens the recording screen for the selected session, Ctrl+R again starts."""
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.current is not None, timeout=3000)
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(window, Qt.Key.Key_R, ctrl)
    view = window.workspace.recording
    assert window.workspace.current_page == RECORDING
    qtbot.waitUntil(lambda: view.device_combo.count() > 1, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_R, ctrl)
    qtbot.waitUntil(lambda: window.monitor.active is not None, timeout=3000)
    active = window.monitor.active
    assert active is not None
    return active
