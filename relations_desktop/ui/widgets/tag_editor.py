"""Tags as chips: type a tag and press Enter or a comma; × removes one.

Tags are written as the store keeps them (trimmed, without a leading #, lower case),
completed from the tags already in the store.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from relations_desktop.ui.widgets.flow_layout import FlowLayout

MAX_TAG = 100
CHIP_STYLE = (
    "QFrame#tagChip { background: #e3efef; border: 1px solid #c3dcdc; border-radius: 10px; }"
    "QFrame#tagChip QLabel { color: #1f4f52; padding: 0 0 0 6px; }"
    "QFrame#tagChip QToolButton { border: none; background: transparent; padding: 0 5px; }"
    "QFrame#tagChip QToolButton:hover { color: #b3261e; }"
)


def clean_tag(text: str) -> str:
    """A tag as the store keeps it."""
    return text.strip().lstrip("#").strip().lower()


class TagEditor(QWidget):
    changed = Signal(list)  # the tags, after the researcher added or removed one
    refused = Signal(str)  # why a typed tag was not added

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tagEditor")
        self.setStyleSheet(CHIP_STYLE)
        self._tags: list[str] = []
        self._chips: dict[str, QFrame] = {}
        self.field = QLineEdit(self)
        self.field.setObjectName("tagField")
        self.field.setAccessibleName("Add a tag")
        self.field.setPlaceholderText("Add a tag (Enter or comma)")
        self.field.setMinimumWidth(160)
        self.field.setFrame(False)
        self.known = QStringListModel(self)
        self.completer = QCompleter(self.known, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.field.setCompleter(self.completer)
        self.completer.activated.connect(self._completed)
        self.field.returnPressed.connect(self.commit)
        self.field.textEdited.connect(self._typed)
        self.field.installEventFilter(self)
        self.flow = FlowLayout(self)
        self.flow.addWidget(self.field)

    # ------------------------------------------------------------------- state
    def tags(self) -> list[str]:
        return list(self._tags)

    def set_tags(self, tags: list[str]) -> None:
        """Show ``tags`` (a note being loaded): no :attr:`changed`."""
        for tag in list(self._tags):
            self._drop_chip(tag)
        self._tags = []
        for tag in tags:
            self._add(clean_tag(tag))
        self.field.clear()

    def set_known(self, tags: list[str]) -> None:
        """Tags offered for completion (the store's)."""
        self.known.setStringList(sorted(set(tags)))

    # ----------------------------------------------------------------- editing
    def add_tag(self, text: str) -> bool:
        tag = clean_tag(text)
        if not tag:
            return False
        if len(tag) > MAX_TAG:
            self.refused.emit(f"A tag is at most {MAX_TAG} characters; this one has {len(tag)}.")
            return False
        if tag in self._tags:
            return False
        self._add(tag)
        self.changed.emit(self.tags())
        return True

    def remove_tag(self, tag: str) -> None:
        if tag not in self._tags:
            return
        self._tags.remove(tag)
        self._drop_chip(tag)
        self.changed.emit(self.tags())

    def commit(self) -> None:
        """Enter: the typed text becomes a tag (kept in the field if it was refused)."""
        text = self.field.text()
        popup = self.completer.popup()
        choosing = popup is not None and popup.isVisible() and popup.currentIndex().isValid()
        if not text.strip() or choosing:
            return  # a completion is chosen in the popup: it comes through _completed
        if self.add_tag(text) or clean_tag(text) in self._tags:
            self._clear_field()

    def _clear_field(self) -> None:
        self.field.clear()
        popup = self.completer.popup()
        if popup is not None:
            popup.hide()

    def _typed(self, text: str) -> None:
        if "," not in text:
            return
        *done, rest = text.split(",")
        kept = []  # a refused tag stays in the field, to be corrected
        for part in done:
            tag = clean_tag(part)
            if tag and tag not in self._tags and not self.add_tag(part):
                kept.append(part)
        self.field.setText(",".join(part for part in [*kept, rest] if part))

    def _completed(self, text: str) -> None:
        if self.add_tag(text) or clean_tag(text) in self._tags:
            self._clear_field()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            watched is self.field
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Backspace
            and not self.field.text()
            and self._tags
        ):
            self.remove_tag(self._tags[-1])  # Backspace in an empty field: the last tag
            return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------- chips
    def _add(self, tag: str) -> None:
        if not tag or tag in self._tags:
            return
        self._tags.append(tag)
        chip = QFrame(self)
        chip.setObjectName("tagChip")
        chip.setAccessibleName(f"Tag {tag}")
        label = QLabel(tag, chip)
        remove = QToolButton(chip)
        remove.setText("×")
        remove.setAccessibleName(f"Remove tag {tag}")
        remove.setToolTip(f"Remove the tag “{tag}”")
        remove.clicked.connect(lambda _checked=False, t=tag: self.remove_tag(t))
        row = QHBoxLayout(chip)
        row.setContentsMargins(2, 1, 2, 1)
        row.setSpacing(0)
        row.addWidget(label)
        row.addWidget(remove)
        self._chips[tag] = chip
        self.flow.insert_widget(self.flow.count() - 1, chip)  # before the field
        chip.show()
        self.updateGeometry()

    def _drop_chip(self, tag: str) -> None:
        chip = self._chips.pop(tag, None)
        if chip is not None:
            for child in (chip, *chip.findChildren(QWidget)):
                if isinstance(child, QLabel):
                    child.clear()  # gone at once, although the chip is deleted later
                child.setToolTip("")
                child.setAccessibleName("")
            self.flow.removeWidget(chip)
            chip.hide()
            chip.deleteLater()
            self.updateGeometry()

    def chip_names(self) -> list[str]:
        """The chips shown, in order (for tests and screen readers)."""
        return [tag for tag in self._tags if tag in self._chips]
