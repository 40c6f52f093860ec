"""状态数据: real XLSX workbooks (openpyxl, merged cells, several sheets) and CSV files read into facts with cells."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import BlockKind, FactOrigin, MediaType
from indexing.statedata import cell_address, read_state_data

pytestmark = pytest.mark.unit


def xlsx(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def merged_header_workbook() -> bytes:
    """Sheet 1: merged title, 指标名称 merged over two rows, 统计年度 merged over two year columns, a 单位 column.
    Sheet 2: years as rows, units in the headers, a percent-formatted column. Sheet 3: hidden."""
    book = Workbook()
    s1 = book.active
    s1.title = "基本办学条件"
    s1.append(["表1-1 学校基本办学条件"])
    s1.merge_cells("A1:D1")
    s1.append(["指标名称", "统计年度", None, "单位"])
    s1.append([None, "2022-2023学年", "2023-2024学年", None])
    s1.merge_cells("A2:A3")
    s1.merge_cells("B2:C2")
    s1.merge_cells("D2:D3")
    s1.append(["生师比", 18.46, 17.9, None])
    s1.append(["专任教师数", 1650, 1732, "人"])
    s1.append(["生均教学科研仪器设备值", 15230.5, 16002.25, "元"])
    s1["B6"].number_format = "0.00"
    s1["C6"].number_format = "0.00"
    s2 = book.create_sheet("经费与学生")
    s2.append(["学年", "本科生", None, "教学经费总额（万元）"])
    s2.append([None, "人数", "占比", None])
    s2.merge_cells("A1:A2")
    s2.merge_cells("B1:C1")
    s2.merge_cells("D1:D2")
    s2.append(["2022学年", 21000, 0.853, 1234.5])
    s2.append(["2023学年", 21500, 0.861, 1302.25])
    for cell in ("C3", "C4"):
        s2[cell].number_format = "0.0%"
    hidden = book.create_sheet("代码表")
    hidden.append(["代码", "数值"])
    hidden.append(["A01", 99])
    hidden.sheet_state = "hidden"
    return xlsx(book)


def by_cell(data: bytes, name: str = "状态数据.xlsx") -> dict[tuple[str, str], tuple[str, float, str, str | None]]:
    sd = read_state_data(data, name=name)
    return {(f.sheet, cell_address(f.row, f.column)): (f.metric, f.value, f.unit, f.period) for f in sd.facts}


def test_merged_headers_years_and_units_over_several_sheets():
    cells = by_cell(merged_header_workbook())
    assert cells[("基本办学条件", "B4")] == ("生师比", 18.46, "", "2022-2023学年")
    assert cells[("基本办学条件", "C4")] == ("生师比", 17.9, "", "2023-2024学年")
    assert cells[("基本办学条件", "C5")] == ("专任教师数", 1732, "人", "2023-2024学年")  # from the 单位 column
    assert cells[("基本办学条件", "B6")] == ("生均教学科研仪器设备值", 15230.5, "元", "2022-2023学年")
    # years as rows: the column's metric for the row's year; the merged 本科生 spans 人数 and 占比
    assert cells[("经费与学生", "D4")] == ("教学经费总额", 1302.25, "万元", "2023学年")
    assert cells[("经费与学生", "B3")] == ("本科生人数", 21000, "人", "2022学年")
    assert cells[("经费与学生", "C3")] == ("本科生占比", 85.3, "%", "2022学年")  # 0.853 shown as 85.3%
    assert not any(sheet == "代码表" for sheet, _ in cells)  # a hidden sheet is not reported data
    assert len(cells) == 6 + 6


def test_facts_are_verbatim_cells_with_their_table_and_title():
    sd = read_state_data(merged_header_workbook(), name="状态数据.xlsx")
    assert sd.document.media_type is MediaType.XLSX
    blocks = {b.id: b for b in sd.document.blocks}
    assert [b.text for b in sd.document.blocks if b.kind is BlockKind.HEADING] == ["基本办学条件", "经费与学生"]
    for f in sd.facts:
        block = blocks[f.block_id]
        assert block.text[f.start : f.end] == f.text
        assert f.evidence in block.text
        assert f.origin is FactOrigin.TABLE and f.page is None
    ratio = next(f for f in sd.facts if f.metric == "生师比" and f.period == "2022-2023学年")
    assert ratio.table_title == "表1-1 学校基本办学条件"
    assert ratio.text == "18.46"
    money = next(f for f in sd.facts if f.metric == "生均教学科研仪器设备值" and f.period == "2022-2023学年")
    assert money.text == "15230.50"  # the cell's "0.00" format: stated to two decimals


def test_bare_year_header_cells_and_a_unit_line():
    book = Workbook()
    sheet = book.active
    sheet.title = "经费"
    sheet.append(["单位：万元"])
    sheet.append(["项目", 2022, 2023])
    sheet.append(["教学经费总额", 1234.5, 1302.25])
    sheet.append([None, None, None])
    sheet.append(["表2 图书"])
    sheet.append(["指标", "数值"])
    sheet.append(["生均图书（册）", 88.6])
    cells = by_cell(xlsx(book))
    assert cells[("经费", "B3")] == ("教学经费总额", 1234.5, "万元", "2022年")
    assert cells[("经费", "C3")] == ("教学经费总额", 1302.25, "万元", "2023年")
    # a second table under a blank row, with its own title
    assert cells[("经费", "B7")] == ("生均图书", 88.6, "册", None)


def test_csv_in_gbk_is_one_sheet_named_after_the_file():
    text = "指标,2022学年,2023学年\n生师比,18.46,17.90\n具有博士学位教师占比（%）,45.3,47.1\n"
    sd = read_state_data(text.encode("gbk"), name="状态数据2023.csv")
    assert sd.document.media_type is MediaType.CSV
    got = {(f.sheet, cell_address(f.row, f.column)): (f.metric, f.value, f.unit, f.period, f.text) for f in sd.facts}
    assert got[("状态数据2023", "C2")] == ("生师比", 17.9, "", "2023学年", "17.90")
    assert got[("状态数据2023", "B3")] == ("具有博士学位教师占比", 45.3, "%", "2022学年", "45.3")


def test_placeholder_cells_give_no_fact():
    book = Workbook()
    sheet = book.active
    sheet.append(["指标", "2022年", "2023年"])
    sheet.append(["生均本科实验经费（元）", "—", 850])
    sheet.append(["生均本科实习经费（元）", "未统计", None])
    cells = by_cell(xlsx(book))
    assert list(cells.values()) == [("生均本科实验经费", 850, "元", "2023年")]


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", IndexingErrorCode.EMPTY_FILE, "文件为空"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, IndexingErrorCode.UNSUPPORTED_TYPE, ".xls"),
        (b"PK\x03\x04broken", IndexingErrorCode.CORRUPT_FILE, "损坏"),
        ("说明文字，没有表格".encode(), IndexingErrorCode.NO_TEXT, "没有读到任何数值"),
    ],
    ids=["empty", "legacy-xls", "broken-zip", "no-figures"],
)
def test_bad_files_get_a_clear_chinese_error(data: bytes, code: IndexingErrorCode, words: str):
    with pytest.raises(IndexingError) as info:
        read_state_data(data, name="状态数据")
    assert info.value.code is code
    assert words in info.value.message_zh


def test_a_word_document_is_not_state_data():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(IndexingError) as info:
        read_state_data(out.getvalue(), name="报告.docx")
    assert info.value.code is IndexingErrorCode.UNSUPPORTED_TYPE
    assert "不是 Excel 表格" in info.value.message_zh


def test_cell_address():
    assert [cell_address(0, 0), cell_address(4, 1), cell_address(9, 25), cell_address(0, 26)] == [
        "A1",
        "B5",
        "Z10",
        "AA1",
    ]
