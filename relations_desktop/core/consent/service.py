"""Consent use cases: forms, records, each participant's state, the recording gate."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relations_desktop.core.consent import certificate as cert
from relations_desktop.core.consent.forms import (
    FormItem,
    FormTemplate,
    Governs,
    read_template_file,
    template_from_json,
)
from relations_desktop.core.consent.records import (
    ConsentFormRecord,
    ConsentRecordView,
    ConsentState,
    EncounterFlagRecord,
    WithdrawalPlan,
)
from relations_desktop.core.consent.rules import RecordFacts, consent_state, recording_refusal
from relations_desktop.core.convert import choice as _choice
from relations_desktop.core.errors import ConsentRequired, InvalidInput, NotFound
from relations_desktop.core.resources import resource
from relations_desktop.core.store.lookup import get_or_missing
from relations_desktop.core.store.models import (
    CarriedConsent,
    ConsentForm,
    ConsentMethod,
    ConsentParty,
    ConsentRecord,
    Encounter,
    EncounterFlag,
    Participant,
    ParticipantKind,
    Recording,
    Researcher,
    WithdrawalScope,
)

if TYPE_CHECKING:
    from relations_desktop.core.services import StoreService

MAX_SCAN_BYTES = 25 * 1024 * 1024
_AUDIENCE_FOR_PARTY = {"self": "adult", "parent": "parent", "assent": "child"}
_AUDIENCE_WORDS = {"adult": "adults", "parent": "parents or carers", "child": "children"}
_PARTY_WORDS = {
    "self": "a participant's own consent",
    "parent": "a parent's consent for a child",
    "assent": "a child's assent",
}


@dataclass(frozen=True)
class VerbalConsent:
    """Consent said aloud at the start of a recording that is about to begin."""

    participant_id: str
    form: str  # id, slug or slug@version
    answers: Mapping[str, bool]
    party: str | None = None
    given_by: str = ""


@dataclass(frozen=True)
class _Checked:
    participant: Participant
    form: ConsentForm
    party: ConsentParty
    answers: dict[str, bool]
    given_by: str
    items: tuple[FormItem, ...] = field(default_factory=tuple)


class ConsentService:
    def __init__(self, store: StoreService) -> None:
        self._store = store

    # ------------------------------------------------------------------ forms
    def install_default_forms(self) -> int:
        """Put the shipped templates in a store that has no forms yet."""
        with self._store._session() as session:
            if session.scalar(select(func.count()).select_from(ConsentForm)):
                return 0
        folder = resource("consent_forms")
        count = 0
        for path in sorted(folder.glob("*.json")):
            self.add_form(read_template_file(path), audit=False)
            count += 1
        return count

    def list_forms(self) -> list[ConsentFormRecord]:
        self.install_default_forms()
        with self._store._session() as session:
            counts = dict(
                session.execute(
                    select(ConsentRecord.form_id, func.count()).group_by(ConsentRecord.form_id)
                ).all()
            )
            forms = session.scalars(
                select(ConsentForm).order_by(ConsentForm.slug, ConsentForm.created_at)
            )
            return [_form_record(f, counts.get(f.id, 0)) for f in forms]

    def get_form(self, ref: str) -> ConsentFormRecord:
        self.install_default_forms()
        with self._store._session() as session:
            form = _find_form(session, ref)
            count = session.scalar(
                select(func.count())
                .select_from(ConsentRecord)
                .where(ConsentRecord.form_id == form.id)
            )
            return _form_record(form, int(count or 0))

    def import_form(self, path: Path) -> ConsentFormRecord:
        return self.add_form(read_template_file(path))

    def add_form(self, template: FormTemplate, *, audit: bool = True) -> ConsentFormRecord:
        """Store a form version. The same version again is harmless if its wording is the
        same; a different wording under an existing version number is refused, because
        records taken on that version must keep meaning what they meant."""
        data = template.to_json()
        with self._store._session() as session:
            existing = session.scalars(
                select(ConsentForm).where(
                    ConsentForm.project_id == self._store.project_id,
                    ConsentForm.slug == template.slug,
                    ConsentForm.version == template.version,
                )
            ).first()
            if existing is not None:
                if _form_json(existing) == data:
                    count = session.scalar(
                        select(func.count())
                        .select_from(ConsentRecord)
                        .where(ConsentRecord.form_id == existing.id)
                    )
                    return _form_record(existing, int(count or 0))
                raise InvalidInput(
                    f"Version {template.version} of the form “{template.slug}” already exists "
                    "with different wording; give the changed form a new version number."
                )
            form = ConsentForm(
                project_id=self._store.project_id,
                slug=template.slug,
                title=template.title,
                version=template.version,
                form_date=template.form_date,
                ethics_reference=template.ethics_reference,
                audience=template.audience,
                items=data["items"],
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            session.add(form)
            session.flush()
            record = _form_record(form, 0)
        if audit:
            self._store.audit(
                "consent_form_added", "consent_form", record.id,
                slug=template.slug, version=template.version,
            )  # fmt: skip
        return record

    def form_template(self, ref: str) -> FormTemplate:
        """A stored version as a template (to edit into a new version, or to export)."""
        with self._store._session() as session:
            return template_from_json(_form_json(_find_form(session, ref)))

    # ---------------------------------------------------------------- records
    def record(
        self,
        participant_id: str,
        form: str,
        answers: Mapping[str, bool],
        method: str,
        *,
        party: str | None = None,
        given_by: str = "",
        given_on: date | None = None,
        recording_id: str | None = None,
        recording_offset: float | None = None,
        signature: cert.Signature | None = None,
        signature_image: bytes | None = None,
        scan: bytes | None = None,
        scan_name: str = "",
    ) -> ConsentRecordView:
        """Record consent on one form version; checked before anything is written."""
        how = _choice(ConsentMethod, method, "consent method")
        when = given_on or date.today()
        if when > date.today():
            raise InvalidInput(f"Consent cannot be dated in the future ({when}).")
        if how is ConsentMethod.SIGNED and signature is None and not signature_image:
            raise InvalidInput("Signed consent needs a signature drawn on screen.")
        if how is ConsentMethod.PAPER:
            if not scan:
                raise InvalidInput("Consent on a paper form needs the scan of the signed form.")
            if len(scan) > MAX_SCAN_BYTES:
                raise InvalidInput(
                    f"The scan is {len(scan) / 1e6:.1f} MB; at most {MAX_SCAN_BYTES // 2**20} MiB."
                )
        if how is ConsentMethod.VERBAL and (recording_id is None or recording_offset is None):
            raise InvalidInput(
                "Verbal consent needs the recording it was given in and the time in it."
            )
        if signature_image is None and signature is not None:
            signature_image = cert.signature_png(signature)
        with self._store._session() as session:
            checked = self._check(session, participant_id, form, answers, party, given_by)
            recording_label = ""
            if recording_id is not None:
                recording = get_or_missing(session, Recording, recording_id, "recording")
                encounter = session.get(Encounter, recording.encounter_id)
                if encounter is not None and checked.participant not in encounter.participants:
                    raise InvalidInput(
                        f"{_label(checked.participant)} was not in the session of that "
                        "recording; verbal consent is linked to a recording they are in."
                    )
                offset = float(recording_offset or 0.0)
                length = recording.frames / recording.sample_rate if recording.frames else None
                if offset < 0 or (length is not None and offset > length):
                    raise InvalidInput(
                        f"{offset:.1f} s is outside the recording"
                        + (f" (it is {length:.1f} s long)." if length is not None else ".")
                    )
                recording_label = _recording_label(recording, offset)
            row = ConsentRecord(
                participant_id=checked.participant.id,
                form_id=checked.form.id,
                party=checked.party,
                given_by=checked.given_by,
                method=how,
                given_on=when,
                researcher_id=self._store.researcher_id,
                answers=checked.answers,
                recording_id=recording_id,
                recording_offset=recording_offset if recording_id else None,
                signature_strokes=signature.to_json() if signature else None,
                signature_png=signature_image,
                scan=scan if how is ConsentMethod.PAPER else None,
                scan_name=Path(scan_name).name[:300] if scan else "",
                created_by=self._store.researcher_id,
                updated_by=self._store.researcher_id,
            )
            session.add(row)
            session.flush()
            row.certificate_pdf = cert.certificate_pdf(
                self._details(session, row, checked, recording_label)
            )
            view = _record_view(row)
        self._store.audit(
            "consent_recorded", "participant", view.participant_id,
            record=view.id, form=view.form_id, method=view.method, party=view.party,
        )  # fmt: skip
        return view

    def records(self, participant_id: str) -> list[ConsentRecordView]:
        with self._store._session() as session:
            get_or_missing(session, Participant, participant_id, "participant")
            rows = session.scalars(
                select(ConsentRecord)
                .where(ConsentRecord.participant_id == participant_id)
                .order_by(ConsentRecord.given_on, ConsentRecord.created_at)
            )
            return [_record_view(r) for r in rows]

    def certificate(self, record_id: str) -> bytes:
        with self._store._session() as session:
            row = get_or_missing(session, ConsentRecord, record_id, "consent record")
            if row.certificate_pdf is None:
                raise NotFound("This record's certificate was deleted with the withdrawal.")
            return bytes(row.certificate_pdf)

    def scan(self, record_id: str) -> tuple[str, bytes]:
        with self._store._session() as session:
            row = get_or_missing(session, ConsentRecord, record_id, "consent record")
            if row.scan is None:
                raise NotFound("This consent record has no scan.")
            return row.scan_name, bytes(row.scan)

    def signature_image(self, record_id: str) -> bytes | None:
        with self._store._session() as session:
            row = get_or_missing(session, ConsentRecord, record_id, "consent record")
            return None if row.signature_png is None else bytes(row.signature_png)

    # ------------------------------------------------------------------ state
    def state(self, participant_id: str) -> ConsentState:
        with self._store._session() as session:
            participant = get_or_missing(session, Participant, participant_id, "participant")
            return _state(session, participant)

    def encounter_states(self, encounter_id: str) -> list[ConsentState]:
        with self._store._session() as session:
            encounter = get_or_missing(session, Encounter, encounter_id, "session")
            return [_state(session, p) for p in encounter.participants]

    def excluded_participant_ids(self) -> set[str]:
        """Participants who withdrew their data: left out of every export."""
        with self._store._session() as session:
            return set(
                session.scalars(
                    select(Participant.id).where(
                        Participant.withdrawal_scope == WithdrawalScope.ALL
                    )
                )
            )

    def check_recording(self, encounter_id: str, verbal: Sequence[VerbalConsent] = ()) -> None:
        """Raise :class:`ConsentRequired`, naming who lacks consent, unless everyone present
        has agreed to audio recording (counting consent about to be given verbally)."""
        with self._store._session() as session:
            encounter = get_or_missing(session, Encounter, encounter_id, "session")
            present = {p.id for p in encounter.participants}
            drafts: dict[str, list[RecordFacts]] = {}
            for item in verbal:
                if item.participant_id not in present:
                    raise InvalidInput(
                        "Verbal consent is for people present in this session; "
                        f"{item.participant_id!r} is not one of them."
                    )
                checked = self._check(
                    session, item.participant_id, item.form, item.answers, item.party,
                    item.given_by,
                )  # fmt: skip
                drafts.setdefault(item.participant_id, []).append(
                    RecordFacts(
                        party=checked.party.value,
                        given_on=date.today(),
                        created_at=_far_future(),
                        items=checked.items,
                        answers=checked.answers,
                    )
                )
            states = [_state(session, p, drafts.get(p.id, ())) for p in encounter.participants]
        refusal = recording_refusal(states)
        if refusal is not None:
            raise ConsentRequired(refusal)

    def record_verbal(
        self, recording_id: str, verbal: Sequence[VerbalConsent], offset: float = 0.0
    ) -> list[ConsentRecordView]:
        """Store verbal consent given at ``offset`` seconds into a recording."""
        return [
            self.record(
                item.participant_id,
                item.form,
                item.answers,
                ConsentMethod.VERBAL.value,
                party=item.party,
                given_by=item.given_by,
                recording_id=recording_id,
                recording_offset=offset,
            )
            for item in verbal
        ]

    # ------------------------------------------------------------------ flags
    def encounter_flags(
        self, encounter_id: str | None = None, *, include_resolved: bool = False
    ) -> list[EncounterFlagRecord]:
        """Sessions flagged for review (after a withdrawal), newest first."""
        with self._store._session() as session:
            query = select(EncounterFlag, Encounter.title).join(
                Encounter, Encounter.id == EncounterFlag.encounter_id
            )
            if encounter_id is not None:
                get_or_missing(session, Encounter, encounter_id, "session")
                query = query.where(EncounterFlag.encounter_id == encounter_id)
            if not include_resolved:
                query = query.where(EncounterFlag.resolved_at.is_(None))
            rows = session.execute(query.order_by(EncounterFlag.created_at.desc())).all()
            return [
                EncounterFlagRecord(
                    id=flag.id,
                    encounter_id=flag.encounter_id,
                    encounter_title=title,
                    reason=flag.reason,
                    message=flag.message,
                    participant_id=flag.participant_id,
                    created_at=flag.created_at,
                    resolved_at=flag.resolved_at,
                )
                for flag, title in rows
            ]

    def resolve_flag(self, flag_id: str) -> None:
        with self._store._session() as session:
            flag = get_or_missing(session, EncounterFlag, flag_id, "flag")
            if flag.resolved_at is None:
                flag.resolved_at = datetime.now(UTC)
                flag.updated_by = self._store.researcher_id
                encounter_id = flag.encounter_id
            else:
                return
        self._store.audit("flag_resolved", "encounter", encounter_id, flag=flag_id)

    # ------------------------------------------------------------- withdrawal
    def withdrawal_plan(self, participant_id: str, scope: str) -> WithdrawalPlan:
        from relations_desktop.core.consent import withdrawal

        return withdrawal.plan(self._store, participant_id, scope)

    def withdraw(
        self, participant_id: str, scope: str, *, on: date | None = None, note: str = ""
    ) -> WithdrawalPlan:
        from relations_desktop.core.consent import withdrawal

        return withdrawal.execute(self._store, participant_id, scope, on=on, note=note)

    # ---------------------------------------------------------------- helpers
    def _check(
        self,
        session: Session,
        participant_id: str,
        form_ref: str,
        answers: Mapping[str, bool],
        party: str | None,
        given_by: str,
    ) -> _Checked:
        participant = get_or_missing(session, Participant, participant_id, "participant")
        if participant.withdrawal_scope is not None:
            raise InvalidInput(
                f"{_label(participant)} withdrew from the study on {participant.withdrawn_on}; "
                "no new consent can be recorded."
            )
        form = _find_form(session, form_ref)
        is_child = participant.kind is ParticipantKind.CHILD
        if party is None:
            if is_child:
                raise InvalidInput(
                    f"{_label(participant)} is a child: say whether this is a parent's "
                    "consent (parent) or the child's own assent (assent)."
                )
            party = ConsentParty.SELF.value
        who = _choice(ConsentParty, party, "consent party")
        if is_child and who is ConsentParty.SELF:
            raise InvalidInput(
                "A child gives assent, and a parent or carer gives consent; choose parent or "
                "assent."
            )
        if not is_child and who is not ConsentParty.SELF:
            raise InvalidInput(
                f"Parent consent and assent are for children; {_label(participant)} is not "
                "recorded as a child."
            )
        wanted = _AUDIENCE_FOR_PARTY[who.value]
        if form.audience != wanted:
            raise InvalidInput(
                f"The form “{form.title}” (v{form.version}) is for "
                f"{_AUDIENCE_WORDS.get(form.audience, form.audience)}; "
                f"{_PARTY_WORDS[who.value]} needs a form for "
                f"{_AUDIENCE_WORDS[wanted]}."
            )
        given_by = given_by.strip()
        if who is ConsentParty.PARENT:
            parent = session.get(Participant, given_by) if given_by else None
            given_by = _label(parent) if parent is not None else given_by
            if not given_by:
                raise InvalidInput("Say which parent or carer gave consent (given by).")
        items = _items(form)
        by_id = {item.id: item for item in items}
        clean: dict[str, bool] = {}
        for key, value in answers.items():
            if key not in by_id:
                raise InvalidInput(
                    f"The form “{form.title}” (v{form.version}) has no item {key!r}; its items "
                    f"are: {', '.join(by_id)}."
                )
            if not isinstance(value, bool):
                raise InvalidInput(f"The answer to {key!r} must be yes or no.")
            clean[key] = value
        for item in items:
            if item.required and item.id not in clean:
                raise InvalidInput(
                    f"The required item {item.id!r} has no answer: “{item.statement}”"
                )
            if item.required and clean[item.id] is False:
                raise InvalidInput(
                    f"The item {item.id!r} is required to take part; with “no” there is no "
                    "consent to record."
                )
            clean.setdefault(item.id, False)
        return _Checked(participant, form, who, clean, given_by, tuple(items))

    def _details(
        self, session: Session, row: ConsentRecord, checked: _Checked, recording_label: str
    ) -> cert.CertificateDetails:
        participant, form = checked.participant, checked.form
        researcher = session.get(Researcher, self._store.researcher_id)
        return cert.CertificateDetails(
            record_id=row.id,
            form_title=form.title,
            form_version=form.version,
            form_date=form.form_date,
            ethics_reference=form.ethics_reference,
            participant_label=_label(participant),
            real_name=participant.identity.real_name if participant.identity else None,
            party=row.party.value,
            given_by=row.given_by,
            method=row.method.value,
            given_on=row.given_on,
            researcher_name=researcher.name if researcher else "",
            items=[
                cert.CertificateItem(item.statement, item.required, checked.answers[item.id])
                for item in checked.items
            ],
            signature_png=row.signature_png,
            scan_name=row.scan_name,
            recording_label=recording_label,
        )


# ---------------------------------------------------------------------- helpers
def _find_form(session: Session, ref: str) -> ConsentForm:
    ref = (ref or "").strip()
    form = session.get(ConsentForm, ref) if ref else None
    if form is not None:
        return form
    slug, _, version = ref.partition("@")
    query = select(ConsentForm).where(ConsentForm.slug == slug)
    if version:
        query = query.where(ConsentForm.version == version)
    candidates = session.scalars(query.order_by(ConsentForm.created_at)).all()
    if not candidates:
        raise NotFound(
            f"There is no consent form {ref!r} (give its id, its name such as "
            "adult-participant, or name@version); `consent form list` shows them."
        )
    return max(candidates, key=lambda f: (_version_key(f.version), f.created_at))


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    parts: list[tuple[int, int | str]] = []
    for piece in version.replace("-", ".").split("."):
        parts.append((1, int(piece)) if piece.isdigit() else (0, piece))
    return tuple(parts)


def _items(form: ConsentForm) -> list[FormItem]:
    return [
        FormItem(
            id=str(i["id"]),
            statement=str(i["statement"]),
            required=bool(i.get("required", False)),
            governs=i.get("governs"),
        )
        for i in form.items
    ]


def _form_json(form: ConsentForm) -> dict[str, Any]:
    return {
        "format": "relations-consent-form/1",
        "slug": form.slug,
        "title": form.title,
        "version": form.version,
        "date": form.form_date.isoformat() if form.form_date else None,
        "ethics_reference": form.ethics_reference,
        "audience": form.audience,
        "items": json.loads(json.dumps(form.items)),
    }


def _form_record(form: ConsentForm, count: int) -> ConsentFormRecord:
    return ConsentFormRecord(
        id=form.id,
        slug=form.slug,
        title=form.title,
        version=form.version,
        form_date=form.form_date,
        ethics_reference=form.ethics_reference,
        audience=form.audience,
        items=tuple(_items(form)),
        record_count=count,
        created_at=form.created_at,
    )


def _record_view(row: ConsentRecord) -> ConsentRecordView:
    return ConsentRecordView(
        id=row.id,
        participant_id=row.participant_id,
        form_id=row.form_id,
        form_label=f"{row.form.title} (v{row.form.version})" if row.form else row.form_id,
        party=row.party.value,
        given_by=row.given_by,
        method=row.method.value,
        given_on=row.given_on,
        researcher_id=row.researcher_id,
        answers={str(k): bool(v) for k, v in row.answers.items()},
        recording_id=row.recording_id,
        recording_offset=row.recording_offset,
        has_signature=row.signature_png is not None,
        scan_name=row.scan_name,
        has_scan=row.scan is not None,
        has_certificate=row.certificate_pdf is not None,
        created_at=row.created_at,
    )


def _state(
    session: Session, participant: Participant, extra: Sequence[RecordFacts] = ()
) -> ConsentState:
    rows = session.scalars(
        select(ConsentRecord).where(ConsentRecord.participant_id == participant.id)
    ).all()
    carried = None if rows or extra else session.get(CarriedConsent, participant.id)
    if carried is not None:
        return _carried_state(participant, carried)
    facts = [
        RecordFacts(
            party=r.party.value,
            given_on=r.given_on,
            created_at=r.created_at,
            items=_items(r.form),
            answers={str(k): bool(v) for k, v in r.answers.items()},
        )
        for r in rows
    ]
    return consent_state(
        participant_id=participant.id,
        label=_label(participant),
        kind=participant.kind.value,
        records=[*facts, *extra],
        withdrawn_scope=participant.withdrawal_scope.value
        if participant.withdrawal_scope
        else None,
        withdrawn_on=participant.withdrawn_on,
    )


def _carried_state(participant: Participant, carried: CarriedConsent) -> ConsentState:
    """On the team side: the consent a bundle carried, for someone whose consent records
    (signatures, certificates) stay in the researcher's store."""
    decisions = {g.value: carried.decisions.get(g.value) for g in Governs}
    return ConsentState(
        participant_id=participant.id,
        label=_label(participant),
        kind=participant.kind.value,
        decisions={k: v if isinstance(v, bool) else None for k, v in decisions.items()},
        missing=tuple(str(m) for m in carried.missing),
        withdrawn_scope=participant.withdrawal_scope.value
        if participant.withdrawal_scope
        else None,
        withdrawn_on=participant.withdrawn_on,
    )


def _label(participant: Participant) -> str:
    return f"{participant.pseudonym} ({participant.role_label})"


def _recording_label(recording: Recording, offset: float) -> str:
    minutes, seconds = divmod(int(offset), 60)
    started = recording.started_at.strftime("%Y-%m-%d %H:%M")
    return f"recording of {started}, at {minutes:02d}:{seconds:02d}"


def _far_future() -> datetime:
    return datetime.max.replace(tzinfo=UTC)
