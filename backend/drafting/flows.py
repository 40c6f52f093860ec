"""Drafting flows: start a draft job, run it over a submission's 支撑材料, edit sections, export, finalise.

Finalising uploads the (edited) draft as a DOCX report version of the submission through the ordinary upload
flow, so it is ingested and reviewed like any uploaded report.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.auth.access import visible_submissions
from backend.auth.tokens import Principal
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import DocumentRole, DocumentVersion, DraftRecord, JobKind, JobStatus, Submission, VersionStatus
from backend.db.queries import audit, drafts, institutions, jobs, submissions, versions
from backend.domain.assessment import DrafterKind
from backend.domain.report_draft import InstitutionProfile, SectionDraft, SectionEdit, SourceDocument
from backend.drafting.composer import Materials, draft_report
from backend.drafting.writers import build_writer
from backend.embedding import build_embedder
from backend.errors import AppError, ErrorCode
from backend.ingest.flows import UploadResult, upload_version, version_facts
from backend.jobs.enqueue import commit_and_enqueue
from backend.jobs.progress import JOB_STATUS_ZH, JobProgress, JobStage, stage_zh
from backend.jobs.run import JobRun
from backend.reports.draft_document import draft_title, figure_zh, sentence_zh, write_draft_docx
from backend.rubrics.models import Rubric
from backend.rubrics.registry import rubric_registry
from backend.storage import index_dir
from indexing.embedding import Embedder
from indexing.pipeline import ProgressCallback, no_progress
from indexing.store import Collection

# The rubrics a self-evaluation report is drafted against (审核评估 第一类 / 第二类, 质量文化建设).
DRAFT_RUBRICS = ("audit-2021-type1", "audit-2021-type2", "quality-culture-2026")
MAX_EDIT_CHARS = 20000


@dataclass(frozen=True)
class DraftStart:
    """The draft row and its job, as started."""

    draft_id: int
    job_id: int


def _ready_supporting(session: Session, submission_id: int) -> list[DocumentVersion]:
    ready = [
        v
        for v in versions.list_versions(session, submission_id=submission_id, role=DocumentRole.SUPPORTING)
        if v.status is VersionStatus.READY
    ]
    if not ready:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            "该材料还没有解析完成的支撑材料：请先在材料页上传支撑材料（制度文件、质量报告、数据表等），待解析完成后再起草。",
            f"submission {submission_id} has no ready supporting version",
        )
    return ready


def load_materials(session: Session, *, submission_id: int, settings: Settings) -> Materials:
    """The submission's ready supporting files as one collection, with each file's facts.

    Raises:
        AppError: ``INVALID_INPUT`` when no supporting file is ready.
    """
    ready = _ready_supporting(session, submission_id)
    parts, documents, facts = [], [], {}
    for version in ready:
        part = Collection.load(index_dir(settings, version.id))
        parts.append(part)
        for document_id in part.documents:
            documents.append(SourceDocument(document_id=document_id, name=version.original_name, version_id=version.id))
            facts[document_id] = version_facts(session, version.id, settings)
    return Materials(collection=Collection.merged(parts), documents=tuple(documents), facts=facts)


def start_draft(
    session: Session, *, submission_id: int, rubric_id: str, drafter: DrafterKind, user_id: int, settings: Settings
) -> DraftStart:
    """Queue a draft of the submission's report against ``rubric_id`` (committed, then enqueued).

    Raises:
        AppError: ``RUBRIC_NOT_FOUND``; ``INVALID_INPUT`` for a rubric that is not a report's, an LLM drafter
            without a configured endpoint, or a submission without ready supporting files.
    """
    if rubric_id not in DRAFT_RUBRICS:
        raise AppError(ErrorCode.INVALID_INPUT, "请选择审核评估或质量文化建设指标体系。", f"rubric {rubric_id}")
    rubric_registry(settings).get(rubric_id)
    if drafter is DrafterKind.LLM and not (settings.llm_base_url and settings.llm_model):
        raise AppError(ErrorCode.INVALID_INPUT, "未配置大模型服务，请选择“证据摘录”方式。", "no llm endpoint")
    submission = submissions.get_submission(session, submission_id=submission_id)
    _ready_supporting(session, submission.id)
    job = jobs.create_job(session, kind=JobKind.DRAFT_REPORT, rubric_id=rubric_id, created_by=user_id)
    job.drafter = drafter.value
    record = drafts.create_draft(
        session, submission_id=submission.id, job_id=job.id, rubric_id=rubric_id, drafter=drafter, created_by=user_id
    )
    audit.record_event(
        session,
        actor_id=user_id,
        action="draft.request",
        object_type="report_draft",
        object_id=record.id,
        detail=f"{rubric_id} ({drafter.value}) for submission {submission.id}",
    )
    commit_and_enqueue(session, jobs=[job], settings=settings)
    return DraftStart(record.id, job.id)


def run_draft_job(
    session: Session,
    job_id: int,
    settings: Settings,
    progress: ProgressCallback = no_progress,
    *,
    embedder_factory: Callable[[Settings], Embedder] | None = None,
) -> int:
    """The draft task's body: draft the job's report from the submission's materials; stored once."""
    record = drafts.find_draft_for_job(session, job_id=job_id)
    if record is None:
        raise AppError(ErrorCode.INVALID_INPUT, "起草任务缺少报告草稿。", f"draft job {job_id}")
    if record.content is not None:  # a re-delivered message: the draft was saved before the worker died
        return record.id
    progress(JobStage.LOAD, 0, 1)
    materials = load_materials(session, submission_id=record.submission_id, settings=settings)
    progress(JobStage.LOAD, 1, 1)
    institution = institutions.get_institution(session, institution_id=record.submission.institution_id)
    content = draft_report(
        materials,
        (embedder_factory or build_embedder)(settings),
        rubric_registry(settings).get(record.rubric_id),
        build_writer(record.drafter, settings),
        InstitutionProfile(name=institution.name, category=institution.type.value),
        progress=progress,
    )
    drafts.save_content(session, draft_id=record.id, content=content)
    session.commit()
    return record.id


def run_draft_task(run: JobRun) -> None:
    """The Celery task's body under the job runner."""
    run_draft_job(run.session, run.job_id, run.settings, JobProgress(JobKind.DRAFT_REPORT, run.progress))


def _ready(record: DraftRecord) -> None:
    if record.content is None:
        raise AppError(ErrorCode.CONFLICT, "报告草稿尚未生成完成，请稍后再试。", f"draft {record.id} has no content")
    if record.final_version_id is not None:
        raise AppError(
            ErrorCode.CONFLICT, "该草稿已定稿提交，不能再修改；如需修改请重新起草。", f"draft {record.id} is final"
        )


def edit_section(session: Session, *, record: DraftRecord, indicator_id: str, text: str, user_id: int) -> SectionEdit:
    """Save the university's text of one section (empty: back to the drafted text); the caller commits.

    Raises:
        AppError: ``CONFLICT`` before the draft exists or after it was finalised; ``INVALID_INPUT`` for an
            unknown section or an over-long text.
    """
    _ready(record)
    assert record.content is not None
    if indicator_id not in {s.indicator_id for s in record.content.sections()}:
        raise AppError(ErrorCode.INVALID_INPUT, "该章节不存在。", f"draft {record.id} has no section {indicator_id}")
    if len(text) > MAX_EDIT_CHARS:
        raise AppError(
            ErrorCode.INVALID_INPUT, f"每节内容不能超过 {MAX_EDIT_CHARS} 字。", f"{len(text)} chars in {indicator_id}"
        )
    edit = SectionEdit(indicator_id=indicator_id, text=text.strip(), edited_by=user_id)
    drafts.save_edit(session, draft_id=record.id, edit=edit)
    audit.record_event(
        session,
        actor_id=user_id,
        action="draft.edit",
        object_type="report_draft",
        object_id=record.id,
        detail=f"section {indicator_id}: {len(edit.text)} chars" if edit.text else f"section {indicator_id} reset",
    )
    return edit


def draft_docx(record: DraftRecord) -> bytes:
    """The draft with its edits as DOCX bytes.

    Raises:
        AppError: ``CONFLICT`` before the draft exists.
    """
    if record.content is None:
        raise AppError(ErrorCode.CONFLICT, "报告草稿尚未生成完成，请稍后再试。", f"draft {record.id} has no content")
    out = io.BytesIO()
    write_draft_docx(record.content, out, edits=record.edits, made_on=utcnow().date())
    return out.getvalue()


def docx_name(record: DraftRecord) -> str:
    """The file name of the exported draft."""
    assert record.content is not None
    return f"{draft_title(record.content)}.docx"


def finalise_draft(session: Session, *, record: DraftRecord, user_id: int, settings: Settings) -> UploadResult:
    """Upload the edited draft as a new report version of its submission (ingested, then reviewed as usual).

    Raises:
        AppError: ``CONFLICT`` before the draft exists, after it was finalised, or after the campaign's deadline.
    """
    _ready(record)
    data = draft_docx(record)
    # A campaign's submission is reviewed with the campaign's rubric; a standalone one with the draft's.
    result = upload_version(
        session,
        submission_id=record.submission_id,
        data=data,
        original_name=docx_name(record),
        user_id=user_id,
        settings=settings,
        rubric_id=None if record.submission.campaign_id is not None else record.rubric_id,
        role=DocumentRole.MAIN,
    )
    drafts.set_final_version(session, draft_id=record.id, version_id=result.version_id)
    audit.record_event(
        session,
        actor_id=user_id,
        action="draft.finalise",
        object_type="report_draft",
        object_id=record.id,
        detail=f"uploaded as version {result.version_id}",
    )
    session.commit()
    return result


def submission_drafts(session: Session, *, submission_id: int) -> Sequence[DraftRecord]:
    """A submission's drafts, newest first."""
    return drafts.list_drafts(session, submission_id=submission_id)


@dataclass(frozen=True)
class DraftState:
    """A draft as its page shows it: the record, its job's status and percent, and what is happening now."""

    record: DraftRecord

    @property
    def working(self) -> bool:
        """The job is queued or running."""
        return self.record.job.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def failed(self) -> bool:
        """The job failed (the reason is the job's ``error_zh``)."""
        return self.record.job.status is JobStatus.FAILED

    @property
    def percent(self) -> int:
        """0–100."""
        return 100 if self.record.content is not None else self.record.job.progress

    @property
    def stage_zh(self) -> str:
        """The job's stage or status in Chinese."""
        if self.record.content is not None:
            return "已完成"
        return stage_zh(self.record.job.stage) or JOB_STATUS_ZH[self.record.job.status]

    @property
    def edited(self) -> dict[str, str]:
        """Section id -> the university's text."""
        return {e.indicator_id: e.text for e in self.record.edits}


@dataclass(frozen=True)
class SubmissionDrafts:
    """A submission with its ready supporting files and its drafts (newest first)."""

    submission: Submission
    ready_files: int
    drafts: tuple[DraftState, ...]


def drafting_overview(session: Session, principal: Principal) -> list[SubmissionDrafts]:
    """The university's submissions, newest first, each with its ready 支撑材料 count and drafts."""
    out = []
    for submission in reversed(visible_submissions(session, principal)):
        supporting = versions.list_versions(session, submission_id=submission.id, role=DocumentRole.SUPPORTING)
        out.append(
            SubmissionDrafts(
                submission,
                sum(v.status is VersionStatus.READY for v in supporting),
                tuple(DraftState(d) for d in drafts.list_drafts(session, submission_id=submission.id)),
            )
        )
    return out


def draft_rubrics(settings: Settings) -> list[Rubric]:
    """The installed rubrics a report can be drafted against, in the order of :data:`DRAFT_RUBRICS`."""
    installed = {r.id: r for r in rubric_registry(settings).list()}
    return [installed[i] for i in DRAFT_RUBRICS if i in installed]


def plain_text(section: SectionDraft) -> str:
    """A section's drafted sentences and figures as plain text, one paragraph per 审核重点 (the edit box's start)."""
    paragraphs = []
    for point in section.points:
        parts = [sentence_zh(s.text) for s in point.sentences]
        if point.figure is not None:
            parts.append(figure_zh(point.figure))
        if parts:
            paragraphs.append("".join(parts))
    return "\n".join(paragraphs)
