"""Bundle benchmark (issue 7): sealing against the plain ``age`` tool, peak memory while
sealing and opening, and opening-and-merging many bundles.

    .venv/bin/python -m bench.bench_bundles [--minutes 60] [--transcripts 100]
        [--bundles 50] [--json out.json]
    .venv/bin/python -m bench.bench_bundles --quick

1. A researcher's store with one recording of ``--minutes`` of speech-like audio (kept
   as the store's FLAC chunks) and ``--transcripts`` transcripts of short recordings
   (150 segments each, with words). A team store whose member identity was made by
   ``age-keygen``.
2. Sealing with audio, in a fresh process (its wall time and peak RSS), against the
   plain ``age`` tool encrypting the same tar stream (taken out of that bundle) to the
   same recipients; runs alternate, medians, the ratio is the figure (goal ≤ 1.5).
   Also the container alone: the same entries, already in memory, streamed through our
   tar + pyrage writer, against ``age`` — what sealing costs beyond making the data.
3. How far the resident memory rises above where it stood when the operation began
   (Linux: the peak is reset through /proc/self/clear_refs), for sealing and opening a
   bundle of the long session alone and of everything: it must not grow with the
   bundle (goal ≤ 200 MB).
4. ``--bundles`` bundles sealed one after another with ``--since-last`` (a session, a
   note and a transcript each) are opened into an empty team store: total and per
   bundle, and opening them all again (duplicates, nothing changes).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from relations_desktop.core import vault
from relations_desktop.core.bundle_io import write_age
from relations_desktop.core.services import StoreService
from tests.consent_data import give_adult_consent
from tests.ui.transcript_data import Seg, make_transcript

PASSPHRASE = "bench bundles passphrase harbour wall"
RATE = 16_000
WORDS = "so we went down the clinic and the keyworker said the script".split()  # noqa: SIM905


# ------------------------------------------------------------------ building
def speech_like_wav(path: Path, seconds: float, seed: int = 7) -> None:
    """Noise shaped by a slow envelope: compresses with FLAC about as speech does."""
    rng = np.random.default_rng(seed)
    block = RATE * 10
    with soundfile.SoundFile(path, "w", RATE, 1, subtype="PCM_16") as out:
        left = int(seconds * RATE)
        while left > 0:
            n = min(block, left)
            t = np.arange(n) / RATE
            envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 6))
            noise = rng.normal(0, 900, n) * envelope
            out.write(np.clip(noise, -32000, 32000).astype(np.int16))
            left -= n


def new_store(path: Path, name: str) -> StoreService:
    return StoreService.create(
        path, PASSPHRASE, researcher_name=name, kdf_memory_kib=vault.MIN_MEMORY_KIB
    )


def age_member(folder: Path) -> tuple[Path, str]:
    identity = folder / "member.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return identity, recipient


def segments(count: int) -> list[Seg]:
    out = []
    for i in range(count):
        text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(12)).capitalize() + "."
        out.append(Seg(i * 4.0, i * 4.0 + 3.5, text, speaker=i % 2))
    return out


def visit(store: StoreService, folder: Path, title: str, wav: Path, segs: int) -> str:
    person = store.add_participant(f"P-{title}", "Mother").id
    give_adult_consent(store, person)
    encounter = store.add_encounter("home-visit", title, participant_ids=[person]).id
    recording = store.recordings.import_file(encounter, wav).id
    if segs:
        make_transcript(store, recording, segments(segs), speakers=["Interviewer", "S2"])
    store.add_note(encounter, " ".join(WORDS * 8))
    return encounter


def build_researcher(
    folder: Path, minutes: float, transcripts: int, recipient: str, team_keys: Any
) -> Path:
    store_dir = folder / "researcher"
    short = folder / "short.wav"
    speech_like_wav(short, 1.0)
    with new_store(store_dir, "Ann") as store:
        store.team.add_me()
        store.team.add_member("Mo", recipient)
        store.team.add_member(
            "Pat", team_keys.age_recipient, signing_key=team_keys.signing_public_key, role="pi"
        )
        for i in range(transcripts):
            visit(store, folder, f"Visit {i}", short, 150)
        long_wav = folder / "long.wav"
        speech_like_wav(long_wav, minutes * 60)
        visit(store, folder, "Long interview", long_wav, 0)
        long_wav.unlink()
    return store_dir


# ------------------------------------------------------------ child processes
def child(argv: list[str]) -> None:
    """Run one measured operation in this fresh process; print seconds and peak RSS."""
    action, store_dir = argv[0], Path(argv[1])
    with StoreService.open(store_dir, PASSPHRASE) as store:
        detail: dict[str, Any] = {}
        if action == "seal":
            # The review gate scans every text for identifiers (the spaCy model loads
            # once per process, findings are cached): timed apart, as the app has
            # usually done it already on the Review page.
            started = time.perf_counter()
            store.review.unresolved(None)
            detail["review_scan_seconds"] = time.perf_counter() - started
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS from here on
        rss_before = _status_kib("VmRSS")
        started = time.perf_counter()
        if action == "seal":
            sealed = store.bundles.seal(
                Path(argv[2]), [argv[3]] if len(argv) > 3 else None, with_audio=True
            )
            detail.update(size=sealed.size, files=sealed.files)
        elif action == "stream":
            # Our container alone: the same entries (read back from the tar) streamed
            # through tarfile + pyrage, as seal does once the data is made.
            with tarfile.open(argv[2], mode="r:") as tar:
                entries = [(m.name, tar.extractfile(m).read()) for m in tar if m.isfile()]  # type: ignore[union-attr]
            recipients = sorted({m.age_recipient for m in store.team.list_members()})
            started = time.perf_counter()
            write_age(Path(argv[3]), entries, recipients)
        elif action == "open":
            _result, summary = store.bundles.open(Path(argv[2]))
            detail.update(duplicate=summary.duplicate)
        seconds = time.perf_counter() - started
        growth_kib = _status_kib("VmHWM") - rss_before
    print(json.dumps({"seconds": seconds, "peak_growth_mb": growth_kib / 1024, **detail}))


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_bundles", "--child", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def age_encrypt_seconds(tar: Path, recipients: list[str], out: Path) -> float:
    args = ["age", *(x for r in recipients for x in ("-r", r)), "-o", str(out), str(tar)]
    started = time.perf_counter()
    subprocess.run(args, check=True)
    return time.perf_counter() - started


# -------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--transcripts", type=int, default=100)
    parser.add_argument("--bundles", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 minutes, 5 transcripts, 5 bundles")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes, args.transcripts, args.bundles, args.repeats = 2.0, 5, 5, 1
    folder = Path(tempfile.mkdtemp(prefix="bench-bundles-"))
    try:
        result = measure(folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def measure(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    identity, recipient = age_member(folder)
    team_dir = folder / "team"
    with new_store(team_dir, "Pat") as team:
        team.team.add_me(role="pi")
        team_keys = team.team.my_keys()
    built = time.perf_counter()
    researcher = build_researcher(folder, args.minutes, args.transcripts, recipient, team_keys)
    build_seconds = time.perf_counter() - built
    with StoreService.open(researcher, PASSPHRASE) as store:
        me = store.team.my_keys()
        recipients = sorted({m.age_recipient for m in store.team.list_members()})
        long_session = next(e.id for e in store.list_encounters() if e.title == "Long interview")
    with StoreService.open(team_dir, PASSPHRASE) as team:
        team.team.add_member("Ann", me.age_recipient, signing_key=me.signing_public_key)
    pristine = folder / "team-pristine"
    shutil.copytree(team_dir, pristine)

    seal_runs, age_runs, stream_runs = [], [], []
    bundle = folder / "full.bundle"
    tar = folder / "full.tar"
    for i in range(args.repeats):
        bundle.unlink(missing_ok=True)
        seal_runs.append(run_child("seal", str(researcher), str(bundle)))
        if i == 0:
            subprocess.run(
                ["age", "-d", "-i", str(identity), "-o", str(tar), str(bundle)], check=True
            )
        age_runs.append(age_encrypt_seconds(tar, recipients, folder / f"age-{i}.age"))
        (folder / f"age-{i}.age").unlink()
        stream_runs.append(run_child("stream", str(researcher), str(tar), str(folder / "s.age")))
        (folder / "s.age").unlink()
    seal_s = statistics.median(r["seconds"] for r in seal_runs)
    age_s = statistics.median(age_runs)
    stream_s = statistics.median(r["seconds"] for r in stream_runs)

    quarter = folder / "quarter.bundle"
    small_seal = run_child("seal", str(researcher), str(quarter), long_session)
    team_copy = folder / "team-copy"
    shutil.copytree(pristine, team_copy)
    open_full = run_child("open", str(team_dir), str(bundle))
    open_small = run_child("open", str(team_copy), str(quarter))

    many = bundles_many(folder, args.bundles, team_keys, pristine)
    return {
        "benchmark": "bundles",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "minutes_of_audio": args.minutes,
        "transcripts": args.transcripts,
        "build_seconds": round(build_seconds, 1),
        "bundle_bytes": bundle.stat().st_size,
        "tar_bytes": tar.stat().st_size,
        "seal_seconds_median": round(seal_s, 3),
        "age_tool_seconds_median": round(age_s, 3),
        "seal_to_age_ratio": round(seal_s / age_s, 2),
        "container_seconds_median": round(stream_s, 3),
        "container_to_age_ratio": round(stream_s / age_s, 2),
        "review_scan_seconds": round(seal_runs[0]["review_scan_seconds"], 2),
        "seal_runs": seal_runs,
        "age_runs": [round(s, 3) for s in age_runs],
        "peak_rss_growth_mb": {
            "seal_long_session_only": round(small_seal["peak_growth_mb"], 1),
            "seal_everything": round(seal_runs[0]["peak_growth_mb"], 1),
            "open_long_session_only": round(open_small["peak_growth_mb"], 1),
            "open_everything": round(open_full["peak_growth_mb"], 1),
        },
        "small_bundle_bytes": quarter.stat().st_size,
        "open_seconds": {"everything": round(open_full["seconds"], 2)},
        "many_bundles": many,
    }


def bundles_many(folder: Path, count: int, team_keys: Any, pristine: Path) -> dict[str, Any]:
    """``count`` since-last bundles from one researcher, opened into an empty team store."""
    wav = folder / "short.wav"
    speech_like_wav(wav, 1.0)
    out = folder / "many"
    out.mkdir()
    with new_store(folder / "many-researcher", "Bo") as store:
        store.team.add_me()
        store.team.add_member(
            "Pat", team_keys.age_recipient, signing_key=team_keys.signing_public_key, role="pi"
        )
        bo = store.team.my_keys()
        for i in range(count):
            visit(store, folder, f"Day {i}", wav, 40)
            store.bundles.seal(out / f"{i:03d}.bundle", since_last=True)
    team_dir = folder / "many-team"
    shutil.copytree(pristine, team_dir)
    with StoreService.open(team_dir, PASSPHRASE) as team:
        team.team.add_member("Bo", bo.age_recipient, signing_key=bo.signing_public_key)
        bundles = sorted(out.iterdir())
        started = time.perf_counter()
        for path in bundles:
            team.bundles.open(path)
        first = time.perf_counter() - started
        started = time.perf_counter()
        duplicates = sum(team.bundles.open(path)[1].duplicate for path in bundles)
        again = time.perf_counter() - started
    return {
        "bundles": count,
        "open_and_merge_seconds": round(first, 2),
        "per_bundle_ms": round(1000 * first / max(1, count), 1),
        "reopen_all_seconds": round(again, 2),
        "duplicates_recognised": duplicates,
    }


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    raise SystemExit(main())
