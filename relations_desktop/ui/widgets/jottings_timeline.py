"""The jottings typed while a session was recorded, in the order of the audio.

Double-click a jotting (or press Enter on it) to play its recording from there.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from relations_desktop.core.records import RecordingRecord

PLACE_ROLE = Qt.ItemDataRole.UserRole + 3  # (recording id, seconds)
EMPTY = "No jottings. Type them on the recording screen while you record."


def clock(seconds: float) -> str:
    """mm:ss into a recording (h:mm:ss from an hour on)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class JottingsTimeline(QListWidget):
    play_requested = Signal(str, float)  # recording id, seconds into it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jottingsList")
        self.setAccessibleName("Jottings timeline")
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.itemActivated.connect(self._activated)

    def set_recordings(self, recordings: list[RecordingRecord]) -> None:
        """One line per jotting: recordings in the order they were made, jottings by time."""
        self.clear()
        several = sum(1 for r in recordings if r.jottings) > 1
        for number, recording in enumerate(recordings, start=1):
            for jotting in sorted(recording.jottings, key=lambda j: j.offset_seconds):
                where = clock(jotting.offset_seconds)
                if several:
                    where = f"Rec {number} · {where}"
                item = QListWidgetItem(f"{where}   {jotting.text}", self)
                item.setData(PLACE_ROLE, (recording.id, jotting.offset_seconds))
                item.setToolTip("Double-click or press Enter to play the recording from here")
        if not self.count():
            hint = QListWidgetItem(EMPTY, self)
            hint.setFlags(Qt.ItemFlag.NoItemFlags)

    def lines(self) -> list[str]:
        """The jottings shown (not the hint of an empty timeline)."""
        items = (self.item(row) for row in range(self.count()))
        return [item.text() for item in items if item.data(PLACE_ROLE)]

    def _activated(self, item: QListWidgetItem) -> None:
        place = item.data(PLACE_ROLE)
        if place:
            recording_id, seconds = place
            self.play_requested.emit(str(recording_id), float(seconds))
