"""A quantitative point's figure comes from the extracted facts by the metric's name and synonyms, never a neighbour."""

from __future__ import annotations

import pytest

from backend.domain.assessment import ReportedFigure
from backend.review.figures import FactIndex, label_key
from backend.rubrics.models import Metric
from backend.rubrics.registry import default_registry
from indexing.chunking import chunk_document
from indexing.facts import extract_facts
from indexing.models import Block, BlockKind, Document, FactOrigin, MediaType
from indexing.parsing.headings import render_table

KEY_VALUE = (
    ("指标项", "学校当年质量报告数据"),
    ("全日制在校生数（人）", "26311"),
    ("专任教师数", "1732"),
    ("生师比", "18.46"),
    ("生均教学日常运行支出（万元）", "0.48"),
    ("生均纸质图书（册）", "—"),
    ("具有博士学位教师占专任教师比例（%）", "未统计"),
)
BY_COLLEGE = (
    ("学院", "毕业生数（人）", "毕业去向落实率（%）"),
    ("化工与制药学院", "512", "96.12"),
    ("机电工程学院", "430", "93.50"),
)
TEXT = "学校2023届本科毕业生毕业去向落实率为92.35%。专职辅导员与在校生比为1:284，学生学习满意度达到约95%。"


def _document() -> Document:
    blocks = (
        Block("b0001", BlockKind.PARAGRAPH, "表1 学校基本办学数据", page=3),
        Block("b0002", BlockKind.TABLE, render_table(KEY_VALUE), page=3, rows=KEY_VALUE),
        Block("b0003", BlockKind.PARAGRAPH, TEXT, page=4),
        Block("b0004", BlockKind.PARAGRAPH, "表2 各学院毕业去向落实率", page=5),
        Block("b0005", BlockKind.TABLE, render_table(BY_COLLEGE), page=5, rows=BY_COLLEGE),
    )
    return Document("doc", "质量报告.pdf", MediaType.PDF, blocks, page_count=5)


@pytest.fixture(scope="module")
def index() -> FactIndex:
    doc = _document()
    return FactIndex(extract_facts(doc), chunk_document(doc))


def _metric(name: str) -> Metric:
    rubric = default_registry().get("audit-2021-type2")
    return next(p.metric for _, p in rubric.iter_points() if p.metric is not None and p.metric.name == name)


def _found(index: FactIndex, name: str) -> ReportedFigure:
    figure = index.lookup(_metric(name))
    assert figure is not None, name
    return figure


def test_key_value_row_is_the_figure_with_its_cell(index: FactIndex) -> None:
    figure = _found(index, "生师比")
    assert (figure.value, figure.unit, figure.text, figure.page) == (18.46, ":1", "18.46", 3)
    assert figure.origin is FactOrigin.TABLE and figure.table_title == "表1 学校基本办学数据"
    assert figure.display_zh.startswith("「表1 学校基本办学数据：生师比 = 18.46」")
    assert figure.meets_floor is False  # 18.46 > 18 (at most 18:1)


def test_count_is_the_row_of_its_own_metric(index: FactIndex) -> None:
    assert _found(index, "专任教师数").value == 1732


def test_ten_thousand_yuan_becomes_yuan(index: FactIndex) -> None:
    figure = _found(index, "生均教学日常运行支出")
    assert (figure.value, figure.unit, figure.text) == (4800.0, "元", "0.48")


def test_synonym_finds_the_sentence_not_a_college_row(index: FactIndex) -> None:
    figure = _found(index, "初次就业率")  # stated as 毕业去向落实率
    assert (figure.value, figure.unit, figure.page, figure.origin) == (92.35, "%", 4, FactOrigin.SENTENCE)
    assert figure.evidence in TEXT and "92.35%" in figure.evidence


def test_one_to_n_ratio_and_qualifier(index: FactIndex) -> None:
    ratio = _found(index, "专职辅导员与在校生比")
    assert (ratio.value, ratio.unit) == (284.0, "1:")
    satisfaction = _found(index, "学生学习满意度")
    assert satisfaction.value == 95.0 and satisfaction.qualifier == "约"


@pytest.mark.parametrize("name", ["生均图书", "具有博士学位教师占比", "生均本科实验经费", "体质测试达标率"])
def test_not_stated_is_not_provided(index: FactIndex, name: str) -> None:
    """ "—", "未统计" and absent metrics give no figure, never the neighbouring row's value."""
    assert index.lookup(_metric(name)) is None


def test_label_key_drops_scope_units_and_verbs() -> None:
    assert label_key("全校生师比为") == label_key("生师比")
    assert label_key("2023届本科毕业生毕业去向落实率") == "毕业去向落实率"
    assert label_key("生均教学日常运行支出（万元）") == "生均教学日常运行支出"
    assert label_key("协议就业率") != label_key("就业率")


def test_a_figure_for_another_group_is_not_the_metrics():
    # 实践教学学分占比 is stated per discipline group: the 人文社科类 figure is not the 理工农医类 metric's.
    text = "实践教学学分占总学分比例（人文社科类专业）为17.7%。实践教学学分占总学分比例（理工农医类专业）为28.1%。"
    doc = Document(
        "doc", "质量报告.pdf", MediaType.PDF, (Block("b0001", BlockKind.PARAGRAPH, text, page=2),), page_count=2
    )
    index = FactIndex(extract_facts(doc), chunk_document(doc))
    figure = _found(index, "实践教学学分占总学分比例（理工农医类专业）")
    assert (figure.value, figure.label) == (28.1, "实践教学学分占总学分比例（理工农医类专业）")
