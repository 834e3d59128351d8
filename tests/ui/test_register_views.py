"""The register page: sites and families with their children, driven by keys and clicks;
and the researcher's own profile."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from relations_desktop.core.services import StoreService
from relations_desktop.ui.dialogs.researcher_profile import ResearcherProfileDialog
from relations_desktop.ui.main_window import MainWindow
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.families import FamiliesPanel
from relations_desktop.ui.views.register import FAMILIES, SITES
from relations_desktop.ui.views.sites import SitesPanel
from relations_desktop.ui.workspace import REGISTER
from tests.ui.conftest import WindowFactory

CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton


def choose(combo: QComboBox, text: str) -> None:
    """Pick an item by the words it shows (as a researcher would)."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not offered: {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)


def open_register(qtbot, window: MainWindow, runner: TaskRunner, tab: int) -> None:
    qtbot.keyClick(window, Qt.Key.Key_4, CTRL)
    assert window.workspace.current_page == REGISTER
    view = window.workspace.register
    if view.tabs.currentIndex() != tab:
        bar = view.tabs.tabBar()
        qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(tab).center())
    assert view.tabs.currentIndex() == tab
    runner.wait_idle()


def families_panel(window: MainWindow) -> FamiliesPanel:
    panel = window.workspace.register.families
    assert isinstance(panel, FamiliesPanel)
    return panel


def sites_panel(window: MainWindow) -> SitesPanel:
    panel = window.workspace.register.sites
    assert isinstance(panel, SitesPanel)
    return panel


def test_add_a_site_and_a_family_with_two_children(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    window = make_window()
    assert window.workspace.nav.item(REGISTER).text() == "Register"
    open_register(qtbot, window, runner, SITES)
    sites = sites_panel(window)
    assert "No sites yet" in sites.empty_hint.text()

    sites.table.setFocus()
    qtbot.keyClick(sites.table, Qt.Key.Key_N, CTRL)  # the register's, not a new session
    assert window.workspace.sessions.editor_dialog is None
    assert sites.editing and sites.editor_title.text() == "New site"
    assert sites.name.hasFocus()
    labels = [sites.site_type.itemText(i) for i in range(sites.site_type.count())]
    assert labels[:4] == [
        "Drug treatment",
        "Child protection",
        "Family support",
        "Pregnancy services",
    ]
    qtbot.keyClicks(sites.name, "Riverside Recovery Service")
    choose(sites.site_type, "Drug treatment")
    qtbot.keyClicks(sites.region.lineEdit(), "Scotland")
    assert sites.state_label.text() == "Unsaved changes"
    qtbot.keyClick(sites.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sites.model.rowCount() == 1, timeout=3000)
    (site,) = service.register.list_sites()
    assert (site.name, site.site_type, site.region) == (
        "Riverside Recovery Service",
        "drug-treatment",
        "Scotland",
    )
    assert [sites.model.index(0, c).data() for c in range(3)] == [
        "Riverside Recovery Service",
        "Drug treatment",
        "Scotland",
    ]
    assert "saved" in window.statusBar().currentMessage()

    open_register(qtbot, window, runner, FAMILIES)
    families = families_panel(window)
    assert "No families yet" in families.empty_hint.text()
    qtbot.mouseClick(families.add_button, LEFT)
    qtbot.keyClicks(families.label, "Family A")
    households = [families.household.itemText(i) for i in range(families.household.count())]
    assert households == ["Not recorded", "Co-habiting", "Single parent", "Co-parenting apart"]
    choose(families.household, "Single parent")
    qtbot.keyClicks(families.region.lineEdit(), "Scotland")
    choose(families.site, "Riverside Recovery Service")

    children = families.children_editor
    qtbot.mouseClick(children.add_button, LEFT)
    first = children.rows[0]
    assert "never a name" in first.label.placeholderText()
    qtbot.keyClicks(first.label, "primary school aged daughter")
    qtbot.keyClicks(first.age_band, "7")
    choose(first.living, "Kinship care")
    choose(first.protection, "Current")
    qtbot.mouseClick(first.support, LEFT)
    qtbot.mouseClick(children.add_button, LEFT)
    second = children.rows[1]
    qtbot.keyClicks(second.label, "teenage son")
    qtbot.keyClicks(second.age_band, "13 - 15")
    choose(second.living, "With the other parent")
    choose(second.protection, "Past")
    assert children.table.rowCount() == 2
    qtbot.mouseClick(families.save_button, LEFT)
    qtbot.waitUntil(lambda: families.model.rowCount() == 1, timeout=3000)
    runner.wait_idle()

    (family,) = service.register.list_families()
    assert (family.label, family.household, family.region, family.site_id) == (
        "Family A",
        "single-parent",
        "Scotland",
        site.id,
    )
    stored = [
        (c.label, c.age_band, c.living_arrangement, c.child_protection, c.family_support)
        for c in family.children
    ]
    assert stored == [
        ("primary school aged daughter", "7", "kinship-care", "current", True),
        ("teenage son", "13-15", "with-other-parent", "past", False),
    ]
    row = [families.model.index(0, c).data() for c in range(3)]
    assert row == ["Family A", "Single parent", "2"]
    # The editor now holds the stored children: saving again makes nothing twice.
    assert [r.child_id for r in children.rows] == [c.id for c in family.children]
    assert not families.dirty
    qtbot.keyClicks(children.rows[1].label, " (eldest)")
    qtbot.keyClick(families, Qt.Key.Key_S, CTRL)
    runner.wait_idle()
    (family,) = service.register.list_families()
    assert [c.label for c in family.children] == [
        "primary school aged daughter",
        "teenage son (eldest)",
    ]


def test_a_bad_age_band_is_explained_and_nothing_is_saved(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    existing = service.register.add_family("Family B", household="co-habiting")
    window = make_window()
    open_register(qtbot, window, runner, FAMILIES)
    families = families_panel(window)
    qtbot.waitUntil(lambda: families.current is not None, timeout=3000)
    assert families.label.text() == "Family B"

    children = families.children_editor
    qtbot.mouseClick(children.add_button, LEFT)
    qtbot.keyClicks(children.rows[0].label, "baby son")
    qtbot.keyClicks(children.rows[0].age_band, "about twelve")
    qtbot.mouseClick(families.save_button, LEFT)
    runner.wait_idle()
    assert families.message.isVisible()
    assert "Child 1: Age band 'about twelve' should look like 25-34, 55+ or 7." in (
        families.message.text()
    )
    assert service.register.get_family(existing.id).children == ()

    # Neither does adding another family go ahead over it: the changes stay on screen.
    qtbot.mouseClick(families.add_button, LEFT)
    assert families.current is not None and families.current.id == existing.id
    assert children.rows[0].age_band.text() == "about twelve"
    assert "Fix it, or discard the changes" in families.message.text()
    runner.wait_idle()
    assert len(service.register.list_families()) == 1

    # A band that ends before it starts is the core's message too.
    children.rows[0].age_band.clear()
    qtbot.keyClicks(children.rows[0].age_band, "16-4")
    qtbot.mouseClick(families.save_button, LEFT)
    assert "ends before it starts" in families.message.text()
    assert service.register.get_family(existing.id).children == ()

    children.rows[0].age_band.clear()
    qtbot.keyClicks(children.rows[0].age_band, "0-1")
    qtbot.mouseClick(families.save_button, LEFT)
    runner.wait_idle()
    assert not families.message.isVisible()
    assert [c.age_band for c in service.register.get_family(existing.id).children] == ["0-1"]


def test_a_new_family_with_a_bad_age_band_is_not_stored_at_all(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    window = make_window()
    open_register(qtbot, window, runner, FAMILIES)
    families = families_panel(window)
    families.table.setFocus()
    qtbot.keyClick(families.table, Qt.Key.Key_N, CTRL)
    qtbot.keyClicks(families.label, "Family C")
    qtbot.mouseClick(families.children_editor.add_button, LEFT)
    qtbot.keyClicks(families.children_editor.rows[0].age_band, "7 years")
    qtbot.keyClick(families.label, Qt.Key.Key_Return)
    runner.wait_idle()
    assert "should look like 25-34, 55+ or 7" in families.message.text()
    assert service.register.list_families() == []
    assert families.model.rowCount() == 0


def test_a_site_and_a_family_need_a_name(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    window = make_window()
    open_register(qtbot, window, runner, SITES)
    sites = sites_panel(window)
    qtbot.mouseClick(sites.add_button, LEFT)
    qtbot.keyClicks(sites.region.lineEdit(), "England")
    qtbot.mouseClick(sites.save_button, LEFT)
    runner.wait_idle()
    assert sites.message.text() == "Give the site a name."
    assert service.register.list_sites() == []

    open_register(qtbot, window, runner, FAMILIES)
    families = families_panel(window)
    qtbot.mouseClick(families.add_button, LEFT)
    choose(families.household, "Co-habiting")
    qtbot.mouseClick(families.save_button, LEFT)
    runner.wait_idle()
    assert families.message.text() == "Give the family a label, such as Family A."
    assert service.register.list_families() == []


def test_remove_a_child_and_undo_then_save(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    family = service.register.add_family("Family D", household="single-parent")
    service.register.add_child(family.id, "foster-care", age_band="2", label="toddler son")
    service.register.add_child(
        family.id, "with-parents", age_band="11-16", label="teenage daughter", family_support=True
    )
    window = make_window()
    open_register(qtbot, window, runner, FAMILIES)
    families = families_panel(window)
    children = families.children_editor
    qtbot.waitUntil(lambda: len(children.rows) == 2, timeout=3000)
    assert not children.undo_button.isEnabled()

    qtbot.mouseClick(children.rows[0].remove, LEFT)
    assert [r.label.text() for r in children.rows] == ["teenage daughter"]
    assert families.dirty and children.undo_button.isEnabled()
    qtbot.mouseClick(children.undo_button, LEFT)
    assert [r.label.text() for r in children.rows] == ["toddler son", "teenage daughter"]
    assert children.rows[0].living.currentData() == "foster-care"
    assert len(service.register.get_family(family.id).children) == 2  # nothing saved yet

    qtbot.mouseClick(children.rows[1].remove, LEFT)
    qtbot.mouseClick(families.save_button, LEFT)
    runner.wait_idle()
    stored = service.register.get_family(family.id).children
    assert [(c.label, c.age_band) for c in stored] == [("toddler son", "2")]
    assert [r.label.text() for r in children.rows] == ["toddler son"]
    assert families.model.index(0, 2).data() == "1"


def test_members_are_listed_and_changes_are_kept_when_moving_on(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    first = service.register.add_family("Family E")
    service.register.add_family("Family F")
    service.add_participant("Lara", "Mother", family_id=first.id, real_name="Real Person")
    window = make_window()
    open_register(qtbot, window, runner, FAMILIES)
    families = families_panel(window)
    qtbot.waitUntil(lambda: families.current is not None, timeout=3000)
    assert families.label.text() == "Family E"
    assert [families.members.item(i).text() for i in range(families.members.count())] == [
        "Lara (Mother)"
    ]
    assert families.members.isHidden() is False

    choose(families.household, "Co-parenting apart")
    families.table.selectRow(1)  # another family: the change is saved first
    runner.wait_idle()
    assert families.label.text() == "Family F"
    assert families.members.isHidden()
    assert "No participants in this family yet" in families.members_hint.text()
    assert service.register.get_family(first.id).household == "co-parenting-apart"

    # Changes still open when the window locks are saved too.
    qtbot.keyClicks(families.region.lineEdit(), "England")
    window.lock()
    runner.wait_idle()
    service.unlock("kitchen table methadone bairns")
    assert [f.region for f in service.register.list_families()] == ["", "England"]


def test_discard_changes(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    service.register.add_site("Hope Street Family Centre", "family-support", region="England")
    window = make_window()
    open_register(qtbot, window, runner, SITES)
    sites = sites_panel(window)
    qtbot.waitUntil(lambda: sites.current is not None, timeout=3000)
    assert not sites.discard_button.isEnabled()
    qtbot.keyClicks(sites.name, " (closed)")
    choose(sites.site_type, "Other")
    qtbot.mouseClick(sites.discard_button, LEFT)
    assert sites.name.text() == "Hope Street Family Centre"
    assert sites.site_type.currentText() == "Family support"
    assert not sites.dirty
    window.workspace.show_page(0)
    runner.wait_idle()
    assert service.register.list_sites()[0].name == "Hope Street Family Centre"


def test_researcher_profile_from_the_menu(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    window = make_window()
    window.profile_action.trigger()
    dialog = window.dialog
    assert isinstance(dialog, ResearcherProfileDialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    assert dialog.name.text() == "Test Researcher"

    dialog.name.clear()
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert "Give your name" in dialog.message.text()
    qtbot.keyClicks(dialog.name, "Mhairi Campbell")
    dialog.role.setEditText("Research Fellow")
    qtbot.keyClicks(dialog.institution, "University of Stirling")
    dialog.region.setEditText("Scotland")
    qtbot.keyClicks(dialog.email, "mhairi.campbell")
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert "does not look complete" in dialog.message.text()
    runner.wait_idle()
    assert service.register.researcher_profile().name == "Test Researcher"

    qtbot.keyClicks(dialog.email, "@stir.ac.uk")
    qtbot.mouseClick(dialog.save_button, LEFT)
    runner.wait_idle()
    profile = service.register.researcher_profile()
    assert (profile.name, profile.role, profile.institution, profile.region, profile.email) == (
        "Mhairi Campbell",
        "Research Fellow",
        "University of Stirling",
        "Scotland",
        "mhairi.campbell@stir.ac.uk",
    )
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()  # closed (and deleted)
    assert "profile was saved" in window.statusBar().currentMessage()
    runner.wait_idle()
    assert "Mhairi Campbell" in window.workspace.researcher_label.text()
