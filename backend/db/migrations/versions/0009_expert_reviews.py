"""The expert's review: decisions carry edited advice, evidence experts attach, submitted expert reviews, and
whether a campaign shows universities the experts' results.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Apply this revision: existing campaigns show expert results after submission (the default)."""
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expert_results_visible", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("expert_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("advice_zh", sa.Text(), nullable=True))
    op.create_table(
        "attached_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.String(length=100), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("chunk_key", sa.String(length=64), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("quote_start", sa.Integer(), nullable=False),
        sa.Column("quote_end", sa.Integer(), nullable=False),
        sa.Column("page_start", sa.Integer(), nullable=True),
        sa.Column("page_end", sa.Integer(), nullable=True),
        sa.Column("heading_path", JSON_TYPE, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["indicator_assessments.id"],
            name=op.f("fk_attached_evidence_assessment_id_indicator_assessments"),
        ),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_attached_evidence_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attached_evidence")),
    )
    with op.batch_alter_table("attached_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attached_evidence_assessment_id"), ["assessment_id", "point_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attached_evidence_reviewer_id"), ["reviewer_id"], unique=False)
    op.create_table(
        "expert_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("opinions", JSON_TYPE, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], name=op.f("fk_expert_reviews_review_id_reviews")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_expert_reviews_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert_reviews")),
        sa.UniqueConstraint("reviewer_id", "review_id", name=op.f("uq_expert_reviews_reviewer_id_review_id")),
    )
    with op.batch_alter_table("expert_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expert_reviews_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expert_reviews_reviewer_id"), ["reviewer_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("expert_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expert_reviews_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_expert_reviews_review_id"))
    op.drop_table("expert_reviews")
    with op.batch_alter_table("attached_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attached_evidence_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_attached_evidence_assessment_id"))
    op.drop_table("attached_evidence")
    with op.batch_alter_table("expert_decisions", schema=None) as batch_op:
        batch_op.drop_column("advice_zh")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("expert_results_visible")
