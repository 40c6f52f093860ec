"""Request and response bodies of the JSON API (pydantic); responses are built from ORM rows by attribute."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field

from backend.auth.accounts import MIN_PASSWORD_LENGTH, USERNAME_PATTERN
from backend.db.models import (
    AssessmentRecord,
    CampaignQuotas,
    DecisionAction,
    DocumentRole,
    DuplicateVerdict,
    ExpertDecision,
    JobKind,
    JobStatus,
    ParseStats,
    Role,
    VersionStatus,
)
from backend.domain.assessment import ChecklistItem, DrafterKind, IndicatorAssessment, IndicatorSummary, ReviewCounts
from backend.domain.diagnosis import COMMENT_MAX, Answer, RespondentRole
from backend.domain.enums import InstitutionType, Mark, SubmissionKind
from backend.domain.report_draft import ReportDraft, SectionEdit
from backend.jobs.progress import JOB_STATUS_ZH, stage_zh
from backend.review.consistency import Check
from backend.review.consistency import Verdict as ConsistencyVerdict
from backend.review.decisions import DecisionInput
from backend.review.operations import ReviewOverview
from backend.rubrics.models import Applicability, Level, Metric, PointKind, Rubric, Selection, Source, TextOrigin
from backend.selection.shortlist import CampaignShortlist, RankRow, ScoreSource, ShortlistUnit
from indexing.models import FactOrigin
from indexing.near_duplicates import Signal

# Ids are INTEGER columns (32-bit on PostgreSQL): a larger number names no object, and the database would
# refuse it with an error (a 500) instead of the lookup answering "not found".
MAX_ID = 2**31 - 1
# In a path or query string an id is text to parse; in a JSON body it must be a number (not true, not "5").
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    """Every error: a stable code, a Chinese message for people, a detail for developers."""

    code: str
    message: str
    detail: str | list[dict[str, object]] | None = None


class LoginIn(_In):
    """Username and password."""

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(_Out):
    """A user (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    institution_id: int | None
    is_active: bool = True


class LoginOut(BaseModel):
    """A started browser session; ``csrf_token`` must be sent as ``X-CSRF-Token`` on writes."""

    user: UserOut
    csrf_token: str
    expires_at: dt.datetime


class TokenIn(_In):
    """A bearer token to create for the signed-in user."""

    label: str = Field(default="", max_length=255)
    ttl_days: int | None = Field(default=None, ge=1, le=365, strict=True)


class TokenOut(BaseModel):
    """A bearer token, shown once: send it as ``Authorization: Bearer <token>``."""

    token: str
    label: str
    expires_at: dt.datetime


class InstitutionIn(_In):
    """A new institution."""

    name: str = Field(min_length=1, max_length=255)
    type: InstitutionType
    region: str = Field(default="", max_length=100)


class InstitutionOut(_Out):
    """An institution."""

    id: int
    name: str
    type: InstitutionType
    region: str


class UserIn(_In):
    """A new user; university users need an institution, experts may name their employer."""

    username: str = Field(min_length=1, max_length=100, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    role: Role
    display_name: str = Field(default="", max_length=255)
    institution_id: BodyId | None = None


class CampaignIn(_In):
    """A new selection campaign."""

    name: str = Field(min_length=1, max_length=255)
    rubric_id: str = Field(min_length=1, max_length=100)
    kind: SubmissionKind
    deadline: dt.datetime | None = Field(
        default=None, description="after it universities can no longer submit or upload; no time zone: Beijing time"
    )
    quotas: CampaignQuotas = CampaignQuotas()
    expert_results_visible: bool = Field(
        default=True, description="universities see an expert's final result once the expert has submitted it"
    )


class CampaignOut(_Out):
    """A selection campaign."""

    id: int
    name: str
    rubric_id: str
    kind: SubmissionKind
    deadline: dt.datetime | None
    quotas: CampaignQuotas
    expert_results_visible: bool
    review_due_at: dt.datetime | None = Field(
        description="after it experts can no longer change decisions or submit (409) until the secretariat extends it"
    )
    created_at: dt.datetime


class ReviewDueIn(_In):
    """A new expert review deadline for a campaign."""

    review_due_at: dt.datetime = Field(description="later than now; no time zone: Beijing time")


class RubricSummaryOut(_Out):
    """A rubric the service knows (its latest version): what it applies to and how large it is."""

    id: str
    name: str
    version: str
    versions: list[str] = Field(description="every known version, oldest first")
    description: str | None
    source: Source
    applicability: Applicability
    indicators: int = Field(description="indicators that are assessed (one assessment each)")
    review_points: int

    @classmethod
    def of(cls, rubric: Rubric, versions: Sequence[str]) -> RubricSummaryOut:
        """The summary of a rubric with its known versions."""
        return cls(
            id=rubric.id,
            name=rubric.name,
            version=rubric.version,
            versions=list(versions),
            description=rubric.description,
            source=rubric.source,
            applicability=rubric.applicability,
            indicators=sum(1 for _, ind in rubric.iter_indicators() if ind.review_points),
            review_points=rubric.counts().review_points,
        )


class ReviewPointOut(_Out):
    """A review point as universities and experts read it (the matcher's queries and key terms left out)."""

    id: str
    title: str | None
    text: str
    text_origin: TextOrigin
    kind: PointKind
    evidence: list[str]
    metric: Metric | None
    selection: Selection | None
    level_descriptors: dict[str, str]


class IndicatorOut(_Out):
    """An indicator with its sub-indicators and review points."""

    id: str
    name: str
    description: str | None
    text_origin: TextOrigin
    selection: Selection | None
    weight: float
    children: list[IndicatorOut]
    review_points: list[ReviewPointOut]


class RubricOut(_Out):
    """A rubric version with its rating scale and indicator tree."""

    id: str
    name: str
    version: str
    description: str | None
    source: Source
    applicability: Applicability
    scale: list[Level]
    indicators: list[IndicatorOut]


class SubmissionIn(_In):
    """A new submission of the user's institution, standalone or to a campaign."""

    title: str = Field(min_length=1, max_length=255)
    campaign_id: BodyId | None = None
    # Cases (优秀案例) only: the category and theme tags the case is filed under.
    case_category: str = Field(default="", max_length=100)
    theme_tags: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(default=[], max_length=8)


class SubmissionOut(_Out):
    """A submission."""

    id: int
    institution_id: int
    campaign_id: int | None
    title: str
    case_category: str | None = None
    theme_tags: tuple[str, ...] = ()
    created_at: dt.datetime


class FactOut(BaseModel):
    """A reported figure: metric label as written, value and unit, and the row or sentence stating it."""

    metric: str
    value: float
    unit: str
    text: str
    page: int | None
    origin: FactOrigin
    evidence: str
    table_title: str | None
    row: int | None
    column: int | None
    period: str | None
    qualifier: str | None
    sheet: str | None = Field(default=None, description="the worksheet, for state data (状态数据)")


class VersionOut(_Out):
    """An uploaded file version and its ingest state; ``original_name`` is the sanitised display name."""

    id: int
    submission_id: int
    sha256: str
    original_name: str
    media_type: str | None
    size_bytes: int
    role: DocumentRole = Field(
        description="``main`` (the report reviewed), ``supporting`` (支撑材料) or ``state_data`` (状态数据, XLSX/CSV)"
    )
    pages: int | None
    status: VersionStatus
    error_zh: str | None = Field(description="why ingest failed (status ``failed``), in Chinese")
    parse_stats: ParseStats | None
    created_at: dt.datetime

    @computed_field
    @property
    def status_zh(self) -> str:
        """The status in Chinese (处理失败 for a failed version)."""
        return self.status.zh


class JobOut(_Out):
    """A background job with its stage and progress (0–100)."""

    id: int
    kind: JobKind
    status: JobStatus
    stage: str | None
    progress: int
    error_code: str | None
    error_zh: str | None
    version_id: int | None
    campaign_id: int | None
    rubric_id: str | None
    drafter: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @computed_field
    @property
    def stage_zh(self) -> str | None:
        """The current stage as users see it (解析 / 向量化 / 匹配证据 …)."""
        return stage_zh(self.stage)

    @computed_field
    @property
    def status_zh(self) -> str:
        """The status as users see it (排队中 / 处理中 / 已完成 / 处理失败)."""
        return JOB_STATUS_ZH[self.status]


class UploadOut(BaseModel):
    """The version an upload landed in and its ingest job; ``created`` is False when no new job was queued."""

    version: VersionOut
    job: JobOut
    created: bool


class ReviewIn(_In):
    """Start a review of a version with a rubric and, optionally, a drafter other than the default."""

    rubric_id: str = Field(min_length=1, max_length=100)
    drafter: DrafterKind | None = None


class ReviewSummaryOut(_Out):
    """A stored review without its assessments: who made it with which rubric, and its counts."""

    id: int
    job_id: int
    version_id: int
    rubric_id: str
    rubric_version: str
    seconds: float
    counts: ReviewCounts
    created_at: dt.datetime


class DecisionOut(_Out):
    """An expert decision (rows are append-only; each expert's latest per point is that expert's current one)."""

    id: int
    assessment_id: int
    point_id: str | None
    action: DecisionAction
    final_mark: Mark | None
    final_level: str | None
    comment: str
    advice_zh: str | None = Field(description="the expert's wording of the point's improvement advice")
    reviewer_id: int
    decided_at: dt.datetime


def _by_assessment(current: Sequence[ExpertDecision]) -> dict[int, list[DecisionOut]]:
    by_assessment: dict[int, list[DecisionOut]] = {}
    for d in current:
        by_assessment.setdefault(d.assessment_id, []).append(DecisionOut.model_validate(d))
    return by_assessment


class AssessmentSummaryOut(IndicatorSummary):
    """One indicator of a review's overview: its drafted level and point marks, and the current expert decisions."""

    id: int = Field(description="the assessment: GET /api/assessments/{id} for its evidence, gaps and advice")
    decisions: tuple[DecisionOut, ...] = ()


class AssessmentOut(_Out):
    """One indicator's full drafted assessment (every point's evidence) with the current expert decisions on it."""

    id: int
    review_id: int
    indicator_id: str
    level: str
    confidence: float
    assessment: IndicatorAssessment
    decisions: list[DecisionOut] = []

    @classmethod
    def build(cls, record: AssessmentRecord, current: Sequence[ExpertDecision]) -> AssessmentOut:
        """The assessment row with its current decisions."""
        return cls(
            id=record.id,
            review_id=record.review_id,
            indicator_id=record.indicator_id,
            level=record.level,
            confidence=record.confidence,
            assessment=record.assessment,
            decisions=_by_assessment(current).get(record.id, []),
        )


class ReviewOut(ReviewSummaryOut):
    """A stored review's overview: counts, checklists, and per indicator its level and point marks.

    Evidence (quotes, pages, section paths, figures), gaps and advice come per indicator from
    ``GET /api/assessments/{id}``.
    """

    assessments: list[AssessmentSummaryOut]
    supplementary_materials: tuple[ChecklistItem, ...]
    site_visit_questions: tuple[ChecklistItem, ...]

    @classmethod
    def build(cls, overview: ReviewOverview) -> ReviewOut:
        """The review row with each assessment's summary and current decisions."""
        by_assessment = _by_assessment(overview.decisions)
        assessments = [
            AssessmentSummaryOut(**dict(a.summary), id=a.id, decisions=tuple(by_assessment.get(a.id, ())))
            for a in overview.assessments
        ]
        record = overview.review
        return cls(
            **dict(ReviewSummaryOut.model_validate(record)),
            assessments=assessments,
            supplementary_materials=record.supplementary_materials,
            site_visit_questions=record.site_visit_questions,
        )


class DecisionIn(DecisionInput):
    """An expert decision on the whole indicator (no ``point_id``) or on one review point."""


class AssignmentIn(_In):
    """Assign an expert to a submission."""

    expert_id: BodyId
    submission_id: BodyId


class AssignmentOut(_Out):
    """An expert assigned to a submission."""

    id: int
    expert_id: int
    submission_id: int
    assigned_by: int | None
    created_at: dt.datetime


class StatementOut(BaseModel):
    """One file's statement of a metric: the figure as written, its value in the compared unit, and where."""

    version_id: int
    file: str
    role: DocumentRole
    text: str
    value: float
    unit: str
    place_zh: str = Field(description="page (and table) or worksheet cell")
    quote: str = Field(description="the sentence or table row, verbatim")


class ConsistencyCheckOut(BaseModel):
    """A metric and period across the files: 一致 / 冲突 / 无法比对 / 缺失, with the statements compared."""

    metric: str
    period: str | None
    verdict: ConsistencyVerdict
    verdict_zh: str
    point_id: str | None
    note_zh: str
    statements: list[StatementOut]

    @classmethod
    def of(cls, check: Check) -> ConsistencyCheckOut:
        """The API form of a check."""
        return cls(
            metric=check.metric,
            period=check.period,
            verdict=check.verdict,
            verdict_zh=check.verdict.zh,
            point_id=check.point_id,
            note_zh=check.note_zh,
            statements=[
                StatementOut(
                    version_id=s.source.version_id,
                    file=s.source.name,
                    role=s.source.role,
                    text=s.fact.text,
                    value=s.value,
                    unit=s.unit,
                    place_zh=s.place_zh,
                    quote=s.quote_zh,
                )
                for s in check.statements
            ],
        )


class RankingRowOut(BaseModel):
    """A row's place in its category (an institution, or in a case campaign a case), as the ranking page shows it."""

    rank: int
    institution_id: int
    institution_name: str
    submission_id: int
    title: str = Field(description="the submission's title (a case campaign's row is this case)")
    review_id: int | None
    score: float
    source: ScoreSource = Field(description="expert: the submitted expert reviews' mean; ai: the AI draft")
    experts_counted: bool
    clear_points: int
    missing_points: int
    tags: list[str]
    tied: bool = Field(description="another row of the category has the same score")
    proposed: bool = Field(description="the quotas propose this row for the shortlist")
    seat_tag: str | None = Field(description="the tagged seat the row takes; null for a seat by rank or none")
    seat_cross_category: bool
    other_submissions: int = Field(
        description="older submissions of the institution not ranked (a report campaign: one row each; cases: 0)"
    )
    on_shortlist: bool = Field(description="on the shortlist the secretariat fixed")

    @classmethod
    def build(cls, row: RankRow, review_id: int | None, *, on_shortlist: bool) -> RankingRowOut:
        """The row with its review and whether the fixed shortlist holds it."""
        c = row.candidate
        return cls(
            rank=row.rank,
            institution_id=c.institution_id,
            institution_name=c.institution_name,
            submission_id=c.submission_id,
            title=c.title,
            review_id=review_id,
            score=c.score,
            source=c.source,
            experts_counted=c.source is ScoreSource.EXPERT,
            clear_points=c.clear_points,
            missing_points=c.missing_points,
            tags=list(c.tags),
            tied=row.tied,
            proposed=row.selected,
            seat_tag=row.seat_tag,
            seat_cross_category=row.seat is not None and row.seat.type is None,
            other_submissions=row.other_submissions,
            on_shortlist=on_shortlist,
        )


class RankingCategoryOut(BaseModel):
    """A category's quota, its cut-off and its rows in rank order."""

    category: InstitutionType
    quota: int | None = Field(description="null: the category shares what is left of the total")
    tagged_seats: dict[str, int]
    cutoff_rank: int | None
    tie_at_cutoff: bool
    rows: list[RankingRowOut]


class RankingOut(BaseModel):
    """A campaign's ranking with the quotas applied: the same rows, seats and cut-offs as the ranking page."""

    campaign_id: int
    unit: ShortlistUnit = Field(
        description="institution: one row per institution (its newest report); case: one row per case submission"
    )
    quotas: str = Field(description="the total and cross-category seats, as the page states them")
    proposed: int
    categories: list[RankingCategoryOut]

    @classmethod
    def build(cls, shortlist: CampaignShortlist) -> RankingOut:
        """The API's view of the shortlist the ranking page shows."""
        fixed = shortlist.fixed_keys
        return cls(
            campaign_id=shortlist.campaign.id,
            unit=shortlist.unit,
            quotas=shortlist.quotas_zh,
            proposed=shortlist.selected,
            categories=[
                RankingCategoryOut(
                    category=c.category,
                    quota=c.quota,
                    tagged_seats=dict(c.tagged),
                    cutoff_rank=c.cutoff_rank,
                    tie_at_cutoff=c.tie_at_cutoff,
                    rows=[
                        RankingRowOut.build(
                            r,
                            shortlist.review_of.get(r.candidate.submission_id),
                            on_shortlist=shortlist.key(r) in fixed,
                        )
                        for r in c.rows
                    ],
                )
                for c in shortlist.categories
            ],
        )


class CaseRefOut(_Out):
    """One case of a pair: its compared version, submission, title, institution and campaign."""

    version_id: int
    submission_id: int
    title: str
    institution: str
    campaign_id: int
    campaign_name: str


class DuplicatePairOut(_Out):
    """A pair of cases found alike (lower version id first), its scores, the signal and the verdict in force."""

    a: CaseRefOut
    b: CaseRefOut
    containment: float = Field(description="share of the smaller case's shingles found in the other (0–1)")
    alignment: float = Field(description="share of the smaller case's chunks aligned with the other's by meaning")
    signal: Signal = Field(description="text: copied or edited text; merged: made of two cases; meaning: paraphrase")
    verdict: DuplicateVerdict | None = Field(description="the secretariat's latest verdict; null: not marked")

    @computed_field
    @property
    def signal_zh(self) -> str:
        """The signal as the secretariat reads it (文字重合 / 拼接 / 语义相近)."""
        return self.signal.zh

    @computed_field
    @property
    def verdict_zh(self) -> str | None:
        """The verdict in force as the secretariat reads it; null: not marked."""
        return self.verdict.zh if self.verdict is not None else None


class SegmentOut(_Out):
    """A run of a case's text, shared with the other case of the pair or not."""

    text: str
    shared: bool


class DuplicateMarkOut(_Out):
    """A verdict the secretariat recorded on a pair (append-only: the newest is in force)."""

    id: int
    campaign_id: int
    version_a_id: int
    version_b_id: int
    verdict: DuplicateVerdict
    note: str
    marked_by: int = Field(description="the user who marked the pair")
    marked_at: dt.datetime

    @computed_field
    @property
    def verdict_zh(self) -> str:
        """The verdict as the secretariat reads it (重复 / 非重复)."""
        return self.verdict.zh


class PairViewOut(_Out):
    """Two cases side by side: each text cut into shared and own segments, the share shared, the verdicts."""

    a: CaseRefOut
    b: CaseRefOut
    a_segments: list[SegmentOut]
    b_segments: list[SegmentOut]
    a_shared: float = Field(description="share of case a's text found in case b (0–1)")
    b_shared: float = Field(description="share of case b's text found in case a (0–1)")
    marks: list[DuplicateMarkOut] = Field(description="every verdict on the pair, newest first")


class DuplicateVerdictIn(_In):
    """The secretariat's verdict on a pair: 重复 (duplicate) or 非重复 (not_duplicate), with an optional note."""

    verdict: DuplicateVerdict
    note: str = Field(default="", max_length=500)


class DraftIn(_In):
    """What to draft the report against: a report rubric (``GET /api/rubrics``) and the drafter."""

    rubric_id: str = Field(min_length=1, max_length=100)
    drafter: DrafterKind = DrafterKind.EXTRACTIVE


class DraftOut(_Out):
    """A report draft: its job (progress), the drafted report once ready, the university's section edits."""

    id: int
    submission_id: int
    rubric_id: str
    drafter: DrafterKind
    job: JobOut
    content: ReportDraft | None
    edits: tuple[SectionEdit, ...]
    final_version_id: int | None
    created_at: dt.datetime


class SectionEditIn(_In):
    """A section's new text; empty restores the drafted text."""

    text: str = Field(max_length=20000)


class DiagnosisIn(_In):
    """Start a quality-culture diagnosis round; an empty title becomes “<year>年质量文化建设诊断”."""

    title: str = Field(default="", max_length=100)


class DiagnosisOut(_Out):
    """A diagnosis round of the user's institution."""

    id: int
    title: str
    rubric_id: str
    rubric_version: str
    created_at: dt.datetime


class AnswerIn(_In):
    """A self-rating of one 审核重点: a scale level id (or null in a draft), a comment, cited uploaded files."""

    point_id: str = Field(min_length=1, max_length=100)
    level: str | None = Field(default=None, max_length=20)
    comment: str = Field(default="", max_length=COMMENT_MAX)
    version_ids: list[BodyId] = Field(default_factory=list, max_length=20)

    def answer(self) -> Answer:
        """As the diagnosis stores it."""
        return Answer(
            point_id=self.point_id, level=self.level, comment=self.comment, version_ids=tuple(self.version_ids)
        )


class ResponseIn(_In):
    """The signed-in respondent's answers: saved as a draft, or submitted (final) with ``submit``: every point rated."""

    role: RespondentRole
    answers: list[AnswerIn] = Field(max_length=500)
    submit: bool = False
