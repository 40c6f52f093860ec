"""Chinese heading recognition and heading-path assignment shared by all parsers.

Chinese reports number their sections in a fixed hierarchy: 第一章 / 第一部分 > 第一节 > 一、 > （一） >
1. / 1.1 > （1） / 1）. :func:`numbering_level` maps a line to its level in that hierarchy, and
:class:`BlockBuilder` turns raw blocks into :class:`~indexing.models.Block` objects with ids and full
heading paths.

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
from dataclasses import dataclass

from indexing.models import Block, BlockKind, TextSource

_CN_NUM = "一二三四五六七八九十百零〇两"

# (level, pattern) in order of precedence. A heading is short and does not end like a sentence.
_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^第[{_CN_NUM}\d]+[章部篇](分)?[\s、:：]*\S")),
    (2, re.compile(rf"^第[{_CN_NUM}\d]+节[\s、:：]*\S")),
    (3, re.compile(rf"^[{_CN_NUM}]+[、.．]\s*\S")),
    (4, re.compile(rf"^[（(][{_CN_NUM}]+[）)]\s*\S")),
    (5, re.compile(r"^\d{1,2}(\.\d{1,2}){1,3}\.?\s*[^\d.\s%％]")),
    (5, re.compile(r"^\d{1,2}[、.．]\s*[^\d.\s%％]")),
    (6, re.compile(r"^[（(]\d{1,2}[）)]\s*\S")),
    (6, re.compile(r"^\d{1,2}[）)]\s*\S")),
)
_SENTENCE_END = re.compile(r"[。；;！!？?，,]$")
MAX_HEADING_CHARS = 40


def numbering_level(text: str) -> int | None:
    """Return the outline level implied by a Chinese section number, or ``None``.

    Args:
        text: one line or paragraph.

    Returns:
        1 (章/部分) … 6 (（1）), or ``None`` when the text does not look like a numbered heading:
        too long, ends like a sentence, or has no recognised number.
    """
    t = text.strip()
    if not t or len(t) > MAX_HEADING_CHARS or _SENTENCE_END.search(t):
        return None
    for level, pattern in _PATTERNS:
        if pattern.match(t):
            return level
    return None


def is_list_number(text: str) -> bool:
    """True for a long numbered paragraph (``1. 建立了……。``), which is a list item, not a heading."""
    t = text.strip()
    return bool(re.match(r"^([（(]?\d{1,2}[）)、.．]|[①-⑳]|[•·●▪\-–—*])\s*\S", t)) and numbering_level(t) is None


@dataclass
class RawBlock:
    """A block before ids and heading paths are assigned."""

    kind: BlockKind
    text: str
    page: int | None = None
    heading_level: int | None = None
    rows: tuple[tuple[str, ...], ...] | None = None
    source: TextSource = TextSource.TEXT_LAYER
    ocr_confidence: float | None = None


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
            if raw.kind is BlockKind.HEADING:
                level = raw.heading_level or 1
                while open_headings and open_headings[-1][0] >= level:
                    open_headings.pop()
                open_headings.append((level, raw.text.strip()))
            blocks.append(
                Block(
                    id=f"b{i:04d}",
                    kind=raw.kind,
                    text=raw.text.strip() if raw.kind is not BlockKind.TABLE else raw.text,
                    page=raw.page,
                    heading_level=raw.heading_level if raw.kind is BlockKind.HEADING else None,
                    heading_path=tuple(t for _, t in open_headings),
                    rows=raw.rows,
                    source=raw.source,
                    ocr_confidence=raw.ocr_confidence,
                )
            )
        return tuple(blocks)
