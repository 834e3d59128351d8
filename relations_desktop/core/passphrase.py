"""Feedback on passphrase strength (zxcvbn), for the create and change dialogs."""

from __future__ import annotations

from dataclasses import dataclass

from zxcvbn import zxcvbn

MIN_ACCEPTED_SCORE = 2
LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")


@dataclass(frozen=True)
class Strength:
    score: int  # 0 (very weak) to 4 (very strong)
    label: str
    advice: str

    @property
    def acceptable(self) -> bool:
        return self.score >= MIN_ACCEPTED_SCORE


def assess(passphrase: str) -> Strength:
    if not passphrase:
        return Strength(0, LABELS[0], "Type a passphrase: several unrelated words work well.")
    # zxcvbn is slow on very long inputs and gains nothing past ~100 characters.
    result = zxcvbn(passphrase[:100])
    score = int(result["score"])
    feedback = result.get("feedback") or {}
    advice = feedback.get("warning") or " ".join(feedback.get("suggestions") or [])
    if not advice and score < MIN_ACCEPTED_SCORE:
        advice = "Add more words or make it longer."
    return Strength(score, LABELS[score], str(advice))
