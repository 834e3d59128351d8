"""``pseudonym ...`` and ``quote ...``, and the export gate on ``transcript show``.

A base store is built once per module and copied for each test: Lara (Mother, Scotland,
real name Jane Realname) agreed to quotes; Kim (Health Visitor) did not. The Kitchen
transcript holds one name nobody has reviewed yet (Margaret, at 10 s). Refusals after
the unlock leave every row as it was (:func:`rows`), the unlock's own audit row aside;
usage errors leave the store's files byte for byte as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest

from relations_desktop import cli
from relations_desktop.core.services import StoreService
from tests.cli.test_cli import Cli, fingerprint, one_line_error
from tests.cli.test_consent_cli import rows
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_recording, make_transcript

ROOT = Path(__file__).resolve().parents[2]
KITCHEN_SEGMENTS = (
    Seg(0.0, 4.0, "Thanks for having me round again.", speaker=0),
    Seg(4.0, 10.0, "Aye, come in, Jane's wean has just gone down.", speaker=1),
    Seg(10.0, 16.0, "I met Margaret at the school gates.", speaker=1),
    Seg(16.0, 22.0, "They moved my pick-up to nine.", speaker=1),
)
NOTE = "Lara makes tea and talks about the pharmacy with Jane Realname's pal."


@dataclass(frozen=True)
class Base:
    store: Path
    lara: str
    kim: str
    kitchen: str
    clinic: str
    recording: str  # Kitchen: Interviewer and Lara; "Margaret" unreviewed at 10 s
    transcript: str
    clinic_recording: str  # Clinic: Kim, who did not agree to quotes
    note: str  # Kitchen, linked to Lara


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("pseudonym-base")
    store = folder / "store"
    with StoreService.create(store, PASSPHRASE, researcher_name="Ann") as service:
        lara = service.add_participant(
            "Lara", "Mother", real_name="Jane Realname", region="Scotland"
        ).id
        kim = service.add_participant("Kim", "Health Visitor", kind="professional").id
        give_adult_consent(service, lara)
        give_adult_consent(service, kim, quotes=False)
        kitchen = service.add_encounter("home-visit", "Kitchen", participant_ids=[lara]).id
        clinic = service.add_encounter("clinic-visit", "Clinic", participant_ids=[kim]).id
        recording = make_recording(service, kitchen, folder, seconds=24.0)
        transcript = make_transcript(
            service, recording, KITCHEN_SEGMENTS, speakers=["Interviewer", "S2"]
        )
        speaker = service.transcripts.get(transcript).speakers[1]
        service.transcripts.update_speaker(speaker.id, label="Mother", participant_id=lara)
        clinic_recording = make_recording(service, clinic, folder, seconds=6.0)
        clinic_transcript = make_transcript(
            service,
            clinic_recording,
            [Seg(0.0, 4.0, "The health visitor came round after lunch.", speaker=0)],
            speakers=["Health visitor"],
        )
        (kim_speaker,) = service.transcripts.get(clinic_transcript).speakers
        service.transcripts.update_speaker(kim_speaker.id, participant_id=kim)
        note = service.add_note(kitchen, NOTE, participant_ids=[lara]).id
        service.pseudonyms.list()  # the register's entries for real names are made once
        assert [o.text for o in service.review.unresolved()] == ["Margaret"]
    return Base(store, lara, kim, kitchen, clinic, recording, transcript, clinic_recording, note)


@dataclass(frozen=True)
class World:
    run: Cli
    store: Path
    base: Base
    tmp: Path


@pytest.fixture
def world(
    base: Base, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> World:
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    store = tmp_path / "store"
    shutil.copytree(base.store, store)
    return World(Cli(store, capsys), store, base, tmp_path)


def refused(w: World, *args: str, code: int = 2) -> str:
    """A refusal after the unlock: one line on stderr, nothing on stdout, no row changed."""
    before = rows(w.store)
    got, out, err = w.run(*args)
    assert got == code, err
    assert out == ""
    assert rows(w.store) == before
    return one_line_error(err)


def usage_error(w: World, *args: str) -> str:
    """Refused while the arguments are parsed: the store's files are not touched."""
    before = fingerprint(w.store)
    got, out, err = w.run(*args)
    assert (got, out) == (2, "")
    assert fingerprint(w.store) == before
    return one_line_error(err)


def as_list(data: object) -> list[dict[str, Any]]:
    assert isinstance(data, list)
    return data


def as_dict(data: object) -> dict[str, Any]:
    assert isinstance(data, dict)
    return data


def check(w: World, *args: str) -> tuple[int, str, str]:
    return w.run("pseudonym", "check", *args)


# ------------------------------------------------------------------ register
def test_add_and_list(world: World) -> None:
    w = world
    entry = w.run.ok(
        "pseudonym", "add", "Mossgiel Street", "[street]", "--kind", "street", "--notes", "home"
    ).strip()
    entries = as_list(w.run.json("pseudonym", "list"))
    by_real = {e["real"]: e for e in entries}
    assert by_real["Mossgiel Street"] == {
        "id": entry,
        "real": "Mossgiel Street",
        "replacement": "[street]",
        "kind": "street",
        "notes": "home",
        "participant_id": None,
        "from_participant": False,
    }
    seeded = {(e["real"], e["replacement"], e["kind"]) for e in entries if e["from_participant"]}
    assert seeded == {
        ("Jane Realname", "Lara", "full-name"),
        ("Jane", "Lara", "first-name"),
        ("Realname", "[surname]", "surname"),
    }
    listing = w.run.ok("pseudonym", "list")
    assert "REAL" in listing and "REPLACEMENT" in listing
    line = next(row for row in listing.splitlines() if row.startswith("Mossgiel Street"))
    assert "→  [street]" in line and "street" in line and entry in line
    assert "participant" in next(r for r in listing.splitlines() if r.startswith("Jane "))


def test_add_refusals_change_nothing(world: World) -> None:
    w = world
    assert "replacement must not be empty" in refused(w, "pseudonym", "add", "Harbour", "  ")
    assert "must not be empty" in refused(w, "pseudonym", "add", "", "[service]")
    message = refused(w, "pseudonym", "add", "JANE", "Someone")
    assert "“JANE” is already in the register (→ Lara)" in message
    message = usage_error(w, "pseudonym", "add", "Harbour", "[service]", "--kind", "planet")
    assert "invalid choice: 'planet'" in message
    assert "missing" not in usage_error(w, "pseudonym", "add", "Harbour")


def test_remove(world: World) -> None:
    w = world
    entry = w.run.ok("pseudonym", "add", "Harbour Clinic", "[drug service]").strip()
    assert entry in w.run.ok("pseudonym", "remove", entry)
    assert "Harbour Clinic" not in w.run.ok("pseudonym", "list")
    seeded = next(e for e in as_list(w.run.json("pseudonym", "list")) if e["from_participant"])
    assert "identity register" in refused(w, "pseudonym", "remove", seeded["id"])
    refused(w, "pseudonym", "remove", "no-such-entry", code=3)


# -------------------------------------------------------------------- review
def test_check_lists_what_is_unresolved_and_exits_1(world: World) -> None:
    w = world
    code, out, err = check(w)
    assert code == 1
    assert "1 likely identifier(s) are not pseudonymised or reviewed yet" in one_line_error(err)
    assert "pseudonym keep TEXT --in ID" in err
    first, context = out.strip().splitlines()
    assert first.startswith("“Kitchen”, transcript at 00:10  person  “Margaret”")
    assert first.endswith(f"in transcript {w.base.transcript}")
    assert context.strip() == "I met «Margaret» at the school gates."

    code, out, _ = check(w, "--json")
    assert code == 1
    (item,) = json.loads(out)
    assert item["text"] == "Margaret" and item["category"] == "person"
    assert item["source_type"] == "transcript" and item["source_id"] == w.base.transcript
    assert item["recording_id"] == w.base.recording and item["seconds"] == 10.0
    assert item["where"] == "“Kitchen”, transcript at 00:10"
    assert (item["before"], item["after"]) == ("I met ", " at the school gates.")

    code, out, err = check(w, "--encounter", w.base.clinic)
    assert (code, out.strip(), err) == (0, "No unresolved identifiers.", "")
    code, out, _ = check(w, "--encounter", w.base.clinic, "--json")
    assert (code, json.loads(out)) == (0, [])
    refused(w, "pseudonym", "check", "--encounter", "no-such-session", code=3)


@pytest.mark.parametrize(
    "resolve",
    [
        ("pseudonym", "add", "Margaret", "[neighbour]", "--kind", "first-name"),
        ("pseudonym", "ignore", "margaret", "--reason", "a dog"),
        ("pseudonym", "keep", "Margaret", "--in", "TRANSCRIPT", "--reason", "the Queen"),
        ("pseudonym", "keep", "Margaret", "--in", "RECORDING", "--reason", "the Queen"),
    ],
    ids=["add", "ignore", "keep-in-transcript", "keep-in-recording"],
)
def test_check_exits_0_once_resolved(world: World, resolve: tuple[str, ...]) -> None:
    w = world
    assert check(w)[0] == 1
    ids = {"TRANSCRIPT": w.base.transcript, "RECORDING": w.base.recording}
    w.run.ok(*(ids.get(arg, arg) for arg in resolve))
    code, out, err = check(w)
    assert (code, out.strip(), err) == (0, "No unresolved identifiers.", "")
    with StoreService.open(w.store, PASSPHRASE) as service:
        events = [e.action for e in service.audit_events(5)]
    assert {"pseudonym_added", "identifier_ignore", "identifier_keep"} & set(events)


def test_keep_and_ignore_refusals_change_nothing(world: World) -> None:
    w = world
    b = w.base
    message = refused(w, "pseudonym", "keep", "Lucy", "--in", b.transcript, "--reason", "x")
    assert "“Lucy” is not flagged in" in message and "nothing was recorded" in message
    message = refused(w, "pseudonym", "keep", "Margaret", "--in", b.note, "--reason", "x")
    assert "not flagged in" in message
    message = refused(w, "pseudonym", "keep", "Margaret", "--in", "nope", "--reason", "x", code=3)
    assert "no note, transcript or recording with id 'nope'" in message
    message = refused(w, "pseudonym", "keep", "Margaret", "--in", b.transcript, "--reason", " ")
    assert "Say why this is kept" in message
    assert "--reason" in usage_error(w, "pseudonym", "keep", "Margaret", "--in", b.transcript)
    assert "not flagged anywhere" in refused(w, "pseudonym", "ignore", "Lucy")
    assert check(w)[0] == 1


# ------------------------------------------------------------------- quotes
def test_quote_from_a_recording(world: World) -> None:
    w = world
    printed = w.run.ok("quote", "--recording", w.base.recording, "--from", "4", "--to", "10")
    assert printed.strip() == "“Aye, come in, Lara's wean has just gone down.” (Mother, Scotland)"
    data = as_dict(
        w.run.json("quote", "--recording", w.base.recording, "--from", "16", "--to", "22")
    )
    assert data["formatted"] == "“They moved my pick-up to nine.” (Mother, Scotland)"
    assert (data["text"], data["attribution"]) == (
        "They moved my pick-up to nine.",
        "(Mother, Scotland)",
    )
    assert data["source_type"] == "recording" and data["participant_id"] == w.base.lara
    assert data["id"] is None  # not saved
    assert as_list(w.run.json("quote", "list")) == []


def test_quote_from_a_note(world: World) -> None:
    w = world
    start, end = 0, len(NOTE)
    printed = w.run.ok("quote", "--note", w.base.note, "--from", str(start), "--to", str(end))
    assert printed.strip() == (
        "“Lara makes tea and talks about the pharmacy with Lara's pal.” "
        "(Researcher Fieldnote, Scotland)"
    )


def test_quote_refusals_change_nothing(world: World) -> None:
    w = world
    b = w.base
    rec = ("quote", "--recording", b.recording)
    message = refused(w, *rec, "--from", "4", "--to", "16", code=13)
    assert "likely identifier(s) not pseudonymised or reviewed yet (Margaret)" in message
    message = refused(w, "quote", "--recording", b.clinic_recording, "--from", "0", "--to", "4",
                      code=12)  # fmt: skip
    assert "Kim (Health Visitor) cannot be quoted" in message
    assert "Nothing is transcribed" in refused(w, *rec, "--from", "30", "--to", "40")
    assert "start before its end" in refused(w, *rec, "--from", "9", "--to", "5")
    refused(w, "quote", "--recording", "no-such-recording", "--from", "0", "--to", "4", code=3)
    message = refused(w, *rec, "--from", "0", "--to", "4")  # the interviewer
    assert "Link this speaker to a participant" in message
    note = ("quote", "--note", b.note)
    assert "not inside the note" in refused(w, *note, "--from", "0", "--to", "5000")
    assert "whole numbers" in refused(w, *note, "--from", "0.5", "--to", "10")
    refused(w, "quote", "--note", "no-such-note", "--from", "0", "--to", "4", code=3)
    assert "Give --from and --to" in refused(w, *rec, "--from", "4")
    assert "Give --recording ID or --note ID" in refused(w, "quote", "--from", "0", "--to", "4")
    message = refused(w, *rec, "--from", "4", "--to", "10", "--tag", "tea")
    assert "--tag and --comment go with --save" in message
    message = refused(w, *rec, "--from", "4", "--to", "10", "list")
    assert "--recording, --from, --to: not with 'quote list'" in message
    assert "not allowed with argument" in usage_error(
        w, *rec, "--note", b.note, "--from", "0", "--to", "4"
    )
    assert "is not a number" in usage_error(w, *rec, "--from", "-1", "--to", "4")
    assert as_list(w.run.json("quote", "list")) == []


def test_quote_bank_save_list_and_export(world: World) -> None:
    w = world
    rec = ("quote", "--recording", w.base.recording)
    code, out, err = w.run(*rec, "--from", "4", "--to", "10", "--save", "--tag", "Home",
                           "--tag", "bairns", "--comment", "opening")  # fmt: skip
    assert code == 0, err
    assert out.strip() == "“Aye, come in, Lara's wean has just gone down.” (Mother, Scotland)"
    assert "Saved in the quote bank as" in err
    saved = as_dict(w.run.json(*rec, "--from", "16", "--to", "22", "--save", "--tag", "pharmacy"))
    assert saved["id"] and saved["tags"] == ["pharmacy"]

    listed = as_list(w.run.json("quote", "list"))
    assert [q["text"] for q in listed] == [
        "Aye, come in, Lara's wean has just gone down.",
        "They moved my pick-up to nine.",
    ]
    assert sorted(listed[0]["tags"]) == ["bairns", "home"] and listed[0]["note"] == "opening"
    assert [q["id"] for q in as_list(w.run.json("quote", "list", "--tag", "pharmacy"))] == [
        saved["id"]
    ]
    text = w.run.ok("quote", "list")
    assert "“Kitchen”, recording at 00:04  [" in text and "note: opening" in text
    assert w.run.ok("quote", "list", "--tag", "nothing").strip() == "No quotes tagged nothing."

    target = w.tmp / "quotes.docx"
    code, out, err = w.run("quote", "export", "--out", str(target))
    assert code == 0 and out.strip() == str(target) and "not encrypted" in err
    paragraphs = [p.text for p in docx.Document(str(target)).paragraphs]
    assert "“They moved my pick-up to nine.” (Mother, Scotland)" in paragraphs
    with zipfile.ZipFile(target) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist())
    assert b"Jane" not in xml and b"Realname" not in xml

    assert "already exists" in refused(w, "quote", "export", "--out", str(target))
    only = w.tmp / "pharmacy.docx"
    w.run.ok("quote", "export", "--out", str(only), "--tag", "pharmacy")
    assert len([p for p in docx.Document(str(only)).paragraphs if p.text.startswith("“")]) == 1
    w.run.ok("quote", "export", "--out", str(target), "--force")
    message = refused(w, "quote", "export", "--out", str(w.tmp / "x.docx"), "--tag", "none")
    assert "No quotes are tagged none" in message and not (w.tmp / "x.docx").exists()
    message = refused(w, "quote", "export", "--out", str(w.tmp / "missing" / "q.docx"))
    assert "does not exist" in message


def test_empty_quote_bank_exports_nothing(world: World) -> None:
    w = world
    assert w.run.ok("quote", "list").strip() == "The quote bank is empty."
    target = w.tmp / "quotes.docx"
    assert "quote bank is empty" in refused(w, "quote", "export", "--out", str(target))
    assert not target.exists()


# --------------------------------------------------------- the gate on exports
def test_transcript_show_is_refused_until_reviewed(world: World) -> None:
    w = world
    show = ("transcript", "show", w.base.recording)
    target = w.tmp / "visit.txt"
    for args in ((), ("--format", "srt"), ("--json",), ("--out", str(target))):
        message = refused(w, *show, *args, code=13)
        assert message.startswith("relations-desktop: Export refused: 1 likely identifier(s)")
        assert "“Kitchen”, transcript at 00:10" in message
        assert f"pseudonym check --encounter {w.base.kitchen}" in message
    assert not target.exists()

    w.run.ok("pseudonym", "add", "Margaret", "[neighbour]", "--kind", "first-name")
    printed = w.run.ok(*show)
    assert "Lara's wean" in printed and "I met [neighbour] at" in printed
    assert "Jane" not in printed and "Margaret" not in printed
    record = as_dict(w.run.json(*show))
    assert "Lara's wean" in record["segments"][1]["text"]
    code, _, err = w.run(*show, "--format", "docx", "--out", str(w.tmp / "visit.docx"))
    assert code == 0 and "pseudonym register has been applied" in err
    with zipfile.ZipFile(w.tmp / "visit.docx") as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist())
    assert b"Jane" not in xml and b"Margaret" not in xml and b"[neighbour]" in xml


def test_recording_export_help_says_audio_is_not_pseudonymised(world: World) -> None:
    code, out, _ = world.run("recording", "export", "--help")
    assert code == 0
    assert "NOT pseudonymised" in out and "Audio cannot be pseudonymised" in " ".join(out.split())


# ------------------------------------------------------------ a real process
def test_check_exit_status_in_a_real_process(world: World) -> None:
    env = dict(os.environ, RELATIONS_PASSPHRASE=PASSPHRASE, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "relations_desktop", "--store", str(world.store)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    done = run("pseudonym", "check")
    assert done.returncode == 1 and "Margaret" in done.stdout
    assert "not pseudonymised or reviewed" in one_line_error(done.stderr)
    kept = run("pseudonym", "ignore", "Margaret", "--reason", "a dog")
    assert kept.returncode == 0, kept.stderr
    done = run("pseudonym", "check")
    assert (done.returncode, done.stdout.strip()) == (0, "No unresolved identifiers.")


def test_usage_errors_are_one_line(world: World) -> None:
    assert "required" in usage_error(world, "pseudonym")
    assert "required: --in" in usage_error(world, "pseudonym", "keep", "x", "--reason", "r")
    assert "required: --out" in usage_error(world, "quote", "export")
