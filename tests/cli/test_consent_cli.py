"""``consent ...`` and the consent gate on ``record`` and ``recording import``.

A base store (participants and sessions, no consent yet) is built once per module and
copied for each test. Refusals found while the arguments are parsed leave the store's
files byte for byte as they were; refusals after the unlock leave every row as it was
(:func:`rows`), the unlock's own audit row aside.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
from pypdf import PdfReader

from relations_desktop import cli
from relations_desktop.core import recordings as core_recordings
from relations_desktop.core.services import StoreService
from tests.cli.test_cli import Cli, fingerprint, one_line_error
from tests.conftest import PASSPHRASE
from tests.core.audio_fakes import FakeBackend, FakeInputStream, sine

ROOT = Path(__file__).resolve().parents[2]
ADULT_YES = (
    "information-sheet=yes",
    "voluntary=yes",
    "confidentiality-limits=yes",
    "take-part=yes",
)
STROKES = {"width": 300, "height": 100, "strokes": [[[10, 80], [60, 20], [120, 70]], [[150, 50]]]}


@dataclass(frozen=True)
class Base:
    store: Path
    lara: str  # Mother, with a real name; the only one in "Kitchen"
    kim: str  # Health Visitor; with Lara in "Clinic"
    ellie: str  # a child
    kitchen: str
    clinic: str


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    store = tmp_path_factory.mktemp("consent-base") / "store"
    with StoreService.create(store, PASSPHRASE, researcher_name="Ann Researcher") as service:
        lara = service.add_participant("Lara", "Mother", real_name="Jane Realname").id
        kim = service.add_participant("Kim", "Health Visitor", kind="professional").id
        ellie = service.add_participant("Ellie", "Daughter", kind="child", age_band="9").id
        kitchen = service.add_encounter("home-visit", "Kitchen", participant_ids=[lara]).id
        clinic = service.add_encounter("clinic-visit", "Clinic", participant_ids=[lara, kim]).id
    return Base(store, lara, kim, ellie, kitchen, clinic)


@dataclass(frozen=True)
class World:
    run: Cli
    store: Path
    lara: str
    kim: str
    ellie: str
    kitchen: str
    clinic: str
    tmp: Path


@pytest.fixture
def world(
    base: Base,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    store = tmp_path / "store"
    shutil.copytree(base.store, store)
    ids = (base.lara, base.kim, base.ellie, base.kitchen, base.clinic)
    return World(Cli(store, capsys), store, *ids, tmp_path)


def rows(store: Path) -> dict[str, list[str]]:
    """Every row of every table, leaving out the audit rows that an unlock writes."""
    with StoreService.open(store, PASSPHRASE) as service:
        assert service._engine is not None
        with service._engine.connect() as conn:
            names = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).all()
            result = {}
            for (name,) in names:
                query = f'SELECT * FROM "{name}"'
                if name == "audit_event":
                    query += " WHERE action != 'store_unlocked'"
                result[name] = sorted(repr(tuple(r)) for r in conn.exec_driver_sql(query))
            return result


def refused(w: World, *args: str, code: int = 2) -> str:
    """Run a command that must be refused: its one-line message; nothing on stdout."""
    got, out, err = w.run(*args)
    assert got == code, err
    assert out == ""
    return one_line_error(err)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def answers(*pairs: str) -> list[str]:
    return [arg for pair in pairs for arg in ("--answer", pair)]


def signed(w: World, pid: str, *extra: str, form: str = "adult-participant") -> str:
    sig = write_json(w.tmp / "signature.json", STROKES)
    args = ["--participant", pid, "--form", form, *answers(*ADULT_YES, *extra)]
    return w.run.ok("consent", "record", *args, "--method", "signed", "--signature", str(sig))


def wav(path: Path, seconds: float = 2.0, rate: int = 16000) -> Path:
    sf.write(path, sine(seconds, rate), rate, subtype="PCM_16")
    return path


def record_json(w: World, pid: str) -> dict[str, Any]:
    data = w.run.json("consent", "show", pid)
    assert isinstance(data, dict)
    return data


# ---------------------------------------------------------------------- forms
def test_form_list_and_show(world: World) -> None:
    forms = world.run.json("consent", "form", "list")
    assert isinstance(forms, list)
    assert [(f["slug"], f["version"], f["record_count"]) for f in forms] == [
        ("adult-participant", "1.0", 0),
        ("child-assent", "1.0", 0),
        ("parent-for-child", "1.0", 0),
    ]
    assert {f["audience"] for f in forms} == {"adult", "parent", "child"}
    listing = world.run.ok("consent", "form", "list")
    assert "adult-participant" in listing and "RECORDS" in listing
    shown = world.run.ok("consent", "form", "show", "adult-participant@1.0")
    assert "take-part (required)" in shown
    assert "audio-recording (optional, governs audio-recording)" in shown
    assert "I agree to be contacted about future research." in shown
    data = world.run.json("consent", "form", "show", forms[0]["id"])
    assert isinstance(data, dict) and data["slug"] == "adult-participant"


def test_new_form_version_keeps_records_taken_on_the_old_one(world: World) -> None:
    w = world
    old_record = signed(w, w.lara, "audio-recording=yes", "archiving=yes").strip()
    exported = w.tmp / "adult.json"
    assert w.run.ok("consent", "form", "export", "adult-participant", "--out", str(exported))
    template = json.loads(exported.read_text(encoding="utf-8"))
    assert template["version"] == "1.0" and template["format"] == "relations-consent-form/1"
    template["version"] = "1.1"
    template["items"] = [i for i in template["items"] if i["id"] != "archiving"]
    template["items"][4]["statement"] = "I agree to our conversations being audio recorded."
    template["items"].append(
        {"id": "photos", "statement": "I agree to photographs.", "required": False}
    )
    new_file = write_json(w.tmp / "adult-1.1.json", template)
    added = w.run.json("consent", "form", "import", str(new_file))
    assert isinstance(added, dict) and added["added"] is True
    # The same file again is harmless.
    code, out, err = w.run("consent", "form", "import", str(new_file), "--json")
    assert code == 0 and json.loads(out) == {"id": added["id"], "added": False}
    assert "already in the store" in err

    versions = w.run.json("consent", "form", "list")
    assert isinstance(versions, list)
    by_version = {f["version"]: f for f in versions if f["slug"] == "adult-participant"}
    assert by_version["1.0"]["record_count"] == 1 and by_version["1.1"]["record_count"] == 0
    old = w.run.json("consent", "form", "show", "adult-participant@1.0")
    assert isinstance(old, dict)
    assert [i["id"] for i in old["items"]][-2:] == ["archiving", "future-contact"]
    assert "interviews and conversations with me" in old["items"][4]["statement"]

    # Lara's record keeps v1.0's items and answers, and so does what it allows.
    shown = record_json(w, w.lara)
    (record,) = shown["records"]
    assert record["id"] == old_record and record["form_id"] == by_version["1.0"]["id"]
    assert record["answers"]["archiving"] is True and "photos" not in record["answers"]
    assert shown["decisions"]["archiving"] is True

    # A bare name means the latest version; its items are the new ones.
    refusal = refused(
        w, "consent", "record", "--participant", w.kim, "--form", "adult-participant",
        *answers(*ADULT_YES, "archiving=yes"), "--method", "signed",
        "--signature", str(write_json(w.tmp / "s.json", STROKES)),
    )  # fmt: skip
    assert "(v1.1) has no item 'archiving'" in refusal
    newer = signed(w, w.kim, "photos=yes").strip()
    kim = record_json(w, w.kim)["records"][0]
    assert kim["id"] == newer and kim["form_id"] == by_version["1.1"]["id"]


def test_same_version_with_different_wording_is_refused(world: World) -> None:
    w = world
    exported = w.tmp / "adult.json"
    w.run.ok("consent", "form", "export", "adult-participant", "--out", str(exported))
    template = json.loads(exported.read_text(encoding="utf-8"))
    template["items"][0]["statement"] = "Changed wording under the same version."
    changed = write_json(w.tmp / "changed.json", template)
    before = rows(w.store)
    message = refused(w, "consent", "form", "import", str(changed))
    assert "Version 1.0 of the form “adult-participant” already exists" in message
    assert rows(w.store) == before


def test_form_export_to_stdout_and_no_overwrite(world: World) -> None:
    w = world
    printed = json.loads(w.run.ok("consent", "form", "export", "child-assent"))
    assert printed["slug"] == "child-assent" and len(printed["items"]) == 4
    target = w.tmp / "kept.json"
    target.write_text("mine", encoding="utf-8")
    message = refused(w, "consent", "form", "export", "child-assent", "--out", str(target))
    assert "already exists" in message and target.read_text(encoding="utf-8") == "mine"
    w.run.ok("consent", "form", "export", "child-assent", "--out", str(target), "--force")
    assert json.loads(target.read_text(encoding="utf-8")) == printed
    assert refused(w, "consent", "form", "show", "no-such-form", code=3)


def _template(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "relations-consent-form/1",
        "slug": "walk-and-talk",
        "title": "Walk and talk consent",
        "version": "1.0",
        "audience": "adult",
        "items": [
            {"id": "take-part", "statement": "I agree to take part.", "required": True},
            {"id": "audio", "statement": "Recorded.", "governs": "audio-recording"},
        ],
    }
    data.update(changes)
    return data


def _encoded(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode("utf-8")


BAD_TEMPLATES: dict[str, tuple[bytes | None, str]] = {
    "invalid-json": (b'{"title": "x", "items": [', "is not valid JSON (line 1"),
    "missing-items": (_encoded(_template(items=[])), "has no items"),
    "no-items-key": (
        _encoded({k: v for k, v in _template().items() if k != "items"}),
        "has no items",
    ),
    "unknown-governs": (
        _encoded(_template(items=[{"id": "a", "statement": "s", "governs": "photography"}])),
        "governs 'photography' must be one of: audio-recording",
    ),
    "duplicate-ids": (
        _encoded(_template(items=[{"id": "a", "statement": "s"}, {"id": "a", "statement": "t"}])),
        "the id 'a' is used twice",
    ),
    "missing-title": (
        _encoded({k: v for k, v in _template().items() if k != "title"}),
        "title is missing or empty",
    ),
    "too-big": (_encoded(_template(title="x" * 300_000)), "is at most 256 KiB"),
    "not-utf8": (b"\xff\xfe\x00{", "is not UTF-8 text"),
    "missing-file": (None, "Cannot read"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEMPLATES))
def test_malformed_form_template_is_refused_before_unlock(world: World, case: str) -> None:
    raw, expected = BAD_TEMPLATES[case]
    path = world.tmp / f"{case}.json"
    if raw is not None:
        path.write_bytes(raw)
    before = fingerprint(world.store)
    message = refused(world, "consent", "form", "import", str(path))
    assert expected in message
    assert fingerprint(world.store) == before
    assert "adult-participant" in world.run.ok("consent", "form", "list")


# -------------------------------------------------------------------- records
def test_consent_with_each_method(world: World) -> None:
    w = world
    first = signed(w, w.lara, "audio-recording=yes", "anonymised-quotes=n").strip()
    scan = w.tmp / "kim-form.jpg"
    scan.write_bytes(b"\xff\xd8\xff\xe0 a scanned paper form")
    w.run.ok(
        "consent", "record", "--participant", w.kim, "--form", "adult-participant@1.0",
        *answers(*ADULT_YES, "audio-recording=true"), "--method", "paper",
        "--scan", str(scan), "--date", "2026-01-20",
    )  # fmt: skip
    # A recording made by import (Lara consented), then verbal consent given in it.
    rid = w.run.ok("recording", "import", "--encounter", w.kitchen, str(wav(w.tmp / "a.wav")))
    w.run.ok(
        "consent", "record", "--participant", w.lara, "--form", "adult-participant",
        *answers(*ADULT_YES, "audio-recording=yes", "anonymised-quotes=yes"),
        "--method", "verbal", "--recording", rid.strip(), "--at", "1.5",
    )  # fmt: skip

    lara = record_json(w, w.lara)
    assert [r["method"] for r in lara["records"]] == ["signed", "verbal"]
    assert lara["records"][0]["id"] == first and lara["records"][0]["has_signature"]
    verbal = lara["records"][1]
    assert verbal["recording_id"] == rid.strip() and verbal["recording_offset"] == 1.5
    assert lara["decisions"]["anonymised-quotes"] is True  # the latest record decides
    kim = record_json(w, w.kim)
    (paper,) = kim["records"]
    assert paper["has_scan"] and paper["scan_name"] == "kim-form.jpg"
    assert paper["given_on"] == "2026-01-20"
    text = w.run.ok("consent", "show", w.kim)
    assert "Kim (Health Visitor)" in text and "paper" in text and "2026-01-20" in text
    assert "Audio recording:" in text and "take-part yes" in text


def test_certificate_pdf(world: World) -> None:
    w = world
    rid = signed(w, w.lara, "audio-recording=yes", "future-contact=no").strip()
    pdf = w.tmp / "certificate.pdf"
    assert w.run.ok("consent", "certificate", rid, "--out", str(pdf)).strip() == str(pdf)
    text = " ".join(
        " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages
        ).split()
    )
    form = w.run.json("consent", "form", "show", "adult-participant")
    assert isinstance(form, dict)
    assert " ".join(form["title"].split()) in text
    assert "Lara (Mother)" in text and "Jane Realname" in text and "Ann Researcher" in text
    answers_given = {"audio-recording": True, "future-contact": False}
    for number, item in enumerate(form["items"], start=1):
        answer = "YES" if item["required"] or answers_given.get(item["id"]) else "NO"
        assert f"{answer} {number}. {' '.join(item['statement'].split())[:60]}" in text
    assert text.count("YES") == 5 and text.count("NO ") >= 4
    assert pdf.stat().st_mode & 0o777 == 0o600
    # An existing file is not overwritten without --force.
    pdf.write_bytes(b"mine")
    message = refused(w, "consent", "certificate", rid, "--out", str(pdf))
    assert "already exists" in message and pdf.read_bytes() == b"mine"
    w.run.ok("consent", "certificate", rid, "--out", str(pdf), "--force")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "no consent record" in refused(w, "consent", "certificate", "nope", "--out",
                                          str(w.tmp / "x.pdf"), code=3)  # fmt: skip
    assert not (w.tmp / "x.pdf").exists()


def test_a_child_needs_a_parents_consent_and_their_own_assent(world: World) -> None:
    w = world
    base = ["consent", "record", "--participant", w.ellie, "--method", "signed"]
    sig = ["--signature", str(write_json(w.tmp / "sig.json", STROKES))]
    parent_answers = answers(
        "information-sheet=yes", "voluntary=yes", "take-part=yes", "audio-recording=yes"
    )
    assert "say whether this is a parent's consent" in refused(
        w, *base, *sig, "--form", "parent-for-child", *parent_answers
    )
    w.run.ok(*base, *sig, "--form", "parent-for-child", *parent_answers,
             "--party", "parent", "--given-by", w.lara)  # fmt: skip
    shown = record_json(w, w.ellie)
    assert shown["missing"] == ["no assent from the child"]
    assert shown["records"][0]["given_by"] == "Lara (Mother)"
    w.run.ok(*base, *sig, "--form", "child-assent", "--party", "assent",
             *answers("understood=yes", "take-part=yes", "audio-recording=yes"))  # fmt: skip
    shown = record_json(w, w.ellie)
    assert shown["missing"] == [] and shown["decisions"]["audio-recording"] is True
    assert shown["decisions"]["anonymised-quotes"] is False


BAD_RECORDS: dict[str, tuple[str, str, list[str], int, str]] = {
    # case: (participant, form, answers and options, exit code, message)
    "missing-required-item": (
        "lara", "adult-participant",
        answers("information-sheet=yes", "voluntary=yes", "confidentiality-limits=yes"),
        2, "The required item 'take-part' has no answer",
    ),
    "unknown-item": (
        "lara", "adult-participant", answers(*ADULT_YES, "favourite-colour=yes"),
        2, "has no item 'favourite-colour'; its items are: information-sheet",
    ),
    "required-answered-no": (
        "lara", "adult-participant",
        answers("information-sheet=yes", "voluntary=yes", "confidentiality-limits=yes",
                "take-part=no"),
        2, "is required to take part",
    ),
    "unknown-form-version": (
        "lara", "adult-participant@9.9", answers(*ADULT_YES),
        3, "There is no consent form 'adult-participant@9.9'",
    ),
    "form-for-another-audience": (
        "lara", "child-assent", answers("understood=yes", "take-part=yes"),
        2, "(v1.0) is for children",
    ),
    "unknown-participant": (
        "nobody", "adult-participant", answers(*ADULT_YES), 3, "no participant with id 'nobody'",
    ),
    "future-date": (
        "lara", "adult-participant", [*answers(*ADULT_YES), "--date", "2999-01-01"],
        2, "cannot be dated in the future",
    ),
    "scan-with-signed": (
        "lara", "adult-participant", [*answers(*ADULT_YES), "--scan", __file__],
        2, "--scan goes with --method paper, not signed",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_bad_consent_record_changes_nothing(world: World, case: str) -> None:
    w = world
    who, form, extra, code, expected = BAD_RECORDS[case]
    pid = getattr(w, who) if who == "lara" else who
    sig = write_json(w.tmp / "sig.json", STROKES)
    before = rows(w.store)
    message = refused(
        w, "consent", "record", "--participant", pid, "--form", form, *extra,
        "--method", "signed", "--signature", str(sig), code=code,
    )  # fmt: skip
    assert expected in message
    assert rows(w.store) == before


PARSE_ERRORS: dict[str, tuple[list[str], str]] = {
    "answer-maybe": (["--answer", "take-part=maybe"], "must be yes or no"),
    "answer-without-equals": (["--answer", "take-part"], "is not ITEM=yes or ITEM=no"),
    "answered-both-ways": (
        ["--answer", "take-part=yes", "--answer", "take-part=no"],
        "answered both yes and no",
    ),
    "bad-method": (["--method", "telepathy"], "invalid choice: 'telepathy'"),
    "empty-signature": (["--signature", "EMPTY"], "The signature is empty"),
    "signature-not-json": (["--signature", "NOTJSON"], "is not JSON strokes"),
    "missing-scan": (["--method", "paper", "--scan", "/no/such/scan.jpg"], "is not a file"),
    "bad-at": (["--method", "verbal", "--at", "nan"], "is not a number of seconds"),
}


@pytest.mark.parametrize("case", sorted(PARSE_ERRORS))
def test_bad_arguments_are_refused_before_unlock(world: World, case: str) -> None:
    w = world
    extra, expected = PARSE_ERRORS[case]
    files = {
        "EMPTY": write_json(w.tmp / "empty.json", {"width": 10, "height": 10, "strokes": []}),
        "NOTJSON": w.tmp / "not.json",
    }
    files["NOTJSON"].write_text("scribble", encoding="utf-8")
    extra = [str(files[a]) if a in files else a for a in extra]
    method = [] if "--method" in extra else ["--method", "signed"]
    before = fingerprint(w.store)
    message = refused(
        w, "consent", "record", "--participant", w.lara, "--form", "adult-participant",
        *method, *extra,
    )  # fmt: skip
    assert expected in message
    assert fingerprint(w.store) == before


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("signed", "needs --signature FILE"),
        ("paper", "needs --scan FILE"),
        ("verbal", "needs --recording ID and --at SECONDS"),
    ],
)
def test_each_method_needs_its_evidence(world: World, method: str, expected: str) -> None:
    before = rows(world.store)
    message = refused(
        world, "consent", "record", "--participant", world.lara, "--form", "adult-participant",
        *answers(*ADULT_YES), "--method", method,
    )  # fmt: skip
    assert expected in message
    assert rows(world.store) == before


# ------------------------------------------------------------------ withdrawal
def test_withdraw_all_deletes_their_words_and_flags_shared_sessions(world: World) -> None:
    w = world
    signed(w, w.lara, "audio-recording=yes")
    w.run.ok("note", "add", "--encounter", w.kitchen, "--text", "Lara spoke of zebrafinch.")
    w.run.ok("note", "add", "--encounter", w.clinic, "--text", "About Lara: quokka.",
             "--about", w.lara)  # fmt: skip
    w.run.ok("note", "add", "--encounter", w.clinic, "--text", "Both of them: wombat.",
             "--about", w.lara, "--about", w.kim)  # fmt: skip
    for word in ("zebrafinch", "quokka", "wombat"):
        assert w.run.json("search", word), word
    plan = w.run.json("consent", "withdraw", "--participant", w.lara, "--scope", "all",
                      "--dry-run")  # fmt: skip
    assert isinstance(plan, dict) and plan["withdrawn"] is False
    assert plan["encounters_deleted"] == ["Kitchen"] and plan["encounters_flagged"] == ["Clinic"]

    done = w.run.json("consent", "withdraw", "--participant", w.lara, "--scope", "all",
                      "--yes", "--note", "Asked by phone.")  # fmt: skip
    assert isinstance(done, dict) and done["withdrawn"] is True
    assert done["notes_deleted"] == 2 and done["identity_entry_deleted"] is True
    assert w.run.json("search", "zebrafinch") == []
    assert w.run.json("search", "quokka") == []
    assert w.run.json("search", "Lara") == []
    assert w.run.json("search", "wombat")  # shared with Kim: kept and flagged
    people = w.run.json("participant", "list")
    assert isinstance(people, list)
    lara = next(p for p in people if p["id"] == w.lara)
    assert lara["withdrawal_scope"] == "all" and lara["has_real_name"] is False
    assert "withdrawn (all)" in w.run.ok("participant", "list")
    assert "Withdrawn (all)" in w.run.ok("consent", "show", w.lara)

    flags = w.run.json("consent", "flags")
    assert isinstance(flags, list) and [f["encounter_id"] for f in flags] == [w.clinic]
    assert "Clinic" in w.run.ok("consent", "flags", "--encounter", w.clinic)
    w.run.ok("consent", "flags", "resolve", flags[0]["id"])
    assert w.run.json("consent", "flags") == []
    assert "No sessions are flagged" in w.run.ok("consent", "flags")
    resolved = w.run.json("consent", "flags", "--all")
    assert isinstance(resolved, list) and resolved[0]["resolved_at"]
    assert refused(w, "consent", "flags", "--encounter", w.kitchen, code=3)  # deleted


def test_withdrawing_someone_already_withdrawn_changes_nothing(world: World) -> None:
    w = world
    w.run.ok("consent", "withdraw", "--participant", w.kim, "--scope", "future", "--yes")
    before = rows(w.store)
    message = refused(w, "consent", "withdraw", "--participant", w.kim, "--scope", "future",
                      "--yes")  # fmt: skip
    assert "Kim (Health Visitor) already withdrew (future)" in message
    assert rows(w.store) == before
    # Someone who stopped taking part may still ask for their data to go.
    w.run.ok("consent", "withdraw", "--participant", w.kim, "--scope", "all", "--yes")
    before = rows(w.store)
    assert "already withdrew (all)" in refused(
        w, "consent", "withdraw", "--participant", w.kim, "--scope", "all", "--yes"
    )
    assert rows(w.store) == before
    # No new consent from someone who withdrew.
    assert "no new consent can be recorded" in refused(
        w, "consent", "record", "--participant", w.kim, "--form", "adult-participant",
        *answers(*ADULT_YES), "--method", "signed",
        "--signature", str(write_json(w.tmp / "s.json", STROKES)),
    )  # fmt: skip


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("typed", ["yes\n", "no\n", ""])
def test_withdraw_asks_on_a_terminal(
    world: World, monkeypatch: pytest.MonkeyPatch, typed: str
) -> None:
    w = world
    monkeypatch.setattr(sys, "stdin", FakeTerminal(typed))
    before = rows(w.store)
    code, out, err = w.run("consent", "withdraw", "--participant", w.lara, "--scope", "all")
    assert "Withdraw Lara (Mother) and their data. This will delete:" in err
    assert "  - the session “Kitchen” (they were its only participant)" in err
    assert "Type yes to withdraw" in err
    if typed == "yes\n":
        assert code == 0 and "Lara (Mother) withdrew (all), today." in out
        assert record_json(w, w.lara)["withdrawn_scope"] == "all"
    else:
        assert code == 130 and out == ""
        assert err.strip().splitlines()[-1].endswith("Not confirmed; nothing was changed.")
        assert rows(w.store) == before


def test_withdraw_without_a_terminal_or_yes_refuses_in_a_real_process(world: World) -> None:
    w = world
    before = rows(w.store)
    env = dict(os.environ, RELATIONS_PASSPHRASE=PASSPHRASE, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "relations_desktop", "--store", str(w.store),
         "consent", "withdraw", "--participant", w.lara, "--scope", "all"],
        env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    message = one_line_error(done.stderr)
    assert "needs confirmation" in message and "--yes" in message
    assert rows(w.store) == before
    people = w.run.json("participant", "list")
    assert isinstance(people, list) and all(p["withdrawal_scope"] is None for p in people)


# ------------------------------------------------------------- the consent gate
class AutoStream(FakeInputStream):
    """A fake microphone that delivers 3 s of tone as soon as it starts."""

    def start(self) -> None:
        super().start()
        self.thread = threading.Thread(target=self.feed, args=(sine(3.0, self.rate),))
        self.thread.start()


class AutoBackend(FakeBackend):
    def open_input(self, device: Any, rate: int, blocksize: int, callback: Any,
                   finished: Any) -> FakeInputStream:  # fmt: skip
        stream = AutoStream(self, device, rate, blocksize, callback, finished)
        self.streams.append(stream)
        return stream


@pytest.fixture
def microphone(monkeypatch: pytest.MonkeyPatch) -> Iterator[AutoBackend]:
    backend = AutoBackend(rate=16000)
    monkeypatch.setattr(core_recordings, "SoundDeviceBackend", lambda: backend)
    yield backend
    for stream in backend.streams:
        assert isinstance(stream, AutoStream)
        stream.thread.join(timeout=10)


def test_record_without_consent_is_refused_before_any_device(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_device() -> None:
        raise AssertionError("the device must not be opened")

    monkeypatch.setattr(core_recordings, "SoundDeviceBackend", no_device)
    before = rows(world.store)
    message = refused(world, "record", "--encounter", world.clinic, "--seconds", "1", code=12)
    assert message.startswith("relations-desktop: Recording refused: no consent to audio")
    assert "Lara (Mother) (no consent recorded)" in message
    assert "Kim (Health Visitor) (no consent recorded)" in message
    assert rows(world.store) == before
    # Lara said no to recording: still refused, and said why.
    signed(world, world.lara, "audio-recording=no")
    message = refused(world, "record", "--encounter", world.kitchen, "--seconds", "1", code=12)
    assert "Lara (Mother) (said no to audio recording)" in message
    assert world.run.json("recording", "list") == []


def test_record_with_verbal_consent_at_the_start(world: World, microphone: AutoBackend) -> None:
    w = world
    rid = w.run.ok(
        "record", "--encounter", w.kitchen, "--seconds", "1", "--verbal-consent", w.lara,
        "--consent-form", "adult-participant", *answers(*ADULT_YES, "audio-recording=yes"),
    ).strip()  # fmt: skip
    recording = w.run.json("recording", "show", rid)
    assert isinstance(recording, dict) and recording["duration_seconds"] >= 1.0
    (verbal,) = record_json(w, w.lara)["records"]
    assert verbal["method"] == "verbal" and verbal["recording_id"] == rid
    assert verbal["recording_offset"] == 0.0
    # With her consent now on record, the next recording needs nothing more.
    assert w.run.ok("record", "--encounter", w.kitchen, "--seconds", "1").strip() != rid


def test_import_is_refused_without_consent_and_allowed_with_it(world: World) -> None:
    w = world
    audio = wav(w.tmp / "phone.wav")
    before = rows(w.store)
    message = refused(w, "recording", "import", "--encounter", w.clinic, str(audio), code=12)
    assert "Lara (Mother)" in message and "Kim (Health Visitor)" in message
    assert rows(w.store) == before
    # Verbal consent from one of them is not enough.
    verbal = ["--consent-form", "adult-participant", *answers(*ADULT_YES, "audio-recording=y")]
    message = refused(w, "recording", "import", "--encounter", w.clinic, str(audio),
                      "--verbal-consent", w.lara, *verbal, code=12)  # fmt: skip
    assert "Kim (Health Visitor)" in message and "Lara" not in message
    assert rows(w.store) == before
    rid = w.run.ok(
        "recording",
        "import",
        "--encounter",
        w.clinic,
        str(audio),
        "--verbal-consent",
        w.lara,
        "--verbal-consent",
        w.kim,
        *verbal,
    ).strip()
    for pid in (w.lara, w.kim):
        (record,) = record_json(w, pid)["records"]
        assert (record["method"], record["recording_id"]) == ("verbal", rid)
    listed = w.run.json("recording", "list", "--encounter", w.clinic)
    assert isinstance(listed, list) and [r["id"] for r in listed] == [rid]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--answer", "take-part=yes"], "go with --verbal-consent"),
        (["--verbal-consent", "LARA"], "needs --consent-form REF"),
        (["--verbal-consent", "LARA", "--consent-form", "adult-participant@9.9"],
         "no consent form 'adult-participant@9.9'"),
        (["--verbal-consent", "LARA", "--consent-form", "adult-participant",
          "--answer", "take-part=yes"], "required item 'information-sheet' has no answer"),
    ],
)  # fmt: skip
def test_bad_verbal_consent_options(world: World, extra: list[str], expected: str) -> None:
    w = world
    extra = [w.lara if a == "LARA" else a for a in extra]
    audio = wav(w.tmp / "phone.wav")
    before = rows(w.store)
    got, out, err = w.run("recording", "import", "--encounter", w.kitchen, str(audio), *extra)
    assert got in (2, 3) and out == ""
    assert expected in one_line_error(err)
    assert rows(w.store) == before
