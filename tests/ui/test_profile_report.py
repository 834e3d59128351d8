"""The profile report page against a register that mirrors the study's summary slides;
and the screenshots of the register and the report (``RELATIONS_SCREENSHOTS=1`` writes
docs/screenshots/register.png and profile-report.png)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.profile_report import ProfileReportView
from relations_desktop.ui.views.register import FAMILIES
from relations_desktop.ui.workspace import PROFILE, REGISTER, SESSIONS
from tests.profile_fixture import EXPECTED, build_profile_register
from tests.ui.conftest import FAST, WindowFactory, all_texts

CTRL = Qt.KeyboardModifier.ControlModifier
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# (card, row) → what the page must show for the fixture.
SLIDES = {
    ("Parents", "Total"): "16",
    ("Parents", "Mothers"): "10",
    ("Parents", "Fathers"): "6",
    ("Parents", "Age range"): "22–52",
    ("Parents", "On opioid substitution therapy"): "9",
    ("Families", "Total"): "12",
    ("Families", "Co-habiting"): "5",
    ("Families", "Single parent"): "4",
    ("Families", "Co-parenting apart"): "2",
    ("Families", "Not recorded"): "1",
    ("Children", "Total"): "25",
    ("Children", "Aged 16 and under"): "14",
    ("Children", "Adult (18 and over)"): "11",
    ("Children", "With parents"): "9",
    ("Children", "With the other parent"): "4",
    ("Children", "Foster care"): "5",
    ("Children", "Kinship care"): "5",
    ("Children", "Adopted"): "2",
    ("Children", "Child protection, current"): "8",
    ("Children", "Child protection, past"): "10",
    ("Children", "Family support"): "6",
    ("Sites", "Total"): "12",
    ("Sites", "Drug treatment"): "4",
    ("Sites", "Child protection"): "3",
    ("Sites", "Family support"): "3",
    ("Sites", "Pregnancy services"): "2",
    ("Professionals", "Total"): "19",
    ("Professionals", "Health"): "8",
    ("Professionals", "Social work"): "6",
    ("Professionals", "Third sector"): "5",
}


def shown_facts(view: ProfileReportView) -> dict[tuple[str, str], str]:
    """Read back from the labels on screen (their accessible names), not the model."""
    from PySide6.QtWidgets import QLabel

    facts: dict[tuple[str, str], str] = {}
    for label in view.findChildren(QLabel):
        name = label.accessibleName()
        if ": " in name and label.isVisibleTo(view):
            card, row = name.split(": ", 1)
            facts[(card, "Total" if row == "total" else row)] = label.text()
    return facts


def test_the_profile_report_shows_the_studys_slides(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    build_profile_register(service)
    assert service.register.profile_report() == EXPECTED

    window = make_window()
    qtbot.keyClick(window, Qt.Key.Key_5, CTRL)
    assert window.workspace.current_page == PROFILE
    view = window.workspace.profile
    qtbot.waitUntil(lambda: view.report is not None, timeout=3000)
    assert view.report == EXPECTED
    shown = shown_facts(view)
    for key, value in SLIDES.items():
        assert shown.get(key) == value, key
    texts = all_texts()
    for words in ("Living arrangements", "Involvement with services", "Study profile"):
        assert words in texts

    qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == "\n".join(EXPECTED.lines())
    assert copied.startswith("Parents: 16 (10 mothers, 6 fathers, aged 22–52); 9 on opioid")
    assert "copied" in window.statusBar().currentMessage()


def test_the_report_is_read_again_when_shown(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    window = make_window()
    window.workspace.show_page(PROFILE)
    view = window.workspace.profile
    qtbot.waitUntil(lambda: view.report is not None, timeout=3000)
    assert view.fact("Parents") == "0"
    assert view.fact("Parents", "Age range") == "Not recorded"

    window.workspace.show_page(SESSIONS)
    runner.wait_idle()
    service.add_participant("Lara", "Mother", age_band="25-34", on_ost=True)
    service.add_participant("Ailsa", "Health Visitor", kind="professional")
    window.workspace.show_page(PROFILE)
    qtbot.waitUntil(lambda: view.fact("Parents") == "1", timeout=3000)
    assert view.fact("Parents", "On opioid substitution therapy") == "1"
    assert view.fact("Parents", "Age range") == "25–34"
    assert view.fact("Professionals", "Not recorded") == "1"  # no sector given
    assert shown_facts(view)[("Parents", "Mothers")] == "1"


@pytest.fixture
def named_service(store_dir: Path, passphrase: str) -> Iterator[StoreService]:
    with StoreService.create(
        store_dir, passphrase, researcher_name="Mhairi Campbell", project_name="Relations study"
    ) as svc:
        yield svc


@pytest.mark.skipif(
    os.environ.get("RELATIONS_SCREENSHOTS") != "1", reason="set RELATIONS_SCREENSHOTS=1"
)
def test_register_and_profile_screenshots(
    qtbot, named_service: StoreService, runner: TaskRunner
) -> None:
    from relations_desktop.ui.context import AppContext
    from relations_desktop.ui.main_window import MainWindow

    service = named_service
    ids = build_profile_register(service)
    family = ids.families[0]  # Family A: Lara and Stevie, three children
    window = MainWindow(AppContext(service, runner, FAST))
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    runner.wait_idle()

    window.workspace.show_page(REGISTER)
    register = window.workspace.register
    register.show_tab(FAMILIES)
    families = register.families
    qtbot.waitUntil(lambda: families.model.rowCount() == 12, timeout=3000)
    assert families.select_id(family)
    qtbot.waitUntil(lambda: len(families.children_editor.rows) == 3, timeout=3000)
    families.table.setFocus()
    window.statusBar().clearMessage()
    qtbot.wait(80)
    DOCS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(DOCS / "register.png"))

    window.workspace.show_page(PROFILE)
    view = window.workspace.profile
    qtbot.waitUntil(lambda: view.report is not None, timeout=3000)
    window.statusBar().clearMessage()
    qtbot.wait(80)
    assert window.grab().save(str(DOCS / "profile-report.png"))
    window.close()
    runner.wait_idle()
