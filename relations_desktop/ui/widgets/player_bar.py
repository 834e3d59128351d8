"""Playback of one recording: play/pause, ±5 s, a seek slider, speed, and the timeline.

Audio is decrypted chunk by chunk straight from the store into the sound card; nothing
is written to disk. The player is made on first use (so selecting a recording never
opens the sound card) and closed when another recording is chosen, on lock and on close.
Space or Esc plays and pauses while the bar has the focus.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.audio.devices import AudioBackend
from relations_desktop.core.errors import RelationsError
from relations_desktop.ui.labels import format_duration
from relations_desktop.ui.playback import PlayerFactory, PlayerLike, SampleSource
from relations_desktop.ui.widgets.timeline import Mark, Timeline

SKIP_SECONDS = 5.0
SPEEDS = (0.75, 1.0, 1.25, 1.5)
POLL_MS = 100


class PlayerBar(QWidget):
    error = Signal(str)  # a message for the user
    _state_changed = Signal()  # from the player's threads, delivered on the GUI thread

    def __init__(
        self,
        factory: PlayerFactory,
        backend: AudioBackend | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("playerBar")
        self.factory = factory
        self.backend = backend
        self.player: PlayerLike | None = None
        self._source: SampleSource | None = None
        self._rate = 0
        self.duration = 0.0
        self._updating = False
        self._reported: str | None = None

        style = self.style()
        self.play_button = QPushButton("Play", self)
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setAccessibleName("Play or pause")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.setMinimumWidth(88)
        self.play_button.clicked.connect(self.toggle)
        self.back_button = QPushButton("−5 s", self)
        self.back_button.setAccessibleName("Back 5 seconds")
        self.back_button.setToolTip("Back 5 seconds")
        self.back_button.clicked.connect(lambda: self.skip(-SKIP_SECONDS))
        self.forward_button = QPushButton("+5 s", self)
        self.forward_button.setAccessibleName("Forward 5 seconds")
        self.forward_button.setToolTip("Forward 5 seconds")
        self.forward_button.clicked.connect(lambda: self.skip(SKIP_SECONDS))
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setAccessibleName("Playback position")
        self.slider.setSingleStep(1_000)
        self.slider.setPageStep(5_000)
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider.sliderReleased.connect(lambda: self._slider_moved(self.slider.value()))
        self.time_label = QLabel("0:00 / 0:00", self)
        self.time_label.setObjectName("playerTime")
        self.time_label.setAccessibleName("Elapsed and total time")
        self.speed = QComboBox(self)
        self.speed.setAccessibleName("Playback speed")
        self.speed.setToolTip("Playback speed (the pitch stays the same)")
        for factor in SPEEDS:
            self.speed.addItem(f"{factor:g}×", factor)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setMinimumWidth(78)
        self.speed.currentIndexChanged.connect(self._speed_changed)
        self.timeline = Timeline(self)
        self.timeline.seek_requested.connect(self.play_from)

        row = QHBoxLayout()
        row.setSpacing(6)
        for widget in (self.play_button, self.back_button, self.forward_button):
            row.addWidget(widget)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time_label)
        row.addWidget(self.speed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.timeline)

        for keys in ("Space", "Esc"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.toggle)
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._show_position)
        self._state_changed.connect(self._show_state, Qt.ConnectionType.QueuedConnection)
        self.unload()

    # ------------------------------------------------------------------ loading
    def load(
        self, source: SampleSource, sample_rate: int, duration: float, marks: list[Mark]
    ) -> None:
        """Show a recording; its player is made when first played."""
        self.unload()
        self._source = source
        self._rate = sample_rate
        self.duration = duration
        self.timeline.set_duration(duration)
        self.timeline.set_marks(marks)
        self.timeline.set_position(0.0)
        self._updating = True
        self.slider.setRange(0, int(duration * 1000))
        self.slider.setValue(0)
        self._updating = False
        self._show_time(0.0)
        self._set_enabled(duration > 0)

    def unload(self) -> None:
        """Stop and close the player, and forget the recording."""
        self.close_player()
        self._source = None
        self.duration = 0.0
        self.timeline.clear()
        self._updating = True
        self.slider.setRange(0, 0)
        self._updating = False
        self._show_time(0.0)
        self._set_enabled(False)

    def close_player(self) -> None:
        player, self.player = self.player, None
        self._timer.stop()
        if player is not None:
            player.on_state = None
            player.close()
        self._show_playing(False)

    def add_mark(self, mark: Mark) -> None:
        self.timeline.add_mark(mark)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.play_button, self.back_button, self.forward_button, self.slider):
            widget.setEnabled(enabled)
        self.timeline.setEnabled(enabled)

    def _ensure_player(self) -> PlayerLike | None:
        if self.player is None and self._source is not None:
            try:
                player = self.factory(self._source, self._rate, self.duration, backend=self.backend)
                player.set_speed(float(self.speed.currentData()))
            except RelationsError as exc:
                self.error.emit(exc.message)
                return None
            player.on_state = self._on_player_state
            self.player = player
            self._reported = None
        return self.player

    def _on_player_state(self, *_args: object) -> None:
        self._state_changed.emit()  # any thread

    # ----------------------------------------------------------------- control
    def toggle(self) -> None:
        player = self._ensure_player()
        if player is None:
            return
        if player.state == "playing":
            self._call(player.pause)
        else:
            if player.state == "finished":
                self._call(player.seek, 0.0)
            self._call(player.play)
        self._show_state()

    def play_from(self, seconds: float) -> None:
        player = self._ensure_player()
        if player is None:
            return
        self._call(player.seek, seconds)
        if player.state != "playing":
            self._call(player.play)
        self._show_state()

    def skip(self, delta: float) -> None:
        player = self._ensure_player()
        if player is not None:
            self._call(player.skip, delta)
            self._show_position()

    def _slider_moved(self, value: int) -> None:
        if self._updating:
            return
        self._show_time(value / 1000)
        if self.slider.isSliderDown():
            return  # seek when released
        player = self._ensure_player()
        if player is not None:
            self._call(player.seek, value / 1000)
            self._show_position()

    def _speed_changed(self) -> None:
        if self.player is not None:
            self._call(self.player.set_speed, float(self.speed.currentData()))

    def _call(self, method: Callable[..., object], *args: object) -> None:
        try:
            method(*args)
        except RelationsError as exc:
            self.error.emit(exc.message)

    # ----------------------------------------------------------------- display
    def _show_state(self) -> None:
        error = getattr(self.player, "last_error", None)  # why it stopped by itself
        stopped = self.player is not None and self.player.state == "stopped"
        if stopped and error and error != self._reported:
            self._reported = error
            self.error.emit(f"Playback stopped: {error}.")
        playing = self.player is not None and self.player.state == "playing"
        self._show_playing(playing)
        if playing:
            self._timer.start()
        else:
            self._timer.stop()
        self._show_position()

    def _show_playing(self, playing: bool) -> None:
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if playing else "Play")

    def _show_position(self) -> None:
        if self.player is None:
            return
        seconds = min(self.duration, max(0.0, self.player.position_seconds))
        self.timeline.set_position(seconds)
        if not self.slider.isSliderDown():
            self._updating = True
            self.slider.setValue(int(seconds * 1000))
            self._updating = False
        self._show_time(seconds)

    def _show_time(self, seconds: float) -> None:
        self.time_label.setText(f"{format_duration(seconds)} / {format_duration(self.duration)}")
