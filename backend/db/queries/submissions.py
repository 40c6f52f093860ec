"""Submissions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from backend.db.models import Assignment, Submission
from backend.errors import AppError, ErrorCode


def create_submission(
    session: Session,
    *,
    institution_id: int,
    title: str,
    campaign_id: int | None = None,
    created_by: int | None = None,
    case_category: str | None = None,
    theme_tags: tuple[str, ...] = (),
) -> Submission:
    """Add a submission of an institution (to a campaign, or standalone); cases with their category and tags."""
    submission = Submission(
        institution_id=institution_id,
        campaign_id=campaign_id,
        title=title,
        created_by=created_by,
        case_category=case_category,
        theme_tags=theme_tags,
    )
    session.add(submission)
    session.flush()
    return submission


def get_submission(session: Session, *, submission_id: int) -> Submission:
    """The submission with this id, or NOT_FOUND."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise AppError(ErrorCode.NOT_FOUND, "材料不存在。", f"no submission {submission_id}")
    return submission


def list_submissions(
    session: Session,
    *,
    institution_id: int | None = None,
    campaign_id: int | None = None,
    with_institution: bool = False,
) -> Sequence[Submission]:
    """Submissions in creation order, optionally of one institution and/or one campaign (``with_institution``: their
    institutions read in the same query, for lists that name them)."""
    query = select(Submission).order_by(Submission.id)
    if with_institution:
        query = query.options(joinedload(Submission.institution))
    if institution_id is not None:
        query = query.where(Submission.institution_id == institution_id)
    if campaign_id is not None:
        query = query.where(Submission.campaign_id == campaign_id)
    return session.scalars(query).all()


def list_assigned_submissions(
    session: Session, *, expert_id: int, campaign_id: int | None = None
) -> Sequence[Submission]:
    """Submissions an expert is assigned to, in creation order, optionally of one campaign."""
    query = (
        select(Submission)
        .join(Assignment, Assignment.submission_id == Submission.id)
        .where(Assignment.expert_id == expert_id)
        .order_by(Submission.id)
    )
    if campaign_id is not None:
        query = query.where(Submission.campaign_id == campaign_id)
    return session.scalars(query).all()
