"""The secretariat's campaigns: create and edit, the submissions board with filters and bulk actions, tags."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from backend.api.deps import DbSession, SettingsDep
from backend.auth.tokens import Principal
from backend.campaigns import save_campaign
from backend.db.models import TAG_LENGTH, Campaign
from backend.db.queries import campaigns, selection, submissions
from backend.domain.enums import InstitutionType, SubmissionKind
from backend.errors import AppError, ErrorCode
from backend.rubrics.registry import rubric_registry
from backend.selection.board import (
    BoardFilter,
    BoardStatus,
    bulk_progress,
    campaign_board,
    remind_missing,
    request_campaign_review,
)
from backend.selection.estimate import estimate_campaign_run
from backend.web.deps import PostedForm, WebSecretariat
from backend.web.forms import ACROSS, TAGGED_ROWS, campaign_settings
from backend.web.render import page

router = APIRouter()

NOTICES = {
    "saved": "活动设置已保存。",
    "queued": "已创建批量 AI 评审任务，进度见下方。",
    "reminded": "已向未提交的单位发送提醒。",
    "tagged": "标签已更新。",
}


def _form_page(
    request: Request,
    user: Principal,
    settings: SettingsDep,
    *,
    campaign: Campaign | None,
    errors: dict[str, str],
    form: object = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "secretariat/campaign_form.html",
        user,
        title="编辑遴选活动" if campaign else "新建遴选活动",
        status_code=status_code,
        campaign=campaign,
        form=form,
        errors=errors,
        rubrics=rubric_registry(settings).list(),
        kinds=tuple(SubmissionKind),
        categories=tuple(InstitutionType),
        tagged_rows=TAGGED_ROWS,
        across=ACROSS,
    )


@router.get("/campaigns/new", response_class=HTMLResponse)
def new_campaign(request: Request, user: WebSecretariat, settings: SettingsDep) -> HTMLResponse:
    """The form for a new campaign."""
    return _form_page(request, user, settings, campaign=None, errors={})


@router.get("/campaigns/{campaign_id}/edit", response_class=HTMLResponse)
def edit_campaign(
    request: Request, campaign_id: int, user: WebSecretariat, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """The form for a campaign's settings."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    return _form_page(request, user, settings, campaign=campaign, errors={})


def _store(
    request: Request,
    form: FormData,
    user: Principal,
    session: DbSession,
    settings: SettingsDep,
    campaign: Campaign | None,
) -> Response:
    values, errors = campaign_settings(form)
    if values is not None:
        try:
            saved = save_campaign(
                session,
                campaign_id=campaign.id if campaign else None,
                values=values,
                user_id=user.user_id,
                settings=settings,
            )
            return RedirectResponse(f"/campaigns/{saved.id}?notice=saved", status_code=303)
        except AppError as exc:
            if exc.code not in (ErrorCode.INVALID_INPUT, ErrorCode.RUBRIC_NOT_FOUND):
                raise
            errors["rubric_id"] = exc.message_zh
    return _form_page(request, user, settings, campaign=campaign, errors=errors, form=form, status_code=422)


@router.post("/campaigns", response_class=HTMLResponse)
def create_campaign(
    request: Request, form: PostedForm, user: WebSecretariat, session: DbSession, settings: SettingsDep
) -> Response:
    """Create a campaign from the form; problems show beside their fields."""
    return _store(request, form, user, session, settings, None)


@router.post("/campaigns/{campaign_id}/edit", response_class=HTMLResponse)
def update_campaign(
    request: Request,
    campaign_id: int,
    form: PostedForm,
    user: WebSecretariat,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Change a campaign's settings from the form."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    return _store(request, form, user, session, settings, campaign)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def board_page(
    request: Request,
    campaign_id: int,
    user: WebSecretariat,
    session: DbSession,
    status: BoardStatus | None = None,
    category: InstitutionType | None = None,
    tag: str = "",
    name: str = "",
    notice: str = "",
) -> HTMLResponse:
    """Every institution's submission with its status, filters, bulk review and reminders."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    rows = campaign_board(session, campaign=campaign)
    shown = BoardFilter(status, category, tag.strip(), name.strip())
    return page(
        request,
        "secretariat/board.html",
        user,
        title=campaign.name,
        campaign=campaign,
        rows=[r for r in rows if shown.keeps(r)],
        total=len(rows),
        counts={s: sum(r.status is s for r in rows) for s in BoardStatus},
        shown=shown,
        statuses=tuple(BoardStatus),
        categories=tuple(InstitutionType),
        tags=sorted({t for r in rows for t in r.tags} | {q.tag for q in campaign.quotas.tagged}),
        progress=bulk_progress(session, rows, campaign_id=campaign.id),
        notice=NOTICES.get(notice),
    )


@router.get("/campaigns/{campaign_id}/progress", response_class=HTMLResponse)
def progress_fragment(request: Request, campaign_id: int, user: WebSecretariat, session: DbSession) -> HTMLResponse:
    """The bulk review's progress bar (polled while it runs)."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    progress = bulk_progress(session, campaign_board(session, campaign=campaign), campaign_id=campaign.id)
    return page(request, "secretariat/progress.html", user, title="", campaign=campaign, progress=progress)


@router.get("/campaigns/{campaign_id}/reviews/confirm", response_class=HTMLResponse)
def confirm_reviews(
    request: Request,
    campaign_id: int,
    user: WebSecretariat,
    session: DbSession,
    settings: SettingsDep,
    rerun: bool = False,
) -> HTMLResponse:
    """Before a campaign-wide AI review: how many reports, and with an LLM its estimated tokens, cost and time."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    estimate = estimate_campaign_run(session, campaign=campaign, rerun=rerun, settings=settings)
    title = "确认批量 AI 初审"
    return page(request, "secretariat/run_confirm.html", user, title=title, campaign=campaign, e=estimate, rerun=rerun)


@router.post("/campaigns/{campaign_id}/reviews", response_class=HTMLResponse)
def run_reviews(
    campaign_id: int,
    user: WebSecretariat,
    session: DbSession,
    settings: SettingsDep,
    rerun: Annotated[bool, Form()] = False,
) -> Response:
    """Run (or re-run) the AI review of every submission as one job."""
    request_campaign_review(session, campaign_id=campaign_id, rerun=rerun, user_id=user.user_id, settings=settings)
    return RedirectResponse(f"/campaigns/{campaign_id}?notice=queued", status_code=303)


@router.post("/campaigns/{campaign_id}/remind")
def remind(campaign_id: int, user: WebSecretariat, session: DbSession) -> Response:
    """Remind the institutions that have not submitted."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    remind_missing(session, campaign_board(session, campaign=campaign), campaign=campaign, user_id=user.user_id)
    return RedirectResponse(f"/campaigns/{campaign_id}?notice=reminded", status_code=303)


@router.post("/campaigns/{campaign_id}/submissions/{submission_id}/tags")
def set_tags(
    campaign_id: int,
    submission_id: int,
    user: WebSecretariat,
    session: DbSession,
    tags: Annotated[str, Form()] = "",
) -> Response:
    """Replace a submission's tags (separated by 、 or commas)."""
    chosen = [t.strip() for t in tags.replace("，", "、").replace(",", "、").split("、") if t.strip()]
    if any(len(t) > TAG_LENGTH for t in chosen):
        raise AppError(ErrorCode.INVALID_INPUT, f"每个标签最长 {TAG_LENGTH} 个字。", "tag too long")
    check_in_campaign(session, campaign_id=campaign_id, submission_id=submission_id)
    selection.set_tags(session, submission_id=submission_id, tags=chosen)
    return RedirectResponse(f"/campaigns/{campaign_id}?notice=tagged#s{submission_id}", status_code=303)


def check_in_campaign(session: DbSession, *, campaign_id: int, submission_id: int) -> None:
    """NOT_FOUND unless the submission belongs to the campaign."""
    if submissions.get_submission(session, submission_id=submission_id).campaign_id != campaign_id:
        raise AppError(ErrorCode.NOT_FOUND, "材料不存在。", f"submission {submission_id} not in {campaign_id}")
