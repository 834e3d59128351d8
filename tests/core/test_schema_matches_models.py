"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import ForeignKeyConstraint, create_engine, inspect

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
    diff = _without_fk_renames(diff)
    assert diff == []
    with engine.connect() as conn:
        rules = {
            (row[2], row[3]): row[6]
            for row in conn.exec_driver_sql("PRAGMA foreign_key_list(fieldnote)").all()
        }
    assert rules[("recording", "recording_id")] == "SET NULL"
    tables = set(inspect(engine).get_table_names())
    assert {"search_doc", "search_index", "alembic_version"} <= tables
    engine.dispose()


def _fk_signature(fk: ForeignKeyConstraint) -> tuple[object, ...]:
    return (
        fk.table.name,
        tuple(c.name for c in fk.columns),
        fk.referred_table.name,
        tuple(e.column.name for e in fk.elements),
    )


def _without_fk_renames(diff: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """SQLAlchemy reflects neither the name nor the ON DELETE rule of a column-level
    foreign key (one added by ALTER TABLE ADD COLUMN); such keys are compared by their
    columns here, and their rules through PRAGMA foreign_key_list below."""
    removed = {_fk_signature(d[1]) for d in diff if d[0] == "remove_fk"}  # type: ignore[arg-type]
    added = {_fk_signature(d[1]) for d in diff if d[0] == "add_fk"}  # type: ignore[arg-type]
    same = removed & added
    return [
        d
        for d in diff
        if not (d[0] in ("remove_fk", "add_fk") and _fk_signature(d[1]) in same)  # type: ignore[arg-type]
    ]


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


def test_a_first_schema_store_upgrades_with_its_data_and_search(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    db = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{db}")
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    now = "2026-01-01 10:00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO project (id, name, description, created_at, updated_at) "
                "VALUES ('p', 'P', '', :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO encounter (id, project_id, encounter_type, title, date, summary, "
                "created_at, updated_at) VALUES ('e', 'p', 'home-visit', 'Visit', '2026-01-01', '',"
                " :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO fieldnote (id, encounter_id, kind, title, body, created_at, "
                "updated_at) VALUES ('n', 'e', 'expanded', '', 'The pharmacy was shut.', :t, :t)"
            ),
            {"t": now},
        )
    result = migrate.migrate(engine, db)
    assert result.before == "0001" and result.after == migrate.head_revision()
    assert result.backup is not None and result.backup.exists()
    with engine.begin() as conn:
        hits = conn.execute(
            text(
                "SELECT d.ref_id FROM search_index "
                "JOIN search_doc d ON d.doc_id = search_index.rowid "
                "WHERE search_index MATCH 'pharmacy'"
            )
        ).all()
        assert hits == [("n",)]
        # The search triggers survived the upgrade: an edit is re-indexed.
        conn.execute(text("UPDATE fieldnote SET body = 'The nursery was shut.' WHERE id = 'n'"))
        assert (
            conn.execute(
                text("SELECT count(*) FROM search_index WHERE search_index MATCH 'nursery'")
            ).scalar()
            == 1
        )
        assert conn.execute(text("SELECT recording_id FROM fieldnote")).all() == [(None,)]
    engine.dispose()
