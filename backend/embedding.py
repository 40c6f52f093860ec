"""The service's embedder: the configured model behind the persistent embedding cache."""

from __future__ import annotations

from functools import cache

from backend.config import Settings
from indexing.embedding import CachedEmbedder, Embedder, load_embedder


@cache
def _loaded(kind: str, model: str, batch_size: int, threads: int | None) -> Embedder:
    """One model per process and configuration: loading e5 on PyTorch takes seconds and hundreds of MB."""
    return load_embedder(kind, model, batch_size, threads=threads)


def build_embedder(settings: Settings) -> CachedEmbedder:
    """The configured embedder behind the persistent embedding cache."""
    inner = _loaded(settings.embedder, settings.embedder_model, settings.embed_batch_size, settings.embed_threads)
    return CachedEmbedder(inner, settings.embedding_cache_dir / "cache.sqlite")
