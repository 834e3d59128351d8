"""Playback in the transcript editor: the transport keys, click-to-play, and following.

The segment being played is highlighted and kept in view (the player's position is
read every 100 ms; nothing touches the store). Ctrl+J writes that position, as
[00:01:23], at the cursor.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QCheckBox

from relations_desktop.ui.transcript_keys import SKIP_SECONDS
from relations_desktop.ui.transcript_text import time_stamp
from relations_desktop.ui.widgets.player_bar import PlayerBar
from relations_desktop.ui.widgets.segment_table import SegmentTable
from relations_desktop.ui.widgets.transcript_model import TEXT

FOLLOW_MS = 100
ACTIONS = frozenset({"play_pause", "back", "forward", "slower", "faster", "insert_time"})


class Transport(QObject):
    message = Signal(str)

    def __init__(
        self, player: PlayerBar, table: SegmentTable, follow: QCheckBox, parent: QObject
    ) -> None:
        super().__init__(parent)
        self.player = player
        self.table = table
        self.model = table.transcript
        self.follow = follow
        self._timer = QTimer(self, interval=FOLLOW_MS)
        self._timer.timeout.connect(self.follow_playback)
        table.time_clicked.connect(self.play_from)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.close()

    def close(self) -> None:
        """Close the player (it reads the store): leaving the page, locking."""
        self.player.close_player()
        self.model.set_playing(-1)

    def play_from(self, seconds: float) -> None:
        self.player.play_from(seconds)
        self.follow_playback()

    def follow_playback(self) -> None:
        player = self.player.player
        row = -1 if player is None else self.model.segment_row_at(player.position_seconds)
        if row != self.model.playing_row:
            self.model.set_playing(row)
            if row >= 0 and self.follow.isChecked():
                self.table.scrollTo(
                    self.model.index(row, TEXT), QAbstractItemView.ScrollHint.EnsureVisible
                )

    def run(self, action: str) -> bool:
        """Do a transport action; False when ``action`` is not one."""
        if action not in ACTIONS:
            return False
        if action == "play_pause":
            self.player.toggle()
        elif action in ("back", "forward"):
            self.player.skip(SKIP_SECONDS if action == "forward" else -SKIP_SECONDS)
            self.follow_playback()
        elif action in ("slower", "faster"):
            combo = self.player.speed
            step = 1 if action == "faster" else -1
            combo.setCurrentIndex(min(combo.count() - 1, max(0, combo.currentIndex() + step)))
            self.message.emit(f"Speed {combo.currentText()}")
        else:
            self.insert_time()
        return True

    def insert_time(self) -> None:
        editor = self.table.editor
        if editor is None:
            self.message.emit("Click into a segment's text to insert the time there.")
            return
        player = self.player.player
        editor.insertPlainText(time_stamp(player.position_seconds if player else 0.0))
        editor.setFocus()
