"""Upload and ingest of document versions: storage → parse → chunks in the database → embed → index on disk.

Upload stores the bytes first, then commits the version and its ingest job, and only then enqueues
the job. Ingest is idempotent: chunks are replaced in one transaction (a re-run after a crash saves the
same rows again, never twice), the index directory is swapped into place by ``Collection.save``, and
the embedding cache makes a re-run skip what was already embedded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import Job, JobKind, ParseStats, VersionStatus
from backend.db.queries import audit, chunks, facts, jobs, submissions, versions
from backend.embedding import build_embedder
from backend.errors import AppError, ErrorCode
from backend.jobs.enqueue import commit_and_enqueue
from backend.jobs.progress import JobProgress, JobStage
from backend.jobs.run import TRANSIENT_ERRORS, ClaimLost, JobRun
from backend.storage import file_store, index_dir
from indexing.embedding import Embedder
from indexing.errors import IndexingError
from indexing.facts import extract_facts
from indexing.models import BlockKind, Document, Fact, TextSource
from indexing.parsing import display_name, parse, sniff
from indexing.pipeline import ProgressCallback, index_documents, no_progress
from indexing.store import Collection

UNNAMED_ZH = "未命名文件"


EmbedderFactory = Callable[[Settings], Embedder]


@dataclass(frozen=True)
class UploadResult:
    """The version an upload landed in and its ingest job; ``created`` is False for bytes seen before."""

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
    session: Session, *, submission_id: int, data: bytes, original_name: str, user_id: int | None, settings: Settings
) -> UploadResult:
    """Store an uploaded file and queue its ingest; the same bytes again return the existing version.

    Raises:
        AppError: ``TOO_LARGE`` over the size limit, ``BAD_FILE`` for an empty file, ``NOT_FOUND`` for
            an unknown submission.
    """
    if len(data) > settings.max_upload_bytes:
        raise AppError(
            ErrorCode.TOO_LARGE,
            f"文件过大（{len(data) / 1048576:.1f} MB），超过 {settings.max_upload_bytes / 1048576:.0f} MB 上限。",
            f"{len(data)} bytes > {settings.max_upload_bytes}",
        )
    if not data:
        raise AppError(ErrorCode.BAD_FILE, "文件为空（0 字节），请检查后重新上传。", "0 bytes")
    submissions.get_submission(session, submission_id=submission_id)
    sha256 = file_store(settings).put(data)
    existing = _existing_upload(session, submission_id=submission_id, sha256=sha256)
    if existing is not None:
        return existing
    name = display_name(original_name) or UNNAMED_ZH
    try:
        version = versions.create_version(
            session,
            submission_id=submission_id,
            sha256=sha256,
            original_name=name,
            size_bytes=len(data),
            media_type=_media_type(data, name),
            created_by=user_id,
        )
        job = jobs.create_job(session, kind=JobKind.INGEST, version_id=version.id, created_by=user_id)
        audit.record_event(
            session,
            actor_id=user_id,
            action="version.upload",
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
            version is marked failed and the stored original stays.
    """
    version = versions.get_version(session, version_id=version_id)
    versions.set_version_status(session, version_id=version_id, status=VersionStatus.PROCESSING)
    session.commit()
    seconds: dict[str, float] = {}

    progress(JobStage.PARSE, 0, 1)
    t = time.perf_counter()
    data = file_store(settings).read(version.sha256)
    try:
        document = parse(data, name=version.original_name, options=settings.parse_options())
    except IndexingError as exc:
        versions.mark_version_failed(session, version_id=version_id, error_zh=exc.message_zh)
        session.commit()
        raise AppError(ErrorCode.BAD_FILE, exc.message_zh, f"{exc.code.value}: {exc.detail}") from exc
    seconds[JobStage.PARSE] = time.perf_counter() - t
    progress(JobStage.PARSE, 1, 1)

    t = time.perf_counter()
    document_facts = extract_facts(document)
    seconds[JobStage.FACTS] = time.perf_counter() - t
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


def version_facts(session: Session, version_id: int, settings: Settings) -> list[Fact]:
    """A ready version's facts; a version ingested before facts existed has them extracted and saved now."""
    version = versions.get_version(session, version_id=version_id)
    if version.parse_stats is not None and version.parse_stats.facts is not None:
        return facts.list_facts(session, version_id=version_id)
    document = parse(
        file_store(settings).read(version.sha256), name=version.original_name, options=settings.parse_options()
    )
    found = list(extract_facts(document))
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
    """The ingest task's body: ingest the job's version, marking the version failed on any error."""
    version_id = _version_of(run.job)
    try:
        ingest_version(
            run.session,
            version_id,
            run.settings,
            JobProgress(JobKind.INGEST, run.progress),
            embedder_factory=embedder_factory,
        )
    except (AppError, ClaimLost, *TRANSIENT_ERRORS):
        raise
    except Exception:
        run.session.rollback()
        versions.mark_version_failed(run.session, version_id=version_id, error_zh="处理失败，请稍后重试。")
        run.session.commit()
        raise


def _version_of(job: Job) -> int:
    if job.version_id is None:
        raise AppError(ErrorCode.INVALID_INPUT, "任务缺少文件版本。", f"ingest job {job.id} has no version")
    return job.version_id
