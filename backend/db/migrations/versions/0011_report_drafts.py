"""Report drafts (自评报告自动生成): a drafted report per job, the university's section edits, the final version.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "report_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.String(length=100), nullable=False),
        sa.Column("drafter", sa.String(length=32), nullable=False),
        sa.Column("content", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("edits", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("final_version_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_report_drafts_submission_id_submissions")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_report_drafts_job_id_jobs")),
        sa.ForeignKeyConstraint(
            ["final_version_id"],
            ["document_versions.id"],
            name=op.f("fk_report_drafts_final_version_id_document_versions"),
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_report_drafts_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_drafts")),
        sa.UniqueConstraint("job_id", name=op.f("uq_report_drafts_job_id")),
    )
    with op.batch_alter_table("report_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_drafts_submission_id"), ["submission_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("report_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_drafts_submission_id"))
    op.drop_table("report_drafts")
