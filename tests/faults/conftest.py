"""Fixtures of the fault-injection suite (see README.md in this folder).

Every test collected under ``tests/faults`` gets the ``faults`` marker, so the suite can
be run alone (``pytest -m faults``) or left out (``-m "not faults"``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.faults.helpers import SAMPLE_FLAC
from tests.real_tools import real_tool

FAULTS_DIR = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: fault injection (kill -9, full disk, fuzzing)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if FAULTS_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real English speech, mono 16 kHz FLAC: the app's bundled sample recording (43 s),
    or, where it is missing, two sentences made with espeak-ng and sox."""
    if SAMPLE_FLAC.is_file():
        return SAMPLE_FLAC
    folder = tmp_path_factory.mktemp("speech")
    raw, out = folder / "raw.wav", folder / "speech.flac"
    text = (
        "The health visitor came on Tuesday. We talked about the nursery and the bairns. "
        "Then the social worker phoned about the case conference next week."
    )
    subprocess.run([real_tool("espeak-ng"), "-v", "en-gb", "-w", str(raw), text], check=True)
    subprocess.run([real_tool("sox"), str(raw), "-r", "16000", "-c", "1", str(out)], check=True)
    return out
