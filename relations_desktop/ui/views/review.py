"""The review screen: every likely identifier the pseudonym register does not cover,
one at a time, in its context and with the audio at that point, and a decision on each.

*Scan* runs the core's detection (:meth:`ReviewService.unresolved`) on the task runner
over all sessions or one. Then each flagged occurrence is shown with the text around it;
*Replace everywhere* adds it to the register (so every occurrence of the string goes),
*Keep here* keeps it in this note or transcript (a reason is required), *Ignore
everywhere* never flags the string again. The list then drops what the decision covers,
by the core's own rules (:mod:`review_scan`), and moves to the next; once it is empty a
last scan checks that the store agrees. The pseudonym register
has its own tab (:mod:`pseudonym_register`). Real strings are shown on this page only:
never in a window title or in the main window's status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from relations_desktop.core.pseudonyms import RegisterEntry
from relations_desktop.core.records import EncounterRecord
from relations_desktop.core.review import FIELDNOTE, Occurrence
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.review_scan import (
    Remains,
    ScanResult,
    covered_by_ignoring,
    covered_by_keeping,
    left_after_replacing,
    left_when,
    load_choices,
    plural,
    run_scan,
)
from relations_desktop.ui.tasks import describe
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.occurrence_audio import OccurrenceAudio
from relations_desktop.ui.widgets.occurrence_panel import KEYS, OccurrencePanel
from relations_desktop.ui.widgets.review_bar import OccurrenceTable, ReviewBar

STATE, LIST = range(2)
READY_TEXT = (
    "Choose where to look and press Scan (F5). The first scan loads the detection model "
    "and takes a few seconds; a large store takes longer."
)


class ReviewView(QWidget):
    status_message = Signal(str)  # never with a real string in it
    open_note = Signal(str, str)  # encounter id, note id
    open_segment = Signal(str, str)  # recording id, segment id
    about_to_play = Signal()  # other players should stop
    register_changed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewView")
        self.service = context.service
        self.runner = context.runner
        self.occurrences: list[Occurrence] = []
        self.total = 0
        self.scope_name = ""  # of the last scan
        self.scanning = False
        self._generation = 0  # a scan's result is shown only if nothing replaced it
        self._deciding = False
        self._scope_id: str | None = None  # of the last scan (None: all sessions)

        self.bar = ReviewBar(self)
        self.bar.scan_requested.connect(self.scan)
        self.bar.cancel_requested.connect(self.cancel_scan)
        self.message = MessageLabel(self)
        self.message.setAccessibleName("Review status")
        self.table = OccurrenceTable(self)
        self.model = self.table.records
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.audio = OccurrenceAudio(context, self)
        self.audio.error.connect(self.message.show_error)
        self.audio.about_to_play.connect(self.about_to_play)
        self.panel = OccurrencePanel(self.audio.bar, self)
        self.panel.replace_requested.connect(self.replace_current)
        self.panel.keep_requested.connect(self.keep_current)
        self.panel.ignore_requested.connect(self.ignore_current)
        self.panel.play_requested.connect(self.play_current)
        self.panel.open_requested.connect(self.open_current)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([420, 560])

        self.state_label = QLabel(READY_TEXT, self)
        self.state_label.setObjectName("reviewState")
        self.state_label.setAccessibleName("Review state")
        self.state_label.setWordWrap(True)
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state_label.setStyleSheet("QLabel#reviewState { font-size: 13pt; color: #374151; }")
        self.body = QStackedWidget(self)
        self.body.addWidget(self.state_label)
        self.body.addWidget(splitter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addWidget(self.body, 1)

        for keys, slot in (
            (KEYS["replace"], self.replace_current),
            (KEYS["keep"], self.keep_current),
            (KEYS["ignore"], self.ignore_current),
            (KEYS["play"], self.play_current),
            ("F5", self.scan),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # ------------------------------------------------------------------- scan
    def refresh(self) -> None:
        """Read the sessions (for the scope) and the register (for the replacements)."""
        self.runner.submit(
            load_choices,
            self.service,
            on_result=self._fill_choices,
            on_error=lambda error: self.message.show_error(describe(error)),
            owner=self,
        )

    def _fill_choices(self, loaded: tuple[list[EncounterRecord], list[RegisterEntry]]) -> None:
        encounters, entries = loaded
        self.bar.set_sessions(encounters)
        self.panel.set_entries(entries)

    def scan(self, verify: bool = False) -> None:
        """Scan the chosen sessions; ``verify``: the last list's sessions, again, to
        confirm that nothing is left (keeping its count and message)."""
        if self.scanning:
            return
        if not verify:
            self._scope_id = self.bar.encounter_id
            self.scope_name = self.bar.scope_name
            self.message.clear_message()
        encounter_id = self._scope_id
        self._generation += 1
        generation = self._generation
        self._set_busy(True, verify)
        self.runner.submit(
            run_scan,
            self.service,
            [encounter_id] if encounter_id else None,
            on_result=lambda result: self._scanned(generation, result, verify),
            on_error=lambda error: self._scan_failed(generation, error),
            owner=self,
        )

    def cancel_scan(self) -> None:
        if not self.scanning:
            return
        self._generation += 1
        self._set_busy(False)
        self.state_label.setText(READY_TEXT)
        self.message.show_info("Scan cancelled: nothing was changed.")

    def _scanned(self, generation: int, result: ScanResult, verify: bool = False) -> None:
        if generation != self._generation:
            return
        self._set_busy(False)
        self.occurrences = list(result.occurrences)
        count = len(self.occurrences)
        self.total = max(self.total, count) if verify else count
        self.table.show_sessions(self._scope_id is None)
        self.panel.set_entries(result.entries)
        self._show_list(0)
        if count or not verify:
            self.status_message.emit(f"Review: {plural(count, 'occurrence')} to decide on")

    def _scan_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._set_busy(False)
        self.state_label.setText(READY_TEXT)
        self.message.show_error(describe(error))

    def _set_busy(self, busy: bool, verify: bool = False) -> None:
        self.scanning = busy
        self.bar.set_busy(busy)
        if busy:
            self.model.clear()
            self.panel.show_occurrence(None)
            self.state_label.setText(
                f"Checking that nothing is left to review in {self.scope_name}…"
                if verify
                else f"Scanning {self.scope_name} for names, places, phone numbers and "
                "other identifiers the register does not cover…"
            )
            self.body.setCurrentIndex(STATE)

    # ------------------------------------------------------------------- list
    def _show_list(self, row: int) -> None:
        self.model.set_records(self.occurrences)
        left = len(self.occurrences)
        if not left:
            self.bar.progress.setText(f"0 of {self.total} left" if self.total else "")
            self.panel.show_occurrence(None)
            self.audio.unload()
            self.state_label.setText(
                f"Nothing left to review in {self.scope_name}.\n\nEvery likely identifier "
                "found is covered by the pseudonym register, kept with a reason or ignored."
            )
            self.body.setCurrentIndex(STATE)
            return
        self.bar.progress.setText(f"{left} of {self.total} left")
        self.body.setCurrentIndex(LIST)
        self.table.selectRow(min(max(row, 0), left - 1))
        self._row_changed(self.table.currentIndex(), QModelIndex())

    @property
    def current(self) -> Occurrence | None:
        return self.table.current

    def _row_changed(self, index: QModelIndex, _previous: QModelIndex) -> None:
        occurrence = self.model.record(index.row()) if index.isValid() else None
        self.panel.show_occurrence(occurrence)
        if occurrence is not None and occurrence.recording_id is not None:
            self.audio.show_recording(occurrence.recording_id)

    # ------------------------------------------------------------------ audio
    def play_current(self) -> None:
        """Play the recording from a couple of seconds before the occurrence's segment."""
        occurrence = self.current
        if occurrence is None:
            return
        if occurrence.recording_id is None:
            self.message.show_info("This is in a fieldnote: there is no audio to play.")
            return
        self.audio.play_near(occurrence.recording_id, occurrence.seconds or 0.0)

    def stop_playback(self) -> None:
        self.audio.stop()

    def open_current(self) -> None:
        occurrence = self.current
        if occurrence is None:
            return
        if occurrence.source_type == FIELDNOTE:
            self.open_note.emit(occurrence.encounter_id, occurrence.source_id)
        elif occurrence.recording_id is not None and occurrence.segment_id is not None:
            self.open_segment.emit(occurrence.recording_id, occurrence.segment_id or "")

    # -------------------------------------------------------------- decisions
    def replace_current(self) -> None:
        occurrence = self.current
        if occurrence is None:
            return
        replacement, kind = self.panel.replacement_text, self.panel.kind_slug
        self._decide(
            self.service.review.replace,
            (occurrence, replacement, kind),
            left_after_replacing(occurrence, replacement, kind),
            lambda n: (
                f"Replaced “{occurrence.text}” with “{replacement}” everywhere "
                f"(added to the register): {plural(n, 'occurrence')} resolved."
            ),
            register=True,
        )

    def keep_current(self) -> None:
        occurrence = self.current
        if occurrence is None:
            return
        self._decide(
            self.service.review.keep,
            (occurrence, self.panel.reason.text()),
            left_when(covered_by_keeping(occurrence)),
            lambda n: (
                f"Kept “{occurrence.text}” in this {occurrence.source_type}: "
                f"{plural(n, 'occurrence')} resolved."
            ),
        )

    def ignore_current(self) -> None:
        occurrence = self.current
        if occurrence is None:
            return
        self._decide(
            self.service.review.ignore_everywhere,
            (occurrence.text, self.panel.reason.text()),
            left_when(covered_by_ignoring(occurrence)),
            lambda n: (
                f"“{occurrence.text}” is ignored everywhere from now on: "
                f"{plural(n, 'occurrence')} resolved."
            ),
        )

    def _decide(
        self,
        call: Callable[..., Any],
        args: tuple[Any, ...],
        remains: Remains,
        done: Callable[[int], str],
        *,
        register: bool = False,
    ) -> None:
        if self._deciding:
            return
        self._deciding = True
        self.panel.set_enabled_decisions(False)
        self.runner.submit(
            call,
            *args,
            on_result=lambda _r: self._decided(remains, done, register),
            on_error=self._decision_failed,
            owner=self,
        )

    def _decided(self, remains: Remains, done: Callable[[int], str], register: bool) -> None:
        self._deciding = False
        self.panel.set_enabled_decisions(True)
        row = self.table.currentIndex().row()
        kept: list[Occurrence] = []
        resolved = partly = 0
        for occurrence in self.occurrences:
            left = remains(occurrence)
            resolved += not left
            partly += bool(left) and left != [occurrence]
            kept.extend(left)
        self.occurrences = kept
        text = done(resolved)
        if partly:
            text += f" The other words of {plural(partly, 'longer name')} are still listed."
        self.message.show_info(text)
        self._show_list(row)
        self.status_message.emit(f"Review: {len(kept)} of {self.total} left")
        if register:
            self.register_changed.emit()
            self.refresh()
        if not kept:
            self.scan(verify=True)  # “nothing left” is what the store says

    def _decision_failed(self, error: BaseException) -> None:
        self._deciding = False
        self.panel.set_enabled_decisions(True)
        self.message.show_error(describe(error))

    # -------------------------------------------------------------- lifecycle
    def flush(self) -> None:
        """Decisions are stored as they are made."""

    def wipe(self) -> None:
        self._generation += 1
        self.stop_playback()
        self.audio.forget()
        self.occurrences = []
        self.model.clear()
        self.panel.show_occurrence(None)
        self.panel.set_entries([])
        self.panel.reason.clear()
        self.panel.replacement.clearEditText()
        self.message.clear_message()
        self.bar.set_sessions([])
        self.bar.progress.clear()
        self.state_label.setText(READY_TEXT)
        self.scope_name = ""
