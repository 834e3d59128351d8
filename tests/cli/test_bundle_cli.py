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


# ------------------------------------------------------------- bundle open
def _keys(cli_: Cli) -> dict[str, str]:
    keys = cli_.json("keys", "show")
    assert isinstance(keys, dict)
    return {k: str(v) for k, v in keys.items()}


@pytest.fixture
def team(run: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """A team store (Pat, PI) and the researcher's store (Ann, ``run``), each on the
    other's roster; Ann has a session with a note."""
    pat = Cli(tmp_path / "team-store", capsys)
    pat.ok("init", "--researcher-name", "Pat")
    pat.ok("team", "add", "--me", "--role", "pi")
    run.ok("init", "--researcher-name", "Ann")
    run.ok("team", "add", "--me")
    pat_keys, ann_keys = _keys(pat), _keys(run)
    run.ok(
        "team", "add", "--name", "Pat", "--recipient", pat_keys["age_recipient"],
        "--signing-key", pat_keys["signing_public_key"], "--role", "pi",
    )  # fmt: skip
    pat.ok(
        "team", "add", "--name", "Ann", "--recipient", ann_keys["age_recipient"],
        "--signing-key", ann_keys["signing_public_key"],
    )  # fmt: skip
    encounter = run.ok("encounter", "add", "--type", "home-visit", "--title", "Kitchen").strip()
    run.ok("note", "add", "--encounter", encounter, "--text", "Tea and toast.")
    return pat


def _sessions(cli_: Cli) -> list[str]:
    rows = cli_.json("encounter", "list")
    assert isinstance(rows, list)
    return sorted(str(r["title"]) for r in rows)


def test_open_merges_then_recognises_the_same_bundle(run: Cli, team: Cli, tmp_path: Path) -> None:
    out = tmp_path / "ann.bundle"
    run.ok("bundle", "seal", "--out", str(out))
    text = team.ok("bundle", "open", str(out))
    assert "signed by Ann" in text and "Merged:" in text
    assert _sessions(team) == ["Kitchen"]
    assert "opened here before; nothing changed" in team.ok("bundle", "open", str(out))
    received = team.json("bundle", "received")
    assert isinstance(received, list) and len(received) == 1
    assert team.ok("bundle", "conflicts").strip() == "No merge conflict is waiting."


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_open_refuses_a_damaged_bundle_and_changes_nothing(
    run: Cli, team: Cli, tmp_path: Path, damage: str
) -> None:
    out = tmp_path / "ann.bundle"
    run.ok("bundle", "seal", "--out", str(out))
    data = bytearray(out.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        del data[-100:]
    out.write_bytes(bytes(data))
    code, _, err = team("bundle", "open", str(out))
    assert code == 14
    assert "Nothing was written" in one_line_error(err)
    assert _sessions(team) == []
    assert team.json("bundle", "received") == []


def test_open_refuses_a_bundle_not_sealed_for_this_member(
    run: Cli, team: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ann.bundle"
    run.ok("bundle", "seal", "--out", str(out))
    other = Cli(tmp_path / "other-store", capsys)
    other.ok("init", "--researcher-name", "Olu")
    ann = _keys(run)
    other.ok(
        "team", "add", "--name", "Ann", "--recipient", ann["age_recipient"],
        "--signing-key", ann["signing_public_key"],
    )  # fmt: skip
    code, _, err = other("bundle", "open", str(out))
    assert code == 14
    assert "not sealed for you" in one_line_error(err)
    assert _sessions(other) == []


def test_open_refuses_a_valid_bundle_from_a_stranger(
    run: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pat has Ann's age recipient (so the bundle can be sealed for Pat) but Ann is not
    on Pat's roster: the signature belongs to nobody Pat knows."""
    pat = Cli(tmp_path / "team-store", capsys)
    pat.ok("init", "--researcher-name", "Pat")
    pat.ok("team", "add", "--me", "--role", "pi")
    run.ok("init", "--researcher-name", "Ann")
    run.ok("team", "add", "--me")
    run.ok("team", "add", "--name", "Pat", "--recipient", _keys(pat)["age_recipient"])
    run.ok("encounter", "add", "--type", "home-visit", "--title", "Kitchen")
    out = tmp_path / "ann.bundle"
    run.ok("bundle", "seal", "--out", str(out))
    code, _, err = pat("bundle", "open", str(out))
    assert code == 14
    assert "belongs to nobody on your team roster" in one_line_error(err)
    assert _sessions(pat) == []


def test_resolve_refuses_an_unknown_conflict(team: Cli) -> None:
    code, _, err = team("bundle", "resolve", "no-such-conflict", "--keep-local")
    assert code == 2
    one_line_error(err)
