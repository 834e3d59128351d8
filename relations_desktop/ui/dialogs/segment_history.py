"""History…: every version of a segment, from the machine's text to the last correction."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import SegmentRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import local_time
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.transcript_text import time_label
from relations_desktop.ui.widgets.message import MessageLabel

ACTIONS = {
    "machine": "Machine transcript",
    "edit": "Text corrected",
    "speaker": "Speaker changed",
    "split": "Split",
    "merge": "Merged",
    "time": "Times changed",
}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action.capitalize())


class SegmentHistoryDialog(QDialog):
    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        segment: SegmentRecord,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History of the segment at {time_label(segment.start)}")
        machine = QLabel(self)
        machine.setObjectName("hint")
        machine.setWordWrap(True)
        machine.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        machine.setText(
            f"Machine transcript: {segment.machine_text}"
            if segment.machine_text
            else "This segment was made by a split; its text came from the segment before."
        )
        self.machine_label = machine
        self.tree = QTreeWidget(self)
        self.tree.setAccessibleName("Versions")
        self.tree.setHeaderLabels(["When", "Change", "Speaker", "Text"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.message = MessageLabel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(machine)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(760, 420)
        runner.submit(
            service.transcripts.history,
            segment.id,
            on_result=self._fill,
            on_error=lambda e: self.message.show_error(describe(e)),
            owner=self,
        )

    def _fill(self, revisions: list[Any]) -> None:
        self.tree.clear()
        for revision in revisions:
            item = QTreeWidgetItem(
                [
                    f"{local_time(revision.at):%d %b %Y %H:%M:%S}",
                    action_label(revision.action),
                    revision.speaker_label or "—",
                    revision.text,
                ]
            )
            item.setToolTip(3, revision.text)
            self.tree.addTopLevelItem(item)
        if not revisions:
            self.message.show_info("No versions are recorded for this segment.")

    def rows(self) -> list[list[str]]:
        """What the dialog lists, for tests and screen readers."""
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [[item.text(c) for c in range(4)] for item in items if item is not None]
