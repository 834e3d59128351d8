"""The command line: every command, and every bad input the foundation issue names.

Most tests call ``cli.main`` in-process (fast); a few run the real entry points in a
subprocess to check what a script sees: exit codes, stdout, one line on stderr.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from relations_desktop import cli
from relations_desktop.core.store.models import EncounterType
from tests.conftest import PASSPHRASE

NEW_PASSPHRASE = "a different kitchen table entirely"


class Cli:
    """Runs ``relations-desktop --store DIR ...`` in-process and captures its output."""

    def __init__(self, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.store = store
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = cli.main(["--store", str(self.store), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 0, err
        return out

    def json(self, *args: str) -> object:
        return json.loads(self.ok(*args, "--json"))


@pytest.fixture
def run(
    store_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    monkeypatch.delenv(cli.NEW_PASSPHRASE_ENV, raising=False)
    return Cli(store_dir, capsys)


@pytest.fixture
def initialised(run: Cli) -> Cli:
    run.ok("init", "--researcher-name", "Ann")
    return run


def fingerprint(folder: Path) -> dict[str, str]:
    """Hash of every file in the store folder (the lock file is empty and excluded)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "store.lock"
    }


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("relations-desktop: ")
    return lines[0]


def test_init_prints_store_id_and_creates_private_store(run: Cli, store_dir: Path) -> None:
    data = run.json("init")
    assert isinstance(data, dict)
    assert len(data["id"]) == 36
    assert (store_dir / "vault.json").exists()
    assert (store_dir / "store.db").exists()
    assert store_dir.stat().st_mode & 0o777 == 0o700


def test_init_on_existing_store_is_refused_and_changes_nothing(initialised: Cli) -> None:
    before = fingerprint(initialised.store)
    code, out, err = initialised("init")
    assert code != 0
    assert "already a store" in one_line_error(err)
    assert out == ""
    assert fingerprint(initialised.store) == before


def test_init_with_recovery_recipient_shows_in_info(run: Cli) -> None:
    import pyrage

    recipient = str(pyrage.x25519.Identity.generate().to_public())
    run.ok("init", "--recovery-recipient", recipient)
    info = run.json("info")
    assert isinstance(info, dict)
    assert info["recovery_recipient"] == recipient


def test_init_with_bad_recovery_recipient_creates_nothing(run: Cli, store_dir: Path) -> None:
    code, _, err = run("init", "--recovery-recipient", "age1notarecipient")
    assert code != 0
    assert "recipient" in one_line_error(err)
    assert not (store_dir / "vault.json").exists()


def test_info(initialised: Cli) -> None:
    info = initialised.json("info")
    assert isinstance(info, dict)
    assert info["researcher_name"] == "Ann"
    assert info["counts"] == {"participants": 0, "encounters": 0, "fieldnotes": 0}
    assert "Store id:" in initialised.ok("info")


def test_participants_add_and_list(initialised: Cli) -> None:
    pid = initialised.ok(
        "participant",
        "add",
        "--pseudonym",
        "Lara",
        "--role",
        "Mother",
        "--region",
        "Scotland",
        "--real-name",
        "Jane Realname",
    ).strip()
    assert len(pid) == 36
    initialised.ok(
        "participant",
        "add",
        "--pseudonym",
        "Nurse A",
        "--role",
        "Substance Use Nurse",
        "--kind",
        "professional",
    )
    people = initialised.json("participant", "list")
    assert isinstance(people, list)
    assert [p["pseudonym"] for p in people] == ["Lara", "Nurse A"]
    assert people[0]["has_real_name"] is True
    listing = initialised.ok("participant", "list")
    assert "Lara" in listing and "Substance Use Nurse" in listing
    assert "Jane Realname" not in listing
    assert "Jane Realname" not in json.dumps(people)


def test_encounter_add_list_show(initialised: Cli) -> None:
    pid = initialised.ok("participant", "add", "--pseudonym", "Lara", "--role", "Mother").strip()
    data = initialised.json(
        "encounter",
        "add",
        "--type",
        "walk-and-talk",
        "--title",
        "Park with Lara",
        "--date",
        "2026-05-04",
        "--participant",
        pid,
    )
    assert isinstance(data, dict)
    eid = data["id"]
    listed = initialised.json("encounter", "list")
    assert isinstance(listed, list)
    assert listed[0]["id"] == eid and listed[0]["date"] == "2026-05-04"
    shown = initialised.json("encounter", "show", eid)
    assert isinstance(shown, dict)
    assert shown["participant_ids"] == [pid]
    assert shown["encounter_type"] == "walk-and-talk"
    assert "Lara (Mother)" in initialised.ok("encounter", "show", eid)


@pytest.mark.parametrize("slug", [t.value for t in EncounterType])
def test_every_encounter_type_is_accepted(initialised: Cli, slug: str) -> None:
    assert len(initialised.ok("encounter", "add", "--type", slug, "--title", slug).strip()) == 36


def test_notes_add_list_and_search(initialised: Cli, tmp_path: Path) -> None:
    eid = initialised.ok("encounter", "add", "--type", "clinic-visit", "--title", "Clinic").strip()
    nid = initialised.ok(
        "note", "add", "--encounter", eid, "--text", "The script was late again at the pharmacy."
    ).strip()
    note_file = tmp_path / "memo.txt"
    note_file.write_text("Memo: kinship care came up twice.\n", encoding="utf-8")
    initialised.ok("note", "add", "--encounter", eid, "--file", str(note_file), "--kind", "memo")
    notes = initialised.json("note", "list", "--encounter", eid)
    assert isinstance(notes, list)
    assert [n["kind"] for n in notes] == ["expanded", "memo"]
    assert notes[0]["id"] == nid
    hits = initialised.json("search", "pharmacy")
    assert isinstance(hits, list) and len(hits) == 1
    assert hits[0]["ref_id"] == nid and "**pharmacy**" in hits[0]["snippet"]
    assert "kinship" in initialised.ok("search", "kinship care", "--type", "clinic-visit")
    assert initialised.json("search", "kinship", "--type", "home-visit") == []
    assert initialised.json("search", "kinship", "--from", "2999-01-01") == []
    assert "No matches." in initialised.ok("search", "nonexistentword")


def test_search_filter_by_participant(initialised: Cli) -> None:
    pid = initialised.ok("participant", "add", "--pseudonym", "Lara", "--role", "Mother").strip()
    with_lara = initialised.ok(
        "encounter", "add", "--type", "home-visit", "--title", "A", "--participant", pid
    ).strip()
    without = initialised.ok("encounter", "add", "--type", "home-visit", "--title", "B").strip()
    for eid in (with_lara, without):
        initialised.ok("note", "add", "--encounter", eid, "--text", "nursery pickup")
    hits = initialised.json("search", "nursery", "--participant", pid)
    assert isinstance(hits, list)
    assert [h["encounter_id"] for h in hits] == [with_lara]


def test_global_options_accepted_after_the_command(initialised: Cli) -> None:
    code = cli.main(["info", "--store", str(initialised.store), "--json"])
    out, _ = initialised.capsys.readouterr()
    assert code == 0
    assert json.loads(out)["researcher_name"] == "Ann"


def test_passphrase_file(initialised: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cli.PASSPHRASE_ENV)
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    assert "Store id" in initialised.ok("--passphrase-file", str(secret), "info")


def test_no_passphrase_without_terminal_is_a_clear_error(
    initialised: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cli.PASSPHRASE_ENV)
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))  # noqa: SIM115 - closed by pytest
    code, _, err = initialised("info")
    assert code != 0
    assert cli.PASSPHRASE_ENV in one_line_error(err)


def test_passwd_changes_passphrase_and_keeps_data(
    initialised: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    eid = initialised.ok("encounter", "add", "--type", "home-visit", "--title", "Kept").strip()
    monkeypatch.setenv(cli.NEW_PASSPHRASE_ENV, NEW_PASSPHRASE)
    initialised.ok("passwd")
    code, _, err = initialised("info")
    assert code == 4 and "Wrong passphrase" in one_line_error(err)
    monkeypatch.setenv(cli.PASSPHRASE_ENV, NEW_PASSPHRASE)
    assert initialised.json("encounter", "show", eid)


def test_recovery_identity_resets_a_forgotten_passphrase(
    run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "team-recovery.txt"
    identity_file.write_text(f"# recovery\n{identity}\n", encoding="utf-8")
    run.ok("init", "--recovery-recipient", str(identity.to_public()))
    eid = run.ok("encounter", "add", "--type", "home-visit", "--title", "Kept").strip()
    monkeypatch.setenv(cli.PASSPHRASE_ENV, "forgotten")
    monkeypatch.setenv(cli.NEW_PASSPHRASE_ENV, NEW_PASSPHRASE)
    code, _, err = run("--recovery-identity", str(identity_file), "info")
    assert code != 0 and "passwd" in one_line_error(err)
    run.ok("--recovery-identity", str(identity_file), "passwd")
    monkeypatch.setenv(cli.PASSPHRASE_ENV, NEW_PASSPHRASE)
    assert run.json("encounter", "show", eid)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("passphrase", "expected"), [("wrong one", "Wrong passphrase"), ("", "empty")]
)
def test_bad_passphrase_is_refused_and_changes_nothing(
    initialised: Cli, monkeypatch: pytest.MonkeyPatch, passphrase: str, expected: str
) -> None:
    before = fingerprint(initialised.store)
    monkeypatch.setenv(cli.PASSPHRASE_ENV, passphrase)
    code, out, err = initialised("participant", "list")
    assert code != 0 and out == ""
    assert expected in one_line_error(err)
    assert fingerprint(initialised.store) == before


def test_empty_passphrase_at_init_creates_nothing(
    run: Cli, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cli.PASSPHRASE_ENV, "")
    code, _, err = run("init")
    assert code != 0 and "empty" in one_line_error(err)
    assert not (store_dir / "vault.json").exists()


def test_folder_that_is_not_a_store(run: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"\xff\xd8")
    code = cli.main(["--store", str(folder), "info"])
    _, err = run.capsys.readouterr()
    assert code == 5 and "not a Relations Desktop store" in one_line_error(err)
    assert sorted(p.name for p in folder.iterdir()) == ["holiday.jpg"]
    code = cli.main(["--store", str(tmp_path / "missing"), "info"])
    _, err = run.capsys.readouterr()
    assert code == 5 and "does not exist" in one_line_error(err)
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("damage", ["truncate", "tamper-param", "tamper-ciphertext", "garbage"])
def test_damaged_vault_is_refused_and_left_alone(initialised: Cli, damage: str) -> None:
    vault_file = initialised.store / "vault.json"
    raw = vault_file.read_bytes()
    if damage == "truncate":
        vault_file.write_bytes(raw[: len(raw) // 2])
    elif damage == "tamper-param":
        vault_file.write_bytes(raw.replace(b'"iterations": 3', b'"iterations": 1'))
    elif damage == "tamper-ciphertext":
        data = json.loads(raw)
        ct = data["passphrase_wrap"]["ciphertext"]
        data["passphrase_wrap"]["ciphertext"] = ("B" if ct[0] != "B" else "C") + ct[1:]
        vault_file.write_text(json.dumps(data), encoding="utf-8")
    else:
        vault_file.write_bytes(b"\x00\x01not json")
    before = fingerprint(initialised.store)
    code, out, err = initialised("info")
    assert code != 0 and out == ""
    line = one_line_error(err)
    assert "vault.json" in line
    assert fingerprint(initialised.store) == before


def test_corrupted_database_is_refused_and_never_rewritten(initialised: Cli) -> None:
    eid = initialised.ok("encounter", "add", "--type", "home-visit", "--title", "x").strip()
    initialised.ok("note", "add", "--encounter", eid, "--text", "words " * 20000)
    db = initialised.store / "store.db"
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    db.write_bytes(bytes(data))
    before = fingerprint(initialised.store)
    code, out, err = initialised("note", "list")
    assert code != 0 and out == ""
    assert "store.db" in one_line_error(err) and "damaged" in err
    assert fingerprint(initialised.store) == before


def test_unknown_encounter_type(initialised: Cli) -> None:
    before = fingerprint(initialised.store)
    code, _, err = initialised("encounter", "add", "--type", "pub-crawl", "--title", "x")
    assert code == 2 and "invalid choice: 'pub-crawl'" in one_line_error(err)
    assert fingerprint(initialised.store) == before


def test_note_for_missing_encounter_writes_nothing(initialised: Cli) -> None:
    code, out, err = initialised("note", "add", "--encounter", "no-such-id", "--text", "lost?")
    assert code == 3 and out == ""
    assert "no session with id 'no-such-id'" in one_line_error(err)
    assert initialised.json("note", "list") == []


def test_unreadable_note_file(initialised: Cli, tmp_path: Path) -> None:
    eid = initialised.ok("encounter", "add", "--type", "home-visit", "--title", "x").strip()
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\xff\xfe")
    code, _, err = initialised("note", "add", "--encounter", eid, "--file", str(binary))
    assert code != 0 and "not UTF-8" in one_line_error(err)
    code, _, err = initialised("note", "add", "--encounter", eid, "--file", str(tmp_path / "no"))
    assert code != 0 and "Cannot read" in one_line_error(err)
    assert initialised.json("note", "list") == []


def test_ten_megabyte_note_is_accepted(initialised: Cli, tmp_path: Path) -> None:
    eid = initialised.ok("encounter", "add", "--type", "home-visit", "--title", "Long").strip()
    big = tmp_path / "big.txt"
    line = "Lara said the bairns were at nursery while she went for her script. "
    text = line * (10 * 1024 * 1024 // len(line) + 1) + "LASTWORDMARKER"
    big.write_text(text, encoding="utf-8")
    nid = initialised.ok("note", "add", "--encounter", eid, "--file", str(big)).strip()
    notes = initialised.json("note", "list", "--encounter", eid)
    assert isinstance(notes, list)
    assert notes[0]["id"] == nid and len(notes[0]["body"]) == len(text)
    hits = initialised.json("search", "LASTWORDMARKER")
    assert isinstance(hits, list) and hits[0]["ref_id"] == nid


def test_bad_date_and_unknown_command(initialised: Cli) -> None:
    code, _, err = initialised(
        "encounter", "add", "--type", "other", "--title", "x", "--date", "31/12/2026"
    )
    assert code == 2 and "not a date" in one_line_error(err)
    code, _, err = initialised("frobnicate")
    assert code == 2 and "invalid choice" in one_line_error(err)


# ----------------------------------------------------- real processes, real exits
def _entry(
    *args: str, env_pass: str = PASSPHRASE, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, RELATIONS_PASSPHRASE=env_pass)
    return subprocess.run(
        [sys.executable, "-m", "relations_desktop", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )


def test_entry_point_round_trip(store_dir: Path) -> None:
    created = _entry("init", "--store", str(store_dir), "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["id"]
    eid = _entry(
        "--store",
        str(store_dir),
        "encounter",
        "add",
        "--type",
        "team-meeting",
        "--title",
        "Team meeting",
    ).stdout.strip()
    piped = _entry(
        "--store",
        str(store_dir),
        "note",
        "add",
        "--encounter",
        eid,
        "--file",
        "-",
        stdin="Notes from stdin about the contact visit.",
    )
    assert piped.returncode == 0, piped.stderr
    found = _entry("--store", str(store_dir), "search", "contact visit", "--json")
    assert json.loads(found.stdout)[0]["encounter_id"] == eid
    wrong = _entry("--store", str(store_dir), "info", env_pass="nope")
    assert wrong.returncode == 4 and wrong.stdout == ""
    assert wrong.stderr.strip() == "relations-desktop: Wrong passphrase."


def test_second_process_on_the_same_store_is_refused(store_dir: Path) -> None:
    assert _entry("init", "--store", str(store_dir)).returncode == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from relations_desktop.core.services import StoreService
            s = StoreService.open(Path({str(store_dir)!r}), {PASSPHRASE!r})
            print("open", flush=True)
            sys.stdin.readline()
            s.close()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = fingerprint(store_dir)
        second = _entry(
            "--store",
            str(store_dir),
            "encounter",
            "add",
            "--type",
            "other",
            "--title",
            "should not be written",
        )
        assert second.returncode == 7
        assert "already open" in one_line_error(second.stderr)
        assert fingerprint(store_dir) == before
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _entry("--store", str(store_dir), "info").returncode != 0:
        assert time.monotonic() < deadline
        time.sleep(0.2)
