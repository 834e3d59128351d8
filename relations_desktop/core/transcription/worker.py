"""The transcription worker: a separate process, spoken to with typed messages.

A crash in the speech engine (or a kill) cannot take the app or a recording with it,
and cancel is immediate: the parent kills the process. Audio reaches the worker
decrypted, as 16 kHz 16-bit PCM through the pipe: never a file. The worker lowers its
own priority so a recording in progress keeps its CPU share.

Parent → worker: a :class:`Request`, then the audio as byte blocks, then ``b""``.
Worker → parent: :class:`Progress`, :class:`SegmentMessage` (as soon as each segment is
decoded), then one of :class:`Done` or :class:`Failed`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

WHISPER_RATE = 16_000
SEND_BLOCK_FRAMES = WHISPER_RATE * 10


@dataclass(frozen=True)
class Request:
    model_path: str
    verify_default: bool  # check the embedded model's SHA-256 sums before loading
    language: str
    mode: str  # "fast" (batched) or "accurate" (sequential)
    hotwords: str
    threads: int
    frames: int  # how much audio follows


@dataclass(frozen=True)
class Progress:
    fraction: float


@dataclass(frozen=True)
class SegmentMessage:
    start: float
    end: float
    text: str
    words: list[tuple[str, float, float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Done:
    duration: float
    language: str
    load_seconds: float
    decode_seconds: float


@dataclass(frozen=True)
class Failed:
    message: str


@dataclass(frozen=True)
class Cancelled:
    pass


Message = Progress | SegmentMessage | Done | Failed | Cancelled
Outcome = Done | Failed | Cancelled


def worker_main(conn: Connection) -> None:
    """Entry point of the worker process (importable, for the spawn start method)."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    # Belt and braces: nothing in the speech stack may reach for the network.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # onnxruntime's usage telemetry: off
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    try:
        request = conn.recv()
        # The model loads while the audio is still arriving (they overlap, not queue).
        received: dict[str, Any] = {}
        receiver = threading.Thread(
            target=lambda: received.update(audio=_receive_audio(conn, request.frames)),
            name="audio-receiver",
            daemon=True,
        )
        receiver.start()

        def audio() -> Any:
            receiver.join()
            if "audio" not in received:
                raise EOFError("the audio did not arrive")
            return received["audio"]

        conn.send(_transcribe(request, audio, conn.send))
    except (EOFError, BrokenPipeError):
        return  # the parent went away or cancelled
    except Exception as exc:  # the engine's own errors: report, never a traceback
        with contextlib.suppress(Exception):
            conn.send(Failed(_describe(exc)))
    finally:
        conn.close()


def _receive_audio(conn: Connection, frames: int) -> Any:
    import numpy as np

    audio = np.empty(frames, dtype=np.float32)
    filled = 0
    while True:
        block = conn.recv_bytes()
        if not block:
            break
        samples = np.frombuffer(block, dtype=np.int16)
        end = min(frames, filled + len(samples))
        audio[filled:end] = samples[: end - filled].astype(np.float32) / 32768.0
        filled = end
    return audio[:filled]


def _transcribe(
    request: Request, receive_audio: Callable[[], Any], send: Callable[[Message], None]
) -> Outcome:
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from relations_desktop.core.transcription import model_files

    started = time.perf_counter()
    if request.verify_default:
        # Check the very folder that is loaded next (not a path looked up again here).
        model_files.verify_default(Path(request.model_path))
    try:
        model = WhisperModel(
            request.model_path,
            device="cpu",
            compute_type="int8",
            cpu_threads=request.threads,
            local_files_only=True,
        )
    except Exception as exc:
        return Failed(
            f"The speech model in {request.model_path} could not be loaded ({_describe(exc)})."
        )
    loaded = time.perf_counter()
    audio = receive_audio()
    duration = len(audio) / WHISPER_RATE
    if len(audio) < WHISPER_RATE // 10:
        send(Progress(1.0))
        return Done(duration, request.language, loaded - started, 0.0)
    options: dict[str, Any] = {
        "language": request.language or None,
        "word_timestamps": True,
        "vad_filter": True,
        # The glossary goes in as a prompt, not as hotwords: measured on the study's
        # words, hotwords made tiny.en loop and skip sentences in accurate mode, while
        # a prompt gave the lowest error rate in both modes (docs/benchmarks.md).
        "initial_prompt": f"Glossary: {request.hotwords}." if request.hotwords else None,
    }
    if request.mode == "fast":
        segments, info = BatchedInferencePipeline(model=model).transcribe(
            audio, batch_size=8, **options
        )
    else:
        segments, info = model.transcribe(audio, **options)
    for segment in segments:
        words = [
            (w.word, float(w.start), float(w.end), float(w.probability))
            for w in (segment.words or [])
        ]
        for piece in sentence_segments(
            float(segment.start), float(segment.end), segment.text, words
        ):
            send(piece)
        if duration:
            send(Progress(min(1.0, float(segment.end) / duration)))
    send(Progress(1.0))
    return Done(duration, str(info.language), loaded - started, time.perf_counter() - loaded)


Word = tuple[str, float, float, float]
SENTENCE_END = (".", "?", "!", "…")
MIN_SENTENCE_SECONDS = 1.5


def sentence_segments(
    start: float, end: float, text: str, words: list[Word]
) -> list[SegmentMessage]:
    """One segment per sentence, cut at sentence-ending words.

    The batched pipeline returns up to 30 s of speech as one segment; researchers
    correct and quote sentence by sentence, and playback follows segments. Without
    word times a segment stays whole.
    """
    if not words:
        return [SegmentMessage(start, end, text, [])]
    pieces: list[SegmentMessage] = []
    current: list[Word] = []
    for word in words:
        current.append(word)
        long_enough = current[-1][2] - current[0][1] >= MIN_SENTENCE_SECONDS
        if word[0].rstrip().endswith(SENTENCE_END) and long_enough:
            pieces.append(_piece(current))
            current = []
    if current:
        pieces.append(_piece(current))
    return pieces


def _piece(words: list[Word]) -> SegmentMessage:
    text = "".join(w[0] for w in words).strip()
    return SegmentMessage(words[0][1], words[-1][2], text, list(words))


def _describe(exc: BaseException) -> str:
    from relations_desktop.core.errors import RelationsError

    if isinstance(exc, RelationsError):
        return exc.message
    return f"{type(exc).__name__}: {str(exc)[:300]}"


class WorkerProcess:
    """The parent's side: start the worker, feed it audio, relay its messages."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None

    def run(
        self,
        request: Request,
        audio_blocks: Iterable[bytes],
        on_message: Callable[[Message], None],
        cancelled: Callable[[], bool],
    ) -> Outcome:
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main, args=(child,), daemon=True, name="relations-transcriber"
        )
        self._process = process
        process.start()
        child.close()
        try:
            parent.send(request)
            for block in audio_blocks:
                if cancelled():
                    return self._kill(Cancelled())
                parent.send_bytes(block)
            parent.send_bytes(b"")
            while True:
                if cancelled():
                    return self._kill(Cancelled())
                if parent.poll(0.05):
                    message = parent.recv()
                    if isinstance(message, Done | Failed | Cancelled):
                        return message
                    on_message(message)
                elif not process.is_alive():
                    # Messages sent just before dying are still in the pipe.
                    if parent.poll(0.2):
                        continue
                    return Failed(_exit_reason(process.exitcode))
        except (EOFError, BrokenPipeError, ConnectionResetError):
            process.join(5)
            return Failed(_exit_reason(process.exitcode))
        finally:
            parent.close()
            # A worker that answered exits by itself; give it a moment to tidy up.
            process.join(0 if cancelled() else 2)
            if process.is_alive():
                process.kill()
            process.join(5)
            self._process = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return None if process is None else process.pid

    def _kill(self, outcome: Outcome) -> Outcome:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
        return outcome


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        return f"The speech engine stopped unexpectedly (signal {-code}); the app goes on."
    return f"The speech engine stopped unexpectedly (exit code {code}); the app goes on."
