"""Shared fixtures. Qt runs offscreen; every store lives in a pytest tmp folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from relations_desktop.core.services import StoreService

PASSPHRASE = "kitchen table methadone bairns"


@pytest.fixture
def passphrase() -> str:
    return PASSPHRASE


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def service(store_dir: Path) -> Iterator[StoreService]:
    """A freshly created, unlocked store, closed after the test."""
    svc = StoreService.create(store_dir, PASSPHRASE, researcher_name="Test Researcher")
    try:
        yield svc
    finally:
        svc.close()
