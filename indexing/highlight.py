"""Show a quote where it stands: its boxes on the PDF page, the page drawn with them, its DOCX paragraph.

Each piece of evidence of a review is a verbatim ``quote`` of a chunk with its page. The chunk text came
from the parser (:mod:`indexing.parsing.pdf`), which joined lines, dropped spaces between Chinese
characters, removed running headers and footers and rendered table rows as ``cell | cell``; the PDF's text
layer, read here with PDFium, has none of that. So the quote is matched on *folded* text:

* both sides: NFKC, look-alike punctuation unified (``。``/``.``, ``“”``/``"``, dashes, tildes, middle
  dots, brackets), Latin letters lower-cased, and all white space, line breaks, invisible characters
  and the cell separator ``|`` removed;
* **exact** (:attr:`MatchKind.EXACT`): every character of the quote is found, in order. The quote may
  jump over page text only where it had a cell separator (to the next cell of the row, at most
  :data:`MAX_CELL_GAP` characters on, same page), a line break (to a later row or paragraph, anywhere
  further on) or where it runs over a page break (the previous page's footer and the next page's
  header, at most :data:`MAX_BREAK_GAP` characters each side). It must start on the cited page. Where
  a table row fits in several places, the one skipping the fewest characters between its cells wins
  (cells of a row stand one after the other in the page's text; ``人数`` and ``占比`` also stand in
  the paragraph above the table);
* a table fact as experts read it, ``「表名：指标 = 值 | 值」``, matches its parts in order the same way;
* otherwise **partial** (:attr:`MatchKind.PARTIAL`): the longest common runs of at least
  :data:`MIN_RUN` characters (:class:`difflib.SequenceMatcher` on the folded strings) that lie together,
  when they cover at least :data:`MIN_PARTIAL_SHARE` of the quote; else :attr:`MatchKind.NONE`.

:func:`locate_quote` returns the located characters' boxes, one rectangle per line (a table row is a
line), in PDF points of the page's own coordinate space (origin bottom-left, before the page's
``/Rotate``): the space :func:`render_page` takes. :func:`render_page` draws the page with PDFium and
the boxes in translucent yellow with an orange outline, as a PNG of at most :data:`MAX_SIDE_PX` pixels a
side. :func:`docx_context` finds a quote of a DOCX (which has no page images) in the parser's
paragraphs and table rows and returns it with the paragraphs around it and the ranges to mark.

PDFium is not thread-safe: calls into it from this module hold a process-wide lock. Measured on a
2-core machine: locating a quote on an A4 page of a real report and rendering the page at scale 1.5
takes about 60 ms (see ``tests/indexing/test_highlight.py``).

Example:
    >>> where = locate_quote(Path("报告.pdf"), page=12, quote="生师比为17.5:1")  # doctest: +SKIP
    >>> where.kind, where.pages[0].boxes  # doctest: +SKIP
    (<MatchKind.EXACT: 'exact'>, (Box(left=90.0, bottom=611.2, right=214.5, top=624.9),))
    >>> png = render_page(Path("报告.pdf"), page=12, boxes=where.pages[0].boxes)  # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import ctypes
import io
import math
import os
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import Enum, StrEnum
from functools import lru_cache
from pathlib import Path

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import BlockKind
from indexing.options import ParseOptions

__all__ = [
    "MAX_BREAK_GAP",
    "MAX_CELL_GAP",
    "MAX_SIDE_PX",
    "MIN_PARTIAL_SHARE",
    "MIN_RUN",
    "Box",
    "ContextParagraph",
    "DocxContext",
    "HighlightError",
    "Mark",
    "MatchKind",
    "NoMatchReason",
    "PageBoxes",
    "QuoteLocation",
    "docx_context",
    "locate_quote",
    "render_page",
]

MAX_CELL_GAP = 100
"""Most folded characters of page text between two cells of a quoted table row."""

MAX_BREAK_GAP = 300
"""Most folded characters after a quote's part on one page (footer, footnotes) and before its part on the
next page (header)."""

MIN_RUN = 4
"""Shortest common run a partial match is made of (shorter ones are chance: ``学校``, ``2023``)."""

MIN_PARTIAL_SHARE = 0.5
"""Share of the quote's folded characters a partial match must locate; below it the match is ``NONE``."""

MAX_SIDE_PX = 2000
"""Longest side of a rendered page in pixels, whatever the scale asked for (a poster-sized page must not
take gigabytes)."""

_MIN_TEXT_CHARS = ParseOptions().min_page_chars  # fewer on a page: the parser OCRs it (a scan with a page number)
_FILL = (255, 221, 0)
_FILL_ALPHA = 0.4
_OUTLINE = (245, 130, 0)
_PAD_PX = 2

_pdfium_lock = threading.Lock()


class HighlightError(IndexingError):
    """A quote cannot be shown: page out of range, empty quote, unreadable file.

    ``message_zh`` is for the reader of the review, ``detail`` for the log (see
    :class:`~indexing.errors.IndexingError`).
    """


class MatchKind(StrEnum):
    """How well a quote was found."""

    EXACT = "exact"  # every character, in order
    PARTIAL = "partial"  # runs covering at least MIN_PARTIAL_SHARE of the quote
    NONE = "none"


class NoMatchReason(StrEnum):
    """Why a quote was not found at all."""

    NO_TEXT_LAYER = "no_text_layer"  # a scanned page: its text came from OCR and has no positions
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, in the page's coordinate space (origin bottom-left, before ``/Rotate``)."""

    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True)
class PageBoxes:
    """Where a quote stands on one page.

    Args:
        page: 1-based page number.
        width: the page's width in points as displayed (``/Rotate`` applied, crop box).
        height: the page's height in points as displayed.
        rotation: the page's ``/Rotate`` in degrees (0, 90, 180, 270).
        boxes: one rectangle per line of located characters (a quoted table row is one line).
    """

    page: int
    width: float
    height: float
    rotation: int
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class QuoteLocation:
    """The answer of :func:`locate_quote`.

    Args:
        kind: exact, partial or none.
        located_share: share of the quote's folded characters located (1.0 for an exact match).
        pages: the cited page first (with no boxes when nothing was found there), then each following page
            the quote runs onto.
        reason: why nothing was found, for ``NONE`` only.
    """

    kind: MatchKind
    located_share: float
    pages: tuple[PageBoxes, ...]
    reason: NoMatchReason | None = None


@dataclass(frozen=True)
class Mark:
    """A range ``[start, end)`` of a paragraph's text to mark."""

    start: int
    end: int


@dataclass(frozen=True)
class ContextParagraph:
    """A paragraph, heading, list item or table row (``cell | cell``) of a DOCX, as the parser read it.

    Args:
        index: position among the document's paragraphs (each table row counts as one).
        kind: what block it belongs to.
        text: its text.
        marks: the ranges of ``text`` the quote covers, in order; empty for a paragraph shown as context.
    """

    index: int
    kind: BlockKind
    text: str
    marks: tuple[Mark, ...] = ()


@dataclass(frozen=True)
class DocxContext:
    """The answer of :func:`docx_context`.

    Args:
        kind: exact, partial or none.
        located_share: share of the quote's folded characters located.
        paragraphs: the paragraphs holding the quote with their marks, and the paragraphs around them;
            empty when nothing was found.
    """

    kind: MatchKind
    located_share: float
    paragraphs: tuple[ContextParagraph, ...]


# --- folding ---------------------------------------------------------------------------------------

_LOOK_ALIKES = str.maketrans(
    {
        "。": ".",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "〝": '"',
        "〞": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "〜": "~",
        "∼": "~",
        "・": "·",
        "•": "·",
        "‧": "·",
        "∙": "·",
        "【": "[",
        "】": "]",
        "〔": "[",
        "〕": "]",
        "〖": "[",
        "〗": "]",
        "⋯": "...",
    }
)
_INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn"))
_CELL_SEPARATOR = "|"


@lru_cache(maxsize=8192)
def _fold(ch: str) -> str:
    """What one character compares as: NFKC, look-alikes unified, lower case; ``""`` for ignored ones."""
    out = []
    for c in unicodedata.normalize("NFKC", ch).translate(_LOOK_ALIKES).lower():
        if not c.isspace() and c != _CELL_SEPARATOR and c != "\ufffd" and unicodedata.category(c) not in _INVISIBLE:
            out.append(c)
    return "".join(out)


class _Gap(Enum):
    """What a quote may jump over at a position."""

    CELL = "cell"  # a cell separator: to the next cell, nearby
    LINE = "line"  # a line break: to a later row or paragraph, anywhere on


@dataclass(frozen=True)
class _Query:
    """A folded quote with the positions where it may jump (before ``text[i]``)."""

    text: str
    gaps: dict[int, _Gap]

    def rows(self) -> list[list[tuple[int, int]]]:
        """The pieces that stand together (``(start, end)`` in ``text``), grouped into rows: a cell gap
        joins two pieces of a row, a line gap starts a new row."""
        cuts = sorted(i for i in self.gaps if 0 < i < len(self.text))
        rows: list[list[tuple[int, int]]] = [[]]
        for start, end in zip([0, *cuts], [*cuts, len(self.text)], strict=True):
            if start and self.gaps[start] is _Gap.LINE:
                rows.append([])
            rows[-1].append((start, end))
        return rows


def _query(quote: str, *, separators: re.Pattern[str] | None = None) -> _Query:
    """Fold a quote; ``separators`` (besides ``|`` and line breaks) are ignored and may be jumped over."""
    text: list[str] = []
    gaps: dict[int, _Gap] = {}
    for part_no, part in enumerate(separators.split(quote) if separators else [quote]):
        if part_no:
            gaps[len(text)] = _Gap.LINE
        for ch in part:
            if ch == _CELL_SEPARATOR:
                gaps.setdefault(len(text), _Gap.CELL)
            elif ch in "\n\r\u2028\u2029":
                gaps[len(text)] = _Gap.LINE
            text.extend(_fold(ch))
    return _Query("".join(text), gaps)


# 「表名：指标 = 值 | 值」（第 3 页，表格第 2 行第 1 列）: how table facts are shown to experts
_DISPLAY_FORM = re.compile(r"^\s*「(?P<inner>.+)」\s*(（[^（）]*）)?\s*$", re.S)
_DISPLAY_SEPARATORS = re.compile(r"\s+=\s+|：")


def _display_query(quote: str) -> _Query | None:
    """The parts of a table fact shown as ``「表名：指标 = 值」``, or ``None`` for any other quote."""
    m = _DISPLAY_FORM.match(quote)
    if not m or " = " not in m["inner"]:
        return None
    return _query(m["inner"], separators=_DISPLAY_SEPARATORS)


# --- matching --------------------------------------------------------------------------------------


# (start in the query, start in the target, length)
_Run = tuple[int, int, int]


@dataclass(frozen=True)
class _Target:
    """Folded text to search, with where each later page starts (the parts a quote may run over)."""

    text: str
    breaks: tuple[int, ...] = ()

    def first_part_end(self) -> int:
        return self.breaks[0] if self.breaks else len(self.text)


@dataclass(frozen=True)
class _Alignment:
    kind: MatchKind
    runs: tuple[_Run, ...]
    share: float


_NO_ALIGNMENT = _Alignment(MatchKind.NONE, (), 0.0)


def _placements(piece: str, offset: int, target: _Target, lo: int, hi: int, start_hi: int) -> Iterator[list[_Run]]:
    """Ways ``piece`` (at ``offset`` in the query) stands in ``target.text[lo:hi]``, starting before
    ``start_hi``: whole, then split over page breaks (each part within MAX_BREAK_GAP of the break)."""
    text = target.text
    end = min(hi, start_hi - 1 + len(piece))
    at = text.find(piece, lo, end)
    while at >= 0:
        yield [(offset, at, len(piece))]
        at = text.find(piece, at + 1, end)
    for brk in target.breaks:
        if not lo < brk < hi:
            continue
        for k in range(len(piece) - 1, 0, -1):
            head = piece[:k]
            at = text.rfind(head, max(lo, brk - MAX_BREAK_GAP - k), brk)
            if at < 0 or at >= start_hi:
                continue
            rest = next(_placements(piece[k:], offset + k, target, brk, hi, brk + MAX_BREAK_GAP + 1), None)
            if rest is not None:
                yield [(offset, at, k), *rest]
                break


def _exact(query: _Query, target: _Target) -> tuple[_Run, ...] | None:
    """Every character of the query in order, jumping only where allowed, starting in the first part.

    The rows (pieces joined by cell gaps) are placed one after another, each at its best place after
    the previous row (see :func:`_place_row`); the jump between rows is not limited.
    """
    runs: list[_Run] = []
    start_hi = target.first_part_end()
    for row in query.rows():
        placed = _place_row(row, query, target, runs[-1][1] + runs[-1][2] if runs else 0, start_hi)
        if placed is None:
            return None
        runs.extend(placed)
        start_hi = len(target.text)
    return tuple(runs)


def _place_row(
    row: Sequence[tuple[int, int]], query: _Query, target: _Target, lo: int, start_hi: int
) -> list[_Run] | None:
    """The place of a row's cells at or after ``lo`` that skips the fewest characters between them (the
    earliest of those), its first cell starting before ``start_hi``; each cell at most MAX_CELL_GAP
    after the last, on the same page.
    """
    (s0, e0), *cells = row
    best: tuple[int, list[_Run]] | None = None
    for first in _placements(query.text[s0:e0], s0, target, lo, len(target.text), start_hi):
        runs, skipped = list(first), 0
        for s, e in cells:
            pos = runs[-1][1] + runs[-1][2]
            end = min([pos + MAX_CELL_GAP + e - s, *(b for b in target.breaks if b > pos)])
            at = target.text.find(query.text[s:e], pos, end)
            if at < 0:
                break
            runs.append((s, at, e - s))
            skipped += at - pos
        else:
            if not skipped:
                return runs
            if best is None or skipped < best[0]:
                best = (skipped, runs)
    return best[1] if best else None


def _partial(query: _Query, target: _Target) -> _Alignment:
    """The longest common runs lying together around the longest one (at least one in the first part)."""
    min_run = min(MIN_RUN, len(query.text))
    matcher = SequenceMatcher(None, query.text, target.text, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= min_run]
    if not blocks:
        return _NO_ALIGNMENT
    anchor = max(blocks, key=lambda b: b.size)
    reach = 2 * len(query.text) + 2 * MAX_BREAK_GAP
    kept = [b for b in blocks if abs(b.b - anchor.b) <= reach]
    share = sum(b.size for b in kept) / len(query.text)
    if share < MIN_PARTIAL_SHARE or not any(b.b < target.first_part_end() for b in kept):
        return _NO_ALIGNMENT
    return _Alignment(MatchKind.PARTIAL, tuple((b.a, b.b, b.size) for b in kept), share)


def _align(queries: Sequence[_Query], target: _Target, *, partial: bool) -> _Alignment:
    """The exact match of the first query that has one, else (when asked) the best partial match."""
    for query in queries:
        runs = _exact(query, target)
        if runs is not None:
            return _Alignment(MatchKind.EXACT, runs, 1.0)
    if not partial:
        return _NO_ALIGNMENT
    return max((_partial(q, target) for q in queries), key=lambda a: a.share)


def _queries(quote: str) -> list[_Query]:
    """The quote as written, then (for a table fact shown to experts) its parts."""
    query = _query(quote)
    if not query.text:
        raise HighlightError(
            IndexingErrorCode.EMPTY_QUOTE, "引文为空，无法定位。", f"quote {quote[:50]!r} has no comparable characters"
        )
    display = _display_query(quote)
    return [query, display] if display and display.text else [query]


# --- PDF -------------------------------------------------------------------------------------------


@contextmanager
def _open_pdf(pdf: Path | bytes):
    """The PDF open in PDFium, under the module's lock; closed on leaving."""
    import pypdfium2 as pdfium

    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else os.fspath(pdf))
        except pdfium.PdfiumError as exc:
            encrypted = getattr(exc, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD
            raise HighlightError(
                IndexingErrorCode.ENCRYPTED_FILE if encrypted else IndexingErrorCode.CORRUPT_FILE,
                "PDF 文件已加密，无法显示原文页面。" if encrypted else "PDF 文件已损坏，无法显示原文页面。",
                f"PDFium cannot open the PDF: {exc}",
            ) from exc
        try:
            yield document
        finally:
            document.close()


def _check_page(document, page: int) -> None:
    count = len(document)
    if not 1 <= page <= count:
        raise HighlightError(
            IndexingErrorCode.PAGE_OUT_OF_RANGE,
            f"页码 {page} 超出范围：该文件共 {count} 页。",
            f"page {page} requested, the PDF has {count} pages",
        )


@dataclass
class _PageText:
    """One page's folded text, each folded character's index in PDFium's character list, and its geometry."""

    number: int
    text: str
    origin: list[int]
    width: float
    height: float
    rotation: int
    page: object  # the open PdfPage and PdfTextPage, closed by the caller
    textpage: object

    def char_box(self, index: int) -> tuple[Box, int]:
        """A character's box (its font's full height where PDFium knows it) and its text direction as
        counter-clockwise quarter turns (1: the baseline runs up the page)."""
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c

        try:
            left, bottom, right, top = self.textpage.get_charbox(index, loose=True)
        except pdfium.PdfiumError:
            left, bottom, right, top = self.textpage.get_charbox(index)
        angle = pdfium_c.FPDFText_GetCharAngle(self.textpage.raw, index)  # clockwise radians, -1 if unknown
        quarter_turns = -round(math.degrees(angle) / 90) % 4 if angle >= 0 else 0
        return Box(left, bottom, right, top), quarter_turns


def _read_page(document, number: int) -> _PageText:
    """Read a page's characters (generated spaces and line breaks left out) and fold them."""
    import pypdfium2.raw as pdfium_c

    page = document[number - 1]
    width, height = page.get_size()  # as displayed: PDFium applies /Rotate
    rotation = page.get_rotation()
    textpage = page.get_textpage()
    raw = textpage.raw
    text: list[str] = []
    origin: list[int] = []
    for i in range(pdfium_c.FPDFText_CountChars(raw)):
        if pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
            continue
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        folded = _fold(chr(code)) if code < 0x110000 else ""
        text.append(folded)
        origin.extend([i] * len(folded))
    return _PageText(number, "".join(text), origin, width, height, rotation, page, textpage)


# Page space turned so that text of a direction (counter-clockwise quarter turns) reads left to right,
# lines going down; translation left out: only used to tell lines apart, not to place anything.
_TO_TEXT_SPACE = (
    lambda x, y: (x, -y),
    lambda x, y: (y, x),
    lambda x, y: (-x, y),
    lambda x, y: (-y, -x),
)
_FROM_TEXT_SPACE = (
    lambda u, v: (u, -v),
    lambda u, v: (v, u),
    lambda u, v: (-u, v),
    lambda u, v: (-v, -u),
)


def _line_boxes(char_boxes: Sequence[tuple[Box, int]]) -> tuple[Box, ...]:
    """Merge the boxes of characters in reading order into one box per line (a table row's cells included).

    Lines are told apart in each character's own text direction, so text running up a rotated page
    (a landscape table) is merged along its baseline too.
    """
    lines: list[tuple[int, list[float]]] = []
    previous: tuple[int, float, float, float, float] | None = None
    for box, turns in char_boxes:
        forth = _TO_TEXT_SPACE[turns]
        (a, b), (c, d) = forth(box.left, box.bottom), forth(box.right, box.top)
        x0, y0, x1, y1 = min(a, c), min(b, d), max(a, c), max(b, d)
        if previous is not None:
            pturns, px0, py0, _, py1 = previous
            em = max(min(y1 - y0, py1 - py0), 0.1)
            if turns == pturns and min(y1, py1) - max(y0, py0) >= 0.5 * em and x0 >= px0 - 0.5 * em:
                line = lines[-1][1]
                line[:] = [min(line[0], x0), min(line[1], y0), max(line[2], x1), max(line[3], y1)]
                previous = (turns, x0, y0, x1, y1)
                continue
        lines.append((turns, [x0, y0, x1, y1]))
        previous = (turns, x0, y0, x1, y1)
    out = []
    for turns, (u0, v0, u1, v1) in lines:
        back = _FROM_TEXT_SPACE[turns]
        (a, b), (c, d) = back(u0, v0), back(u1, v1)
        out.append(Box(min(a, c), min(b, d), max(a, c), max(b, d)))
    return tuple(out)


def locate_quote(pdf: Path | bytes, *, page: int, quote: str, next_pages: int = 1) -> QuoteLocation:
    """Find a quote's characters on a PDF page (and the pages it runs onto).

    Args:
        pdf: the PDF file or its bytes.
        page: the 1-based page the quote starts on (the evidence's ``page_start``).
        quote: the quote, as it stands in the chunk text (``cell | cell`` rows and line breaks allowed), or a
            table fact shown as ``「表名：指标 = 值」``.
        next_pages: how many following pages the quote may run onto.

    Returns:
        The match kind, the share of the quote located and the boxes per page. A page with (nearly) no
        text layer gives ``NONE`` with :attr:`NoMatchReason.NO_TEXT_LAYER`: its text came from OCR.

    Raises:
        HighlightError: ``PAGE_OUT_OF_RANGE``, ``EMPTY_QUOTE`` (nothing but spaces and separators),
            ``CORRUPT_FILE`` or ``ENCRYPTED_FILE``.

    Example:
        >>> locate_quote(data, page=2, quote="学院 | 专业 | 人数").kind  # doctest: +SKIP
        <MatchKind.EXACT: 'exact'>
    """
    queries = _queries(quote)
    with _open_pdf(pdf) as document:
        _check_page(document, page)
        last = min(len(document), page + max(next_pages, 0))
        pages = [_read_page(document, page)]
        try:
            first = pages[0]
            if not first.text:
                return _nothing(first, NoMatchReason.NO_TEXT_LAYER)
            searched = _Pages(pages)
            alignment = _align(queries, searched.target(), partial=last == page)
            if alignment.kind is not MatchKind.EXACT and last > page:
                pages.extend(_read_page(document, n) for n in range(page + 1, last + 1))
                searched = _Pages(pages)
                alignment = _align(queries, searched.target(), partial=True)
            if alignment.kind is MatchKind.NONE:
                few = len(first.text) < _MIN_TEXT_CHARS
                return _nothing(first, NoMatchReason.NO_TEXT_LAYER if few else NoMatchReason.NOT_FOUND)
            return QuoteLocation(alignment.kind, alignment.share, _page_boxes(searched, alignment.runs))
        finally:
            for read in pages:
                read.textpage.close()
                read.page.close()


def _nothing(page: _PageText, reason: NoMatchReason) -> QuoteLocation:
    return QuoteLocation(
        MatchKind.NONE, 0.0, (PageBoxes(page.number, page.width, page.height, page.rotation, ()),), reason
    )


class _Pages:
    """Consecutive pages searched as one text, and where each of its folded characters comes from."""

    def __init__(self, pages: Sequence[_PageText]) -> None:
        self.pages = pages
        self.starts = [0]
        for read in pages[:-1]:
            self.starts.append(self.starts[-1] + len(read.text))

    def target(self) -> _Target:
        return _Target("".join(p.text for p in self.pages), tuple(self.starts[1:]))

    def source(self, position: int) -> tuple[int, int]:
        """(index in ``pages``, PDFium character index) of a folded character."""
        k = bisect.bisect_right(self.starts, position) - 1
        return k, self.pages[k].origin[position - self.starts[k]]


def _page_boxes(pages: _Pages, runs: Sequence[_Run]) -> tuple[PageBoxes, ...]:
    """Boxes of the characters the runs cover, per page: the first page always, later pages when touched."""
    chars: list[set[int]] = [set() for _ in pages.pages]
    for _, at, length in runs:
        for position in range(at, at + length):
            k, index = pages.source(position)
            chars[k].add(index)
    out = []
    for k, read in enumerate(pages.pages):
        if k and not chars[k]:
            continue
        boxes = _line_boxes([read.char_box(i) for i in sorted(chars[k])])
        out.append(PageBoxes(read.number, read.width, read.height, read.rotation, boxes))
    return tuple(out)


def render_page(pdf: Path | bytes, *, page: int, boxes: Sequence[Box] = (), scale: float = 1.5) -> bytes:
    """Draw a PDF page as a PNG with boxes highlighted (translucent yellow, orange outline).

    Args:
        pdf: the PDF file or its bytes.
        page: 1-based page number.
        boxes: rectangles in the page's coordinate space, as :func:`locate_quote` returns them.
        scale: pixels per point (1.5 ≈ 108 dpi); lowered so that no side exceeds :data:`MAX_SIDE_PX`.

    Returns:
        The PNG bytes. Page rotation and crop box are applied as a PDF viewer shows the page.

    Raises:
        HighlightError: ``PAGE_OUT_OF_RANGE``, ``CORRUPT_FILE`` or ``ENCRYPTED_FILE``.
        ValueError: ``scale`` is not positive.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    from PIL import Image, ImageDraw

    with _open_pdf(pdf) as document:
        _check_page(document, page)
        pdf_page = document[page - 1]
        try:
            width, height = pdf_page.get_size()
            bitmap = pdf_page.render(scale=min(scale, MAX_SIDE_PX / max(width, height, 1.0)), rev_byteorder=True)
            try:
                image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap's native buffer is freed here
            finally:
                bitmap.close()
            rects = [_pixel_rect(pdf_page, box, image.size) for box in boxes]
        finally:
            pdf_page.close()
    thickness = max(1, round(image.width / 600))
    for x0, y0, x1, y1 in rects:
        x0, y0 = max(x0 - _PAD_PX, 0), max(y0 - _PAD_PX, 0)
        x1, y1 = min(x1 + _PAD_PX, image.width), min(y1 + _PAD_PX, image.height)
        if x1 <= x0 or y1 <= y0:
            continue
        region = image.crop((x0, y0, x1, y1))
        image.paste(Image.blend(region, Image.new("RGB", region.size, _FILL), _FILL_ALPHA), (x0, y0))
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in rects:
        draw.rectangle((x0 - _PAD_PX, y0 - _PAD_PX, x1 + _PAD_PX, y1 + _PAD_PX), outline=_OUTLINE, width=thickness)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)  # level 6 is 4× slower for 20 % less
    return out.getvalue()


def _pixel_rect(pdf_page, box: Box, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A box's corners in the rendered image, through PDFium's own page-to-device transform."""
    import pypdfium2.raw as pdfium_c

    xs, ys = [], []
    dx, dy = ctypes.c_int(), ctypes.c_int()
    for x, y in ((box.left, box.bottom), (box.right, box.top)):
        pdfium_c.FPDF_PageToDevice(pdf_page.raw, 0, 0, size[0], size[1], 0, x, y, dx, dy)
        xs.append(dx.value)
        ys.append(dy.value)
    return min(xs), min(ys), max(xs), max(ys)


# --- DOCX ------------------------------------------------------------------------------------------


def docx_context(docx: Path | bytes, *, quote: str, around: int = 1) -> DocxContext:
    """Find a quote in a DOCX and return its paragraphs with the ones around them.

    The DOCX is read by the project's parser (:func:`indexing.parsing.docx.parse_docx`), so paragraphs
    carry automatic numbers, text boxes and table cells exactly as the chunk text the quote came from;
    each table row is one paragraph, its cells joined by `` | ``.

    Args:
        docx: the DOCX file or its bytes.
        quote: the quote, matched as in :func:`locate_quote` (a quote may run over several paragraphs).
        around: how many paragraphs to add before and after the ones holding the quote.

    Returns:
        The match kind, the located share and the paragraphs (marked ranges on those holding the quote).

    Raises:
        HighlightError: ``EMPTY_QUOTE``.
        IndexingError: the parser's errors for a damaged file (``CORRUPT_FILE``, ``ARCHIVE_BOMB``).

    Example:
        >>> ctx = docx_context(data, quote="学校创建于1952年。")  # doctest: +SKIP
        >>> [(p.text, p.marks) for p in ctx.paragraphs if p.marks]  # doctest: +SKIP
        [('学校创建于1952年。', (Mark(start=0, end=11),))]
    """
    from indexing.parsing.docx import parse_docx

    queries = _queries(quote)
    data = docx if isinstance(docx, bytes) else Path(docx).read_bytes()
    document = parse_docx(data, doc_id="", name="", options=ParseOptions())
    paragraphs: list[tuple[BlockKind, str]] = []
    for block in document.blocks:
        lines = block.text.split("\n") if block.kind is BlockKind.TABLE else [block.text]
        paragraphs.extend((block.kind, line) for line in lines)
    text: list[str] = []
    origin: list[tuple[int, int]] = []
    for index, (_, paragraph) in enumerate(paragraphs):
        for offset, ch in enumerate(paragraph):
            folded = _fold(ch)
            text.append(folded)
            origin.extend([(index, offset)] * len(folded))
    alignment = _align(queries, _Target("".join(text)), partial=True)
    if alignment.kind is MatchKind.NONE:
        return DocxContext(MatchKind.NONE, 0.0, ())
    located: dict[int, list[int]] = {}
    for _, at, length in alignment.runs:
        for index, offset in origin[at : at + length]:
            located.setdefault(index, []).append(offset)
    lo, hi = max(min(located) - around, 0), min(max(located) + around, len(paragraphs) - 1)
    shown = tuple(
        ContextParagraph(i, paragraphs[i][0], paragraphs[i][1], _marks(paragraphs[i][1], located.get(i, [])))
        for i in range(lo, hi + 1)
    )
    return DocxContext(alignment.kind, alignment.share, shown)


def _marks(text: str, offsets: list[int]) -> tuple[Mark, ...]:
    """Ranges covering the offsets, joined over what folding ignores (spaces, `` | ``)."""
    marks: list[Mark] = []
    for offset in sorted(set(offsets)):
        if marks and not _fold_all(text[marks[-1].end : offset]):
            marks[-1] = Mark(marks[-1].start, offset + 1)
        else:
            marks.append(Mark(offset, offset + 1))
    return tuple(marks)


def _fold_all(text: str) -> str:
    return "".join(_fold(ch) for ch in text)
