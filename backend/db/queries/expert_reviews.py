"""An expert's own review: evidence attached from the search, and the submitted review with its opinions."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db.models import (
    AssessmentRecord,
    AttachedEvidence,
    DocumentVersion,
    ExpertOpinions,
    ExpertReview,
    ReviewRecord,
    Submission,
)
from backend.errors import AppError, ErrorCode


def attach_evidence(
    session: Session,
    *,
    assessment_id: int,
    point_id: str,
    reviewer_id: int,
    chunk_key: str,
    quote: str,
    quote_start: int,
    quote_end: int,
    page_start: int | None,
    page_end: int | None,
    heading_path: tuple[str, ...],
) -> AttachedEvidence:
    """Add a quote an expert attached to a review point (the caller has checked it verbatim)."""
    row = AttachedEvidence(
        assessment_id=assessment_id,
        point_id=point_id,
        reviewer_id=reviewer_id,
        chunk_key=chunk_key,
        quote=quote,
        quote_start=quote_start,
        quote_end=quote_end,
        page_start=page_start,
        page_end=page_end,
        heading_path=heading_path,
    )
    session.add(row)
    session.flush()
    return row


def get_attached(session: Session, *, attached_id: int) -> AttachedEvidence:
    """The attached quote with this id, or NOT_FOUND."""
    row = session.get(AttachedEvidence, attached_id)
    if row is None:
        raise AppError(ErrorCode.NOT_FOUND, "证据不存在。", f"no attached evidence {attached_id}")
    return row


def list_attached(
    session: Session, *, assessment_id: int, point_id: str, reviewer_id: int | None = None
) -> Sequence[AttachedEvidence]:
    """Quotes attached to a review point, oldest first, optionally by one expert."""
    query = select(AttachedEvidence).where(
        AttachedEvidence.assessment_id == assessment_id, AttachedEvidence.point_id == point_id
    )
    if reviewer_id is not None:
        query = query.where(AttachedEvidence.reviewer_id == reviewer_id)
    return session.scalars(query.order_by(AttachedEvidence.id)).all()


def count_attached(session: Session, *, review_id: int, reviewer_id: int) -> dict[tuple[int, str], int]:
    """(assessment id, point id) -> how many quotes the expert attached there, over a review."""
    query = (
        select(AttachedEvidence.assessment_id, AttachedEvidence.point_id)
        .join(AssessmentRecord, AssessmentRecord.id == AttachedEvidence.assessment_id)
        .where(AssessmentRecord.review_id == review_id, AttachedEvidence.reviewer_id == reviewer_id)
    )
    counts: dict[tuple[int, str], int] = {}
    for key in session.execute(query).all():
        counts[(key[0], key[1])] = counts.get((key[0], key[1]), 0) + 1
    return counts


def submit_review(session: Session, *, reviewer_id: int, review_id: int, opinions: ExpertOpinions) -> ExpertReview:
    """Record an expert's submitted review (unique per expert and review: a concurrent second one fails)."""
    row = ExpertReview(reviewer_id=reviewer_id, review_id=review_id, opinions=opinions)
    session.add(row)
    session.flush()
    return row


def find_expert_review(session: Session, *, reviewer_id: int, review_id: int) -> ExpertReview | None:
    """The expert's submitted review of this AI review, if submitted."""
    query = select(ExpertReview).where(ExpertReview.reviewer_id == reviewer_id, ExpertReview.review_id == review_id)
    return session.scalars(query).one_or_none()


def submitted_reviewer_ids(session: Session, *, review_id: int) -> frozenset[int]:
    """The experts who submitted a review of this AI review (ids only: read on every request for a university)."""
    query = select(ExpertReview.reviewer_id).where(ExpertReview.review_id == review_id)
    return frozenset(session.scalars(query).all())


def submitted_counts(session: Session, *, campaign_id: int) -> dict[int, int]:
    """Submission id -> how many experts submitted a review of it, over a campaign."""
    query = (
        select(DocumentVersion.submission_id, func.count(ExpertReview.id))
        .join(ReviewRecord, ReviewRecord.id == ExpertReview.review_id)
        .join(DocumentVersion, DocumentVersion.id == ReviewRecord.version_id)
        .join(Submission, Submission.id == DocumentVersion.submission_id)
        .where(Submission.campaign_id == campaign_id)
        .group_by(DocumentVersion.submission_id)
    )
    return {submission_id: count for submission_id, count in session.execute(query).all()}


def list_expert_reviews(
    session: Session,
    *,
    review_id: int | None = None,
    reviewer_id: int | None = None,
    review_ids: Collection[int] | None = None,
) -> Sequence[ExpertReview]:
    """Submitted expert reviews, oldest first, of one AI review (or of several) and/or by one expert."""
    query = select(ExpertReview).order_by(ExpertReview.id)
    if review_id is not None:
        query = query.where(ExpertReview.review_id == review_id)
    if review_ids is not None:
        query = query.where(ExpertReview.review_id.in_(list(review_ids)))
    if reviewer_id is not None:
        query = query.where(ExpertReview.reviewer_id == reviewer_id)
    return session.scalars(query).all()
