"""Known speech for the transcription tests: espeak-ng sentences, silence, and a WER.

``espeak-ng -v en-gb -s 150`` speaks each sentence; ``sox`` makes it mono at 16 or
48 kHz. Files are made once per test session (``tmp_path_factory``) and reused.
A test module makes its fixture from the session's one maker::

    @pytest.fixture(scope="session")
    def speech(tmp_path_factory: pytest.TempPathFactory) -> SpeechMaker:
        return speech_maker(tmp_path_factory)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import jiwer
import pytest

PROGRAMS = ("espeak-ng", "sox")
VOICE = "en-gb"
WORDS_PER_MINUTE = 150

# Plain sentences in the spirit of the study, with no numbers or names, so that a
# transcript can be compared word for word (Whisper would write "9" for "nine").
SENTENCES = (
    "The health visitor came round on Tuesday morning to see the baby.",
    "The children go to the nursery every morning while I am at work.",
    "I pick up my prescription from the pharmacy every day after breakfast.",
    "The family support worker helps us with the school holidays.",
    "The social worker asked who looks after the children at the weekend.",
    "My mother helps with the shopping when the money runs out.",
    "The doctor changed the dose last month and I feel a lot better now.",
    "I told the nurse that I had not slept well for a week.",
)
# One distinctive word of each sentence, to check where the model places it in time.
KEY_WORDS = (
    "visitor",
    "nursery",
    "prescription",
    "support",
    "weekend",
    "shopping",
    "doctor",
    "nurse",
)


def normalise(text: str) -> str:
    """Lower case, punctuation gone (apostrophes inside words kept), single spaces."""
    text = re.sub(r"[^\w\s']", " ", text.lower())
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)
    return " ".join(text.split())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after normalisation (an empty hypothesis of speech scores 1.0)."""
    if not normalise(reference):
        raise ValueError("the reference has no words")
    if not normalise(hypothesis):
        return 1.0
    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


@dataclass(frozen=True)
class Clip:
    path: Path
    text: str  # what is said ("" for silence)
    seconds: float
    rate: int
    spans: tuple[tuple[float, float], ...] = ()  # where each sentence lies, in seconds


def _run(args: list[str]) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _seconds(path: Path) -> float:
    return float(_run(["soxi", "-D", str(path)]).strip())


class SpeechMaker:
    """Makes (and remembers) the test audio in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[str, Clip] = {}

    def sentence(self, index: int, rate: int = 16000) -> Clip:
        """One of :data:`SENTENCES`, spoken, mono 16-bit at ``rate``."""
        name = f"sentence{index}-{rate}.wav"
        if name not in self._made:
            text = SENTENCES[index]
            raw = self.folder / f"sentence{index}-espeak.wav"
            if not raw.exists():
                _run(["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(raw), text])
            out = self.folder / name
            _run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out)])
            seconds = _seconds(out)
            self._made[name] = Clip(out, text, seconds, rate, ((0.0, seconds),))
        return self._made[name]

    def passage(
        self, indices: tuple[int, ...], rate: int = 16000, pause: float = 0.6, name: str = ""
    ) -> Clip:
        """Several sentences in a row with ``pause`` seconds of silence between them."""
        name = name or "passage-" + "-".join(map(str, indices)) + f"-{rate}.wav"
        if name not in self._made:
            gap = self.silence(pause, rate)
            parts: list[str] = []
            spans: list[tuple[float, float]] = []
            at = 0.0
            for i, index in enumerate(indices):
                if i:
                    parts.append(str(gap.path))
                    at += gap.seconds
                clip = self.sentence(index, rate)
                parts.append(str(clip.path))
                spans.append((at, at + clip.seconds))
                at += clip.seconds
            out = self.folder / name
            _run(["sox", *parts, str(out)])
            text = " ".join(SENTENCES[i] for i in indices)
            self._made[name] = Clip(out, text, _seconds(out), rate, tuple(spans))
        return self._made[name]

    def silence(self, seconds: float, rate: int = 16000) -> Clip:
        """Digital silence, mono 16-bit."""
        name = f"silence-{seconds:g}-{rate}.wav"
        if name not in self._made:
            out = self.folder / name
            _run(
                ["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(out),
                 "trim", "0", f"{seconds:g}"]
            )  # fmt: skip
            self._made[name] = Clip(out, "", _seconds(out), rate)
        return self._made[name]


_MAKERS: dict[Path, SpeechMaker] = {}


def speech_maker(tmp_path_factory: pytest.TempPathFactory) -> SpeechMaker:
    """The session's speech maker (one folder, shared by every module); skips only
    when espeak-ng or sox is missing."""
    missing = [p for p in (*PROGRAMS, "soxi") if shutil.which(p) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (Debian packages espeak-ng, sox)")
    base = tmp_path_factory.getbasetemp()
    if base not in _MAKERS:
        _MAKERS[base] = SpeechMaker(tmp_path_factory.mktemp("speech"))
    return _MAKERS[base]
