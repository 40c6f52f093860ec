"""Selection campaigns, their ranking, and expert assignments (secretariat)."""

from __future__ import annotations

from backend import campaigns as campaign_rules
from backend.api.deps import AssignmentReaders, DbSession, Readers, Secretariat, SettingsDep
from backend.api.routing import Router
from backend.api.schemas import AssignmentIn, AssignmentOut, CampaignIn, CampaignOut, Id, RankingOut, ReviewDueIn
from backend.db.base import utcnow
from backend.db.models import Role
from backend.db.queries import assignments, campaigns
from backend.selection.shortlist import campaign_shortlist

router = Router(tags=["campaigns"])


@router.get("/campaigns")
def list_campaigns(user: Readers, session: DbSession) -> list[CampaignOut]:
    """All campaigns, newest first (campaigns are public to every reader)."""
    return [CampaignOut.model_validate(c) for c in campaigns.list_campaigns(session)]


@router.post("/campaigns", status_code=201)
def create_campaign(body: CampaignIn, user: Secretariat, session: DbSession, settings: SettingsDep) -> CampaignOut:
    """Create a campaign against a known rubric that fits its kind (422 otherwise)."""
    campaign = campaign_rules.create_campaign(
        session,
        name=body.name,
        rubric_id=body.rubric_id,
        kind=body.kind,
        deadline=body.deadline,
        quotas=body.quotas,
        expert_results_visible=body.expert_results_visible,
        user_id=user.user_id,
        settings=settings,
    )
    return CampaignOut.model_validate(campaign)


@router.get("/campaigns/{campaign_id}")
def get_campaign(campaign_id: Id, user: Readers, session: DbSession) -> CampaignOut:
    """One campaign."""
    return CampaignOut.model_validate(campaigns.get_campaign(session, campaign_id=campaign_id))


@router.put("/campaigns/{campaign_id}/review-due")
def set_review_due(campaign_id: Id, body: ReviewDueIn, user: Secretariat, session: DbSession) -> CampaignOut:
    """Set or extend the experts' deadline (422 for a time already past)."""
    campaign = campaign_rules.extend_review_deadline(
        session, campaign_id=campaign_id, due_at=body.review_due_at, user_id=user.user_id, now=utcnow()
    )
    return CampaignOut.model_validate(campaign)


@router.get("/campaigns/{campaign_id}/ranking")
def get_ranking(campaign_id: Id, user: Secretariat, session: DbSession, settings: SettingsDep) -> RankingOut:
    """The ranking page's data: one row per institution (a case campaign: per case) within its category, seats by
    the quotas, cut-offs."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    return RankingOut.build(campaign_shortlist(session, campaign=campaign, settings=settings))


@router.get("/assignments")
def list_assignments(user: AssignmentReaders, session: DbSession) -> list[AssignmentOut]:
    """Assignments: an expert sees their own, the secretariat sees all."""
    expert_id = user.user_id if user.role is Role.EXPERT else None
    return [AssignmentOut.model_validate(a) for a in assignments.list_assignments(session, expert_id=expert_id)]


@router.post("/assignments", status_code=201)
def assign(body: AssignmentIn, user: Secretariat, session: DbSession) -> AssignmentOut:
    """Assign an expert to a submission; refused (409) for the expert's own institution."""
    assignment = assignments.assign_expert(
        session, expert_id=body.expert_id, submission_id=body.submission_id, assigned_by=user.user_id
    )
    return AssignmentOut.model_validate(assignment)
