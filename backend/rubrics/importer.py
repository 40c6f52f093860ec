"""Import an indicator table (XLSX or CSV) into a rubric.

Universities and the secretariat hold their indicator systems as spreadsheets with columns such as
一级指标 / 二级指标 / 审核重点 / 定量指标 / 权重, often with merged cells and a title row above the header.
:func:`import_table` turns such a table into a :class:`Rubric` whose texts are all ``official``:

* the header row is found among the first rows by its column names (synonyms accepted);
* 一级 and 二级 cells are filled down (merged or left blank under the first row of a group);
* codes in cells (``1``, ``一、``, ``2.3``, ``2.3.1``, ``（1）``) become ids; missing codes are numbered;
* a 定量指标 cell may list several metrics (one per line, or separated by ；); each becomes a
  quantitative review point, its unit taken from a 单位 column, from brackets (``生师比（:1）``) or from
  the name (占比 → %);
* a 权重 cell merged over an indicator's rows is that indicator's weight, otherwise the row's weight.

Rows that cannot be placed (a note row, a point before any 一级指标) are skipped and reported. A table
that is malformed (no header, a weight that is not a number, a code that contradicts its parent,
duplicate codes, an indicator without review points) is rejected with one message per row.

Query phrasings and key terms are derived from the official text, to be refined by an author.

Example:
    >>> rows = [["一级指标", "二级指标", "审核重点"], ["1 质量保障", "1.1 质量文化", "1.1.1 质量文化"]]
    >>> r = rubric_from_rows(rows, rubric_id="demo", name="示例").rubric
    >>> [p.id for _, p in r.iter_points()]
    ['1.1.1']
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backend.domain.enums import InstitutionType, SubmissionKind
from backend.errors import ErrorCode
from backend.rubrics.loader import Problem, RubricError, format_loc, parse_rubric, rubric_to_yaml
from backend.rubrics.models import Rubric, Selection

# Column roles and the header names that announce them (first match wins, in this order).
COLUMNS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标", "一级", "评价维度", "维度"),
    "level2": ("二级指标", "二级"),
    "quantitative": ("定量指标", "定量", "数据指标"),
    "point": ("审核重点", "审核要点", "主要观测点", "观测点", "评价要点", "考察重点", "评价内容", "指标内涵"),
    "weight": ("权重", "分值"),
    "unit": ("单位",),
    "floor": ("国家标准", "国家底线", "底线", "标准值", "参考值"),
    "selection": ("必选", "可选", "选项类型", "指标类型", "类型"),
}
HEADER_SCAN_ROWS = 15
NOTE_PREFIXES = ("注", "说明", "备注", "填表说明")
KEY_TERM_STOPWORDS = frozenset(
    {"情况", "学校", "以及", "及其", "建设", "工作", "相关", "有效", "是否", "方面", "主要", "进一步"}
    | {"包括", "开展", "加强", "推进", "落实", "能够"}
)
DEFAULT_SCALE = [
    {
        "id": "A",
        "label": "充分",
        "score": 4,
        "evidence": "有明确表述、具体做法和成效数据，并与支撑材料一致。",
    },
    {"id": "B", "label": "较充分", "score": 3, "evidence": "有做法和部分数据，成效或问题分析不完整。"},
    {"id": "C", "label": "不充分", "score": 2, "evidence": "以原则性表述为主，缺少数据和事实。"},
    {"id": "D", "label": "缺失", "score": 1, "evidence": "未涉及。"},
]
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CODE = re.compile(
    r"^\s*(?:[（(]\s*(?P<paren>\d+|[一二三四五六七八九十]{1,3})\s*[）)]"  # （1） （一）
    r"|(?P<dotted>\d+(?:\s*[.．]\s*\d+)+)(?![\d%])\s*[.．、:：]?"  # 1.1  2.3.1（separator optional）
    r"|(?P<plain>\d+|[一二三四五六七八九十]{1,3})\s*(?:[.．、:：]|\s)(?!\d))\s*"  # 1  1.  一、
)
_UNIT_IN_BRACKETS = re.compile(
    r"[（(]\s*(%|‰|元|万元|册|人|门|个|项|平方米|m2|m²|:1|：1|1:|1：|h|学时|学分)\s*[）)]\s*$"
)


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and the top-left (row, col) of the merged range it belongs to, if any."""

    text: str = ""
    origin: tuple[int, int] | None = None
    row_span: int = 1

    def is_continuation(self, row: int, col: int) -> bool:
        """Whether this cell repeats a merged value whose top-left cell is elsewhere."""
        return self.origin is not None and self.origin != (row, col)


Table = list[list[Cell]]


@dataclass(frozen=True)
class ImportResult:
    """The imported rubric, and the rows it skipped (each a :class:`Problem` with path ``row N``)."""

    rubric: Rubric
    skipped: list[Problem]


def read_table(path: Path) -> Table:
    """Cells of the first sheet of an XLSX file (merged ranges expanded) or of a CSV file.

    Raises:
        RubricError: ``BAD_FILE`` when the file cannot be read as a table.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            return _read_xlsx(path)
        if path.suffix.lower() == ".csv":
            return _read_csv(path)
    except (OSError, ValueError, KeyError) as e:
        raise RubricError(ErrorCode.BAD_FILE, "无法读取指标表。", [Problem("", str(e), file=str(path))]) from e
    raise RubricError(
        ErrorCode.BAD_FILE,
        "指标表须为 XLSX 或 CSV 文件。",
        [Problem("", "unsupported file type", file=str(path))],
    )


def _read_xlsx(path: Path) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, data_only=True).worksheets[0]
    except zipfile.BadZipFile as e:
        raise ValueError(f"not an XLSX file: {e}") from e
    rows = [[Cell(_text(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        r0, c0 = merged.min_row - 1, merged.min_col - 1
        if r0 >= len(rows):
            continue
        origin_text = rows[r0][c0].text
        span = merged.max_row - merged.min_row + 1
        for r in range(r0, min(merged.max_row, len(rows))):
            for c in range(c0, merged.max_col):
                rows[r][c] = Cell(origin_text, (r0, c0), span)
    return rows


def _read_csv(path: Path) -> Table:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("CSV is neither UTF-8 nor GB18030")
    return [[Cell(_text(v)) for v in row] for row in csv.reader(text.splitlines())]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").strip()


def import_table(
    path: Path,
    *,
    rubric_id: str,
    name: str,
    version: str = "1.0",
    date: dt.date | None = None,
    institution_types: Sequence[InstitutionType] = tuple(InstitutionType),
    submission_kinds: Sequence[SubmissionKind] = (SubmissionKind.SELF_EVALUATION,),
) -> ImportResult:
    """Read ``path`` (XLSX or CSV) and build a rubric; see the module docstring.

    Raises:
        RubricError: ``BAD_FILE`` for an unreadable file; ``IMPORT_FAILED`` with row-level problems.
    """
    return rubric_from_rows(
        read_table(path),
        rubric_id=rubric_id,
        name=name,
        version=version,
        document=Path(path).name,
        date=date,
        institution_types=institution_types,
        submission_kinds=submission_kinds,
    )


def rubric_from_rows(
    rows: Sequence[Sequence[Cell | str]],
    *,
    rubric_id: str,
    name: str,
    version: str = "1.0",
    document: str = "导入的指标表",
    date: dt.date | None = None,
    institution_types: Sequence[InstitutionType] = tuple(InstitutionType),
    submission_kinds: Sequence[SubmissionKind] = (SubmissionKind.SELF_EVALUATION,),
) -> ImportResult:
    """Build a rubric from table rows (cells or plain strings); see :func:`import_table`."""
    table = [[c if isinstance(c, Cell) else Cell(_text(c)) for c in row] for row in rows]
    builder = _Builder(table)
    builder.run()
    if builder.errors:
        raise RubricError(ErrorCode.IMPORT_FAILED, f"指标表有 {len(builder.errors)} 处问题，未导入。", builder.errors)
    data = {
        "id": rubric_id,
        "name": name,
        "version": version,
        "source": {
            "document": document,
            **({"date": date} if date else {}),
            "note": "由指标表导入：指标和审核重点文本均为原文（official）；查询表述和关键词由原文自动生成，"
            "预期证据待补充。",
        },
        "applicability": {
            "institution_types": [t.value for t in institution_types],
            "submission_kinds": [k.value for k in submission_kinds],
        },
        "scale": DEFAULT_SCALE,
        "indicators": builder.indicators,
    }
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as e:
        problems = [Problem(format_loc(tuple(err["loc"])), str(err["msg"])) for err in e.errors()]
        raise RubricError(ErrorCode.IMPORT_FAILED, "导入结果不是有效的指标体系。", problems) from e
    return ImportResult(rubric, builder.skipped)


@dataclass
class _Node:
    """An indicator being built, with the sheet row that opened it."""

    data: dict[str, Any]
    row: int
    text: str
    points: int = 0
    last_number: int = 0
    children: list[_Node] = field(default_factory=list)
    metrics: list[tuple[str, list[Cell], int]] = field(default_factory=list)

    def next_id(self) -> str:
        """The next free ``<indicator>.<n>`` review point id."""
        return f"{self.data['id']}.{self.last_number + 1}"


class _Builder:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.errors: list[Problem] = []
        self.skipped: list[Problem] = []
        self.indicators: list[dict[str, Any]] = []
        self.cols: dict[str, int] = {}
        self.ids: dict[str, int] = {}
        self.nodes: list[_Node] = []
        self.top: list[_Node] = []

    # -- helpers --------------------------------------------------------------------------------
    def error(self, row: int, message: str) -> None:
        self.errors.append(Problem(f"row {row + 1}", message))

    def cell(self, row: list[Cell], role: str) -> Cell:
        col = self.cols.get(role)
        return row[col] if col is not None and col < len(row) else Cell()

    def fresh(self, row: list[Cell], r: int, role: str) -> str:
        """The cell's text where this row holds it (not a merged continuation)."""
        col = self.cols.get(role)
        if col is None or col >= len(row) or row[col].is_continuation(r, col):
            return ""
        return row[col].text

    def claim(self, ident: str, r: int) -> bool:
        if ident in self.ids:
            self.error(r, f"编号 {ident} 重复（第 {self.ids[ident] + 1} 行已使用）")
            return False
        self.ids[ident] = r
        return True

    # -- the pass -------------------------------------------------------------------------------
    def run(self) -> None:
        header = self.find_header()
        if header is None:
            self.errors.append(
                Problem(
                    "header",
                    "找不到表头：需要“一级指标”列，以及“审核重点”（或观测点）列或“定量指标”列",
                )
            )
            return
        l1: _Node | None = None
        l2: _Node | None = None
        for r in range(header + 1, len(self.table)):
            row = self.table[r]
            if not any(c.text for c in row):
                continue
            if self.is_note(row, r):
                self.skipped.append(Problem(f"row {r + 1}", f"说明行，未导入：{_short(row)}"))
                continue
            new_l1 = self.fresh(row, r, "level1")
            new_l2 = self.fresh(row, r, "level2")
            # a table without merged cells may repeat the indicator on every row of its group
            if new_l1 and (l1 is None or new_l1 != l1.text):
                l1 = self.open_indicator(new_l1, r, None)
                l2 = None
            if new_l2 and (l2 is None or new_l2 != l2.text):
                if l1 is None:
                    self.skipped.append(Problem(f"row {r + 1}", f"二级指标没有所属的一级指标：{new_l2}"))
                    continue
                l2 = self.open_indicator(new_l2, r, l1)
            parent = l2 or l1
            self.apply_weight(row, r, l1, l2)
            point = self.fresh(row, r, "point")
            metrics = self.fresh(row, r, "quantitative")
            if not (point or metrics):
                continue
            if parent is None:
                self.skipped.append(Problem(f"row {r + 1}", f"无法归入任何指标：{point or metrics}"))
                continue
            if point:
                self.add_point(parent, point, row, r)
            # metrics are numbered after the qualitative points of their indicator
            parent.metrics += [(metric, row, r) for metric in _split_metrics(metrics)]
        for node in self.nodes:
            for metric, row, r in node.metrics:
                self.add_metric(node, metric, row, r)
        for node in self.nodes:
            if not node.points and not node.children:
                self.error(node.row, f"指标 {node.data['id']} {node.data['name']} 没有审核重点")

    def find_header(self) -> int | None:
        for r, row in enumerate(self.table[:HEADER_SCAN_ROWS]):
            cols: dict[str, int] = {}
            for c, cell in enumerate(row):
                label = re.sub(r"\s+", "", cell.text)
                if not label or len(label) > 20 or cell.is_continuation(r, c):
                    continue
                for role, names in COLUMNS.items():
                    if role not in cols and any(n in label for n in names):
                        cols[role] = c
                        break
            if "level1" in cols and ("point" in cols or "quantitative" in cols):
                self.cols = cols
                return r
        return None

    def is_note(self, row: list[Cell], r: int) -> bool:
        texts = [c.text for c in row if c.text]
        first = self.cell(row, "level1").text
        if first.startswith(NOTE_PREFIXES):
            return True
        # one merged cell across the whole row (a title or note), not an indicator cell
        origins = {c.origin for c in row if c.text}
        return len(origins) == 1 and None not in origins and len(texts) > 2

    def open_indicator(self, text: str, r: int, parent: _Node | None) -> _Node:
        code, title = _split_code(text)
        siblings = parent.children if parent else self.top
        if parent is None:
            ident = code or str(len(siblings) + 1)
        elif code is None:
            ident = f"{parent.data['id']}.{len(siblings) + 1}"
        elif "." in code:
            ident = code
            if not code.startswith(parent.data["id"] + "."):
                self.error(r, f"二级指标编号 {code} 与所属一级指标 {parent.data['id']} 不一致")
        else:
            ident = f"{parent.data['id']}.{code}"
        node = _Node(
            {
                "id": ident,
                "name": title or text,
                "text_origin": "official",
                "review_points": [],
                "children": [],
            },
            r,
            text,
        )
        if parent is None:
            self.top.append(node)
            self.indicators.append(node.data)
        else:
            parent.children.append(node)
            parent.data["children"].append(node.data)
        self.claim(ident, r)
        self.nodes.append(node)
        return node

    def apply_weight(self, row: list[Cell], r: int, l1: _Node | None, l2: _Node | None) -> None:
        """A weight cell merged over several rows belongs to the indicator whose rows it spans.

        Where a 一级指标 has a single 二级指标 spanning the same rows, the 一级指标 gets it.
        """
        col = self.cols.get("weight")
        if col is None or col >= len(row) or not row[col].text or row[col].is_continuation(r, col):
            return
        span = row[col].row_span
        if span <= 1:
            return  # a point's own weight, read in finish_point
        opened = [
            (n, self.cell(row, role).row_span) for n, role in ((l1, "level1"), (l2, "level2")) if n and n.row == r
        ]
        target = next((n for n, n_span in opened if n_span == span), None)
        if target is None:
            self.error(r, f"权重单元格合并了 {span} 行，与任何指标的行数都不对应")
            return
        weight = self.parse_weight(row[col].text, r)
        if weight is not None:
            target.data["weight"] = weight

    def parse_weight(self, text: str, r: int) -> float | None:
        raw = text.strip().rstrip("分").strip()
        percent = raw.endswith("%")
        try:
            value = float(raw.rstrip("%"))
        except ValueError:
            self.error(r, f"权重“{text}”不是数字")
            return None
        if value <= 0:
            self.error(r, f"权重“{text}”须大于 0")
            return None
        return value / 100 if percent else value

    def point_weight(self, row: list[Cell], r: int) -> float | None:
        col = self.cols.get("weight")
        if col is None or col >= len(row) or not row[col].text or row[col].row_span > 1:
            return None
        return self.parse_weight(row[col].text, r)

    def selection(self, row: list[Cell], r: int) -> str | None:
        text = self.cell(row, "selection").text
        if not text:
            return None
        for sel in sorted(Selection, key=lambda s: -len(s.value)):
            if sel.value in text:
                return sel.value
        self.error(r, f"指标类型“{text}”无法识别（应为 必选/可选/特色可选/首评限选）")
        return None

    def point_id(self, parent: _Node, code: str | None, r: int) -> str:
        pid = parent.data["id"]
        if code is None:
            return parent.next_id()
        if "." in code:
            if not code.startswith(pid + "."):
                self.error(r, f"审核重点编号 {code} 与所属指标 {pid} 不一致")
            return code
        return f"{pid}.{code}"

    def add_point(self, parent: _Node, text: str, row: list[Cell], r: int) -> None:
        code, body = _split_code(text)
        body = body or text
        pid = self.point_id(parent, code, r)
        if not self.claim(pid, r):
            return
        terms = _key_terms(body, parent.data["name"])
        point: dict[str, Any] = {
            "id": pid,
            "text": body,
            "text_origin": "official",
            "queries": _queries(body, parent.data["name"]),
            "key_terms": terms,
        }
        self.finish_point(parent, point, row, r)

    def add_metric(self, parent: _Node, text: str, row: list[Cell], r: int) -> None:
        name, unit = _metric_name_unit(text, self.cell(row, "unit").text)
        pid = parent.next_id()
        if not self.claim(pid, r):
            return
        metric: dict[str, Any] = {"name": name, "unit": unit}
        floor_text = self.fresh(row, r, "floor")
        if floor_text:
            floor = _parse_floor(floor_text)
            if floor is None:
                self.error(r, f"国家标准“{floor_text}”无法识别（示例：≤18、≥25%、不低于15）")
            else:
                metric["national_floor"], metric["floor_direction"] = floor
                metric["floor_basis"] = floor_text
        point: dict[str, Any] = {
            "id": pid,
            "text": text,
            "text_origin": "official",
            "kind": "quantitative",
            "queries": [name, f"近三年{name}的变化"],
            "key_terms": [name],
            "metric": metric,
        }
        self.finish_point(parent, point, row, r)

    def finish_point(self, parent: _Node, point: dict[str, Any], row: list[Cell], r: int) -> None:
        weight = self.point_weight(row, r)
        if weight is not None:
            point["weight"] = weight
        selection = self.selection(row, r)
        if selection:
            point["selection"] = selection
        parent.data["review_points"].append(point)
        parent.points += 1
        suffix = point["id"].rsplit(".", 1)[-1]
        if suffix.isdigit():
            parent.last_number = max(parent.last_number, int(suffix))


def _short(row: list[Cell]) -> str:
    text = next((c.text for c in row if c.text), "")
    return text if len(text) <= 40 else text[:39] + "…"


def _split_code(text: str) -> tuple[str | None, str]:
    """``"2.3 质保机制"`` -> ``("2.3", "质保机制")``; ``"一、党的领导"`` -> ``("1", "党的领导")``.

    A code needs a separator or brackets, so ``一流专业`` and ``2021年`` keep their text.
    """
    text = text.strip()
    m = _CODE.match(text)
    rest = text[m.end() :].strip() if m else ""
    if not m or not rest:
        return None, text
    code = re.sub(r"\s+", "", m.group("paren") or m.group("dotted") or m.group("plain")).replace("．", ".")
    return (str(_cn_number(code)) if code[0] in _CN_DIGITS else code), rest


def _cn_number(text: str) -> int:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS[text[1]]
    if len(text) == 3 and text[1] == "十":
        return _CN_DIGITS[text[0]] * 10 + _CN_DIGITS[text[2]]
    if len(text) == 2 and text[1] == "十":
        return _CN_DIGITS[text[0]] * 10
    return _CN_DIGITS[text[0]]


def _split_metrics(text: str) -> list[str]:
    parts = re.split(r"[\n；;]+", text)
    out = []
    for part in parts:
        part = re.sub(r"^\s*(?:[（(]?\d+[）)]|\d+[.．、]|[①-⑳])\s*", "", part).strip()
        if part:
            out.append(part)
    return out


def _metric_name_unit(text: str, unit_column: str) -> tuple[str, str]:
    m = _UNIT_IN_BRACKETS.search(text)
    name = text[: m.start()].strip() if m else text.strip()
    unit = unit_column.strip() or (m.group(1).replace("：", ":") if m else "") or _infer_unit(name)
    return name, unit


def _infer_unit(name: str) -> str:
    if "生师比" in name:
        return ":1"
    if re.search(r"与(在校生|应届毕业生|学生)之?比", name):
        return "1:"
    if re.search(r"(占比|比例|比率|率)$|占.*比", name):
        return "%"
    if "图书" in name:
        return "册"
    if "面积" in name:
        return "平方米"
    if re.search(r"(支出|经费|设备值|收入)", name):
        return "元"
    if re.search(r"(教师数|人数)", name):
        return "人"
    return "—"


def _parse_floor(text: str) -> tuple[float, str] | None:
    at_most = re.search(r"≤|<=|不高于|不超过|以下|低于", text) and not re.search(r"不低于", text)
    m = re.search(r"(?:1\s*[:：]\s*)?(\d+(?:\.\d+)?)", text)
    if not m:
        return None
    direction = "at_most" if at_most or re.search(r"1\s*[:：]\s*\d", text) else "at_least"
    if "生师比" in text or re.search(r"\d\s*[:：]\s*1\b", text):
        direction = "at_most"
    return float(m.group(1)), direction


def _key_terms(text: str, indicator: str) -> list[str]:
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    terms = [
        t
        for t in jieba.analyse.extract_tags(text, topK=8)
        if t not in KEY_TERM_STOPWORDS and len(t) > 1 and not t.isdigit()
    ][:4]
    return terms or [indicator]


def _queries(text: str, indicator: str) -> list[str]:
    """The official text as a statement, and as a school would open a paragraph on it."""
    first = re.sub(r"(的)?情况$", "", text.rstrip("。；;")).strip() or text
    second = f"{indicator}方面，{first}" if first.startswith(("学校", "我校")) else f"我校{first}"
    return [first, second]


# --- writing, with versioning --------------------------------------------------------------------


def write_imported(rubric: Rubric, out: Path) -> tuple[Path, Path | None]:
    """Write ``rubric`` to ``out``; an earlier version there is first moved to ``archive/``.

    Returns:
        The file written and the archived file, if any.

    Raises:
        RubricError: ``CONFLICT`` when ``out`` holds the same id and version with different content
        (an edited rubric must carry a new version, so that reviews that used the old one stay valid).
    """
    out = Path(out)
    archived: Path | None = None
    if out.exists():
        try:
            existing = parse_rubric(out.read_text(encoding="utf-8"), file=str(out))
        except RubricError:
            existing = None
        if existing is not None and existing.id == rubric.id:
            if existing.version == rubric.version:
                if existing.fingerprint != rubric.fingerprint:
                    raise RubricError(
                        ErrorCode.CONFLICT,
                        f"{out} 已有指标体系 {rubric.id} 版本 {rubric.version}，内容不同；"
                        "请用 --version 指定新版本号。",
                        [Problem("version", "same id and version, different content", file=str(out))],
                    )
            else:
                archived = out.parent / "archive" / f"{existing.id}@{existing.version}.yaml"
                archived.parent.mkdir(parents=True, exist_ok=True)
                archived.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(rubric_to_yaml(rubric), encoding="utf-8")
    return out, archived
