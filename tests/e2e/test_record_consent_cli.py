"""Consent governs recording, end to end: the real CLI in a subprocess, PortAudio and the
virtual microphone. Refused without consent (exit 12, naming who, nothing stored);
allowed with signed consent; allowed with verbal consent taken at the recording's start.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.e2e.test_record_cli import Cli, assert_one_clear_line
from tests.e2e.virtual_mic import VirtualMic

REQUIRED = ("information-sheet", "voluntary", "confidentiality-limits", "take-part")


def _answers(audio: bool) -> list[str]:
    pairs = [f"{item}=yes" for item in REQUIRED]
    pairs.append(f"audio-recording={'yes' if audio else 'no'}")
    return [arg for pair in pairs for arg in ("--answer", pair)]


def _setup(cli: Cli) -> tuple[str, str, str]:
    cli.ok("init", "--researcher-name", "E2E")
    lara = cli.ok("participant", "add", "--pseudonym", "Lara", "--role", "Mother").strip()
    tom = cli.ok("participant", "add", "--pseudonym", "Tom", "--role", "Father").strip()
    session = cli.ok(
        "encounter", "add", "--type", "home-visit", "--title", "Kitchen",
        "--participant", lara, "--participant", tom,
    ).strip()  # fmt: skip
    return lara, tom, session


def test_recording_is_refused_then_allowed_with_signed_and_verbal_consent(
    tmp_path: Path, virtual_mic: VirtualMic, speech_wav: Path
) -> None:
    cli = Cli(tmp_path / "store")
    lara, tom, session = _setup(cli)
    strokes = tmp_path / "signature.json"
    strokes.write_text(json.dumps({"width": 300, "height": 100, "strokes": [[[5, 5], [90, 60]]]}))
    cli.ok("consent", "record", "--participant", lara, "--form", "adult-participant",
           "--method", "signed", "--signature", str(strokes), *_answers(True))  # fmt: skip

    refused = cli.run("record", "--encounter", session, "--seconds", "2")
    assert refused.returncode == 12, refused.stderr
    assert_one_clear_line(refused.stderr, "Recording refused", "Tom (Father)", "no consent")
    assert "Lara" not in refused.stderr
    assert cli.recordings() == []

    # Verbal consent from Tom at the start of the recording: the real microphone records.
    rec = cli.record(
        session, 3, "--verbal-consent", tom, "--consent-form", "adult-participant",
        *_answers(True),
    )  # fmt: skip
    rec.wait_started()
    time.sleep(0.2)
    player = virtual_mic.play(speech_wav)
    assert rec.wait(40) == 0, rec.stderr
    player.wait(10)
    (recording,) = cli.recordings()
    assert recording["id"] == rec.recording_id and recording["duration_seconds"] > 2.5
    shown = cli.json("consent", "show", tom)
    verbal = [r for r in shown["records"] if r["method"] == "verbal"]
    assert verbal and verbal[0]["recording_id"] == rec.recording_id
    assert verbal[0]["recording_offset"] == 0.0

    # Now both have consented: a plain recording is allowed.
    again = cli.record(session, 1)
    again.wait_started()
    assert again.wait(30) == 0, again.stderr
    assert len(cli.recordings()) == 2
