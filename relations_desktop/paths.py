"""Where things live on this computer (shared by the GUI and the CLI)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

STORE_ENV = "RELATIONS_STORE"


def default_store_dir() -> Path:
    """``$RELATIONS_STORE``, else the platform's user data folder (e.g. ~/.local/share)."""
    override = os.environ.get(STORE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(user_data_dir("relations-desktop", appauthor=False)) / "store"
