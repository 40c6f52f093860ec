"""What a user's pages show: each version's processing state and latest review, an expert's assignments and
workspace (points in order with the expert's decisions), and the audit trail as people read it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from backend.auth.access import can_read_submission, visible_submissions
from backend.auth.tokens import Principal
from backend.campaigns import review_closed
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import (
    AssessmentRecord,
    AttachedEvidence,
    AuditEvent,
    DocumentRole,
    DocumentVersion,
    ExpertDecision,
    ExpertOpinions,
    ExpertReview,
    IndicatorOpinion,
    Job,
    JobKind,
    JobStatus,
    Opinion,
    ReviewRecord,
    Role,
    Submission,
    VersionStatus,
)
from backend.db.queries import assignments, audit, decisions, expert_reviews, jobs, reviews, users, versions
from backend.domain.assessment import Advice, MissingEvidence, PointAssessment, PointSummary
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode
from backend.jobs.progress import JOB_STATUS_ZH, stage_zh
from backend.review.expert import (
    AttachedChange,
    DecisionChange,
    DecisionState,
    point_object_id,
    prefill_opinions,
    submitted_reviewer_ids,
)
from backend.rubrics.models import Level, Rubric
from backend.rubrics.registry import rubric_registry
from indexing.models import MediaType

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
    """A submission with its report versions (newest first) and supporting files (支撑材料 and 状态数据)."""

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
        tuple(s for s in states if s.version.role is not DocumentRole.MAIN),
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
    return {i: (top.id, top.name) for i, top in rubric.first_levels().items()}


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


class ExpertStatus(StrEnum):
    """Where an expert is with an assignment."""

    NOT_STARTED = "未开始"
    IN_PROGRESS = "进行中"
    SUBMITTED = "已提交"


class PointOrder(StrEnum):
    """How the expert walks the review points."""

    DOCUMENT = "document"
    MARKS = "marks"
    CONFIDENCE = "confidence"

    @property
    def zh(self) -> str:
        """The order as the expert reads it."""
        return POINT_ORDER_ZH[self]


POINT_ORDER_ZH = {
    PointOrder.DOCUMENT: "按文档顺序",
    PointOrder.MARKS: "破折号、问号优先",
    PointOrder.CONFIDENCE: "置信度低者优先",
}


def review_for_experts(session: Session, submission: Submission, expert_id: int) -> ReviewRecord | None:
    """The AI review an expert works on: the one they submitted, else the newest of the newest reviewed report
    version (with the campaign's rubric in a campaign)."""
    submitted = {r.review_id for r in expert_reviews.list_expert_reviews(session, reviewer_id=expert_id)}
    rubric_id = submission.campaign.rubric_id if submission.campaign else None
    found = None
    for version in reversed(versions.list_versions(session, submission_id=submission.id, role=DocumentRole.MAIN)):
        for review in reviews.list_reviews(session, version_id=version.id, rubric_id=rubric_id):
            if review.id in submitted:
                return review
            found = found or review
    return found


@dataclass(frozen=True)
class ExpertAssignment:
    """One row of an expert's task list."""

    submission: Submission
    review: ReviewRecord | None
    decided: int
    total: int
    status: ExpertStatus

    @property
    def deadline(self) -> dt.datetime | None:
        """The campaign's deadline, if any."""
        return self.submission.campaign.deadline if self.submission.campaign else None


def expert_assignment(session: Session, submission: Submission, expert_id: int) -> ExpertAssignment:
    """An assignment with its review, progress (points decided / total) and status."""
    review = review_for_experts(session, submission, expert_id)
    if review is None:
        return ExpertAssignment(submission, None, 0, 0, ExpertStatus.NOT_STARTED)
    total = sum(m.count for m in review.counts.marks)
    current = decisions.current_decisions(session, review_id=review.id, reviewer_ids=[expert_id])
    decided = sum(d.point_id is not None for d in current)
    if expert_reviews.find_expert_review(session, reviewer_id=expert_id, review_id=review.id) is not None:
        status = ExpertStatus.SUBMITTED
    else:
        status = ExpertStatus.IN_PROGRESS if current else ExpertStatus.NOT_STARTED
    return ExpertAssignment(submission, review, decided, total, status)


def my_assignments(session: Session, principal: Principal) -> list[ExpertAssignment]:
    """An expert's assignments, soonest deadline first (none last)."""
    rows = [expert_assignment(session, s, principal.user_id) for s in visible_submissions(session, principal)]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda r: (r.deadline or far, r.submission.id))


@dataclass(frozen=True)
class ExpertPoint:
    """A review point as the expert works on it: the AI's summary and the expert's current decision."""

    assessment: AssessmentRecord
    index: int
    point: PointSummary
    decision: ExpertDecision | None
    attached: int

    @property
    def key(self) -> str:
        """An id for the page (point ids hold dots, which CSS selectors would read as classes)."""
        return f"{self.assessment.id}-{self.index}"

    @property
    def final_mark(self) -> Mark:
        """The mark as it stands: the expert's where decided, else the AI's."""
        if self.decision is not None and self.decision.final_mark is not None:
            return self.decision.final_mark
        return self.point.mark


@dataclass(frozen=True)
class ExpertWorkspace:
    """An expert's review: the points in the chosen order, progress, and whether it is submitted."""

    review: ReviewRecord
    version: DocumentVersion
    submission: Submission
    points: tuple[ExpertPoint, ...]
    level_decisions: dict[int, ExpertDecision]
    submitted: ExpertReview | None
    order: PointOrder
    # The campaign's expert review deadline has passed: the review is read-only until the secretariat extends it.
    closed: bool = False

    @property
    def due_at(self) -> dt.datetime | None:
        """The campaign's expert review deadline, if any."""
        return self.submission.campaign.review_due_at if self.submission.campaign else None

    @property
    def read_only(self) -> bool:
        """The expert can no longer change the review: submitted, or past the deadline."""
        return self.submitted is not None or self.closed

    @property
    def decided(self) -> int:
        """Points the expert has decided."""
        return sum(p.decision is not None for p in self.points)


def _ordered(points: list[ExpertPoint], order: PointOrder) -> tuple[ExpertPoint, ...]:
    if order is PointOrder.MARKS:
        return tuple(sorted(points, key=lambda p: p.point.mark is Mark.CLEAR))
    if order is PointOrder.CONFIDENCE:
        return tuple(sorted(points, key=lambda p: p.assessment.confidence))
    return tuple(points)


def expert_workspace(
    session: Session, review: ReviewRecord, expert_id: int, order: PointOrder = PointOrder.DOCUMENT
) -> ExpertWorkspace:
    """What the expert's workspace shows (sorts are stable: document order within equal keys)."""
    current = decisions.current_decisions(session, review_id=review.id, reviewer_ids=[expert_id])
    by_point = {(d.assessment_id, d.point_id): d for d in current}
    attached = expert_reviews.count_attached(session, review_id=review.id, reviewer_id=expert_id)
    points = [
        ExpertPoint(a, i, p, by_point.get((a.id, p.point_id)), attached.get((a.id, p.point_id), 0))
        for a in reviews.list_assessment_summaries(session, review_id=review.id)
        for i, p in enumerate(a.summary.points)
    ]
    version = versions.get_version(session, version_id=review.version_id)
    return ExpertWorkspace(
        review=review,
        version=version,
        submission=version.submission,
        points=_ordered(points, order),
        level_decisions={d.assessment_id: d for d in current if d.point_id is None},
        submitted=expert_reviews.find_expert_review(session, reviewer_id=expert_id, review_id=review.id),
        order=order,
        closed=review_closed(version.submission.campaign, now=utcnow()),
    )


def find_point(assessment: AssessmentRecord, point_id: str) -> PointAssessment:
    """A point of an assessment, or NOT_FOUND."""
    point = next((p for p in assessment.assessment.points if p.point_id == point_id), None)
    if point is None:
        raise AppError(ErrorCode.NOT_FOUND, "审核重点不存在。", f"no point {point_id} in assessment {assessment.id}")
    return point


@dataclass(frozen=True)
class TrailEntry:
    """One audit event as people read it: who, when, what, before → after."""

    event: AuditEvent
    actor: str
    action_zh: str
    before_zh: str
    after_zh: str


ACTION_ZH = {
    "decision.accept": "采纳 AI 建议",
    "decision.edit": "修改",
    "decision.reject": "驳回 AI 建议",
    "evidence.attach": "附加证据",
    "expert_review.submit": "提交评审",
}


def _state_zh(state: DecisionState) -> str:
    parts = [state.mark.zh if state.mark else "", f"等级 {state.level}" if state.level else ""]
    if state.action is None:
        parts.insert(0, "AI 建议")
    if state.comment:
        parts.append(f"意见：{state.comment}")
    if state.advice_zh:
        parts.append(f"建议：{state.advice_zh}")
    return "，".join(p for p in parts if p)


def _entry(event: AuditEvent, names: dict[int, str]) -> TrailEntry:
    actor = names.get(event.actor_id or 0, "系统")
    if event.action.startswith("decision."):
        change = DecisionChange.model_validate_json(event.detail)
        before, after = _state_zh(change.before), _state_zh(change.after)
    elif event.action == "evidence.attach":
        attached = AttachedChange.model_validate_json(event.detail)
        page = f"第 {attached.page_start} 页" if attached.page_start else "页码未知"
        before, after = "", f"“{attached.quote}”（{page}）"
    else:
        before, after = "", ""
    return TrailEntry(event, actor, ACTION_ZH.get(event.action, event.action), before, after)


def audit_trail(
    session: Session, *, review_id: int, actor_id: int | None, point: tuple[int, str] | None = None
) -> list[TrailEntry]:
    """A review's (or one point's) decisions, attached quotes and submissions, newest first; one expert's or all."""
    if point is not None:
        events = audit.list_events(
            session, object_type="review_point", object_id=point_object_id(*point), actor_id=actor_id
        )
    else:
        objects = [("review", str(review_id))]
        for a in reviews.list_assessment_summaries(session, review_id=review_id):
            objects.append(("indicator_assessment", str(a.id)))
            objects.extend(("review_point", point_object_id(a.id, p.point_id)) for p in a.summary.points)
        events = audit.list_events_of(session, objects=objects, actor_id=actor_id)
    names = {u.id: u.display_name or u.username for u in users.list_users(session)}
    return [_entry(e, names) for e in events]


@dataclass(frozen=True)
class ExpertPointView:
    """One point in the expert's workspace: the AI draft in full, the expert's decision, quotes and trail."""

    record: AssessmentRecord
    index: int
    point: PointAssessment
    decision: ExpertDecision | None
    attached: Sequence[AttachedEvidence]
    trail: list[TrailEntry]
    read_only: bool

    @property
    def key(self) -> str:
        """The point's id on the page (as :attr:`ExpertPoint.key`)."""
        return f"{self.record.id}-{self.index}"

    @property
    def missing(self) -> list[MissingEvidence]:
        """What the rubric expects and the report lacks, for this point."""
        return [m for m in self.record.assessment.missing if m.point_id == self.point.point_id]

    @property
    def advice(self) -> list[Advice]:
        """The AI's improvement advice for this point."""
        return [a for a in self.record.assessment.advice if a.point_id == self.point.point_id]


def expert_point(session: Session, record: AssessmentRecord, point_id: str, expert_id: int) -> ExpertPointView:
    """A point as one expert sees it in the workspace."""
    point = find_point(record, point_id)
    index = next(i for i, p in enumerate(record.assessment.points) if p.point_id == point_id)
    current = decisions.current_assessment_decisions(session, assessment_id=record.id, reviewer_ids=[expert_id])
    return ExpertPointView(
        record=record,
        index=index,
        point=point,
        decision=next((d for d in current if d.point_id == point_id), None),
        attached=expert_reviews.list_attached(
            session, assessment_id=record.id, point_id=point_id, reviewer_id=expert_id
        ),
        trail=audit_trail(session, review_id=record.review_id, actor_id=expert_id, point=(record.id, point_id)),
        read_only=expert_reviews.find_expert_review(session, reviewer_id=expert_id, review_id=record.review_id)
        is not None
        or review_closed(record.review.version.submission.campaign, now=utcnow()),
    )


def load_attached(session: Session, principal: Principal, attached_id: int) -> tuple[AttachedEvidence, DocumentVersion]:
    """A quote an expert attached, with its version: the expert's own or, for the secretariat, anyone's; else 404."""
    row = expert_reviews.get_attached(session, attached_id=attached_id)
    version = versions.get_version(
        session, version_id=reviews.get_assessment(session, assessment_id=row.assessment_id).review.version_id
    )
    own = principal.role is not Role.EXPERT or row.reviewer_id == principal.user_id
    if not own or not can_read_submission(session, principal, version.submission):
        raise AppError(ErrorCode.NOT_FOUND, "证据不存在。", f"attached evidence {attached_id} not visible")
    return row, version


@dataclass(frozen=True)
class DocumentView:
    """The workspace's left pane: one page of the document, perhaps with a quote highlighted on it."""

    review: ReviewRecord
    version: DocumentVersion
    page: int
    image_url: str | None
    quote: str | None
    note_zh: str | None

    @property
    def pages(self) -> int:
        """How many pages the document has (1 when unknown)."""
        return self.version.pages or 1


def review_document(
    session: Session,
    review: ReviewRecord,
    *,
    principal: Principal,
    page: int = 1,
    assessment_id: int | None = None,
    point_id: str = "",
    evidence: int | None = None,
    attached: int | None = None,
) -> DocumentView:
    """A page of the review's document: plain, or the page of an AI quote or of an attached quote, highlighted."""
    version = versions.get_version(session, version_id=review.version_id)
    quote, url = None, None
    if attached is not None:
        row, _ = load_attached(session, principal, attached)
        if reviews.get_assessment(session, assessment_id=row.assessment_id).review_id != review.id:
            raise AppError(ErrorCode.NOT_FOUND, "证据不存在。", f"attached {attached} not of review {review.id}")
        quote, page = row.quote, row.page_start or page
        url = f"/expert/attached/{row.id}/page-{page}.png"
    elif assessment_id is not None and evidence is not None:
        record = reviews.get_assessment(session, assessment_id=assessment_id)
        point = find_point(record, point_id)
        if record.review_id != review.id or not 0 <= evidence < len(point.evidence):
            raise AppError(ErrorCode.NOT_FOUND, "证据不存在。", f"evidence {evidence} of {assessment_id}/{point_id}")
        quoted = point.evidence[evidence]
        quote, page = quoted.display_zh or quoted.quote, quoted.page_start or page
        url = f"/assessments/{record.id}/points/{point_id}/evidence/{evidence}/page-{page}.png"
    page = max(1, min(page, version.pages or 1))
    if version.media_type != MediaType.PDF:
        return DocumentView(review, version, page, None, quote, "该文件不是 PDF，无法显示页面图像；引文见右侧。")
    return DocumentView(review, version, page, url or f"/versions/{version.id}/pages/{page}.png", quote, None)


@dataclass(frozen=True)
class OpinionForm:
    """The submit page: opinions (prefilled from the decisions, or as posted), each indicator's level, the scale."""

    workspace: ExpertWorkspace
    assessments: Sequence[AssessmentRecord]
    opinions: ExpertOpinions
    levels: dict[int, str]
    scale: tuple[Level, ...]

    @property
    def undecided(self) -> int:
        """Points still to decide before submitting."""
        return len(self.workspace.points) - self.workspace.decided

    def indicator(self, indicator_id: str) -> IndicatorOpinion:
        """The opinion on one indicator."""
        return next(o for o in self.opinions.indicators if o.indicator_id == indicator_id)


def _posted_text(posted: Mapping[str, object], name: str) -> str:
    value = posted.get(name, "")
    return value.strip()[:OPINION_MAX_CHARS] if isinstance(value, str) else ""


OPINION_MAX_CHARS = 4000


def opinion_form(
    session: Session,
    settings: Settings,
    review: ReviewRecord,
    expert_id: int,
    *,
    posted: Mapping[str, object] | None = None,
) -> OpinionForm:
    """The opinions to submit: the submitted ones, the posted form, or drafted from the expert's decisions."""
    ws = expert_workspace(session, review, expert_id)
    assessments = reviews.list_assessments(session, review_id=review.id)
    rubric = rubric_registry(settings).find(review.rubric_id, review.rubric_version)
    levels = {
        a.id: (ws.level_decisions[a.id].final_level if a.id in ws.level_decisions else None) or a.level
        for a in assessments
    }
    if ws.submitted is not None:
        opinions = ws.submitted.opinions
    elif posted is not None:
        known = {lv.id for lv in rubric.scale} if rubric else set()
        levels |= {a.id: v for a in assessments if (v := _posted_text(posted, f"level-{a.id}")) in known}
        opinions = ExpertOpinions(
            overall=Opinion(**{f: _posted_text(posted, f"overall-{f}") for f in OPINION_FIELDS}),
            indicators=tuple(
                IndicatorOpinion(
                    indicator_id=a.indicator_id, **{f: _posted_text(posted, f"ind-{a.id}-{f}") for f in OPINION_FIELDS}
                )
                for a in assessments
            ),
        )
    else:
        current = decisions.current_decisions(session, review_id=review.id, reviewer_ids=[expert_id])
        opinions = prefill_opinions(assessments, current)
    return OpinionForm(ws, assessments, opinions, levels, tuple(rubric.scale) if rubric else ())


OPINION_FIELDS = ("strengths", "problems", "advice")


@dataclass(frozen=True)
class ExpertResult:
    """One expert's result on a review as a reader may see it."""

    label: str
    workspace: ExpertWorkspace

    def opinion(self, indicator_id: str) -> IndicatorOpinion | None:
        """The submitted opinion on an indicator."""
        submitted = self.workspace.submitted
        return (
            next((o for o in submitted.opinions.indicators if o.indicator_id == indicator_id), None)
            if submitted
            else None
        )


def expert_results(session: Session, review: ReviewRecord, principal: Principal) -> list[ExpertResult]:
    """Experts' results: a university's the submitted ones (if shown; experts unnamed), an expert's own, the
    secretariat's every assigned expert's, submitted or not."""
    version = versions.get_version(session, version_id=review.version_id)
    if principal.role is Role.UNIVERSITY:
        shown = sorted(submitted_reviewer_ids(session, review=review))
        return [
            ExpertResult(f"专家 {n}", expert_workspace(session, review, rid)) for n, rid in enumerate(shown, start=1)
        ]
    if principal.role is Role.EXPERT:
        return [ExpertResult("我的评审", expert_workspace(session, review, principal.user_id))]
    experts = [a.expert_id for a in assignments.list_assignments(session, submission_id=version.submission_id)]
    names = {u.id: u.display_name or u.username for u in users.list_users(session, role=Role.EXPERT)}
    return [ExpertResult(names.get(rid, str(rid)), expert_workspace(session, review, rid)) for rid in experts]
