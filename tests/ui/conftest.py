"""UI fixtures: a task runner, a main window on the test store, and text probes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

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

from relations_desktop.core.services import StoreService
from relations_desktop.ui.context import AppContext, UiOptions
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.style import apply_style
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.widgets.html_delegate import HTML_ROLE

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

    def make(options: UiOptions = FAST) -> MainWindow:
        window = MainWindow(AppContext(service, runner, options))
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        runner.wait_idle()
        return window

    yield make
    for window in windows:
        if window.isVisible():
            window.close()
    runner.wait_idle()


@pytest.fixture
def sample(service: StoreService) -> dict[str, str]:
    """Two participants, a session with one note; their ids."""
    lara = service.add_participant("Lara", "Mother", region="Scotland", real_name="Real Person")
    hv = service.add_participant("Ailsa", "Health Visitor", region="Scotland", kind="professional")
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
