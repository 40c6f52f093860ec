"""The expert's workspace: the document with highlighted evidence and search on the left, the points with the AI
draft and the expert's decisions on the right; submission with opinions; results, audit trail and agreement."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.api.deps import DbSession, SettingsDep, load_assessment, load_review
from backend.api.downloads import attachment
from backend.auth.tokens import Principal
from backend.db.models import AssessmentRecord, Role
from backend.db.queries import versions
from backend.domain.enums import DecisionAction, Mark
from backend.errors import AppError, ErrorCode
from backend.evidence import attached_page_image
from backend.reports.agreement_sheet import agreement_xlsx
from backend.reports.export import MEDIA_TYPES
from backend.review import expert
from backend.review.decisions import DecisionInput
from backend.review.operations import record_decision
from backend.web.deps import PostedForm, WebExpert, WebOverseer, WebReader, WebSecretariat
from backend.web.render import page
from backend.web.views.evidence import IMAGE_HEADERS
from backend.workspace import (
    PointOrder,
    audit_trail,
    expert_point,
    expert_results,
    expert_workspace,
    load_attached,
    opinion_form,
    review_document,
)

router = APIRouter()

# Errors of a form are shown beside its control, keyed by the form ("accept", "edit", "reject", "attach").
Errors = dict[str, str]


def _point_pane(
    request: Request, session: DbSession, user: Principal, record: AssessmentRecord, point_id: str, errors: Errors
) -> HTMLResponse:
    view = expert_point(session, record, point_id, user.user_id)
    ws = expert_workspace(session, record.review, user.user_id)
    status = 422 if errors else 200
    context = {"v": view, "ws": ws, "errors": errors, "marks": tuple(Mark)}
    return page(request, "expert/point.html", user, title="", status_code=status, **context)


@router.get("/expert/reviews/{review_id}", response_class=HTMLResponse)
def workspace_page(
    request: Request, review_id: int, user: WebExpert, session: DbSession, order: PointOrder = PointOrder.DOCUMENT
) -> HTMLResponse:
    """The two-pane workspace: document on the left, points and the selected point's draft on the right."""
    ws = expert_workspace(session, load_review(session, user, review_id), user.user_id, order)
    return page(request, "expert/workspace.html", user, title="专家评审", ws=ws, orders=tuple(PointOrder))


@router.get("/expert/assessments/{assessment_id}/points/{point_id}", response_class=HTMLResponse)
def point_pane(
    request: Request, assessment_id: int, point_id: str, user: WebExpert, session: DbSession
) -> HTMLResponse:
    """The selected point: the AI draft in full, the expert's decision, attached quotes, history (a fragment)."""
    return _point_pane(request, session, user, load_assessment(session, user, assessment_id), point_id, {})


@router.post("/expert/assessments/{assessment_id}/points/{point_id}/decision", response_class=HTMLResponse)
def decide_point(
    request: Request,
    assessment_id: int,
    point_id: str,
    user: WebExpert,
    session: DbSession,
    settings: SettingsDep,
    action: Annotated[DecisionAction, Form()],
    final_mark: Annotated[Mark | Literal[""], Form()] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
    advice_zh: Annotated[str | None, Form(max_length=4000)] = None,
) -> HTMLResponse:
    """Accept, edit or reject the AI draft of a point; answers with the point pane (a refusal beside the form)."""
    record = load_assessment(session, user, assessment_id)
    decision = DecisionInput(
        action=action, point_id=point_id, final_mark=final_mark or None, comment=comment, advice_zh=advice_zh
    )
    errors = _refusal(
        action.value,
        lambda: record_decision(
            session, assessment_id=assessment_id, reviewer_id=user.user_id, decision=decision, settings=settings
        ),
    )
    return _point_pane(request, session, user, record, point_id, errors)


@router.post("/expert/assessments/{assessment_id}/points/{point_id}/evidence", response_class=HTMLResponse)
def attach(
    request: Request,
    assessment_id: int,
    point_id: str,
    user: WebExpert,
    session: DbSession,
    chunk_key: Annotated[str, Form(max_length=64)],
    quote: Annotated[str, Form(max_length=4000)],
) -> HTMLResponse:
    """Attach a search hit's quote (verbatim) to the point as evidence."""
    record = load_assessment(session, user, assessment_id)
    errors = _refusal(
        "attach",
        lambda: expert.attach_evidence(
            session,
            assessment_id=assessment_id,
            point_id=point_id,
            reviewer_id=user.user_id,
            chunk_key=chunk_key,
            quote=quote,
        ),
    )
    return _point_pane(request, session, user, record, point_id, errors)


def _refusal(form: str, write) -> Errors:
    """Run a write; an invalid input becomes the form's error message instead of an error page."""
    try:
        write()
    except AppError as exc:
        if exc.code is not ErrorCode.INVALID_INPUT:
            raise
        return {form: exc.message_zh}
    return {}


@router.get("/expert/reviews/{review_id}/search", response_class=HTMLResponse)
def search(
    request: Request,
    review_id: int,
    user: WebExpert,
    session: DbSession,
    settings: SettingsDep,
    q: str = "",
    assessment_id: int | None = None,
    point_id: str = "",
) -> HTMLResponse:
    """Hybrid search in the document; each hit can be attached to the selected point (a fragment)."""
    record = load_review(session, user, review_id)
    version = versions.get_version(session, version_id=record.version_id)
    hits = expert.search_version(settings, version=version, query=q) if q.strip() else []
    target = {"assessment_id": assessment_id, "point_id": point_id} if assessment_id and point_id else None
    return page(request, "expert/search.html", user, title="", hits=hits, q=q, review=record, target=target)


@router.get("/expert/reviews/{review_id}/document", response_class=HTMLResponse)
def document(
    request: Request,
    review_id: int,
    user: WebOverseer,
    session: DbSession,
    number: Annotated[int, Query(alias="page", ge=1, le=100000)] = 1,
    assessment_id: int | None = None,
    point_id: str = "",
    evidence: int | None = None,
    attached: int | None = None,
) -> HTMLResponse:
    """The left pane: a page of the document, with an AI quote or an attached quote highlighted (a fragment)."""
    record = load_review(session, user, review_id)
    highlight = {"assessment_id": assessment_id, "point_id": point_id, "evidence": evidence, "attached": attached}
    doc = review_document(session, record, principal=user, page=number, **highlight)
    return page(request, "expert/document.html", user, title="", doc=doc)


@router.get("/expert/attached/{attached_id}/page-{number}.png")
def attached_image(
    attached_id: int, number: int, user: WebOverseer, session: DbSession, settings: SettingsDep
) -> Response:
    """A page of a quote an expert attached, drawn with the quote highlighted."""
    row, version = load_attached(session, user, attached_id)
    png = attached_page_image(settings, version=version, attached=row, page=number)
    return Response(png, media_type="image/png", headers=IMAGE_HEADERS)


@router.get("/expert/reviews/{review_id}/submit", response_class=HTMLResponse)
def submit_form(
    request: Request, review_id: int, user: WebExpert, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """The overall opinions per indicator and for the report, prefilled from the decisions, and the levels."""
    form = opinion_form(session, settings, load_review(session, user, review_id), user.user_id)
    return page(request, "expert/submit.html", user, title="提交评审意见", form=form, errors={})


@router.post("/expert/reviews/{review_id}/submit", response_class=HTMLResponse)
def submit(
    request: Request, review_id: int, user: WebExpert, session: DbSession, settings: SettingsDep, posted: PostedForm
) -> Response:
    """Submit the review: from now on it is read-only for the expert and counts in the ranking."""
    record = load_review(session, user, review_id)
    form = opinion_form(session, settings, record, user.user_id, posted=posted)
    try:
        expert.submit_expert_review(
            session,
            review_id=record.id,
            reviewer_id=user.user_id,
            opinions=form.opinions,
            levels=form.levels,
            settings=settings,
        )
    except AppError as exc:
        if exc.code not in (ErrorCode.CONFLICT, ErrorCode.INVALID_INPUT):
            raise
        return page(
            request,
            "expert/submit.html",
            user,
            title="提交评审意见",
            form=form,
            errors={"submit": exc.message_zh},
            status_code=422,
        )
    return RedirectResponse(f"/expert/reviews/{record.id}", status_code=303)


@router.get("/reviews/{review_id}/experts", response_class=HTMLResponse)
def results(request: Request, review_id: int, user: WebReader, session: DbSession) -> HTMLResponse:
    """The experts' results: a university sees submitted ones (if the campaign shows them), an expert their own."""
    record = load_review(session, user, review_id)
    return page(
        request,
        "expert/results.html",
        user,
        title="专家评审结果",
        record=record,
        results=expert_results(session, record, user),
    )


@router.get("/reviews/{review_id}/audit", response_class=HTMLResponse)
def audit_page(request: Request, review_id: int, user: WebOverseer, session: DbSession) -> HTMLResponse:
    """Every change to a review's expert decisions, newest first: an expert's own, or everyone's for the secretariat."""
    record = load_review(session, user, review_id)
    own = user.user_id if user.role is Role.EXPERT else None
    trail = audit_trail(session, review_id=record.id, actor_id=own)
    return page(request, "expert/audit.html", user, title="修改记录", record=record, trail=trail)


@router.get("/secretariat/agreement", response_class=HTMLResponse)
def agreement_page(request: Request, user: WebSecretariat, session: DbSession, settings: SettingsDep) -> HTMLResponse:
    """Per expert and indicator: how often the AI draft was accepted, edited or rejected."""
    return page(
        request, "secretariat/agreement.html", user, title="专家与 AI 一致性", rows=expert.agreement(session, settings)
    )


@router.get("/secretariat/agreement.xlsx")
def agreement_export(user: WebSecretariat, session: DbSession, settings: SettingsDep) -> Response:
    """The agreement table as an Excel sheet (for calibrating the engine per indicator)."""
    data = agreement_xlsx(expert.agreement(session, settings))
    return attachment(data, "专家与AI一致性.xlsx", MEDIA_TYPES[".xlsx"])
