"""Export to analysis software: a REFI-QDA project (``.qdpx``) for NVivo, ATLAS.ti,
MAXQDA and QualCoder. What maps to what, and the consent rules: docs/qdpx-export.md.

Refused with nothing written: a bad ``out``, an unknown session, or likely identifiers
in the scope that nobody has reviewed (``IdentifiersUnresolved``). Everything that goes
into the file is pseudonymised (the register applied; no real name is ever read), and
participants who withdrew their data are left out with what they said. The ZIP is
written to a temporary name beside ``out``, owner-only, flushed to disk and renamed.
Audio is encoded to FLAC straight into the ZIP, a block at a time
(:func:`qdpx_xml.write_package`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from relations_desktop import __version__
from relations_desktop.core.consent.forms import Governs
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.export import qdpx_xml as qx
from relations_desktop.core.export.transcript_formats import pseudonymised
from relations_desktop.core.store.models import (
    Encounter,
    Family,
    Fieldnote,
    Participant,
    Project,
    Recording,
    RecordingStatus,
    Researcher,
    Site,
)

if TYPE_CHECKING:
    from relations_desktop.core.consent.records import ConsentState
    from relations_desktop.core.records import TranscriptRecord
    from relations_desktop.core.services import StoreService

Progress = Callable[[float], None]


def _var(name: str, kind: str = "Text", description: str = "") -> qx.Variable:
    return qx.Variable(qx.guid("variable", name.casefold()), name, kind, description)


ROLE, REGION, KIND, AGE_BAND, SECTOR = map(_var, ("Role", "Region", "Kind", "Age band", "Sector"))
ON_OST = _var("On OST", "Boolean", "On opioid substitution therapy")
SITE, FAMILY = _var("Site"), _var("Family")
_ANSWERS = "yes, no, not asked, no (withdrew) or no consent recorded, at the time of export"
QUOTES = _var("Consent: anonymised quotes", description=_ANSWERS)
ARCHIVING = _var("Consent: archiving", description=_ANSWERS)
SESSION_TYPE, SESSION_DATE = _var("Session type"), _var("Session date", "Date")
NOTE_KIND = _var("Note kind")
VARIABLES = [ROLE, REGION, KIND, AGE_BAND, SECTOR, ON_OST, SITE, FAMILY, QUOTES, ARCHIVING,
             SESSION_TYPE, SESSION_DATE, NOTE_KIND]  # fmt: skip


@dataclass(frozen=True)
class QdpxResult:
    path: str
    audio_sources: int
    transcripts: int
    text_sources: int
    cases: int
    codes: int
    users: int
    audio_files: int
    audio_withheld: list[str]  # why a recording's audio was left out, when audio was asked for
    participants_left_out: int  # withdrew their data


def export_qdpx(
    store: StoreService,
    out: Path,
    encounter_ids: Sequence[str] | None = None,
    with_audio: bool = False,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> QdpxResult:
    """Write the given sessions (all when none) as a REFI-QDA project to ``out``."""
    target = Path(out).expanduser()
    if target.is_dir():
        raise InvalidInput(f"{target} is a folder; give a file name. Nothing was written.")
    if not target.parent.is_dir():
        raise InvalidInput(f"The folder {target.parent} does not exist; nothing was written.")
    scope = list(dict.fromkeys(e.strip() for e in encounter_ids)) if encounter_ids else None
    for encounter_id in scope or ():
        store.get_encounter(encounter_id)  # NotFound for an unknown id
    store.review.check_export(scope)  # IdentifiersUnresolved while anything is open
    built = _Builder(store, with_audio).build(scope)
    qx.write_package(
        target, built.project, built.texts, built.audio, progress or (lambda _: None), cancelled
    )
    result = QdpxResult(
        path=str(target),
        audio_sources=sum(isinstance(s, qx.AudioItem) for s in built.project.sources),
        transcripts=sum(
            isinstance(s, qx.AudioItem) and s.transcript is not None for s in built.project.sources
        ),
        text_sources=sum(isinstance(s, qx.TextItem) for s in built.project.sources),
        cases=len(built.project.cases),
        codes=len(built.project.codes),
        users=len(built.project.users),
        audio_files=len(built.audio),
        audio_withheld=built.withheld,
        participants_left_out=built.left_out,
    )
    store.audit(
        "qdpx_exported", "export", "", path=str(target), scope=scope or "all",
        with_audio=with_audio, pseudonymised=True,
        counts={k: v for k, v in vars(result).items() if isinstance(v, int)},
    )  # fmt: skip
    return result


# ---------------------------------------------------------------- gathering
@dataclass(frozen=True)
class _Built:
    project: qx.Project
    texts: list[tuple[str, bytes]]  # ZIP member, content
    audio: list[qx.AudioFile]
    withheld: list[str]
    left_out: int


class _Builder:
    def __init__(self, store: StoreService, with_audio: bool) -> None:
        self.store, self.with_audio = store, with_audio
        self.replacer = store.pseudonyms.replacer()
        self.excluded = store.consent.excluded_participant_ids()
        self.names: set[str] = set()
        self.users: dict[str, str] = {}  # researcher id -> guid, for those named in the file
        self.appears: dict[str, list[str]] = {}  # participant id -> source guids
        self.texts: list[tuple[str, bytes]] = []
        self.audio: list[qx.AudioFile] = []
        self.withheld: list[str] = []
        self.states: dict[str, ConsentState] = {}
        self.involved: set[str] = set()  # everyone in a source, withdrawn or not
        self.researchers: dict[str, str] = {}  # id -> name

    def build(self, scope: list[str] | None) -> _Built:
        store, apply = self.store, self.replacer.apply
        with store._session() as session:
            query = select(Encounter).options(selectinload(Encounter.participants))
            if scope is not None:
                query = query.where(Encounter.id.in_(scope))
            encounters = list(session.scalars(query.order_by(Encounter.date, Encounter.id)))
            ids = [e.id for e in encounters]
            notes = list(session.scalars(
                select(Fieldnote).where(Fieldnote.encounter_id.in_(ids))
                .options(selectinload(Fieldnote.tags), selectinload(Fieldnote.participants))
                .order_by(Fieldnote.created_at, Fieldnote.id)
            ))  # fmt: skip
            recordings = list(session.scalars(
                select(Recording).where(Recording.encounter_id.in_(ids))
                .order_by(Recording.started_at, Recording.id)
            ))  # fmt: skip
            people = {p.id: p for p in session.scalars(select(Participant))}
            sites = {s.id: s for s in session.scalars(select(Site))}
            families = {f.id: f for f in session.scalars(select(Family))}
            researchers = {r.id: r.name for r in session.scalars(select(Researcher))}
            project = session.get(Project, store.project_id)
            project_name = project.name if project is not None else "Relations Desktop"
        present = {e.id: [p.id for p in e.participants] for e in encounters}
        by_id = {e.id: e for e in encounters}
        self.researchers = researchers
        sources: list[qx.AudioItem | qx.TextItem] = []
        for encounter in encounters:
            mine = [r for r in recordings if r.encounter_id == encounter.id]
            for number, recording in enumerate(mine, start=1):
                label = _session_label(encounter, apply)
                if len(mine) > 1:
                    label += f" – recording {number}"
                sources.append(self._recording(recording, encounter, label, present[encounter.id]))
        tags: dict[str, str] = {}
        for note in notes:
            item = self._note(note, by_id[note.encounter_id], present[note.encounter_id], tags)
            if item is not None:
                sources.append(item)
        wanted = set(people) if scope is None else set(self.involved)
        wanted = (wanted | {p for e in present.values() for p in e}) & set(people)
        cases = [
            self._case(people[pid], sites, families)
            for pid in sorted(wanted - self.excluded, key=lambda p: (people[p].pseudonym, p))
        ]
        me = self._user(store.researcher_id) or qx.guid("researcher", store.researcher_id)
        built = qx.Project(
            name=apply(project_name),
            origin=f"Relations Desktop {__version__}",
            user=me,
            created=datetime.now(UTC),
            description=(
                "Exported from Relations Desktop. Names are pseudonymised; participants who "
                "withdrew their data are left out with what they said."
            ),
            users=sorted(((g, researchers[r]) for r, g in self.users.items()), key=lambda u: u[1]),
            codes=sorted(((qx.guid("tag", t), n) for t, n in tags.items()), key=lambda c: c[1]),
            variables=VARIABLES,
            cases=cases,
            sources=sources,
        )
        left_out = len(self.excluded & wanted)
        return _Built(built, self.texts, self.audio, self.withheld, left_out)

    def _user(self, researcher_id: str | None) -> str | None:
        if researcher_id is None or researcher_id not in self.researchers:
            return None
        return self.users.setdefault(researcher_id, qx.guid("researcher", researcher_id))

    def _unique(self, name: str, suffix: str = "") -> str:
        base, number = qx.file_name(name), 1
        while (candidate := base + (f" ({number})" if number > 1 else "") + suffix) in self.names:
            number += 1
        self.names.add(candidate)
        return candidate

    def _state(self, participant_id: str) -> ConsentState:
        if participant_id not in self.states:
            self.states[participant_id] = self.store.consent.state(participant_id)
        return self.states[participant_id]

    def _link(self, people: Iterable[str], source: str) -> None:
        for person in dict.fromkeys(people):
            self.involved.add(person)
            if person not in self.excluded:
                self.appears.setdefault(person, []).append(source)

    def _recording(
        self, recording: Recording, encounter: Encounter, label: str, present: list[str]
    ) -> qx.AudioItem:
        transcripts = self.store.transcripts
        raw = transcripts.latest_for_recording(recording.id)
        speakers = {s.participant_id for s in raw.speakers if s.participant_id} if raw else set()
        item_guid = qx.guid("recording", recording.id)
        self._link([*present, *sorted(speakers)], item_guid)
        why = self._audio_refusal(recording, [*present, *sorted(speakers)])
        if why:
            self.withheld.append(f"{label}: {why}")
        keep = self.with_audio and not why
        name = self._unique(label, ".flac" if keep else "")
        made = qx.Made(self._user(recording.created_by), recording.started_at, recording.updated_at)
        transcript = None
        if raw is not None:
            record = pseudonymised(transcripts.without_withdrawn(raw), self.replacer)
            transcript = self._transcript(record, name.removesuffix(".flac"), made)
        if keep:
            blocks = functools.partial(self.store.recordings.samples, recording.id)
            self.audio.append(
                qx.AudioFile(f"Sources/{item_guid}.flac", recording.sample_rate, blocks)
            )
        return qx.AudioItem(
            guid=item_guid,
            name=name,
            path=f"internal://{item_guid}.flac" if keep else f"relative:///{item_guid}.flac",
            made=made,
            description="" if keep else "The audio is not in this export.",
            transcript=transcript,
            values=[(SESSION_TYPE, encounter.encounter_type.label), (SESSION_DATE, encounter.date)],
        )

    def _audio_refusal(self, recording: Recording, people: list[str]) -> str:
        """Why this recording's audio may not go into the file ("" when it may)."""
        if not self.with_audio:
            return ""
        if recording.status == RecordingStatus.RECORDING:
            return "it is still being recorded"
        if any(p in self.excluded for p in people):
            return "someone in it withdrew their data"
        lacking = [
            f"{state.label} {state.why_not(Governs.AUDIO_RECORDING)}"
            for state in map(self._state, dict.fromkeys(people))
            if not state.allows(Governs.AUDIO_RECORDING)
        ]
        return "no consent to audio recording now: " + "; ".join(lacking) if lacking else ""

    def _transcript(
        self, record: TranscriptRecord, name: str, made: qx.Made
    ) -> qx.TranscriptPart | None:
        labels = {s.id: s.participant_label or s.label for s in record.speakers}
        lines = [
            (
                labels.get(seg.speaker_id or "") or seg.speaker_label or "",
                seg.text,
                qx.millis(seg.start),
                qx.millis(seg.end),
                seg.id,
            )
            for seg in record.segments
        ]
        text, points = qx.transcript_text(lines)
        part_guid = qx.guid("transcript", record.id)
        self.texts.append((f"Sources/{part_guid}.txt", text.encode("utf-8")))
        made = qx.Made(made.user, record.created_at, record.updated_at)
        return qx.TranscriptPart(part_guid, f"{name}.txt", f"internal://{part_guid}.txt", made,
                                 points)  # fmt: skip

    def _note(
        self, note: Fieldnote, encounter: Encounter, present: list[str], tags: dict[str, str]
    ) -> qx.TextItem | None:
        text = qx.clean(self.replacer.apply(note.body))
        if not text.strip():
            return None
        item_guid = qx.guid("note", note.id)
        linked = [p.id for p in note.participants]
        self._link(linked or present, item_guid)
        title = self.replacer.apply(note.title).strip()
        name = title or f"{note.kind.label} – {_session_label(encounter, self.replacer.apply)}"
        self.texts.append((f"Sources/{item_guid}.txt", text.encode("utf-8")))
        codings = []
        for tag in note.tags:
            tags[tag.id] = self.replacer.apply(tag.name)
            codings.append((qx.guid("coding", f"{note.id}:{tag.id}"), qx.guid("tag", tag.id)))
        return qx.TextItem(
            guid=item_guid,
            name=self._unique(name),
            path=f"internal://{item_guid}.txt",
            made=qx.Made(self._user(note.created_by), note.created_at, note.updated_at),
            length=len(text),
            selection=qx.guid("note-selection", note.id),
            codings=codings,
            values=[
                (SESSION_TYPE, encounter.encounter_type.label),
                (SESSION_DATE, encounter.date),
                (NOTE_KIND, note.kind.label),
            ],
        )

    def _case(
        self, person: Participant, sites: dict[str, Site], families: dict[str, Family]
    ) -> qx.Case:
        apply = self.replacer.apply
        values: list[tuple[qx.Variable, qx.Value]] = [
            (ROLE, apply(person.role_label)),
            (REGION, apply(person.region)),
            (KIND, person.kind.value.replace("-", " ").capitalize()),
            (AGE_BAND, person.age_band),
            (SECTOR, apply(person.sector)),
        ]
        if person.on_ost is not None:
            values.append((ON_OST, person.on_ost))
        site = sites.get(person.site_id or "")
        if site is not None:
            values.append((SITE, self._site(site)))
        family = families.get(person.family_id or "")
        if family is not None:
            values.append((FAMILY, apply(family.label)))
        state = self._state(person.id)
        values += [(QUOTES, _answer(state, Governs.ANONYMISED_QUOTES)),
                   (ARCHIVING, _answer(state, Governs.ARCHIVING))]  # fmt: skip
        return qx.Case(
            guid=qx.guid("participant", person.id),
            name=apply(person.pseudonym),
            values=[(v, x) for v, x in values if not (isinstance(x, str) and not x.strip())],
            sources=list(dict.fromkeys(self.appears.get(person.id, []))),
        )

    def _site(self, site: Site) -> str:
        """The register's replacement when it covers the whole name, else the site's type
        and region: a service's real name never leaves unreviewed."""
        found = self.replacer.find(site.name)
        rest = "".join(
            site.name[start:end]
            for start, end in zip(
                [0, *(f.end for f in found)], [*(f.start for f in found), len(site.name)],
                strict=True,
            )
        )  # fmt: skip
        if found and not rest.strip(" ,.-'’&"):
            return self.replacer.apply(site.name)
        kind = site.site_type.value.replace("-", " ").capitalize() + " site"
        return f"{kind}, {site.region}" if site.region.strip() else kind


def _session_label(encounter: Encounter, apply: Callable[[str], str]) -> str:
    kind = encounter.encounter_type.label
    return f"{apply(encounter.title)} ({encounter.date.isoformat()}, {kind})"


def _answer(state: ConsentState, governs: Governs) -> str:
    if state.withdrawn_scope is not None:
        return "no (withdrew)"
    if state.missing:
        return "no consent recorded"
    decision = state.decisions.get(governs.value)
    return "yes" if decision is True else "no" if decision is False else "not asked"
