"""A submission's page: upload (main report and 支撑材料), versions with live progress, the original files."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from backend import campaigns as campaign_rules
from backend.api.deps import DbSession, SettingsDep, load_submission, load_version
from backend.db.base import utcnow
from backend.db.models import NAME_LENGTH, DocumentRole
from backend.db.queries import campaigns, versions
from backend.errors import AppError, ErrorCode
from backend.ingest.flows import delete_failed_version, upload_version
from backend.selection.board import pending_reminders
from backend.storage import file_store
from backend.web.deps import WebReader, WebUniversity
from backend.web.render import page
from backend.workspace import my_submissions, submission_state, version_state

router = APIRouter()

# What the browser lets through before uploading; the server sniffs the content again.
ACCEPTED_SUFFIXES = (".pdf", ".docx", ".txt", ".md")
STATE_DATA_SUFFIXES = (".xlsx", ".csv")


@router.post("/submissions", response_class=HTMLResponse)
def create_submission(
    request: Request,
    user: WebUniversity,
    session: DbSession,
    title: Annotated[str, Form()] = "",
    campaign_id: Annotated[str, Form()] = "",
    case_category: Annotated[str, Form(max_length=NAME_LENGTH)] = "",
    theme_tags: Annotated[str, Form(max_length=NAME_LENGTH)] = "",
) -> Response:
    """Create a submission of the user's institution (a case with its category and theme tags) and open its page."""
    errors = {}
    if not title.strip():
        errors["title"] = "请填写材料名称。"
    elif len(title.strip()) > 200:
        errors["title"] = "材料名称不能超过 200 字。"
    if not errors:
        try:
            case = campaign_rules.CaseDetails(case_category.strip(), campaign_rules.parse_theme_tags(theme_tags))
            submission = campaign_rules.create_submission(
                session,
                institution_id=user.institution_id,
                title=title.strip(),
                campaign_id=int(campaign_id) if campaign_id.isdigit() else None,
                user_id=user.user_id,
                now=utcnow(),
                case=case,
            )
            return RedirectResponse(f"/submissions/{submission.id}", status_code=303)
        except AppError as exc:
            if exc.code not in (ErrorCode.CONFLICT, ErrorCode.NOT_FOUND, ErrorCode.INVALID_INPUT):
                raise
            errors["case" if exc.code is ErrorCode.INVALID_INPUT else "campaign_id"] = exc.message_zh
    context = {"submissions": my_submissions(session, user), "campaigns": campaigns.list_campaigns(session)}
    return page(
        request, "university/home.html", user, title="我的材料", status_code=422, errors=errors, now=utcnow(), **context
    )


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(
    request: Request, submission_id: int, user: WebReader, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """A submission's versions and supporting files, with the upload form for its institution."""
    state = submission_state(session, load_submission(session, user, submission_id))
    return page(
        request,
        "submission.html",
        user,
        title=state.submission.title,
        sub=state,
        reminders=pending_reminders(session, institution_id=state.submission.institution_id, states=[state]),
        max_bytes=settings.max_upload_bytes,
        accept=",".join(ACCEPTED_SUFFIXES),
        state_data_accept=",".join(STATE_DATA_SUFFIXES),
        now=utcnow(),
    )


@router.post("/submissions/{submission_id}/files", response_class=HTMLResponse)
def upload_file(
    request: Request,
    submission_id: int,
    file: UploadFile,
    user: WebUniversity,
    session: DbSession,
    settings: SettingsDep,
    role: Annotated[DocumentRole, Form()] = DocumentRole.MAIN,
) -> HTMLResponse:
    """Upload one file; answers with its status row, which polls until processing ends."""
    load_submission(session, user, submission_id)
    name = file.filename or ""
    try:
        result = upload_version(
            session,
            submission_id=submission_id,
            data=file.file.read(),
            original_name=name,
            user_id=user.user_id,
            settings=settings,
            role=role,
        )
    except AppError as exc:
        if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN):
            raise
        return page(
            request, "fragments/upload_row.html", user, title="", status_code=422, error=exc.message_zh, name=name
        )
    state = version_state(session, versions.get_version(session, version_id=result.version_id))
    return page(request, "fragments/upload_row.html", user, title="", s=state)


@router.get("/versions/{version_id}/status", response_class=HTMLResponse)
def version_status(request: Request, version_id: int, user: WebReader, session: DbSession) -> HTMLResponse:
    """A version's status fragment (polled while processing)."""
    state = version_state(session, load_version(session, user, version_id))
    return page(request, "fragments/version_status.html", user, title="", s=state)


@router.get("/versions/{version_id}/file")
def original_file(version_id: int, user: WebReader, session: DbSession, settings: SettingsDep) -> FileResponse:
    """The file as uploaded."""
    version = load_version(session, user, version_id)
    path = file_store(settings).path(version.sha256)
    if not path.is_file():
        raise AppError(ErrorCode.NOT_FOUND, "原始文件不存在。", f"no stored file {version.sha256}")
    disposition = f"attachment; filename*=UTF-8''{quote(version.original_name)}"
    return FileResponse(
        path, media_type=version.media_type or "application/octet-stream", headers={"Content-Disposition": disposition}
    )


@router.post("/versions/{version_id}/delete")
def delete_version(version_id: int, user: WebUniversity, session: DbSession, settings: SettingsDep) -> Response:
    """Delete a version whose processing failed, so that the file can be uploaded again."""
    version = load_version(session, user, version_id)
    delete_failed_version(session, version_id=version_id, user_id=user.user_id, settings=settings)
    return RedirectResponse(f"/submissions/{version.submission_id}", status_code=303)
