"""The consent forms of the study: every stored version, its items, import and export.

A stored version never changes. "New version…" opens an editor on a copy of the chosen
version; saving it stores a new version of the same form (records taken on the old one
keep it). "Import…" reads a template file (``docs/consent-forms.md``); a file that is not
a valid template is refused with the core's message and nothing changes. "Export…"
writes the chosen version as a template file. Every store call goes through the task
runner.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.forms import FormItem, FormTemplate
from relations_desktop.core.consent.records import ConsentFormRecord
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.fsutil import atomic_write
from relations_desktop.core.services import StoreService
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.dialogs.consent_form_editor import FormVersionEditor
from relations_desktop.ui.dialogs.consent_form_items import audience_words, governs_words
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel

TEMPLATE_FILTER = "Consent form templates (*.json);;All files (*)"
OpenChooser = Callable[[QWidget], str | None]
SaveChooser = Callable[[QWidget, str], str | None]


def choose_template_file(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(
        parent, "Import a consent form template", "", TEMPLATE_FILTER
    )
    return path or None


def choose_export_file(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(
        parent, "Export a consent form template", suggested, TEMPLATE_FILTER
    )
    if not path:
        return None
    return path if Path(path).suffix else f"{path}.json"


@dataclass(frozen=True)
class FormVersion:
    form: ConsentFormRecord
    current: bool  # the version new consent records are taken on


def load_versions(service: StoreService) -> list[FormVersion]:
    """Every stored version, by form; which one of each form is current (worker thread)."""
    forms = service.consent.list_forms()
    current = {service.consent.get_form(slug).id for slug in {f.slug for f in forms}}
    return [FormVersion(f, f.id in current) for f in forms]


def export_template(service: StoreService, ref: str, path: Path) -> FormTemplate:
    """Write one stored version as a pretty-printed template file (worker thread)."""
    template = service.consent.form_template(ref)
    text = json.dumps(template.to_json(), indent=2, ensure_ascii=False) + "\n"
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise InvalidInput(f"Could not write {path}: {exc.strerror or exc}.") from None
    return template


VERSION_COLUMNS: list[Column[FormVersion]] = [
    Column("Form", lambda v: v.form.title),
    Column("Version", lambda v: f"{v.form.version} (current)" if v.current else v.form.version),
    Column("Date", lambda v: v.form.form_date.isoformat() if v.form.form_date else "—"),
    Column("For", lambda v: audience_words(v.form.audience)),
    Column("Records", lambda v: str(v.form.record_count), align_right=True),
]
ITEM_COLUMNS: list[Column[FormItem]] = [
    Column("Statement", lambda i: i.statement),
    Column("Required", lambda i: "Required" if i.required else "Optional"),
    Column("Governs", lambda i: governs_words(i.governs)),
    Column("Item id", lambda i: i.id),
]


class ConsentFormsDialog(QDialog):
    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        choose_import: OpenChooser = choose_template_file,
        choose_export: SaveChooser = choose_export_file,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.choose_import = choose_import
        self.choose_export = choose_export
        self.editor: FormVersionEditor | None = None
        self._busy = False
        self.setWindowTitle("Consent forms")
        self.setMinimumSize(920, 640)

        intro = QLabel(
            "Consent is taken on the current version of each form. A stored version never "
            "changes: to change a form, make a new version. Records taken on an earlier "
            "version keep it.",
            self,
        )
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.versions: RecordTableModel[FormVersion] = RecordTableModel(VERSION_COLUMNS, self)
        self.table = _table(self, self.versions, "Consent form versions")
        self.table.setWordWrap(False)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.table.doubleClicked.connect(lambda _index: self.new_version())
        versions_label = QLabel("&Versions:", self)
        versions_label.setBuddy(self.table)

        self.heading = QLabel(self)
        self.heading.setObjectName("sessionTitle")
        self.heading.setWordWrap(True)
        self.details = QLabel(self)
        self.details.setObjectName("hint")
        self.details.setWordWrap(True)
        self.details.setAccessibleName("About this version")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.items: RecordTableModel[FormItem] = RecordTableModel(ITEM_COLUMNS, self)
        self.items_table = _table(self, self.items, "Items of the chosen version (read-only)")
        self.items_table.setWordWrap(True)
        self.items_table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        items_label = QLabel("I&tems (read-only):", self)
        items_label.setBuddy(self.items_table)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 8, 0, 0)
        for widget in (self.heading, self.details, items_label):
            lower_layout.addWidget(widget)
        lower_layout.addWidget(self.items_table, 1)
        upper = QWidget(self)
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(versions_label)
        upper_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        self.message = MessageLabel(self)
        actions = QHBoxLayout()
        self.import_button = self._button("&Import…", "Import a template file", self.import_form)
        self.export_button = self._button(
            "&Export…", "Save the chosen version as a template file", self.export_form
        )
        self.new_version_button = self._button(
            "&New version…", "Make a new version from the chosen one", self.new_version
        )
        self.new_version_button.setObjectName("primary")
        for button in (self.import_button, self.export_button, self.new_version_button):
            actions.addWidget(button)
        actions.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        actions.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        layout.addLayout(actions)
        self._show_selected()
        self.table.setFocus()
        self.reload()

    def _button(self, text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ list
    def reload(self, select_id: str | None = None) -> None:
        self._set_busy(True)
        self.runner.submit(
            load_versions,
            self.service,
            on_result=lambda versions: self._loaded(versions, select_id),
            on_error=self._failed,
            owner=self,
        )

    def _loaded(self, versions: list[FormVersion], select_id: str | None) -> None:
        chosen = self.selected()
        keep = select_id or (chosen.form.id if chosen else None)
        self.versions.set_records(versions)
        row = self.versions.row_of(lambda v: v.form.id == keep) if keep else -1
        if versions:
            self.table.selectRow(max(row, 0))
            self.table.scrollTo(self.versions.index(max(row, 0), 0))
        self._set_busy(False)
        self._show_selected()

    def selected(self) -> FormVersion | None:
        index = self.table.currentIndex()
        return self.versions.record(index.row()) if index.isValid() else None

    def _show_selected(self) -> None:
        version = self.selected()
        for button in (self.export_button, self.new_version_button):
            button.setEnabled(version is not None and not self._busy)
        if version is None:
            self.heading.setText("No version chosen")
            self.details.clear()
            self.items.clear()
            return
        form = version.form
        state = "current version" if version.current else "an earlier version"
        self.heading.setText(f"{form.title} — version {form.version} ({state})")
        when = form.form_date.isoformat() if form.form_date else "no date"
        records = {0: "no consent records", 1: "1 consent record"}.get(
            form.record_count, f"{form.record_count} consent records"
        )
        self.details.setText(
            f"Form “{form.slug}”, dated {when}. For: {audience_words(form.audience)}. "
            f"Ethics approval: {form.ethics_reference or 'none given'}. "
            f"{len(form.items)} items; {records} taken on this version."
        )
        self.items.set_records(form.items)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.import_button.setEnabled(not busy)
        self._show_selected()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.message.show_error(describe(error))

    # ---------------------------------------------------------- import/export
    def import_form(self) -> None:
        path = self.choose_import(self)
        if not path or self._busy:
            return
        known = {v.form.id for v in self.versions.records()}
        self.message.show_info(f"Importing {Path(path).name}…")
        self._set_busy(True)
        self.runner.submit(
            self.service.consent.import_form,
            Path(path),
            on_result=lambda record: self._imported(record, record.id in known),
            on_error=self._failed,
            owner=self,
        )

    def _imported(self, form: ConsentFormRecord, already: bool) -> None:
        if already:
            self.message.show_info(
                f"Version {form.version} of “{form.title}” is already stored with the same "
                "wording; nothing changed."
            )
        else:
            self.message.show_info(f"Imported version {form.version} of “{form.title}”.")
        self.reload(select_id=form.id)

    def export_form(self) -> None:
        version = self.selected()
        if version is None or self._busy:
            return
        form = version.form
        path = self.choose_export(self, f"{form.slug}-{form.version}.json")
        if not path:
            return
        self._set_busy(True)
        self.runner.submit(
            export_template,
            self.service,
            form.id,
            Path(path),
            on_result=lambda _t: self._exported(form, Path(path)),
            on_error=self._failed,
            owner=self,
        )

    def _exported(self, form: ConsentFormRecord, path: Path) -> None:
        self._set_busy(False)
        self.message.show_info(f"Saved version {form.version} of “{form.title}” to {path}.")

    # ----------------------------------------------------------- new version
    def new_version(self) -> None:
        version = self.selected()
        if version is None or self._busy:
            return
        self._set_busy(True)
        self.runner.submit(
            self.service.consent.form_template,
            version.form.id,
            on_result=lambda template: self._open_editor(template, version.form.slug),
            on_error=self._failed,
            owner=self,
        )

    def _open_editor(self, template: FormTemplate, slug: str) -> None:
        self._set_busy(False)
        same = [v for v in self.versions.records() if v.form.slug == slug]
        latest = next((v.form.version for v in same if v.current), template.version)
        editor = FormVersionEditor(
            self.service, self.runner, template, {v.form.version for v in same}, latest, self
        )
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(self._version_saved)
        self.editor = editor
        editor.open()

    def _version_saved(self, form: ConsentFormRecord) -> None:
        self.message.show_info(
            f"Saved version {form.version} of “{form.title}”. New consent records are taken "
            "on it; records taken on earlier versions keep theirs."
        )
        self.reload(select_id=form.id)


def _table(parent: QWidget, model: QAbstractItemModel, name: str) -> QTableView:
    table = QTableView(parent)
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    header.setHighlightSections(False)
    return table


def open_consent_forms(parent: QWidget, context: AppContext) -> ConsentFormsDialog:
    """Open the consent forms dialog without blocking (e.g. from "Study → Consent forms…")."""
    dialog = ConsentFormsDialog(context.service, context.runner, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
