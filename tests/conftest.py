"""Shared fixtures. Qt runs offscreen; every store lives in a pytest tmp folder."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _isolate_pulseaudio_clients() -> None:
    """Keep libpulse (loaded with PortAudio) from writing under HOME or /tmp, or
    autospawning a daemon, in tests that do not start the virtual microphone."""
    if "PULSE_SERVER" in os.environ:
        return
    folder = Path(tempfile.mkdtemp(prefix="relations-pulse-client-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    config = folder / "client.conf"
    config.write_text("autospawn = no\n", encoding="utf-8")
    os.environ.update(
        PULSE_RUNTIME_PATH=str(folder / "runtime"),
        PULSE_STATE_PATH=str(folder / "state"),
        PULSE_CLIENTCONFIG=str(config),
    )


_isolate_pulseaudio_clients()

from relations_desktop.core.services import StoreService  # noqa: E402 - after the env set-up

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
