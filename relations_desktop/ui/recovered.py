"""Telling the researcher about recordings a crash interrupted (closed at unlock)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from relations_desktop.core.errors import RelationsError
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import format_duration


@dataclass(frozen=True)
class Recovered:
    recording_id: str
    session_title: str
    seconds: float


def collect_recovered(service: StoreService) -> list[Recovered]:
    """The recordings this unlock closed as recovered, with their sessions' titles."""
    found = []
    for record in service.recordings.recovered:
        try:
            title = service.get_encounter(record.encounter_id).title
        except RelationsError:
            title = "(a session)"
        found.append(Recovered(record.id, title, record.duration_seconds))
    return found


def recovered_message(items: list[Recovered]) -> str:
    count = len(items)
    what = "1 recording was" if count == 1 else f"{count} recordings were"
    kept = "; ".join(f"{i.session_title} — {format_duration(i.seconds)} kept" for i in items)
    return (
        f"Relations Desktop closed unexpectedly while recording. {what} recovered: {kept}.\n\n"
        "Everything that had been saved can be played; the recording is marked "
        "“Recovered” in its session."
    )


def show_recovered(parent: QWidget, items: list[Recovered]) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "Recording recovered",
        recovered_message(items),
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setObjectName("recoveredMessage")
    box.setAccessibleName("Recovered recordings")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
