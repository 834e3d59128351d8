"""Store benchmark (issue 2): insert, full-text search and unlock on the encrypted store.

    .venv/bin/python -m bench.bench_store [--notes N] [--queries Q] [--json out.json]
    .venv/bin/python -m bench.bench_store --quick        # 1,000 notes, a smoke run

Every figure that compares the encrypted store with plain SQLite is a ratio measured
in this one run, with the work on the databases interleaved (the order rotates per
step), because the machines are shared and noisy. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cryptography
import sqlalchemy
from sqlalchemy import select, text

from bench import corpus as corpus_mod
from bench.queries import STRESS, BenchQuery, make_queries, stress_queries
from bench.targets import (
    PASSPHRASE,
    Target,
    bundled_plain_target,
    encrypted_target,
    plain_target,
    versions,
)
from relations_desktop.core import vault
from relations_desktop.core.search import search
from relations_desktop.core.services import StoreService
from relations_desktop.core.store import migrate
from relations_desktop.core.store.engine import (
    INTEGRITY_CHECK_MAX_BYTES,
    make_engine,
    verify_readable,
)
from relations_desktop.core.store.models import (
    Encounter,
    EncounterType,
    Fieldnote,
    FieldnoteKind,
    Participant,
    ParticipantKind,
)

GOAL_QUERY_P95_MS = 50.0
GOAL_RATIO = 1.5
GOAL_UNLOCK_S = 1.0
MB = 1_000_000


# ------------------------------------------------------------------------- helpers
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "max_ms": round(max(ms), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "total_s": round(sum(seconds), 3),
    }


def rotated(targets: Sequence[Target], step: int) -> list[Target]:
    k = step % len(targets)
    return [*targets[k:], *targets[:k]]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "cryptography": cryptography.__version__,
    }


# -------------------------------------------------------------------------- insert
def add_participants(target: Target, corpus: corpus_mod.Corpus) -> None:
    service = target.service
    with target.sessions.begin() as session:
        rows = [
            Participant(
                project_id=service.project_id,
                pseudonym=p.pseudonym,
                role_label=p.role_label,
                region=p.region,
                kind=ParticipantKind(p.kind),
                created_by=service.researcher_id,
                updated_by=service.researcher_id,
            )
            for p in corpus.participants
        ]
        session.add_all(rows)
        session.flush()
        target.participant_ids = [row.id for row in rows]


def import_encounter(target: Target, encounter: corpus_mod.CorpusEncounter) -> None:
    """One encounter and its notes in one transaction, as an import would write them."""
    rid = target.service.researcher_id
    with target.sessions.begin() as session:
        row = Encounter(
            project_id=target.service.project_id,
            encounter_type=EncounterType(encounter.encounter_type),
            title=encounter.title,
            date=encounter.date,
            summary="",
            created_by=rid,
            updated_by=rid,
        )
        row.participants = [
            session.get_one(Participant, target.participant_ids[i])
            for i in encounter.participant_indexes
        ]
        row.fieldnotes = [
            Fieldnote(
                kind=FieldnoteKind(note.kind),
                title=note.title,
                body=note.body,
                offset_seconds=note.offset_seconds,
                created_by=rid,
                updated_by=rid,
            )
            for note in encounter.notes
        ]
        session.add(row)
    target.encounter_ids.append(row.id)


def bench_insert(targets: list[Target], corpus: corpus_mod.Corpus) -> dict[str, Any]:
    totals = dict.fromkeys((t.name for t in targets), 0.0)
    per_encounter: dict[str, list[float]] = {t.name: [] for t in targets}
    for t in targets:
        totals[t.name] += timed(lambda t=t: add_participants(t, corpus))[0]
    for step, encounter in enumerate(corpus.encounters):
        for t in rotated(targets, step):
            seconds = timed(lambda t=t, e=encounter: import_encounter(t, e))[0]
            totals[t.name] += seconds
            per_encounter[t.name].append(seconds)
    for t in targets:
        t.checkpoint()
    notes, words = corpus.note_count, corpus.word_count
    result: dict[str, Any] = {"transactions": len(corpus.encounters) + 1}
    for t in targets:
        result[t.name] = {
            "total_s": round(totals[t.name], 3),
            "notes_per_s": round(notes / totals[t.name], 1),
            "words_per_s": round(words / totals[t.name]),
            "per_encounter": summary_ms(per_encounter[t.name]),
            "db_bytes": t.size_bytes(),
        }
    for t in targets[1:]:
        result[f"ratio_vs_{t.name}"] = round(totals[targets[0].name] / totals[t.name], 3)
    return result


# --------------------------------------------------------------------------- query
def run_query(target: Target, query: BenchQuery) -> int:
    with target.sessions.begin() as session:
        hits = search(session, query.text, query.filters(target.participant_ids), limit=50)
    return len(hits)


def bench_queries(targets: list[Target], queries: list[BenchQuery], repeats: int) -> dict[str, Any]:
    """One pass right after the connections are reopened, then ``repeats`` warm passes."""
    for t in targets:
        t.reopen()
    first: dict[str, list[float]] = {t.name: [] for t in targets}
    warm: dict[str, list[float]] = {t.name: [] for t in targets}
    hit_counts: dict[str, list[int]] = {t.name: [] for t in targets}
    worst: dict[str, tuple[float, str]] = {t.name: (0.0, "") for t in targets}
    for rep in range(repeats + 1):
        for i, query in enumerate(queries):
            for t in rotated(targets, i + rep):
                seconds, hits = timed(lambda t=t, q=query: run_query(t, q))
                (first if rep == 0 else warm)[t.name].append(seconds)
                if rep == 0:
                    hit_counts[t.name].append(hits)
                elif seconds > worst[t.name][0]:
                    worst[t.name] = (seconds, query.label)
    reference = hit_counts[targets[0].name]
    mismatches = [
        queries[i].label
        for t in targets[1:]
        for i, (a, b) in enumerate(zip(reference, hit_counts[t.name], strict=True))
        if a != b
    ]
    result: dict[str, Any] = {
        "queries": len(queries),
        "repeats": repeats,
        "mean_hits": round(statistics.fmean(reference), 1),
        "queries_with_no_hit": sum(1 for h in reference if h == 0),
        "queries_at_limit_50": sum(1 for h in reference if h >= 50),
        "hit_count_mismatches": mismatches,
    }
    for t in targets:
        result[t.name] = {
            "warm": summary_ms(warm[t.name]),
            "first_pass": summary_ms(first[t.name]),
            "slowest_query": worst[t.name][1],
        }
    enc = targets[0].name
    for t in targets[1:]:
        result[f"ratio_vs_{t.name}"] = {
            "warm_median": round(statistics.median(warm[enc]) / statistics.median(warm[t.name]), 3),
            "warm_total": round(sum(warm[enc]) / sum(warm[t.name]), 3),
            "first_pass_total": round(sum(first[enc]) / sum(first[t.name]), 3),
        }
    return result


def bench_stress(targets: list[Target], repeats: int) -> dict[str, Any]:
    """The worst queries (see queries.STRESS): median of ``repeats`` runs of each."""
    samples: dict[str, dict[str, list[float]]] = {t.name: {} for t in targets}
    queries = stress_queries()
    for rep in range(repeats):
        for i, query in enumerate(queries):
            for t in rotated(targets, i + rep):
                seconds = timed(lambda t=t, q=query: run_query(t, q))[0]
                samples[t.name].setdefault(query.text, []).append(seconds)
    result: dict[str, Any] = {"repeats": repeats}
    for t in targets:
        result[t.name] = {
            q: round(statistics.median(xs) * 1000, 2) for q, xs in samples[t.name].items()
        }
    return result


def note_ids_to_edit(target: Target, count: int) -> list[str]:
    """The same notes in every database: ordered by their text, which all share."""
    with target.sessions() as session:
        rows = session.execute(
            select(Fieldnote.id).order_by(Fieldnote.body, Fieldnote.title).limit(count)
        )
        return list(rows.scalars())


def bench_saves(targets: list[Target], count: int) -> dict[str, Any]:
    """Saving a new note (add_note) and an edit (update_note), one transaction each."""
    added: dict[str, list[float]] = {t.name: [] for t in targets}
    edited: dict[str, list[float]] = {t.name: [] for t in targets}
    body = " ".join(["The bairns were at nursery and we talked about the script."] * 8)
    to_edit = {t.name: note_ids_to_edit(t, count) for t in targets}
    for i in range(count):
        for t in rotated(targets, i):
            encounter_id = t.encounter_ids[i % len(t.encounter_ids)]
            added[t.name].append(timed(lambda t=t, e=encounter_id: t.service.add_note(e, body))[0])
        for t in rotated(targets, i + 1):
            note = t.service.get_note(to_edit[t.name][i % len(to_edit[t.name])])
            new_body = note.body + " Added later: checked this with the keyworker."
            edited[t.name].append(
                timed(lambda t=t, n=note.id, b=new_body: t.service.update_note(n, body=b))[0]
            )
    result: dict[str, Any] = {"saves": count, "words_each": len(body.split())}
    for key, samples in (("add_note", added), ("update_note", edited)):
        result[key] = {t.name: summary_ms(samples[t.name]) for t in targets}
        for t in targets[1:]:
            result[key][f"ratio_vs_{t.name}"] = round(
                statistics.median(samples[targets[0].name]) / statistics.median(samples[t.name]),
                3,
            )
    return result


# -------------------------------------------------------------------------- unlock
def bench_unlock(store_dir: Path, repeats: int) -> dict[str, Any]:
    """StoreService.open end to end, then its parts one by one, in turn (store closed)."""
    kdf = vault.read_vault(store_dir).kdf
    db_path = store_dir / "store.db"
    opens: list[float] = []
    parts: dict[str, list[float]] = {
        "argon2id": [],
        "unwrap_total": [],
        "hkdf": [],
        "engine_and_integrity_check": [],
        "migration_check": [],
    }
    for _ in range(repeats):
        gc.collect()
        seconds, service = timed(lambda: StoreService.open(store_dir, PASSPHRASE))
        service.close()
        opens.append(seconds)
        gc.collect()
        parts["argon2id"].append(timed(lambda: kdf.derive(PASSPHRASE))[0])
        seconds, key = timed(lambda: vault.unlock_with_passphrase(store_dir, PASSPHRASE))
        parts["unwrap_total"].append(seconds)
        seconds, raw = timed(key.database_key)
        parts["hkdf"].append(seconds)
        engine = make_engine(db_path, raw)
        parts["engine_and_integrity_check"].append(
            timed(lambda e=engine: verify_readable(e, db_path))[0]
        )
        parts["migration_check"].append(timed(lambda e=engine: migrate.migrate(e, db_path))[0])
        engine.dispose()
    db_bytes = db_path.stat().st_size
    check_s = statistics.median(parts["engine_and_integrity_check"])
    return {
        "repeats": repeats,
        "open_median_s": round(statistics.median(opens), 3),
        "open_max_s": round(max(opens), 3),
        "open_all_s": [round(s, 3) for s in opens],
        "parts_median_s": {k: round(statistics.median(v), 4) for k, v in parts.items()},
        "kdf": {"memory_kib": kdf.memory_kib, "iterations": kdf.iterations, "lanes": kdf.lanes},
        "db_bytes": db_bytes,
        "integrity_check_mb_per_s": round(db_bytes / 1e6 / check_s, 1) if check_s else None,
    }


def bench_big_unlock(folder: Path, megabytes: int, repeats: int) -> dict[str, Any]:
    """Unlock a store padded with ``megabytes`` of random blobs (a stand-in for audio).

    The integrity check at open reads every page, so unlock time grows with the store
    up to engine.INTEGRITY_CHECK_MAX_BYTES, above which the check is skipped.
    """
    service = encrypted_target(folder).service
    engine = service._engine
    assert engine is not None
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_blob (id INTEGER PRIMARY KEY, data BLOB)"))
        for _ in range(megabytes):
            conn.execute(text("INSERT INTO bench_blob (data) VALUES (:d)"), {"d": os.urandom(MB)})
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    service.close()
    db_bytes = (folder / "store.db").stat().st_size
    opens, checks = [], []
    for _ in range(repeats):
        gc.collect()
        seconds, service = timed(lambda: StoreService.open(folder, PASSPHRASE))
        opens.append(seconds)
        service.close()
        key = vault.unlock_with_passphrase(folder, PASSPHRASE)
        engine = make_engine(folder / "store.db", key.database_key())
        checks.append(timed(lambda e=engine: verify_readable(e, folder / "store.db"))[0])
        engine.dispose()
    return {
        "db_bytes": db_bytes,
        "checked_at_open": db_bytes <= INTEGRITY_CHECK_MAX_BYTES,
        "open_median_s": round(statistics.median(opens), 3),
        "integrity_check_median_s": round(statistics.median(checks), 3),
    }


# -------------------------------------------------------------------------- report
def print_report(results: dict[str, Any]) -> None:
    m, c, v = results["machine"], results["corpus"], results["versions"]
    print(f"\nStore benchmark  {m['date']}  ({m['cores']} cores, {m['cpu']}, {m['memory']})")
    print(
        f"Python {m['python']}, SQLAlchemy {m['sqlalchemy']}, SQLCipher {v['sqlcipher']} "
        f"(SQLite {v['sqlcipher_sqlite']}, {v['cipher_provider'] or 'provider ?'}), "
        f"stdlib sqlite3 {v['stdlib_sqlite']}"
    )
    print(
        f"Corpus: {c['notes']:,} notes, {c['words']:,} words (mean {c['mean_words']}, max "
        f"{c['max_words']}), {c['encounters']} encounters of {c['encounter_types']} types, "
        f"{c['participants']} participants, {c['first_date']}..{c['last_date']}"
    )
    names = results["targets"]
    ins = results["insert"]
    print(f"\n(a) Insert: ORM, one transaction per encounter ({ins['transactions']} commits)")
    print(
        f"  {'database':<15}{'total s':>9}{'notes/s':>10}"
        f"{'p50 ms/tx':>11}{'p95 ms/tx':>11}{'MB':>8}"
    )
    for n in names:
        r = ins[n]
        print(
            f"  {n:<15}{r['total_s']:>9.2f}{r['notes_per_s']:>10.0f}"
            f"{r['per_encounter']['p50_ms']:>11.1f}{r['per_encounter']['p95_ms']:>11.1f}"
            f"{r['db_bytes'] / 1e6:>8.1f}"
        )
    for n in names[1:]:
        print(f"  ratio encrypted/{n} (total time): {ins[f'ratio_vs_{n}']:.2f}")
    q = results["query"]
    print(
        f"\n(b) Search: {q['queries']} queries via core.search.search, limit 50; "
        f"1 pass after reopen + {q['repeats']} warm passes"
    )
    print(
        f"  mean hits {q['mean_hits']}, {q['queries_with_no_hit']} with none, "
        f"{q['queries_at_limit_50']} at the limit; hit-count mismatches: "
        f"{len(q['hit_count_mismatches'])}"
    )
    print(f"  {'database':<15}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'1st p50':>9}{'1st p95':>9}")
    for n in names:
        w, f = q[n]["warm"], q[n]["first_pass"]
        print(
            f"  {n:<15}{w['p50_ms']:>9.2f}{w['p95_ms']:>9.2f}{w['max_ms']:>9.2f}"
            f"{f['p50_ms']:>9.2f}{f['p95_ms']:>9.2f}"
        )
    print(f"  slowest (encrypted): {q[names[0]]['slowest_query']}")
    for n in names[1:]:
        r = q[f"ratio_vs_{n}"]
        print(
            f"  ratio encrypted/{n}: median {r['warm_median']:.2f}, total {r['warm_total']:.2f}, "
            f"first pass total {r['first_pass_total']:.2f}"
        )
    st = results["stress"]
    print(f"  worst-case queries (median of {st['repeats']}, ms, not in the goal):")
    print("  " + " " * 15 + "".join(f"{q:>11}" for q in STRESS))
    for n in names:
        print(f"  {n:<15}" + "".join(f"{st[n][q]:>11.1f}" for q in STRESS))
    sv = results["saves"]
    print(f"\n    Interactive saves, one transaction each ({sv['saves']} of each per database)")
    print(f"  {'database':<15}{'add p50':>9}{'add p95':>9}{'edit p50':>10}{'edit p95':>10}  (ms)")
    for n in names:
        a, e = sv["add_note"][n], sv["update_note"][n]
        print(
            f"  {n:<15}{a['p50_ms']:>9.2f}{a['p95_ms']:>9.2f}"
            f"{e['p50_ms']:>10.2f}{e['p95_ms']:>10.2f}"
        )
    for n in names[1:]:
        print(
            f"  ratio encrypted/{n} (medians): add {sv['add_note'][f'ratio_vs_{n}']:.2f}, "
            f"edit {sv['update_note'][f'ratio_vs_{n}']:.2f}"
        )
    u = results["unlock"]
    p = u["parts_median_s"]
    print(f"\n(c) Unlock: StoreService.open, median of {u['repeats']}: {u['open_median_s']:.3f} s")
    print(
        f"  Argon2id {p['argon2id']:.3f} s ({u['kdf']['memory_kib'] // 1024} MiB, "
        f"t={u['kdf']['iterations']}, p={u['kdf']['lanes']}); unwrap incl. Argon2id "
        f"{p['unwrap_total']:.3f} s; keyed open + cipher_integrity_check "
        f"{p['engine_and_integrity_check']:.3f} s on {u['db_bytes'] / 1e6:.1f} MB "
        f"({u['integrity_check_mb_per_s']} MB/s); migration check {p['migration_check']:.3f} s"
    )
    big = results.get("big_unlock")
    if big:
        print(
            f"  store padded to {big['db_bytes'] / 1e6:.0f} MB: open {big['open_median_s']:.3f} s, "
            f"of which integrity check {big['integrity_check_median_s']:.3f} s"
            + ("" if big["checked_at_open"] else " (not run at open: over the limit)")
        )
    print("\nGoals")
    for goal in results["goals"]:
        print(f"  {'met    ' if goal['met'] else 'NOT MET'}  {goal['goal']}: {goal['measured']}")


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    q, ins, u = results["query"], results["insert"], results["unlock"]
    p95 = q["encrypted"]["warm"]["p95_ms"]
    ins_ratio = ins["ratio_vs_plain"]
    q_ratio = q["ratio_vs_plain"]["warm_total"]
    return [
        {"goal": f"FTS p95 <= {GOAL_QUERY_P95_MS:.0f} ms", "measured": f"{p95:.1f} ms",
         "met": p95 <= GOAL_QUERY_P95_MS},
        {"goal": f"insert encrypted/plain <= {GOAL_RATIO}", "measured": f"{ins_ratio:.2f}",
         "met": ins_ratio <= GOAL_RATIO},
        {"goal": f"query encrypted/plain <= {GOAL_RATIO} (warm totals)",
         "measured": f"{q_ratio:.2f}", "met": q_ratio <= GOAL_RATIO},
        {"goal": f"unlock <= {GOAL_UNLOCK_S:.0f} s", "measured": f"{u['open_median_s']:.3f} s",
         "met": u["open_median_s"] <= GOAL_UNLOCK_S},
    ]  # fmt: skip


# ---------------------------------------------------------------------------- main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_store",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 notes")
    parser.add_argument("--notes", type=int, help="notes in the corpus (default 10,000)")
    parser.add_argument("--queries", type=int, help="distinct queries (default 200)")
    parser.add_argument("--repeats", type=int, help="warm query passes (default 3)")
    parser.add_argument("--unlocks", type=int, help="unlock repetitions (default 5)")
    parser.add_argument("--saves", type=int, help="single-note saves per database (default 100)")
    parser.add_argument(
        "--big-mb", type=int, help="also unlock a store padded to this many MB (default 250)"
    )
    parser.add_argument("--seed", type=int, default=corpus_mod.DEFAULT_SEED)
    parser.add_argument("--json", type=Path, help="write machine-readable results here")
    parser.add_argument("--workdir", type=Path, help="where the databases go (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args(argv)
    quick = {"notes": 1_000, "queries": 100, "repeats": 2, "unlocks": 3, "saves": 30, "big_mb": 0}
    full = {
        "notes": 10_000,
        "queries": 200,
        "repeats": 3,
        "unlocks": 5,
        "saves": 100,
        "big_mb": 250,
    }
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    say(f"Generating {args.notes:,} notes (seed {args.seed}) ...")
    corpus = corpus_mod.generate(args.notes, seed=args.seed)
    queries = make_queries(corpus, args.queries)
    targets = [
        encrypted_target(workdir / "encrypted"),
        plain_target(workdir / "plain"),
        bundled_plain_target(workdir / "plain-bundled"),
    ]
    results: dict[str, Any] = {
        "machine": machine(),
        "versions": versions(targets[0]),
        "corpus": corpus_mod.describe(corpus),
        "targets": [t.name for t in targets],
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    try:
        say(f"(a) Inserting into {len(targets)} databases, interleaved ...")
        gc.collect()
        results["insert"] = bench_insert(targets, corpus)
        say(f"(b) {len(queries)} queries x {args.repeats + 1} passes x {len(targets)} ...")
        gc.collect()
        results["query"] = bench_queries(targets, queries, args.repeats)
        say("    stress queries ...")
        results["stress"] = bench_stress(targets, args.repeats)
        say(f"    {args.saves} note saves and edits x {len(targets)} ...")
        results["saves"] = bench_saves(targets, args.saves)
    finally:
        for t in targets:
            if t.name == "encrypted":
                t.service.close()
            else:
                t.service.lock()
    say(f"(c) Unlocking {args.unlocks} times ...")
    results["unlock"] = bench_unlock(targets[0].db_path.parent, args.unlocks)
    if args.big_mb:
        say(f"    unlocking a store padded to {args.big_mb} MB ...")
        results["big_unlock"] = bench_big_unlock(workdir / "big", args.big_mb, 3)
    results["goals"] = goals(results)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rd-bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        results = run(args, workdir)
        if args.keep:
            kept = Path(tempfile.mkdtemp(prefix="rd-bench-kept-", dir=args.workdir))
            workdir.rename(kept / "stores")
            print(f"Databases kept in {kept / 'stores'}", file=sys.stderr)
            workdir.mkdir()
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"\nResults written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
