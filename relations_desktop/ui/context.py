"""What the windows are given: the open store, the task runner, and a few timings."""

from __future__ import annotations

from dataclasses import dataclass, field

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.note_editor import DEBOUNCE_MS, MAX_INTERVAL_MS


@dataclass(frozen=True)
class UiOptions:
    idle_ms: int | None = None  # None: the store's auto_lock_minutes setting
    autosave_debounce_ms: int = DEBOUNCE_MS
    autosave_max_ms: int = MAX_INTERVAL_MS


@dataclass(frozen=True)
class AppContext:
    service: StoreService
    runner: TaskRunner
    options: UiOptions = field(default_factory=UiOptions)
