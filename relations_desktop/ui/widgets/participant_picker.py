"""Link a note to participants: those present in the session first, then everyone else."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QWidget

from relations_desktop.core.records import ParticipantRecord


class ParticipantPicker(QWidget):
    changed = Signal(list)  # participant ids, after the researcher changed the links

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._selected: list[str] = []
        self._labels: dict[str, str] = {}
        self._actions: dict[str, QAction] = {}
        self.button = QPushButton("Link participants", self)
        self.button.setAccessibleName("Link participants")
        self.button.setToolTip("Link this note to the people it is about")
        self.button.setProperty("hasMenu", True)
        self.menu = QMenu(self.button)
        self.button.setMenu(self.menu)
        self.summary = QLabel(self)
        self.summary.setObjectName("hint")
        self.summary.setAccessibleName("Linked participants")
        self.summary.setWordWrap(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.summary, 1)
        self.set_people([], [])

    def set_people(
        self, present: list[ParticipantRecord], everyone: list[ParticipantRecord]
    ) -> None:
        """Offer the session's participants, and everyone else below them."""
        self.menu.clear()
        self._actions.clear()
        present_ids = {p.id for p in present}
        others = [p for p in everyone if p.id not in present_ids]
        for person in (*present, *others):
            self._labels[person.id] = person.label
        self.menu.addSection("In this session")
        if not present:
            self.menu.addAction("(nobody linked to the session)").setEnabled(False)
        for person in present:
            self._add_action(self.menu, person)
        if others:
            more = self.menu.addMenu("Other participants")
            for person in others:
                self._add_action(more, person)
        self._show_summary()

    def _add_action(self, menu: QMenu, person: ParticipantRecord) -> None:
        linked = person.id in self._selected
        text = person.label + (" — withdrawn" if person.is_withdrawn else "")
        action = QAction(text, menu)
        action.setCheckable(True)
        action.setChecked(linked)
        # Nothing new is written about someone who withdrew; an old link can be removed.
        action.setEnabled(linked or not person.is_withdrawn)
        action.toggled.connect(lambda checked, pid=person.id: self.set_linked(pid, checked))
        menu.addAction(action)
        self._actions[person.id] = action

    def selected(self) -> list[str]:
        return list(self._selected)

    def set_selected(self, ids: list[str]) -> None:
        """Show a note's links (loading it): no :attr:`changed`."""
        self._selected = list(dict.fromkeys(ids))
        for pid, action in self._actions.items():
            action.blockSignals(True)
            action.setChecked(pid in self._selected)
            action.blockSignals(False)
        self._show_summary()

    def set_linked(self, participant_id: str, linked: bool) -> None:
        if linked == (participant_id in self._selected):
            return
        if linked:
            self._selected.append(participant_id)
        else:
            self._selected.remove(participant_id)
        action = self._actions.get(participant_id)
        if action is not None and action.isChecked() != linked:
            action.blockSignals(True)
            action.setChecked(linked)
            action.blockSignals(False)
        self._show_summary()
        self.changed.emit(self.selected())

    def _show_summary(self) -> None:
        names = [self._labels.get(pid, "(unknown participant)") for pid in self._selected]
        self.summary.setText("About: " + ", ".join(names) if names else "Not linked to anyone")
