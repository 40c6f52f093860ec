"""What a campaign-wide AI review would cost, shown before the secretariat confirms it.

With the LLM drafter configured, one report the run would review is matched as the review flow matches it (no
model is contacted), the LLM drafter's :meth:`~backend.review.drafters.llm.LLMDrafter.estimate` counts its prompt
and answer tokens and prices them, and the estimate is scaled to every report the run would queue. The time is a
rough figure from the endpoint throughput assumed below (a deployment measures its own with ``ciqa eval llm``).
With the extractive drafter the run costs nothing and calls no model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import Campaign
from backend.domain.assessment import DrafterKind
from backend.embedding import build_embedder
from backend.ingest.flows import version_facts
from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.flows import indicator_contexts, versions_to_review
from backend.rubrics.registry import rubric_registry
from backend.storage import index_dir
from indexing.embedding import Embedder
from indexing.store import Collection

if TYPE_CHECKING:
    from backend.review.drafters.llm import CostEstimate

# Assumed throughput of one request to an OpenAI-compatible endpoint (a mid-size model on vLLM or a hosted API):
# prompt tokens read and answer tokens written per second. Only the time estimate uses them.
PROMPT_TOKENS_PER_S = 1000.0
ANSWER_TOKENS_PER_S = 30.0


@dataclass(frozen=True)
class RunEstimate:
    """A campaign-wide review before it runs: how many reports, which drafter, and for the LLM its estimate."""

    reviews: int
    drafter: DrafterKind
    model: str
    # The report whose retrieval the LLM estimate was measured on (None: nothing to measure on).
    sample_name: str | None = None
    cost: CostEstimate | None = None
    concurrency: int = 1

    @property
    def seconds(self) -> float | None:
        """Rough wall time of the model calls, requests running ``concurrency`` at a time (cached answers free)."""
        if self.cost is None:
            return None
        one_by_one = self.cost.prompt_tokens / PROMPT_TOKENS_PER_S + self.cost.completion_tokens / ANSWER_TOKENS_PER_S
        return round(one_by_one / self.concurrency, 1)


def estimate_campaign_run(
    session: Session,
    *,
    campaign: Campaign,
    rerun: bool,
    settings: Settings,
    embedder_factory: Callable[[Settings], Embedder] = build_embedder,
) -> RunEstimate:
    """The estimate of reviewing what :func:`~backend.review.flows.versions_to_review` names with the configured
    drafter; nothing is queued and no model is contacted."""
    targets = versions_to_review(session, campaign=campaign, rerun=rerun)
    kind = DrafterKind(settings.drafter)
    if kind is DrafterKind.EXTRACTIVE:
        return RunEstimate(len(targets), kind, "")
    sample = next((v for v in targets if index_dir(settings, v.id).is_dir()), None)
    if sample is None:
        return RunEstimate(len(targets), kind, settings.llm_model, concurrency=settings.llm_max_concurrency)
    # Imported here: LangChain is heavy and only the LLM drafter needs it.
    from backend.review.drafters.llm import build_llm_drafter

    registry = rubric_registry(settings)
    collection = Collection.load(index_dir(settings, sample.id))
    contexts = indicator_contexts(
        collection,
        embedder_factory(settings),
        registry.get(campaign.rubric_id),
        document_id=next(iter(collection.documents)),
        registry=registry,
        facts=version_facts(session, sample.id, settings),
    )
    per_review = build_llm_drafter(settings, ExtractiveDrafter()).estimate(contexts)
    return RunEstimate(
        len(targets),
        kind,
        settings.llm_model,
        sample_name=sample.original_name,
        cost=per_review.times(len(targets)),
        concurrency=settings.llm_max_concurrency,
    )
