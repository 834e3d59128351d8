"""The transcript as a table: one row per segment, and the jottings between them.

Columns: the start time, the speaker, the text. Jotting rows are read-only and sit at
their time among the segments. The speakers are kept here too, so renaming one
relabels every row at once.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from relations_desktop.core.records import JottingRecord, SegmentRecord, SpeakerRecord
from relations_desktop.ui.transcript_text import speaker_colour, time_label, unsure_ranges

TIME, SPEAKER, TEXT = range(3)
HEADERS = ("Time", "Speaker", "Text")
KIND_ROLE = Qt.ItemDataRole.UserRole + 10  # "segment" or "jotting"
ID_ROLE = Qt.ItemDataRole.UserRole + 11
START_ROLE = Qt.ItemDataRole.UserRole + 12
UNSURE_ROLE = Qt.ItemDataRole.UserRole + 13  # [(start, length)] in the text
COLOUR_ROLE = Qt.ItemDataRole.UserRole + 14  # the speaker's colour
PLAYING_ROLE = Qt.ItemDataRole.UserRole + 15  # the segment being played
PLAYING_BACKGROUND = QColor("#e3f0ef")
JOTTING_BACKGROUND = QColor("#fbf6e9")
JOTTING_TEXT = QColor("#7c5e10")

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Row:
    segment: SegmentRecord | None = None
    jotting: JottingRecord | None = None

    @property
    def start(self) -> float:
        if self.segment is not None:
            return self.segment.start
        assert self.jotting is not None
        return self.jotting.offset_seconds

    @property
    def id(self) -> str:
        return self.segment.id if self.segment is not None else self.jotting.id  # type: ignore[union-attr]


def interleave(segments: Sequence[SegmentRecord], jottings: Iterable[JottingRecord]) -> list[Row]:
    """Segments in their order, each jotting before the first segment starting later."""
    rows: list[Row] = []
    pending = sorted(jottings, key=lambda j: j.offset_seconds)
    at = 0
    for segment in segments:
        while at < len(pending) and pending[at].offset_seconds < segment.start:
            rows.append(Row(jotting=pending[at]))
            at += 1
        rows.append(Row(segment=segment))
    rows.extend(Row(jotting=j) for j in pending[at:])
    return rows


class TranscriptModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._unsure: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (id, text) → ranges
        self.speakers: list[SpeakerRecord] = []
        self.jottings: list[JottingRecord] = []
        self.playing_row = -1

    # ------------------------------------------------------------------ filling
    def set_content(
        self,
        segments: Sequence[SegmentRecord],
        speakers: Sequence[SpeakerRecord],
        jottings: Sequence[JottingRecord],
    ) -> None:
        self.beginResetModel()
        self.speakers = list(speakers)
        self.jottings = list(jottings)
        self._rows = interleave(segments, jottings)
        if len(self._unsure) > 20_000:
            self._unsure.clear()
        self.playing_row = -1
        self.endResetModel()

    def clear(self) -> None:
        self.set_content([], [], [])

    def append_segments(self, segments: Sequence[SegmentRecord]) -> list[int]:
        """Add segments that arrived while transcribing; returns their rows."""
        known = {r.segment.id for r in self._rows if r.segment is not None}
        fresh = [s for s in segments if s.id not in known]
        if not fresh:
            return []
        rows = interleave([*self.segments(), *fresh], self.jottings)
        first = next(
            (i for i, r in enumerate(rows) if r.segment is not None and r.segment.id == fresh[0].id)
        )
        # Everything before ``first`` is unchanged; the tail is replaced.
        tail = len(self._rows) - first
        if tail > 0:
            self.beginRemoveRows(QModelIndex(), first, len(self._rows) - 1)
            del self._rows[first:]
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), first, len(rows) - 1)
        self._rows = rows
        self.endInsertRows()
        return [i for i in range(first, len(rows)) if rows[i].segment is not None]

    # ------------------------------------------------------------------- access
    def row(self, row: int) -> Row | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def segment(self, row: int) -> SegmentRecord | None:
        found = self.row(row)
        return found.segment if found is not None else None

    def segments(self) -> list[SegmentRecord]:
        return [r.segment for r in self._rows if r.segment is not None]

    def row_of(self, item_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == item_id), -1)

    def next_segment_row(self, row: int, step: int = 1) -> int:
        at = row + step
        while 0 <= at < len(self._rows):
            if self._rows[at].segment is not None:
                return at
            at += step
        return -1

    def segment_row_at(self, seconds: float) -> int:
        """The row of the segment playing at ``seconds`` (-1 between or before segments)."""
        rows = [i for i, r in enumerate(self._rows) if r.segment is not None]
        starts = [self._rows[i].start for i in rows]
        at = bisect.bisect_right(starts, seconds) - 1
        if at < 0:
            return -1
        segment = self._rows[rows[at]].segment
        assert segment is not None
        return rows[at] if seconds < max(segment.end, segment.start + 0.05) else -1

    def speaker_index(self, speaker_id: str | None) -> int:
        return next((i for i, s in enumerate(self.speakers) if s.id == speaker_id), -1)

    def speaker(self, speaker_id: str | None) -> SpeakerRecord | None:
        index = self.speaker_index(speaker_id)
        return self.speakers[index] if index >= 0 else None

    def unsure(self, row: int) -> list[tuple[int, int]]:
        segment = self.segment(row)
        if segment is None:
            return []
        key = (segment.id, segment.text)
        found = self._unsure.get(key)
        if found is None:
            found = self._unsure[key] = unsure_ranges(segment.text, segment.words)
        return found

    # ----------------------------------------------------------------- changing
    def replace_segment(self, segment: SegmentRecord) -> int:
        row = self.row_of(segment.id)
        if row >= 0:
            self._rows[row] = Row(segment=segment)
            self._unsure.pop((segment.id, segment.text), None)  # the words may differ
            self._changed(row)
        return row

    def set_text(self, segment_id: str, text: str) -> int:
        row = self.row_of(segment_id)
        segment = self.segment(row)
        if segment is not None and segment.text != text:
            edited = text != segment.machine_text
            return self.replace_segment(replace(segment, text=text, edited=edited))
        return row

    def set_speaker(self, segment_id: str, speaker_id: str | None) -> int:
        row = self.row_of(segment_id)
        segment = self.segment(row)
        if segment is not None:
            speaker = self.speaker(speaker_id)
            label = speaker.label if speaker else None
            self.replace_segment(replace(segment, speaker_id=speaker_id, speaker_label=label))
        return row

    def set_speakers(self, speakers: Sequence[SpeakerRecord]) -> None:
        self.speakers = list(speakers)
        if self._rows:
            self.dataChanged.emit(self.index(0, SPEAKER), self.index(len(self._rows) - 1, SPEAKER))

    def update_speaker(self, speaker: SpeakerRecord) -> None:
        index = self.speaker_index(speaker.id)
        speakers = list(self.speakers)
        if index >= 0:
            speakers[index] = speaker
        else:
            speakers.append(speaker)
        self.set_speakers(speakers)

    def set_playing(self, row: int) -> None:
        previous, self.playing_row = self.playing_row, row
        if previous != row:
            for changed in (previous, row):
                if 0 <= changed < len(self._rows):
                    self._changed(changed)

    def _changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    # ------------------------------------------------------------------ Qt API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.segment(index.row()) is not None and index.column() in (SPEAKER, TEXT):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row(index.row())
        if row is None:
            return None
        column = index.column()
        if role == KIND_ROLE:
            return "segment" if row.segment is not None else "jotting"
        if role == ID_ROLE:
            return row.id
        if role == START_ROLE:
            return row.start
        if row.segment is None:
            return self._jotting_data(row, column, role)
        return self._segment_data(index.row(), row.segment, column, role)

    def _segment_data(self, row: int, segment: SegmentRecord, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == TIME:
                return ("▶ " if row == self.playing_row else "") + time_label(segment.start)
            if column == SPEAKER:
                speaker = self.speaker(segment.speaker_id)
                return speaker.label if speaker else ""
            return segment.text
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == TIME:
                return "Click to play from here"
            if column == SPEAKER:
                speaker = self.speaker(segment.speaker_id)
                if speaker and speaker.participant_label:
                    return f"{speaker.label} — {speaker.participant_label}"
                return "Double-click, or Ctrl+1…9, to set the speaker"
            return "Edited; the machine transcript is kept (History…)" if segment.edited else None
        if role == UNSURE_ROLE and column == TEXT:
            return self.unsure(row)
        if role == COLOUR_ROLE:
            return speaker_colour(self.speaker_index(segment.speaker_id))
        if role == PLAYING_ROLE:
            return row == self.playing_row
        if role == Qt.ItemDataRole.BackgroundRole and row == self.playing_row:
            return QBrush(PLAYING_BACKGROUND)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == TIME:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        return None

    def _jotting_data(self, row: Row, column: int, role: int) -> Any:
        jotting = row.jotting
        assert jotting is not None
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                TIME: time_label(jotting.offset_seconds),
                SPEAKER: "Jotting",
                TEXT: jotting.text,
            }[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return "A jotting typed while recording (read-only)"
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(JOTTING_TEXT)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(JOTTING_BACKGROUND)
        if role == UNSURE_ROLE:
            return []
        if role == Qt.ItemDataRole.TextAlignmentRole and column == TIME:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None
