"""Case campaigns (secretariat): near-duplicate pairs (案例查重), a pair with its verdicts, the 案例集 downloads."""

from __future__ import annotations

from fastapi.responses import Response

from backend.api.deps import DbSession, Secretariat, SettingsDep
from backend.api.downloads import attachment
from backend.api.routing import Router
from backend.api.schemas import DuplicateMarkOut, DuplicatePairOut, DuplicateVerdictIn, Id, PairViewOut
from backend.db.queries import campaigns
from backend.selection.case_collection import case_collection_docx, case_collection_xlsx, selected_cases
from backend.selection.duplicates import campaign_duplicates, mark_pair, pair_view
from backend.selection.exports import DOCX_TYPE, XLSX_TYPE

router = Router(tags=["cases"])


def _file(media_type: str, what: str) -> dict[int | str, dict[str, object]]:
    """The OpenAPI description of a download: its media type as a binary string."""
    return {200: {"description": what, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/campaigns/{campaign_id}/duplicates")
def list_duplicates(
    campaign_id: Id, user: Secretariat, session: DbSession, settings: SettingsDep
) -> list[DuplicatePairOut]:
    """Pairs of cases found alike in this and earlier case campaigns, most alike first (404: not a case campaign)."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    rows = campaign_duplicates(session, campaign=campaign, settings=settings)
    return [DuplicatePairOut.model_validate(r) for r in rows]


@router.get("/campaigns/{campaign_id}/duplicates/{version_a}/{version_b}")
def get_pair(campaign_id: Id, version_a: Id, version_b: Id, user: Secretariat, session: DbSession) -> PairViewOut:
    """Two cases side by side: their texts cut into shared and own segments, and the verdicts on the pair."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    view = pair_view(session, campaign=campaign, version_a_id=version_a, version_b_id=version_b)
    return PairViewOut.model_validate(view)


@router.post("/campaigns/{campaign_id}/duplicates/{version_a}/{version_b}/verdict", status_code=201)
def mark_duplicate(
    campaign_id: Id, version_a: Id, version_b: Id, body: DuplicateVerdictIn, user: Secretariat, session: DbSession
) -> DuplicateMarkOut:
    """Record 重复 or 非重复 for the pair (append-only, audited); the newest verdict is the one in force."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    mark = mark_pair(
        session,
        campaign=campaign,
        version_a_id=version_a,
        version_b_id=version_b,
        verdict=body.verdict,
        note=body.note,
        user_id=user.user_id,
    )
    return DuplicateMarkOut.model_validate(mark)


@router.get(
    "/campaigns/{campaign_id}/case-collection.docx",
    response_class=Response,
    responses=_file(DOCX_TYPE, "The 案例集 as a Word document"),
)
def collection_docx(campaign_id: Id, user: Secretariat, session: DbSession) -> Response:
    """The 案例集: the shortlisted cases in one Word document (409 before the shortlist is fixed)."""
    collection = selected_cases(session, campaign=campaigns.get_campaign(session, campaign_id=campaign_id))
    return attachment(case_collection_docx(collection), collection.docx_name, DOCX_TYPE)


@router.get(
    "/campaigns/{campaign_id}/case-collection.xlsx",
    response_class=Response,
    responses=_file(XLSX_TYPE, "The shortlisted cases as a workbook"),
)
def collection_xlsx(campaign_id: Id, user: Secretariat, session: DbSession) -> Response:
    """The list of the shortlisted cases as a workbook (409 before the shortlist is fixed)."""
    collection = selected_cases(session, campaign=campaigns.get_campaign(session, campaign_id=campaign_id))
    return attachment(case_collection_xlsx(collection), collection.xlsx_name, XLSX_TYPE)
