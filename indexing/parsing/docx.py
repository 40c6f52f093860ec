"""DOCX parsing: the body XML walked in true document order.

python-docx opens the package (relationships, styles and numbering parts); the body is then walked
element by element so that paragraphs and tables keep their order (tables interleaved, not appended),
content controls (``w:sdt``), custom XML, tracked insertions and hyperlinks are entered, and deleted
text, field codes and hidden text are left out. A package python-docx refuses (a macro-enabled
``.docm``, a ``.dotx`` template, Strict Open XML) is read part by part with the same walker.

What each block gets:

* **Headings** — level from the paragraph's outline level (``w:outlineLvl``), else from its style chain
  (``basedOn`` followed): outline level, or a heading name in any common UI language (``heading 1``,
  ``标题 1``, ``一级标题``, ``Überschrift 1`` …). ``Title`` is level 1. Short unstyled paragraphs with a
  Chinese section number (``一、`` ``（二）`` ``1.1``) are headings too, with their level aligned to the
  numbered styled headings (:func:`~indexing.parsing.headings.align_numbered_levels`). A "heading" longer
  than 100 characters is a mis-styled paragraph and stays a paragraph. Table-of-contents paragraphs
  (``TOC n`` styles or a TOC content control) are never headings; consecutive ones form one paragraph.
* **Automatic numbering** — python-docx does not render list numbers, so they are computed from
  ``numbering.xml`` (counters per abstract list, ``start``/``startOverride``/``lvlRestart``, ``lvlText``,
  decimal, roman, letters, 一二三, 壹贰叁, 甲乙丙, ①②③ …) and put in front of the text as Word shows
  it (``一、学校概况``). Bullets add nothing. A numbered paragraph without a heading style is a list
  item, unless its number is a Chinese section number (``第一章`` ``一、`` ``（一）``) on a short line,
  which makes it a heading. ``List Bullet``/``List Number`` styles and ``List Paragraph`` with numbering
  are list items.
* **Tables** — rows on the table grid. A horizontally merged cell (``gridSpan``, legacy ``hMerge``) puts
  its text once, in its first grid column, and ``""`` in the other columns it covers; a vertically
  merged cell (``vMerge``) **repeats** its text in every row it spans, so each row read alone (tables are
  chunked by rows) still says what it belongs to. Nested tables are flattened into the cell text (rows
  as ``a | b`` lines). Rows and columns that are empty everywhere are dropped. A table of a single cell,
  or a one-column layout table holding long paragraphs, is a frame, not data: its content is parsed as
  ordinary blocks (so headings inside it count).
* **Text boxes** (``w:txbxContent``, DrawingML or VML, read once even when ``mc:AlternateContent``
  carries both) become blocks right after the paragraph they are anchored in; inside a table cell their
  text joins the cell text. Headers, footers, footnotes and comments are ignored.
* **Pages** — a DOCX has no fixed pages. When Word saved its pagination (``w:lastRenderedPageBreak``),
  page numbers follow it, together with explicit breaks; otherwise they count explicit breaks (``w:br
  w:type="page"``, ``pageBreakBefore``, section breaks that start a new page) and, between breaks,
  estimate one page per :data:`CHARS_PER_PAGE` characters, and the document carries a
  ``DOCX_PAGES_ESTIMATED`` warning. Several breaks with no text between them count once.

Example:
    >>> import io, docx as python_docx
    >>> d = python_docx.Document(); _ = d.add_heading("一、学校概况", 1); _ = d.add_paragraph("学校创建于1952年。")
    >>> buf = io.BytesIO(); d.save(buf)
    >>> doc = parse_docx(buf.getvalue(), doc_id="x", name="a.docx", options=ParseOptions())
    >>> [(b.kind.value, b.heading_path) for b in doc.blocks]
    [('heading', ('一、学校概况',)), ('paragraph', ('一、学校概况',))]
"""

from __future__ import annotations

import html.parser
import io
import itertools
import logging
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from lxml import etree

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import BlockKind, Document, MediaType
from indexing.options import ParseOptions
from indexing.parsing.headings import (
    BlockBuilder,
    RawBlock,
    align_numbered_levels,
    is_list_number,
    lists_from_numbered_runs,
    numbering_level,
    render_table,
)
from indexing.parsing.text import join_lines

__all__ = ["CHARS_PER_PAGE", "check_archive", "parse_docx"]

log = logging.getLogger(__name__)

CHARS_PER_PAGE = 800
"""Characters on an estimated page (A4, 小四, Chinese body text with headings and spacing)."""

MAX_STYLED_HEADING_CHARS = 100
_BOMB_MEMBER_MIN = 1 << 20
_MAX_MEMBERS = 20_000
_MAX_TABLE_DEPTH = 40

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_STRICT = {
    b"http://purl.oclc.org/ooxml/wordprocessingml/main": W.encode(),
    b"http://purl.oclc.org/ooxml/officeDocument/relationships": R.encode(),
    b"http://purl.oclc.org/ooxml/officeDocument/math": M.encode(),
}


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


W_BODY, W_P, W_TBL, W_TR, W_TC, W_R = _w("body"), _w("p"), _w("tbl"), _w("tr"), _w("tc"), _w("r")
W_PPR, W_RPR, W_TCPR, W_TRPR, W_SECTPR = _w("pPr"), _w("rPr"), _w("tcPr"), _w("trPr"), _w("sectPr")
W_SDT, W_SDTPR, W_SDTCONTENT = _w("sdt"), _w("sdtPr"), _w("sdtContent")
W_T, W_TAB, W_PTAB, W_BR, W_CR, W_SYM = _w("t"), _w("tab"), _w("ptab"), _w("br"), _w("cr"), _w("sym")
W_LRPB = _w("lastRenderedPageBreak")
W_TXBX = _w("txbxContent")
W_VAL = _w("val")
M_T = f"{{{M}}}t"
MC_ALT, MC_CHOICE, MC_FALLBACK = f"{{{MC}}}AlternateContent", f"{{{MC}}}Choice", f"{{{MC}}}Fallback"

_SKIP_INLINE = frozenset(
    _w(t)
    for t in (
        "pPr",
        "rPr",
        "del",
        "moveFrom",
        "instrText",
        "delText",
        "delInstrText",
        "footnoteReference",
        "endnoteReference",
        "commentReference",
        "annotationRef",
        "sdtPr",
        "sdtEndPr",
        "rPrChange",
        "pPrChange",
        "fldData",
        "footnoteRef",
        "endnoteRef",
        "separator",
        "continuationSeparator",
        "rt",  # ruby (pinyin) annotation over the base text
    )
)
_CONTAINERS = frozenset(_w(t) for t in ("customXml", "ins", "moveTo", "smartTag"))
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

_HEADING_NAME = re.compile(
    r"^(?:heading|标题|標題|überschrift|titre|titolo|título|encabezado|kop|nagłówek|заголовок|見出し|제목"
    r"|rubrik|otsikko|overskrift|nadpis|cím|başlık)\s*([1-9])$"
)
_CN_LEVEL_NAME = re.compile(r"^(?:([1-9一二三四五六七八九])\s*级\s*标题|标题\s*([一二三四五六七八九]))$")
_TITLE_NAME = re.compile(r"^(?:title|标题|標題|titel|titre|titolo|título|表題|文档标题|主标题)$")
_TOC_NAME = re.compile(r"^(?:toc|目录|目錄|inhaltsverzeichnis|verzeichnis|tdm|sommario|index)\s*[1-9]$")
_TOC_HEADING_NAME = re.compile(r"^(?:toc heading|目录标题|目录 标题|toc 标题|inhaltsverzeichnisüberschrift)$")
_LIST_NAME = re.compile(
    r"^(?:list (?:bullet|number)(?:\s*[1-9])?|列表编号\s*[1-9]?|列表项目符号\s*[1-9]?|项目符号\s*[1-9]?"
    r"|编号\s*[1-9]?)$"
)
_CN_DIGITS = "一二三四五六七八九"
_CN_SECTION_LEVELS = (1, 2, 3, 4)


# --- archive guard and opening ---------------------------------------------------------------------


def _corrupt(detail: str, message: str = "") -> IndexingError:
    return IndexingError(
        IndexingErrorCode.CORRUPT_FILE,
        message or "Word 文档已损坏，无法打开。请在 Word 或 WPS 中打开确认，另存为 .docx 后重新上传。",
        detail,
    )


def check_archive(data: bytes, options: ParseOptions) -> None:
    """Refuse a DOCX whose archive is damaged or would expand to an absurd size (a zip bomb).

    Only the ZIP directory is read; nothing is decompressed.

    Raises:
        IndexingError: ``ARCHIVE_BOMB`` when the total uncompressed size exceeds
            ``options.max_docx_uncompressed_bytes``, a member over 1 MiB is compressed more than
            ``options.max_docx_ratio`` times, or there are absurdly many members; ``CORRUPT_FILE`` when
            the archive cannot be read, has encrypted members or no main document part.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except Exception as exc:  # zipfile raises many types on damaged directories
        raise _corrupt(f"DOCX is not a readable ZIP archive: {type(exc).__name__}: {exc}") from exc
    bomb_zh = (
        "Word 文档的压缩内容异常巨大（疑似“压缩炸弹”），为安全起见已拒绝处理。"
        "请检查文件来源，或另存为新的 .docx 后重新上传。"
    )
    if len(infos) > _MAX_MEMBERS:
        raise IndexingError(IndexingErrorCode.ARCHIVE_BOMB, bomb_zh, f"DOCX has {len(infos)} ZIP members")
    total = sum(i.file_size for i in infos)
    if total > options.max_docx_uncompressed_bytes:
        raise IndexingError(
            IndexingErrorCode.ARCHIVE_BOMB,
            bomb_zh,
            f"DOCX uncompressed size {total} bytes exceeds limit {options.max_docx_uncompressed_bytes}",
        )
    for info in infos:
        if info.file_size > _BOMB_MEMBER_MIN:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > options.max_docx_ratio:
                raise IndexingError(
                    IndexingErrorCode.ARCHIVE_BOMB,
                    bomb_zh,
                    f"DOCX member {info.filename!r} expands {ratio:.0f}x ({info.compress_size} -> "
                    f"{info.file_size} bytes), limit {options.max_docx_ratio:g}x",
                )
        if info.flag_bits & 0x1:
            raise _corrupt(f"DOCX member {info.filename!r} is ZIP-encrypted")
    names = {i.filename.lstrip("/") for i in infos}
    if not any(n.startswith("word/") and n.endswith(".xml") for n in names):
        raise _corrupt(
            "DOCX has no word/*.xml part",
            "Word 文档已损坏：文件中没有正文内容（缺少 word/document.xml）。请重新导出后上传。",
        )


@dataclass
class _Package:
    body: etree._Element
    styles: etree._Element | None
    numbering: etree._Element | None
    related: Callable[[str], tuple[str, bytes] | None]


def _open_with_python_docx(data: bytes) -> _Package:
    import docx as python_docx

    document = python_docx.Document(io.BytesIO(data))
    body = document.element.body
    styles = document.styles.element
    try:
        numbering = document.part.numbering_part.element
    except Exception:  # a missing numbering part just means no automatic numbers
        numbering = None
    part = document.part

    def related(rid: str) -> tuple[str, bytes] | None:
        target = part.rels.get(rid)
        if target is None or target.is_external:
            return None
        return target.target_part.content_type, target.target_part.blob

    return _Package(body, styles, numbering, related)


_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _xml(raw: bytes) -> etree._Element:
    for strict, transitional in _STRICT.items():
        raw = raw.replace(strict, transitional)
    return etree.fromstring(raw, _SAFE_PARSER)


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationships of a part: id -> (type, target path inside the package)."""
    folder, base = posixpath.split(part)
    try:
        root = _xml(zf.read(posixpath.join(folder, "_rels", base + ".rels")))
    except KeyError:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for rel in root:
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return out


def _open_raw(data: bytes) -> _Package:
    """Read the main, styles and numbering parts straight from the ZIP (.docm, .dotx, Strict OOXML)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    main = next((p for t, p in _rels(zf, "").values() if t.endswith("/officeDocument")), "word/document.xml")
    if main not in names:
        main = "word/document.xml"
    root = _xml(zf.read(main))
    body = root.find(W_BODY)
    if body is None:
        raise ValueError(f"{main} has no w:body")
    rels = _rels(zf, main)

    def part_of(kind: str) -> etree._Element | None:
        path = next((p for t, p in rels.values() if t.endswith("/" + kind)), f"word/{kind}.xml")
        if path not in names:
            return None
        try:
            return _xml(zf.read(path))
        except etree.XMLSyntaxError as exc:  # the text is still readable without styles or numbering
            log.info("DOCX %s part is malformed (%s); reading without it", kind, exc)
            return None

    def related(rid: str) -> tuple[str, bytes] | None:
        if rid not in rels or rels[rid][1] not in names:
            return None
        return "", zf.read(rels[rid][1])

    return _Package(body, part_of("styles"), part_of("numbering"), related)


def _open(data: bytes) -> _Package:
    try:
        return _open_with_python_docx(data)
    except Exception as first:  # fall back to reading the parts directly
        log.info("python-docx could not open the DOCX (%s: %s); reading parts directly", type(first).__name__, first)
        try:
            return _open_raw(data)
        except Exception as exc:  # any failure here means the package is unreadable
            raise _corrupt(
                f"DOCX cannot be read: python-docx: {type(first).__name__}: {first}; "
                f"direct: {type(exc).__name__}: {exc}"
            ) from exc


# --- styles ------------------------------------------------------------------------------------------


def _val(el: etree._Element | None, tag: str) -> str | None:
    """``w:val`` of the child ``tag`` of ``el`` (None when absent)."""
    if el is None:
        return None
    child = el.find(_w(tag))
    return None if child is None else child.get(W_VAL, "")


def _on(el: etree._Element | None, tag: str) -> bool | None:
    """A toggle property: True/False when present, None when absent."""
    v = _val(el, tag)
    if v is None:
        return None
    return v.lower() not in ("0", "false", "off", "none")


def _int(v: str | None, default: int | None = None) -> int | None:
    try:
        return int(v) if v is not None else default
    except ValueError:
        return default


def _norm_name(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


@dataclass(frozen=True)
class _StyleInfo:
    heading_level: int | None = None
    is_title: bool = False
    is_toc: bool = False
    is_toc_heading: bool = False
    is_list: bool = False
    num: tuple[str, int | None] | None = None
    page_break_before: bool = False


class _Styles:
    """Paragraph style properties resolved along the ``basedOn`` chain."""

    def __init__(self, root: etree._Element | None) -> None:
        self._by_id: dict[str, etree._Element] = {}
        self.default: str | None = None
        self._cache: dict[str | None, _StyleInfo] = {}
        if root is None:
            return
        for st in root.iter(_w("style")):
            sid = st.get(_w("styleId"))
            if sid is None:
                continue
            kind = st.get(_w("type"), "paragraph")
            if kind in ("paragraph", "numbering"):
                self._by_id.setdefault(sid, st)
            if kind == "paragraph" and (st.get(_w("default")) or "").lower() in ("1", "true", "on"):
                self.default = self.default or sid

    def element(self, sid: str | None) -> etree._Element | None:
        return self._by_id.get(sid) if sid is not None else None

    def _chain(self, sid: str | None) -> Iterator[tuple[str, etree._Element]]:
        seen: set[str] = set()
        while sid is not None and sid not in seen and len(seen) < 30:
            seen.add(sid)
            st = self._by_id.get(sid)
            if st is None:
                return
            yield sid, st
            sid = _val(st, "basedOn")

    @staticmethod
    def _name(sid: str, st: etree._Element) -> str:
        return _norm_name(_val(st, "name") or sid)

    def info(self, sid: str | None) -> _StyleInfo:
        if sid not in self._cache:
            self._cache[sid] = self._resolve(sid if sid in self._by_id else self.default)
        return self._cache[sid]

    def _resolve(self, sid: str | None) -> _StyleInfo:
        chain = list(self._chain(sid))
        heading: int | None = None
        is_title = False
        for style_id, st in chain:
            ppr = st.find(W_PPR)
            outline = _int(_val(ppr, "outlineLvl"))
            if outline is not None:
                heading = outline + 1 if 0 <= outline < 9 else None
                break
            name = self._name(style_id, st)
            compact = name.replace(" ", "")
            m = _HEADING_NAME.match(name) or _HEADING_NAME.match(compact)
            if m:
                heading = int(m.group(1))
                break
            m = _CN_LEVEL_NAME.match(compact)
            if m:
                d = m.group(1) or m.group(2)
                heading = int(d) if d.isdigit() else _CN_DIGITS.index(d) + 1
                break
            if _TITLE_NAME.match(name):
                heading, is_title = 1, True
                break
            if _TOC_NAME.match(name) or _TOC_HEADING_NAME.match(name) or _LIST_NAME.match(name):
                break
        names = [self._name(s, st) for s, st in chain]
        is_toc = any(_TOC_NAME.match(n) for n in names[:2])
        is_toc_heading = any(_TOC_HEADING_NAME.match(n) for n in names[:2])
        if is_toc or is_toc_heading:
            heading, is_title = None, False
        num: tuple[str, int | None] | None = None
        page_break: bool = False
        pb_found = False
        for _, st in chain:
            ppr = st.find(W_PPR)
            if num is None and ppr is not None:
                numpr = ppr.find(_w("numPr"))
                if numpr is not None and _val(numpr, "numId") is not None:
                    num = (_val(numpr, "numId") or "0", _int(_val(numpr, "ilvl")))
            if not pb_found:
                pb = _on(ppr, "pageBreakBefore")
                if pb is not None:
                    page_break, pb_found = pb, True
        if num is not None and num[0] == "0":
            num = None
        return _StyleInfo(
            heading_level=heading,
            is_title=is_title,
            is_toc=is_toc,
            is_toc_heading=is_toc_heading,
            is_list=any(_LIST_NAME.match(n) for n in names[:2]),
            num=num,
            page_break_before=page_break,
        )


# --- numbering ---------------------------------------------------------------------------------------


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    restart: int | None = None
    legal: bool = False
    style: str | None = None
    suffix: str = "tab"


def _parse_level(lvl: etree._Element) -> _Level:
    return _Level(
        start=_int(_val(lvl, "start"), 1) or 0,
        fmt=_val(lvl, "numFmt") or "decimal",
        text=_val(lvl, "lvlText") if lvl.find(_w("lvlText")) is not None else "",
        restart=_int(_val(lvl, "lvlRestart")),
        legal=bool(_on(lvl, "isLgl")),
        style=_val(lvl, "pStyle"),
        suffix=_val(lvl, "suff") or "tab",
    )


@dataclass
class _Num:
    abstract: str
    start_overrides: dict[int, int] = field(default_factory=dict)
    level_overrides: dict[int, _Level] = field(default_factory=dict)


class _Numbering:
    """Renders automatic list numbers as Word shows them, keeping counters per abstract list."""

    def __init__(self, root: etree._Element | None, styles: _Styles) -> None:
        self._abstract: dict[str, dict[int, _Level]] = {}
        self._links: dict[str, str] = {}
        self._nums: dict[str, _Num] = {}
        self._counters: dict[str, list[int | None]] = {}
        self._used: set[str] = set()
        self._styles = styles
        if root is None:
            return
        for ab in root.iter(_w("abstractNum")):
            aid = ab.get(_w("abstractNumId"), "")
            self._abstract[aid] = {
                _int(lvl.get(_w("ilvl")), 0) or 0: _parse_level(lvl) for lvl in ab.findall(_w("lvl"))
            }
            link = _val(ab, "numStyleLink")
            if link:
                self._links[aid] = link
        for num in root.iter(_w("num")):
            nid = num.get(_w("numId"), "")
            entry = _Num(_val(num, "abstractNumId") or "")
            for ov in num.findall(_w("lvlOverride")):
                ilvl = _int(ov.get(_w("ilvl")), 0) or 0
                so = _int(_val(ov, "startOverride"))
                if so is not None:
                    entry.start_overrides[ilvl] = so
                lvl = ov.find(_w("lvl"))
                if lvl is not None:
                    entry.level_overrides[ilvl] = _parse_level(lvl)
            self._nums[nid] = entry

    def _resolve(self, nid: str) -> tuple[str, dict[int, _Level]] | None:
        """The abstract list (id and levels) behind a numId, following ``numStyleLink``."""
        num = self._nums.get(nid)
        if num is None:
            return None
        aid = num.abstract
        for _ in range(8):
            link = self._links.get(aid)
            style = self._styles.element(link) if link else None
            ppr = style.find(W_PPR) if style is not None else None
            numpr = ppr.find(_w("numPr")) if ppr is not None else None
            target = self._nums.get(_val(numpr, "numId") or "") if numpr is not None else None
            if target is None or target.abstract == aid:
                break
            aid = target.abstract
        levels = self._abstract.get(aid)
        return (aid, levels) if levels else None

    def level_for_style(self, nid: str, style_id: str | None) -> int:
        found = self._resolve(nid)
        if found and style_id:
            for ilvl, lv in found[1].items():
                if lv.style == style_id:
                    return ilvl
        return 0

    def advance(self, nid: str, ilvl: int) -> tuple[str, str] | None:
        """Count one paragraph of list ``nid`` at level ``ilvl``.

        Returns:
            ``(number text, separator)`` as displayed (``("一、", "")``, ``("1.", " ")``; empty number for
            bullets), or ``None`` when the list is not defined.
        """
        num = self._nums.get(nid)
        found = self._resolve(nid)
        if num is None or found is None:
            return None
        aid, levels = found
        ilvl = max(0, min(ilvl, 8))
        lv = {**levels, **num.level_overrides}
        if ilvl not in lv:
            return None
        counters = self._counters.setdefault(aid, [None] * 9)
        if nid not in self._used:
            self._used.add(nid)
            for level, start in num.start_overrides.items():
                if 0 <= level < 9:
                    counters[level] = start - 1
        counters[ilvl] = lv[ilvl].start if counters[ilvl] is None else counters[ilvl] + 1
        for deeper in range(ilvl + 1, 9):
            restart = lv[deeper].restart if deeper in lv else None
            if restart is None or (restart > 0 and ilvl < restart):
                counters[deeper] = None
        level = lv[ilvl]
        if level.fmt == "bullet":
            return "", ""

        def repl(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            ref = lv.get(k, _Level())
            value = counters[k] if counters[k] is not None else ref.start
            fmt = "decimal" if level.legal and ref.fmt != "none" else ref.fmt
            return format_number(value, fmt)

        text = re.sub(r"%([1-9])", repl, level.text or "").strip()
        if not text:
            return "", ""
        sep = "" if level.suffix == "nothing" or _is_cjk_punct(text[-1]) else " "
        return text, sep


def _is_cjk_punct(ch: str) -> bool:
    """Numbers ending in full-width punctuation (一、 （一） ①) run straight into the text; others get a space."""
    return ch in "、，．。：；）】」』〕" or "\u2460" <= ch <= "\u24ff"


_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _chinese(n: int, digits: str = "零一二三四五六七八九", units: str = "十百千") -> str:
    """Chinese numerals: 12 → 十二, 105 → 一百零五, 110 → 一百一十 (1–9999; others as digits)."""
    if not 0 < n < 10000:
        return str(n) if n else digits[0]
    out: list[str] = []
    zero = False
    s = str(n)
    for i, ch in enumerate(s):
        d, pos = int(ch), len(s) - 1 - i
        if d == 0:
            zero = True
            continue
        if zero and out:
            out.append(digits[0])
        zero = False
        out.append(digits[d] + (units[pos - 1] if pos else ""))
    text = "".join(out)
    if 10 <= n < 20 and digits[1] == "一":
        text = text[1:]
    return text


def format_number(n: int, fmt: str) -> str:
    """Format a list counter as Word does for ``w:numFmt`` values.

    Example:
        >>> [format_number(12, f) for f in ("decimal", "chineseCounting", "upperRoman", "decimalEnclosedCircle")]
        ['12', '十二', 'XII', '⑫']
    """
    if fmt in ("none", "bullet"):
        return ""
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperRoman", "lowerRoman"):
        r = _roman(n) if 0 < n < 5000 else str(n)
        return r if fmt == "upperRoman" else r.lower()
    if fmt in ("upperLetter", "lowerLetter") and 0 < n <= 26 * 20:
        s = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return s if fmt == "upperLetter" else s.lower()
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "japaneseCounting",
        "taiwaneseCounting",
        "taiwaneseCountingThousand",
        "koreanCounting",
        "japaneseLegal",
    ):
        return _chinese(n)
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional", "koreanLegal"):
        return _chinese(n, "零壹贰叁肆伍陆柒捌玖", "拾佰仟")
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(n)) if n >= 0 else str(n)
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt == "ideographZodiac" and 1 <= n <= 12:
        return "子丑寅卯辰巳午未申酉戌亥"[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese", "ideographEnclosedCircle") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalEnclosedFullstop" and 1 <= n <= 20:
        return chr(0x2488 + n - 1)
    if fmt == "decimalEnclosedParen" and 1 <= n <= 20:
        return chr(0x2474 + n - 1)
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(0xFF10 + int(d)) for d in str(n)) if n >= 0 else str(n)
    if fmt == "ordinal":
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    return str(n)


# --- the walker --------------------------------------------------------------------------------------


def _choose_branch(alt: etree._Element) -> etree._Element | None:
    """One branch of ``mc:AlternateContent``: the first Choice, else the Fallback (never both)."""
    return alt.find(MC_CHOICE) if alt.find(MC_CHOICE) is not None else alt.find(MC_FALLBACK)


def _find_textboxes(el: etree._Element, out: list[etree._Element]) -> None:
    for child in el:
        if child.tag == W_TXBX:
            out.append(child)
        elif child.tag == MC_ALT:
            branch = _choose_branch(child)
            if branch is not None:
                _find_textboxes(branch, out)
        elif isinstance(child.tag, str):
            _find_textboxes(child, out)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.translate(_ZERO_WIDTH))


def _is_toc_sdt(sdt: etree._Element) -> bool:
    pr = sdt.find(W_SDTPR)
    if pr is None:
        return False
    gallery = pr.find(f"{_w('docPartObj')}/{_w('docPartGallery')}")
    return gallery is not None and "content" in (gallery.get(W_VAL) or "").lower()


_ParagraphText = tuple[str, list[etree._Element], etree._Element | None, _StyleInfo, tuple[str, str] | None]


class _Walker:
    """Turns the body into raw blocks, tracking pages, numbering and table-of-contents runs."""

    def __init__(self, pkg: _Package) -> None:
        self.styles = _Styles(pkg.styles)
        self.numbering = _Numbering(pkg.numbering, self.styles)
        self.related = pkg.related
        self.body = pkg.body
        self.out: list[tuple[RawBlock, bool]] = []
        self.warnings: list[str] = []
        self.estimate = not any(True for _ in pkg.body.iter(W_LRPB))
        self.estimated_any = False
        self.page = 1
        self.pending = False
        self.seen_text = False
        self.seg_chars = 0
        self.first_page: int | None = None
        self.toc: list[str] = []
        self.toc_page: int | None = None
        sections = [
            s
            for s in pkg.body.iter(W_SECTPR)
            if s.getparent() is pkg.body or (s.getparent().tag == W_PPR and s.getparent().getparent().tag == W_P)
        ]
        self.next_section_type: dict[etree._Element, str] = {}
        for a, b in itertools.pairwise(sections):
            self.next_section_type[a] = _val(b, "type") or "nextPage"

    # pages
    def current_page(self) -> int:
        if not self.estimate:
            return self.page
        extra = self.seg_chars // CHARS_PER_PAGE
        if extra:
            self.estimated_any = True
        return self.page + extra

    def page_break(self) -> None:
        if self.seen_text:  # breaks before the first text do not make blank pages
            self.pending = True

    def saw_text(self, s: str) -> None:
        if s.strip():
            self.seen_text = True
            if self.pending:
                self.page = self.current_page() + 1
                self.pending = False
                self.seg_chars = 0
            if self.first_page is None:
                self.first_page = self.current_page()
        self.seg_chars += len(s)

    def begin(self) -> int | None:
        saved, self.first_page = self.first_page, None
        return saved

    def end(self, saved: int | None) -> int:
        page = self.first_page if self.first_page is not None else self.current_page()
        self.first_page = saved
        return page

    # output
    def emit(self, raw: RawBlock, numbered: bool = False) -> None:
        self.flush_toc()
        if raw.text.strip():
            self.out.append((raw, numbered))

    def flush_toc(self) -> None:
        if self.toc:
            self.out.append((RawBlock(BlockKind.PARAGRAPH, "\n".join(self.toc), page=self.toc_page), False))
        self.toc, self.toc_page = [], None

    # traversal
    def blocks(self, container: etree._Element, depth: int = 0, in_toc: bool = False) -> None:
        for child in container:
            tag = child.tag
            if tag == W_P:
                self.paragraph(child, depth, in_toc)
            elif tag == W_TBL:
                self.table(child, depth)
            elif tag == W_SDT:
                content = child.find(W_SDTCONTENT)
                if content is not None:
                    toc = in_toc or _is_toc_sdt(child)
                    self.blocks(content, depth, toc)
                    if toc and not in_toc:
                        self.flush_toc()
            elif tag in _CONTAINERS:
                self.blocks(child, depth, in_toc)
            elif tag == MC_ALT:
                branch = _choose_branch(child)
                if branch is not None:
                    self.blocks(branch, depth, in_toc)
            elif tag == _w("altChunk"):
                self.alt_chunk(child)

    def inline(self, el: etree._Element, parts: list[str], boxes: list[etree._Element]) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP_INLINE:
                continue
            if tag in (W_T, M_T):
                s = _clean(child.text or "")
                parts.append(s)
                self.saw_text(s)
            elif tag == W_R:
                rpr = child.find(W_RPR)
                if rpr is not None and _on(rpr, "vanish") and not _on(rpr, "specVanish"):
                    continue
                self.inline(child, parts, boxes)
            elif tag in (W_TAB, W_PTAB):
                parts.append("\t")
            elif tag == W_BR:
                if child.get(_w("type")) == "page":
                    self.page_break()
                else:
                    parts.append("\n")
            elif tag == W_CR:
                parts.append("\n")
            elif tag == W_LRPB:
                self.page_break()
            elif tag == _w("noBreakHyphen"):
                parts.append("-")
            elif tag == W_SYM:
                code = _int_hex(child.get(_w("char")))
                if code is not None and not 0xF000 <= code <= 0xF0FF and code >= 0x20:
                    parts.append(chr(code))
            elif tag in (_w("drawing"), _w("pict"), _w("object")):
                _find_textboxes(child, boxes)
            elif tag == MC_ALT:
                branch = _choose_branch(child)
                if branch is not None:
                    self.inline(branch, parts, boxes)
            elif tag == W_TXBX:
                boxes.append(child)
            else:
                self.inline(child, parts, boxes)

    def numbered_prefix(self, ppr: etree._Element | None, info: _StyleInfo, sid: str | None) -> tuple[str, str] | None:
        numpr = ppr.find(_w("numPr")) if ppr is not None else None
        nid: str | None = None
        ilvl: int | None = None
        if numpr is not None and _val(numpr, "numId") is not None:
            nid, ilvl = _val(numpr, "numId"), _int(_val(numpr, "ilvl"))
            if ilvl is None and info.num is not None and info.num[0] == nid:
                ilvl = info.num[1]
        elif numpr is not None and info.num is not None:
            nid, ilvl = info.num[0], _int(_val(numpr, "ilvl"), info.num[1])
        elif info.num is not None:
            nid, ilvl = info.num
        if not nid or nid == "0":
            return None
        if ilvl is None:
            ilvl = self.numbering.level_for_style(nid, sid)
        result = self.numbering.advance(nid, ilvl)
        return result if result is not None else ("", "")

    def paragraph_text(self, p: etree._Element) -> _ParagraphText:
        ppr = p.find(W_PPR)
        sid = _val(ppr, "pStyle")
        info = self.styles.info(sid)
        direct_pb = _on(ppr, "pageBreakBefore")
        if direct_pb or (direct_pb is None and info.page_break_before):
            self.page_break()
        number = self.numbered_prefix(ppr, info, sid if sid is not None else self.styles.default)
        parts: list[str] = []
        boxes: list[etree._Element] = []
        self.inline(p, parts, boxes)
        text = "".join(parts)
        if number and number[0] and text.strip():
            text = number[0] + number[1] + text.lstrip()
        return text, boxes, ppr, info, number

    def after_paragraph(self, ppr: etree._Element | None) -> None:
        sect = ppr.find(W_SECTPR) if ppr is not None else None
        if sect is not None and self.next_section_type.get(sect, "nextPage") in ("nextPage", "oddPage", "evenPage"):
            self.page_break()

    def paragraph(self, p: etree._Element, depth: int, in_toc: bool) -> None:
        saved = self.begin()
        text, boxes, ppr, info, number = self.paragraph_text(p)
        page = self.end(saved)
        self.classify(text, page, ppr, info, number, in_toc)
        for box in boxes:
            self.blocks(box, depth + 1)
        self.after_paragraph(ppr)

    def classify(
        self,
        text: str,
        page: int,
        ppr: etree._Element | None,
        info: _StyleInfo,
        number: tuple[str, str] | None,
        in_toc: bool,
    ) -> None:
        stripped = text.strip()
        if not stripped:
            return
        if in_toc or info.is_toc or info.is_toc_heading:
            if not self.toc:
                self.toc_page = page
            self.toc.append(stripped)
            return
        outline = _int(_val(ppr, "outlineLvl"))
        level = info.heading_level if outline is None else (outline + 1 if 0 <= outline < 9 else None)
        if level is not None and len(stripped) <= MAX_STYLED_HEADING_CHARS:
            title = join_lines(stripped.split("\n"))  # a title broken over two lines is one heading
            self.emit(RawBlock(BlockKind.HEADING, title, page=page, heading_level=level))
            return
        if number is not None:
            n = numbering_level(stripped) if number[0] else None
            if n in _CN_SECTION_LEVELS and re.match(rf"^[（(第{_CN_DIGITS}十]", number[0]):
                self.emit(RawBlock(BlockKind.HEADING, stripped, page=page, heading_level=n), numbered=True)
            else:
                self.emit(RawBlock(BlockKind.LIST_ITEM, stripped, page=page))
            return
        if info.is_list:
            self.emit(RawBlock(BlockKind.LIST_ITEM, stripped, page=page))
            return
        self.plain(stripped, page)

    def plain(self, text: str, page: int) -> None:
        """An unstyled paragraph: numbered headings and list items by their text; soft lines split."""
        lines = [ln.strip() for ln in text.split("\n")]
        if len(lines) > 1 and any(numbering_level(ln) is not None for ln in lines):
            group: list[str] = []
            for ln in lines:
                if numbering_level(ln) is not None:
                    if group:
                        self.plain("\n".join(group), page)
                    group = []
                    self.plain(ln, page)
                elif ln:
                    group.append(ln)
            if group:
                self.plain("\n".join(group), page)
            return
        level = numbering_level(text)
        if level is not None:
            self.emit(RawBlock(BlockKind.HEADING, text, page=page, heading_level=level), numbered=True)
        elif is_list_number(text):
            self.emit(RawBlock(BlockKind.LIST_ITEM, text, page=page))
        else:
            self.emit(RawBlock(BlockKind.PARAGRAPH, text, page=page))

    # tables
    def table(self, tbl: etree._Element, depth: int) -> None:
        frame = self.frame_cells(tbl) if depth < _MAX_TABLE_DEPTH else None
        if frame is not None:
            for cell in frame:
                self.blocks(cell, depth + 1)
            return
        saved = self.begin()
        rows = self.table_rows(tbl, depth)
        page = self.end(saved)
        if rows:
            self.emit(RawBlock(BlockKind.TABLE, render_table(rows), page=page, rows=rows))

    def frame_cells(self, tbl: etree._Element) -> list[etree._Element] | None:
        """The cells of a layout table (one cell, or one column of long text), else ``None``."""
        rows = list(_iter_children(tbl, W_TR))
        cells = [list(_iter_children(tr, W_TC)) for tr in rows]
        if not cells or any(len(c) != 1 for c in cells):
            return None
        flat = [c[0] for c in cells]
        if len(flat) == 1:
            return flat
        paragraphs = [sum(1 for p in c.iter(W_P) if "".join(p.itertext()).strip()) for c in flat]
        longest = max(len("".join(c.itertext())) for c in flat)
        return flat if max(paragraphs) >= 3 or longest > 300 else None

    def table_rows(self, tbl: etree._Element, depth: int) -> tuple[tuple[str, ...], ...]:
        grid: list[list[str]] = []
        above: dict[int, str] = {}
        for tr in _iter_children(tbl, W_TR):
            trpr = tr.find(W_TRPR)
            col = max(0, min(_int(_val(trpr, "gridBefore"), 0) or 0, 64))
            row = [""] * col
            for tc in _iter_children(tr, W_TC):
                tcpr = tc.find(W_TCPR)
                span = max(1, min(_int(_val(tcpr, "gridSpan"), 1) or 1, 64))
                text = self.cell_text(tc, depth)
                vmerge = _val(tcpr, "vMerge")
                if vmerge is not None and vmerge != "restart":
                    text = above.get(col, "")
                else:
                    above[col] = text
                if _val(tcpr, "hMerge") not in (None, "restart"):
                    text = ""
                row.append(text)
                row.extend([""] * (span - 1))
                col += span
            after = max(0, min(_int(_val(trpr, "gridAfter"), 0) or 0, 64))
            row.extend([""] * after)
            grid.append(row)
        width = max((len(r) for r in grid), default=0)
        rows = [r + [""] * (width - len(r)) for r in grid if any(c.strip() for c in r)]
        keep = [j for j in range(width) if any(r[j].strip() for r in rows)]
        return tuple(tuple(r[j] for j in keep) for r in rows)

    def cell_text(self, container: etree._Element, depth: int) -> str:
        parts: list[str] = []
        for child in container:
            tag = child.tag
            if tag == W_P:
                text, boxes, ppr, _, _ = self.paragraph_text(child)
                for box in boxes:
                    text += "\n" + self.cell_text(box, depth + 1)
                parts.append(text.strip())
                self.after_paragraph(ppr)
            elif tag == W_TBL:
                if depth >= _MAX_TABLE_DEPTH:
                    parts.append(" ".join(t.strip() for t in child.itertext() if t.strip()))
                else:
                    parts.append(_flatten(self.table_rows(child, depth + 1)))
            elif tag == W_SDT:
                content = child.find(W_SDTCONTENT)
                if content is not None:
                    parts.append(self.cell_text(content, depth))
            elif tag in _CONTAINERS:
                parts.append(self.cell_text(child, depth))
            elif tag == MC_ALT:
                branch = _choose_branch(child)
                if branch is not None:
                    parts.append(self.cell_text(branch, depth))
        return "\n".join(p for p in parts if p.strip())

    # embedded HTML (w:altChunk)
    def alt_chunk(self, el: etree._Element) -> None:
        rid = el.get(f"{{{R}}}id") or ""
        found = self.related(rid) if rid else None
        if found is None:
            return
        content_type, blob = found
        head = blob[:2048].lower()
        if "html" in content_type or b"<html" in head or b"<p" in head or b"<body" in head:
            for raw in _html_blocks(blob):
                self.emit(RawBlock(raw.kind, raw.text, page=self.current_page(), heading_level=raw.heading_level))
            return
        if content_type.startswith("text/plain"):
            for para in _decode(blob).split("\n"):
                self.emit(RawBlock(BlockKind.PARAGRAPH, para.strip(), page=self.current_page()))
            return
        self.warnings.append(
            f"DOCX_ALTCHUNK_SKIPPED: embedded content {rid} ({content_type or 'unknown type'}) was not read"
        )


def _flatten(rows: tuple[tuple[str, ...], ...]) -> str:
    """A nested table as cell text: one line per row, its non-empty cells joined by `` | ``."""
    return "\n".join(" | ".join(c.replace("\n", " ").strip() for c in row if c.strip()) for row in rows)


def _iter_children(el: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Children with ``tag``, looking through content controls and custom XML wrappers."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag == W_SDT:
            content = child.find(W_SDTCONTENT)
            if content is not None:
                yield from _iter_children(content, tag)
        elif child.tag in _CONTAINERS:
            yield from _iter_children(child, tag)


def _int_hex(v: str | None) -> int | None:
    try:
        return int(v, 16) if v else None
    except ValueError:
        return None


def _decode(blob: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return blob.decode(enc)
        except UnicodeDecodeError:
            continue
    return blob.decode("utf-8", "replace")


class _HtmlBlocks(html.parser.HTMLParser):
    _BLOCK: ClassVar[frozenset[str]] = frozenset(
        {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "br", "table", "ul", "ol", "section"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[RawBlock] = []
        self.buf: list[str] = []
        self.kind = BlockKind.PARAGRAPH
        self.level: int | None = None
        self.skip = 0

    def flush(self) -> None:
        text = re.sub(r"[ \t\r\n]+", " ", "".join(self.buf)).strip()
        if text:
            self.blocks.append(RawBlock(self.kind, text, heading_level=self.level))
        self.buf, self.kind, self.level = [], BlockKind.PARAGRAPH, None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self._BLOCK:
            self.flush()
            if tag[0] == "h" and tag[1:].isdigit():
                self.kind, self.level = BlockKind.HEADING, int(tag[1:])
            elif tag == "li":
                self.kind = BlockKind.LIST_ITEM
        elif tag in ("td", "th"):
            self.buf.append(" | " if self.buf else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self._BLOCK:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.buf.append(data)


def _html_blocks(blob: bytes) -> list[RawBlock]:
    parser = _HtmlBlocks()
    parser.feed(_decode(blob))
    parser.close()
    parser.flush()
    return parser.blocks


# --- entry point -------------------------------------------------------------------------------------


def parse_docx(data: bytes, *, doc_id: str, name: str, options: ParseOptions) -> Document:
    """Parse a DOCX file into ordered blocks.

    Args:
        data: the file bytes.
        doc_id: the document id (sha256 of the bytes).
        name: display name.
        options: limits (``max_docx_uncompressed_bytes``, ``max_docx_ratio``).

    Raises:
        IndexingError: ``ARCHIVE_BOMB`` or ``CORRUPT_FILE`` (damaged archive, missing main part, bad XML).
    """
    check_archive(data, options)
    pkg = _open(data)
    walker = _Walker(pkg)
    walker.blocks(pkg.body)
    walker.flush_toc()
    raws = [r for r, _ in walker.out]
    numbered = [n for _, n in walker.out]
    lists_from_numbered_runs(raws, numbered)
    align_numbered_levels(raws, numbered)
    builder = BlockBuilder()
    for raw in raws:
        builder.add(raw)
    blocks = builder.build()
    pages = [b.page for b in blocks if b.page is not None]
    warnings = list(walker.warnings)
    if walker.estimated_any:
        warnings.append(
            "DOCX_PAGES_ESTIMATED: the file has no saved pagination; page numbers count explicit breaks "
            f"and estimate {CHARS_PER_PAGE} characters per page in between"
        )
    return Document(
        id=doc_id,
        name=name,
        media_type=MediaType.DOCX,
        blocks=blocks,
        page_count=max(pages) if pages else None,
        warnings=tuple(dict.fromkeys(warnings)),
    )
