"""`ciqa eval llm`: measure a deployment's model on the labelled corpus through its OpenAI-compatible endpoint.

The omission run (planted omissions and claims) and the level run (graded variants) are reviewed with the LLM
drafter (and its borderline judge) instead of the extractive one, then scored exactly as the extractive drafter is:
mark agreement with the planted truth, level agreement, citation validity, draft quality; plus what only a model
has: the share of indicators that fell back (and why), tokens and seconds per review, the judge's agreement with
the planted truth on the points it was asked about.

Example:
    >>> result = run_llm_eval("http://127.0.0.1:8001/v1", "qwen2.5-7b-instruct", reports=3, pages=20)  # doctest: +SKIP
    >>> result.fallback_rate  # doctest: +SKIP
    0.04
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from backend.config import Settings
from backend.domain.assessment import JudgeVerdict, Review
from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.drafters.llm import build_llm_drafter
from backend.rubrics.registry import RubricRegistry
from eval.draft_eval import DraftQuality, draft_quality, truths_of
from eval.review_eval import RUBRIC_ID, LevelMetrics, OmissionMetrics, Truth, omission_metrics, run_levels, run_omission
from indexing.embedding import Embedder

# What a verdict agrees with: addressed on present points, partly on bare claims, not addressed on omissions.
_AGREES = {
    Truth.PRESENT: {JudgeVerdict.ADDRESSED},
    Truth.UNSUPPORTED: {JudgeVerdict.PARTLY, JudgeVerdict.NOT_ADDRESSED},
    Truth.OMITTED: {JudgeVerdict.NOT_ADDRESSED},
}


@dataclass(frozen=True)
class LLMEvalResult:
    """One model measured on the corpus."""

    model: str
    base_url: str
    omission: OmissionMetrics
    levels: LevelMetrics | None
    drafts: DraftQuality
    indicators: int
    fallback_rate: float
    fallback_reasons: dict[str, int]
    tokens_per_review: float
    seconds_per_review: float
    judged_points: int
    judge_agreement: float | None
    reviews: int
    notes: list[str] = field(default_factory=list)


def _fallbacks(reviews: Sequence[Review]) -> tuple[int, Counter[str]]:
    assessments = [a for r in reviews for a in r.assessments]
    reasons = Counter(a.draft.fallback_reason.split(":")[0] for a in assessments if a.draft.fallback_reason)
    return len(assessments), reasons


def _tokens(review: Review) -> int:
    return sum(a.draft.prompt_tokens + a.draft.completion_tokens for a in review.assessments)


def run_llm_eval(
    base_url: str,
    model: str,
    *,
    embedder: Embedder,
    registry: RubricRegistry,
    settings: Settings,
    reports: int,
    pages: int,
    level_reports: int = 0,
    progress: Callable[[int, int], None] = lambda d, t: None,
) -> LLMEvalResult:
    """Review the omission (and level) corpus through the endpoint and score it."""
    drafter = build_llm_drafter(settings, ExtractiveDrafter(), base_url=base_url, model=model)
    run = run_omission(embedder, registry, n_reports=reports, pages=pages, progress=progress, drafter=drafter)
    validity = round(run.quotes_valid / run.quotes, 6) if run.quotes else 1.0
    omission = omission_metrics(run.observations, validity)
    truth = truths_of(run.observations)
    drafts = draft_quality(run.reviews, truth, registry.get(RUBRIC_ID))
    reviews, seconds = list(run.reviews), run.seconds
    levels = None
    if level_reports:
        levels, level_run = run_levels(
            embedder, registry, n_reports=level_reports, pages=pages, progress=progress, drafter=drafter
        )
        reviews += level_run.reviews
        seconds += level_run.seconds
    indicators, reasons = _fallbacks(reviews)
    judged = [
        (truth[(r.document_name.rsplit(".", 1)[0], p.point_id)], p.judge.verdict)
        for r in run.reviews
        for a in r.assessments
        for p in a.points
        if p.judge is not None
    ]
    return LLMEvalResult(
        model=model,
        base_url=base_url,
        omission=omission,
        levels=levels,
        drafts=drafts,
        indicators=indicators,
        fallback_rate=round(sum(reasons.values()) / indicators, 4) if indicators else 0.0,
        fallback_reasons=dict(reasons),
        tokens_per_review=round(sum(_tokens(r) for r in reviews) / len(reviews), 1) if reviews else 0.0,
        seconds_per_review=round(seconds / len(reviews), 2) if reviews else 0.0,
        judged_points=len(judged),
        judge_agreement=round(sum(v in _AGREES[t] for t, v in judged) / len(judged), 4) if judged else None,
        reviews=len(reviews),
    )
