"""consent forms and records, withdrawals, encounter flags; the register's attributes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relations_desktop.core.store.models import UTCDateTime

revision = "0004"
down_revision = "0003"
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


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def upgrade() -> None:
    op.create_table(
        "consent_form",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("form_date", sa.Date(), nullable=True),
        sa.Column("ethics_reference", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_consent_form_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_form")),
        sa.UniqueConstraint(
            "project_id", "slug", "version", name=op.f("uq_consent_form_project_id")
        ),
    )
    op.create_table(
        "encounter_flag",
        sa.Column("encounter_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=True),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounter.id"],
            name=op.f("fk_encounter_flag_encounter_id_encounter"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounter_flag")),
    )
    op.create_index("ix_encounter_flag_encounter", "encounter_flag", ["encounter_id"])
    op.create_table(
        "family_child",
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("age_band", sa.String(length=20), nullable=False),
        sa.Column(
            "living_arrangement",
            _enum(
                "living_arrangement",
                "with-parents",
                "with-other-parent",
                "foster-care",
                "kinship-care",
                "adopted",
                "independent",
            ),
            nullable=False,
        ),
        sa.Column(
            "child_protection", _enum("involvement", "none", "current", "past"), nullable=False
        ),
        sa.Column("family_support", sa.Boolean(), nullable=False),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["family.id"],
            name=op.f("fk_family_child_family_id_family"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_child")),
    )
    op.create_index("ix_family_child_family", "family_child", ["family_id"])
    op.create_table(
        "consent_record",
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.Column("form_id", sa.String(length=36), nullable=False),
        sa.Column("party", _enum("consent_party", "self", "parent", "assent"), nullable=False),
        sa.Column("given_by", sa.String(length=200), nullable=False),
        sa.Column("method", _enum("consent_method", "signed", "paper", "verbal"), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("researcher_id", sa.String(length=36), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("recording_id", sa.String(length=36), nullable=True),
        sa.Column("recording_offset", sa.Float(), nullable=True),
        sa.Column("signature_strokes", sa.JSON(), nullable=True),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        sa.Column("scan", sa.LargeBinary(), nullable=True),
        sa.Column("scan_name", sa.String(length=300), nullable=False),
        sa.Column("certificate_pdf", sa.LargeBinary(), nullable=True),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["consent_form.id"],
            name=op.f("fk_consent_record_form_id_consent_form"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_consent_record_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name=op.f("fk_consent_record_recording_id_recording"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    op.create_index("ix_consent_record_participant", "consent_record", ["participant_id"])
    op.create_table(
        "consent_withdrawal",
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=False),
        sa.Column("scope", _enum("withdrawal_scope", "future", "all"), nullable=False),
        sa.Column("recorded_by", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_consent_withdrawal_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_withdrawal")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_consent_withdrawal_participant_id")),
    )
    op.create_table(
        "fieldnote_participant",
        sa.Column("fieldnote_id", sa.String(length=36), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["fieldnote_id"],
            ["fieldnote.id"],
            name=op.f("fk_fieldnote_participant_fieldnote_id_fieldnote"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_fieldnote_participant_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "fieldnote_id", "participant_id", name=op.f("pk_fieldnote_participant")
        ),
    )
    # Plain ADD COLUMNs (no batch rebuild), as in 0002: existing rows get the defaults.
    op.add_column(
        "family",
        # SQLite cannot add a CHECK with ADD COLUMN; the services check these values.
        sa.Column("household", sa.String(length=40), nullable=True),
    )
    op.add_column(
        "family", sa.Column("region", sa.String(length=100), nullable=False, server_default="")
    )
    op.execute(
        "ALTER TABLE family ADD COLUMN site_id VARCHAR(36) "
        "CONSTRAINT fk_family_site_id_site REFERENCES site (id) ON DELETE SET NULL"
    )
    for name, column_type in (("age_band", sa.String(20)), ("sector", sa.String(100))):
        op.add_column(
            "participant", sa.Column(name, column_type, nullable=False, server_default="")
        )
    op.add_column("participant", sa.Column("on_ost", sa.Boolean(), nullable=True))
    op.add_column("participant", sa.Column("withdrawn_on", sa.Date(), nullable=True))
    op.add_column(
        "participant",
        sa.Column("withdrawal_scope", sa.String(length=40), nullable=True),
    )
    for name, length in (("role", 200), ("institution", 300), ("region", 100)):
        op.add_column(
            "researcher",
            sa.Column(name, sa.String(length=length), nullable=False, server_default=""),
        )
    op.add_column("site", sa.Column("notes", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.drop_column("notes")
    with op.batch_alter_table("researcher") as batch:
        for name in ("region", "institution", "role"):
            batch.drop_column(name)
    with op.batch_alter_table("participant") as batch:
        for name in ("withdrawal_scope", "withdrawn_on", "on_ost", "sector", "age_band"):
            batch.drop_column(name)
    with op.batch_alter_table("family") as batch:
        for name in ("site_id", "region", "household"):
            batch.drop_column(name)
    op.drop_table("fieldnote_participant")
    op.drop_table("consent_withdrawal")
    op.drop_index("ix_consent_record_participant", table_name="consent_record")
    op.drop_table("consent_record")
    op.drop_index("ix_family_child_family", table_name="family_child")
    op.drop_table("family_child")
    op.drop_index("ix_encounter_flag_encounter", table_name="encounter_flag")
    op.drop_table("encounter_flag")
    op.drop_table("consent_form")
