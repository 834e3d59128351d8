"""A recording's timeline: its length, where playback is, and the jottings as marks.

Clicking a mark (or anywhere on the track) asks to play from there; hovering a mark
shows the jotting. While recording it grows live as audio comes in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from relations_desktop.ui.labels import format_duration

MARK_HIT_PX = 7
MARGIN = 10
TRACK_Y = 17
TRACK, PLAYED, MARK, MARK_HOVER = (
    QColor("#e1e4de"),
    QColor("#9cc5c7"),
    QColor("#2f6f73"),
    QColor("#c2410c"),
)


@dataclass(frozen=True)
class Mark:
    offset_seconds: float
    text: str
    id: str = ""


class Timeline(QWidget):
    seek_requested = Signal(float)  # seconds

    def __init__(self, parent: QWidget | None = None, *, interactive: bool = True) -> None:
        super().__init__(parent)
        self.interactive = interactive
        self.duration = 0.0
        self.position: float | None = None
        self.marks: list[Mark] = []
        self._hover: Mark | None = None
        self.setMouseTracking(True)
        self.setAccessibleName("Timeline")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        if interactive:
            self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            self.setAccessibleDescription("Jottings are marked; click to play from there")
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.setAccessibleDescription("Jottings are marked")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, 44)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, 44)

    # ------------------------------------------------------------------ state
    def set_duration(self, seconds: float) -> None:
        self.duration = max(0.0, seconds)
        self.update()

    def set_position(self, seconds: float | None) -> None:
        self.position = seconds
        self.update()

    def set_marks(self, marks: Iterable[Mark]) -> None:
        self.marks = sorted(marks, key=lambda m: m.offset_seconds)
        self._hover = None
        self.update()

    def add_mark(self, mark: Mark) -> None:
        self.set_marks([*self.marks, mark])

    def clear(self) -> None:
        self.duration = 0.0
        self.position = None
        self.set_marks([])

    # --------------------------------------------------------------- geometry
    def _span(self) -> float:
        last = self.marks[-1].offset_seconds if self.marks else 0.0
        return max(self.duration, last, 1.0)

    def x_of(self, seconds: float) -> float:
        width = max(1, self.width() - 2 * MARGIN)
        return MARGIN + width * min(1.0, max(0.0, seconds / self._span()))

    def seconds_at(self, x: float) -> float:
        width = max(1, self.width() - 2 * MARGIN)
        return min(self.duration, max(0.0, (x - MARGIN) / width * self._span()))

    def mark_point(self, mark: Mark) -> QPoint:
        """Where the mark's pin is drawn (for clicking it)."""
        return QPoint(round(self.x_of(mark.offset_seconds)), 8)

    def mark_at(self, x: float) -> Mark | None:
        best: Mark | None = None
        for mark in self.marks:
            distance = abs(self.x_of(mark.offset_seconds) - x)
            if distance <= MARK_HIT_PX and (
                best is None or distance < abs(self.x_of(best.offset_seconds) - x)
            ):
                best = mark
        return best

    # ------------------------------------------------------------------ input
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.interactive or event.button() != Qt.MouseButton.LeftButton or not self.duration:
            super().mousePressEvent(event)
            return
        x = event.position().x()
        mark = self.mark_at(x)
        self.seek_requested.emit(mark.offset_seconds if mark else self.seconds_at(x))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        hover = self.mark_at(event.position().x())
        if hover != self._hover:
            self._hover = hover
            self.update()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Left/Right: the previous/next jotting."""
        if not self.interactive:
            super().keyPressEvent(event)
            return
        here = self.position or 0.0
        if event.key() == Qt.Key.Key_Right:
            later = [m for m in self.marks if m.offset_seconds > here + 0.05]
            if later:
                self.seek_requested.emit(later[0].offset_seconds)
                return
        elif event.key() == Qt.Key.Key_Left:
            earlier = [m for m in self.marks if m.offset_seconds < here - 1.0]
            self.seek_requested.emit(earlier[-1].offset_seconds if earlier else 0.0)
            return
        super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            mark = self.mark_at(event.pos().x())
            if mark is not None:
                text = f"{format_duration(mark.offset_seconds)} — {mark.text}"
            elif self.duration > 0:
                text = format_duration(self.seconds_at(event.pos().x()))
            else:
                text = ""
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # --------------------------------------------------------------- painting
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track_y = TRACK_Y
        track = QRectF(MARGIN, track_y, self.width() - 2 * MARGIN, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(TRACK)
        painter.drawRoundedRect(track, 3, 3)
        if self.duration > 0:
            recorded = QRectF(track)
            recorded.setRight(self.x_of(self.duration))
            painter.setBrush(QColor("#cfd6d0"))
            painter.drawRoundedRect(recorded, 3, 3)
        if self.position is not None and self.duration > 0:
            played = QRectF(track)
            played.setRight(self.x_of(self.position))
            painter.setBrush(PLAYED)
            painter.drawRoundedRect(played, 3, 3)
        if self.duration > 0:
            self._paint_ends(painter, track)
        for mark in self.marks:
            self._paint_mark(painter, mark, track_y)
        if self.position is not None and self.duration > 0:
            x = self.x_of(self.position)
            painter.setPen(QPen(QColor("#1f2a30"), 1))
            painter.setBrush(QColor("#ffffff"))
            painter.drawEllipse(QPointF(x, track.center().y()), 6, 6)
        if self.hasFocus():
            painter.setPen(QPen(QColor("#2f6f73"), 1, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 4, 4)
        painter.end()

    def _paint_ends(self, painter: QPainter, track: QRectF) -> None:
        painter.setPen(QColor("#6b7280"))
        font = painter.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
        painter.setFont(font)
        labels = QRectF(track.left(), track.bottom() + 4, track.width(), 16)
        top = Qt.AlignmentFlag.AlignTop
        painter.drawText(labels, int(Qt.AlignmentFlag.AlignLeft | top), "0:00")
        end = format_duration(self.duration)
        painter.drawText(labels, int(Qt.AlignmentFlag.AlignRight | top), end)
        painter.setPen(Qt.PenStyle.NoPen)

    def _paint_mark(self, painter: QPainter, mark: Mark, track_y: float) -> None:
        x = self.x_of(mark.offset_seconds)
        colour = MARK_HOVER if mark == self._hover else MARK
        painter.setPen(QPen(colour, 2))
        painter.drawLine(QPointF(x, 10), QPointF(x, track_y + 6))
        pin = QPainterPath()
        pin.moveTo(x - 5, 2)
        pin.lineTo(x + 5, 2)
        pin.lineTo(x, 11)
        pin.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPath(pin)
