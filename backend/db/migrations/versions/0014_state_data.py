"""State data (状态数据): ``facts.sheet``, the worksheet a fact's cell stands in (the ``state_data`` role of a
document version needs no schema change: roles are stored as strings).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: existing facts come from reports and have no sheet."""
    with op.batch_alter_table("facts") as batch_op:
        batch_op.add_column(sa.Column("sheet", sa.String(length=255), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("facts") as batch_op:
        batch_op.drop_column("sheet")
