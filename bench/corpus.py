"""A deterministic synthetic corpus of ethnographic fieldnotes for the benchmarks.

``generate(10_000)`` gives about a million words in 10,000 notes (jottings, expanded
fieldnotes, memos, debriefs; about 100 words on average, a few long ones) spread over
about 500 encounters of all 13 types, dated over two years, with about 80 participants.
The same arguments always give the same corpus (a seeded :class:`random.Random`).

Run ``python -m bench.corpus`` to print its statistics and a few sample notes.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench import vocab

DEFAULT_SEED = 20_261_130
NOTES_PER_ENCOUNTER = 20
START = date(2024, 11, 4)
DAYS = 730

ENCOUNTER_TYPES: dict[str, int] = {  # type: relative frequency
    "home-visit": 18,
    "walk-and-talk": 9,
    "telephone-interview": 8,
    "video-interview": 6,
    "park-visit": 6,
    "staff-interview": 10,
    "focus-group": 4,
    "workday-debrief": 10,
    "team-meeting": 6,
    "clinic-visit": 8,
    "supervised-contact-visit": 6,
    "case-conference": 5,
    "other": 4,
}
NOTE_KINDS: dict[str, float] = {"jotting": 0.55, "expanded": 0.2, "memo": 0.15, "debrief": 0.1}
PARENT_FACING = {
    "home-visit",
    "walk-and-talk",
    "telephone-interview",
    "video-interview",
    "park-visit",
    "clinic-visit",
    "supervised-contact-visit",
}
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class CorpusParticipant:
    index: int
    pseudonym: str
    role_label: str
    region: str
    kind: str  # parent, professional, family-member


@dataclass(frozen=True)
class CorpusNote:
    kind: str
    title: str
    body: str
    offset_seconds: float | None

    @property
    def words(self) -> int:
        return len(self.body.split()) + len(self.title.split())


@dataclass(frozen=True)
class CorpusEncounter:
    index: int
    encounter_type: str
    title: str
    date: date
    participant_indexes: tuple[int, ...]
    notes: tuple[CorpusNote, ...]


@dataclass(frozen=True)
class Corpus:
    seed: int
    participants: tuple[CorpusParticipant, ...]
    encounters: tuple[CorpusEncounter, ...]
    stats: dict[str, object] = field(default_factory=dict)

    @property
    def note_count(self) -> int:
        return sum(len(e.notes) for e in self.encounters)

    @property
    def word_count(self) -> int:
        return sum(n.words for e in self.encounters for n in e.notes)

    @property
    def first_date(self) -> date:
        return min(e.date for e in self.encounters)

    @property
    def last_date(self) -> date:
        return max(e.date for e in self.encounters)


def generate(
    notes: int = 10_000,
    *,
    seed: int = DEFAULT_SEED,
    participants: int = 80,
    notes_per_encounter: int = NOTES_PER_ENCOUNTER,
) -> Corpus:
    """The corpus for ``notes`` notes (deterministic for given arguments)."""
    if notes < 1:
        raise ValueError("notes must be at least 1")
    rng = random.Random(seed)
    people = _participants(rng, participants)
    n_encounters = max(1, round(notes / notes_per_encounter))
    types = list(ENCOUNTER_TYPES)
    # Every type appears at least once (when there are enough encounters), the rest by weight.
    chosen = types[: min(len(types), n_encounters)]
    chosen += rng.choices(
        types, weights=list(ENCOUNTER_TYPES.values()), k=n_encounters - len(chosen)
    )
    rng.shuffle(chosen)
    dates = sorted(START + timedelta(days=rng.randrange(DAYS)) for _ in range(n_encounters))
    # Notes per encounter: one each, the rest spread with uneven weights.
    weights = [rng.lognormvariate(0.0, 0.6) for _ in range(n_encounters)]
    counts = Counter(rng.choices(range(n_encounters), weights=weights, k=notes - n_encounters))
    encounters = []
    for i, (etype, on) in enumerate(zip(chosen, dates, strict=True)):
        members = _members(rng, etype, people)
        writer = _Writer(rng, people, members)
        title = _encounter_title(rng, etype, people, members)
        note_list = tuple(writer.note(etype, title) for _ in range(1 + counts.get(i, 0)))
        encounters.append(CorpusEncounter(i, etype, title, on, members, note_list))
    return Corpus(seed, tuple(people), tuple(encounters))


def _participants(rng: random.Random, count: int) -> list[CorpusParticipant]:
    names = list(vocab.FIRST_NAMES)
    rng.shuffle(names)
    people = []
    for i in range(count):
        name = names[i % len(names)] + ("" if i < len(names) else f" {i // len(names) + 1}")
        roll = rng.random()
        if roll < 0.55:
            kind, role = "parent", rng.choice(vocab.PARENT_ROLES)
        elif roll < 0.68:
            kind, role = "family-member", rng.choice(vocab.FAMILY_ROLES)
        else:
            kind, role = "professional", rng.choice(vocab.PROFESSIONAL_ROLES)
        people.append(CorpusParticipant(i, name, role, rng.choice(vocab.REGIONS), kind))
    return people


def _members(rng: random.Random, etype: str, people: list[CorpusParticipant]) -> tuple[int, ...]:
    parents = [p.index for p in people if p.kind != "professional"] or [0]
    profs = [p.index for p in people if p.kind == "professional"] or [0]
    if etype in PARENT_FACING:
        picked = [rng.choice(parents)]
        if rng.random() < 0.4:
            picked.append(rng.choice(parents + profs))
    elif etype == "staff-interview":
        picked = [rng.choice(profs)]
    elif etype == "team-meeting":
        picked = rng.sample(profs, k=min(len(profs), rng.randint(2, 5)))
    elif etype == "focus-group":
        pool = parents if rng.random() < 0.5 else profs
        picked = rng.sample(pool, k=min(len(pool), rng.randint(3, 6)))
    elif etype == "case-conference":
        picked = [rng.choice(parents)]
        picked += rng.sample(profs, k=min(len(profs), rng.randint(2, 4)))
    elif etype == "workday-debrief":
        picked = []
    else:
        picked = [rng.choice(parents + profs)]
    return tuple(dict.fromkeys(picked))


def _encounter_title(
    rng: random.Random, etype: str, people: list[CorpusParticipant], members: tuple[int, ...]
) -> str:
    label = etype.replace("-", " ").capitalize()
    if not members:
        return f"{label}, {rng.choice(('long day', 'two visits', 'clinic and office', 'buses'))}"
    lead = people[members[0]]
    if etype == "case-conference":
        return f"Case conference: {lead.pseudonym}'s family"
    if etype in ("team-meeting", "focus-group"):
        return f"{label} ({len(members)} present)"
    return f"{label} with {lead.pseudonym} ({lead.role_label}, {lead.region})"


class _Writer:
    """Writes the notes of one encounter, filling template slots from its people."""

    def __init__(
        self, rng: random.Random, people: list[CorpusParticipant], members: tuple[int, ...]
    ) -> None:
        self.rng = rng
        self.people = people
        present = [people[i].pseudonym for i in members]
        self.lead = present[0] if present else rng.choice(people).pseudonym
        self.others = present[1:] or [rng.choice(people).pseudonym]
        self.child = rng.choice(vocab.CHILD_NAMES)

    def note(self, etype: str, encounter_title: str) -> CorpusNote:
        rng = self.rng
        weights = dict(NOTE_KINDS)
        if etype == "workday-debrief":
            weights["debrief"] = 0.5
        kind = rng.choices(list(weights), weights=list(weights.values()))[0]
        if kind == "jotting":
            length = rng.randint(12, 80)
            body = self._text(vocab.JOTTINGS, length, joiner="; ", per_paragraph=99)
            offset = round(rng.uniform(0, 5400), 1)
            return CorpusNote(kind, "", body, offset)
        if kind == "expanded":
            length = min(2500, int(rng.lognormvariate(math.log(190), 0.6)))
            title = f"Expanded fieldnote: {encounter_title}"
        elif kind == "memo":
            length = int(rng.lognormvariate(math.log(80), 0.4))
            title = f"Memo on {self._fill(rng.choice(('{topic}', '{service}', '{drug}')))}"
        else:
            length = int(rng.lognormvariate(math.log(110), 0.4))
            title = "Debrief"
        body = self._text(vocab.SENTENCES, length, joiner=" ", per_paragraph=rng.randint(3, 7))
        return CorpusNote(kind, title, body, None)

    def _text(
        self, templates: tuple[str, ...], length: int, *, joiner: str, per_paragraph: int
    ) -> str:
        paragraphs: list[list[str]] = [[]]
        words = 0
        while words < length:
            sentence = self._fill(self.rng.choice(templates))
            if len(paragraphs[-1]) >= per_paragraph:
                paragraphs.append([])
            paragraphs[-1].append(sentence)
            words += len(sentence.split())
        if length > 150 and self.rng.random() < 0.5:
            paragraphs[-1].append(self._fill(self.rng.choice(vocab.CLOSINGS)))
        text = "\n\n".join(joiner.join(p) for p in paragraphs)
        # Trim the overshoot so lengths follow the drawn distribution.
        tokens = text.split(" ")
        if len(text.split()) > length + 5:
            text = " ".join(tokens[: max(length, 1)]).rstrip(",;") + "…"
        return text

    def _fill(self, template: str) -> str:
        return _SLOT.sub(lambda m: self._slot(m.group(1)), template)

    def _slot(self, name: str) -> str:
        rng = self.rng
        if name == "P":
            return self.lead
        if name == "P2":
            return rng.choice(self.others)
        if name == "child":
            return self.child if rng.random() < 0.8 else rng.choice(vocab.CHILD_NAMES)
        if name == "prof":
            return rng.choice(vocab.PROF_MENTIONS)
        if name == "quote":
            return rng.choice(vocab.QUOTES)
        if name == "prof_quote":
            return rng.choice(vocab.PROF_QUOTES)
        if name == "time":
            return f"{rng.randint(8, 19)}:{rng.randrange(0, 60, 5):02d}"
        return rng.choice(vocab.SLOTS[name])


def describe(corpus: Corpus) -> dict[str, object]:
    """Headline statistics of a corpus (for the benchmark report)."""
    lengths = sorted(n.words for e in corpus.encounters for n in e.notes)
    kinds = Counter(n.kind for e in corpus.encounters for n in e.notes)
    types = Counter(e.encounter_type for e in corpus.encounters)
    return {
        "notes": corpus.note_count,
        "words": corpus.word_count,
        "mean_words": round(sum(lengths) / len(lengths), 1),
        "median_words": lengths[len(lengths) // 2],
        "max_words": lengths[-1],
        "notes_over_500_words": sum(1 for n in lengths if n > 500),
        "encounters": len(corpus.encounters),
        "encounter_types": len(types),
        "participants": len(corpus.participants),
        "first_date": corpus.first_date.isoformat(),
        "last_date": corpus.last_date.isoformat(),
        "note_kinds": dict(sorted(kinds.items())),
    }


def main() -> None:
    corpus = generate()
    for key, value in describe(corpus).items():
        print(f"{key:>22}: {value}")
    sample = corpus.encounters[3]
    print(f"\n--- {sample.title} ({sample.encounter_type}, {sample.date}) ---")
    for note in sample.notes[:4]:
        print(f"\n[{note.kind}] {note.title}\n{note.body}")


if __name__ == "__main__":
    main()
