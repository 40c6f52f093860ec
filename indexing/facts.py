"""Facts: every figure a document reports, with the metric it measures, its unit, period and place.

:func:`extract_facts` reads a parsed :class:`~indexing.models.Document` and returns one
:class:`~indexing.models.Fact` per reported figure, from three places:

* **key–value tables** (``生师比 | 18.46``): the label cell is the metric; a header row such as
  ``指标项 | 学校当年质量报告数据`` is not a fact;
* **matrix tables**: the metric is ``row header · column header`` (``化学工程与工艺 · 人数``); nested row
  headers are joined with ``/`` (``化工与制药学院/化学工程与工艺``) and multi-row column headers are joined
  without a separator (``毕业去向`` over ``落实率`` → ``毕业去向落实率``; ``本科毕业生`` over ``人数`` →
  ``本科毕业生人数``). A column headed by a period (``2023届``) gives the fact's period instead. The unit comes
  from the cell, else the column header (``就业率（%）``), the row header (``经费（万元）``), a unit line
  (``单位：人``), or a header ending in 人数 (人). Total rows (合计/总计/汇总) are facts with their label;
  serial-number and rank columns (序号, 排名) are not;
* **sentences**: the metric is the noun phrase before the figure in its clause (``生师比为18.46:1`` →
  生师比; ``落实率1为91.20%`` → 落实率, the footnote reference dropped); a clause starting with 占 takes the
  subject of the clause before (``男生2100人，占毕业生总人数的52.50%`` → 男生占毕业生总人数); a figure in
  parentheses describes the name before them (``机械学院（520人，占比8.30%）`` → ``机械学院`` and
  ``机械学院 · 占比``); a count whose classifier is followed by a noun counts that noun
  (``2个博士后科研流动站`` → 博士后科研流动站).

Precision comes first: a figure whose metric or column cannot be told for sure gives no fact. So do
changes (``上升了8.94个百分点``, ``较上年提高``), ranks (``位列第19``, ``前1%``), thresholds that modify a noun
(``达到100%的专业``), table rows whose cells cannot be aligned with the header, and placeholder cells
("—", "/", "未统计"). Every fact is verbatim: ``block.text[fact.start:fact.end] == fact.text`` and
``fact.evidence`` (the row or sentence) is a substring of ``block.text``.

:func:`table_title` finds a table's caption (``表1-2 本科毕业生专业分布``), also for tables continued on
the next page.

Example:
    >>> from indexing.models import Block, BlockKind, Document, MediaType
    >>> b = Block(id="b0001", kind=BlockKind.PARAGRAPH, text="学校生师比为17.20:1，本科毕业生升学率达28.50%。", page=3)
    >>> doc = Document(id="d", name="r", media_type=MediaType.TEXT, blocks=(b,))
    >>> [(f.metric, f.value, f.unit) for f in extract_facts(doc)]
    [('学校生师比', 17.2, ':1'), ('本科毕业生升学率', 28.5, '%')]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from indexing.figures import (
    Figure,
    FigureKind,
    find_figures,
    find_periods,
    half_width,
    is_no_value,
    parse_figure,
)
from indexing.models import Block, BlockKind, Document, Fact, FactOrigin

__all__ = ["MATRIX_SEPARATOR", "extract_facts", "table_title"]

MATRIX_SEPARATOR = " · "  # between a row header and a column header in a metric

# --- shared vocabulary -----------------------------------------------------------------------------------

_CJK = "\u4e00-\u9fff"
_CAPTION_RE = re.compile(
    r"^\s*(?:续表\s*$|(?:续)?(?:附)?表\s*[0-9A-Za-z一二三四五六七八九十]+(?:\s*[-–—.．_]\s*[0-9]+)*(?:\s|[^0-9\s]))"
)
_FIGURE_CAPTION_RE = re.compile(r"^\s*图\s*[0-9A-Za-z一二三四五六七八九十]+(?:\s*[-–—.．_]\s*[0-9]+)*\s*\S")
_MAX_CAPTION_CHARS = 60
_UNIT_LINE_RE = re.compile(r"[（(]?\s*单位\s*[:：]\s*(?P<unit>[^）)\s，,；;]{1,6})\s*[）)]?")
_UNIT_TOKEN = (
    r"(?:%|％|‰|(?:万|亿|千)?元(?:/(?:人|生|年|人·年))?|(?:万)?人次|(?:万)?人|名|(?:万)?册|篇|项|门|个|所|家|件|台|套|"
    r"(?:万)?平方米|㎡|m²|亩|学分|学时|课时|小时|天|次|场|种|倍|分)"
)
# "就业率（%）", "经费(万元)", "人数（单位：人）" at the end of a header or label
_HEADER_UNIT_RE = re.compile(r"[（(]\s*(?:单位\s*[:：]\s*)?(?P<unit>" + _UNIT_TOKEN + r")\s*[）)]\s*$")
# Serial-number columns number the rows; they are neither labels nor values (a rank such as QS排名 is a value).
_SERIAL_HEADER_RE = re.compile(r"^(?:序号|编号|代码|代号|No\.?|NO\.?|#)$")
# Integer counts under such a header count people (人): "人数", "毕业生", "教师".
_PEOPLE_RE = re.compile(r"(?:人数|毕业生|学生|生源|教师|职工|员工|人员)$")
_GENERIC_VALUE_HEADER_RE = re.compile(r"数据|数值|取值|指标值|^值$|结果|^本校$|^学校$|^统计$|^数量$|^内容$")
_FOOTNOTE_TAIL_RE = re.compile(r"(?<=[" + _CJK + r"）)”」])[0-9]{1,2}$")
# A footnote marker the PDF set as a superscript (落实率¹为, 单位标签¹⁰) after a word: not part of the name.
# After a Latin unit it is a power (m²) and stays.
_SUPERSCRIPT_MARKER_RE = re.compile(r"(?<=[" + _CJK + r"）)”」\"'])[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_QUOTES = "“”‘’「」『』\"'"


def _clean_label(text: str) -> str:
    """A header or label without its footnote reference, quotes and surrounding spaces (单位标签10 → 单位标签)."""
    t = _SUPERSCRIPT_MARKER_RE.sub("", re.sub(r"\s+", "", text))
    t = t.strip(_QUOTES)
    t = _FOOTNOTE_TAIL_RE.sub("", t)
    return t.strip(_QUOTES)


def _split_unit(label: str) -> tuple[str, str]:
    """Split ``就业率（%）`` into ``("就业率", "%")``; a label without a unit annotation keeps an empty unit."""
    m = _HEADER_UNIT_RE.search(label)
    if not m:
        return label, ""
    unit = half_width(m.group("unit")).replace("％", "%")
    return label[: m.start()].strip(), unit


def _period_of(text: str) -> str | None:
    """The text itself when it is exactly one period (``2023届``, ``2022年``), else ``None``."""
    t = text.strip()
    periods = find_periods(t)
    if len(periods) == 1 and not periods[0].is_range and periods[0].text == t:
        return t
    return None


# --- table titles ---------------------------------------------------------------------------------------


def _is_caption(block: Block) -> bool:
    text = block.text.strip()
    return block.kind is not BlockKind.TABLE and len(text) <= _MAX_CAPTION_CHARS and bool(_CAPTION_RE.match(text))


def _is_furniture(block: Block) -> bool:
    """A block that may stand between a caption and its table, or between two parts of a table: a unit line,
    a footnote (``1按照……``), a page number."""
    text = block.text.strip()
    if block.kind is BlockKind.TABLE:
        return False
    return (
        bool(_UNIT_LINE_RE.fullmatch(text))
        or bool(re.match(r"^[0-9]{1,2}[" + _CJK + r"“]", text))
        or bool(re.fullmatch(r"[-—\s]*[0-9]{1,4}[-—\s]*", text))
    )


def table_title(blocks: Sequence[Block], index: int) -> str | None:
    """The caption of the table at ``blocks[index]``.

    The nearest caption (``表1-2 …``, ``表 3 …``, ``续表``) before the table, looking past unit lines, footnotes
    and page numbers, and past an earlier part of the same table (a table continued on the next page, with the
    same header row or right after it, keeps its caption); else a caption right after the table (``表…``, or
    ``图…`` for the data table of a chart), when that caption is not itself followed by a table.

    Args:
        blocks: the document's blocks in reading order.
        index: position of a table block in ``blocks``.

    Returns:
        The caption text, stripped, or ``None`` when the table has none.
    """
    table = blocks[index]
    head = table.text.split("\n", 1)[0]
    page = table.page
    j = index - 1
    while j >= 0 and index - j <= 12:
        b = blocks[j]
        if page is not None and b.page is not None and page - b.page > 1:
            break
        if _is_caption(b):
            return b.text.strip()
        continued = b.kind is BlockKind.TABLE and (j == index - 1 or b.text.split("\n", 1)[0] == head)
        if continued or _is_furniture(b) or (b.kind is not BlockKind.TABLE and _same_header_before(blocks, j, head)):
            page = b.page if b.page is not None else page
            j -= 1
            continue
        break
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    if following is not None and (_is_caption(following) or _is_figure_caption(following)):
        after = blocks[index + 2] if index + 2 < len(blocks) else None
        if after is None or after.kind is not BlockKind.TABLE:
            return following.text.strip()
    return None


def _same_header_before(blocks: Sequence[Block], j: int, head: str) -> bool:
    """A table with this header row stands within the few blocks before ``j`` (notes between two parts)."""
    return any(b.kind is BlockKind.TABLE and b.text.split("\n", 1)[0] == head for b in blocks[max(0, j - 3) : j])


def _is_figure_caption(block: Block) -> bool:
    text = block.text.strip()
    return (
        block.kind is not BlockKind.TABLE and len(text) <= _MAX_CAPTION_CHARS and bool(_FIGURE_CAPTION_RE.match(text))
    )


def _table_unit(blocks: Sequence[Block], index: int, title: str | None) -> str:
    """A unit stated for the whole table (``单位：人`` in the caption or on a line before the table)."""
    candidates = [title or ""]
    if index > 0 and blocks[index - 1].kind is not BlockKind.TABLE:
        candidates.append(blocks[index - 1].text)
    for text in candidates:
        m = _UNIT_LINE_RE.search(text.strip())
        if m and re.fullmatch(_UNIT_TOKEN, m.group("unit")):
            return half_width(m.group("unit")).replace("％", "%")
    return ""


# --- tables ---------------------------------------------------------------------------------------------


class _CellKind(Enum):
    EMPTY = "empty"
    NO_VALUE = "no_value"  # "—", "/", "未统计": a slot without a value
    FIGURE = "figure"
    TEXT = "text"


@dataclass(frozen=True)
class _Cell:
    col: int
    text: str
    start: int  # offset in the block text
    kind: _CellKind
    figure: Figure | None = None

    @property
    def is_value(self) -> bool:
        return self.kind in (_CellKind.FIGURE, _CellKind.NO_VALUE)


@dataclass(frozen=True)
class _Row:
    index: int
    line: str
    cells: tuple[_Cell, ...]

    @cached_property
    def filled(self) -> tuple[_Cell, ...]:
        return tuple(c for c in self.cells if c.kind is not _CellKind.EMPTY)

    @cached_property
    def has_values(self) -> bool:
        return any(c.kind is _CellKind.FIGURE for c in self.cells)

    def only(self, cells: Sequence[_Cell]) -> _Row:
        return _Row(self.index, self.line, tuple(cells))


@dataclass(frozen=True)
class _Leaf:
    """One column of the header: its position and its header path, joined."""

    col: int
    label: str
    unit: str
    period: str | None

    @property
    def is_serial(self) -> bool:
        return bool(_SERIAL_HEADER_RE.search(self.label))


# An alignment maps the column of each filled cell of a row to a header column (None: a label without one).
_Alignment = dict[int, int | None]


@dataclass(frozen=True)
class _Table:
    """What all facts of one table share."""

    block: Block
    title: str | None
    unit: str
    period: str | None
    header_texts: frozenset[str]


def _cell_kind(text: str) -> tuple[_CellKind, Figure | None]:
    if not text.strip():
        return _CellKind.EMPTY, None
    if is_no_value(text):
        return _CellKind.NO_VALUE, None
    figure = parse_figure(text)
    if figure is not None:
        return _CellKind.FIGURE, figure
    return _CellKind.TEXT, None


def _rows(block: Block) -> list[_Row]:
    """The table's rows, read from the block text (``cell | cell`` lines) with every cell's offset."""
    rows: list[_Row] = []
    offset = 0
    for i, line in enumerate(block.text.split("\n")):
        cells: list[_Cell] = []
        pos = 0
        for col, raw in enumerate(line.split(" | ")):
            lead = len(raw) - len(raw.lstrip())
            text = raw.strip()
            kind, figure = _cell_kind(text)
            cells.append(_Cell(col, text, offset + pos + lead, kind, figure))
            pos += len(raw) + 3
        rows.append(_Row(i, line, tuple(cells)))
        offset += len(line) + 1
    return rows


def _header_leaves(header: Sequence[_Row]) -> list[_Leaf]:
    """The leaf columns of a (possibly multi-row) header, each with its joined header path.

    A cell spans from its column to the next filled cell of its row; cells of the row below that fall in
    that span are its children (``本科毕业生`` over ``人数`` and ``占比``; ``毕业去向`` over ``落实率``).
    """
    spans: list[tuple[int, str]] = []  # (col, path) of the current level
    for row in header:
        filled = [(c.col, _clean_label(c.text)) for c in row.cells if c.kind is not _CellKind.EMPTY]
        if not spans:
            spans = filled
            continue
        children: dict[int, list[tuple[int, str]]] = {}
        merged: list[tuple[int, str]] = []
        for col, text in filled:
            parents = [k for k, (pcol, _) in enumerate(spans) if pcol <= col]
            if parents:
                children.setdefault(parents[-1], []).append((col, text))
            else:
                merged.append((col, text))
        for k, (pcol, ptext) in enumerate(spans):
            kids = children.get(k)
            merged.extend((col, ptext + text) for col, text in kids) if kids else merged.append((pcol, ptext))
        spans = sorted(merged)
    leaves: list[_Leaf] = []
    for col, path in spans:
        label, unit = _split_unit(path)
        leaves.append(_Leaf(col, label, unit, _period_of(label)))
    return leaves


def _positional(row: _Row, leaves: Sequence[_Leaf]) -> _Alignment | None:
    """Align by column position: every cell from the first value on must stand under a header column."""
    by_col = {leaf.col: k for k, leaf in enumerate(leaves)}
    filled = row.filled
    first_value = next((i for i, c in enumerate(filled) if c.is_value), None)
    if first_value is None:
        return None
    alignment: _Alignment = {}
    for i, c in enumerate(filled):
        if i < first_value:
            alignment[c.col] = by_col.get(c.col)
        elif c.col in by_col:
            alignment[c.col] = by_col[c.col]
        else:
            return None
    return alignment


def _compact(row: _Row, leaves: Sequence[_Leaf]) -> _Alignment | None:
    """Align filled cells with header columns from the right, ignoring blank cells (a shifted rendering).

    Extra cells on the left must be labels; a row with fewer cells lacks its leading (merged) labels.
    """
    filled = row.filled
    n, m = len(filled), len(leaves)
    if n > m and any(c.kind is not _CellKind.TEXT for c in filled[: n - m]):
        return None
    return {c.col: (m - n + i if m - n + i >= 0 else None) for i, c in enumerate(filled)}


def _same_values(a: _Alignment, b: _Alignment, row: _Row) -> bool:
    return all(a.get(c.col) == b.get(c.col) for c in row.filled if c.is_value)


def _fits(alignment: _Alignment, row: _Row, value_leaf: Sequence[bool]) -> bool:
    """Every figure stands in a value column, every text cell outside one, and placeholders in some column."""
    for c in row.filled:
        k = alignment.get(c.col)
        if c.kind is _CellKind.NO_VALUE:
            if k is None:
                return False
            continue  # "/" or "—" may stand in any column
        if c.kind is _CellKind.FIGURE and (k is None or not value_leaf[k]):
            return False
        if c.kind is _CellKind.TEXT and k is not None and value_leaf[k]:
            return False
    return True


def _align_rows(rows: Sequence[_Row], leaves: Sequence[_Leaf]) -> tuple[dict[int, _Alignment], list[bool]]:
    """Align every data row with the header; rows that cannot be aligned without doubt are left out.

    Rows that align by position, or whose filled cells match the header one for one, decide which columns
    hold values; then every row is aligned by position or from the right, and kept only when its cells fit
    those columns and both ways that fit agree.

    Returns:
        The alignment of each aligned row (by row index) and, per header column, whether it holds values.
    """
    sure: dict[int, _Alignment] = {}
    for row in rows:
        pos = _positional(row, leaves)
        comp = _compact(row, leaves) if len(row.filled) == len(leaves) else None
        if pos and comp and not _same_values(pos, comp, row):
            continue
        if pos or comp:
            sure[row.index] = pos or comp or {}
    votes = [Counter[str]() for _ in leaves]
    for row in rows:
        for c in row.filled:
            k = sure.get(row.index, {}).get(c.col)
            if k is not None and c.kind is not _CellKind.NO_VALUE:  # a placeholder says nothing of its column
                votes[k]["value" if c.kind is _CellKind.FIGURE else "text"] += 1
    value_leaf = [v["value"] > 0 and v["value"] >= v["text"] for v in votes]
    aligned: dict[int, _Alignment] = {}
    for row in rows:
        if not row.has_values:
            continue
        candidates = [a for a in (sure.get(row.index), _positional(row, leaves), _compact(row, leaves)) if a]
        fitting = [a for a in candidates if _fits(a, row, value_leaf)]
        if fitting and all(_same_values(fitting[0], a, row) for a in fitting[1:]):
            aligned[row.index] = fitting[0]
    return aligned, value_leaf


def _row_labels(
    row: _Row, alignment: _Alignment, leaves: Sequence[_Leaf], label_leaves: Sequence[int]
) -> dict[int, str]:
    """The row's own labels by level (0 = the leftmost label column).

    Text cells left of the first value are labels; one placed by position goes to the label column at or left
    of it (renderings shift cells by one), else to the first.
    """
    labels: dict[int, str] = {}
    values = [c.col for c in row.filled if c.is_value and not _serial(alignment.get(c.col), leaves)]
    first_value_col = min(values, default=None)
    used: set[int] = set()
    for c in row.filled:
        if c.kind is not _CellKind.TEXT or (first_value_col is not None and c.col > first_value_col):
            continue
        k = alignment.get(c.col)
        if _serial(k, leaves):
            continue
        if k is not None and k in label_leaves:
            level = label_leaves.index(k)
        elif k is not None and k < len(leaves) and leaves[k].col > max(leaves[i].col for i in label_leaves or [k]):
            continue  # an attribute column (500强标签) between the row's name and its values
        else:
            left = [i for i, leaf_k in enumerate(label_leaves) if leaves[leaf_k].col <= c.col]
            level = left[-1] if left else 0
        while level in used:
            level += 1
        used.add(level)
        labels[level] = _clean_label(c.text)
    return labels


def _serial(k: int | None, leaves: Sequence[_Leaf]) -> bool:
    return k is not None and leaves[k].is_serial


def _repeat_period(leaves: Sequence[_Leaf]) -> int | None:
    """The width of a header printed twice or more side by side (``名称 | 人数 | 名称 | 人数``), if it is one."""
    m = len(leaves)
    for p in range(2, m // 2 + 1):
        if m % p == 0 and all(leaves[i].label == leaves[i % p].label for i in range(m)):
            return p
    return None


def _side_by_side(rows: Sequence[_Row], leaves: Sequence[_Leaf], width: int) -> list[tuple[list[_Row], list[_Leaf]]]:
    """Split a table printed as several narrow tables side by side into those tables."""
    groups = len(leaves) // width
    starts = [leaves[g * width].col for g in range(groups)] + [10**9]
    parts: list[tuple[list[_Row], list[_Leaf]]] = [
        ([], list(leaves[g * width : (g + 1) * width])) for g in range(groups)
    ]
    for row in rows:
        filled = row.filled
        for g in range(groups):
            if len(filled) == len(leaves):
                cells = filled[g * width : (g + 1) * width]
            else:
                lo = starts[g] if g else 0
                cells = tuple(c for c in filled if lo <= c.col < starts[g + 1])
            parts[g][0].append(row.only(cells))
    return parts


def _table_facts(blocks: Sequence[Block], index: int) -> list[Fact]:
    block = blocks[index]
    rows = _rows(block)
    if not any(r.has_values for r in rows):
        return []
    title = table_title(blocks, index)
    title_periods = [p for p in find_periods(title or "") if not p.is_range]
    n_header = next((i for i, r in enumerate(rows) if any(c.is_value for c in r.cells)), len(rows))
    header_texts = frozenset(_clean_label(c.text) for r in rows[:n_header] for c in r.cells if c.text)
    table = _Table(
        block,
        title,
        _table_unit(blocks, index, title),
        title_periods[0].text if len(title_periods) == 1 else None,
        header_texts,
    )
    if n_header == 0:
        return _pair_facts(table, rows)
    leaves = _header_leaves(rows[:n_header])
    body = rows[n_header:]
    width = _repeat_period(leaves)
    if width:
        return [
            f
            for part_rows, part_leaves in _side_by_side(body, leaves, width)
            for f in _matrix_facts(table, part_rows, part_leaves)
        ]
    return _matrix_facts(table, body, leaves)


def _matrix_facts(table: _Table, body: Sequence[_Row], leaves: Sequence[_Leaf]) -> list[Fact]:
    """Facts of a table with a header: one per figure cell in a value column of an aligned row."""
    if not leaves:
        return []
    body = [r for r in body if r.has_values or not {_clean_label(c.text) for c in r.filled} <= table.header_texts]
    aligned, value_leaf = _align_rows(body, leaves)
    content = [k for k, leaf in enumerate(leaves) if not leaf.is_serial]
    first_value = next((k for k in content if value_leaf[k]), len(leaves))
    label_leaves = _identity_leaves([k for k in content if k < first_value], leaves, body, aligned)
    # A value column right of a text column after the values (名称 | 人数 | 地域 | 人数) may belong to another
    # name; it is read only under a header not seen before (… | 主要行业 | 行业集中度).
    attribute = next((k for k in content if k > first_value and not value_leaf[k]), len(leaves))
    seen = {leaves[k].label for k in content if value_leaf[k] and k < attribute}
    value_leaves = [k for k in content if value_leaf[k] and (k < attribute or leaves[k].label not in seen)]
    key_value = len(value_leaves) == 1 and bool(
        _GENERIC_VALUE_HEADER_RE.search(leaves[value_leaves[0]].label) or leaves[value_leaves[0]].period
    )
    label_end = max((leaves[k].col for k in label_leaves), default=0) + 1  # renderings shift cells by one
    labelled: list[tuple[_Row, _Alignment, list[str]]] = []  # aligned rows with their label path
    carried: dict[int, str] = {}
    for row in body:
        alignment = aligned.get(row.index)
        if alignment is None:
            # a row header wrapped onto the next line: "信息学院" + "（软件学院）", "数控加工技" + "术"
            in_labels = [c for c in row.filled if c.col <= label_end]
            only = in_labels[0] if len(in_labels) == 1 and in_labels[0].kind is _CellKind.TEXT else None
            text = _clean_label(only.text) if only and not row.has_values else ""
            last = labelled[-1][2] if labelled and labelled[-1][0].index == row.index - 1 else None
            wrapped = text.startswith(("（", "(")) or len(text) <= 3 or (last and _unbalanced(last[-1]))
            if text and last and wrapped:
                last[-1] += text
                if carried:
                    carried[max(carried)] += text
            continue
        own = _row_labels(row, alignment, leaves, label_leaves)
        if not own:
            continue
        carried = {lv: t for lv, t in carried.items() if lv < min(own)} | own
        labelled.append((row, alignment, [carried[lv] for lv in sorted(carried) if carried[lv]]))
    # A row is named by its own label (化学工程与工艺); with its group (化工与制药学院/化学工程) only where
    # the same label stands in several rows of the table.
    repeated = Counter(path[-1] for _, _, path in labelled)
    facts: list[Fact] = []
    for row, alignment, path in labelled:
        row_label, row_unit = _split_unit("/".join(path) if repeated[path[-1]] > 1 else path[-1])
        row_period = _period_of(row_label)
        for c in row.filled:
            k = alignment.get(c.col)
            if c.kind is _CellKind.FIGURE and c.figure is not None and k in value_leaves:
                facts.append(_cell_fact(table, row, c, c.figure, leaves[k], row_label, row_unit, row_period, key_value))
    return facts


def _identity_leaves(
    label_leaves: list[int], leaves: Sequence[_Leaf], body: Sequence[_Row], aligned: dict[int, _Alignment]
) -> list[int]:
    """The label columns that name a row: the groups, then the first column filled in (nearly) every row.

    In ``学院 | 专业 | 人数`` the 学院 cell is merged over its 专业 rows (blank in most of them): a group; the
    专业 names the row. In ``企业名称 | 500强标签 | 人数`` the name is filled in every row and names it; the tag
    after it is an attribute, not part of the row's name.
    """
    if len(label_leaves) < 2:
        return label_leaves
    filled = Counter[int]()
    rows = 0
    for row in body:
        alignment = aligned.get(row.index)
        if alignment is not None:
            rows += 1
            filled.update(_row_labels(row, alignment, leaves, label_leaves).keys())
    for level in range(len(label_leaves)):
        if filled[level] >= 0.9 * rows:
            return label_leaves[: level + 1]
    return label_leaves


def _unbalanced(text: str) -> bool:
    return text.count("（") + text.count("(") != text.count("）") + text.count(")")


def _cell_fact(
    table: _Table,
    row: _Row,
    cell: _Cell,
    figure: Figure,
    leaf: _Leaf,
    row_label: str,
    row_unit: str,
    row_period: str | None,
    key_value: bool,
) -> Fact:
    """The fact of one table cell: metric from the row and column headers, unit from the most specific place."""
    if row_period and not leaf.period:
        metric, period = leaf.label, row_period
    elif leaf.period:
        metric, period = row_label, leaf.period
    elif key_value:
        metric, period = row_label, table.period
    else:
        metric, period = f"{row_label}{MATRIX_SEPARATOR}{leaf.label}", table.period
    unit = figure.unit or leaf.unit or row_unit or table.unit
    if not unit and figure.kind is FigureKind.COUNT and figure.value.is_integer():
        named = leaf.label if not leaf.period else row_label
        if _PEOPLE_RE.search(named) or (leaf.period and _PEOPLE_RE.search(row_label)):
            unit = "人"
    return Fact(
        metric=metric,
        value=figure.value,
        unit=unit,
        text=figure.text,
        block_id=table.block.id,
        page=table.block.page_at(cell.start + figure.start),  # a continued table's later rows: their page
        start=cell.start + figure.start,
        end=cell.start + figure.end,
        origin=FactOrigin.TABLE,
        evidence=row.line,
        table_title=table.title,
        row=row.index,
        column=cell.col,
        period=period,
        qualifier=figure.qualifier,
    )


def _pair_facts(table: _Table, rows: Sequence[_Row]) -> list[Fact]:
    """Facts of a table without a header row: each figure is named by the label cell right before it
    (``生师比 | 18.46 | 专任教师数 | 1732``)."""
    facts: list[Fact] = []
    for row in rows:
        filled = row.filled
        for i, c in enumerate(filled):
            if c.kind is not _CellKind.FIGURE or c.figure is None or i == 0 or filled[i - 1].kind is not _CellKind.TEXT:
                continue
            label, unit = _split_unit(_clean_label(filled[i - 1].text))
            if not re.search(f"[{_CJK}]", label) or _SERIAL_HEADER_RE.search(label):
                continue
            leaf = _Leaf(c.col, "", unit, None)
            facts.append(_cell_fact(table, row, c, c.figure, leaf, label, unit, _period_of(label), key_value=True))
    return facts


# --- sentences ------------------------------------------------------------------------------------------

_SENTENCE_RE = re.compile(r"[^。！？；;!?\n]+[。！？；;!?]?")
_CLAUSE_BREAKS = "，,；;：:。！？!?\n"
_SUBJECT_BREAKS = "，,；;：:。！？!?\n为是于"
# Connectives are dropped; verbs that are part of what is counted (现有, 开设, 向社会输送) are kept.
_LEADING_WORDS = re.compile(
    r"^(?:[0-9]{1,2}(?=[" + _CJK + r"])|其中|另外|此外|同时|并且|以及|而且|但是|但|即|及|和|与|而|"
    r"相较而言|相比之下|相比而言|总体来看|整体来看|综合来看|总体而言|整体而言)+"
)
# Verbs before a figure; a single character only where it does not end a word (会计, 人均, 所在, 所有, 公共).
_TRAILING_WORDS = re.compile(
    r"(?:分别为|分别是|约为|均为|共计|合计|共有|达到|(?:始终|一直|仍然?|均|都)?(?:保持|维持|稳定)在|为|是|了|(?<![发])达|(?<![会统设估审总])计|(?<![人平生])均|"
    r"(?<![所存现])在|(?<![所拥具现共没设建含])有|(?<![公总])共|(?<![而])已)+$"
)
# A metric made only of such words names nothing.
_EMPTY_METRIC_RE = re.compile(r"^(?:共有|现有|拥有|建有|设有|有|共|共计|合计|累计|其中|占比?|分别|达到?|约|近|超过)$")
# A footnote reference glued inside a metric (产业11就业); a number before 年/月/届… is a quantity (近3年).
_INNER_FOOTNOTE_RE = re.compile(
    r"(?<=[" + _CJK + r"])[0-9]{1,2}(?=[" + _CJK + r"])(?![年月日届级期周天次个名人项所门家篇倍岁分])"
)
# Populations a report breaks its figures down by; a sentence that opens with one is about it throughout.
_POPULATION_RE = re.compile(
    r"(?:全体|本科|专科|高职|研究生|硕士研究生|博士研究生|硕士|博士)(?:毕业生|生)|研究生|男生|女生|"
    r"省内生源|省外生源|少数民族生源|汉族生源"
)
_QUOTED_END_RE = re.compile(r"[“\"「]([^“”\"「」]{1,40})[”\"」][0-9]{0,2}\s*$")
_JUDGEMENT_RE = re.compile(r"(?:较|最|更|偏)(?:高|低|多|少|好|差|大|小|强|弱|快|慢)$|突出$|明显$")
_GENERIC_NOUNS = {"方面", "维度", "指标", "部分", "环节", "层面", "角度", "类别", "类型", "阶段", "步骤"}
_SUBJECTFUL_RE = re.compile(r"生|教师|教职工|人员|员工|校友|单位|企业|学院|学校|高校|院校|专业|用人")
_LEADING_PERIOD_RE = re.compile(
    r"^[0-9]{4}\s*(?:年|届)?\s*(?:[-–—~～至到]\s*[0-9]{4}\s*)?(?:学年度|学年|年度|年|届|级)的?"
)
# Everyone the report is about, before what is measured of them: it names no population of its own.
_EVERYONE_RE = re.compile(r"^(?:全体)?(?:毕业生|学生|在校生)(?:的|(?=对|在|总体|整体))(?=[" + _CJK + r"]{2})")
# A clause that follows the trend of a metric gives the latest value: "…相关度由升转降，但始终保持在70%以上"
_TREND_RE = re.compile(r"持续|稳中|由[升降增减]|逐年|有所|略有|呈|不断|保持|维持|整体|总体|均|先[升降增减]")
_MEASURE_END_RE = re.compile(r"(?:率|度|比|比例|比重|数|人数|数量|量|额|规模|水平|占比|薪资|收入)$")
_WHOLE_RE = re.compile(r"全校|学校|总体|整体|全部|所有")
_REACHED_RE = re.compile(r"(?:增长|增加|上升|提高|提升|下降|降低|减少|扩大|缩小)(?:至|到)\s*$")
_ROUNDED_RE = re.compile(r"(?:近|约|超过|接近|将近|逾)?(?:[一二两三四五六七八九十]成|半数|过半|大半|多半)(?:以上)?$")
_CHANGE_RE = re.compile(
    r"提高|提升|上升|下降|增长|增加|减少|降低|同比|环比|较上|较去|较前|相比|相较|比上|比去|高于|低于|增幅|降幅|变化|"
    r"多于|少于|翻番|净增"
)
_RANK_RE = re.compile(r"排名|位列|排行|名列|位居|位于|第$|前$|后$|Top$|TOP$|top$")
_CLASSIFIERS = set("个项所门名家篇种条座批台套件位间场")
_NOUN_STOP_RE = re.compile(
    r"[，,、；;：:。！？!?（(“”「」\s0-9]|的|进入|获得|获|入选|通过|进行|开展|展开|参加|参与|举办|提供|实现|完成|"
    r"为|是|在|中|被|和|与|及|等|均|共|占|达|到|来|赴|并|将"
)
_SENTENCE_UNITLESS_VERBS = ("为", "是", "达到", "达")


def _sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _SENTENCE_RE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            spans.append((s, e))
    return spans


def _open_paren(sentence: str, pos: int) -> int | None:
    """Offset of the parenthesis that is still open at ``pos``, if any."""
    stack: list[int] = []
    for i, ch in enumerate(sentence[:pos]):
        if ch in "（(":
            stack.append(i)
        elif ch in "）)" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _subject_before(sentence: str, paren: int, figure_ends: Sequence[int]) -> str | None:
    """The name a parenthesis describes: the words before it back to a clause break, 为/是, or "）、"."""
    if paren in figure_ends:
        return None  # "2400人（占比88.10%）": the parenthesis describes a figure, handled by the caller
    quoted = _QUOTED_END_RE.search(sentence[:paren])
    if quoted:  # "集中在“4天”（占比41.20%）": the quoted name, whatever comes before it
        return _clean_metric(quoted.group(1), verbs=False) or None
    depth, i = 0, paren - 1
    while i >= 0:
        ch = sentence[i]
        if ch in "）)" and depth == 0 and re.search(r"[0-9]", sentence[max(0, i - 12) : i]):
            break  # "满意度（满意度95.10%）及推荐度（97.30%）": the name starts after the first figure's parenthesis
        if ch in "）)":
            depth += 1
        elif ch in "（(":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (ch in _SUBJECT_BREAKS or (ch == "、" and i > 0 and sentence[i - 1] in "）)")):
            break
        i -= 1
    # "留省就业率近六成（58.30%）": the parenthesis gives the exact figure of a rounded one
    subject = _ROUNDED_RE.sub("", _clean_metric(sentence[i + 1 : paren], verbs=False))
    if _JUDGEMENT_RE.search(subject):
        return None  # "研究生毕业生评价较高（94.80%）": the words judge the figure, they do not name it
    return subject or None


def _clean_metric(region: str, verbs: bool = True) -> str:
    """The metric words of a clause: no leading connectives (其中, 现有 …), no trailing verbs (为, 达到 …), no
    quotes or footnote reference, and only what follows the last 等 (``……等省级一流专业`` → 省级一流专业)."""
    t = _SUPERSCRIPT_MARKER_RE.sub("", re.sub(r"\s+", "", region))
    t = _INNER_FOOTNOTE_RE.sub("", t)
    for _ in range(3):
        before = t
        t = t.strip(_QUOTES)
        t = _TRAILING_WORDS.sub("", t) if verbs else t
        t = _FOOTNOTE_TAIL_RE.sub("", t)
        t = t.strip(_QUOTES)
        t = re.sub(r"^的|的$", "", t)
        t = _LEADING_WORDS.sub("", t)
        if t == before:
            break
    if "等" in t:
        tail = t.rsplit("等", 1)[1]
        if not tail:
            return ""  # "……专业有制药工程、动画等21个": a list, the thing counted is not named
        if not tail.startswith("级"):
            t = tail
    t = t.replace("“", "").replace("”", "").replace("「", "").replace("」", "")
    return t


def _following_noun(sentence: str, end: int) -> str | None:
    """The noun a classifier count counts: ``2个博士后科研流动站`` → 博士后科研流动站."""
    rest = sentence[end:]
    m = _NOUN_STOP_RE.search(rest)
    noun = rest[: m.start()] if m else rest
    noun = noun.strip(_QUOTES)
    if 2 <= len(noun) <= 15 and re.fullmatch(f"[{_CJK}]+", noun):
        return noun
    return None


def _is_metric(text: str) -> bool:
    return 2 <= len(text) <= 40 and len(re.findall(f"[{_CJK}]", text)) >= 2 and not _EMPTY_METRIC_RE.match(text)


def _clause_start(sentence: str, pos: int, figure_ends: Sequence[int]) -> int:
    """Where the clause holding ``pos`` begins: after a comma, colon or semicolon, or after a 、 that follows a
    figure (``协议和合同就业率60.10%、升学率14.20%``); a 、 inside a name (``国内、出国（境）升学率``) is no break."""
    start = max((sentence.rfind(ch, 0, pos) for ch in _CLAUSE_BREAKS), default=-1) + 1
    for i in range(pos - 1, start - 1, -1):
        if sentence[i] == "、" and (i in figure_ends or (i > 0 and sentence[i - 1] in "）)")):
            return i + 1
    return start


@dataclass(frozen=True)
class _Named:
    """The metric read for a figure of a sentence."""

    metric: str
    qualifier: str | None = None
    subject_at: int | None = None  # named after the name a parenthesis (at this offset) describes: 学院（520人）


def _sentence_facts(block: Block) -> list[Fact]:
    facts: list[Fact] = []
    text = block.text
    for s, e in _sentences(text):
        sentence = text[s:e]
        figures = find_figures(sentence)
        if not figures:
            continue
        # a period after 较/相较于/与 is the baseline of a comparison, not the period of the figure
        periods = [p for p in find_periods(sentence) if not re.search(r"[较于比与同]\s*$", sentence[: p.start])]
        figure_ends = [f.end for f in figures]
        cut = 0  # the metric region starts after the last figure read
        previous: tuple[str, int] | None = None  # metric and end of the previous fact in this sentence
        for fig in figures:
            named = _sentence_metric(sentence, fig, cut, previous, figure_ends)
            if fig.kind is not FigureKind.COUNT or named is not None:
                cut = fig.end
            if named is None:
                continue
            period = next((p.text for p in reversed(periods) if p.end <= fig.start), None)
            at = named.subject_at if named.subject_at is not None else fig.start
            metric = _with_population(named, *_population(sentence, at))
            metric = _LEADING_PERIOD_RE.sub("", metric) or metric  # the period is kept apart, in ``period``
            metric = _EVERYONE_RE.sub("", metric) or metric  # "毕业生对母校满意度": 对母校满意度
            facts.append(
                Fact(
                    metric=metric,
                    value=fig.value,
                    unit=fig.unit,
                    text=fig.text,
                    block_id=block.id,
                    page=block.page_at(s + fig.start),  # a paragraph may run onto the next page
                    start=s + fig.start,
                    end=s + fig.end,
                    origin=FactOrigin.SENTENCE,
                    evidence=sentence,
                    period=period,
                    qualifier=fig.qualifier or named.qualifier,
                )
            )
            previous = (metric, fig.end)
    return facts


def _population(sentence: str, pos: int) -> tuple[str | None, bool]:
    """The population the clause holding ``pos``, or the nearest clause before it, opens with (``本科毕业生……``),
    and whether it is the figure's own clause."""
    starts = [0] + [i + 1 for i, ch in enumerate(sentence[:pos]) if ch in _CLAUSE_BREAKS]
    for start in reversed(starts):
        clause = _LEADING_PERIOD_RE.sub("", _LEADING_WORDS.sub("", sentence[start:pos].lstrip()))
        m = _POPULATION_RE.match(clause)
        if m:
            return m.group(0), start == starts[-1]
        if _WHOLE_RE.match(clause):
            return None, False  # "全校……": about everyone
    return None, False


def _with_population(named: _Named, population: str | None, same_clause: bool) -> str:
    """The metric of a sentence about one population (``研究生毕业生……``) carries that population when it
    names none itself: ``毕业去向落实率`` → ``研究生毕业生毕业去向落实率``; ``某理工大学 · 人数`` →
    ``研究生毕业生/某理工大学 · 人数``. From an earlier clause only to a metric that names no one at all
    (``本科毕业生升学率达28.50%，现有全日制在校生21000余人``: the students are not the graduates)."""
    metric = named.metric
    if not population or _POPULATION_RE.search(metric) or _WHOLE_RE.search(metric):
        return metric
    if not same_clause and _SUBJECTFUL_RE.search(metric):
        return metric
    return f"{population}/{metric}" if named.subject_at is not None else population + metric


def _sentence_metric(
    sentence: str, fig: Figure, cut: int, previous: tuple[str, int] | None, figure_ends: Sequence[int]
) -> _Named | None:
    """The metric a figure in a sentence reports, or ``None`` when it cannot be named for sure."""
    after = half_width(sentence[fig.end : fig.end + 2])
    paren = _open_paren(sentence, fig.start)
    clause_start = _clause_start(sentence, fig.start, figure_ends)
    if after.startswith("的"):
        # "65%以上的毕业生留在本市就业": a share that opens its clause names what follows; "达到100%的专业"
        # (a threshold inside a phrase) names nothing
        if fig.kind is not FigureKind.PERCENT or paren is not None or _clean_metric(sentence[clause_start : fig.start]):
            return None
        end = min((i for ch in _CLAUSE_BREAKS if (i := sentence.find(ch, fig.end)) >= 0), default=len(sentence))
        metric = _clean_metric(sentence[fig.end + 1 : end])
        return _Named(metric) if _is_metric(metric) and not _CHANGE_RE.search(metric) else None
    if fig.unit == "倍":
        return None  # "是……的1.5倍" compares
    start = max(clause_start, cut, (paren + 1) if paren is not None else 0)
    region = sentence[start : fig.start]
    if sentence[: fig.start].count("“") > sentence[: fig.start].count("”"):
        return None  # "“离职3次及以上”": the figure is part of a quoted name
    if re.search(r"[=＝*×/÷]", region) or _RANK_RE.search(region.strip()):
        return None  # a formula (落实率=落实人数/总人数*100%) or a rank (位列第19, 前1%)
    reached = _REACHED_RE.search(region)
    if reached:  # "规模增长至3900人": the level reached, not the change
        region = region[: reached.start()]
    elif _CHANGE_RE.search(region) and fig.unit not in ("个百分点", "百分点"):
        return None  # a change written in % reads like a level; only 百分点 marks it as a change
    qualifier = "约" if re.search(r"约为?\s*$", region) else None
    if fig.kind is FigureKind.COUNT:
        # a bare number is a figure only right after 为/是/达 and at the end of its clause ("生师比为18.46。")
        if not region.rstrip().endswith(_SENTENCE_UNITLESS_VERBS):
            return None
        if after[:1] and after[:1] not in "，,。；;！？!?）)\n":
            return None
    label = _clean_metric(region)
    prev_metric = previous[0] if previous else None
    if paren is not None and not re.search(r"(?:为|是|达到?)\s*$", region):
        subject = _subject_before(sentence, paren, figure_ends)
        if subject is None:
            # "2400人（占比88.10%）": the parenthesis describes the figure before it, named by that fact
            if previous is None or previous[1] != paren:
                return None
            if re.search(r"[率度]$", label) and _is_metric(label):
                return _Named(label, qualifier)  # "国内升学800人（国内升学率20.10%）": a metric of its own
            subject = previous[0].split(MATRIX_SEPARATOR)[0]
        if not _is_metric(subject) or len(subject) > 30:
            return None
        return _Named(f"{subject}{MATRIX_SEPARATOR}{label}" if label else subject, qualifier, subject_at=paren)
    if fig.unit[-1:] in _CLASSIFIERS and fig.unit not in ("个月",):
        nxt = sentence[fig.end : fig.end + 1]
        if nxt and re.match(f"[{_CJK}“]", nxt) and not _NOUN_STOP_RE.match(nxt):
            # "2个博士后科研流动站": the classifier counts the noun after it
            noun = _following_noun(sentence, fig.end)
            if noun is None or any(noun.startswith(g) for g in _GENERIC_NOUNS):
                return None  # "从十个方面进行分析" counts the report's own sections
            head = label if start == clause_start else ""
            metric = head + noun
            return _Named(metric, qualifier) if _is_metric(metric) and len(metric) >= 3 else None
    if not label or _LEADING_PERIOD_RE.fullmatch(label):
        trend = _trend_subject(sentence, clause_start)
        if trend:  # "……满意度持续上升，2023届达95.80%"
            return _Named(trend, qualifier)
    share = label in ("占比", "占比例") or bool(re.match(r"\s*占.+的\s*$", region))
    if share or not label:
        # "男生2100人，占毕业生总人数的52.50%": the share is the men's ("占地1500亩" is no share)
        if not prev_metric or not label or MATRIX_SEPARATOR in prev_metric:
            return None
        return _Named(prev_metric + label, qualifier)
    adjacent = previous is not None and sum(ch in _CLAUSE_BREAKS for ch in sentence[previous[1] : clause_start]) == 1
    own_subject = "“" in region or region.lstrip().startswith("其中")  # a category or a subset named anew
    if prev_metric and adjacent and start == clause_start and MATRIX_SEPARATOR not in prev_metric and not own_subject:
        label = _inherit_subject(prev_metric, label)
    if not _is_metric(label):
        return None
    return _Named(label, qualifier)


def _trend_subject(sentence: str, clause_start: int) -> str | None:
    """The metric whose trend the clause before describes (``2021-2023届毕业生的就业率稳中略降``), if any."""
    if clause_start == 0:
        return None
    before = sentence[_clause_start(sentence, clause_start - 1, ()) : clause_start - 1]
    trend = _TREND_RE.search(before)
    if not trend:
        return None
    subject = _clean_metric(_LEADING_PERIOD_RE.sub("", before[: trend.start()].strip()))
    subject = _EVERYONE_RE.sub("", subject)
    return subject if _is_metric(subject) and _MEASURE_END_RE.search(subject) else None


def _inherit_subject(previous: str, label: str) -> str:
    """Give a clause without subject the subject of the clause before.

    ``男生毕业去向落实人数1500人，毕业去向落实率为91.20%``: the rate is the men's, so the second metric becomes
    ``男生毕业去向落实率``. The subject is what precedes, in the previous metric, the longest start of this
    metric that it contains (at least four characters), and only when that is a population (男生, 省内生源 …).
    """
    if previous.endswith(label):
        return label  # "“非常满意”占比…，“满意”占比": a sibling category, not a clause without subject
    for size in range(len(label), 3, -1):
        k = previous.rfind(label[:size])
        if k > 0:
            return previous[:k] + label if _POPULATION_RE.fullmatch(previous[:k]) else label
        if k == 0:
            return label
    return label


# --- document -------------------------------------------------------------------------------------------


def extract_facts(document: Document) -> tuple[Fact, ...]:
    """Every figure the document reports, as facts, in reading order.

    Args:
        document: a parsed document (tables carry ``rows`` and their ``cell | cell`` text).

    Returns:
        The facts; each is verbatim in its block (``block.text[start:end] == text``) and its evidence (row
        or sentence) is a substring of the block text. Deterministic: the same document gives the same facts.
    """
    facts: list[Fact] = []
    for i, block in enumerate(document.blocks):
        if block.kind is BlockKind.TABLE:
            facts.extend(_table_facts(document.blocks, i))
        else:
            facts.extend(_sentence_facts(block))
    return tuple(facts)
