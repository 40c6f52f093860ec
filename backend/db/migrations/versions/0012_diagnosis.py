"""Quality-culture diagnosis: diagnosis rounds per institution and one questionnaire response per respondent.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 08:38:32.026269
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "diagnoses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.String(length=100), nullable=False),
        sa.Column("rubric_version", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_diagnoses_created_by_users")),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_diagnoses_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnoses")),
    )
    with op.batch_alter_table("diagnoses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diagnoses_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "diagnosis_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("diagnosis_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("respondent_role", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["diagnosis_id"],
            ["diagnoses.id"],
            name=op.f("fk_diagnosis_responses_diagnosis_id_diagnoses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["respondent_id"], ["users.id"], name=op.f("fk_diagnosis_responses_respondent_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnosis_responses")),
        sa.UniqueConstraint(
            "diagnosis_id", "respondent_id", name=op.f("uq_diagnosis_responses_diagnosis_id_respondent_id")
        ),
    )
    with op.batch_alter_table("diagnosis_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diagnosis_responses_diagnosis_id"), ["diagnosis_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_diagnosis_responses_respondent_id"), ["respondent_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("diagnosis_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diagnosis_responses_respondent_id"))
        batch_op.drop_index(batch_op.f("ix_diagnosis_responses_diagnosis_id"))

    op.drop_table("diagnosis_responses")
    with op.batch_alter_table("diagnoses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diagnoses_institution_id"))

    op.drop_table("diagnoses")
