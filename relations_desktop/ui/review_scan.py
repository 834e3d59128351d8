"""The review screen's work off the GUI thread, and which occurrences a decision covers.

After a decision the screen updates its list without scanning again (detection is the
slow part), by the core's own rules: a new register entry resolves every occurrence its
whole-word match covers, and leaves the other words of one it covers in part (``Smith``
of ``Janet Smith`` once ``Janet`` is in the register); *keep* covers the string in that
note or transcript; *ignore everywhere* covers the string anywhere (case and spacing
aside). When the list runs empty the screen scans once more, so “nothing left” is what
the store says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from relations_desktop.core.identifiers import Finding
from relations_desktop.core.pseudonyms import RegisterEntry, Replacer, real_key
from relations_desktop.core.records import EncounterRecord
from relations_desktop.core.review import CONTEXT, Occurrence, uncovered
from relations_desktop.core.services import StoreService

Covers = Callable[[Occurrence], bool]
Remains = Callable[[Occurrence], list[Occurrence]]  # what is left of an occurrence


@dataclass(frozen=True)
class ScanResult:
    occurrences: list[Occurrence]
    entries: list[RegisterEntry]


def run_scan(service: StoreService, encounter_ids: list[str] | None) -> ScanResult:
    """(runs on the task runner) The flagged occurrences, and the register's entries."""
    occurrences = service.review.unresolved(encounter_ids)
    return ScanResult(occurrences, service.pseudonyms.list())


def load_choices(service: StoreService) -> tuple[list[EncounterRecord], list[RegisterEntry]]:
    """(runs on the task runner) The sessions to choose from, and the register."""
    return service.list_encounters(), service.pseudonyms.list()


def left_after_replacing(occurrence: Occurrence, replacement: str, kind: str) -> Remains:
    """What a new register entry for the occurrence's string leaves of each occurrence:
    nothing, the occurrence unchanged, or its words the entry does not cover."""
    replacer = Replacer([RegisterEntry("", occurrence.text, replacement, kind)])

    def left(other: Occurrence) -> list[Occurrence]:
        if other == occurrence:
            return []
        context = other.before + other.text + other.after
        start = len(other.before)
        covered = [(r.start, r.end) for r in replacer.find(context)]
        if not covered:
            return [other]
        finding = Finding(start, start + len(other.text), other.text, other.category, "")
        return [
            replace(
                other,
                start=other.start + piece.start - start,
                end=other.start + piece.end - start,
                text=piece.text,
                before=context[max(0, piece.start - CONTEXT) : piece.start],
                after=context[piece.end : piece.end + CONTEXT],
            )
            for piece in uncovered(finding, covered, context)
        ]

    return left


def left_when(covers: Covers) -> Remains:
    return lambda other: [] if covers(other) else [other]


def covered_by_keeping(occurrence: Occurrence) -> Covers:
    place = (occurrence.source_type, occurrence.source_id, real_key(occurrence.text))
    return lambda other: (other.source_type, other.source_id, real_key(other.text)) == place


def covered_by_ignoring(occurrence: Occurrence) -> Covers:
    key = real_key(occurrence.text)
    return lambda other: real_key(other.text) == key


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
