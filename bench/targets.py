"""The databases a store benchmark compares, all with the schema of the real migration.

* ``encrypted``: a real store made by :meth:`StoreService.create` (SQLCipher 4, keyed).
* ``plain``: the standard library's ``sqlite3`` under SQLAlchemy, the same migration, the
  same pragmas except the key (WAL, synchronous=FULL, secure_delete, foreign_keys,
  temp_store=MEMORY, busy_timeout). This is the baseline the issue asks for.
* ``plain-bundled``: the SQLite bundled in the ``sqlcipher3`` wheel, opened without a key,
  so no page is encrypted. Against ``encrypted`` it isolates the cost of encryption from
  the difference between the two SQLite versions.

The two plain databases are driven through the real :class:`StoreService` code (a
service object whose engine is the plain one), so every database takes the same code
path: the same ORM models, the same ``core.search.search``, the same ``add_note``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from relations_desktop.core.services import StoreService
from relations_desktop.core.store import migrate
from relations_desktop.core.store.engine import DB_FILE
from relations_desktop.core.store.models import Project, Researcher

PASSPHRASE = "kitchen table methadone bairns"
# What StoreService's engine runs on every new connection after the key (engine.py).
PRAGMAS = (
    "PRAGMA temp_store = MEMORY",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA secure_delete = ON",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
)
# FTS5's secure-delete option needs SQLite 3.44; it only changes what deletes do, so on
# an older standard-library SQLite the benchmark leaves it out of the plain database.
FTS_SECURE_DELETE = "INSERT INTO search_index (search_index, rank) VALUES ('secure-delete', 1)"


@dataclass
class Target:
    name: str
    service: StoreService
    db_path: Path
    participant_ids: list[str] = field(default_factory=list)
    encounter_ids: list[str] = field(default_factory=list)

    @property
    def engine(self) -> Engine:
        engine = self.service._engine
        assert engine is not None, "the store is locked"
        return engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        sessions = self.service._sessions
        assert sessions is not None, "the store is locked"
        return sessions

    def size_bytes(self) -> int:
        return sum(
            p.stat().st_size for p in (self.db_path, Path(f"{self.db_path}-wal")) if p.exists()
        )

    def checkpoint(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

    def reopen(self) -> None:
        """Drop pooled connections, so the next query starts with an empty page cache."""
        self.engine.dispose()


def encrypted_target(folder: Path) -> Target:
    service = StoreService.create(folder, PASSPHRASE, researcher_name="Bench Researcher")
    return Target("encrypted", service, folder / DB_FILE)


def plain_target(folder: Path) -> Target:
    folder.mkdir(parents=True)
    db_path = folder / DB_FILE
    engine = create_engine(f"sqlite:///{db_path}", poolclass=QueuePool, pool_size=2, max_overflow=2)
    _with_pragmas(engine)
    if sqlite3.sqlite_version_info < (3, 44):
        _skip_statement(engine, FTS_SECURE_DELETE)
    return Target("plain", _service_over(engine, folder), db_path)


def bundled_plain_target(folder: Path) -> Target:
    folder.mkdir(parents=True)
    db_path = folder / DB_FILE

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
    _with_pragmas(engine)
    return Target("plain-bundled", _service_over(engine, folder), db_path)


def _with_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        try:
            for pragma in PRAGMAS:
                cur.execute(pragma)
        finally:
            cur.close()


def _skip_statement(engine: Engine, statement: str) -> None:
    wanted = " ".join(statement.split())

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _rewrite(
        _conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, _many: bool
    ) -> tuple[str, Any]:
        return ("SELECT 1", params) if " ".join(sql.split()) == wanted else (sql, params)


def _service_over(engine: Engine, folder: Path) -> StoreService:
    """A StoreService on an unencrypted engine: migrated, with a researcher and project."""
    migrate.migrate(engine, folder / DB_FILE)
    service = StoreService.__new__(StoreService)
    service.store_dir = folder
    service._key = None
    service._engine = engine
    service._sessions = sessionmaker(engine, expire_on_commit=False)
    with service._sessions.begin() as session:
        researcher = Researcher(name="Bench Researcher", is_self=True)
        session.add(researcher)
        session.flush()
        researcher.created_by = researcher.updated_by = researcher.id
        session.add(Project(name="Fieldwork", created_by=researcher.id))
    service._load_identity()
    return service


def versions(target: Target) -> dict[str, str]:
    """SQLite and SQLCipher versions as the encrypted store's connection reports them."""
    with target.engine.connect() as conn:
        row = conn.execute(text("SELECT sqlite_version()")).scalar_one()
        cipher = conn.execute(text("PRAGMA cipher_version")).scalar()
        provider = conn.execute(text("PRAGMA cipher_provider")).scalar()
        provider_version = conn.execute(text("PRAGMA cipher_provider_version")).scalar()
        page_size = conn.execute(text("PRAGMA cipher_page_size")).scalar()
    return {
        "sqlcipher": str(cipher),
        "sqlcipher_sqlite": str(row),
        "cipher_provider": f"{provider} {provider_version}".strip(),
        "cipher_page_size": str(page_size),
        "stdlib_sqlite": sqlite3.sqlite_version,
    }
