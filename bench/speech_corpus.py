"""Deterministic interview-like speech for the transcription benchmark (issue 4).

    .venv/bin/python -m bench.speech_corpus [--out DIR]     # statistics; WAVs if --out

Two ``espeak-ng`` voices take turns as in a home-visit interview: a researcher
(``en-gb+f2``) asks, a mother (``en-gb-scotland``, slower) answers in one to three
sentences. Between turns there are pauses of 0.5–4 s and, now and then, a longer silence
(8–15 s: the kettle, a child at the door). The mix is 48 kHz mono, as the recorder
stores it, with a white noise floor at −60 dBFS RMS; the researcher is 4 dB quieter
than the mother (further from the recorder). Every choice comes from a seeded random
generator, ``espeak-ng`` is deterministic and ``sox`` runs with ``-R`` (its dither is
seeded from the clock otherwise, and a −90 dB difference is enough to change a word the
model writes), so the same seed gives the same samples. Other seeds give other
interviews (the same sentences, in another order, with other pauses).

Also a glossary-heavy set of sentences (one voice per sentence, alternating, 1.5 s
apart) and the glossary of the study's words, for the glossary word error rate, and
:func:`normalise`, the text normalisation used for every word error rate (lower case,
hyphens and slashes as spaces, apostrophes dropped, no other punctuation).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.speech import read_mono, write_wav  # noqa: E402

RATE = 48_000
NOISE_DBFS = -60.0
INTERVIEWER = ("en-gb+f2", 165, -10.0)  # voice, words per minute, peak dBFS
MOTHER = ("en-gb-scotland", 150, -6.0)

QUESTIONS = [
    "Thanks for having me again. How have things been since the last visit?",
    "Can you tell me a bit about a normal morning with the children?",
    "How did the health visitor come to be involved?",
    "What was the first home visit like for you?",
    "Who helps you out when things get hard?",
    "How do you get on with the staff at the pharmacy?",
    "Do you pick up your methadone every day, or do you get take homes now?",
    "What did the nursery say when you told them about the treatment?",
    "How did you feel about the social worker coming round?",
    "Was there a point where you thought the children might be taken into care?",
    "What does your mum think about all of this?",
    "Can you say more about what kinship care has meant for your family?",
    "What would you want other parents in your position to know?",
    "How do you manage the clinic appointments with the school run?",
    "Did anyone explain what the case conference was for?",
    "What happened at the last review meeting?",
    "Is there anything the services could have done differently?",
    "How are the children getting on at the moment?",
    "You mentioned your partner earlier. Is he still around?",
    "How do you keep yourself going on the bad days?",
    "What does a good day look like for you now?",
    "Who else is involved with the family at the moment?",
    "When did you first start on the script?",
    "How did you find the support group at the family centre?",
    "Did the midwife know about your drug use when you were pregnant?",
    "What was it like when the baby was in the special care unit?",
    "Do you feel the professionals listen to you?",
    "How do the children talk about the time they spent with your sister?",
    "Is there anything you would like to add before we stop?",
    "Shall we take a wee break there?",
    "How has the lockdown changed things for you and the kids?",
    "What does the family support worker do with you each week?",
    "Have you told the children anything about your treatment?",
    "How did the move to the new flat go?",
    "What are you hoping for over the next year?",
]

ANSWERS = [
    "It has been up and down, to be honest, but mostly better than before.",
    "I get them up, get them dressed, and we walk to the nursery together.",
    "The wee one is not a morning person, so it takes a while.",
    "The health visitor came after the baby was born, that is just what happens.",
    "She was nice enough, but I was terrified the whole time she was in the house.",
    "I kept thinking she was looking at the kitchen and the state of the place.",
    "My mum is the one who helps, she has them most weekends.",
    "My sister took the two older ones for a while, that was kinship care.",
    "The pharmacy staff are fine now, but at first they made me wait at the back.",
    "I pick up my methadone every morning before I take the kids to school.",
    "I am on a daily pick up, so I cannot really go away anywhere.",
    "The nursery were good about it, they never made a fuss.",
    "The social worker was new, and she did not know our history at all.",
    "Every time there is a new worker you have to tell your whole story again.",
    "I did think they would take the baby, I really did.",
    "My mum does not say much, but I know she worries about the bairns.",
    "She has been there for us, even when I was at my worst.",
    "Having my sister take them meant they stayed in the family, and that mattered.",
    "I would say ask for help early, before it gets on top of you.",
    "The clinic is on the other side of town, so it is two buses.",
    "Sometimes I have to choose between the appointment and picking them up.",
    "Nobody told me what the case conference was, I just got a letter.",
    "There were about ten people round a table, all talking about me.",
    "At the review they said things were improving, which was a relief.",
    "They could have asked me what I needed instead of telling me.",
    "The children are doing well, the oldest loves her school.",
    "The middle one is quieter, he keeps things to himself.",
    "He is not around anymore, and that has made things easier.",
    "On the bad days I just focus on getting through until bedtime.",
    "A good day is when we go to the park and nobody is checking up on me.",
    "There is the health visitor, the social worker, and the family support worker.",
    "I started on the script about four years ago, after my second was born.",
    "The support group was the first place I did not feel judged.",
    "The other mums there had been through the same things.",
    "The midwife knew, I told her at the first appointment.",
    "The baby was in special care for a week with withdrawal, that was awful.",
    "I sat by the cot every day, I did not want to leave him.",
    "Some of them listen, some of them have made up their mind already.",
    "They talk about their auntie's house like it was a holiday.",
    "I think that is all, thanks for listening to me.",
    "Aye, a break would be good, I will put the kettle on.",
    "Lockdown was hard, the clinic closed and everything was on the phone.",
    "The family support worker helps with forms and takes us out sometimes.",
    "I have told the oldest that I take medicine to keep me well.",
    "The new flat is better, it is closer to my mum.",
    "I want to get off the methadone slowly, when I am ready.",
    "I would like to go to college once the youngest is at school.",
    "We did not have much, but the kids never went without.",
    "The school has been really supportive, the head teacher is lovely.",
    "I used to hide things, now I try to be honest with everyone.",
    "My partner was using as well, so it was hard to stop.",
    "When the letter came from the children's panel I just cried.",
    "The drug worker at the clinic has known me for years.",
    "I keep the naloxone kit in the cupboard, just in case.",
    "The children go to bed at seven, and then I have a bit of time to myself.",
    "My dad was not around when I was growing up.",
    "Money is tight, but we manage, we always have.",
    "I do not want my kids to go through what I went through.",
    "The GP has been good, she checks in on me every few months.",
    "I am proud of how far we have come as a family.",
]

GLOSSARY = [
    "methadone",
    "OST",
    "buprenorphine",
    "kinship care",
    "Health Visitor",
    "bairns",
    "didnae",
    "ken",
    "naloxone",
    "Children's Hearing",
    "Social Work",
    "looked-after",
    "pharmacy script",
]

GLOSSARY_SENTENCES = [
    "I get my methadone from the pharmacy every morning.",
    "The doctor moved me from methadone to buprenorphine last spring.",
    "OST means opiate substitution therapy, that is the methadone.",
    "The Health Visitor comes round every couple of weeks to see the bairns.",
    "I didnae want Social Work involved, ken, but they came anyway.",
    "My mum has the bairns now, it is kinship care.",
    "Everyone on OST should have a naloxone kit in the house.",
    "The Children's Hearing decided the boy should stay looked-after.",
    "She had her pharmacy script picked up before the Health Visitor came.",
    "Social Work said kinship care was better than foster care.",
    "I didnae ken what a Children's Hearing was until I went to one.",
    "The bairns were looked-after by my auntie for a year.",
    "Buprenorphine is easier for me than methadone, ken.",
    "The pharmacy script has to be collected before noon.",
    "The Health Visitor asked if I was still on OST.",
    "We got naloxone training at the family centre.",
    "My sister's kinship care payment took months to come through.",
    "The Children's Hearing panel listened to the Social Work report.",
    "I didnae miss a single day of my methadone.",
    "The looked-after children review is next Tuesday.",
    "Ken, the bairns love their gran to bits.",
    "She went on buprenorphine when she found out she was pregnant.",
    "Social Work and the Health Visitor came on the same day.",
    "I keep the naloxone in the kitchen drawer, away from the bairns.",
    "The pharmacy script changed when I moved to buprenorphine.",
    "OST kept me alive, I didnae think so at the time but it did.",
    "Kinship care means the bairns stay with family, ken.",
    "The Children's Hearing was the worst day of my life.",
    "My Social Work report said I had kept to my pharmacy script.",
    "Being looked-after did not stop her seeing her mum.",
]


# ------------------------------------------------------------------- normalising
_APOSTROPHES = re.compile(r"['’`]")
_SEPARATORS = re.compile(r"[-–—/]")
_OTHER = re.compile(r"[^\w\s]")
_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_NUMBERS += ("eleven", "twelve")
# Spelling variants are not recognition errors: the model writes American spelling and
# digits, the references British spelling and words.
SPELLING = {
    "center": "centre",
    "centers": "centres",
    "mom": "mum",
    "moms": "mums",
    "program": "programme",
    "realize": "realise",
    "realized": "realised",
    "neighbor": "neighbour",
    "neighbors": "neighbours",
    "color": "colour",
    "favorite": "favourite",
    "okay": "ok",
    **dict(zip(map(str, range(13)), _NUMBERS, strict=True)),
}


def normalise(text: str) -> str:
    """Lower case, hyphens and slashes as spaces, apostrophes dropped, no punctuation.

    Then the few spelling variants of :data:`SPELLING` are mapped to one form.
    """
    text = _APOSTROPHES.sub("", text.lower())
    text = _OTHER.sub(" ", _SEPARATORS.sub(" ", text))
    return " ".join(SPELLING.get(w, w) for w in text.split())


# ---------------------------------------------------------------------- building
@dataclass
class Utterance:
    speaker: str  # "interviewer" or "mother"
    text: str
    start: float
    end: float


@dataclass
class Clip:
    name: str
    samples: np.ndarray  # float64 mono at RATE
    utterances: list[Utterance] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE

    @property
    def reference(self) -> str:
        return " ".join(u.text for u in self.utterances)

    @property
    def speech_seconds(self) -> float:
        return sum(u.end - u.start for u in self.utterances)

    @property
    def words(self) -> int:
        return len(normalise(self.reference).split())

    def write(self, path: Path) -> Path:
        return write_wav(path, self.samples, RATE)

    def stats(self) -> dict[str, object]:
        gaps = [b.start - a.end for a, b in zip(self.utterances, self.utterances[1:], strict=False)]
        return {
            "name": self.name,
            "seconds": round(self.seconds, 2),
            "speech_seconds": round(self.speech_seconds, 2),
            "utterances": len(self.utterances),
            "words": self.words,
            "pause_min_s": round(min(gaps), 2) if gaps else 0.0,
            "pause_median_s": round(float(np.median(gaps)), 2) if gaps else 0.0,
            "pause_max_s": round(max(gaps), 2) if gaps else 0.0,
            "long_silences": sum(1 for g in gaps if g >= 8.0),
        }


class Synth:
    """``espeak-ng`` + ``sox`` at 48 kHz, cached per (voice, speed, level, text)."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)

    def path(self, text: str, voice: tuple[str, int, float]) -> Path:
        key = hashlib.sha1(repr((voice, text)).encode()).hexdigest()[:16]
        return self.cache_dir / f"{key}.wav"

    def make(self, text: str, voice: tuple[str, int, float]) -> Path:
        out = self.path(text, voice)
        if not out.exists():
            name, wpm, peak = voice
            raw = out.with_suffix(".espeak.wav")
            partial = out.with_suffix(".part.wav")
            _run(["espeak-ng", "-v", name, "-s", str(wpm), "-w", str(raw), text])
            # -R: sox's dither is seeded from the clock otherwise, and noise at -90 dB
            # is enough to change what the model writes.
            _run(
                ["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(partial),
                 "gain", "-n", str(peak)]
            )  # fmt: skip
            raw.unlink()
            partial.replace(out)
        return out

    def many(self, items: list[tuple[str, tuple[str, int, float]]]) -> list[np.ndarray]:
        with ThreadPoolExecutor(max_workers=2) as pool:
            paths = list(pool.map(lambda item: self.make(*item), items))
        out = []
        for p in paths:
            samples, rate = read_mono(p)
            assert rate == RATE, (p, rate)
            out.append(_trim(samples))
        return out


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}")


def _trim(x: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    """Drop espeak's leading and trailing silence (the pauses are ours to choose)."""
    loud = np.flatnonzero(np.abs(x) > threshold)
    if len(loud) == 0:
        return x
    pad = RATE // 50
    return x[max(0, loud[0] - pad) : loud[-1] + pad]


def _noise(frames: int, seed: int) -> np.ndarray:
    rms = 10 ** (NOISE_DBFS / 20)
    return np.random.default_rng(seed).standard_normal(frames) * rms


def _mix(name: str, parts: list[tuple[str, str, np.ndarray, float]], seed: int) -> Clip:
    """``parts``: (speaker, text, samples, pause before); returns the mixed clip."""
    total = sum(round(pause * RATE) + len(x) for _, _, x, pause in parts) + RATE
    samples = _noise(total, seed)
    clip = Clip(name, samples)
    at = 0
    for speaker, text, x, pause in parts:
        at += round(pause * RATE)
        samples[at : at + len(x)] += x
        clip.utterances.append(Utterance(speaker, text, at / RATE, (at + len(x)) / RATE))
        at += len(x)
    return clip


DEFAULT_SEED = 4


def interview(seconds: float, cache_dir: Path, seed: int = DEFAULT_SEED) -> Clip:
    """An interview of about ``seconds`` (never longer), turns as described above."""
    rng = random.Random(seed)
    questions = QUESTIONS[:]
    answers = ANSWERS[:]
    rng.shuffle(questions)
    rng.shuffle(answers)
    plan: list[tuple[str, str, float]] = []  # speaker, text, pause before
    qi = ai = 0
    turn = 0
    while True:
        turn += 1
        pause = rng.uniform(0.5, 4.0)
        if turn % 7 == 0:
            pause = rng.uniform(8.0, 15.0)
        if turn % 2:
            plan.append(("interviewer", questions[qi % len(questions)], pause))
            qi += 1
        else:
            for k in range(rng.choice((1, 2, 2, 3))):
                text = answers[ai % len(answers)]
                ai += 1
                plan.append(("mother", text, pause if k == 0 else rng.uniform(0.3, 0.8)))
        if len(plan) > 400:
            break
    synth = Synth(cache_dir)
    # Speak turns until the clip is full (estimated from the text, then checked).
    chosen: list[tuple[str, str, np.ndarray, float]] = []
    used = 0.0
    batch = 8
    i = 0
    while i < len(plan):
        items = plan[i : i + batch]
        audio = synth.many(
            [(text, INTERVIEWER if who == "interviewer" else MOTHER) for who, text, _ in items]
        )
        for (who, text, pause), x in zip(items, audio, strict=True):
            need = pause + len(x) / RATE
            if used + need > seconds - 1.0:
                return _pad(_mix(_name(seconds, seed), chosen, seed), seconds)
            chosen.append((who, text, x, pause))
            used += need
        i += batch
    return _pad(_mix(_name(seconds, seed), chosen, seed), seconds)


def _name(seconds: float, seed: int) -> str:
    return f"interview-{round(seconds)}s" + ("" if seed == DEFAULT_SEED else f"-seed{seed}")


def _pad(clip: Clip, seconds: float) -> Clip:
    frames = round(seconds * RATE)
    if len(clip.samples) < frames:
        tail = _noise(frames - len(clip.samples), 99)
        clip.samples = np.concatenate([clip.samples, tail])
    clip.samples = clip.samples[:frames]
    return clip


def glossary_clip(cache_dir: Path, count: int | None = None, seed: int = 5) -> Clip:
    """The glossary-heavy sentences, voices alternating, 1.5 s apart."""
    sentences = GLOSSARY_SENTENCES[: count or len(GLOSSARY_SENTENCES)]
    voices = [MOTHER if i % 2 == 0 else INTERVIEWER for i in range(len(sentences))]
    audio = Synth(cache_dir).many(list(zip(sentences, voices, strict=True)))
    parts = [
        ("mother" if v is MOTHER else "interviewer", s, x, 1.5)
        for s, v, x in zip(sentences, voices, audio, strict=True)
    ]
    return _mix("glossary", parts, seed)


def term_occurrences(reference_words: list[str]) -> list[tuple[str, int, int]]:
    """(term, first word index, word count) of every glossary term in the reference."""
    found = []
    for term in GLOSSARY:
        words = normalise(term).split()
        n = len(words)
        for i in range(len(reference_words) - n + 1):
            if reference_words[i : i + n] == words:
                found.append((term, i, n))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write the WAVs and references here")
    parser.add_argument("--cache", type=Path, help="espeak-ng cache folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="speech-corpus-") as tmp:
        cache = args.cache or Path(tmp)
        clips = [interview(120, cache), interview(600, cache), glossary_clip(cache)]
        for clip in clips:
            print(clip.stats())
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                clip.write(args.out / f"{clip.name}.wav")
                (args.out / f"{clip.name}.txt").write_text(clip.reference + "\n")
        print("first turns:", [u.text for u in clips[0].utterances[:4]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
