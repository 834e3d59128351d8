"""``qdpx`` on the command line: a REFI-QDA project valid against the QDA-XML schema,
and every bad input refused in one line with nothing written."""

from __future__ import annotations

import importlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from relations_desktop import cli
from relations_desktop.core.services import StoreService
from tests.cli.test_cli import one_line_error
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_recording, make_transcript

SCHEMA_FILE = Path(__file__).parents[1] / "data" / "refi-qda" / "Project.xsd"
REAL_NAME = "Jane Realname"


class Run:
    """``relations-desktop --store DIR ...`` in-process, through ``cli.main.main``."""

    def __init__(self, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.store, self.capsys = store, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = importlib.import_module("relations_desktop.cli.main").main(
            ["--store", str(self.store), *args]
        )
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A store with one recorded, transcribed visit to Lara (real name in the register);
    built once, copied for each test."""
    folder = tmp_path_factory.mktemp("qdpx-cli")
    with StoreService.create(folder / "store", PASSPHRASE, researcher_name="Ann") as service:
        lara = service.add_participant("Lara", "Mother", real_name=REAL_NAME).id
        give_adult_consent(service, lara)
        encounter = service.add_encounter("home-visit", "Kitchen", participant_ids=[lara]).id
        recording = make_recording(service, encounter, folder, seconds=4.0)
        transcript = make_transcript(
            service, recording, [Seg(0.0, 3.0, "Jane said the wean was fine.", speaker=0)], ["S1"]
        )
        speaker = service.transcripts.get(transcript).speakers[0].id
        service.transcripts.update_speaker(speaker, participant_id=lara)
        service.add_note(encounter, "Jane made tea.", tags=["care"], participant_ids=[lara])
    return folder / "store", encounter


@pytest.fixture
def run(
    store_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    return Run(store_dir, capsys)


@pytest.fixture
def visit(base_store: tuple[Path, str], store_dir: Path) -> str:
    """The base store copied to ``store_dir``; the visit's session id."""
    shutil.copytree(base_store[0], store_dir)
    return base_store[1]


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_qdpx_writes_a_valid_pseudonymised_project(run: Run, visit: str, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "team.qdpx"
    out.parent.mkdir()
    code, text, err = run("qdpx", "--out", str(out), "--with-audio")
    assert code == 0, err
    assert f"Exported {out}" in text and "1 with audio" in text
    with zipfile.ZipFile(out) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))
    assert schema.validate(etree.fromstring(files["project.qde"])), schema.error_log
    assert len([n for n in files if n.endswith(".flac")]) == 1
    for name, data in files.items():
        assert REAL_NAME.encode() not in data and b"Realname" not in data, name
        if not name.endswith(".flac"):
            assert b"Jane" not in data, name
    assert b"Lara (Mother): Lara said the wean was fine." in b"".join(files.values())
    assert files_in(out.parent) == ["team.qdpx"]
    assert out.stat().st_mode & 0o777 == 0o600


def test_qdpx_json_and_one_session(run: Run, visit: str, tmp_path: Path) -> None:
    out = tmp_path / "one.qdpx"
    code, text, err = run("qdpx", "--out", str(out), "--encounter", visit, "--json")
    assert code == 0, err
    data = json.loads(text)
    assert data["path"] == str(out) and data["audio_files"] == 0
    assert (data["audio_sources"], data["transcripts"], data["text_sources"]) == (1, 1, 1)
    assert data["cases"] == 1 and data["codes"] == 1


def test_qdpx_refuses_unreviewed_identifiers(
    run: Run, visit: str, store_dir: Path, tmp_path: Path
) -> None:
    with StoreService.open(store_dir, PASSPHRASE) as service:
        service.add_note(visit, "Then Margaret Thomson phoned from Dundee.")
    out = tmp_path / "exports" / "team.qdpx"
    out.parent.mkdir()
    out.write_bytes(b"last week's export")
    code, _, err = run("qdpx", "--out", str(out))
    assert code == 13
    assert "Export refused" in one_line_error(err)
    assert out.read_bytes() == b"last week's export"
    assert files_in(out.parent) == ["team.qdpx"]


@pytest.mark.parametrize(
    ("target", "extra", "exit_code", "message"),
    [
        ("missing/team.qdpx", [], 2, "does not exist"),
        ("a-folder", [], 2, "is a folder"),
        ("team.qdpx", ["--encounter", "no-such-session"], 3, "no-such-session"),
    ],
)
def test_qdpx_bad_inputs_are_one_line_and_write_nothing(
    run: Run,
    visit: str,
    tmp_path: Path,
    target: str,
    extra: list[str],
    exit_code: int,
    message: str,
) -> None:
    folder = tmp_path / "exports"
    (folder / "a-folder").mkdir(parents=True)
    code, _, err = run("qdpx", "--out", str(folder / target), *extra)
    assert code == exit_code
    assert message in one_line_error(err)
    assert files_in(folder) == ["a-folder"] and files_in(folder / "a-folder") == []


def test_qdpx_needs_an_out_file(run: Run) -> None:
    code, _, err = run("qdpx")
    assert code == 2
    assert "--out" in one_line_error(err)
