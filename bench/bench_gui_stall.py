"""GUI responsiveness while a transcription runs (issue 4): stalls of the Qt event loop.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.bench_gui_stall [--json out.json]

A window (a list of segments and a progress bar) and a ``QTimer`` firing every 5 ms
(precise timer) in the GUI thread; every tick records the time since the previous one,
and the stall is that gap minus 5 ms. The transcription runs as the GUI runs it: the
job is enqueued through the app's ``TaskRunner`` (database work off the GUI thread),
the queue's own background thread (``service.transcription.start_background()``,
started once, as at unlock) picks it up and runs the worker process, and the queue's
listener events reach the GUI thread through the app's ``TranscriptionBridge`` (a
queued Qt signal; if the module is missing, an equivalent queued signal of this
script), whose slot here does light work (appends a row, moves the progress bar), like
the editor filling in live.

Windows alternate: a baseline (no transcription, same duration as the previous
transcription or 5 s) then a transcription, per mode and repetition. Reported: max,
p99, p95 of the stalls in each window, their medians over repetitions, where the
largest stalls fell (time since the window began, and the job's phase), and how late
the listener events arrived in the GUI thread. ``bench.bench_transcription`` runs
this as a subprocess and records its JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench kitchen table methadone bairns"
TICK_MS = 5
GOAL_STALL_P99_MS = 50.0
perf = time.perf_counter


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def stall_stats(gaps: list[float]) -> dict[str, Any]:
    stalls = [max(0.0, g * 1000 - TICK_MS) for g in gaps]
    return {
        "ticks": len(gaps),
        "max_ms": round(max(stalls), 2) if stalls else None,
        "p99_ms": round(percentile(stalls, 99), 2),
        "p95_ms": round(percentile(stalls, 95), 2),
        "p50_ms": round(percentile(stalls, 50), 2),
        "over_50ms": sum(1 for s in stalls if s > 50),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="interview clip length")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default="fast,accurate")
    parser.add_argument("--cache", type=Path, help="espeak-ng cache (shared with the bench)")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="a watchdog thread notes every thread's stack during stalls over 30 ms "
        "(it needs the GIL too, so it perturbs the figures a little: not for the record)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="bench-gui-") as tmp:
        results = run(Path(tmp), args)
    print(json.dumps(results["summary"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


def run(workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import (
        QApplication,
        QListView,
        QProgressBar,
        QVBoxLayout,
        QWidget,
    )

    from bench import speech_corpus
    from relations_desktop.core.services import StoreService
    from relations_desktop.core.transcription.jobs import JobEvent
    from relations_desktop.ui.tasks import TaskRunner

    clip = speech_corpus.interview(args.seconds, args.cache or workdir / "cache")
    service = StoreService.create(workdir / "store", PASSPHRASE, researcher_name="Bench")
    encounter = service.add_encounter("home-visit", "GUI stall")
    wav = clip.write(workdir / "clip.wav")
    recording = service.recordings.import_file(encounter.id, wav)
    wav.unlink()

    app = QApplication.instance() or QApplication(["bench-gui-stall"])
    assert app is not None
    window = QWidget()
    layout = QVBoxLayout(window)
    model = QStandardItemModel()
    view = QListView()
    view.setModel(model)
    bar = QProgressBar()
    bar.setRange(0, 1000)
    layout.addWidget(view)
    layout.addWidget(bar)
    window.resize(800, 600)
    window.show()
    runner = TaskRunner()

    class Recorder:
        def __init__(self) -> None:
            self.reset()

        def reset(self) -> None:
            self.began = perf()
            self.last: float | None = None
            self.gaps: list[float] = []
            self.at: list[float] = []  # when each gap ended, since the window began

        def tick(self) -> None:
            now = perf()
            if self.last is not None:
                self.gaps.append(now - self.last)
                self.at.append(now - self.began)
            self.last = now

    recorder = Recorder()
    watchdog = Watchdog(recorder) if args.diagnose else None
    if watchdog is not None:
        watchdog.start()
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(recorder.tick)
    timer.start()

    state: dict[str, Any] = {}
    sent: list[float] = []  # when the queue thread heard each event, in order

    def on_event(event: JobEvent) -> None:  # GUI thread
        now = perf()
        if sent:
            state["latency"].append(now - sent.pop(0))
        state.setdefault(f"t_{event.status}", now - recorder.began)
        if event.segment_id:
            state.setdefault("t_first_segment", now - recorder.began)
            model.appendRow(QStandardItem(f"{event.progress:5.1%}  segment {event.segment_id}"))
            view.scrollToBottom()
        bar.setValue(round(event.progress * 1000))
        if event.status in ("done", "failed", "cancelled"):
            state["status"] = event.status
            state["loop"].quit()

    service.transcription.add_listener(lambda _e: sent.append(perf()))
    bridge_kind = "the app's TranscriptionBridge"
    try:  # the app's own relay, where it exists
        from relations_desktop.ui.transcription_bridge import TranscriptionBridge

        bridge: Any = TranscriptionBridge(service, runner)
        bridge.job_event.connect(on_event)
        bridge.start()  # start_background, through the task runner
    except (ImportError, TypeError, AttributeError):
        bridge_kind = "a queued signal of this script"

        class Bridge(QObject):
            event = Signal(object)

        bridge = Bridge()
        bridge.event.connect(on_event)  # emitted from the queue's thread: queued
        service.transcription.add_listener(bridge.event.emit)
        service.transcription.start_background()

    def window_stats(kind: str, mode: str) -> dict[str, Any]:
        stats = stall_stats(recorder.gaps)
        worst = sorted(zip(recorder.gaps, recorder.at, strict=True), reverse=True)[:5]
        stats.update(
            kind=kind,
            mode=mode,
            seconds=round(perf() - recorder.began, 2),
            worst=[[round(g * 1000 - TICK_MS, 1), round(t, 2)] for g, t in worst],
        )
        return stats

    def baseline(seconds: float) -> dict[str, Any]:
        loop = QEventLoop()
        recorder.reset()
        QTimer.singleShot(round(seconds * 1000), loop.quit)
        loop.exec()
        return window_stats("baseline", "")

    def transcribe(mode: str) -> dict[str, Any]:
        loop = QEventLoop()
        state.clear()
        state.update(loop=loop, latency=[])
        model.clear()
        recorder.reset()
        runner.submit(service.transcription.enqueue, recording.id, mode=mode)
        QTimer.singleShot(600_000, loop.quit)
        loop.exec()
        stats = window_stats("transcribing", mode)
        lat = [x * 1000 for x in state["latency"]]
        stats.update(
            status=state.get("status"),
            phases={k[2:]: round(v, 2) for k, v in state.items() if k.startswith("t_")},
            rows=model.rowCount(),
            event_latency_ms={
                "n": len(lat),
                "p50": round(percentile(lat, 50), 2),
                "p99": round(percentile(lat, 99), 2),
                "max": round(max(lat), 2) if lat else None,
            },
        )
        return stats

    modes = [m for m in args.modes.split(",") if m]
    windows: list[dict[str, Any]] = []
    baseline(1.0)  # settle
    last = 5.0
    try:
        for rep in range(args.repeats):
            for mode in modes:
                windows.append(baseline(last))
                w = transcribe(mode)
                last = min(max(w["seconds"], 3.0), 15.0)
                windows.append(w)
                print(
                    f"rep {rep + 1} {mode}: baseline p99 {windows[-2]['p99_ms']} ms, "
                    f"transcribing p99 {w['p99_ms']} ms, max {w['max_ms']} ms, "
                    f"{w['seconds']} s, {w['status']}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        timer.stop()
        if watchdog is not None:
            watchdog.stop.set()
        if hasattr(bridge, "close"):
            bridge.close()
        service.transcription.shutdown()
        runner.shutdown()
        service.close()
        window.close()

    def agg(kind: str, mode: str | None = None) -> dict[str, Any]:
        sel = [w for w in windows if w["kind"] == kind and (mode is None or w["mode"] == mode)]
        if not sel:
            return {}
        return {
            "windows": len(sel),
            "p99_ms_median": round(statistics.median(w["p99_ms"] for w in sel), 2),
            "p99_ms_range": [min(w["p99_ms"] for w in sel), max(w["p99_ms"] for w in sel)],
            "p95_ms_median": round(statistics.median(w["p95_ms"] for w in sel), 2),
            "max_ms_median": round(statistics.median(w["max_ms"] for w in sel), 2),
            "max_ms_worst": max(w["max_ms"] for w in sel),
            "over_50ms_total": sum(w["over_50ms"] for w in sel),
            "ticks_total": sum(w["ticks"] for w in sel),
        }

    summary = {
        "clip_seconds": round(clip.seconds, 1),
        "relay": bridge_kind,
        "baseline": agg("baseline"),
        "transcribing": agg("transcribing"),
        **{f"transcribing_{m}": agg("transcribing", m) for m in modes},
        "goal_p99_ms": GOAL_STALL_P99_MS,
    }
    out: dict[str, Any] = {"summary": summary, "windows": windows}
    if watchdog is not None:
        out["diagnosis"] = watchdog.events
        for event in watchdog.events:
            print(json.dumps(event, indent=1), file=sys.stderr)
    return out


class Watchdog(threading.Thread):
    """Notes what every thread is doing while the GUI thread is late (``--diagnose``)."""

    def __init__(self, recorder: Any, threshold: float = 0.03) -> None:
        super().__init__(daemon=True, name="stall-watchdog")
        self.recorder, self.threshold = recorder, threshold
        self.stop = threading.Event()
        self.events: list[dict[str, Any]] = []
        self._seen: float | None = None

    def run(self) -> None:
        while not self.stop.wait(0.005):
            last = self.recorder.last
            if last is None or last == self._seen or perf() - last < self.threshold:
                continue
            self._seen = last
            late = perf() - last
            names = {t.ident: t.name for t in threading.enumerate()}
            stacks = {}
            for ident, frame in sys._current_frames().items():
                if ident == self.ident:
                    continue
                lines = traceback.format_stack(frame)[-4:]
                stacks[names.get(ident, str(ident))] = [
                    x.strip().replace("\n", " | ") for x in lines
                ]
            self.events.append(
                {
                    "window_s": round(last - self.recorder.began, 3),
                    "seen_late_ms": round(late * 1000, 1),
                    "stacks": stacks,
                }
            )


if __name__ == "__main__":
    raise SystemExit(main())
