"""Typed records passed between the stages of the indexing library.

Every stage boundary has a named, frozen type:

* ``parse()`` returns a :class:`Document` made of ordered :class:`Block` objects;
* ``chunk_document()`` returns :class:`Chunk` objects whose :class:`Segment` list maps every character
  of the chunk text back to a block, so any quote can be located in the source (page, block, offset);
* ``HybridSearcher.search()`` returns :class:`Hit` objects carrying chunk provenance and both scores.

Example:
    >>> b = Block(id="b0001", kind=BlockKind.PARAGRAPH, text="生师比为17.5:1。", page=3)
    >>> b.page
    3
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class BlockKind(StrEnum):
    """What a block is in the document structure."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    TABLE = "table"
    LIST_ITEM = "list_item"


class TextSource(StrEnum):
    """Where the text of a block came from."""

    TEXT_LAYER = "text_layer"
    OCR = "ocr"


class MediaType(StrEnum):
    """File types the parser accepts, decided by content."""

    PDF = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    TEXT = "text/plain"
    MARKDOWN = "text/markdown"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # 状态数据 only
    CSV = "text/csv"  # 状态数据 only


@dataclass(frozen=True)
class Block:
    """One structural unit of a parsed document.

    Args:
        id: stable id within the document (``b0001`` …), in reading order.
        kind: heading, paragraph, table or list item.
        text: the block's text; for tables, rows rendered as ``cell | cell`` lines.
        page: 1-based page number; ``None`` where the format has no pages (DOCX estimates it).
        heading_level: 1 = top level, for headings only.
        heading_path: titles of the enclosing headings, outermost first (a heading includes itself).
        rows: table cells, row by row, for tables only.
        source: text layer or OCR.
        ocr_confidence: mean recogniser confidence in [0, 1] for OCR'd blocks.
        page_starts: where a later page starts in ``text``, for a block that runs over a page break (a
            paragraph continued on the next page, a table continued over several pages): ``(offset, page)``
            pairs sorted by offset, each the first character of ``text`` on ``page``. Empty for a block on
            one page (``page`` holds for all of it).

    Example:
        >>> b = Block("b0001", BlockKind.PARAGRAPH, "第一页的文字第二页的文字", page=4, page_starts=((6, 5),))
        >>> b.page_at(0), b.page_at(6)
        (4, 5)
    """

    id: str
    kind: BlockKind
    text: str
    page: int | None = None
    heading_level: int | None = None
    heading_path: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] | None = None
    source: TextSource = TextSource.TEXT_LAYER
    ocr_confidence: float | None = None
    page_starts: tuple[tuple[int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page the character at ``offset`` of ``text`` stands on (``page`` when the block has one page)."""
        page = self.page
        for start, later in self.page_starts:
            if start > offset:
                break
            page = later
        return page


@dataclass(frozen=True)
class PageStats:
    """What the parser found on one page, for diagnostics and parse statistics."""

    page: int
    chars: int
    source: TextSource
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class TocEntry:
    """One line of a table of contents printed in the document (kept apart from the body headings).

    Args:
        title: the entry's title as printed, without dot leaders and page number.
        page_label: the page number printed in the entry (a printed label, not always the PDF page).
        level: outline level from the entry's numbering or indentation, 1 = top.
        page: the PDF page the TOC line stands on.
    """

    title: str
    page_label: str | None
    level: int
    page: int | None = None


@dataclass(frozen=True)
class Document:
    """A parsed file: ordered blocks plus what is known about the file.

    Args:
        id: sha256 of the file bytes (content address).
        name: a display name (never used as a path).
        media_type: the type detected from content.
        blocks: blocks in reading order.
        page_count: number of pages, ``None`` for formats without pages.
        pages: per-page statistics (PDF only).
        warnings: problems that did not stop parsing (e.g. OCR disabled on a scanned page).
        toc: the printed table of contents, when the document has one (never part of ``blocks``).
    """

    id: str
    name: str
    media_type: MediaType
    blocks: tuple[Block, ...]
    page_count: int | None = None
    pages: tuple[PageStats, ...] = ()
    warnings: tuple[str, ...] = ()
    toc: tuple[TocEntry, ...] = ()

    def block(self, block_id: str) -> Block:
        """Return the block with this id.

        Raises:
            KeyError: no block has this id.
        """
        for b in self.blocks:
            if b.id == block_id:
                return b
        raise KeyError(block_id)


@dataclass(frozen=True)
class Segment:
    """A run of chunk text copied verbatim from one block.

    ``chunk.text[chunk_start:chunk_start + length] == block.text[block_start:block_start + length]``.
    """

    block_id: str
    block_start: int
    chunk_start: int
    length: int
    page: int | None = None


@dataclass(frozen=True)
class SourceSpan:
    """Where a piece of chunk text lies in the source document."""

    block_id: str
    start: int
    end: int
    page: int | None


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: section-aware text with full provenance.

    Args:
        id: deterministic id (hash of document id, position and text).
        document_id: id of the document it came from.
        ordinal: position of the chunk in the document.
        text: the text that is embedded and indexed (without the heading path prefix).
        heading_path: section titles enclosing the chunk.
        page_start: first page, or ``None``.
        page_end: last page, or ``None``.
        segments: verbatim mapping of chunk text to block text.
        is_table: the chunk holds table rows (header repeated).
    """

    id: str
    document_id: str
    ordinal: int
    text: str
    heading_path: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    segments: tuple[Segment, ...] = ()
    is_table: bool = False

    @property
    def block_ids(self) -> tuple[str, ...]:
        """Ids of the blocks this chunk draws on, in order, without repeats."""
        return tuple(dict.fromkeys(s.block_id for s in self.segments))

    @property
    def section(self) -> str:
        """The heading path joined with ' > ' (empty for text before the first heading)."""
        return " > ".join(self.heading_path)

    def locate(self, start: int, end: int) -> tuple[SourceSpan, ...]:
        """Map the chunk-text range ``[start, end)`` to block offsets and pages.

        Args:
            start: offset of the first character in ``text``.
            end: offset after the last character.

        Returns:
            One span per block the range touches; separators between segments map to nothing.

        Example:
            >>> chunk.locate(*chunk.find("生师比"))  # doctest: +SKIP
        """
        spans: list[SourceSpan] = []
        for s in self.segments:
            lo, hi = max(start, s.chunk_start), min(end, s.chunk_start + s.length)
            if lo < hi:
                offset = s.block_start + lo - s.chunk_start
                spans.append(SourceSpan(s.block_id, offset, offset + hi - lo, s.page))
        return tuple(spans)

    def find(self, quote: str) -> tuple[int, int] | None:
        """Return the offsets of ``quote`` in the chunk text, or ``None`` if it is not there verbatim."""
        i = self.text.find(quote)
        return None if i < 0 or not quote else (i, i + len(quote))


@dataclass(frozen=True)
class Hit:
    """One search result with its provenance and the evidence for its rank.

    Args:
        chunk: the chunk found.
        fused_score: reciprocal-rank-fusion score.
        rank: 1-based rank after fusion.
        dense_score: inner product of normalised vectors, or ``None`` if not in the dense top list.
        dense_rank: 1-based rank in the dense list, or ``None``.
        bm25_score: BM25 score, or ``None`` if not in the BM25 top list.
        bm25_rank: 1-based rank in the BM25 list, or ``None``.
    """

    chunk: Chunk
    fused_score: float
    rank: int
    dense_score: float | None = None
    dense_rank: int | None = None
    bm25_score: float | None = None
    bm25_rank: int | None = None
    matched_terms: tuple[str, ...] = field(default=())


class FactOrigin(StrEnum):
    """Where in the document a reported figure stands."""

    TABLE = "table"
    SENTENCE = "sentence"


@dataclass(frozen=True)
class Fact:
    """A figure the document reports, with the words and the place that state it.

    Every fact can be checked against the source: ``block.text[start:end]`` is the figure as written
    (for a table, the cell inside the block's ``cell | cell`` rendering), and ``evidence`` is the
    table row or the sentence it stands in, also verbatim in the block text.

    Args:
        metric: the metric's label as written (a key–value table's key, ``row header · column header``
            for a matrix table, the words before the figure in a sentence).
        value: the number; never invented: a cell reading "—", "/" or "未统计" gives no fact.
        unit: unit as stated or taken from the column/row header: ``%``, ``万元``, ``元``, ``人``,
            ``:1`` (N in N:1), ``1:`` (N in 1:N), ``册`` …; empty when none is stated.
        text: the figure exactly as written (``18.46``, ``67.21%``, ``1:284``, ``约 3.2 万``).
        block_id: the block holding it.
        page: 1-based page, or ``None``.
        start: offset of ``text`` in the block text.
        end: offset after ``text`` in the block text.
        origin: table cell or sentence.
        evidence: the row (``cell | cell``) or sentence it was read from, verbatim in the block text.
        table_title: the table's caption or title, for table facts.
        row: 0-based row of the cell, for table facts (of the worksheet, for state data).
        column: 0-based column of the cell, for table facts (of the worksheet, for state data).
        period: the period the figure is for when stated (``2023届``, ``2022年``).
        qualifier: an approximation kept with the figure (``约``, ``以上``, ``近``, ``超过``, ``不低于``).
        sheet: the worksheet, for facts read from state data (状态数据, see :mod:`indexing.statedata`).
    """

    metric: str
    value: float
    unit: str
    text: str
    block_id: str
    page: int | None
    start: int
    end: int
    origin: FactOrigin
    evidence: str
    table_title: str | None = None
    row: int | None = None
    column: int | None = None
    period: str | None = None
    qualifier: str | None = None
    sheet: str | None = None
