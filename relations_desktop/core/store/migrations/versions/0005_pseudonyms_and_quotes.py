"""pseudonym register, identifier decisions, quote bank

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relations_desktop.core.store.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KINDS = (
    "full-name",
    "first-name",
    "nickname",
    "surname",
    "place",
    "service",
    "school",
    "street",
    "organisation",
    "other",
)


def _tracked() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
    ]


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"],
        ["project.id"],
        name=op.f(f"fk_{table}_project_id_project"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "identifier_decision",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("text_key", sa.String(length=300), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_tracked(),
        _project_fk("identifier_decision"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identifier_decision")),
        sa.UniqueConstraint(
            "project_id",
            "source_type",
            "source_id",
            "text_key",
            name=op.f("uq_identifier_decision_project_id"),
        ),
    )
    op.create_table(
        "pseudonym",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("real", sa.String(length=300), nullable=False),
        sa.Column("real_key", sa.String(length=300), nullable=False),
        sa.Column("replacement", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *KINDS, name="pseudonym_kind", native_enum=False, create_constraint=True, length=40
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=True),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_pseudonym_participant_id_participant"),
            ondelete="CASCADE",
        ),
        _project_fk("pseudonym"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pseudonym")),
        sa.UniqueConstraint("project_id", "real_key", name=op.f("uq_pseudonym_project_id")),
    )
    op.create_table(
        "quote",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attribution", sa.String(length=300), nullable=False),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("encounter_id", sa.String(length=36), nullable=True),
        sa.Column("participant_id", sa.String(length=36), nullable=True),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounter.id"],
            name=op.f("fk_quote_encounter_id_encounter"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_quote_participant_id_participant"),
            ondelete="CASCADE",
        ),
        _project_fk("quote"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote")),
    )
    op.create_table(
        "quote_tag",
        sa.Column("quote_id", sa.String(length=36), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quote.id"],
            name=op.f("fk_quote_tag_quote_id_quote"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_quote_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("quote_id", "tag_id", name=op.f("pk_quote_tag")),
    )


def downgrade() -> None:
    op.drop_table("quote_tag")
    op.drop_table("quote")
    op.drop_table("pseudonym")
    op.drop_table("identifier_decision")
