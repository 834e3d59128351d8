"""The session page: consent of those present, the review banner after a withdrawal, the
site, the jottings timeline and note templates. Screenshots with RELATIONS_SCREENSHOTS=1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.encounter_editor import EncounterEditor
from relations_desktop.ui.views.sessions import FLAG, SessionsView
from tests.consent_data import give_adult_consent
from tests.ui.conftest import FAST, WindowFactory
from tests.ui.fake_audio import RATE, StubPlayer, tone

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _sessions(qtbot, window) -> SessionsView:
    sessions = window.workspace.sessions
    qtbot.waitUntil(lambda: sessions.current is not None, timeout=3000)
    return sessions


def _badges(view) -> list[str]:
    return view.texts()


def _import(
    service: StoreService, encounter_id: str, folder: Path, seconds: float, jottings=()
) -> str:
    """An imported recording (everyone present has consented) with jottings at offsets."""
    wav = folder / "visit.wav"
    soundfile.write(wav, tone(seconds), RATE, subtype="PCM_16")
    recording = service.recordings.import_file(encounter_id, wav)
    for offset, text in jottings:
        service.add_note(
            encounter_id, text, kind="jotting", offset_seconds=offset, recording_id=recording.id
        )
    return recording.id


# ------------------------------------------------------------------------ consent
def test_the_session_shows_everyone_present_with_their_consent(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    marianne = service.add_participant("Marianne", "Mother", region="England")
    priya = service.add_participant("Priya", "Family Support Worker", kind="professional")
    service.add_encounter(
        "park-visit", "Park visit", on=date(2025, 5, 2), participant_ids=[marianne.id, priya.id]
    )
    give_adult_consent(service, marianne.id, audio=True, quotes=False)
    window = make_window()
    sessions = _sessions(qtbot, window)
    header = sessions.header
    qtbot.waitUntil(lambda: len(header.consent.badges) == 2, timeout=3000)
    lines = {text.split(":")[0]: text for text in _badges(header.consent)}
    assert set(lines) == {"Marianne (Mother)", "Priya (Family Support Worker)"}
    assert "recording ✓" in lines["Marianne (Mother)"]
    assert "quotes ✗" in lines["Marianne (Mother)"]
    assert "no consent" in lines["Priya (Family Support Worker)"]
    tips = {b.state.label: b.toolTip() for b in header.consent.badges}
    assert tips["Marianne (Mother)"].startswith("Audio recording: yes")
    assert tips["Priya (Family Support Worker)"] == "No consent: no consent recorded"

    # The session's editor shows the same for those ticked, and follows the ticks.
    sessions.edit_session()
    dialog = sessions.editor_dialog
    assert isinstance(dialog, EncounterEditor)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    assert len(dialog.consent.badges) == 2
    assert any("recording ✓" in t for t in _badges(dialog.consent))
    dialog.check_participant(marianne.id, False)
    assert [b.state.label for b in dialog.consent.badges] == ["Priya (Family Support Worker)"]
    dialog.check_participant(priya.id, False)
    assert dialog.consent.badges == [] and dialog.consent.empty_label.isVisibleTo(dialog)
    dialog.reject()


def test_a_withdrawn_participant_is_marked_and_cannot_be_added(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    other = service.add_participant("Marianne", "Mother", region="England")
    service.consent.withdraw(other.id, "future")
    window = make_window()
    sessions = _sessions(qtbot, window)
    sessions.edit_session()
    dialog = sessions.editor_dialog
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    row = next(
        r
        for r in range(dialog.participants.count())
        if "Marianne" in dialog.participants.item(r).text()
    )
    item = dialog.participants.item(row)
    assert "withdrew" in item.text()
    assert not item.flags() & Qt.ItemFlag.ItemIsEnabled
    dialog.check_participant(other.id)
    assert other.id not in dialog.chosen_participants()
    dialog.reject()
    assert other.id not in service.get_encounter(sample["visit"]).participant_ids


def test_withdrawal_flags_a_shared_session_until_it_is_reviewed(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    service.consent.withdraw(sample["lara"], "all")
    window = make_window()
    sessions = _sessions(qtbot, window)
    banner = sessions.header.banner
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=3000)
    assert "Review needed" in banner.text.text()
    assert "Lara (Mother) withdrew their data" in banner.text.text()
    assert sessions.model.index(0, 2).data() == f"{FLAG} Home visit with Lara"
    withdrawn = next(b for b in sessions.header.consent.badges if "Lara" in b.state.label)
    assert "WITHDRAWN" in withdrawn.text()

    qtbot.mouseClick(banner.resolve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=3000)
    runner.wait_idle()
    assert service.consent.encounter_flags(sample["visit"]) == []
    assert sessions.model.index(0, 2).data() == "Home visit with Lara"
    assert any(e.action == "flag_resolved" for e in service.audit_events(20))


def test_mark_reviewed_that_fails_says_why_and_keeps_the_banner(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    service.consent.withdraw(sample["lara"], "all")
    window = make_window()
    sessions = _sessions(qtbot, window)
    banner = sessions.header.banner
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=3000)
    with qtbot.waitSignal(sessions.status_message, timeout=3000) as said:
        sessions.header.resolve(["no-such-flag"])
    assert "flag" in said.args[0].lower()
    assert banner.isVisible() and banner.resolve_button.isEnabled()
    assert len(service.consent.encounter_flags(sample["visit"])) == 1


# --------------------------------------------------------------------------- site
def test_the_site_is_chosen_from_the_register_and_shown(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    site = service.register.add_site("Riverside Recovery Service", "drug-treatment")
    service.register.add_site("Northfield Family Centre", "family-support")
    window = make_window()
    sessions = _sessions(qtbot, window)
    sessions.edit_session()
    dialog = sessions.editor_dialog
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    assert [dialog.site_combo.itemText(i) for i in range(dialog.site_combo.count())] == [
        "No site",
        "Northfield Family Centre",
        "Riverside Recovery Service",
    ]
    dialog.site_combo.setCurrentIndex(dialog.site_combo.findData(site.id))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Riverside" in sessions.meta_label.text(), timeout=3000)
    assert service.get_encounter(sample["visit"]).site_id == site.id

    sessions.edit_session()
    dialog = sessions.editor_dialog
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    assert dialog.site_combo.currentData() == site.id
    dialog.site_combo.setCurrentIndex(0)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Riverside" not in sessions.meta_label.text(), timeout=3000)
    assert service.get_encounter(sample["visit"]).site_id is None


def test_a_session_without_notes_shows_no_note_of_the_one_before(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    service.add_note(sample["visit"], "A memo of the visit", kind="memo")
    empty = service.add_encounter("team-meeting", "Team meeting", on=date(2020, 1, 1))
    window = make_window()
    sessions = _sessions(qtbot, window)
    editor = sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    sessions.select_row(sessions.model.row_of(lambda e: e.id == empty.id))
    runner.wait_idle()
    assert sessions.notes.count() == 0
    assert editor.note is None and editor.placeholder.isVisibleTo(editor)


# ---------------------------------------------------------------------- jottings
def test_jottings_timeline_lists_jottings_in_order_and_plays_from_one(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    sample,
    tmp_path: Path,
) -> None:
    recording_id = _import(
        service,
        sample["visit"],
        tmp_path,
        90.0,
        [(75.5, "Pharmacy moved her pick-up"), (4.0, "Baby asleep in the pram")],
    )
    StubPlayer.instances.clear()
    window = make_window(FAST, player_factory=StubPlayer)
    sessions = _sessions(qtbot, window)
    timeline = sessions.jottings
    qtbot.waitUntil(lambda: len(timeline.lines()) == 2, timeout=3000)
    assert timeline.lines() == [
        "00:04   Baby asleep in the pram",
        "01:15   Pharmacy moved her pick-up",
    ]

    timeline.setFocus()
    timeline.setCurrentRow(1)
    qtbot.keyClick(timeline, Qt.Key.Key_Return)
    assert sessions.recordings.current is not None
    assert sessions.recordings.current.id == recording_id
    player = StubPlayer.instances[-1]
    assert player.state == "playing"
    assert player.position_seconds == pytest.approx(75.5)
    rect = timeline.visualItemRect(timeline.item(0))
    # A real double-click starts with a press: the view needs it to know the item.
    qtbot.mouseClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(timeline.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert player.position_seconds == pytest.approx(4.0)


def test_a_session_without_recordings_says_how_jottings_are_made(
    qtbot, make_window: WindowFactory, runner: TaskRunner, sample
) -> None:
    window = make_window()
    sessions = _sessions(qtbot, window)
    runner.wait_idle()
    assert sessions.jottings.lines() == []
    assert "while you record" in sessions.jottings.item(0).text()
    with qtbot.assertNotEmitted(sessions.jottings.play_requested):
        sessions.jottings.itemActivated.emit(sessions.jottings.item(0))


# --------------------------------------------------------------------- templates
@pytest.mark.parametrize(
    ("session_type", "template"),
    [
        ("clinic-visit", "Clinic visit"),
        ("team-meeting", "Team meeting"),
        ("case-conference", "Case conference"),
        ("supervised-contact-visit", "Supervised contact visit"),
        ("home-visit", None),
    ],
)
def test_the_suggested_template_follows_the_session_type(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    session_type: str,
    template: str | None,
) -> None:
    service.add_encounter(session_type, "Observation", on=date(2025, 5, 1))
    window = make_window()
    sessions = _sessions(qtbot, window)
    menu = sessions.template_menu
    titles = [a.text() for a in menu.actions()]
    assert len(titles) == 4
    if template is None:
        assert menu.defaultAction() is None and "(suggested)" not in " ".join(titles)
    else:
        assert titles[0] == f"{template} (suggested)"
        assert menu.defaultAction() is menu.actions()[0]


def test_editing_the_session_updates_templates_and_who_can_be_linked(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    window = make_window()
    sessions = _sessions(qtbot, window)
    editor = sessions.note_editor
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    runner.wait_idle()
    assert sessions.template_menu.suggested() is None  # a home visit
    assert len(_present(editor)) == 2
    sessions.edit_session()
    dialog = sessions.editor_dialog
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("clinic-visit"))
    dialog.check_participant(sample["hv"], False)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sessions.template_menu.suggested() == "clinic-visit", timeout=3000)
    runner.wait_idle()
    assert _present(editor) == ["Lara (Mother)"]
    assert editor.note is not None and editor.note.id == sample["note"]  # still open


def _present(editor) -> list[str]:
    """The participants offered first: those in the session."""
    return [
        a.text()
        for a in editor.people.menu.actions()
        if not a.isSeparator() and a.menu() is None and a.isEnabled()
    ]


def test_a_template_fills_a_new_note(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner
) -> None:
    encounter = service.add_encounter("case-conference", "Review conference")
    window = make_window()
    sessions = _sessions(qtbot, window)
    editor = sessions.note_editor
    sessions.template_menu.defaultAction().trigger()
    qtbot.waitUntil(lambda: editor.note is not None, timeout=3000)
    body = editor.body.toPlainText()
    assert body.startswith("# Case conference")
    assert "## Decision and plan" in body
    assert not editor.previewing and editor.body.hasFocus()
    runner.wait_idle()
    stored = service.list_notes(encounter.id)
    assert [n.body for n in stored] == [body] and stored[0].kind == "expanded"
    assert sessions.notes.item(0).text().endswith("Case conference")


# ------------------------------------------------------------------- screenshots
VISIT_NOTE = """# Home visit, morning

Arrived at **10:15**. Lara opened the door with the baby on her hip; the Health Visitor
arrived ten minutes later for the weighing.

## What happened
- Tea at the kitchen table; the baby slept through the weighing
- Lara: *"being judged before I open my mouth"*
- The pharmacy pick-up time clashes with nursery drop-off

## My reflections
Surveillance as care and as threat: the same visit, read two ways.
"""


def _fieldwork_store(service: StoreService, folder: Path) -> dict[str, str]:
    site = service.register.add_site("Riverside Family Support", "family-support")
    lara = service.add_participant("Lara", "Mother", region="Scotland")
    ailsa = service.add_participant(
        "Ailsa", "Health Visitor", region="Scotland", kind="professional"
    )
    visit = service.add_encounter(
        "home-visit",
        "Home visit with Lara and the Health Visitor",
        on=date(2025, 3, 12),
        participant_ids=[lara.id, ailsa.id],
        site_id=site.id,
    )
    give_adult_consent(service, lara.id, audio=True, quotes=True)
    give_adult_consent(service, ailsa.id, audio=True, quotes=False)
    note = service.add_note(
        visit.id,
        VISIT_NOTE,
        title="Kitchen table, weighing",
        tags=["surveillance", "pharmacy", "motherhood"],
        participant_ids=[lara.id, ailsa.id],
    )
    service.add_note(visit.id, "Being watched: worth a code.", kind="memo", tags=["surveillance"])
    _import(
        service,
        visit.id,
        folder,
        420.0,
        [
            (35.0, "Lara makes tea; baby asleep in the pram"),
            (132.0, "Pharmacy moved her pick-up time"),
            (280.0, "Health Visitor weighs the baby"),
            (365.0, "'Judged before I open my mouth'"),
        ],
    )
    service.add_encounter(
        "clinic-visit", "Clinic visit at Riverside", on=date(2025, 3, 4), site_id=site.id
    )
    kirsty = service.add_participant("Kirsty", "Mother", region="Scotland")
    service.add_encounter(
        "team-meeting",
        "Team meeting, family support",
        on=date(2025, 2, 26),
        participant_ids=[kirsty.id, ailsa.id],
    )
    service.consent.withdraw(kirsty.id, "all")  # the meeting is flagged for review
    return {"visit": visit.id, "note": note.id}


@pytest.fixture
def service(store_dir: Path, passphrase: str) -> Iterator[StoreService]:
    """A named researcher on a named project (shown in the sidebar)."""
    with StoreService.create(
        store_dir, passphrase, researcher_name="Mhairi Campbell", project_name="Relations study"
    ) as svc:
        yield svc


def _save(widget: QWidget, folder: Path, name: str) -> None:
    path = folder / name
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 10_000


@pytest.mark.skipif(
    os.environ.get("RELATIONS_SCREENSHOTS") != "1", reason="screenshots: RELATIONS_SCREENSHOTS=1"
)
def test_fieldwork_screenshots(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    ids = _fieldwork_store(service, tmp_path)
    window = make_window(FAST, player_factory=StubPlayer)
    window.resize(1280, 1000)
    sessions = _sessions(qtbot, window)
    editor = sessions.note_editor
    sessions.select_row(sessions.model.row_of(lambda e: e.id == ids["visit"]))
    qtbot.waitUntil(lambda: len(sessions.jottings.lines()) == 4, timeout=3000)
    qtbot.waitUntil(lambda: len(sessions.header.consent.badges) == 2, timeout=3000)
    qtbot.waitUntil(lambda: editor.note is not None and editor.note.id == ids["note"], timeout=3000)
    runner.wait_idle()
    window.statusBar().clearMessage()
    qtbot.wait(60)
    _save(window, DOCS, "session-view.png")

    sessions._detail_split.setSizes([100, 800])  # room for the note
    editor.set_preview(True)
    runner.wait_idle()
    qtbot.wait(60)
    _save(editor, DOCS, "note-markdown.png")
