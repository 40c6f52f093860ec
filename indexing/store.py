"""A searchable collection of chunks: FAISS dense index plus BM25, saved to and loaded from a directory.

A collection holds one document version or a library of many. Vectors and BM25 tokens are stored per
chunk, so adding or removing a document rebuilds the indexes from stored data without embedding any
other document again. Saving writes a fresh directory next to the target and swaps it into place, so a
reader never sees a half-written index.

Layout of a collection directory::

    manifest.json   format version, embedder name and dimension, documents
    chunks.jsonl    one chunk per line with its provenance and BM25 tokens
    vectors.npy     float32 unit vectors, row i belongs to line i of chunks.jsonl
    dense.faiss     exact inner-product index, or HNSW above ``approximate_above`` chunks
    bm25/           bm25s index

Beside it, for the text of a case (优秀案例) only, ingest writes ``passages.json`` and ``passages.npy`` after the
collection is saved: the case's paragraphs and their vectors (:class:`indexing.near_duplicates.Passages`).

Example:
    >>> col = Collection(embedder_name="e5", dim=384)  # doctest: +SKIP
    >>> col.add_document("报告.pdf", chunks, vectors)  # doctest: +SKIP
    >>> col.save(Path("var/indexes/v1"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import Chunk, Segment
from indexing.tokenize import tokenize

FORMAT_VERSION = 1
HNSW_NEIGHBOURS = 32


@dataclass(frozen=True)
class StoredDocument:
    """A document held in a collection."""

    id: str
    name: str
    chunk_count: int


def embedding_text(chunk: Chunk) -> str:
    """The text embedded and BM25-indexed for a chunk: its nearest two headings, then its text.

    Headings carry the topic of short passages (a table under 「师资队伍」 never says 师资), so they are
    indexed with the chunk; they are kept out of ``chunk.text`` so quotes stay verbatim.
    """
    head = " ".join(chunk.heading_path[-2:])
    return f"{head}\n{chunk.text}" if head else chunk.text


def _chunk_to_json(chunk: Chunk, tokens: Sequence[str]) -> str:
    record = asdict(chunk)
    record["tokens"] = list(tokens)
    return json.dumps(record, ensure_ascii=False)


def _chunk_from_json(line: str) -> tuple[Chunk, list[str]]:
    r = json.loads(line)
    tokens = r.pop("tokens")
    r["heading_path"] = tuple(r["heading_path"])
    r["segments"] = tuple(Segment(**s) for s in r["segments"])
    return Chunk(**r), tokens


class Collection:
    """Chunks, their vectors and BM25 tokens, with the dense and BM25 indexes built over them.

    Args:
        embedder_name: name of the embedder that made the vectors (checked when searching).
        dim: vector dimension.
        approximate_above: use an HNSW index when the collection holds more chunks than this.
    """

    def __init__(self, embedder_name: str, dim: int, approximate_above: int = 20000) -> None:
        self.embedder_name = embedder_name
        self.dim = dim
        self.approximate_above = approximate_above
        self.documents: dict[str, StoredDocument] = {}
        self.chunks: list[Chunk] = []
        self.tokens: list[list[str]] = []
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.dense_index = None
        self.bm25 = None

    @classmethod
    def merged(cls, parts: Sequence[Collection]) -> Collection:
        """One collection holding every document of ``parts`` (e.g. a submission's supporting files).

        Vectors and BM25 tokens are reused, nothing is embedded again; the indexes are built once.

        Raises:
            IndexingError: ``INDEX_CORRUPT`` when the parts were embedded by different models.
        """
        if not parts:
            raise ValueError("no collections to merge")
        names = {(p.embedder_name, p.dim) for p in parts}
        if len(names) != 1:
            raise IndexingError(
                IndexingErrorCode.INDEX_CORRUPT, "材料的索引由不同的嵌入模型建立，请重新解析文档。", f"{sorted(names)}"
            )
        first = parts[0]
        merged = cls(first.embedder_name, first.dim, first.approximate_above)
        for part in parts:
            for doc_id, doc in part.documents.items():
                if doc_id in merged.documents:
                    continue  # the same file uploaded twice is one document
                rows = [i for i, c in enumerate(part.chunks) if c.document_id == doc_id]
                merged.chunks.extend(part.chunks[i] for i in rows)
                merged.tokens.extend(part.tokens[i] for i in rows)
                merged.vectors = np.concatenate([merged.vectors, part.vectors[rows].reshape(-1, merged.dim)])
                merged.documents[doc_id] = doc
        merged._build()
        return merged

    def __len__(self) -> int:
        return len(self.chunks)

    def add_document(
        self,
        name: str,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]] | None = None,
    ) -> None:
        """Add (or replace) one document's chunks with their vectors; rebuilds the indexes.

        Args:
            name: display name of the document.
            chunks: the document's chunks, all with the same ``document_id``.
            vectors: one unit vector per chunk, in the same order.
            tokens: BM25 tokens per chunk; computed from the chunks when omitted.
        """
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        if not chunks:
            return
        doc_ids = {c.document_id for c in chunks}
        if len(doc_ids) != 1:
            raise ValueError(f"chunks of several documents passed together: {sorted(doc_ids)}")
        doc_id = doc_ids.pop()
        self._drop(doc_id)
        toks = [list(t) for t in tokens] if tokens is not None else [tokenize(embedding_text(c)) for c in chunks]
        self.chunks.extend(chunks)
        self.tokens.extend(toks)
        self.vectors = np.concatenate([self.vectors, np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)])
        self.documents[doc_id] = StoredDocument(doc_id, name, len(chunks))
        self._build()

    def remove_document(self, document_id: str) -> None:
        """Remove a document's chunks; the others keep their vectors (nothing is re-embedded)."""
        if document_id not in self.documents:
            raise KeyError(document_id)
        self._drop(document_id)
        self._build()

    def _drop(self, document_id: str) -> None:
        if document_id not in self.documents:
            return
        keep = [i for i, c in enumerate(self.chunks) if c.document_id != document_id]
        self.chunks = [self.chunks[i] for i in keep]
        self.tokens = [self.tokens[i] for i in keep]
        self.vectors = self.vectors[keep] if keep else np.zeros((0, self.dim), dtype=np.float32)
        del self.documents[document_id]

    def _build(self) -> None:
        import bm25s
        import faiss

        if self.chunks and len(self.chunks) > self.approximate_above:
            index = faiss.IndexHNSWFlat(self.dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 128
        else:
            index = faiss.IndexFlatIP(self.dim)
        if len(self.vectors):
            index.add(np.ascontiguousarray(self.vectors))
        self.dense_index = index
        if self.chunks:
            bm25 = bm25s.BM25()
            # bm25s needs at least one token per document; an empty chunk gets a placeholder token.
            bm25.index([t or ["∅"] for t in self.tokens], show_progress=False)
            self.bm25 = bm25
        else:
            self.bm25 = None

    def save(self, directory: Path) -> None:
        """Write the collection to ``directory``, replacing what was there in one rename."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            self._write(tmp)
            old = directory.with_name(f".{directory.name}.old")
            if old.exists():
                shutil.rmtree(old)
            if directory.exists():
                os.replace(directory, old)
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _write(self, path: Path) -> None:
        import faiss

        manifest = {
            "format": FORMAT_VERSION,
            "embedder": self.embedder_name,
            "dim": self.dim,
            "approximate_above": self.approximate_above,
            "documents": [asdict(d) for d in self.documents.values()],
        }
        (path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        with (path / "chunks.jsonl").open("w", encoding="utf-8") as f:
            for chunk, tokens in zip(self.chunks, self.tokens, strict=True):
                f.write(_chunk_to_json(chunk, tokens) + "\n")
        np.save(path / "vectors.npy", self.vectors)
        if self.dense_index is not None:
            faiss.write_index(self.dense_index, str(path / "dense.faiss"))
        if self.bm25 is not None:
            self.bm25.save(str(path / "bm25"))

    @classmethod
    def load(cls, directory: Path) -> Collection:
        """Open a saved collection.

        Raises:
            IndexingError: ``INDEX_NOT_FOUND`` or ``INDEX_CORRUPT``.
        """
        import bm25s
        import faiss

        directory = Path(directory)
        manifest_path = directory / "manifest.json"
        if not manifest_path.is_file():
            raise IndexingError(
                IndexingErrorCode.INDEX_NOT_FOUND,
                "索引不存在，请先上传并解析文档。",
                f"no manifest in {directory}",
            )
        try:
            manifest = json.loads(manifest_path.read_text("utf-8"))
            if manifest["format"] != FORMAT_VERSION:
                raise ValueError(f"index format {manifest['format']} != {FORMAT_VERSION}")
            col = cls(manifest["embedder"], manifest["dim"], manifest["approximate_above"])
            col.documents = {d["id"]: StoredDocument(**d) for d in manifest["documents"]}
            with (directory / "chunks.jsonl").open(encoding="utf-8") as f:
                for line in f:
                    chunk, tokens = _chunk_from_json(line)
                    col.chunks.append(chunk)
                    col.tokens.append(tokens)
            col.vectors = np.load(directory / "vectors.npy")
            if len(col.vectors) != len(col.chunks):
                raise ValueError(f"{len(col.chunks)} chunks but {len(col.vectors)} vectors")
            if col.chunks:
                col.dense_index = faiss.read_index(str(directory / "dense.faiss"))
                col.bm25 = bm25s.BM25.load(str(directory / "bm25"))
            else:
                col._build()
        except IndexingError:
            raise
        except Exception as exc:  # any damage to the files is reported the same way
            raise IndexingError(
                IndexingErrorCode.INDEX_CORRUPT, "索引文件已损坏，请重新解析文档。", f"{directory}: {exc!r}"
            ) from exc
        return col
