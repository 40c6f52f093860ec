"""Campaign rules: a campaign's rubric must exist and fit its kind of submission; a campaign closes at its
deadline for universities (new submissions and uploads are refused; the secretariat's work goes on), and at its
expert review deadline for experts (decisions, attached quotes and submissions are refused until the secretariat
extends it)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import BEIJING
from backend.db.models import TAG_LENGTH, Campaign, CampaignQuotas, Submission
from backend.db.queries import audit, campaigns, submissions
from backend.domain.enums import SubmissionKind
from backend.errors import AppError, ErrorCode
from backend.rubrics.registry import rubric_registry


def create_campaign(
    session: Session,
    *,
    name: str,
    rubric_id: str,
    kind: SubmissionKind,
    deadline: dt.datetime | None,
    quotas: CampaignQuotas,
    user_id: int,
    settings: Settings,
    expert_results_visible: bool = True,
) -> Campaign:
    """Add a campaign whose rubric exists and applies to its kind; a deadline without a zone is Beijing time.

    Raises:
        AppError: ``RUBRIC_NOT_FOUND`` for an unknown rubric, ``INVALID_INPUT`` for one of another kind.
    """
    check_rubric(rubric_id, kind, settings)
    if deadline is not None and deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=BEIJING)
    return campaigns.create_campaign(
        session,
        name=name,
        rubric_id=rubric_id,
        kind=kind,
        deadline=deadline,
        quotas=quotas,
        expert_results_visible=expert_results_visible,
        created_by=user_id,
    )


def check_rubric(rubric_id: str, kind: SubmissionKind, settings: Settings) -> None:
    """Refuse a rubric that does not exist (RUBRIC_NOT_FOUND) or does not apply to the kind (INVALID_INPUT)."""
    rubric = rubric_registry(settings).get(rubric_id)
    kinds = rubric.applicability.submission_kinds
    if kind not in kinds:
        fits = "、".join(k.zh for k in kinds)
        raise AppError(
            ErrorCode.INVALID_INPUT,
            f"指标体系“{rubric.name}”只适用于{fits}，不能用于{kind.zh}遴选活动。",
            f"rubric {rubric_id} applies to {[k.value for k in kinds]}, not {kind.value}",
        )


@dataclass(frozen=True)
class CampaignSettings:
    """A campaign as the secretariat sets it up: rubric and kind, deadline, quotas, expert assignment."""

    name: str
    rubric_id: str
    kind: SubmissionKind
    deadline: dt.datetime | None
    quotas: CampaignQuotas
    experts_per_submission: int
    expert_load_limit: int | None
    review_due_at: dt.datetime | None
    # Whether the university sees the experts' results once they submit.
    expert_results_visible: bool = True


def save_campaign(
    session: Session, *, campaign_id: int | None, values: CampaignSettings, user_id: int, settings: Settings
) -> Campaign:
    """Add (``campaign_id`` None) or change a campaign; dates without a zone are Beijing time.

    Raises:
        AppError: as :func:`check_rubric`; ``INVALID_INPUT`` for an empty name or expert numbers below one.
    """
    if not values.name.strip():
        raise AppError(ErrorCode.INVALID_INPUT, "请填写活动名称。", "empty campaign name")
    if values.experts_per_submission < 1 or (values.expert_load_limit is not None and values.expert_load_limit < 1):
        raise AppError(ErrorCode.INVALID_INPUT, "每份材料的专家数和专家评审上限至少为 1。", "expert numbers < 1")
    check_rubric(values.rubric_id, values.kind, settings)
    zoned = {
        k: v.replace(tzinfo=BEIJING) if v is not None and v.tzinfo is None else v
        for k, v in (("deadline", values.deadline), ("review_due_at", values.review_due_at))
    }
    if campaign_id is None:
        campaign_id = campaigns.create_campaign(
            session, name=values.name, rubric_id=values.rubric_id, kind=values.kind, created_by=user_id
        ).id
    campaign = campaigns.update_campaign(
        session,
        campaign_id=campaign_id,
        name=values.name.strip(),
        rubric_id=values.rubric_id,
        kind=values.kind,
        deadline=zoned["deadline"],
        quotas=values.quotas,
        experts_per_submission=values.experts_per_submission,
        expert_load_limit=values.expert_load_limit,
        review_due_at=zoned["review_due_at"],
        expert_results_visible=values.expert_results_visible,
    )
    audit.record_event(session, actor_id=user_id, action="campaign.save", object_type="campaign", object_id=campaign.id)
    return campaign


def check_open(campaign: Campaign | None, *, now: dt.datetime) -> None:
    """Refuse (CONFLICT) a university's new submission or upload once the campaign's deadline has passed."""
    if campaign is None or campaign.deadline is None or now <= campaign.deadline:
        return
    closed = campaign.deadline.astimezone(BEIJING)
    raise AppError(
        ErrorCode.CONFLICT,
        f"遴选活动“{campaign.name}”已于 {closed:%Y-%m-%d %H:%M}（北京时间）截止，不能再提交材料或上传文件。",
        f"campaign {campaign.id} closed at {campaign.deadline.isoformat()}",
    )


def review_closed(campaign: Campaign | None, *, now: dt.datetime) -> bool:
    """Whether the campaign's expert review deadline has passed."""
    return campaign is not None and campaign.review_due_at is not None and now > campaign.review_due_at


def check_review_open(campaign: Campaign | None, *, now: dt.datetime) -> None:
    """Refuse (CONFLICT) an expert's change or submission once the campaign's expert review deadline has passed."""
    if campaign is None or campaign.review_due_at is None or not review_closed(campaign, now=now):
        return
    closed = campaign.review_due_at.astimezone(BEIJING)
    raise AppError(
        ErrorCode.CONFLICT,
        f"遴选活动“{campaign.name}”的专家评审已于 {closed:%Y-%m-%d %H:%M}（北京时间）截止，"
        "不能再修改或提交评审意见。如需延期，请联系秘书处。",
        f"campaign {campaign.id} review closed at {campaign.review_due_at.isoformat()}",
    )


def extend_review_deadline(
    session: Session, *, campaign_id: int, due_at: dt.datetime, user_id: int, now: dt.datetime
) -> Campaign:
    """Move the campaign's expert review deadline (a time without a zone is Beijing time) to a later time.

    Raises:
        AppError: ``INVALID_INPUT`` for a time already past.
    """
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    if due_at.tzinfo is None:
        due_at = due_at.replace(tzinfo=BEIJING)
    if due_at <= now:
        raise AppError(ErrorCode.INVALID_INPUT, "新的专家评审截止时间须晚于当前时间。", f"due {due_at} <= now {now}")
    earlier = campaign.review_due_at.isoformat() if campaign.review_due_at else "none"
    campaign.review_due_at = due_at
    session.flush()
    audit.record_event(
        session,
        actor_id=user_id,
        action="campaign.review_due",
        object_type="campaign",
        object_id=campaign.id,
        detail=f"{earlier} -> {due_at.isoformat()}",
    )
    return campaign


MAX_THEME_TAGS = 8


@dataclass(frozen=True)
class CaseDetails:
    """What a university files a case (优秀案例) under: a category and theme tags."""

    category: str = ""
    theme_tags: tuple[str, ...] = ()


def parse_theme_tags(text: str) -> tuple[str, ...]:
    """Theme tags typed as one line, separated by 、 or commas, without repeats.

    Raises:
        AppError: ``INVALID_INPUT`` for a tag longer than TAG_LENGTH or more than MAX_THEME_TAGS tags.
    """
    tags = tuple(dict.fromkeys(t.strip() for t in re.split(r"[、,，;；]", text) if t.strip()))
    if any(len(t) > TAG_LENGTH for t in tags) or len(tags) > MAX_THEME_TAGS:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            f"主题标签最多 {MAX_THEME_TAGS} 个，每个不超过 {TAG_LENGTH} 个字。",
            f"theme tags {tags!r}",
        )
    return tags


def create_submission(
    session: Session,
    *,
    institution_id: int,
    title: str,
    campaign_id: int | None,
    user_id: int,
    now: dt.datetime,
    case: CaseDetails | None = None,
) -> Submission:
    """Add a submission of an institution, standalone or to a campaign still open; a case campaign's submission
    keeps its category and theme tags.

    Raises:
        AppError: ``NOT_FOUND`` for an unknown campaign, ``CONFLICT`` after its deadline, ``INVALID_INPUT`` for
        case details given to a campaign of reports.
    """
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id) if campaign_id is not None else None
    check_open(campaign, now=now)
    is_case = campaign is not None and campaign.kind is SubmissionKind.CASE
    if case is not None and (case.category or case.theme_tags) and not is_case:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            "案例类别和主题标签只在优秀案例活动中填写。",
            f"case details for campaign {campaign_id} of kind {campaign.kind.value if campaign else None}",
        )
    details = case if case is not None and is_case else CaseDetails()
    return submissions.create_submission(
        session,
        institution_id=institution_id,
        title=title,
        campaign_id=campaign_id,
        created_by=user_id,
        case_category=details.category.strip() or None,
        theme_tags=details.theme_tags,
    )
