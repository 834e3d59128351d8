"""The pseudonym register: whole-word matching, possessives, case, overlaps, line breaks,
seeding from real names, refusals, and properties over random texts."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relations_desktop.core.errors import InvalidInput, NotFound
from relations_desktop.core.export.transcript_formats import pseudonymised
from relations_desktop.core.pseudonyms import RegisterEntry, Replacer, real_key, seeded_entries
from relations_desktop.core.services import StoreService
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_recording, make_transcript


def register(*pairs: tuple[str, str]) -> Replacer:
    return Replacer(
        RegisterEntry(str(i), real, new, "other") for i, (real, new) in enumerate(pairs)
    )


ANN = register(("Ann", "Kim"))
LARA = register(("Lara Smith", "Marianne"), ("Lara", "Marianne"), ("Smith", "[surname]"))


# ------------------------------------------------------------------ word boundaries
@pytest.mark.parametrize(
    "text",
    ["Anne", "Annual", "Mary-Ann", "Joanne", "Ann-Marie", "Annie", "O'Ann", "Ann2", "Ann_x",
     "JoAnn", "annual review", "Mary-Ann's"],
)  # fmt: skip
def test_a_name_inside_a_longer_word_is_never_matched(text: str) -> None:
    assert ANN.find(text) == []
    assert ANN.apply(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ann", "Kim"),
        ("Ann came round.", "Kim came round."),
        ("I saw Ann", "I saw Kim"),
        ("Ann, Anne and Annual met Mary-Ann and Joanne.", "Kim, Anne and Annual met "
         "Mary-Ann and Joanne."),
        ("(Ann)", "(Kim)"),
        ("'Ann'", "'Kim'"),
        ("“Ann”", "“Kim”"),
        ('"Ann!"', '"Kim!"'),
        ("Ann? Ann; Ann: Ann.", "Kim? Kim; Kim: Kim."),
        ("—Ann—", "—Kim—"),
        ("- Ann -", "- Kim -"),
        ("[Ann]", "[Kim]"),
        ("Ann'll be late", "Kim'll be late"),
    ],
)  # fmt: skip
def test_whole_words_at_the_edges_and_next_to_punctuation(text: str, expected: str) -> None:
    assert ANN.apply(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lara's bairns", "Marianne's bairns"),
        ("Lara’s bairns", "Marianne’s bairns"),
        ("LARA'S BAIRNS", "MARIANNE'S BAIRNS"),
        ("Smith's van", "[surname]'s van"),
        ("the Smiths' van", "the Smiths' van"),  # another word: not Smith
    ],
)
def test_possessives_keep_their_ending(text: str, expected: str) -> None:
    assert LARA.apply(text) == expected


def test_a_name_ending_in_s_with_a_bare_apostrophe() -> None:
    assert register(("James", "Davie")).apply("James' car and James's dog") == (
        "Davie' car and Davie's dog"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("lara", "Marianne"), ("LARA", "MARIANNE"), ("Lara", "Marianne"), ("lArA", "Marianne"),
     ("SMITH", "[surname]")],
)  # fmt: skip
def test_case_insensitive_and_capitals_kept(text: str, expected: str) -> None:
    assert LARA.apply(text) == expected


def test_the_longest_entry_wins_where_entries_overlap() -> None:
    found = LARA.find("Lara Smith and Lara and Smith")
    assert [(r.found, r.entry.real) for r in found] == [
        ("Lara Smith", "Lara Smith"),
        ("Lara", "Lara"),
        ("Smith", "Smith"),
    ]
    assert LARA.apply("Lara Smith and Lara") == "Marianne and Marianne"


def test_entries_sharing_a_prefix() -> None:
    replacer = register(("Jo", "Kim"), ("Joanne", "Rhona"), ("Kelvin", "[river]"),
                        ("Kelvin Court", "[street]"))  # fmt: skip
    assert replacer.apply("Jo, Joanne, Jo's pal Joanne's") == "Kim, Rhona, Kim's pal Rhona's"
    assert replacer.apply("Kelvin Court by the Kelvin") == "[street] by the [river]"


def test_a_name_broken_across_lines_or_by_a_hyphen() -> None:
    assert LARA.apply("and Lara\nSmith said") == "and Marianne said"
    assert LARA.apply("and Lara \n   Smith said") == "and Marianne said"
    assert LARA.apply("LARA\tSMITH") == "MARIANNE"
    tracy = register(("Tracy Ann", "Kim"))
    assert tracy.apply("Tracy-Ann and Tracy\nAnn and tracy ann's") == "Kim and Kim and Kim's"


def test_curly_and_straight_apostrophes_in_an_entry_are_the_same() -> None:
    school = register(("St Bride's", "[primary school]"))
    assert school.apply("at St Bride’s, st bride's and ST BRIDE'S") == (
        "at [primary school], [primary school] and [primary school]"
    )
    assert real_key("St Bride’s") == real_key("st  bride's")


def test_find_reports_offsets_and_the_entry() -> None:
    text = "Me and Lara's wean"
    (hit,) = LARA.find(text)
    assert (hit.start, hit.end, hit.found, hit.text) == (7, 13, "Lara's", "Marianne's")
    assert text[hit.start : hit.end] == "Lara's" and hit.entry.real == "Lara"


def test_an_empty_register_and_empty_text() -> None:
    assert Replacer([]).apply("Lara") == "Lara"
    assert LARA.apply("") == "" and LARA.find("") == []


# ------------------------------------------------------------------ the service
def test_seeded_from_real_names(service: StoreService) -> None:
    laura = service.add_participant("Marianne", "Mother", real_name="Laura Quartermaine")
    service.add_participant("Kim", "Health Visitor", real_name="Fiona")
    service.add_participant("Davie", "Father")  # no real name: nothing seeded
    entries = {e.real: e for e in service.pseudonyms.list()}
    assert {r: (e.replacement, e.kind) for r, e in entries.items()} == {
        "Laura Quartermaine": ("Marianne", "full-name"),
        "Laura": ("Marianne", "first-name"),
        "Quartermaine": ("[surname]", "surname"),
        "Fiona": ("Kim", "first-name"),
    }
    assert entries["Laura"].participant_id == laura.id
    assert service.pseudonyms.apply("Laura Quartermaine and Fiona, then Quartermaine.") == (
        "Marianne and Kim, then [surname]."
    )
    assert seeded_entries("  ", "X") == []


def test_seeded_entries_follow_a_changed_pseudonym(service: StoreService) -> None:
    laura = service.add_participant("Marianne", "Mother", real_name="Laura Quartermaine")
    assert service.pseudonyms.apply("Laura's bairns") == "Marianne's bairns"
    service.update_participant(laura.id, pseudonym="Rhona")
    assert service.pseudonyms.apply("Laura Quartermaine and Laura's bairns") == (
        "Rhona and Rhona's bairns"
    )
    assert len(service.pseudonyms.list()) == 3  # updated, not added again


def test_seeded_entries_cannot_be_edited_or_removed_here(service: StoreService) -> None:
    service.add_participant("Marianne", "Mother", real_name="Laura Quartermaine")
    entry = next(e for e in service.pseudonyms.list() if e.real == "Laura")
    with pytest.raises(InvalidInput, match="identity register"):
        service.pseudonyms.remove(entry.id)
    with pytest.raises(InvalidInput, match="identity register"):
        service.pseudonyms.update(entry.id, replacement="Kim")
    with pytest.raises(InvalidInput, match="identity register"):
        service.pseudonyms.update(entry.id, real="Lauren")
    assert service.pseudonyms.update(entry.id, notes="goes by Laurie").notes == "goes by Laurie"
    assert next(e for e in service.pseudonyms.list() if e.id == entry.id).replacement == "Marianne"


def test_names_split_across_transcript_segments(service: StoreService, tmp_path: Path) -> None:
    """…and Laura | Quartermaine said…: each part is covered by the seeded entries."""
    laura = service.add_participant("Marianne", "Mother", real_name="Laura Quartermaine")
    give_adult_consent(service, laura.id)
    visit = service.add_encounter("home-visit", "Visit", participant_ids=[laura.id])
    recording = make_recording(service, visit.id, tmp_path, 10.0)
    tid = make_transcript(
        service,
        recording,
        [Seg(0.0, 3.0, "I went round with the bairns and Laura", speaker=0),
         Seg(3.0, 6.0, "Quartermaine said the nursery phoned.", speaker=0)],
        speakers=["Interviewer"],
    )  # fmt: skip
    out = pseudonymised(service.transcripts.get(tid), service.pseudonyms.replacer())
    texts = [s.text for s in out.segments]
    assert texts == [
        "I went round with the bairns and Marianne",
        "[surname] said the nursery phoned.",
    ]
    words = " ".join(w.word for s in out.segments for w in s.words)
    assert "Laura" not in words and "Quartermaine" not in words


def test_add_update_remove(service: StoreService) -> None:
    entry = service.pseudonyms.add("  Drummond   Street Project ", "[drug service]",
                                   kind="service", notes=" their local one ")  # fmt: skip
    assert (entry.real, entry.replacement, entry.kind, entry.notes) == (
        "Drummond Street Project", "[drug service]", "service", "their local one",
    )  # fmt: skip
    assert service.pseudonyms.apply("at the drummond street project") == "at the [drug service]"
    changed = service.pseudonyms.update(entry.id, real="Drummond St Project", kind="organisation")
    assert (changed.real, changed.kind, changed.notes) == (
        "Drummond St Project", "organisation", "their local one",
    )  # fmt: skip
    assert service.pseudonyms.apply("Drummond St Project") == "[drug service]"
    service.pseudonyms.remove(entry.id)
    assert service.pseudonyms.list() == []
    actions = [e.action for e in service.audit_events()]
    assert {"pseudonym_added", "pseudonym_changed", "pseudonym_removed"} <= set(actions)


@pytest.mark.parametrize(
    ("real", "replacement", "kind", "message"),
    [
        ("", "Kim", "other", "must not be empty"),
        ("   ", "Kim", "other", "must not be empty"),
        ("Lara", "  ", "other", "replacement must not be empty"),
        ("L" * 301, "Kim", "other", "longer than 300"),
        ("Lara", "K" * 301, "other", "longer than 300"),
        ("lara", "Kim", "other", "already in the register"),
        ("  LARA ", "Kim", "other", "already in the register"),
        ("Ann", "ann", "other", "must be different"),
        ("...", "Kim", "other", "no letters"),
        ("Ann", "Kim", "planet", "kind"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_added(
    service: StoreService, real: str, replacement: str, kind: str, message: str
) -> None:
    service.pseudonyms.add("Lara", "Marianne", kind="first-name")
    before = service.pseudonyms.list()
    with pytest.raises(InvalidInput, match=message):
        service.pseudonyms.add(real, replacement, kind=kind)
    assert service.pseudonyms.list() == before


def test_bad_updates_are_refused_and_nothing_changes(service: StoreService) -> None:
    lara = service.pseudonyms.add("Lara", "Marianne")
    service.pseudonyms.add("Govan", "[district]", kind="place")
    before = service.pseudonyms.list()
    for fields, message in (
        ({"real": "GOVAN"}, "already in the register"),
        ({"real": ""}, "must not be empty"),
        ({"replacement": "lara"}, "must be different"),
        ({"kind": "planet"}, "kind"),
        ({"colour": "red"}, "no colour"),
    ):
        with pytest.raises(InvalidInput, match=message):
            service.pseudonyms.update(lara.id, **fields)
    with pytest.raises(NotFound):
        service.pseudonyms.update("no-such-entry", replacement="Kim")
    with pytest.raises(NotFound):
        service.pseudonyms.remove("no-such-entry")
    assert service.pseudonyms.list() == before


def test_a_duplicate_of_a_seeded_name_is_refused(service: StoreService) -> None:
    service.add_participant("Marianne", "Mother", real_name="Laura Quartermaine")
    with pytest.raises(InvalidInput, match="already in the register"):
        service.pseudonyms.add("laura", "Kim")


# ------------------------------------------------------------------ properties
NAMES = ("Ann", "Anne", "Annie", "Lara", "Lara Smith", "Smith", "Jo", "Joanne", "Mary-Ann",
         "St Bride's", "Kelvin Court", "Quartermaine", "Shug", "Big Tam", "Govan")  # fmt: skip
REPLACEMENTS = ("Kim", "Rhona", "Marianne", "Davie", "[surname]", "[school]", "[street]",
                "[district]", "[father]", "Ailsa")  # fmt: skip
WORDS = ("the", "bairns", "ken", "aye", "didnae", "wean", "annual", "nursery", "Mary",
         "methadone", "said", "Tam", "Court", "big", "wee", "Bride", "smithy", "joan",
         "o")  # fmt: skip
PUNCT = (" ", " ", " ", ", ", ". ", "\n", " '", "' ", " “", "” ", " (", ") ", "-", "’s ", "'s ",
         "! ", "? ", " — ", "  ")  # fmt: skip


def _cased(name: str, how: int) -> str:
    return (name, name.lower(), name.upper())[how]


texts = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.tuples(st.sampled_from(NAMES), st.integers(0, 2)).map(lambda t: _cased(*t)),
        st.sampled_from(REPLACEMENTS),
    ),
    max_size=25,
).flatmap(
    lambda parts: st.lists(st.sampled_from(PUNCT), min_size=len(parts) + 1,
                           max_size=len(parts) + 1).map(
        lambda seps: seps[0] + "".join(p + s for p, s in zip(parts, seps[1:], strict=True))
    )
)  # fmt: skip
registers = st.lists(
    st.tuples(st.sampled_from(NAMES), st.sampled_from(REPLACEMENTS)),
    min_size=1,
    max_size=len(NAMES),
    unique_by=lambda pair: real_key(pair[0]),
)


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """Words as a reader sees them: runs of letters, digits, hyphens and apostrophes,
    without the apostrophes and hyphens at their edges or a possessive ending."""
    found = []
    for match in re.finditer(r"[\w'’-]+", text):
        word = match.group(0).strip("'’-")
        word = re.sub(r"['’]s$", "", word).strip("'’-")
        if word:
            found.append((match.start(), match.end(), word.casefold()))
    return found


def _whole_word_occurrences(text: str, name: str) -> bool:
    """Whether ``name`` (one or more words) stands in ``text`` as whole words, by an
    independent reading (tokens), not the replacer's own pattern."""
    want = [w.casefold() for w in name.split()]
    tokens = _tokens(text)
    for i in range(len(tokens) - len(want) + 1):
        run = tokens[i : i + len(want)]
        if [t[2] for t in run] != want:
            continue
        gaps = [text[a[1] : b[0]] for a, b in itertools.pairwise(run)]
        if all(gap.strip() == "" for gap in gaps):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(pairs=registers, text=texts)
def test_no_registered_string_survives_as_a_whole_word(
    pairs: list[tuple[str, str]], text: str
) -> None:
    out = register(*pairs).apply(text)
    for real, _ in pairs:
        assert not _whole_word_occurrences(out, real), (real, text, out)


@settings(max_examples=300, deadline=None)
@given(pairs=registers, text=texts)
def test_apply_is_idempotent(pairs: list[tuple[str, str]], text: str) -> None:
    replacer = register(*pairs)  # replacements are never register entries here
    once = replacer.apply(text)
    assert replacer.apply(once) == once


@settings(max_examples=200, deadline=None)
@given(pairs=registers, text=texts)
def test_find_is_ordered_and_does_not_overlap(pairs: list[tuple[str, str]], text: str) -> None:
    found = register(*pairs).find(text)
    for r in found:
        assert text[r.start : r.end] == r.found
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from([n for n in NAMES if " " in n]),
    gap=st.text(alphabet=" \n\t\r", min_size=1, max_size=4),
    before=st.sampled_from(("", "and ", "“", "(", "aye, ")),
    after=st.sampled_from(("", " said", "’s", ".", ")", "\n")),
    how=st.integers(0, 2),
)
def test_a_multi_word_entry_matches_across_any_white_space(
    name: str, gap: str, before: str, after: str, how: int
) -> None:
    text = before + _cased(name, how).replace(" ", gap) + after
    out = register((name, "[x]")).apply(text)
    assert out == before + "[x]" + after
    assert not _whole_word_occurrences(out, name)
