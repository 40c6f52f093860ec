"""Page geometry shared by the PDF text layer and OCR: text lines, and where one paragraph ends.

Both sources produce :class:`Line` objects in *reading space*: points, origin at the top-left of the page
as it is read, ``top`` growing downwards. :func:`breaks_between` decides whether two consecutive lines
belong to one paragraph the way a typesetter would see it:

* a line that stops well before the right edge, although the first word of the next line would have fit
  there, ends its paragraph (this also separates headings, captions and signatures);
* a larger vertical gap than the usual line pitch, a change of font size or weight, a first-line indent
  or an outdent after a hanging paragraph, and a next line that starts with a section or list number after
  a sentence end all start a new paragraph;
* anything else is a wrapped line: it is joined without a space between Chinese characters and with one
  space between Latin words.

Example:
    >>> a = Line("学校坚持立德树人，", 72, 522, 100, 112, 12, page=1, first_unit=12)
    >>> b = Line("构建了质量保障体系。", 72, 192, 118, 130, 12, page=1, first_unit=12)
    >>> breaks_between(a, b, [a], right=522, pitch=18)
    False
    >>> join_line_texts([a, b])
    '学校坚持立德树人，构建了质量保障体系。'
"""

from __future__ import annotations

import bisect
import itertools
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from indexing.models import TextSource
from indexing.parsing.text import join_lines, join_lines_at

SENTENCE_END = re.compile(r"[。！？!?；;：:….．][”’」』）)》\"']*$")
# A line that starts with a section or list number, a bullet or a circled number.
_NUMBER_START = re.compile(
    r"^(第[一二三四五六七八九十百零〇两\d]+[章节部篇]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]"
    r"|\d{1,2}(\.\d{1,2}){0,3}[、.．)）]?\s*[^\d.．,，%％:：/\-万亿千百元]|[①-⑳]|[•·●○◆◇■□▪►▶★☆✓✔➢➤※])"
)
T = TypeVar("T")
_OPENERS = "（(“‘《〈「『【〔［\"'"
_CLOSERS = "，。、；：！？）)”’》〉」』】〕］.,;:!?%％…"


def is_cjk(ch: str) -> bool:
    """True for Chinese/Japanese characters, CJK punctuation and full-width forms (no spaces around them)."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x3FFFF
    )


def text_em_width(text: str) -> float:
    """Width of ``text`` in em, counting CJK characters as 1 and others as 0.5 (for OCR estimates)."""
    return sum(1.0 if is_cjk(c) else 0.5 for c in text) or 1.0


def first_unit_length(text: str) -> int:
    """Number of leading characters a typesetter keeps together at a line start.

    That is: opening brackets, then one CJK character or one Latin word/number, then closing punctuation
    (which may not start a line).
    """
    i, n = 0, len(text)
    while i < n and text[i] in _OPENERS:
        i += 1
    if i < n and is_cjk(text[i]):
        i += 1
    else:
        while i < n and not text[i].isspace() and not is_cjk(text[i]):
            i += 1
    while i < n and text[i] in _CLOSERS:
        i += 1
    return max(i, 1)


@dataclass
class Line:
    """One text line in reading space (points, top-down).

    Args:
        text: the line's text, spaces normalised.
        x0, x1, top, bottom: its box.
        size: font size (em) in points; for OCR, estimated from the box.
        page: 1-based page number.
        first_unit: width in points of the text a typesetter could not have split off the line start.
        bold: share of characters in a heavy font.
        source: text layer or OCR.
        confidence: OCR confidence of the line.
        toc: a table-of-contents entry (dot leaders or a wide gap before a page number).
        tabular: the line has a gap wider than two characters (form fields, tab stops): it stands alone.
        column_right: the right edge of the line's column on a multi-column page (else the page's is used).
    """

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    page: int = 1
    first_unit: float = 0.0
    bold: float = 0.0
    source: TextSource = TextSource.TEXT_LAYER
    confidence: float | None = None
    toc: bool = False
    tabular: bool = False
    column_right: float | None = None

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


def group_rows(items: Sequence[T], span: Callable[[T], tuple[float, float]]) -> list[list[T]]:
    """Group boxes into rows, top to bottom: a box joins the current row when it overlaps the row's band
    (the running mean of its boxes' tops and bottoms) by at least half the smaller height.

    Args:
        items: characters (PDF text layer) or recognised lines (OCR), in any order.
        span: ``(top, bottom)`` of an item; an item with no height (a space) joins without moving the band.
    """
    rows: list[list[T]] = []
    band_top = band_bottom = 0.0
    for item in sorted(items, key=lambda it: sum(span(it)) / 2):
        top, bottom = span(item)
        if rows and min(bottom, band_bottom) - max(top, band_top) >= 0.5 * min(bottom - top, band_bottom - band_top):
            row = rows[-1]
            row.append(item)
            if bottom > top:
                k = len(row)
                band_top += (top - band_top) / k
                band_bottom += (bottom - band_bottom) / k
            continue
        rows.append([item])
        band_top, band_bottom = top, bottom
    return rows


# A text box for column detection: x0, x1, top, bottom, number of characters.
Box = tuple[float, float, float, float, int]


@dataclass(frozen=True)
class ColumnRegion:
    """Consecutive rows of a page read as two columns: rows ``[first, end)`` split at the gutter
    ``(g0, g1)`` (points); boxes left of the gutter's middle form the left column."""

    first: int
    end: int
    g0: float
    g1: float

    @property
    def middle(self) -> float:
        return (self.g0 + self.g1) / 2


def column_regions(
    rows: Sequence[Sequence[T]],
    span: Callable[[T], tuple[float, float]],
    vspan: Callable[[T], tuple[float, float]],
    weight: Callable[[T], int],
    *,
    width: float,
    em: float,
) -> list[ColumnRegion]:
    """:func:`column_regions_of_boxes` for any kind of box (OCR lines): ``span`` gives ``(x0, x1)``,
    ``vspan`` ``(top, bottom)`` and ``weight`` the number of characters of a box."""
    boxes = [[(*span(b), *vspan(b), weight(b)) for b in row] for row in rows]
    return column_regions_of_boxes(boxes, width=width, em=em)


def column_regions_of_boxes(rows: Sequence[Sequence[Box]], *, width: float, em: float) -> list[ColumnRegion]:
    """Find the parts of a page set in two columns, from where the text is.

    A gutter is a vertical strip in the middle half of the page, at least one character wide, that no box
    of a run of consecutive rows crosses; the run stops at the first row that crosses it (a full-width
    title or paragraph above, between or below the columns). A run is two columns of running text when
    each side has at least two lines, and both sides six, of ten or more characters that reach their
    column's right edge (justified prose; a form of short label/value pairs or a ragged borderless table
    has few such lines). Columns may be of unequal length: rows with text on one side only leave the
    gutter free too. But where both columns end level and a line follows on one side after more than a
    line's spacing (a heading set short under balanced columns), the columns have ended.

    Args:
        rows: the page's text boxes grouped into rows, top to bottom (:func:`group_rows`), each
            ``(x0, x1, top, bottom, characters)``: a PDF character is one box of 1, an OCR line one box
            of its text length; boxes of no characters (spaces) are ignored.
        width: page width in points.
        em: the page's usual character size in points.

    Returns:
        The two-column runs, top to bottom.
    """
    lo, hi = 0.25 * width, 0.75 * width
    min_gap = max(em, 6.0)
    profiles = [_RowProfile([b for b in row if b[4] > 0]) for row in rows]
    frees = [p.free(lo, hi, min_gap) for p in profiles]
    regions: list[ColumnRegion] = []
    i = 0
    while i < len(rows):
        common = frees[i]
        j = i + 1
        while common and j < len(rows):
            narrowed = _intersect_spans(common, frees[j], min_gap)
            if not narrowed:
                break
            common, j = narrowed, j + 1
        gutter = _two_column_gutter(profiles[i:j], common, em) if j - i >= 3 else None
        if gutter is None:
            i += 1
            continue
        j = _columns_end(profiles, i, j, (gutter[0] + gutter[1]) / 2, em)
        regions.append(ColumnRegion(i, j, *gutter))
        i = j
    return regions


def _columns_end(profiles: Sequence[_RowProfile], first: int, end: int, middle: float, em: float) -> int:
    """Where a two-column run really ends: before a one-sided line that follows balanced columns (both
    ending level) after more than a line's spacing; else at ``end``."""
    sides = [(p.left_of(middle)[0] > 0, p.right_of(middle)[0] > 0) for p in profiles[first:end]]
    last = [max((k for k, s in enumerate(sides) if s[side]), default=-1) for side in (0, 1)]
    if -1 in last or last[0] == last[1]:
        return end
    short = first + min(last)
    for k in range(short + 1, end):
        gap = profiles[k].top - profiles[k - 1].bottom
        if gap > em and abs(profiles[short].bottom - profiles[k - 1].bottom) <= 2 * em:
            return k
    return end


class _RowProfile:
    """The boxes of one row, indexed so that the text on either side of any x is counted in log time."""

    def __init__(self, boxes: list[Box]) -> None:
        self.top = min((b[2] for b in boxes), default=0.0)
        self.bottom = max((b[3] for b in boxes), default=0.0)
        by_end = sorted(boxes, key=lambda b: b[1])
        self.ends = [b[1] for b in by_end]
        self.end_weight = list(itertools.accumulate((b[4] for b in by_end), initial=0))
        by_start = sorted(boxes)
        self.starts = [b[0] for b in by_start]
        self.start_weight = list(itertools.accumulate((b[4] for b in by_start), initial=0))
        right_end: list[float] = []
        edge = 0.0
        for b in reversed(by_start):
            edge = max(edge, b[1])
            right_end.append(edge)
        self.right_end = right_end[::-1]
        self.spans = [(b[0], b[1]) for b in by_start]

    def free(self, lo: float, hi: float, min_gap: float) -> list[tuple[float, float]]:
        """The stretches of ``[lo, hi]`` no box covers, at least ``min_gap`` wide."""
        free: list[tuple[float, float]] = []
        x = lo
        for a, b in self.spans:
            if b <= x:
                continue
            if a >= hi:
                break
            if a - x >= min_gap:
                free.append((x, a))
            x = max(x, b)
        if hi - x >= min_gap:
            free.append((x, hi))
        return free

    def left_of(self, x: float) -> tuple[int, float]:
        """Characters in boxes ending at or before ``x``, and where the rightmost of them ends."""
        k = bisect.bisect_right(self.ends, x)
        return self.end_weight[k], self.ends[k - 1] if k else 0.0

    def right_of(self, x: float) -> tuple[int, float]:
        """Characters in boxes starting at or after ``x``, and where the rightmost of them ends."""
        k = bisect.bisect_left(self.starts, x)
        return self.start_weight[-1] - self.start_weight[k], self.right_end[k] if k < len(self.starts) else 0.0


def _intersect_spans(
    a: list[tuple[float, float]], b: list[tuple[float, float]], min_gap: float
) -> list[tuple[float, float]]:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo >= min_gap:
                out.append((lo, hi))
    return out


def _two_column_gutter(
    rows: Sequence[_RowProfile], gutters: list[tuple[float, float]], em: float
) -> tuple[float, float] | None:
    """The gutter among ``gutters`` with running text on both sides (most prose lines), or ``None``."""
    best: tuple[int, tuple[float, float]] | None = None
    for g0, g1 in gutters:
        middle = (g0 + g1) / 2
        prose = []
        for lines in (
            [line for line in (r.left_of(middle) for r in rows) if line[0]],
            [line for line in (r.right_of(middle) for r in rows) if line[0]],
        ):
            edge = max((x1 for _, x1 in lines), default=0.0)
            prose.append(sum(1 for n, x1 in lines if n >= 10 and x1 >= edge - 1.5 * em))
        if min(prose) >= 2 and sum(prose) >= 6 and (best is None or sum(prose) > best[0]):
            best = (sum(prose), (g0, g1))
    return best[1] if best else None


def size_key(size: float) -> float:
    """Font sizes rounded to half points, so that 12.0 and 11.96 compare equal."""
    return round(size * 2) / 2


def right_edge(lines: Sequence[Line]) -> float | None:
    """The right edge of the text column: where most long lines end, or ``None`` with too few lines."""
    ends = sorted(ln.x1 for ln in lines if len(ln.text) >= 8)
    if len(ends) < 3:
        return None
    return ends[int(0.8 * (len(ends) - 1))]


def line_pitches(lines: Sequence[Line]) -> dict[float, float]:
    """Line pitch inside paragraphs by size key: distances between the tops of consecutive lines of one size.

    The lower quartile, not the median: on a page of short paragraphs with space between them, up to
    half of the distances include paragraph spacing.

    Args:
        lines: lines of one page, in reading order.
    """
    by_size: dict[float, list[float]] = {}
    for a, b in itertools.pairwise(lines):
        if a.page != b.page or size_key(a.size) != size_key(b.size):
            continue
        d = b.top - a.top
        if 0.8 * a.size < d < 3.0 * a.size:
            by_size.setdefault(size_key(a.size), []).append(d)
    return {k: sorted(v)[len(v) // 4] for k, v in by_size.items()}


def merge_pitches(per_page: Sequence[dict[float, float]]) -> dict[float, float]:
    """Document-wide line pitch per size: the median over pages."""
    acc: dict[float, list[float]] = {}
    for d in per_page:
        for k, v in d.items():
            acc.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in acc.items()}


def expected_pitch(size: float, pitches: dict[float, float]) -> float:
    """The line pitch expected for ``size``: measured, or scaled from the nearest measured size."""
    k = size_key(size)
    if k in pitches:
        return pitches[k]
    if pitches:
        near = min(pitches, key=lambda s: abs(s - k))
        return pitches[near] / near * size
    return 1.5 * size


def ends_sentence(text: str) -> bool:
    return bool(SENTENCE_END.search(text))


def starts_with_number(text: str) -> bool:
    """True when a line begins with a section/list number or a bullet."""
    return bool(_NUMBER_START.match(text))


def breaks_between(
    prev: Line,
    cur: Line,
    para: Sequence[Line],
    *,
    right: float,
    pitch: float | None,
    body: float | None = None,
    following: Line | None = None,
) -> bool:
    """Whether ``cur`` starts a new paragraph after ``prev``.

    Args:
        prev: the last line of the current paragraph.
        cur: the next line in reading order.
        para: the lines of the current paragraph so far (``prev`` is the last).
        right: the right edge of ``prev``'s text column.
        pitch: the usual line pitch on ``prev``'s page, or ``None`` when ``cur`` is on the next page.
        body: the body font size of the document, if known (large centred titles may wrap).
        following: the line after ``cur``, if known: when it is outdented from ``cur``, ``cur`` is the
            indented first line of a new paragraph even where ``prev`` is indented as much.
    """
    if prev.source is not cur.source or prev.toc or cur.toc or prev.tabular or cur.tabular:
        return True
    em = max(min(prev.size, cur.size), 1.0)
    if abs(prev.size - cur.size) > max(1.0, 0.12 * em):
        return True
    if (prev.bold >= 0.8) != (cur.bold >= 0.8) and (prev.bold <= 0.2 or cur.bold <= 0.2):
        return True
    if (
        prev.column_right is not None
        and cur.column_right is not None
        and cur.top < prev.top
        and cur.x0 >= prev.x1 - 0.5 * em
        and prev.x1 >= prev.column_right - em
        and not ends_sentence(prev.text)
    ):
        return False  # a sentence running from the foot of one column to the head of the next
    if pitch is not None:
        if cur.top < prev.top + 0.5 * em:  # not below: another column or a stray object
            return True
        if cur.top - prev.top > 1.18 * pitch + 0.1 * em:  # paragraph spacing (Word: 段后 0.5 行 ≈ 1.3×)
            return True
    sentence = ends_sentence(prev.text)
    if (
        body is not None
        and prev.size >= 1.12 * body
        and abs(prev.center - cur.center) < em
        and not sentence
        and not starts_with_number(cur.text)
        and len(para) < 3
    ):
        return False  # a large centred title set on two lines
    # The right edge of this paragraph's column: narrower than the page where the last two lines of the
    # paragraph, or this line and the next, end at the same place (a text box, a narrow column).
    ref = prev.column_right or right
    if not sentence and not starts_with_number(cur.text):
        if len(para) >= 2 and abs(para[-2].x1 - prev.x1) < 1.0:
            ref = min(ref, prev.x1)
        elif abs(prev.x1 - cur.x1) < 0.5 and prev.x1 < right - 2 * em and len(prev.text) >= 8:
            ref = prev.x1
    room = ref - prev.x1
    short = room > max(cur.first_unit, 0.5 * em) + 0.6 * em
    if short or (sentence and starts_with_number(cur.text)):
        return True
    first = len(para) == 1
    if (
        sentence
        and following is not None
        and following.page == cur.page
        and abs(cur.x0 - prev.x0) < 0.5 * em
        and cur.x0 - following.x0 > 1.2 * em
        and not starts_with_number(following.text)
        and not breaks_between(cur, following, [cur], right=right, pitch=None, body=body)
    ):
        return True  # cur is the indented first line of the next paragraph (prev's block is indented too)
    if cur.x0 - prev.x0 > 1.2 * em and (not first or sentence):
        return True  # first-line indent of the next paragraph
    # back at the margin after a hanging (indented) paragraph
    return prev.x0 - cur.x0 > 1.2 * em and not first


def join_line_texts(lines: Sequence[Line]) -> str:
    """Join wrapped lines like the text parser does: no space next to CJK, one between Latin words."""
    return join_lines([ln.text for ln in lines])


def join_paged_lines(lines: Sequence[Line]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Join lines as :func:`join_line_texts` does, and say where each later page starts in the text.

    Args:
        lines: a paragraph's lines in reading order, possibly running over a page break.

    Returns:
        The joined text, and ``(offset, page)`` for the first character on each page after the first
        line's (the ``page_starts`` of :class:`~indexing.models.Block`).
    """
    text, starts = join_lines_at([ln.text for ln in lines])
    page_starts: list[tuple[int, int]] = []
    page = lines[0].page if lines else None
    for line, start in zip(lines, starts, strict=True):
        if start is not None and line.page != page:
            page = line.page
            page_starts.append((start, line.page))
    return text, tuple(page_starts)


def group_paragraphs(lines: Sequence[Line], *, right: float | None = None) -> list[list[Line]]:
    """Group the lines of one page (reading order) into paragraphs with :func:`breaks_between`.

    Args:
        lines: lines of one page, in reading order.
        right: the column's right edge; estimated from the lines when not given.
    """
    if not lines:
        return []
    edge = right if right is not None else (right_edge(lines) or max(ln.x1 for ln in lines))
    pitches = line_pitches(lines)
    paras: list[list[Line]] = [[lines[0]]]
    for k in range(1, len(lines)):
        ln, cur = lines[k], paras[-1]
        prev = cur[-1]
        following = lines[k + 1] if k + 1 < len(lines) else None
        pitch = expected_pitch(prev.size, pitches)
        if breaks_between(prev, ln, cur, right=edge, pitch=pitch, following=following):
            paras.append([ln])
        else:
            cur.append(ln)
    return paras
