"""Transcript exports leave the store pseudonymised, and only once everything they include
has been reviewed.

Every exported file is scanned byte for byte (a DOCX is unzipped and each XML part
scanned), in UTF-8 and UTF-16, for every real string in the register; the same scan of
an export made without the register finds them all, so the scan can fail.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from relations_desktop.core.export import transcript_formats as tf
from relations_desktop.core.export.transcript_formats import FORMATS, ExportOptions
from relations_desktop.core.pseudonyms import RegisterEntry, Replacer
from relations_desktop.core.records import WordRecord
from relations_desktop.core.review import IdentifiersUnresolved
from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_recording, make_transcript

REAL_NAME = "Jane Realname"
REGISTERED = (  # besides the participant's real name (seeded: full name, first name, surname)
    ("Janey", "Lara", "nickname"),
    ("Harbour Clinic", "[drug service]", "service"),
    ("Mossgiel Street", "[street]", "street"),
)
REPLACEMENTS = ("Lara", "[drug service]", "[street]", "[surname]")
SEGMENTS = (
    Seg(0.0, 5.0, "Jane came round to the Harbour Clinic on Mossgiel Street.", speaker=1),
    Seg(5.0, 11.0, "Aye, Jane Realname's wean was with her, and JANEY was fine.", speaker=0),
    Seg(11.0, 16.0, "Then Margaret phoned about the pharmacy.", speaker=0),  # edited below
    Seg(16.0, 20.0, "Realname is her surname, mind.", speaker=0),
)
JOTTINGS = ((12.0, "Jane makes tea"), (21.0, "Janey's wean stirs at Mossgiel Street"))
EVERY_OPTION = ExportOptions(times=True, speakers=True, jottings=True, title="Jane at home")


@dataclass(frozen=True)
class Visit:
    encounter: str
    recording: str
    transcript: str
    lara: str
    reals: tuple[str, ...]  # every real string in the register


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Visit]:
    """A store with the visit, built once and copied for each test."""
    folder = tmp_path_factory.mktemp("export-base")
    store = folder / "store"
    with StoreService.create(store, PASSPHRASE, researcher_name="Ann") as service:
        return store, _make_visit(service, folder)


@pytest.fixture
def service(base: tuple[Path, Visit], tmp_path: Path) -> Iterator[StoreService]:
    store = tmp_path / "store"
    shutil.copytree(base[0], store)
    with StoreService.open(store, PASSPHRASE) as opened:
        yield opened


@pytest.fixture
def visit(base: tuple[Path, Visit]) -> Visit:
    return base[1]


def _make_visit(service: StoreService, folder: Path) -> Visit:
    lara = service.add_participant("Lara", "Mother", real_name=REAL_NAME, region="Scotland").id
    give_adult_consent(service, lara)
    encounter = service.add_encounter("home-visit", "Kitchen", participant_ids=[lara]).id
    for real, replacement, kind in REGISTERED:
        service.pseudonyms.add(real, replacement, kind=kind)
    recording = make_recording(service, encounter, folder, seconds=24.0, jottings=JOTTINGS)
    # The first speaker is labelled with a real name, as a researcher might.
    transcript = make_transcript(service, recording, SEGMENTS, speakers=["Jane", "Interviewer"])
    record = service.transcripts.get(transcript)
    jane = next(s for s in record.speakers if s.label == "Jane")
    service.transcripts.update_speaker(jane.id, participant_id=lara)
    # A name taken out by hand: the machine text and the words still hold it.
    edited = record.segments[2]
    service.transcripts.set_text(edited.id, "Then the [carer] phoned about the pharmacy.")
    reals = tuple(e.real for e in service.pseudonyms.list())
    assert set(reals) == {REAL_NAME, "Jane", "Realname", *(r for r, _, _ in REGISTERED)}
    assert service.review.unresolved([encounter]) == []
    return Visit(encounter, recording, transcript, lara, reals)


# ---------------------------------------------------------------------- the scan
def parts(data: bytes, fmt: str) -> Iterator[bytes]:
    """The file's bytes, and for a DOCX every part inside it."""
    yield data
    if fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield archive.read(name)


def found_in(data: bytes, fmt: str, needle: str) -> bool:
    encodings = ("utf-8", "utf-16-le", "utf-16-be")
    variants = {needle, needle.lower(), needle.upper()}
    return any(
        text.encode(encoding) in part or text.encode(encoding) in part.lower()
        for part in parts(data, fmt)
        for encoding in encodings
        for text in variants
    )


def test_the_scan_finds_every_real_name_in_an_export_made_without_the_register(
    service: StoreService, visit: Visit
) -> None:
    raw = service.transcripts.get(visit.transcript)
    for fmt in FORMATS:
        data = tf.render(raw, fmt, EVERY_OPTION)
        missing = [real for real in visit.reals if not found_in(data, fmt, real)]
        assert missing == [], fmt
        assert not any(found_in(data, fmt, r) for r in ("[drug service]", "[street]")), fmt


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_real_name_from_the_register_is_in_any_export(
    service: StoreService, visit: Visit, tmp_path: Path, fmt: str
) -> None:
    for number, options in enumerate((EVERY_OPTION, ExportOptions())):
        path = tmp_path / f"visit-{number}{tf.suffix(fmt)}"
        service.transcripts.export(visit.transcript, fmt, path, options)
        data = path.read_bytes()
        leaked = [real for real in (*visit.reals, "Margaret") if found_in(data, fmt, real)]
        assert leaked == [], (fmt, options)
        for replacement in REPLACEMENTS:
            assert found_in(data, fmt, replacement), (fmt, replacement)
    (event, *_) = service.audit_events(1)
    assert (event.action, event.target_id) == ("transcript_exported", visit.transcript)


def test_the_exported_record_has_the_register_applied_everywhere(
    service: StoreService, visit: Visit
) -> None:
    exported = service.transcripts.export(visit.transcript, "txt", None, EVERY_OPTION)
    texts = [s.text for s in exported.segments]
    assert texts == [
        "Lara came round to the [drug service] on [street].",
        "Aye, Lara's wean was with her, and LARA was fine.",
        "Then the [carer] phoned about the pharmacy.",
        "[surname] is her surname, mind.",
    ]
    assert [s.label for s in exported.speakers] == ["Interviewer", "Lara"]
    assert [s.participant_label for s in exported.speakers] == [None, "Lara (Mother)"]
    assert [s.speaker_label for s in exported.segments] == ["Interviewer"] + ["Lara"] * 3
    assert [j.text for j in exported.jottings] == [
        "Lara makes tea",
        "Lara's wean stirs at [street]",
    ]
    # Unedited segments keep their words, which spell the pseudonymised text.
    for segment in exported.segments:
        if segment.edited:
            assert (segment.machine_text, segment.words) == ("", [])
        else:
            assert segment.machine_text == segment.text
            assert "".join(w.word for w in segment.words).strip() == segment.text
    # "Jane" and "Realname's" became one word, from the first's start to the last's end.
    stored = service.transcripts.get(visit.transcript).segments
    _, jane, realname, *_ = stored[1].words
    (word,) = [w for w in exported.segments[1].words if "Lara's" in w.word]
    assert (word.word, word.start, word.end) == (" Lara's", jane.start, realname.end)
    assert len(exported.segments[1].words) == len(stored[1].words) - 1
    # The store keeps the originals.
    assert stored[0].text.startswith("Jane came round") and "Margaret" in stored[2].machine_text


def test_json_export_words_and_machine_text(
    service: StoreService, visit: Visit, tmp_path: Path
) -> None:
    path = tmp_path / "visit.json"
    service.transcripts.export(visit.transcript, "json", path)
    data = json.loads(path.read_text(encoding="utf-8"))
    first, second, edited, _ = data["segments"]
    assert [w["word"] for w in first["words"]][:1] == [" Lara"]
    assert " Lara's" in [w["word"] for w in second["words"]]
    assert edited["edited"] and edited["machine_text"] == "" and edited["words"] == []


# ------------------------------------------------------------------- word mapping
def _words(text: str) -> list[WordRecord]:
    return [WordRecord(f" {t}", i, i + 1, 0.9) for i, t in enumerate(text.split())]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no names here", [" no", " names", " here"]),
        ("Ann Smith came", [" Z", " came"]),
        ("with Ann/Smith, then", [" with", " Z/Y,", " then"]),
        ("Mary Ann Smith", [" Mary", " Z"]),  # the longest entry wins
        ("ANN", [" Z"]),
    ],
)
def test_words_follow_the_replacements(text: str, expected: list[str]) -> None:
    replacer = Replacer(
        [
            RegisterEntry("1", "Ann Smith", "Z", "full-name"),
            RegisterEntry("2", "Ann", "Z", "first-name"),
            RegisterEntry("3", "Smith", "Y", "surname"),
        ]
    )
    words = tf._words(_words(text), replacer)
    assert [w.word for w in words] == expected
    assert "".join(w.word for w in words) == replacer.apply("".join(f" {t}" for t in text.split()))
    assert words[-1].end == len(text.split())


# --------------------------------------------------------------------- the gate
def add_segment(service: StoreService, visit: Visit, seg: Seg) -> None:
    from tests.ui.transcript_data import add_segment as add

    with service._session() as session:
        add(session, visit.transcript, len(SEGMENTS), seg)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_is_refused_while_a_name_is_unresolved(
    service: StoreService, visit: Visit, tmp_path: Path, fmt: str
) -> None:
    add_segment(service, visit, Seg(20.0, 23.0, "I met Margaret at the school gates."))
    target = tmp_path / f"visit{tf.suffix(fmt)}"
    with pytest.raises(IdentifiersUnresolved) as refused:
        service.transcripts.export(visit.transcript, fmt, target)
    assert refused.value.exit_code == 13
    assert "1 likely identifier" in refused.value.message
    assert "“Kitchen”, transcript at 00:20" in refused.value.message
    assert not target.exists() and list(tmp_path.glob("visit*")) == []
    assert not any(e.action == "transcript_exported" for e in service.audit_events(20))

    (occurrence,) = service.review.unresolved([visit.encounter])
    service.review.replace(occurrence, "[neighbour]", kind="full-name")
    service.transcripts.export(visit.transcript, fmt, target)
    data = target.read_bytes()
    assert found_in(data, fmt, "[neighbour]") and not found_in(data, fmt, "Margaret")


def test_a_kept_name_is_exported_as_it_is(
    service: StoreService, visit: Visit, tmp_path: Path
) -> None:
    add_segment(service, visit, Seg(20.0, 23.0, "I met Margaret at the school gates."))
    target = tmp_path / "visit.txt"
    with pytest.raises(IdentifiersUnresolved):
        service.transcripts.export(visit.transcript, "txt", target)
    (occurrence,) = service.review.unresolved([visit.encounter])
    service.review.keep(occurrence, "the Queen, not a participant")
    service.transcripts.export(visit.transcript, "txt", target)
    assert "I met Margaret at the school gates." in target.read_text(encoding="utf-8")


def test_printing_is_gated_too(service: StoreService, visit: Visit) -> None:
    add_segment(service, visit, Seg(20.0, 23.0, "I met Margaret at the school gates."))
    with pytest.raises(IdentifiersUnresolved):
        service.transcripts.export(visit.transcript, "txt", None)


def test_jottings_are_checked_only_when_they_are_exported(
    service: StoreService, visit: Visit, tmp_path: Path
) -> None:
    service.add_note(
        visit.encounter,
        "Margaret phoned",
        kind="jotting",
        offset_seconds=3.0,
        recording_id=visit.recording,
    )
    service.add_note(visit.encounter, "Spoke to Margaret after the visit.")  # not exported
    service.transcripts.export(visit.transcript, "txt", tmp_path / "plain.txt")
    target = tmp_path / "with-jottings.txt"
    with pytest.raises(IdentifiersUnresolved) as refused:
        service.transcripts.export(visit.transcript, "txt", target, ExportOptions(jottings=True))
    assert "1 likely identifier" in refused.value.message
    assert "fieldnote" in refused.value.message
    assert not target.exists()


def test_what_a_withdrawn_participant_said_does_not_hold_up_an_export(
    service: StoreService, visit: Visit, tmp_path: Path
) -> None:
    tom = service.add_participant("Tom", "Father", real_name="Thomas Other").id
    give_adult_consent(service, tom)
    service.update_encounter(visit.encounter, participant_ids=[visit.lara, tom])
    speaker = service.transcripts.add_speaker(visit.transcript, "Tom", participant_id=tom)
    add_segment(service, visit, Seg(20.0, 23.0, "I met Margaret at the school gates."))
    last = service.transcripts.get(visit.transcript).segments[-1]
    service.transcripts.set_speaker(last.id, speaker.id)
    with pytest.raises(IdentifiersUnresolved):
        service.transcripts.export(visit.transcript, "txt", tmp_path / "before.txt")
    service.consent.withdraw(tom, "all")
    after = tmp_path / "after.txt"
    service.transcripts.export(visit.transcript, "txt", after)
    text = after.read_text(encoding="utf-8")
    assert "Margaret" not in text and "school gates" not in text
    assert "Lara came round" in text
