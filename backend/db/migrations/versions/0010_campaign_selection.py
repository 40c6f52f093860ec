"""Campaign selection: submission tags (tagged quota seats), experts' declared conflicts, the fixed shortlist,
campaign assignment settings (experts per submission, load limit, experts' deadline), campaign re-review jobs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: existing campaigns get two experts per submission and no load limit."""
    op.create_table(
        "expert_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["users.id"], name=op.f("fk_expert_conflicts_expert_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_expert_conflicts_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert_conflicts")),
        sa.UniqueConstraint("expert_id", "institution_id", name=op.f("uq_expert_conflicts_expert_id_institution_id")),
    )
    with op.batch_alter_table("expert_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expert_conflicts_expert_id"), ["expert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expert_conflicts_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "shortlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("fixed_by", sa.Integer(), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_shortlist_entries_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["fixed_by"], ["users.id"], name=op.f("fk_shortlist_entries_fixed_by_users")),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_shortlist_entries_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_shortlist_entries_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shortlist_entries")),
        sa.UniqueConstraint(
            "campaign_id", "institution_id", name=op.f("uq_shortlist_entries_campaign_id_institution_id")
        ),
    )
    with op.batch_alter_table("shortlist_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shortlist_entries_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "submission_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_tags_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_tags")),
        sa.UniqueConstraint("submission_id", "tag", name=op.f("uq_submission_tags_submission_id_tag")),
    )
    with op.batch_alter_table("submission_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_tags_submission_id"), ["submission_id"], unique=False)

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("experts_per_submission", sa.Integer(), nullable=False, server_default="2"))
        batch_op.add_column(sa.Column("expert_load_limit", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_due_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rerun", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("rerun")

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("review_due_at")
        batch_op.drop_column("expert_load_limit")
        batch_op.drop_column("experts_per_submission")

    with op.batch_alter_table("submission_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_tags_submission_id"))

    op.drop_table("submission_tags")
    with op.batch_alter_table("shortlist_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shortlist_entries_campaign_id"))

    op.drop_table("shortlist_entries")
    with op.batch_alter_table("expert_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expert_conflicts_institution_id"))
        batch_op.drop_index(batch_op.f("ix_expert_conflicts_expert_id"))

    op.drop_table("expert_conflicts")
