"""Review summaries: ``indicator_assessments.summary`` (an assessment without evidence) and ``reviews.counts``.

Stored reviews are backfilled from their assessments' JSON. The summary is built here from plain dicts, not
the app's models, so this revision keeps working when the models change later.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARKS = ("clear", "more_material", "verify_on_site")
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _summary(assessment: dict) -> dict:
    return {
        "indicator_id": assessment["indicator_id"],
        "indicator_name": assessment["indicator_name"],
        "level": assessment["level"],
        "level_label": assessment["level_label"],
        "confidence": assessment["confidence"],
        "rationale_zh": assessment["rationale_zh"],
        "drafter": assessment["draft"]["drafter"],
        "fallback_reason": assessment["draft"].get("fallback_reason"),
        "points": [
            {
                "point_id": p["point_id"],
                "point_text": p["point_text"],
                "mark": p["mark"],
                "rationale_zh": p["rationale_zh"],
                "evidence_count": len(p.get("evidence") or ()),
                "has_figure": p.get("figure") is not None,
            }
            for p in assessment["points"]
        ],
        "missing_count": len(assessment.get("missing") or ()),
        "advice_count": len(assessment.get("advice") or ()),
    }


def _counts(assessments: list[dict]) -> dict:
    marks = Counter(p["mark"] for a in assessments for p in a["points"])
    levels = Counter((a["level"], a["level_label"]) for a in assessments)
    return {
        "marks": [{"mark": m, "count": marks[m]} for m in MARKS],
        "levels": [{"level": lv, "level_label": label, "count": n} for (lv, label), n in sorted(levels.items())],
    }


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("indicator_assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", JSON_TYPE, nullable=True))
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counts", JSON_TYPE, nullable=True))

    bind = op.get_bind()
    assessments = sa.table(
        "indicator_assessments",
        sa.column("id", sa.Integer),
        sa.column("review_id", sa.Integer),
        sa.column("assessment", JSON_TYPE),
        sa.column("summary", JSON_TYPE),
    )
    reviews = sa.table("reviews", sa.column("id", sa.Integer), sa.column("counts", JSON_TYPE))
    by_review: dict[int, list[dict]] = {}
    rows = bind.execute(sa.select(assessments.c.id, assessments.c.review_id, assessments.c.assessment)).all()
    for assessment_id, review_id, assessment in rows:
        by_review.setdefault(review_id, []).append(assessment)
        bind.execute(assessments.update().where(assessments.c.id == assessment_id).values(summary=_summary(assessment)))
    for (review_id,) in bind.execute(sa.select(reviews.c.id)).all():
        bind.execute(
            reviews.update().where(reviews.c.id == review_id).values(counts=_counts(by_review.get(review_id, [])))
        )

    with op.batch_alter_table("indicator_assessments", schema=None) as batch_op:
        batch_op.alter_column("summary", existing_type=JSON_TYPE, nullable=False)
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.alter_column("counts", existing_type=JSON_TYPE, nullable=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_column("counts")
    with op.batch_alter_table("indicator_assessments", schema=None) as batch_op:
        batch_op.drop_column("summary")
