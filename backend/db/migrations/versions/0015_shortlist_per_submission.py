"""The fixed shortlist is unique per submission, not per institution: a case campaign seats each good case, so one
institution may hold several seats (a campaign of reports still seats an institution once: the code refuses a
second, :func:`backend.selection.shortlist.fix_shortlist`).

Downgrading fails while a campaign's shortlist holds two cases of one institution: drop them first.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: every existing shortlist has one row per institution, hence per submission."""
    with op.batch_alter_table("shortlist_entries") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_shortlist_entries_campaign_id_institution_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_shortlist_entries_campaign_id_submission_id"), ["campaign_id", "submission_id"]
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("shortlist_entries") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_shortlist_entries_campaign_id_submission_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_shortlist_entries_campaign_id_institution_id"), ["campaign_id", "institution_id"]
        )
