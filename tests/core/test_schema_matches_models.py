"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from relations_desktop.core.store import migrate
from relations_desktop.core.store.models import Base


def test_migrations_match_models(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    migrate.migrate(engine, tmp_path / "plain.db")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # search_doc / search_index are created by SQL in the migration, not by models.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("search_"))]
    diff = [d for d in diff if not (d[0] == "remove_index" and d[1].table.name == "search_doc")]
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    assert {"search_doc", "search_index", "alembic_version"} <= tables
    engine.dispose()


def test_every_revision_has_a_downgrade_and_the_chain_is_linear() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert revision.module.downgrade is not None


def test_real_store_has_fts_secure_delete_and_safe_pragmas(service) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    assert service._engine is not None
    with service._engine.connect() as conn:
        config = dict(conn.execute(text("SELECT k, v FROM search_index_config")).all())
        assert config.get("secure-delete") == 1
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA temp_store")).scalar() == 2
        assert conn.execute(text("PRAGMA cipher_version")).scalar().startswith("4.")
