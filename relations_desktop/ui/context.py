"""What the windows are given: the open store, the task runner, audio, and a few timings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from relations_desktop.core.audio.devices import AudioBackend
from relations_desktop.core.services import StoreService
from relations_desktop.ui.playback import PlayerFactory, core_player
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.note_editor import DEBOUNCE_MS, MAX_INTERVAL_MS

STATUS_POLL_MS = 100
TRANSCRIPT_SAVE_MS = 1_500
SILENCE_WARNING_MS = 10_000


@dataclass(frozen=True)
class UiOptions:
    idle_ms: int | None = None  # None: the store's auto_lock_minutes setting
    autosave_debounce_ms: int = DEBOUNCE_MS
    autosave_max_ms: int = MAX_INTERVAL_MS
    status_poll_ms: int = STATUS_POLL_MS  # how often the recording screen reads the level
    silence_warning_ms: int = SILENCE_WARNING_MS  # "no signal" after this long
    recorder_options: Mapping[str, Any] = field(default_factory=dict)  # for tests
    transcript_save_ms: int = TRANSCRIPT_SAVE_MS  # a correction is saved after this pause
    transcription_queue: bool = True  # run queued transcriptions (tests may keep them queued)


@dataclass(frozen=True)
class AppContext:
    service: StoreService
    runner: TaskRunner
    options: UiOptions = field(default_factory=UiOptions)
    audio_backend: AudioBackend | None = None  # None: the real one (sounddevice)
    player_factory: PlayerFactory = core_player
