"""Keyboard and accessibility: every page of the main window and every dialog the menus
open (and the start-up dialogs) is checked for

- a name for every control (what a screen reader says: its accessible name, its text, or
  the text of the label whose buddy it is — asked through ``QAccessible`` itself);
- a Tab order that reaches every enabled control (walking ``focusNextChild`` with the
  real focus);
- a visible focus ring (the stylesheet's ``:focus`` rules change what is drawn);

and the app is drawn in a dark palette (text must stay readable) and, in a subprocess, at
200 % (``QT_SCALE_FACTOR=2``: nothing cut off).

What the checks find in screens this suite does not own is listed in ``KNOWN`` with the
exact widget; the tests fail when a new problem appears and when a listed one is fixed
(so the list stays true).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAccessible, QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollBar,
    QSlider,
    QSpinBox,
    QTabBar,
    QTableView,
    QTabWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.sample import add_sample_session, find_sample
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.first_run import TEAM as TEAM_PAGE
from relations_desktop.ui.dialogs.first_run import FirstRunWizard
from relations_desktop.ui.dialogs.new_passphrase import NewPassphraseDialog
from relations_desktop.ui.dialogs.settings import SettingsDialog
from relations_desktop.ui.dialogs.unlock import UnlockDialog
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.style import STYLESHEET, apply_style
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.workspace import PAGES, RECORDING, TRANSCRIPT
from tests.conftest import PASSPHRASE
from tests.ui.conftest import REC, WindowFactory, flush_deletes
from tests.ui.fake_audio import FakeBackend

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QAbstractSpinBox,
    QComboBox,
    QAbstractItemView,
    QPlainTextEdit,
    QTextEdit,
    QAbstractSlider,
    QTabBar,
)
ROOT = Path(__file__).resolve().parents[2]
TRAPPED_AFTER = 8  # Tab presses that leave the focus in one control: it is a trap


# ------------------------------------------------------------------ the checks
def _internal(widget: QWidget) -> bool:
    """A part of another control (a spin box's or combo box's field, a tab bar's scroll
    arrows, a scroll bar), which the control itself speaks for."""
    parent = widget.parentWidget()
    if isinstance(widget, QScrollBar | QHeaderView):
        return True
    if isinstance(parent, QAbstractSpinBox | QComboBox):
        return True
    return isinstance(widget, QToolButton) and isinstance(parent, QTabBar)


def controls(root: QWidget) -> list[QWidget]:
    """The visible controls in ``root``'s window that lie inside ``root``."""
    window = root.window()
    found = [root] if isinstance(root, INTERACTIVE) else []
    found += root.findChildren(QWidget)
    return [
        w
        for w in found
        if isinstance(w, INTERACTIVE)
        and w.isVisible()
        and w.window() is window
        and not _internal(w)
    ]


def accessible_name(widget: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(widget)
    name = iface.text(QAccessible.Text.Name) if iface is not None else ""
    return (name or "").replace("&", "").strip()


def describe(widget: QWidget) -> str:
    """Enough to find the widget in the code: class, object name, text, placeholder."""
    bits = [type(widget).__name__]
    if widget.objectName():
        bits.append(f"#{widget.objectName()}")
    text = getattr(widget, "text", None)
    if isinstance(widget, QAbstractButton | QLineEdit) and callable(text) and text():
        bits.append(repr(text()))
    if isinstance(widget, QLineEdit) and widget.placeholderText():
        bits.append(f"placeholder {widget.placeholderText()!r}")
    if widget.accessibleName():
        bits.append(f"named {widget.accessibleName()!r}")
    owner = widget.parentWidget()
    while owner is not None and not owner.objectName():
        owner = owner.parentWidget()
    if owner is not None:
        bits.append(f"in #{owner.objectName()}")
    return " ".join(bits)


def unnamed(root: QWidget) -> list[str]:
    return [describe(w) for w in controls(root) if not accessible_name(w)]


def tab_walk(root: QWidget, traps: list[QWidget] | None = None) -> list[QWidget]:
    """Where Tab goes, from the first control of ``root``, round its window once.

    A control that keeps the focus when Tab is pressed (a table whose Tab moves between
    its own cells, for ever) is noted in ``traps`` and left as Qt's base class would.
    """
    window = root.window()
    window.activateWindow()
    QApplication.processEvents()
    start = next((w for w in controls(root) if _tabbable(w)), None)
    if start is None:
        return []
    start.setFocus(Qt.FocusReason.TabFocusReason)
    seen: list[QWidget] = []
    for _ in range(400):
        current = QApplication.focusWidget()
        if current is None or (seen and current is start):
            break
        seen.append(current)
        for _ in range(TRAPPED_AFTER):  # a date edit's sections, then out
            current.focusNextChild()
            if QApplication.focusWidget() is not current:
                break
        else:
            others = [w for w in controls(window) if w is not current and _tabbable(w)]
            if not others:  # the only control there is: nowhere else to go
                break
            if traps is not None:
                traps.append(current)
            QWidget.focusNextPrevChild(current, True)  # on, as if the widget let go
    return seen


def _tabbable(widget: QWidget) -> bool:
    return widget.isEnabled() and bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)


def keeps_tab(widget: QWidget) -> bool:
    """A control whose Tab never moves the focus on: a table with Tab moving between
    its cells (and wrapping round), an editable text field where Tab types a tab."""
    if isinstance(widget, QAbstractItemView):
        return widget.tabKeyNavigation()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return not widget.isReadOnly() and not widget.tabChangesFocus()
    return False


def _in_reached_group(widget: QWidget, seen: set[int]) -> bool:
    """An exclusive choice (radio buttons, Edit/Preview): Tab reaches the group's checked
    button and the arrow keys the others, as everywhere."""
    if not isinstance(widget, QAbstractButton) or not widget.isCheckable():
        return False
    group = widget.group()
    if group is not None and group.exclusive():
        members = group.buttons()
    elif widget.autoExclusive() and widget.parentWidget() is not None:
        members = [
            b
            for b in widget.parentWidget().findChildren(QAbstractButton)
            if b.autoExclusive() and b.parentWidget() is widget.parentWidget()
        ]
    else:
        return False
    return any(id(b) in seen for b in members)


def findings(root: QWidget, where: str) -> set[str]:
    """Each problem as one line: where, what, and the widget."""
    traps: list[QWidget] = []
    seen = {id(w) for w in tab_walk(root, traps)}

    def reached(widget: QWidget) -> bool:
        proxy = widget.focusProxy()
        if id(widget) in seen or (proxy is not None and id(proxy) in seen):
            return True
        return _in_reached_group(widget, seen)

    found = {f"{where}: no name: {d}" for d in unnamed(root)}
    found |= {
        f"{where}: not reached by Tab: {describe(w)}"
        for w in controls(root)
        if w.isEnabled() and not reached(w)
    }
    trapped = traps + [w for w in controls(root) if w.isEnabled() and keeps_tab(w)]
    return found | {f"{where}: Tab stays inside: {describe(w)}" for w in trapped}


# ------------------------------------------------------------------- the window
@pytest.fixture
def window(make_window: WindowFactory, service: StoreService, runner: TaskRunner) -> MainWindow:
    add_sample_session(service)
    return make_window(REC, audio_backend=FakeBackend())


def settle(runner: TaskRunner) -> None:
    for _ in range(3):
        runner.wait_idle()
        QApplication.processEvents()


def visit_pages(qtbot, window: MainWindow, runner: TaskRunner) -> Iterator[tuple[str, QWidget]]:  # type: ignore[no-untyped-def]
    """Every page of the workspace (the recording screen and the transcript editor opened
    on the sample) and every tab in it, then the lock screen."""
    workspace = window.workspace
    assert workspace is not None
    sessions = workspace.sessions
    qtbot.waitUntil(lambda: sessions.current is not None, timeout=5000)
    settle(runner)
    for page, (name, _keys) in enumerate(PAGES):
        if page == RECORDING:
            workspace.record()
        elif page == TRANSCRIPT:
            sample = find_sample(window.service)
            assert sample is not None
            workspace.open_transcript(sample.recording_id)
        else:
            workspace.show_page(page)
        settle(runner)
        for tab in dialog_views(workspace.pages.currentWidget(), runner):
            yield name + tab, workspace
    window.lock()
    settle(runner)
    yield "Lock screen", window.lock_screen


def open_dialogs() -> list[QWidget]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QDialog) and w.isVisible() and shiboken6.isValid(w)
    ]


def dialog_views(dialog: QWidget, runner: TaskRunner) -> Iterator[str]:
    """Each tab of each tab widget in the dialog shown in turn ("" when there are none)."""
    tab_widgets = [t for t in dialog.findChildren(QTabWidget) if t.isVisible()]
    if not tab_widgets:
        yield ""
        return
    for tabs in tab_widgets:
        for tab in range(tabs.count()):
            tabs.setCurrentIndex(tab)
            settle(runner)
            yield f" › {tabs.tabText(tab).replace('&&', '&')}"


def visit_menu_dialogs(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, runner: TaskRunner
) -> Iterator[tuple[str, QWidget]]:
    """Every dialog a menu item opens (the transcript's with the sample transcript open)."""
    workspace = window.workspace
    assert workspace is not None
    qtbot.waitUntil(lambda: workspace.sessions.current is not None, timeout=5000)
    skip = {window.lock_action, window.quit_action}
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        title = menu_action.text().replace("&", "")
        for action in menu.actions():
            if action.isSeparator() or not action.isEnabled() or action in skip:
                continue
            if not action.isVisible():
                continue
            if title == "Transcript":
                sample = find_sample(window.service)
                assert sample is not None
                workspace.open_transcript(sample.recording_id)
                settle(runner)
            before = {id(d) for d in open_dialogs()}
            action.trigger()
            settle(runner)
            name = f"{title} › {action.text().split(chr(9))[0].replace('&', '')}"
            for dialog in [d for d in open_dialogs() if id(d) not in before]:
                for tab in dialog_views(dialog, runner):
                    yield name + tab, dialog
                dialog.reject() if isinstance(dialog, QDialog) else dialog.close()
                settle(runner)
            flush_deletes()


# ---------------------------------------------------------- names, Tab, traps
# By design: the transcript editor's toolbar buttons never take the focus, so the cursor
# stays in the text; each is in the Transcript menu (with Alt+S / Alt+M for split and
# merge), which is how the keyboard reaches them.
BY_DESIGN = {
    f"Transcript: not reached by Tab: QPushButton {text!r} named {name!r} in #transcriptEditor"
    for text, name in (
        ("Split", "Split"),
        ("Merge", "Merge"),
        ("History…", "History"),
        ("Export…", "Export"),
        ("Shortcuts…", "Shortcuts"),
    )
}

KNOWN: set[str] = set()  # nothing known left: tables let Tab through (ui/style.py)


def test_every_page_and_menu_dialog(qtbot, window: MainWindow, runner: TaskRunner) -> None:
    found: set[str] = set()
    visited: list[str] = []
    for name, root in visit_menu_dialogs(qtbot, window, runner):
        found |= findings(root, name)
        visited.append(name)
    for name, root in visit_pages(qtbot, window, runner):
        found |= findings(root, name)
        visited.append(name)
    for expected in ("File › Settings… › Team roster", "Transcript › Export transcript…",
                     "Session › New session…", "Register › Families", "Team › Inbox",
                     "Recording", "Transcript", "Lock screen"):  # fmt: skip
        assert expected in visited
    new = sorted(found - KNOWN - BY_DESIGN)
    fixed = sorted(KNOWN - found)
    assert not new, "new accessibility problems:\n" + "\n".join(new)
    assert not fixed, "fixed (take them off KNOWN):\n" + "\n".join(fixed)


def test_start_up_dialogs(qtbot, store_dir: Path, runner: TaskRunner) -> None:
    """The first-run wizard (every page, the team choices opened), the unlock dialog and
    the new passphrase asked after a recovery."""
    wizard = FirstRunWizard(store_dir, runner)
    qtbot.addWidget(wizard)
    wizard.open()
    found: set[str] = set()
    for page in range(wizard.pages.count()):
        wizard.go(page)
        for choice in (wizard.team.join, wizard.team.start) if page == TEAM_PAGE else (None,):
            if choice is not None:
                choice.setChecked(True)
            found |= findings(wizard, f"First run, page {page}")
    wizard.reject()
    StoreService.create(store_dir, PASSPHRASE).close()
    unlock = UnlockDialog(store_dir, runner)
    qtbot.addWidget(unlock)
    unlock.open()
    found |= findings(unlock, "Unlock")
    unlock.reject()
    with StoreService.open(store_dir, PASSPHRASE) as service:
        forced = NewPassphraseDialog(service, runner, forced=True)
        qtbot.addWidget(forced)
        forced.open()
        found |= findings(forced, "New passphrase")
        forced.reject()
    assert found == set()


def test_the_checks_can_fail(qtbot) -> None:  # type: ignore[no-untyped-def]
    """An unnamed icon button, a button Tab skips and a trapping table are all found."""
    root = QDialog()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    icon = QToolButton(root)  # no text, no name
    skipped = QPushButton("Skipped", root)
    skipped.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table = QTableView(root)
    for widget in (QLineEdit(root), icon, skipped, table):
        layout.addWidget(widget)
    root.show()
    qtbot.waitExposed(root)
    skipped.setFixedWidth(20)  # and is too narrow for its text
    table.setTabKeyNavigation(True)  # as Qt makes it, before ui/style.py lets Tab through
    found = findings(root, "Probe")
    [narrow] = clipped(root)
    assert narrow.startswith("QPushButton 'Skipped' (20×")
    assert "Probe: no name: QToolButton" in found
    assert "Probe: not reached by Tab: QPushButton 'Skipped'" in found
    assert "Probe: Tab stays inside: QTableView" in found
    assert any(line.startswith("Probe: no name: QLineEdit") for line in found)


# ---------------------------------------------------------------- visible focus
def ring_missing(widget: QWidget) -> bool:
    """Whether the widget's edge (for a tab bar, its current tab's) looks the same with
    and without the keyboard focus: a focus ring changes at least a quarter of it."""
    window = widget.window()
    window.activateWindow()
    QApplication.processEvents()
    other = next(w for w in controls(window) if w is not widget and _tabbable(w))
    other.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    plain = image_array(widget.grab().toImage())
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    assert widget.hasFocus(), describe(widget)
    ring = image_array(widget.grab().toImage())
    area = widget.tabRect(widget.currentIndex()) if isinstance(widget, QTabBar) else widget.rect()
    x, y, w, h = area.x(), area.y(), area.width(), area.height()
    changed = np.abs(plain.astype(int) - ring.astype(int)).sum(axis=2) > 60
    edge = np.zeros_like(changed)
    edge[y : y + h, x : x + w] = True
    edge[y + 3 : y + h - 3, x + 3 : x + w - 3] = False
    return int((changed & edge).sum()) < w + h


def test_focus_is_visible(qtbot, window: MainWindow, runner: TaskRunner) -> None:
    """Every kind of control draws a ring when it has the keyboard focus."""
    assert ":focus" in STYLESHEET
    tested: set[type] = set()
    faint: list[str] = []

    def probe(root: QWidget) -> None:
        for widget in controls(root):
            if type(widget) in tested or not _tabbable(widget):
                continue
            tested.add(type(widget))
            if ring_missing(widget):
                faint.append(describe(widget))

    settle(runner)
    probe(window)
    window.open_settings()
    settings = window.dialog
    assert isinstance(settings, SettingsDialog)
    for _tab in dialog_views(settings, runner):
        probe(settings)
    settings.reject()
    wizard = FirstRunWizard(Path("/nonexistent"), runner)
    qtbot.addWidget(wizard)
    wizard.open()
    for page in range(wizard.pages.count()):
        wizard.go(page)
        wizard.team.start.setChecked(True)
        probe(wizard)
    for kind in (QLineEdit, QPushButton, QComboBox, QSpinBox, QRadioButton, QCheckBox,
                 QTabBar, QListWidget, QTableView, QPlainTextEdit, QSlider):  # fmt: skip
        assert any(issubclass(t, kind) for t in tested), kind
    assert not faint, f"no visible focus on: {faint}"


def image_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine() // 4, 4
    )
    return data[:, : image.width(), 2::-1].copy()  # BGRA in memory → RGB, owned


# ------------------------------------------------------------------- dark mode
DARK = {
    "Window": "#202124", "WindowText": "#e8eaed", "Base": "#2b2c2f", "AlternateBase": "#323336",
    "Text": "#e8eaed", "Button": "#3c4043", "ButtonText": "#e8eaed", "ToolTipBase": "#3c4043",
    "ToolTipText": "#e8eaed", "PlaceholderText": "#9aa0a6", "BrightText": "#ffffff",
    "Light": "#5f6368", "Midlight": "#4a4d51", "Mid": "#3c4043", "Dark": "#17181a",
    "Shadow": "#000000",
}  # fmt: skip


def dark_palette() -> QPalette:
    """What a desktop in dark mode gives the app (as Windows 11 and macOS do to Qt 6)."""
    palette = QPalette()
    for role, colour in DARK.items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    return palette


def luminance(rgb: np.ndarray) -> np.ndarray:
    c = rgb.astype(float) / 255.0
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * c[..., 0] + 0.7152 * c[..., 1] + 0.0722 * c[..., 2]


def text_contrast(pixels: np.ndarray) -> float:
    """The WCAG contrast between a control's background (its commonest colour) and its
    text (the pixel that differs most from it), measured on what is drawn."""
    pixels = pixels.reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    background = luminance(colours[counts.argmax()])
    lum = luminance(pixels)
    ink = lum.min() if background > 0.5 else lum.max()
    light, dark = max(background, ink), min(background, ink)
    return float((light + 0.05) / (dark + 0.05))


def unreadable(root: QWidget) -> list[str]:
    """Enabled labels, buttons and fields with text whose contrast is under 3:1, measured
    where they are drawn in ``root`` (a label has no background of its own)."""
    shot = image_array(root.grab().toImage())
    ratio = root.devicePixelRatioF()
    found = []
    for widget in root.findChildren(QWidget):
        text = widget.text() if isinstance(widget, QLabel | QAbstractButton | QLineEdit) else ""
        if not text or not widget.isVisible() or not widget.isEnabled():
            continue
        if isinstance(widget, QLabel) and not widget.pixmap().isNull():
            continue
        if widget.window() is not root.window() or widget.width() < 4 or widget.height() < 4:
            continue
        corner = widget.mapTo(root, QPoint(0, 0))
        x, y = round(corner.x() * ratio), round(corner.y() * ratio)
        w, h = round(widget.width() * ratio), round(widget.height() * ratio)
        contrast = text_contrast(shot[y : y + h, x : x + w])
        if contrast < 3.0:
            found.append(f"{describe(widget)} ({contrast:.1f}:1)")
    return found


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    saved = qapp.palette()
    qapp.setPalette(dark_palette())
    apply_style(qapp)
    yield
    qapp.setPalette(saved)
    apply_style(qapp)


def test_light_mode_text_is_readable(qtbot, window: MainWindow, runner: TaskRunner) -> None:
    settle(runner)
    assert unreadable(window) == []


def test_dark_mode_text_is_readable(
    qtbot, dark: None, window: MainWindow, runner: TaskRunner
) -> None:
    settle(runner)
    assert unreadable(window) == []


# ------------------------------------------------------------------------ 200 %
# A 13-inch laptop at 2560 × 1600 set to 200 % leaves 1280 × 800 for the app.
SCREEN_200 = (1280, 800)


def clipped(root: QWidget) -> list[str]:
    """Buttons and labels drawn smaller than their text needs."""
    found = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not root.window():
            continue
        if isinstance(widget, QAbstractButton) and widget.text():
            need = widget.minimumSizeHint()
        elif isinstance(widget, QLabel) and widget.text() and widget.pixmap().isNull():
            if widget.wordWrap():
                height = widget.heightForWidth(widget.width())
                if height > widget.height() + 1:
                    found.append(f"{describe(widget)} ({widget.height()} < {height} px high)")
                continue
            need = widget.sizeHint()
        else:
            continue
        if widget.width() + 1 < need.width() or widget.height() + 1 < need.height():
            found.append(
                f"{describe(widget)} ({widget.width()}×{widget.height()} < "
                f"{need.width()}×{need.height()})"
            )
    return found


def render_scaled(out_dir: str) -> None:
    """(run with QT_SCALE_FACTOR=2) The main window on the sample, the settings and the
    first run, drawn at 200 %: screenshots in ``out_dir`` and, on stdout, the windows'
    smallest sizes and anything cut off, as JSON."""
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_style(app)
    from relations_desktop.ui.context import AppContext, UiOptions

    report: dict[str, object] = {"ratio": app.devicePixelRatio(), "clipped": [], "min": {}}
    runner = TaskRunner()
    with tempfile.TemporaryDirectory() as tmp:
        service = StoreService.create(
            Path(tmp) / "store", PASSPHRASE, researcher_name="Mhairi Campbell",
            project_name="Relations study",
        )  # fmt: skip
        add_sample_session(service)
        window = MainWindow(AppContext(service, runner, UiOptions(idle_ms=600_000)))
        window.resize(1200, 800)
        window.show()
        settle(runner)
        window.open_settings()
        settings = window.dialog
        assert settings is not None
        wizard = FirstRunWizard(Path(tmp) / "other", runner)
        wizard.show()
        wizard.go(TEAM_PAGE)
        wizard.team.start.setChecked(True)
        settle(runner)
        shots = {"main-window-200": window, "settings-200": settings, "first-run-200": wizard}
        for name, root in shots.items():
            root.grab().save(str(Path(out_dir) / f"{name}.png"))
            hint = root.minimumSizeHint()
            report["min"][name] = [hint.width(), hint.height()]  # type: ignore[index]
            report["clipped"] += [f"{name}: {c}" for c in clipped(root)]  # type: ignore[operator]
        for tab in dialog_views(settings, runner):
            report["clipped"] += [f"settings{tab}: {c}" for c in clipped(settings)]  # type: ignore[operator]
        settings.reject()
        wizard.reject()
        window.close()
        runner.wait_idle()
        runner.shutdown()
        service.close()
    print(json.dumps(report))


def run_scaled(out_dir: Path) -> dict[str, Any]:
    """:func:`render_scaled` in a new process at 200 %; its report."""
    code = f"from tests.ui.test_accessibility import render_scaled; render_scaled({str(out_dir)!r})"
    env = {**os.environ, "QT_SCALE_FACTOR": "2", "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_at_200_percent_nothing_is_cut_off(tmp_path: Path) -> None:
    report = run_scaled(tmp_path)
    assert report["ratio"] == 2.0
    image = QImage(str(tmp_path / "main-window-200.png"))
    assert (image.width(), image.height()) == (2400, 1600)
    for name, (width, height) in report["min"].items():
        assert width <= SCREEN_200[0] and height <= SCREEN_200[1], (name, width, height)
    assert report["clipped"] == []
