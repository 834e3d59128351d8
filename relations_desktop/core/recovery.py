"""The team's recovery identity, made once by the principal investigator who starts a team.

It is an ordinary age X25519 key pair (``pyrage``). Its public half, the *recovery
recipient* (``age1…``), goes into every team store's vault (``init --recovery-recipient``
or the first-run field), so the team can open a store whose passphrase was forgotten. Its
secret half is written once, owner-only, to a file the PI chooses, in the format of
``age-keygen`` (so the plain ``age`` tool reads it too), and never into a store folder:
whoever holds that file can open every store made with its recipient, so it belongs on
paper or a USB stick kept locked away (see docs/security-model.md).
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyrage

from relations_desktop.core.errors import InvalidInput, RelationsError
from relations_desktop.core.fsutil import PRIVATE_FILE_MODE, sync_dir
from relations_desktop.core.services import StoreService, check_can_create
from relations_desktop.core.vault import parse_identities

SUGGESTED_NAME = "team-recovery-identity.txt"


@dataclass(frozen=True)
class RecoveryIdentity:
    """Where the identity was written, and its recipient (public: give it to the team).

    ``owner_only`` says whether the file system keeps other users of the computer from
    reading it (a FAT or exFAT USB stick cannot); None where that is not told by the
    file's mode bits (Windows)."""

    path: Path
    recipient: str
    owner_only: bool | None = None


def _resolved(path: Path) -> Path:
    return path.expanduser().absolute().resolve(strict=False)


def check_recovery_path(path: Path, store_dir: Path | None = None) -> Path:
    """The absolute path the identity may be written to, or :class:`InvalidInput` saying
    why not: inside the store folder, an existing file (never overwritten: it may be
    another team's identity), a folder, or a folder that does not exist."""
    if not str(path).strip() or path == Path():
        raise InvalidInput("Choose where to save the recovery identity file.")
    target = _resolved(path)
    if store_dir is not None:
        store = _resolved(store_dir)
        if target == store or store in target.parents:
            raise InvalidInput(
                f"The recovery identity must not be saved inside the store folder ({store}): "
                "it would sit beside the data it unlocks. Save it on a USB stick or "
                "in another folder, then move it off this laptop."
            )
    if target.is_dir():
        raise InvalidInput(f"{target} is a folder; choose a file name for the identity.")
    if target.exists() or target.is_symlink():
        raise InvalidInput(
            f"{target} already exists and is never overwritten (it may hold another "
            "recovery identity). Choose a new file name."
        )
    if not target.parent.is_dir():
        raise InvalidInput(f"The folder {target.parent} does not exist.")
    return target


def identity_file_text(identity: pyrage.x25519.Identity, created: datetime) -> str:
    """The file as ``age-keygen`` writes it, with a warning line; ``age -d -i`` reads it."""
    stamp = created.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return (
        "# Relations Desktop team recovery identity. Whoever holds this file can open\n"
        "# every team store made with the public key below. Keep it offline, locked away.\n"
        f"# created: {stamp}\n"
        f"# public key: {identity.to_public()}\n"
        f"{identity}\n"
    )


def create_recovery_identity(path: Path, *, store_dir: Path | None = None) -> RecoveryIdentity:
    """Make a new recovery identity, write it owner-only to ``path`` (a new file, not in
    ``store_dir``), read it back to check it, and return where it is and its recipient.

    Refused with nothing written: see :func:`check_recovery_path`. If writing fails half
    way, the partial file is removed.
    """
    target = check_recovery_path(path, store_dir)
    identity = pyrage.x25519.Identity.generate()
    text = identity_file_text(identity, datetime.now(UTC))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags, PRIVATE_FILE_MODE)
    except FileExistsError as exc:
        raise InvalidInput(f"{target} already exists and is never overwritten.") from exc
    except OSError as exc:
        raise InvalidInput(
            f"The recovery identity cannot be written to {target}: {exc.strerror}."
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("ascii"))
            handle.flush()
            os.fsync(handle.fileno())
        sync_dir(target.parent)
        written = parse_identities(target.read_text(encoding="ascii"))
        if [str(i.to_public()) for i in written] != [str(identity.to_public())]:
            raise InvalidInput(f"The recovery identity written to {target} did not read back.")
    except OSError as exc:
        with contextlib.suppress(OSError):
            target.unlink()
        raise InvalidInput(
            f"The recovery identity could not be written to {target}: {exc.strerror}."
        ) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    owner_only = None
    if os.name == "posix":
        owner_only = stat.S_IMODE(target.stat().st_mode) & 0o077 == 0
    return RecoveryIdentity(target, str(identity.to_public()), owner_only)


def remove_unused_identity(identity: RecoveryIdentity) -> None:
    """Delete an identity file just made, when the store it was for could not be made."""
    with contextlib.suppress(FileNotFoundError):
        identity.path.unlink()


@dataclass(frozen=True)
class TeamStart:
    service: StoreService
    identity: RecoveryIdentity
    roster_problem: str = ""  # why you could not go on the roster (the store is made)


def start_team(
    store_dir: Path,
    passphrase: str,
    identity_path: Path,
    *,
    researcher_name: str = "Researcher",
    project_name: str = "Fieldwork",
) -> TeamStart:
    """A principal investigator starts a team: the team's recovery identity (written to
    ``identity_path``, never in ``store_dir``), a new store made with its recipient, and
    the PI on its roster. Refused before the store is made (a bad path, a store already
    there), nothing is left behind: no store and no identity file."""
    check_can_create(store_dir.expanduser().absolute())
    identity = create_recovery_identity(identity_path, store_dir=store_dir)
    try:
        service = StoreService.create(
            store_dir,
            passphrase,
            researcher_name=researcher_name,
            project_name=project_name,
            recovery_recipient=identity.recipient,
        )
    except BaseException:
        remove_unused_identity(identity)
        raise
    try:
        service.team.add_me(name=researcher_name, role="pi")
    except RelationsError as exc:  # the store is made and whole: the roster can wait
        return TeamStart(service, identity, exc.message)
    return TeamStart(service, identity)
