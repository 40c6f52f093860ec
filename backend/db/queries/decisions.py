"""Expert decisions: append-only rows on the assessment they were made on; each expert's latest row per
(assessment, point) is that expert's current decision.

``reviewer_ids`` limits what a reader sees: None is every expert's, an empty set nobody's.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend.db.models import (
    AssessmentRecord,
    DecisionAction,
    DocumentVersion,
    ExpertDecision,
    ExpertReview,
    ReviewRecord,
    Submission,
)
from backend.db.queries.reviews import get_assessment
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode


def add_decision(
    session: Session,
    *,
    assessment_id: int,
    reviewer_id: int,
    action: DecisionAction,
    point_id: str | None = None,
    final_mark: Mark | None = None,
    final_level: str | None = None,
    comment: str = "",
    advice_zh: str | None = None,
) -> ExpertDecision:
    """Record an expert's decision on an assessment (``point_id`` None) or on one of its review points."""
    assessment = get_assessment(session, assessment_id=assessment_id)
    if point_id is not None and point_id not in {p.point_id for p in assessment.assessment.points}:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            "该指标下没有这个审核重点。",
            f"point {point_id!r} not in assessment {assessment_id}",
        )
    decision = ExpertDecision(
        assessment_id=assessment_id,
        point_id=point_id,
        action=action,
        final_mark=final_mark,
        final_level=final_level,
        comment=comment,
        advice_zh=advice_zh,
        reviewer_id=reviewer_id,
    )
    session.add(decision)
    session.flush()
    return decision


def _of(query: Select, reviewer_ids: Collection[int] | None) -> Select:
    return query if reviewer_ids is None else query.where(ExpertDecision.reviewer_id.in_(list(reviewer_ids)))


def list_decisions(
    session: Session,
    *,
    assessment_id: int,
    reviewer_ids: Collection[int] | None = None,
    point_id: str | None = None,
) -> Sequence[ExpertDecision]:
    """Every decision made on an assessment (optionally on one point), oldest first (the full history)."""
    query = _of(select(ExpertDecision).where(ExpertDecision.assessment_id == assessment_id), reviewer_ids)
    if point_id is not None:
        query = query.where(ExpertDecision.point_id == point_id)
    return session.scalars(query.order_by(ExpertDecision.id)).all()


def _current(
    session: Session, latest: Select[tuple[int]], reviewer_ids: Collection[int] | None
) -> Sequence[ExpertDecision]:
    latest = _of(latest, reviewer_ids).group_by(
        ExpertDecision.reviewer_id, ExpertDecision.assessment_id, ExpertDecision.point_id
    )
    query = select(ExpertDecision).where(ExpertDecision.id.in_(latest)).order_by(ExpertDecision.id)
    return session.scalars(query).all()


def current_decisions(
    session: Session, *, review_id: int, reviewer_ids: Collection[int] | None = None
) -> Sequence[ExpertDecision]:
    """Each expert's latest decision per (assessment, point) across a review's assessments."""
    latest = (
        select(func.max(ExpertDecision.id))
        .join(AssessmentRecord, AssessmentRecord.id == ExpertDecision.assessment_id)
        .where(AssessmentRecord.review_id == review_id)
    )
    return _current(session, latest, reviewer_ids)


def current_decisions_of_reviews(session: Session, *, review_ids: Collection[int]) -> Sequence[ExpertDecision]:
    """Each expert's latest decision per (assessment, point) across several reviews, in one query."""
    if not review_ids:
        return []
    latest = (
        select(func.max(ExpertDecision.id))
        .join(AssessmentRecord, AssessmentRecord.id == ExpertDecision.assessment_id)
        .where(AssessmentRecord.review_id.in_(list(review_ids)))
    )
    return _current(session, latest, None)


def current_assessment_decisions(
    session: Session, *, assessment_id: int, reviewer_ids: Collection[int] | None = None
) -> Sequence[ExpertDecision]:
    """Each expert's latest decision per point (and on the whole indicator) of one assessment."""
    latest = select(func.max(ExpertDecision.id)).where(ExpertDecision.assessment_id == assessment_id)
    return _current(session, latest, reviewer_ids)


def agreement_counts(session: Session) -> list[tuple[int, str, str, DecisionAction, int]]:
    """(reviewer, rubric, indicator id, action, count) over every expert's current decisions."""
    latest = select(func.max(ExpertDecision.id)).group_by(
        ExpertDecision.reviewer_id, ExpertDecision.assessment_id, ExpertDecision.point_id
    )
    query = (
        select(
            ExpertDecision.reviewer_id,
            ReviewRecord.rubric_id,
            AssessmentRecord.indicator_id,
            ExpertDecision.action,
            func.count(ExpertDecision.id),
        )
        .join(AssessmentRecord, AssessmentRecord.id == ExpertDecision.assessment_id)
        .join(ReviewRecord, ReviewRecord.id == AssessmentRecord.review_id)
        .where(ExpertDecision.id.in_(latest))
        .group_by(
            ExpertDecision.reviewer_id, ReviewRecord.rubric_id, AssessmentRecord.indicator_id, ExpertDecision.action
        )
    )
    return [tuple(row) for row in session.execute(query).all()]


def campaign_point_marks(session: Session, *, campaign_id: int) -> list[tuple[int, int, str, str, Mark]]:
    """(expert, assessment, indicator id, point id, final mark) of every submitted expert review's current point
    decisions in a campaign (a rejected point keeps the mark the expert set instead, if any)."""
    latest = select(func.max(ExpertDecision.id)).group_by(
        ExpertDecision.reviewer_id, ExpertDecision.assessment_id, ExpertDecision.point_id
    )
    query = (
        select(
            ExpertDecision.reviewer_id,
            ExpertDecision.assessment_id,
            AssessmentRecord.indicator_id,
            ExpertDecision.point_id,
            ExpertDecision.final_mark,
        )
        .join(AssessmentRecord, AssessmentRecord.id == ExpertDecision.assessment_id)
        .join(ReviewRecord, ReviewRecord.id == AssessmentRecord.review_id)
        .join(
            ExpertReview,
            (ExpertReview.review_id == ReviewRecord.id) & (ExpertReview.reviewer_id == ExpertDecision.reviewer_id),
        )
        .join(DocumentVersion, DocumentVersion.id == ReviewRecord.version_id)
        .join(Submission, Submission.id == DocumentVersion.submission_id)
        .where(
            ExpertDecision.id.in_(latest),
            Submission.campaign_id == campaign_id,
            ExpertDecision.point_id.is_not(None),
            ExpertDecision.final_mark.is_not(None),
        )
        .order_by(ExpertDecision.assessment_id, ExpertDecision.point_id, ExpertDecision.reviewer_id)
    )
    return [tuple(row) for row in session.execute(query).all()]


class DecisionStamp(NamedTuple):
    """How many decisions an object has and the newest one's id: changes whenever a decision is added.

    The count is what makes it exact: under concurrent transactions a decision with a lower id can become
    visible after one with a higher id, which leaves the newest id unchanged but not the count.
    """

    count: int
    latest_id: int | None


def review_decision_stamp(
    session: Session, *, review_id: int, reviewer_ids: Collection[int] | None = None
) -> DecisionStamp:
    """The decision stamp of a review (decisions on any of its assessments)."""
    if reviewer_ids is not None and not reviewer_ids:
        return DecisionStamp(0, None)  # nobody's decisions are shown (a university before any submission)
    query = (
        select(func.count(ExpertDecision.id), func.max(ExpertDecision.id))
        .join(AssessmentRecord, AssessmentRecord.id == ExpertDecision.assessment_id)
        .where(AssessmentRecord.review_id == review_id)
    )
    return DecisionStamp(*session.execute(_of(query, reviewer_ids)).one())


def assessment_decision_stamp(
    session: Session, *, assessment_id: int, reviewer_ids: Collection[int] | None = None
) -> DecisionStamp:
    """The decision stamp of an assessment."""
    if reviewer_ids is not None and not reviewer_ids:
        return DecisionStamp(0, None)
    query = select(func.count(ExpertDecision.id), func.max(ExpertDecision.id)).where(
        ExpertDecision.assessment_id == assessment_id
    )
    return DecisionStamp(*session.execute(_of(query, reviewer_ids)).one())


def decided_indicator_ids(session: Session, *, version_id: int, rubric_id: str) -> set[str]:
    """Indicators of a version that an expert has decided on in any review against this rubric."""
    query = (
        select(AssessmentRecord.indicator_id)
        .join(ExpertDecision, ExpertDecision.assessment_id == AssessmentRecord.id)
        .join(ReviewRecord, ReviewRecord.id == AssessmentRecord.review_id)
        .where(ReviewRecord.version_id == version_id, ReviewRecord.rubric_id == rubric_id)
        .distinct()
    )
    return set(session.scalars(query).all())
