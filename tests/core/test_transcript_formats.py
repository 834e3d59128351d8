"""Transcript exports, each read back by an independent reader (srt, webvtt-py,
python-docx, json)."""

from __future__ import annotations

import html
import io
import json
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pytest
import srt
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.export import transcript_formats as tf
from relations_desktop.core.export.transcript_formats import FORMATS, ExportOptions, render
from relations_desktop.core.records import (
    JottingRecord,
    SegmentRecord,
    SpeakerRecord,
    TranscriptRecord,
    WordRecord,
)

WHEN = datetime(2025, 3, 14, 10, 30, tzinfo=UTC)
SPEAKERS = [
    SpeakerRecord("sp-i", "Interviewer", None, None),
    SpeakerRecord("sp-m", "Mother", "p-1", "Lara (Mother)"),
]
DIALECT = "Aye, we didnae ken — the bairns were “fine”, ken? 😀"


def seg(
    position: int,
    start: float,
    end: float,
    text: str,
    speaker: str | None = None,
    words: list[WordRecord] | None = None,
) -> SegmentRecord:
    speaker_id = {"Interviewer": "sp-i", "Mother": "sp-m"}.get(speaker or "")
    return SegmentRecord(
        id=f"seg-{position}",
        position=position,
        start=start,
        end=end,
        text=text,
        speaker_id=speaker_id,
        speaker_label=speaker,
        words=words or [],
        machine_text=text.lower(),
        edited=position % 2 == 1,
    )


def transcript(
    segments: list[SegmentRecord], jottings: list[JottingRecord] | None = None
) -> TranscriptRecord:
    return TranscriptRecord(
        id="tr-1",
        recording_id="rec-1",
        encounter_id="enc-1",
        model_name="small.en",
        language="en",
        mode="accurate",
        created_at=WHEN,
        updated_at=WHEN,
        duration_seconds=3725.5,
        segments=segments,
        speakers=list(SPEAKERS),
        jottings=jottings or [],
    )


WORDS = [
    WordRecord(" How", 1.25, 1.5, 0.98),
    WordRecord(" are", 1.5, 1.7, 0.87654321),
    WordRecord(" you?", 1.7, 2.0, 0.5),
]
SAMPLE = transcript(
    [
        seg(0, 1.25, 2.0, " How are you?", "Interviewer", WORDS),
        seg(1, 62.345, 83.9, DIALECT, "Mother"),
        seg(2, 3723.0, 3725.5, "(inaudible) aye.", None),
    ],
    [
        JottingRecord("j-2", 3700.0, "child comes in"),
        JottingRecord("j-1", 70.0, "she looked away"),
    ],
)
EMPTY = transcript([])
HOSTILE_TEXT = (
    "a <b>bold</b> & c --> d\n\n\n1\n00:00:01,000 --> 00:00:02,000\r\n"
    "\u2028NOTE x\x00y\x1b\x0cz \U0001f92f 𝕏 "
) + "long " * 5000


def srt_subs(data: bytes) -> list[srt.Subtitle]:
    return list(srt.parse(data.decode("utf-8"), ignore_errors=False))


def vtt_captions(data: bytes) -> list[webvtt.Caption]:
    return list(webvtt.from_buffer(io.BytesIO(data), strict=True).captions)


def ms(delta: timedelta) -> int:
    return round(delta.total_seconds() * 1000)


def docx_paragraphs(data: bytes) -> tuple[docx.document.Document, list[str]]:
    document = docx.Document(io.BytesIO(data))
    return document, [p.text for p in document.paragraphs]


# --------------------------------------------------------------------------- API


def test_formats_and_suffixes() -> None:
    assert FORMATS == ("txt", "docx", "srt", "vtt", "json")
    assert [tf.suffix(f) for f in FORMATS] == [".txt", ".docx", ".srt", ".vtt", ".json"]
    assert tf.suffix("DOCX") == ".docx"


@pytest.mark.parametrize("bad", ["pdf", "", "qdpx", "txt2"])
def test_unknown_format_lists_the_formats(bad: str, tmp_path: Path) -> None:
    for call in (
        lambda: render(SAMPLE, bad),
        lambda: tf.suffix(bad),
        lambda: tf.write(SAMPLE, bad, tmp_path / "out"),
    ):
        with pytest.raises(InvalidInput) as info:
            call()
        assert all(f in info.value.message for f in FORMATS)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- TXT


def test_txt_with_times_and_speakers() -> None:
    text = render(SAMPLE, "txt", ExportOptions(title="Home visit 3")).decode("utf-8")
    assert text == (
        "Home visit 3\n\n"
        "[00:00:01] Interviewer: How are you?\n\n"
        f"[00:01:02] Mother: {DIALECT}\n\n"
        "[01:02:03] (inaudible) aye.\n"
    )


def test_txt_without_times_or_speakers() -> None:
    plain = render(SAMPLE, "txt", ExportOptions(times=False, speakers=False)).decode()
    assert plain == f"How are you?\n\n{DIALECT}\n\n(inaudible) aye.\n"
    no_times = render(SAMPLE, "txt", ExportOptions(times=False)).decode()
    assert no_times.splitlines()[0] == "Interviewer: How are you?"
    no_speakers = render(SAMPLE, "txt", ExportOptions(speakers=False)).decode()
    assert no_speakers.splitlines()[2] == f"[00:01:02] {DIALECT}"
    assert "\r" not in plain


def test_txt_jottings_merged_in_time_order() -> None:
    lines = render(SAMPLE, "txt", ExportOptions(jottings=True)).decode().split("\n\n")
    assert [line.strip() for line in lines] == [
        "[00:00:01] Interviewer: How are you?",
        f"[00:01:02] Mother: {DIALECT}",
        "[00:01:10] (jotting) she looked away",
        "[01:01:40] (jotting) child comes in",
        "[01:02:03] (inaudible) aye.",
    ]
    assert "jotting" not in render(SAMPLE, "txt").decode()


def test_speaker_label_found_by_id_when_the_segment_has_none() -> None:
    only_id = replace(seg(0, 1, 2, "hello"), speaker_id="sp-m")
    assert render(transcript([only_id]), "txt").decode() == "[00:00:01] Mother: hello\n"


# --------------------------------------------------------------------------- SRT


def test_srt_read_back() -> None:
    subs = srt_subs(render(SAMPLE, "srt"))
    assert [s.index for s in subs] == [1, 2, 3]
    assert [(ms(s.start), ms(s.end)) for s in subs] == [
        (1250, 2000),
        (62345, 83900),
        (3723000, 3725500),
    ]
    assert [s.content for s in subs] == [
        "Interviewer: How are you?",
        f"Mother: {DIALECT}",
        "(inaudible) aye.",
    ]
    assert b"00:01:02,345 --> 00:01:23,900" in render(SAMPLE, "srt")


def test_srt_without_speakers_and_with_jottings() -> None:
    subs = srt_subs(render(SAMPLE, "srt", ExportOptions(speakers=False, jottings=True)))
    assert [s.content for s in subs] == [
        "How are you?",
        DIALECT,
        "(jotting) she looked away",
        "(jotting) child comes in",
        "(inaudible) aye.",
    ]
    assert ms(subs[2].start) == 70000
    assert ms(subs[2].end) > ms(subs[2].start)


def test_end_before_start_is_clamped_and_order_kept() -> None:
    odd = transcript([seg(0, 5.0, 4.0, "backwards"), seg(1, 2.0, 2.0, "earlier, same")])
    subs = srt_subs(render(odd, "srt"))
    assert [(s.content, ms(s.start), ms(s.end)) for s in subs] == [
        ("backwards", 5000, 5001),
        ("earlier, same", 2000, 2001),
    ]
    caps = vtt_captions(render(odd, "vtt"))
    assert [c.end_time.in_milliseconds() for c in caps] == [5001, 2001]


# --------------------------------------------------------------------------- VTT


def test_vtt_read_back_with_voices() -> None:
    data = render(SAMPLE, "vtt")
    assert data.startswith(b"WEBVTT\n\n")
    caps = vtt_captions(data)
    assert [(c.start, c.end) for c in caps] == [
        ("00:00:01.250", "00:00:02.000"),
        ("00:01:02.345", "00:01:23.900"),
        ("01:02:03.000", "01:02:05.500"),
    ]
    assert [c.voice for c in caps] == ["Interviewer", "Mother", None]
    assert [c.text for c in caps] == ["How are you?", DIALECT, "(inaudible) aye."]


def test_vtt_options() -> None:
    caps = vtt_captions(render(SAMPLE, "vtt", ExportOptions(speakers=False, jottings=True)))
    assert [c.voice for c in caps] == [None] * 5
    assert caps[2].text == "(jotting) she looked away"
    assert "<c.jotting>" in caps[2].raw_text


def test_vtt_escapes_speaker_labels() -> None:
    one = transcript([replace(seg(0, 0, 1, "hi"), speaker_label="Tom & <Jerry>")])
    caps = vtt_captions(render(one, "vtt"))
    assert html.unescape(caps[0].voice) == "Tom & <Jerry>"


# -------------------------------------------------------------------------- DOCX


def test_docx_read_back() -> None:
    data = render(SAMPLE, "docx", ExportOptions(title="Home visit 3"))
    document, texts = docx_paragraphs(data)
    assert document.core_properties.title == "Home visit 3"
    assert document.core_properties.author == ""
    assert "python-docx" not in document.core_properties.comments
    assert document.paragraphs[0].style.name.startswith("Heading")
    assert texts == [
        "Home visit 3",
        "Interviewer: [00:00:01] How are you?",
        f"Mother: [00:01:02] {DIALECT}",
        "[01:02:03] (inaudible) aye.",
    ]
    speaker_run, _, time_run, *_ = document.paragraphs[1].runs
    assert speaker_run.text == "Interviewer:" and speaker_run.bold
    assert time_run.text == "[00:00:01]"
    assert time_run.font.size is not None and time_run.font.size.pt < 11
    assert str(time_run.font.color.rgb) == "757575"


def test_docx_options_and_default_title() -> None:
    data = render(SAMPLE, "docx", ExportOptions(times=False, speakers=False, jottings=True))
    document, texts = docx_paragraphs(data)
    assert document.core_properties.title == "Transcript"
    assert texts == [
        "Transcript",
        "How are you?",
        DIALECT,
        "(jotting) she looked away",
        "(jotting) child comes in",
        "(inaudible) aye.",
    ]
    assert document.paragraphs[3].runs[-1].italic


# -------------------------------------------------------------------------- JSON


def test_json_read_back_keeps_words() -> None:
    data = json.loads(render(SAMPLE, "json"))
    assert data["transcript_id"] == "tr-1"
    assert (data["recording_id"], data["encounter_id"]) == ("rec-1", "enc-1")
    assert (data["model"], data["language"], data["mode"]) == ("small.en", "en", "accurate")
    assert data["duration_seconds"] == 3725.5
    assert [s["label"] for s in data["speakers"]] == ["Interviewer", "Mother"]
    first, second, third = data["segments"]
    assert first["words"] == [
        {"word": " How", "start": 1.25, "end": 1.5, "probability": 0.98},
        {"word": " are", "start": 1.5, "end": 1.7, "probability": 0.87654321},
        {"word": " you?", "start": 1.7, "end": 2.0, "probability": 0.5},
    ]
    assert (first["id"], first["start"], first["end"]) == ("seg-0", 1.25, 2.0)
    assert (first["speaker"], first["text"], first["edited"]) == (
        "Interviewer",
        " How are you?",
        False,
    )
    assert first["machine_text"] == " how are you?"
    assert second["text"] == DIALECT and second["speaker"] == "Mother"
    assert third["speaker"] is None
    assert "jottings" not in data


def test_json_is_utf8_not_escaped_and_options() -> None:
    raw = render(SAMPLE, "json", ExportOptions(jottings=True, speakers=False))
    assert DIALECT.encode("utf-8") in raw  # ensure_ascii=False
    assert b'\n  "segments": [' in raw  # indent 2
    data = json.loads(raw)
    assert data["speakers"] == []
    assert {s["speaker"] for s in data["segments"]} == {None}
    assert [j["text"] for j in data["jottings"]] == ["child comes in", "she looked away"]
    assert data["jottings"][1]["offset_seconds"] == 70.0


# ------------------------------------------------------------------- edge cases


def test_empty_transcript_in_every_format() -> None:
    assert render(EMPTY, "txt") == b""
    assert render(EMPTY, "txt", ExportOptions(title="Park walk")) == b"Park walk\n"
    assert render(EMPTY, "srt") == b""
    assert srt_subs(render(EMPTY, "srt")) == []
    assert render(EMPTY, "vtt") == b"WEBVTT\n\n"
    assert vtt_captions(render(EMPTY, "vtt")) == []
    document, texts = docx_paragraphs(render(EMPTY, "docx", ExportOptions(title="Park walk")))
    assert texts == ["Park walk"]
    assert document.core_properties.title == "Park walk"
    assert json.loads(render(EMPTY, "json"))["segments"] == []


def test_blank_segments_are_skipped_except_in_json() -> None:
    blank = transcript([seg(0, 0, 1, "  \n\t "), seg(1, 1, 2, "said")])
    assert render(blank, "txt", ExportOptions(times=False)).decode() == "said\n"
    assert len(srt_subs(render(blank, "srt"))) == 1
    assert len(vtt_captions(render(blank, "vtt"))) == 1
    assert len(json.loads(render(blank, "json"))["segments"]) == 2


def test_hostile_text_stays_valid_in_every_format() -> None:
    hostile = transcript(
        [
            seg(0, 0.5, 1.5, HOSTILE_TEXT, "Mother"),
            seg(1, 2.0, 3.0, "2\n00:00:09,000 --> 00:00:10,000\nfake cue", "Interviewer"),
            seg(2, 4.0, 5.0, "lone \ud800 surrogate", None),
        ],
        [JottingRecord("j", 1.0, "jot --> <i>&\n\nnext")],
    )
    options = ExportOptions(jottings=True, title="T <&> \n --> 😀")

    subs = srt_subs(render(hostile, "srt", options))
    assert [(ms(s.start), ms(s.end)) for s in subs] == [
        (500, 1500),
        (1000, 5000),
        (2000, 3000),
        (4000, 5000),
    ]
    assert subs[0].content.startswith("Mother: a <b>bold</b> & c --> d 1 00:00:01,000 --> ")
    assert "\U0001f92f 𝕏" in subs[0].content and "xyz" not in subs[0].content
    assert "\n" not in subs[0].content and "\x00" not in subs[0].content
    assert subs[2].content == "Interviewer: 2 00:00:09,000 --> 00:00:10,000 fake cue"
    assert subs[3].content == "lone \ufffd surrogate"

    caps = vtt_captions(render(hostile, "vtt", options))
    assert [(c.start_time.in_milliseconds(), c.end_time.in_milliseconds()) for c in caps] == [
        (500, 1500),
        (1000, 5000),
        (2000, 3000),
        (4000, 5000),
    ]
    first_lines = html.unescape(caps[0].text).split("\n")
    assert first_lines[:3] == ["a <b>bold</b> & c --> d", "1", "00:00:01,000 --> 00:00:02,000"]
    assert caps[0].voice == "Mother"
    assert "<b>" in html.unescape(caps[0].raw_text)  # kept as text, not a tag
    assert html.unescape(caps[1].text) == "(jotting) jot --> <i>&\nnext"

    txt = render(hostile, "txt", options).decode("utf-8")
    assert txt.startswith("T <&> --> 😀\n\n[00:00:00] Mother: a <b>bold</b> & c --> d\n1\n")
    assert "\x00" not in txt and "\r" not in txt and "\u2028" not in txt

    _, texts = docx_paragraphs(render(hostile, "docx", options))
    assert texts[0] == "T <&> --> 😀"
    assert texts[1].startswith("Mother: [00:00:00] a <b>bold</b> & c --> d\n1\n")
    assert "lone \ufffd surrogate" in texts[-1]

    data = json.loads(render(hostile, "json", options))
    assert data["segments"][0]["text"] == HOSTILE_TEXT  # JSON keeps the text exactly
    assert data["segments"][2]["text"] == "lone \ufffd surrogate"


def test_absurd_times_do_not_break_cues() -> None:
    odd = transcript(
        [
            seg(0, -3.0, float("nan"), "negative"),
            seg(1, float("inf"), float("inf"), "infinite"),
            seg(2, 1e300, 1e300, "huge"),
        ]
    )
    subs = srt_subs(render(odd, "srt"))
    huge = round(tf.MAX_SECONDS * 1000)
    assert [ms(s.start) for s in subs] == [0, huge, huge]
    assert all(ms(s.end) > ms(s.start) for s in subs)
    assert len(vtt_captions(render(odd, "vtt"))) == 3
    data = json.loads(render(odd, "json"))  # valid JSON: no NaN or Infinity
    assert data["segments"][0]["end"] is None


# ------------------------------------------------------------------------- write


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_is_atomic_and_private(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"interview{tf.suffix(fmt)}"
    target.write_bytes(b"old")
    tf.write(SAMPLE, fmt, target, ExportOptions(title="Visit"))
    if fmt == "docx":  # holds the time it was made, so compare what it says
        assert docx.Document(str(target)).core_properties.title == "Visit"
    else:
        assert target.read_bytes() == render(SAMPLE, fmt, ExportOptions(title="Visit"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_write_failure_removes_the_part_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "t.txt"
    target.write_bytes(b"old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tf.os, "fsync", full_disk)
    with pytest.raises(RelationsError, match="No space left"):
        tf.write(SAMPLE, "txt", target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_write_to_missing_folder_or_a_folder(tmp_path: Path) -> None:
    with pytest.raises(RelationsError, match="does not exist"):
        tf.write(SAMPLE, "txt", tmp_path / "nowhere" / "t.txt")
    with pytest.raises(RelationsError, match="is a folder"):
        tf.write(SAMPLE, "txt", tmp_path)
    assert not (tmp_path / "nowhere").exists()
    assert list(tmp_path.iterdir()) == []


def test_write_to_unwritable_place(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    target = folder / "t.txt"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        (folder / "t.txt.part").mkdir()  # root ignores permissions; a folder blocks the .part
    else:
        folder.chmod(0o500)
    try:
        with pytest.raises(RelationsError, match="Cannot write the export"):
            tf.write(SAMPLE, "txt", target)
    finally:
        folder.chmod(0o700)
    assert not target.exists()


# -------------------------------------------------------------------- properties

times = st.floats(min_value=0, max_value=360_000, allow_nan=False, allow_infinity=False)
texts = st.text(min_size=1, max_size=60).filter(lambda t: bool(tf._lines(t)))
speakers = st.sampled_from([None, "Interviewer", "Mother", "Health Visitor", "S1"])


@st.composite
def segment_lists(draw: st.DrawFn) -> list[SegmentRecord]:
    count = draw(st.integers(min_value=0, max_value=12))
    return [
        seg(i, start, start + draw(st.floats(0, 30)), draw(texts), draw(speakers))
        for i, start in enumerate(sorted(draw(st.lists(times, min_size=count, max_size=count))))
    ]


def expected_ms(segment: SegmentRecord) -> tuple[int, int]:
    start = round(segment.start * 1000)
    return start, max(round(segment.end * 1000), start + 1)


@settings(max_examples=100, deadline=None)
@given(segment_lists())
def test_property_srt_round_trip(segments: list[SegmentRecord]) -> None:
    subs = srt_subs(render(transcript(segments), "srt"))
    assert len(subs) == len(segments)
    for sub, segment in zip(subs, segments, strict=True):
        start, end = expected_ms(segment)
        assert abs(sub.start.total_seconds() - segment.start) <= 0.001
        assert (ms(sub.start), ms(sub.end)) == (start, end)
        assert sub.content.endswith(" ".join(tf._lines(segment.text)))


@settings(max_examples=100, deadline=None)
@given(segment_lists())
def test_property_vtt_round_trip(segments: list[SegmentRecord]) -> None:
    caps = vtt_captions(render(transcript(segments), "vtt"))
    assert len(caps) == len(segments)
    for cap, segment in zip(caps, segments, strict=True):
        start, end = expected_ms(segment)
        assert abs(cap.start_time.in_milliseconds() / 1000 - segment.start) <= 0.001
        assert (cap.start_time.in_milliseconds(), cap.end_time.in_milliseconds()) == (start, end)
        assert cap.voice == segment.speaker_label
        assert html.unescape(cap.text) == "\n".join(tf._lines(segment.text))


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200), st.text(max_size=30))
def test_property_any_text_renders_in_every_format(text: str, label: str) -> None:
    one = transcript(
        [replace(seg(0, 1.0, 2.0, text), speaker_label=label)], [JottingRecord("j", 1.5, text)]
    )
    options = ExportOptions(jottings=True, title=text)
    expected = 2 if tf._lines(text) else 0
    assert len(srt_subs(render(one, "srt", options))) == expected
    assert len(vtt_captions(render(one, "vtt", options))) == expected
    _, texts = docx_paragraphs(render(one, "docx", options))
    assert len(texts) == 1 + expected
    render(one, "txt", options).decode("utf-8")
    assert json.loads(render(one, "json", options))["segments"][0]["text"] == text
