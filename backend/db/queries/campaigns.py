"""Campaigns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Campaign, CampaignQuotas
from backend.domain.enums import SubmissionKind
from backend.errors import AppError, ErrorCode


def create_campaign(
    session: Session,
    *,
    name: str,
    rubric_id: str,
    kind: SubmissionKind,
    deadline: dt.datetime | None = None,
    quotas: CampaignQuotas | None = None,
    expert_results_visible: bool = True,
    created_by: int | None = None,
) -> Campaign:
    """Add a campaign."""
    campaign = Campaign(
        name=name,
        rubric_id=rubric_id,
        kind=kind,
        deadline=deadline,
        quotas=quotas or CampaignQuotas(),
        expert_results_visible=expert_results_visible,
        created_by=created_by,
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, *, campaign_id: int) -> Campaign:
    """The campaign with this id, or NOT_FOUND."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise AppError(ErrorCode.NOT_FOUND, "遴选活动不存在。", f"no campaign {campaign_id}")
    return campaign


def find_campaign(session: Session, *, campaign_id: int) -> Campaign | None:
    """The campaign with this id, if any."""
    return session.get(Campaign, campaign_id)


def list_campaigns(session: Session) -> Sequence[Campaign]:
    """All campaigns, newest first."""
    return session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())).all()


def find_campaign_by_name(session: Session, *, name: str) -> Campaign | None:
    """The oldest campaign with this name, if any (names are not unique)."""
    return session.scalars(select(Campaign).where(Campaign.name == name).order_by(Campaign.id).limit(1)).one_or_none()


def update_campaign(
    session: Session,
    *,
    campaign_id: int,
    name: str,
    rubric_id: str,
    kind: SubmissionKind,
    deadline: dt.datetime | None,
    quotas: CampaignQuotas,
    experts_per_submission: int,
    expert_load_limit: int | None,
    review_due_at: dt.datetime | None,
    expert_results_visible: bool = True,
) -> Campaign:
    """Change a campaign's settings."""
    campaign = get_campaign(session, campaign_id=campaign_id)
    campaign.name, campaign.rubric_id, campaign.kind = name, rubric_id, kind
    campaign.deadline, campaign.quotas = deadline, quotas
    campaign.experts_per_submission, campaign.expert_load_limit = experts_per_submission, expert_load_limit
    campaign.review_due_at, campaign.expert_results_visible = review_due_at, expert_results_visible
    session.flush()
    return campaign
