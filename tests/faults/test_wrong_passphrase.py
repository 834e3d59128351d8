"""Ten wrong passphrases in a row through the command line.

Each is refused with one clear line and exit 4 (``WrongPassphrase``), the store's files
stay byte for byte as they were, and the right passphrase still opens it afterwards. The
app has no lockout or backoff (the Argon2id cost of each try is the only brake): that is
tested as it is, so the right passphrase works at once after the tenth wrong one.

The first ten run ``cli.main`` in-process, as tests/cli/test_cli.py does (an unlock costs
Argon2id, not an interpreter start); the eleventh, and the right one, run the real entry
point in a subprocess, to see the exit code and stderr a script sees.
"""

from __future__ import annotations

import pytest

from relations_desktop import cli
from relations_desktop.core.services import StoreService
from tests.cli.test_cli import fingerprint
from tests.conftest import PASSPHRASE
from tests.faults.helpers import Cli, one_line_error

WRONG = [
    "kitchen table methadone bairn",  # one letter short
    "Kitchen table methadone bairns",  # case
    " kitchen table methadone bairns",  # a leading space
    "kitchen  table methadone bairns",  # a double space
    "kitchen table methadone bairns\n",  # a stray newline
    "x",
    "kitchen table methadone bairns" * 40,  # very long
    "κitchen table methadone bairns",  # a Greek kappa
    "\x00kitchen table methadone bairns",  # a NUL byte (given in a --passphrase-file)
    "correct horse battery staple",
]


@pytest.mark.timeout(60)
def test_ten_wrong_passphrases_change_nothing_and_the_right_one_still_works(
    tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    with StoreService.create(store, PASSPHRASE, researcher_name="Ann") as service:
        service.add_participant("Lara", "Mother")
    before = fingerprint(store)
    assert set(before) == {"store.db", "vault.json"}

    assert len(WRONG) == 10
    for number, wrong in enumerate(WRONG):
        args = ["--store", str(store), "participant", "list"]
        if "\x00" in wrong:  # no environment variable can hold it
            monkeypatch.delenv(cli.PASSPHRASE_ENV, raising=False)
            secret = tmp_path / f"wrong-{number}.txt"
            secret.write_text(wrong + "\n", encoding="utf-8")
            args += ["--passphrase-file", str(secret)]
        else:
            monkeypatch.setenv(cli.PASSPHRASE_ENV, wrong)
        capsys.readouterr()
        code = cli.main(args)
        out, err = capsys.readouterr()
        assert code == 4, (wrong, err)
        assert one_line_error(err) == "relations-desktop: Wrong passphrase."
        assert out == ""
        assert fingerprint(store) == before, f"a wrong passphrase ({wrong!r}) changed the store"

    # The eleventh, as a script sees it.
    done = Cli(store, RELATIONS_PASSPHRASE="still not it").run("participant", "list")
    assert done.returncode == 4
    assert one_line_error(done.stderr) == "relations-desktop: Wrong passphrase."
    assert fingerprint(store) == before

    # No lockout: the right passphrase opens it at once, with everything there.
    done = Cli(store).run("participant", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert "Lara" in done.stdout
