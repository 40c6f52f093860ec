"""Expert assignment for a campaign: the balanced proposal to adjust and apply, current assignments, conflicts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.api.deps import DbSession
from backend.auth.tokens import Principal
from backend.campaigns import extend_review_deadline
from backend.db.base import utcnow
from backend.db.models import Campaign
from backend.db.queries import assignments, campaigns, institutions
from backend.errors import AppError, ErrorCode
from backend.selection.assignment import Pair, assign, campaign_experts, propose_for_campaign, reviewable, unassign
from backend.web.deps import PostedForm, WebSecretariat
from backend.web.forms import parse_when
from backend.web.render import page

router = APIRouter()

NOTICES = {"saved": "分配已保存。", "extended": "专家评审截止时间已更新。"}


def _pairs(values: list[str]) -> list[Pair]:
    """``expert:submission`` checkbox values as pairs (malformed ones are a bad request)."""
    try:
        return [Pair(*map(int, v.split(":", 1))) for v in values]
    except ValueError as exc:
        raise AppError(ErrorCode.INVALID_INPUT, "分配数据无效，请刷新页面后重试。", str(values)) from exc


def _assignment_page(
    request: Request,
    user: Principal,
    session: DbSession,
    campaign: Campaign,
    *,
    errors: dict[str, str],
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "secretariat/assignment.html",
        user,
        title="专家分配",
        status_code=status_code,
        campaign=campaign,
        proposal=propose_for_campaign(session, campaign=campaign),
        current=assignments.list_campaign_assignments(session, campaign_id=campaign.id),
        targets=reviewable(session, campaign=campaign),
        experts={e.id: e for e in campaign_experts(session)},
        institution_names={i.id: i.name for i in institutions.list_institutions(session)},
        errors=errors,
        notice=notice,
    )


@router.get("/campaigns/{campaign_id}/assignments", response_class=HTMLResponse)
def assignment_page(request: Request, campaign_id: int, user: WebSecretariat, session: DbSession) -> HTMLResponse:
    """The proposal (pre-checked, adjustable), the current assignments and the experts' loads."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return _assignment_page(request, user, session, campaign, errors={}, notice=notice)


@router.post("/campaigns/{campaign_id}/assignments", response_class=HTMLResponse)
def apply_assignments(
    request: Request, campaign_id: int, form: PostedForm, user: WebSecretariat, session: DbSession
) -> Response:
    """Apply the checked pairs; a refused pair (conflict, load) is explained beside its submission, nothing saved."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    errors: dict[str, str] = {}
    for pair in _pairs([v for v in form.getlist("pair") if isinstance(v, str) and v]):
        try:
            assign(session, campaign=campaign, pair=pair, user_id=user.user_id)
        except AppError as exc:
            if exc.code is not ErrorCode.CONFLICT:
                raise
            errors[f"s{pair.submission_id}"] = exc.message_zh
    if not errors:
        return RedirectResponse(f"/campaigns/{campaign_id}/assignments?notice=saved", status_code=303)
    session.rollback()
    return _assignment_page(request, user, session, campaign, errors=errors, status_code=409)


@router.post("/campaigns/{campaign_id}/assignments/{expert_id}/{submission_id}/remove")
def remove_assignment(
    campaign_id: int, expert_id: int, submission_id: int, user: WebSecretariat, session: DbSession
) -> Response:
    """Withdraw one expert from one submission."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    unassign(session, campaign=campaign, pair=Pair(expert_id, submission_id), user_id=user.user_id)
    return RedirectResponse(f"/campaigns/{campaign_id}/assignments?notice=saved", status_code=303)


@router.post("/campaigns/{campaign_id}/review-due", response_class=HTMLResponse)
def extend_review_due(
    request: Request,
    campaign_id: int,
    user: WebSecretariat,
    session: DbSession,
    review_due_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Set or extend the experts' deadline; a time in the past is refused beside the field."""
    try:
        extend_review_deadline(
            session, campaign_id=campaign_id, due_at=parse_when(review_due_at), user_id=user.user_id, now=utcnow()
        )
    except AppError as exc:
        if exc.code is not ErrorCode.INVALID_INPUT:
            raise
        campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
        errors = {"review_due_at": exc.message_zh}
        return _assignment_page(request, user, session, campaign, errors=errors, status_code=422)
    return RedirectResponse(f"/campaigns/{campaign_id}/assignments?notice=extended", status_code=303)
