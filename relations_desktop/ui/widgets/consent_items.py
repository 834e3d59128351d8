"""The parts of the consent dialogs: a form's items with a Yes/No answer each, which form
version to offer, who gave a parent's consent, and the scan of a paper form. Every item
starts unanswered, so nothing is agreed by default; a required item answered No says at once,
next to it, why consent cannot be recorded that way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.forms import FormItem
from relations_desktop.core.consent.records import ConsentFormRecord
from relations_desktop.core.consent.service import MAX_SCAN_BYTES
from relations_desktop.core.records import ParticipantRecord
from relations_desktop.ui.labels import format_bytes

OpenChooser = Callable[[QWidget], str | None]

REQUIRED_NO = (
    "Required: with “No” to this, the participant cannot take part, so no consent can be recorded."
)


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """``"1.10"`` sorts after ``"1.9"``."""
    return tuple(
        (1, int(p)) if p.isdigit() else (0, p) for p in version.replace("-", ".").split(".")
    )


def ordered_forms(forms: Iterable[ConsentFormRecord], audience: str) -> list[ConsentFormRecord]:
    """The forms for ``audience``, the one to use by default first.

    Forms are grouped by name, the most recently added name first; within a name the
    latest version comes first (a new version never changes records on an old one).
    """
    mine = [f for f in forms if f.audience == audience]
    newest: dict[str, datetime] = {}
    for form in mine:
        if form.slug not in newest or form.created_at > newest[form.slug]:
            newest[form.slug] = form.created_at
    slugs = sorted(newest, key=newest.__getitem__, reverse=True)
    result: list[ConsentFormRecord] = []
    for slug in slugs:
        versions = [f for f in mine if f.slug == slug]
        result.extend(sorted(versions, key=lambda f: version_key(f.version), reverse=True))
    return result


def given_by_combo(parent: QWidget, people: Iterable[ParticipantRecord] = ()) -> QComboBox:
    """Who gave a parent's consent: one of ``people``, or a name typed in."""
    combo = QComboBox(parent)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.setAccessibleName("Given by")
    line = combo.lineEdit()
    if line is not None:
        line.setPlaceholderText("the parent or carer: choose or type")
    for person in people:
        combo.addItem(person.label, person.id)
    combo.setCurrentIndex(-1)
    return combo


def given_by_value(combo: QComboBox) -> str:
    """A participant's id when one was chosen (the core names them), else the text."""
    text = combo.currentText().strip()
    index = combo.currentIndex()
    if index >= 0 and combo.itemText(index) == text and combo.itemData(index):
        return str(combo.itemData(index))
    return text


def scrolled(widget: QWidget, parent: QWidget, min_height: int = 0) -> QScrollArea:
    area = QScrollArea(parent)
    area.setWidgetResizable(True)
    area.setWidget(widget)
    area.setMinimumHeight(min_height)
    return area


def choose_scan_file(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(
        parent,
        "Attach the scan of the signed form",
        "",
        "Scans (*.pdf *.png *.jpg *.jpeg *.tif *.tiff);;All files (*)",
    )
    return path or None


class ScanPicker(QWidget):
    """ "Choose scan…" and the file chosen (name and size), read into memory at once;
    :attr:`refused` says why a file cannot be used."""

    chosen = Signal()
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scan: tuple[str, bytes] | None = None  # (file name, content)
        self.choose: OpenChooser = choose_scan_file
        self.button = QPushButton("Choose scan…", self)
        self.button.setAccessibleName("Choose the scan of the paper form")
        self.button.clicked.connect(self.pick)
        self.label = QLabel("No scan chosen yet.", self)
        self.label.setAccessibleName("Scan")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.label, 1)

    def pick(self) -> None:
        path = self.choose(self)
        if path:
            self.set_file(Path(path))

    def set_file(self, path: Path) -> bool:
        try:
            size = path.stat().st_size
            if size > MAX_SCAN_BYTES:
                self.refused.emit(
                    f"{path.name} is {format_bytes(size)}; a scan may be at most "
                    f"{MAX_SCAN_BYTES // 2**20} MiB. Scan it at a lower resolution."
                )
                return False
            if size == 0:
                self.refused.emit(f"{path.name} is empty; choose the scanned form.")
                return False
            data = path.read_bytes()
        except OSError as exc:
            self.refused.emit(f"Cannot read {path.name}: {exc.strerror or exc}.")
            return False
        self.scan = (path.name, data)
        self.label.setText(f"{path.name} ({format_bytes(len(data))})")
        self.chosen.emit()
        return True


class ItemRow(QFrame):
    changed = Signal()

    def __init__(self, number: int, item: FormItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setObjectName("consentItem")
        statement = QLabel(f"{number}. {item.statement}", self)
        statement.setWordWrap(True)
        self.marker = QLabel("Required" if item.required else "Optional", self)
        self.marker.setObjectName("itemRequired" if item.required else "hint")
        if item.required:
            self.marker.setStyleSheet("color: #7f1d1d; font-weight: 600;")
        self.yes = QRadioButton("Yes", self)
        self.no = QRadioButton("No", self)
        short = item.statement if len(item.statement) <= 80 else item.statement[:77] + "…"
        for button, word in ((self.yes, "Yes"), (self.no, "No")):
            button.setAccessibleName(f"{word}: {short}")
        self.group = QButtonGroup(self)
        self.group.addButton(self.yes)
        self.group.addButton(self.no)
        self.group.buttonToggled.connect(self._toggled)
        self.warning = QLabel(REQUIRED_NO, self)
        self.warning.setWordWrap(True)
        self.warning.setObjectName("message")
        self.warning.setProperty("tone", "error")
        self.warning.hide()
        answers = QHBoxLayout()
        answers.addWidget(self.marker)
        answers.addStretch(1)
        answers.addWidget(self.yes)
        answers.addWidget(self.no)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 4, 6)
        layout.setSpacing(2)
        layout.addWidget(statement)
        layout.addLayout(answers)
        layout.addWidget(self.warning)

    @property
    def answer(self) -> bool | None:
        return True if self.yes.isChecked() else False if self.no.isChecked() else None

    def set_answer(self, value: bool) -> None:
        (self.yes if value else self.no).setChecked(True)

    def _toggled(self, *_args: object) -> None:
        self.warning.setVisible(self.item.required and self.answer is False)
        self.changed.emit()


class ItemAnswers(QWidget):
    """The items of one form version; :meth:`answers` gives what was ticked."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Consent items")
        self.rows: list[ItemRow] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 8, 0)
        self._layout.setSpacing(4)
        self._layout.addStretch(1)

    def set_items(self, items: Sequence[FormItem]) -> None:
        for row in self.rows:
            self._layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for number, item in enumerate(items, start=1):
            row = ItemRow(number, item, self)
            row.changed.connect(self.changed)
            self._layout.insertWidget(self._layout.count() - 1, row)
            self.rows.append(row)
        self.changed.emit()

    def row(self, item_id: str) -> ItemRow:
        return next(r for r in self.rows if r.item.id == item_id)

    def answer(self, item_id: str, value: bool) -> None:
        self.row(item_id).set_answer(value)

    def answer_all(self, value: bool) -> None:
        for row in self.rows:
            row.set_answer(value)

    def answers(self) -> dict[str, bool]:
        """The items answered (unanswered optional items count as No in the core)."""
        return {r.item.id: r.answer for r in self.rows if r.answer is not None}

    def any_answered(self) -> bool:
        return any(r.answer is not None for r in self.rows)

    def problems(self) -> list[tuple[str, QWidget | None]]:
        """Why these answers cannot be saved, each with the widget to put the focus on."""
        found: list[tuple[str, QWidget | None]] = []
        for number, row in enumerate(self.rows, start=1):
            if not row.item.required or row.answer is True:
                continue
            if row.answer is None:
                text = f"Item {number} is required and has no answer yet: “{row.item.statement}”"
            else:
                text = (
                    f"Item {number} is required, and the answer is No: without “Yes” there "
                    "is no consent to record. If they do not agree, do not record consent."
                )
            found.append((text, row.yes))
        return found
