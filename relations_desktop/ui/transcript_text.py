"""Small pure helpers for the transcript editor: unsure words, times, speaker colours."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QColor

from relations_desktop.core.records import WordRecord
from relations_desktop.ui.labels import format_clock

UNSURE_BELOW = 0.5  # a word the model gave a lower probability is highlighted
SEARCH_AHEAD = 80  # characters: how far a word is looked for after the previous one
UNSURE_COLOUR = QColor("#fde68a")  # amber
SPEAKER_COLOURS = (
    QColor("#2f6f73"),
    QColor("#b45309"),
    QColor("#6d28d9"),
    QColor("#be123c"),
    QColor("#15803d"),
    QColor("#1d4ed8"),
    QColor("#a16207"),
    QColor("#475569"),
)
NO_SPEAKER_COLOUR = QColor("#cbd5e1")


def time_label(seconds: float) -> str:
    """A segment's start as the editor and Ctrl+J show it: 00:01:23."""
    return format_clock(seconds)


def time_stamp(seconds: float) -> str:
    """What Ctrl+J inserts: [00:01:23]."""
    return f"[{format_clock(seconds)}]"


def speaker_colour(index: int) -> QColor:
    """The colour of the n-th speaker (0-based); -1: none."""
    if index < 0:
        return NO_SPEAKER_COLOUR
    return SPEAKER_COLOURS[index % len(SPEAKER_COLOURS)]


def unsure_ranges(
    text: str, words: Sequence[WordRecord], threshold: float = UNSURE_BELOW
) -> list[tuple[int, int]]:
    """(start, length) in ``text`` of each word the model was unsure of.

    The words are looked for in order, so a corrected text still shows the unsure
    words that are left; a word the researcher changed is no longer found, and no
    longer highlighted.
    """
    ranges: list[tuple[int, int]] = []
    position = 0
    for word in words:
        token = word.word.strip()
        if not token:
            continue
        found = _find_word(text, token, position)
        if found < 0:
            continue
        if word.probability < threshold:
            ranges.append((found, len(token)))
        position = found + len(token)
    return ranges


def _find_word(text: str, token: str, start: int) -> int:
    limit = start + SEARCH_AHEAD + len(token)
    at = text.find(token, start, limit)
    while at >= 0:
        before = text[at - 1] if at > 0 else " "
        end = at + len(token)
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or after.isalnum()):
            return at
        at = text.find(token, at + 1, limit)
    return -1
