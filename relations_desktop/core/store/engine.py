"""The SQLCipher engine under SQLAlchemy, keyed with a raw 256-bit key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from relations_desktop.core.errors import StoreDamaged

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
        raise StoreDamaged(DAMAGED) from exc
