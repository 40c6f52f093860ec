"""PDF parsing: text layer, ruled tables, headers and footers, headings, and OCR for scanned pages.

How a PDF becomes blocks:

1. **Open** with PDFium (``pypdfium2``, which pdfplumber depends on). Encrypted, corrupt, truncated and
   over-long files raise :class:`~indexing.errors.IndexingError` before any page is read.
2. **Read each page once**: characters with their boxes, font size and weight (PDFium's C text API, about
   6× faster than pdfplumber's per-character objects, which alone cost ~100 ms a page), vector path
   segments and image areas. Text in a rotated direction is turned upright; a minority of rotated
   characters (watermarks, rotated labels) is dropped.
3. **Tables**: ruled tables are found with pdfplumber's table algorithm (edges → intersections → cells)
   from the page's vector edges — only on pages that have enough horizontal and vertical edges. Their
   characters leave the text flow and the table is placed at its vertical position in reading order;
   a table continued on the next page is merged, dropping a repeated header row.
4. **Lines**: the remaining characters are clustered into lines; spaces between CJK characters are
   dropped unless typed, spaces between Latin words kept, Kangxi radicals and compatibility ideographs
   normalised; raised small digits (footnote markers) are written as superscript digits (``¹``). A page
   with two columns of running text is read column by column.
5. **OCR**: a page with (nearly) no text but an image or vector outlines covering it, or whose text layer
   is garbage (unmapped glyphs, control characters, ``(cid:N)``, mojibake — also Chinese made of rare
   characters only), is rendered and read by RapidOCR (:mod:`indexing.parsing.ocr`) when ``options.ocr``
   is on; otherwise a warning is recorded. Warnings start with a code (``PDF_SCANNED_PAGE_OCR_OFF: …``).
6. **Headers, footers and page numbers**: lines in the top or bottom 10% of a page whose text, digits
   ignored, repeats on several pages, and page-number lines (``12``, ``- 12 -``, ``第 12 页 共 80 页``,
   ``12/80``) are removed.
7. **Table of contents**: pages whose lines are mostly entries (dot leaders, or a page number set flush
   right) become ``Document.toc`` (title, printed page label, level from numbering and indentation) and
   leave the body: no TOC line is ever a block or a heading.
8. **Paragraphs** across lines and pages (:func:`indexing.parsing.layout.breaks_between`), then
   **headings**: the PDF's bookmarks, titles of the TOC, Chinese section numbers
   (:func:`~indexing.parsing.headings.numbering_level`), run-in headings (``（一）办学定位。学校……`` is
   split), and short lines set larger than the body text or in a heavy font; a bullet line is never a
   heading. Levels: bookmark depth; else the TOC entry's level, the level of the heading's numbering
   family (one family, one level, throughout the document), or for unnumbered headings their style's.

Measured on a 2-core machine: ~30 pages/s for a generated 100-page report with a table on every page.

Example:
    >>> doc = parse_pdf(data, doc_id="…", name="自评报告.pdf", options=ParseOptions())  # doctest: +SKIP
    >>> doc.blocks[0].heading_path  # doctest: +SKIP
    ('第一章 学校概况',)
"""

from __future__ import annotations

import bisect
import ctypes
import itertools
import logging
import math
import re
import statistics
import unicodedata
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import BlockKind, Document, MediaType, PageStats, TextSource, TocEntry
from indexing.options import ParseOptions
from indexing.parsing.headings import (
    BlockBuilder,
    NumberingFamily,
    RawBlock,
    align_numbered_levels,
    family_levels,
    is_bullet,
    is_list_number,
    numbering_family,
    numbering_level,
    render_table,
    split_run_in,
    split_toc_entry,
    title_key,
    toc_levels,
)
from indexing.parsing.layout import (
    Line,
    breaks_between,
    column_regions_of_boxes,
    ends_sentence,
    expected_pitch,
    first_unit_length,
    group_rows,
    is_cjk,
    join_line_texts,
    join_paged_lines,
    line_pitches,
    merge_pitches,
    right_edge,
    size_key,
)
from indexing.parsing.text import join_lines

__all__ = ["parse_pdf"]

log = logging.getLogger(__name__)

# --- characters ------------------------------------------------------------------------------------

# (text, x0, top, x1, bottom, size, font id) in reading space
Char = tuple[str, float, float, float, float, float, int]

_HEAVY_FONT = re.compile(
    r"bold|heavy|black|semibold|demi|hei|黑|xiaobiaosong|xbs|zhongsong|biaosong|标宋|中宋", re.IGNORECASE
)
_FORCE_BOLD = 1 << 18
_MAX_PATH_SEGMENTS = 40000
_CAPTION = re.compile(r"^(附?[表图]|Table|Figure|Fig\.)\s*[\dA-Za-z一二三四五六七八九十]+([-－.．—–]\d+)*", re.I)
_PAGE_NUMBER = re.compile(
    r"^[-—–_·•\s]*(第\s*)?\d{1,4}(\s*页)?(\s*[/，,]?\s*(共\s*)?\d{1,4}\s*页?)?[-—–_·•\s]*$"
    r"|^(page|p\.?)\s*\d{1,4}(\s*(of|/)\s*\d{1,4})?$"
    r"|^[-—–\s]*[ivxlcdm]{1,7}[-—–\s]*$",
    re.IGNORECASE,
)
_TOC_LEADERS = re.compile(r"([.．…·•_\-—－]\s*){4,}\s*\d{1,4}$")
_SPACED_TITLE = re.compile(r"^[\u4e00-\u9fff](\s+[\u4e00-\u9fff]){1,6}$")
_ZONE = 0.1  # top and bottom share of a page where running headers and footers live


@dataclass
class _Font:
    name: str
    heavy: bool  # weight, ForceBold flag or a heavy family name
    fake_bold: bool  # filled and stroked text (how Word fakes bold)


@dataclass
class _TableItem:
    top: float
    rows: list[list[str]]
    page: int
    last_page: int  # a table continued on following pages is merged into one item
    source: TextSource = TextSource.TEXT_LAYER
    ocr_confidence: float | None = None
    # (index of the first row, page) for each following page the table continues on
    continued_at: list[tuple[int, int]] = field(default_factory=list)

    def page_starts(self, rendered: str) -> tuple[tuple[int, int], ...]:
        """Where each continued page starts in the table's ``cell | cell`` rendering (one line per row)."""
        line_starts = [0]
        for line in rendered.split("\n")[:-1]:
            line_starts.append(line_starts[-1] + len(line) + 1)
        return tuple((line_starts[row], page) for row, page in self.continued_at if row < len(line_starts))


@dataclass
class _Page:
    number: int
    width: float = 0.0
    height: float = 0.0
    chars: list[Char] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    image_cover: float = 0.0
    path_segments: int = 0
    garbage: bool = False
    unreadable: str | None = None
    lines: list[Line] = field(default_factory=list)
    tables: list[_TableItem] = field(default_factory=list)
    source: TextSource = TextSource.TEXT_LAYER
    ocr_confidence: float | None = None
    right: float | None = None


class _Reader:
    """Reads characters, edges and image coverage of pages through PDFium's C API."""

    def __init__(self) -> None:
        import pypdfium2.raw as pdfium_c

        self.c = pdfium_c
        self.fonts: list[_Font] = []
        self._font_ids: dict[tuple[str, bool, bool], int] = {}
        self._rect = pdfium_c.FS_RECTF()
        self._matrix = pdfium_c.FS_MATRIX()
        # FPDFText_GetTextObject returning a plain address: called for every character, and comparing
        # addresses is all we need (the stock binding returns a pointer object that must be cast).
        address = ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value
        self._get_textobj = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(address)
        self._name_buf = ctypes.create_string_buffer(256)

    def _font_id(self, textobj) -> int:
        """A document-wide id for the font of a text object (by name and weight: PDFium's font handles
        may be freed and their addresses reused once a page is closed)."""
        c = self.c
        name, heavy, fake = "", False, False
        if textobj:
            fake = c.FPDFTextObj_GetTextRenderMode(textobj) == c.FPDF_TEXTRENDERMODE_FILL_STROKE
            font = c.FPDFTextObj_GetFont(textobj)
            if font:
                n = c.FPDFFont_GetBaseFontName(font, self._name_buf, 256)
                raw = self._name_buf.raw[: max(0, n - 1)]
                try:
                    name = raw.decode("utf-8")
                except UnicodeDecodeError:
                    name = raw.decode("gb18030", "replace")  # Chinese font names in GBK (宋体, 黑体)
                name = name.split("+", 1)[-1]  # subset prefix ABCDEF+
                weight = c.FPDFFont_GetWeight(font)
                heavy = weight >= 600 or bool(c.FPDFFont_GetFlags(font) & _FORCE_BOLD)
                heavy = heavy or bool(_HEAVY_FONT.search(name))
        key = (name, heavy, fake)
        fid = self._font_ids.get(key)
        if fid is None:
            fid = self._font_ids[key] = len(self.fonts)
            self.fonts.append(_Font(name=name, heavy=heavy, fake_bold=fake))
        return fid

    def _sheared(self, raw, index: int) -> bool:
        """Whether a character's matrix only slants it (x axis unrotated, y axis leaning): an italic
        made by the writer (WPS, Word's synthetic italic), which PDFium reports as a skewed angle."""
        m = self._matrix
        if not self.c.FPDFText_GetMatrix(raw, index, m):
            return False
        return m.a > 0 and m.d > 0 and abs(m.b) <= 0.02 * m.a and abs(m.c) <= 0.6 * m.d

    def _watermark(self, textobj, size: float) -> bool:
        """Semi-transparent text, or large light-grey text: a watermark laid over the page."""
        r, g, b, a = (ctypes.c_uint() for _ in range(4))
        if not self.c.FPDFPageObj_GetFillColor(textobj, r, g, b, a):
            return False
        light = min(r.value, g.value, b.value) >= 170 and max(r.value, g.value, b.value) < 250
        return a.value < 100 or (light and size >= 24)

    def read(self, page, number: int) -> _Page:
        c = self.c
        left, bottom, right, top = page.get_cropbox()
        out = _Page(number=number)
        textpage = page.get_textpage()
        try:
            raw = textpage.raw
            raw_addr = ctypes.cast(raw, ctypes.c_void_p)
            get_textobj = self._get_textobj
            n = c.FPDFText_CountChars(raw)
            rect = self._rect
            items: list[tuple[str, float, float, float, float, float, int, int]] = []
            quadrants: Counter[int] = Counter()
            last_addr: int | None = -1
            fid, size, q = 0, 0.0, 0
            for i in range(n):
                if c.FPDFText_IsGenerated(raw, i) == 1:
                    continue
                u = c.FPDFText_GetUnicode(raw, i)
                if u in (10, 13, 0xFEFF, 0xFFFE) or not c.FPDFText_GetLooseCharBox(raw, i, rect):
                    continue
                addr = get_textobj(raw_addr, i)
                if addr != last_addr or not addr:  # size, direction and font are properties of the text object
                    last_addr = addr
                    obj = ctypes.cast(addr, c.FPDF_PAGEOBJECT) if addr else None
                    q = _quadrant(c.FPDFText_GetCharAngle(raw, i))
                    if q < 0 and self._sheared(raw, i):
                        q = 0  # synthetic italic: upright text slanted by a shear, not a diagonal watermark
                    size = c.FPDFText_GetFontSize(raw, i)
                    fid = self._font_id(obj)
                    if obj and self._watermark(obj, size):
                        q = -1
                ch = chr(u) if u < 0x110000 else "\ufffd"
                items.append((ch, rect.left, rect.bottom, rect.right, rect.top, size, fid, q))
                if not ch.isspace() and q >= 0:
                    quadrants[q] += 1
            q0 = quadrants.most_common(1)[0][0] if quadrants else 0
            transform = _Transform(q0, left, bottom, right, top)
            out.width, out.height = transform.size
            chars = out.chars
            for ch, x0, y0, x1, y1, size, fid, q in items:
                if q != q0:
                    continue
                if q0 == 0:
                    a, b, cc, d = x0 - left, top - y1, x1 - left, top - y0
                else:
                    a, b, cc, d = transform.box(x0, y0, x1, y1)
                if not (-2 < (a + cc) / 2 < out.width + 2 and -2 < (b + d) / 2 < out.height + 2):
                    continue  # outside the visible page (cropped away)
                h = d - b
                if size <= 0 or size > 4 * h + 1 or size < 0.25 * h:
                    size = h / 1.1 if h > 0 else 1.0
                chars.append((ch, a, b, cc, d, size, fid))
            self._read_objects(page, transform, out)
        finally:
            textpage.close()
        return out

    def _read_objects(self, page, transform: _Transform, out: _Page) -> None:
        """Collect axis-aligned edges of vector paths and the share of the page covered by images."""
        c = self.c
        area = max(out.width * out.height, 1.0)
        covered = 0.0
        stack = [(page.raw, None, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), 0)]
        matrix = c.FS_MATRIX()
        x, y = ctypes.c_float(), ctypes.c_float()
        fill, stroke = ctypes.c_int(), ctypes.c_int()
        lb, bb, rb, tb = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
        segments_left = _MAX_PATH_SEGMENTS
        while stack:
            parent, form, m_parent, depth = stack.pop()
            count = c.FPDFFormObj_CountObjects(form) if form is not None else c.FPDFPage_CountObjects(parent)
            for k in range(max(count, 0)):
                obj = c.FPDFFormObj_GetObject(form, k) if form is not None else c.FPDFPage_GetObject(parent, k)
                if not obj:
                    continue
                kind = c.FPDFPageObj_GetType(obj)
                if kind == c.FPDF_PAGEOBJ_IMAGE:
                    if c.FPDFPageObj_GetBounds(obj, lb, bb, rb, tb):
                        corners = [_apply(m_parent, px, py) for px, py in ((lb.value, bb.value), (rb.value, tb.value))]
                        a, b, cc, d = transform.box(corners[0][0], corners[0][1], corners[1][0], corners[1][1])
                        w = min(cc, out.width) - max(a, 0.0)
                        h = min(d, out.height) - max(b, 0.0)
                        if w > 0 and h > 0:
                            covered += w * h
                elif kind == c.FPDF_PAGEOBJ_FORM and depth < 8:
                    if c.FPDFPageObj_GetMatrix(obj, matrix):
                        m = _compose(m_parent, (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f))
                        stack.append((parent, obj, m, depth + 1))
                elif kind == c.FPDF_PAGEOBJ_PATH and segments_left > 0:
                    nseg = c.FPDFPath_CountSegments(obj)
                    out.path_segments += max(nseg, 0)
                    if nseg <= 0 or nseg > segments_left:
                        continue
                    segments_left -= nseg
                    if c.FPDFPath_GetDrawMode(obj, fill, stroke) and not fill.value and not stroke.value:
                        continue
                    if not c.FPDFPageObj_GetMatrix(obj, matrix):
                        continue
                    m = _compose(m_parent, (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f))
                    start = cur = None
                    for s in range(nseg):
                        seg = c.FPDFPath_GetPathSegment(obj, s)
                        if not seg or not c.FPDFPathSegment_GetPoint(seg, x, y):
                            continue
                        pt = transform.point(*_apply(m, x.value, y.value))
                        kind_s = c.FPDFPathSegment_GetType(seg)
                        if kind_s == c.FPDF_SEGMENT_MOVETO:
                            start = cur = pt
                            continue
                        if kind_s == c.FPDF_SEGMENT_LINETO and cur is not None:
                            _add_edge(out.edges, cur, pt)
                        cur = pt
                        if c.FPDFPathSegment_GetClose(seg) and start is not None:
                            _add_edge(out.edges, cur, start)
                            cur = start
        out.image_cover = min(1.0, covered / area)


def _quadrant(angle: float) -> int:
    """Text direction as counter-clockwise quarter turns (0–3) from PDFium's clockwise angle in radians;
    -1 for skewed text (more than 10° off a quarter turn: diagonal watermarks)."""
    if angle < 0:
        return 0
    turns = math.degrees(angle) / 90.0
    if abs(turns - round(turns)) * 90.0 > 10.0:
        return -1
    return -round(turns) % 4


def _apply(m: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _compose(outer: tuple[float, ...], inner: tuple[float, ...]) -> tuple[float, ...]:
    """The matrix applying ``inner`` first, then ``outer`` (PDF row-vector convention)."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


class _Transform:
    """PDF user space (y up) → reading space (y down, text upright) for a text direction quadrant."""

    def __init__(self, quadrant: int, left: float, bottom: float, right: float, top: float) -> None:
        self.q, self.l, self.b, self.r, self.t = quadrant, left, bottom, right, top
        w, h = right - left, top - bottom
        self.size = (w, h) if quadrant in (0, 2) else (h, w)

    def point(self, x: float, y: float) -> tuple[float, float]:
        q = self.q
        if q == 0:
            return x - self.l, self.t - y
        if q == 1:  # baseline runs up the page
            return y - self.b, x - self.l
        if q == 2:
            return self.r - x, y - self.b
        return self.t - y, self.r - x

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        a0, b0 = self.point(x0, y0)
        a1, b1 = self.point(x1, y1)
        return min(a0, a1), min(b0, b1), max(a0, a1), max(b0, b1)


def _add_edge(edges: list[dict], p: tuple[float, float], q: tuple[float, float]) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < 1.0 and abs(x1 - x0) >= 2.0:
        lo, hi, y = min(x0, x1), max(x0, x1), (y0 + y1) / 2
        edges.append(
            {
                "x0": lo,
                "x1": hi,
                "top": y,
                "bottom": y,
                "doctop": y,
                "width": hi - lo,
                "height": 0.0,
                "orientation": "h",
                "object_type": "line",
            }
        )
    elif abs(x0 - x1) < 1.0 and abs(y1 - y0) >= 2.0:
        lo, hi, x = min(y0, y1), max(y0, y1), (x0 + x1) / 2
        edges.append(
            {
                "x0": x,
                "x1": x,
                "top": lo,
                "bottom": hi,
                "doctop": lo,
                "width": 0.0,
                "height": hi - lo,
                "orientation": "v",
                "object_type": "line",
            }
        )


# --- text clean-up and garbage detection -----------------------------------------------------------


def _normalize_char(ch: str) -> str:
    """Map look-alike code points to the ones people search for; drop invisible ones."""
    o = ord(ch)
    if 0x20 < o < 0x7F or 0x4E00 <= o <= 0x9FFF or 0x3001 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E:
        return ch  # the common case: ASCII, CJK ideographs and punctuation, full-width forms
    if 0x2F00 <= o <= 0x2FDF or 0xF900 <= o <= 0xFAFF or 0xFB00 <= o <= 0xFB06 or 0x2E80 <= o <= 0x2EFF:
        return unicodedata.normalize("NFKC", ch)
    if ch in "\u00a0\u3000\u2002\u2003\u2009\t\r\n":
        return " "
    if ch in "\u200b\u200c\u200d\u2060\u00ad":
        return ""
    if _is_bad(ch):  # control, unmapped, private use (symbol-font bullets)
        return ""
    return ch


_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUPERSCRIPTS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹")


def _mark_superscripts(chars: list[Char]) -> None:
    """Write raised small digits as superscript digits (``落实率¹为``, ``1:181²``), in place.

    A footnote marker set as a superscript is a plain digit in the text layer, so it glues onto the word or
    the figure before it (``1:181`` + ``2`` reads ``1:1812``, a wrong number). A digit is a superscript when
    it is markedly smaller than the character drawn just before it on the same line and raised above that
    character's baseline; a digit right after a superscript one, of its size and height, is one too. Each
    stays one character, so block offsets are unchanged; :mod:`indexing.figures` reads ¹²³ as a marker.
    """
    prev: Char | None = None
    for i, c in enumerate(chars):
        if not c[0].strip():
            continue
        if c[0] in "0123456789" and prev is not None and _raised_after(c, prev):
            c = chars[i] = (c[0].translate(_SUPERSCRIPT_DIGITS), *c[1:])
        prev = c


def _raised_after(c: Char, prev: Char) -> bool:
    """Whether the digit ``c`` sits raised and small right after ``prev`` (or continues its superscript)."""
    h, h_prev = c[4] - c[2], prev[4] - prev[2]
    if h <= 0 or h_prev <= 0 or not -0.3 * h_prev <= c[1] - prev[3] <= 0.8 * h_prev:
        return False  # not the next character on the same line
    if prev[0] in _SUPERSCRIPTS:
        return abs(h - h_prev) <= 0.15 * h_prev and abs(c[4] - prev[4]) <= 0.2 * h_prev
    smaller = h <= 0.75 * h_prev and c[5] <= 0.8 * prev[5]
    raised = c[4] <= prev[4] - 0.2 * h_prev and c[2] >= prev[2] - 0.5 * h_prev
    return smaller and raised


def _is_bad(ch: str) -> bool:
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F or o == 0xFFFD or 0xE000 <= o <= 0xF8FF or o >= 0xF0000


# The most frequent Chinese characters, plus report vocabulary. Running Chinese text has ≥ 60% of its
# characters in this set even in 200-character windows (measured on the CIQA source documents); text
# whose glyphs were mapped to the wrong code points (UTF-8 read as GBK, broken font encodings) has ~0%.
_COMMON_HANZI = frozenset(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行"
    "学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外"
    "天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情"
    "者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角"
    "期根论运农指几九区强放决西被干做必战先回则任取据处府研校教育评估课专师队伍改培养保障况度服务条践创院项目标准持续监控反"
    "馈落推完善升加万亿元率达占近共获批省示范基心台团成奖励认证审核考价检查督导听"
)


def _is_garbage(chars: list[str]) -> bool:
    """Whether a page's text layer is unusable: mostly control, unmapped, private-use or Latin-1
    mojibake characters, ``(cid:N)`` placeholders, or Chinese characters that are nearly all rare ones."""
    visible = [ch for ch in chars if not ch.isspace()]
    if len(visible) < 10:
        return False
    bad = sum(1 for ch in visible if _is_bad(ch) or 0xC0 <= ord(ch) <= 0x24F)
    bad += 6 * len(re.findall(r"\(cid:\d+\)", "".join(visible)))
    if bad >= 0.25 * len(visible):
        return True
    hanzi = [ch for ch in visible if "\u4e00" <= ch <= "\u9fff"]
    return len(hanzi) >= 30 and sum(1 for ch in hanzi if ch in _COMMON_HANZI) < 0.2 * len(hanzi)


# --- lines -----------------------------------------------------------------------------------------


def _build_lines(chars: list[Char], page: int, bold_fonts: set[int], width: float = 0.0) -> list[Line]:
    """Cluster characters into lines in reading order, building each line's text and metrics.

    Parts of the page set in two columns (:func:`~indexing.parsing.layout.column_regions_of_boxes`: a gutter no
    character crosses across a run of rows, running text on both sides) are read left column first, then
    right column; full-width lines above, between and below them stay where they are.
    """
    rows = _rows(chars)
    visible = [c[5] for c in chars if c[0].strip()]
    regions = []
    if width and len(visible) >= 60:
        em = statistics.median(visible)
        boxes = [[(c[1], c[3], c[2], c[4], 1 if c[0].strip() else 0) for c in row] for row in rows]
        regions = column_regions_of_boxes(boxes, width=width, em=em)
    out: list[Line] = []
    done = 0
    for region in regions:
        out += _lines_of_rows(rows[done : region.first], page, bold_fonts)
        inside = [c for r in rows[region.first : region.end] for c in r]
        for col in (
            _row_lines([c for c in inside if (c[1] + c[3]) / 2 < region.middle], page, bold_fonts),
            _row_lines([c for c in inside if (c[1] + c[3]) / 2 >= region.middle], page, bold_fonts),
        ):
            edge = right_edge(col)
            for ln in col:
                ln.column_right = edge
            out += col
        done = region.end
    return out + _lines_of_rows(rows[done:], page, bold_fonts)


def _rows(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into rows (spaces have no say in where a row lies)."""
    return group_rows(chars, lambda c: (c[2], c[4]) if c[0].strip() else ((c[2] + c[4]) / 2,) * 2)


def _row_lines(chars: list[Char], page: int, bold_fonts: set[int]) -> list[Line]:
    return _lines_of_rows(_rows(chars), page, bold_fonts)


def _lines_of_rows(rows: list[list[Char]], page: int, bold_fonts: set[int]) -> list[Line]:
    lines = []
    for g in rows:
        line = _make_line(sorted(g, key=lambda c: c[1]), page, bold_fonts)
        if line is not None:
            lines.append(line)
    lines.sort(key=lambda ln: (ln.top, ln.x0))
    return lines


def _make_line(chars: list[Char], page: int, bold_fonts: set[int]) -> Line | None:
    # Pass 1: visible characters, and for each one whether a space character preceded it.
    kept: list[Char] = []
    spaced: list[bool] = []
    pending_space = False
    for c in chars:
        ch = _normalize_char(c[0])
        if not ch:
            continue
        if ch.isspace():
            pending_space = True
            continue
        if kept:
            p = kept[-1]
            if ch == p[0] and abs(c[1] - p[1]) < 0.3 * max(p[3] - p[1], 1.0) and abs(c[2] - p[2]) < 2:
                continue  # the same glyph drawn twice (shadow or fake bold)
        kept.append((ch, *c[1:]))  # type: ignore[arg-type]
        spaced.append(pending_space)
        pending_space = False
    if not kept:
        return None
    # Some OCR text layers put a space between every two Chinese characters: those spaces mean nothing.
    cjk_pairs = [spaced[k] for k in range(1, len(kept)) if is_cjk(kept[k - 1][0][-1]) and is_cjk(kept[k][0][0])]
    cjk_spaces_real = sum(cjk_pairs) <= 0.3 * len(cjk_pairs)
    # Pass 2: separators. No space next to CJK unless typed (or a column-wide gap); Latin words keep theirs.
    parts = [kept[0][0]]
    wide_gap = False
    for k in range(1, len(kept)):
        prev, c = kept[k - 1], kept[k]
        gap = c[1] - prev[3]
        em = max(prev[5], c[5], 1.0)
        left_cjk, right_cjk = is_cjk(prev[0][-1]), is_cjk(c[0][0])
        if gap > 2.0 * em:
            wide_gap = True
            parts.append(" ")
        elif left_cjk and right_cjk:
            if spaced[k] and cjk_spaces_real and gap >= 0.1 * em:
                parts.append(" ")
        elif left_cjk or right_cjk:
            if spaced[k] and gap >= 0.1 * em:
                parts.append(" ")
        elif spaced[k] or gap > 0.18 * em:
            parts.append(" ")
        parts.append(c[0])
    if not kept:
        return None
    text = "".join(parts).strip()
    if _SPACED_TITLE.match(text):
        text = re.sub(r"\s+", "", text)
    sizes = sorted(c[5] for c in kept)
    size = sizes[len(sizes) // 2]
    tops = sorted(c[2] for c in kept)
    bottoms = sorted(c[4] for c in kept)
    bold = sum(1 for c in kept if c[6] in bold_fonts) / len(kept)
    k = min(first_unit_length(text.replace(" ", "")), len(kept))
    first_unit = kept[k - 1][3] - kept[0][1]
    toc = bool(_TOC_LEADERS.search(text)) or (wide_gap and bool(re.search(r"\s\d{1,4}$", text)))
    return Line(
        text=text,
        x0=kept[0][1],
        x1=max(c[3] for c in kept),
        top=tops[len(tops) // 2],
        bottom=bottoms[len(bottoms) // 2],
        size=size,
        page=page,
        first_unit=first_unit,
        bold=bold,
        toc=toc,
        tabular=wide_gap,
    )


# --- tables ----------------------------------------------------------------------------------------


def _find_tables(page: _Page, bold_fonts: set[int]) -> None:
    """Find ruled tables from the page's edges, fill their cells, and take their characters out of the flow."""
    h = sum(1 for e in page.edges if e["orientation"] == "h")
    v = len(page.edges) - h
    if h < 2 or v < 2:
        return
    from pdfplumber.table import (
        Table,
        cells_to_tables,
        edges_to_intersections,
        intersections_to_cells,
        merge_edges,
    )
    from pdfplumber.utils import filter_edges

    edges = merge_edges(page.edges, snap_x_tolerance=3, snap_y_tolerance=3, join_x_tolerance=3, join_y_tolerance=3)
    edges = filter_edges(edges, min_length=3)
    cells = intersections_to_cells(edges_to_intersections(edges, 3, 3))
    tables = [Table(None, group) for group in cells_to_tables(cells)]  # type: ignore[arg-type]
    if not tables:
        return
    taken: set[int] = set()
    for table in tables:
        x0, top, x1, bottom = table.bbox
        inside = [
            i
            for i, c in enumerate(page.chars)
            if i not in taken and x0 - 1 <= (c[1] + c[3]) / 2 <= x1 + 1 and top - 1 <= (c[2] + c[4]) / 2 <= bottom + 1
        ]
        rows: list[list[str]] = []
        for row in table.rows:
            _, rtop, _, rbottom = row.bbox
            in_row = [page.chars[i] for i in inside if rtop <= (page.chars[i][2] + page.chars[i][4]) / 2 <= rbottom]
            cells_text = []
            for cell in row.cells:
                if cell is None:
                    cells_text.append("")
                    continue
                cx0, ctop, cx1, cbottom = cell
                chars = [
                    ch for ch in in_row if cx0 <= (ch[1] + ch[3]) / 2 <= cx1 and ctop <= (ch[2] + ch[4]) / 2 <= cbottom
                ]
                cells_text.append(join_line_texts(_row_lines(chars, page.number, bold_fonts)))
            rows.append(cells_text)
        rows = _tidy_rows(rows)
        filled = sum(1 for r in rows for c in r if c)
        cells_total = sum(1 for row in table.rows for cell in row.cells if cell is not None)
        if len(rows) < 2 or max((len(r) for r in rows), default=0) < 2 or filled < 2 or filled < 0.2 * cells_total:
            continue  # a box, a frame or a chart's grid, not a table: its text stays in the flow
        taken.update(inside)
        page.tables.append(_TableItem(top=top, rows=rows, page=page.number, last_page=page.number))
    if taken:
        page.chars = [c for i, c in enumerate(page.chars) if i not in taken]


def _find_rule_tables(page: _Page, bold_fonts: set[int]) -> None:
    """Find three-line tables (horizontal rules only: top, under the header, bottom) and take their
    characters out of the flow.

    Rules: horizontal edges joined where they continue each other (HTML draws a border per cell) or lie
    within two points (a thick rule drawn as a filled rectangle), at least a quarter of the page wide.
    Rules of the same extent cut the page into bands; a run of bands that hold text, no vertical rule,
    no caption and no line of prose (one run of text across most of the width, or a sentence) frames a
    candidate: two or more bands; a header alone between two rules at the foot of a page; or, for a table
    broken across pages, the rows between a rule and the page's head or foot when nothing else stands
    there (the parts are joined in :func:`_assemble`). Columns come from the characters: the stretches of
    x the body rows' cells cover, separated by gaps common to all rows (half a character or more); rows
    are the text lines, a line filling few cells being a wrapped cell of the row beside it
    (:func:`_band_rows`). A candidate is a table only with at least two columns and two body rows
    filling two or more cells (one under a header of two or more): an ordinary paragraph between rules
    runs across any gap, so it makes one column and stays in the flow.
    """
    segments = sorted((e["top"], e["x0"], e["x1"]) for e in page.edges if e["orientation"] == "h")
    joined: list[list[float]] = []
    for y, x0, x1 in segments:
        near = next((r for r in reversed(joined[-8:]) if abs(r[0] - y) <= 1.0 and x0 <= r[2] + 2.0), None)
        if near is not None and x1 >= near[1] - 2.0:
            near[1], near[2] = min(near[1], x0), max(near[2], x1)
        else:
            joined.append([y, x0, x1])
    verticals = _Verticals(page.edges)
    groups: list[list[list[float]]] = []  # rules of one extent, top to bottom
    for rule in sorted(r for r in joined if r[2] - r[1] >= 0.25 * page.width):
        y, rx0, rx1 = rule
        if verticals.crossing(y - 2, y + 2, rx0 - 2, rx1 + 2):
            continue  # a line of a grid: pdfplumber's table finder has had its chance
        group = next((g for g in groups if abs(g[0][1] - rule[1]) <= 4 and abs(g[0][2] - rule[2]) <= 4), None)
        if group is None:
            groups.append([rule])
        elif rule[0] - group[-1][0] > 2.0:
            group.append(rule)
    if not groups:
        return
    taken: set[int] = set()
    top_zone, bottom_zone = _ZONE * page.height, (1 - _ZONE) * page.height
    by_height = sorted(range(len(page.chars)), key=lambda i: page.chars[i][2] + page.chars[i][4])
    heights = [(page.chars[i][2] + page.chars[i][4]) / 2 for i in by_height]

    def between(y0: float, y1: float) -> list[int]:
        """Characters whose middle lies strictly between two heights."""
        return by_height[bisect.bisect_right(heights, y0) : bisect.bisect_left(heights, y1)]

    for group in groups:
        x0, x1 = min(r[1] for r in group) - 2, max(r[2] for r in group) + 2
        ys = [r[0] for r in group]
        # A table broken across pages has no rule at the foot of the first part or the head of the next:
        # the text between a rule and the page's edge belongs to it when nothing else stands there.
        spans = [(top_zone, ys[0]), *itertools.pairwise(ys), (ys[-1], bottom_zone), (ys[-1], ys[-1])]
        bands: list[tuple[list[int], list[list[list[Char]]]]] = []  # (char indexes, lines as runs)
        continued = False  # the run of bands starts at the head of the page, without a header
        run_top = 0.0  # where the run of bands starts
        for k, (y0, y1) in enumerate(spans):
            level = between(y0, y1)
            inside = sorted(
                i for i in level if i not in taken and x0 <= (page.chars[i][1] + page.chars[i][3]) / 2 <= x1
            )
            chars = page.chars
            is_open = k in (0, len(spans) - 2)
            blocked = verticals.crossing(y0 + 1, y1 - 1, x0, x1)
            # An open stretch is the table's only when no other text stands beside it.
            blocked = blocked or (
                is_open and any(chars[i][0].strip() and not x0 <= (chars[i][1] + chars[i][3]) / 2 <= x1 for i in level)
            )
            lines = _cell_runs([chars[i] for i in inside]) if inside and not blocked else []
            if is_open and (
                2 * sum(1 for runs in lines if len(runs) >= 2) < len(lines)
                or any(len(runs) == 1 and ends_sentence("".join(c[0] for c in runs[0])) for runs in lines)
            ):
                blocked = True  # sentences, or mostly lines of one cell: not the table's rows
            if lines and not blocked and not any(_prose_line(runs, x1 - x0) for runs in lines):
                if not bands:
                    continued, run_top = k == 0, y0
                bands.append((inside, lines))
                continue
            # A header between two rules at the foot of the page (below the running header's zone, above
            # nothing but the footer): the table goes on on the next page.
            header_only = (
                len(bands) == 1
                and not continued
                and run_top >= top_zone
                and not any(page.chars[i][0].strip() for i in between(y0, bottom_zone))
            )
            if len(bands) >= 2 or header_only or (continued and bands):
                rows = _rule_table_rows([ln for _, ln in bands], page.number, bold_fonts, header=not continued)
                if rows is not None:
                    taken.update(i for band_chars, _ in bands for i in band_chars)
                    top = min(page.chars[i][2] for i in bands[0][0])
                    page.tables.append(_TableItem(top=top, rows=rows, page=page.number, last_page=page.number))
            bands, continued = [], False
    if taken:
        page.chars = [c for i, c in enumerate(page.chars) if i not in taken]


class _Verticals:
    """Vertical edges of a page, bucketed by height so that "does one stand here" is quick on pages
    with large grids."""

    _STEP = 16.0

    def __init__(self, edges: list[dict]) -> None:
        self._buckets: dict[int, list[tuple[float, float, float]]] = {}
        for e in edges:
            if e["orientation"] == "v":
                for b in range(int(e["top"] // self._STEP), int(e["bottom"] // self._STEP) + 1):
                    self._buckets.setdefault(b, []).append((e["x0"], e["top"], e["bottom"]))

    def crossing(self, y0: float, y1: float, x0: float, x1: float) -> bool:
        """Whether a vertical edge between ``x0`` and ``x1`` reaches into the heights ``y0``–``y1``."""
        for b in range(int(y0 // self._STEP), int(y1 // self._STEP) + 1):
            for x, top, bottom in self._buckets.get(b, ()):
                if x0 < x < x1 and top < y1 and bottom > y0:
                    return True
        return False


def _cell_runs(chars: list[Char]) -> list[list[list[Char]]]:
    """The text lines among ``chars``, each split into runs at gaps of half a character or more (cells)."""
    lines = []
    for row in _rows(chars):
        visible = sorted((c for c in row if c[0].strip()), key=lambda c: c[1])
        if not visible:
            continue
        size = statistics.median(c[5] for c in visible)
        runs = [[visible[0]]]
        for c in visible[1:]:
            if c[1] - runs[-1][-1][3] >= 0.5 * size:
                runs.append([c])
            else:
                runs[-1].append(c)
        lines.append(runs)
    return lines


def _prose_line(runs: list[list[Char]], width: float) -> bool:
    """A caption, or one run of text across most of a table's width or ending a sentence across a third
    of it: a paragraph, not a table row."""
    text = "".join(c[0] for c in runs[0])
    if _CAPTION.match(text):
        return True
    extent = runs[0][-1][3] - runs[0][0][1]
    return len(runs) == 1 and (extent >= 0.6 * width or (extent >= 0.3 * width and ends_sentence(text)))


def _rule_table_rows(
    bands: list[list[list[list[Char]]]], page: int, bold_fonts: set[int], *, header: bool = True
) -> list[list[str]] | None:
    """Cells of a three-line table from the lines between its rules (the first band is the header), or
    ``None`` when they do not form at least two columns and two filled body rows (one under a header of
    two or more cells; a header alone at the foot of a page stands for its table)."""
    lines = [(k, runs) for k, band in enumerate(bands) for runs in band]
    em = max(statistics.median(c[5] for run in runs for c in run) for _, runs in lines)
    body = [runs for k, runs in lines if k > 0 or not header] or [runs for _, runs in lines]  # or a header alone
    spans = sorted((run[0][1], max(c[3] for c in run)) for runs in body for run in runs)
    columns: list[list[float]] = []
    for s0, s1 in spans:
        if columns and s0 - columns[-1][1] < 0.5 * em:
            columns[-1][1] = max(columns[-1][1], s1)
        else:
            columns.append([s0, s1])
    heads = [runs for k, runs in lines if k == 0 and header]
    if len(columns) < 2 or sum(1 for runs in body if len(runs) >= 2) < (1 if any(len(r) >= 2 for r in heads) else 2):
        return None

    def column(run: list[Char]) -> int:
        r0, r1 = run[0][1], max(c[3] for c in run)
        return max(range(len(columns)), key=lambda j: min(r1, columns[j][1]) - max(r0, columns[j][0]))

    # Each line: band, top, bottom, cells.
    cells_of: list[tuple[int, float, float, list[str]]] = []
    for k, runs in lines:
        cells = [""] * len(columns)
        for run in runs:
            line = _make_line(run, page, bold_fonts)
            if line is not None:
                j = column(run)
                cells[j] = f"{cells[j]} {line.text}" if cells[j] else line.text
        top = min(c[2] for run in runs for c in run)
        bottom = max(c[4] for run in runs for c in run)
        cells_of.append((k, top, bottom, cells))
    rows: list[list[str]] = []
    for k in range(len(bands)):
        band = [(top, bottom, cells) for b, top, bottom, cells in cells_of if b == k]
        rows += _band_rows(band, len(columns))
    return _tidy_rows(rows)


def _band_rows(lines: list[tuple[float, float, list[str]]], n_columns: int) -> list[list[str]]:
    """Table rows from the lines of one band (``top``, ``bottom``, cells).

    The lines filling the most cells anchor rows. A line filling at most half the columns between two
    anchors is a wrapped cell: it joins the anchor on the near side of the widest gap among the lines
    between them (cells aligned to the top, middle or bottom all come out right; a tie goes up). Lines
    before the first anchor join it, lines after the last join the last.
    """
    if not lines:
        return []
    filled = [sum(1 for c in cells if c) for _, _, cells in lines]
    wrapped = [n < max(filled) and n <= max(1, n_columns // 2) for n in filled]
    anchors = [k for k, w in enumerate(wrapped) if not w]
    owner = list(range(len(lines)))
    for k in range(len(lines)):
        if not wrapped[k]:
            continue
        above = max((a for a in anchors if a < k), default=None)
        below = min((a for a in anchors if a > k), default=None)
        if above is None or below is None:
            owner[k] = below if above is None else above
            continue
        gaps = [lines[j + 1][0] - lines[j][1] for j in range(above, below)]
        split = above + max(range(len(gaps)), key=lambda g: (gaps[g], g))  # widest gap, the lowest on a tie
        owner[k] = above if k <= split else below
    rows: dict[int, list[str]] = {}  # anchor → cells, lines joined top to bottom
    for k, (_, _, cells) in enumerate(lines):
        row = rows.get(owner[k], [""] * n_columns)
        rows[owner[k]] = [join_lines([r, c]) if r and c else r or c for r, c in zip(row, cells, strict=True)]
    return [rows[k] for k in sorted(rows)]


def _tidy_rows(rows: list[list[str]]) -> list[list[str]]:
    """Drop empty rows and columns that are empty in every row (slivers from misaligned borders)."""
    rows = [r for r in rows if any(r)]
    if not rows:
        return rows
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    keep = [j for j in range(width) if any(r[j] for r in rows)]
    return [[r[j] for j in keep] for r in rows]


# --- headers, footers, page numbers ----------------------------------------------------------------


def _remove_running_lines(pages: list[_Page]) -> None:
    """Drop running headers/footers (repeating, digits ignored) and page numbers near the page edges."""

    def zone(p: _Page, ln: Line) -> bool:
        return p.height > 0 and (ln.bottom <= _ZONE * p.height or ln.top >= (1 - _ZONE) * p.height)

    def key(text: str) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))

    seen: Counter[str] = Counter()
    for p in pages:
        for k in {key(ln.text) for ln in p.lines if zone(p, ln)}:
            seen[k] += 1
    n = sum(1 for p in pages if p.lines)
    need = max(2, min(3, math.ceil(n / 2)))
    for p in pages:
        p.lines = [
            ln
            for ln in p.lines
            if not (zone(p, ln) and (seen[key(ln.text)] >= need or _PAGE_NUMBER.match(ln.text.strip())))
        ]


# --- table of contents -----------------------------------------------------------------------------

_TOC_TITLE = re.compile(
    r"^(?:(?:图表|插图|图|表)\s*)?(?:目\s*录|目\s*次)(?:\s*(?:contents|table\s+of\s+contents))?$"
    r"|^(?:contents|table\s+of\s+contents|list\s+of\s+(?:figures|tables))$",
    re.IGNORECASE,
)
# Dot leaders (or an ellipsis) run into a page number: "一、概况………3", "1.1 定位 ........ 12".
_LEADERS = re.compile(r"((?:[.．·•_－—-]\s*){3,}|(?:[…⋯]\s*){2,})\s*(\d{1,4}|[ivxlcdm]{1,7})$", re.IGNORECASE)


def _take_toc(pages: list[_Page], body: float) -> tuple[TocEntry, ...]:
    """Find the printed table of contents, take its lines out of the pages and return its entries.

    A page holds a TOC when, between its first and last entry line, at least 60% of the lines are entries
    whose page numbers mostly increase, and it has three lines with dot leaders, or a 目录/CONTENTS
    title, or follows a TOC page. Entry lines: dot leaders then a page number; a title, a gap and a page
    number; or a line ending in a number at the right edge where the other entries end theirs (a long
    title leaves no room for leaders). A title line above the entries goes too; a non-entry line between
    entries is the first part of a wrapped entry. Lines above the TOC that are no TOC title, and lines
    below its last entry (the body may start on the same page), stay. Under a 目录 title, short numbered
    lines without page numbers are entries too (:func:`_titled_toc`: OCR loses leaders and numbers).

    Args:
        pages: the pages, lines in reading order, running headers and footers removed.
        body: body font size (indentation steps are measured against it).

    Returns:
        The entries in order, with levels from numbering and indentation (:func:`toc_levels`).
    """
    found: list[tuple[str, str | None, float, int]] = []  # title, page label, indent, page
    previous_toc = False
    for p in pages:
        taken = _toc_lines(p, body, previous_toc)
        previous_toc = taken is not None
        if taken is None:
            continue
        first, last, entries = taken
        pending: list[Line] = []
        for k in range(first, last + 1):
            ln = p.lines[k]
            parts = entries.get(k)
            if parts is None:
                pending.append(ln)
                continue
            head = pending[0] if pending else ln
            title = join_line_texts([*pending, ln]) if pending else ln.text
            split = split_toc_entry(title) or parts
            if not _CAPTION.match(split[0]):  # a list of figures or tables leaves the body, but lists no heading
                found.append((split[0], split[1], head.x0, p.number))
            pending = []
        drop = set(range(first, last + 1))
        drop.update(k for k in range(first) if _TOC_TITLE.match(p.lines[k].text.strip()))
        p.lines = [ln for k, ln in enumerate(p.lines) if k not in drop]
    if not found:
        return ()
    levels = toc_levels([f[0] for f in found], [f[2] for f in found], 0.6 * body)
    return tuple(
        TocEntry(title=title, page_label=label, level=level, page=page)
        for (title, label, _, page), level in zip(found, levels, strict=True)
    )


def _toc_lines(p: _Page, body: float, after_toc: bool) -> tuple[int, int, dict[int, tuple[str, str | None]]] | None:
    """The TOC part of one page: first and last entry line and the entries (line index → title, label),
    or ``None`` when the page holds no TOC."""
    if len(p.lines) < 3:
        return None
    strong: dict[int, tuple[str, str | None]] = {}
    loose: dict[int, tuple[str, str | None]] = {}
    for k, ln in enumerate(p.lines):
        text = ln.text.strip()
        parts = split_toc_entry(text)
        if parts is None:
            continue
        if _LEADERS.search(text) or (ln.tabular and re.search(r"\s\d{1,4}$", text)):
            strong[k] = parts
        else:
            loose[k] = parts
    if len(strong) < 3 and not after_toc and not any(_TOC_TITLE.match(ln.text.strip()) for ln in p.lines[:5]):
        return None
    if len(strong) < 2:
        return _titled_toc(p)
    right = statistics.median(p.lines[k].x1 for k in strong)
    entries = dict(strong)
    entries.update((k, v) for k, v in loose.items() if abs(p.lines[k].x1 - right) <= 0.6 * body)
    first, last = min(entries), max(entries)
    if len(entries) < 3 or len(entries) < 0.6 * (last - first + 1):
        return None
    numbers = [int(label) for _, label in (entries[k] for k in sorted(entries)) if label and label.isdigit()]
    rising = sum(1 for a, b in itertools.pairwise(numbers) if b >= a)
    if numbers and rising < 0.8 * (len(numbers) - 1):
        return None
    return first, last, entries


def _titled_toc(p: _Page) -> tuple[int, int, dict[int, tuple[str, str | None]]] | None:
    """A TOC whose page numbers were lost (OCR drops dot leaders, often with the numbers after them): a
    目录/CONTENTS title among the first lines, then three or more short lines, most of them numbered and
    none a sentence, up to the first line that is not such an entry."""
    title = next((k for k, ln in enumerate(p.lines[:5]) if ln.text.strip() and _TOC_TITLE.match(ln.text.strip())), None)
    if title is None:
        return None
    entries: dict[int, tuple[str, str | None]] = {}
    for k in range(title + 1, len(p.lines)):
        text = p.lines[k].text.strip()
        parts = split_toc_entry(text)
        name = (parts[0] if parts else text).rstrip(" .．·…⋯•_-—－")
        if not name or len(name) > 60 or ends_sentence(name):
            break
        entries[k] = (name, parts[1] if parts else None)
    if len(entries) < 3 or 2 * sum(1 for name, _ in entries.values() if numbering_family(name)) < len(entries):
        return None
    return title + 1, max(entries), entries


# --- paragraphs and blocks -------------------------------------------------------------------------


@dataclass
class _Para:
    lines: list[Line]


def _assemble(pages: list[_Page], body: float) -> list[_Para | _TableItem]:
    """Paragraphs and tables in reading order, joining paragraphs across lines and pages."""
    doc_pitch = merge_pitches([line_pitches(p.lines) for p in pages])
    # Pages with too few long lines to show their right edge borrow it from similar pages, or mirror the
    # document's left margin.
    rights = {p.number: p.right for p in pages if p.right is not None}
    x0s = sorted(ln.x0 for p in pages for ln in p.lines)
    left = x0s[len(x0s) // 20] if x0s else 0.0
    right_of: dict[int, float] = {}
    pitch_of: dict[int, dict[float, float]] = {}
    for p in pages:
        similar = [r for n, r in rights.items() if abs(pages[n - 1].width - p.width) < 2]
        fallback = statistics.median(similar) if similar else p.width - left
        longest = max((ln.x1 for ln in p.lines), default=0.0)
        if p.right is None:
            right_of[p.number] = max(fallback, longest)
        else:  # a page of short lines (a form, a list) ends them before the column's edge
            right_of[p.number] = max(p.right, statistics.median(similar)) if similar else p.right
        pitch_of[p.number] = line_pitches(p.lines)
    out: list[_Para | _TableItem] = []
    para: list[Line] = []

    def flush() -> None:
        nonlocal para
        if para:
            out.append(_Para(para))
            para = []

    for p in pages:
        # Lines are in reading order already (columns); each table goes before the first line below it.
        tables = sorted(p.tables, key=lambda t: t.top)
        items: list[Line | _TableItem] = []
        for ln in p.lines:
            while tables and tables[0].top <= ln.top:
                items.append(tables.pop(0))
            items.append(ln)
        items += tables
        for idx, item in enumerate(items):
            if isinstance(item, _TableItem):
                flush()
                prev = out[-1] if out else None
                if (
                    idx == 0
                    and isinstance(prev, _TableItem)
                    and prev.last_page == p.number - 1
                    and len(prev.rows[0]) == len(item.rows[0])
                ):  # the same table continued at the top of the next page
                    added = item.rows[1:] if item.rows[0] == prev.rows[0] else item.rows
                    if added:
                        prev.continued_at.append((len(prev.rows), p.number))
                    prev.rows.extend(added)
                    prev.last_page = p.number
                else:
                    out.append(item)
                continue
            if para:
                prev_line = para[-1]
                pitches = pitch_of[prev_line.page]
                if size_key(prev_line.size) not in pitches:
                    pitches = doc_pitch
                pitch = expected_pitch(prev_line.size, pitches) if prev_line.page == item.page else None
                following = items[idx + 1] if idx + 1 < len(items) else None
                if not breaks_between(
                    prev_line,
                    item,
                    para,
                    right=right_of[prev_line.page],
                    pitch=pitch,
                    body=body,
                    following=following if isinstance(following, Line) else None,
                ):
                    para.append(item)
                    continue
                flush()
            para = [item]
    flush()
    return out


_Outline = dict[str, list[tuple[int, int | None]]]


def _title_key(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _outline_level(text: str, page: int, outline: _Outline) -> int | None:
    """The level of the bookmark with this title near this page, if the PDF has one."""
    for level, bm_page in outline.get(_title_key(text), ()):
        if bm_page is None or abs(bm_page - page) <= 1:
            return level
    return None


@dataclass
class _Candidate:
    """One block as it leaves :func:`_paragraph_blocks`, with what decides a heading's level."""

    raw: RawBlock
    style: tuple[float, bool] | None = None  # (size key, heavy) of a text-layer heading
    bookmark: int | None = None  # level of the PDF bookmark with this title
    numbered: bool = False  # a heading only because of its section number


def _classify(
    items: list[_Para | _TableItem], body: float, outline: _Outline, toc: Sequence[TocEntry] = ()
) -> list[RawBlock]:
    """Turn paragraphs and tables into raw blocks with kinds and heading levels.

    Headings come from the PDF's bookmarks (Word and WPS export them from heading styles), from the
    printed table of contents (a short paragraph whose title matches an entry, in order), from short
    text set larger than the body or in a heavy font, and from Chinese section numbers. A bullet line
    is never a heading, and an OCR'd line only on numbering or TOC evidence (recognised boxes give no
    reliable font size or weight).

    Levels: with bookmarks, bookmark depth (numbered headings aligned to it). Otherwise a heading that
    matches a TOC entry takes the entry's level; a numbered heading takes its numbering family's level
    (:func:`~indexing.parsing.headings.family_levels`, with the families of the TOC fixed at their TOC
    level), so that one family keeps one level through the document; an unnumbered styled heading takes
    the level of numbered headings set in the same style, else sits below the nearest larger style.
    """
    toc_levels_by_key: dict[str, deque[int]] = {}
    for entry in toc:
        toc_levels_by_key.setdefault(title_key(entry.title), deque()).append(entry.level)
    cands: list[_Candidate] = []
    toc_level: dict[int, int] = {}  # index → level of the TOC entry the heading matches
    for item in items:
        if isinstance(item, _TableItem):
            rows = tuple(tuple(r) for r in item.rows)
            rendered = render_table(rows)
            cands.append(
                _Candidate(
                    RawBlock(
                        BlockKind.TABLE,
                        rendered,
                        page=item.page,
                        rows=rows,
                        source=item.source,
                        ocr_confidence=item.ocr_confidence,
                        page_starts=item.page_starts(rendered),
                    )
                )
            )
            continue
        parts = [item.lines]
        first = item.lines[0]
        if (
            outline
            and len(item.lines) > 1
            and _outline_level(first.text, first.page, outline) is not None
            and _outline_level(join_line_texts(item.lines), first.page, outline) is None
        ):
            parts = [item.lines[:1], item.lines[1:]]  # a bookmarked heading run into the next paragraph
        for lines in parts:
            for cand in _paragraph_blocks(lines, body, outline):
                raw = cand.raw
                levels = toc_levels_by_key.get(title_key(raw.text)) if len(raw.text) <= 100 else None
                if levels and raw.kind in (BlockKind.HEADING, BlockKind.PARAGRAPH) and not _CAPTION.match(raw.text):
                    raw.kind = BlockKind.HEADING
                    toc_level[len(cands)] = levels.popleft()
                cands.append(cand)
    _demote_cover_and_chart_lines(cands, toc_level, toc)
    raws = [c.raw for c in cands]
    marked = {i: c.bookmark for i, c in enumerate(cands) if c.bookmark is not None}
    if len(marked) >= 2:
        _bookmark_levels(cands, marked)
        align_numbered_levels(raws, [c.numbered for c in cands])
        return raws
    fixed_votes: dict[NumberingFamily, Counter[int]] = {}
    for entry in toc:
        family = numbering_family(entry.title)
        if family is not None:
            fixed_votes.setdefault(family, Counter())[entry.level] += 1
    heads = [i for i, c in enumerate(cands) if c.raw.kind is BlockKind.HEADING]
    families = {i: numbering_family(raws[i].text) for i in heads}
    by_family = family_levels(
        (f for f in families.values() if f is not None),
        {f: votes.most_common(1)[0][0] for f, votes in fixed_votes.items()},
    )
    unleveled: list[int] = []
    for i in heads:
        family = families[i]
        if i in toc_level:
            raws[i].heading_level = toc_level[i]
        elif family is not None:
            raws[i].heading_level = by_family[family]
        else:
            unleveled.append(i)
    _style_levels(cands, unleveled)
    return raws


_CHART_NUMBER = re.compile(r"\d")


def _demote_cover_and_chart_lines(cands: list[_Candidate], toc_level: dict[int, int], toc: Sequence[TocEntry]) -> None:
    """Turn back into paragraphs the styled lines that only look like headings, in place.

    * A cover page (before the printed table of contents, with no running text: the title, the school, the
      date set large) holds no section.
    * A short label inside a chart or an infographic (``求职时长`` among ``4.4个月``, ``518元``) is set large
      but names no section: at least two of its neighbours on the page are short runs of figures.

    Headings with a section number, a bookmark or a TOC entry keep their kind: they have evidence beyond
    their style.
    """
    first_toc = min((e.page for e in toc if e.page is not None), default=None)
    by_page: dict[int, list[RawBlock]] = {}
    for cand in cands:
        if cand.raw.page is not None:
            by_page.setdefault(cand.raw.page, []).append(cand.raw)
    cover = {
        page
        for page, raws in by_page.items()
        if first_toc is not None
        and page < first_toc
        and not any(ends_sentence(r.text.strip()) or len(r.text.strip()) > 60 for r in raws)
    }

    def figure_run(raw: RawBlock) -> bool:
        t = raw.text.strip()
        return (
            raw.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM)
            and len(t) <= 16
            and bool(_CHART_NUMBER.search(t))
            and not (_CAPTION.match(t) or ends_sentence(t))
        )

    for i, cand in enumerate(cands):
        raw = cand.raw
        if raw.kind is not BlockKind.HEADING or cand.bookmark is not None or cand.numbered or i in toc_level:
            continue
        if numbering_level(raw.text.strip()) is not None:
            continue
        near = [c.raw for c in cands[max(0, i - 3) : i + 4] if c is not cand and c.raw.page == raw.page]
        if raw.page in cover or sum(figure_run(r) for r in near) >= 2:
            raw.kind, raw.heading_level = BlockKind.PARAGRAPH, None


def _bookmark_levels(cands: list[_Candidate], marked: dict[int, int]) -> None:
    """Levels from bookmark depth; styled headings without a bookmark take the level of bookmarked
    headings in the same style, else the top (larger than any bookmarked heading) or one below the
    deepest."""
    votes: dict[tuple[float, bool], Counter[int]] = {}
    for idx, level in marked.items():
        style = cands[idx].style
        if style is not None:
            votes.setdefault(style, Counter())[level] += 1
    deepest = max(marked.values())
    biggest = max((cands[idx].style or (0.0, False))[0] for idx in marked)
    for idx, cand in enumerate(cands):
        if idx in marked:
            cand.raw.heading_level = marked[idx]
        elif cand.style is not None and cand.raw.kind is BlockKind.HEADING and not cand.numbered:
            if cand.style in votes:
                cand.raw.heading_level = votes[cand.style].most_common(1)[0][0]
            else:
                cand.raw.heading_level = 1 if cand.style[0] > biggest else min(deepest + 1, 9)


def _style_levels(cands: list[_Candidate], unleveled: list[int]) -> None:
    """Levels for unnumbered headings (set larger or heavier than the body) from their style.

    A style shared with headings whose level is known (numbered or in the TOC) takes their level; one of
    the same size takes that size's level; a smaller style sits one level below the nearest larger known
    style; a style larger than all known ones is the top level. Without any known level, styles are ranked
    by size, then weight.
    """
    votes: dict[tuple[float, bool], Counter[int]] = {}
    for cand in cands:
        if cand.raw.kind is BlockKind.HEADING and cand.raw.heading_level and cand.style is not None:
            votes.setdefault(cand.style, Counter())[cand.raw.heading_level] += 1
    known = {style: c.most_common(1)[0][0] for style, c in votes.items()}
    styles = sorted({cands[i].style or (0.0, False) for i in unleveled}, key=lambda k: (-k[0], not k[1]))
    for i in unleveled:
        style = cands[i].style or (0.0, False)
        if not known:
            level = styles.index(style) + 1
        elif style in known:
            level = known[style]
        else:
            same = [lv for (size, _), lv in known.items() if size == style[0]]
            larger = [(size, lv) for (size, _), lv in known.items() if size > style[0]]
            if same:
                level = min(same)
            elif larger:
                level = min(larger)[1] + 1
            else:
                level = 1
        cands[i].raw.heading_level = level


def _paragraph_blocks(lines: list[Line], body: float, outline: _Outline) -> list[_Candidate]:
    """One paragraph's blocks (two when a run-in heading starts it), with what decides heading levels."""
    text, page_starts = join_paged_lines(lines)
    source = lines[0].source
    conf = None
    if source is TextSource.OCR:
        confs = [ln.confidence for ln in lines if ln.confidence is not None]
        conf = round(sum(confs) / len(confs), 4) if confs else None
    raw = RawBlock(
        BlockKind.PARAGRAPH, text, page=lines[0].page, source=source, ocr_confidence=conf, page_starts=page_starts
    )
    if any(ln.toc for ln in lines):
        return [_Candidate(raw)]  # a stray table-of-contents line outside a TOC page
    if is_bullet(text):
        raw.kind = BlockKind.LIST_ITEM
        return [_Candidate(raw)]
    size = statistics.median(ln.size for ln in lines)
    heavy = min(ln.bold for ln in lines) >= 0.8
    style = (size_key(size), heavy) if source is TextSource.TEXT_LAYER else None
    bm_level = _outline_level(text, lines[0].page, outline) if outline and len(text) <= 100 else None
    if bm_level is not None:
        raw.kind = BlockKind.HEADING
        return [_Candidate(raw, style, bm_level)]
    letters = sum(1 for ch in text if ch.isalpha())
    if not _CAPTION.match(text):
        larger = size >= 1.12 * body and size - body >= 1.0
        if style is not None and (larger or heavy) and _heading_text(text, len(lines), letters):
            raw.kind = BlockKind.HEADING
            return [_Candidate(raw, style)]
        level = numbering_level(text)
        if level is not None and len(lines) <= 2 and letters >= 2:
            raw.kind, raw.heading_level = BlockKind.HEADING, level
            return [_Candidate(raw, style, numbered=True)]
        run_in = split_run_in(text)
        if run_in is not None:
            head, rest = run_in
            heading = RawBlock(BlockKind.HEADING, head, page=raw.page, source=source, ocr_confidence=conf)
            level = numbering_level(head.rstrip("。：:"))
            heading.heading_level = level
            raw.keep(len(text) - len(rest), len(text))  # the paragraph may run onto the next page
            return [_Candidate(heading, None, numbered=True), _Candidate(raw)]
    if is_list_number(text):
        raw.kind = BlockKind.LIST_ITEM
    return [_Candidate(raw)]


def _heading_text(text: str, n_lines: int, letters: int) -> bool:
    """Could this styled text be a heading: short, not a sentence, mostly words."""
    t = text.strip()
    return (
        n_lines <= 3
        and letters >= 2
        and len(t) <= 60
        and not ends_sentence(t)
        and not re.search(r"[，,]$", t)
        and letters >= 0.5 * len(t.replace(" ", ""))
    )


# --- entry point -----------------------------------------------------------------------------------


def _open(data: bytes):
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    head = data[:1024]
    if b"%PDF-" not in head:
        raise IndexingError(
            IndexingErrorCode.CORRUPT_FILE,
            "文件不是有效的 PDF（缺少 PDF 文件头），可能已损坏。请重新导出 PDF 后上传。",
            "no %PDF- header in the first 1024 bytes",
        )
    if b"%%EOF" not in data[-4096:]:
        raise IndexingError(
            IndexingErrorCode.CORRUPT_FILE,
            "PDF 文件不完整，可能在上传或保存时被截断。请重新导出 PDF 后上传。",
            "no %%EOF marker in the last 4096 bytes: the file is truncated",
        )
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise IndexingError(
                IndexingErrorCode.ENCRYPTED_FILE,
                "PDF 文件已加密，请取消密码保护后重新上传。",
                f"PDFium cannot open the document without a password (error {code})",
            ) from exc
        raise IndexingError(
            IndexingErrorCode.CORRUPT_FILE,
            "PDF 文件已损坏或格式异常，无法读取。请用 PDF 阅读器打开确认，重新导出后上传。",
            f"PDFium failed to load the document: error {code}: {exc}",
        ) from exc
    except Exception as exc:
        raise IndexingError(
            IndexingErrorCode.CORRUPT_FILE,
            "PDF 文件已损坏或格式异常，无法读取。请用 PDF 阅读器打开确认，重新导出后上传。",
            f"PDFium failed to load the document: {type(exc).__name__}: {exc}",
        ) from exc


def parse_pdf(data: bytes, *, doc_id: str, name: str, options: ParseOptions) -> Document:
    """Parse a PDF into blocks in reading order.

    Args:
        data: the file bytes.
        doc_id: the document id (sha256 of the bytes).
        name: display name.
        options: ``ocr`` (read scanned or garbled pages with OCR), ``max_pages``, ``ocr_dpi``,
            ``min_page_chars``.

    Returns:
        The document with blocks, ``page_count``, per-page statistics and warnings (pages that could not
        be read, scanned or garbled pages left out because OCR is off or failed). A PDF without any text
        yields a document without blocks; :func:`indexing.parsing.parse` turns that into ``NO_TEXT``.

    Raises:
        IndexingError: ``EMPTY_FILE``, ``CORRUPT_FILE`` (not a PDF, truncated, unreadable, no pages),
            ``ENCRYPTED_FILE`` (a password is needed to open it) or ``TOO_MANY_PAGES``.
    """
    if not data:
        raise IndexingError(IndexingErrorCode.EMPTY_FILE, "文件为空（0 字节），请检查后重新上传。", "PDF has 0 bytes")
    pdf = _open(data)
    try:
        n = len(pdf)
        if n <= 0:
            raise IndexingError(
                IndexingErrorCode.CORRUPT_FILE,
                "PDF 文件中没有任何页面，可能已损坏。请重新导出 PDF 后上传。",
                "the document has no pages",
            )
        if n > options.max_pages:
            raise IndexingError(
                IndexingErrorCode.TOO_MANY_PAGES,
                f"PDF 共 {n} 页，超过系统允许的 {options.max_pages} 页上限。请拆分文件后分别上传。",
                f"{n} pages, limit is {options.max_pages}",
            )
        return _parse_pages(pdf, data, n, doc_id=doc_id, name=name, options=options)
    finally:
        pdf.close()


def _parse_pages(pdf, data: bytes, n: int, *, doc_id: str, name: str, options: ParseOptions) -> Document:
    reader = _Reader()
    warnings = _Warnings()
    outline = _read_outline(pdf)
    pages: list[_Page] = []
    for i in range(n):
        try:
            page = pdf[i]
        except Exception as exc:
            pages.append(_Page(number=i + 1, unreadable=f"{type(exc).__name__}: {exc}"))
            continue
        try:
            pages.append(reader.read(page, i + 1))
        except Exception as exc:
            log.warning("page %d of %s unreadable: %s", i + 1, doc_id[:12], exc)
            pages.append(_Page(number=i + 1, unreadable=f"{type(exc).__name__}: {exc}"))
        finally:
            page.close()

    # Document-wide font statistics: the body font and size, and which fonts mark headings.
    font_chars: Counter[int] = Counter()
    size_chars: Counter[float] = Counter()
    for p in pages:
        for c in p.chars:
            if not c[0].isspace():
                font_chars[c[6]] += 1
                size_chars[size_key(c[5])] += 1
    body_font = reader.fonts[font_chars.most_common(1)[0][0]].name if font_chars else ""
    bold_fonts = {i for i, f in enumerate(reader.fonts) if f.fake_bold or (f.heavy and f.name != body_font)}

    to_ocr: list[_Page] = []
    for p in pages:
        if p.unreadable:
            warnings.add("PDF_PAGE_UNREADABLE", p.number, f"could not be read ({p.unreadable})")
            continue
        p.garbage = _is_garbage([c[0] for c in p.chars])
        usable = 0 if p.garbage else sum(1 for c in p.chars if not c[0].isspace() and not _is_bad(c[0]))
        scanned = usable < options.min_page_chars and (p.image_cover >= 0.3 or p.path_segments >= 400)
        if p.garbage or scanned:
            if options.ocr:
                to_ocr.append(p)
            else:
                what = "unreadable text layer" if p.garbage else "scanned image without a text layer"
                code = "PDF_GARBLED_TEXT_OCR_OFF" if p.garbage else "PDF_SCANNED_PAGE_OCR_OFF"
                warnings.add(code, p.number, f"{what}; OCR is disabled, so its text is not indexed")
            if p.garbage:
                p.chars = []
                continue
        _mark_superscripts(p.chars)
        _find_tables(p, bold_fonts)
        _find_rule_tables(p, bold_fonts)
        p.lines = _build_lines(p.chars, p.number, bold_fonts, p.width)
        p.chars = []

    if to_ocr:
        _ocr_pages(pdf, data, to_ocr, options, warnings)

    if size_chars:
        body = size_chars.most_common(1)[0][0]
    else:
        ocr_sizes: Counter[float] = Counter()
        for p in pages:
            for ln in p.lines:
                ocr_sizes[size_key(ln.size)] += len(ln.text)
        body = ocr_sizes.most_common(1)[0][0] if ocr_sizes else 12.0

    _remove_running_lines(pages)
    toc = _take_toc(pages, body)
    stats = []
    for p in pages:
        p.right = right_edge(p.lines)
        chars = sum(len(ln.text.replace(" ", "")) for ln in p.lines)
        chars += sum(len(c.replace(" ", "")) for t in p.tables for r in t.rows for c in r)
        stats.append(PageStats(page=p.number, chars=chars, source=p.source, ocr_confidence=p.ocr_confidence))
    builder = BlockBuilder()
    for raw in _classify(_assemble(pages, body), body, outline, toc):  # _assemble merges continued tables
        builder.add(raw)
    return Document(
        id=doc_id,
        name=name,
        media_type=MediaType.PDF,
        blocks=builder.build(),
        page_count=n,
        pages=tuple(stats),
        warnings=warnings.render(),
        toc=toc,
    )


def _overlap(a: Line, b: Line) -> bool:
    """Two lines whose boxes overlap by at least half the smaller height and some width."""
    h = min(a.bottom, b.bottom) - max(a.top, b.top)
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    return h >= 0.5 * min(a.bottom - a.top, b.bottom - b.top) and w > 0


class _Warnings:
    """Problems that did not stop parsing, one line per kind: ``CODE: pages 3–5, 9: what happened``."""

    def __init__(self) -> None:
        self._pages: dict[tuple[str, str], list[int]] = {}

    def add(self, code: str, page: int, what: str) -> None:
        self._pages.setdefault((code, what), []).append(page)

    def render(self) -> tuple[str, ...]:
        return tuple(f"{code}: {_page_ranges(pages)}: {what}" for (code, what), pages in self._pages.items())


def _page_ranges(pages: list[int]) -> str:
    """``page 3`` or ``pages 1–3, 7``."""
    spans: list[list[int]] = []
    for n in sorted(pages):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    text = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in spans)
    return f"page {text}" if len(pages) == 1 else f"pages {text}"


def _read_outline(pdf) -> _Outline:
    """Bookmark titles → (level, page); empty when the PDF has none or they cannot be read."""
    outline: _Outline = {}
    try:
        for k, bm in enumerate(pdf.get_toc(max_depth=8)):
            if k >= 5000:
                break
            title = _title_key(bm.get_title() or "")
            if not title:
                continue
            dest = bm.get_dest()
            index = dest.get_index() if dest is not None else None
            outline.setdefault(title, []).append((bm.level + 1, index + 1 if index is not None else None))
    except Exception as exc:  # a broken outline only costs us a heading hint
        log.info("PDF outline unreadable: %s", exc)
        return {}
    return outline


def _ocr_pages(pdf, data: bytes, pages: list[_Page], options: ParseOptions, warnings: _Warnings) -> None:
    """Render and OCR pages without a usable text layer (in parallel processes when there are several); their
    lines replace or complete the text layer."""
    try:
        from indexing.parsing import ocr
    except ImportError as exc:  # pragma: no cover - rapidocr is a declared dependency
        for p in pages:
            warnings.add("PDF_OCR_UNAVAILABLE", p.number, f"needs OCR but the OCR engine is missing ({exc})")
        return
    workers = ocr.worker_count(options.ocr_workers, len(pages))
    log.info("OCR of %d pages in %d processes", len(pages), workers)
    if workers > 1:
        results = ocr.read_pdf_pages(data, [p.number for p in pages], dpi=options.ocr_dpi, workers=workers)
    else:
        results = [ocr.read_page(pdf, p.number, dpi=options.ocr_dpi) for p in pages]
    for p, result in zip(pages, results, strict=True):
        if isinstance(result, ocr.OcrFailure):
            warnings.add("PDF_OCR_FAILED", p.number, f"OCR failed ({result.error})")
            continue
        # The few text-layer lines of a scanned page (a caption, a stamp's label) are kept; OCR adds the
        # lines they do not cover. Text-layer lines are in text-direction space, OCR lines in the rendered
        # page's: they only coincide on unrotated pages.
        same_space = result.rotation == 0 and abs(p.width - result.width) < 1 and abs(p.height - result.height) < 1
        keep = p.lines if same_space else []
        added = [o for o in result.lines if not any(_overlap(o, t) for t in keep)]
        # OCR lines come in reading order (column by column); a kept line goes before the first below it.
        p.lines = added
        for line in sorted(keep, key=lambda ln: ln.top):
            k = next((i for i, o in enumerate(p.lines) if o.top > line.top), len(p.lines))
            p.lines.insert(k, line)
        p.tables += [
            _TableItem(
                top=t.top,
                rows=[list(r) for r in t.rows],
                page=p.number,
                last_page=p.number,
                source=TextSource.OCR,
                ocr_confidence=t.confidence,
            )
            for t in result.tables
        ]
        p.width, p.height = result.width, result.height
        read = sum(len(ln.text) for ln in added) + sum(len(c) for t in result.tables for r in t.rows for c in r)
        if read >= sum(len(ln.text) for ln in keep):
            p.source = TextSource.OCR
        p.ocr_confidence = result.confidence
        if not result.lines and not result.tables:
            warnings.add("PDF_OCR_NO_TEXT", p.number, "read by OCR, but no text was found")
