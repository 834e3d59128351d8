"""Participants: add and edit through the dialog; the real name is never shown."""

from __future__ import annotations

from PySide6.QtCore import Qt

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.workspace import PARTICIPANTS
from tests.ui.conftest import WindowFactory, all_texts


def test_add_and_edit_a_participant(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    window = make_window()
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.workspace.current_page == PARTICIPANTS
    view = window.workspace.participants
    runner.wait_idle()
    assert "No participants yet" in view.count_label.text()

    view.add_participant()
    dialog = view.editor_dialog
    assert [dialog.role.itemText(i) for i in range(dialog.role.count())][:2] == ["Mother", "Father"]
    assert dialog.role.findText("Third Sector Family Support Worker") >= 0
    qtbot.keyClicks(dialog.pseudonym, "Marianne")
    dialog.role.setEditText("Mother")
    dialog.region.setEditText("England")
    qtbot.keyClicks(dialog.real_name, "Jane Realname")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=3000)

    stored = service.list_participants()[0]
    assert (stored.pseudonym, stored.role_label, stored.region) == ("Marianne", "Mother", "England")
    assert service.real_name(stored.id) == "Jane Realname"
    row = [view.model.index(0, c).data() for c in range(5)]
    assert row == ["Marianne", "Mother", "England", "Parent", "Yes"]
    assert "Jane Realname" not in all_texts()

    # Editing shows no real name either; an empty field keeps it.
    view.table.selectRow(0)
    view.edit_selected()
    dialog = view.editor_dialog
    assert dialog.pseudonym.text() == "Marianne" and dialog.real_name.text() == ""
    assert "Jane Realname" not in all_texts()
    dialog.region.setEditText("Scotland")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.model.index(0, 2).data() == "Scotland", timeout=3000)
    assert service.real_name(stored.id) == "Jane Realname"


def test_participant_needs_a_pseudonym_and_a_role(qtbot, make_window: WindowFactory) -> None:
    window = make_window()
    view = window.workspace.participants
    view.add_participant()
    dialog = view.editor_dialog
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "pseudonym" in dialog.message.text()
    qtbot.keyClicks(dialog.pseudonym, "Lara")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "role" in dialog.message.text()
