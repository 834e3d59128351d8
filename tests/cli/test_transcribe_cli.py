"""The transcription commands: transcribe, transcript show, glossary.

One store is prepared and transcribed once for the module (through the CLI itself);
most tests call ``cli.main`` in-process, and one runs the real entry point in a
subprocess (the worker is spawned from it, as it is for a user).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
import srt
import webvtt

from relations_desktop import cli
from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE
from tests.core.speech_fixtures import SENTENCES, SpeechMaker, speech_maker, wer

ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PASSAGE = (0, 1)  # the health visitor, the nursery
MAX_WER = 0.10


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> SpeechMaker:
    return speech_maker(tmp_path_factory)


def call(store: Path, *args: str) -> tuple[int, str, str]:
    """``relations-desktop --store STORE ARGS`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--store", str(store), *args])
    return code, out.getvalue(), err.getvalue()


def ok(store: Path, *args: str) -> str:
    code, out, err = call(store, *args)
    assert code == 0, err
    return out


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("relations-desktop: ")
    return lines[0]


@dataclass(frozen=True)
class Prepared:
    store: Path
    encounter: str
    recording: str  # transcribed (in the fixture), with speaker "Mother" on every segment
    untranscribed: str
    spare: str  # for a second transcription
    transcribe_code: int
    transcribe_out: str
    transcribe_err: str
    text: str  # what is said in ``recording``


@pytest.fixture(autouse=True)
def passphrase_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    monkeypatch.delenv(cli.NEW_PASSPHRASE_ENV, raising=False)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory, speech: SpeechMaker) -> Iterator[Prepared]:
    store = tmp_path_factory.mktemp("transcribe-cli") / "store"
    passage = speech.passage(PASSAGE, 48000)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
        ok(store, "init", "--researcher-name", "Ann")
        encounter = ok(store, "encounter", "add", "--type", "home-visit", "--title", "Visit")
        encounter = encounter.strip()
        imported = [
            ok(store, "recording", "import", "--encounter", encounter, str(path)).strip()
            for path in (passage.path, speech.sentence(5).path, speech.sentence(6).path)
        ]
        code, out, err = call(store, "transcribe", imported[0])
        assert code == 0, err
    with StoreService.open(store, PASSPHRASE) as service:
        transcript = service.transcripts.latest_for_recording(imported[0])
        assert transcript is not None
        mother = service.transcripts.add_speaker(transcript.id, "Mother")
        for segment in transcript.segments:
            service.transcripts.set_speaker(segment.id, mother.id)
    yield Prepared(store, encounter, *imported, code, out, err, passage.text)


def show(prepared: Prepared, *args: str) -> str:
    return ok(prepared.store, "transcript", "show", prepared.recording, *args)


def jobs(store: Path) -> int:
    with StoreService.open(store, PASSPHRASE) as service:
        return len(service.transcription.jobs())


# ----------------------------------------------------------------- transcribe
def test_transcribe_prints_the_transcript_id(prepared: Prepared) -> None:
    assert prepared.transcribe_code == 0
    assert ID.match(prepared.transcribe_out.strip()), prepared.transcribe_out
    assert prepared.transcribe_out.count("\n") == 1  # the id, nothing else on stdout
    progress = prepared.transcribe_err.splitlines()
    assert progress[0].startswith(f"Transcribing {prepared.recording} (fast, en)")
    assert progress[-1].strip() == "transcribing 100%"
    with StoreService.open(prepared.store, PASSPHRASE) as service:
        (job,) = service.transcription.jobs(prepared.recording)
        assert (job.status, job.transcript_id) == ("done", prepared.transcribe_out.strip())
        text = service.transcripts.get(job.transcript_id).text
    assert wer(prepared.text, text) <= MAX_WER, text


def test_transcribe_accurate_with_json(prepared: Prepared) -> None:
    out = ok(prepared.store, "transcribe", prepared.spare, "--mode", "accurate", "--json")
    result = json.loads(out)
    assert ID.match(result["id"]) and ID.match(result["job_id"])
    shown = json.loads(ok(prepared.store, "transcript", "show", prepared.spare, "--format", "json"))
    assert shown["transcript_id"] == result["id"] and shown["mode"] == "accurate"
    assert wer(SENTENCES[6], " ".join(s["text"] for s in shown["segments"])) <= MAX_WER


def test_the_real_entry_point_transcribes(prepared: Prepared, speech: SpeechMaker) -> None:
    clip = speech.sentence(2)
    recording = ok(
        prepared.store, "recording", "import", "--encounter", prepared.encounter, str(clip.path)
    ).strip()
    command = [sys.executable, "-m", "relations_desktop", "--store", str(prepared.store)]
    done = subprocess.run(
        [*command, "transcribe", recording],
        env={**os.environ, cli.PASSPHRASE_ENV: PASSPHRASE},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert ID.match(done.stdout.strip()) and "Traceback" not in done.stderr
    shown = json.loads(ok(prepared.store, "transcript", "show", recording, "--format", "json"))
    assert shown["transcript_id"] == done.stdout.strip()
    assert wer(clip.text, " ".join(s["text"] for s in shown["segments"])) <= MAX_WER


# ------------------------------------------------------------ transcript show
def test_show_txt_with_and_without_times_and_speakers(prepared: Prepared) -> None:
    full = show(prepared).strip().split("\n\n")
    assert all(re.match(r"^\[\d\d:\d\d:\d\d\] Mother: \S", p) for p in full), full
    assert full[0].startswith("[00:00:00] Mother: ")
    texts = [p.split(": ", 1)[1] for p in full]
    assert wer(prepared.text, " ".join(texts)) <= MAX_WER

    assert show(prepared, "--no-times").strip().split("\n\n") == [f"Mother: {t}" for t in texts]
    assert show(prepared, "--no-speakers").strip().split("\n\n") == [
        p.replace("Mother: ", "", 1) for p in full
    ]
    assert show(prepared, "--no-times", "--no-speakers").strip().split("\n\n") == texts


def test_show_srt_vtt_and_json_read_back(prepared: Prepared) -> None:
    data = json.loads(show(prepared, "--format", "json"))
    segments = data["segments"]
    assert segments and all(s["speaker"] == "Mother" and s["words"] for s in segments)
    assert wer(prepared.text, " ".join(s["text"] for s in segments)) <= MAX_WER
    for segment in segments:
        for word in segment["words"]:
            assert segment["start"] - 0.05 <= word["start"] <= word["end"] <= segment["end"] + 0.05
            assert 0 < word["probability"] <= 1

    subs = list(srt.parse(show(prepared, "--format", "srt"), ignore_errors=False))
    assert [s.content for s in subs] == [f"Mother: {s['text']}" for s in segments]
    assert [s.start.total_seconds() for s in subs] == [round(s["start"], 3) for s in segments]

    captions = webvtt.from_string(show(prepared, "--format", "vtt")).captions
    assert [(c.voice, c.text) for c in captions] == [("Mother", s["text"]) for s in segments]
    assert [c.end_in_seconds for c in captions] == [int(s["end"]) for s in segments]


def test_show_docx_to_a_file(prepared: Prepared, tmp_path: Path) -> None:
    target = tmp_path / "visit.docx"
    code, out, err = call(
        prepared.store,
        "transcript",
        "show",
        prepared.recording,
        "--format",
        "docx",
        "--out",
        str(target),
    )
    assert code == 0, err
    assert out.strip() == str(target)
    assert "not encrypted" in err
    paragraphs = [p.text for p in docx.Document(str(target)).paragraphs]
    assert paragraphs[0] == "Transcript"
    assert all(re.match(r"^Mother: \[\d\d:\d\d:\d\d\] \S", p) for p in paragraphs[1:])
    assert wer(prepared.text, " ".join(p.split("] ", 1)[1] for p in paragraphs[1:])) <= MAX_WER
    assert target.stat().st_mode & 0o777 == 0o600


def test_show_docx_to_stdout(prepared: Prepared) -> None:
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")  # not a terminal: bytes may go out
    with contextlib.redirect_stdout(stdout):
        args = ["transcript", "show", prepared.recording, "--format", "docx", "--no-times"]
        code = cli.main(["--store", str(prepared.store), *args])
        stdout.flush()
    assert code == 0
    paragraphs = [p.text for p in docx.Document(io.BytesIO(raw.getvalue())).paragraphs]
    assert paragraphs[0] == "Transcript"
    assert all(p.startswith("Mother: ") and "[" not in p for p in paragraphs[1:])


def test_show_with_json_flag_prints_the_record(prepared: Prepared) -> None:
    data = json.loads(show(prepared, "--json"))
    assert data["recording_id"] == prepared.recording
    assert [s["speaker_label"] for s in data["segments"]] == ["Mother"] * len(data["segments"])


# ------------------------------------------------------------------- glossary
def test_glossary_add_and_list(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ok(store, "init", "--researcher-name", "Ann")
    assert ok(store, "glossary", "list").strip() == "(empty)"
    added = ok(store, "glossary", "add", "methadone", "kinship  care", "methadone", "OST")
    assert added.splitlines() == ["methadone", "kinship care", "OST"]
    assert ok(store, "glossary", "add", "OST").strip() == "(already there)"
    assert json.loads(ok(store, "glossary", "add", "script", "OST", "--json")) == {
        "added": ["script"]
    }
    assert ok(store, "glossary", "list").splitlines() == [
        "OST",
        "kinship care",
        "methadone",
        "script",
    ]
    assert json.loads(ok(store, "glossary", "list", "--json")) == [
        "OST",
        "kinship care",
        "methadone",
        "script",
    ]
    code, _, err = call(store, "glossary", "add", "buprenorphine", " ")
    assert code == 2 and "empty" in one_line_error(err)
    assert "buprenorphine" not in ok(store, "glossary", "list")
    code, _, err = call(store, "glossary", "add")
    assert code == 2 and one_line_error(err)


# ----------------------------------------------------------------- bad inputs
def test_transcribe_an_unknown_recording(prepared: Prepared) -> None:
    before = jobs(prepared.store)
    code, out, err = call(prepared.store, "transcribe", "no-such-recording")
    assert (code, out) == (3, "")
    assert "no-such-recording" in one_line_error(err)
    assert jobs(prepared.store) == before


def test_transcribe_with_a_folder_that_is_no_model(prepared: Prepared, tmp_path: Path) -> None:
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    before = jobs(prepared.store)
    code, out, err = call(prepared.store, "transcribe", prepared.spare, "--model", str(folder))
    assert (code, out) == (2, "")
    line = one_line_error(err)
    assert str(folder) in line and "model.bin" in line
    code, _, err = call(
        prepared.store, "transcribe", prepared.spare, "--model", str(tmp_path / "x")
    )
    assert code == 2 and "not a folder" in one_line_error(err)
    assert jobs(prepared.store) == before


def test_show_before_any_transcription(prepared: Prepared) -> None:
    code, out, err = call(prepared.store, "transcript", "show", prepared.untranscribed)
    assert (code, out) == (3, "")
    assert "no transcript yet" in one_line_error(err)
    code, out, err = call(prepared.store, "transcript", "show", "no-such-recording")
    assert (code, out) == (3, "")
    assert "no-such-recording" in one_line_error(err)


@pytest.mark.parametrize(
    "args",
    [
        ("transcribe", "ID", "--mode", "careful"),
        ("transcript", "show", "ID", "--format", "pdf"),
        ("transcribe",),
    ],
)
def test_usage_errors_are_one_line(prepared: Prepared, args: tuple[str, ...]) -> None:
    code, out, err = call(prepared.store, *[prepared.recording if a == "ID" else a for a in args])
    assert (code, out) == (2, "")
    one_line_error(err)
