"""Quality-culture diagnoses: rounds per institution and one questionnaire response per respondent and round."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Diagnosis, DiagnosisResponse, Institution
from backend.domain.diagnosis import Answer, RespondentRole, ResponseStatus
from backend.domain.enums import InstitutionType
from backend.errors import AppError, ErrorCode


def create_diagnosis(
    session: Session, *, institution_id: int, rubric_id: str, rubric_version: str, title: str, created_by: int | None
) -> Diagnosis:
    """Start a diagnosis round of an institution."""
    diagnosis = Diagnosis(
        institution_id=institution_id,
        rubric_id=rubric_id,
        rubric_version=rubric_version,
        title=title,
        created_by=created_by,
    )
    session.add(diagnosis)
    session.flush()
    return diagnosis


def get_diagnosis(session: Session, *, diagnosis_id: int) -> Diagnosis:
    """The diagnosis with this id, or NOT_FOUND."""
    diagnosis = session.get(Diagnosis, diagnosis_id)
    if diagnosis is None:
        raise AppError(ErrorCode.NOT_FOUND, "诊断不存在。", f"no diagnosis {diagnosis_id}")
    return diagnosis


def list_diagnoses(session: Session, *, institution_id: int) -> Sequence[Diagnosis]:
    """An institution's diagnosis rounds, newest first."""
    query = select(Diagnosis).where(Diagnosis.institution_id == institution_id).order_by(Diagnosis.id.desc())
    return session.scalars(query).all()


def find_response(session: Session, *, diagnosis_id: int, respondent_id: int) -> DiagnosisResponse | None:
    """A respondent's response in a round, if started."""
    query = select(DiagnosisResponse).where(
        DiagnosisResponse.diagnosis_id == diagnosis_id, DiagnosisResponse.respondent_id == respondent_id
    )
    return session.scalars(query).one_or_none()


def save_response(
    session: Session,
    *,
    diagnosis_id: int,
    respondent_id: int,
    role: RespondentRole,
    answers: Sequence[Answer],
    status: ResponseStatus,
    now: dt.datetime,
) -> DiagnosisResponse:
    """Create or replace a respondent's answers; ``submitted_at`` is set when the status becomes submitted."""
    response = find_response(session, diagnosis_id=diagnosis_id, respondent_id=respondent_id)
    if response is None:
        response = DiagnosisResponse(diagnosis_id=diagnosis_id, respondent_id=respondent_id)
        session.add(response)
    response.respondent_role = role
    response.answers = tuple(answers)
    response.status = status
    response.updated_at = now
    response.submitted_at = now if status is ResponseStatus.SUBMITTED else None
    session.flush()
    return response


def list_responses(
    session: Session, *, diagnosis_id: int, status: ResponseStatus | None = None
) -> Sequence[DiagnosisResponse]:
    """A round's responses in the order they were started."""
    query = select(DiagnosisResponse).where(DiagnosisResponse.diagnosis_id == diagnosis_id)
    if status is not None:
        query = query.where(DiagnosisResponse.status == status)
    return session.scalars(query.order_by(DiagnosisResponse.id)).all()


def submitted_answers(session: Session, *, diagnosis_ids: Sequence[int]) -> dict[int, list[tuple[Answer, ...]]]:
    """The answers of every submitted response of these rounds, by round (one query for a whole category)."""
    query = select(DiagnosisResponse.diagnosis_id, DiagnosisResponse.answers).where(
        DiagnosisResponse.diagnosis_id.in_(list(diagnosis_ids)), DiagnosisResponse.status == ResponseStatus.SUBMITTED
    )
    found: dict[int, list[tuple[Answer, ...]]] = {}
    for diagnosis_id, answers in session.execute(query):
        found.setdefault(diagnosis_id, []).append(answers)
    return found


def latest_submitted_diagnoses(
    session: Session, *, rubric_id: str, category: InstitutionType | None = None
) -> Sequence[Diagnosis]:
    """Per institution (of a category, if given) its newest round with a submitted response, with a rubric."""
    submitted = select(DiagnosisResponse.diagnosis_id).where(DiagnosisResponse.status == ResponseStatus.SUBMITTED)
    query = (
        select(Diagnosis)
        .join(Institution, Institution.id == Diagnosis.institution_id)
        .where(Diagnosis.rubric_id == rubric_id, Diagnosis.id.in_(submitted))
    )
    if category is not None:
        query = query.where(Institution.type == category)
    newest: dict[int, Diagnosis] = {}
    for diagnosis in session.scalars(query.order_by(Diagnosis.id)):
        newest[diagnosis.institution_id] = diagnosis
    return list(newest.values())
