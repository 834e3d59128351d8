"""A signature pad: draw with a mouse, a pen (tablet events) or a finger (touch).

The strokes are kept in the canvas's own pixel coordinates and handed over as a core
:class:`Signature`, which the core turns into the image kept with the consent record.
Nothing is written to disk.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QShortcut,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from relations_desktop.core.consent.certificate import Signature

Stroke = list[tuple[float, float]]
INK = QColor("#111827")
GUIDE = QColor("#9ca3af")


class SignatureCanvas(QWidget):
    """The drawing surface: a white box with a baseline and "Sign here"."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signatureCanvas")
        self.setAccessibleName("Signature pad")
        self.setAccessibleDescription(
            "Sign here with a mouse, a pen or a finger. Ctrl+Z takes back the last stroke."
        )
        self.setMinimumSize(360, 150)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.strokes: list[Stroke] = []
        self._drawing: Stroke | None = None

    # ------------------------------------------------------------------ strokes
    @property
    def is_empty(self) -> bool:
        return not self.strokes

    def _begin(self, point: QPointF) -> None:
        self._drawing = [self._clamp(point)]
        self.strokes.append(self._drawing)
        self.update()

    def _extend(self, point: QPointF) -> None:
        if self._drawing is None:
            return
        x, y = self._clamp(point)
        last = self._drawing[-1]
        if math.hypot(x - last[0], y - last[1]) >= 0.5:  # no duplicate points
            self._drawing.append((x, y))
            self.update()

    def _end(self, point: QPointF | None = None) -> None:
        if self._drawing is None:
            return
        if point is not None:
            self._extend(point)
        self._drawing = None
        self.changed.emit()

    def _clamp(self, point: QPointF) -> tuple[float, float]:
        x = min(max(point.x(), 0.0), float(self.width()))
        y = min(max(point.y(), 0.0), float(self.height()))
        return round(x, 1), round(y, 1)

    def undo(self) -> None:
        if self.strokes:
            self.strokes.pop()
            self._drawing = None
            self.update()
            self.changed.emit()

    def clear(self) -> None:
        if self.strokes:
            self.strokes.clear()
            self._drawing = None
            self.update()
            self.changed.emit()

    def signature(self) -> Signature | None:
        """The strokes drawn, or None when nothing was drawn."""
        strokes = tuple(tuple(s) for s in self.strokes if s)
        if not strokes:
            return None
        width = max([self.width(), *(math.ceil(x) for s in strokes for x, _ in s)])
        height = max([self.height(), *(math.ceil(y) for s in strokes for _, y in s)])
        return Signature(max(1, width), max(1, height), strokes)

    # ------------------------------------------------------------------- mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._begin(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drawing is not None:
            self._extend(event.position())
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._drawing is not None:
            self._end(event.position())
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
            event.accept()
        else:
            super().keyPressEvent(event)

    # ------------------------------------------------------------ pen, touch
    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QEvent.Type.TabletMove:
            self._extend(event.position())
        elif kind == QEvent.Type.TabletRelease:
            self._end(event.position())
        event.accept()  # no mouse event is made up from it: one stroke, not two

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        touch_types = (
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.TouchEnd,
            QEvent.Type.TouchCancel,
        )
        if kind in touch_types and isinstance(event, QTouchEvent):
            points = event.points()
            position = points[0].position() if points else None
            if kind == QEvent.Type.TouchBegin and position is not None:
                self._begin(position)
            elif kind == QEvent.Type.TouchUpdate and position is not None:
                self._extend(position)
            else:
                self._end(position)
            event.accept()
            return True
        return super().event(event)

    # ------------------------------------------------------------------ paint
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(0, 0, -1, -1)
        painter.fillRect(rect, QColor("#ffffff"))
        focus = self.hasFocus()
        painter.setPen(QPen(QColor("#2f6f73" if focus else "#cfd3cc"), 2 if focus else 1))
        painter.drawRoundedRect(rect, 6, 6)
        baseline = round(self.height() * 0.72)
        painter.setPen(QPen(GUIDE, 1, Qt.PenStyle.DashLine))
        painter.drawLine(16, baseline, self.width() - 16, baseline)
        painter.setPen(GUIDE)
        painter.drawText(18, baseline + 20, "✕  Sign here")
        painter.setPen(
            QPen(INK, 2.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                 Qt.PenJoinStyle.RoundJoin)
        )  # fmt: skip
        for stroke in self.strokes:
            if len(stroke) == 1:
                painter.drawPoint(QPointF(*stroke[0]))
                continue
            path = QPainterPath(QPointF(*stroke[0]))
            for x, y in stroke[1:]:
                path.lineTo(x, y)
            painter.drawPath(path)
        painter.end()


class SignaturePad(QWidget):
    """The canvas with Clear and Undo (Ctrl+Z) buttons; emits :attr:`changed`."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = SignatureCanvas(self)
        self.canvas.changed.connect(self._changed)
        self.undo_button = QPushButton("Undo stroke", self)
        self.undo_button.setToolTip("Take back the last stroke (Ctrl+Z)")
        self.undo_button.setAccessibleName("Undo last stroke")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setAccessibleName("Clear the signature")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.hint = QLabel("Sign in the box with a mouse, a pen or a finger.", self)
        self.hint.setObjectName("hint")
        self.undo_shortcut = QShortcut(QKeySequence.StandardKey.Undo, self)
        self.undo_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_shortcut.activated.connect(self.canvas.undo)
        row = QHBoxLayout()
        row.addWidget(self.hint, 1)
        row.addWidget(self.undo_button)
        row.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(row)
        self._changed()

    def _changed(self) -> None:
        empty = self.canvas.is_empty
        self.undo_button.setEnabled(not empty)
        self.clear_button.setEnabled(not empty)
        self.changed.emit()

    @property
    def is_empty(self) -> bool:
        return self.canvas.is_empty

    @property
    def strokes(self) -> list[Stroke]:
        return self.canvas.strokes

    def signature(self) -> Signature | None:
        return self.canvas.signature()

    def undo(self) -> None:
        self.canvas.undo()

    def clear(self) -> None:
        self.canvas.clear()
