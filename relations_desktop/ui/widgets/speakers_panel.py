"""The transcript's speakers: add, rename (S1 → Interviewer), link to a participant, assign.

The panel only asks; the editor turns each request into an undoable command.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import ParticipantRecord, SpeakerRecord
from relations_desktop.ui.transcript_text import speaker_colour

ID_ROLE = Qt.ItemDataRole.UserRole


def _dot(colour: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


class SpeakersPanel(QWidget):
    add_requested = Signal(str)  # a label
    rename_requested = Signal(str, str)  # speaker id, new label
    link_requested = Signal(str, object)  # speaker id, participant id or None
    assign_requested = Signal(object)  # speaker id or None: to the selected segments

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("speakersPanel")
        self.speakers: list[SpeakerRecord] = []
        heading = QLabel("Speakers", self)
        heading.setObjectName("sectionTitle")
        self.list = QListWidget(self)
        self.list.setObjectName("speakersList")
        self.list.setAccessibleName("Speakers")
        self.list.setIconSize(QSize(12, 12))
        self.list.currentItemChanged.connect(lambda *_a: self._show_selected())
        self.list.itemDoubleClicked.connect(lambda _item: self.assign())
        self.add_button = QPushButton("Add speaker", self)
        self.add_button.setAccessibleName("Add speaker")
        self.add_button.clicked.connect(self.add)
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Speaker name")
        self.name.setPlaceholderText("e.g. Interviewer")
        self.name.editingFinished.connect(self._rename)
        self.participant = QComboBox(self)
        self.participant.setAccessibleName("Linked participant")
        self.participant.setToolTip("Who this speaker is (used for quotes and exports)")
        self.participant.addItem("Not linked", None)
        self.participant.activated.connect(lambda _i: self._link())
        self.assign_button = QPushButton("Assign to selected segments", self)
        self.assign_button.setAccessibleName("Assign speaker")
        self.assign_button.setToolTip("Or press Ctrl+1…9 in the transcript")
        self.assign_button.clicked.connect(self.assign)
        self.empty_hint = QLabel(
            "No speakers yet. Add one (S1, S2…), rename it, and assign it with Ctrl+1…9.", self
        )
        self.empty_hint.setObjectName("hint")
        self.empty_hint.setWordWrap(True)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.name)
        form.addRow("Is", self.participant)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.add_button)
        layout.addLayout(form)
        layout.addWidget(self.assign_button)
        self._show_selected()

    # ---------------------------------------------------------------- content
    def set_participants(self, participants: list[ParticipantRecord]) -> None:
        self.participant.clear()
        self.participant.addItem("Not linked", None)
        for person in participants:
            label = f"{person.pseudonym} ({person.role_label}"
            label += f", {person.region})" if person.region else ")"
            self.participant.addItem(label, person.id)
        self._show_selected()

    def set_speakers(self, speakers: list[SpeakerRecord]) -> None:
        current = self.current_id
        self.speakers = list(speakers)
        blocked = self.list.blockSignals(True)
        try:
            self.list.clear()
            for number, speaker in enumerate(speakers, start=1):
                text = f"{speaker.label}"
                if speaker.participant_label:
                    text += f" — {speaker.participant_label}"
                item = QListWidgetItem(_dot(speaker_colour(number - 1)), text, self.list)
                item.setData(ID_ROLE, speaker.id)
                keys = f"Ctrl+{number}" if number <= 9 else "no key"
                item.setToolTip(f"{text} ({keys}; double-click to assign)")
                if speaker.id == current:
                    self.list.setCurrentItem(item)
            if self.list.currentItem() is None and self.list.count():
                self.list.setCurrentRow(0)
        finally:
            self.list.blockSignals(blocked)
        self.empty_hint.setVisible(not speakers)
        self._show_selected()

    def select(self, speaker_id: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(ID_ROLE) == speaker_id:
                self.list.setCurrentRow(row)

    @property
    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(ID_ROLE)) if item is not None else None

    def current(self) -> SpeakerRecord | None:
        return next((s for s in self.speakers if s.id == self.current_id), None)

    def _show_selected(self) -> None:
        speaker = self.current()
        for widget in (self.name, self.participant, self.assign_button):
            widget.setEnabled(speaker is not None)
        if not self.name.hasFocus() or speaker is None:
            self.name.setText(speaker.label if speaker else "")
        index = self.participant.findData(speaker.participant_id) if speaker else 0
        self.participant.setCurrentIndex(max(0, index))

    # --------------------------------------------------------------- requests
    def add(self) -> None:
        taken = {s.label for s in self.speakers}
        number = len(self.speakers) + 1
        while f"S{number}" in taken:
            number += 1
        self.add_requested.emit(f"S{number}")

    def _rename(self) -> None:
        speaker = self.current()
        label = self.name.text().strip()
        if speaker is None:
            return
        if not label:
            self.name.setText(speaker.label)
        elif label != speaker.label:
            self.rename_requested.emit(speaker.id, label)

    def _link(self) -> None:
        speaker = self.current()
        chosen = self.participant.currentData()
        if speaker is not None and chosen != speaker.participant_id:
            self.link_requested.emit(speaker.id, chosen)

    def assign(self) -> None:
        speaker = self.current()
        if speaker is not None:
            self.assign_requested.emit(speaker.id)
