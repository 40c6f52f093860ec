"""Frozen option records for each stage; the service builds them from its settings.

Example:
    >>> ParseOptions(ocr=False).max_pages
    2000
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParseOptions:
    """Limits and switches for :func:`indexing.parsing.parse`.

    Args:
        ocr: run OCR on pages without a usable text layer.
        max_bytes: largest accepted file.
        max_pages: most pages accepted in a PDF.
        max_docx_uncompressed_bytes: largest total uncompressed size of a DOCX archive (zip bombs).
        max_docx_ratio: largest compression ratio of any DOCX member.
        ocr_dpi: resolution at which pages are rendered for OCR.
        min_page_chars: a page with fewer usable characters than this (and an image) is OCR'd.
        ocr_workers: processes that OCR a document's pages in parallel; 0 is one per available core. Never
            more than the cores or the pages to read; 1 reads them one after another in this process.
    """

    ocr: bool = True
    max_bytes: int = 100 * 1024 * 1024
    max_pages: int = 2000
    max_docx_uncompressed_bytes: int = 500 * 1024 * 1024
    max_docx_ratio: float = 200.0
    ocr_dpi: int = 150
    min_page_chars: int = 20
    ocr_workers: int = 0


@dataclass(frozen=True)
class ChunkingOptions:
    """Target sizes for :func:`indexing.chunking.chunk_document` (in characters).

    Args:
        target_chars: a chunk is closed once it reaches this size at a block boundary.
        max_chars: a single block longer than this is split at sentence ends.
        min_chars: a trailing piece shorter than this is merged into the previous chunk.
        overlap_chars: text repeated from the end of the previous chunk in the same section.
        table_target_chars: a table chunk (caption, header and rows) is closed once it reaches this size.
    """

    target_chars: int = 450
    max_chars: int = 600
    min_chars: int = 120
    overlap_chars: int = 60
    table_target_chars: int = 240


@dataclass(frozen=True)
class SearchOptions:
    """Parameters of hybrid search.

    Args:
        rrf_k: reciprocal-rank-fusion constant (see :mod:`indexing.search` for why 10, not the usual 60).
        candidates: how many hits each retriever contributes before fusion.
        dense_weight: weight of the dense list in fusion.
        bm25_weight: weight of the BM25 list in fusion.
        approximate_above: collections with more chunks than this use an HNSW index instead of exact search.
    """

    rrf_k: int = 10
    candidates: int = 50
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    approximate_above: int = 20000
