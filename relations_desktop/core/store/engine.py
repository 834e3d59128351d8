"""The SQLCipher engine under SQLAlchemy, keyed with a raw 256-bit key."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from relations_desktop.core.errors import RelationsError, StoreDamaged

DB_FILE = "store.db"
# Above this size the full HMAC check at open would make unlocking slow; such stores are
# still checked page by page as SQLCipher reads them.
INTEGRITY_CHECK_MAX_BYTES = 256 * 1024 * 1024

DAMAGED = (
    "store.db cannot be read with this store's key: it is damaged, or it belongs to "
    "another store. Nothing was changed; restore it from a backup."
)


def make_engine(db_path: Path, raw_key: bytes) -> Engine:
    """An engine whose every connection is keyed before anything else runs."""
    if len(raw_key) != 32:
        raise ValueError("SQLCipher raw key must be 32 bytes")
    key_pragma = f"PRAGMA key = \"x'{raw_key.hex()}'\""

    def connect() -> Any:
        return sqlcipher3.dbapi2.connect(str(db_path), check_same_thread=False)

    engine = create_engine(
        "sqlite+pysqlite://",
        module=sqlcipher3.dbapi2,
        creator=connect,
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=2,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        try:
            # SQLCipher logs decryption failures to stderr itself; the app reports them.
            cur.execute("PRAGMA cipher_log_level = NONE")
            cur.execute(key_pragma)
            # Reading the schema is the first thing that needs the key.
            cur.execute("SELECT count(*) FROM sqlite_master")
            cur.fetchall()
            cur.execute("PRAGMA temp_store = MEMORY")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA secure_delete = ON")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA busy_timeout = 5000")
        finally:
            cur.close()

    return engine


def verify_readable(engine: Engine, db_path: Path) -> None:
    """Refuse a store.db that the key does not open or whose pages fail their HMAC."""
    if db_path.stat().st_size == 0:
        # SQLite would take an empty file for a new database and migrate it into an
        # empty store; an existing store.db is never empty.
        raise StoreDamaged(DAMAGED)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).all()
            if db_path.stat().st_size <= INTEGRITY_CHECK_MAX_BYTES:
                problems = conn.execute(text("PRAGMA cipher_integrity_check")).all()
                if problems:
                    raise StoreDamaged(DAMAGED)
    except DBAPIError as exc:
        if _out_of_space(exc, db_path):
            raise RelationsError(DISK_FULL) from exc
        raise StoreDamaged(DAMAGED) from exc


DISK_FULL = (
    "The disk holding the store is full, so the store cannot be opened: free some space "
    "and unlock again. Nothing was changed; the store itself is intact."
)
LOW_SPACE_BYTES = 1024 * 1024


def _out_of_space(exc: DBAPIError, db_path: Path) -> bool:
    """SQLite reports no room for its -shm/-wal files as an I/O error; with (almost) no
    free space that is a full disk, not damage — restoring a backup would lose work."""
    message = str(exc.orig).lower()
    if "full" in message:
        return True
    if "disk i/o error" not in message and "unable to open" not in message:
        return False
    try:
        return shutil.disk_usage(db_path.parent).free < LOW_SPACE_BYTES
    except OSError:
        return False
