"""Figure consistency of a submission: the report, the supporting files and the state data side by side."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from backend.api.deps import DbSession, SettingsDep, load_submission
from backend.api.downloads import attachment
from backend.reports.consistency_sheet import consistency_xlsx
from backend.reports.export import MEDIA_TYPES
from backend.review.consistency import Verdict
from backend.review.operations import submission_consistency
from backend.web.deps import WebReader
from backend.web.render import page

router = APIRouter()


@router.get("/submissions/{submission_id}/consistency", response_class=HTMLResponse)
def consistency_page(
    request: Request,
    submission_id: int,
    user: WebReader,
    session: DbSession,
    settings: SettingsDep,
    verdict: Verdict | None = None,
    metric: str = "",
) -> HTMLResponse:
    """Every metric stated by two or more files, conflicts first, filtered by verdict and metric name."""
    submission = load_submission(session, user, submission_id)
    result = submission_consistency(session, submission_id=submission_id, settings=settings)
    return page(
        request,
        "review/consistency.html",
        user,
        title="数据一致性核对",
        submission=submission,
        result=result,
        checks=result.filtered(verdict=verdict, metric=metric),
        verdicts=tuple(Verdict),
        verdict=verdict,
        metric=metric,
    )


@router.get("/submissions/{submission_id}/consistency.xlsx")
def consistency_download(
    submission_id: int,
    user: WebReader,
    session: DbSession,
    settings: SettingsDep,
    verdict: Verdict | None = None,
    metric: str = "",
) -> Response:
    """The checks shown (same filters) as an Excel sheet."""
    submission = load_submission(session, user, submission_id)
    result = submission_consistency(session, submission_id=submission_id, settings=settings)
    data = consistency_xlsx(result.only(verdict=verdict, metric=metric))
    return attachment(data, f"数据一致性核对-{submission.title}.xlsx", MEDIA_TYPES[".xlsx"])
