"""One flagged occurrence on the review screen: where it is, what it looks like, the
text around it with the string highlighted, the audio at that point, and the three
decisions (replace, keep here, ignore everywhere).

The panel only shows and asks; the review view sends the decisions to the store.
Real strings appear here and nowhere else (never in a title or a status message).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.pseudonyms import RegisterEntry
from relations_desktop.core.review import CONTEXT, FIELDNOTE, SESSION, Occurrence
from relations_desktop.core.store.models import PseudonymKind
from relations_desktop.ui.widgets.occurrence_audio import PRE_ROLL
from relations_desktop.ui.widgets.player_bar import PlayerBar

CATEGORY_LABELS = {
    "person": "Person's name",
    "place": "Place",
    "organisation": "Organisation or service",
    "phone": "Phone number",
    "email": "E-mail address",
    "date-of-birth": "Date of birth",
    "postcode": "Postcode",
    "address": "Address",
}
KIND_LABELS = {
    PseudonymKind.FULL_NAME.value: "Full name",
    PseudonymKind.FIRST_NAME.value: "First name",
    PseudonymKind.NICKNAME.value: "Nickname",
    PseudonymKind.SURNAME.value: "Surname",
    PseudonymKind.PLACE.value: "Place",
    PseudonymKind.SERVICE.value: "Service",
    PseudonymKind.SCHOOL.value: "School",
    PseudonymKind.STREET.value: "Street",
    PseudonymKind.ORGANISATION.value: "Organisation",
    PseudonymKind.OTHER.value: "Other",
}
# What a structured identifier usually becomes; names need a pseudonym typed in.
SUGGESTIONS = {
    "phone": "[phone number]",
    "email": "[e-mail address]",
    "date-of-birth": "[date of birth]",
    "postcode": "[postcode]",
    "address": "[address]",
    "place": "[place]",
    "organisation": "[service]",
}
KEYS = {
    "replace": "Ctrl+Shift+R",
    "keep": "Ctrl+Shift+K",
    "ignore": "Ctrl+Shift+I",
    "play": "Ctrl+Shift+P",
}
HIGHLIGHT = "background:#ffe08a; color:#111827; font-weight:600; padding:0 2px;"


def category_label(slug: str) -> str:
    return CATEGORY_LABELS.get(slug, slug.replace("-", " ").capitalize())


def kind_label(slug: str) -> str:
    return KIND_LABELS.get(slug, slug.replace("-", " ").capitalize())


def suggested_kind(occurrence: Occurrence) -> str:
    if occurrence.category == "person":
        several = len(occurrence.text.split()) > 1
        return PseudonymKind.FULL_NAME.value if several else PseudonymKind.FIRST_NAME.value
    if occurrence.category == "place":
        return PseudonymKind.PLACE.value
    if occurrence.category == "organisation":
        return PseudonymKind.SERVICE.value
    if occurrence.category == "address":
        return PseudonymKind.STREET.value
    return PseudonymKind.OTHER.value


def clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


def place_text(occurrence: Occurrence) -> str:
    """Where in the session: a fieldnote (its title or text), or a time in a transcript."""
    if occurrence.source_type == FIELDNOTE:
        return "fieldnote title" if occurrence.field == "title" else "fieldnote"
    if occurrence.source_type == SESSION:
        return f"session {occurrence.field}"
    if occurrence.field.startswith("speaker"):
        return "speaker name in the transcript"
    return f"transcript at {clock(occurrence.seconds or 0.0)}"


def where_text(occurrence: Occurrence) -> str:
    return f"{occurrence.encounter_title} · {place_text(occurrence)}"


def context_html(occurrence: Occurrence) -> str:
    before, after = occurrence.before, occurrence.after
    lead = "…" if len(before) >= CONTEXT else ""
    tail = "…" if len(after) >= CONTEXT else ""
    return (
        f"{lead}{escape(before)}<span style='{HIGHLIGHT}'>{escape(occurrence.text)}</span>"
        f"{escape(after)}{tail}"
    ).replace("\n", "<br>")


class OccurrencePanel(QWidget):
    replace_requested = Signal()
    keep_requested = Signal()
    ignore_requested = Signal()
    play_requested = Signal()
    open_requested = Signal()

    def __init__(self, player: PlayerBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("occurrencePanel")
        self.occurrence: Occurrence | None = None

        self.where_label = QLabel(self)
        self.where_label.setObjectName("sectionTitle")
        self.where_label.setAccessibleName("Where")
        self.where_label.setWordWrap(True)
        self.category_label = QLabel(self)
        self.category_label.setObjectName("noteKind")
        self.category_label.setAccessibleName("Category")
        self.context = QLabel(self)
        self.context.setObjectName("occurrenceContext")
        self.context.setAccessibleName("The text around it")
        self.context.setTextFormat(Qt.TextFormat.RichText)
        self.context.setWordWrap(True)
        self.context.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.context.setMinimumHeight(70)
        self.context.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.context.setStyleSheet(
            "QLabel#occurrenceContext { background: #ffffff; border: 1px solid #d9dcd6;"
            " border-radius: 6px; padding: 10px; font-size: 11pt; }"
        )

        self.play_button = QPushButton("Play here", self)
        self.play_button.setAccessibleName("Play the recording here")
        self.play_button.setToolTip(f"Play from a couple of seconds before ({KEYS['play']})")
        self.play_button.clicked.connect(self.play_requested)
        self.open_button = QPushButton("Open in its session", self)
        self.open_button.setAccessibleName("Open in its session")
        self.open_button.setToolTip("Show the fieldnote or the transcript this comes from")
        self.open_button.clicked.connect(self.open_requested)
        actions = QHBoxLayout()
        actions.addWidget(self.play_button)
        actions.addStretch(1)
        actions.addWidget(self.open_button)
        self.player = player
        player.setParent(self)

        decide = QLabel("Decide", self)
        decide.setObjectName("sectionTitle")
        self.replacement = QComboBox(self)
        self.replacement.setEditable(True)
        self.replacement.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.replacement.setAccessibleName("Replacement")
        self.replacement.setToolTip("A pseudonym, or a role in brackets such as [social worker]")
        line = QLineEdit(self.replacement)
        self.replacement.setLineEdit(line)
        line.setPlaceholderText("A pseudonym, or a [role] in brackets")
        line.returnPressed.connect(self.replace_requested)
        self.replacement.currentTextChanged.connect(self._replacement_chosen)
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Kind of entry")
        for slug, label in KIND_LABELS.items():
            self.kind.addItem(label, slug)
        self.replace_button = QPushButton("Replace everywhere", self)
        self.replace_button.setObjectName("primary")
        self.replace_button.setAccessibleName("Replace everywhere")
        self.replace_button.setToolTip(
            f"Add it to the pseudonym register: every occurrence is replaced ({KEYS['replace']})"
        )
        self.replace_button.clicked.connect(self.replace_requested)

        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText("Why it stays, e.g. a public figure, not a name")
        self.reason.returnPressed.connect(self.keep_requested)
        self.keep_button = QPushButton("Keep here", self)
        self.keep_button.setAccessibleName("Keep here")
        self.keep_button.setToolTip(
            f"Keep it in this note or transcript; a reason is required ({KEYS['keep']})"
        )
        self.keep_button.clicked.connect(self.keep_requested)
        self.ignore_button = QPushButton("Ignore everywhere", self)
        self.ignore_button.setAccessibleName("Ignore everywhere")
        self.ignore_button.setToolTip(
            f"Never flag this string again, anywhere; the reason is optional ({KEYS['ignore']})"
        )
        self.ignore_button.clicked.connect(self.ignore_requested)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        replace_label = QLabel("Replace with", self)
        replace_label.setBuddy(self.replacement)
        reason_label = QLabel("Or keep it, because", self)
        reason_label.setBuddy(self.reason)
        grid.addWidget(replace_label, 0, 0)
        grid.addWidget(self.replacement, 0, 1)
        grid.addWidget(self.kind, 0, 2)
        grid.addLayout(_buttons(self.replace_button), 1, 1, 1, 2)
        grid.setRowMinimumHeight(2, 8)  # a gap between the two choices
        grid.addWidget(reason_label, 3, 0)
        grid.addWidget(self.reason, 3, 1, 1, 2)
        grid.addLayout(_buttons(self.keep_button, self.ignore_button), 4, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        keys = QLabel(
            f"Keys: {KEYS['replace']} replace · {KEYS['keep']} keep · {KEYS['ignore']} "
            f"ignore everywhere · {KEYS['play']} play · ↑ ↓ in the list",
            self,
        )
        keys.setObjectName("hint")
        keys.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.where_label)
        layout.addWidget(self.category_label)
        layout.addWidget(self.context)
        layout.addLayout(actions)
        layout.addWidget(player)
        layout.addSpacing(8)
        layout.addWidget(decide)
        layout.addLayout(grid)
        layout.addWidget(keys)
        layout.addStretch(1)
        self._entries: dict[str, str] = {}
        self.show_occurrence(None)

    # ---------------------------------------------------------------- showing
    def set_entries(self, entries: list[RegisterEntry]) -> None:
        """The register's replacements, to choose from (with the kind each has)."""
        self._entries = {}
        for entry in entries:
            self._entries.setdefault(entry.replacement, entry.kind)
        text = self.replacement.currentText()
        self.replacement.blockSignals(True)
        self.replacement.clear()
        self.replacement.addItems(sorted(self._entries, key=str.casefold))
        self.replacement.setCurrentIndex(-1)
        self.replacement.setEditText(text)
        self.replacement.blockSignals(False)

    def show_occurrence(self, occurrence: Occurrence | None) -> None:
        changed = occurrence != self.occurrence
        self.occurrence = occurrence
        has = occurrence is not None
        for widget in (
            self.replacement, self.kind, self.replace_button, self.reason, self.keep_button,
            self.ignore_button, self.open_button,
        ):  # fmt: skip
            widget.setEnabled(has)
        if occurrence is None:
            self.where_label.clear()
            self.category_label.clear()
            self.context.clear()
            self.play_button.setVisible(False)
            self.player.setVisible(False)
            return
        self.where_label.setText(where_text(occurrence))
        self.category_label.setText(category_label(occurrence.category))
        self.context.setText(context_html(occurrence))
        self.context.setAccessibleDescription(
            occurrence.before + occurrence.text + occurrence.after
        )
        audio = occurrence.recording_id is not None and occurrence.seconds is not None
        start = max(0.0, (occurrence.seconds or 0.0) - PRE_ROLL)
        self.play_button.setText(f"Play from {clock(start)}")
        self.play_button.setVisible(audio)
        self.player.setVisible(audio)
        if changed:
            self.replacement.setCurrentIndex(-1)
            self.replacement.setEditText(SUGGESTIONS.get(occurrence.category, ""))
            self.kind.setCurrentIndex(max(0, self.kind.findData(suggested_kind(occurrence))))
            self.reason.clear()

    def set_enabled_decisions(self, enabled: bool) -> None:
        """Greyed while a decision is on its way to the store (no double decisions)."""
        for button in (self.replace_button, self.keep_button, self.ignore_button):
            button.setEnabled(enabled and self.occurrence is not None)

    @property
    def replacement_text(self) -> str:
        return self.replacement.currentText().strip()

    @property
    def kind_slug(self) -> str:
        return str(self.kind.currentData())

    def _replacement_chosen(self, text: str) -> None:
        """An existing replacement, chosen or typed: the kind of its entry."""
        kind = self._entries.get(text.strip())
        if kind is not None:
            self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))


def _buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row
