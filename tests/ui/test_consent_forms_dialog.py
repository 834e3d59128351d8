"""Consent forms dialog: list, import, export, and new versions that never change old ones."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QMessageBox

from relations_desktop.core.consent.forms import parse_template, read_template_file
from relations_desktop.core.resources import resource
from relations_desktop.core.services import StoreService
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.dialogs.consent_form_editor import FormVersionEditor
from relations_desktop.ui.dialogs.consent_form_items import (
    GOVERNS,
    ITEM_ID,
    REQUIRED,
    STATEMENT,
    VALUE_ROLE,
    bump_version,
    item_id_from,
)
from relations_desktop.ui.dialogs.consent_forms import ConsentFormsDialog, open_consent_forms
from relations_desktop.ui.tasks import TaskRunner
from tests.consent_data import give_adult_consent

ADULT = "adult-participant"
SHIPPED = {"adult-participant", "child-assent", "parent-for-child"}


class Files:
    """What the file choosers answer."""

    def __init__(self) -> None:
        self.open: str | None = None
        self.save: str | None = None
        self.suggested = ""

    def choose_save(self, _parent: object, suggested: str) -> str | None:
        self.suggested = suggested
        return self.save


@pytest.fixture
def files() -> Files:
    return Files()


@pytest.fixture
def dialog(qtbot, service: StoreService, runner: TaskRunner, files: Files) -> ConsentFormsDialog:  # type: ignore[no-untyped-def]
    d = ConsentFormsDialog(
        service, runner, choose_import=lambda _p: files.open, choose_export=files.choose_save
    )
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    runner.wait_idle()
    return d


def rows(d: ConsentFormsDialog) -> list[list[str]]:
    model = d.versions
    return [
        [str(model.index(r, c).data()) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def choose(d: ConsentFormsDialog, slug: str, version: str = "1.0") -> None:
    row = d.versions.row_of(lambda v: (v.form.slug, v.form.version) == (slug, version))
    assert row >= 0
    d.table.selectRow(row)


def adult_json(service: StoreService, **changes: Any) -> dict[str, Any]:
    data = service.consent.form_template(f"{ADULT}@1.0").to_json()
    data.update(changes)
    return data


def write(tmp_path: Path, data: Any, name: str = "form.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def open_editor(
    qtbot, d: ConsentFormsDialog, runner: TaskRunner, slug: str = ADULT
) -> FormVersionEditor:  # type: ignore[no-untyped-def]
    choose(d, slug)
    qtbot.mouseClick(d.new_version_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    editor = d.editor
    assert editor is not None and editor.isVisible()
    return editor


def closed(editor: FormVersionEditor) -> bool:
    return not shiboken6.isValid(editor) or not editor.isVisible()


# ------------------------------------------------------------------------ the list
def test_lists_the_shipped_forms_with_their_items_in_words(
    dialog: ConsentFormsDialog, service: StoreService
) -> None:
    listed = rows(dialog)
    assert len(listed) == 3
    assert {v.form.slug for v in dialog.versions.records()} == SHIPPED
    assert all(row[1] == "1.0 (current)" and row[4] == "0" for row in listed)
    assert {row[3] for row in listed} == {
        "Adults (their own consent)",
        "Parents or carers (consent for a child)",
        "Children (their own assent)",
    }

    choose(dialog, ADULT)
    items = dialog.items
    assert items.rowCount() == 9
    by_id = {items.index(r, 3).data(): r for r in range(items.rowCount())}
    audio, sheet = by_id["audio-recording"], by_id["information-sheet"]
    assert items.index(audio, 1).data() == "Optional"
    assert items.index(audio, 2).data() == "Audio recording"
    assert items.index(sheet, 1).data() == "Required"
    assert items.index(sheet, 2).data() == "Nothing"
    assert "version 1.0 (current version)" in dialog.heading.text()
    assert "REC 26/ES/0001" in dialog.details.text()
    assert "no consent records" in dialog.details.text()


def test_the_list_counts_records_taken_on_each_version(
    qtbot, service: StoreService, runner: TaskRunner, files: Files
) -> None:
    lara = service.add_participant("Lara", "Mother", region="Scotland")
    give_adult_consent(service, lara.id)
    d = ConsentFormsDialog(service, runner, choose_import=lambda _p: None)
    qtbot.addWidget(d)
    runner.wait_idle()
    choose(d, ADULT)
    assert rows(d)[d.table.currentIndex().row()][4] == "1"
    assert "1 consent record taken on this version" in d.details.text()


# ---------------------------------------------------------------------- import
def test_importing_a_good_file_adds_a_version(
    qtbot, dialog: ConsentFormsDialog, service: StoreService, runner: TaskRunner,
    files: Files, tmp_path: Path,
) -> None:  # fmt: skip
    data = adult_json(service, version="1.1", date="2026-03-01")
    data["items"][3]["statement"] = "I agree to take part in this study, as explained to me."
    files.open = write(tmp_path, data)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()

    assert "Imported version 1.1" in dialog.message.text()
    assert len(rows(dialog)) == 4
    chosen = dialog.selected()
    assert chosen is not None and (chosen.form.version, chosen.current) == ("1.1", True)
    versions = {(r[0][:11], r[1]) for r in rows(dialog) if r[0].startswith("Participant")}
    assert versions == {("Participant", "1.0"), ("Participant", "1.1 (current)")}
    assert service.consent.get_form(ADULT).version == "1.1"

    # The same file again: already there, nothing changes.
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    assert "already stored with the same wording; nothing changed" in dialog.message.text()
    assert len(service.consent.list_forms()) == 4 and len(rows(dialog)) == 4


BAD_FILES: dict[str, tuple[Any, str]] = {
    "malformed JSON": ('{"title": "Consent", "items": [', "is not valid JSON (line 1"),
    "unknown governs": (
        {"title": "Consent", "version": "1", "items": [
            {"id": "video", "statement": "I agree to be filmed.", "governs": "video"}
        ]},
        "governs 'video' must be one of: audio-recording",
    ),
    "duplicate item ids": (
        {"title": "Consent", "version": "1", "items": [
            {"id": "take-part", "statement": "I agree to take part."},
            {"id": "take-part", "statement": "I agree again."},
        ]},
        "the id 'take-part' is used twice",
    ),
    "no items": ({"title": "Consent", "version": "1", "items": []}, "has no items"),
}  # fmt: skip


@pytest.mark.parametrize("case", [*BAD_FILES, "same version, other wording"])
def test_a_bad_file_is_refused_with_the_reason_and_nothing_changes(
    qtbot, dialog: ConsentFormsDialog, service: StoreService, runner: TaskRunner,
    files: Files, tmp_path: Path, case: str,
) -> None:  # fmt: skip
    if case in BAD_FILES:
        data, expected = BAD_FILES[case]
    else:
        data = adult_json(service)
        data["items"][0]["statement"] = "I have read the sheet."
        expected = "Version 1.0 of the form “adult-participant” already exists with different"
    files.open = write(tmp_path, data)
    before = rows(dialog)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()

    assert expected in dialog.message.text()
    assert dialog.message.isVisible() and dialog.message.property("tone") == "error"
    assert rows(dialog) == before
    assert len(service.consent.list_forms()) == 3
    assert service.consent.form_template(ADULT) == read_template_file(
        resource("consent_forms") / "adult-participant.json"
    )
    assert dialog.import_button.isEnabled()


def test_cancelling_the_file_chooser_does_nothing(
    qtbot, dialog: ConsentFormsDialog, runner: TaskRunner
) -> None:
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    assert not dialog.message.isVisible() and len(rows(dialog)) == 3


# ---------------------------------------------------------------------- export
def test_export_writes_a_template_that_reads_back_equal(
    qtbot, dialog: ConsentFormsDialog, service: StoreService, runner: TaskRunner,
    files: Files, tmp_path: Path,
) -> None:  # fmt: skip
    choose(dialog, "child-assent")
    target = tmp_path / "out" / "assent.json"
    target.parent.mkdir()
    files.save = str(target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()

    assert files.suggested == "child-assent-1.0.json"
    assert "Saved version 1.0" in dialog.message.text()
    text = target.read_text(encoding="utf-8")
    assert text.startswith('{\n  "format": "relations-consent-form/1"')
    assert parse_template(target.read_bytes()) == service.consent.form_template("child-assent")


def test_export_to_a_folder_that_does_not_exist_says_so(
    qtbot, dialog: ConsentFormsDialog, runner: TaskRunner, files: Files, tmp_path: Path
) -> None:
    files.save = str(tmp_path / "missing" / "form.json")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    assert "Could not write" in dialog.message.text()
    assert not (tmp_path / "missing").exists()


# ----------------------------------------------------------------- new version
def test_a_new_version_is_stored_and_the_old_one_and_its_records_keep_theirs(
    qtbot, dialog: ConsentFormsDialog, service: StoreService, runner: TaskRunner
) -> None:
    lara = service.add_participant("Lara", "Mother", region="Scotland")
    give_adult_consent(service, lara.id)
    original = service.consent.get_form(f"{ADULT}@1.0")
    editor = open_editor(qtbot, dialog, runner)
    assert editor.version.text() == "1.1"
    assert editor.form_date.date().toPython() == date.today()
    assert [r.item_id for r in editor.table.rows()] == [i.id for i in original.items]

    table = editor.table
    audio = [r.item_id for r in table.rows()].index("audio-recording")
    table.cell(audio, STATEMENT).setText("I agree to our conversations being audio recorded.")
    assert table.cell(audio, ITEM_ID).text() == "audio-recording"  # existing ids are kept
    editor.ethics.setText("REC 26/ES/0001 amendment 1")

    # A new item, typed into the table's own cell editor.
    table.setCurrentCell(table.rowCount() - 1, STATEMENT)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    new = table.rowCount() - 1
    cell_editor = table.indexWidget(table.currentIndex())
    assert isinstance(cell_editor, QLineEdit) and cell_editor.accessibleName() == "Statement"
    qtbot.keyClicks(cell_editor, "I agree to be sent a summary of the findings.")
    table.commit_open_editor()
    assert table.cell(new, ITEM_ID).text() == "i-agree-to-be-sent"
    table.cell(new, REQUIRED).setCheckState(Qt.CheckState.Checked)
    table.setCurrentCell(new, GOVERNS)
    table.editItem(table.cell(new, GOVERNS))
    combo = table.indexWidget(table.currentIndex())
    assert isinstance(combo, QComboBox) and combo.itemText(0) == "Nothing"
    combo.setCurrentIndex(combo.findData("future-contact"))
    combo.activated.emit(combo.currentIndex())
    table.commit_open_editor()
    assert table.cell(new, GOVERNS).data(VALUE_ROLE) == "future-contact"
    assert table.cell(new, GOVERNS).text() == "Future contact"

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    assert closed(editor)

    current = service.consent.get_form(ADULT)
    assert current.version == "1.1" and current.ethics_reference.endswith("amendment 1")
    assert current.form_date == date.today()
    assert current.item("audio-recording").statement.startswith("I agree to our conversations")  # type: ignore[union-attr]
    added = current.item("i-agree-to-be-sent")
    assert added is not None and added.required and added.governs == "future-contact"
    assert len(current.items) == 10
    old = service.consent.get_form(f"{ADULT}@1.0")
    assert (old.id, old.items, old.ethics_reference) == (
        original.id, original.items, original.ethics_reference
    )  # fmt: skip
    assert service.consent.records(lara.id)[0].form_id == original.id
    assert "Saved version 1.1" in dialog.message.text()
    chosen = dialog.selected()
    assert chosen is not None and chosen.form.id == current.id and chosen.current
    assert len(rows(dialog)) == 4


def test_saving_is_refused_with_a_message_and_nothing_typed_is_lost(
    qtbot, dialog: ConsentFormsDialog, service: StoreService, runner: TaskRunner
) -> None:
    editor = open_editor(qtbot, dialog, runner)
    table = editor.table
    editor.title.setText("Participant consent form (revised)")
    table.setCurrentCell(table.rowCount() - 1, STATEMENT)
    editor.table.add_item()
    table.commit_open_editor()
    new = table.rowCount() - 1

    def refused(expected: str) -> None:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
        runner.wait_idle()
        assert expected in editor.message.text()
        assert editor.message.property("tone") == "error" and editor.isVisible()
        assert len(service.consent.list_forms()) == 3
        assert editor.title.text() == "Participant consent form (revised)"

    refused("Item 10 has no statement")
    assert table.currentRow() == new
    table.cell(new, STATEMENT).setText("I agree to take part in a follow-up interview.")
    table.cell(new, ITEM_ID).setText("voluntary")
    refused("Items 2 and 10 both have the id “voluntary”")
    table.cell(new, ITEM_ID).setText("Follow Up")
    refused("the id “Follow Up” must be lower-case letters, digits and hyphens")
    table.cell(new, ITEM_ID).setText("follow-up")
    table.cell(0, STATEMENT).setText("   ")
    refused("Item 1 has no statement")
    table.cell(0, STATEMENT).setText("I have read the information sheet.")
    editor.version.setText("1.0")
    refused("Version 1.0 of this form already exists")
    editor.version.setText("")
    refused("needs a number")
    editor.version.setText("1.1")
    for _ in range(table.rowCount()):
        table.setCurrentCell(0, STATEMENT)
        table.remove_item()
    refused("at least one item")
    table.undo()
    assert table.rowCount() == 1
    for _ in range(9):
        table.undo()
    assert table.rowCount() == 10 and table.cell(new, ITEM_ID).text() == "follow-up"

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    runner.wait_idle()
    assert closed(editor)
    stored = service.consent.get_form(ADULT)
    assert stored.version == "1.1" and stored.item("follow-up") is not None
    assert stored.items[0].statement == "I have read the information sheet."


def test_items_move_and_removal_is_undone_with_ctrl_z(
    qtbot, dialog: ConsentFormsDialog, runner: TaskRunner
) -> None:
    editor = open_editor(qtbot, dialog, runner, "child-assent")
    table = editor.table
    ids = [r.item_id for r in table.rows()]
    table.setCurrentCell(1, STATEMENT)
    qtbot.mouseClick(editor.up_button, Qt.MouseButton.LeftButton)
    assert [r.item_id for r in table.rows()][:2] == [ids[1], ids[0]]
    assert table.currentRow() == 0 and not editor.up_button.isEnabled()
    qtbot.mouseClick(editor.down_button, Qt.MouseButton.LeftButton)
    assert [r.item_id for r in table.rows()] == ids
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    assert [r.item_id for r in table.rows()] == ids[:1] + ids[2:]
    assert "Ctrl+Z" in editor.message.text()

    editor.activateWindow()
    table.setFocus()
    qtbot.waitUntil(table.hasFocus, timeout=3000)
    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [r.item_id for r in table.rows()] == ids
    qtbot.keyClick(table, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert [r.item_id for r in table.rows()][:2] == [ids[1], ids[0]]
    table.redo()  # nothing to redo after a new change
    table.undo()
    assert [r.item_id for r in table.rows()] == ids
    table.redo()
    assert [r.item_id for r in table.rows()][:2] == [ids[1], ids[0]]


# --------------------------------------------------------------------- closing
def _prompt(editor: FormVersionEditor) -> QMessageBox:
    box = editor.discard_prompt
    assert box is not None and box.isVisible()
    return box


def _click(qtbot, box: QMessageBox, text: str) -> None:  # type: ignore[no-untyped-def]
    button = next(b for b in box.buttons() if b.text().replace("&", "") == text)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_escape_asks_before_discarding_edits(
    qtbot, dialog: ConsentFormsDialog, service: StoreService, runner: TaskRunner
) -> None:
    editor = open_editor(qtbot, dialog, runner)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert closed(editor) and editor.discard_prompt is None  # nothing typed: closes

    editor = open_editor(qtbot, dialog, runner)
    editor.table.cell(0, STATEMENT).setText("Changed wording")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    _click(qtbot, _prompt(editor), "Keep editing")
    assert editor.isVisible() and editor.table.cell(0, STATEMENT).text() == "Changed wording"

    editor.reject()  # the window's close button and Cancel ask too
    _click(qtbot, _prompt(editor), "Discard")
    assert closed(editor)
    runner.wait_idle()
    assert len(service.consent.list_forms()) == 3


# ------------------------------------------------------------------- pieces
def test_version_numbers_and_item_ids_are_made_sensibly() -> None:
    assert bump_version("1.0") == "1.1"
    assert bump_version("1.9") == "1.10"
    assert bump_version("2") == "3"
    assert bump_version("1.0-draft") == "1.0-draft.1"
    assert bump_version("1.0", {"1.1", "1.2"}) == "1.3"
    assert (
        item_id_from("I agree to be contacted about future research.") == "i-agree-to-be-contacted"
    )
    assert item_id_from("Ich stimme zu!", {"ich-stimme-zu"}) == "ich-stimme-zu-2"
    assert item_id_from("¿…?") == "item"


def test_open_consent_forms_opens_the_dialog_from_the_app_context(
    qtbot, service: StoreService, runner: TaskRunner
) -> None:
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    d = open_consent_forms(parent, AppContext(service, runner))
    runner.wait_idle()
    assert d.isVisible() and d.parent() is parent and len(rows(d)) == 3
    assert d.table.accessibleName() == "Consent form versions"
    for button in (d.import_button, d.export_button, d.new_version_button):
        assert button.accessibleName() and button.isEnabled()


def test_the_file_menu_opens_the_consent_forms(qtbot, make_window) -> None:
    window = make_window()
    window.consent_forms_action.trigger()
    assert isinstance(window.dialog, ConsentFormsDialog)
    qtbot.waitUntil(lambda: window.dialog.isVisible(), timeout=3000)
