"""Full-text search: safe query translation, ranking, snippets, stemming, filters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.search import MAX_LIMIT, SearchFilters, split_snippet, to_fts_query
from relations_desktop.core.services import StoreService

PASS = "kitchen table methadone bairns"
FILLER = (
    "The kettle was on and the baby slept in the pushchair while we talked about the week, "
    "the bus timetable, the new flat and her sister who lives nearby. "
)


@dataclass(frozen=True)
class Corpus:
    svc: StoreService
    lara: str
    amira: str
    home: str  # home-visit, 2024-03-01, Lara
    clinic: str  # clinic-visit, 2024-06-15, Amira
    conference: str  # case-conference, 2025-01-10, Lara and Amira
    strong: str  # methadone in title and many times in the body (home)
    weak: str  # one passing mention in a long body (clinic)
    visit: str  # "visit" in the body (conference)
    creche: str  # "crèche" (home)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    svc = StoreService.create(tmp_path_factory.mktemp("search") / "store", PASS)
    try:
        lara = svc.add_participant("Lara", "Mother", region="Scotland").id
        amira = svc.add_participant("Amira", "Health Visitor", kind="professional").id
        home = svc.add_encounter(
            "home-visit", "Kitchen table", on=date(2024, 3, 1), participant_ids=[lara]
        ).id
        clinic = svc.add_encounter(
            "clinic-visit", "Clinic", on=date(2024, 6, 15), participant_ids=[amira]
        ).id
        conference = svc.add_encounter(
            "case-conference", "Conference", on=date(2025, 1, 10), participant_ids=[lara, amira]
        ).id
        strong = svc.add_note(
            home,
            "She collects her methadone on Mondays. The methadone dose went up; "
            "without methadone she said she could not cope. " + FILLER,
            title="Methadone",
        ).id
        weak = svc.add_note(
            clinic,
            FILLER * 20 + "A passing word about methadone. " + FILLER * 20,
            title="Clinic morning",
        ).id
        visit = svc.add_note(
            conference,
            "We had one short visit at the flat before the "
            "conference; the pushchair was in the hall.",
        ).id
        creche = svc.add_note(
            home, "The crèche was closed on Friday, so the pushchair came too.", kind="jotting"
        ).id
        yield Corpus(svc, lara, amira, home, clinic, conference, strong, weak, visit, creche)
    finally:
        svc.close()


def _ids(corpus: Corpus, query: str, filters: SearchFilters | None = None) -> list[str]:
    return [hit.ref_id for hit in corpus.svc.search(query, filters)]


# ----------------------------------------------------------------- translation
@pytest.mark.parametrize(
    "query, expected",
    [
        ("methadone", '"methadone"'),
        ("Methadone visit", '"Methadone" "visit"'),
        ('"short visit"', '"short visit"'),
        ("metha*", '"metha"*'),
        ("a OR b", '"a" OR "b"'),
        ("a NOT b", '"a" NOT "b"'),
        ("OR a", '"a"'),
        ("a OR", '"a"'),
        ("a AND OR b", '"a" AND "b"'),
        ("a AND NOT b", '"a" NOT "b"'),
        ("a NOT NOT b", '"a" NOT "b"'),
        ("title:foo", '"title" "foo"'),
        ("NEAR(a b)", '"NEAR" "a" "b"'),
        ("a-b", '"a" "b"'),
        ("(x)", '"x"'),
        ('"unclosed phrase', '"unclosed" "phrase"'),
        ("🍼", ""),
        ("", ""),
    ],
)
def test_to_fts_query(query: str, expected: str) -> None:
    assert to_fts_query(query) == expected


@pytest.mark.parametrize(
    "query", ["NOT", "NOT methadone", "🍼 NOT methadone", "methadone OR NOT x"]
)
def test_negation_without_a_positive_term_is_refused(corpus: Corpus, query: str) -> None:
    """Dropping the NOT would search for the opposite of what was asked."""
    with pytest.raises(InvalidInput, match="NOT"):
        to_fts_query(query)
    with pytest.raises(InvalidInput, match="NOT"):
        corpus.svc.search(query)


def test_and_not_excludes(corpus: Corpus) -> None:
    assert set(_ids(corpus, "pushchair AND NOT methadone")) == {corpus.visit, corpus.creche}


def _translated(query: str) -> str | None:
    """The FTS5 expression, or None when the query is refused as it stands."""
    try:
        return to_fts_query(query)
    except InvalidInput:
        return None


HOSTILE = [
    '"',
    '""',
    '"""',
    '"unclosed',
    "(",
    ")",
    "()",
    "((methadone",
    "methadone)",
    "*",
    "**",
    "*methadone",
    "meth*",
    '"meth*"',
    "-",
    "--",
    "-methadone",
    "a-b-c",
    ":",
    "::",
    "title:methadone",
    "body:",
    ":methadone",
    "NEAR",
    "NEAR(methadone pushchair)",
    "NEAR/2",
    "methadone NEAR pushchair",
    "AND",
    "OR",
    "NOT",
    "AND OR NOT",
    "OR methadone",
    "methadone OR",
    "methadone NOT",
    "NOT methadone",
    "methadone AND NOT pushchair",
    "^methadone",
    "+methadone",
    "🍼",
    "🍼 methadone",
    "methadone🍼pushchair",
    "don't",
    "'",
    "' '",
    "''",
    "\\",
    "{methadone}",
    "[methadone]",
    "\x00",
    "methadone\x00pushchair",
    "ﬁ",
    " ",
    "\t\n",
    "ÆØÅ",
    "crèche",
    "ü" * 300,
    "a " * 300,
    '"a" "b" "c" OR',
    "col:methadone OR (pushchair)",
    "%",
    "_",
    "$1",
    "'; DROP TABLE fieldnote; --",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_break_the_search(corpus: Corpus, query: str) -> None:
    if _translated(query):
        assert isinstance(corpus.svc.search(query), list)
    else:
        with pytest.raises(InvalidInput):
            corpus.svc.search(query)


@settings(max_examples=200, deadline=None)
@given(
    query=st.text(max_size=40)
    | st.lists(
        st.sampled_from(
            [
                '"',
                "(",
                ")",
                "*",
                "-",
                ":",
                "NEAR",
                "OR",
                "AND",
                "NOT",
                "^",
                "+",
                "methadone",
                "visit",
                "🍼",
                "'",
                " ",
                "NEAR(",
                "{",
                "}",
                "\\",
                ".",
            ]
        ),
        max_size=10,
    ).map("".join)
)
def test_any_text_is_a_safe_query(corpus: Corpus, query: str) -> None:
    try:
        hits = corpus.svc.search(query)
    except InvalidInput:
        assert not _translated(query)
    else:
        assert _translated(query)
        assert isinstance(hits, list)


@pytest.mark.parametrize("query", ["", "   ", "!!!", '""', "OR", "AND OR", "🍼", "*", "-:"])
def test_search_without_words(corpus: Corpus, query: str) -> None:
    with pytest.raises(InvalidInput, match="no words"):
        corpus.svc.search(query)


# ----------------------------------------------------------- ranking, snippets
def test_strong_match_ranks_above_passing_mention(corpus: Corpus) -> None:
    hits = corpus.svc.search("methadone")
    assert [h.ref_id for h in hits] == [corpus.strong, corpus.weak]
    assert hits[0].score < hits[1].score  # bm25: lower is better
    assert hits[0].title == "Methadone"
    assert (hits[0].encounter_id, hits[0].encounter_title) == (corpus.home, "Kitchen table")
    assert (hits[0].encounter_type, hits[0].date) == ("home-visit", date(2024, 3, 1))
    assert hits[0].kind == "fieldnote"


def test_snippets_mark_the_matched_words(corpus: Corpus) -> None:
    for hit in corpus.svc.search("methadone"):
        marked = [part for part, is_hit in hit.snippet_parts if is_hit]
        assert marked, hit
        assert all(part.lower() == "methadone" for part in marked)
        assert all(
            "methadone" not in part.lower() for part, is_hit in hit.snippet_parts if not is_hit
        )
        assert "[methadone]" in hit.snippet("[", "]").lower()
    weak = next(h for h in corpus.svc.search("methadone") if h.ref_id == corpus.weak)
    # A snippet, not the whole body.
    assert len(weak.snippet()) < 400


def test_snippet_of_a_stemmed_match_marks_the_text_as_written(corpus: Corpus) -> None:
    hits = corpus.svc.search("visits")
    hit = next(h for h in hits if h.ref_id == corpus.visit)
    assert ("visit", True) in hit.snippet_parts


def test_split_snippet() -> None:
    assert split_snippet("a \x02b\x03 c \x02d\x03") == [
        ("a ", False),
        ("b", True),
        (" c ", False),
        ("d", True),
    ]
    assert split_snippet("") == []


# -------------------------------------------------------- language handling
def test_stemming(corpus: Corpus) -> None:
    assert corpus.visit in _ids(corpus, "visits")
    assert corpus.visit in _ids(corpus, "visiting")
    assert corpus.strong in _ids(corpus, "collected")


def test_case_and_diacritics(corpus: Corpus) -> None:
    assert _ids(corpus, "METHADONE") == _ids(corpus, "methadone")
    assert _ids(corpus, "creche") == [corpus.creche]
    assert _ids(corpus, "Crèche") == [corpus.creche]


def test_phrases_prefixes_and_operators(corpus: Corpus) -> None:
    assert _ids(corpus, '"short visit"') == [corpus.visit]
    assert _ids(corpus, '"visit short"') == []
    assert set(_ids(corpus, "metha*")) == {corpus.strong, corpus.weak}
    assert _ids(corpus, "metha") == []
    assert set(_ids(corpus, "crèche OR conference")) == {corpus.creche, corpus.visit}
    pushchair = set(_ids(corpus, "pushchair"))
    assert pushchair == {corpus.strong, corpus.weak, corpus.visit, corpus.creche}
    assert set(_ids(corpus, "pushchair NOT methadone")) == {corpus.visit, corpus.creche}
    assert _ids(corpus, "methadone Mondays") == [corpus.strong]


def test_limit(corpus: Corpus) -> None:
    assert len(corpus.svc.search("pushchair", limit=1)) == 1
    assert len(corpus.svc.search("pushchair", limit=0)) == 1
    assert len(corpus.svc.search("pushchair", limit=-5)) == 1
    assert len(corpus.svc.search("pushchair", limit=MAX_LIMIT * 10)) == 4


# ---------------------------------------------------------------------- filters
def test_filter_by_encounter_type(corpus: Corpus) -> None:
    assert _ids(corpus, "pushchair", SearchFilters(encounter_type="clinic-visit")) == [corpus.weak]
    assert set(_ids(corpus, "pushchair", SearchFilters(encounter_type="home-visit"))) == {
        corpus.strong,
        corpus.creche,
    }
    assert _ids(corpus, "pushchair", SearchFilters(encounter_type="park-visit")) == []
    with pytest.raises(InvalidInput):
        corpus.svc.search("pushchair", SearchFilters(encounter_type="picnic"))


def test_filter_by_participant(corpus: Corpus) -> None:
    assert set(_ids(corpus, "pushchair", SearchFilters(participant_id=corpus.lara))) == {
        corpus.strong,
        corpus.creche,
        corpus.visit,
    }
    assert set(_ids(corpus, "pushchair", SearchFilters(participant_id=corpus.amira))) == {
        corpus.weak,
        corpus.visit,
    }
    with pytest.raises(NotFound):
        corpus.svc.search("pushchair", SearchFilters(participant_id="nobody"))


def test_filter_by_date_range(corpus: Corpus) -> None:
    def ids(**kw: date) -> set[str]:
        return set(_ids(corpus, "pushchair", SearchFilters(**kw)))  # type: ignore[arg-type]

    assert ids(date_from=date(2024, 6, 1), date_to=date(2024, 12, 31)) == {corpus.weak}
    # Bounds are inclusive.
    assert ids(date_from=date(2024, 6, 15), date_to=date(2024, 6, 15)) == {corpus.weak}
    assert ids(date_from=date(2024, 6, 16)) == {corpus.visit}
    assert ids(date_to=date(2024, 3, 1)) == {corpus.strong, corpus.creche}
    assert ids(date_from=date(2025, 2, 1)) == set()
    assert ids(date_from=date(2024, 7, 1), date_to=date(2024, 1, 1)) == set()


def test_filters_combine(corpus: Corpus) -> None:
    both = SearchFilters(
        encounter_type="case-conference",
        participant_id=corpus.amira,
        date_from=date(2025, 1, 1),
        date_to=date(2025, 1, 31),
    )
    assert _ids(corpus, "pushchair", both) == [corpus.visit]
    assert _ids(corpus, "methadone", both) == []


# ------------------------------------------------------------------ re-indexing
def test_updated_notes_are_reindexed(service: StoreService) -> None:
    enc = service.add_encounter("home-visit", "Visit")
    other = service.add_note(enc.id, "aardvark in another note")
    note = service.add_note(enc.id, "aardvark pram", title="Old heading")
    assert {h.ref_id for h in service.search("aardvark")} == {other.id, note.id}

    service.update_note(note.id, body="zebra pram")
    assert [h.ref_id for h in service.search("aardvark")] == [other.id]
    assert [h.ref_id for h in service.search("zebra")] == [note.id]
    assert [h.ref_id for h in service.search("pram")] == [note.id]

    service.update_note(note.id, title="New heading")
    assert service.search("old") == []
    hits = service.search("heading")
    assert [h.ref_id for h in hits] == [note.id]
    assert hits[0].title == "New heading"

    with service._session() as session:
        docs = session.execute(text("SELECT count(*) FROM search_doc")).scalar()
        rows = session.execute(text("SELECT count(*) FROM search_index")).scalar()
        assert docs == rows == 2


def test_reindexed_after_reopen(service: StoreService, passphrase: str) -> None:
    enc = service.add_encounter("home-visit", "Visit")
    note = service.add_note(enc.id, "buggy")
    service.update_note(note.id, body="scooter")
    service.close()
    with StoreService.open(service.store_dir, passphrase) as svc:
        assert svc.search("buggy") == []
        assert [h.ref_id for h in svc.search("scooter")] == [note.id]


def test_index_deletes_securely(service: StoreService) -> None:
    """FTS5 secure-delete is on, so replaced text leaves no trace in the index."""
    with service._session() as session:
        value = session.execute(
            text("SELECT v FROM search_index_config WHERE k = 'secure-delete'")
        ).scalar()
    assert value == 1
