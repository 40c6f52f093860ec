"""Compose a draft report: for every 审核重点 of the rubric, retrieve from all the materials, write, verify."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from backend.domain.assessment import DrafterKind, ReportedFigure
from backend.domain.report_draft import (
    ChapterDraft,
    DraftFigure,
    FigureConflict,
    GapItem,
    InstitutionProfile,
    ReportDraft,
    SectionDraft,
    SourceDocument,
)
from backend.drafting.verify import check_draft
from backend.drafting.writers import SectionContext, SectionResult, SectionWriter
from backend.errors import AppError, ErrorCode
from backend.jobs.progress import JobStage
from backend.review.figures import FactIndex
from backend.review.flows import assessed_indicators
from backend.review.matcher import MatcherConfig, Ownership, match_point, point_queries
from backend.rubrics.models import Metric, Rubric
from indexing.embedding import Embedder
from indexing.models import Fact
from indexing.pipeline import ProgressCallback, no_progress
from indexing.search import HybridSearcher, SearchMode
from indexing.store import Collection


@dataclass(frozen=True)
class Materials:
    """A submission's supporting files as one searchable collection, with each document's extracted facts."""

    collection: Collection
    documents: tuple[SourceDocument, ...]
    facts: Mapping[str, Sequence[Fact]]


class MultiFactIndex:
    """Figure lookup over several documents, each document's facts against its own chunks.

    A metric stated with one value (in one file or several) is that figure; stated with different values (a
    yearly report says 592 专任教师, the data table 1827) it is no figure at all: the conflict is kept for the
    university to resolve (a wrong number is worse than none).
    """

    def __init__(self, materials: Materials) -> None:
        chunks = materials.collection.chunks
        self._indexes = [
            (
                d.document_id,
                FactIndex(
                    materials.facts.get(d.document_id, ()), [c for c in chunks if c.document_id == d.document_id]
                ),
            )
            for d in materials.documents
        ]
        self.conflicts: dict[str, tuple[DraftFigure, ...]] = {}

    def lookup(self, metric: Metric) -> ReportedFigure | None:
        """The metric's figure when every statement of it agrees, else None (a conflict is recorded)."""
        found = [
            DraftFigure(figure=f, document_id=doc) for doc, index in self._indexes for f in index.lookup_all(metric)
        ]
        if len({round(f.figure.value, 6) for f in found}) > 1:
            self.conflicts[metric.name] = tuple(found)
            return None
        return found[0].figure if found else None


def _with_conflicts(result: SectionResult, conflicts: tuple[FigureConflict, ...]) -> SectionResult:
    """A point left without material because its figures disagree says so, instead of "not provided"."""
    said = {c.point_id: c.text_zh for c in conflicts}
    points = tuple(
        p.model_copy(update={"gap_zh": f"「{p.point_text}」：{said[p.point_id]}"})
        if p.point_id in said and p.gap_zh is not None
        else p
        for p in result.points
    )
    return SectionResult(points, result.dropped, result.fallback_reason)


def draft_report(
    materials: Materials,
    embedder: Embedder,
    rubric: Rubric,
    writer: SectionWriter,
    profile: InstitutionProfile,
    *,
    config: MatcherConfig | None = None,
    progress: ProgressCallback = no_progress,
) -> ReportDraft:
    """Draft a report in the rubric's shape (chapter per 一级指标, section per 二级指标) from the materials.

    Raises:
        AppError: ``INVALID_INPUT`` without materials; ``CONFLICT`` if a written sentence fails verification (a
            writer verifies its own quotes: reaching this is a bug, and nothing unverified is stored).
    """
    started = time.perf_counter()
    collection = materials.collection
    if not collection.chunks:
        raise AppError(ErrorCode.INVALID_INPUT, "没有可用的支撑材料，请先上传并等待解析完成。", "empty collection")
    searcher = HybridSearcher(collection, embedder)
    texts = list(dict.fromkeys(q for _, p in rubric.iter_points() for q in point_queries(p)))
    vectors = dict(zip(texts, embedder.embed_queries(texts), strict=True))

    def search(query: str, k: int, mode: SearchMode):
        return searcher.search(query, k, mode=mode, query_vector=vectors.get(query))

    chunks = {c.id: c for c in collection.chunks}
    ownership = Ownership.of(rubric)
    facts = MultiFactIndex(materials)
    indicators = assessed_indicators(rubric)
    contexts = []
    for n, indicator in enumerate(indicators, start=1):
        matches = tuple(match_point(search, p, ownership, config, facts) for p in indicator.review_points)
        contexts.append(SectionContext(indicator=indicator, matches=matches, chunks=chunks))
        progress(JobStage.MATCH, n, len(indicators))
    progress(JobStage.WRITE, 0, len(contexts))
    results = writer.write_many(contexts)
    progress(JobStage.WRITE, len(contexts), len(contexts))

    conflicts = tuple(
        FigureConflict(point_id=m.point.id, metric=m.point.metric.name, figures=facts.conflicts[m.point.metric.name])
        for c in contexts
        for m in c.matches
        if m.point.metric is not None and m.point.metric.name in facts.conflicts
    )
    results = [_with_conflicts(r, conflicts) for r in results]
    tops = rubric.first_levels()
    chapters: dict[str, list[SectionDraft]] = {}
    gaps = []
    for context, result in zip(contexts, results, strict=True):
        section = SectionDraft(indicator_id=context.indicator.id, name=context.indicator.name, points=result.points)
        chapters.setdefault(tops[context.indicator.id].id, []).append(section)
        gaps += [
            GapItem(
                indicator_id=section.indicator_id, point_id=p.point_id, point_text=p.point_text, expected_zh=p.gap_zh
            )
            for p in result.points
            if p.gap_zh is not None
        ]
    by_id = {ind.id: ind for _, ind in rubric.iter_indicators()}
    draft = ReportDraft(
        rubric_id=rubric.id,
        rubric_name=rubric.name,
        rubric_version=rubric.version,
        profile=profile,
        documents=materials.documents,
        chapters=tuple(
            ChapterDraft(indicator_id=i, name=by_id[i].name, sections=tuple(s)) for i, s in chapters.items()
        ),
        gaps=tuple(gaps),
        conflicts=conflicts,
        dropped=tuple(d for r in results for d in r.dropped),
        drafter=writer.kind,
        model=writer.model if writer.kind is DrafterKind.LLM else None,
        fallback_reasons=tuple(r.fallback_reason for r in results if r.fallback_reason),
        seconds=round(time.perf_counter() - started, 3),
    )
    problems = check_draft(draft, chunks)
    if problems:
        raise AppError(
            ErrorCode.CONFLICT,
            "报告草稿的引文无法核实，未保存。",
            f"{problems[0].point_id}: {problems[0].reason} ({len(problems)} problems)",
        )
    return draft
