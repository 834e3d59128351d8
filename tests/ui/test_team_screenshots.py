"""Screenshots of the Team page: keys and roster, and the outbox with a few bundles.

Skipped unless ``RELATIONS_SCREENSHOTS=1``; then they are written to
``docs/screenshots/`` (team-roster.png, outbox.png) at the size of the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import minisign
import pyrage
import pytest
from sqlalchemy import update

from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import OutboxBundle
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.team_page import OUTBOX_TAB, ROSTER_TAB
from relations_desktop.ui.workspace import TEAM
from tests.consent_data import give_adult_consent
from tests.ui.conftest import FAST, WindowFactory
from tests.ui.transcript_data import Seg, make_recording, make_transcript

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TEAM_MEMBERS = (
    ("Ruth Anderson", "pi"),
    ("Tom Hughes", "member"),
    ("Aisha Rahman", "member"),
    ("Gareth Price", "member"),
)
SEGMENTS = (
    Seg(0.0, 6.0, "Thanks for having me round again.", speaker=0),
    Seg(6.0, 14.0, "The mornings are the hardest, getting him to nursery on time.", speaker=1),
)

DAY_ENDS = datetime.now(UTC).replace(hour=18, minute=20, second=0, microsecond=0)
pytestmark = pytest.mark.skipif(
    os.environ.get("RELATIONS_SCREENSHOTS") != "1", reason="screenshots: RELATIONS_SCREENSHOTS=1"
)


@pytest.fixture
def service(store_dir: Path, passphrase: str) -> Iterator[StoreService]:
    with StoreService.create(
        store_dir, passphrase, researcher_name="Mhairi Campbell", project_name="Relations study"
    ) as svc:
        yield svc


def _team(service: StoreService) -> None:
    for name, role in TEAM_MEMBERS:
        recipient = str(pyrage.x25519.Identity.generate().to_public())
        key = minisign.KeyPair.generate().public_key.to_base64().decode("ascii")
        service.team.add_member(name, recipient, signing_key=key, role=role)
    service.team.add_me()


def _sessions(service: StoreService, folder: Path) -> list[str]:
    lara = service.add_participant("Lara", "Mother", region="Scotland")
    ailsa = service.add_participant(
        "Ailsa", "Health Visitor", region="Scotland", kind="professional"
    )
    for person in (lara, ailsa):
        give_adult_consent(service, person.id)
    visit = service.add_encounter(
        "home-visit", "Home visit with Lara", on=date(2025, 3, 12), participant_ids=[lara.id]
    )
    service.add_note(visit.id, "We sat at the kitchen table; she made tea while the baby slept.")
    recording = make_recording(service, visit.id, folder, 14.0)
    make_transcript(service, recording, SEGMENTS, speakers=["Interviewer", "Lara"])
    clinic = service.add_encounter(
        "clinic-visit",
        "Clinic appointment",
        on=date(2025, 3, 19),
        participant_ids=[lara.id, ailsa.id],
    )
    service.add_note(clinic.id, "The waiting room was full; the appointment ran late.")
    debrief = service.add_encounter("workday-debrief", "Team debrief", on=date(2025, 3, 21))
    service.add_note(debrief.id, "Talked through the week's visits and what to follow up.")
    return [visit.id, clinic.id, debrief.id]


def _backdate(service: StoreService, bundle_id: str, when: datetime) -> None:
    with service._session() as session:
        session.execute(update(OutboxBundle).where(OutboxBundle.id == bundle_id).values(
            sealed_at=when))  # fmt: skip


def test_team_screenshots(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, tmp_path: Path
) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    (tmp_path / "usb").mkdir()
    _team(service)
    visit, clinic, debrief = _sessions(service, tmp_path)
    first = service.bundles.seal(encounter_ids=[visit], with_audio=True)
    _backdate(service, first.bundle_id, DAY_ENDS - timedelta(days=8, hours=1))
    second = service.bundles.seal(tmp_path / "usb" / "clinic.age", [clinic])
    _backdate(service, second.bundle_id, DAY_ENDS - timedelta(days=2, hours=3, minutes=37))
    (tmp_path / "usb" / "clinic.age").unlink()  # the stick went to the office
    service.bundles.seal(encounter_ids=[visit, clinic, debrief])  # today: Verify shows it

    window = make_window(FAST)
    window.resize(1200, 800)
    workspace = window.workspace
    assert workspace is not None
    workspace.show_page(TEAM)
    page = workspace.team
    page.show_tab(ROSTER_TAB)
    runner.wait_idle()
    roster = page.roster
    roster.table.selectRow(roster.model.row_of(lambda m: m.is_me))
    window.statusBar().clearMessage()
    qtbot.wait(60)
    path = DOCS / "team-roster.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000

    page.show_tab(OUTBOX_TAB)
    runner.wait_idle()
    outbox = page.outbox
    assert outbox.model.rowCount() == 3
    outbox.table.selectRow(0)
    outbox.verify_selected()
    runner.wait_idle()
    window.statusBar().clearMessage()
    qtbot.wait(60)
    path = DOCS / "outbox.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000
