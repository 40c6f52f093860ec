"""Fakes for what cannot run in a unit test cheaply: a deterministic keyword embedder."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence

import numpy as np


class KeywordEmbedder:
    """Hashes character bigrams into a fixed-size vector; counts the texts it embeds."""

    def __init__(self, dim: int = 64, name: str = "fake/keyword") -> None:
        self._dim = dim
        self._name = name
        self.embedded: list[str] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        for a, b in itertools.pairwise(text):
            h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
            v[h % self._dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)
