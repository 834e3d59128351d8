"""``bundle seal`` and ``bundle verify`` on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from relations_desktop import cli
from tests.cli.test_cli import Cli, one_line_error
from tests.conftest import PASSPHRASE


@pytest.fixture
def run(
    store_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    return Cli(store_dir, capsys)


def _team(run: Cli) -> None:
    run.ok("init", "--researcher-name", "Ann")
    run.ok("team", "add", "--me", "--role", "pi")


def test_seal_then_verify(run: Cli, tmp_path: Path) -> None:
    _team(run)
    out = tmp_path / "ann.bundle"
    sealed = run.json("bundle", "seal", "--out", str(out))
    assert isinstance(sealed, dict) and sealed["recipients"] == 1
    assert out.exists()
    text = run.ok("bundle", "verify", str(out))
    assert "intact and signed by Ann" in text
    assert "researcher: Ann" in text
    got = run.json("bundle", "verify", str(out))
    assert isinstance(got, dict) and got["bundle_id"] == sealed["bundle_id"]


def test_verify_refuses_a_damaged_bundle_in_one_line(run: Cli, tmp_path: Path) -> None:
    _team(run)
    out = tmp_path / "ann.bundle"
    run.ok("bundle", "seal", "--out", str(out))
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x10
    out.write_bytes(bytes(data))
    code, _, err = run("bundle", "verify", str(out))
    assert code == 14
    assert "Bundle refused" in one_line_error(err)


def test_seal_refuses_an_empty_roster_and_writes_nothing(run: Cli, tmp_path: Path) -> None:
    run.ok("init", "--researcher-name", "Ann")
    code, _, err = run("bundle", "seal", "--out", str(tmp_path / "x.bundle"))
    assert code == 2
    assert "roster is empty" in one_line_error(err)
    assert list(tmp_path.glob("*bundle*")) == []


def test_seal_refuses_an_unknown_session(run: Cli, tmp_path: Path) -> None:
    _team(run)
    code, _, err = run("bundle", "seal", "--encounter", "nope", "--out", str(tmp_path / "x"))
    assert code != 0
    one_line_error(err)
    assert not (tmp_path / "x").exists()


def test_verify_of_a_missing_file_is_one_line(run: Cli, tmp_path: Path) -> None:
    _team(run)
    code, _, err = run("bundle", "verify", str(tmp_path / "absent.bundle"))
    assert code == 2
    assert "Cannot read" in one_line_error(err)


def test_seal_without_out_goes_to_the_outbox_and_since_last_says_when_nothing_changed(
    run: Cli, store_dir: Path
) -> None:
    _team(run)
    run.ok("encounter", "add", "--type", "home-visit", "--title", "Kitchen")
    text = run.ok("bundle", "seal", "--since-last")
    assert "in the outbox" in text
    (bundle,) = (store_dir / "outbox").glob("*.age")
    listed = run.ok("bundle", "outbox")
    assert bundle.stem in listed and "outbox" in listed
    code, _, err = run("bundle", "seal", "--since-last")
    assert code == 1
    assert "Nothing has changed since the last bundle" in one_line_error(err)
    assert len(list((store_dir / "outbox").glob("*.age"))) == 1


def test_open_refuses_a_folder_and_a_missing_file(run: Cli, tmp_path: Path) -> None:
    _team(run)
    for target in (tmp_path, tmp_path / "absent.bundle"):
        code, _, err = run("bundle", "open", str(target))
        assert code == 2
        assert "Nothing" in one_line_error(err) or "Cannot read" in err or "folder" in err
