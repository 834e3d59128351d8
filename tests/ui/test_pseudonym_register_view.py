"""The pseudonym register tab: seeded entries are read-only, add / refuse a duplicate /
change / search / remove, keyboard only; real strings never reach the status bar."""

from __future__ import annotations

from PySide6.QtCore import Qt

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.pseudonym_register import (
    FROM_PARTICIPANT,
    READ_ONLY_TEXT,
    PseudonymRegisterView,
)
from relations_desktop.ui.views.review_page import REGISTER_TAB
from relations_desktop.ui.workspace import REVIEW
from tests.ui.conftest import WindowFactory, all_texts

CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton


def rows(view: PseudonymRegisterView) -> list[list[str]]:
    model = view.table.model()
    return [
        [str(model.index(row, col).data()) for col in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def select(view: PseudonymRegisterView, real: str) -> None:
    row = view.model.row_of(lambda e: e.real == real)
    assert row >= 0, real
    view.table.selectRow(row)


def test_the_register_adds_refuses_a_duplicate_changes_and_removes(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    window = make_window()
    messages: list[str] = []
    window.workspace.status_message.connect(messages.append)
    window.workspace.show_page(REVIEW)
    page = window.workspace.review
    page.show_tab(REGISTER_TAB)
    view = page.pseudonyms
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=3000)
    header = [
        view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)
    ]  # fmt: skip
    assert header == ["Real", "Replacement", "Kind", "Notes", FROM_PARTICIPANT]
    # Seeded from Lara's real name (“Real Person”), marked, and read-only with the reason.
    assert rows(view) == [
        ["Person", "[surname]", "Surname", "", "Yes"],
        ["Real", "Lara", "First name", "", "Yes"],
        ["Real Person", "Lara", "Full name", "", "Yes"],
    ]
    select(view, "Real Person")
    assert view.real.text() == "Real Person" and not view.real.isEnabled()
    assert not view.save_button.isEnabled() and not view.remove_button.isEnabled()
    assert not view.read_only_note.isHidden() and view.read_only_note.text() == READ_ONLY_TEXT
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert view.message.text() == READ_ONLY_TEXT
    runner.wait_idle()
    assert len(service.pseudonyms.list()) == 3

    # Add, from the keyboard: Ctrl+N, the fields, Return.
    qtbot.keyClick(view.table, Qt.Key.Key_N, CTRL)
    assert view.editing is None and view.real.hasFocus() and view.real.isEnabled()
    assert view.save_button.text() == "Add" and view.read_only_note.isHidden()
    qtbot.keyClicks(view.real, "Govan")
    qtbot.keyClicks(view.replacement, "[area of the city]")
    view.kind.setCurrentIndex(view.kind.findData("place"))
    qtbot.keyClicks(view.notes, "where the family lives")
    qtbot.keyClick(view.notes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.model.rowCount() == 4, timeout=3000)
    assert ["Govan", "[area of the city]", "Place", "where the family lives", ""] in rows(view)
    assert view.message.text() == "Added: “Govan” → [area of the city]."
    assert view.editing is not None and view.editing.real == "Govan"
    runner.wait_idle()
    assert {(e.real, e.replacement, e.kind) for e in service.pseudonyms.list()} >= {
        ("Govan", "[area of the city]", "place")
    }

    # The same string again (another case): the core's refusal, shown inline; no change.
    qtbot.mouseClick(view.new_button, LEFT)
    qtbot.keyClicks(view.real, "govan")
    qtbot.keyClicks(view.replacement, "[town]")
    qtbot.mouseClick(view.save_button, LEFT)
    qtbot.waitUntil(lambda: view.message.property("tone") == "error", timeout=3000)
    assert view.message.text() == (
        "“govan” is already in the register (→ [area of the city]); change that entry instead."
    )
    runner.wait_idle()
    assert len(service.pseudonyms.list()) == 4
    assert view.real.text() == "govan"  # what was typed stays, to correct

    # Change it (Ctrl+S), and the change is kept.
    select(view, "Govan")
    view.replacement.setFocus()
    view.replacement.selectAll()
    qtbot.keyClicks(view.replacement, "[district]")
    qtbot.keyClick(view.replacement, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: view.message.text() == "Saved: “Govan” → [district].", timeout=3000)
    runner.wait_idle()
    assert next(e for e in service.pseudonyms.list() if e.real == "Govan").replacement == (
        "[district]"
    )
    # Renaming it to a string that has an entry already is refused the same way.
    view.real.selectAll()
    qtbot.keyClicks(view.real, "real person")
    qtbot.keyClick(view.real, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.message.property("tone") == "error", timeout=3000)
    assert view.message.text() == (
        "“real person” is already in the register (→ Lara); change that entry instead."
    )
    runner.wait_idle()
    assert {e.real for e in service.pseudonyms.list()} == {"Govan", "Real Person", "Real", "Person"}

    # Search narrows the table.
    qtbot.keyClicks(view.search, "district")
    assert [r[0] for r in rows(view)] == ["Govan"]
    assert view.count_label.text() == "1 of 4 entries match"
    view.search.clear()
    assert view.model.rowCount() == 4

    # Remove (Delete in the table).
    select(view, "Govan")
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=3000)
    assert view.message.text() == "Removed “Govan” from the register."
    runner.wait_idle()
    assert all(e.real != "Govan" for e in service.pseudonyms.list())

    # Real strings: on this screen only.
    shown = [window.windowTitle(), window.statusBar().currentMessage(), *messages]
    assert messages and not any("Govan" in t or "Real Person" in t for t in shown)
    window.lock()
    runner.wait_idle()
    texts = all_texts(flush=False) + all_texts()
    assert "Govan" not in texts and "Real Person" not in texts
