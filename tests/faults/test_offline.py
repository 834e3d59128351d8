"""The offline guarantee: everything but sync works with the network cut off, and
nothing but sync opens a socket.

One realistic day runs once, command by command through the real CLI, each command in a
network namespace with no usable interface (``unshare -n``, as root; its loopback is
down, so not even 127.0.0.1 answers) and under the no-network audit hook of
``nosocket.py`` (installed in the CLI and, through ``nosocket_site/sitecustomize.py``,
in the transcription worker it spawns): init, team, participant, consent, session,
import of the bundled sample recording, transcription with the real embedded model, a
note, search, seal, verify, a QDPX export, a folder sync target and a sync to it. Then
an SFTP target is added and synced: it must say it waits (exit 0), not fail, and it is
the one step allowed to try the network (the hook writes its attempts down there
instead of ending the process, which also shows that the hook sees them).

The GUI: the main window is started offscreen under the same hook, unlocked, every page
shown once, and closed (``gui_walk.py``).
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

import pytest

from tests.conftest import PASSPHRASE
from tests.faults.helpers import ROOT, Cli, need
from tests.faults.nosocket_hook import ALLOW_ENV, EXIT_CODE, LOG_ENV, PROBE

SITE = Path(__file__).parent / "nosocket_site"
HOOKED = {"PYTHONPATH": f"{ROOT}{os.pathsep}{SITE}"}
STROKES = {"width": 300, "height": 100, "strokes": [[[10, 80], [60, 20], [120, 70]], [[150, 50]]]}
ADULT_YES = [
    f"{item}=yes"
    for item in (
        "information-sheet",
        "voluntary",
        "confidentiality-limits",
        "take-part",
        "audio-recording",
        "anonymised-quotes",
    )
]
SFTP_SYNC = "sync to an SFTP server"
NOTE = "Tea and marmalade toast; the kettle boiled twice."


def netns() -> tuple[bool, str]:
    """Whether ``unshare -n`` works here (root, and namespaces allowed)."""
    if shutil.which("unshare") is None:
        return False, "there is no unshare command (util-linux)"
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", "pass"], capture_output=True, text=True
    )
    if done.returncode:
        return False, f"unshare -n is not permitted here ({done.stderr.strip()[:120]})"
    return True, ""


@dataclass(frozen=True)
class Step:
    name: str
    returncode: int
    stdout: str
    stderr: str
    events: list[str]  # network events the hook saw


@dataclass(frozen=True)
class Day:
    isolated: bool  # the steps ran in an empty network namespace
    why_not: str
    steps: dict[str, Step]
    folder: Path
    gui_store: Path  # a copy of the store before the SFTP target was added


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory, speech: Path) -> Day:
    folder = tmp_path_factory.mktemp("offline")
    isolated, why_not = netns()
    cli = Cli(
        folder / "store",
        prefix=["unshare", "-n"] if isolated else [],
        module="tests.faults.nosocket",
        **HOOKED,
    )
    steps: dict[str, Step] = {}

    def step(name: str, *args: str, stdin: str | None = None, allow: bool = False) -> str:
        log = folder / f"{len(steps):02d}.log"
        env = {LOG_ENV: str(log), ALLOW_ENV: "1" if allow else "0"}
        done = cli.run(*args, stdin=stdin, env=env, timeout=120)
        events = log.read_text().splitlines() if log.exists() else []
        steps[name] = Step(name, done.returncode, done.stdout, done.stderr, events)
        return done.stdout.strip()

    (folder / "signature.json").write_text(json.dumps(STROKES), encoding="utf-8")
    (folder / "team-share").mkdir()
    answers = [arg for pair in ADULT_YES for arg in ("--answer", pair)]

    step("init", "init", "--researcher-name", "Ann")
    step("join the team as its PI", "team", "add", "--me", "--role", "pi")
    person = step(
        "add a participant", "participant", "add", "--pseudonym", "Lara", "--role", "Mother"
    )
    step(
        "take consent", "consent", "record", "--participant", person, "--form",
        "adult-participant", *answers, "--method", "signed", "--signature",
        str(folder / "signature.json"),
    )  # fmt: skip
    visit = step(
        "open a session", "encounter", "add", "--type", "home-visit", "--title", "Kitchen",
        "--participant", person,
    )  # fmt: skip
    recording = step("import audio", "recording", "import", "--encounter", visit, str(speech))
    step("transcribe", "transcribe", recording)
    step("write a note", "note", "add", "--encounter", visit, "--text", NOTE)
    step("search", "search", "marmalade", "--json")
    sealed = step("seal", "bundle", "seal", "--with-audio", "--json")
    bundle = json.loads(sealed)["path"] if sealed.startswith("{") else ""
    step("verify", "bundle", "verify", bundle)
    step("export QDPX", "qdpx", "--out", str(folder / "study.qdpx"))
    step("add a folder target", "target", "add", "folder", str(folder / "team-share"))
    step("sync to a folder", "sync", "--json")
    gui_store = folder / "gui-store"
    shutil.copytree(folder / "store", gui_store)
    step(
        "add an SFTP target", "target", "add", "sftp", "ann@127.0.0.1:2299/upload",
        "--password-stdin", stdin="not a real password\n",
    )  # fmt: skip
    step(SFTP_SYNC, "sync", "--json", allow=True)
    return Day(isolated, why_not, steps, folder, gui_store)


# ------------------------------------------------------------------ the tests
@pytest.mark.timeout(180)
def test_every_step_works_with_the_network_cut_off(day: Day) -> None:
    need(day.isolated, f"cannot cut the network off: {day.why_not}")
    for name, done in day.steps.items():
        assert done.returncode == 0, f"{name}: exit {done.returncode}: {done.stderr}"
    steps = day.steps
    [hit] = json.loads(steps["search"].stdout)
    assert "**marmalade**" in hit["snippet"], hit
    assert "(1 with a transcript" in steps["export QDPX"].stdout
    assert "is intact and signed by Ann" in steps["verify"].stdout
    with zipfile.ZipFile(day.folder / "study.qdpx") as qdpx:
        assert "project.qde" in qdpx.namelist()
    [sent] = json.loads(steps["sync to a folder"].stdout)["results"]
    assert sent["outcome"] == "sent", sent
    assert len(list((day.folder / "team-share").glob("*.age"))) == 1
    # The SFTP server cannot be reached: the delivery waits, as a plain message says.
    results = json.loads(steps[SFTP_SYNC].stdout)["results"]
    [waiting] = [r for r in results if r["target"].startswith("ann@")]
    assert (waiting["outcome"], waiting["state"]) == ("retry", "pending"), waiting
    assert waiting["problem"] == "unreachable"
    assert "Cannot reach 127.0.0.1" in waiting["message"], waiting["message"]
    assert steps[SFTP_SYNC].stderr == ""


def network(step: Step) -> list[str]:
    """What the step did on the network, urllib3's IPv6 probe left out (see below)."""
    return [e for e in step.events if not e.endswith(PROBE)]


@pytest.mark.timeout(180)
def test_no_step_but_the_sftp_sync_opens_a_socket(day: Day) -> None:
    for name, done in day.steps.items():
        if name == SFTP_SYNC:
            continue
        assert done.returncode != EXIT_CODE and not network(done), f"{name}: {done.events}"
        assert done.returncode == 0, f"{name}: exit {done.returncode}: {done.stderr}"
    # The control: the hook does see the network being tried.
    tried = network(day.steps[SFTP_SYNC])
    assert any("socket.connect" in e or "getaddrinfo" in e for e in tried), tried


@pytest.mark.timeout(180)
def test_no_step_but_the_sftp_sync_makes_any_internet_socket_at_all(day: Day) -> None:
    made = {name: s.events for name, s in day.steps.items() if name != SFTP_SYNC and s.events}
    assert made == {}


@pytest.mark.timeout(30)
def test_the_hook_stops_a_child_interpreter_that_makes_a_socket(tmp_path: Path) -> None:
    """The control for the transcription worker: any Python started with the hook's site
    folder on its path is stopped at its first Internet socket."""
    log = tmp_path / "child.log"
    done = subprocess.run(
        [sys.executable, "-c", "import socket; socket.socket(); print('not stopped')"],
        env={**os.environ, **HOOKED, LOG_ENV: str(log)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == EXIT_CODE and "not stopped" not in done.stdout
    assert "socket.__new__" in log.read_text()


@pytest.mark.timeout(90)
def test_the_gui_opens_every_page_without_a_socket(day: Day, tmp_path: Path) -> None:
    log = tmp_path / "gui.log"
    argv = [sys.executable, "-m", "tests.faults.nosocket", "--module", "tests.faults.gui_walk"]
    done = subprocess.run(
        [*(["unshare", "-n"] if day.isolated else []), *argv, str(day.gui_store)],
        env={
            **os.environ,
            **HOOKED,
            LOG_ENV: str(log),
            "RELATIONS_PASSPHRASE": PASSPHRASE,
            "QT_QPA_PLATFORM": "offscreen",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=80,
    )
    events = log.read_text().splitlines() if log.exists() else []
    assert events == [], events
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "unlocked" and lines[-1] == "quit", lines
    assert len([line for line in lines if line.startswith("page ")]) == 11
