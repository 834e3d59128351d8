"""Fixtures for the core tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.real_tools import real_tool


@dataclass(frozen=True)
class AgeKey:
    identity_file: Path
    identity_text: str
    recipient: str


def _age_keygen(folder: Path, name: str) -> AgeKey:
    real_tool("age-keygen", "age")
    identity_file = folder / name
    subprocess.run(["age-keygen", "-o", str(identity_file)], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(identity_file)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return AgeKey(identity_file, identity_file.read_text(), recipient)


@pytest.fixture(scope="session")
def age_key(tmp_path_factory: pytest.TempPathFactory) -> AgeKey:
    """A team recovery key pair made by the real `age-keygen`."""
    return _age_keygen(tmp_path_factory.mktemp("age"), "team-recovery.txt")


@pytest.fixture(scope="session")
def other_age_key(tmp_path_factory: pytest.TempPathFactory) -> AgeKey:
    return _age_keygen(tmp_path_factory.mktemp("age-other"), "someone-else.txt")
