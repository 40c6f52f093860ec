"""质量文化建设诊断 pages: the institution's rounds, the questionnaire, the result with its Word report; the
secretariat's anonymised category means."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.api.deps import DbSession, SettingsDep, load_diagnosis
from backend.api.downloads import attachment
from backend.db.base import utcnow
from backend.diagnosis import flows
from backend.domain.diagnosis import RESPONDENT_ROLE_ZH
from backend.errors import AppError, ErrorCode
from backend.reports.diagnosis_document import DOCX_MEDIA_TYPE, diagnosis_docx
from backend.web.deps import PostedForm, WebSecretariat, WebUniversity
from backend.web.forms import diagnosis_answers
from backend.web.render import page

router = APIRouter()


@router.get("/diagnosis", response_class=HTMLResponse)
def diagnosis_home(request: Request, user: WebUniversity, session: DbSession, settings: SettingsDep) -> HTMLResponse:
    """The institution's diagnosis rounds and the evidence the cross-check uses."""
    home = flows.diagnosis_home(session, settings, principal=user)
    context = {"home": home, "evidence_title": flows.EVIDENCE_TITLE}
    return page(request, "university/diagnosis_home.html", user, title="质量文化诊断", **context)


@router.post("/diagnosis")
def start(
    user: WebUniversity, session: DbSession, settings: SettingsDep, title: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Start a new round and open its questionnaire."""
    diagnosis = flows.start_diagnosis(session, settings, principal=user, title=title, now=utcnow())
    return RedirectResponse(f"/diagnosis/{diagnosis.id}/questionnaire", status_code=303)


@router.post("/diagnosis/evidence")
def upload_evidence(file: UploadFile, user: WebUniversity, session: DbSession, settings: SettingsDep) -> Response:
    """Upload an evidence file (支撑材料, linkable once processed); its progress shows on its submission."""
    submission_id = flows.upload_evidence(
        session, settings, principal=user, data=file.file.read(), name=file.filename or ""
    )
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


@router.post("/diagnosis/evidence-review")
def evidence_review(
    user: WebUniversity, session: DbSession, settings: SettingsDep, version_id: Annotated[int, Form(ge=1)]
) -> Response:
    """Queue the AI review of a main report with the quality-culture rubric; its progress shows on the submission."""
    submission_id = flows.request_evidence_review(session, settings, principal=user, version_id=version_id)
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


@router.get("/diagnosis/{diagnosis_id}/questionnaire", response_class=HTMLResponse)
def questionnaire(
    request: Request, diagnosis_id: int, user: WebUniversity, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """The signed-in respondent's questionnaire (saved answers filled in)."""
    form = flows.questionnaire_page(
        session, settings, diagnosis=load_diagnosis(session, user, diagnosis_id), principal=user
    )
    saved = request.query_params.get("saved") == "1"
    return page(request, _FORM, user, title=form.title, form=form, roles=RESPONDENT_ROLE_ZH, saved=saved, errors={})


@router.post("/diagnosis/{diagnosis_id}/questionnaire", response_class=HTMLResponse)
def save(
    request: Request,
    diagnosis_id: int,
    posted: PostedForm,
    user: WebUniversity,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Save the draft, or submit (every point rated) and open the result; problems re-show the form as entered."""
    diagnosis = load_diagnosis(session, user, diagnosis_id)
    form = flows.questionnaire_page(session, settings, diagnosis=diagnosis, principal=user)
    role, answers, errors = diagnosis_answers(posted, form.questionnaire.point_ids)
    submit = posted.get("action") == "submit"
    if role is not None and not errors:
        try:
            flows.save_answers(
                session,
                settings,
                diagnosis=diagnosis,
                principal=user,
                role=role,
                answers=answers,
                submit=submit,
                now=utcnow(),
            )
            target = f"/diagnosis/{diagnosis_id}" if submit else f"/diagnosis/{diagnosis_id}/questionnaire?saved=1"
            return RedirectResponse(target, status_code=303)
        except AppError as exc:
            if exc.code not in (ErrorCode.INVALID_INPUT, ErrorCode.CONFLICT):
                raise
            errors["form"] = exc.message_zh
    entered = form.response.model_copy(update={"role": role, "answers": tuple(answers)})
    shown = form.model_copy(update={"response": entered})
    context = {"form": shown, "roles": RESPONDENT_ROLE_ZH, "saved": False, "errors": errors}
    return page(request, _FORM, user, title=form.title, status_code=422, **context)


@router.get("/diagnosis/{diagnosis_id}", response_class=HTMLResponse)
def result(
    request: Request, diagnosis_id: int, user: WebUniversity, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """Scores, radar, cross-check, weakest points with the guide's advice, category mean and change."""
    found = flows.diagnosis_result(session, settings, diagnosis=load_diagnosis(session, user, diagnosis_id))
    return page(request, "university/diagnosis_result.html", user, title=found.title, result=found)


@router.get("/diagnosis/{diagnosis_id}/report.docx")
def report(diagnosis_id: int, user: WebUniversity, session: DbSession, settings: SettingsDep) -> Response:
    """The diagnosis report as a Word document."""
    found = flows.diagnosis_result(session, settings, diagnosis=load_diagnosis(session, user, diagnosis_id))
    return attachment(diagnosis_docx(found), found.title + "诊断报告.docx", DOCX_MEDIA_TYPE)


@router.get("/secretariat/diagnosis", response_class=HTMLResponse)
def benchmarks(request: Request, user: WebSecretariat, session: DbSession, settings: SettingsDep) -> HTMLResponse:
    """Per category the number of institutions diagnosed and their anonymised means per dimension."""
    found = flows.benchmarks(session, settings)
    return page(request, "secretariat/diagnosis.html", user, title="质量文化诊断（匿名汇总）", benchmarks=found)


_FORM = "university/diagnosis_form.html"
