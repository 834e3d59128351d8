"""The store's speech settings reach new jobs; --model / --language override them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.services import StoreService
from relations_desktop.core.store.models import Recording, RecordingSource, RecordingStatus
from relations_desktop.core.transcription import model_files


def a_recording(service: StoreService) -> str:
    encounter = service.add_encounter("home-visit", "Settings")
    with service._session() as session:
        recording = Recording(
            encounter_id=encounter.id,
            status=RecordingStatus.IMPORTED,
            source=RecordingSource.IMPORT,
            sample_rate=16000,
            frames=16000,
        )
        session.add(recording)
        session.flush()
        return recording.id


def test_settings_are_the_defaults_of_new_jobs(service: StoreService, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_files.default_model_dir(), copy)
    recording_id = a_recording(service)
    assert service.transcription.enqueue(recording_id).language == "en"
    service.transcription.set_model(str(copy))
    service.transcription.set_language("GD")
    job = service.transcription.enqueue(recording_id)
    assert (job.model_path, job.language) == (str(copy), "gd")
    job = service.transcription.enqueue(recording_id, model_dir="", language="en")
    assert (job.model_path, job.language) == ("", "en")


def test_bad_settings_are_refused(service: StoreService, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a CTranslate2 Whisper model folder"):
        service.transcription.set_model(str(tmp_path))
    with pytest.raises(InvalidInput, match="language code"):
        service.transcription.set_language("english please")
    assert service.transcription.model_setting() == ""
    assert service.transcription.language_setting() == "en"
