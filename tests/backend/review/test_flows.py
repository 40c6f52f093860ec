"""The review flow's query embedding: every phrasing of every review point in one batch, through the cache."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.flows import review_collection
from backend.review.matcher import point_queries
from backend.rubrics.models import Rubric
from indexing.embedding import CachedEmbedder, Embedder
from indexing.store import Collection


class CountingEmbedder:
    """Passes through to a real embedder and records each query call."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.batches: list[list[str]] = []
        self.single: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.single.append(text)
        return self.inner.embed_query(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return self.inner.embed_queries(texts)


def test_a_review_embeds_all_queries_in_one_batch_and_the_next_review_none(
    mini_collection: Collection, e5_embedder: CachedEmbedder, small_rubric: Rubric, tmp_path: Path
) -> None:
    queries = {q for _, point in small_rubric.iter_points() for q in point_queries(point)}
    counting = CountingEmbedder(e5_embedder.inner)
    first = review_collection(
        mini_collection, CachedEmbedder(counting, tmp_path / "cache.sqlite"), small_rubric, ExtractiveDrafter()
    )
    assert [set(batch) for batch in counting.batches] == [queries] and counting.single == []

    # Another process with the same on-disk cache (a worker restarted) embeds no query again.
    again = review_collection(
        mini_collection, CachedEmbedder(counting, tmp_path / "cache.sqlite"), small_rubric, ExtractiveDrafter()
    )
    assert len(counting.batches) == 1 and counting.single == []
    assert [a.level for a in again.assessments] == [a.level for a in first.assessments]
