"""Withdrawal benchmark (issue 5): what `consent withdraw --scope all` costs on a store
of realistic size, and proof that it leaves no trace.

    .venv/bin/python -m bench.bench_withdrawal [--notes N] [--minutes M] [--json out.json]
    .venv/bin/python -m bench.bench_withdrawal --quick

A store with N fieldnotes across many participants, plus the withdrawing participant's
own sessions (notes, an imported recording of M minutes, its transcript). Two copies of
that store are made; on one the participant withdraws everything, on the other a plain
VACUUM + WAL checkpoint runs (the floor: every withdrawal rewrites the file once). The
ratio of the two, measured in the same run, is the figure; then every page of the
database and WAL is decrypted and scanned for the participant's marker strings.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from bench.vocab import FIRST_NAMES
from relations_desktop.core import vault
from relations_desktop.core.consent import withdrawal
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import Transcript, TranscriptSegment
from tests.consent_data import give_adult_consent
from tests.sqlcipher_pages import plaintext_of_store

PASSPHRASE = "bench withdrawal passphrase kitchen table"
MARKERS = ("qzxwithdrawnmarker", "Marianne Quartermaine-Bench")
WORDS = (
    "methadone", "script", "nursery", "bairns", "health", "visitor", "kitchen", "contact",
    "visit", "social", "worker", "keyworker", "pharmacy", "school", "report", "review",
    "meeting", "worried", "tired", "chemist", "ken", "didnae",
)  # fmt: skip


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def build(folder: Path, notes: int, minutes: float, rng: random.Random) -> tuple[Path, str]:
    store_dir = folder / "store"
    service = StoreService.create(store_dir, PASSPHRASE, kdf_memory_kib=vault.MIN_MEMORY_KIB)
    try:
        others = [service.add_participant(name, "Mother").id for name in FIRST_NAMES[:50]]
        for pid in others:
            give_adult_consent(service, pid)
        sessions = [
            service.add_encounter("home-visit", f"Visit {i}", participant_ids=[rng.choice(others)])
            for i in range(max(1, notes // 10))
        ]
        for i in range(notes):
            service.add_note(sessions[i % len(sessions)].id, _text(rng, 120))
        leaving = service.add_participant("Lara", "Mother", real_name=MARKERS[1]).id
        give_adult_consent(service, leaving)
        own = [
            service.add_encounter("home-visit", f"Lara {i}", participant_ids=[leaving]).id
            for i in range(5)
        ]
        for i in range(50):
            service.add_note(own[i % 5], f"{MARKERS[0]} " + _text(rng, 120))
        rate = 16000
        seconds = int(minutes * 60)
        audio = (np.random.default_rng(1).standard_normal(seconds * rate) * 0.05).astype("float32")
        wav = folder / "interview.wav"
        soundfile.write(wav, audio, rate, subtype="PCM_16")
        recording = service.recordings.import_file(own[0], wav)
        wav.unlink()
        with service._session() as session:
            transcript = Transcript(recording_id=recording.id, duration_seconds=seconds)
            session.add(transcript)
            session.flush()
            for position in range(seconds // 4):
                session.add(
                    TranscriptSegment(
                        transcript_id=transcript.id,
                        position=position,
                        start=position * 4.0,
                        end=position * 4.0 + 4.0,
                        text=f"{MARKERS[0]} " + _text(rng, 12),
                        machine_text="",
                        words=[],
                    )
                )
    finally:
        service.close()
    return store_dir, leaving


def timed_withdrawal(store_dir: Path, participant_id: str) -> float:
    with StoreService.open(store_dir, PASSPHRASE) as service:
        started = time.perf_counter()
        service.consent.withdraw(participant_id, "all")
        return time.perf_counter() - started


def timed_vacuum(store_dir: Path) -> float:
    with StoreService.open(store_dir, PASSPHRASE) as service:
        started = time.perf_counter()
        withdrawal.compact(service)
        return time.perf_counter() - started


def traces(store_dir: Path) -> int:
    with StoreService.open(store_dir, PASSPHRASE) as service:
        assert service._key is not None
        plain = plaintext_of_store(store_dir, service._key.database_key()).lower()
    return sum(plain.count(m.lower().encode()) for m in MARKERS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.notes, args.minutes, args.rounds = 1000, 2.0, 1
    rng = random.Random(5)
    with tempfile.TemporaryDirectory(prefix="bench-withdrawal-") as tmp:
        folder = Path(tmp)
        print(f"building: {args.notes} notes, {args.minutes:g} min of audio …", file=sys.stderr)
        template, leaving = build(folder, args.notes, args.minutes, rng)
        size = sum(p.stat().st_size for p in template.iterdir() if p.is_file())
        before = traces(template)
        rounds: list[dict[str, float]] = []
        for n in range(args.rounds):
            a, b = folder / f"w{n}", folder / f"v{n}"
            shutil.copytree(template, a)
            shutil.copytree(template, b)
            # Alternate which runs first, so neither always meets a cold cache.
            if n % 2:
                vac = timed_vacuum(b)
                wd = timed_withdrawal(a, leaving)
            else:
                wd = timed_withdrawal(a, leaving)
                vac = timed_vacuum(b)
            after_size = (a / "store.db").stat().st_size
            rounds.append({"withdraw_s": wd, "vacuum_s": vac, "ratio": wd / vac})
            print(f"  round {n + 1}: withdraw {wd:.2f} s, vacuum {vac:.2f} s", file=sys.stderr)
        left = traces(a)
    result: dict[str, Any] = {
        "benchmark": "withdrawal",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "notes": args.notes,
        "audio_minutes": args.minutes,
        "store_bytes_before": size,
        "store_bytes_after": after_size,
        "marker_hits_before": before,
        "marker_hits_after": left,
        "rounds": rounds,
        "withdraw_s_median": sorted(r["withdraw_s"] for r in rounds)[len(rounds) // 2],
        "ratio_median": sorted(r["ratio"] for r in rounds)[len(rounds) // 2],
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if left == 0 and before > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
