"""The recorder: callback → bounded queue → writer thread → committed ~0.9 s FLAC chunks.

Driven by the fake backend: the test feeds the audio, so every case is deterministic. The
rules under test are the ones an interview depends on: chunks are committed as they
arrive, nothing fed is lost or changed (bit-exact), losses are counted and reported, and
the recorder stops itself (keeping every committed chunk) when the device, or the disk,
goes away.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import event, select, text

from relations_desktop.core.audio import chunks
from relations_desktop.core.audio.codec import decode_flac
from relations_desktop.core.audio.devices import AudioUnavailable
from relations_desktop.core.audio.recorder import CHUNK_SECONDS, Recorder
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import (
    Recording,
    RecordingSource,
    RecordingStatus,
)
from tests.core.audio_fakes import (
    FakeBackend,
    FakeClock,
    MemorySink,
    dbfs,
    silence,
    sine,
    speech_like,
)

RATE = 16_000
BLOCK = 800  # 50 ms at 16 kHz, the recorder's default block
CHUNK = round(RATE * CHUNK_SECONDS)  # frames in one of the recorder's default chunks


def decoded(sink: MemorySink) -> np.ndarray:
    parts = []
    for chunk in sink.chunks:
        samples, rate = decode_flac(chunk.data)
        assert rate == RATE
        assert len(samples) == chunk.frames
        parts.append(samples)
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def writer_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "recorder-writer" and t.is_alive())


@pytest.fixture
def started() -> Iterator[tuple[Recorder, FakeBackend, MemorySink]]:
    """A recorder at 16 kHz into memory, stopped (if still running) after the test."""
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE)
    recorder.start()
    yield recorder, backend, sink
    sink.release()
    recorder.stop(timeout=5)


# ------------------------------------------------------------------ chunking
def test_chunks_are_committed_as_they_arrive_and_stop_flushes_the_rest(started) -> None:
    recorder, backend, sink = started
    signal = speech_like(2.5, RATE, seed=1)
    assert backend.stream.started and backend.stream.blocksize == BLOCK

    backend.stream.feed(signal)
    # Two whole chunks are in the sink while the recording is still running.
    assert sink.wait_for_chunks(2, timeout=5)
    assert sink.finished is None and not recorder.stopped
    assert recorder.status().state == "recording"

    summary = recorder.stop()
    assert [(c.seq, c.start_frame, c.frames) for c in sink.chunks] == [
        (0, 0, CHUNK),
        (1, CHUNK, CHUNK),
        (2, 2 * CHUNK, len(signal) - 2 * CHUNK),  # the remainder, flushed by stop
    ]
    assert np.array_equal(decoded(sink), signal)  # bit-exact, in order
    assert sink.finish_calls == [(len(signal), 0, "user")]
    assert (summary.frames, summary.chunks, summary.stop_reason) == (len(signal), 3, "user")
    assert summary.seconds == pytest.approx(2.5)
    assert backend.stream.closed and not backend.stream.active
    assert recorder.status().state == "stopped"


def test_odd_block_sizes_still_decode_bit_exactly() -> None:
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    # A block that does not divide the chunk, and a chunk of 0.7 s.
    recorder = Recorder(sink, backend, RATE, chunk_seconds=0.7, block_seconds=0.033)
    recorder.start()
    signal = speech_like(3.1, RATE, seed=2)
    backend.stream.feed(signal)
    recorder.stop()
    assert all(c.frames == round(0.7 * RATE) for c in sink.chunks[:-1])
    starts = [c.start_frame for c in sink.chunks]
    assert starts == [sum(c.frames for c in sink.chunks[:i]) for i in range(len(sink.chunks))]
    assert np.array_equal(decoded(sink), signal)


def test_stop_without_audio_writes_no_chunk() -> None:
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE)
    recorder.start()
    summary = recorder.stop()
    assert sink.chunks == [] and sink.finish_calls == [(0, 0, "user")]
    assert summary.frames == 0


def new_recording(service: StoreService) -> str:
    encounter = service.add_encounter("home-visit", "Kitchen table")
    with service._session() as session:
        recording = Recording(
            encounter_id=encounter.id,
            status=RecordingStatus.RECORDING,
            source=RecordingSource.MICROPHONE,
            sample_rate=RATE,
        )
        session.add(recording)
        session.flush()
        return recording.id


def test_recorder_into_the_database(service: StoreService) -> None:
    """The real sink: its own engine, one committed transaction per chunk."""
    recording_id = new_recording(service)
    finished = threading.Event()
    sink = chunks.DatabaseChunkSink(
        service._dedicated_engine(), recording_id, on_finish=finished.set
    )
    backend = FakeBackend(rate=RATE)
    recorder = Recorder(sink, backend, RATE)
    recorder.start()
    signal = speech_like(2.5, RATE, seed=3)
    backend.stream.feed(signal[: 2 * CHUNK])

    # Committed (visible to another connection) while the recording goes on.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with service._session() as session:
            if chunks.committed_frames(session, recording_id) == 2 * CHUNK:
                break
        time.sleep(0.02)
    else:
        pytest.fail("the chunks were not committed while recording")
    assert service.recordings.get(recording_id).duration_seconds == pytest.approx(2 * CHUNK / RATE)

    backend.stream.feed(signal[2 * CHUNK :], overflow=True)
    recorder.stop()
    assert finished.is_set()
    assert np.array_equal(chunks.read_all(service._plain_session, recording_id), signal)
    with service._session() as session:
        row = session.scalars(select(Recording).where(Recording.id == recording_id)).one()
        assert row.status == RecordingStatus.COMPLETE
        assert (row.frames, row.overflow_count, row.stop_reason) == (len(signal), 1, "user")
        assert row.ended_at is not None


def test_a_full_database_disk_stops_the_recording_keeping_what_was_committed(
    service: StoreService,
) -> None:
    """SQLite's own "database or disk is full" (a page limit stands in for the disk)."""
    recording_id = new_recording(service)
    with service._session() as session:
        pages = session.execute(text("PRAGMA page_count")).scalar_one()
    engine = service._dedicated_engine()

    @event.listens_for(engine, "connect")
    def _small_disk(dbapi_conn: object, _record: object) -> None:
        cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cursor.execute(f"PRAGMA max_page_count = {pages + 14}")  # room for ~2 chunks
        cursor.close()

    backend = FakeBackend(rate=RATE)
    recorder = Recorder(chunks.DatabaseChunkSink(engine, recording_id), backend, RATE)
    recorder.start()
    signal = speech_like(6.0, RATE, seed=19)
    backend.stream.feed(signal)
    assert recorder.wait(5)
    summary = recorder.summary()
    assert summary.stop_reason == "disk-full"
    assert 0 < summary.frames < len(signal)
    with service._session() as session:
        row = session.get(Recording, recording_id)
        assert row is not None
        assert (row.status, row.stop_reason) == (RecordingStatus.COMPLETE, "disk-full")
        assert row.frames == chunks.committed_frames(session, recording_id) == summary.frames
    stored = chunks.read_all(service._plain_session, recording_id)
    assert np.array_equal(stored, signal[: summary.frames])


# ------------------------------------------------------------- pause/resume
def test_pause_drops_audio_and_position_excludes_it(started) -> None:
    recorder, backend, sink = started
    before, during, after = (speech_like(1.0, RATE, seed=s) for s in (4, 5, 6))
    backend.stream.feed(before)
    assert recorder.position_seconds == pytest.approx(1.0)

    recorder.pause()
    assert recorder.status().state == "paused"
    backend.stream.feed(during)
    assert recorder.position_seconds == pytest.approx(1.0)
    assert recorder.status().silent_seconds == 0.0  # no "no signal" warning while paused

    recorder.resume()
    assert recorder.status().state == "recording"
    backend.stream.feed(after)
    assert recorder.position_seconds == pytest.approx(2.0)

    summary = recorder.stop()
    assert summary.seconds == pytest.approx(2.0)
    assert summary.overflows == 0 and summary.dropped_seconds == 0.0
    assert np.array_equal(decoded(sink), np.concatenate([before, after]))


def test_a_long_pause_is_not_taken_for_a_lost_device() -> None:
    clock = FakeClock()
    backend, sink = FakeBackend(rate=RATE, clock=clock), MemorySink()
    recorder = Recorder(sink, backend, RATE, device_timeout=1.0, clock=clock)
    recorder.start()
    backend.stream.feed(speech_like(0.5, RATE))
    recorder.pause()
    clock.advance(60)  # a minute of pause with no callbacks at all
    assert not recorder.wait(0.6)  # the writer looked at least twice
    recorder.resume()
    backend.stream.feed(speech_like(0.5, RATE, seed=1))
    assert not recorder.wait(0.3)
    assert recorder.stop().stop_reason == "user"
    assert recorder.summary().seconds == pytest.approx(1.0)


def test_pause_and_resume_are_no_ops_when_not_recording() -> None:
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE)
    recorder.pause()
    assert recorder.status().state == "new"
    recorder.start()
    recorder.resume()
    assert recorder.status().state == "recording"
    recorder.stop()
    recorder.pause()
    recorder.resume()
    assert recorder.status().state == "stopped"


# ------------------------------------------------------------------ overflow
def test_queue_overflow_is_counted_reported_and_recording_goes_on() -> None:
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    # A queue of 4 blocks (0.2 s) and 0.1 s chunks; the sink is held (a slow disk).
    recorder = Recorder(sink, backend, RATE, chunk_seconds=0.1, queue_seconds=0.2)
    recorder.start()
    sink.hold()
    first = speech_like(0.1, RATE, seed=7)
    backend.stream.feed(first)
    assert sink.waiting.wait(5)  # the writer is stuck in the sink with an empty queue

    flood = speech_like(1.0, RATE, seed=8)  # 20 blocks; 4 fit in the queue
    backend.stream.feed(flood)
    status = recorder.status()
    assert status.overflows == 16
    assert status.dropped_seconds == pytest.approx(0.8)
    assert status.state == "recording"
    assert recorder.position_seconds == pytest.approx(0.3)  # dropped audio has no position

    sink.release()
    assert sink.wait_for_chunks(3)  # the queue has drained
    later = speech_like(0.5, RATE, seed=9)
    for start in range(0, len(later), 2 * BLOCK):  # at the pace the writer keeps up with
        # PortAudio's own overflow flag counts too.
        backend.stream.feed(later[start : start + 2 * BLOCK], overflow=start == 0)
        assert sink.wait_for_chunks(4 + start // (2 * BLOCK))
    summary = recorder.stop()
    assert summary.overflows == 17
    assert summary.dropped_seconds == pytest.approx(0.8)
    assert summary.stop_reason == "user"
    assert sink.finish_calls == [(summary.frames, 17, "user")]
    kept = np.concatenate([first, flood[: 4 * BLOCK], later])
    assert np.array_equal(decoded(sink), kept)


# ----------------------------------------------------------- device lost
def test_device_lost_when_callbacks_stop() -> None:
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE, device_timeout=0.3)
    recorder.start()
    signal = speech_like(1.5, RATE, seed=10)
    backend.stream.feed(signal)
    # ... and then nothing: the USB microphone was pulled out.
    assert recorder.wait(3)
    summary = recorder.summary()
    assert summary.stop_reason == "device-lost"
    assert sink.finish_calls == [(len(signal), 0, "device-lost")]
    assert np.array_equal(decoded(sink), signal)
    assert backend.stream.closed
    assert recorder.status().state == "stopped"
    assert recorder.stop().stop_reason == "device-lost"  # a late stop changes nothing


def test_device_lost_by_the_clock() -> None:
    clock = FakeClock()
    backend, sink = FakeBackend(rate=RATE, clock=clock), MemorySink()
    recorder = Recorder(sink, backend, RATE, device_timeout=3.0, clock=clock)
    recorder.start()
    signal = speech_like(1.25, RATE, seed=11)
    backend.stream.feed(signal)
    clock.advance(2.9)
    assert not recorder.wait(0.6)
    clock.advance(0.2)
    assert recorder.wait(3)
    assert recorder.summary().stop_reason == "device-lost"
    assert np.array_equal(decoded(sink), signal)


def test_device_lost_when_portaudio_ends_the_stream() -> None:
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE)
    recorder.start()
    signal = speech_like(1.2, RATE, seed=12)
    backend.stream.feed(signal)
    backend.stream.finish()
    assert recorder.wait(3)
    assert recorder.summary().stop_reason == "device-lost"
    assert sink.finish_calls == [(len(signal), 0, "device-lost")]
    assert np.array_equal(decoded(sink), signal)


def test_the_finished_callback_after_our_own_stop_is_not_device_lost() -> None:
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE)
    recorder.start()
    backend.stream.feed(speech_like(0.5, RATE))
    recorder.stop("closed")
    assert backend.stream.finished_calls == 1
    assert recorder.summary().stop_reason == "closed"
    assert sink.finish_calls[-1][2] == "closed"


# ----------------------------------------------------------------- the disk
def test_low_disk_stops_after_a_chunk_keeping_it() -> None:
    free = [10_000_000_000]
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE, free_space=lambda: free[0], low_disk_stop=1_000)
    recorder.start()
    signal = speech_like(2.5, RATE, seed=13)
    backend.stream.feed(signal[:CHUNK])
    assert sink.wait_for_chunks(1)
    assert not recorder.status().low_disk
    free[0] = 999
    backend.stream.feed(signal[CHUNK:])
    assert recorder.wait(3)
    summary = recorder.summary()
    assert summary.stop_reason == "disk-low"
    status = recorder.status()
    assert status.low_disk and status.free_bytes == 999
    # The chunk that found the disk low is kept, and so is what was already queued.
    assert summary.frames >= 2 * CHUNK
    assert np.array_equal(decoded(sink), signal[: summary.frames])
    assert sink.finish_calls == [(summary.frames, 0, "disk-low")]


def test_low_disk_warning_before_the_floor() -> None:
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE, free_space=lambda: 500_000_000)
    recorder.start()
    backend.stream.feed(speech_like(1.0, RATE))
    assert sink.wait_for_chunks(1)
    status = recorder.status()
    assert status.low_disk and status.free_bytes == 500_000_000
    assert status.state == "recording"
    assert recorder.stop().stop_reason == "user"


def test_disk_full_keeps_the_earlier_chunks() -> None:
    backend, sink = FakeBackend(rate=RATE), MemorySink(disk_full_at=2)
    recorder = Recorder(sink, backend, RATE)
    recorder.start()
    signal = speech_like(3.5, RATE, seed=14)
    backend.stream.feed(signal)
    assert recorder.wait(3)
    summary = recorder.summary()
    assert summary.stop_reason == "disk-full"
    assert [c.seq for c in sink.chunks] == [0, 1]
    assert np.array_equal(decoded(sink), signal[: 2 * CHUNK])
    assert sink.finish_calls == [(2 * CHUNK, 0, "disk-full")]
    assert backend.stream.closed
    assert backend.stream.feed(signal) == 0  # nothing is listening any more
    assert recorder.stop().stop_reason == "disk-full"


def _held_with_a_full_queue(
    sink: MemorySink, **options: object
) -> tuple[Recorder, FakeBackend, np.ndarray]:
    """The writer stuck in the sink on chunk 0 while the (4-block) queue is full."""
    backend = FakeBackend(rate=RATE)
    recorder = Recorder(sink, backend, RATE, chunk_seconds=0.1, queue_seconds=0.2, **options)
    recorder.start()
    sink.hold()
    signal = speech_like(0.5, RATE, seed=15)
    backend.stream.feed(signal[: 2 * BLOCK])
    assert sink.waiting.wait(5)
    backend.stream.feed(signal[2 * BLOCK :])
    assert recorder.status().overflows == 4  # 8 blocks more, 4 fit in the queue
    return recorder, backend, signal


def test_disk_full_with_a_full_queue_still_stops() -> None:
    # Closing the stream calls PortAudio's finished callback, which must not wait for
    # room in a queue that nobody will ever read again.
    sink = MemorySink(disk_full_at=0)
    recorder, backend, _signal = _held_with_a_full_queue(sink)
    sink.release()
    assert recorder.wait(3), "the recorder hung after the disk filled up"
    assert recorder.summary().stop_reason == "disk-full"
    assert sink.finish_calls == [(0, 4, "disk-full")]
    assert backend.stream.closed


def test_low_disk_with_a_full_queue_still_stops_and_keeps_the_queue() -> None:
    free = [10_000_000_000]
    sink = MemorySink()
    recorder, _backend, signal = _held_with_a_full_queue(
        sink, free_space=lambda: free[0], low_disk_stop=1_000
    )
    free[0] = 10
    sink.release()
    assert recorder.wait(3), "the recorder hung when the disk ran low"
    summary = recorder.summary()
    assert summary.stop_reason == "disk-low"
    # Chunk 0 plus the four queued blocks: everything accepted was committed.
    assert summary.frames == 6 * BLOCK
    assert np.array_equal(decoded(sink), signal[: 6 * BLOCK])


def test_a_failing_sink_stops_the_recording_and_still_finishes() -> None:
    class BrokenSink(MemorySink):
        def write_chunk(self, seq: int, start_frame: int, frames: int, data: bytes) -> None:
            if seq == 1:
                raise RuntimeError("boom")
            super().write_chunk(seq, start_frame, frames, data)

    backend, sink = FakeBackend(rate=RATE), BrokenSink()
    recorder = Recorder(sink, backend, RATE)
    recorder.start()
    backend.stream.feed(speech_like(2.5, RATE))
    assert recorder.wait(3)
    assert recorder.summary().stop_reason == "error"
    assert sink.finish_calls == [(CHUNK, 0, "error")]
    assert backend.stream.closed


# ------------------------------------------------------------------- meters
def test_level_meter_reads_a_known_sine() -> None:
    clock = FakeClock()
    backend, sink = FakeBackend(rate=RATE, clock=clock), MemorySink()
    recorder = Recorder(sink, backend, RATE, clock=clock)
    recorder.start()
    tone = sine(0.5, RATE, 1000.0, amplitude=16384)  # half scale: RMS = -9.03 dBFS
    backend.stream.feed(tone)
    status = recorder.status()
    expected = 20 * math.log10(16384 / math.sqrt(2) / 32768)
    assert status.level_dbfs == pytest.approx(expected, abs=0.05)
    assert status.level_dbfs == pytest.approx(dbfs(tone[-BLOCK:]), abs=0.01)
    assert status.peak == pytest.approx(0.5, abs=0.001)
    assert not status.clipping
    assert status.silent_seconds == 0.0

    quiet = sine(0.5, RATE, 1000.0, amplitude=328)  # -43 dBFS: quiet speech, not silence
    backend.stream.feed(quiet)
    status = recorder.status()
    assert status.level_dbfs == pytest.approx(expected - 33.96, abs=0.1)
    assert status.silent_seconds == 0.0
    recorder.stop()


def test_clipping_is_flagged_for_a_second() -> None:
    clock = FakeClock()
    backend, sink = FakeBackend(rate=RATE, clock=clock), MemorySink()
    recorder = Recorder(sink, backend, RATE, clock=clock)
    recorder.start()
    full = sine(0.2, RATE, 500.0, amplitude=32767)
    backend.stream.feed(full)
    status = recorder.status()
    assert status.clipping
    assert status.peak == pytest.approx(1.0, abs=0.001)
    assert status.level_dbfs == pytest.approx(-3.01, abs=0.05)

    backend.stream.feed(sine(0.5, RATE, 500.0, amplitude=8000))
    assert recorder.status().clipping  # still within the last second
    backend.stream.feed(sine(0.6, RATE, 500.0, amplitude=8000))
    assert not recorder.status().clipping
    recorder.stop()


def test_silent_seconds_grow_on_silence_and_reset_on_signal() -> None:
    clock = FakeClock()
    backend, sink = FakeBackend(rate=RATE, clock=clock), MemorySink()
    recorder = Recorder(sink, backend, RATE, clock=clock)
    recorder.start()
    backend.stream.feed(sine(1.0, RATE, 200.0, amplitude=3000))
    assert recorder.status().silent_seconds == 0.0

    backend.stream.feed(silence(1.0, RATE))
    assert recorder.status().silent_seconds == pytest.approx(1.0)
    backend.stream.feed(silence(1.5, RATE))
    status = recorder.status()
    assert status.silent_seconds == pytest.approx(2.5)
    assert status.level_dbfs < -55
    assert status.peak == 0.0

    # Room noise alone (about -58 dBFS) is still "no signal"...
    backend.stream.feed(np.random.default_rng(1).normal(0, 40, RATE).astype(np.int16))
    assert recorder.status().silent_seconds == pytest.approx(3.5)
    # ... a voice is.
    backend.stream.feed(sine(0.05, RATE, 200.0, amplitude=3000))
    assert recorder.status().silent_seconds == 0.0
    recorder.stop()
    # Silence is recorded like anything else.
    assert recorder.summary().seconds == pytest.approx(4.55)


# --------------------------------------------------------------------- stop
def test_stop_is_idempotent_and_safe_from_other_threads() -> None:
    before = writer_threads()
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE)
    recorder.start()
    signal = speech_like(1.5, RATE, seed=17)
    backend.stream.feed(signal)

    barrier = threading.Barrier(4)
    results = []

    def stop_it(reason: str) -> None:
        barrier.wait()
        results.append(recorder.stop(reason, timeout=5))

    threads = [threading.Thread(target=stop_it, args=(f"r{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 4
    assert len(sink.finish_calls) == 1
    reason = sink.finish_calls[0][2]
    assert reason in {"r0", "r1", "r2", "r3"}
    assert {r.stop_reason for r in results} == {reason}
    assert {r.frames for r in results} == {len(signal)}
    assert recorder.stop("again") == results[0]
    assert len(sink.finish_calls) == 1
    assert np.array_equal(decoded(sink), signal)
    assert writer_threads() == before


def test_stop_while_callbacks_are_running() -> None:
    """A stop racing with live callbacks loses nothing that was accepted."""
    backend, sink = FakeBackend(rate=RATE), MemorySink()
    recorder = Recorder(sink, backend, RATE)
    recorder.start()
    signal = speech_like(3.0, RATE, seed=18)
    feeder = threading.Thread(target=backend.stream.feed, args=(signal,), kwargs={"realtime": 20})
    feeder.start()
    time.sleep(0.05)
    summary = recorder.stop()
    feeder.join(10)
    assert 0 < summary.frames < len(signal)
    assert summary.frames == round(recorder.position_seconds * RATE)
    assert np.array_equal(decoded(sink), signal[: summary.frames])


def test_start_failure_leaves_nothing_running() -> None:
    before = writer_threads()
    backend, sink = FakeBackend(rate=RATE, fail_start=True), MemorySink()
    recorder = Recorder(sink, backend, RATE)
    with pytest.raises(AudioUnavailable):
        recorder.start()
    assert recorder.stopped
    assert writer_threads() == before
    assert backend.stream.closed and not backend.stream.active
    assert sink.chunks == []
    assert sink.finish_calls == [(0, 0, "device-error")]
    assert recorder.summary().stop_reason == "device-error"
    with pytest.raises(RuntimeError):
        recorder.start()


def test_open_failure_leaves_a_stopped_recorder() -> None:
    before = writer_threads()
    backend, sink = FakeBackend(rate=RATE, fail_open=True), MemorySink()
    recorder = Recorder(sink, backend, RATE)
    with pytest.raises(AudioUnavailable):
        recorder.start()
    # Whoever waits for it (the recording service does) is not kept waiting.
    assert recorder.wait(0.5)
    assert writer_threads() == before
    assert backend.streams == [] and sink.chunks == []
    assert recorder.summary().stop_reason == "device-error"
    assert sink.finish_calls == [(0, 0, "device-error")]
    assert recorder.status().state == "stopped"
