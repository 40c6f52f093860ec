"""Case submissions: a case's category and theme tags, and the secretariat's verdicts on near-duplicate pairs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Apply this revision: existing submissions get no category and no theme tags."""
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_category", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("theme_tags", JSON, nullable=False, server_default="[]"))
    op.create_table(
        "duplicate_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("version_a_id", sa.Integer(), nullable=False),
        sa.Column("version_b_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("marked_by", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version_a_id < version_b_id", name=op.f("ck_duplicate_marks_pair_ordered")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_duplicate_marks_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["version_a_id"], ["document_versions.id"], name=op.f("fk_duplicate_marks_version_a_id_document_versions")
        ),
        sa.ForeignKeyConstraint(
            ["version_b_id"], ["document_versions.id"], name=op.f("fk_duplicate_marks_version_b_id_document_versions")
        ),
        sa.ForeignKeyConstraint(["marked_by"], ["users.id"], name=op.f("fk_duplicate_marks_marked_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_marks")),
    )
    with op.batch_alter_table("duplicate_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_marks_campaign_id"),
            ["campaign_id", "version_a_id", "version_b_id"],
            unique=False,
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("duplicate_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_marks_campaign_id"))
    op.drop_table("duplicate_marks")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("theme_tags")
        batch_op.drop_column("case_category")
