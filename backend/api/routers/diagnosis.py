"""质量文化建设诊断: rounds of the user's institution, the questionnaire, one's own response, the result;
the secretariat reads the anonymised category means only."""

from __future__ import annotations

from backend.api.deps import DbSession, Secretariat, SettingsDep, University, load_diagnosis
from backend.api.routing import Router
from backend.api.schemas import DiagnosisIn, DiagnosisOut, Id, ResponseIn
from backend.db.base import utcnow
from backend.diagnosis import flows
from backend.diagnosis.models import DiagnosisResult, Questionnaire

router = Router(tags=["diagnosis"])


@router.get("/diagnoses")
def list_diagnoses(user: University, session: DbSession) -> list[flows.RoundSummary]:
    """The institution's diagnosis rounds, newest first, with respondents and the user's own status."""
    return flows.rounds(session, principal=user)


@router.post("/diagnoses", status_code=201)
def start_diagnosis(body: DiagnosisIn, user: University, session: DbSession, settings: SettingsDep) -> DiagnosisOut:
    """Start a new round (a later round shows the change per dimension against the previous one)."""
    diagnosis = flows.start_diagnosis(session, settings, principal=user, title=body.title, now=utcnow())
    return DiagnosisOut.model_validate(diagnosis)


@router.get("/diagnoses/{diagnosis_id}/questionnaire")
def questionnaire(diagnosis_id: Id, user: University, session: DbSession, settings: SettingsDep) -> Questionnaire:
    """The questionnaire: the scale and one question per 审核重点, by 一级 and 二级指标."""
    return flows.questionnaire_of(settings, load_diagnosis(session, user, diagnosis_id))


@router.get("/diagnoses/{diagnosis_id}/response")
def my_response(diagnosis_id: Id, user: University, session: DbSession) -> flows.MyResponse:
    """The user's own response (an empty draft when not started)."""
    return flows.my_response(session, diagnosis=load_diagnosis(session, user, diagnosis_id), principal=user)


@router.put("/diagnoses/{diagnosis_id}/response")
def save_response(
    diagnosis_id: Id, body: ResponseIn, user: University, session: DbSession, settings: SettingsDep
) -> flows.MyResponse:
    """Save the user's answers as a draft, or submit them (every point rated; final once submitted)."""
    diagnosis = load_diagnosis(session, user, diagnosis_id)
    answers = [a.answer() for a in body.answers]
    flows.save_answers(
        session,
        settings,
        diagnosis=diagnosis,
        principal=user,
        role=body.role,
        answers=answers,
        submit=body.submit,
        now=utcnow(),
    )
    return flows.my_response(session, diagnosis=diagnosis, principal=user)


@router.get("/diagnoses/{diagnosis_id}/result")
def result(diagnosis_id: Id, user: University, session: DbSession, settings: SettingsDep) -> DiagnosisResult:
    """Scores per dimension and 二级指标, the cross-check with the AI review, weakest points, comparisons."""
    return flows.diagnosis_result(session, settings, diagnosis=load_diagnosis(session, user, diagnosis_id))


@router.get("/diagnosis/benchmarks")
def benchmarks(user: Secretariat, session: DbSession, settings: SettingsDep) -> flows.Benchmarks:
    """Per category the number of institutions and, from five on, their anonymised mean per dimension."""
    return flows.benchmarks(session, settings)
