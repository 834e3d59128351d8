"""recordings and audio chunks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recording",
        sa.Column("encounter_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "recording",
                "complete",
                "recovered",
                "imported",
                name="recording_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "microphone",
                "import",
                name="recording_source",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("codec", sa.String(length=20), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_name", sa.String(length=300), nullable=False),
        sa.Column("original_name", sa.String(length=300), nullable=False),
        sa.Column("overflow_count", sa.Integer(), nullable=False),
        sa.Column("stop_reason", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounter.id"],
            name=op.f("fk_recording_encounter_id_encounter"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording")),
    )
    op.create_index("ix_recording_encounter", "recording", ["encounter_id"], unique=False)
    op.create_table(
        "audio_chunk",
        sa.Column("recording_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start_frame", sa.Integer(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name=op.f("fk_audio_chunk_recording_id_recording"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recording_id", "seq", name=op.f("pk_audio_chunk")),
    )
    # A plain ADD COLUMN (no batch rebuild): rebuilding fieldnote would drop the
    # triggers that keep the search index current. SQLite accepts a REFERENCES clause
    # here because the column defaults to NULL.
    op.execute(
        "ALTER TABLE fieldnote ADD COLUMN recording_id VARCHAR(36) "
        "CONSTRAINT fk_fieldnote_recording_id_recording "
        "REFERENCES recording (id) ON DELETE SET NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("fieldnote") as batch:
        batch.drop_column("recording_id")
    # The rebuild dropped fieldnote's triggers: put the search index's back.
    initial = importlib.import_module(
        "relations_desktop.core.store.migrations.versions.0001_initial_schema"
    )
    for statement in initial.SEARCH_SQL:
        if statement.lstrip().startswith("CREATE TRIGGER"):
            op.execute(statement)
    op.drop_table("audio_chunk")
    op.drop_index("ix_recording_encounter", table_name="recording")
    op.drop_table("recording")
