"""kill -9 of a recording (and of an import): the next unlock recovers every committed chunk.

A real ``record`` runs against the virtual microphone with speech playing; SIGKILL gives
the process no chance to close anything (as a crash or a flat battery would). The next
command that opens the store (``recording list``) runs recovery.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.speech import best_lag_correlation, concat_wavs, read_mono, write_wav
from tests.e2e.test_record_cli import ROOT, Cli, StoreTemplate
from tests.e2e.virtual_mic import VirtualMic

# Seconds after the "Recording" line: inside the first chunk, mid-way, near a boundary.
KILL_POINTS = [1.5, 3.2, 5.7]
# Chunks are ~0.9 s and each is committed at once: at most the chunk being gathered, and
# what sits in the input buffers, can be lost.
MAX_LOSS_SECONDS = 1.5


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> StoreTemplate:
    return StoreTemplate.make(tmp_path_factory.mktemp("template"))


@pytest.fixture
def cli(tmp_path: Path, virtual_mic: VirtualMic) -> Cli:
    return Cli(tmp_path / "store")


@pytest.fixture(scope="module")
def long_speech(speech_wav: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test speech twice (~12 s), so the input is never silent before a kill."""
    folder = tmp_path_factory.mktemp("long-speech")
    return concat_wavs([speech_wav, speech_wav], folder / "speech_x2.wav")


@pytest.mark.parametrize("at", KILL_POINTS, ids=[f"{t}s" for t in KILL_POINTS])
def test_kill_9_while_recording_keeps_every_committed_chunk(
    cli, template, virtual_mic, long_speech, tmp_path, at
):
    session = cli.copy_of(template)
    rec = cli.record(session, 60)
    started = rec.wait_started()
    player = virtual_mic.play(long_speech)
    time.sleep(max(0.0, started + at - time.monotonic()))
    rec.proc.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    assert rec.wait(10) == -signal.SIGKILL
    player.terminate()
    player.wait(5)
    elapsed = killed - started
    assert rec.stdout == ""  # it never got to say it finished

    # Opening the store recovers the recording (status "recovering" → "recovered").
    rows = cli.recordings()
    assert len(rows) == 1, rows
    [row] = rows
    assert row["id"] == rec.recording_id
    assert row["status"] == "recovered"
    assert row["stop_reason"] == "recovered"
    assert row["ended_at"] is not None
    duration = row["duration_seconds"]
    assert elapsed - MAX_LOSS_SECONDS <= duration <= elapsed + 0.3, (duration, elapsed)
    if at >= 2.5:
        assert duration > 0

    # Every chunk decodes, in order: the export holds exactly the recovered length...
    if duration > 0:
        audio, rate = cli.export_wav(rec.recording_id, tmp_path / "recovered.wav")
        assert rate == rec.rate
        assert len(audio) == round(duration * rate)
        # ...and it is the speech that was playing.
        reference, ref_rate = read_mono(long_speech)
        match = best_lag_correlation(
            audio, reference[: round(duration * ref_rate)], rate, ref_rate, max_lag_seconds=1.0
        )
        assert match.correlation >= 0.9, match

    # The store is intact.
    assert cli.json("info")["counts"]["encounters"] == 1
    if at == KILL_POINTS[-1]:
        # Recovery ran once: a second unlock changes nothing. And it records again.
        assert cli.recordings() == rows
        again = cli.record(session, 1)
        again.wait_started()
        assert again.wait(20) == 0, again.stderr
        statuses = sorted(r["status"] for r in cli.recordings())
        assert statuses == ["complete", "recovered"]


def test_kill_9_during_an_import_leaves_nothing_half_imported(cli, template, tmp_path):
    session = cli.copy_of(template)
    # Five minutes of 48 kHz noise (29 MB, about a second to import here): long enough to
    # be killed mid-way (a 60 s file is imported before the kill can land).
    rng = np.random.default_rng(9)
    big = write_wav(tmp_path / "long.wav", 0.1 * rng.standard_normal(300 * 48_000), 48_000)
    proc = subprocess.Popen(
        cli.argv("recording", "import", "--encounter", session, str(big)),
        env=cli.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reached = threading.Event()
    seen: list[str] = []

    def watch() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line.rstrip())
            match = re.match(r"^\s+imported\s+(\d+)%", line)
            if match and int(match.group(1)) >= 30:
                reached.set()
        reached.set()

    threading.Thread(target=watch, daemon=True).start()
    assert reached.wait(60), seen
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, (
        f"the import finished before it could be killed: {seen}"
    )
    assert any("imported" in line for line in seen)

    assert cli.recordings() == []
    assert cli.json("info")["counts"]["encounters"] == 1
    # The same file imports completely afterwards.
    done = cli.run("recording", "import", "--encounter", session, str(big), "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    [row] = cli.recordings()
    assert row["status"] == "imported"
    assert row["duration_seconds"] == pytest.approx(300.0, abs=0.01)
