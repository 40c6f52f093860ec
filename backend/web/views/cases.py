"""Case campaigns: near-duplicate pairs, a pair side by side with its verdicts, the 案例集 downloads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.api.deps import DbSession, SettingsDep
from backend.api.downloads import attachment
from backend.db.models import DuplicateVerdict
from backend.db.queries import campaigns
from backend.selection.case_collection import case_collection_docx, case_collection_xlsx, selected_cases
from backend.selection.duplicates import campaign_duplicates, mark_pair, pair_view
from backend.selection.exports import DOCX_TYPE, XLSX_TYPE
from backend.web.deps import WebSecretariat
from backend.web.render import page

router = APIRouter()


@router.get("/campaigns/{campaign_id}/duplicates", response_class=HTMLResponse)
def duplicates_page(
    request: Request, campaign_id: int, user: WebSecretariat, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """Every pair of cases found alike (this campaign against itself and earlier case campaigns)."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    rows = campaign_duplicates(session, campaign=campaign, settings=settings)
    return page(request, "secretariat/duplicates.html", user, title="案例查重", campaign=campaign, rows=rows)


@router.get("/campaigns/{campaign_id}/duplicates/{version_a}/{version_b}", response_class=HTMLResponse)
def pair_page(
    request: Request, campaign_id: int, version_a: int, version_b: int, user: WebSecretariat, session: DbSession
) -> HTMLResponse:
    """Two cases side by side, shared passages highlighted, with the 重复 / 非重复 form."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    view = pair_view(session, campaign=campaign, version_a_id=version_a, version_b_id=version_b)
    return page(
        request,
        "secretariat/duplicate_pair.html",
        user,
        title="案例比对",
        campaign=campaign,
        v=view,
        verdicts=tuple(DuplicateVerdict),
        notice="已记录判定。" if request.query_params.get("notice") else None,
    )


@router.post("/campaigns/{campaign_id}/duplicates/{version_a}/{version_b}")
def mark(
    campaign_id: int,
    version_a: int,
    version_b: int,
    user: WebSecretariat,
    session: DbSession,
    verdict: Annotated[DuplicateVerdict, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record 重复 or 非重复 for the pair."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    mark_pair(
        session,
        campaign=campaign,
        version_a_id=version_a,
        version_b_id=version_b,
        verdict=verdict,
        note=note,
        user_id=user.user_id,
    )
    return RedirectResponse(f"/campaigns/{campaign_id}/duplicates/{version_a}/{version_b}?notice=marked", 303)


@router.get("/campaigns/{campaign_id}/case-collection.docx")
def collection_docx(campaign_id: int, user: WebSecretariat, session: DbSession) -> Response:
    """The 案例集: the shortlisted cases in one Word document."""
    collection = selected_cases(session, campaign=campaigns.get_campaign(session, campaign_id=campaign_id))
    return attachment(case_collection_docx(collection), collection.docx_name, DOCX_TYPE)


@router.get("/campaigns/{campaign_id}/case-collection.xlsx")
def collection_xlsx(campaign_id: int, user: WebSecretariat, session: DbSession) -> Response:
    """The list of the shortlisted cases as a workbook."""
    collection = selected_cases(session, campaign=campaigns.get_campaign(session, campaign_id=campaign_id))
    return attachment(case_collection_xlsx(collection), collection.xlsx_name, XLSX_TYPE)
