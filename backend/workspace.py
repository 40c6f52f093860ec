"""What a user's pages show about submissions: each version's processing state and latest review."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.auth.access import visible_submissions
from backend.auth.tokens import Principal
from backend.db.models import (
    AssessmentRecord,
    DocumentRole,
    DocumentVersion,
    Job,
    JobKind,
    JobStatus,
    ReviewRecord,
    Submission,
    VersionStatus,
)
from backend.db.queries import jobs, reviews, versions
from backend.domain.enums import Mark
from backend.jobs.progress import JOB_STATUS_ZH, stage_zh
from backend.rubrics.models import Indicator, Rubric

# Share of the upload → review bar that ingest spans; the review of a ready version takes the rest.
INGEST_SHARE = 70


@dataclass(frozen=True)
class VersionState:
    """A version with the job to show (the unfinished one, else the latest) and its latest review."""

    version: DocumentVersion
    job: Job | None
    review: ReviewRecord | None
    expects_review: bool

    @property
    def working(self) -> bool:
        """Processing is under way (ingest, or the review that follows it)."""
        return self.job is not None and self.job.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def failed(self) -> bool:
        """Processing failed (the reason is in ``error_zh``)."""
        return self.version.status is VersionStatus.FAILED or (
            self.job is not None and self.job.status is JobStatus.FAILED and self.review is None
        )

    @property
    def error_zh(self) -> str | None:
        """Why processing failed, in Chinese."""
        if not self.failed:
            return None
        return self.version.error_zh or (self.job.error_zh if self.job else None) or "原因未记录。"

    @property
    def percent(self) -> int:
        """Overall progress from upload to review ready, 0–100."""
        if self.review is not None or (self.version.status is VersionStatus.READY and not self.expects_review):
            return 100
        if self.job is None:
            return 0
        if self.job.kind is JobKind.INGEST:
            share = INGEST_SHARE if self.expects_review else 100
            return self.job.progress * share // 100
        return INGEST_SHARE + self.job.progress * (100 - INGEST_SHARE) // 100

    @property
    def stage_zh(self) -> str:
        """What is happening now, as users read it."""
        if self.failed:
            return "处理失败"
        if self.job is None or not self.working:
            return "已完成" if self.percent == 100 else self.version.status.zh
        step = "AI 评审" if self.job.kind is JobKind.REVIEW else "解析与索引"
        return f"{step}：{stage_zh(self.job.stage) or JOB_STATUS_ZH[self.job.status]}"


@dataclass(frozen=True)
class SubmissionState:
    """A submission with its report versions (newest first) and supporting files."""

    submission: Submission
    reports: tuple[VersionState, ...]
    supporting: tuple[VersionState, ...]

    @property
    def latest(self) -> VersionState | None:
        """The newest report version."""
        return self.reports[0] if self.reports else None

    @property
    def latest_review(self) -> ReviewRecord | None:
        """The newest review of any report version."""
        return next((s.review for s in self.reports if s.review is not None), None)


def version_state(session: Session, version: DocumentVersion) -> VersionState:
    """A version's processing state and latest review."""
    shown = jobs.list_jobs(session, version_id=version.id)
    unfinished = [j for j in shown if j.status in (JobStatus.QUEUED, JobStatus.RUNNING)]
    job = unfinished[-1] if unfinished else (shown[0] if shown else None)
    ingest = next((j for j in shown if j.kind is JobKind.INGEST), None)
    expects_review = version.role is DocumentRole.MAIN and (
        any(j.kind is JobKind.REVIEW for j in shown) or (ingest is not None and ingest.rubric_id is not None)
    )
    return VersionState(version, job, reviews.latest_review(session, version_id=version.id), expects_review)


def submission_state(session: Session, submission: Submission) -> SubmissionState:
    """A submission's versions with their states."""
    states = [version_state(session, v) for v in reversed(versions.list_versions(session, submission_id=submission.id))]
    return SubmissionState(
        submission,
        tuple(s for s in states if s.version.role is DocumentRole.MAIN),
        tuple(s for s in states if s.version.role is DocumentRole.SUPPORTING),
    )


def my_submissions(session: Session, principal: Principal) -> Sequence[SubmissionState]:
    """The submissions the user may see, newest first, with their states."""
    return [submission_state(session, s) for s in reversed(visible_submissions(session, principal))]


@dataclass(frozen=True)
class IndicatorGroup:
    """A first-level indicator (一级指标) with the assessed indicators under it, in rubric order."""

    indicator_id: str
    name: str
    assessments: tuple[AssessmentRecord, ...]


def _top_level_names(rubric: Rubric | None, assessments: Sequence[AssessmentRecord]) -> dict[str, tuple[str, str]]:
    """Assessed indicator id -> (top-level id, top-level name)."""
    if rubric is None:
        # A review whose rubric version is no longer installed: group by the id's first segment.
        return {a.indicator_id: (a.indicator_id.split(".")[0],) * 2 for a in assessments}
    owner: dict[str, tuple[str, str]] = {}

    def walk(indicator: Indicator, top: Indicator) -> None:
        owner[indicator.id] = (top.id, top.name)
        for child in indicator.children:
            walk(child, top)

    for top in rubric.indicators:
        walk(top, top)
    return owner


def review_groups(
    rubric: Rubric | None, assessments: Sequence[AssessmentRecord], *, mark: Mark | None = None
) -> tuple[IndicatorGroup, ...]:
    """The review as a tree (一级 → 二级 → 审核重点); with ``mark``, only indicators having points so marked."""
    owner = _top_level_names(rubric, assessments)
    groups: dict[str, tuple[str, list[AssessmentRecord]]] = {}
    for a in assessments:
        if mark is not None and not any(p.mark is mark for p in a.summary.points):
            continue
        top_id, name = owner.get(a.indicator_id, (a.indicator_id, a.summary.indicator_name))
        groups.setdefault(top_id, (name, []))[1].append(a)
    return tuple(IndicatorGroup(top_id, name, tuple(items)) for top_id, (name, items) in groups.items())
