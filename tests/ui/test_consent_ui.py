"""Consent in the GUI: the consent dialog (signed, paper, verbal, a child's parent consent
and assent), the certificate view, withdrawal, and the participant register fields."""

from __future__ import annotations

import io
import math
import os
import stat
from datetime import date
from pathlib import Path

import pytest
import shiboken6
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.search import SearchFilters
from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.consent_record import ConsentRecordDialog
from relations_desktop.ui.dialogs.consent_view import ConsentCertificateDialog
from relations_desktop.ui.dialogs.withdrawal import WithdrawalDialog
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.participant_editor import ParticipantEditor
from relations_desktop.ui.workspace import PARTICIPANTS
from tests.ui.conftest import WindowFactory
from tests.ui.transcript_data import make_recording

LEFT = Qt.MouseButton.LeftButton
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


# ------------------------------------------------------------------ helpers
def gone(widget: QWidget) -> bool:
    """Closed (a dialog deleted on close may be gone already)."""
    return not shiboken6.isValid(widget) or not widget.isVisible()


def open_editor(qtbot, window: MainWindow, pseudonym: str) -> ParticipantEditor:
    window.workspace.show_page(PARTICIPANTS)
    view = window.workspace.participants
    qtbot.waitUntil(lambda: view.model.row_of(lambda p: p.pseudonym == pseudonym) >= 0)
    view.table.selectRow(view.model.row_of(lambda p: p.pseudonym == pseudonym))
    view.edit_selected()
    editor = view.editor_dialog
    assert editor is not None
    qtbot.waitUntil(lambda: editor.facts is not None, timeout=3000)
    return editor


def take_consent(qtbot, editor: ParticipantEditor) -> ConsentRecordDialog:
    assert editor.take_button.isEnabled()
    qtbot.mouseClick(editor.take_button, LEFT)
    dialog = editor.dialog
    assert isinstance(dialog, ConsentRecordDialog)
    qtbot.waitUntil(lambda: dialog.form() is not None, timeout=3000)
    return dialog


def sign(qtbot, dialog: ConsentRecordDialog) -> None:
    canvas = dialog.pad.canvas
    for stroke in ([(40, 110), (70, 70), (100, 115), (130, 60)], [(160, 95), (260, 90)]):
        first, *rest = [QPoint(x, y) for x, y in stroke]
        qtbot.mousePress(canvas, LEFT, pos=first)
        for point in rest:
            qtbot.mouseMove(canvas, point)
        qtbot.mouseRelease(canvas, LEFT, pos=rest[-1])


def draw_signature(qtbot, dialog: ConsentRecordDialog) -> None:
    """Something that looks like a handwritten name, for the screenshot."""
    canvas = dialog.pad.canvas
    loops = [
        (60 + 300 * t + 16 * math.cos(2 * math.pi * 5 * t),
         100 - 26 * math.sin(2 * math.pi * 5 * t) * (1 - 0.4 * t))
        for t in (i / 160 for i in range(161))
    ]  # fmt: skip
    for stroke in (loops, [(70.0, 128.0), (250.0, 122.0), (370.0, 126.0)]):
        points = [QPoint(round(x), round(y)) for x, y in stroke]
        qtbot.mousePress(canvas, LEFT, pos=points[0])
        for point in points[1:]:
            qtbot.mouseMove(canvas, point)
        qtbot.mouseRelease(canvas, LEFT, pos=points[-1])


def save(qtbot, dialog: ConsentRecordDialog, runner: TaskRunner) -> None:
    qtbot.mouseClick(dialog.save_button, LEFT)
    runner.wait_idle()


@pytest.fixture
def people(service: StoreService) -> dict[str, str]:
    """Lara (a mother) alone in a home visit with a note; a family with a child."""
    lara = service.add_participant("Lara", "Mother", region="Scotland")
    visit = service.add_encounter(
        "home-visit", "Home visit with Lara", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    service.add_note(visit.id, "Lara talked about the pharmacy zebraword timetable.")
    family = service.register.add_family("Family B", household="single-parent")
    marianne = service.add_participant("Marianne", "Mother", family_id=family.id)
    jay = service.add_participant("Jay", "Son", kind="child", family_id=family.id)
    return {"lara": lara.id, "visit": visit.id, "marianne": marianne.id, "jay": jay.id}


# -------------------------------------------------------------------- tests
def test_signed_consent_allows_recording_and_keeps_the_signature(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, people
) -> None:
    window = make_window()
    editor = open_editor(qtbot, window, "Lara")
    assert editor.badges.texts() == ["Lara (Mother): no consent"]
    assert not editor.view_button.isEnabled()
    dialog = take_consent(qtbot, editor)
    assert dialog.form_combo.currentText() == "Participant consent form: families, parents " \
        "who use drugs, and the services that support them (v1.0)"  # fmt: skip
    assert all(row.answer is None for row in dialog.items.rows)  # nothing agreed by default
    dialog.items.answer_all(True)
    dialog.items.answer("archiving", False)
    sign(qtbot, dialog)
    save(qtbot, dialog, runner)
    qtbot.waitUntil(lambda: gone(dialog), timeout=3000)

    [record] = service.consent.records(people["lara"])
    assert record.method == "signed" and record.has_signature
    assert record.answers["archiving"] is False and record.answers["audio-recording"] is True
    png = service.consent.signature_image(record.id)
    assert png is not None and Image.open(io.BytesIO(png)).format == "PNG"
    assert service.consent.state(people["lara"]).allows("audio-recording")
    qtbot.waitUntil(lambda: editor.records_model.rowCount() == 1, timeout=3000)
    assert editor.badges.texts() == ["Lara (Mother): recording ✓ quotes ✓ archive ✗"]
    badge = editor.badges.badges[0]
    assert badge.tone == "ok" and "Archiving: no" in badge.toolTip()
    assert "archive no" in badge.accessibleName()
    assert editor.records_model.index(0, 2).data() == "Signed on screen"
    view = window.workspace.participants
    row = view.model.row_of(lambda p: p.pseudonym == "Lara")
    qtbot.waitUntil(lambda: "recording ✓" in view.model.index(row, 5).data(), timeout=3000)
    assert view.model.index(view.model.row_of(lambda p: p.pseudonym == "Jay"), 5).data() == (
        "no consent"
    )


def test_required_items_block_saving_with_a_reason(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, people
) -> None:
    window = make_window()
    dialog = take_consent(qtbot, open_editor(qtbot, window, "Lara"))
    sign(qtbot, dialog)
    save(qtbot, dialog, runner)
    assert "Item 1 is required and has no answer yet" in dialog.message.text()

    dialog.items.answer_all(True)
    dialog.items.answer("take-part", False)
    take_part = dialog.items.row("take-part")
    assert (
        take_part.warning.isVisibleTo(take_part) and "cannot take part" in take_part.warning.text()
    )
    save(qtbot, dialog, runner)
    assert "Item 4 is required, and the answer is No" in dialog.message.text()
    assert dialog.isVisible() and service.consent.records(people["lara"]) == []

    # A signature is needed for "signed on screen".
    dialog.items.answer("take-part", True)
    assert not take_part.warning.isVisibleTo(take_part)
    dialog.pad.clear()
    save(qtbot, dialog, runner)
    assert "sign in the box" in dialog.message.text()
    assert service.consent.records(people["lara"]) == []


def test_a_core_refusal_is_shown_and_nothing_typed_is_lost(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, people,
    monkeypatch,
) -> None:  # fmt: skip
    window = make_window()
    dialog = take_consent(qtbot, open_editor(qtbot, window, "Lara"))
    dialog.items.answer_all(True)
    sign(qtbot, dialog)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise InvalidInput("The form was replaced meanwhile; choose it again.")

    monkeypatch.setattr(service.consent, "record", refuse)
    save(qtbot, dialog, runner)
    assert dialog.message.text() == "The form was replaced meanwhile; choose it again."
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    assert all(row.answer is True for row in dialog.items.rows)
    assert len(dialog.pad.strokes) == 2


def test_escape_asks_before_discarding_answers(
    qtbot, make_window: WindowFactory, service: StoreService, people
) -> None:
    window = make_window()
    dialog = take_consent(qtbot, open_editor(qtbot, window, "Lara"))
    dialog.items.answer("take-part", True)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    box = dialog.discard_prompt
    assert isinstance(box, QMessageBox) and box.isVisible() and dialog.isVisible()
    keep = next(b for b in box.buttons() if b.text() == "Keep editing")
    qtbot.mouseClick(keep, LEFT)
    assert dialog.isVisible() and dialog.items.row("take-part").answer is True
    dialog.reject()
    discard = next(b for b in dialog.discard_prompt.buttons() if b.text() == "Discard")
    qtbot.mouseClick(discard, LEFT)
    assert gone(dialog)
    assert service.consent.records(people["lara"]) == []


def test_paper_consent_with_a_scan(
    qtbot, make_window: WindowFactory, service: StoreService, runner, people, tmp_path
) -> None:
    window = make_window()
    dialog = take_consent(qtbot, open_editor(qtbot, window, "Lara"))
    dialog.items.answer_all(True)
    qtbot.mouseClick(dialog.method_buttons["paper"], LEFT)
    assert dialog.pages.currentIndex() == 1
    save(qtbot, dialog, runner)
    assert "Attach the scan" in dialog.message.text()

    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert not dialog.scan_picker.set_file(empty) and "is empty" in dialog.message.text()
    huge = tmp_path / "huge.tif"
    with huge.open("wb") as handle:
        handle.truncate(26 * 1024 * 1024)
    assert not dialog.scan_picker.set_file(huge) and "at most 25 MiB" in dialog.message.text()
    assert dialog.scan_picker.scan is None

    scan = tmp_path / "consent-lara.pdf"
    scan.write_bytes(b"%PDF-1.4 scanned form " * 100)
    dialog.scan_picker.choose = lambda _parent: str(scan)
    qtbot.mouseClick(dialog.scan_picker.button, LEFT)
    assert dialog.scan_picker.label.text() == "consent-lara.pdf (2 KB)"
    save(qtbot, dialog, runner)
    qtbot.waitUntil(lambda: gone(dialog), timeout=3000)
    [record] = service.consent.records(people["lara"])
    assert record.method == "paper" and record.scan_name == "consent-lara.pdf"
    assert service.consent.scan(record.id) == ("consent-lara.pdf", scan.read_bytes())


def test_verbal_consent_in_an_earlier_recording(
    qtbot, make_window: WindowFactory, service: StoreService, runner, people, tmp_path
) -> None:
    yes = {i.id: True for i in service.consent.get_form("adult-participant").items}
    service.consent.record(people["lara"], "adult-participant", yes, "paper", scan=b"x")
    recording_id = make_recording(service, people["visit"], tmp_path, seconds=90.0)
    window = make_window()
    dialog = take_consent(qtbot, open_editor(qtbot, window, "Lara"))
    dialog.items.answer_all(True)
    qtbot.mouseClick(dialog.method_buttons["verbal"], LEFT)
    assert dialog.recording_combo.currentData() == recording_id
    assert dialog.recording_combo.currentText().startswith("Home visit with Lara, ")
    dialog.time_edit.setText("1:5")
    save(qtbot, dialog, runner)
    assert "minutes:seconds" in dialog.message.text()
    dialog.time_edit.setText("02:30")  # the recording is 1:30 long: the core says so
    save(qtbot, dialog, runner)
    assert "outside the recording" in dialog.message.text()
    dialog.time_edit.setText("01:05")
    save(qtbot, dialog, runner)
    qtbot.waitUntil(lambda: gone(dialog), timeout=3000)
    verbal = service.consent.records(people["lara"])[-1]
    assert verbal.method == "verbal" and verbal.recording_id == recording_id
    assert verbal.recording_offset == 65.0


def test_a_child_needs_a_parents_consent_and_their_own_assent(
    qtbot, make_window: WindowFactory, service: StoreService, runner, people
) -> None:
    window = make_window()
    editor = open_editor(qtbot, window, "Jay")
    assert "no consent" in editor.badges.texts()[0]
    dialog = take_consent(qtbot, editor)
    assert dialog.party_parent.isChecked() and dialog.party_box.isVisibleTo(dialog)
    assert dialog.form_combo.currentText() == (
        "Parent or carer consent for a child to take part (v1.0)"
    )
    qtbot.waitUntil(lambda: dialog.given_by.count() > 0, timeout=3000)
    assert dialog.given_by.itemText(0) == "Marianne (Mother)"  # the family's parent
    dialog.items.answer_all(True)
    sign(qtbot, dialog)
    save(qtbot, dialog, runner)
    assert "which parent or carer" in dialog.message.text()
    dialog.given_by.setCurrentIndex(0)
    save(qtbot, dialog, runner)
    qtbot.waitUntil(lambda: gone(dialog), timeout=3000)
    [parent] = service.consent.records(people["jay"])
    assert parent.party == "parent" and parent.given_by == "Marianne (Mother)"
    state = service.consent.state(people["jay"])
    assert not state.allows("audio-recording") and state.missing == ("no assent from the child",)

    qtbot.waitUntil(lambda: editor.records_model.rowCount() == 1, timeout=3000)
    dialog = take_consent(qtbot, editor)
    qtbot.mouseClick(dialog.party_assent, LEFT)
    assert dialog.form_combo.currentText() == "Child's agreement (assent) form (v1.0)"
    assert not dialog.given_by.isVisibleTo(dialog)
    assert [r.item.id for r in dialog.items.rows][:2] == ["understood", "take-part"]
    dialog.items.answer_all(True)
    sign(qtbot, dialog)
    save(qtbot, dialog, runner)
    qtbot.waitUntil(lambda: gone(dialog), timeout=3000)
    assert service.consent.state(people["jay"]).allows("audio-recording")
    qtbot.waitUntil(lambda: editor.records_model.rowCount() == 2, timeout=3000)
    assert editor.badges.texts() == ["Jay (Son): recording ✓ quotes ✓ archive ✓"]
    assert editor.records_model.index(1, 3).data() == "the child's own assent"


def test_the_certificate_is_shown_and_saved_only_where_chosen(
    qtbot, make_window: WindowFactory, service: StoreService, runner, people, tmp_path
) -> None:
    window = make_window()
    editor = open_editor(qtbot, window, "Lara")
    dialog = take_consent(qtbot, editor)
    dialog.items.answer_all(True)
    sign(qtbot, dialog)
    save(qtbot, dialog, runner)
    qtbot.waitUntil(lambda: editor.view_button.isEnabled(), timeout=3000)
    qtbot.mouseClick(editor.view_button, LEFT)
    viewer = editor.dialog
    assert isinstance(viewer, ConsentCertificateDialog)
    qtbot.waitUntil(lambda: len(viewer.page_labels) >= 1, timeout=10_000)
    pixmap = viewer.page_labels[0].pixmap()
    assert not pixmap.isNull() and pixmap.width() > 500
    assert "Signed on screen" in viewer.details.text()
    assert "Signature drawn on screen" in viewer.evidence.text()

    target = tmp_path / "out" / "lara-consent.pdf"
    target.parent.mkdir()
    viewer.choose_file = lambda _parent, _name: None  # cancelled: nothing written
    qtbot.mouseClick(viewer.save_button, LEFT)
    runner.wait_idle()
    assert list(target.parent.iterdir()) == []
    viewer.choose_file = lambda _parent, name: str(target)
    qtbot.mouseClick(viewer.save_button, LEFT)
    runner.wait_idle()
    assert target.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "not encrypted" in viewer.message.text()
    [event] = [e for e in service.audit_events() if e.action == "consent_certificate_saved"]
    assert event.detail["path"] == str(target)

    viewer.save_to(tmp_path / "missing-folder" / "x.pdf")
    runner.wait_idle()
    assert "Cannot write" in viewer.message.text()


def test_withdrawing_their_data_needs_confirmation_and_deletes(
    qtbot, make_window: WindowFactory, service: StoreService, runner, people
) -> None:
    assert service.search("zebraword")
    window = make_window()
    editor = open_editor(qtbot, window, "Lara")
    qtbot.mouseClick(editor.withdraw_button, LEFT)
    dialog = editor.dialog
    assert isinstance(dialog, WithdrawalDialog)
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=3000)
    assert "takes no further part" in dialog.plan_text.toPlainText()
    dialog.all.click()
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.plan.scope == "all", timeout=3000)
    plan = dialog.plan_text.toPlainText()
    assert "the session “Home visit with Lara”" in plan and "1 fieldnote(s)" in plan
    assert dialog.withdraw_button.text() == "Withdraw and delete"
    assert not dialog.withdraw_button.isEnabled()
    qtbot.keyClicks(dialog.confirm, "Lar")
    assert not dialog.withdraw_button.isEnabled()
    dialog.submit()  # (as if the button were pressed anyway)
    assert "Type the pseudonym Lara" in dialog.message.text()

    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), LEFT)
    runner.wait_idle()
    assert gone(dialog)
    assert not service.get_participant(people["lara"]).is_withdrawn
    assert service.search("zebraword")

    qtbot.mouseClick(editor.withdraw_button, LEFT)
    dialog = editor.dialog
    assert isinstance(dialog, WithdrawalDialog)
    dialog.all.click()
    qtbot.keyClicks(dialog.confirm, "lara")
    qtbot.waitUntil(lambda: dialog.withdraw_button.isEnabled(), timeout=3000)
    qtbot.mouseClick(dialog.withdraw_button, LEFT)
    assert dialog.busy.isVisible()
    runner.wait_idle(30_000)
    qtbot.waitUntil(lambda: gone(dialog), timeout=5000)
    assert service.search("zebraword") == []
    assert service.search("zebraword", SearchFilters(participant_id=people["lara"])) == []
    assert service.get_participant(people["lara"]).withdrawal_scope == "all"

    qtbot.waitUntil(lambda: editor.banner.isVisible(), timeout=3000)
    assert "their data was deleted" in editor.banner.text()
    assert not editor.take_button.isEnabled() and not editor.withdraw_button.isEnabled()
    assert editor.badges.badges[0].tone == "withdrawn"
    assert "WITHDRAWN" in editor.badges.texts()[0]
    view = window.workspace.participants
    row = view.model.row_of(lambda p: p.pseudonym == "Lara")
    qtbot.waitUntil(lambda: "withdrawn" in view.model.index(row, 5).data(), timeout=3000)
    grey = view.model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole)
    assert grey is not None and grey.color().name() == "#8a8f98"
    assert "1 withdrawn" in view.count_label.text()


def test_withdrawing_from_further_participation_keeps_the_data(
    qtbot, make_window: WindowFactory, service: StoreService, runner, people
) -> None:
    window = make_window()
    editor = open_editor(qtbot, window, "Lara")
    qtbot.mouseClick(editor.withdraw_button, LEFT)
    dialog = editor.dialog
    assert isinstance(dialog, WithdrawalDialog)
    dialog.note.setText("asked by phone")
    qtbot.waitUntil(lambda: dialog.withdraw_button.isEnabled(), timeout=3000)
    assert dialog.withdraw_button.text() == "Withdraw" and not dialog.confirm.isVisibleTo(dialog)
    qtbot.mouseClick(dialog.withdraw_button, LEFT)
    runner.wait_idle()
    qtbot.waitUntil(lambda: editor.banner.isVisible(), timeout=3000)
    assert "no further participation" in editor.banner.text()
    assert not editor.take_button.isEnabled() and editor.withdraw_button.isEnabled()
    assert service.search("zebraword")  # kept

    # Withdrawing again: only "their data too" is left.
    qtbot.mouseClick(editor.withdraw_button, LEFT)
    dialog = editor.dialog
    assert isinstance(dialog, WithdrawalDialog)
    assert dialog.all.isChecked() and not dialog.future.isEnabled()
    dialog.reject()


def test_register_fields_are_saved(
    qtbot, make_window: WindowFactory, service: StoreService, runner, people
) -> None:
    site = service.register.add_site("Riverside recovery service", "drug-treatment")
    window = make_window()
    editor = open_editor(qtbot, window, "Lara")
    qtbot.waitUntil(lambda: editor.site.count() == 2, timeout=3000)
    assert editor.on_ost.isVisibleTo(editor) and not editor.sector.isVisibleTo(editor)
    editor.age_band.setText("25 - 34")
    editor.on_ost.setCurrentIndex(editor.on_ost.findText("Yes"))
    editor.site.setCurrentIndex(editor.site.findData(site.id))
    editor.family.setCurrentIndex(editor.family.findText("Family B"))
    qtbot.mouseClick(editor.save_button, LEFT)
    qtbot.waitUntil(lambda: gone(editor), timeout=3000)
    lara = service.get_participant(people["lara"])
    assert (lara.age_band, lara.on_ost, lara.site_id) == ("25-34", True, site.id)
    assert lara.family_id == service.register.list_families()[0].id

    runner.wait_idle()  # the list shows the saved participant
    editor = open_editor(qtbot, window, "Lara")
    qtbot.waitUntil(lambda: editor.site.currentData() == site.id, timeout=3000)
    assert editor.on_ost.currentText() == "Yes" and editor.age_band.text() == "25-34"
    editor.kind.setCurrentIndex(editor.kind.findData("professional"))
    assert editor.sector.isVisibleTo(editor) and not editor.on_ost.isVisibleTo(editor)
    editor.sector.setEditText("Health")
    editor.age_band.setText("old")
    qtbot.mouseClick(editor.save_button, LEFT)
    runner.wait_idle()
    assert "should look like 25-34" in editor.message.text() and editor.isVisible()
    assert service.get_participant(people["lara"]).kind == "parent"  # nothing changed
    editor.age_band.setText("35-44")
    qtbot.mouseClick(editor.save_button, LEFT)
    qtbot.waitUntil(lambda: gone(editor), timeout=3000)
    lara = service.get_participant(people["lara"])
    assert (lara.kind, lara.sector, lara.on_ost) == ("professional", "Health", None)


def test_a_new_participant_has_no_consent_section(qtbot, make_window: WindowFactory) -> None:
    window = make_window()
    view = window.workspace.participants
    view.add_participant()
    editor = view.editor_dialog
    assert editor is not None and not editor.consent_box.isVisibleTo(editor)


@pytest.mark.skipif(
    os.environ.get("RELATIONS_SCREENSHOTS") != "1", reason="set RELATIONS_SCREENSHOTS=1"
)
def test_consent_dialog_screenshot(qtbot, make_window: WindowFactory, people) -> None:
    window = make_window()
    dialog = take_consent(qtbot, open_editor(qtbot, window, "Lara"))
    dialog.resize(760, 900)
    dialog.items.answer_all(True)
    dialog.items.answer("archiving", False)
    draw_signature(qtbot, dialog)
    qtbot.wait(50)
    DOCS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(DOCS / "consent-dialog.png"))
