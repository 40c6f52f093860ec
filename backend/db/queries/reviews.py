"""Reviews and their indicator assessments: saved once per job, never rewritten."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, joinedload

from backend.db.models import AssessmentRecord, DocumentRole, DocumentVersion, ReviewRecord, Submission
from backend.domain import assessment as rm
from backend.errors import AppError, ErrorCode


def save_review(session: Session, *, job_id: int, version_id: int, review: rm.Review) -> ReviewRecord:
    """Store a review made by a job; a second call for the same job returns the stored one unchanged."""
    existing = find_review_for_job(session, job_id=job_id)
    if existing is not None:
        return existing
    record = ReviewRecord(
        job_id=job_id,
        version_id=version_id,
        rubric_id=review.rubric_id,
        rubric_version=review.rubric_version,
        rubric_fingerprint=review.rubric_fingerprint,
        supplementary_materials=review.supplementary_materials,
        site_visit_questions=review.site_visit_questions,
        seconds=review.seconds,
        counts=rm.ReviewCounts.of(review.assessments),
        assessments=[
            AssessmentRecord(
                ordinal=n,
                indicator_id=a.indicator_id,
                level=a.level,
                confidence=a.confidence,
                assessment=a,
                summary=rm.IndicatorSummary.of(a),
            )
            for n, a in enumerate(review.assessments)
        ],
    )
    session.add(record)
    session.flush()
    return record


def find_review_for_job(session: Session, *, job_id: int) -> ReviewRecord | None:
    """The review a job produced, if any."""
    return session.scalars(select(ReviewRecord).where(ReviewRecord.job_id == job_id)).one_or_none()


# Read on first use, not with the row: a read answered from its ETag (304, or a body rendered before) needs neither
# the review's checklists nor an assessment's evidence, and validating their JSON was most of such a read's row load.
_REVIEW_BODY = (
    defer(ReviewRecord.supplementary_materials),
    defer(ReviewRecord.site_visit_questions),
    defer(ReviewRecord.counts),
)
_ASSESSMENT_BODY = (defer(AssessmentRecord.assessment), defer(AssessmentRecord.summary))


def get_review(session: Session, *, review_id: int) -> ReviewRecord:
    """The review row with this id (assessments not loaded; checklists and counts on first use), or NOT_FOUND."""
    review = session.get(ReviewRecord, review_id, options=_REVIEW_BODY)
    if review is None:
        raise AppError(ErrorCode.NOT_FOUND, "评审结果不存在。", f"no review {review_id}")
    return review


def list_reviews(session: Session, *, version_id: int, rubric_id: str | None = None) -> Sequence[ReviewRecord]:
    """Reviews of a version, newest first."""
    query = select(ReviewRecord).where(ReviewRecord.version_id == version_id)
    if rubric_id is not None:
        query = query.where(ReviewRecord.rubric_id == rubric_id)
    return session.scalars(query.order_by(ReviewRecord.id.desc())).all()


def latest_review(session: Session, *, version_id: int, rubric_id: str | None = None) -> ReviewRecord | None:
    """The newest review of a version (against one rubric, if given)."""
    reviews = list_reviews(session, version_id=version_id, rubric_id=rubric_id)
    return reviews[0] if reviews else None


def get_assessment(session: Session, *, assessment_id: int) -> AssessmentRecord:
    """The assessment row with this id (its JSON on first use; its review joined), or NOT_FOUND."""
    options = (*_ASSESSMENT_BODY, joinedload(AssessmentRecord.review).options(*_REVIEW_BODY))
    assessment = session.get(AssessmentRecord, assessment_id, options=options)
    if assessment is None:
        raise AppError(ErrorCode.NOT_FOUND, "指标评估不存在。", f"no assessment {assessment_id}")
    return assessment


def list_assessments(session: Session, *, review_id: int) -> Sequence[AssessmentRecord]:
    """A review's assessments in rubric order."""
    query = select(AssessmentRecord).where(AssessmentRecord.review_id == review_id)
    return session.scalars(query.order_by(AssessmentRecord.ordinal)).all()


def list_assessment_summaries(session: Session, *, review_id: int) -> Sequence[AssessmentRecord]:
    """A review's assessments in rubric order with their summaries; the full JSON (every quote) is not read."""
    query = (
        select(AssessmentRecord)
        .options(defer(AssessmentRecord.assessment))
        .where(AssessmentRecord.review_id == review_id)
        .order_by(AssessmentRecord.ordinal)
    )
    return session.scalars(query).all()


def load_review(session: Session, *, review_id: int) -> rm.Review:
    """A stored review as the review engine's model."""
    record = get_review(session, review_id=review_id)
    return as_review(record, record.assessments)


def as_review(record: ReviewRecord, assessments: Sequence[AssessmentRecord]) -> rm.Review:
    """A review row and its assessment rows (in rubric order) as the review engine's model."""
    return rm.Review(
        document_id=record.version.sha256,
        document_name=record.version.original_name,
        rubric_id=record.rubric_id,
        rubric_version=record.rubric_version,
        rubric_fingerprint=record.rubric_fingerprint,
        assessments=tuple(a.assessment for a in assessments),
        supplementary_materials=record.supplementary_materials,
        site_visit_questions=record.site_visit_questions,
        seconds=record.seconds,
    )


def latest_campaign_reviews(session: Session, *, campaign_id: int, rubric_id: str) -> dict[int, ReviewRecord]:
    """Submission id -> the newest review with the rubric of its newest reviewed main report version (deleted
    versions left out), for every submission of a campaign in one query."""
    query = (
        select(ReviewRecord, DocumentVersion.submission_id)
        .join(DocumentVersion, DocumentVersion.id == ReviewRecord.version_id)
        .join(Submission, Submission.id == DocumentVersion.submission_id)
        .where(
            Submission.campaign_id == campaign_id,
            DocumentVersion.role == DocumentRole.MAIN,
            DocumentVersion.deleted_at.is_(None),
            ReviewRecord.rubric_id == rubric_id,
        )
        .order_by(DocumentVersion.id, ReviewRecord.id)
    )
    # Ordered oldest first: the last row seen per submission is its newest version's newest review.
    return {submission_id: record for record, submission_id in session.execute(query)}


def list_review_assessments(
    session: Session, *, review_ids: Collection[int], summaries_only: bool = False
) -> Sequence[AssessmentRecord]:
    """The assessments of several reviews, by review and rubric order, in one query: full (every quote), or with
    only their summaries read."""
    if not review_ids:
        return []
    query = (
        select(AssessmentRecord)
        .where(AssessmentRecord.review_id.in_(list(review_ids)))
        .order_by(AssessmentRecord.review_id, AssessmentRecord.ordinal)
    )
    # Each JSON column costs its parse and validation: read only the one asked for.
    query = query.options(defer(AssessmentRecord.assessment if summaries_only else AssessmentRecord.summary))
    return session.scalars(query).all()


def latest_institution_review(session: Session, *, institution_id: int, rubric_id: str) -> ReviewRecord | None:
    """The newest review with a rubric of any main report of an institution (deleted versions left out)."""
    query = (
        select(ReviewRecord)
        .join(DocumentVersion, DocumentVersion.id == ReviewRecord.version_id)
        .join(Submission, Submission.id == DocumentVersion.submission_id)
        .where(
            Submission.institution_id == institution_id,
            ReviewRecord.rubric_id == rubric_id,
            DocumentVersion.deleted_at.is_(None),
            DocumentVersion.role == DocumentRole.MAIN,
        )
    )
    return session.scalars(query.order_by(ReviewRecord.id.desc()).limit(1)).one_or_none()
