"""Expert decisions on AI drafts: validation and the final (expert-decided) view of an assessment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from backend.domain.assessment import IndicatorAssessment, Review
from backend.domain.enums import DecisionAction, Mark
from backend.errors import AppError, ErrorCode
from backend.rubrics.models import Rubric


class DecisionInput(BaseModel):
    """An expert's decision on an indicator (``point_id`` empty) or on one review point."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: DecisionAction
    point_id: str | None = None
    final_mark: Mark | None = None
    final_level: str | None = None
    comment: str = ""
    advice_zh: str | None = None


class ResolvedDecision(BaseModel):
    """A validated decision with the final mark or level it sets."""

    model_config = ConfigDict(frozen=True)

    action: DecisionAction
    point_id: str | None
    final_mark: Mark | None
    final_level: str | None
    comment: str
    advice_zh: str | None = None


class RecordedDecision(ResolvedDecision):
    """A stored decision with who made it and when."""

    reviewer_id: int
    decided_at: datetime


def resolve_decision(assessment: IndicatorAssessment, rubric: Rubric, decision: DecisionInput) -> ResolvedDecision:
    """Check a decision against the assessment and the scale; accept copies the AI suggestion."""
    levels = {lv.id for lv in rubric.scale}
    if decision.point_id is not None:
        point = next((p for p in assessment.points if p.point_id == decision.point_id), None)
        if point is None:
            raise AppError(ErrorCode.INVALID_INPUT, "该指标下没有此审核重点。", f"point {decision.point_id}")
        if decision.final_level is not None:
            raise AppError(ErrorCode.INVALID_INPUT, "审核重点只能给出标记，不能给出等级。", "level on a point")
        suggested = point.mark
        final_mark = suggested if decision.action is DecisionAction.ACCEPT else decision.final_mark
        if decision.action is DecisionAction.EDIT and final_mark is None:
            raise AppError(ErrorCode.INVALID_INPUT, "修改时请选择最终标记（句号、破折号或问号）。", "edit without mark")
        final_level = None
    else:
        if decision.final_mark is not None:
            raise AppError(ErrorCode.INVALID_INPUT, "指标只能给出等级，不能给出标记。", "mark on an indicator")
        final_level = assessment.level if decision.action is DecisionAction.ACCEPT else decision.final_level
        if decision.action is DecisionAction.EDIT and final_level is None:
            raise AppError(ErrorCode.INVALID_INPUT, "修改时请选择最终等级。", "edit without level")
        if final_level is not None and final_level not in levels:
            raise AppError(ErrorCode.INVALID_INPUT, "等级不在该指标体系的评价等级中。", f"level {final_level}")
        final_mark = None
        if decision.advice_zh is not None:
            raise AppError(ErrorCode.INVALID_INPUT, "改进建议只能针对审核重点修改。", "advice on an indicator")
    if decision.action is DecisionAction.REJECT and not decision.comment.strip():
        raise AppError(ErrorCode.INVALID_INPUT, "驳回 AI 建议时请填写理由。", "reject without comment")
    return ResolvedDecision(
        action=decision.action,
        point_id=decision.point_id,
        final_mark=final_mark,
        final_level=final_level,
        comment=decision.comment.strip(),
        advice_zh=(decision.advice_zh or "").strip() or None,
    )


class FinalPoint(BaseModel):
    """A review point's suggested and final mark."""

    model_config = ConfigDict(frozen=True)

    point_id: str
    suggested: Mark
    final: Mark
    decided: bool


class FinalAssessment(BaseModel):
    """An indicator as the expert left it: the latest decision wins, AI suggestions fill the rest."""

    model_config = ConfigDict(frozen=True)

    indicator_id: str
    suggested_level: str
    final_level: str
    level_decided: bool
    points: tuple[FinalPoint, ...]


def final_view(assessment: IndicatorAssessment, decisions: Sequence[RecordedDecision]) -> FinalAssessment:
    """Merge decisions (oldest first) over the AI suggestions; a rejected point without a mark keeps none."""
    ordered = sorted(decisions, key=lambda d: d.decided_at)
    level, level_decided = assessment.level, False
    marks = {p.point_id: p.mark for p in assessment.points}
    decided: set[str] = set()
    for d in ordered:
        if d.point_id is None and d.final_level is not None:
            level, level_decided = d.final_level, True
        elif d.point_id is not None and d.final_mark is not None:
            marks[d.point_id] = d.final_mark
            decided.add(d.point_id)
    return FinalAssessment(
        indicator_id=assessment.indicator_id,
        suggested_level=assessment.level,
        final_level=level,
        level_decided=level_decided,
        # Built without validation: every value comes from validated models (a campaign's ranking builds thousands).
        points=tuple(
            FinalPoint.model_construct(
                point_id=p.point_id, suggested=p.mark, final=marks[p.point_id], decided=p.point_id in decided
            )
            for p in assessment.points
        ),
    )


def apply_decisions(review: Review, decisions: Mapping[str, Sequence[RecordedDecision]]) -> Review:
    """The review as one expert left it: per indicator id, their decisions set the level and the point marks."""
    assessments = []
    for a in review.assessments:
        if a.indicator_id not in decisions:
            assessments.append(a)
            continue
        final = final_view(a, decisions[a.indicator_id])
        marks = {p.point_id: p.final for p in final.points}
        points = tuple(
            p if p.mark is marks[p.point_id] else p.model_copy(update={"mark": marks[p.point_id]}) for p in a.points
        )
        assessments.append(a.model_copy(update={"level": final.final_level, "points": points}))
    return review.model_copy(update={"assessments": tuple(assessments)})
