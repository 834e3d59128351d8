"""A live input level meter: a dBFS bar with a peak tick and a red clip light.

The bar shows the loudness (RMS) of the latest block from -60 dBFS to 0; the tick shows
the peak, held for a moment so short peaks are seen; the clip light turns red when a
sample clipped and stays lit for about a second afterwards, so it cannot be missed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

FLOOR_DBFS = -60.0
CLIP_HOLD_SECONDS = 1.0
PEAK_HOLD_SECONDS = 1.5
TICKS = (-60, -40, -30, -20, -12, -6, 0)

GREEN, AMBER, RED = QColor("#2e9d5b"), QColor("#d59b1c"), QColor("#d13b2f")
TRACK, TEXT, CLIP_OFF = QColor("#e6e8e3"), QColor("#6b7280"), QColor("#d9dcd6")


def peak_dbfs(peak: float) -> float:
    return 20 * math.log10(peak) if peak > 0 else -120.0


class LevelMeter(QWidget):
    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self.level_dbfs = -120.0
        self.peak_dbfs = -120.0
        self._peak_hold = -120.0
        self._peak_until = 0.0
        self._clip_until = 0.0
        self.setAccessibleName("Input level")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(240)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(480, 42)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(240, 42)

    # ------------------------------------------------------------------ state
    def set_level(self, level_dbfs: float, peak: float, clipping: bool) -> None:
        """The latest reading: RMS level in dBFS, peak (0..1), whether a sample clipped."""
        now = self._clock()
        self.level_dbfs = level_dbfs
        self.peak_dbfs = peak_dbfs(peak)
        if self.peak_dbfs >= self._peak_hold or now >= self._peak_until:
            self._peak_hold = self.peak_dbfs
            self._peak_until = now + PEAK_HOLD_SECONDS
        if clipping:
            self._clip_until = now + CLIP_HOLD_SECONDS
        description = f"{max(level_dbfs, FLOOR_DBFS):.0f} dBFS"
        if self.clip_lit:
            description += ", clipping"
        self.setAccessibleDescription(description)
        self.update()

    def reset(self) -> None:
        self.level_dbfs = self.peak_dbfs = self._peak_hold = -120.0
        self._clip_until = self._peak_until = 0.0
        self.setAccessibleDescription("")
        self.update()

    @property
    def clip_lit(self) -> bool:
        return self._clock() < self._clip_until

    # --------------------------------------------------------------- painting
    @staticmethod
    def fraction(dbfs: float) -> float:
        return min(1.0, max(0.0, (dbfs - FLOOR_DBFS) / -FLOOR_DBFS))

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        light_d = 16.0
        bar = QRectF(0, 4, self.width() - light_d - 40, 14)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(TRACK)
        painter.drawRoundedRect(bar, 4, 4)

        gradient = QLinearGradient(bar.left(), 0, bar.right(), 0)
        gradient.setColorAt(0.0, GREEN)
        gradient.setColorAt(self.fraction(-18), GREEN)
        gradient.setColorAt(self.fraction(-9), AMBER)
        gradient.setColorAt(self.fraction(-3), RED)
        gradient.setColorAt(1.0, RED)
        filled = QRectF(bar)
        filled.setWidth(bar.width() * self.fraction(self.level_dbfs))
        if filled.width() > 0:
            painter.setBrush(gradient)
            painter.drawRoundedRect(filled, 4, 4)
        if self._peak_hold > FLOOR_DBFS:
            x = bar.left() + bar.width() * self.fraction(self._peak_hold)
            painter.setPen(QPen(QColor("#1f2a30"), 2))
            painter.drawLine(int(x), int(bar.top()), int(x), int(bar.bottom()))

        painter.setPen(TEXT)
        font = painter.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.75))
        painter.setFont(font)
        for tick in TICKS:
            x = bar.left() + bar.width() * self.fraction(tick)
            painter.drawLine(int(x), int(bar.bottom()) + 2, int(x), int(bar.bottom()) + 5)
            label = QRectF(x - 20, bar.bottom() + 6, 40, 14)
            if tick == TICKS[0]:
                label.moveLeft(bar.left())
                align = Qt.AlignmentFlag.AlignLeft
            elif tick == TICKS[-1]:
                label.moveRight(bar.right())
                align = Qt.AlignmentFlag.AlignRight
            else:
                align = Qt.AlignmentFlag.AlignHCenter
            painter.drawText(label, int(align | Qt.AlignmentFlag.AlignTop), str(tick))

        lit = self.clip_lit
        light = QRectF(bar.right() + 24, bar.center().y() - light_d / 2, light_d, light_d)
        painter.setPen(QPen(QColor("#9b2c22") if lit else QColor("#b9bdb5"), 1))
        painter.setBrush(RED if lit else CLIP_OFF)
        painter.drawEllipse(light)
        painter.setPen(RED if lit else TEXT)
        painter.drawText(
            QRectF(light.center().x() - 20, bar.bottom() + 6, 40, 14),
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
            "CLIP",
        )
        painter.end()
