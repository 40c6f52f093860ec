"""A quote in its source: the PDF page with the span highlighted, or the DOCX paragraph in context."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from backend.api.deps import DbSession, SettingsDep, load_assessment, load_version
from backend.evidence import evidence_page_image, show_evidence, version_page_image
from backend.web.deps import WebReader
from backend.web.render import page

router = APIRouter()

# The original file never changes under a version (content-addressed), so a drawn page can be kept a day.
IMAGE_HEADERS = {"Cache-Control": "private, max-age=86400"}


@router.get("/assessments/{assessment_id}/points/{point_id}/evidence/{index}", response_class=HTMLResponse)
def evidence_page(
    request: Request,
    assessment_id: int,
    point_id: str,
    index: int,
    user: WebReader,
    session: DbSession,
    settings: SettingsDep,
) -> HTMLResponse:
    """The quote with its page image (highlighted) or its paragraphs."""
    record = load_assessment(session, user, assessment_id)
    view = show_evidence(session, settings, record=record, point_id=point_id, index=index)
    return page(request, "review/evidence.html", user, title="原文定位", record=record, ev=view)


@router.get("/assessments/{assessment_id}/points/{point_id}/evidence/{index}/page-{number}.png")
def evidence_image(
    assessment_id: int,
    point_id: str,
    index: int,
    number: int,
    user: WebReader,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """A page of the quote drawn with its span highlighted."""
    record = load_assessment(session, user, assessment_id)
    png = evidence_page_image(session, settings, record=record, point_id=point_id, index=index, page=number)
    return Response(png, media_type="image/png", headers=IMAGE_HEADERS)


@router.get("/versions/{version_id}/pages/{number}.png")
def page_image(version_id: int, number: int, user: WebReader, session: DbSession, settings: SettingsDep) -> Response:
    """A page of a PDF version, drawn without highlight."""
    png = version_page_image(settings, version=load_version(session, user, version_id), page=number)
    return Response(png, media_type="image/png", headers=IMAGE_HEADERS)
