"""The audit log page: read only, newest first, filtered by action or target."""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QPushButton

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.audit_log import AuditLogView
from relations_desktop.ui.workspace import AUDIT
from tests.consent_data import give_adult_consent
from tests.ui.conftest import WindowFactory, all_texts

CTRL = Qt.KeyboardModifier.ControlModifier


def shown_rows(view: AuditLogView) -> list[list[str]]:
    model = view.table.model()
    return [
        [str(model.index(row, col).data()) for col in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def test_a_consent_event_is_shown_and_nothing_can_be_edited(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    lara = service.add_participant("Lara", "Mother", region="Scotland", real_name="Jane Realname")
    window = make_window()
    runner.wait_idle()
    give_adult_consent(service, lara.id)  # the runner is idle: the store is free
    before = service.audit_events(1000)

    qtbot.keyClick(window, Qt.Key.Key_6, CTRL)
    assert window.workspace.current_page == AUDIT
    view = window.workspace.audit
    qtbot.waitUntil(lambda: view.model.rowCount() == len(before), timeout=3000)
    newest = shown_rows(view)[0]
    assert newest[1:4] == ["Test Researcher", "Consent recorded", "participant Lara (Mother)"]
    assert "method=signed" in newest[4] and "party=self" in newest[4]
    at = before[0].at.replace(tzinfo=UTC).astimezone()  # stored in UTC, shown local
    assert newest[0] == f"{at.day} {at:%b %Y %H:%M:%S}"
    assert [r[2] for r in shown_rows(view)][-1] == "Store created"  # oldest last
    assert "Jane Realname" not in all_texts()

    # No way to change anything: no editing, no writing buttons, only the filter to type in.
    assert view.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    model = view.table.model()
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            flags = model.flags(model.index(row, col))
            assert not flags & Qt.ItemFlag.ItemIsEditable
    assert not model.setData(model.index(0, 2), "Nothing happened")
    assert [b.text() for b in view.findChildren(QPushButton)] == ["Load more"]
    assert view.findChildren(QLineEdit) == [view.filter]
    rect = view.table.visualRect(model.index(0, 2))
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.keyClicks(view.table, "edited")
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    qtbot.keyClick(view.table, Qt.Key.Key_F2)
    runner.wait_idle()
    assert shown_rows(view)[0] == newest
    assert service.audit_events(1000) == before


def test_the_filter_narrows_by_action_or_target(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, passphrase: str
) -> None:
    service.lock()
    service.unlock(passphrase)
    lara = service.add_participant("Lara", "Mother")
    marianne = service.add_participant("Marianne", "Mother")
    give_adult_consent(service, lara.id)
    give_adult_consent(service, marianne.id)
    window = make_window()
    window.workspace.show_page(AUDIT)
    view = window.workspace.audit
    qtbot.waitUntil(lambda: view.model.rowCount() >= 4, timeout=3000)
    total = view.model.rowCount()

    qtbot.keyClicks(view.filter, "consent")
    assert [r[2] for r in shown_rows(view)] == ["Consent recorded", "Consent recorded"]
    assert view.count_label.text() == f"2 of {total} events match"
    view.filter.clear()
    qtbot.keyClicks(view.filter, "marianne")
    assert [r[3] for r in shown_rows(view)] == ["participant Marianne (Mother)"]
    view.filter.clear()
    qtbot.keyClicks(view.filter, "store unlocked")
    assert [r[2] for r in shown_rows(view)] == ["Store unlocked"]
    view.filter.clear()
    qtbot.keyClicks(view.filter, "no such thing")
    assert shown_rows(view) == []
    assert view.count_label.text() == f"0 of {total} events match"
    view.filter.clear()
    assert view.model.rowCount() == total


def test_load_more_reads_further_back(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    for name in ("Lara", "Marianne", "Shona"):
        give_adult_consent(service, service.add_participant(name, "Mother").id)
    window = make_window()
    view = window.workspace.audit
    view.limit = 2
    window.workspace.show_page(AUDIT)
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=3000)
    assert view.more_button.isVisible()
    assert "Load more" in view.count_label.text()
    assert [r[3] for r in shown_rows(view)] == [
        "participant Shona (Mother)",
        "participant Marianne (Mother)",
    ]
    qtbot.mouseClick(view.more_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.model.rowCount() > 2, timeout=3000)
    assert view.model.rowCount() == len(service.audit_events(1000))
    assert not view.more_button.isVisible()
