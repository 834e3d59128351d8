"""``relations-desktop self-test`` against the source tree.

One run of the whole self-test, as a subprocess of the real entry point (the speech
worker is spawned from it as it is for a user), with the network cut off where this
machine allows it (``unshare -n`` as root): every step passes and is reported, no Qt
module is imported, the temporary folder is gone afterwards and the user's store is never
touched. Broken steps are run in-process with a monkeypatched piece: a speech model whose
SHA-256 does not match, sample data missing from the app. (The self-test of the built
app is scripts/build-app's, not pytest's: see docs/packaging.md.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from relations_desktop import cli
from relations_desktop.core import sample
from relations_desktop.core.selftest import STEPS
from relations_desktop.core.transcription import model_files

REPO = Path(__file__).resolve().parents[2]
STEP_LINE = re.compile(r"^✓ (?P<name>.+) … (?P<seconds>\d+\.\d) s$")
# Runs the real entry point, then says which Qt modules the process imported.
RUN = """
import sys
from relations_desktop.__main__ import main
code = main(sys.argv[1:])
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
sys.stderr.write(f"Qt modules imported: {qt}\\n")
sys.exit(code)
"""


def _offline_prefix() -> list[str]:
    """``unshare -n`` (a network namespace with no interfaces) where it works here."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        return []
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    return [unshare, "-n"] if probe.returncode == 0 else []


def test_the_self_test_passes_offline_and_reports_every_step(tmp_path: Path) -> None:
    temp, home = tmp_path / "tmp", tmp_path / "home"
    temp.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RELATIONS_")},
        "TMPDIR": str(temp),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "RELATIONS_STORE": str(tmp_path / "the-users-store"),
    }
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("DISPLAY", None)
    # onnxruntime (faster-whisper's voice detector) writes a telemetry session file into
    # TMPDIR and a device id and event cache under HOME unless this is set before it
    # loads. The app is to set it itself (see docs/packaging.md, "Known problems"); here it
    # is set so that this test checks the self-test's own clean-up strictly.
    env["ORT_DISABLE_TELEMETRY"] = "1"
    done = subprocess.run(
        [*_offline_prefix(), sys.executable, "-c", RUN, "self-test", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["ok"] is True and report["failed_step"] is None and report["not_run"] == []
    assert [s["name"] for s in report["steps"]] == list(STEPS)
    assert all(s["ok"] and s["seconds"] >= 0 and s["exit_code"] == 0 for s in report["steps"])
    assert "heard kettle, school, appointment, nurse" in report["steps"][4]["detail"]
    lines = done.stderr.splitlines()
    shown = [m["name"] for line in lines if (m := STEP_LINE.match(line))]
    assert shown == list(STEPS), done.stderr
    assert "Qt modules imported: []" in lines
    assert list(temp.iterdir()) == []  # the temporary stores are gone
    assert not (tmp_path / "the-users-store").exists() and not home.exists()


def test_the_text_report_names_each_step_and_the_outcome(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A model file whose hash does not match: that step fails, named, with exit 11,
    and nothing after it runs."""
    tampered = tmp_path / "model"
    tampered.mkdir()
    real = model_files.default_model_dir()
    for name in model_files.DEFAULT_MODEL_SHA256:
        (tampered / name).symlink_to(real / name)
    (tampered / "config.json").unlink()
    (tampered / "config.json").write_bytes((real / "config.json").read_bytes() + b" ")
    monkeypatch.setattr(model_files, "default_model_dir", lambda: tampered)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    code = cli.main(["self-test"])
    out, err = capsys.readouterr()
    assert code == 11
    lines = out.splitlines()
    assert STEP_LINE.match(lines[0])["name"] == STEPS[0]  # type: ignore[index]
    assert lines[1].startswith(f"✗ {STEPS[1]} … ")
    assert "config.json has changed" in lines[2]
    assert lines[3].startswith("Self-test FAILED after ") and STEPS[2] in lines[3]
    assert len(lines) == 4
    assert err == (
        f"relations-desktop: self-test failed at step '{STEPS[1]}': The embedded speech model "
        "failed its integrity check (config.json has changed); reinstall Relations Desktop.\n"
    )
    assert not list(tmp_path.glob("relations-self-test-*"))


def test_missing_sample_data_fails_its_step_in_the_json_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """What a frozen app without its data files would do: the step that needs them fails."""
    empty = tmp_path / "resources-without-sample"
    empty.mkdir()
    monkeypatch.setattr(sample, "resource", lambda *parts: empty.joinpath(*parts))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    code = cli.main(["self-test", "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False and report["failed_step"] == "add the sample session"
    assert [s["ok"] for s in report["steps"]] == [True, True, True, False]
    assert "missing or damaged (session.json)" in report["steps"][-1]["detail"]
    assert report["not_run"] == list(STEPS[4:])
    assert err.splitlines()[-1].startswith(
        "relations-desktop: self-test failed at step 'add the sample session': "
    )
    assert not list(tmp_path.glob("relations-self-test-*"))
