"""Schema migrations (Alembic), run in-process on the keyed connection.

Before a store is upgraded its encrypted database file is copied to ``backups/``: the
copy is as encrypted as the original. A store whose schema is newer than this app is
refused before anything is written.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from relations_desktop.core.errors import SchemaTooNew, StoreDamaged
from relations_desktop.core.fsutil import make_private, make_private_dir

BACKUP_DIR = "backups"


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str
    backup: Path | None


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "relations_desktop.core.store:migrations")
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def migrate(engine: Engine, db_path: Path) -> MigrationResult:
    """Bring the store to this app's schema; back it up first if it holds data."""
    before = current_revision(engine)
    head = head_revision()
    if before == head:
        return MigrationResult(before, head, None)
    if before is not None and before not in known_revisions():
        raise SchemaTooNew(
            f"This store was written by a newer version of Relations Desktop (schema {before}); "
            "update the app to open it. Nothing was changed."
        )
    backup = _backup(engine, db_path, before) if before is not None else None
    cfg = alembic_config()
    try:
        with engine.connect() as conn:
            # A batch migration rebuilds a table by dropping it; with foreign keys on,
            # the drop would cascade into other tables (an identity register emptied).
            # The pragma is ignored inside a transaction, so it goes first.
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            try:
                # The sqlite3 driver opens no transaction before DDL: without this a
                # failing migration would leave its earlier steps committed.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise StoreDamaged(
                        f"Upgrading the store would break {len(broken)} references; "
                        "it was left as it was."
                    )
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            finally:
                conn.exec_driver_sql("PRAGMA foreign_keys = ON")
    except DBAPIError as exc:
        raise StoreDamaged(
            f"The store could not be upgraded ({exc.orig}); it was left as it was"
            + (f" and a backup is in {backup}." if backup else ".")
        ) from exc
    return MigrationResult(before, head, backup)


def _backup(engine: Engine, db_path: Path, revision: str) -> Path:
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    folder = db_path.parent / BACKUP_DIR
    make_private_dir(folder)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"store-before-{revision}-{stamp}.db"
    shutil.copyfile(db_path, target)
    make_private(target)
    return target
