"""Chinese heading recognition and heading-path assignment shared by all parsers.

Chinese reports number their sections in a fixed hierarchy: 第一章 / 第一部分 > 第一节 > 一、 > （一） >
1. / 1.1 > （1） / 1）. :func:`numbering_level` maps a line to its level in that hierarchy, and
:class:`BlockBuilder` turns raw blocks into :class:`~indexing.models.Block` objects with ids and full
heading paths.

Within one document a numbering family keeps one level, ranked among the families the document uses
(:func:`numbering_family`, :func:`family_levels`). Printed tables of contents are read with
:func:`split_toc_entry` and :func:`toc_levels`, and matched to body headings by :func:`title_key`. A run-in
heading (``（一）办学定位。学校……``) is split off its paragraph by :func:`split_run_in`; a bulleted line
(:func:`is_bullet`) is never a heading.

Example:
    >>> numbering_level("一、学校概况")
    3
    >>> numbering_level("（二）师资队伍")
    4
    >>> numbering_level("本校生师比为17.5:1。") is None
    True
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from indexing.models import Block, BlockKind, TextSource

_CN_NUM = "一二三四五六七八九十百零〇两"


class Numbering(StrEnum):
    """The kinds of section numbers Chinese reports use, named by an example."""

    CHAPTER = "第一章"  # also 第一部分, 第一篇
    SECTION = "第一节"
    CN = "一、"
    CN_PAREN = "（一）"
    ARABIC = "1."  # also 1、 and dotted 1.1, 1.1.1 (told apart by NumberingFamily.depth)
    ARABIC_PAREN = "（1）"
    ARABIC_HALF_PAREN = "1）"


@dataclass(frozen=True)
class NumberingFamily:
    """One numbering family of a document: the kind of number and, for dotted numbers, how many dot
    groups it has (``1.`` has depth 0, ``1.1`` depth 1)."""

    kind: Numbering
    depth: int = 0


# (level, kind, pattern) in order of precedence. A heading is short and does not end like a sentence.
# A dotted number followed by a unit or a counter word is a figure ("4.4个月", "1.5万"), not a section.
_PATTERNS: tuple[tuple[int, Numbering, re.Pattern[str]], ...] = (
    (1, Numbering.CHAPTER, re.compile(rf"^第[{_CN_NUM}\d]+[章部篇](分)?[\s、:：]*\S")),
    (2, Numbering.SECTION, re.compile(rf"^第[{_CN_NUM}\d]+节[\s、:：]*\S")),
    (3, Numbering.CN, re.compile(rf"^[{_CN_NUM}]+[、.．]\s*\S")),
    (4, Numbering.CN_PAREN, re.compile(rf"^[（(][{_CN_NUM}]+[）)]\s*\S")),
    (5, Numbering.ARABIC, re.compile(r"^\d{1,2}(\.\d{1,2}){1,3}\.?\s*[^\d.\s%％个万亿千百元倍人名岁天年月日]")),
    (5, Numbering.ARABIC, re.compile(r"^\d{1,2}[、.．]\s*[^\d.\s%％]")),
    (6, Numbering.ARABIC_PAREN, re.compile(r"^[（(]\d{1,2}[）)]\s*\S")),
    (6, Numbering.ARABIC_HALF_PAREN, re.compile(r"^\d{1,2}[）)]\s*\S")),
)
# A bulleted line: a bullet sign, then text (a dash only when followed by a space or a CJK character, so
# that "-5%" stays a number).
_BULLET = re.compile(r"^([●•■◆◇▪▫□○◎★☆√✓✔➢➤►▶▸※❖◼⬛⬤・·]|[-–—*]\s*(?=[^\d\s.]))")
_SENTENCE_END = re.compile(r"[。；;！!？?，,]$")
# A table-of-contents entry: title, dot leaders or a tab, page number ("一、学校概况……3", "1.1 定位\t5").
_TOC_ENTRY = re.compile(r"(\.{2,}|…+|·{2,}|－{2,}|-{3,}|_{3,}|\t)[\s.…·\-－_]*\d{1,4}$")
MAX_HEADING_CHARS = 40


def numbering_level(text: str) -> int | None:
    """Return the outline level implied by a Chinese section number, or ``None``.

    Args:
        text: one line or paragraph.

    Returns:
        1 (章/部分) … 6 (（1）), or ``None`` when the text does not look like a numbered heading:
        too long, ends like a sentence, is a table-of-contents entry (dot leaders or a tab before a page
        number), or has no recognised number.
    """
    t = text.strip()
    if not t or len(t) > MAX_HEADING_CHARS or _SENTENCE_END.search(t) or _TOC_ENTRY.search(t):
        return None
    for level, _, pattern in _PATTERNS:
        if pattern.match(t):
            return level
    return None


def numbering_family(text: str) -> NumberingFamily | None:
    """The numbering family a heading's number belongs to, whatever the length of the text.

    Args:
        text: a heading, a table-of-contents title or the start of a paragraph.

    Returns:
        The family (``一、`` and ``二、`` are one family; ``1.`` and ``1.1`` are two), or ``None`` when the
        text does not start with a section number.

    Example:
        >>> numbering_family("（三）就业地区").kind.value
        '（一）'
        >>> numbering_family("2.3 专业结构").depth
        1
    """
    t = text.strip()
    for _, kind, pattern in _PATTERNS:
        if pattern.match(t):
            depth = 0
            if kind is Numbering.ARABIC:
                number = re.match(r"^\d{1,2}((\.\d{1,2})*)", t)
                depth = number.group(1).count(".") if number else 0
            return NumberingFamily(kind, depth)
    return None


_CANONICAL = {kind: level for level, kind, _ in _PATTERNS}


def family_levels(
    families: Iterable[NumberingFamily], fixed: Mapping[NumberingFamily, int] | None = None
) -> dict[NumberingFamily, int]:
    """Levels for the numbering families of one document, so that a family keeps one level throughout.

    Families nest in the usual order (第一章/第一部分 > 第一节 > 一、 > （一） > 1. > 1.1 > （1） / 1））;
    levels are ranks among the families the document actually uses, not fixed numbers: a report whose
    top headings are 一、 has 一、 at level 1. Two families of the same rank (``（1）`` and ``1）``) are
    ordered by first appearance. Families with a known level (from the printed table of contents) keep
    it, and the others are placed right below the family above them.

    Args:
        families: the families of the document's numbered headings, in document order (repeats allowed).
        fixed: levels already known for some families.

    Returns:
        family → level (1 = top).

    Example:
        >>> fams = [numbering_family(t) for t in ("一、概况", "（一）沿革", "1.建校", "二、定位")]
        >>> sorted(family_levels(fams).values())
        [1, 2, 3]
    """
    fixed = fixed or {}
    first: dict[NumberingFamily, int] = {}
    for family in [*fixed, *families]:
        first.setdefault(family, len(first))
    order = sorted(first, key=lambda f: (_CANONICAL[f.kind], f.depth, first[f]))
    levels: dict[NumberingFamily, int] = {}
    previous = 0
    for family in order:
        levels[family] = fixed.get(family, previous + 1)
        previous = levels[family]
    return levels


_TOC_TAIL = re.compile(
    r"^(?P<title>.*?\S)\s*(?:[.．·…⋯•_\-—－]+\s*|\s+)(?P<label>\d{1,4}|[ivxlcdm]{1,7})$", re.IGNORECASE
)


def split_toc_entry(text: str) -> tuple[str, str] | None:
    """Split a table-of-contents line into its title and printed page label.

    Args:
        text: one TOC line (``一、学校概况……………3``, ``（一）办学定位 12``, ``前言 i``).

    Returns:
        ``(title, page label)``, or ``None`` when the line does not end with a page label set apart from
        the title by leaders or space.

    Example:
        >>> split_toc_entry("（一）毕业生规模..........1")
        ('（一）毕业生规模', '1')
    """
    m = _TOC_TAIL.match(text.strip())
    if m is None:
        return None
    title = m.group("title").rstrip(" .．·…⋯•_-—－")
    return (title, m.group("label")) if title else None


def toc_levels(titles: Sequence[str], indents: Sequence[float], tolerance: float) -> list[int]:
    """Outline levels of table-of-contents entries, from their numbering and their indentation.

    Numbered entries take the level of their numbering family among the families the TOC uses
    (:func:`family_levels`); unnumbered entries (``前言``, ``附录``) take the level of the numbered entries
    set at the same indentation, else the rank of their indentation.

    Args:
        titles: entry titles in order.
        indents: left edge of each entry (points).
        tolerance: indents closer than this are one indentation step.

    Returns:
        one level per entry, 1 = top.

    Example:
        >>> toc_levels(["前言", "一、概况", "（一）沿革", "附录"], [72, 72, 96, 72], 6)
        [1, 1, 2, 1]
    """
    families = [numbering_family(t) for t in titles]
    by_family = family_levels(f for f in families if f is not None)
    steps: list[float] = []
    for x in sorted(indents):
        if not steps or x - steps[-1] > tolerance:
            steps.append(x)

    def step(x: float) -> int:
        return min(range(len(steps)), key=lambda k: abs(steps[k] - x))

    votes: dict[int, Counter[int]] = {}
    for family, x in zip(families, indents, strict=True):
        if family is not None:
            votes.setdefault(step(x), Counter())[by_family[family]] += 1
    levels = []
    for family, x in zip(families, indents, strict=True):
        if family is not None:
            levels.append(by_family[family])
        elif step(x) in votes:
            levels.append(votes[step(x)].most_common(1)[0][0])
        else:
            levels.append(step(x) + 1)
    return levels


_RUN_IN = re.compile(r"^(?P<head>[^。：:，,；;！？!?]{3,24}?[。：:])\s*(?P<rest>\S.*)$", re.DOTALL)
MAX_RUN_IN_TITLE_CHARS = 20


def split_run_in(text: str) -> tuple[str, str] | None:
    """Split a paragraph that starts with a run-in heading: a section number and a short title closed by
    。 or ：, then the paragraph (``（一）办学定位。学校坚持……``).

    Args:
        text: a paragraph.

    Returns:
        ``(heading, rest)``, both verbatim substrings of ``text`` (the heading keeps its 。 or ：), or
        ``None`` when the paragraph has no numbered title of at most
        :data:`MAX_RUN_IN_TITLE_CHARS` characters or what follows is no real paragraph (too short, or a
        figure such as ``本科：98.5%``).

    Example:
        >>> split_run_in("（一）办学定位。学校坚持以本为本，扎根地方办学。")
        ('（一）办学定位。', '学校坚持以本为本，扎根地方办学。')
        >>> split_run_in("1. 建立了教师发展体系，覆盖全体教师。") is None
        True
    """
    m = _RUN_IN.match(text.strip())
    if m is None:
        return None
    head, rest = m.group("head"), m.group("rest")
    family = numbering_family(head)
    number = re.match(
        rf"^\s*(第[{_CN_NUM}\d]+[章节部篇]分?|[{_CN_NUM}]+[、.．]|[（(][{_CN_NUM}\d]+[）)]|\d{{1,2}}(\.\d{{1,2}})*[、.．)）]?)\s*",
        head,
    )
    if family is None or number is None:
        return None
    title = head[number.end() : -1].strip()
    if not 2 <= len(title) <= MAX_RUN_IN_TITLE_CHARS or rest[0].isdigit():
        return None
    if len(rest) < 12 or not (re.search(r"[。！？!?；;…”」）)]$", rest) or len(rest) >= 40):
        return None
    return head, rest


def is_bullet(text: str) -> bool:
    """True for a bulleted line (``● 毕业生就业数据``, ``- 覆盖全体教师``): a list item, never a heading."""
    return bool(_BULLET.match(text.strip()))


def title_key(text: str) -> str:
    """A heading or table-of-contents title reduced for comparison: full-width forms folded, spaces,
    dot leaders and trailing punctuation removed.

    Example:
        >>> title_key("（一） 毕业生规模．") == title_key("(一)毕业生规模")
        True
    """
    t = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s.·…•_\-—:;。：；，,]+", "", t).lower()


def is_list_number(text: str) -> bool:
    """True for a long numbered paragraph (``1. 建立了……。``), which is a list item, not a heading."""
    t = text.strip()
    return bool(re.match(r"^([（(]?\d{1,2}[）)、.．]|[①-⑳]|[•·●▪\-–—*])\s*\S", t)) and numbering_level(t) is None


@dataclass
class RawBlock:
    """A block before ids and heading paths are assigned (``page_starts`` as in :class:`~indexing.models.Block`)."""

    kind: BlockKind
    text: str
    page: int | None = None
    heading_level: int | None = None
    rows: tuple[tuple[str, ...], ...] | None = None
    source: TextSource = TextSource.TEXT_LAYER
    ocr_confidence: float | None = None
    page_starts: tuple[tuple[int, int], ...] = ()

    def keep(self, start: int, end: int) -> None:
        """Cut the text down to ``text[start:end]``, keeping the page of every remaining character.

        Args:
            start: offset of the first character kept.
            end: offset after the last character kept.

        Example:
            >>> raw = RawBlock(BlockKind.PARAGRAPH, "（一）概况。正文续页", page=3, page_starts=((8, 4),))
            >>> raw.keep(6, 10)
            >>> raw.text, raw.page, raw.page_starts
            ('正文续页', 3, ((2, 4),))
        """
        page = self.page
        starts: list[tuple[int, int]] = []
        for offset, later in self.page_starts:
            if offset <= start:
                page = later  # the kept text starts on this later page
            elif offset < end:
                starts.append((offset - start, later))
        self.text, self.page, self.page_starts = self.text[start:end], page, tuple(starts)


def align_numbered_levels(raws: Sequence[RawBlock], numbered: Sequence[bool]) -> None:
    """Put headings whose level came from their number onto the scale of the document's styled headings.

    A DOCX or Markdown file mixes headings with an explicit level (``Heading 1``, ``#``) and short
    numbered paragraphs whose level comes from :func:`numbering_level` (``一、`` is 3, ``（一）`` is 4 …).
    When styled headings carry numbers too (``Heading 1`` = ``一、概况``), the numbering scale is mapped
    onto theirs (``一、`` → 1, so an unstyled ``（一）`` becomes 2, not 4); numbering levels seen only in
    unstyled headings are placed next to the nearest mapped level. Without styled numbered headings the
    levels are left as they are. Levels are changed in place.

    Args:
        raws: raw blocks in document order.
        numbered: for each raw block, ``True`` when it is a heading whose level came from its number.

    Example:
        >>> rs = [RawBlock(BlockKind.HEADING, "一、概况", heading_level=1),
        ...       RawBlock(BlockKind.HEADING, "（一）沿革", heading_level=4)]
        >>> align_numbered_levels(rs, [False, True])
        >>> rs[1].heading_level
        2
    """
    votes: dict[int, Counter[int]] = {}
    for raw, is_numbered in zip(raws, numbered, strict=True):
        if raw.kind is BlockKind.HEADING and not is_numbered and raw.heading_level:
            n = numbering_level(raw.text)
            if n is not None:
                votes.setdefault(n, Counter())[raw.heading_level] += 1
    mapping: dict[int, int] = {}
    for n in sorted(votes):
        level = votes[n].most_common(1)[0][0]
        if all(level > m for k, m in mapping.items() if k < n):  # keep the mapping monotonic
            mapping[n] = level
    if not mapping:
        return
    for raw, is_numbered in zip(raws, numbered, strict=True):
        if not (is_numbered and raw.kind is BlockKind.HEADING and raw.heading_level):
            continue
        n = raw.heading_level
        lower = [k for k in mapping if k <= n]
        if lower:
            k = max(lower)
            raw.heading_level = mapping[k] + (n - k)
        else:
            k = min(mapping)
            raw.heading_level = max(1, mapping[k] - (k - n))


def _numbering_shape(text: str) -> tuple[int, int] | None:
    """Which numbering pattern a heading uses and how many dot groups its number has (1. vs 1.1)."""
    t = text.strip()
    if numbering_level(t) is None:
        return None
    for index, (_, _, pattern) in enumerate(_PATTERNS):
        if pattern.match(t):
            number = re.match(r"^[\d.．]+", t)
            return index, number.group(0).strip(".．").count(".") if number else 0
    return None


def lists_from_numbered_runs(raws: Sequence[RawBlock], numbered: list[bool], min_level: int = 5) -> None:
    """Turn runs of numbered "headings" with nothing between them into list items.

    Short lines such as ``1. 完善制度`` / ``2. 加强队伍`` / ``3. 健全机制`` match the heading numbering, but
    a heading is followed by its content: two or more consecutive numbered headings of the same shape and
    of level ``min_level`` or deeper (Arabic ``1.`` ``（1）`` ``1）``) with no block between them are a
    list. Chinese-numbered headings (``一、`` ``（一）``) are left alone. Changes ``raws`` and ``numbered``
    in place; call it before :func:`align_numbered_levels`.

    Example:
        >>> rs = [RawBlock(BlockKind.HEADING, t, heading_level=5) for t in ("1. 完善制度", "2. 加强队伍")]
        >>> lists_from_numbered_runs(rs, [True, True])
        >>> [r.kind.value for r in rs]
        ['list_item', 'list_item']
    """

    def shape(k: int) -> tuple[int, int] | None:
        raw = raws[k]
        if raw.kind is not BlockKind.HEADING or not numbered[k]:
            return None
        level = numbering_level(raw.text)
        return _numbering_shape(raw.text) if level is not None and level >= min_level else None

    i = 0
    while i < len(raws):
        first = shape(i)
        j = i
        while first is not None and j + 1 < len(raws) and shape(j + 1) == first:
            j += 1
        if j > i:
            for k in range(i, j + 1):
                raws[k].kind, raws[k].heading_level = BlockKind.LIST_ITEM, None
                numbered[k] = False
        i = j + 1


def render_table(rows: tuple[tuple[str, ...], ...]) -> str:
    """Render table rows as text for retrieval: one line per row, cells joined by `` | ``.

    Example:
        >>> render_table((("指标", "数值"), ("生师比", "17.5:1")))
        '指标 | 数值\\n生师比 | 17.5:1'
    """
    return "\n".join(" | ".join(c.replace("\n", " ").strip() for c in row) for row in rows)


class BlockBuilder:
    """Collects raw blocks in reading order and assigns ids and heading paths.

    Heading levels are relative: a heading's path is every open heading with a smaller level, so a
    document that starts at 一、 (level 3) still gets paths of the right depth.

    Example:
        >>> bb = BlockBuilder()
        >>> bb.add(RawBlock(BlockKind.HEADING, "一、概况", heading_level=3))
        >>> bb.add(RawBlock(BlockKind.PARAGRAPH, "学校创建于1952年。"))
        >>> bb.build()[1].heading_path
        ('一、概况',)
    """

    def __init__(self) -> None:
        self._raw: list[RawBlock] = []

    def add(self, raw: RawBlock) -> None:
        """Append a block; empty text is dropped."""
        if raw.text.strip():
            self._raw.append(raw)

    def build(self) -> tuple[Block, ...]:
        """Return the blocks with ids ``b0001`` … and heading paths."""
        open_headings: list[tuple[int, str]] = []
        blocks: list[Block] = []
        for i, raw in enumerate(self._raw, start=1):
            if raw.kind is not BlockKind.TABLE:
                lead = len(raw.text) - len(raw.text.lstrip())
                raw.keep(lead, len(raw.text.rstrip()))
            if raw.kind is BlockKind.HEADING:
                level = raw.heading_level or 1
                while open_headings and open_headings[-1][0] >= level:
                    open_headings.pop()
                open_headings.append((level, raw.text.strip()))
            blocks.append(
                Block(
                    id=f"b{i:04d}",
                    kind=raw.kind,
                    text=raw.text,
                    page=raw.page,
                    heading_level=raw.heading_level if raw.kind is BlockKind.HEADING else None,
                    heading_path=tuple(t for _, t in open_headings),
                    rows=raw.rows,
                    source=raw.source,
                    ocr_confidence=raw.ocr_confidence,
                    page_starts=raw.page_starts,
                )
            )
        return tuple(blocks)
