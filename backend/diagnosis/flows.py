"""Diagnosis flows: start a round, save or submit a respondent's answers, and build the round's result from the
submitted responses, the institution's newest AI review with the rubric, the guide and the category's rounds."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from backend.auth.tokens import Principal
from backend.config import Settings
from backend.db.models import Diagnosis, DiagnosisResponse, DocumentRole, JobKind, JobStatus, ReviewRecord
from backend.db.queries import chunks as chunk_queries
from backend.db.queries import diagnoses, jobs, reviews, submissions, versions
from backend.diagnosis import scoring
from backend.diagnosis.models import (
    CategoryComparison,
    Change,
    DiagnosisResult,
    EvidenceSource,
    GuideAdvice,
    IndicatorScore,
    PointResult,
    Questionnaire,
    Quote,
    RespondentSummary,
)
from backend.domain.assessment import Evidence, PointAssessment
from backend.domain.diagnosis import Answer, RespondentRole, ResponseStatus
from backend.domain.enums import InstitutionType
from backend.errors import AppError, ErrorCode
from backend.ingest.flows import upload_version
from backend.review.drafters.guide import guide_index
from backend.review.flows import GUIDE_RUBRIC_ID
from backend.review.operations import request_review
from backend.rubrics.models import Rubric
from backend.rubrics.registry import rubric_registry

log = logging.getLogger(__name__)

DIAGNOSIS_RUBRIC_ID = "quality-culture-2026"
# The category's mean is shown only from this many institutions on, so that no single one can be read off it.
CATEGORY_MINIMUM = 5
WEAKEST_SHOWN = 5
TITLE_MAX = 100
# The standalone submission holding the files a university uploads as evidence for its answers.
EVIDENCE_TITLE = "质量文化诊断证据材料"


class MyResponse(BaseModel):
    """The signed-in respondent's response in a round (an empty draft when not started)."""

    model_config = ConfigDict(frozen=True)

    diagnosis_id: int
    role: RespondentRole | None
    status: ResponseStatus
    answers: tuple[Answer, ...]
    updated_at: dt.datetime | None


class RoundSummary(BaseModel):
    """A round on the institution's diagnosis page: who answered and whether the signed-in user has."""

    model_config = ConfigDict(frozen=True)

    diagnosis_id: int
    title: str
    created_at: dt.datetime
    respondents: tuple[RespondentSummary, ...]
    submitted: int
    mine: ResponseStatus | None


class Benchmarks(BaseModel):
    """Anonymised means per category and dimension for the secretariat: counts and means, never names."""

    model_config = ConfigDict(frozen=True)

    rubric_id: str
    dimensions: tuple[str, ...]
    categories: tuple[CategoryComparison, ...]


def diagnosis_rubric(settings: Settings, version: str | None = None) -> Rubric:
    """The quality-culture rubric the questionnaire is built from (a round keeps the version it started with)."""
    return rubric_registry(settings).get(DIAGNOSIS_RUBRIC_ID, version)


def rubric_of(settings: Settings, diagnosis: Diagnosis) -> Rubric:
    """The rubric version a round was started with."""
    return diagnosis_rubric(settings, diagnosis.rubric_version)


def questionnaire_of(settings: Settings, diagnosis: Diagnosis) -> Questionnaire:
    """A round's questionnaire."""
    return scoring.questionnaire(rubric_of(settings, diagnosis))


def start_diagnosis(
    session: Session, settings: Settings, *, principal: Principal, title: str, now: dt.datetime
) -> Diagnosis:
    """Start a new round for the user's institution with the latest rubric version."""
    title = title.strip() or f"{now.year}年质量文化建设诊断"
    if len(title) > TITLE_MAX:
        raise AppError(ErrorCode.INVALID_INPUT, f"诊断名称不能超过 {TITLE_MAX} 字。", "title too long")
    rubric = diagnosis_rubric(settings)
    diagnosis = diagnoses.create_diagnosis(
        session,
        institution_id=_institution(principal),
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        title=title,
        created_by=principal.user_id,
    )
    log.info("diagnosis %s started by user %s", diagnosis.id, principal.user_id)
    return diagnosis


def rounds(session: Session, *, principal: Principal) -> list[RoundSummary]:
    """The institution's rounds, newest first, with their respondents."""
    found = []
    for diagnosis in diagnoses.list_diagnoses(session, institution_id=_institution(principal)):
        responses = diagnoses.list_responses(session, diagnosis_id=diagnosis.id)
        mine = next((r.status for r in responses if r.respondent_id == principal.user_id), None)
        found.append(
            RoundSummary(
                diagnosis_id=diagnosis.id,
                title=diagnosis.title,
                created_at=diagnosis.created_at,
                respondents=tuple(_respondent(r) for r in responses),
                submitted=sum(r.status is ResponseStatus.SUBMITTED for r in responses),
                mine=mine,
            )
        )
    return found


def my_response(session: Session, *, diagnosis: Diagnosis, principal: Principal) -> MyResponse:
    """The user's own response in a round, or an empty draft."""
    found = diagnoses.find_response(session, diagnosis_id=diagnosis.id, respondent_id=principal.user_id)
    if found is None:
        return MyResponse(
            diagnosis_id=diagnosis.id, role=None, status=ResponseStatus.DRAFT, answers=(), updated_at=None
        )
    return MyResponse(
        diagnosis_id=diagnosis.id,
        role=found.respondent_role,
        status=found.status,
        answers=found.answers,
        updated_at=found.updated_at,
    )


def save_answers(
    session: Session,
    settings: Settings,
    *,
    diagnosis: Diagnosis,
    principal: Principal,
    role: RespondentRole,
    answers: Sequence[Answer],
    submit: bool,
    now: dt.datetime,
) -> DiagnosisResponse:
    """Save the user's answers as a draft, or submit them when every point is rated; a submitted one is final."""
    existing = diagnoses.find_response(session, diagnosis_id=diagnosis.id, respondent_id=principal.user_id)
    if existing is not None and existing.status is ResponseStatus.SUBMITTED:
        raise AppError(ErrorCode.CONFLICT, "本问卷已提交，不能再修改；如需重新诊断，请开始新一轮诊断。", "submitted")
    form = questionnaire_of(settings, diagnosis)
    levels = {o.id for o in form.scale}
    known = set(form.point_ids)
    own_versions = {v.id for v in versions.list_institution_versions(session, institution_id=diagnosis.institution_id)}
    by_point: dict[str, Answer] = {}
    for answer in answers:
        if answer.point_id not in known:
            raise AppError(ErrorCode.INVALID_INPUT, f"审核重点 {answer.point_id} 不在问卷中。", answer.point_id)
        if answer.level is not None and answer.level not in levels:
            raise AppError(
                ErrorCode.INVALID_INPUT,
                f"审核重点 {answer.point_id} 的自评等级“{answer.level}”无效，请在 {'、'.join(sorted(levels))} 中选择。",
                f"level {answer.level}",
            )
        if not set(answer.version_ids) <= own_versions:
            raise AppError(
                ErrorCode.INVALID_INPUT,
                f"审核重点 {answer.point_id} 引用的文件不是本校已处理的上传文件。",
                f"versions {answer.version_ids} not among {sorted(own_versions)}",
            )
        by_point[answer.point_id] = answer
    ordered = [by_point[pid] for pid in form.point_ids if pid in by_point]
    if submit:
        missing = [pid for pid in form.point_ids if by_point.get(pid) is None or by_point[pid].level is None]
        if missing:
            raise AppError(
                ErrorCode.INVALID_INPUT,
                f"还有 {len(missing)} 个审核重点未自评（{'、'.join(missing)}），请全部评定后再提交；可先保存草稿。",
                f"unrated {missing}",
            )
    status = ResponseStatus.SUBMITTED if submit else ResponseStatus.DRAFT
    response = diagnoses.save_response(
        session,
        diagnosis_id=diagnosis.id,
        respondent_id=principal.user_id,
        role=role,
        answers=ordered,
        status=status,
        now=now,
    )
    log.info("diagnosis %s: user %s saved %d answers (%s)", diagnosis.id, principal.user_id, len(ordered), status)
    return response


def diagnosis_result(session: Session, settings: Settings, *, diagnosis: Diagnosis) -> DiagnosisResult:
    """The round's result: scores, the cross-check with the newest AI review, weakest points, comparisons."""
    rubric = rubric_of(settings, diagnosis)
    scale = rubric.scale
    responses = diagnoses.list_responses(session, diagnosis_id=diagnosis.id)
    submitted = [r for r in responses if r.status is ResponseStatus.SUBMITTED]
    rated = scoring.ratings(rubric, [r.answers for r in submitted])
    means = {pid: sum(v) / len(v) for pid, v in rated.items()}
    scores = scoring.indicator_scores(rubric, means)
    record = reviews.latest_institution_review(session, institution_id=diagnosis.institution_id, rubric_id=rubric.id)
    assessed, quotes = _reviewed_points(session, record)
    document = record.version.original_name if record is not None else None
    comments: dict[str, list[str]] = {}
    linked: dict[str, dict[int, None]] = {}
    for response in submitted:
        for answer in response.answers:
            if answer.comment.strip():
                comments.setdefault(answer.point_id, []).append(f"{response.respondent_role.zh}：{answer.comment}")
            linked.setdefault(answer.point_id, {}).update(dict.fromkeys(answer.version_ids))
    # A file deleted since it was linked is no longer named.
    names = {d.version_id: d.name for d in _documents(session, diagnosis.institution_id)}
    top_of = rubric.first_levels()
    points: list[PointResult] = []
    effective: dict[str, float] = {}
    for chain, point in rubric.iter_points():
        score = round(means[point.id], 2) if point.id in means else None
        review_point = assessed.get(point.id)
        check = scoring.cross_check(
            scale=scale,
            score=score,
            assessed=review_point,
            quotes=quotes.get(point.id, ()),
            document=document,
            expected=point.evidence,
        )
        if score is not None:
            mark = review_point.mark if review_point else None
            effective[point.id] = scoring.effective_score(score, check, scale, mark)
        values = rated.get(point.id, [])
        points.append(
            PointResult(
                point_id=point.id,
                text=point.text,
                indicator_id=chain[-1].id,
                dimension=top_of[chain[0].id].name,
                score=score,
                level_label=scoring.level_label(scale, score) if score is not None else None,
                ratings=len(values),
                spread=round(max(values) - min(values), 2) if values else 0.0,
                comments=tuple(comments.get(point.id, ())),
                linked=tuple(names[v] for v in linked.get(point.id, {}) if v in names),
                check=check,
            )
        )
    weakest = sorted(effective, key=lambda pid: (effective[pid], pid))[:WEAKEST_SHOWN]
    advice = _advice(settings, rubric, weakest)
    changes, previous_title = _changes(session, settings, diagnosis, rubric, scores)
    points = [p.model_copy(update={"advice": advice.get(p.point_id)}) for p in points]
    return DiagnosisResult(
        diagnosis_id=diagnosis.id,
        title=diagnosis.title,
        institution=diagnosis.institution.name,
        category=diagnosis.institution.type,
        rubric_id=rubric.id,
        scale_max=max(lv.score for lv in scale),
        scale_min=min(lv.score for lv in scale),
        respondents=tuple(_respondent(r) for r in responses),
        submitted=len(submitted),
        dimensions=tuple(
            IndicatorScore(indicator_id=top.id, name=top.name, depth=1, score=scores[top.id])
            for top in rubric.indicators
        ),
        indicators=tuple(
            IndicatorScore(indicator_id=ind.id, name=ind.name, depth=depth, score=scores[ind.id])
            for depth, ind in rubric.iter_indicators()
            if depth > 1
        ),
        points=tuple(points),
        weakest=tuple(weakest),
        evidence=_source(record),
        comparison=_comparison(session, settings, rubric, diagnosis.institution.type),
        changes=changes,
        previous_title=previous_title,
    )


def benchmarks(session: Session, settings: Settings) -> Benchmarks:
    """Every category's anonymised means per dimension (shown from :data:`CATEGORY_MINIMUM` institutions on)."""
    rubric = diagnosis_rubric(settings)
    return Benchmarks(
        rubric_id=rubric.id,
        dimensions=tuple(top.name for top in rubric.indicators),
        categories=tuple(_comparison(session, settings, rubric, c) for c in InstitutionType),
    )


def _institution(principal: Principal) -> int:
    if principal.institution_id is None:
        raise AppError(ErrorCode.FORBIDDEN, "您的账号未关联学校，不能进行质量文化诊断。", f"user {principal.user_id}")
    return principal.institution_id


def _respondent(response: DiagnosisResponse) -> RespondentSummary:
    user = response.respondent
    return RespondentSummary(
        respondent=user.display_name or user.username,
        role=response.respondent_role,
        status=response.status,
        answered=sum(a.level is not None for a in response.answers),
    )


def _reviewed_points(
    session: Session, record: ReviewRecord | None
) -> tuple[dict[str, PointAssessment], dict[str, list[Quote]]]:
    """The review's point assessments by id, and per point the quotes that are verbatim in the stored chunks."""
    if record is None:
        return {}, {}
    assessments = reviews.list_assessments(session, review_id=record.id)
    points = {p.point_id: p for a in assessments for p in a.assessment.points}
    keys = {ev.chunk_id for p in points.values() for ev in p.evidence}
    found = chunk_queries.get_chunks(session, version_id=record.version_id, chunk_keys=keys)
    stored = {c.chunk_key: c.text for c in found}
    quotes: dict[str, list[Quote]] = {}
    for point_id, point in points.items():
        for ev in point.evidence:
            if _verbatim(ev, stored):
                quotes.setdefault(point_id, []).append(
                    Quote(
                        document=record.version.original_name,
                        page_start=ev.page_start,
                        page_end=ev.page_end,
                        text=ev.quote,
                    )
                )
            else:
                log.warning("review %s point %s: quote not verbatim in chunk %s", record.id, point_id, ev.chunk_id)
    return points, quotes


def _verbatim(evidence: Evidence, stored: dict[str, str]) -> bool:
    text = stored.get(evidence.chunk_id)
    return (
        bool(evidence.quote.strip())
        and text is not None
        and (text[evidence.quote_start : evidence.quote_end] == evidence.quote)
    )


def _advice(settings: Settings, rubric: Rubric, point_ids: Sequence[str]) -> dict[str, GuideAdvice]:
    """The guide recommendation each weak point links to (none where the guide has no relevant one)."""
    registry = rubric_registry(settings)
    if GUIDE_RUBRIC_ID not in {r.id for r in registry.list()}:
        return {}
    index = guide_index(registry.get(GUIDE_RUBRIC_ID))
    found = {}
    for point_id in point_ids:
        match = index.best_for(rubric.point(point_id))
        if match is not None:
            found[point_id] = GuideAdvice(
                link=match.link,
                guide_name=match.guide_name,
                recommendation_id=match.recommendation.id,
                recommendation_text=match.recommendation.text,
            )
    return found


def _comparison(session: Session, settings: Settings, rubric: Rubric, category: InstitutionType) -> CategoryComparison:
    rounds_ = diagnoses.latest_submitted_diagnoses(session, rubric_id=rubric.id, category=category)
    if len(rounds_) < CATEGORY_MINIMUM:
        return CategoryComparison(
            category=category, institutions=len(rounds_), minimum=CATEGORY_MINIMUM, dimensions=None
        )
    by_round = diagnoses.submitted_answers(session, diagnosis_ids=[d.id for d in rounds_])
    rows = [scoring.dimension_scores(rubric, by_round.get(d.id, [])) for d in rounds_]
    means = []
    for i in range(len(rubric.indicators)):
        values = [row[i] for row in rows if row[i] is not None]
        means.append(round(sum(values) / len(values), 2) if values else 0.0)
    return CategoryComparison(
        category=category, institutions=len(rounds_), minimum=CATEGORY_MINIMUM, dimensions=tuple(means)
    )


def _dimensions(session: Session, rubric: Rubric, diagnosis: Diagnosis) -> tuple[float | None, ...]:
    submitted = diagnoses.list_responses(session, diagnosis_id=diagnosis.id, status=ResponseStatus.SUBMITTED)
    return scoring.dimension_scores(rubric, [r.answers for r in submitted])


def _changes(
    session: Session, settings: Settings, diagnosis: Diagnosis, rubric: Rubric, scores: dict[str, float | None]
) -> tuple[tuple[Change, ...], str | None]:
    """The change per dimension since the institution's previous round with submitted responses, and its title."""
    for earlier in diagnoses.list_diagnoses(session, institution_id=diagnosis.institution_id):
        if earlier.id >= diagnosis.id:
            continue
        before = _dimensions(session, rubric_of(settings, earlier), earlier)
        if all(v is None for v in before):
            continue
        changes = tuple(
            Change(dimension=top.name, previous=before[i] if i < len(before) else None, current=scores[top.id])
            for i, top in enumerate(rubric.indicators)
        )
        return changes, earlier.title
    return (), None


class DocumentOption(BaseModel):
    """An uploaded, processed file of the institution an answer may cite."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    name: str
    submission_id: int
    submission_title: str


class DiagnosisHome(BaseModel):
    """The institution's diagnosis page: rounds, which review the cross-check uses, files that could be reviewed."""

    model_config = ConfigDict(frozen=True)

    rounds: tuple[RoundSummary, ...]
    evidence: EvidenceSource | None
    rubric_name: str
    reviewable: tuple[DocumentOption, ...]
    reviewing: tuple[DocumentOption, ...]


class QuestionnairePage(BaseModel):
    """What the questionnaire form shows: the questions, the user's saved answers, the files answers may cite."""

    model_config = ConfigDict(frozen=True)

    diagnosis_id: int
    title: str
    questionnaire: Questionnaire
    response: MyResponse
    documents: tuple[DocumentOption, ...]


def diagnosis_home(session: Session, settings: Settings, *, principal: Principal) -> DiagnosisHome:
    """The rounds, the review the cross-check would use now, and the main reports that could be reviewed."""
    institution_id = _institution(principal)
    rubric = diagnosis_rubric(settings)
    record = reviews.latest_institution_review(session, institution_id=institution_id, rubric_id=rubric.id)
    reports = [DocumentOption(**d.model_dump(exclude={"main"})) for d in _documents(session, institution_id) if d.main]
    busy = {d.version_id for d in reports if _reviewing(session, d.version_id, rubric.id)}
    return DiagnosisHome(
        rounds=tuple(rounds(session, principal=principal)),
        evidence=_source(record),
        rubric_name=rubric.name,
        reviewable=tuple(d for d in reports if d.version_id not in busy),
        reviewing=tuple(d for d in reports if d.version_id in busy),
    )


def _reviewing(session: Session, version_id: int, rubric_id: str) -> bool:
    """Whether a review of the version with the rubric is queued or running (offered once, not twice)."""
    job = jobs.latest_job(session, kind=JobKind.REVIEW, version_id=version_id, rubric_id=rubric_id)
    return job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING)


def questionnaire_page(
    session: Session, settings: Settings, *, diagnosis: Diagnosis, principal: Principal
) -> QuestionnairePage:
    """The form of a round for the signed-in respondent."""
    return QuestionnairePage(
        diagnosis_id=diagnosis.id,
        title=diagnosis.title,
        questionnaire=questionnaire_of(settings, diagnosis),
        response=my_response(session, diagnosis=diagnosis, principal=principal),
        documents=tuple(
            DocumentOption(**d.model_dump(exclude={"main"})) for d in _documents(session, diagnosis.institution_id)
        ),
    )


def upload_evidence(session: Session, settings: Settings, *, principal: Principal, data: bytes, name: str) -> int:
    """Store an evidence file as 支撑材料 of the institution's evidence submission (made once); its submission id.

    The file is processed like any upload and, once ready, can be linked to answers; it is not reviewed on its own.
    """
    institution_id = _institution(principal)
    own = submissions.list_submissions(session, institution_id=institution_id)
    found = next((s for s in own if s.campaign_id is None and s.title == EVIDENCE_TITLE), None)
    if found is None:
        found = submissions.create_submission(
            session, institution_id=institution_id, title=EVIDENCE_TITLE, created_by=principal.user_id
        )
    upload_version(
        session,
        submission_id=found.id,
        data=data,
        original_name=name,
        user_id=principal.user_id,
        settings=settings,
        role=DocumentRole.SUPPORTING,
    )
    return found.id


def request_evidence_review(session: Session, settings: Settings, *, principal: Principal, version_id: int) -> int:
    """Queue the AI review of one of the institution's main reports with the diagnosis rubric; its submission id."""
    version = versions.get_version(session, version_id=version_id)
    if version.submission.institution_id != _institution(principal) or version.role is not DocumentRole.MAIN:
        raise AppError(ErrorCode.NOT_FOUND, "文件版本不存在。", f"version {version_id} not the institution's report")
    request_review(
        session,
        version_id=version_id,
        rubric_id=DIAGNOSIS_RUBRIC_ID,
        drafter=None,
        user_id=principal.user_id,
        settings=settings,
    )
    return version.submission_id


class _Document(DocumentOption):
    main: bool


def _documents(session: Session, institution_id: int) -> list[_Document]:
    return [
        _Document(
            version_id=v.id,
            name=v.original_name,
            submission_id=v.submission_id,
            submission_title=v.submission.title,
            main=v.role is DocumentRole.MAIN,
        )
        for v in versions.list_institution_versions(session, institution_id=institution_id)
    ]


def _source(record: ReviewRecord | None) -> EvidenceSource | None:
    if record is None:
        return None
    return EvidenceSource(
        review_id=record.id, document=record.version.original_name, reviewed_at=record.created_at.date().isoformat()
    )
