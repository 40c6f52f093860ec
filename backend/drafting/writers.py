"""Section writers: the extractive writer (selected quotes, no model) and the LLM writer (every quote verified)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ConfigDict, Field

from backend.config import Settings
from backend.domain.assessment import DrafterKind, Evidence
from backend.domain.enums import Mark
from backend.domain.report_draft import DraftFigure, DraftSentence, DroppedSentence, PointDraft
from backend.drafting.verify import support_problem
from backend.review.citations import quote_pages
from backend.review.drafters.base import PointMatch
from backend.review.drafters.gaps import missing_evidence, point_gap
from backend.review.drafters.llm_client import (
    AnswerRejected,
    LLMClient,
    PromptEvidence,
    RetryPolicy,
    Usage,
    chunk_pages,
    validated,
)
from backend.review.prompts import Prompt, default_prompts
from backend.rubrics.models import Indicator
from indexing.models import Chunk

log = logging.getLogger(__name__)

PROMPT_ID = "report_draft"


@dataclass(frozen=True)
class SectionContext:
    """One section (二级指标) to write: its points' matches and every chunk of the materials by id."""

    indicator: Indicator
    matches: tuple[PointMatch, ...]
    chunks: Mapping[str, Chunk]


@dataclass(frozen=True)
class SectionResult:
    """A written section: its points, the model sentences dropped, and why the model's answer was given back."""

    points: tuple[PointDraft, ...]
    dropped: tuple[DroppedSentence, ...] = ()
    fallback_reason: str | None = None


class SectionWriter(Protocol):
    """Writes the sections of a draft."""

    kind: DrafterKind
    model: str | None

    def write_many(self, contexts: Sequence[SectionContext]) -> list[SectionResult]:
        """Write sections; results in input order."""
        ...


def is_gap(match: PointMatch) -> bool:
    """The materials hold nothing for the point: no paragraph is mainly about it and no figure states it."""
    return match.figure is None and (match.mark is Mark.MORE_MATERIAL or not _quotable(match.evidence))


def _quotable(evidence: Sequence[Evidence]) -> list[Evidence]:
    # Table rows are stated by the point's figure (from the extracted facts), not as sentences.
    return [e for e in evidence if e.display_zh is None]


def _figure(match: PointMatch, chunks: Mapping[str, Chunk]) -> DraftFigure | None:
    if match.figure is None:
        return None
    return DraftFigure(figure=match.figure, document_id=chunks[match.figure.chunk_id].document_id)


def _gap_point(match: PointMatch, chunks: Mapping[str, Chunk]) -> PointDraft:
    expected = missing_evidence(match, point_gap(match, chunks)).expected_zh
    return PointDraft(point_id=match.point.id, point_text=match.point.text, gap_zh=expected)


def extractive_point(match: PointMatch, chunks: Mapping[str, Chunk], seen: set[str]) -> PointDraft:
    """The point's best quotes as its sentences (a quote already used in the section is not repeated)."""
    if is_gap(match):
        return _gap_point(match, chunks)
    sentences = []
    for ev in _quotable(match.evidence):
        if ev.quote in seen:
            continue
        seen.add(ev.quote)
        sentences.append(DraftSentence(text=ev.quote, evidence=ev))
    return PointDraft(
        point_id=match.point.id,
        point_text=match.point.text,
        sentences=tuple(sentences),
        figure=_figure(match, chunks),
    )


class ExtractiveWriter:
    """Sentences are the matcher's verbatim quotes, in rank order; deterministic and needs no model."""

    kind = DrafterKind.EXTRACTIVE
    model = None

    def write(self, context: SectionContext) -> SectionResult:
        """Write one section."""
        seen: set[str] = set()
        return SectionResult(tuple(extractive_point(m, context.chunks, seen) for m in context.matches))

    def write_many(self, contexts: Sequence[SectionContext]) -> list[SectionResult]:
        """Write sections one after another (cheap)."""
        return [self.write(c) for c in contexts]


class LLMSentence(BaseModel):
    """A sentence the model wrote, with the evidence reference and the verbatim quote it rests on."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    ref: str
    quote: str = Field(min_length=1)


class LLMPoint(BaseModel):
    """The model's sentences for one 审核重点."""

    model_config = ConfigDict(extra="ignore")

    point_id: str
    sentences: list[LLMSentence] = Field(default_factory=list)


class LLMSection(BaseModel):
    """The model's answer for one section."""

    model_config = ConfigDict(extra="ignore")

    points: list[LLMPoint]


def quote_evidence(chunk: Chunk, start: int, end: int, rank: int) -> Evidence:
    """Evidence for chunk text ``[start, end)`` with its page span (no retrieval scores: a model chose it)."""
    pages = quote_pages(chunk, start, end)
    return Evidence(
        chunk_id=chunk.id,
        document_id=chunk.document_id,
        quote=chunk.text[start:end],
        quote_start=start,
        quote_end=end,
        page_start=pages[0],
        page_end=pages[1],
        heading_path=chunk.heading_path,
        fused_score=0.0,
        rank=rank,
    )


@dataclass(frozen=True)
class PromptPoint:
    """A 审核重点 as the prompt shows it, with the references of its evidence."""

    id: str
    text: str
    expected: str
    refs: tuple[str, ...]


class LLMWriter:
    """Sentences from a chat model; each is kept only if its quote is verbatim in a shown chunk and supports it.

    A sentence that fails is dropped and listed; a point left with no sentence gets the extractive ones; an answer
    that is not valid JSON (after the client's retries) gives the section back to the extractive writer, with why.
    """

    kind = DrafterKind.LLM

    def __init__(self, client: LLMClient, *, prompt: Prompt, model: str) -> None:
        self.client = client
        self.prompt = prompt
        self.model = model
        self.fallback = ExtractiveWriter()

    def _shown(self, context: SectionContext) -> dict[str, Chunk]:
        shown: dict[str, Chunk] = {}
        for m in context.matches:
            if is_gap(m):
                continue
            for ev in _quotable(m.evidence):
                chunk = context.chunks[ev.chunk_id]
                if chunk not in shown.values():
                    shown[f"E{len(shown) + 1}"] = chunk
        return shown

    def render(self, context: SectionContext, shown: Mapping[str, Chunk]) -> str:
        """The prompt of one section: its points (gaps left out) and the chunks the model may quote."""
        ref_of = {c.id: r for r, c in shown.items()}
        points = [
            PromptPoint(
                id=m.point.id,
                text=m.point.text,
                expected="；".join(m.point.evidence),
                refs=tuple(dict.fromkeys(ref_of[e.chunk_id] for e in _quotable(m.evidence))),
            )
            for m in context.matches
            if not is_gap(m)
        ]
        evidence = [
            PromptEvidence(ref=r, pages=chunk_pages(c), heading=" > ".join(c.heading_path), text=c.text)
            for r, c in shown.items()
        ]
        return self.prompt.render(indicator=context.indicator, points=points, evidence=evidence)

    def _point(
        self, match: PointMatch, answer: LLMPoint | None, context: SectionContext, shown: Mapping[str, Chunk]
    ) -> tuple[PointDraft, list[DroppedSentence]]:
        if is_gap(match):
            return _gap_point(match, context.chunks), []
        kept, dropped = [], []
        for n, s in enumerate(answer.sentences if answer else [], start=1):
            chunk = shown.get(s.ref.strip("[] "))
            span = chunk.find(s.quote) if chunk is not None else None
            reason = (
                "引用的证据片段不存在"
                if chunk is None
                else "引文在证据片段中不存在（非逐字引用）"
                if span is None
                else None
            )
            if reason is None and support_problem(s.text, s.quote) is not None:
                reason = "句子内容超出引文（含引文中没有的数字或表述）"
            if reason is not None:
                dropped.append(DroppedSentence(point_id=match.point.id, text=s.text, reason=reason))
                continue
            kept.append(DraftSentence(text=s.text, evidence=quote_evidence(chunk, span[0], span[1], n)))
        if not kept:
            return extractive_point(match, context.chunks, set()), dropped
        point = PointDraft(
            point_id=match.point.id,
            point_text=match.point.text,
            sentences=tuple(kept),
            figure=_figure(match, context.chunks),
        )
        return point, dropped

    def write(self, context: SectionContext) -> SectionResult:
        """Write one section with the model, or with the extractive writer if its answer is unusable."""
        shown = self._shown(context)
        if not shown:
            return self.fallback.write(context)
        started = time.perf_counter()
        try:
            text = self.client.ask([HumanMessage(self.render(context, shown))], Usage())
            answer = validated(LLMSection, text)
        except AnswerRejected as rejected:
            log.warning("section %s falls back to extractive: %s", context.indicator.id, rejected)
            result = self.fallback.write(context)
            reason = f"{context.indicator.id}: {rejected.reason.value}: {rejected.detail}"
            return SectionResult(result.points, fallback_reason=reason)
        by_id = {p.point_id: p for p in answer.points}
        points, dropped = [], []
        for m in context.matches:
            point, lost = self._point(m, by_id.get(m.point.id), context, shown)
            points.append(point)
            dropped += lost
        log.info("section %s drafted by %s in %.1f s", context.indicator.id, self.model, time.perf_counter() - started)
        return SectionResult(tuple(points), tuple(dropped))

    def write_many(self, contexts: Sequence[SectionContext]) -> list[SectionResult]:
        """Write sections, at most the client's concurrency at a time."""
        with ThreadPoolExecutor(max_workers=self.client.max_concurrency, thread_name_prefix="ciqa-report") as pool:
            return list(pool.map(self.write, contexts))


def build_writer(kind: DrafterKind, settings: Settings) -> SectionWriter:
    """The requested writer; the LLM writer needs a configured endpoint (nothing is contacted here)."""
    if kind is DrafterKind.EXTRACTIVE:
        return ExtractiveWriter()
    from backend.review.drafters.llm import chat_model_for

    client = LLMClient(
        chat_model_for(settings),
        timeout_s=settings.llm_timeout_s,
        max_concurrency=settings.llm_max_concurrency,
        retry=RetryPolicy(settings.llm_max_retries, settings.llm_backoff_s, settings.llm_max_backoff_s),
    )
    return LLMWriter(client, prompt=default_prompts(settings.prompts_dir).get(PROMPT_ID), model=settings.llm_model)
