"""状态数据: the spreadsheets a university reports to the national database, read into facts with their cell.

:func:`read_state_data` takes an XLSX workbook (one or many sheets) or a CSV file and returns a
:class:`StateData`: a :class:`~indexing.models.Document` (per sheet a heading, then each table of the sheet
as a table block, its title rows as paragraphs before it) and the :class:`~indexing.models.Fact` objects of
its figures, each with ``sheet``, ``row`` and ``column`` of its cell in the workbook (0-based).

The table reading is :mod:`indexing.facts`' own, so a sheet is read as a table in a report is read:

* merged header cells span the columns below them (``本科生`` over ``人数 | 占比（%）``): openpyxl keeps a merged
  cell's value in its top-left cell and leaves the others blank, which is how the table reader expects a
  spanning header; merged row labels (a college over its majors) are carried down the same way;
* units come from the header (``教学经费（万元）``), a unit line (``单位：万元``) or a title row;
* a column headed by a year (``2022年``, ``2022-2023学年``, or a bare ``2022`` cell) gives the period;
  a row whose label is a period (``2022学年 | 18.46 | 1732``) gives the period of its figures, and the metric
  is the column's;
* a title row (one merged cell across the table, ``表1-1 学校基本情况（2023年）``) gives the caption, and its
  period when it names one.

A sheet may hold several tables one under the other, separated by a blank row. Cells are written as the
spreadsheet shows them: a percent-formatted 0.853 is ``85.3%``, a float keeps its digits (``18.46``).

Example:
    >>> sd = read_state_data("指标,2022年\\n生师比,18.46\\n".encode(), name="状态数据.csv")
    >>> [(f.metric, f.value, f.period, f.sheet, f.row, f.column) for f in sd.facts]
    [('生师比', 18.46, '2022年', '状态数据', 1, 1)]
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass, replace

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.facts import MATRIX_SEPARATOR, extract_facts
from indexing.figures import find_periods, parse_figure
from indexing.models import Block, BlockKind, Document, Fact, MediaType
from indexing.parsing.sniff import decode_text

__all__ = ["StateData", "cell_address", "read_state_data"]

log = logging.getLogger(__name__)

_MAX_CELLS = 2_000_000  # a workbook larger than this is not a state-data report
_YEAR_CELL_RE = re.compile(r"^(?:19|20)[0-9]{2}$")
# A merged header over the year columns that names nothing but the years (统计年度 over 2022学年, 2023学年).
_YEAR_COLUMN_RE = re.compile(r"^(?:统计)?(?:年度|年份|学年|时间|期间|数据|数值)(?P<period>.+)$")
_FIXED_FORMAT_RE = re.compile(r"^(?P<grouped>#,##)?0(?:\.(?P<decimals>0+))?$")
_UNIT_HEADERS = frozenset({"单位", "计量单位", "统计单位"})


@dataclass(frozen=True)
class StateData:
    """A parsed state-data file: its document (for search) and the facts of its cells."""

    document: Document
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class _Grid:
    """One sheet as text cells, 0-based, merged cells' values only in their top-left cell."""

    name: str
    cells: tuple[tuple[str, ...], ...]


def cell_address(row: int, column: int) -> str:
    """The spreadsheet address of a 0-based cell (``cell_address(4, 1) == "B5"``)."""
    letters, n = "", column + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _number_text(value: float | int, number_format: str) -> str:
    """A numeric cell as the sheet shows it, closely enough to read the same figure back."""
    if isinstance(value, bool):
        return str(value)
    if "%" in number_format:
        decimals = len(number_format.split(".")[1].split("%")[0]) if "." in number_format else 0
        return f"{value * 100:.{decimals}f}%"
    fixed = _FIXED_FORMAT_RE.match(number_format)
    if fixed:  # "0.00": the sheet shows two decimals, and so the figure is stated to two decimals
        decimals = len(fixed.group("decimals") or "")
        return f"{value:,.{decimals}f}" if fixed.group("grouped") else f"{value:.{decimals}f}"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(round(float(value), 10)).rstrip("0").rstrip(".")


def _cell_text(value: object, number_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return _number_text(value, number_format)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    # A cell's own line breaks and the renderer's separator must not split a table row.
    return re.sub(r"\s+", " ", str(value)).replace(" | ", "｜").replace("|", "｜").strip()


def _xlsx_grids(data: bytes) -> list[_Grid]:
    from openpyxl import load_workbook  # imported here: only state data needs it

    workbook = load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    grids = []
    total = 0
    for sheet in workbook.worksheets:
        if sheet.sheet_state != "visible":
            continue  # a hidden sheet holds lookups, not reported figures
        total += sheet.max_row * sheet.max_column
        if total > _MAX_CELLS:
            raise IndexingError(
                IndexingErrorCode.FILE_TOO_LARGE,
                "表格过大，超过状态数据表的处理上限。请只保留需要比对的工作表后重新上传。",
                f"workbook has more than {_MAX_CELLS} cells",
            )
        rows = tuple(tuple(_cell_text(c.value, c.number_format or "") for c in row) for row in sheet.iter_rows())
        grids.append(_Grid(sheet.title, rows))
    return grids


def _csv_grid(data: bytes, name: str) -> _Grid:
    decoded = decode_text(data)
    if decoded is None:
        raise IndexingError(
            IndexingErrorCode.UNSUPPORTED_TYPE,
            "无法识别该 CSV 文件的文字编码。请用 Excel 或 WPS 另存为 .xlsx 或 UTF-8 编码的 CSV 后重新上传。",
            "CSV bytes are not text in UTF-8, UTF-16 or GB18030",
        )
    text = decoded[0]
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = tuple(tuple(_cell_text(c, "") for c in row) for row in csv.reader(io.StringIO(text), dialect))
    stem = re.sub(r"\.[A-Za-z]{2,4}$", "", name) or "CSV"
    return _Grid(stem, rows)


def _grids(data: bytes, name: str) -> tuple[MediaType, list[_Grid]]:
    if not data:
        raise IndexingError(IndexingErrorCode.EMPTY_FILE, "文件为空（0 字节），请检查后重新上传。", "file has 0 bytes")
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                is_xlsx = "xl/workbook.xml" in z.namelist()
        except zipfile.BadZipFile as exc:
            raise IndexingError(
                IndexingErrorCode.CORRUPT_FILE,
                "表格文件已损坏，无法读取。请用 Excel 或 WPS 打开确认后重新保存上传。",
                f"bad zip: {exc}",
            ) from exc
        if not is_xlsx:
            raise IndexingError(
                IndexingErrorCode.UNSUPPORTED_TYPE,
                "状态数据只接受 Excel 表格（.xlsx）或 CSV 文件；该文件不是 Excel 表格。",
                "ZIP without xl/workbook.xml",
            )
        try:
            return MediaType.XLSX, _xlsx_grids(data)
        except IndexingError:
            raise
        except Exception as exc:  # openpyxl failed on this file: say so, never crash the caller
            raise IndexingError(
                IndexingErrorCode.CORRUPT_FILE,
                "Excel 表格已损坏或格式异常，无法读取。请用 Excel 或 WPS 打开确认，另存为 .xlsx 后重新上传。",
                f"openpyxl failed: {type(exc).__name__}: {str(exc)[:300]}",
            ) from exc
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise IndexingError(
            IndexingErrorCode.UNSUPPORTED_TYPE,
            "不支持旧版 Excel（.xls）文件。请用 Excel 或 WPS 打开后“另存为” .xlsx，再重新上传。",
            "OLE2 compound file",
        )
    return MediaType.CSV, [_csv_grid(data, name)]


def _title_row(row: tuple[str, ...]) -> bool:
    """A row with one text cell only: a title (merged across the table) or a unit line, never a table row."""
    filled = [c for c in row if c]
    return len(filled) == 1 and not re.fullmatch(r"[0-9.,%\s-]+", filled[0])


@dataclass(frozen=True)
class _Part:
    """A table of a sheet: its title lines and its rows, with their sheet row numbers."""

    titles: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    sheet_rows: tuple[int, ...]
    first_col: int


def _parts(grid: _Grid) -> list[_Part]:
    """The sheet's tables: runs of non-blank rows; leading one-cell rows are their titles."""
    parts: list[_Part] = []
    run: list[int] = []
    for i, row in enumerate((*grid.cells, ())):
        if any(row):
            run.append(i)
            continue
        if run:
            titles = []
            while run and _title_row(grid.cells[run[0]]) and len(run) > 1:
                titles.append(next(c for c in grid.cells[run[0]] if c))
                run.pop(0)
            rows = [grid.cells[r] for r in run]
            first = min(next(k for k, c in enumerate(r) if c) for r in rows)
            last = max(max(k for k, c in enumerate(r) if c) for r in rows) + 1
            parts.append(_Part(tuple(titles), tuple(r[first:last] for r in rows), tuple(run), first))
            run = []
    return parts


def _header_years(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """A bare year cell in a header row (``2022``) is written ``2022年``, so it reads as a period, not a value."""
    out = []
    for i, row in enumerate(rows):
        texts = [c for c in row if c]
        years = [c for c in texts if _YEAR_CELL_RE.match(c)]
        header_like = i < 3 and years and len(years) >= len(texts) - 2 and len(years) >= 2
        out.append(
            tuple(f"{c}年" if header_like and _YEAR_CELL_RE.match(c) else c for c in row) if header_like else row
        )
    return out


def _unit_column(part: _Part) -> int | None:
    """The sheet column of a ``单位`` column in the table's first rows (``指标 | 2022年 | 单位``), if any."""
    for row in part.rows[:3]:
        for k, text in enumerate(row):
            if re.sub(r"\s", "", text) in _UNIT_HEADERS:
                return part.first_col + k
    return None


def _with_unit(fact: Fact, grid: _Grid, unit_col: int | None) -> Fact:
    """A figure without a unit takes its row's ``单位`` cell when that cell is a unit (人, 万元, %)."""
    if fact.unit or unit_col is None or fact.row is None:
        return fact
    row = grid.cells[fact.row]
    unit = row[unit_col].strip() if unit_col < len(row) else ""
    figure = parse_figure(f"1{unit}") if unit else None
    if figure is None or figure.unit != unit.replace("％", "%"):
        return fact
    return replace(fact, unit=figure.unit)


def _single_period(text: str) -> str | None:
    periods = find_periods(text)
    if len(periods) == 1 and periods[0].text == text.strip() and not periods[0].is_range:
        return periods[0].text
    return None


def _period_rows(fact: Fact) -> Fact:
    """Read the period out of a matrix fact's label.

    A row label that is a period (``2022学年 · 生师比``) makes the column's metric for that period; a column
    whose merged header only says it holds years (``统计年度`` over ``2022学年`` gives ``统计年度2022学年``) makes
    the row's metric for that period.
    """
    if MATRIX_SEPARATOR not in fact.metric:
        return fact
    row, _, column = fact.metric.partition(MATRIX_SEPARATOR)
    period = _single_period(row)
    if period is not None:
        return replace(fact, metric=column, period=period)
    m = _YEAR_COLUMN_RE.match(column)
    if m and (period := _single_period(m.group("period"))) is not None:
        return replace(fact, metric=row, period=period)
    return fact


def read_state_data(data: bytes, *, name: str = "") -> StateData:
    """Read a state-data workbook (XLSX) or CSV into a document and its facts.

    Args:
        data: the whole file.
        name: the uploaded name (a CSV's single sheet is named after it).

    Returns:
        The document (one heading per sheet, a table block per table, its titles as paragraphs) and the
        facts, each with ``sheet`` and its workbook ``row``/``column`` (0-based; see :func:`cell_address`).

    Raises:
        IndexingError: ``EMPTY_FILE``, ``UNSUPPORTED_TYPE`` (not XLSX or CSV, a legacy .xls),
            ``CORRUPT_FILE``, ``FILE_TOO_LARGE`` or ``NO_TEXT`` (no table with a figure).
    """
    media_type, grids = _grids(data, name)
    doc_id = hashlib.sha256(data).hexdigest()
    blocks: list[Block] = []
    facts: list[Fact] = []
    for grid in grids:
        sheet_blocks: list[Block] = [
            Block(f"b{len(blocks) + 1:04d}", BlockKind.HEADING, grid.name, heading_level=1, heading_path=(grid.name,))
        ]
        places: dict[str, tuple[_Part, int]] = {}
        for part in _parts(grid):
            for title in part.titles:
                sheet_blocks.append(
                    Block(
                        f"b{len(blocks) + len(sheet_blocks) + 1:04d}",
                        BlockKind.PARAGRAPH,
                        title,
                        heading_path=(grid.name,),
                    )
                )
            rows = tuple(_header_years(list(part.rows)))
            text = "\n".join(" | ".join(r) for r in rows)
            block_id = f"b{len(blocks) + len(sheet_blocks) + 1:04d}"
            sheet_blocks.append(Block(block_id, BlockKind.TABLE, text, heading_path=(grid.name,), rows=rows))
            places[block_id] = (part, len(sheet_blocks) - 1)
        sheet_doc = Document(id=doc_id, name=name, media_type=media_type, blocks=tuple(sheet_blocks))
        for fact in extract_facts(sheet_doc):
            part, _ = places[fact.block_id]
            if fact.row is None or fact.column is None:
                continue
            placed = replace(fact, sheet=grid.name, row=part.sheet_rows[fact.row], column=part.first_col + fact.column)
            facts.append(_period_rows(_with_unit(placed, grid, _unit_column(part))))
        blocks.extend(sheet_blocks)
    if not facts:
        raise IndexingError(
            IndexingErrorCode.NO_TEXT,
            "表格中没有读到任何数值。请确认状态数据表包含表头（指标名称、年份）和数值，且没有被隐藏。",
            f"{len(grids)} sheets, {len(blocks)} blocks, no figure cells",
        )
    document = Document(id=doc_id, name=name, media_type=media_type, blocks=tuple(blocks))
    log.info("state data %s: %d sheets, %d facts", doc_id[:12], len(grids), len(facts))
    return StateData(document, tuple(facts))
