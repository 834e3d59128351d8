"""researcher keys (age identity, minisign signing key) and the team roster

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relations_desktop.core.store.models import UTCDateTime

revision = "0006"
down_revision = "0005"
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
        "researcher_key",
        sa.Column("researcher_id", sa.String(length=36), nullable=False),
        sa.Column("age_identity", sa.Text(), nullable=False),
        sa.Column("age_recipient", sa.String(length=100), nullable=False),
        sa.Column("signing_secret", sa.Text(), nullable=False),
        sa.Column("signing_public", sa.String(length=100), nullable=False),
        sa.Column("signing_key_id", sa.String(length=16), nullable=False),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["researcher_id"],
            ["researcher.id"],
            name=op.f("fk_researcher_key_researcher_id_researcher"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_researcher_key")),
        sa.UniqueConstraint("researcher_id", name=op.f("uq_researcher_key_researcher_id")),
    )
    op.create_table(
        "team_member",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "member",
                "pi",
                name="team_role",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("age_recipient", sa.String(length=100), nullable=False),
        sa.Column("signing_key", sa.String(length=100), nullable=True),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_team_member_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_member")),
        sa.UniqueConstraint("project_id", "age_recipient", name=op.f("uq_team_member_project_id")),
    )


def downgrade() -> None:
    op.drop_table("team_member")
    op.drop_table("researcher_key")
