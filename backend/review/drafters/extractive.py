"""The extractive drafter: deterministic assessments from matched evidence and rubric links, no model."""

from __future__ import annotations

import time
from collections.abc import Sequence

from backend.domain.assessment import (
    NO_EVIDENCE_ZH,
    Advice,
    DrafterKind,
    DraftInfo,
    IndicatorAssessment,
    MissingEvidence,
    PointAssessment,
)
from backend.domain.enums import Mark
from backend.review.drafters.base import IndicatorContext, PointMatch
from backend.review.rating import coverage_score, level_for
from backend.rubrics.models import PointKind, ReviewPoint, Rubric

VERSION = "1.1"


def _advice_text(point: ReviewPoint, context: IndicatorContext) -> list[Advice]:
    out = []
    for link in point.links:
        rubric_id, _, point_id = link.partition(":")
        guide: Rubric | None = context.guide if context.guide and context.guide.id == rubric_id else None
        if guide is None and rubric_id == context.rubric.id:
            guide = context.rubric
        if guide is None:
            continue
        rec = guide.point(point_id)
        out.append(Advice(text_zh=f"建议参照《{guide.name}》{rec.id}：{rec.text}", source=link, point_id=point.id))
    if not out:
        expected = "；".join(point.evidence) or point.text
        out.append(
            Advice(
                text_zh=f"建议补充并完善：{expected}。",
                source=f"{context.rubric.id}:{point.id}",
                point_id=point.id,
            )
        )
    return out


def _missing(point: ReviewPoint, match: PointMatch) -> MissingEvidence:
    if point.kind is PointKind.QUANTITATIVE and point.metric and match.figure is None:
        unit = f"（{point.metric.unit}）" if point.metric.unit else ""
        return MissingEvidence(
            point_id=point.id, expected_zh=f"未提供{point.metric.name}{unit}的数值", metric=point.metric.name
        )
    expected = "；".join(point.evidence) or point.text
    return MissingEvidence(point_id=point.id, expected_zh=f"未找到充分证据，应提供：{expected}")


def _point_rationale(match: PointMatch) -> str:
    s = match.signals
    if match.mark is Mark.MORE_MATERIAL:
        if s.figure_found is False:
            metric = match.point.metric.name if match.point.metric else "该定量指标"
            return f"报告未提供{metric}的数值（表格和正文中均未找到），需补充数据。"
        if not match.evidence:
            return f"{NO_EVIDENCE_ZH}：报告中没有与该审核重点对应的表述。"
        found = f"最高相似度 {s.best_dense:.2f}，关键词覆盖 {s.term_coverage:.0%}"
        return f"未检索到与该审核重点充分对应的内容（{found}）。"
    page = match.evidence[0].page_start if match.evidence else None
    where = f"第 {page} 页" if page else "报告中"
    if match.mark is Mark.VERIFY_ON_SITE:
        return f"{where}有相关表述，但缺少数据、文件或成效支撑，建议入校核实。"
    figure = f"，报告值 {match.figure.display_zh}" if match.figure else ""
    return f"{where}有具体做法和支撑材料{figure}。"


class ExtractiveDrafter:
    """Level from weighted review-point coverage; rationale and gaps from templates; advice from links."""

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
        points = tuple(
            PointAssessment(
                point_id=m.point.id,
                point_text=m.point.text,
                mark=m.mark,
                evidence=m.evidence,
                figure=m.figure,
                signals=m.signals,
                rationale_zh=_point_rationale(m),
            )
            for m in matches
        )
        missing = tuple(_missing(m.point, m) for m in matches if m.mark is Mark.MORE_MATERIAL)
        advice = tuple(a for m in matches if m.mark is not Mark.CLEAR for a in _advice_text(m.point, context))
        counts = {mark: sum(m.mark is mark for m in matches) for mark in Mark}
        rationale = (
            f"本指标共 {len(matches)} 个审核重点：{counts[Mark.CLEAR]} 个证据充分（句号），"
            f"{counts[Mark.MORE_MATERIAL]} 个需补充材料（破折号），{counts[Mark.VERIFY_ON_SITE]} 个需入校核实（问号）；"
            f"加权覆盖率 {coverage:.0%}，建议等级「{level.label}」：{level.evidence}"
        )
        return IndicatorAssessment(
            indicator_id=context.indicator.id,
            indicator_name=context.indicator.name,
            level=level.id,
            level_label=level.label,
            confidence=confidence,
            points=points,
            missing=missing,
            advice=advice,
            rationale_zh=rationale,
            draft=DraftInfo(drafter=self.kind, version=self.version, seconds=round(time.perf_counter() - started, 4)),
        )
