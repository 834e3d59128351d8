"""transcripts, transcription jobs, glossary; segments join the search index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SEARCH_SQL = [
    # A segment is found through the encounter of its transcript's recording.
    """CREATE TRIGGER segment_search_insert AFTER INSERT ON transcript_segment BEGIN
        INSERT INTO search_doc (kind, ref_id, encounter_id)
            VALUES ('segment', new.id, (SELECT r.encounter_id FROM transcript t
                JOIN recording r ON r.id = t.recording_id WHERE t.id = new.transcript_id));
        INSERT INTO search_index (rowid, title, body)
            VALUES ((SELECT doc_id FROM search_doc WHERE ref_id = new.id), '', new.text);
    END""",
    """CREATE TRIGGER segment_search_update AFTER UPDATE OF text ON transcript_segment BEGIN
        DELETE FROM search_index
            WHERE rowid = (SELECT doc_id FROM search_doc WHERE ref_id = old.id);
        INSERT INTO search_index (rowid, title, body)
            VALUES ((SELECT doc_id FROM search_doc WHERE ref_id = old.id), '', new.text);
    END""",
    """CREATE TRIGGER segment_search_delete AFTER DELETE ON transcript_segment BEGIN
        DELETE FROM search_index
            WHERE rowid = (SELECT doc_id FROM search_doc WHERE ref_id = old.id);
        DELETE FROM search_doc WHERE ref_id = old.id;
    END""",
]


def upgrade() -> None:
    op.create_table(
        "glossary_term",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_glossary_term_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_term")),
        sa.UniqueConstraint("project_id", "term", name=op.f("uq_glossary_term_project_id")),
    )
    op.create_table(
        "transcript",
        sa.Column("recording_id", sa.String(length=36), nullable=False),
        sa.Column("model_name", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name=op.f("fk_transcript_recording_id_recording"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript")),
    )
    with op.batch_alter_table("transcript", schema=None) as batch_op:
        batch_op.create_index("ix_transcript_recording", ["recording_id"], unique=False)

    op.create_table(
        "transcription_job",
        sa.Column("recording_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                "cancelled",
                name="job_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("model_path", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("transcript_id", sa.String(length=36), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name=op.f("fk_transcription_job_recording_id_recording"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcription_job")),
    )
    with op.batch_alter_table("transcription_job", schema=None) as batch_op:
        batch_op.create_index("ix_transcription_job_status", ["status"], unique=False)

    op.create_table(
        "segment_revision",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("transcript_id", sa.String(length=36), nullable=False),
        sa.Column("segment_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("speaker_label", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("researcher_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["transcript.id"],
            name=op.f("fk_segment_revision_transcript_id_transcript"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_revision")),
    )
    with op.batch_alter_table("segment_revision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_segment_revision_transcript", ["transcript_id", "segment_id"], unique=False
        )

    op.create_table(
        "transcript_speaker",
        sa.Column("transcript_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_transcript_speaker_participant_id_participant"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["transcript.id"],
            name=op.f("fk_transcript_speaker_transcript_id_transcript"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_speaker")),
    )
    op.create_table(
        "transcript_segment",
        sa.Column("transcript_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("machine_text", sa.Text(), nullable=False),
        sa.Column("speaker_id", sa.String(length=36), nullable=True),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["speaker_id"],
            ["transcript_speaker.id"],
            name=op.f("fk_transcript_segment_speaker_id_transcript_speaker"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["transcript.id"],
            name=op.f("fk_transcript_segment_transcript_id_transcript"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_segment")),
    )
    with op.batch_alter_table("transcript_segment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transcript_segment_transcript", ["transcript_id", "position"], unique=False
        )
    for statement in SEARCH_SQL:
        op.execute(statement)


def downgrade() -> None:
    for name in ("segment_search_delete", "segment_search_update", "segment_search_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(
        "DELETE FROM search_index WHERE rowid IN "
        "(SELECT doc_id FROM search_doc WHERE kind = 'segment')"
    )
    op.execute("DELETE FROM search_doc WHERE kind = 'segment'")
    for index, table in (
        ("ix_transcript_segment_transcript", "transcript_segment"),
        ("ix_segment_revision_transcript", "segment_revision"),
        ("ix_transcription_job_status", "transcription_job"),
        ("ix_transcript_recording", "transcript"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "transcript_segment",
        "transcript_speaker",
        "segment_revision",
        "transcription_job",
        "transcript",
        "glossary_term",
    ):
        op.drop_table(table)
