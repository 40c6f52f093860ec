"""Quotes of table rows are shown as 「表名：指标 = 值」 and stay verbatim in the chunk."""

from __future__ import annotations

from backend.review.matcher import table_row_display
from indexing.chunking import chunk_document
from indexing.models import BlockKind, Chunk
from tests.factories import make_document

P, T = BlockKind.PARAGRAPH, BlockKind.TABLE


def _table_chunk(caption: str, rows: list[list[str]]) -> Chunk:
    doc = make_document([(P, caption, 1), (T, rows, 1)])
    return next(c for c in chunk_document(doc) if c.is_table)


def _show(chunk: Chunk, row: str) -> str | None:
    start = chunk.text.index(row)
    return table_row_display(chunk, start, start + len(row))


def test_key_value_row() -> None:
    chunk = _table_chunk(
        "表1 学校基本数据", [["指标项", "学校当年质量报告数据"], ["生师比", "18.46"], ["专任教师数", "1732"]]
    )
    assert _show(chunk, "生师比 | 18.46") == "「表1 学校基本数据：生师比 = 18.46」"
    assert _show(chunk, "指标项 | 学校当年质量报告数据") is None  # the header is not a row of data


def test_matrix_row_names_its_values_by_column() -> None:
    chunk = _table_chunk("表2 各学院情况", [["学院", "毕业生数", "落实率"], ["管理学院", "371", "95.42%"]])
    assert _show(chunk, "管理学院 | 371 | 95.42%") == "「表2 各学院情况：管理学院：毕业生数 = 371，落实率 = 95.42%」"


def test_two_row_header_lists_values_without_guessing_their_names() -> None:
    rows = [["学院", "本科毕业生", "", "研究生毕业生", ""], ["", "人数", "占比", "人数", "占比"]]
    rows += [["管理学院", "371", "7.71%", "210", "12.98%"]]
    chunk = _table_chunk("表1-1 毕业生学院分布", rows)
    shown = _show(chunk, "管理学院 | 371 | 7.71% | 210 | 12.98%")
    assert shown == "「表1-1 毕业生学院分布：管理学院 = 371 | 7.71% | 210 | 12.98%」"


def test_prose_is_not_displayed_as_a_row() -> None:
    doc = make_document([(P, "学校生师比为17.5:1。", 1)])
    chunk = chunk_document(doc)[0]
    assert table_row_display(chunk, 0, len(chunk.text)) is None
