"""ORM models of the service: institutions, users, campaigns, submissions, versions, jobs, reviews, decisions.

Rules the schema enforces (not only the code):

* a document version is unique per (submission, sha256): the same bytes uploaded twice are one version
  (a deleted version is hidden, not removed, so its id is never reused and its bytes bring it back);
* a chunk is unique per (version, chunk key) and (version, ordinal): a re-delivered ingest cannot
  duplicate chunks;
* a review is unique per job: a re-delivered review job cannot create a second review;
* expert decisions are append-only rows on the assessment they were made on, each expert's own; a re-review
  creates new review and assessment rows and never touches them;
* an expert submits a review once (unique per expert and review); evidence an expert attaches is a verbatim
  quote of a chunk of the version, never edited;
* an assignment cannot pair an expert with a submission of the expert's own institution;
* audit events cannot be updated or deleted (triggers, see the initial migration).

Review and assessment rows are ``ReviewRecord`` and ``AssessmentRecord`` to keep them apart from the
review engine's pydantic ``Review`` and ``IndicatorAssessment``, which they store.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import ENUM_LENGTH, Base, PydanticJSON, StrEnumType, UTCDateTime, utcnow
from backend.domain import assessment as rm
from backend.domain import report_draft as dm
from backend.domain.diagnosis import Answer, RespondentRole, ResponseStatus
from backend.domain.enums import DecisionAction, InstitutionType, Mark, SubmissionKind
from indexing.models import FactOrigin

ID_LENGTH = 100
NAME_LENGTH = 255


class Role(StrEnum):
    """What a user may do."""

    UNIVERSITY = "university"
    EXPERT = "expert"
    SECRETARIAT = "secretariat"
    ADMIN = "admin"


class VersionStatus(StrEnum):
    """Where a document version is in ingest."""

    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"

    @property
    def zh(self) -> str:
        """The status as users read it."""
        return VERSION_STATUS_ZH[self]


VERSION_STATUS_ZH = {
    VersionStatus.UPLOADED: "等待处理",
    VersionStatus.PROCESSING: "处理中",
    VersionStatus.READY: "可评审",
    VersionStatus.FAILED: "处理失败",
}


class DocumentRole(StrEnum):
    """What a file is to its submission: the report under review, a supporting file (支撑材料), or the state
    data (状态数据: the XLSX/CSV tables reported to the national database)."""

    MAIN = "main"
    SUPPORTING = "supporting"
    STATE_DATA = "state_data"

    @property
    def zh(self) -> str:
        """The role as users read it."""
        return DOCUMENT_ROLE_ZH[self]


DOCUMENT_ROLE_ZH = {
    DocumentRole.MAIN: "自评报告",
    DocumentRole.SUPPORTING: "支撑材料",
    DocumentRole.STATE_DATA: "状态数据",
}


class JobKind(StrEnum):
    """Background job kinds, one Celery task each."""

    INGEST = "ingest"
    REVIEW = "review"
    REVIEW_CAMPAIGN = "review_campaign"
    DRAFT_REPORT = "draft_report"


class JobStatus(StrEnum):
    """Lifecycle of a job."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ParseStats(BaseModel):
    """What ingest found in a file, for display and diagnostics."""

    model_config = ConfigDict(frozen=True)

    blocks: int
    chunks: int
    chars: int
    tables: int
    facts: int | None = Field(default=None, description="facts extracted; None for versions ingested before facts")
    text_pages: int = 0
    ocr_pages: int = 0
    warnings: tuple[str, ...] = ()
    seconds: dict[str, float] = {}


TAG_LENGTH = 20


class TagQuota(BaseModel):
    """Seats reserved for submissions carrying a tag: within a category (``type`` set: 高职其中数字化 2 所) or across
    every category (``type`` None: 50 所中数字化 5 所). See :mod:`backend.selection.shortlist` for how they fill."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: InstitutionType | None = None
    tag: Annotated[str, Field(min_length=1, max_length=TAG_LENGTH)]
    seats: Annotated[StrictInt, Field(ge=0)]

    @property
    def scope_zh(self) -> str:
        """Where the seats are reserved, as the secretariat reads it."""
        return self.type.value if self.type is not None else "全部类别"


class CampaignQuotas(BaseModel):
    """How many submissions a campaign may select: per institution category, in total, and tagged seats.

    A category with its own quota takes at most that many; with a ``total``, the categories without their own quota
    share what the category quotas leave of it (without a total they take none). Tagged seats are part of these
    seats, never extra.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    by_type: dict[InstitutionType, Annotated[StrictInt, Field(ge=0)]] = {}
    total: Annotated[StrictInt, Field(ge=0)] | None = None
    tagged: tuple[TagQuota, ...] = ()

    @property
    def shared(self) -> int:
        """Seats the categories without their own quota share: what the total leaves (0 without a total)."""
        return max(self.total - sum(self.by_type.values()), 0) if self.total is not None else 0

    @property
    def capacity(self) -> int:
        """The most the campaign selects: the total, else the sum of the category quotas."""
        return self.total if self.total is not None else sum(self.by_type.values())

    def seats_of(self, kind: InstitutionType) -> int:
        """The most one category can take: its quota, else the shared seats."""
        return self.by_type.get(kind, self.shared)

    @model_validator(mode="after")
    def _seats_fit(self) -> CampaignQuotas:
        seen: set[tuple[InstitutionType | None, str]] = set()
        for quota in self.tagged:
            if (quota.type, quota.tag) in seen:
                raise ValueError(f"“{quota.scope_zh}·{quota.tag}”的名额重复设置。")
            seen.add((quota.type, quota.tag))
        by_type = sum(self.by_type.values())
        if self.total is not None and by_type > self.total:
            raise ValueError(f"各类别名额合计 {by_type} 超过总名额 {self.total}。")
        for kind in {q.type for q in self.tagged if q.type is not None}:
            reserved = sum(q.seats for q in self.tagged if q.type is kind)
            if reserved > self.seats_of(kind):
                raise ValueError(f"{kind.value}的标签名额合计 {reserved} 超过该类别名额 {self.seats_of(kind)}。")
        across = sum(q.seats for q in self.tagged if q.type is None)
        if across > self.capacity:
            raise ValueError(f"跨类别标签名额合计 {across} 超过总名额 {self.capacity}。")
        return self


def _created() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime, default=utcnow)


class Institution(Base):
    """A university, judged within its category (研究型 / 应用型 / 高职)."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    type: Mapped[InstitutionType] = mapped_column(StrEnumType(InstitutionType))
    region: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    created_at: Mapped[dt.datetime] = _created()


class User(Base):
    """A person who signs in; university users belong to an institution, experts may (their employer)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role <> 'university' OR institution_id IS NOT NULL", name="university_has_institution"),
        # Target of the assignment's composite key that carries the expert's institution.
        UniqueConstraint("id", "institution_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    password_hash: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = _created()

    institution: Mapped[Institution | None] = relationship()


class Campaign(Base):
    """A selection campaign run by the secretariat against one rubric.

    ``expert_results_visible``: universities see an expert's final result once the expert has submitted it.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    rubric_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    kind: Mapped[SubmissionKind] = mapped_column(StrEnumType(SubmissionKind))
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    quotas: Mapped[CampaignQuotas] = mapped_column(PydanticJSON(CampaignQuotas), default=CampaignQuotas)
    expert_results_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    # Expert assignment: how many experts read each submission, the most one expert may hold, and their deadline.
    experts_per_submission: Mapped[int] = mapped_column(Integer, default=2)
    expert_load_limit: Mapped[int | None] = mapped_column(Integer)
    review_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = _created()


class Submission(Base):
    """What one institution submits (to a campaign, or on its own as a draft for self-review)."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # Cases (优秀案例) only: the category the university files the case under and its theme tags.
    case_category: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    theme_tags: Mapped[tuple[str, ...]] = mapped_column(PydanticJSON(tuple[str, ...]), default=tuple)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = _created()

    institution: Mapped[Institution] = relationship()
    # Joined: access checks and campaign rules read it with every submission (one query instead of two).
    campaign: Mapped[Campaign | None] = relationship(lazy="joined")


class DocumentVersion(Base):
    """One uploaded file of a submission, stored by content hash, with its ingest state."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("submission_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    media_type: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # Versions of the main report are what is reviewed and compared (整改跟踪); supporting files are kept beside.
    role: Mapped[DocumentRole] = mapped_column(StrEnumType(DocumentRole), default=DocumentRole.MAIN)
    pages: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[VersionStatus] = mapped_column(StrEnumType(VersionStatus), default=VersionStatus.UPLOADED)
    parse_stats: Mapped[ParseStats | None] = mapped_column(PydanticJSON(ParseStats))
    error_zh: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when the owner deletes a failed version: hidden from then on, back if the same bytes are uploaded.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # Joined: every read of a version checks access through its submission.
    submission: Mapped[Submission] = relationship(lazy="joined")


class Chunk(Base):
    """A retrieval unit of a version, as the indexing library cut it (the index on disk holds vectors)."""

    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("version_id", "chunk_key"), UniqueConstraint("version_id", "ordinal"))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    chunk_key: Mapped[str] = mapped_column(String(64))
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    heading_path: Mapped[tuple[str, ...]] = mapped_column(PydanticJSON(tuple[str, ...]))
    page_start: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    is_table: Mapped[bool] = mapped_column(Boolean, default=False)


class FactRecord(Base):
    """A figure a version reports (table cell or sentence), as the indexing library extracted it."""

    __tablename__ = "facts"
    __table_args__ = (UniqueConstraint("version_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(Text)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(ID_LENGTH))
    text: Mapped[str] = mapped_column(String(NAME_LENGTH))
    block_key: Mapped[str] = mapped_column(String(ID_LENGTH))
    page: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    origin: Mapped[FactOrigin] = mapped_column(StrEnumType(FactOrigin))
    evidence: Mapped[str] = mapped_column(Text)
    table_title: Mapped[str | None] = mapped_column(Text)
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    qualifier: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    sheet: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  # state data: the worksheet of the cell


class Job(Base):
    """A background job: its progress, attempts, heartbeat and outcome.

    ``claim_token`` identifies the attempt that holds the job; ``heartbeat_at`` is refreshed while it
    runs, so a job whose worker was killed is found stale and re-queued.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        Index(None, "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(StrEnumType(JobKind))
    status: Mapped[JobStatus] = mapped_column(StrEnumType(JobStatus), default=JobStatus.QUEUED)
    stage: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    error_zh: Mapped[str | None] = mapped_column(Text)
    error_detail: Mapped[str | None] = mapped_column(Text)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("document_versions.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # Review jobs: the rubric to review with; ingest jobs: the rubric of the review to queue once ingested.
    rubric_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # Review jobs: which drafter to use (a DrafterKind value); None means the configured default.
    drafter: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    # Campaign review jobs: review again the versions already reviewed with the campaign's rubric.
    rerun: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claim_token: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = _created()
    enqueued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ReviewRecord(Base):
    """A stored review of one version against one rubric version; one per job, never rewritten."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"), index=True)
    rubric_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    rubric_version: Mapped[str] = mapped_column(String(ID_LENGTH))
    rubric_fingerprint: Mapped[str] = mapped_column(String(64))
    supplementary_materials: Mapped[tuple[rm.ChecklistItem, ...]] = mapped_column(
        PydanticJSON(tuple[rm.ChecklistItem, ...])
    )
    site_visit_questions: Mapped[tuple[rm.ChecklistItem, ...]] = mapped_column(
        PydanticJSON(tuple[rm.ChecklistItem, ...])
    )
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    counts: Mapped[rm.ReviewCounts] = mapped_column(PydanticJSON(rm.ReviewCounts))
    created_at: Mapped[dt.datetime] = _created()

    assessments: Mapped[list[AssessmentRecord]] = relationship(
        back_populates="review", order_by="AssessmentRecord.ordinal"
    )
    # Joined (with its submission and campaign): every read of a review checks access through them; held by the
    # review, the version also stays in the session's identity map for later lookups in the same request.
    version: Mapped[DocumentVersion] = relationship(lazy="joined")


class DraftRecord(Base):
    """A self-evaluation report drafted from a submission's 支撑材料 by one job, with the university's section edits.

    ``content`` is set once, by its job, and never rewritten; the university's edits are kept beside it;
    ``final_version_id`` is the report version the finalised draft was uploaded as.
    """

    __tablename__ = "report_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    rubric_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    drafter: Mapped[rm.DrafterKind] = mapped_column(StrEnumType(rm.DrafterKind))
    content: Mapped[dm.ReportDraft | None] = mapped_column(PydanticJSON(dm.ReportDraft))
    edits: Mapped[tuple[dm.SectionEdit, ...]] = mapped_column(PydanticJSON(tuple[dm.SectionEdit, ...]), default=())
    final_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_versions.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Joined: every read of a draft checks access through its submission and shows its job's progress.
    submission: Mapped[Submission] = relationship(lazy="joined")
    job: Mapped[Job] = relationship(lazy="joined")


class AssessmentRecord(Base):
    """One indicator's drafted assessment (the engine's model as JSON) with indexed summary columns.

    ``summary`` is the assessment without evidence, stored with it so that a review's overview never
    reads and validates every quote.
    """

    __tablename__ = "indicator_assessments"
    __table_args__ = (UniqueConstraint("review_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    ordinal: Mapped[int] = mapped_column(Integer)
    indicator_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    level: Mapped[str] = mapped_column(String(ID_LENGTH))
    confidence: Mapped[float] = mapped_column(Float)
    assessment: Mapped[rm.IndicatorAssessment] = mapped_column(PydanticJSON(rm.IndicatorAssessment))
    summary: Mapped[rm.IndicatorSummary] = mapped_column(PydanticJSON(rm.IndicatorSummary))

    review: Mapped[ReviewRecord] = relationship(back_populates="assessments")


class ExpertDecision(Base):
    """An expert's accept / edit / reject of an assessment (``point_id`` None) or of one review point.

    Rows are only ever added; the latest row per (reviewer, assessment, point) is that expert's current
    decision: experts reviewing the same submission decide independently.
    """

    __tablename__ = "expert_decisions"
    __table_args__ = (Index(None, "assessment_id", "point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("indicator_assessments.id"))
    point_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    action: Mapped[DecisionAction] = mapped_column(StrEnumType(DecisionAction))
    final_mark: Mapped[Mark | None] = mapped_column(StrEnumType(Mark))
    final_level: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    comment: Mapped[str] = mapped_column(Text, default="")
    # The expert's wording of the improvement advice for the point (None: the AI's advice stands).
    advice_zh: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessment: Mapped[AssessmentRecord] = relationship()


class AttachedEvidence(Base):
    """A quote an expert found by searching the version and attached to a review point.

    The quote is verbatim chunk text at ``quote_start:quote_end`` (checked when attached); rows are never edited.
    """

    __tablename__ = "attached_evidence"
    __table_args__ = (Index(None, "assessment_id", "point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("indicator_assessments.id"))
    point_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    chunk_key: Mapped[str] = mapped_column(String(64))
    quote: Mapped[str] = mapped_column(Text)
    quote_start: Mapped[int] = mapped_column(Integer)
    quote_end: Mapped[int] = mapped_column(Integer)
    page_start: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    heading_path: Mapped[tuple[str, ...]] = mapped_column(PydanticJSON(tuple[str, ...]))
    created_at: Mapped[dt.datetime] = _created()


class Opinion(BaseModel):
    """An expert's opinion: strengths, problems, advice (each free text)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strengths: str = ""
    problems: str = ""
    advice: str = ""


class IndicatorOpinion(Opinion):
    """The opinion on one assessed indicator."""

    indicator_id: str


class ExpertOpinions(BaseModel):
    """What an expert submits besides the per-point decisions: an opinion per indicator and on the report."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    overall: Opinion
    indicators: tuple[IndicatorOpinion, ...] = ()


class ExpertReview(Base):
    """An expert's submitted review of one AI review: the opinions; from then on the expert's decisions are final."""

    __tablename__ = "expert_reviews"
    __table_args__ = (UniqueConstraint("reviewer_id", "review_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    opinions: Mapped[ExpertOpinions] = mapped_column(PydanticJSON(ExpertOpinions))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Base):
    """An expert assigned to review a submission.

    The two institution columns copy the expert's and the submission's institution through composite
    foreign keys, so the CHECK can refuse a conflict of interest in the database itself.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("expert_id", "submission_id"),
        ForeignKeyConstraint(
            ["expert_id", "expert_institution_id"],
            ["users.id", "users.institution_id"],
            onupdate="CASCADE",
            name="fk_assignments_expert_institution",
        ),
        ForeignKeyConstraint(
            ["submission_id", "submission_institution_id"],
            ["submissions.id", "submissions.institution_id"],
            onupdate="CASCADE",
            name="fk_assignments_submission_institution",
        ),
        CheckConstraint(
            "expert_institution_id IS NULL OR expert_institution_id <> submission_institution_id",
            name="no_conflict_of_interest",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    expert_institution_id: Mapped[int | None] = mapped_column(Integer)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    submission_institution_id: Mapped[int] = mapped_column(Integer)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = _created()


class SubmissionTag(Base):
    """A tag the secretariat gives a campaign submission (数字化 …); tagged seats of the quotas count it."""

    __tablename__ = "submission_tags"
    __table_args__ = (UniqueConstraint("submission_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(TAG_LENGTH))


class ExpertConflict(Base):
    """An institution an expert declared a conflict of interest with: its submissions are never assigned to them."""

    __tablename__ = "expert_conflicts"
    __table_args__ = (UniqueConstraint("expert_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = _created()

    institution: Mapped[Institution] = relationship()


class ShortlistEntry(Base):
    """A submission on a campaign's fixed shortlist: category, rank, the secretariat's note, who fixed it, when.

    One row per submission and campaign: a case campaign may seat several cases of one institution, a campaign of
    reports seats an institution once (:func:`backend.selection.shortlist.fix_shortlist` refuses a second). Fixing
    the shortlist again replaces the rows (the audit trail keeps each fixing).
    """

    __tablename__ = "shortlist_entries"
    __table_args__ = (UniqueConstraint("campaign_id", "submission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    category: Mapped[InstitutionType] = mapped_column(StrEnumType(InstitutionType))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    fixed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    fixed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship()
    submission: Mapped[Submission] = relationship()


class Diagnosis(Base):
    """One round of an institution's 质量文化建设诊断 against a rubric version; a later round shows the change."""

    __tablename__ = "diagnoses"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    rubric_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    rubric_version: Mapped[str] = mapped_column(String(ID_LENGTH))
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = _created()

    institution: Mapped[Institution] = relationship(lazy="joined")


class DiagnosisResponse(Base):
    """One respondent's questionnaire in a diagnosis round: a draft until submitted complete; one per user."""

    __tablename__ = "diagnosis_responses"
    __table_args__ = (UniqueConstraint("diagnosis_id", "respondent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    diagnosis_id: Mapped[int] = mapped_column(ForeignKey("diagnoses.id", ondelete="CASCADE"), index=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    respondent_role: Mapped[RespondentRole] = mapped_column(StrEnumType(RespondentRole))
    status: Mapped[ResponseStatus] = mapped_column(StrEnumType(ResponseStatus), default=ResponseStatus.DRAFT)
    answers: Mapped[tuple[Answer, ...]] = mapped_column(PydanticJSON(tuple[Answer, ...]))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    respondent: Mapped[User] = relationship(lazy="joined")


class DuplicateVerdict(StrEnum):
    """The secretariat's judgement of a pair of cases found alike."""

    DUPLICATE = "duplicate"
    NOT_DUPLICATE = "not_duplicate"

    @property
    def zh(self) -> str:
        """The verdict as the secretariat reads it."""
        return {DuplicateVerdict.DUPLICATE: "重复", DuplicateVerdict.NOT_DUPLICATE: "非重复"}[self]


class DuplicateMark(Base):
    """The secretariat's verdict on a pair of case versions found alike (lower version id first).

    Rows are only added; the latest row of a pair in a campaign is the verdict in force.
    """

    __tablename__ = "duplicate_marks"
    __table_args__ = (
        CheckConstraint("version_a_id < version_b_id", name="pair_ordered"),
        Index(None, "campaign_id", "version_a_id", "version_b_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    version_a_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    version_b_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    verdict: Mapped[DuplicateVerdict] = mapped_column(StrEnumType(DuplicateVerdict))
    note: Mapped[str] = mapped_column(Text, default="")
    marked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Who did what to which object, and when; append-only."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(ID_LENGTH))
    object_type: Mapped[str] = mapped_column(String(ID_LENGTH))
    object_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    detail: Mapped[str] = mapped_column(Text, default="")


class TokenKind(StrEnum):
    """How a sign-in token is presented: a browser session cookie or a bearer token for scripts."""

    SESSION = "session"
    API = "api"


class AuthToken(Base):
    """A server-side session or API token; only the SHA-256 of the random token is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[TokenKind] = mapped_column(StrEnumType(TokenKind))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    created_at: Mapped[dt.datetime] = _created()
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Consecutive failed sign-ins of one (username, client address) pair, and until when the pair must wait."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("username", "client"), Index(None, "client", "last_failure_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(ID_LENGTH))
    client: Mapped[str] = mapped_column(String(ID_LENGTH))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
