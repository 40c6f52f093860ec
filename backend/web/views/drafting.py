"""自评报告起草: the university's drafts (start one from its 支撑材料), a draft with live progress, section edits,
the DOCX export and finalising the draft as a new report version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.api.deps import DbSession, SettingsDep, load_draft, load_submission
from backend.api.downloads import attachment
from backend.api.routers.drafts import DOCX_TYPE
from backend.domain.assessment import DrafterKind
from backend.drafting.flows import (
    DraftState,
    docx_name,
    draft_docx,
    draft_rubrics,
    drafting_overview,
    edit_section,
    finalise_draft,
    plain_text,
    start_draft,
)
from backend.errors import AppError, ErrorCode
from backend.web.deps import WebUniversity
from backend.web.render import page

router = APIRouter()
TITLE_ZH = "自评报告起草"


def _overview(request: Request, user, session, settings, *, status_code: int = 200, error: str = "") -> HTMLResponse:
    return page(
        request,
        "university/drafting.html",
        user,
        title=TITLE_ZH,
        status_code=status_code,
        items=drafting_overview(session, user),
        rubrics=draft_rubrics(settings),
        rubric_names={r.id: r.name for r in draft_rubrics(settings)},
        llm=bool(settings.llm_base_url and settings.llm_model),
        error=error,
    )


@router.get("/drafting", response_class=HTMLResponse)
def drafting_home(request: Request, user: WebUniversity, session: DbSession, settings: SettingsDep) -> HTMLResponse:
    """The university's submissions with their drafts, and the form to draft a report."""
    return _overview(request, user, session, settings)


@router.post("/drafting", response_class=HTMLResponse)
def drafting_start(
    request: Request,
    user: WebUniversity,
    session: DbSession,
    settings: SettingsDep,
    submission_id: Annotated[int, Form()],
    rubric_id: Annotated[str, Form()],
    drafter: Annotated[DrafterKind, Form()] = DrafterKind.EXTRACTIVE,
) -> Response:
    """Start a draft and open its page; a clerk's mistake (no ready 支撑材料) is said beside the form."""
    load_submission(session, user, submission_id)
    try:
        started = start_draft(
            session,
            submission_id=submission_id,
            rubric_id=rubric_id,
            drafter=drafter,
            user_id=user.user_id,
            settings=settings,
        )
    except AppError as exc:
        if exc.code is not ErrorCode.INVALID_INPUT:
            raise
        return _overview(request, user, session, settings, status_code=422, error=exc.message_zh)
    return RedirectResponse(f"/drafting/{started.draft_id}", status_code=303)


@router.get("/drafting/{draft_id}", response_class=HTMLResponse)
def draft_page(request: Request, draft_id: int, user: WebUniversity, session: DbSession) -> HTMLResponse:
    """A draft: progress while it is written, then chapters and sections with their cited sentences and gaps."""
    state = DraftState(load_draft(session, user, draft_id))
    return page(request, "university/draft.html", user, title=TITLE_ZH, d=state, plain_text=plain_text)


@router.get("/drafting/{draft_id}/status", response_class=HTMLResponse)
def draft_status(request: Request, draft_id: int, user: WebUniversity, session: DbSession) -> Response:
    """The progress fragment (polled); once the draft is written the page reloads to show it."""
    state = DraftState(load_draft(session, user, draft_id))
    if state.record.content is not None:
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return page(request, "fragments/draft_status.html", user, title="", d=state)


@router.post("/drafting/{draft_id}/sections/{indicator_id}", response_class=HTMLResponse)
def draft_section(
    request: Request,
    draft_id: int,
    indicator_id: str,
    user: WebUniversity,
    session: DbSession,
    text: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Save a section's edited text; answers with the section as now shown."""
    record = load_draft(session, user, draft_id)
    edit_section(session, record=record, indicator_id=indicator_id, text=text, user_id=user.user_id)
    session.commit()
    section = next(s for s in record.content.sections() if s.indicator_id == indicator_id)
    context = {"d": DraftState(record), "section": section, "plain_text": plain_text, "saved": True}
    return page(request, "fragments/draft_section.html", user, title="", **context)


@router.get("/drafting/{draft_id}/docx")
def draft_download(draft_id: int, user: WebUniversity, session: DbSession) -> Response:
    """The draft with its edits as a Word document."""
    record = load_draft(session, user, draft_id)
    return attachment(draft_docx(record), docx_name(record), DOCX_TYPE)


@router.post("/drafting/{draft_id}/finalise")
def draft_finalise(draft_id: int, user: WebUniversity, session: DbSession, settings: SettingsDep) -> Response:
    """Upload the edited draft as the submission's new report version and open the submission."""
    record = load_draft(session, user, draft_id)
    finalise_draft(session, record=record, user_id=user.user_id, settings=settings)
    return RedirectResponse(f"/submissions/{record.submission_id}", status_code=303)
