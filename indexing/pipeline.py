"""End-to-end indexing: parse → chunk → embed → index, reporting progress per stage.

Example:
    >>> report = index_files([Path("自评报告.pdf")], Path("var/idx"), embedder)  # doctest: +SKIP
    >>> report.documents[0].chunk_count  # doctest: +SKIP
    212
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np

from indexing.chunking import chunk_document
from indexing.embedding import Embedder
from indexing.models import Chunk, Document
from indexing.options import ChunkingOptions, ParseOptions
from indexing.store import Collection, embedding_text


class Stage(StrEnum):
    """Stages of indexing, in order."""

    PARSE = "parse"
    CHUNK = "chunk"
    EMBED = "embed"
    INDEX = "index"


class ProgressCallback(Protocol):
    """Receives progress: ``done`` of ``total`` units of ``stage`` are finished.

    The one progress type of the project: the service passes its own stage enum (a superset of
    :class:`Stage`, sharing its values) through the same callbacks.
    """

    def __call__(self, stage: StrEnum, done: int, total: int) -> None: ...


def no_progress(stage: StrEnum, done: int, total: int) -> None:
    """A progress callback that ignores progress."""
    return None


def embed_chunks(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    *,
    batch_size: int = 16,
    progress: ProgressCallback = no_progress,
) -> np.ndarray:
    """Embed chunks in batches, reporting progress after each batch.

    Args:
        chunks: chunks to embed (their heading-prefixed text is embedded, see ``embedding_text``).
        embedder: the model.
        batch_size: chunks per call.
        progress: called with ``(Stage.EMBED, done, total)``.

    Returns:
        An ``(n, dim)`` float32 array.
    """
    return embed_texts([embedding_text(c) for c in chunks], embedder, batch_size=batch_size, progress=progress)


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    *,
    batch_size: int = 16,
    progress: ProgressCallback = no_progress,
) -> np.ndarray:
    """Embed passages in batches, reporting progress after each batch; an ``(n, dim)`` float32 array."""
    parts = []
    progress(Stage.EMBED, 0, len(texts))
    for i in range(0, len(texts), batch_size):
        parts.append(embedder.embed_passages(texts[i : i + batch_size]))
        progress(Stage.EMBED, min(i + batch_size, len(texts)), len(texts))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


@dataclass(frozen=True)
class IndexedDocument:
    """What indexing produced for one file."""

    document: Document
    chunks: tuple[Chunk, ...]

    @property
    def chunk_count(self) -> int:
        """Number of chunks."""
        return len(self.chunks)


@dataclass
class IndexReport:
    """Outcome and timings of :func:`index_files`."""

    documents: list[IndexedDocument] = field(default_factory=list)
    seconds: dict[Stage, float] = field(default_factory=dict)

    def add_time(self, stage: Stage, seconds: float) -> None:
        """Accumulate time spent in a stage."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds


def index_documents(
    documents: Sequence[Document],
    out_dir: Path,
    embedder: Embedder,
    *,
    chunking_options: ChunkingOptions | None = None,
    batch_size: int = 16,
    progress: ProgressCallback = no_progress,
    report: IndexReport | None = None,
    collection: Collection | None = None,
) -> IndexReport:
    """Chunk, embed and index parsed documents into a collection directory (created or extended).

    Args:
        documents: parsed documents.
        out_dir: collection directory; an existing collection is extended (same embedder required).
        embedder: the embedding model.
        chunking_options: chunk sizes.
        batch_size: chunks per embedding call.
        progress: stage progress callback.
        report: a report to extend (used by :func:`index_files`).
        collection: the collection to add to and save; by default the one in ``out_dir`` (extended) or a new one.

    Returns:
        The report with documents, chunks and seconds per stage.
    """
    report = report or IndexReport()
    if collection is None:
        existing = (out_dir / "manifest.json").is_file()
        collection = Collection.load(out_dir) if existing else Collection(embedder.name, embedder.dim)
    if collection.embedder_name != embedder.name:
        raise ValueError(f"collection built with {collection.embedder_name}, not {embedder.name}")
    for n, document in enumerate(documents, start=1):
        t = time.perf_counter()
        chunks = chunk_document(document, chunking_options)
        report.add_time(Stage.CHUNK, time.perf_counter() - t)
        progress(Stage.CHUNK, n, len(documents))
        t = time.perf_counter()
        vectors = embed_chunks(chunks, embedder, batch_size=batch_size, progress=progress)
        report.add_time(Stage.EMBED, time.perf_counter() - t)
        t = time.perf_counter()
        collection.add_document(document.name, chunks, vectors)
        report.add_time(Stage.INDEX, time.perf_counter() - t)
        report.documents.append(IndexedDocument(document, tuple(chunks)))
    t = time.perf_counter()
    progress(Stage.INDEX, 0, 1)
    collection.save(out_dir)
    progress(Stage.INDEX, 1, 1)
    report.add_time(Stage.INDEX, time.perf_counter() - t)
    return report


def index_files(
    paths: Sequence[Path],
    out_dir: Path,
    embedder: Embedder,
    *,
    parse_options: ParseOptions | None = None,
    chunking_options: ChunkingOptions | None = None,
    batch_size: int = 16,
    progress: ProgressCallback = no_progress,
) -> IndexReport:
    """Parse files and index them into ``out_dir``.

    Args:
        paths: files to index (type detected from content).
        out_dir: collection directory.
        embedder: the embedding model.
        parse_options: limits and OCR switch.
        chunking_options: chunk sizes.
        batch_size: chunks per embedding call.
        progress: stage progress callback.

    Returns:
        An :class:`IndexReport`.

    Raises:
        IndexingError: a file could not be parsed (nothing is written then).
    """
    from indexing.parsing import parse_path

    report = IndexReport()
    documents = []
    for n, path in enumerate(paths, start=1):
        t = time.perf_counter()
        documents.append(parse_path(path, parse_options or ParseOptions()))
        report.add_time(Stage.PARSE, time.perf_counter() - t)
        progress(Stage.PARSE, n, len(paths))
    return index_documents(
        documents,
        out_dir,
        embedder,
        chunking_options=chunking_options,
        batch_size=batch_size,
        progress=progress,
        report=report,
    )
