"""Alembic environment: always run in-process on the app's own keyed connection."""

from __future__ import annotations

from alembic import context

from relations_desktop.core.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by a mistaken `alembic` CLI call
    raise RuntimeError("Migrations run only from relations_desktop.core.store.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
