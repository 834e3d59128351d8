"""Locking: an idle watcher for the whole application, and the lock screen.

The lock screen holds nothing of the data: a passphrase field, an Unlock button, and
while a recording goes on, a discreet "● Recording — 00:12:34" (no session, no names).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.ui.labels import format_clock
from relations_desktop.ui.widgets.message import MessageLabel

ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
    }
)


class IdleWatcher(QObject):
    """Emits :attr:`idle` after ``interval_ms`` with no keyboard, mouse or touch input."""

    idle = Signal()

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.idle)
        self._installed = False

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def set_interval(self, interval_ms: int) -> None:
        self._timer.setInterval(interval_ms)
        if self._timer.isActive():
            self._timer.start()

    @property
    def active(self) -> bool:
        return self._installed

    def start(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True
        self._timer.start()

    def stop(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
        self._installed = False
        self._timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in ACTIVITY:
            self._timer.start()
        return False


class LockScreen(QWidget):
    """A passphrase field and an Unlock button; emits :attr:`unlock_requested`."""

    unlock_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card = QFrame(self)
        card.setObjectName("lockCard")
        card.setFixedWidth(380)
        title = QLabel("Relations Desktop is locked", card)
        title.setObjectName("lockTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("Type your passphrase to unlock the store.", card)
        hint.setObjectName("hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.passphrase = QLineEdit(card)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.setPlaceholderText("Passphrase")
        self.passphrase.returnPressed.connect(self.submit)
        self.unlock_button = QPushButton("Unlock", card)
        self.unlock_button.setObjectName("primary")
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.clicked.connect(self.submit)
        self.message = MessageLabel(card)
        self.recording_label = QLabel(card)
        self.recording_label.setObjectName("lockRecording")
        self.recording_label.setAccessibleName("Recording in progress")
        self.recording_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.recording_label.hide()
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 28, 28, 28)
        inner.setSpacing(12)
        inner.addWidget(title)
        inner.addWidget(hint)
        inner.addWidget(self.passphrase)
        inner.addWidget(self.unlock_button)
        inner.addWidget(self.message)
        inner.addWidget(self.recording_label)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def show_recording(self, seconds: float | None, paused: bool = False) -> None:
        """The recording indicator: elapsed time only; None hides it."""
        if seconds is None:
            self.recording_label.hide()
            self.recording_label.clear()
            return
        state = "Recording paused" if paused else "Recording"
        self.recording_label.setText(f"● {state} — {format_clock(seconds)}")
        self.recording_label.show()

    def reset(self) -> None:
        self.passphrase.clear()
        self.message.clear_message()
        self.set_busy(False)

    def submit(self) -> None:
        passphrase = self.passphrase.text()
        if not passphrase:
            self.message.show_error("Type your passphrase.")
            return
        self.message.show_info("Unlocking…")
        self.set_busy(True)
        self.unlock_requested.emit(passphrase)

    def set_busy(self, busy: bool) -> None:
        self.passphrase.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.message.show_error(message)
        self.passphrase.selectAll()
        self.passphrase.setFocus()
