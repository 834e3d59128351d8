"""Export to analysis software: the REFI-QDA project (.qdpx), checked against the
QDA-XML 1.0 schema kept in tests/data/refi-qda.

One store is built once per module: three sessions (a kitchen visit shared with Kim,
who then withdrew all her data; a walk in the park with Lara alone; a staff interview
with Ailsa, who later said no to audio recording), real names in the identity register,
registered pseudonyms, transcripts, notes with tags, a jotting, a site and a family.
The read-only tests share the exports made once from a copy of it.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile
from lxml import etree

from relations_desktop.core.errors import InvalidInput, NotFound, RelationsError
from relations_desktop.core.export import qdpx_xml as qx
from relations_desktop.core.export.qdpx import QdpxResult, export_qdpx
from relations_desktop.core.export.transcript_formats import pseudonymised
from relations_desktop.core.records import TranscriptRecord
from relations_desktop.core.review import IdentifiersUnresolved
from relations_desktop.core.services import StoreService
from tests.conftest import PASSPHRASE
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_recording, make_transcript

SCHEMA_FILE = Path(__file__).parents[1] / "data" / "refi-qda" / "Project.xsd"
Q = "{urn:QDA-XML:project:1.0}"
REAL_NAMES = {"lara": "Jane Realname", "kim": "Kirsty Goneaway", "ailsa": "Morag Nurseworthy"}
WITHDRAWN_WORDS = "quince and gooseberry marmalade"  # said only by Kim, who withdrew
REGISTERED = (("Janey", "Lara", "nickname"), ("Harbour Clinic", "[drug service]", "service"))
REAL_SITE = "Riverside Recovery Service"
KITCHEN = (
    Seg(0.0, 5.0, "Jane came round to the Harbour Clinic today.", speaker=0),
    Seg(5.0, 9.0, f"I brought the {WITHDRAWN_WORDS} along.", speaker=1),
    Seg(9.0, 14.25, "Janey said the wean was fine. 🙂", speaker=2),
)
PARK = (
    Seg(0.0, 3.5, "We walked past the swings.", speaker=0),
    Seg(3.5, 7.123, "Janey likes the big slide.", speaker=1),
)
CLINIC = (Seg(0.4, 4.0, "The Harbour Clinic waiting list is long.", speaker=0),)


@dataclass(frozen=True)
class Base:
    store: Path
    kitchen: str
    park: str
    clinic: str
    reals: tuple[str, ...]  # every real string of the identity and pseudonym registers


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("qdpx-base")
    store = folder / "store"
    with StoreService.create(store, PASSPHRASE, researcher_name="Ann") as service:
        site = service.register.add_site(REAL_SITE, "drug-treatment", region="Scotland").id
        clinic_site = service.register.add_site("Harbour Clinic", "drug-treatment").id
        family = service.register.add_family("Family B").id
        lara = service.add_participant(
            "Lara", "Mother", real_name=REAL_NAMES["lara"], region="Scotland",
            age_band="25-34", on_ost=True, site_id=site, family_id=family,
        ).id  # fmt: skip
        kim = service.add_participant("Kim", "Aunt", real_name=REAL_NAMES["kim"]).id
        ailsa = service.add_participant(
            "Ailsa", "Health Visitor", real_name=REAL_NAMES["ailsa"], kind="professional",
            sector="Health", site_id=clinic_site,
        ).id  # fmt: skip
        for person in (lara, kim, ailsa):
            give_adult_consent(service, person)
        for real, replacement, kind in REGISTERED:
            service.pseudonyms.add(real, replacement, kind=kind)
        kitchen = service.add_encounter("home-visit", "Kitchen", participant_ids=[lara, kim]).id
        park = service.add_encounter("walk-and-talk", "Park walk", participant_ids=[lara]).id
        clinic = service.add_encounter("staff-interview", "Clinic", participant_ids=[ailsa]).id
        for encounter, segments, labels, people, seconds in (
            (kitchen, KITCHEN, ["Interviewer", "S2", "S3"], [None, kim, lara], 15.0),
            (park, PARK, ["Interviewer", "S2"], [None, lara], 8.0),
            (clinic, CLINIC, ["S1"], [ailsa], 5.0),
        ):
            jottings = [(2.0, "Lara waves at a neighbour")] if encounter == park else []
            recording = make_recording(service, encounter, folder, seconds, jottings)
            transcript = make_transcript(service, recording, segments, speakers=labels)
            ids = {s.label: s.id for s in service.transcripts.get(transcript).speakers}
            for label, person in zip(labels, people, strict=True):
                if person is not None:
                    service.transcripts.update_speaker(ids[label], participant_id=person)
        service.add_note(
            kitchen, "Jane made tea; Janey's wean slept.", title="Tea at the kitchen table",
            tags=["care", "kitchen"], participant_ids=[lara],
        )  # fmt: skip
        service.add_note(kitchen, "Both talked about the school run.", tags=["school"],
                         participant_ids=[lara, kim])  # fmt: skip
        service.add_note(park, "", title="Nothing written yet")
        service.add_note(clinic, "The waiting list is long.", kind="memo")
        reals = (*REAL_NAMES.values(), *(e.real for e in service.pseudonyms.list()))
        service.consent.withdraw(kim, "all")
        give_adult_consent(service, ailsa, audio=False)  # she no longer allows recording
        assert service.review.unresolved() == []
        return Base(store, kitchen, park, clinic, tuple(dict.fromkeys(reals)))


@pytest.fixture
def service(base: Base, tmp_path: Path) -> Iterator[StoreService]:
    store = tmp_path / "store"
    shutil.copytree(base.store, store)
    with StoreService.open(store, PASSPHRASE) as opened:
        yield opened


@dataclass(frozen=True)
class Exported:
    path: Path
    again: Path  # the same export made a second time
    plain: Path  # without audio
    result: QdpxResult
    plain_result: QdpxResult
    transcripts: dict[str, TranscriptRecord]  # recording id -> what may leave the store
    park_audio: np.ndarray
    park_recording: str


@pytest.fixture(scope="module")
def exported(base: Base, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    folder = tmp_path_factory.mktemp("qdpx-out")
    shutil.copytree(base.store, folder / "store")
    with StoreService.open(folder / "store", PASSPHRASE) as service:
        result = export_qdpx(service, folder / "project.qdpx", with_audio=True)
        export_qdpx(service, folder / "again.qdpx", with_audio=True)
        plain_result = export_qdpx(service, folder / "plain.qdpx")
        replacer = service.pseudonyms.replacer()
        transcripts = {}
        for recording in service.recordings.list():
            raw = service.transcripts.latest_for_recording(recording.id)
            assert raw is not None
            transcripts[recording.id] = pseudonymised(
                service.transcripts.without_withdrawn(raw), replacer
            )
        park = service.recordings.list(base.park)[0].id
        audio = np.concatenate(list(service.recordings.samples(park)))
    return Exported(
        folder / "project.qdpx", folder / "again.qdpx", folder / "plain.qdpx", result,
        plain_result, transcripts, audio, park,
    )  # fmt: skip


def unzip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def project(files: dict[str, bytes]) -> etree._Element:
    root: etree._Element = etree.fromstring(files["project.qde"])
    return root


def by_name(root: etree._Element, tag: str) -> dict[str, etree._Element]:
    return {e.get("name"): e for e in root.iter(Q + tag)}


def member(path: str) -> str:
    assert path.startswith("internal://"), path
    return "Sources/" + path.removeprefix("internal://")


def values(root: etree._Element, element: etree._Element) -> dict[str, str]:
    names = {v.get("guid"): v.get("name") for v in root.iter(Q + "Variable")}
    found = {}
    for value in element.findall(Q + "VariableValue"):
        ref = value.find(Q + "VariableRef")
        assert ref is not None
        found[names[ref.get("targetGUID")]] = value[1].text
    return found


# ------------------------------------------------------------------- the file
def test_project_is_valid_against_the_qda_xml_schema(exported: Exported) -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))
    for path in (exported.path, exported.plain):
        root = project(unzip(path))
        assert schema.validate(root), schema.error_log
        assert root.tag == Q + "Project"


def test_every_internal_path_is_in_the_zip_and_nothing_else(exported: Exported) -> None:
    files = unzip(exported.path)
    root = project(files)
    paths = [
        e.get(attribute)
        for e in root.iter()
        for attribute in ("path", "plainTextPath")
        if (e.get(attribute) or "").startswith("internal://")
    ]
    assert sorted(map(member, paths)) == sorted(n for n in files if n != "project.qde")
    assert all(n.startswith("Sources/") for n in files if n != "project.qde")
    for name, data in files.items():
        if name.endswith(".txt"):
            assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
            data.decode("utf-8")


def test_the_file_is_private_audited_and_leaves_no_temporary_file(
    exported: Exported, base: Base
) -> None:
    assert exported.path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in exported.path.parent.iterdir() if p.is_file()) == [
        "again.qdpx", "plain.qdpx", "project.qdpx",
    ]  # fmt: skip
    with StoreService.open(exported.path.parent / "store", PASSPHRASE) as service:
        events = [e for e in service.audit_events() if e.action == "qdpx_exported"]
    assert len(events) == 3


def test_guids_are_stable_between_exports(exported: Exported) -> None:
    def guids(path: Path) -> list[str]:
        root = project(unzip(path))
        return sorted(
            value
            for e in root.iter()
            for key, value in e.attrib.items()
            if key in ("guid", "targetGUID", "creatingUser", "fromSyncPoint", "toSyncPoint")
        )

    first = guids(exported.path)
    assert len(first) > 40 and first == guids(exported.again)
    texts = {n: d for n, d in unzip(exported.path).items() if n != "project.qde"}
    assert texts == {n: d for n, d in unzip(exported.again).items() if n != "project.qde"}


# -------------------------------------------------------------- transcripts
def test_sync_points_are_exact(exported: Exported) -> None:
    files = unzip(exported.path)
    root = project(files)
    audio = {s.get("guid"): s for s in root.iter(Q + "AudioSource")}
    checked = 0
    for recording_id, record in exported.transcripts.items():
        source = audio[qx.guid("recording", recording_id)]
        transcript = source.find(Q + "Transcript")
        assert transcript is not None
        text = files[member(transcript.get("plainTextPath"))].decode("utf-8")
        points = transcript.findall(Q + "SyncPoint")
        segments = [s for s in record.segments if s.text.strip()]
        assert len(points) == 2 * len(segments)
        labels = {s.id: s.participant_label or s.label for s in record.speakers}
        for segment, start, end in zip(segments, points[::2], points[1::2], strict=True):
            assert int(start.get("timeStamp")) == round(segment.start * 1000)
            assert int(end.get("timeStamp")) == round(segment.end * 1000)
            begin, finish = int(start.get("position")), int(end.get("position"))
            assert text[begin:finish] == segment.text
            speaker = labels[segment.speaker_id or ""]
            assert text[:begin].endswith(f"{speaker}: ")
            checked += 1
    assert checked == 5  # Kim's line is gone


def test_transcript_text_reads_as_a_transcript(exported: Exported) -> None:
    files = unzip(exported.path)
    root = project(files)
    (park,) = [s for n, s in by_name(root, "AudioSource").items() if n.startswith("Park walk")]
    transcript = park.find(Q + "Transcript")
    assert transcript is not None
    assert files[member(transcript.get("plainTextPath"))].decode() == (
        "Interviewer: We walked past the swings.\n\nLara (Mother): Lara likes the big slide.\n"
    )
    assert [p.get("timeStamp") for p in transcript.findall(Q + "SyncPoint")] == [
        "0", "3500", "3500", "7123",
    ]  # fmt: skip
    assert transcript.get("name") == park.get("name").removesuffix(".flac") + ".txt"


def test_positions_count_code_points() -> None:
    text, points = qx.transcript_text(
        [("S1", "Aye 🙂 fine", 0, 1000, "a"), ("", "  \n ", 1000, 2000, "b"),
         ("Lara (Mother)", "Next\x00 line\nhere", 2000, 3500, "c")]
    )  # fmt: skip
    assert text == "S1: Aye 🙂 fine\n\nLara (Mother): Next line here\n"
    assert [(p.position, p.time_ms) for p in points] == [(4, 0), (14, 1000), (31, 2000), (45, 3500)]
    assert text[31:45] == "Next line here"


# ------------------------------------------------------------ pseudonyms
def test_no_real_name_anywhere_in_the_zip(exported: Exported, base: Base) -> None:
    for path in (exported.path, exported.plain):
        files = unzip(path)
        for name, data in files.items():
            textual = not name.endswith(".flac")
            needles = [*base.reals, REAL_SITE, *([WITHDRAWN_WORDS, "Kim"] if textual else [])]
            for real in needles:
                for variant in {real, real.lower(), real.upper()}:
                    assert variant.encode("utf-8") not in data, (name, real)
        everything = b"".join(files.values())
        assert b"Lara" in everything and b"[drug service]" in everything


def test_the_withdrawn_participant_is_left_out(exported: Exported) -> None:
    files = unzip(exported.path)
    root = project(files)
    assert sorted(by_name(root, "Case")) == ["Ailsa", "Lara"]
    assert exported.result.participants_left_out == 1
    # the note about Lara and Kim stays (linked to Lara only); Kim's lines are gone
    texts = b"".join(d for n, d in files.items() if n.endswith(".txt"))
    assert b"Both talked about the school run." in texts
    assert b"Jane" not in texts and WITHDRAWN_WORDS.encode() not in texts
    kitchen = next(n for n in by_name(root, "AudioSource") if n.startswith("Kitchen"))
    assert not kitchen.endswith(".flac")


# -------------------------------------------------------- cases and codes
def test_participants_are_cases_with_their_attributes(exported: Exported) -> None:
    root = project(unzip(exported.path))
    cases = by_name(root, "Case")
    assert values(root, cases["Lara"]) == {
        "Role": "Mother", "Region": "Scotland", "Kind": "Parent", "Age band": "25-34",
        "On OST": "true", "Site": "Drug treatment site, Scotland", "Family": "Family B",
        "Consent: anonymised quotes": "yes", "Consent: archiving": "yes",
    }  # fmt: skip
    assert values(root, cases["Ailsa"]) == {
        "Role": "Health Visitor", "Kind": "Professional", "Sector": "Health",
        "Site": "[drug service]", "Consent: anonymised quotes": "yes",
        "Consent: archiving": "yes",
    }  # fmt: skip
    kinds = {v.get("name"): v.get("typeOfVariable") for v in root.iter(Q + "Variable")}
    assert kinds["On OST"] == "Boolean" and kinds["Session date"] == "Date"
    assert kinds["Role"] == "Text"
    sources = {s.get("guid"): s.get("name") for s in root.find(Q + "Sources")}
    lara = sorted(sources[r.get("targetGUID")] for r in cases["Lara"].iter(Q + "SourceRef"))
    ailsa = sorted(sources[r.get("targetGUID")] for r in cases["Ailsa"].iter(Q + "SourceRef"))
    assert len(lara) == 5 and not any(n.startswith("Clinic") for n in lara)
    assert len(ailsa) == 2 and all(n.startswith(("Clinic", "Memo")) for n in ailsa)


def test_tags_are_codes_covering_the_whole_note(exported: Exported) -> None:
    files = unzip(exported.path)
    root = project(files)
    codes = {c.get("guid"): c.get("name") for c in root.iter(Q + "Code")}
    assert sorted(codes.values()) == ["care", "kitchen", "school"]
    assert all(c.get("isCodable") == "true" for c in root.iter(Q + "Code"))
    tea = by_name(root, "TextSource")["Tea at the kitchen table"]
    text = files[member(tea.get("plainTextPath"))].decode("utf-8")
    assert text == "Lara made tea; Lara's wean slept."
    (selection,) = tea.findall(Q + "PlainTextSelection")
    assert (selection.get("startPosition"), selection.get("endPosition")) == ("0", str(len(text)))
    coded = [codes[c.find(Q + "CodeRef").get("targetGUID")] for c in selection]
    assert sorted(coded) == ["care", "kitchen"]


def test_notes_jottings_users_and_creators(exported: Exported) -> None:
    root = project(unzip(exported.path))
    notes = by_name(root, "TextSource")
    assert len(notes) == 4  # the empty note is left out
    assert "Nothing written yet" not in notes
    assert any(n.startswith("Jotting – Park walk") for n in notes)
    users = {u.get("guid"): u.get("name") for u in root.iter(Q + "User")}
    assert list(users.values()) == ["Ann"]
    sources = [*root.iter(Q + "TextSource"), *root.iter(Q + "AudioSource")]
    assert all(s.get("creatingUser") in users for s in sources)
    memo = next(s for n, s in notes.items() if n.startswith("Memo"))
    assert values(root, memo)["Note kind"] == "Memo"


# ------------------------------------------------------------------- audio
def test_audio_is_flac_where_consent_allows(exported: Exported) -> None:
    files = unzip(exported.path)
    root = project(files)
    audio = {s.get("name"): s for s in root.iter(Q + "AudioSource")}
    included = [n for n in audio if n.endswith(".flac")]
    assert len(audio) == 3 and len(included) == 1 and included[0].startswith("Park walk")
    flac = files[member(audio[included[0]].get("path"))]
    info = soundfile.info(io.BytesIO(flac))
    assert info.format == "FLAC" and info.frames == len(exported.park_audio)
    samples, _ = soundfile.read(io.BytesIO(flac), dtype="int16")
    assert np.array_equal(samples, exported.park_audio)
    withheld = [s for n, s in audio.items() if not n.endswith(".flac")]
    assert all(s.get("path", "").startswith("relative:///") for s in withheld)
    reasons = exported.result.audio_withheld
    assert len(reasons) == 2 and exported.result.audio_files == 1
    assert any("someone in it withdrew their data" in r for r in reasons)
    assert any("Ailsa (Health Visitor) said no to audio recording" in r for r in reasons)


def test_without_audio_no_recording_leaves(exported: Exported) -> None:
    files = unzip(exported.plain)
    assert not [n for n in files if n.endswith(".flac")]
    root = project(files)
    assert all(s.get("path").startswith("relative:///") for s in root.iter(Q + "AudioSource"))
    assert exported.plain_result.audio_withheld == [] and exported.plain_result.transcripts == 3


# ------------------------------------------------------- refusals, scope
def test_refused_while_identifiers_are_unreviewed(
    service: StoreService, base: Base, tmp_path: Path
) -> None:
    service.add_note(base.kitchen, "Then Margaret Thomson phoned from Dundee.")
    out = tmp_path / "out" / "project.qdpx"
    out.parent.mkdir()
    out.write_bytes(b"the previous export")
    with pytest.raises(IdentifiersUnresolved, match=r"Export refused: \d+ likely identifier"):
        export_qdpx(service, out, with_audio=True)
    assert out.read_bytes() == b"the previous export"
    assert [p.name for p in out.parent.iterdir()] == ["project.qdpx"]
    # another session's export is not held up
    export_qdpx(service, out, [base.park])
    assert zipfile.is_zipfile(out)


@pytest.mark.parametrize(
    ("where", "error", "message"),
    [
        ("missing/project.qdpx", InvalidInput, "does not exist"),
        ("a-folder", InvalidInput, "is a folder"),
    ],
)
def test_bad_targets_are_refused(
    service: StoreService, tmp_path: Path, where: str, error: type[Exception], message: str
) -> None:
    (tmp_path / "a-folder").mkdir()
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(error, match=message):
        export_qdpx(service, tmp_path / where)
    assert sorted(tmp_path.rglob("*")) == before


def test_an_unknown_session_is_refused(service: StoreService, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        export_qdpx(service, tmp_path / "x.qdpx", ["no-such-session"])
    assert not (tmp_path / "x.qdpx").exists()


def test_a_cancelled_export_writes_nothing(service: StoreService, tmp_path: Path) -> None:
    seen: list[float] = []
    with pytest.raises(RelationsError, match="cancelled"):
        export_qdpx(
            service, tmp_path / "x.qdpx", with_audio=True, progress=seen.append,
            cancelled=lambda: len(seen) >= 2,
        )  # fmt: skip
    assert not [p for p in tmp_path.iterdir() if p.is_file()]


def test_one_session(service: StoreService, base: Base, tmp_path: Path) -> None:
    seen: list[float] = []
    result = export_qdpx(
        service, tmp_path / "park.qdpx", [base.park], with_audio=True, progress=seen.append
    )
    assert (result.audio_sources, result.text_sources, result.cases) == (1, 1, 1)
    assert result.audio_files == 1 and result.audio_withheld == []
    assert seen[-1] == 1.0 and seen == sorted(seen)
