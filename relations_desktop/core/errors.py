"""Errors a user can act on.

Every error raised deliberately by the core derives from :class:`RelationsError` and
carries a message written for a researcher: the CLI prints it as one line, the GUI
shows it in a dialog. Anything else escaping the core is a bug.
"""

from __future__ import annotations


class RelationsError(Exception):
    """A failure with a message fit to show the user as it is."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(RelationsError):
    """The user asked for something that does not make sense."""

    exit_code = 2


class NotFound(RelationsError):
    """An id that names nothing in the store."""

    exit_code = 3


class WrongPassphrase(RelationsError):
    """The passphrase (or recovery identity) does not open this vault."""

    exit_code = 4


class NotAStore(RelationsError):
    """The folder holds no Relations Desktop store."""

    exit_code = 5


class StoreExists(RelationsError):
    """Creating a store where one already is."""

    exit_code = 5


class VaultDamaged(RelationsError):
    """vault.json cannot be read: truncated, edited, or of an unknown format."""

    exit_code = 6


class StoreDamaged(RelationsError):
    """store.db is not readable with the right key: it was never changed or repaired."""

    exit_code = 6


class StoreInUse(RelationsError):
    """Another process has the store open."""

    exit_code = 7


class SchemaTooNew(RelationsError):
    """The store was written by a newer version of the app."""

    exit_code = 8


class StoreLocked(RelationsError):
    """An operation needs an unlocked store."""

    exit_code = 9


class Cancelled(RelationsError):
    """The user cancelled a long piece of work; nothing of it was kept."""

    exit_code = 130


class ConsentRequired(RelationsError):
    """What was asked for needs consent that someone present has not given."""

    exit_code = 12
