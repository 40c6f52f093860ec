"""Upload and ingest of document versions: storage → parse → chunks in the database → embed → index on disk.

Upload stores the bytes first, then commits the version and its ingest job, and only then enqueues
the job. Ingest is idempotent: chunks are replaced in one transaction (a re-run after a crash saves the
same rows again, never twice), the index directory is swapped into place by ``Collection.save``, and
the embedding cache makes a re-run skip what was already embedded.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.campaigns import check_open
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import DocumentRole, DocumentVersion, Job, JobKind, ParseStats, VersionStatus
from backend.db.queries import audit, chunks, duplicates, facts, jobs, submissions, versions
from backend.domain.enums import SubmissionKind
from backend.embedding import build_embedder
from backend.errors import AppError, ErrorCode
from backend.jobs.enqueue import commit_and_enqueue
from backend.jobs.progress import JobProgress, JobStage
from backend.jobs.run import JobRun
from backend.rubrics.registry import rubric_registry
from backend.storage import file_store, index_dir
from indexing.embedding import Embedder
from indexing.errors import IndexingError
from indexing.facts import extract_facts
from indexing.models import BlockKind, Document, Fact, TextSource
from indexing.near_duplicates import Passages, embed_case
from indexing.parsing import display_name, parse, sniff
from indexing.pipeline import ProgressCallback, index_documents, no_progress
from indexing.statedata import read_state_data
from indexing.store import Collection

UNNAMED_ZH = "未命名文件"


EmbedderFactory = Callable[[Settings], Embedder]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadResult:
    """The version an upload landed in and its ingest job; ``created`` is False when no new job was queued."""

    version_id: int
    job_id: int
    created: bool


@dataclass(frozen=True)
class IngestResult:
    """What ingest produced for a version."""

    version_id: int
    chunk_count: int
    pages: int | None
    index_dir: Path


def upload_version(
    session: Session,
    *,
    submission_id: int,
    data: bytes,
    original_name: str,
    user_id: int | None,
    settings: Settings,
    rubric_id: str | None = None,
    role: DocumentRole = DocumentRole.MAIN,
) -> UploadResult:
    """Store an uploaded file and queue its ingest; the same bytes again return the existing version
    (or, if it failed or was deleted, process it again).

    Once ingested, a main report is reviewed with ``rubric_id``, or else with its campaign's rubric (a
    standalone submission without a chosen rubric is not reviewed until asked); a supporting file
    (支撑材料) is ingested and kept beside it, not reviewed on its own.

    Raises:
        AppError: ``TOO_LARGE`` over the size limit, ``BAD_FILE`` for an empty file, ``NOT_FOUND`` for
            an unknown submission, ``CONFLICT`` after the deadline of its campaign, ``RUBRIC_NOT_FOUND``
            for an unknown ``rubric_id``.
    """
    if len(data) > settings.max_upload_bytes:
        raise AppError(
            ErrorCode.TOO_LARGE,
            f"文件过大（{len(data) / 1048576:.1f} MB），超过 {settings.max_upload_bytes / 1048576:.0f} MB 上限。",
            f"{len(data)} bytes > {settings.max_upload_bytes}",
        )
    if not data:
        raise AppError(ErrorCode.BAD_FILE, "文件为空（0 字节），请检查后重新上传。", "0 bytes")
    submission = submissions.get_submission(session, submission_id=submission_id)
    check_open(submission.campaign, now=utcnow())
    if rubric_id is not None:
        rubric_registry(settings).get(rubric_id)
    elif submission.campaign is not None:
        rubric_id = submission.campaign.rubric_id
    if role is not DocumentRole.MAIN:
        rubric_id = None
    sha256 = file_store(settings).put(data)
    name = display_name(original_name) or UNNAMED_ZH
    # Bytes of a version that failed (or was deleted) are processed again in that same version.
    found = versions.find_version(session, submission_id=submission_id, sha256=sha256)
    if found is not None and not versions.reopen_version(session, version_id=found.id, original_name=name):
        return _existing_upload(session, submission_id=submission_id, sha256=sha256)
    try:
        version = found or versions.create_version(
            session,
            submission_id=submission_id,
            sha256=sha256,
            original_name=name,
            size_bytes=len(data),
            media_type=_media_type(data, name),
            created_by=user_id,
            role=role,
        )
        job = jobs.create_job(
            session, kind=JobKind.INGEST, version_id=version.id, rubric_id=rubric_id, created_by=user_id
        )
        audit.record_event(
            session,
            actor_id=user_id,
            action="version.upload" if found is None else "version.reupload",
            object_type="document_version",
            object_id=version.id,
            detail=f"{name} ({len(data)} bytes, sha256 {sha256})",
        )
    except IntegrityError:
        # The same bytes were uploaded concurrently and the other request committed first.
        session.rollback()
        existing = _existing_upload(session, submission_id=submission_id, sha256=sha256)
        if existing is None:
            raise
        return existing
    commit_and_enqueue(session, jobs=[job], settings=settings)
    return UploadResult(version_id=version.id, job_id=job.id, created=True)


def delete_failed_version(session: Session, *, version_id: int, user_id: int, settings: Settings) -> None:
    """Delete a version whose ingest failed (hidden from then on; its chunks, facts and index go).

    The original stays in the content-addressed store, an audit event records the deletion, and
    uploading the same bytes again brings the version back for a fresh ingest. The caller commits.

    Raises:
        AppError: ``CONFLICT`` for a version that did not fail.
    """
    version = versions.get_version(session, version_id=version_id)
    if version.status is not VersionStatus.FAILED:
        raise AppError(
            ErrorCode.CONFLICT,
            f"只能删除处理失败的文件版本，该版本状态为“{version.status.zh}”。",
            f"version {version_id} is {version.status}",
        )
    audit.record_event(
        session,
        actor_id=user_id,
        action="version.delete",
        object_type="document_version",
        object_id=version_id,
        detail=f"{version.original_name} (sha256 {version.sha256}): {version.error_zh}",
    )
    versions.delete_version(session, version_id=version_id, now=utcnow())
    shutil.rmtree(index_dir(settings, version_id), ignore_errors=True)


def _existing_upload(session: Session, *, submission_id: int, sha256: str) -> UploadResult | None:
    version = versions.find_version(session, submission_id=submission_id, sha256=sha256)
    if version is None:
        return None
    job = jobs.latest_job(session, kind=JobKind.INGEST, version_id=version.id)
    if job is None:
        raise AppError(ErrorCode.CONFLICT, "该文件版本没有处理任务。", f"version {version.id} has no ingest job")
    return UploadResult(version_id=version.id, job_id=job.id, created=False)


def _media_type(data: bytes, name: str) -> str | None:
    try:
        return sniff(data, name).value
    except IndexingError:
        # Unsupported or damaged: ingest records the reason on the job, in Chinese.
        return None


def ingest_version(
    session: Session,
    version_id: int,
    settings: Settings,
    progress: ProgressCallback = no_progress,
    *,
    embedder_factory: EmbedderFactory = build_embedder,
) -> IngestResult:
    """Parse and extract facts, then chunk, embed and index with the indexing pipeline; save chunks and facts.

    Raises:
        AppError: ``BAD_FILE`` with the parser's Chinese message when the file cannot be read; the
            stored original stays (failing the job marks the version failed, see ``jobs.fail_job``).
    """
    version = versions.get_version(session, version_id=version_id)
    versions.set_version_status(session, version_id=version_id, status=VersionStatus.PROCESSING)
    session.commit()
    seconds: dict[str, float] = {}

    progress(JobStage.PARSE, 0, 1)
    t = time.perf_counter()
    data = file_store(settings).read(version.sha256)
    try:
        document, document_facts = _read(data, version.original_name, version.role, settings)
    except IndexingError as exc:
        raise AppError(ErrorCode.BAD_FILE, exc.message_zh, f"{exc.code.value}: {exc.detail}") from exc
    seconds[JobStage.PARSE] = time.perf_counter() - t
    progress(JobStage.PARSE, 1, 1)
    progress(JobStage.FACTS, 1, 1)

    embedder = embedder_factory(settings)
    out = index_dir(settings, version_id)
    # A fresh collection, never the one on disk: a re-run after a crash replaces the index instead of extending it.
    indexed = index_documents(
        [document],
        out,
        embedder,
        chunking_options=settings.chunking_options(),
        batch_size=settings.embed_batch_size,
        progress=progress,
        collection=Collection(embedder.name, embedder.dim, settings.approximate_above),
    )
    seconds.update({str(stage): s for stage, s in indexed.seconds.items()})
    document_chunks = indexed.documents[0].chunks
    if _is_case_text(version):
        # The near-duplicate search compares a case's paragraphs by meaning (indexing.near_duplicates.Passages).
        embed_case(document, embedder, batch_size=settings.embed_batch_size).save(out)

    progress(JobStage.SAVE, 0, 1)
    t = time.perf_counter()
    chunks.replace_chunks(session, version_id=version_id, chunks=document_chunks)
    facts.replace_facts(session, version_id=version_id, facts=document_facts)
    versions.mark_version_ready(
        session,
        version_id=version_id,
        media_type=document.media_type.value,
        pages=document.page_count,
        stats=_stats(
            document, len(document_chunks), len(document_facts), seconds | {JobStage.SAVE: time.perf_counter() - t}
        ),
    )
    session.commit()
    progress(JobStage.SAVE, 1, 1)
    return IngestResult(version_id, len(document_chunks), document.page_count, out)


@dataclass(frozen=True)
class PassagesBackfill:
    """What :func:`store_missing_passages` did: case texts given their passages, those that had them, failures."""

    stored: int
    kept: int
    failed: int


def store_missing_passages(
    session: Session,
    settings: Settings,
    *,
    embedder_factory: EmbedderFactory = build_embedder,
    progress: ProgressCallback = no_progress,
) -> PassagesBackfill:
    """Store the paragraphs and vectors of case texts ingested before ingest kept them (idempotent).

    Without them a case is compared with others by text only (no paraphrase found); the original file is parsed
    again, nothing else of the version changes.
    """
    texts = duplicates.ready_case_texts(session)
    embedder: Embedder | None = None
    stored = kept = failed = 0
    for done, version in enumerate(texts, start=1):
        directory = index_dir(settings, version.id)
        try:
            Passages.load(directory)
            kept += 1
        except (OSError, ValueError):
            embedder = embedder or embedder_factory(settings)
            if _store_passages(version, directory, settings, embedder):
                stored += 1
            else:
                failed += 1
        progress(JobStage.EMBED, done, len(texts))
    return PassagesBackfill(stored, kept, failed)


def _store_passages(version: DocumentVersion, directory: Path, settings: Settings, embedder: Embedder) -> bool:
    """Parse the version's stored original again and save its passages; False (logged) when it cannot be read."""
    try:
        data = file_store(settings).read(version.sha256)
        document = parse(data, name=version.original_name, options=settings.parse_options())
    except (AppError, IndexingError) as exc:  # the stored original is gone, or no longer parses
        log.warning("version %s: passages not stored, the original could not be read again (%s)", version.id, exc)
        return False
    embed_case(document, embedder, batch_size=settings.embed_batch_size).save(directory)
    return True


def _is_case_text(version: DocumentVersion) -> bool:
    """Whether the version is the text of a case (优秀案例) submission: the one file the duplicate search reads."""
    campaign = version.submission.campaign
    return version.role is DocumentRole.MAIN and campaign is not None and campaign.kind is SubmissionKind.CASE


def _read(data: bytes, name: str, role: DocumentRole, settings: Settings) -> tuple[Document, tuple[Fact, ...]]:
    """The parsed file and its facts: state data (状态数据) as workbook tables, anything else as a document."""
    if role is DocumentRole.STATE_DATA:
        state_data = read_state_data(data, name=name)
        return state_data.document, state_data.facts
    document = parse(data, name=name, options=settings.parse_options())
    return document, extract_facts(document)


def version_facts(session: Session, version_id: int, settings: Settings) -> list[Fact]:
    """A ready version's facts; a version ingested before facts existed has them extracted and saved now."""
    version = versions.get_version(session, version_id=version_id)
    if version.parse_stats is not None and version.parse_stats.facts is not None:
        return facts.list_facts(session, version_id=version_id)
    _, extracted = _read(file_store(settings).read(version.sha256), version.original_name, version.role, settings)
    found = list(extracted)
    facts.replace_facts(session, version_id=version_id, facts=found)
    if version.parse_stats is not None:
        versions.set_parse_stats(
            session, version_id=version_id, stats=version.parse_stats.model_copy(update={"facts": len(found)})
        )
    session.commit()
    return found


def _stats(document: Document, chunk_count: int, fact_count: int, seconds: dict[str, float]) -> ParseStats:
    return ParseStats(
        blocks=len(document.blocks),
        chunks=chunk_count,
        facts=fact_count,
        chars=sum(len(b.text) for b in document.blocks),
        tables=sum(b.kind is BlockKind.TABLE for b in document.blocks),
        text_pages=sum(p.source is TextSource.TEXT_LAYER for p in document.pages),
        ocr_pages=sum(p.source is TextSource.OCR for p in document.pages),
        warnings=document.warnings,
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )


def run_ingest_job(run: JobRun, *, embedder_factory: EmbedderFactory = build_embedder) -> None:
    """The ingest task's body: ingest the job's version, then queue its review with the job's rubric (once).

    A failed job marks its version failed (see ``jobs.fail_job``).
    """
    version_id = _version_of(run.job)
    ingest_version(
        run.session,
        version_id,
        run.settings,
        JobProgress(JobKind.INGEST, run.progress),
        embedder_factory=embedder_factory,
    )
    if run.job.rubric_id is not None:
        review_after_ingest(
            run.session,
            version_id=version_id,
            rubric_id=run.job.rubric_id,
            user_id=run.job.created_by,
            settings=run.settings,
        )


def _version_of(job: Job) -> int:
    if job.version_id is None:
        raise AppError(ErrorCode.INVALID_INPUT, "任务缺少文件版本。", f"ingest job {job.id} has no version")
    return job.version_id


def review_after_ingest(
    session: Session, *, version_id: int, rubric_id: str, user_id: int | None, settings: Settings
) -> Job | None:
    """Queue the review an upload asked for, now that its version is ready; None if it was queued before.

    Called by the ingest job when it succeeds: a re-run of that job (its worker died after this commit)
    finds the review job it queued and queues no second one.
    """
    if jobs.latest_job(session, kind=JobKind.REVIEW, version_id=version_id, rubric_id=rubric_id) is not None:
        return None
    job = jobs.create_review_job(session, version_id=version_id, rubric_id=rubric_id, drafter=None, created_by=user_id)
    audit.record_event(
        session,
        actor_id=user_id,
        action="review.request",
        object_type="job",
        object_id=job.id,
        detail=f"{rubric_id} (after ingest of version {version_id})",
    )
    commit_and_enqueue(session, jobs=[job], settings=settings)
    return job
