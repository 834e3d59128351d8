"""Recording use cases through StoreService: capture (fake microphone), jottings, locking,
crash recovery (a real kill -9), import of real audio files, export, and no plaintext.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile
from sqlalchemy import select

from relations_desktop.core.audio.codec import decode_flac
from relations_desktop.core.audio.devices import AudioUnavailable
from relations_desktop.core.audio.recorder import CHUNK_SECONDS
from relations_desktop.core.errors import (
    Cancelled,
    InvalidInput,
    NotFound,
    RelationsError,
    StoreLocked,
)
from relations_desktop.core.recordings import ActiveRecording
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import AudioChunk
from tests.core.audio_fakes import FakeBackend, speech_like

RATE = 16_000
CHUNK = round(RATE * CHUNK_SECONDS)  # frames in one of the recorder's default chunks
ROOT = Path(__file__).resolve().parents[2]
SPEECH = (
    "We moved into the flat in March. The health visitor came round on the Tuesday, "
    "and the social worker rang about contact with the bairns on Friday."
)


# ------------------------------------------------------------------ helpers
@pytest.fixture
def encounter_id(service: StoreService) -> str:
    return service.add_encounter("home-visit", "Kitchen table, second visit").id


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend(rate=RATE, name="Fake USB Microphone")


def audio(service: StoreService, recording_id: str) -> np.ndarray:
    parts = list(service.recordings.samples(recording_id))
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def actions(service: StoreService, action: str) -> list[str]:
    return [e.target_id for e in service.audit_events(1000) if e.action == action]


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def committed(active: ActiveRecording, chunks: int) -> bool:
    """Wait until the recorder has committed ``chunks`` chunks."""
    return wait_until(lambda: active.recorder.status().chunks >= chunks)


def start(service: StoreService, encounter_id: str, backend: FakeBackend) -> ActiveRecording:
    return service.recordings.start(encounter_id, backend=backend)


# ------------------------------------------------------------------ capture
def test_record_with_jottings_at_the_audio_position(
    service: StoreService, encounter_id: str, backend: FakeBackend
) -> None:
    active = start(service, encounter_id, backend)
    assert service.recordings.active is active
    signal = speech_like(5.0, RATE, seed=1)

    backend.stream.feed(signal[: 3 * RATE])
    first = service.recordings.add_jotting("  Mum laughs about the health visitor  ")
    backend.stream.feed(signal[3 * RATE :], overflow=True)
    second = service.recordings.add_jotting("baby wakes; we pause talk of contact")
    assert (first.offset_seconds, second.offset_seconds) == (3.0, 5.0)

    live = service.recordings.get(active.recording_id)
    assert live.status == "recording"
    assert [(j.offset_seconds, j.text) for j in live.jottings] == [
        (3.0, "Mum laughs about the health visitor"),
        (5.0, "baby wakes; we pause talk of contact"),
    ]
    summary = service.recordings.stop()
    assert summary is not None and summary.seconds == pytest.approx(5.0)
    assert service.recordings.active is None
    assert service.recordings.stop() is None

    record = service.recordings.get(active.recording_id)
    assert record.status == "complete" and record.source == "microphone"
    assert (record.sample_rate, record.channels) == (RATE, 1)
    assert record.duration_seconds == pytest.approx(5.0)
    assert record.device_name == "Fake USB Microphone"
    assert record.stop_reason == "user" and record.overflow_count == 1
    assert record.ended_at is not None and record.size_bytes > 0
    assert [j.offset_seconds for j in record.jottings] == [3.0, 5.0]
    notes = service.list_notes(encounter_id)
    assert [(n.kind, n.offset_seconds, n.recording_id) for n in notes] == [
        ("jotting", 3.0, active.recording_id),
        ("jotting", 5.0, active.recording_id),
    ]
    assert np.array_equal(audio(service, active.recording_id), signal)
    assert actions(service, "recording_started") == [active.recording_id]
    assert actions(service, "recording_stopped") == [active.recording_id]
    assert [r.id for r in service.recordings.list(encounter_id)] == [active.recording_id]

    # Seeking: samples from a time on.
    tail = np.concatenate(list(service.recordings.samples(active.recording_id, 3.5)))
    assert np.array_equal(tail, signal[int(3.5 * RATE) :])


def test_jottings_need_a_running_recording_and_text(
    service: StoreService, encounter_id: str, backend: FakeBackend
) -> None:
    with pytest.raises(InvalidInput):
        service.recordings.add_jotting("nothing is recording")
    start(service, encounter_id, backend)
    with pytest.raises(InvalidInput):
        service.recordings.add_jotting("   ")
    service.recordings.stop()
    assert service.list_notes(encounter_id) == []


def test_recording_goes_on_while_the_store_is_locked(
    service: StoreService, encounter_id: str, backend: FakeBackend, passphrase: str
) -> None:
    active = start(service, encounter_id, backend)
    signal = speech_like(4.5, RATE, seed=2)
    backend.stream.feed(signal[:CHUNK])
    assert committed(active, 1)

    service.lock()
    assert service.is_locked
    with pytest.raises(StoreLocked):
        service.recordings.get(active.recording_id)
    backend.stream.feed(signal[CHUNK : 3 * CHUNK])
    assert committed(active, 3)  # chunks keep committing while locked
    assert not active.recorder.stopped

    service.unlock(passphrase)
    assert service.recordings.get(active.recording_id).duration_seconds == pytest.approx(
        3 * CHUNK / RATE
    )
    backend.stream.feed(signal[3 * CHUNK :])
    service.recordings.stop()
    record = service.recordings.get(active.recording_id)
    assert record.duration_seconds == pytest.approx(4.5)
    assert np.array_equal(audio(service, active.recording_id), signal)


def test_close_while_recording_stops_and_keeps_it(
    service: StoreService, store_dir: Path, encounter_id: str, backend: FakeBackend, passphrase: str
) -> None:
    active = start(service, encounter_id, backend)
    signal = speech_like(2.5, RATE, seed=3)
    backend.stream.feed(signal)
    service.close()
    assert active.recorder.stopped and backend.stream.closed

    with StoreService.open(store_dir, passphrase) as reopened:
        assert reopened.recordings.recovered == []
        record = reopened.recordings.get(active.recording_id)
        assert (record.status, record.stop_reason) == ("complete", "closed")
        assert record.duration_seconds == pytest.approx(2.5)
        assert np.array_equal(audio(reopened, active.recording_id), signal)


def test_a_lost_device_stops_the_recording_and_keeps_the_audio(
    service: StoreService, encounter_id: str, backend: FakeBackend
) -> None:
    active = start(service, encounter_id, backend)
    signal = speech_like(1.5, RATE, seed=4)
    backend.stream.feed(signal)
    backend.stream.finish()  # the USB microphone was pulled out
    assert active.recorder.wait(5)
    assert service.recordings.active is None
    with pytest.raises(InvalidInput):
        service.recordings.add_jotting("too late")
    record = service.recordings.get(active.recording_id)
    assert (record.status, record.stop_reason) == ("complete", "device-lost")
    assert np.array_equal(audio(service, active.recording_id), signal)
    # A new recording can start straight away.
    again = start(service, encounter_id, FakeBackend(rate=RATE))
    assert again.recording_id != active.recording_id
    service.recordings.stop()


def test_only_one_recording_at_a_time(
    service: StoreService, encounter_id: str, backend: FakeBackend
) -> None:
    start(service, encounter_id, backend)
    with pytest.raises(InvalidInput, match="already running"):
        service.recordings.start(encounter_id, backend=FakeBackend(rate=RATE))
    assert service.recordings.count() == 1
    service.recordings.stop()
    # Stopped before any audio arrived: an empty recording is not kept.
    assert service.recordings.count() == 0
    second = FakeBackend(rate=RATE)
    start(service, encounter_id, second)
    assert second.stream is not None
    second.stream.feed(speech_like(1.5, RATE, seed=3))
    service.recordings.stop()
    assert service.recordings.count() == 1


@pytest.mark.parametrize(
    "broken",
    [
        {"available": False},  # no microphone at all
        {"fail_open": True},  # PortAudio cannot open it
        {"fail_start": True},  # ... or cannot start it
    ],
    ids=["no-microphone", "open-fails", "start-fails"],
)
def test_no_usable_microphone_stores_nothing(
    service: StoreService, encounter_id: str, broken: dict[str, bool]
) -> None:
    began = time.monotonic()
    with pytest.raises(AudioUnavailable):
        service.recordings.start(encounter_id, backend=FakeBackend(rate=RATE, **broken))
    assert time.monotonic() - began < 2  # the user is told at once
    assert service.recordings.count() == 0
    assert service.recordings.active is None
    assert actions(service, "recording_started") == []


def test_recording_for_a_missing_session_stores_nothing(
    service: StoreService, backend: FakeBackend
) -> None:
    with pytest.raises(NotFound):
        service.recordings.start("no-such-session", backend=backend)
    assert service.recordings.count() == 0
    assert backend.streams == []


# ------------------------------------------------------------ crash recovery
CRASH_SCRIPT = """
import os, sys, time
from pathlib import Path
from relations_desktop.core.services import StoreService
from tests.core.audio_fakes import FakeBackend, speech_like

store_dir, encounter_id = Path(sys.argv[1]), sys.argv[2]
service = StoreService.open(store_dir, os.environ["RELATIONS_PASSPHRASE"])
backend = FakeBackend(rate=16000)
active = service.recordings.start(encounter_id, backend=backend)
print("started", active.recording_id, flush=True)
signal = speech_like(60.0, 16000, seed=42)
for start in range(0, len(signal), 1600):
    backend.stream.feed(signal[start:start + 1600])
    time.sleep(0.01)
    print("chunks", active.recorder.status().chunks, flush=True)
time.sleep(60)
"""


def test_crash_recovery_after_kill_9(
    service: StoreService, store_dir: Path, encounter_id: str, passphrase: str, tmp_path: Path
) -> None:
    service.close()
    env = {**os.environ, "RELATIONS_PASSPHRASE": passphrase, "PYTHONPATH": str(ROOT)}
    stderr = (tmp_path / "stderr.txt").open("w+")
    child = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, str(store_dir), encounter_id],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    committed = 0
    recording_id = ""
    try:
        assert child.stdout is not None
        for line in child.stdout:
            word, value = line.split()
            if word == "started":
                recording_id = value
            elif int(value) >= 3:
                committed = int(value)
                child.send_signal(signal.SIGKILL)  # mid-recording, no stop, no cleanup
                break
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
        stderr.seek(0)
        child_errors = stderr.read()
    assert committed >= 3, child_errors
    assert child.returncode == -signal.SIGKILL

    with StoreService.open(store_dir, passphrase) as reopened:
        assert [r.id for r in reopened.recordings.recovered] == [recording_id]
        record = reopened.recordings.get(recording_id)
        assert (record.status, record.stop_reason) == ("recovered", "recovered")
        assert record.ended_at is not None
        assert record.duration_seconds >= committed * CHUNK / RATE
        # Only whole committed chunks survive a crash, and every one decodes.
        frames = round(record.duration_seconds * RATE)
        assert frames % CHUNK == 0
        with reopened._session() as session:
            rows = session.execute(
                select(AudioChunk.seq, AudioChunk.start_frame, AudioChunk.data)
                .where(AudioChunk.recording_id == recording_id)
                .order_by(AudioChunk.seq)
            ).all()
        assert [(seq, start) for seq, start, _ in rows] == [
            (i, i * CHUNK) for i in range(frames // CHUNK)
        ]
        for _seq, _start, data in rows:
            samples, rate = decode_flac(data)
            assert (len(samples), rate) == (CHUNK, RATE)
        expected = speech_like(60.0, RATE, seed=42)[:frames]
        assert np.array_equal(audio(reopened, recording_id), expected)
        assert actions(reopened, "recording_recovered") == [recording_id]
        # Recovery happens once.
        assert reopened.recordings.recover_interrupted() == []


# -------------------------------------------------------------------- import
def _speech(rate: int, channels: int, folder: Path) -> np.ndarray:
    """Real synthetic speech (espeak-ng, resampled by sox) or, without them, speech_like."""
    source = folder / f"speech-{rate}-{channels}.wav"
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if espeak and sox:
        raw = folder / "espeak.wav"
        if not raw.exists():
            subprocess.run([espeak, "-v", "en-gb", "-w", str(raw), SPEECH], check=True)
        subprocess.run(
            [sox, str(raw), "-b", "16", "-r", str(rate), "-c", str(channels), str(source)],
            check=True,
        )
        samples, _ = soundfile.read(source, dtype="int16", always_2d=True)
        return samples if channels > 1 else samples[:, 0]
    mono = speech_like(9.0, rate, seed=rate)
    return np.stack([mono, mono // 2], axis=1) if channels > 1 else mono


def _write_m4a(path: Path, samples: np.ndarray, rate: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono"
        for start in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[start : start + 1024]).reshape(1, -1),
                format="s16",
                layout="mono",
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


# name -> (sample rate, channels, soundfile format and subtype or "m4a", bit-exact)
FORMATS = {
    "interview-16k.wav": (16_000, 1, ("WAV", "PCM_16"), True),
    "interview-48k.wav": (48_000, 1, ("WAV", "PCM_16"), True),
    "interview-48k-stereo.wav": (48_000, 2, ("WAV", "PCM_16"), False),
    "interview.flac": (44_100, 1, ("FLAC", "PCM_16"), True),
    "interview.mp3": (44_100, 1, ("MP3", "MPEG_LAYER_III"), False),
    "interview.m4a": (44_100, 1, "m4a", False),
    "interview.ogg": (22_050, 1, ("OGG", "VORBIS"), False),
    "interview.opus": (48_000, 1, ("OGG", "OPUS"), False),
}


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, np.ndarray]]:
    """Each import format, made from speech; with the samples it was made from."""
    folder = tmp_path_factory.mktemp("audio-files")
    made = {}
    for name, (rate, channels, kind, _exact) in FORMATS.items():
        samples = _speech(rate, channels, folder)
        path = folder / name
        if kind == "m4a":
            _write_m4a(path, samples, rate)
        else:
            soundfile.write(path, samples, rate, format=kind[0], subtype=kind[1])
        made[name] = (path, samples)
    return made


@pytest.mark.parametrize("name", list(FORMATS))
def test_import_each_format(
    service: StoreService, encounter_id: str, audio_files, name: str
) -> None:
    path, source = audio_files[name]
    rate, _channels, _kind, exact = FORMATS[name]
    progress: list[float] = []
    record = service.recordings.import_file(encounter_id, path, progress=progress.append)
    assert (record.status, record.source, record.original_name) == ("imported", "import", name)
    assert record.sample_rate == (48_000 if name.endswith(".opus") else rate)
    assert record.channels == 1
    assert record.duration_seconds == pytest.approx(len(source) / rate, abs=0.05)
    assert progress[-1] == 1.0
    stored = audio(service, record.id)
    assert len(stored) == round(record.duration_seconds * record.sample_rate)
    if exact:
        assert np.array_equal(stored, source)
    elif source.ndim == 2:  # downmixed: the mean of the two channels
        mean = source.astype(np.int32).mean(axis=1)
        assert np.abs(stored.astype(np.int32) - mean).max() <= 1
    assert actions(service, "recording_imported") == [record.id]
    assert [r.id for r in service.recordings.list(encounter_id)] == [record.id]


def test_import_reports_progress_up_to_one(service: StoreService, encounter_id: str, tmp_path):
    path = tmp_path / "long.wav"
    soundfile.write(path, speech_like(25.0, RATE, seed=5), RATE, subtype="PCM_16")
    progress: list[float] = []
    service.recordings.import_file(encounter_id, path, progress=progress.append)
    assert len(progress) >= 3
    assert progress == sorted(progress)
    assert all(0.0 < p <= 1.0 for p in progress)
    assert progress[-1] == 1.0


def _bad_files(folder: Path, audio_files) -> dict[str, Path]:
    wav = audio_files["interview-16k.wav"][0].read_bytes()
    mp3 = audio_files["interview.mp3"][0].read_bytes()
    rng = np.random.default_rng(7)
    contents = {
        "notes.txt": b"Visit notes: Lara and the bairns, Tuesday.\n" * 40,
        "empty.wav": b"",
        "cut-short.wav": wav[: len(wav) // 2],  # an interrupted copy
        "cut-short.mp3": mp3[: len(mp3) // 2 + 7],  # ... cut in the middle of a frame
        "header-only.wav": wav[:44],
        "garbage-after-header.mp3": mp3[:400] + rng.bytes(len(mp3) - 400),
        "photo.jpg": bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb0043")
        + rng.bytes(3000)
        + b"\xff\xd9",
    }
    paths = {}
    for name, data in contents.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    (folder / "a-folder.wav").mkdir()
    paths["a-folder.wav"] = folder / "a-folder.wav"
    paths["missing.wav"] = folder / "missing.wav"
    return paths


BAD = [
    "notes.txt",
    "empty.wav",
    "cut-short.wav",
    "cut-short.mp3",
    "header-only.wav",
    "garbage-after-header.mp3",
    "photo.jpg",
    "a-folder.wav",
    "missing.wav",
]


@pytest.mark.parametrize("name", BAD)
def test_import_refuses_what_is_not_whole_audio(
    service: StoreService, encounter_id: str, audio_files, tmp_path: Path, name: str
) -> None:
    path = _bad_files(tmp_path, audio_files)[name]
    with pytest.raises(InvalidInput) as caught:
        service.recordings.import_file(encounter_id, path)
    message = caught.value.message
    assert name in message  # says which file
    assert "\n" not in message and "Traceback" not in message
    assert service.recordings.count() == 0
    assert actions(service, "recording_imported") == []


def test_import_into_a_missing_session(service: StoreService, audio_files) -> None:
    with pytest.raises(NotFound):
        service.recordings.import_file("nope", audio_files["interview.flac"][0])
    assert service.recordings.count() == 0


def test_cancelling_an_import_stores_nothing(
    service: StoreService, encounter_id: str, audio_files
) -> None:
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 20  # well into the file

    path, _ = audio_files["interview-48k.wav"]
    with pytest.raises(Cancelled, match="cancelled"):
        service.recordings.import_file(encounter_id, path, cancelled=cancelled)
    assert len(asked) == 21
    assert service.recordings.count() == 0
    assert actions(service, "recording_imported") == []
    with service._session() as session:
        assert session.scalars(select(AudioChunk)).all() == []


MEMORY_SCRIPT = """
import json, os, sys
from pathlib import Path
from relations_desktop.core.services import StoreService

def status(key):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(key))

service = StoreService.open(Path(sys.argv[1]), os.environ["RELATIONS_PASSPHRASE"])
encounter = service.add_encounter("home-visit", "A long interview")
service.recordings.import_file(encounter.id, Path(sys.argv[3]))  # warm up
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # reset the peak (VmHWM) to the current size
before = status("VmHWM")
record = service.recordings.import_file(encounter.id, Path(sys.argv[2]))
peak = status("VmHWM")
print(json.dumps({"growth_kib": peak - before, "seconds": record.duration_seconds}))
service.close()
"""


@pytest.mark.slow
def test_import_runs_in_constant_memory(
    service: StoreService, store_dir: Path, passphrase: str, audio_files, tmp_path: Path
) -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pytest.skip("needs Linux's /proc/self/clear_refs to measure the peak")
    service.close()
    minutes = 30
    path = tmp_path / "half-hour.wav"  # 48 kHz mono: 173 MB
    rng = np.random.default_rng(8)
    with soundfile.SoundFile(path, "w", 48_000, 1, subtype="PCM_16") as out:
        for _ in range(minutes * 6):
            out.write(rng.integers(-48, 48, 480_000, dtype=np.int16))
    size_mib = path.stat().st_size / 2**20
    env = {**os.environ, "RELATIONS_PASSPHRASE": passphrase, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MEMORY_SCRIPT,
            str(store_dir),
            str(path),
            str(audio_files["interview.flac"][0]),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["seconds"] == minutes * 60
    growth_mib = result["growth_kib"] / 1024
    assert growth_mib < 40, f"peak memory grew {growth_mib:.0f} MiB for a {size_mib:.0f} MiB file"
    assert growth_mib < size_mib / 4


# -------------------------------------------------------------------- export
@pytest.fixture
def recorded(service: StoreService, encounter_id: str, backend: FakeBackend) -> str:
    start(service, encounter_id, backend)
    backend.stream.feed(speech_like(2.3, RATE, seed=9))
    service.recordings.stop()
    return service.recordings.list(encounter_id)[0].id


@pytest.mark.parametrize("suffix", ["flac", "wav"])
def test_export_round_trips_bit_exactly(
    service: StoreService, recorded: str, tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / "out" / f"export.{suffix}"
    target.parent.mkdir()
    frames = service.recordings.export_file(recorded, target)
    stored = audio(service, recorded)
    assert frames == len(stored) == round(2.3 * RATE)
    written, rate = soundfile.read(target, dtype="int16")
    assert rate == RATE
    assert np.array_equal(written, stored)
    assert soundfile.info(target).format == suffix.upper()
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no .part left
    events = [e for e in service.audit_events() if e.action == "recording_exported"]
    assert [(e.target_id, e.detail["path"], e.detail["unencrypted"]) for e in events] == [
        (recorded, str(target), True)
    ]


def test_export_with_an_explicit_format(
    service: StoreService, recorded: str, tmp_path: Path
) -> None:
    target = tmp_path / "for-the-transcriber"
    service.recordings.export_file(recorded, target, "wav")
    assert soundfile.info(target).format == "WAV"


def test_export_to_a_missing_folder_fails_cleanly(
    service: StoreService, recorded: str, tmp_path: Path
) -> None:
    target = tmp_path / "no-such-folder" / "export.flac"
    with pytest.raises(RelationsError):
        service.recordings.export_file(recorded, target)
    assert not target.parent.exists()
    assert actions(service, "recording_exported") == []


def test_export_failing_midway_leaves_no_partial_file(
    service: StoreService, recorded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = service.recordings.samples

    def failing(recording_id: str, start_seconds: float = 0.0) -> Iterator[np.ndarray]:
        blocks = real(recording_id, start_seconds)
        yield next(blocks)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(service.recordings, "samples", failing)
    target = tmp_path / "out" / "export.wav"
    target.parent.mkdir()
    with pytest.raises(RelationsError, match="No space left"):
        service.recordings.export_file(recorded, target)
    assert list(target.parent.iterdir()) == []
    assert actions(service, "recording_exported") == []


@pytest.mark.parametrize("name", ["export.mp3", "export", "export.part"])
def test_export_refuses_an_unknown_format(
    service: StoreService, recorded: str, tmp_path: Path, name: str
) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(InvalidInput, match=r"\.flac or \.wav"):
        service.recordings.export_file(recorded, tmp_path / "out" / name)
    assert list((tmp_path / "out").iterdir()) == []


def test_export_onto_a_folder_is_refused(
    service: StoreService, recorded: str, tmp_path: Path
) -> None:
    (tmp_path / "out.wav").mkdir()
    with pytest.raises(InvalidInput, match="folder"):
        service.recordings.export_file(recorded, tmp_path / "out.wav")


def test_unknown_recording(service: StoreService, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        service.recordings.get("nope")
    with pytest.raises(NotFound):
        service.recordings.export_file("nope", tmp_path / "x.wav")


# ----------------------------------------------------------------- plaintext
def _windows(data: bytes, size: int = 64, step: int = 1009) -> list[bytes]:
    """Distinctive windows of ``data`` (never a run of silence, which any file may hold)."""
    found = []
    for start in range(0, len(data) - size, step):
        window = data[start : start + size]
        if len(set(window)) >= 24:
            found.append(window)
    return found


def test_no_plaintext_audio_on_disk(
    service: StoreService,
    store_dir: Path,
    encounter_id: str,
    backend: FakeBackend,
    audio_files,
) -> None:
    recorded = speech_like(4.0, RATE, seed=10)
    active = start(service, encounter_id, backend)
    backend.stream.feed(recorded)
    service.recordings.stop()
    source_path, source = audio_files["interview-16k.wav"]
    service.recordings.import_file(encounter_id, source_path)
    with service._session() as session:
        first_flac = session.scalar(
            select(AudioChunk.data).where(
                AudioChunk.recording_id == active.recording_id, AudioChunk.seq == 0
            )
        )
    assert first_flac is not None and first_flac[:4] == b"fLaC"

    needles = _windows(recorded.tobytes()) + _windows(source.tobytes())
    needles += [first_flac, first_flac[len(first_flac) // 2 : len(first_flac) // 2 + 64]]
    assert len(needles) > 100
    # The search finds what is there: the imported file itself holds its windows.
    assert all(w in source_path.read_bytes() for w in _windows(source.tobytes())[:20])

    def assert_no_plaintext() -> None:
        names = {p.name for p in store_dir.iterdir()}
        assert names <= {"store.db", "store.db-wal", "store.db-shm", "vault.json", "store.lock"}
        for path in store_dir.iterdir():
            data = path.read_bytes()
            leaked = [w for w in needles if w in data]
            assert not leaked, f"{path.name} holds {len(leaked)} pieces of plain audio"

    assert (store_dir / "store.db-wal").exists()
    assert_no_plaintext()  # with the write-ahead log still full
    service.close()
    assert_no_plaintext()  # and once checkpointed
