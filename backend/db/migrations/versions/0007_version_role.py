"""Document versions: ``role``, the main report under review or a supporting file (支撑材料).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: every existing version is a main report."""
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=32), nullable=False, server_default="main"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_column("role")
