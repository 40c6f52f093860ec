"""The extractive drafter: deterministic assessments from matched evidence and rubric links, no model."""

from __future__ import annotations

import time
from collections.abc import Sequence

from backend.domain.assessment import DrafterKind, DraftInfo, IndicatorAssessment, PointAssessment
from backend.domain.enums import Mark
from backend.review.drafters.base import IndicatorContext
from backend.review.drafters.gaps import advice, missing_evidence, point_gap, rationale, site_question
from backend.review.drafters.guide import GuideIndex, GuideMatch, guide_index
from backend.review.rating import coverage_score, level_for
from backend.rubrics.models import ReviewPoint

VERSION = "2.0"


def _guide_for(point: ReviewPoint, context: IndicatorContext) -> GuideMatch | None:
    """The guide recommendation that matches the point: from the guide its links name (or the rubric itself)."""
    guides = [g for g in (context.guide, context.rubric) if g is not None]
    linked = {link.partition(":")[0] for link in point.links}
    chosen = next((g for g in guides if g.id in linked), context.guide)
    if chosen is None:
        return None
    index: GuideIndex = guide_index(chosen)
    found = index.best_for(point)
    # A guide's own point is not advice for itself.
    return None if found is not None and found.link == f"{context.rubric.id}:{point.id}" else found


class ExtractiveDrafter:
    """Level from weighted review-point coverage; rationale, gaps, advice and site questions from the evidence."""

    kind = DrafterKind.EXTRACTIVE
    version = VERSION

    def draft_many(self, contexts: Sequence[IndicatorContext]) -> list[IndicatorAssessment]:
        """Assess indicators one after another (drafting is cheap and deterministic)."""
        return [self.draft(c) for c in contexts]

    def draft(self, context: IndicatorContext) -> IndicatorAssessment:
        """Assess one indicator deterministically."""
        started = time.perf_counter()
        matches = context.matches
        coverage = coverage_score(matches)
        level, confidence = level_for(context.rubric.scale, coverage)
        points, missing, advices = [], [], []
        for m in matches:
            gap = point_gap(m, context.chunks)
            points.append(
                PointAssessment(
                    point_id=m.point.id,
                    point_text=m.point.text,
                    mark=m.mark,
                    evidence=m.evidence,
                    figure=m.figure,
                    signals=m.signals,
                    rationale_zh=rationale(m, gap),
                    site_visit_zh=site_question(m.point, m.evidence, m.figure)
                    if m.mark is Mark.VERIFY_ON_SITE
                    else None,
                )
            )
            if m.mark is Mark.MORE_MATERIAL:
                missing.append(missing_evidence(m, gap))
            item = advice(m, gap, _guide_for(m.point, context), context.rubric.id)
            if item is not None:
                advices.append(item)
        counts = {mark: sum(m.mark is mark for m in matches) for mark in Mark}
        rationale_zh = (
            f"本指标共 {len(matches)} 个审核重点：{counts[Mark.CLEAR]} 个证据充分（句号），"
            f"{counts[Mark.MORE_MATERIAL]} 个需补充材料（破折号），{counts[Mark.VERIFY_ON_SITE]} 个需入校核实（问号）；"
            f"建议等级「{level.label}」：{level.evidence}"
        )
        return IndicatorAssessment(
            indicator_id=context.indicator.id,
            indicator_name=context.indicator.name,
            level=level.id,
            level_label=level.label,
            confidence=confidence,
            points=tuple(points),
            missing=tuple(missing),
            advice=tuple(advices),
            rationale_zh=rationale_zh,
            draft=DraftInfo(drafter=self.kind, version=self.version, seconds=round(time.perf_counter() - started, 4)),
        )
