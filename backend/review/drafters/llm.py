"""The LLM drafter: a chat model drafts from the retrieved chunks only, and every quote must ground.

One indicator, one prompt (``prompts/indicator_draft_v1.j2``). The answer is JSON validated by
:class:`~backend.review.llm_schema.LLMIndicatorDraft`, then grounded: each citation must name a chunk the
model was shown and quote it verbatim; offsets and pages are computed here, never taken from the model.
An answer that fails is retried once with the problem stated; a second failure, a timeout or an endpoint
error makes that indicator fall back to the extractive drafter, and ``draft.fallback_reason`` says why.
Valid answers are cached on disk by (prompt id and version, model, rendered prompt).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import SecretStr

from backend.config import Settings
from backend.domain.assessment import (
    Advice,
    DrafterKind,
    DraftInfo,
    Evidence,
    IndicatorAssessment,
    MissingEvidence,
    PointAssessment,
)
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode
from backend.review.citations import check_assessment, quote_pages
from backend.review.drafters.base import Drafter, IndicatorContext, PointMatch
from backend.review.drafters.gaps import site_question
from backend.review.drafters.judge import BorderlineJudge
from backend.review.drafters.llm_client import (
    AnswerCache,
    AnswerRejected,
    CachedAnswer,
    FallbackReason,
    LLMClient,
    PromptEvidence,
    RetryPolicy,
    TokenBudget,
    Usage,
    chunk_pages,
    validated,
)
from backend.review.llm_schema import LLMIndicatorDraft, LLMPointDraft
from backend.review.prompts import Prompt, default_prompts
from backend.review.rating import scale_level
from backend.rubrics.models import ReviewPoint
from indexing.models import Chunk

VERSION = "1.1"
log = logging.getLogger(__name__)

# Endpoints without authentication (vLLM, Ollama) still need a non-empty key for the OpenAI client.
_NO_KEY = "EMPTY"
# For the estimate before a run: Chinese prompts run about 1.5 characters per token in Qwen/GLM/DeepSeek
# tokenizers, and an answer about 150 tokens per review point (measured on the scripted answers' size).
CHARS_PER_TOKEN = 1.5
ANSWER_TOKENS_PER_POINT = 150


@dataclass(frozen=True)
class AdviceSource:
    """A value the model may give as an advice source, with the recommendation text it stands for."""

    link: str
    text: str | None


@dataclass(frozen=True)
class PromptPoint:
    """A review point as the prompt shows it: the evidence retrieved for it and its allowed advice sources."""

    point: ReviewPoint
    evidence_refs: tuple[str, ...]
    sources: tuple[AdviceSource, ...]


def evidence_refs(context: IndicatorContext) -> dict[str, Chunk]:
    """The chunks the model is shown, under references E1, E2 … in context order."""
    return {f"E{n}": chunk for n, chunk in enumerate(context.chunks.values(), start=1)}


def parse_answer(text: str) -> LLMIndicatorDraft:
    """Parse a reply: reasoning blocks and code fences removed, then the JSON object validated."""
    return validated(LLMIndicatorDraft, text)


def _sources(point: ReviewPoint, context: IndicatorContext) -> tuple[AdviceSource, ...]:
    """The point's links to guide recommendations (with their text, where known) and the point itself."""
    known = {r.id: r for r in (context.rubric, context.guide) if r is not None}
    out = []
    for link in point.links:
        rubric_id, _, point_id = link.partition(":")
        rubric = known.get(rubric_id)
        text = next((p.text for _, p in rubric.iter_points() if p.id == point_id), None) if rubric else None
        out.append(AdviceSource(link, text))
    out.append(AdviceSource(f"{context.rubric.id}:{point.id}", None))
    return tuple(out)


def _citation_evidence(
    point: LLMPointDraft, match: PointMatch, refs: Mapping[str, Chunk], retrieved: Mapping[str, Evidence]
) -> tuple[Evidence, ...]:
    """Ground every citation of one point: a shown chunk, quoted verbatim; offsets and pages computed here."""
    by_id = {c.id: c for c in refs.values()}
    own = {e.chunk_id: e for e in match.evidence}
    out = []
    for rank, citation in enumerate(point.citations, start=1):
        chunk = refs.get(citation.chunk_id) or by_id.get(citation.chunk_id)
        if chunk is None:
            raise AnswerRejected(
                FallbackReason.CHUNK_NOT_GIVEN,
                f"point {point.point_id} cites {citation.chunk_id[:40]!r}, which was not among the evidence shown",
            )
        span = chunk.find(citation.quote)
        if span is None:
            ref = next(r for r, c in refs.items() if c.id == chunk.id)
            raise AnswerRejected(
                FallbackReason.QUOTE_NOT_FOUND,
                f"point {point.point_id}: a quote of {len(citation.quote)} chars is not verbatim in {ref}",
            )
        start, end = span
        pages = quote_pages(chunk, start, end)
        # Retrieval scores for this point where it retrieved the chunk, else from the point that did.
        scores = own.get(chunk.id) or retrieved.get(chunk.id)
        out.append(
            Evidence(
                chunk_id=chunk.id,
                document_id=chunk.document_id,
                quote=chunk.text[start:end],
                quote_start=start,
                quote_end=end,
                page_start=pages[0],
                page_end=pages[1],
                heading_path=chunk.heading_path,
                fused_score=scores.fused_score if scores else 0.0,
                dense_score=scores.dense_score if scores else None,
                bm25_score=scores.bm25_score if scores else None,
                rank=rank,
                matched_terms=tuple(t for t in match.point.key_terms if t in chunk.text),
            )
        )
    return tuple(out)


def _expected(point: ReviewPoint) -> str:
    return "未找到充分证据，应提供：" + ("；".join(point.evidence) or point.text)


def ground(answer: LLMIndicatorDraft, context: IndicatorContext, info: DraftInfo) -> IndicatorAssessment:
    """Turn a validated answer into an assessment, rejecting anything not grounded in the shown chunks."""
    refs = evidence_refs(context)
    level = scale_level(context.rubric.scale, answer.level)
    if level is None:
        scale = sorted(lv.id for lv in context.rubric.scale)
        raise AnswerRejected(FallbackReason.UNKNOWN_LEVEL, f"level {answer.level[:20]!r} is not in {scale}")
    matches = {m.point.id: m for m in context.matches}
    drafted: dict[str, LLMPointDraft] = {}
    for p in answer.points:
        if p.point_id not in matches or p.point_id in drafted:
            raise AnswerRejected(FallbackReason.UNKNOWN_POINT, f"point {p.point_id[:20]!r} is unknown or repeated")
        drafted[p.point_id] = p
    absent = [pid for pid in matches if pid not in drafted]
    if absent:
        raise AnswerRejected(FallbackReason.MISSING_POINT, f"no answer for points {absent}")
    retrieved = {e.chunk_id: e for m in context.matches for e in m.evidence}
    points, missing, advice = [], [], []
    for match in context.matches:
        p = drafted[match.point.id]
        evidence = _citation_evidence(p, match, refs, retrieved)
        if p.mark is not Mark.MORE_MATERIAL and not evidence:
            raise AnswerRejected(
                FallbackReason.UNCITED_MARK, f"point {p.point_id} is marked {p.mark.value} without a quote"
            )
        allowed = {s.link for s in _sources(match.point, context)}
        for a in p.advice:
            if a.source not in allowed:
                raise AnswerRejected(
                    FallbackReason.ADVICE_SOURCE, f"point {p.point_id}: advice source {a.source[:60]!r} not allowed"
                )
            advice.append(Advice(text_zh=a.text_zh, source=a.source, point_id=p.point_id))
        if p.mark is Mark.MORE_MATERIAL:
            metric = match.point.metric
            missing.append(
                MissingEvidence(
                    point_id=p.point_id,
                    expected_zh=(p.missing_zh or "").strip() or _expected(match.point),
                    metric=metric.name if metric and match.figure is None else None,
                )
            )
        points.append(
            PointAssessment(
                point_id=p.point_id,
                point_text=match.point.text,
                mark=p.mark,
                evidence=evidence,
                figure=match.figure,
                signals=match.signals,
                rationale_zh=p.rationale_zh,
                site_visit_zh=site_question(match.point, evidence, match.figure)
                if p.mark is Mark.VERIFY_ON_SITE
                else None,
            )
        )
    assessment = IndicatorAssessment(
        indicator_id=context.indicator.id,
        indicator_name=context.indicator.name,
        level=level.id,
        level_label=level.label,
        confidence=answer.confidence,
        points=tuple(points),
        missing=tuple(missing),
        advice=tuple(advice),
        rationale_zh=answer.rationale_zh,
        draft=info,
    )
    # The last gate is the same check the review flow applies before storing anything.
    problems = check_assessment(assessment, context.chunks)
    if problems:
        first = problems[0]
        raise AnswerRejected(FallbackReason.CITATION_CHECK, f"point {first.point_id}: {first.reason}")
    return assessment


def _feedback(rejected: AnswerRejected) -> str:
    return (
        f"上面的回答未通过校验（{rejected.reason.value}：{rejected.detail}）。"
        "请严格按要求修正：quote 必须从所引片段中逐字复制，每个审核重点都要回答，"
        "level、point_id、chunk_id 和 source 只能取给定的值。只输出完整的 JSON 对象。"
    )


@dataclass(frozen=True)
class CostEstimate:
    """What a run would cost before it starts: model calls, cached answers, tokens and price."""

    indicators: int
    cached: int
    prompt_tokens: int
    completion_tokens: int
    cost: float

    def times(self, reviews: int) -> CostEstimate:
        """The estimate for ``reviews`` reviews like this one (a campaign)."""
        return CostEstimate(
            self.indicators * reviews,
            self.cached * reviews,
            self.prompt_tokens * reviews,
            self.completion_tokens * reviews,
            round(self.cost * reviews, 4),
        )


class LLMDrafter:
    """Drafts with a chat model; any answer that does not validate and ground falls back to ``fallback``."""

    kind = DrafterKind.LLM
    version = VERSION

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        prompt: Prompt,
        model_name: str,
        fallback: Drafter,
        cache_dir: Path | None = None,
        timeout_s: float = 120.0,
        max_concurrency: int = 4,
        retry: RetryPolicy | None = None,
        token_budget: int = 0,
        judge: BorderlineJudge | None = None,
        prices_per_1k: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        self.client = LLMClient(chat_model, timeout_s=timeout_s, max_concurrency=max_concurrency, retry=retry)
        self.prompt = prompt
        self.model_name = model_name
        self.fallback = fallback
        self.token_budget = token_budget
        self.judge = judge
        self.prices_per_1k = prices_per_1k
        self._cache = AnswerCache(cache_dir) if cache_dir is not None else None

    @property
    def chat_model(self) -> BaseChatModel:
        """The chat model behind the client."""
        return self.client.chat_model

    @property
    def max_concurrency(self) -> int:
        """Calls in flight at most."""
        return self.client.max_concurrency

    def render(self, context: IndicatorContext) -> str:
        """The prompt for one indicator: rubric text plus the context's chunks, nothing else."""
        refs = evidence_refs(context)
        ref_of = {c.id: r for r, c in refs.items()}
        points = [
            PromptPoint(
                point=m.point,
                evidence_refs=tuple(ref_of[e.chunk_id] for e in m.evidence if e.chunk_id in ref_of),
                sources=_sources(m.point, context),
            )
            for m in context.matches
        ]
        evidence = [
            PromptEvidence(ref=r, pages=chunk_pages(c), heading=" > ".join(c.heading_path), text=c.text)
            for r, c in refs.items()
        ]
        return self.prompt.render(
            rubric_name=context.rubric.name,
            scale=sorted(context.rubric.scale, key=lambda lv: -lv.score),
            indicator=context.indicator,
            points=points,
            evidence=evidence,
            marks=Mark,
        )

    def _key(self, rendered: str) -> str:
        payload = json.dumps([self.prompt.ref, self.model_name, rendered], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def _info(self, started: float, usage: Usage) -> DraftInfo:
        return DraftInfo(
            drafter=self.kind,
            version=self.version,
            prompt_id=self.prompt.ref,
            model=self.model_name,
            seconds=round(time.perf_counter() - started, 4),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )

    def estimate(self, contexts: Sequence[IndicatorContext]) -> CostEstimate:
        """Tokens and price of drafting ``contexts`` (one review), counting answers already cached as free."""
        cached, prompt_chars, points = 0, 0, 0
        for context in contexts:
            rendered = self.render(context)
            if self._cache is not None and self._cache.get(self._key(rendered)) is not None:
                cached += 1
                continue
            prompt_chars += len(rendered)
            points += len(context.matches)
        prompt_tokens = round(prompt_chars / CHARS_PER_TOKEN)
        completion_tokens = points * ANSWER_TOKENS_PER_POINT
        price_in, price_out = self.prices_per_1k
        cost = round(prompt_tokens / 1000 * price_in + completion_tokens / 1000 * price_out, 4)
        return CostEstimate(len(contexts), cached, prompt_tokens, completion_tokens, cost)

    def _answer(
        self, context: IndicatorContext, rendered: str, started: float, usage: Usage, budget: TokenBudget | None
    ) -> tuple[str, IndicatorAssessment]:
        """Ask, ground, and on a rejected answer ask once more, saying what was wrong."""
        messages: list[BaseMessage] = [HumanMessage(rendered)]
        answer = self.client.ask(messages, usage, budget)
        try:
            return answer, ground(parse_answer(answer), context, self._info(started, usage))
        except AnswerRejected as first:
            retry = [*messages, AIMessage(answer), HumanMessage(_feedback(first))]
        answer = self.client.ask(retry, usage, budget)
        try:
            return answer, ground(parse_answer(answer), context, self._info(started, usage))
        except AnswerRejected as second:
            raise AnswerRejected(second.reason, second.detail, attempts=2) from second

    def _fall_back(
        self, context: IndicatorContext, rejected: AnswerRejected, started: float, usage: Usage
    ) -> IndicatorAssessment:
        log.warning("indicator %s falls back to %s: %s", context.indicator.id, self.fallback.kind.value, rejected)
        assessment = self.fallback.draft(context)
        reason = f"{rejected.reason.value}: {rejected.detail} (attempts: {rejected.attempts})"
        info = assessment.draft.model_copy(
            update={
                "prompt_id": self.prompt.ref,
                "model": self.model_name,
                "seconds": round(time.perf_counter() - started, 4),
                "fallback_reason": reason,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
            }
        )
        return assessment.model_copy(update={"draft": info})

    def draft(self, context: IndicatorContext, budget: TokenBudget | None = None) -> IndicatorAssessment:
        """Assess one indicator with the model, or with the fallback drafter if the answer fails."""
        started = time.perf_counter()
        usage = Usage()
        assessment = self._draft(context, started, usage, budget)
        if self.judge is not None:
            assessment = self.judge.judge(assessment, context, self.client, budget)
        return assessment

    def _draft(
        self, context: IndicatorContext, started: float, usage: Usage, budget: TokenBudget | None
    ) -> IndicatorAssessment:
        rendered = self.render(context)
        key = self._key(rendered)
        cached = self._cache.get(key) if self._cache else None
        if cached is not None:
            try:
                return ground(parse_answer(cached), context, self._info(started, usage))
            except AnswerRejected:
                log.info("cached answer %s no longer validates; asking the model again", key[:12])
        try:
            answer, assessment = self._answer(context, rendered, started, usage, budget)
        except AnswerRejected as rejected:
            return self._fall_back(context, rejected, started, usage)
        if self._cache:
            self._cache.put(key, CachedAnswer(prompt=self.prompt.ref, model=self.model_name, answer=answer))
        return assessment

    def draft_many(self, contexts: Sequence[IndicatorContext]) -> list[IndicatorAssessment]:
        """Assess one review's indicators, at most ``max_concurrency`` at a time, within the review's token budget."""
        budget = TokenBudget(self.token_budget)
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="ciqa-draft") as pool:
            return list(pool.map(partial(self.draft, budget=budget), contexts))


def chat_model_for(settings: Settings, *, base_url: str | None = None, model: str | None = None) -> BaseChatModel:
    """A LangChain ``ChatOpenAI`` on the configured (or given) OpenAI-compatible endpoint; nothing is contacted."""
    base_url = base_url if base_url is not None else settings.llm_base_url
    model = model if model is not None else settings.llm_model
    if not base_url or not model:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            "未配置大模型服务：请设置 CIQA_LLM_BASE_URL 和 CIQA_LLM_MODEL。",
            "llm_base_url and llm_model are required for the llm drafter",
        )
    # Imported here: the OpenAI client is heavy and only deployments with an endpoint need it.
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=settings.llm_api_key if settings.llm_api_key.get_secret_value() else SecretStr(_NO_KEY),
        timeout=settings.llm_timeout_s,
        # Retries are ours (backoff on Retry-After, never holding a call slot while waiting).
        max_retries=0,
        temperature=0,
        streaming=settings.llm_streaming,
        stream_usage=True,
    )


def build_llm_drafter(settings: Settings, fallback: Drafter, *, base_url: str | None = None, model: str | None = None):
    """An LLM drafter (with the borderline judge unless disabled) on the configured endpoint; nothing is contacted."""
    chat_model = chat_model_for(settings, base_url=base_url, model=model)
    model_name = model or settings.llm_model
    prompts = default_prompts(settings.prompts_dir)
    judge = (
        BorderlineJudge(
            prompt=prompts.get(settings.llm_judge_prompt_id),
            model_name=model_name,
            cache_dir=settings.llm_cache_dir,
        )
        if settings.llm_judge
        else None
    )
    return LLMDrafter(
        chat_model,
        prompt=prompts.get(settings.llm_prompt_id),
        model_name=model_name,
        fallback=fallback,
        cache_dir=settings.llm_cache_dir,
        timeout_s=settings.llm_timeout_s,
        max_concurrency=settings.llm_max_concurrency,
        retry=RetryPolicy(settings.llm_max_retries, settings.llm_backoff_s, settings.llm_max_backoff_s),
        token_budget=settings.llm_token_budget,
        judge=judge,
        prices_per_1k=(settings.llm_price_input_per_1k, settings.llm_price_output_per_1k),
    )
