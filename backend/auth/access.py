"""Who may do what: role checks (403) and tenant checks (404, so other tenants' objects stay invisible).

Roles: ``university`` sees its own institution's submissions; ``expert`` sees the submissions assigned
to it; ``secretariat`` reads everything; ``admin`` manages users and institutions and reads no review
data. The codes follow the rule documented in :mod:`backend.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from backend.auth.tokens import Principal
from backend.db.models import Role, Submission
from backend.db.queries import assignments as assignment_queries
from backend.db.queries import submissions as submission_queries
from backend.errors import AppError, ErrorCode

READERS = (Role.UNIVERSITY, Role.EXPERT, Role.SECRETARIAT)


def require_role(principal: Principal, roles: tuple[Role, ...]) -> None:
    """Refuse (403) a user whose role may not do this action at all."""
    if principal.role not in roles:
        allowed = ", ".join(roles)
        raise AppError(ErrorCode.FORBIDDEN, "您的角色无权执行此操作。", f"role {principal.role} not in: {allowed}")


def can_read_submission(session: Session, principal: Principal, submission: Submission) -> bool:
    """Whether the user may see this submission and everything under it."""
    if principal.role is Role.SECRETARIAT:
        return True
    if principal.role is Role.UNIVERSITY:
        return submission.institution_id == principal.institution_id
    if principal.role is Role.EXPERT:
        found = assignment_queries.find_assignment(session, expert_id=principal.user_id, submission_id=submission.id)
        return found is not None
    return False


def check_submission(session: Session, principal: Principal, submission: Submission, what_zh: str) -> None:
    """Raise NOT_FOUND, as if it did not exist, when the user may not see the submission."""
    if not can_read_submission(session, principal, submission):
        raise AppError(ErrorCode.NOT_FOUND, f"{what_zh}不存在。", f"submission {submission.id} not visible")


def visible_submissions(
    session: Session, principal: Principal, *, campaign_id: int | None = None
) -> Sequence[Submission]:
    """The submissions the user may see: own institution's, assigned ones, or all (secretariat)."""
    if principal.role is Role.UNIVERSITY:
        return submission_queries.list_submissions(
            session, institution_id=principal.institution_id, campaign_id=campaign_id
        )
    if principal.role is Role.EXPERT:
        return submission_queries.list_assigned_submissions(
            session, expert_id=principal.user_id, campaign_id=campaign_id
        )
    return submission_queries.list_submissions(session, campaign_id=campaign_id)
