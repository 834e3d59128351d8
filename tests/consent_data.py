"""Consent given straight through the core, for tests that need people to have agreed."""

from __future__ import annotations

from relations_desktop.core.consent.certificate import Signature
from relations_desktop.core.services import StoreService

ADULT_REQUIRED = ("information-sheet", "voluntary", "confidentiality-limits", "take-part")
SIGNATURE = Signature(400, 150, (((10.0, 100.0), (80.0, 40.0), (160.0, 110.0), (300.0, 60.0)),))


def adult_answers(**optional: bool) -> dict[str, bool]:
    """Every required item yes; optional items as given (by their ids with _ for -)."""
    answers = dict.fromkeys(ADULT_REQUIRED, True)
    answers.update({key.replace("_", "-"): value for key, value in optional.items()})
    return answers


def give_adult_consent(
    service: StoreService, participant_id: str, *, audio: bool = True, quotes: bool = True
) -> str:
    record = service.consent.record(
        participant_id,
        "adult-participant",
        adult_answers(audio_recording=audio, anonymised_quotes=quotes, archiving=True),
        "signed",
        signature=SIGNATURE,
    )
    return record.id


def give_child_consent(service: StoreService, child_id: str, *, parent_id: str) -> None:
    """A parent's consent and the child's own assent, both agreeing to recording."""
    service.consent.record(
        child_id,
        "parent-for-child",
        {
            "information-sheet": True,
            "voluntary": True,
            "take-part": True,
            "observation-of-children": True,
            "audio-recording": True,
            "anonymised-quotes": True,
            "archiving": True,
        },
        "signed",
        signature=SIGNATURE,
        party="parent",
        given_by=parent_id,
    )
    service.consent.record(
        child_id,
        "child-assent",
        {"understood": True, "take-part": True, "audio-recording": True},
        "signed",
        signature=SIGNATURE,
        party="assent",
    )
