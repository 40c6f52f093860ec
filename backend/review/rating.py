"""Rating, in one place: the mark rule from a point's signals, an indicator's coverage score and level, and the
check of a drafted level against the rubric's scale. The matcher finds evidence; drafters write; this module rates."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from backend.domain.assessment import PointSignals
from backend.domain.enums import Mark
from backend.review.drafters.base import PointMatch
from backend.rubrics.models import Level

MARK_CREDIT = {Mark.CLEAR: 1.0, Mark.VERIFY_ON_SITE: 0.5, Mark.MORE_MATERIAL: 0.0}
# Coverage cut points between adjacent levels of a 4-level scale, best first; other scales are spaced evenly.
FOUR_LEVEL_CUTS = (0.8, 0.5, 0.15)


class MarkRule(BaseModel):
    """Thresholds of the mark rule; defaults from ``ciqa eval calibrate`` (seeds 7000–7005)."""

    model_config = ConfigDict(frozen=True)

    max_term_owner_rank: int = 1
    min_unit_coverage: float = 0.26
    concrete_min: float = 0.5


def decide_mark(signals: PointSignals, rule: MarkRule) -> Mark:
    """The calibrated rule from signals to a mark: 破折号 without coverage or figure, 问号 when not concrete."""
    covered = (signals.term_owner_rank is not None and signals.term_owner_rank <= rule.max_term_owner_rank) or (
        signals.unit_coverage is not None and signals.unit_coverage >= rule.min_unit_coverage
    )
    if not covered or signals.figure_found is False:
        return Mark.MORE_MATERIAL
    if signals.concrete < rule.concrete_min:
        return Mark.VERIFY_ON_SITE
    return Mark.CLEAR


def coverage_score(matches: Sequence[PointMatch]) -> float:
    """Weighted share of review points with evidence: 句号 counts fully, 问号 half, 破折号 nothing."""
    total = sum(m.point.weight for m in matches)
    return sum(m.point.weight * MARK_CREDIT[m.mark] for m in matches) / total if total else 0.0


def level_for(scale: Sequence[Level], coverage: float) -> tuple[Level, float]:
    """The scale level for a coverage score, and a confidence from the distance to the nearest cut."""
    levels = sorted(scale, key=lambda lv: -lv.score)
    n = len(levels)
    cuts = FOUR_LEVEL_CUTS if n == 4 else tuple((n - 1 - i) / n for i in range(n - 1))
    index = next((i for i, cut in enumerate(cuts) if coverage >= cut), n - 1)
    distance = min((abs(coverage - c) for c in cuts), default=0.5)
    return levels[index], round(min(1.0, 0.5 + distance * 2), 3)


def scale_level(scale: Sequence[Level], level_id: str) -> Level | None:
    """The scale's level with this id, or None when a drafted level is not on the scale."""
    return next((lv for lv in scale if lv.id == level_id), None)
