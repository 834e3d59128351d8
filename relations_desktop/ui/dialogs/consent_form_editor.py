"""Making a new version of a consent form.

A stored version never changes: the editor starts from a copy of one version (its
title, ethics reference and items), with the version number bumped and today's date,
and Save stores it as a NEW version of the same form. Records taken on earlier versions
keep them. Items are edited in the table itself (F2 or typing edits a cell; Space ticks
"required"); ids of existing items are kept, new items get one made from the statement
until the id is edited by hand. Ctrl+Z / Ctrl+Shift+Z undo and redo changes to the
items; Esc asks before dropping what was typed; nothing typed is lost on a refusal.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from PySide6.QtCore import (
    QDate,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.forms import FormTemplate, template_from_json
from relations_desktop.core.consent.records import ConsentFormRecord
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.consent_form_items import (
    ID_PATTERN,
    STATEMENT,
    ItemsTable,
    Row,
    audience_words,
    bump_version,
)
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel


class FormVersionEditor(QDialog):
    saved = Signal(object)  # the ConsentFormRecord stored

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        base: FormTemplate,
        taken_versions: Collection[str],
        latest_version: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.runner, self.base = service, runner, base
        self.taken = set(taken_versions)
        self.saving = self._discarding = False
        self.discard_prompt: QMessageBox | None = None
        self.setWindowTitle(f"New version of “{base.title}”")
        self.setMinimumSize(900, 600)

        intro = QLabel(
            f"Based on version {base.version}. Saving stores a new version of this form; "
            "it cannot be changed afterwards. Records taken on earlier versions keep them.",
            self,
        )
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.title = self._line(base.title, 300, "Form title")
        self.version = self._line(bump_version(latest_version, self.taken), 40, "Version number")
        self.version.setToolTip(
            f"The current version is {latest_version}. New consent records are taken on "
            "the highest version number."
        )
        self.form_date = QDateEdit(QDate.currentDate(), self)
        self.form_date.setCalendarPopup(True)
        self.form_date.setDisplayFormat("yyyy-MM-dd")
        self.form_date.setAccessibleName("Form date")
        self.ethics = self._line(base.ethics_reference, 200, "Ethics approval reference")
        audience = QLabel(audience_words(base.audience), self)
        audience.setAccessibleName("Audience")
        form = QFormLayout()
        form.addRow("&Title:", self.title)
        form.addRow("&Version:", self.version)
        form.addRow("&Date:", self.form_date)
        form.addRow("&Ethics approval:", self.ethics)
        form.addRow("Audience:", audience)

        rows = tuple(Row(i.statement, i.required, i.governs or "", i.id) for i in base.items)
        self.table = ItemsTable(rows, self)
        self.table.edited.connect(self._update_buttons)
        self.table.currentCellChanged.connect(lambda *_: self._update_buttons())
        items_label = QLabel("&Items (F2 edits a cell, Space ticks “Required”):", self)
        items_label.setBuddy(self.table)
        item_buttons = QHBoxLayout()
        self.add_button, self.remove_button, self.up_button, self.down_button = (
            self._button(text, tip, slot, item_buttons)
            for text, tip, slot in (
                ("&Add item", "Add an item below the chosen one", self.table.add_item),
                ("&Remove item", "Remove the chosen item (Ctrl+Z brings it back)", self._remove),
                ("Move &up", "Move the item up (Alt+Up)", lambda: self.table.move_item(-1)),
                ("Move do&wn", "Move the item down (Alt+Down)", lambda: self.table.move_item(1)),
            )
        )
        item_buttons.addStretch(1)

        self.message = MessageLabel(self)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        self.cancel_button = self._button(
            "Cancel", "Close without saving (Esc)", self.reject, bottom
        )
        self.save_button = self._button("&Save version", "Save it (Ctrl+S)", self.save, bottom)
        self.save_button.setObjectName("primary")
        QShortcut(QKeySequence.StandardKey.Save, self).activated.connect(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        for part in (intro, form, items_label, self.table, item_buttons, self.message, bottom):
            if isinstance(part, QWidget):
                layout.addWidget(part, 1 if part is self.table else 0)
            else:
                layout.addLayout(part)
        self._initial = self.snapshot()
        self.table.setCurrentCell(0, STATEMENT)
        self.title.setFocus()

    def _line(self, text: str, limit: int, name: str) -> QLineEdit:
        line = QLineEdit(text, self)
        line.setMaxLength(limit)
        line.setAccessibleName(name)
        return line

    def _button(self, text: str, tip: str, slot: Any, row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setAccessibleName(text.replace("&", ""))
        button.setAutoDefault(False)  # Enter never stores a version by accident
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    def _remove(self) -> None:
        if self.table.remove_item():
            self.message.show_info("Item removed. Ctrl+Z in the table brings it back.")

    def _update_buttons(self) -> None:
        row, count = self.table.currentRow(), self.table.rowCount()
        self.remove_button.setEnabled(count > 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)

    # ------------------------------------------------------------------ save
    def snapshot(self) -> tuple[Any, ...]:
        day = self.form_date.date().toString("yyyy-MM-dd")
        return (self.title.text(), self.version.text(), day, self.ethics.text(), self.table.rows())

    def is_dirty(self) -> bool:
        return self.snapshot() != self._initial

    def problem(self) -> tuple[str, QWidget | int] | None:
        """The first thing that stops saving, and where (a field, or an item's row)."""
        version = self.version.text().strip()
        if not self.title.text().strip():
            return "The form needs a title.", self.title
        if not version:
            return "The new version needs a number, e.g. 1.1.", self.version
        if version in self.taken:
            return (
                f"Version {version} of this form already exists, and a stored version never "
                f"changes. Give the new one another number, e.g. "
                f"{bump_version(version, self.taken)}.",
                self.version,
            )
        if not self.table.rowCount():
            return "The form needs at least one item. Add one with “Add item”.", self.table
        seen: dict[str, int] = {}
        for row, item in enumerate(self.table.rows()):
            number, ident = row + 1, item.item_id
            if not item.statement.strip():
                return f"Item {number} has no statement. Type it, or remove the item.", row
            if not ID_PATTERN.match(ident):
                return (
                    f"Item {number}: the id “{ident}” must be lower-case letters, digits and "
                    "hyphens, e.g. audio-recording.",
                    row,
                )
            if ident in seen:
                return (
                    f"Items {seen[ident]} and {number} both have the id “{ident}”; "
                    "each item needs its own.",
                    row,
                )
            seen[ident] = number
        return None

    def template(self) -> FormTemplate:
        """What is typed, as a checked template (InvalidInput says what is wrong)."""
        version = self.version.text().strip()
        data = {
            "slug": self.base.slug,
            "title": self.title.text(),
            "version": version,
            "date": self.form_date.date().toString("yyyy-MM-dd"),
            "ethics_reference": self.ethics.text(),
            "audience": self.base.audience,
            "items": [
                {"id": r.item_id, "statement": r.statement, "required": r.required}
                | {"governs": r.governs or None}
                for r in self.table.rows()
            ],
        }
        return template_from_json(data, source=f"Version {version}")

    def save(self) -> None:
        if self.saving:
            return
        self.table.commit_open_editor()
        found = self.problem()
        if found is not None:
            text, where = found
            self.message.show_error(text)
            if isinstance(where, int):
                self.table.selectRow(where)
                where = self.table
            where.setFocus()
            return
        try:
            template = self.template()
        except InvalidInput as exc:
            self.message.show_error(exc.message)
            return
        self.saving = True
        self.save_button.setEnabled(False)
        self.message.show_info(f"Saving version {template.version}…")
        self.runner.submit(
            self.service.consent.add_form,
            template,
            on_result=self._saved,
            on_error=self._failed,
            owner=self,
        )

    def _saved(self, record: ConsentFormRecord) -> None:
        self.saving = False
        self.saved.emit(record)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.message.show_error(describe(error))

    # --------------------------------------------------------------- closing
    def reject(self) -> None:
        """Esc, Cancel and the close button: ask first if anything was typed."""
        if self.saving or (self.discard_prompt is not None and self.discard_prompt.isVisible()):
            return  # a save's outcome closes the dialog or says why not
        if self._discarding or not self.is_dirty():
            super().reject()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Discard the new version?", "", parent=self)
        box.setText("Discard the new version? What you typed has not been saved.")
        box.setAccessibleName("Discard the new version?")
        discard = box.addButton("&Discard", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("&Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: self._answer(button is discard))
        self.discard_prompt = box
        box.open()

    def _answer(self, discard: bool) -> None:
        self.discard_prompt = None
        if discard:
            self._discarding = True
            self.reject()
