"""Downloads of a review: the Word report an office forwards, and the Excel sheet with one row per point."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from backend.api.deps import DbSession, SettingsDep, load_review
from backend.api.downloads import attachment
from backend.reports.export import ReviewExport, export_review
from backend.web.deps import WebReader

router = APIRouter()


def _attachment(export: ReviewExport) -> Response:
    return attachment(export.data, export.filename, export.media_type)


@router.get("/reviews/{review_id}/report.docx")
def review_docx(review_id: int, user: WebReader, session: DbSession, settings: SettingsDep) -> Response:
    """The review as a Word report."""
    return _attachment(export_review(session, settings, record=load_review(session, user, review_id), suffix=".docx"))


@router.get("/reviews/{review_id}/report.xlsx")
def review_xlsx(review_id: int, user: WebReader, session: DbSession, settings: SettingsDep) -> Response:
    """The review as an Excel sheet, one row per point."""
    return _attachment(export_review(session, settings, record=load_review(session, user, review_id), suffix=".xlsx"))
