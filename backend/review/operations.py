"""Review operations over stored data, shared by the JSON API and the web views.

Each function loads what it needs through ``backend.db.queries``, calls the pure review functions
(:mod:`~backend.review.decisions`, :mod:`~backend.review.comparison`, :mod:`~backend.review.ranking`)
and, for writes, records an audit event; the caller's unit of work commits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import (
    AssessmentRecord,
    Campaign,
    DocumentRole,
    ExpertDecision,
    ExpertReview,
    Job,
    ReviewRecord,
    VersionStatus,
)
from backend.db.queries import (
    audit,
    decisions,
    expert_reviews,
    facts,
    jobs,
    reviews,
    submissions,
    versions,
)
from backend.domain.assessment import ChecklistItem, DrafterKind, Review
from backend.errors import AppError, ErrorCode
from backend.jobs.enqueue import commit_and_enqueue
from backend.review import expert
from backend.review.comparison import VersionComparison, compare_reviews
from backend.review.consistency import CONSISTENCY_POINT_ZH, Consistency, Source, compare_sources
from backend.review.decisions import DecisionInput, RecordedDecision, apply_decisions
from backend.review.ranking import RankingEntry
from backend.rubrics.models import Rubric
from backend.rubrics.registry import rubric_registry


def _rubric_of(record: ReviewRecord, settings: Settings) -> Rubric:
    return rubric_registry(settings).get(record.rubric_id, record.rubric_version)


def request_review(
    session: Session, *, version_id: int, rubric_id: str, drafter: DrafterKind | None, user_id: int, settings: Settings
) -> Job:
    """Queue a review of a ready version (a new review row; earlier reviews and their decisions stay)."""
    rubric_registry(settings).get(rubric_id)
    version = versions.get_version(session, version_id=version_id)
    if version.status is VersionStatus.FAILED:
        reason = (version.error_zh or "原因未记录。").rstrip("。") + "。"
        raise AppError(
            ErrorCode.CONFLICT,
            f"文件处理失败，不能评审。原因：{reason}请删除该版本后重新上传。",
            f"version {version_id} failed",
        )
    if version.status is not VersionStatus.READY:
        raise AppError(
            ErrorCode.CONFLICT, "文件尚未处理完成，暂不能评审。", f"version {version_id} is {version.status}"
        )
    job = jobs.create_review_job(
        session,
        version_id=version_id,
        rubric_id=rubric_id,
        drafter=drafter.value if drafter else None,
        created_by=user_id,
    )
    audit.record_event(
        session, actor_id=user_id, action="review.request", object_type="job", object_id=job.id, detail=rubric_id
    )
    commit_and_enqueue(session, jobs=[job], settings=settings)
    return job


def record_decision(
    session: Session, *, assessment_id: int, reviewer_id: int, decision: DecisionInput, settings: Settings
) -> ExpertDecision:
    """Record an expert's decision (refused once the expert submitted the review), audited before → after."""
    return expert.decide(
        session, assessment_id=assessment_id, reviewer_id=reviewer_id, decision=decision, settings=settings
    )


@dataclass(frozen=True)
class ReviewOverview:
    """A review row with its assessments' summaries (no evidence) and the current expert decisions."""

    review: ReviewRecord
    assessments: Sequence[AssessmentRecord]
    decisions: Sequence[ExpertDecision]


def review_overview(
    session: Session, *, review: ReviewRecord, reviewer_ids: Collection[int] | None = None
) -> ReviewOverview:
    """What a review's overview shows, with the decisions of ``reviewer_ids`` (None: every expert's); every quote
    stays unread (two queries, whatever the review's size)."""
    return ReviewOverview(
        review=review,
        assessments=reviews.list_assessment_summaries(session, review_id=review.id),
        decisions=decisions.current_decisions(session, review_id=review.id, reviewer_ids=reviewer_ids),
    )


def compare_versions(
    session: Session, *, version_id: int, previous_id: int | None, settings: Settings
) -> VersionComparison:
    """整改跟踪: the latest review of a version against the latest review of an earlier one, same rubric."""
    previous = (
        versions.get_version(session, version_id=previous_id)
        if previous_id is not None
        else versions.previous_version(session, version_id=version_id)
    )
    current = reviews.latest_review(session, version_id=version_id)
    if previous is None or current is None:
        raise AppError(ErrorCode.CONFLICT, "没有可比较的评审结果。", f"version {version_id}: nothing to compare")
    before = reviews.latest_review(session, version_id=previous.id, rubric_id=current.rubric_id)
    if before is None:
        raise AppError(
            ErrorCode.CONFLICT, "上一版本没有使用同一指标体系的评审结果。", f"version {previous.id}: no review"
        )
    rubric = _rubric_of(current, settings)
    level_order = tuple(lv.id for lv in sorted(rubric.scale, key=lambda lv: -lv.score))
    return compare_reviews(
        reviews.load_review(session, review_id=before.id),
        reviews.load_review(session, review_id=current.id),
        level_order,
    )


def finals_of(
    draft: Review,
    submitted: Sequence[ExpertReview],
    current: Sequence[ExpertDecision],
    indicator_of: Mapping[int, str],
) -> tuple[Review, ...]:
    """The review as each expert in ``submitted`` left it (their current decisions over the AI draft), in that order;
    ``indicator_of`` maps the review's assessment ids to indicator ids."""
    finals = []
    for row in submitted:
        by_indicator: dict[str, list[RecordedDecision]] = {}
        for d in current:
            if d.reviewer_id == row.reviewer_id:
                recorded = RecordedDecision.model_validate(d, from_attributes=True)
                by_indicator.setdefault(indicator_of[d.assessment_id], []).append(recorded)
        finals.append(apply_decisions(draft, by_indicator))
    return tuple(finals)


def expert_final_reviews(session: Session, *, review_id: int) -> tuple[Review, ...]:
    """The review as each expert who submitted it left it (their decisions over the AI draft), oldest first."""
    submitted = expert_reviews.list_expert_reviews(session, review_id=review_id)
    if not submitted:
        return ()
    draft = reviews.load_review(session, review_id=review_id)
    indicator_of = {a.id: a.indicator_id for a in reviews.list_assessment_summaries(session, review_id=review_id)}
    current = decisions.current_decisions(session, review_id=review_id, reviewer_ids=[r.reviewer_id for r in submitted])
    return finals_of(draft, submitted, current, indicator_of)


def ranking_entries(session: Session, *, campaign: Campaign) -> list[RankingEntry]:
    """A campaign's submissions to rank: each with the newest review of its newest reviewed report version (the
    campaign's rubric) and the review as each expert who submitted it left it; unreviewed submissions left out.

    A constant number of queries whatever the campaign's size (a national campaign has hundreds of submissions).
    """
    latest = reviews.latest_campaign_reviews(session, campaign_id=campaign.id, rubric_id=campaign.rubric_id)
    ids = [r.id for r in latest.values()]
    assessments: dict[int, list[AssessmentRecord]] = {}
    for a in reviews.list_review_assessments(session, review_ids=ids):
        assessments.setdefault(a.review_id, []).append(a)
    review_of = {a.id: a.review_id for rows in assessments.values() for a in rows}
    indicator_of = {a.id: a.indicator_id for rows in assessments.values() for a in rows}
    submitted: dict[int, list[ExpertReview]] = {}
    for row in expert_reviews.list_expert_reviews(session, review_ids=ids):
        submitted.setdefault(row.review_id, []).append(row)
    current: dict[int, list[ExpertDecision]] = {}
    for d in decisions.current_decisions_of_reviews(session, review_ids=[i for i in ids if i in submitted]):
        current.setdefault(review_of[d.assessment_id], []).append(d)
    entries = []
    for submission in submissions.list_submissions(session, campaign_id=campaign.id, with_institution=True):
        record = latest.get(submission.id)
        if record is None:
            continue
        draft = reviews.as_review(record, assessments.get(record.id, []))
        entries.append(
            RankingEntry(
                submission_id=submission.id,
                institution_name=submission.institution.name,
                institution_type=submission.institution.type,
                review=draft,
                title=submission.title,
                expert_reviews=finals_of(draft, submitted.get(record.id, []), current.get(record.id, []), indicator_of),
                review_id=record.id,
            )
        )
    return entries


def submission_consistency(
    session: Session, *, submission_id: int, settings: Settings, rubric_id: str | None = None
) -> Consistency:
    """Figures of the newest report, every supporting file and the state data of a submission, compared.

    The rubric whose metrics are expected is ``rubric_id``, else the campaign's, else the newest review's.
    """
    ready = [v for v in versions.list_versions(session, submission_id=submission_id) if v.status is VersionStatus.READY]
    reports = [v for v in ready if v.role is DocumentRole.MAIN]
    compared = reports[-1:] + [v for v in ready if v.role is not DocumentRole.MAIN]
    if rubric_id is None:
        submission = submissions.get_submission(session, submission_id=submission_id)
        if submission.campaign is not None:
            rubric_id = submission.campaign.rubric_id
        elif reports and (latest := reviews.latest_review(session, version_id=reports[-1].id)) is not None:
            rubric_id = latest.rubric_id
    registry = rubric_registry(settings)
    rubric = registry.get(rubric_id) if rubric_id else None
    sources = [(Source(v.id, v.original_name, v.role), facts.list_facts(session, version_id=v.id)) for v in compared]
    return compare_sources(sources, rubric, registry.list())


def site_visit_questions(session: Session, *, review: ReviewRecord, settings: Settings) -> list[ChecklistItem]:
    """The 入校考察问题清单 of a review: its 问号 points, then every figure conflict of its submission now."""
    version = versions.get_version(session, version_id=review.version_id)
    consistency = submission_consistency(
        session, submission_id=version.submission_id, settings=settings, rubric_id=review.rubric_id
    )
    conflicts = [
        ChecklistItem(
            indicator_id=c.indicator_id or CONSISTENCY_POINT_ZH,
            point_id=c.point_id or CONSISTENCY_POINT_ZH,
            text_zh=c.question_zh,
        )
        for c in consistency.conflicts
    ]
    return [*review.site_visit_questions, *conflicts]
