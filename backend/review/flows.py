"""Review flows: a document version's index and a rubric in, a verified Review out."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import Campaign, DocumentRole, DocumentVersion, JobKind, JobStatus, VersionStatus
from backend.db.queries import campaigns, jobs, reviews, submissions, versions
from backend.domain.assessment import ChecklistItem, DrafterKind, IndicatorAssessment, Review
from backend.domain.enums import Mark
from backend.embedding import build_embedder
from backend.errors import AppError, ErrorCode
from backend.ingest.flows import version_facts
from backend.jobs.enqueue import commit_and_enqueue
from backend.jobs.progress import JobStage
from backend.review.citations import check_assessment
from backend.review.drafters.base import Drafter, IndicatorContext
from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.figures import FactIndex
from backend.review.matcher import MatcherConfig, Ownership, match_point, point_queries
from backend.rubrics.models import Indicator, Rubric
from backend.rubrics.registry import RubricRegistry, rubric_registry
from backend.storage import index_dir
from indexing.embedding import Embedder
from indexing.facts import extract_facts
from indexing.models import Fact
from indexing.pipeline import ProgressCallback, index_documents, no_progress
from indexing.search import HybridSearcher, SearchMode
from indexing.store import Collection

GUIDE_RUBRIC_ID = "ciqa-guide-2021"


def build_drafter(kind: DrafterKind, settings: Settings) -> Drafter:
    """The requested drafter; the LLM drafter falls back to the extractive one per indicator."""
    if kind is DrafterKind.EXTRACTIVE:
        return ExtractiveDrafter()
    # Imported here: LangChain is heavy and only this drafter needs it.
    from backend.review.drafters.llm import build_llm_drafter

    return build_llm_drafter(settings, ExtractiveDrafter())


def assessed_indicators(rubric: Rubric) -> list[Indicator]:
    """Indicators that hold review points directly, in rubric order (the unit of an assessment)."""
    return [ind for _, ind in rubric.iter_indicators() if ind.review_points]


def _site_question(item: IndicatorAssessment, point_id: str) -> str:
    point = next(p for p in item.points if p.point_id == point_id)
    if point.site_visit_zh:
        return point.site_visit_zh
    # Drafts stored before drafters wrote their own question.
    quote = point.evidence[0].quote if point.evidence else ""
    page = point.evidence[0].page_start if point.evidence else None
    where = f"（报告第 {page} 页）" if page else ""
    return f"报告称“{quote}”{where}，请现场查阅相关制度文件、过程记录和成效数据，核实其落实情况。"


def checklists(
    assessments: tuple[IndicatorAssessment, ...],
) -> tuple[tuple[ChecklistItem, ...], tuple[ChecklistItem, ...]]:
    """The 补充材料清单 (every 破折号 point) and the 入校考察问题清单 (every 问号 point)."""
    materials, questions = [], []
    for a in assessments:
        missing = {m.point_id: m.expected_zh for m in a.missing}
        for p in a.points:
            if p.mark is Mark.MORE_MATERIAL:
                materials.append(
                    ChecklistItem(
                        indicator_id=a.indicator_id,
                        point_id=p.point_id,
                        text_zh=missing.get(p.point_id, p.point_text),
                    )
                )
            elif p.mark is Mark.VERIFY_ON_SITE:
                questions.append(
                    ChecklistItem(
                        indicator_id=a.indicator_id,
                        point_id=p.point_id,
                        text_zh=_site_question(a, p.point_id),
                    )
                )
    return tuple(materials), tuple(questions)


def indicator_contexts(
    collection: Collection,
    embedder: Embedder,
    rubric: Rubric,
    *,
    document_id: str,
    registry: RubricRegistry | None = None,
    config: MatcherConfig | None = None,
    facts: Sequence[Fact] = (),
    progress: ProgressCallback = no_progress,
) -> list[IndicatorContext]:
    """Match every review point of ``rubric`` in one document of the collection: what each indicator's drafter
    reads (also what a cost estimate counts)."""
    searcher = HybridSearcher(collection, embedder)
    only = frozenset({document_id})

    texts = list(dict.fromkeys(q for _, p in rubric.iter_points() for q in point_queries(p)))
    vectors = dict(zip(texts, embedder.embed_queries(texts), strict=True))  # one batch: far faster on CPU

    def search(query: str, k: int, mode: SearchMode):
        return searcher.search(query, k, document_ids=only, mode=mode, query_vector=vectors.get(query))

    guide = registry.get(GUIDE_RUBRIC_ID) if registry and GUIDE_RUBRIC_ID in {r.id for r in registry.list()} else None
    indicators = assessed_indicators(rubric)
    chunks = {c.id: c for c in collection.chunks if c.document_id == document_id}
    ownership = Ownership.of(rubric)
    fact_index = FactIndex(facts, list(chunks.values()))
    contexts = []
    for n, indicator in enumerate(indicators, start=1):
        matches = tuple(match_point(search, p, ownership, config, fact_index) for p in indicator.review_points)
        progress(JobStage.MATCH, n, len(indicators))
        cited = {e.chunk_id: chunks[e.chunk_id] for m in matches for e in m.evidence}
        cited.update({m.figure.chunk_id: chunks[m.figure.chunk_id] for m in matches if m.figure})
        contexts.append(
            IndicatorContext(rubric=rubric, indicator=indicator, matches=matches, chunks=cited, guide=guide)
        )
    return contexts


def review_collection(
    collection: Collection,
    embedder: Embedder,
    rubric: Rubric,
    drafter: Drafter,
    *,
    registry: RubricRegistry | None = None,
    config: MatcherConfig | None = None,
    document_id: str | None = None,
    facts: Sequence[Fact] = (),
    progress: ProgressCallback = no_progress,
) -> Review:
    """Match every review point of ``rubric`` in the collection, draft each indicator, verify every quote.

    Quantitative points take their figure from ``facts`` (extracted at ingest); without one they say 未提供.
    """
    started = time.perf_counter()
    if document_id is None:
        if len(collection.documents) != 1:
            raise AppError(ErrorCode.INVALID_INPUT, "请指定要评议的文档。", f"{len(collection.documents)} documents")
        document_id = next(iter(collection.documents))
    contexts = indicator_contexts(
        collection,
        embedder,
        rubric,
        document_id=document_id,
        registry=registry,
        config=config,
        facts=facts,
        progress=progress,
    )
    chunks = {c.id: c for c in collection.chunks if c.document_id == document_id}
    progress(JobStage.DRAFT, 0, len(contexts))
    assessments = drafter.draft_many(contexts)
    for assessment in assessments:
        problems = check_assessment(assessment, chunks)
        if problems:
            # The drafters verify their own quotes; reaching this is a bug, and nothing unverified is stored.
            raise AppError(
                ErrorCode.CONFLICT,
                "评议草稿引用无法核实，未保存。",
                f"{assessment.indicator_id}: {problems[0].reason} ({len(problems)} problems)",
            )
    progress(JobStage.DRAFT, len(contexts), len(contexts))
    materials, questions = checklists(tuple(assessments))
    ref = rubric.ref()
    return Review(
        document_id=document_id,
        document_name=collection.documents[document_id].name,
        rubric_id=ref.id,
        rubric_version=ref.version,
        rubric_fingerprint=ref.fingerprint,
        assessments=tuple(assessments),
        supplementary_materials=materials,
        site_visit_questions=questions,
        seconds=round(time.perf_counter() - started, 3),
    )


def review_file(
    path: Path,
    rubric: Rubric,
    drafter: Drafter,
    embedder: Embedder,
    *,
    registry: RubricRegistry | None = None,
    config: MatcherConfig | None = None,
    parse_options=None,
    chunking_options=None,
    progress: ProgressCallback = no_progress,
) -> Review:
    """One-shot review of a file with no server: parse → index (temporary) → match → draft."""
    from indexing.parsing import parse_path

    progress(JobStage.PARSE, 0, 1)
    document = parse_path(path, parse_options) if parse_options else parse_path(path)
    document_facts = extract_facts(document)
    progress(JobStage.PARSE, 1, 1)

    with tempfile.TemporaryDirectory(prefix="ciqa-review-") as tmp:
        index_documents([document], Path(tmp), embedder, chunking_options=chunking_options, progress=progress)
        collection = Collection.load(Path(tmp))
    return review_collection(
        collection,
        embedder,
        rubric,
        drafter,
        registry=registry,
        config=config,
        document_id=document.id,
        facts=document_facts,
        progress=progress,
    )


def run_review_job(
    session: Session,
    job_id: int,
    settings: Settings,
    progress: ProgressCallback = no_progress,
    *,
    embedder_factory: Callable[[Settings], Embedder] | None = None,
) -> int:
    """The review task's body: review the job's version with its rubric and drafter; store it once."""
    job = jobs.get_job(session, job_id=job_id)
    done = reviews.find_review_for_job(session, job_id=job_id)
    if done is not None:  # a re-delivered message: the review was saved before the worker died
        return done.id
    if job.version_id is None or job.rubric_id is None:
        raise AppError(ErrorCode.INVALID_INPUT, "评审任务缺少文件版本或指标体系。", f"review job {job_id}")
    registry = rubric_registry(settings)
    rubric = registry.get(job.rubric_id)
    drafter = build_drafter(DrafterKind(job.drafter or settings.drafter), settings)
    collection = Collection.load(index_dir(settings, job.version_id))

    review = review_collection(
        collection,
        (embedder_factory or build_embedder)(settings),
        rubric,
        drafter,
        registry=registry,
        facts=version_facts(session, job.version_id, settings),
        progress=progress,
    )
    record = reviews.save_review(session, job_id=job_id, version_id=job.version_id, review=review)
    session.commit()
    return record.id


def versions_to_review(session: Session, *, campaign: Campaign, rerun: bool) -> list[DocumentVersion]:
    """What a campaign-wide review queues: each submission's newest ready report version not yet reviewed with the
    campaign's rubric (``rerun``: reviewed or not), unless its review is already queued or running."""
    found = []
    for submission in submissions.list_submissions(session, campaign_id=campaign.id):
        ready = [
            v
            for v in versions.list_versions(session, submission_id=submission.id, role=DocumentRole.MAIN)
            if v.status is VersionStatus.READY
        ]
        if not ready:
            continue
        newest = ready[-1]
        reviewed = reviews.latest_review(session, version_id=newest.id, rubric_id=campaign.rubric_id) is not None
        pending = any(
            j.kind is JobKind.REVIEW
            and j.rubric_id == campaign.rubric_id
            and j.status in (JobStatus.QUEUED, JobStatus.RUNNING)
            for j in jobs.list_jobs(session, version_id=newest.id)
        )
        if (rerun or not reviewed) and not pending:
            found.append(newest)
    return found


def run_campaign_job(
    session: Session, job_id: int, settings: Settings, progress: ProgressCallback = no_progress
) -> list[int]:
    """The campaign task's body: queue a review of each version :func:`versions_to_review` names."""
    job = jobs.get_job(session, job_id=job_id)
    if job.campaign_id is None:
        raise AppError(ErrorCode.INVALID_INPUT, "任务缺少评审批次。", f"campaign job {job_id}")
    campaign = campaigns.get_campaign(session, campaign_id=job.campaign_id)
    found = versions_to_review(session, campaign=campaign, rerun=job.rerun)
    queued = []
    for n, version in enumerate(found, start=1):
        queued.append(
            jobs.create_review_job(
                session,
                version_id=version.id,
                rubric_id=campaign.rubric_id,
                drafter=job.drafter,
                created_by=job.created_by,
            )
        )
        progress(JobStage.ENQUEUE, n, len(found))
    commit_and_enqueue(session, jobs=queued, settings=settings)
    return [j.id for j in queued]
