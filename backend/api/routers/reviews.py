"""Reviews of versions, expert decisions, and version-to-version comparison (整改跟踪)."""

from __future__ import annotations

from functools import partial

from fastapi import Response
from sqlalchemy.orm import Session

from backend.api.conditional import NOT_MODIFIED, ConditionalRead, assessment_etag, review_etag
from backend.api.deps import (
    Conditional,
    DbSession,
    Expert,
    Readers,
    RequestCredentials,
    Reviewers,
    SettingsDep,
    load_assessment,
    load_review,
    load_version,
    read_in_one_hop,
)
from backend.api.routing import Router
from backend.api.schemas import (
    AssessmentOut,
    DecisionIn,
    DecisionOut,
    Id,
    JobOut,
    ReviewIn,
    ReviewOut,
    ReviewSummaryOut,
)
from backend.auth import access
from backend.auth.tokens import Principal
from backend.db.queries import decisions, reviews
from backend.review.comparison import VersionComparison
from backend.review.expert import decision_scope
from backend.review.operations import compare_versions, record_decision, request_review, review_overview

router = Router(tags=["reviews"])


@router.post("/versions/{version_id}/reviews", status_code=202)
def start_review(version_id: Id, body: ReviewIn, user: Reviewers, session: DbSession, settings: SettingsDep) -> JobOut:
    """Queue a review with a rubric and drafter; a new review never replaces earlier ones or their decisions."""
    load_version(session, user, version_id)
    job = request_review(
        session,
        version_id=version_id,
        rubric_id=body.rubric_id,
        drafter=body.drafter,
        user_id=user.user_id,
        settings=settings,
    )
    return JobOut.model_validate(job)


@router.get("/versions/{version_id}/reviews")
def list_reviews(version_id: Id, user: Readers, session: DbSession) -> list[ReviewSummaryOut]:
    """Reviews of a version, newest first."""
    load_version(session, user, version_id)
    return [ReviewSummaryOut.model_validate(r) for r in reviews.list_reviews(session, version_id=version_id)]


@router.get("/reviews/{review_id}", response_model=ReviewOut, responses=NOT_MODIFIED)
async def get_review(
    review_id: Id, credentials: RequestCredentials, settings: SettingsDep, conditional: Conditional
) -> Response:
    """A review's overview: counts, checklists, per indicator its level and point marks, the current decisions.

    Decisions shown: an expert's own, a university's those of experts who submitted (if the campaign shows them),
    the secretariat's every expert's (one current decision per expert and point). Evidence is read per indicator
    (``GET /api/assessments/{id}``). The answer carries an ETag; sent back in If-None-Match it gets 304 until a
    decision or submission changes what the reader sees.
    """
    answer = partial(_overview, review_id, conditional)
    return await read_in_one_hop(settings, credentials, access.READERS, answer)


def _overview(review_id: int, conditional: ConditionalRead, session: Session, user: Principal) -> Response:
    """The overview for this reader: 304 while their copy is current, else the body rendered once per ETag."""
    record = load_review(session, user, review_id)
    scope = decision_scope(session, user, record)
    stamp = decisions.review_decision_stamp(session, review_id=record.id, reviewer_ids=scope.reviewer_ids)
    return conditional.answer(
        review_etag(record.id, stamp, scope.name),
        lambda: ReviewOut.build(review_overview(session, review=record, reviewer_ids=scope.reviewer_ids)),
    )


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut, responses=NOT_MODIFIED)
async def get_assessment(
    assessment_id: Id, credentials: RequestCredentials, settings: SettingsDep, conditional: Conditional
) -> Response:
    """One indicator's full assessment: every point's evidence (quotes, pages, sections), figure, gaps, advice.

    With the current expert decisions on it that the reader may see, and an ETag as for the review.
    """
    answer = partial(_evidence, assessment_id, conditional)
    return await read_in_one_hop(settings, credentials, access.READERS, answer)


def _evidence(assessment_id: int, conditional: ConditionalRead, session: Session, user: Principal) -> Response:
    """An indicator's evidence for this reader: 304 while their copy is current, else rendered once per ETag."""
    record = load_assessment(session, user, assessment_id)
    scope = decision_scope(session, user, record.review)
    stamp = decisions.assessment_decision_stamp(session, assessment_id=record.id, reviewer_ids=scope.reviewer_ids)

    def render() -> AssessmentOut:
        current = decisions.current_assessment_decisions(
            session, assessment_id=record.id, reviewer_ids=scope.reviewer_ids
        )
        return AssessmentOut.build(record, current)

    return conditional.answer(assessment_etag(record.id, stamp, scope.name), render)


@router.post("/assessments/{assessment_id}/decisions", status_code=201)
def decide(assessment_id: Id, body: DecisionIn, user: Expert, session: DbSession, settings: SettingsDep) -> DecisionOut:
    """Record an assigned expert's accept / edit / reject (appended; earlier decisions stay); 409 once the expert
    has submitted the review."""
    load_assessment(session, user, assessment_id)
    decision = record_decision(
        session, assessment_id=assessment_id, reviewer_id=user.user_id, decision=body, settings=settings
    )
    return DecisionOut.model_validate(decision)


@router.get("/assessments/{assessment_id}/decisions")
def list_decisions(assessment_id: Id, user: Readers, session: DbSession) -> list[DecisionOut]:
    """Every decision on an assessment that the reader may see (as for the review), oldest first."""
    record = load_assessment(session, user, assessment_id)
    scope = decision_scope(session, user, record.review)
    found = decisions.list_decisions(session, assessment_id=assessment_id, reviewer_ids=scope.reviewer_ids)
    return [DecisionOut.model_validate(d) for d in found]


@router.get("/versions/{version_id}/comparison")
def compare(
    version_id: Id, user: Readers, session: DbSession, settings: SettingsDep, previous: Id | None = None
) -> VersionComparison:
    """整改跟踪: which missing items the version now covers and which levels moved since ``previous``."""
    load_version(session, user, version_id)
    if previous is not None:
        load_version(session, user, previous)
    return compare_versions(session, version_id=version_id, previous_id=previous, settings=settings)
