"""Institutions and expert accounts (secretariat and administrator): add one, or import a workbook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.api.deps import DbSession
from backend.auth.tokens import Principal
from backend.db.models import Role
from backend.db.queries import institutions, users
from backend.domain.enums import InstitutionType
from backend.errors import AppError, ErrorCode
from backend.selection.assignment import declare_conflicts
from backend.selection.people import (
    ExpertInput,
    ImportResult,
    add_expert,
    add_institution,
    check_expert,
    experts_with_conflicts,
    import_experts,
    import_institutions,
)
from backend.web.deps import WebStaff
from backend.web.render import page

router = APIRouter()


def _people(
    request: Request,
    user: Principal,
    session: DbSession,
    *,
    errors: dict[str, str] | None = None,
    result: ImportResult | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "secretariat/people.html",
        user,
        title="院校与专家",
        status_code=status_code,
        institutions=institutions.list_institutions(session),
        experts=experts_with_conflicts(session),
        categories=tuple(InstitutionType),
        errors=errors or {},
        result=result,
        form=form or {},
        notice={"institution": "单位已添加。", "conflicts": "回避单位已更新。"}.get(
            request.query_params.get("notice", "")
        ),
    )


@router.get("/people", response_class=HTMLResponse)
def people_page(request: Request, user: WebStaff, session: DbSession) -> HTMLResponse:
    """Institutions with their category, experts with their institution and declared conflicts, the forms."""
    return _people(request, user, session)


@router.post("/people/institutions", response_class=HTMLResponse)
def new_institution(
    request: Request,
    user: WebStaff,
    session: DbSession,
    name: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
) -> Response:
    """Add one institution; a problem shows beside the name."""
    try:
        add_institution(session, name=name, type_text=type, region=region, actor_id=user.user_id)
    except AppError as exc:
        if exc.code is not ErrorCode.INVALID_INPUT:
            raise
        form = {"name": name, "type": type, "region": region}
        return _people(request, user, session, errors={"institution": exc.message_zh}, form=form, status_code=422)
    return RedirectResponse("/people?notice=institution", status_code=303)


@router.post("/people/experts", response_class=HTMLResponse)
def new_expert(
    request: Request,
    user: WebStaff,
    session: DbSession,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    institution: Annotated[str, Form()] = "",
    conflicts: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    password: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Add one expert account; its password is shown once when it was generated."""
    expert = ExpertInput(
        username.strip(), display_name.strip(), institution, tuple(c for c in conflicts if c), password
    )
    problems = check_expert(session, expert)
    if problems:
        form = {"username": username, "display_name": display_name, "institution": institution}
        return _people(request, user, session, errors=problems, form=form, status_code=422)
    result = ImportResult(experts=(add_expert(session, expert, actor_id=user.user_id),))
    return _people(request, user, session, result=result, status_code=201)


@router.post("/people/{what}/import", response_class=HTMLResponse)
def import_workbook(request: Request, what: str, file: UploadFile, user: WebStaff, session: DbSession) -> HTMLResponse:
    """Import institutions or experts from a workbook, all rows or none; row problems are listed by row."""
    importer = {"institutions": import_institutions, "experts": import_experts}.get(what)
    if importer is None:
        raise AppError(ErrorCode.NOT_FOUND, "页面不存在。", f"no importer {what}")
    try:
        result = importer(session, data=file.file.read(), actor_id=user.user_id)
    except AppError as exc:
        if exc.code is not ErrorCode.INVALID_INPUT:
            raise
        return _people(request, user, session, errors={f"import_{what}": exc.message_zh}, status_code=422)
    return _people(request, user, session, result=result, status_code=422 if result.errors else 200)


@router.post("/people/experts/{expert_id}/conflicts")
def set_conflicts(
    expert_id: int,
    user: WebStaff,
    session: DbSession,
    institution_ids: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
) -> Response:
    """Replace the institutions an expert declared a conflict with."""
    expert = users.get_user(session, user_id=expert_id)
    if expert.role is not Role.EXPERT:
        raise AppError(ErrorCode.NOT_FOUND, "专家不存在。", f"user {expert_id} is no expert")
    declare_conflicts(session, expert=expert, institution_ids=institution_ids, user_id=user.user_id)
    return RedirectResponse("/people?notice=conflicts", status_code=303)
