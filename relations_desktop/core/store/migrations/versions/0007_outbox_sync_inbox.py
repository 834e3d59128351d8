"""the outbox, sync targets and deliveries; received bundles, merge state and conflicts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relations_desktop.core.store.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _tracked() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "outbox_bundle",
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("in_outbox", sa.Boolean(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("with_audio", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_bundle")),
    )
    op.create_table(
        "sync_target",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("host_key", sa.Text(), nullable=False),
        sa.Column("secret_kind", sa.String(length=20), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_target")),
    )
    op.create_table(
        "delivery",
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("problem", sa.String(length=30), nullable=False),
        sa.Column("bytes_sent", sa.Integer(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["outbox_bundle.id"],
            name=op.f("fk_delivery_bundle_id_outbox_bundle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["sync_target.id"],
            name=op.f("fk_delivery_target_id_sync_target"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("bundle_id", "target_id", name=op.f("uq_delivery_bundle_id")),
    )
    op.create_table(
        "received_bundle",
        sa.Column("researcher_id", sa.String(length=36), nullable=False),
        sa.Column("researcher_name", sa.String(length=200), nullable=False),
        sa.Column("signer", sa.String(length=200), nullable=False),
        sa.Column("sealed_at", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_bundle")),
    )
    op.create_table(
        "merge_state",
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("origin_researcher_id", sa.String(length=36), nullable=False),
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("incoming_sha256", sa.String(length=64), nullable=False),
        sa.Column("incoming_updated_at", sa.String(length=40), nullable=False),
        sa.Column("local_updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_type", "record_id", name=op.f("pk_merge_state")),
    )
    op.create_table(
        "merge_conflict",
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("researcher_name", sa.String(length=200), nullable=False),
        sa.Column("incoming", sa.JSON(), nullable=False),
        sa.Column("local", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_conflict")),
    )
    op.create_index(op.f("ix_merge_conflict_status"), "merge_conflict", ["status"], unique=False)
    op.create_table(
        "carried_consent",
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_carried_consent_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_carried_consent")),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_merge_conflict_status"), table_name="merge_conflict")
    for table in (
        "carried_consent",
        "merge_conflict",
        "merge_state",
        "received_bundle",
        "delivery",
        "sync_target",
        "outbox_bundle",
    ):
        op.drop_table(table)
