"""Test audio: synthetic speech (espeak-ng + sox), silence, tones, and comparisons.

Comparisons are numpy only. Signals are float arrays in [-1, 1]; multi-channel input is
averaged to mono.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

SPEECH_PROGRAMS = ("espeak-ng", "sox")


def missing_programs() -> list[str]:
    """Which of espeak-ng and sox are missing (Debian packages of the same names)."""
    return [p for p in SPEECH_PROGRAMS if shutil.which(p) is None]


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}")


def make_speech(
    text: str,
    path: str | os.PathLike[str],
    rate: int = 16000,
    voice: str = "en-gb",
    words_per_minute: int = 160,
    peak_dbfs: float = -3.0,
) -> Path:
    """Speak ``text`` into a mono 16-bit WAV at ``rate`` (normalised to ``peak_dbfs``)."""
    out = Path(path)
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        raw = Path(tmp) / "espeak.wav"
        _run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(raw), text])
        _run(
            ["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out),
             "gain", "-n", str(peak_dbfs)]
        )  # fmt: skip
    return out


def write_wav(path: str | os.PathLike[str], samples: np.ndarray, rate: int) -> Path:
    """Write float samples as a 16-bit PCM WAV."""
    out = Path(path)
    sf.write(out, np.clip(samples, -1.0, 1.0), rate, subtype="PCM_16")
    return out


def make_silence(path: str | os.PathLike[str], seconds: float, rate: int = 16000) -> Path:
    """Digital silence, mono 16-bit."""
    return write_wav(path, np.zeros(round(seconds * rate)), rate)


def tone(
    seconds: float, freq: float = 1000.0, rate: int = 16000, amplitude: float = 0.5
) -> np.ndarray:
    """A sine as a float array (10 ms fades, so no clicks)."""
    t = np.arange(round(seconds * rate)) / rate
    x = amplitude * np.sin(2 * np.pi * freq * t)
    fade = min(len(x) // 2, round(0.01 * rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        x[:fade] *= ramp
        x[-fade:] *= ramp[::-1]
    return x


def make_tone(
    path: str | os.PathLike[str],
    seconds: float,
    freq: float = 1000.0,
    rate: int = 16000,
    amplitude: float = 0.5,
) -> Path:
    """A sine tone, mono 16-bit."""
    return write_wav(path, tone(seconds, freq, rate, amplitude), rate)


def concat_wavs(paths: list[str | os.PathLike[str]], out: str | os.PathLike[str]) -> Path:
    """Join WAVs of the same rate into one (e.g. speech, silence, speech)."""
    parts = [read_mono(p) for p in paths]
    rates = {r for _, r in parts}
    if len(rates) != 1:
        raise ValueError(f"different rates: {sorted(rates)}")
    return write_wav(out, np.concatenate([x for x, _ in parts]), rates.pop())


def read_mono(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """(float64 mono samples, rate) of an audio file."""
    data, rate = sf.read(os.fspath(path), dtype="float64", always_2d=True)
    return data.mean(axis=1), int(rate)


def as_mono_float(x: np.ndarray) -> np.ndarray:
    """Float64 mono from float or int16/int32 arrays, 1-D or (frames, channels)."""
    a = np.asarray(x)
    if a.dtype.kind in "iu":
        a = a.astype(np.float64) / float(np.iinfo(a.dtype).max + 1)
    else:
        a = a.astype(np.float64)
    if a.ndim == 2:
        a = a.mean(axis=1)
    return a


def resample(x: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Band-limited resampling by FFT (whole signal; fine for test clips)."""
    x = as_mono_float(x)
    if from_rate == to_rate or len(x) == 0:
        return x
    n_out = round(len(x) * to_rate / from_rate)
    spectrum = np.fft.rfft(x)
    out = np.zeros(n_out // 2 + 1, dtype=complex)
    keep = min(len(spectrum), len(out))
    out[:keep] = spectrum[:keep]
    return np.fft.irfft(out, n_out) * (n_out / len(x))


def rms_dbfs(x: np.ndarray) -> float:
    """RMS level in dBFS (a full-scale sine is -3 dBFS); silence gives -200."""
    a = as_mono_float(x)
    if len(a) == 0:
        return -200.0
    rms = float(np.sqrt(np.mean(a * a)))
    return 20.0 * float(np.log10(max(rms, 1e-10)))


def frame_levels_dbfs(x: np.ndarray, rate: int, frame_seconds: float = 0.05) -> np.ndarray:
    """RMS level of consecutive frames, in dBFS."""
    a = as_mono_float(x)
    n = max(1, round(frame_seconds * rate))
    frames = len(a) // n
    if frames == 0:
        return np.array([rms_dbfs(a)])
    blocks = a[: frames * n].reshape(frames, n)
    rms = np.sqrt(np.mean(blocks * blocks, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-10))


def cross_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised correlation of two aligned signals (over the shorter length), -1..1."""
    x = as_mono_float(a)
    y = as_mono_float(b)
    n = min(len(x), len(y))
    x = x[:n] - x[:n].mean()
    y = y[:n] - y[:n].mean()
    denom = float(np.sqrt(np.dot(x, x) * np.dot(y, y)))
    return float(np.dot(x, y) / denom) if denom > 0 else 0.0


@dataclass(frozen=True)
class LagMatch:
    """Where the reference best matches the recording."""

    correlation: float  # normalised, -1..1, over the overlap
    lag: int  # recorded[lag + t] ~ reference[t] (samples at the recording's rate)
    rate: int

    @property
    def lag_seconds(self) -> float:
        return self.lag / self.rate


def best_lag_correlation(
    recorded: np.ndarray,
    reference: np.ndarray,
    recorded_rate: int = 16000,
    reference_rate: int | None = None,
    max_lag_seconds: float = 2.0,
    min_overlap: float = 0.5,
) -> LagMatch:
    """Best normalised cross-correlation of ``reference`` inside ``recorded``.

    The reference is resampled to ``recorded_rate`` if its rate differs. Lags from
    ``-max_lag_seconds`` to ``+max_lag_seconds`` are searched (positive: the reference
    starts that late in the recording); each lag is normalised by the energy of both
    signals over the overlap, which must cover ``min_overlap`` of the shorter signal.
    """
    rec = as_mono_float(recorded)
    ref = as_mono_float(reference)
    if reference_rate is not None and reference_rate != recorded_rate:
        ref = resample(ref, reference_rate, recorded_rate)
    rec = rec - rec.mean()
    ref = ref - ref.mean()
    n_rec, n_ref = len(rec), len(ref)
    if n_rec == 0 or n_ref == 0:
        return LagMatch(0.0, 0, recorded_rate)
    size = 1 << int(np.ceil(np.log2(n_rec + n_ref - 1)))
    full = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    max_lag = round(max_lag_seconds * recorded_rate)
    lags = np.arange(-min(max_lag, n_ref - 1), min(max_lag, n_rec - 1) + 1)
    raw = full[lags % size]  # negative lags wrap around
    # Overlap for lag k: reference t in [lo, hi), recording t + k.
    lo = np.maximum(0, -lags)
    hi = np.minimum(n_ref, n_rec - lags)
    ref_energy = np.concatenate(([0.0], np.cumsum(ref * ref)))
    rec_energy = np.concatenate(([0.0], np.cumsum(rec * rec)))
    e_ref = ref_energy[hi] - ref_energy[lo]
    e_rec = rec_energy[hi + lags] - rec_energy[lo + lags]
    denom = np.sqrt(np.maximum(e_ref, 0) * np.maximum(e_rec, 0))
    enough = (hi - lo) >= min_overlap * min(n_rec, n_ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where((denom > 1e-12) & enough, raw / denom, 0.0)
    best = int(np.argmax(corr))
    return LagMatch(float(corr[best]), int(lags[best]), recorded_rate)


def dominant_frequency(x: np.ndarray, rate: int) -> float:
    """Frequency (Hz) of the strongest spectral peak (Hann window)."""
    a = as_mono_float(x)
    a = a - a.mean()
    spectrum = np.abs(np.fft.rfft(a * np.hanning(len(a))))
    return float(np.fft.rfftfreq(len(a), 1.0 / rate)[int(np.argmax(spectrum))])
