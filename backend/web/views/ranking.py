"""A campaign's ranking with quotas and the shortlist the secretariat fixes; exports and charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.api.deps import DbSession, SettingsDep
from backend.api.downloads import attachment
from backend.db.base import utcnow
from backend.db.queries import campaigns
from backend.errors import AppError, ErrorCode
from backend.rubrics.registry import rubric_registry
from backend.selection.agreement import campaign_agreement
from backend.selection.board import campaign_board
from backend.selection.charts import campaign_charts, summaries_by_submission
from backend.selection.exports import DOCX_TYPE, XLSX_TYPE, reviews_zip, shortlist_xlsx, summary_docx
from backend.selection.shortlist import campaign_shortlist, fix_shortlist
from backend.web.deps import WebSecretariat
from backend.web.render import page

router = APIRouter()


@router.get("/campaigns/{campaign_id}/ranking", response_class=HTMLResponse)
def ranking_page(
    request: Request, campaign_id: int, user: WebSecretariat, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """Per category: one row per institution (a case campaign: per case), score and its basis, ties, the quota line,
    the fixed shortlist."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    shortlist = campaign_shortlist(session, campaign=campaign, settings=settings)
    notice = "入围名单已确定。" if request.query_params.get("notice") == "fixed" else None
    return page(request, "secretariat/ranking.html", user, title="排名与入围", s=shortlist, errors={}, notice=notice)


@router.post("/campaigns/{campaign_id}/shortlist", response_class=HTMLResponse)
def fix(
    request: Request,
    campaign_id: int,
    user: WebSecretariat,
    session: DbSession,
    settings: SettingsDep,
    chosen: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    note: Annotated[str, Form()] = "",
) -> Response:
    """Fix the checked rows (institutions, or cases) as the shortlist; a refusal shows beside the note."""
    shortlist = campaign_shortlist(
        session, campaign=campaigns.get_campaign(session, campaign_id=campaign_id), settings=settings
    )
    try:
        fix_shortlist(session, shortlist=shortlist, chosen=set(chosen), note=note, user_id=user.user_id, now=utcnow())
    except AppError as exc:
        if exc.code is not ErrorCode.INVALID_INPUT:
            raise
        return page(
            request,
            "secretariat/ranking.html",
            user,
            title="排名与入围",
            s=shortlist,
            status_code=422,
            errors={"note": exc.message_zh},
            chosen=set(chosen),
            note=note,
        )
    return RedirectResponse(f"/campaigns/{campaign_id}/ranking?notice=fixed", status_code=303)


@router.get("/campaigns/{campaign_id}/shortlist.xlsx")
def shortlistattachment(campaign_id: int, user: WebSecretariat, session: DbSession, settings: SettingsDep) -> Response:
    """The ranking and shortlist as a workbook, one sheet per category."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    data = shortlist_xlsx(campaign_shortlist(session, campaign=campaign, settings=settings))
    return attachment(data, f"{campaign.name}-入围名单.xlsx", XLSX_TYPE)


@router.get("/campaigns/{campaign_id}/summary.docx")
def summaryattachment(campaign_id: int, user: WebSecretariat, session: DbSession, settings: SettingsDep) -> Response:
    """The campaign's summary as a Word document."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    shortlist = campaign_shortlist(session, campaign=campaign, settings=settings)
    data = summary_docx(shortlist, campaign_board(session, campaign=campaign))
    return attachment(data, f"{campaign.name}-工作总结.docx", DOCX_TYPE)


@router.get("/campaigns/{campaign_id}/reviews.zip")
def reviewsattachment(campaign_id: int, user: WebSecretariat, session: DbSession, settings: SettingsDep) -> Response:
    """Every reviewed submission's AI review as Word files in one ZIP."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    export = reviews_zip(session, settings, campaign_board(session, campaign=campaign), campaign_name=campaign.name)
    return attachment(export.data, export.filename, export.media_type)


@router.get("/campaigns/{campaign_id}/charts", response_class=HTMLResponse)
def charts_page(
    request: Request, campaign_id: int, user: WebSecretariat, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """Coverage heatmap, radar per institution, levels per category (ECharts, each exportable as PNG)."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    shortlist = campaign_shortlist(session, campaign=campaign, settings=settings)
    summaries = summaries_by_submission(session, shortlist=shortlist)
    charts = campaign_charts(shortlist, summaries, rubric_registry(settings).get(campaign.rubric_id)).model_copy(
        update={"agreement": campaign_agreement(session, campaign_id=campaign.id)}
    )
    return page(request, "secretariat/charts.html", user, title="统计图表", campaign=campaign, charts=charts)
