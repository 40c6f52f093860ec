"""OCR of page images with RapidOCR (PP-OCRv4 Chinese models, bundled with ``rapidocr-onnxruntime``), and
the page layout rebuilt from its boxes.

The engine is created on first use and kept for the life of the process (loading the models takes about
a second); importing this module loads nothing. :func:`recognize` returns text boxes with their
confidences; :func:`layout_page` rebuilds the page from them, in image pixels:

1. **Rows**: boxes that share a band (:func:`~indexing.parsing.layout.group_rows`).
2. **Tables**: a run of consecutive, closely spaced rows with two or more boxes each (a few one-box rows
   between them allowed) is a table candidate; bare-number rows on top (a chart's axis) and a first or
   last row standing off (a running header) are left out. Its columns come from the x-coverage profile of
   its fullest rows, cut at empty strips and at valleys that a few spanning cells cross. Each box goes to
   the column it overlaps; a box over two columns is a spanning cell (its text in the first, as the text
   layer's tables have it); boxes of one row in one column are one cell (the detector cuts a cell at a
   wide space). A row closer to its neighbour than the table's row pitch allows, filling only columns the
   neighbour leaves empty or continuing one of its cells, holds other lines of multi-line cells and is
   merged. The candidate is a table when two rows have two cells, every column is aligned (left, centred
   or right), and it is neither two columns of running text nor a table of contents. Cells the detector
   left empty are read from the image (:func:`cell_reader`): single digits, ``-``, ``—`` and ``/`` are
   too small for it.
3. **Reading order** of the other rows: parts of the page set in two columns
   (:func:`~indexing.parsing.layout.column_regions`, the text layer's rule) are read column by column;
   tables end such parts. Table-of-contents lines get back the page number the detector missed.
4. **Lines** in points, with the font size estimated from the text width, so that OCR text is split into
   paragraphs by exactly the rules of a PDF text layer (:func:`~indexing.parsing.layout.breaks_between`).
   A line's height never makes it a heading: headings of scanned pages come from their numbering.

Recognition quirk handled here: RapidOCR's direction classifier turns single short boxes (``5000``,
``30%``) upside down at high confidence, which turns numbers into other numbers (``000S``, ``%08``). The
direction is therefore decided once per page, by the majority of long lines.

Speed, measured on the 2-core development machine (A4 page rendered at 150 dpi): detection ~0.3 s (run
on a copy reduced to 736 px on the short side), recognition ~0.08–0.1 s per full-width line of Chinese,
so 2–3 s for a dense page of 24–32 lines; the layout takes milliseconds, plus ~0.05 s per empty table
cell or page number read from the image. Recognition runs one
line at a time: with onnxruntime on CPU, batches of padded lines were measured about twice as slow per
line as single lines.

**Pages in parallel**: :func:`read_pdf_pages` reads the pages of a scanned PDF in a pool of processes
(``spawn``: PDFium and onnxruntime are neither fork- nor thread-safe). Each process opens the PDF and loads
the models once and renders its pages itself (page images never pile up in the parent, which receives
lines and tables only); onnxruntime runs ``cores // processes`` threads in each, so the pool never
oversubscribes the cores. The results are those of :func:`ocr_pdf_page`, in the order asked.

Example:
    >>> boxes = recognize(image)  # doctest: +SKIP
    >>> page = layout_page(boxes, scale=150 / 72)  # doctest: +SKIP
    >>> page.tables[0].rows[:2]  # doctest: +SKIP
    (('指标', '数值'), ('生师比', '18.46'))
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import logging
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexing.models import TextSource
from indexing.parsing.headings import numbering_level
from indexing.parsing.layout import (
    Line,
    column_regions,
    first_unit_length,
    group_rows,
    is_cjk,
    right_edge,
    text_em_width,
)
from indexing.parsing.text import join_lines

__all__ = [
    "CellReader",
    "OcrFailure",
    "OcrLine",
    "OcrPage",
    "OcrTable",
    "PageLayout",
    "available_cores",
    "cell_reader",
    "layout_page",
    "ocr_pdf_page",
    "read_page",
    "read_pdf_pages",
    "read_upright",
    "recognize",
    "worker_count",
]

log = logging.getLogger(__name__)

_engine: Any = None
_engine_lock = threading.Lock()
# The document a pool process reads (opened once by its initializer).
_worker_pdf: Any = None
_MAX_SIDE_PX = 2400
_DETECT_SHORT_SIDE = 736
# ASCII punctuation that OCR returns inside Chinese text, and its full-width form.
_FULLWIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
# Short results below this confidence are marks read as text (a "/" or an icon read as "7"); a wrong
# number in a table cell is worse than an empty cell.
_SHORT_MIN_CONFIDENCE = 0.7
# Dot leaders before a page number: a table-of-contents entry. OCR reads leaders as a few dots, so two
# are enough (the text layer asks for four).
_TOC_LEADERS = re.compile(r"[.．…·•_\-—－](\s*[.．…·•_\-—－])+\s*\d{1,4}$")
_PAGE_NUMBER = re.compile(r"^[.．…·\s]*(\d{1,3})$")
_LEADERS_END = re.compile(r"[.．…·](\s*[.．…·])+$")
_LETTERS = re.compile(r"[A-Za-z\u4e00-\u9fff]")
_NUMBER_SPECK = re.compile(r"^([-+]?\d[\d,.]*%?)[.:：,，。、·'`]+$")


@dataclass(frozen=True)
class OcrLine:
    """A recognised text box: text, box ``(x0, top, x1, bottom)`` in image pixels, confidence in [0, 1]."""

    text: str
    box: tuple[float, float, float, float]
    confidence: float


CellReader = Callable[[tuple[float, float, float, float], float], "OcrLine | None"]
"""Reads a table cell the detector left empty: ``(region, em)`` in image pixels → the box found there."""


@dataclass(frozen=True)
class OcrTable:
    """A table rebuilt from OCR boxes, in points.

    Args:
        rows: cell texts, row by row, every row as long as the widest ("" for an empty cell).
        x0, top, x1, bottom: the table's box.
        page: 1-based page number.
        confidence: mean recogniser confidence of its cells, weighted by text length.
    """

    rows: tuple[tuple[str, ...], ...]
    x0: float
    top: float
    x1: float
    bottom: float
    page: int
    confidence: float


@dataclass(frozen=True)
class PageLayout:
    """One page rebuilt from OCR boxes: text lines in reading order (table text excluded), and tables."""

    lines: list[Line]
    tables: list[OcrTable]


@dataclass(frozen=True)
class OcrPage:
    """The OCR result of one page in reading space (points): lines, tables, page size, mean confidence."""

    lines: list[Line]
    tables: list[OcrTable]
    width: float
    height: float
    confidence: float | None
    rotation: int = 0
    """The PDF page's rotation in degrees (its text layer is in unrotated space, these lines are not)."""


@dataclass(frozen=True)
class OcrFailure:
    """A page OCR could not read: its 1-based number and the error as ``Type: message``."""

    page: int
    error: str


def engine() -> Any:
    """The process-wide RapidOCR engine, created on first use."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = _new_engine()
    return _engine


def _new_engine(threads: int | None = None) -> Any:
    """A RapidOCR engine; onnxruntime uses ``threads`` threads per model (all cores when None)."""
    from rapidocr_onnxruntime import RapidOCR

    # Recognition dominates a dense page (hundreds of line images); batches of 6 took a dense real table page
    # from 4.2 s to 3.1 s on 2 quiet cores, with the same cells read (larger batches pad short lines to the
    # longest and were slower).
    if threads is None:
        return RapidOCR(rec_batch_num=6, print_verbose=False)
    return RapidOCR(rec_batch_num=6, print_verbose=False, intra_op_num_threads=threads)


def recognize(image: Any) -> list[OcrLine]:
    """Detect and recognise text boxes in an image.

    Args:
        image: a BGR or grayscale ``numpy`` array.

    Returns:
        Boxes in the detector's order (top to bottom), with empty results, low-confidence results and
        short results below :data:`_SHORT_MIN_CONFIDENCE` dropped.
    """
    return read_upright(image)[0]


def read_upright(image: Any) -> tuple[list[OcrLine], Any]:
    """Recognise text boxes like :func:`recognize`, turning a page scanned upside down the right way up first.

    Returns:
        The boxes and the image their coordinates refer to (the input, or the input turned by 180°), so that
        reading order and later reads from the image (empty table cells) follow the upright page.
    """
    results, upright = _run(image)
    lines: list[OcrLine] = []
    for box, text, score in results:
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        t = normalize_ocr_text(str(text))
        if t and (len(t) > 2 or float(score) >= _SHORT_MIN_CONFIDENCE):
            lines.append(OcrLine(t, (min(xs), min(ys), max(xs), max(ys)), float(score)))
    return lines, upright


def _run(image: Any, *, may_turn: bool = True) -> tuple[list[tuple[Any, str, float]], Any]:
    """RapidOCR's pipeline, with text detection on a reduced copy of large images and one text direction
    for the whole page.

    Detection cost grows with the pixel count while the detector needs far less resolution than the
    recogniser: detecting at ~736 px on the short side (RapidOCR's own working size) and cutting the line
    images from the full-resolution page makes an A4 page at 150 dpi about 3× faster to detect, with the
    same recognition quality. Falls back to the engine's own call if its internals differ.
    """
    import cv2
    import numpy as np

    eng = engine()
    img = np.ascontiguousarray(image)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    try:
        detect, crop, classify, read = eng.text_det, eng.get_crop_img_list, eng.text_cls, eng.text_rec
        sort_boxes, min_score = eng.sorted_boxes, float(eng.text_score)
    except AttributeError:  # pragma: no cover - another rapidocr version
        result, _ = eng(img)
        return [(b, t, s) for b, t, s in result or []], image
    h, w = img.shape[:2]
    f = min(1.0, _DETECT_SHORT_SIDE / max(1, min(h, w)))
    small = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 0.9 else img
    boxes, _ = detect(small)
    if boxes is None or len(boxes) == 0:
        return [], image
    if small is not img:
        boxes = np.asarray(boxes, dtype=np.float32) / f
    boxes = sort_boxes(np.asarray(boxes, dtype=np.float32))
    crops = crop(img, boxes)
    # Only boxes at least three characters long have a reliable direction (so only they are classified); a page
    # is upside down when most of their width says so.
    long_crops = [c for c in crops if c.shape[1] >= 3 * c.shape[0]]
    _, directions, _ = classify(long_crops) if long_crops else (None, [], None)
    upright = flipped = 0.0
    for c, (label, score) in zip(long_crops, directions, strict=False):
        if "180" in str(label) and float(score) > 0.9:
            flipped += c.shape[1]
        else:
            upright += c.shape[1]
    if flipped > upright and may_turn:
        # Turning each line alone would read the lines right but in reverse order: turn the whole page.
        return _run(np.ascontiguousarray(np.rot90(image, 2)), may_turn=False)
    texts, _ = read(crops)
    kept = [(box, t[0], float(t[1])) for box, t in zip(boxes, texts, strict=False) if float(t[1]) >= min_score]
    return kept, image


def normalize_ocr_text(text: str) -> str:
    """Use full-width punctuation inside Chinese text, then drop spaces next to CJK characters."""
    t = re.sub(r"\s+", " ", text).strip()
    chars = list(t)
    for i, ch in enumerate(chars):
        if ch in _FULLWIDTH:
            before = next((c for c in reversed(chars[:i]) if c != " "), "")
            after = next((c for c in chars[i + 1 :] if c != " "), "")
            if (ch == "(" and after and is_cjk(after)) or (ch != "(" and before and is_cjk(before)):
                chars[i] = _FULLWIDTH[ch]
    out = []
    for i, ch in enumerate(chars):
        prev = chars[i - 1] if i else ""
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if ch == " " and ((prev and is_cjk(prev)) or (nxt and is_cjk(nxt))):
            continue
        out.append(ch)
    return "".join(out)


# --- layout ---------------------------------------------------------------------------------------


@dataclass
class _Row:
    """Boxes sharing a band, left to right."""

    boxes: list[OcrLine]

    @property
    def top(self) -> float:
        return min(b.box[1] for b in self.boxes)

    @property
    def bottom(self) -> float:
        return max(b.box[3] for b in self.boxes)

    @property
    def mid(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def x0(self) -> float:
        return min(b.box[0] for b in self.boxes)

    @property
    def x1(self) -> float:
        return max(b.box[2] for b in self.boxes)


def _box_em(box: OcrLine) -> float:
    """A box's character size in pixels, from its width (CJK characters are 1 em, others ½)."""
    x0, top, x1, bottom = box.box
    if len(box.text) >= 2:
        return (x1 - x0) / text_em_width(box.text)
    return (bottom - top) / 1.2


def _em(boxes: Sequence[OcrLine]) -> float:
    """The typical character size of a set of boxes, in pixels."""
    sizes = [_box_em(b) for b in boxes if len(b.text) >= 2] or [_box_em(b) for b in boxes]
    return max(statistics.median(sizes), 1.0) if sizes else 10.0


def _rows(boxes: Sequence[OcrLine]) -> list[_Row]:
    """Boxes grouped into rows, top to bottom, each row left to right."""
    rows = group_rows(boxes, lambda b: (b.box[1], b.box[3]))
    return [_Row(sorted(r, key=lambda b: b.box[0])) for r in rows]


def layout_page(
    boxes: Sequence[OcrLine],
    *,
    scale: float = 1.0,
    page: int = 1,
    width: float | None = None,
    read_cell: CellReader | None = None,
) -> PageLayout:
    """Rebuild a page from its OCR boxes: tables, and text lines in reading order.

    Args:
        boxes: the page's recognised boxes (:func:`recognize`), in image pixels.
        scale: pixels per point; lines and tables are returned in points.
        page: 1-based page number given to lines and tables.
        width: the image width in pixels (where a two-column gutter may lie); the boxes' extent if not
            given.
        read_cell: reads table cells the detector left empty and the page numbers of table-of-contents
            lines (single digits and marks such as ``-`` or ``/`` are too small for it); without it they
            stay empty.

    Returns:
        Lines (table text excluded) in reading order and tables top to bottom.
    """
    rows = _rows(boxes)
    if not rows:
        return PageLayout(lines=[], tables=[])
    em = _em(boxes)
    heights = sorted(r.bottom - r.top for r in rows)
    row_height = heights[len(heights) // 2]
    tables: list[OcrTable] = []
    in_table: set[int] = set()
    for run in _table_runs(rows, em, row_height):
        # A one-box row of text touching the run may be another line of a multi-line cell.
        first, last = run[0], run[-1]
        edges = []
        if first > 0 and _touching_text(rows[first - 1], rows[first].top - rows[first - 1].bottom, row_height):
            edges.append(first - 1)
        if last + 1 < len(rows) and _touching_text(rows[last + 1], rows[last + 1].top - rows[last].bottom, row_height):
            edges.append(last + 1)
        built = _build_table(
            [rows[i] for i in run], [rows[k] for k in edges], scale=scale, page=page, read_cell=read_cell
        )
        if built is not None:
            table, used = built
            tables.append(table)
            in_table.update(run)
            in_table.update(k for k in edges if any(rows[k] is u for u in used))
    rest = [r for i, r in enumerate(rows) if i not in in_table]
    if read_cell is not None:
        _read_page_numbers(rest, em, read_cell)
    page_width = width if width is not None else max(r.x1 for r in rows)
    lines = _reading_order(rest, tables, page_width, em, scale=scale, page=page)
    return PageLayout(lines=lines, tables=tables)


# --- tables ---------------------------------------------------------------------------------------


def _touching_text(row: _Row, gap: float, row_height: float) -> bool:
    """A one-box row of text that (nearly) touches a table: maybe another line of one of its cells."""
    return len(row.boxes) == 1 and gap <= 0.35 * row_height and bool(_LETTERS.search(row.boxes[0].text))


def _table_runs(rows: Sequence[_Row], em: float, row_height: float) -> list[list[int]]:
    """Candidate table regions: indices of consecutive rows with two or more boxes.

    Rows follow each other with less than a row's height between them. Up to three one-box rows may sit
    between two multi-box rows when they look like cells (narrower than the run, inside it). Two or more
    rows of bare numbers at the top of a run are a chart's axis labels above its data table, and a first
    or last row further off than twice the run's usual gap (plus half a character) is a running header or
    a label line: both are left out.
    """
    runs: list[list[int]] = []
    cur: list[int] = []
    pending: list[int] = []

    def close() -> None:
        nonlocal cur
        k = 0
        while k < len(cur) and not any(_LETTERS.search(b.text) for b in rows[cur[k]].boxes):
            k += 1
        if k >= 2:
            cur = cur[k:]
        # A running header or a label line above the table stands further off than its rows do.
        while len(cur) >= 3:
            gaps = [max(0.0, rows[b].top - rows[a].bottom) for a, b in itertools.pairwise(cur)]
            limit = 2 * statistics.median(gaps) + 0.5 * em
            if gaps[0] > limit:
                cur = cur[1:]
            elif gaps[-1] > limit:
                cur = cur[:-1]
            else:
                break
            while cur and len(rows[cur[0]].boxes) < 2:
                cur = cur[1:]
        if sum(1 for i in cur if len(rows[i].boxes) >= 2) >= 2:
            runs.append(cur)
        cur = []

    for i, row in enumerate(rows):
        prev = rows[(pending or cur)[-1]] if cur else None
        near = prev is not None and row.top - prev.bottom <= row_height
        if len(row.boxes) >= 2:
            if cur and near:
                cur += [*pending, i]
            else:
                close()
                cur = [i]
            pending = []
            continue
        multi = [rows[k] for k in cur if len(rows[k].boxes) >= 2]
        x0 = min((r.x0 for r in multi), default=0.0)
        x1 = max((r.x1 for r in multi), default=0.0)
        cell_like = row.x0 >= x0 - em and row.x1 <= x1 + em and row.x1 - row.x0 <= 0.6 * (x1 - x0)
        if cur and near and cell_like and len(pending) < 3:
            pending.append(i)
            continue
        close()
        pending = []
    close()
    return runs


def _columns(intervals: Sequence[Sequence[tuple[float, float]]], lo: float, hi: float) -> list[tuple[float, float]]:
    """Column x-ranges from the x-coverage profile of a table's boxes.

    Args:
        intervals: for each row, its boxes' ``(x0, x1)``.
        lo, hi: the table's extent.

    Returns:
        Column ranges, left to right: stretches of the profile cut at empty pixels and at valleys that stay
        below a fifth of the peaks on both sides (a few cells spanning two columns cross them).
    """
    n = int(hi - lo) + 1
    cov = [0] * n
    for spans in intervals:
        seen = [False] * n
        for x0, x1 in spans:
            for k in range(max(0, int(x0 - lo)), min(n, int(x1 - lo) + 1)):
                seen[k] = True
        for k in range(n):
            if seen[k]:
                cov[k] += 1
    cols: list[tuple[float, float]] = []
    k = 0
    while k < n:
        if cov[k] == 0:
            k += 1
            continue
        start = k
        while k < n and cov[k] > 0:
            k += 1
        cols += [(lo + start + a, lo + start + b) for a, b in _between_valleys(cov[start:k])]
    return cols


def _between_valleys(seg: Sequence[int]) -> list[tuple[int, int]]:
    """Index ranges of a coverage profile without empty pixels, cut where it drops to at most a fifth of
    the peaks on both sides (or to 1 under low peaks)."""
    left = list(itertools.accumulate(seg, max))
    right = list(itertools.accumulate(reversed(seg), max))[::-1]
    valley = [v < min(lp, rp) and v <= max(1.0, 0.2 * min(lp, rp)) for v, lp, rp in zip(seg, left, right, strict=True)]
    out: list[tuple[int, int]] = []
    start: int | None = None
    for j, low in enumerate(valley):
        if not low and start is None:
            start = j
        elif low and start is not None:
            out.append((start, j - 1))
            start = None
    if start is not None:
        out.append((start, len(seg) - 1))
    return out


def _overlaps_any(box: OcrLine, cols: Sequence[tuple[float, float]]) -> bool:
    return any(min(box.box[2], c1) > max(box.box[0], c0) for c0, c1 in cols)


@dataclass
class _Cell:
    boxes: list[OcrLine]
    spanning: bool = False

    @property
    def x0(self) -> float:
        return min(b.box[0] for b in self.boxes)

    @property
    def x1(self) -> float:
        return max(b.box[2] for b in self.boxes)


def _build_table(
    core: Sequence[_Row], edges: Sequence[_Row], *, scale: float, page: int, read_cell: CellReader | None = None
) -> tuple[OcrTable, list[_Row]] | None:
    """Rows and columns of a candidate table region.

    Args:
        core: the run's rows.
        edges: one-box rows touching the run above or below: taken in when the box lies in one column
            (another line of a cell), not when it crosses columns (a caption, a paragraph line).
        scale: pixels per point.
        page: the page number.
        read_cell: reads the cells of the table's rows that no box reached (see :func:`layout_page`).

    Returns:
        The table and the rows it is made of, or ``None`` when the region is not a table.
    """
    boxes = [b for r in core for b in r.boxes]
    em = _em(boxes)
    lo = min(b.box[0] for b in boxes)
    hi = max(b.box[2] for b in boxes)
    # Columns from the fullest rows (at least two of them), where no cell can span columns; boxes in
    # none of those columns (a sparse column) add their own.
    least = sorted((len(r.boxes) for r in core), reverse=True)[1]
    cols = _columns([[(b.box[0], b.box[2]) for b in r.boxes] for r in core if len(r.boxes) >= least], lo, hi)
    outside = [[(b.box[0], b.box[2]) for b in r.boxes if not _overlaps_any(b, cols)] for r in core]
    cols = sorted(cols + _columns([spans for spans in outside if spans], lo, hi))
    if len(cols) < 2:
        return None
    taken = [
        r
        for r in edges
        if sum(1 for c0, c1 in cols if min(r.x1, c1) > max(r.x0, c0)) == 1
        and any(r.x0 >= c0 - em and r.x1 <= c1 + em for c0, c1 in cols)
    ]
    rows = sorted([*core, *taken], key=lambda r: r.mid)
    boxes = [b for r in rows for b in r.boxes]
    grid: list[dict[int, _Cell]] = []
    for r in rows:
        cells: dict[int, _Cell] = {}
        for b in r.boxes:
            over = [min(b.box[2], c1) - max(b.box[0], c0) for c0, c1 in cols]
            covered = [j for j, ov in enumerate(over) if ov > 0]
            if covered:
                j = covered[0]  # a spanning cell's text goes into its first column
            else:
                j = min(range(len(cols)), key=lambda k: min(abs(b.box[0] - cols[k][1]), abs(b.box[2] - cols[k][0])))
            cell = cells.setdefault(j, _Cell([]))
            cell.boxes.append(b)
            cell.spanning = cell.spanning or len(covered) >= 2
        grid.append(cells)
    cols, grid = _tidy_columns(cols, grid, em)
    if len(cols) < 2 or sum(1 for cells in grid if len(cells) >= 2) < 2:
        return None
    if not all(
        _aligned([cells[j] for cells in grid if j in cells and not cells[j].spanning], em) for j in range(len(cols))
    ):
        return None
    texts = [[_cell_text(cells[j]) if j in cells else "" for j in range(len(cols))] for cells in grid]
    if _running_text(texts) or _table_of_contents(texts) or not any(_LETTERS.search(t) for r in texts for t in r):
        return None
    if read_cell is not None:
        found = _read_empty_cells(rows, cols, grid, em, read_cell)
        boxes += found
        if found:
            texts = [[_cell_text(cells[j]) if j in cells else "" for j in range(len(cols))] for cells in grid]
    merged = _merge_cell_lines(rows, texts, grid)
    keep = [j for j in range(len(cols)) if any(t[j] for t, _ in merged)]
    cells_conf = [(b.confidence, len(b.text)) for b in boxes]
    total = sum(n for _, n in cells_conf) or 1
    table = OcrTable(
        rows=tuple(tuple(t[j] for j in keep) for t, _ in merged if any(t)),
        x0=min(b.box[0] for b in boxes) / scale,
        top=min(r.top for r in rows) / scale,
        x1=max(b.box[2] for b in boxes) / scale,
        bottom=max(r.bottom for r in rows) / scale,
        page=page,
        confidence=round(sum(c * n for c, n in cells_conf) / total, 4),
    )
    return table, rows


def _read_empty_cells(
    rows: Sequence[_Row], cols: Sequence[tuple[float, float]], grid: list[dict[int, _Cell]], em: float, read: CellReader
) -> list[OcrLine]:
    """Fill the empty cells of rows with two or more cells from the image; returns the boxes found."""
    used = {j for cells in grid for j in cells}
    found: list[OcrLine] = []
    for r, cells in zip(rows, grid, strict=True):
        if len(cells) < 2:
            continue
        for j, (c0, c1) in enumerate(cols):
            if j in cells or j not in used or any(min(b.box[2], c1) > max(b.box[0], c0) for b in r.boxes):
                continue
            top, bottom = r.top, r.bottom
            for other in rows:  # keep out the text of a neighbour row reaching into this row's band
                for b in other.boxes if other is not r else ():
                    if min(b.box[2], c1) > max(b.box[0], c0) and min(b.box[3], bottom) > max(b.box[1], top):
                        if (b.box[1] + b.box[3]) / 2 < r.mid:
                            top = max(top, b.box[3])
                        else:
                            bottom = min(bottom, b.box[1])
            if bottom - top < 0.5 * em:
                continue
            box = read((c0, top, c1, bottom), em)
            if box is not None:
                cells[j] = _Cell([box])
                found.append(box)
    return found


def _tidy_columns(
    cols: list[tuple[float, float]], grid: list[dict[int, _Cell]], em: float
) -> tuple[list[tuple[float, float]], list[dict[int, _Cell]]]:
    """Undo columns that are artefacts of single cells.

    Two neighbouring columns are joined when one of them only exists in a row or two where the other is
    filled too, less than a character away: one cell the detector cut in two at a space. A column made
    of spanning cells and at most one other cell (in a table of three rows or more) holds cells centred
    across columns (a total row's label): each moves into a neighbouring column its row leaves empty, the
    left one first, as the text layer puts a spanning cell's text into its first column.
    """
    n = len(grid)
    j = 0
    while j + 1 < len(cols):
        a = {i for i, cells in enumerate(grid) if j in cells}
        b = {i for i, cells in enumerate(grid) if j + 1 in cells}
        thin = a if len(a) <= len(b) else b
        if (
            thin
            and thin <= (a & b)
            and len(thin) <= max(1, int(0.2 * n))
            and all(grid[i][j + 1].x0 - grid[i][j].x1 < em for i in thin)
        ):
            cols[j] = (cols[j][0], cols[j + 1][1])
            del cols[j + 1]
            for i, cells in enumerate(grid):
                moved: dict[int, _Cell] = {}
                for k, cell in cells.items():
                    key = k if k <= j else k - 1
                    if key in moved:
                        moved[key] = _Cell(
                            sorted(moved[key].boxes + cell.boxes, key=lambda bx: bx.box[0]),
                            moved[key].spanning or cell.spanning,
                        )
                    else:
                        moved[key] = cell
                grid[i] = moved
            continue
        j += 1
    if n >= 3:
        for j in range(len(cols)):
            if sum(1 for cells in grid if j in cells and not cells[j].spanning) > 1:
                continue
            for cells in grid:
                target = next((k for k in (j - 1, j + 1) if j in cells and 0 <= k < len(cols) and k not in cells), None)
                if target is not None:
                    cells[target] = cells.pop(j)
                    cells[target].spanning = True
    return cols, grid


def _aligned(cells: Sequence[_Cell], em: float) -> bool:
    """Whether a column's cells share a left edge, a centre or a right edge (within a character)."""
    if len(cells) < 2:
        return True
    need = max(2, -(-3 * len(cells) // 4))
    for values in (
        [c.x0 for c in cells],
        [(c.x0 + c.x1) / 2 for c in cells],
        [c.x1 for c in cells],
    ):
        mid = statistics.median(values)
        if sum(1 for v in values if abs(v - mid) <= em) >= need:
            return True
    return False


def _cell_text(cell: _Cell) -> str:
    """The boxes of one cell on one row, left to right: no space next to CJK, one between Latin words.

    A number cell never ends in punctuation: a trailing ``.`` or ``:`` after its digits is a speck of
    the scan read as text, and is dropped.
    """
    text = join_lines([b.text for b in sorted(cell.boxes, key=lambda bx: bx.box[0])])
    return _NUMBER_SPECK.sub(r"\1", text)


def _running_text(texts: Sequence[Sequence[str]]) -> bool:
    """Two or more columns of long text lines: a two-column page, not a table."""
    columns = list(zip(*texts, strict=True))
    lengths = [[len(c) for c in col if c] for col in columns]
    return all(statistics.median(ls) >= 10 for ls in lengths if ls)


def _table_of_contents(texts: Sequence[Sequence[str]]) -> bool:
    """Titles with page numbers in the last column: a table of contents, kept as its lines."""
    rows = [[c for c in t if c] for t in texts]
    rows = [r for r in rows if len(r) >= 2]
    if len(rows) < 3:
        return False
    numbers = [int(m.group(1)) for r in rows if (m := _PAGE_NUMBER.match(r[-1]))]
    if len(numbers) < 0.8 * len(rows) or numbers != sorted(numbers):
        return False
    leaders = any(re.search(r"[.．…·]{3,}", c) for r in rows for c in r)
    titled = sum(1 for r in rows if numbering_level(r[0]) is not None or re.match(r"^第.{1,3}[章节部篇]", r[0]))
    return leaders or titled >= 0.5 * len(rows)


def _merge_cell_lines(
    rows: Sequence[_Row], texts: list[list[str]], grid: Sequence[dict[int, _Cell]]
) -> list[tuple[list[str], float]]:
    """Merge the lines of multi-line cells into their rows.

    A row with empty columns holds other lines of a neighbour row's cells when it is closer to it than a
    table row can be (the pitch is measured between rows with two or more cells): a single cell whose
    column the neighbour fills too, within 0.8 × the pitch (a wrapped cell), or cells in columns the
    neighbour leaves empty, within 0.7 × the pitch (the neighbour's cells are centred on a two-line cell).
    Cells are joined upper line first.

    Returns:
        ``(cells, centre)`` per row, top to bottom.
    """
    ncols = len(texts[0])
    merged = [(list(t), rows[i].mid) for i, t in enumerate(texts)]
    full = [i for i, cells in enumerate(grid) if len(cells) >= 2]
    pitches = [rows[b].mid - rows[a].mid for a, b in itertools.pairwise(full)]
    if not pitches:
        return merged
    pitch = statistics.median(pitches)

    def filled(k: int) -> list[int]:
        return [j for j, c in enumerate(merged[k][0]) if c]

    def partner(i: int) -> int | None:
        """The row that row ``i`` is another line of, if any."""
        own = filled(i)
        if len(own) == ncols:
            return None
        mid = merged[i][1]
        near = [k for k in (i - 1, i + 1) if 0 <= k < len(merged)]
        # One cell continued: its other line is in the same column of the next row up or down.
        same = [k for k in near if len(own) == 1 and own[0] in filled(k) and abs(merged[k][1] - mid) < 0.8 * pitch]
        # The other cells of a row centred on a two-line cell sit between its lines, in other columns.
        apart = [
            k
            for k in near
            if abs(merged[k][1] - mid) < 0.7 * pitch and len(filled(k)) >= len(own) and not set(own) & set(filled(k))
        ]
        candidates = same or apart
        return min(candidates, key=lambda k: abs(merged[k][1] - mid)) if candidates else None

    i = 0
    while i < len(merged):
        k = partner(i)
        if k is None:
            i += 1
            continue
        upper, lower = (merged[k], merged[i]) if k < i else (merged[i], merged[k])
        joined = [join_lines([u, w]) for u, w in zip(upper[0], lower[0], strict=True)]
        merged[min(i, k)] = (joined, merged[k][1])
        del merged[max(i, k)]
        i = max(0, min(i, k) - 1)
    return merged


def _read_page_numbers(rows: Sequence[_Row], em: float, read: CellReader) -> None:
    """Give back table-of-contents lines the page number the detector missed (one or two digits standing
    alone are too small for it): a row ending in leader dots is read where the other entries end their
    page numbers (the text edge when no entry shows one)."""
    numbered = [r.x1 for r in rows if r.boxes[-1].text[-1:].isdigit()]
    edge = statistics.median(numbered) if len(numbered) >= 2 else max((r.x1 for r in rows), default=0.0)
    for r in rows:
        last = r.boxes[-1]
        if not _LEADERS_END.search(last.text) or edge - last.box[2] < 0.5 * em:
            continue
        found = read((max(last.box[2], edge - 2.5 * em), r.top, edge + 0.5 * em, r.bottom), em)
        number = _PAGE_NUMBER.match(found.text) if found is not None else None
        if found is not None and number is not None:
            r.boxes.append(OcrLine(number.group(1), found.box, found.confidence))


# --- reading order and lines ----------------------------------------------------------------------


def _reading_order(
    rows: Sequence[_Row], tables: Sequence[OcrTable], width: float, em: float, *, scale: float, page: int
) -> list[Line]:
    """Lines of the non-table rows in reading order: parts of the page set in two columns
    (:func:`~indexing.parsing.layout.column_regions`, the text layer's rule) are read left column first;
    a table ends such a part.

    Args:
        rows: rows outside tables, top to bottom.
        tables: the page's tables (points).
        width: the page width in pixels.
        em: the page's character size in pixels.
        scale: pixels per point.
        page: the page number.
    """
    cuts = sorted(t.top * scale for t in tables)
    parts: list[list[_Row]] = [[] for _ in range(len(cuts) + 1)]
    for r in rows:
        parts[sum(1 for c in cuts if c <= r.top)].append(r)
    out: list[Line] = []
    for part in parts:
        regions = column_regions(
            [r.boxes for r in part],
            lambda b: (b.box[0], b.box[2]),
            lambda b: (b.box[1], b.box[3]),
            lambda b: len(b.text),
            width=width,
            em=em,
        )
        done = 0
        for region in regions:
            out += [_make_line(r.boxes, scale=scale, page=page) for r in part[done : region.first]]
            inside = [b for r in part[region.first : region.end] for b in r.boxes]
            for side in (
                [b for b in inside if (b.box[0] + b.box[2]) / 2 < region.middle],
                [b for b in inside if (b.box[0] + b.box[2]) / 2 >= region.middle],
            ):
                col = [_make_line(r.boxes, scale=scale, page=page) for r in _rows(side)]
                edge = right_edge(col)
                for ln in col:
                    ln.column_right = edge
                out += col
            done = region.end
        out += [_make_line(r.boxes, scale=scale, page=page) for r in part[done:]]
    return out


def _make_line(boxes: Sequence[OcrLine], *, scale: float, page: int) -> Line:
    """One layout line in points from the boxes of one row (left to right).

    The font size is estimated from the width of the text (CJK characters are 1 em wide), or from the box
    height for very short lines; the first unit's width from the same estimate. A gap wider than two
    characters makes the line tabular (it stands alone), and with a page number at its end a
    table-of-contents entry.
    """
    row = sorted(boxes, key=lambda b: b.box[0])
    em = _em(row)
    text = ""
    wide_gap = False
    for j, b in enumerate(row):
        if j:
            wide = b.box[0] - row[j - 1].box[2] > 2 * em
            wide_gap = wide_gap or wide
            if wide or not (is_cjk(text[-1]) or is_cjk(b.text[0])):
                text += " "
        text += b.text
    x0 = row[0].box[0] / scale
    x1 = max(b.box[2] for b in row) / scale
    top = min(b.box[1] for b in row) / scale
    bottom = max(b.box[3] for b in row) / scale
    height = bottom - top
    compact = text.replace(" ", "")
    size = (x1 - x0) / text_em_width(compact) if len(text) >= 4 else height / 1.2
    size = min(max(size, 0.5 * height), 1.2 * height)
    k = first_unit_length(compact)
    conf = sum(b.confidence * len(b.text) for b in row) / max(1, sum(len(b.text) for b in row))
    toc = bool(_TOC_LEADERS.search(text)) or (wide_gap and bool(re.search(r"\s\d{1,4}$", text)))
    return Line(
        text=text,
        x0=x0,
        x1=x1,
        top=top,
        bottom=bottom,
        size=size,
        page=page,
        first_unit=size * text_em_width(compact[:k]),
        source=TextSource.OCR,
        confidence=conf,
        toc=toc,
        tabular=wide_gap,
    )


def cell_reader(image: Any) -> CellReader:
    """A :data:`CellReader` over a grayscale page image.

    Ink in the region (darker than light cell shading; pixel rows or columns inked across the region are
    ruling lines, and specks of one or two pixels are noise: both ignored) is read by the recogniser
    when it is sure (confidence ≥ 0.9); else a flat stroke is a dash (``—`` when over half a character
    wide, else ``-``) and a thin stroke leaning right is ``/``, the marks tables use for "none" and "not
    applicable". Anything else is left empty.
    """
    import cv2
    import numpy as np

    gray = np.asarray(image)
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)

    def read(region: tuple[float, float, float, float], em: float) -> OcrLine | None:
        x0, top, x1, bottom = (round(v) for v in region)
        x0, top = max(0, x0), max(0, top)
        ink = gray[top:bottom, x0:x1] < 160
        if ink.size == 0:
            return None
        ink[ink.mean(axis=1) > 0.7, :] = False  # a horizontal rule runs across the region
        ink[:, ink.mean(axis=0) > 0.9] = False  # a vertical rule from top to bottom (a "1" is shorter)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
        specks = [k for k in range(1, count) if stats[k, cv2.CC_STAT_AREA] < 3]
        if specks:
            ink[np.isin(labels, specks)] = False
        # Where there are characters, dots and dashes beside them (leaders, a stray speck) are no part
        # of what is read: the box spans the tall components (points inside it stay in the image).
        tall = [k for k in range(1, count) if stats[k, cv2.CC_STAT_HEIGHT] >= 0.35 * em and k not in specks]
        ys, xs = np.nonzero(np.isin(labels, tall) if tall else ink)
        if len(xs) < 3:
            return None
        a, b, c, d = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
        w, h = c - a, d - b
        box = (float(x0 + a), float(top + b), float(x0 + c), float(top + d))
        if h > 1.5 * em:
            return None  # a picture, not a cell's text
        if h <= max(3.0, 0.2 * em) and w >= 2 * h:
            return OcrLine("—" if w >= 0.6 * em else "-", box, 0.9)
        pad = max(2, round(0.3 * em))
        crop = gray[max(0, top + b - pad) : top + d + pad, max(0, x0 + a - pad) : x0 + c + pad]
        texts, _ = engine().text_rec([cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_GRAY2BGR)])
        text, score = normalize_ocr_text(str(texts[0][0])), float(texts[0][1])
        if text and score >= 0.9:
            return OcrLine(text, box, score)
        slope = float(np.polyfit(ys, xs, 1)[0]) if ys.min() < ys.max() else 0.0  # x change per row down
        if h >= 0.5 * em and w <= h and slope <= -0.2:
            return OcrLine("/", box, 0.9)
        return None

    return read


def ocr_pdf_page(page: Any, *, dpi: int = 150, page_number: int = 1) -> OcrPage:
    """Render a PDF page (``pypdfium2`` page), read it with OCR and rebuild its layout.

    Args:
        page: the page.
        dpi: render resolution; lowered for very large pages so the image stays under 2400 px a side.
        page_number: 1-based number given to the lines and tables.

    Returns:
        Lines and tables in points in the rendered page's orientation, the page size, and the mean
        confidence (weighted by text length; ``None`` when nothing was read).
    """
    width, height = page.get_size()
    scale = dpi / 72.0
    scale = min(scale, _MAX_SIDE_PX / max(width, height, 1.0))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        image = bitmap.to_numpy().copy()
    finally:
        bitmap.close()
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    boxes, image = read_upright(image)
    layout = layout_page(
        boxes, scale=scale, page=page_number, width=float(image.shape[1]), read_cell=cell_reader(image)
    )
    total = sum(len(b.text) for b in boxes)
    conf = sum(b.confidence * len(b.text) for b in boxes) / total if total else None
    return OcrPage(
        lines=layout.lines,
        tables=layout.tables,
        width=width,
        height=height,
        confidence=round(conf, 4) if conf is not None else None,
        rotation=page.get_rotation(),
    )


def read_page(pdf: Any, number: int, *, dpi: int) -> OcrPage | OcrFailure:
    """OCR page ``number`` (1-based) of an open ``pypdfium2`` document in this process (:func:`ocr_pdf_page`).

    Returns:
        The page, or an :class:`OcrFailure` when it could not be opened, rendered or read.
    """
    try:
        page = pdf[number - 1]
        try:
            return ocr_pdf_page(page, dpi=dpi, page_number=number)
        finally:
            page.close()
    except Exception as exc:
        log.warning("OCR failed on page %d: %s", number, exc)
        return OcrFailure(number, f"{type(exc).__name__}: {exc}")


# --- pages in parallel ----------------------------------------------------------------------------


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def worker_count(requested: int, pages: int) -> int:
    """Processes for OCR of ``pages`` pages: ``requested`` (0: one per core), at most one per core and page."""
    cores = available_cores()
    return max(1, min(requested or cores, cores, pages))


def read_pdf_pages(data: bytes, numbers: Sequence[int], *, dpi: int, workers: int) -> list[OcrPage | OcrFailure]:
    """OCR pages of a PDF in ``workers`` processes, each page as :func:`read_page` reads it.

    Args:
        data: the PDF's bytes (written once to a temporary file that every process opens).
        numbers: 1-based page numbers.
        dpi: render resolution.
        workers: pool processes (see :func:`worker_count`); onnxruntime gets ``cores // workers`` threads in each.

    Returns:
        One result per number, in the order of ``numbers``; a page whose process died (killed for memory,
        a crash in a native library) is an :class:`OcrFailure`, and so is every page after a process
        failed to start.
    """
    threads = max(1, available_cores() // workers)
    with tempfile.TemporaryDirectory(prefix="ciqa-ocr-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(data)
        with ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(str(path), threads),
        ) as pool:
            # Processes start as the pages are submitted (spawn starts them on demand).
            with _spawning_allowed():
                futures = [pool.submit(_read_worker_page, n, dpi) for n in numbers]
            results: list[OcrPage | OcrFailure] = []
            for n, future in zip(numbers, futures, strict=True):
                try:
                    results.append(future.result())
                except Exception as exc:  # BrokenProcessPool: the page's process ended without an answer
                    log.warning("OCR process failed on page %d: %s", n, exc)
                    results.append(OcrFailure(n, f"{type(exc).__name__}: {exc}"))
            return results


@contextlib.contextmanager
def _spawning_allowed() -> Iterator[None]:
    """Let a Celery prefork pool process (billiard) start the OCR pool.

    Billiard marks its pool processes daemonic, and ``multiprocessing`` refuses children to daemonic processes
    so that none outlives its parent: the pool's processes end with :func:`read_pdf_pages`, and by themselves
    when their parent dies (:func:`_exit_with_parent`). Billiard also gives them its own authentication key
    type, which ``multiprocessing`` refuses to pickle into a spawned child. Both are replaced by
    ``multiprocessing``'s own while the processes start.
    """
    config = multiprocessing.current_process()._config
    saved = dict(config)
    config["daemon"] = False
    config["authkey"] = multiprocessing.process.AuthenticationString(config["authkey"])
    try:
        yield
    finally:
        config.clear()
        config.update(saved)


def _start_worker(path: str, threads: int) -> None:
    """Pool initializer: the engine with ``threads`` onnxruntime threads, the document, and a watch on the parent."""
    global _engine, _worker_pdf
    import cv2
    import pypdfium2

    cv2.setNumThreads(threads)
    _engine = _new_engine(threads)
    _worker_pdf = pypdfium2.PdfDocument(path)
    _exit_with_parent()


def _exit_with_parent() -> None:
    """End this pool process when its parent dies (killed, so the pool was never shut down): it would wait for
    pages forever, holding the models' memory."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="ciqa-ocr-parent-watch", daemon=True).start()


def _read_worker_page(number: int, dpi: int) -> OcrPage | OcrFailure:
    """One page in a pool process, from the document its initializer opened."""
    try:
        return read_page(_worker_pdf, number, dpi=dpi)
    finally:
        _release_memory()


def _release_memory() -> None:
    """Hand the heap freed after a page back to the system (glibc keeps it otherwise).

    A dense page takes a process to ~400 MB (detection activations at 736 px), and without this it stays
    there (~450–600 MB per process after a few dense pages); trimmed, an idle pool process holds ~140 MB.
    """
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):  # not glibc (musl has no malloc_trim)
            ctypes.CDLL("libc.so.6").malloc_trim(0)
