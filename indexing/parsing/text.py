"""Plain text and Markdown parsing.

Plain text comes in three shapes, and the parser tells them apart from the text itself:

* paragraphs separated by blank lines, lines inside a paragraph hard-wrapped: lines are joined (Chinese
  without a space, Latin words with one) unless a line ends a sentence (``。！？；``) and is not full;
* one paragraph per line with no blank lines (Word's "save as text"): every line is a paragraph;
* text extracted from a PDF where every line is followed by a blank line: blank lines carry no meaning.

In every shape a line continues into the next when it is as wide as the typical full line of a
hard-wrapped document, or when it ends inside a sentence (``，`` ``、`` ``《`` …); an indented line
(spaces or ``　　``) starts a new paragraph.

A line with a Chinese section number (``一、`` ``（二）`` ``1.1`` …, see
:func:`~indexing.parsing.headings.numbering_level`) is a heading; numbered or bulleted paragraphs are list
items; ``| a | b |`` pipe tables and tab-separated rows become table blocks.

Markdown adds ATX (``#`` … ``######``) and setext headings, ``-``/``*``/``1.`` lists, fenced code, block
quotes and pipe tables; inline emphasis, code ticks and link targets are removed from the text. Text has
no pages: every block has ``page=None``.

Example:
    >>> doc = parse_text("一、概况\\n学校创建于1952年，\\n现有学生2万人。".encode(), doc_id="x", name="a.txt",
    ...                  media_type=MediaType.TEXT, options=ParseOptions())
    >>> [(b.kind.value, b.text) for b in doc.blocks]
    [('heading', '一、概况'), ('paragraph', '学校创建于1952年，现有学生2万人。')]
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence

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
from indexing.parsing.sniff import decode_text

__all__ = ["join_lines", "normalize_text", "parse_text"]

_SENTENCE_END = re.compile(r"[。！？!?；;…][”’」』）)\"']*$")
_BULLET = re.compile(r"^([•·●○◆◇■□▪▫►▶★☆✓✔➢➤※]|[-–—*+](?=\s))\s*")
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CLAUSE_END = re.compile(r"[，、,（(“‘《〈【]$")
_FULL_LINE = 0.85
_NUMBERED = re.compile(r"^([（(]?\d{1,2}[）)、.．]|[①-⑳])\s*\S")


def parse_text(data: bytes, *, doc_id: str, name: str, media_type: MediaType, options: ParseOptions) -> Document:
    """Parse a plain-text or Markdown file into blocks.

    Args:
        data: the file bytes (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030/GBK).
        doc_id: the document id (sha256 of the bytes).
        name: display name.
        media_type: ``TEXT`` or ``MARKDOWN`` as sniffed.
        options: parse options (unused: text has no pages and no OCR).

    Raises:
        IndexingError: ``CORRUPT_FILE`` when the bytes are not decodable text, ``EMPTY_FILE`` when the
            text is only white space.
    """
    del options
    decoded = decode_text(data)
    if decoded is None:
        raise IndexingError(
            IndexingErrorCode.CORRUPT_FILE,
            "文本文件的编码无法识别（不是 UTF-8 或 GBK），请另存为 UTF-8 编码的文本后重新上传。",
            "text is neither UTF-8, UTF-16 with BOM nor GB18030",
        )
    text = normalize_text(decoded[0])
    if not text.strip():
        raise IndexingError(
            IndexingErrorCode.EMPTY_FILE, "文件中只有空白，没有文字内容。", "text file holds only white space"
        )
    lines = text.split("\n")
    raws = _markdown_blocks(lines) if media_type is MediaType.MARKDOWN else _plain_blocks(lines)
    blocks, numbered = [r for r, _ in raws], [n for _, n in raws]
    lists_from_numbered_runs(blocks, numbered)
    align_numbered_levels(blocks, numbered)
    builder = BlockBuilder()
    for raw, _ in raws:
        builder.add(raw)
    return Document(id=doc_id, name=name, media_type=media_type, blocks=builder.build(), page_count=None)


def normalize_text(text: str) -> str:
    """Unify line ends, turn form feeds into blank lines, drop zero-width and control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.replace("\f", "\n\n").replace("\v", "\n").translate(_ZERO_WIDTH)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


# --- helpers ---------------------------------------------------------------------------------------


def _is_wide(ch: str) -> bool:
    """Full-width in Chinese typesetting (ambiguous-width punctuation such as — “ ” counts as wide)."""
    return unicodedata.east_asian_width(ch) in ("W", "F", "A") and not ch.isascii()


def _width(s: str) -> int:
    return sum(2 if _is_wide(ch) else 1 for ch in s)


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines: no space where either side is a CJK character, one space between Latin words.

    Example:
        >>> join_lines(["学校坚持立德", "树人。", "It is", "fine."])
        '学校坚持立德树人。It is fine.'
    """
    return join_lines_at(parts)[0]


def join_lines_at(parts: Sequence[str]) -> tuple[str, list[int | None]]:
    """Join wrapped lines as :func:`join_lines` does, and say where each line starts in the result.

    Args:
        parts: the lines, in order.

    Returns:
        The joined text, and for each line the offset of its first character in it (``None`` for a blank
        line, which leaves nothing in the text).

    Example:
        >>> join_lines_at(["学校坚持", " ", "立德树人。"])
        ('学校坚持立德树人。', [0, None, 4])
    """
    out = ""
    starts: list[int | None] = []
    for part in parts:
        p = part.strip()
        if not p:
            starts.append(None)
            continue
        if out and not (_is_wide(out[-1]) or _is_wide(p[0])):
            out += " "
        starts.append(len(out))
        out += p
    return out, starts


def _indent(line: str) -> int:
    n = 0
    for ch in line:
        if ch == " ":
            n += 1
        elif ch == "\u3000":
            n += 2
        elif ch == "\t":
            n += 4
        else:
            break
    return n


def _wrap_width(lines: list[str]) -> int | None:
    """The full-line width of hard-wrapped text, or ``None`` when lines are not hard-wrapped.

    Hard-wrapped text has most of its longer lines at about the same width; paragraphs kept on one line
    vary widely in length.
    """
    widths = sorted(_width(s.strip()) for s in lines if len(s.strip()) >= 8)
    if len(widths) < 4:
        return None
    w = widths[int(len(widths) * 0.75)]
    if w < 20 or w > 220:
        return None
    near = sum(1 for x in widths if _FULL_LINE * w <= x <= 1.1 * w)
    return w if near >= 0.5 * len(widths) else None


def _cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", s)]


def _table_at(lines: list[str], i: int) -> int:
    """Number of lines of a pipe or tab table starting at ``lines[i]`` (0 when none starts there)."""
    first = lines[i].strip()
    if "|" in first and i + 1 < len(lines) and _PIPE_SEPARATOR.match(lines[i + 1]) and "-" in lines[i + 1]:
        j = i + 2
        while j < len(lines) and "|" in lines[j] and lines[j].strip():
            j += 1
        return j - i
    if first.startswith("|") and first.endswith("|") and first.count("|") >= 3:
        j = i
        while j < len(lines) and lines[j].strip().startswith("|") and lines[j].strip().endswith("|"):
            j += 1
        return j - i if j - i >= 2 else 0
    if "\t" in first:
        n = len([c for c in first.split("\t") if c.strip()])
        j = i
        while j < len(lines):
            s = lines[j].strip()
            if not s or "\t" not in s or len([c for c in s.split("\t") if c.strip()]) != n:
                break
            j += 1
        return j - i if n >= 2 and j - i >= 2 else 0
    return 0


def _table_block(table_lines: list[str], *, markdown: bool) -> RawBlock:
    rows: list[tuple[str, ...]] = []
    for line in table_lines:
        if _PIPE_SEPARATOR.match(line) and "-" in line:
            continue
        cells = _cells(line) if "|" in line else [c.strip() for c in line.strip().split("\t") if c.strip()]
        if markdown:
            cells = [_inline(c.replace("<br>", " ").replace("<br/>", " ")) for c in cells]
        if any(cells):
            rows.append(tuple(cells))
    width = max((len(r) for r in rows), default=0)
    table = tuple(r + ("",) * (width - len(r)) for r in rows)
    return RawBlock(BlockKind.TABLE, render_table(table), rows=table)


# --- plain text ------------------------------------------------------------------------------------


def _plain_blocks(lines: list[str]) -> list[tuple[RawBlock, bool]]:
    """Blocks of plain text; the bool marks headings whose level came from their number."""
    lines = [ln.rstrip() for ln in lines]
    content = [i for i, ln in enumerate(lines) if ln.strip()]
    gaps = [b - a - 1 for a, b in itertools.pairwise(content)]
    double_spaced = len(gaps) >= 4 and sum(1 for g in gaps if g == 1) >= 0.8 * len(gaps)
    blank_separates = any(gaps) and not double_spaced
    wrap = _wrap_width(lines)

    out: list[tuple[RawBlock, bool]] = []
    cur: list[str] = []
    cur_kind = BlockKind.PARAGRAPH
    prev_raw = ""

    def flush() -> None:
        nonlocal cur
        if cur:
            out.append((RawBlock(cur_kind, join_lines(cur)), False))
        cur = []

    def is_full(s: str) -> bool:
        return wrap is not None and _width(s) >= _FULL_LINE * wrap

    def continues(prev: str, line: str) -> bool:
        if _indent(line) > _indent(prev) and _indent(line) >= 2:
            return False  # an indented first line opens a paragraph
        p = prev.strip()
        if is_full(p) or _CLAUSE_END.search(p):
            return True
        return blank_separates and not _SENTENCE_END.search(p)

    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if not s:
            if blank_separates:
                flush()
            i += 1
            continue
        n = _table_at(lines, i)
        if n:
            flush()
            out.append((_table_block(lines[i : i + n], markdown=False), False))
            i += n
            continue
        level = numbering_level(s)
        mid_sentence = bool(cur) and is_full(cur[-1]) and not re.search(r"[：:。！？；;!?]$", cur[-1].strip())
        if level is not None and not is_full(s) and not mid_sentence:
            flush()
            out.append((RawBlock(BlockKind.HEADING, s, heading_level=level), True))
            prev_raw = line
            i += 1
            continue
        starts_list = (
            bool(_BULLET.match(s))
            or is_list_number(s)
            or (level is not None and is_full(s) and not mid_sentence and bool(_NUMBERED.match(s)))
        )
        if cur and not starts_list and continues(prev_raw, line):
            cur.append(s)
        else:
            flush()
            cur_kind = BlockKind.LIST_ITEM if starts_list else BlockKind.PARAGRAPH
            cur = [_BULLET.sub("", s, count=1) if _BULLET.match(s) else s]
        prev_raw = line
        i += 1
    flush()
    return out


# --- Markdown --------------------------------------------------------------------------------------

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HR = re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
_MD_LIST = re.compile(r"^(\s*)([-*+]|\d{1,3}[.)])[ \t]+(.*)$")
_TASK = re.compile(r"^\[[ xX]\][ \t]+")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")


def _inline(text: str) -> str:
    """Remove inline Markdown: images and links keep their text, emphasis and code ticks go."""
    t = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    t = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", t)
    t = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", t)
    t = re.sub(r"<(https?://[^>\s]+)>", r"\1", t)
    t = re.sub(r"(`+)(.+?)\1", r"\2", t)
    t = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", t)
    t = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)", r"\1", t)
    t = re.sub(r"~~(?=\S)(.+?)(?<=\S)~~", r"\1", t)
    t = re.sub(r"<br\s*/?>", " ", t, flags=re.IGNORECASE)
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>~])", r"\1", t)


def _front_matter_end(lines: list[str]) -> int:
    """Index after a leading ``---`` YAML block, or 0."""
    if not lines or lines[0].strip() != "---":
        return 0
    for j in range(1, min(len(lines), 60)):
        if lines[j].strip() in ("---", "..."):
            body = [ln for ln in lines[1:j] if ln.strip()]
            if body and all(re.match(r"^[\w\-\s]+:|^\s*-\s|^\s", ln) for ln in body):
                return j + 1
            return 0
    return 0


def _strip_quotes(lines: Iterator[str]) -> list[str]:
    return [_QUOTE.sub("", ln, count=1) if _QUOTE.match(ln) else ln for ln in lines]


def _markdown_blocks(lines: list[str]) -> list[tuple[RawBlock, bool]]:
    lines = _strip_quotes(ln.rstrip() for ln in lines[_front_matter_end(lines) :])
    out: list[tuple[RawBlock, bool]] = []
    cur: list[str] = []
    cur_kind = BlockKind.PARAGRAPH
    list_indent = 0

    def flush() -> None:
        nonlocal cur
        if cur:
            out.append((RawBlock(cur_kind, _inline(join_lines(cur))), False))
        cur = []

    i = 0
    in_comment = False
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if in_comment:
            in_comment = "-->" not in s
            i += 1
            continue
        if s.startswith("<!--"):
            flush()
            in_comment = "-->" not in s
            i += 1
            continue
        if not s:
            flush()
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            marker = fence.group(1)
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(marker[0] * len(marker)):
                j += 1
            code = "\n".join(lines[i + 1 : j]).strip("\n")
            if code.strip():
                out.append((RawBlock(BlockKind.PARAGRAPH, code), False))
            i = j + 1
            continue
        atx = _ATX.match(line)
        if atx:
            flush()
            title = _inline((atx.group(2) or "").strip())
            if title:
                out.append((RawBlock(BlockKind.HEADING, title, heading_level=len(atx.group(1))), False))
            i += 1
            continue
        setext = _SETEXT.match(line)
        if setext and len(cur) == 1 and cur_kind is BlockKind.PARAGRAPH:
            title = _inline(cur[0])
            cur = []
            out.append((RawBlock(BlockKind.HEADING, title, heading_level=1 if "=" in s else 2), False))
            i += 1
            continue
        if _HR.match(line):
            flush()
            i += 1
            continue
        n = _table_at(lines, i) if "|" in s else 0
        if n:
            flush()
            out.append((_table_block(lines[i : i + n], markdown=True), False))
            i += n
            continue
        item = _MD_LIST.match(line)
        if item:
            flush()
            marker, body = item.group(2), _TASK.sub("", item.group(3))
            cur_kind = BlockKind.LIST_ITEM
            list_indent = len(item.group(1)) + len(marker) + 1
            cur = [f"{marker} {body}" if marker[0].isdigit() else body]
            i += 1
            continue
        level = numbering_level(s)
        if level is not None and (not cur or re.search(r"[：:。！？；;!?]$", cur[-1])):
            flush()
            out.append((RawBlock(BlockKind.HEADING, _inline(s), heading_level=level), True))
            i += 1
            continue
        if cur and cur_kind is BlockKind.LIST_ITEM and _indent(line) < list_indent and _BULLET.match(s):
            flush()
        if not cur:
            cur_kind = BlockKind.PARAGRAPH
        cur.append(s)
        i += 1
    flush()
    return out
