"""Section-aware chunking with verbatim provenance.

Chunks never cross a section boundary (a change of heading path). Within a section, blocks are packed
until the target size is reached; a block longer than ``max_chars`` is split at sentence ends; the next
chunk of the same section starts with the last sentence(s) of the previous one (overlap). Tables are
chunked in small row groups with the table's caption and header row repeated, never split inside a row.

Every run of chunk text is a verbatim copy of a block range, recorded as a :class:`Segment`, so a quote
found in a chunk maps back to block, offset and page.

Example:
    >>> from indexing.models import Block, BlockKind, Document, MediaType
    >>> doc = Document(id="d", name="x", media_type=MediaType.TEXT,
    ...                blocks=(Block("b0001", BlockKind.PARAGRAPH, "学校生师比为17.5:1。", page=2),))
    >>> [c.page_start for c in chunk_document(doc)]
    [2]
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from indexing.facts import table_title
from indexing.models import Block, BlockKind, Chunk, Document, Segment
from indexing.options import ChunkingOptions

_SENTENCE_END = re.compile(r"[。！？!?；;]+[”’」』）)]*")
SEPARATOR = "\n"


@dataclass(frozen=True)
class _Unit:
    """A verbatim range of one block's text."""

    block: Block
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.block.text[self.start : self.end]

    def __len__(self) -> int:
        return self.end - self.start


def sentence_bounds(text: str) -> list[int]:
    """Return the offsets just after each sentence end in ``text`` (the last is always ``len(text)``).

    Example:
        >>> sentence_bounds("一。二。三")
        [2, 4, 5]
    """
    bounds = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not bounds or bounds[-1] != len(text):
        bounds.append(len(text))
    return bounds


def _split_block(block: Block, max_chars: int) -> list[_Unit]:
    """Split a long block at sentence ends into units of at most ``max_chars`` (hard cut if none)."""
    text = block.text
    if len(text) <= max_chars:
        return [_Unit(block, 0, len(text))]
    units: list[_Unit] = []
    start = 0
    last_ok = 0
    for b in sentence_bounds(text):
        if b - start > max_chars and last_ok > start:
            units.append(_Unit(block, start, last_ok))
            start = last_ok
        while b - start > max_chars:  # one sentence longer than the limit: cut it
            units.append(_Unit(block, start, start + max_chars))
            start += max_chars
        last_ok = b
    if start < len(text):
        units.append(_Unit(block, start, len(text)))
    return units


def _overlap(unit: _Unit, overlap_chars: int) -> _Unit | None:
    """The trailing sentence(s) of ``unit`` within ``overlap_chars``, or ``None``."""
    if overlap_chars <= 0:
        return None
    text = unit.text
    for b in sentence_bounds(text)[:-1]:
        if 0 < len(text) - b <= overlap_chars:
            return _Unit(unit.block, unit.start + b, unit.end)
    return None


def _chunk_id(document_id: str, ordinal: int, text: str) -> str:
    """Deterministic id: the same file always yields the same chunk ids."""
    return hashlib.sha256(f"{document_id}\x00{ordinal}\x00{text}".encode()).hexdigest()[:24]


def _page_segments(unit: _Unit, chunk_start: int) -> list[Segment]:
    """The segments of one unit placed at ``chunk_start``: one per page the unit's text stands on, so a quote
    maps to the pages of its own characters even in a paragraph or table running over a page break."""
    cuts = [offset for offset, _ in unit.block.page_starts if unit.start < offset < unit.end]
    bounds = [unit.start, *cuts, unit.end]
    return [
        Segment(unit.block.id, lo, chunk_start + lo - unit.start, hi - lo, unit.block.page_at(lo))
        for lo, hi in itertools.pairwise(bounds)
    ]


def _make_chunk(
    document_id: str,
    ordinal: int,
    heading_path: tuple[str, ...],
    units: Sequence[_Unit],
    is_table: bool = False,
) -> Chunk:
    parts: list[str] = []
    segments: list[Segment] = []
    pos = 0
    for u in units:
        if parts:
            parts.append(SEPARATOR)
            pos += len(SEPARATOR)
        segments.extend(_page_segments(u, pos))
        parts.append(u.text)
        pos += len(u)
    text = "".join(parts)
    pages = [s.page for s in segments if s.page is not None]
    return Chunk(
        id=_chunk_id(document_id, ordinal, text),
        document_id=document_id,
        ordinal=ordinal,
        text=text,
        heading_path=heading_path,
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        segments=tuple(segments),
        is_table=is_table,
    )


def _caption_units(blocks: Sequence[Block]) -> dict[str, _Unit]:
    """For each table with a caption (表1-2 …), the caption's verbatim range in its own block."""
    found: dict[str, _Unit] = {}
    for i, block in enumerate(blocks):
        if block.kind is not BlockKind.TABLE:
            continue
        title = table_title(blocks, i)
        if not title:
            continue
        for near in (*blocks[max(0, i - 3) : i][::-1], *blocks[i + 1 : i + 2]):
            at = near.text.find(title) if near.kind is not BlockKind.TABLE else -1
            if at >= 0:
                found[block.id] = _Unit(near, at, at + len(title))
                break
    return found


_NUMERIC_CELL = re.compile(r"^[\d.,%％:：\-—/ ]+$")
MAX_HEADER_ROWS = 3


def header_row_count(lines: Sequence[str]) -> int:
    """How many leading rows of a rendered table (``cell | cell`` lines) are header rows.

    The first row, then those without a numeric cell, at most :data:`MAX_HEADER_ROWS` and never the last row.
    A two-row header (本科毕业生 | 研究生毕业生 over 人数 | 占比) must be kept whole: the second row names the
    values of every row below it.

    Example:
        >>> header_row_count(["学院 | 本科毕业生 | ", " | 人数 | 占比", "管理学院 | 371 | 7.71%"])
        2
    """
    n = 1
    while n < min(MAX_HEADER_ROWS, len(lines) - 1):
        if any(c.strip() and _NUMERIC_CELL.match(c.strip()) for c in lines[n].split(" | ")):
            break
        n += 1
    return n


def _table_groups(block: Block, opts: ChunkingOptions, caption: _Unit | None = None) -> Iterator[list[_Unit]]:
    """Small row groups of a table, each starting with the caption and the header rows; rows are never split.

    A row is found by what names it (生师比 | 18.46) only when few other rows share its chunk and the
    chunk says which table it is from, so groups stay small and repeat the caption and header.
    """
    lines: list[_Unit] = []
    pos = 0
    for line in block.text.split("\n"):
        if line.strip():
            lines.append(_Unit(block, pos, pos + len(line)))
        pos += len(line) + 1
    if len(lines) <= 1:
        if lines:
            yield lines
        return
    n_header = header_row_count([u.text for u in lines])
    header, rows = lines[:n_header], lines[n_header:]
    lead = [caption, *header] if caption is not None else header
    group: list[_Unit] = list(lead)
    size = _size(lead)
    for row in rows:
        if len(group) > len(lead) and size + len(row) > opts.table_target_chars:
            yield group
            group, size = list(lead), _size(lead)
        group.append(row)
        size += len(row) + 1
    yield group


def _sections(blocks: Sequence[Block]) -> Iterator[tuple[tuple[str, ...], list[Block]]]:
    """Consecutive content blocks sharing a heading path; heading blocks only open sections."""
    current: tuple[str, ...] | None = None
    run: list[Block] = []
    for b in blocks:
        if b.kind is BlockKind.HEADING:
            continue
        if b.heading_path != current and run:
            yield current or (), run
            run = []
        current = b.heading_path
        run.append(b)
    if run:
        yield current or (), run


def chunk_document(document: Document, options: ChunkingOptions | None = None) -> list[Chunk]:
    """Cut a parsed document into section-aware chunks.

    Args:
        document: the parsed document.
        options: target, maximum, minimum and overlap sizes in characters.

    Returns:
        Chunks in document order with ordinals 0…n-1 and deterministic ids.
    """
    opts = options or ChunkingOptions()
    captions = _caption_units(document.blocks)
    groups: list[tuple[tuple[str, ...], list[_Unit], bool]] = []
    for path, blocks in _sections(document.blocks):
        packer = _Packer(opts)
        for block in blocks:
            if block.kind is BlockKind.TABLE:
                groups.extend((path, units, False) for units in packer.flush())
                groups.extend((path, units, True) for units in _table_groups(block, opts, captions.get(block.id)))
                continue
            for unit in _split_block(block, opts.max_chars):
                groups.extend((path, units, False) for units in packer.add(unit))
        tail = packer.remainder()
        previous = groups[-1] if groups and groups[-1][0] == path and not groups[-1][2] else None
        if tail and previous and _size(tail) < opts.min_chars and _size(previous[1]) + _size(tail) <= opts.max_chars:
            groups[-1] = (path, [*previous[1], *packer.new_units()], False)
        elif tail:
            groups.append((path, tail, False))
    return [_make_chunk(document.id, i, path, units, is_table) for i, (path, units, is_table) in enumerate(groups)]


class _Packer:
    """Packs text units of one section into chunks, carrying an overlap tail between them."""

    def __init__(self, opts: ChunkingOptions) -> None:
        self.opts = opts
        self.units: list[_Unit] = []
        self.carried = 0  # leading units that are overlap copied from the previous chunk

    def add(self, unit: _Unit) -> list[list[_Unit]]:
        """Add a unit; return the chunks it closed."""
        closed: list[list[_Unit]] = []
        if self.new_units() and _size(self.units) + len(unit) + len(SEPARATOR) > self.opts.max_chars:
            closed.append(self._close())
        self.units.append(unit)
        if _size(self.units) >= self.opts.target_chars:
            closed.append(self._close())
        return closed

    def flush(self) -> list[list[_Unit]]:
        """Close the open chunk without carrying overlap (e.g. before a table)."""
        closed = [self.units] if self.new_units() else []
        self.units, self.carried = [], 0
        return closed

    def new_units(self) -> list[_Unit]:
        """Units of the open chunk that are not overlap."""
        return self.units[self.carried :]

    def remainder(self) -> list[_Unit]:
        """The open chunk at the end of the section, empty if it holds only overlap."""
        return self.units if self.new_units() else []

    def _close(self) -> list[_Unit]:
        closed = self.units
        tail = _overlap(closed[-1], self.opts.overlap_chars)
        self.units, self.carried = ([tail], 1) if tail else ([], 0)
        return closed


def _size(units: Sequence[_Unit]) -> int:
    return sum(len(u) for u in units) + len(SEPARATOR) * max(0, len(units) - 1)
