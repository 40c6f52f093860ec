"""Assignments of experts to submissions, refusing conflicts of interest."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Assignment, Role, Submission
from backend.db.queries.submissions import get_submission
from backend.db.queries.users import get_user
from backend.errors import AppError, ErrorCode


def assign_expert(
    session: Session, *, expert_id: int, submission_id: int, assigned_by: int | None = None
) -> Assignment:
    """Assign an expert to a submission (again: the existing assignment); never to their own institution's."""
    expert = get_user(session, user_id=expert_id)
    if expert.role is not Role.EXPERT:
        raise AppError(ErrorCode.INVALID_INPUT, "只能分配专家评审。", f"user {expert_id} is {expert.role}")
    submission = get_submission(session, submission_id=submission_id)
    if expert.institution_id is not None and expert.institution_id == submission.institution_id:
        raise AppError(
            ErrorCode.CONFLICT,
            "利益冲突：专家不能评审本单位的材料。",
            f"expert {expert_id} and submission {submission_id} share institution {submission.institution_id}",
        )
    existing = find_assignment(session, expert_id=expert_id, submission_id=submission_id)
    if existing is not None:
        return existing
    assignment = Assignment(
        expert_id=expert_id,
        expert_institution_id=expert.institution_id,
        submission_id=submission_id,
        submission_institution_id=submission.institution_id,
        assigned_by=assigned_by,
    )
    session.add(assignment)
    session.flush()
    return assignment


def find_assignment(session: Session, *, expert_id: int, submission_id: int) -> Assignment | None:
    """The assignment of this expert to this submission, if any."""
    query = select(Assignment).where(Assignment.expert_id == expert_id, Assignment.submission_id == submission_id)
    return session.scalars(query).one_or_none()


def list_assignments(
    session: Session, *, expert_id: int | None = None, submission_id: int | None = None
) -> Sequence[Assignment]:
    """Assignments, optionally of one expert and/or one submission."""
    query = select(Assignment).order_by(Assignment.id)
    if expert_id is not None:
        query = query.where(Assignment.expert_id == expert_id)
    if submission_id is not None:
        query = query.where(Assignment.submission_id == submission_id)
    return session.scalars(query).all()


def remove_assignment(session: Session, *, expert_id: int, submission_id: int) -> bool:
    """Withdraw an assignment; False if there was none."""
    assignment = find_assignment(session, expert_id=expert_id, submission_id=submission_id)
    if assignment is None:
        return False
    session.delete(assignment)
    session.flush()
    return True


def list_campaign_assignments(session: Session, *, campaign_id: int) -> Sequence[Assignment]:
    """The assignments to a campaign's submissions."""
    query = (
        select(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(Submission.campaign_id == campaign_id)
        .order_by(Assignment.id)
    )
    return session.scalars(query).all()
