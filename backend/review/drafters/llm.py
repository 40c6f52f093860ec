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
import queue
import re
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

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
from backend.review.llm_schema import LLMIndicatorDraft, LLMPointDraft
from backend.review.prompts import Prompt, default_prompts
from backend.review.rating import scale_level
from backend.rubrics.models import ReviewPoint
from indexing.models import Chunk

VERSION = "1.0"
log = logging.getLogger(__name__)

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
# Endpoints without authentication (vLLM, Ollama) still need a non-empty key for the OpenAI client.
_NO_KEY = "EMPTY"
_DETAIL_CHARS = 300


class FallbackReason(StrEnum):
    """Why an LLM answer was not used."""

    TIMEOUT = "timeout"
    MODEL_ERROR = "model_error"
    INVALID_JSON = "invalid_json"
    SCHEMA_INVALID = "schema_invalid"
    UNKNOWN_POINT = "unknown_point"
    MISSING_POINT = "missing_point"
    UNKNOWN_LEVEL = "unknown_level"
    CHUNK_NOT_GIVEN = "chunk_not_given"
    QUOTE_NOT_FOUND = "quote_not_found"
    UNCITED_MARK = "uncited_mark"
    ADVICE_SOURCE = "advice_source"
    CITATION_CHECK = "citation_check"


class AnswerRejected(Exception):
    """An answer or call that cannot become a draft; ``detail`` never repeats the model's quotes."""

    def __init__(self, reason: FallbackReason, detail: str, attempts: int = 1) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.attempts = attempts


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


@dataclass(frozen=True)
class PromptEvidence:
    """One retrieved chunk as the prompt shows it, under a short reference the model can copy."""

    ref: str
    pages: str
    heading: str
    text: str


class CachedAnswer(BaseModel):
    """A validated model answer stored on disk."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    model: str
    answer: str


def evidence_refs(context: IndicatorContext) -> dict[str, Chunk]:
    """The chunks the model is shown, under references E1, E2 … in context order."""
    return {f"E{n}": chunk for n, chunk in enumerate(context.chunks.values(), start=1)}


def parse_answer(text: str) -> LLMIndicatorDraft:
    """Parse a reply: reasoning blocks and code fences removed, then the JSON object validated."""
    body = _THINK.sub("", text).strip()
    fenced = _FENCE.search(body)
    if fenced:
        body = fenced.group(1).strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise AnswerRejected(FallbackReason.INVALID_JSON, "no JSON object in the answer")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as e:
        raise AnswerRejected(FallbackReason.INVALID_JSON, f"{e.msg} at char {e.pos}") from e
    try:
        return LLMIndicatorDraft.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AnswerRejected(
            FallbackReason.SCHEMA_INVALID, f"{e.error_count()} errors, first at {where}: {first['msg']}"
        ) from e


def _pages(chunk: Chunk) -> str:
    if chunk.page_start is None:
        return ""
    if chunk.page_end in (None, chunk.page_start):
        return f"第 {chunk.page_start} 页"
    return f"第 {chunk.page_start}–{chunk.page_end} 页"


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


class _AnswerCache:
    """Validated answers as one JSON file per key, written atomically so parallel drafts never read half a file."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def _path(self, key: str) -> Path:
        return self._dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        try:
            return CachedAnswer.model_validate_json(self._path(key).read_text(encoding="utf-8")).answer
        except (OSError, ValidationError):
            return None

    def put(self, key: str, record: CachedAnswer) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_text(record.model_dump_json(), encoding="utf-8")
        tmp.replace(path)


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
    ) -> None:
        self.chat_model = chat_model
        self.prompt = prompt
        self.model_name = model_name
        self.fallback = fallback
        self.timeout_s = timeout_s
        self.max_concurrency = max_concurrency
        self._cache = _AnswerCache(cache_dir) if cache_dir is not None else None
        # Bounds calls in flight at the endpoint, including calls abandoned after a timeout.
        self._slots = threading.BoundedSemaphore(max_concurrency)

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
            PromptEvidence(ref=r, pages=_pages(c), heading=" > ".join(c.heading_path), text=c.text)
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

    def _info(self, started: float) -> DraftInfo:
        return DraftInfo(
            drafter=self.kind,
            version=self.version,
            prompt_id=self.prompt.ref,
            model=self.model_name,
            seconds=round(time.perf_counter() - started, 4),
        )

    def _ask(self, messages: Sequence[BaseMessage]) -> str:
        """One model call, abandoned after ``timeout_s`` (a hung endpoint must not hold the review)."""
        outcome: queue.Queue[BaseMessage | Exception] = queue.Queue(maxsize=1)

        def call() -> None:
            try:
                outcome.put(self.chat_model.invoke(list(messages)))
            except Exception as e:  # whatever the client raises is one failed call, reported by the caller
                outcome.put(e)
            finally:
                self._slots.release()

        if not self._slots.acquire(timeout=self.timeout_s):
            raise AnswerRejected(FallbackReason.TIMEOUT, f"no free call slot within {self.timeout_s:g} s")
        threading.Thread(target=call, name="ciqa-llm-call", daemon=True).start()
        try:
            reply = outcome.get(timeout=self.timeout_s)
        except queue.Empty:
            raise AnswerRejected(FallbackReason.TIMEOUT, f"no answer within {self.timeout_s:g} s") from None
        if isinstance(reply, Exception):
            raise AnswerRejected(FallbackReason.MODEL_ERROR, f"{type(reply).__name__}: {reply}"[:_DETAIL_CHARS])
        return reply.text

    def _answer(self, context: IndicatorContext, rendered: str, started: float) -> tuple[str, IndicatorAssessment]:
        """Ask, ground, and on a rejected answer ask once more, saying what was wrong."""
        messages: list[BaseMessage] = [HumanMessage(rendered)]
        answer = self._ask(messages)
        try:
            return answer, ground(parse_answer(answer), context, self._info(started))
        except AnswerRejected as first:
            retry = [*messages, AIMessage(answer), HumanMessage(_feedback(first))]
        answer = self._ask(retry)
        try:
            return answer, ground(parse_answer(answer), context, self._info(started))
        except AnswerRejected as second:
            raise AnswerRejected(second.reason, second.detail, attempts=2) from second

    def _fall_back(self, context: IndicatorContext, rejected: AnswerRejected, started: float) -> IndicatorAssessment:
        log.warning("indicator %s falls back to %s: %s", context.indicator.id, self.fallback.kind.value, rejected)
        assessment = self.fallback.draft(context)
        reason = f"{rejected.reason.value}: {rejected.detail} (attempts: {rejected.attempts})"
        info = assessment.draft.model_copy(
            update={
                "prompt_id": self.prompt.ref,
                "model": self.model_name,
                "seconds": round(time.perf_counter() - started, 4),
                "fallback_reason": reason,
            }
        )
        return assessment.model_copy(update={"draft": info})

    def draft(self, context: IndicatorContext) -> IndicatorAssessment:
        """Assess one indicator with the model, or with the fallback drafter if the answer fails."""
        started = time.perf_counter()
        rendered = self.render(context)
        key = self._key(rendered)
        cached = self._cache.get(key) if self._cache else None
        if cached is not None:
            try:
                return ground(parse_answer(cached), context, self._info(started))
            except AnswerRejected:
                log.info("cached answer %s no longer validates; asking the model again", key[:12])
        try:
            answer, assessment = self._answer(context, rendered, started)
        except AnswerRejected as rejected:
            return self._fall_back(context, rejected, started)
        if self._cache:
            self._cache.put(key, CachedAnswer(prompt=self.prompt.ref, model=self.model_name, answer=answer))
        return assessment

    def draft_many(self, contexts: Sequence[IndicatorContext]) -> list[IndicatorAssessment]:
        """Assess several indicators, at most ``max_concurrency`` at a time; results in input order."""
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="ciqa-draft") as pool:
            return list(pool.map(self.draft, contexts))


def build_llm_drafter(settings: Settings, fallback: Drafter) -> LLMDrafter:
    """An LLM drafter on the configured OpenAI-compatible endpoint; nothing is contacted until a draft."""
    if not settings.llm_base_url or not settings.llm_model:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            "未配置大模型服务：请设置 CIQA_LLM_BASE_URL 和 CIQA_LLM_MODEL。",
            "llm_base_url and llm_model are required for the llm drafter",
        )
    # Imported here: the OpenAI client is heavy and only deployments with an endpoint need it.
    from langchain_openai import ChatOpenAI

    chat_model = ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key if settings.llm_api_key.get_secret_value() else SecretStr(_NO_KEY),
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0,
    )
    return LLMDrafter(
        chat_model,
        prompt=default_prompts(settings.prompts_dir).get(settings.llm_prompt_id),
        model_name=settings.llm_model,
        fallback=fallback,
        cache_dir=settings.llm_cache_dir,
        timeout_s=settings.llm_timeout_s,
        max_concurrency=settings.llm_max_concurrency,
    )
