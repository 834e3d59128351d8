"""Transcription benchmark (issue 4): the app's transcribe against bare faster-whisper.

    .venv/bin/python -m bench.bench_transcription [--json out.json]   # full run, ~9 min
    .venv/bin/python -m bench.bench_transcription --quick              # smoke run, ~2 min

Audio is the synthetic interview of ``bench/speech_corpus.py`` (two espeak-ng voices,
pauses, 48 kHz, −60 dBFS noise), imported into a temporary encrypted store as a
researcher would import a dictaphone file. Four ways of transcribing it are compared,
interleaved in one run (the order rotates at every repetition):

* ``app-fast`` / ``app-accurate`` — the app end to end: ``service.transcription.enqueue``
  + ``run_job`` (wall time), i.e. job rows, decrypting and resampling the recording to
  16 kHz, spawning the worker, sending the audio through the pipe, the model's SHA-256
  check and load in the worker, decoding (batched in fast mode, sequential in accurate
  mode), committing every segment, finishing the job.
* ``bare-seq`` — what Buzz and noScribe run: ``WhisperModel.transcribe(audio,
  vad_filter=True, word_timestamps=True)`` in this process, the model loaded once outside
  the timing (its load time is reported apart).
* ``bare-batched`` — ``BatchedInferencePipeline(model).transcribe(audio, batch_size=8,
  word_timestamps=True)`` (VAD on, as in the app).

Both bare calls get the very samples the app's worker gets (the recording decrypted and
resampled by the app's own ``_audio_16k``), the same model, ``int8``, 2 threads,
``language="en"``. The app's worker lowers its priority (``os.nice(10)``); on a shared
machine that alone changes its speed, so the bare calls run at the same niceness
(every thread of this process is reniced for the call and back; root only).
``--bare-nice 0`` runs them at normal priority instead.

The app's parts are timed by a thin instrumentation of its ``WorkerProcess`` (a subclass
that only wraps the pipe, the audio iterator and the message callback with clocks; the
app's code runs unchanged): job set-up, spawn, resampling, pipe transfer, worker
start-up and imports, SHA-256 check + model load (the worker's ``load_seconds``),
decoding (``decode_seconds``), database writes of segments, waiting for the worker to
exit, and finishing the job.

Then the real-time factor on the 10-minute clip, the glossary word error rate (the
glossary-heavy sentences transcribed by the app without and with the glossary, both
modes), and the GUI stall (``bench/bench_gui_stall.py``, run as a subprocess). Word
error rates use jiwer on :func:`bench.speech_corpus.normalise`-d text. See
docs/benchmarks.md.

Heavy modules (faster-whisper, the store, jiwer) are imported inside functions: the
app's worker is started with ``spawn``, which re-imports this module in the child, and
the child should carry no more than the app's own entry point would.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench kitchen table methadone bairns"
THREADS = 2
GOAL_FAST_RATIO = 0.6
GOAL_WER_DELTA = 0.01
GOAL_OVERHEAD = 1.05
GOAL_RTF = 0.10
GOAL_STALL_P99_MS = 50.0
WORKER_NICE_INCREMENT = 10  # what core/transcription/worker.py does

perf = time.perf_counter


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------ helpers
def median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def spread(xs: list[float]) -> list[float]:
    return [round(min(xs), 4), round(max(xs), 4)] if xs else []


def summary(xs: list[float], digits: int = 3) -> dict[str, Any]:
    return {
        "median": round(median(xs), digits),
        "min": round(min(xs), digits) if xs else None,
        "max": round(max(xs), digits) if xs else None,
        "n": len(xs),
        "values": [round(x, digits) for x in xs],
    }


def _renice_all(value: int) -> None:
    """Set the niceness of every thread of this process (Linux nice is per thread)."""
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, int(tid), value)


@contextlib.contextmanager
def niceness(value: int | None) -> Iterator[None]:
    if value is None:
        yield
        return
    before = os.getpriority(os.PRIO_PROCESS, 0)
    _renice_all(value)
    try:
        yield
    finally:
        _renice_all(before)


def can_renice() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and Path("/proc/self/task").is_dir()


def machine() -> dict[str, Any]:
    import av
    import ctranslate2
    import faster_whisper
    import onnxruntime

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "faster_whisper": faster_whisper.__version__,
        "ctranslate2": ctranslate2.__version__,
        "onnxruntime": onnxruntime.__version__,
        "av": av.__version__,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


# ------------------------------------------------------------- instrumented worker
class Timeline:
    """What one app job's parts took (seconds), filled by the instrumentation."""

    def __init__(self) -> None:
        self.t: dict[str, float] = {}
        self.produce = 0.0  # producing audio blocks: decrypt + FLAC decode + resample
        self.pipe = 0.0  # parent.send_bytes (waits while the child starts up)
        self.bytes = 0
        self.db = 0.0  # on_message: segment and progress commits + listeners
        self.segments = 0
        self.outcome: Any = None

    def mark(self, name: str) -> None:
        self.t.setdefault(name, perf())

    def parts(self) -> dict[str, float]:
        t = self.t
        outcome = self.outcome
        load = getattr(outcome, "load_seconds", float("nan"))
        decode = getattr(outcome, "decode_seconds", float("nan"))
        worker_busy = t["done"] - t["audio_sent"]
        return {
            "enqueue": t["enqueued"] - t["begin"],
            "job_setup": t["run_start"] - t["enqueued"],
            "spawn": t["spawned"] - t["run_start"],
            "resample": self.produce,
            "pipe": self.pipe,
            "send_total": t["audio_sent"] - t["spawned"],
            "worker_startup_import": worker_busy - load - decode,
            "sha_and_load": load,
            "decode": decode,
            "exit_wait": t["run_end"] - t["done"],
            "finish": t["end"] - t["run_end"],
            "db_writes": self.db,
            "segments": self.segments,
            "first_segment_after": t.get("first_segment", t["end"]) - t["begin"],
            "wall": t["end"] - t["begin"],
        }


class _TimedConn:
    def __init__(self, conn: Any, line: Timeline) -> None:
        self._conn, self._line = conn, line

    def send(self, obj: Any) -> None:
        self._line.mark("spawned")  # the request goes right after process.start()
        self._conn.send(obj)

    def send_bytes(self, data: bytes) -> None:
        start = perf()
        self._conn.send_bytes(data)
        self._line.pipe += perf() - start
        self._line.bytes += len(data)
        if not data:
            self._line.mark("audio_sent")

    def recv(self) -> Any:
        from relations_desktop.core.transcription.worker import Cancelled, Done, Failed

        message = self._conn.recv()
        if isinstance(message, Done | Failed | Cancelled):
            self._line.mark("done")
            self._line.outcome = message
        return message

    def poll(self, timeout: float = 0.0) -> bool:
        return self._conn.poll(timeout)

    def close(self) -> None:
        self._conn.close()


class _TimedContext:
    def __init__(self, context: Any, line: Timeline) -> None:
        self._context, self._line = context, line

    def Pipe(self, duplex: bool = True) -> tuple[Any, Any]:  # noqa: N802 (mirrors the API)
        parent, child = self._context.Pipe(duplex=duplex)
        return _TimedConn(parent, self._line), child

    def Process(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        return self._context.Process(*args, **kwargs)


def install_instrumentation() -> list[Timeline]:
    """Replace the queue's WorkerProcess by a subclass that only adds clocks."""
    from relations_desktop.core.transcription import jobs, worker

    timelines: list[Timeline] = []

    class InstrumentedWorker(worker.WorkerProcess):
        def __init__(self) -> None:
            super().__init__()
            self.line = timelines[-1] if timelines else Timeline()
            self._context = _TimedContext(self._context, self.line)

        def run(
            self,
            request: Any,
            audio_blocks: Any,
            on_message: Callable[[Any], None],
            cancelled: Callable[[], bool],
        ) -> Any:
            line = self.line
            line.mark("run_start")

            def blocks() -> Iterator[bytes]:
                iterator = iter(audio_blocks)
                while True:
                    start = perf()
                    try:
                        block = next(iterator)
                    except StopIteration:
                        line.produce += perf() - start
                        return
                    line.produce += perf() - start
                    yield block

            def messages(message: Any) -> None:
                from relations_desktop.core.transcription.worker import SegmentMessage

                start = perf()
                if isinstance(message, SegmentMessage):
                    line.mark("first_segment")
                    line.segments += 1
                on_message(message)
                line.db += perf() - start

            try:
                return super().run(request, blocks(), messages, cancelled)
            finally:
                line.mark("run_end")

    jobs.WorkerProcess = InstrumentedWorker  # type: ignore[misc]
    return timelines


# ---------------------------------------------------------------------- the runs
def app_audio_16k(service: Any, recording_id: str, sample_rate: int) -> bytes:
    """The 16 kHz PCM the app sends its worker, made by the app's own ``_audio_16k``."""
    import inspect

    from sqlalchemy.orm import sessionmaker

    from relations_desktop.core.transcription import jobs

    never = lambda: False  # noqa: E731
    if next(iter(inspect.signature(jobs._audio_16k).parameters)) == "store":
        return b"".join(jobs._audio_16k(service, recording_id, never))  # type: ignore[call-arg]
    engine = service._dedicated_engine()  # as the queue reads it
    try:
        blocks = jobs._audio_16k(sessionmaker(engine), recording_id, sample_rate, never)
        return b"".join(blocks)
    finally:
        engine.dispose()


class Bench:
    def __init__(self, workdir: Path, threads: int, bare_nice: int | None) -> None:
        from relations_desktop.core.services import StoreService

        self.workdir = workdir
        self.threads = threads
        self.bare_nice = bare_nice
        self.service = StoreService.create(workdir / "store", PASSPHRASE, researcher_name="Bench")
        self.service.transcription.threads = threads
        self.encounter = self.service.add_encounter("home-visit", "Bench interview")
        self.timelines = install_instrumentation()
        self.model: Any = None
        self.audio: dict[str, Any] = {}
        self.references: dict[str, str] = {}
        self.recordings: dict[str, str] = {}

    # -- material
    def add_clip(self, clip: Any) -> dict[str, Any]:
        path = clip.write(self.workdir / f"{clip.name}.wav")
        start = perf()
        record = self.service.recordings.import_file(self.encounter.id, path)
        imported = perf() - start
        path.unlink()
        self.recordings[clip.name] = record.id
        self.references[clip.name] = clip.reference
        times = []
        for _ in range(2):
            start = perf()
            pcm = app_audio_16k(self.service, record.id, record.sample_rate)
            times.append(perf() - start)
        import numpy as np

        # Exactly what the worker builds from the bytes it receives.
        self.audio[clip.name] = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        return {
            **clip.stats(),
            "import_seconds": round(imported, 2),
            "decrypt_resample_seconds": summary(times),
            "samples_16k": len(pcm) // 2,
        }

    # -- bare faster-whisper
    def load_model(self) -> dict[str, Any]:
        from faster_whisper import WhisperModel

        from relations_desktop.core.transcription import model_files

        path = model_files.default_model_dir()
        loads, shas = [], []
        for _ in range(3):
            start = perf()
            model_files.verify_default(path)
            shas.append(perf() - start)
            start = perf()
            model = WhisperModel(
                str(path),
                device="cpu",
                compute_type="int8",
                cpu_threads=self.threads,
                local_files_only=True,
            )
            loads.append(perf() - start)
        self.model = model
        return {"sha256_check": summary(shas), "model_load": summary(loads)}

    def bare(self, clip: str, mode: str, **extra: Any) -> dict[str, Any]:
        from faster_whisper import BatchedInferencePipeline

        audio = self.audio[clip]
        options = {"language": "en", "word_timestamps": True, "vad_filter": True, **extra}
        with niceness(self.bare_nice):
            start = perf()
            if mode == "fast":
                pipeline = BatchedInferencePipeline(model=self.model)
                segments, _ = pipeline.transcribe(audio, batch_size=8, **options)
            else:
                segments, _ = self.model.transcribe(audio, **options)
            texts = []
            for segment in segments:
                _words = [(w.word, w.start, w.end, w.probability) for w in segment.words or []]
                texts.append(segment.text.strip())
            wall = perf() - start
        return {"wall": wall, "text": " ".join(texts), "segments": len(texts)}

    # -- the app
    def app(self, clip: str, mode: str) -> dict[str, Any]:
        line = Timeline()
        self.timelines.append(line)
        line.mark("begin")
        job = self.service.transcription.enqueue(self.recordings[clip], mode=mode)
        line.mark("enqueued")
        finished = self.service.transcription.run_job(job.id)
        line.mark("end")
        if finished.status != "done" or finished.transcript_id is None:
            raise RuntimeError(f"app {mode} on {clip}: {finished.status} {finished.error}")
        transcript = self.service.transcripts.get(finished.transcript_id)
        text = " ".join(s.text for s in transcript.segments)
        parts = line.parts()
        return {"wall": parts["wall"], "text": text, "parts": parts}


VARIANTS = ("app-fast", "bare-seq", "app-accurate", "bare-batched")


def run_variant(bench: Bench, clip: str, variant: str) -> dict[str, Any]:
    if variant == "app-fast":
        return bench.app(clip, "fast")
    if variant == "app-accurate":
        return bench.app(clip, "accurate")
    if variant == "bare-seq":
        return bench.bare(clip, "accurate")
    return bench.bare(clip, "fast")


def compare(bench: Bench, clip: str, repeats: int) -> dict[str, Any]:
    """Interleaved repetitions of the four variants; ratios within each repetition."""
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
    for rep in range(repeats):
        order = VARIANTS[rep % 4 :] + VARIANTS[: rep % 4]
        for variant in order:
            result = run_variant(bench, clip, variant)
            runs[variant].append(result)
            log(f"{clip} rep {rep + 1}/{repeats} {variant}: {result['wall']:.2f} s")
    walls = {v: [r["wall"] for r in runs[v]] for v in VARIANTS}
    seconds = len(bench.audio[clip]) / 16000
    ratio = {
        "fast_over_seq": [f / s for f, s in zip(walls["app-fast"], walls["bare-seq"], strict=True)],
        "bare_batched_over_seq": [
            b / s for b, s in zip(walls["bare-batched"], walls["bare-seq"], strict=True)
        ],
        "app_accurate_over_seq": [
            a / s for a, s in zip(walls["app-accurate"], walls["bare-seq"], strict=True)
        ],
        "overhead_fast": [
            a / b for a, b in zip(walls["app-fast"], walls["bare-batched"], strict=True)
        ],
        "overhead_accurate": [
            a / b for a, b in zip(walls["app-accurate"], walls["bare-seq"], strict=True)
        ],
        # The app's decoding alone (decode_seconds in Done) against the same bare call.
        "decode_only_fast": [
            r["parts"]["decode"] / b
            for r, b in zip(runs["app-fast"], walls["bare-batched"], strict=True)
        ],
        "decode_only_accurate": [
            r["parts"]["decode"] / b
            for r, b in zip(runs["app-accurate"], walls["bare-seq"], strict=True)
        ],
        # What the app adds around decoding, timed inside the same job (less noisy).
        "outside_decode_fast": [
            1 + (r["wall"] - r["parts"]["decode"]) / b
            for r, b in zip(runs["app-fast"], walls["bare-batched"], strict=True)
        ],
        "outside_decode_accurate": [
            1 + (r["wall"] - r["parts"]["decode"]) / b
            for r, b in zip(runs["app-accurate"], walls["bare-seq"], strict=True)
        ],
    }
    texts = {v: runs[v][0]["text"] for v in VARIANTS}
    counts = {v: wer_counts(bench.references[clip], texts[v]) for v in VARIANTS}
    wer = {v: round(e / n, 4) for v, (e, n) in counts.items()}
    same = {
        "app_fast_equals_bare_batched": texts["app-fast"] == texts["bare-batched"],
        "app_accurate_equals_bare_seq": texts["app-accurate"] == texts["bare-seq"],
        "stable_across_repeats": all(len({r["text"] for r in runs[v]}) == 1 for v in VARIANTS),
    }
    parts = {}
    for mode in ("app-fast", "app-accurate"):
        keys = runs[mode][0]["parts"].keys()
        parts[mode] = {k: round(median([r["parts"][k] for r in runs[mode]]), 3) for k in keys}
    return {
        "clip": clip,
        "audio_seconds": round(seconds, 2),
        "repeats": repeats,
        "wall": {v: summary(walls[v]) for v in VARIANTS},
        "rtf": {v: round(median(walls[v]) / seconds, 4) for v in VARIANTS},
        "ratios": {k: summary(v) for k, v in ratio.items()},
        "wer": wer,
        "wer_counts": counts,
        "wer_fast_minus_seq": round(wer["app-fast"] - wer["bare-seq"], 4),
        "texts_equal": same,
        "app_parts_median": parts,
    }


def spawn_probe(audio: Any, repeats: int = 3) -> dict[str, Any]:
    """Fresh spawned children (as the worker is), at the worker's niceness, reporting.

    Each child times its start, the import of faster-whisper, the model load, creating
    the Silero VAD session, then two batched transcriptions of the same 30 s of audio:
    the first pays what a new process pays on its first decode, the second does not.
    """
    import multiprocessing

    from relations_desktop.core.transcription import model_files

    context = multiprocessing.get_context("spawn")
    keys = ("child_running_after", "import_faster_whisper", "model_load", "vad_session")
    keys += ("first_decode_30s", "second_decode_30s", "exit_after_reply")
    found: dict[str, list[float]] = {k: [] for k in keys}
    piece = audio[: 30 * 16000]
    for _ in range(repeats):
        parent, child = context.Pipe()
        began = time.time()
        process = context.Process(
            target=_probe_child, args=(child, str(model_files.default_model_dir())), daemon=True
        )
        process.start()
        child.close()
        parent.send(piece)
        reply = parent.recv()
        got = time.time()
        process.join(10)
        found["exit_after_reply"].append(time.time() - got)
        found["child_running_after"].append(reply.pop("started") - began)
        for k, v in reply.items():
            found[k].append(v)
        parent.close()
    out = {k: summary(v) for k, v in found.items()}
    out["first_decode_penalty"] = round(
        median(found["first_decode_30s"]) - median(found["second_decode_30s"]), 3
    )
    return out


def _probe_child(conn: Any, model_path: str) -> None:
    started = time.time()
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICE_INCREMENT)
    audio = conn.recv()
    begin = perf()
    from faster_whisper import BatchedInferencePipeline, WhisperModel
    from faster_whisper.vad import get_vad_model

    out: dict[str, float] = {"started": started, "import_faster_whisper": perf() - begin}
    begin = perf()
    model = WhisperModel(
        model_path, device="cpu", compute_type="int8", cpu_threads=THREADS, local_files_only=True
    )
    out["model_load"] = perf() - begin
    begin = perf()
    get_vad_model()
    out["vad_session"] = perf() - begin
    for key in ("first_decode_30s", "second_decode_30s"):
        begin = perf()
        segments, _ = BatchedInferencePipeline(model=model).transcribe(
            audio, batch_size=8, language="en", word_timestamps=True, vad_filter=True
        )
        list(segments)
        out[key] = perf() - begin
    conn.send(out)
    conn.close()


def wer_counts(reference: str, text: str) -> tuple[int, int]:
    """(errors, reference words) after normalising both."""
    import jiwer

    from bench.speech_corpus import normalise

    out = jiwer.process_words(normalise(reference), normalise(text))
    return out.substitutions + out.deletions + out.insertions, len(normalise(reference).split())


def wer_seeds(bench: Bench, cache: Path, seconds: float, seeds: list[int]) -> dict[str, Any]:
    """Word error rates of bare sequential and batched on other interviews (other seeds).

    The app's text equals the bare call's in the same mode (checked on the main clips),
    so the bare calls stand for it here; only the word error rate is of interest.
    """
    from bench import speech_corpus

    per_clip = []
    totals = {"fast": [0, 0], "accurate": [0, 0]}
    for seed in seeds:
        clip = speech_corpus.interview(seconds, cache, seed=seed)
        bench.add_clip(clip)
        row: dict[str, Any] = {"clip": clip.name, "words": clip.words}
        for mode in ("accurate", "fast"):
            run = bench.bare(clip.name, mode)
            errors, words = wer_counts(clip.reference, run["text"])
            totals[mode][0] += errors
            totals[mode][1] += words
            row[mode] = round(errors / words, 4)
        row["fast_minus_seq"] = round(row["fast"] - row["accurate"], 4)
        per_clip.append(row)
        log(f"WER {clip.name}: seq {row['accurate']:.3f}, batched {row['fast']:.3f}")
    return {"clips": per_clip, "totals": totals}


def glossary_wer(bench: Bench, clip: str, with_prompt_check: bool = True) -> dict[str, Any]:
    """The app without and with the glossary (its hotwords), both modes.

    Plus, as a check of an alternative the app does not use, the bare calls with the
    same glossary given as ``initial_prompt`` instead of ``hotwords``.
    """
    from bench.speech_corpus import GLOSSARY

    results: dict[str, Any] = {}
    for with_glossary in (False, True):
        if with_glossary:
            bench.service.transcription.add_terms(GLOSSARY)
        for mode in ("fast", "accurate"):
            run = bench.app(clip, mode)
            key = f"{mode}-{'glossary' if with_glossary else 'none'}"
            results[key] = score_terms(bench.references[clip], run["text"])
            results[key].update(wall=round(run["wall"], 2), decode=round(run["parts"]["decode"], 2))
            log(f"glossary {key}: WER {results[key]['wer']:.3f}")
    for term in GLOSSARY:
        bench.service.transcription.remove_term(term)
    hotwords = ", ".join(sorted(GLOSSARY))  # as the app joins them (ordered by term)
    if with_prompt_check:
        for mode in ("fast", "accurate"):
            run = bench.bare(clip, mode, initial_prompt=hotwords)
            key = f"bare-{mode}-initial-prompt"
            results[key] = score_terms(bench.references[clip], run["text"])
            log(f"glossary {key}: WER {results[key]['wer']:.3f}")
    return {"hotwords": hotwords, "runs": results}


def score_terms(reference_text: str, text: str) -> dict[str, Any]:
    """Word error rate, and which glossary terms came out right (and what came instead)."""
    import jiwer

    from bench.speech_corpus import GLOSSARY, normalise, term_occurrences

    reference = normalise(reference_text)
    hyp_words = normalise(text).split()
    out = jiwer.process_words(reference, " ".join(hyp_words))
    equal: set[int] = set()
    written: dict[int, str] = {}  # reference word index -> what stood there
    for chunk in out.alignments[0]:
        for i in range(chunk.ref_start_idx, chunk.ref_end_idx):
            if chunk.type == "equal":
                equal.add(i)
            if chunk.type in ("equal", "substitute"):
                written[i] = hyp_words[chunk.hyp_start_idx + i - chunk.ref_start_idx]
    hits: dict[str, list[int]] = {t: [0, 0] for t in GLOSSARY}
    instead: dict[str, list[str]] = {t: [] for t in GLOSSARY}
    for term, first, n in term_occurrences(reference.split()):
        hits[term][1] += 1
        if all(i in equal for i in range(first, first + n)):
            hits[term][0] += 1
        else:
            instead[term].append(" ".join(written.get(i, "-") for i in range(first, first + n)))
    return {
        "wer": round(float(out.wer), 4),
        "terms_right": sum(h[0] for h in hits.values()),
        "terms_total": sum(h[1] for h in hits.values()),
        "per_term": {t: f"{h[0]}/{h[1]}" for t, h in hits.items()},
        "written_instead": {t: w for t, w in instead.items() if w},
        "text": text,
    }


def gui_stall(cache: Path, seconds: float, repeats: int, modes: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gui-stall-") as tmp:
        out = Path(tmp) / "gui.json"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        cmd = [
            sys.executable,
            "-m",
            "bench.bench_gui_stall",
            "--cache",
            str(cache),
            "--seconds",
            str(seconds),
            "--repeats",
            str(repeats),
            "--modes",
            modes,
            "--json",
            str(out),
        ]
        done = subprocess.run(cmd, cwd=ROOT, env=env, check=False)
        if done.returncode != 0:
            return {"error": f"bench_gui_stall exited with {done.returncode}"}
        return json.loads(out.read_text())


# ---------------------------------------------------------------------- reporting
def report(results: dict[str, Any]) -> None:
    def line(text: str) -> None:
        print(text)

    for comp in results["comparisons"]:
        line(f"\n== {comp['clip']} ({comp['audio_seconds']} s, {comp['repeats']} repetitions)")
        for v, s in comp["wall"].items():
            line(
                f"  {v:13s} wall median {s['median']:7.2f} s  [{s['min']:.2f}–{s['max']:.2f}]"
                f"  RTF {comp['rtf'][v]:.4f}  WER {comp['wer'][v]:.3f}"
            )
        for k, s in comp["ratios"].items():
            line(f"  {k:24s} {s['median']:.3f}  [{s['min']:.3f}–{s['max']:.3f}]")
        line(f"  texts equal: {comp['texts_equal']}")
        for mode, parts in comp["app_parts_median"].items():
            line(f"  {mode} parts (median s): {parts}")
    if "wer_seeds" in results:
        line("\n== WER on other interviews (bare calls)")
        for row in results["wer_seeds"]["clips"]:
            line(f"  {json.dumps(row)}")
    if "glossary" in results:
        line("\n== glossary")
        for key, r in results["glossary"]["runs"].items():
            line(
                f"  {key:18s} WER {r['wer']:.3f}  terms {r['terms_right']}/{r['terms_total']}"
                f"  {r['per_term']}"
            )
    if "gui" in results:
        line(f"\n== gui stall: {json.dumps(results['gui'].get('summary', results['gui']))}")
    line(f"\n== fixed costs: {json.dumps(results['fixed_costs'])}")
    line(f"== goals: {json.dumps(results['goals'], indent=1)}")


def goals(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for comp in results["comparisons"]:
        r = comp["ratios"]
        out[comp["clip"]] = {
            "fast_over_seq": r["fast_over_seq"]["median"],
            "fast_over_seq_met": r["fast_over_seq"]["median"] <= GOAL_FAST_RATIO,
            "wer_fast_minus_seq": comp["wer_fast_minus_seq"],
            "wer_met": comp["wer_fast_minus_seq"] <= GOAL_WER_DELTA,
            "overhead_fast": r["overhead_fast"]["median"],
            "overhead_accurate": r["overhead_accurate"]["median"],
            "overhead_met": max(r["overhead_fast"]["median"], r["overhead_accurate"]["median"])
            <= GOAL_OVERHEAD,
            "overhead_outside_decode_fast": r["outside_decode_fast"]["median"],
            "overhead_outside_decode_accurate": r["outside_decode_accurate"]["median"],
            "rtf_app_fast": round(comp["wall"]["app-fast"]["median"] / comp["audio_seconds"], 4),
            "rtf_app_accurate": round(
                comp["wall"]["app-accurate"]["median"] / comp["audio_seconds"], 4
            ),
        }
    # The word error rate goal over every independent interview: the long clip (the short
    # one is its beginning) or, without it, the short one; plus the other seeds.
    comp = results["comparisons"][-1]
    fast = list(comp["wer_counts"]["app-fast"])
    seq = list(comp["wer_counts"]["bare-seq"])
    if "wer_seeds" in results:
        for mode, pair in (("fast", fast), ("accurate", seq)):
            pair[0] += results["wer_seeds"]["totals"][mode][0]
            pair[1] += results["wer_seeds"]["totals"][mode][1]
    pooled_fast, pooled_seq = fast[0] / fast[1], seq[0] / seq[1]
    out["wer_pooled"] = {
        "words": seq[1],
        "fast": round(pooled_fast, 4),
        "sequential": round(pooled_seq, 4),
        "fast_minus_seq": round(pooled_fast - pooled_seq, 4),
        "met": pooled_fast - pooled_seq <= GOAL_WER_DELTA,
    }
    gui = results.get("gui", {}).get("summary")
    if gui:
        out["gui_p99_ms"] = gui["transcribing"]["p99_ms_median"]
        out["gui_met"] = gui["transcribing"]["p99_ms_median"] <= GOAL_STALL_P99_MS
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, ~2 min")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--repeats", type=int, help="repetitions on the short clip (4)")
    parser.add_argument("--long-repeats", type=int, help="repetitions on the long clip (3)")
    parser.add_argument("--short-seconds", type=float, default=120.0)
    parser.add_argument("--long-seconds", type=float, default=600.0)
    parser.add_argument("--glossary-sentences", type=int, help="how many (30; quick 10)")
    parser.add_argument("--gui-repeats", type=int, help="GUI stall repetitions (3; quick 1)")
    parser.add_argument(
        "--wer-seeds", type=int, default=4, help="other interviews for the WER (4; quick 0)"
    )
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument(
        "--bare-nice",
        type=int,
        help="niceness of the bare calls (default: the worker's, current + 10)",
    )
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 4)
    long_repeats = args.long_repeats if args.long_repeats is not None else (0 if args.quick else 3)
    gloss_n = args.glossary_sentences or (10 if args.quick else 30)
    seeds = [] if args.quick else list(range(11, 11 + args.wer_seeds))
    gui_repeats = args.gui_repeats if args.gui_repeats is not None else (1 if args.quick else 3)
    bare_nice = args.bare_nice
    if bare_nice is None and can_renice():
        bare_nice = min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICE_INCREMENT)
    began = perf()
    with contextlib.ExitStack() as stack:
        if args.workdir:
            workdir = args.workdir
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-tr-")))
        results = run(
            workdir, args, repeats, long_repeats, gloss_n, gui_repeats, bare_nice, began, seeds
        )
    report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        log(f"results written to {args.json}")
    return 0


def run(
    workdir: Path,
    args: argparse.Namespace,
    repeats: int,
    long_repeats: int,
    gloss_n: int,
    gui_repeats: int,
    bare_nice: int | None,
    began: float,
    wer_seed_list: list[int],
) -> dict[str, Any]:
    from bench import speech_corpus

    cache = workdir / "speech-cache"
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python -m bench.bench_transcription", *sys.argv[1:]]),
        "machine": machine(),
        "config": {
            "quick": args.quick,
            "repeats_short": repeats,
            "repeats_long": long_repeats,
            "threads": args.threads,
            "bare_nice": bare_nice,
            "worker_nice": min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICE_INCREMENT),
            "compute_type": "int8",
            "batch_size": 8,
        },
        "goals_set": {
            "fast_over_seq": GOAL_FAST_RATIO,
            "wer_delta": GOAL_WER_DELTA,
            "overhead": GOAL_OVERHEAD,
            "rtf_10min": GOAL_RTF,
            "gui_p99_ms": GOAL_STALL_P99_MS,
        },
    }
    log("building the speech corpus")
    start = perf()
    short = speech_corpus.interview(args.short_seconds, cache)
    long = speech_corpus.interview(args.long_seconds, cache) if long_repeats else None
    gloss = speech_corpus.glossary_clip(cache, gloss_n)
    results["corpus_seconds"] = round(perf() - start, 1)
    bench = Bench(workdir, args.threads, bare_nice)
    try:
        log("importing the clips into the store")
        results["clips"] = [bench.add_clip(c) for c in (short, long, gloss) if c is not None]
        log("fixed costs: SHA-256 check, model load, spawn + import")
        fixed = bench.load_model()
        fixed["fresh_process"] = spawn_probe(bench.audio[short.name])
        results["fixed_costs"] = fixed
        # One untimed warm-up of each path (page cache, CTranslate2 thread pool).
        bench.bare(short.name, "fast")
        bench.app(short.name, "fast")
        results["comparisons"] = [compare(bench, short.name, repeats)]
        if long is not None:
            results["comparisons"].append(compare(bench, long.name, long_repeats))
        if wer_seed_list:
            log("word error rates on other interviews")
            results["wer_seeds"] = wer_seeds(bench, cache, args.short_seconds, wer_seed_list)
        log("glossary")
        results["glossary"] = glossary_wer(bench, gloss.name, with_prompt_check=not args.quick)
    finally:
        bench.service.close()
    if gui_repeats:
        log("GUI stall (bench/bench_gui_stall.py)")
        modes = "fast" if args.quick else "fast,accurate"
        results["gui"] = gui_stall(cache, args.short_seconds, gui_repeats, modes)
    results["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["goals"] = goals(results)
    results["total_seconds"] = round(perf() - began, 1)
    return results


if __name__ == "__main__":
    raise SystemExit(main())
