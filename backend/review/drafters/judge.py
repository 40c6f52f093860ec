"""A second-stage judge on borderline points only: a chat model is asked whether the point's evidence shows the
point is addressed, and its verdict is recorded beside the lexical signals (the mark is not changed: experts see
both). Borderline: 问号 points, and 破折号 points that retrieved some evidence. A verdict of addressed or partly
must rest on a verbatim quote of a chunk shown; an unverifiable verdict is dropped, never stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from langchain_core.messages import HumanMessage

from backend.domain.assessment import IndicatorAssessment, JudgeOpinion, JudgeVerdict, PointAssessment
from backend.domain.enums import Mark
from backend.review.citations import quote_pages
from backend.review.drafters.base import IndicatorContext
from backend.review.drafters.llm_client import (
    AnswerCache,
    AnswerRejected,
    CachedAnswer,
    FallbackReason,
    LLMClient,
    PromptEvidence,
    TokenBudget,
    Usage,
    chunk_pages,
    validated,
)
from backend.review.llm_schema import MIN_QUOTE_CHARS, LLMJudgeAnswer
from backend.review.prompts import Prompt
from indexing.models import Chunk

log = logging.getLogger(__name__)


def is_borderline(point: PointAssessment) -> bool:
    """问号, or 破折号 although something was retrieved: where lexical signals are least sure."""
    return point.mark is Mark.VERIFY_ON_SITE or (point.mark is Mark.MORE_MATERIAL and bool(point.evidence))


class BorderlineJudge:
    """Asks the model about each borderline point of an assessment; verdicts verified and recorded."""

    def __init__(self, *, prompt: Prompt, model_name: str, cache_dir: Path | None = None) -> None:
        self.prompt = prompt
        self.model_name = model_name
        self._cache = AnswerCache(cache_dir) if cache_dir is not None else None

    def _refs(self, point: PointAssessment, chunks: dict[str, Chunk]) -> dict[str, Chunk]:
        ids = list(dict.fromkeys(e.chunk_id for e in point.evidence if e.chunk_id in chunks))
        return {f"E{n}": chunks[cid] for n, cid in enumerate(ids, start=1)}

    def _ground(self, answer: LLMJudgeAnswer, refs: dict[str, Chunk]) -> JudgeOpinion:
        quote = (answer.quote or "").strip()
        chunk_id, page = None, None
        if answer.verdict is not JudgeVerdict.NOT_ADDRESSED:
            chunk = refs.get(answer.chunk_id or "") or next((c for c in refs.values() if c.id == answer.chunk_id), None)
            span = chunk.find(quote) if chunk is not None and len(quote) >= MIN_QUOTE_CHARS else None
            if chunk is None or span is None:
                raise AnswerRejected(
                    FallbackReason.QUOTE_NOT_FOUND, "the judge's quote is not verbatim in a chunk shown"
                )
            chunk_id, page = chunk.id, quote_pages(chunk, *span)[0]
        return JudgeOpinion(
            verdict=answer.verdict,
            reason_zh=answer.reason_zh,
            quote=quote if chunk_id else None,
            chunk_id=chunk_id,
            page=page,
            model=self.model_name,
            prompt_id=self.prompt.ref,
        )

    def _opinion(
        self,
        point: PointAssessment,
        context: IndicatorContext,
        client: LLMClient,
        usage: Usage,
        budget: TokenBudget | None,
    ) -> JudgeOpinion | None:
        match = next(m for m in context.matches if m.point.id == point.point_id)
        refs = self._refs(point, dict(context.chunks))
        evidence = [
            PromptEvidence(ref=r, pages=chunk_pages(c), heading=" > ".join(c.heading_path), text=c.text)
            for r, c in refs.items()
        ]
        rendered = self.prompt.render(point=match.point, mark=point.mark, evidence=evidence)
        key = hashlib.sha256(json.dumps([self.prompt.ref, self.model_name, rendered]).encode()).hexdigest()
        cached = self._cache.get(key) if self._cache else None
        try:
            answer = cached if cached is not None else client.ask([HumanMessage(rendered)], usage, budget)
            opinion = self._ground(validated(LLMJudgeAnswer, answer), refs)
        except AnswerRejected as rejected:
            log.info("judge verdict on %s dropped: %s", point.point_id, rejected)
            return None
        if self._cache and cached is None:
            self._cache.put(key, CachedAnswer(prompt=self.prompt.ref, model=self.model_name, answer=answer))
        return opinion

    def judge(
        self,
        assessment: IndicatorAssessment,
        context: IndicatorContext,
        client: LLMClient,
        budget: TokenBudget | None = None,
    ) -> IndicatorAssessment:
        """The assessment with a verdict beside each borderline point (none where the answer did not verify)."""
        usage = Usage()
        points = tuple(
            p.model_copy(update={"judge": self._opinion(p, context, client, usage, budget)}) if is_borderline(p) else p
            for p in assessment.points
        )
        info = assessment.draft.model_copy(
            update={
                "prompt_tokens": assessment.draft.prompt_tokens + usage.prompt_tokens,
                "completion_tokens": assessment.draft.completion_tokens + usage.completion_tokens,
            }
        )
        return assessment.model_copy(update={"points": points, "draft": info})
