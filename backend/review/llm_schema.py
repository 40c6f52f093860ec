"""The JSON a chat model returns for one indicator, validated before any of it is grounded or stored."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.domain.assessment import JudgeVerdict
from backend.domain.enums import Mark

# A quote shorter than this ("学校", "本科") is found verbatim almost anywhere and grounds nothing.
MIN_QUOTE_CHARS = 6

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Quote = Annotated[str, StringConstraints(strip_whitespace=True, min_length=MIN_QUOTE_CHARS)]


class _Answer(BaseModel):
    # Models often add keys of their own ("reasoning", "notes"); ignoring them is safer than failing the draft.
    model_config = ConfigDict(frozen=True, extra="ignore")


class LLMCitation(_Answer):
    """A quote the model copied from one evidence chunk."""

    chunk_id: Text = Field(description="evidence reference shown in the prompt (E1 …) or the chunk id")
    quote: Quote


class LLMAdvice(_Answer):
    """An improvement suggestion with the rubric link or point it rests on."""

    text_zh: Text
    source: Text


class LLMPointDraft(_Answer):
    """The model's mark, reasoning, quotes, gap and advice for one review point."""

    point_id: Text
    mark: Mark
    rationale_zh: Text
    citations: list[LLMCitation] = Field(default_factory=list)
    missing_zh: str | None = None
    advice: list[LLMAdvice] = Field(default_factory=list)


class LLMIndicatorDraft(_Answer):
    """The model's whole answer for one indicator."""

    level: Text
    confidence: float = Field(ge=0.0, le=1.0)
    rationale_zh: Text
    points: list[LLMPointDraft] = Field(min_length=1)


class LLMJudgeAnswer(_Answer):
    """The judge's verdict on one borderline point, with the quote it rests on."""

    verdict: JudgeVerdict
    reason_zh: Text
    chunk_id: str | None = None
    quote: str | None = None
