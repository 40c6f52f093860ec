"""The service's embedder: the configured model behind the persistent embedding cache."""

from __future__ import annotations

from backend.config import Settings
from indexing.embedding import CachedEmbedder, Embedder, load_embedder


def build_embedder(settings: Settings) -> CachedEmbedder:
    """The configured embedder behind the persistent embedding cache."""
    inner: Embedder = load_embedder(settings.embedder, settings.embedder_model, settings.embed_batch_size)
    return CachedEmbedder(inner, settings.embedding_cache_dir / "cache.sqlite")
