"""Team → Inbox (``ui/views/inbox.py``): the bundle files in the team folder, found and
hashed on the task runner, and how their table shows them; opening one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget

from relations_desktop.core.bundle_io import VerifyResult
from relations_desktop.core.bundle_merge import MergeSummary
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import format_bytes
from relations_desktop.ui.views.inbox_conflicts import short_time
from relations_desktop.ui.widgets.record_table import Column

OpenChooser = Callable[[QWidget], str | None]


@dataclass(frozen=True)
class BundleFile:
    path: str
    size: int
    modified: float
    sha256: str
    opened: bool  # a file with this SHA-256 was opened here


@dataclass(frozen=True)
class FileRow:
    file: BundleFile
    state: str  # New, Opened, Refused: …, Opening…, Waiting…


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def scan_folder(
    service: StoreService, folder: str, known: dict[tuple[str, int, float], str]
) -> list[BundleFile]:
    """(runs on the task runner) The ``*.age`` files in the folder, hashed (``known``:
    hashes from earlier scans, by path, size and time)."""
    opened = service.bundles.opened_file_hashes()
    found = []
    base = Path(folder)
    if not base.is_dir():
        return []
    for path in sorted(base.glob("*.age")):
        if path.name.startswith(".") or not path.is_file():
            continue  # a transfer still under way is a dot file
        try:
            stat = path.stat()
            key = (str(path), stat.st_size, stat.st_mtime)
            sha = known.get(key) or file_hash(path)
        except OSError:
            continue  # gone meanwhile
        known[key] = sha
        found.append(BundleFile(str(path), stat.st_size, stat.st_mtime, sha, sha in opened))
    return found


def open_bundle(
    service: StoreService,
    path: str,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> tuple[VerifyResult, MergeSummary]:
    """(runs on the task runner) Check the bundle and merge it; ``progress`` gets the
    share of the file read, ``cancelled`` stops it (``Cancelled``, nothing merged)."""
    return service.bundles.open(Path(path), progress, cancelled)


FILE_COLUMNS: list[Column[FileRow]] = [
    Column("File", lambda r: Path(r.file.path).name),
    Column("Size", lambda r: format_bytes(r.file.size), align_right=True),
    Column("Arrived", lambda r: short_time(datetime.fromtimestamp(r.file.modified, UTC))),
    Column("State", lambda r: r.state),
]


def choose_bundle(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(
        parent, "Open a bundle", "", "Relations bundle (*.age);;All files (*)"
    )
    return path or None


def choose_inbox_folder(parent: QWidget) -> str | None:
    return QFileDialog.getExistingDirectory(parent, "Choose the team folder") or None


def make_button(
    parent: QWidget, text: str, name: str, tip: str, slot: Callable[[], None]
) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button
