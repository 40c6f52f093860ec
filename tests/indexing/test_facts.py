"""Facts from tables and sentences: documents built in the test, and the two real reports read at run time from
../shared/real-docs (never committed); their spot checks were confirmed on the page images."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from indexing.facts import MATRIX_SEPARATOR, extract_facts, table_title
from indexing.figures import find_periods, is_no_value, parse_figure
from indexing.models import Block, BlockKind, Document, Fact, FactOrigin, MediaType
from indexing.options import ParseOptions
from indexing.parsing import parse_path
from indexing.parsing.headings import render_table

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
REAL_DOCS = ROOT.parent / "shared" / "real-docs"


def paragraph(text: str, page: int = 1, n: int = 1) -> Block:
    return Block(id=f"b{n:04d}", kind=BlockKind.PARAGRAPH, text=text, page=page)


def table(rows: list[tuple[str, ...]], page: int = 1, n: int = 1) -> Block:
    cells = tuple(tuple(r) for r in rows)
    return Block(id=f"b{n:04d}", kind=BlockKind.TABLE, text=render_table(cells), page=page, rows=cells)


def document(*blocks: Block) -> Document:
    numbered = tuple(Block(**{**b.__dict__, "id": f"b{i:04d}"}) for i, b in enumerate(blocks, start=1))
    return Document(id="doc", name="报告.pdf", media_type=MediaType.PDF, blocks=numbered, page_count=10)


def facts_of(*blocks: Block) -> list[Fact]:
    doc = document(*blocks)
    facts = list(extract_facts(doc))
    assert_verbatim(doc, facts)
    return facts


def assert_verbatim(doc: Document, facts: list[Fact]) -> None:
    """Every fact can be checked against its block: the figure and its row or sentence are in the text."""
    blocks = {b.id: b for b in doc.blocks}
    for f in facts:
        block = blocks[f.block_id]
        assert block.text[f.start : f.end] == f.text, f
        assert f.evidence in block.text and f.text in f.evidence, f
        assert f.page == block.page_at(f.start)  # a block running over a page break: the figure's own page
        assert (f.origin is FactOrigin.TABLE) == (block.kind is BlockKind.TABLE)


def only(facts: list[Fact], metric: str) -> Fact:
    found = [f for f in facts if f.metric == metric]
    assert len(found) == 1, [(f.metric, f.text) for f in facts]
    return found[0]


# --- key-value tables ------------------------------------------------------------------------------------


KEY_VALUE = [
    ("指标项", "学校当年质量报告数据"),
    ("生师比", "18.46"),
    ("专任教师数", "1732"),
    ("生均教学科研仪器设备值（万元）", "0.48"),
    ("本科生占全日制在校生总数的比例（%）", "66.70"),
    ("学生与辅导员比", "1:284"),
    ("当年新增教学科研仪器设备值（万元）", "—"),
    ("生均图书（册）", "/"),
    ("生均年进书量（册）", "未统计"),
    ("校舍建筑面积（平方米）", ""),
    ("全日制在校生数", "约3.2万"),
    ("高级职称教师占比", "45.30%¹"),
]


def test_key_value_table_facts_take_the_label_as_metric_and_its_unit():
    facts = facts_of(paragraph("表1-1 学校基本办学条件"), table(KEY_VALUE, n=2))
    got = {f.metric: (f.value, f.unit, f.qualifier) for f in facts}
    assert got == {
        "生师比": (18.46, "", None),
        "专任教师数": (1732.0, "", None),
        "生均教学科研仪器设备值": (0.48, "万元", None),
        "本科生占全日制在校生总数的比例": (66.7, "%", None),
        "学生与辅导员比": (284.0, "1:", None),
        "全日制在校生数": (3.2, "万", "约"),
        "高级职称教师占比": (45.3, "%", None),
    }
    fact = only(facts, "生均教学科研仪器设备值")
    assert (fact.text, fact.row, fact.column, fact.table_title) == ("0.48", 3, 1, "表1-1 学校基本办学条件")
    assert fact.evidence == "生均教学科研仪器设备值（万元） | 0.48"
    assert only(facts, "高级职称教师占比").text == "45.30%¹"


def test_placeholders_and_blank_cells_give_no_fact_and_never_zero():
    facts = facts_of(table(KEY_VALUE))
    assert not any(f.value == 0 for f in facts)
    assert not {"当年新增教学科研仪器设备值", "生均图书", "生均年进书量", "校舍建筑面积"} & {f.metric for f in facts}


def test_a_table_without_header_pairs_each_figure_with_the_label_before_it():
    facts = facts_of(table([("生师比", "17.5:1", "专任教师数", "1260"), ("生均图书（册）", "92.3", "序号", "3")]))
    assert {f.metric: (f.value, f.unit) for f in facts} == {
        "生师比": (17.5, ":1"),
        "专任教师数": (1260.0, ""),
        "生均图书": (92.3, "册"),
    }


# --- matrix tables ---------------------------------------------------------------------------------------


MATRIX = [
    ("学院", "专业", "本科毕业生", "", "研究生毕业生", ""),
    ("", "", "人数", "占比", "人数", "占比"),
    ("化工学院", "化学工程", "274", "5.69%", "139", "8.59%"),
    ("", "制药工程", "100", "2.08%", "-", "-"),
    ("化工学院汇总", "", "374", "7.77%", "139", "8.59%"),
    ("材料学院", "化学工程", "60", "1.25%", "/", "/"),
    ("总计", "", "3820", "100.00%", "1450", "100.00%"),
]


def test_matrix_cells_are_named_row_header_then_joined_column_headers():
    facts = facts_of(paragraph("表1-2 毕业生专业分布"), table(MATRIX, n=2))
    got = {f.metric: f.value for f in facts}
    # 化学工程 stands under two colleges, so its rows carry their college; 制药工程 is unique
    assert got["化工学院/化学工程 · 本科毕业生人数"] == 274
    assert got["化工学院/化学工程 · 研究生毕业生占比"] == 8.59
    assert got["材料学院/化学工程 · 本科毕业生人数"] == 60
    assert got["制药工程 · 本科毕业生占比"] == 2.08
    assert got["化工学院汇总 · 研究生毕业生人数"] == 139
    assert got["总计 · 本科毕业生人数"] == 3820
    assert "制药工程 · 研究生毕业生人数" not in got  # "-" is no value
    assert "材料学院/化学工程 · 研究生毕业生人数" not in got
    assert only(facts, "总计 · 研究生毕业生占比").unit == "%"
    assert only(facts, "总计 · 本科毕业生人数").unit == "人"  # integer counts under 人数
    assert all(f.table_title == "表1-2 毕业生专业分布" for f in facts)
    assert {"学院", "专业", "本科毕业生", "人数"}.isdisjoint(f.metric for f in facts)


def test_units_from_the_column_header_the_row_header_and_a_unit_line():
    facts = facts_of(
        paragraph("单位：万元"),
        table([("项目", "2022年", "2023年"), ("教学经费", "1200", "1350"), ("生均经费（元）", "7350", "7480")], n=2),
        table([("学院", "就业率（%）", "人数(人)"), ("机电学院", "96.5", "480")], n=3),
    )
    assert only(facts, "机电学院 · 就业率").unit == "%"
    assert only(facts, "机电学院 · 人数").unit == "人"
    funds = [f for f in facts if f.metric == "教学经费"]
    assert {(f.period, f.value, f.unit) for f in funds} == {("2022年", 1200.0, "万元"), ("2023年", 1350.0, "万元")}
    assert {(f.period, f.unit) for f in facts if f.metric == "生均经费"} == {("2022年", "元"), ("2023年", "元")}


def test_wrapped_header_cells_and_wrapped_row_labels_are_joined():
    facts = facts_of(
        table(
            [
                ("学院", "毕业人数", "毕业去向", "协议和合"),
                ("", "", "落实率", "同就业率"),
                ("信息学院", "410", "88.10%", "64.20%"),
                ("（软件学院）", "", "", ""),
                ("商学院", "530", "92.40%", "71.30%"),
            ]
        )
    )
    assert only(facts, "信息学院（软件学院） · 毕业去向落实率").value == 88.1
    assert only(facts, "商学院 · 协议和合同就业率").value == 71.3
    assert only(facts, "商学院 · 毕业人数").value == 530


def test_a_text_column_between_values_and_its_wrapped_lines_leave_the_row_names_alone():
    rows = [
        ("专业", "前三行业就业人数", "就业人数排名前三行业", "行业聚集度"),
        ("机械制造技术", "64", "制造业(51.20%),信息传输", "72.40%"),
        ("", "", "(9.57%),居民服务业(8.70%)", ""),
        ("数控加工技", "29", "交通运输业(35.10%)", "68.30%"),
        ("术", "", "", ""),
    ]
    facts = facts_of(table(rows))
    assert {f.metric: f.value for f in facts} == {
        "机械制造技术 · 前三行业就业人数": 64,
        "机械制造技术 · 行业聚集度": 72.4,
        "数控加工技术 · 前三行业就业人数": 29,
        "数控加工技术 · 行业聚集度": 68.3,
    }


def test_a_shifted_rendering_is_aligned_by_its_filled_cells():
    # what a PDF table with merged cells looks like after extraction: rows shifted by one cell
    rows = [
        ("", "学院", "", "人数", "", "占比"),
        ("", "师范学院", "", "1320", "", "30.10%"),
        ("商学院", "", "702", "", "16.00%", ""),
        ("", "总计", "", "4385", "", "100.00%"),
    ]
    facts = facts_of(table(rows))
    assert {f.metric: f.value for f in facts} == {
        "师范学院 · 人数": 1320,
        "师范学院 · 占比": 30.1,
        "商学院 · 人数": 702,
        "商学院 · 占比": 16.0,
        "总计 · 人数": 4385,
        "总计 · 占比": 100.0,
    }


def test_a_row_that_cannot_be_aligned_gives_no_fact():
    rows = [("学院", "人数", "占比"), ("机电学院", "480", "10.90%"), ("电子学院", "205", "4.60%", "9", "1.2%")]
    facts = facts_of(table(rows))
    assert {f.metric for f in facts} == {"机电学院 · 人数", "机电学院 · 占比"}


def test_serial_numbers_and_attribute_columns_are_not_facts_or_labels():
    rows = [
        ("序号", "单位名称", "就业人数", "单位地域", "单位标签"),
        ("1", "星河科技股份有限公司", "58", "省内", "世界500强/中国500强"),
        ("2", "远山化工股份有限公司", "31", "省内", "/"),
        ("3", "青木药业股份有限公司", "15", "省外", "上市公司"),
    ]
    facts = facts_of(table(rows))
    assert {f.metric: f.value for f in facts} == {
        "星河科技股份有限公司 · 就业人数": 58,
        "远山化工股份有限公司 · 就业人数": 31,
        "青木药业股份有限公司 · 就业人数": 15,
    }


def test_tables_printed_side_by_side_are_read_as_two_tables():
    rows = [
        ("序号", "升学院校名称", "人数", "序号", "升学院校名称", "人数"),
        ("1", "东方理工大学", "66", "27", "南山医科大学", "11"),
        ("2", "北岭科技大学", "24", "28", "西岸大学", "8"),
    ]
    facts = facts_of(table(rows))
    assert {f.metric: f.value for f in facts} == {
        "东方理工大学 · 人数": 66,
        "北岭科技大学 · 人数": 24,
        "南山医科大学 · 人数": 11,
        "西岸大学 · 人数": 8,
    }


def test_period_columns_give_the_period_not_the_metric():
    rows = [
        ("", "2021届", "2022届", "2023届"),
        ("毕业生人数", "3650", "3710", "3820"),
        ("毕业去向落实率", "92.40%", "94.10%", "95.30%"),
    ]
    facts = facts_of(table(rows), paragraph("图8-1 2021-2023届本科毕业生规模及毕业去向落实率变化趋势", n=2))
    rates = {f.period: f.value for f in facts if f.metric == "毕业去向落实率"}
    assert rates == {"2021届": 92.4, "2022届": 94.1, "2023届": 95.3}
    assert {f.unit for f in facts if f.metric == "毕业生人数"} == {"人"}
    assert facts[0].table_title.startswith("图8-1")


# --- table titles ----------------------------------------------------------------------------------------


def test_table_title_before_after_and_on_a_continued_page():
    blocks = [
        paragraph("各学院毕业生分布如下表所示。", n=1),
        paragraph("表 3 毕业生学院分布", n=2),
        table([("学院", "人数"), ("机电学院", "480")], n=3),
        paragraph("1此处为脚注：统计截至12月。", n=4),
        table([("学院", "人数"), ("电子学院", "205")], page=2, n=5),
        paragraph("学校坚持立德树人，以下为分专业情况。", page=2, n=6),
        table([("专业", "人数"), ("软件技术", "87")], page=2, n=7),
        paragraph("表2-1 分专业就业情况", page=2, n=8),
        paragraph("下一节从行业分析就业流向。", page=2, n=9),
        table([("行业", "人数"), ("制造业", "315")], page=3, n=10),
    ]
    assert table_title(blocks, 2) == "表 3 毕业生学院分布"
    assert table_title(blocks, 4) == "表 3 毕业生学院分布"  # continued past a footnote onto the next page
    assert table_title(blocks, 6) == "表2-1 分专业就业情况"  # caption printed under the table
    assert table_title(blocks, 9) is None


# --- sentences -------------------------------------------------------------------------------------------


def sentence_facts(text: str) -> dict[str, Fact]:
    facts = facts_of(paragraph(text))
    assert len({f.metric for f in facts}) == len(facts), [(f.metric, f.text) for f in facts]
    return {f.metric: f for f in facts}


def test_sentence_metric_is_the_noun_phrase_before_the_figure():
    got = sentence_facts("学校生师比为18.46:1，本科毕业生升学率达 28.50%，现有全日制在校生 21000 余人。")
    assert (got["学校生师比"].value, got["学校生师比"].unit) == (18.46, ":1")
    assert (got["本科毕业生升学率"].value, got["本科毕业生升学率"].qualifier) == (28.5, None)
    student = got["现有全日制在校生"]
    assert (student.value, student.unit, student.qualifier, student.text) == (21000, "人", "余", "21000 余人")
    assert all(
        f.evidence == "学校生师比为18.46:1，本科毕业生升学率达 28.50%，现有全日制在校生 21000 余人。"
        for f in got.values()
    )


def test_a_share_names_what_it_is_a_share_of():
    got = sentence_facts("高级职称教师占专任教师的 67.21%，男生2100人，占毕业生总人数的52.50%。")
    assert got["高级职称教师占专任教师"].value == 67.21
    assert got["男生"].value == 2100
    assert got["男生占毕业生总人数"].value == 52.5


def test_ratios_and_qualifiers_in_sentences():
    got = sentence_facts("辅导员与学生比为1∶284，生均仪器设备值约为0.48万元，留省毕业生在55%以上，教职工近1900人。")
    assert (got["辅导员与学生比"].value, got["辅导员与学生比"].unit) == (284, "1:")
    assert (got["生均仪器设备值"].value, got["生均仪器设备值"].unit, got["生均仪器设备值"].qualifier) == (
        0.48,
        "万元",
        "约",
    )
    assert (got["留省毕业生"].value, got["留省毕业生"].qualifier) == (55, "以上")
    assert (got["教职工"].value, got["教职工"].qualifier) == (1900, "近")


def test_period_and_footnote_reference_in_a_sentence():
    got = sentence_facts(
        "2023届毕业生总人数为3900人，毕业去向落实率1为91.20%，其中协议和合同就业率60.10%、升学率14.20%。"
    )
    assert (got["毕业生总人数"].period, got["毕业生总人数"].value) == ("2023届", 3900)
    assert got["毕业去向落实率"].value == 91.2
    assert got["协议和合同就业率"].value == 60.1 and got["升学率"].value == 14.2


def test_a_name_in_the_list_keeps_its_parenthesis():
    got = sentence_facts("规模较大的学院依次为机械学院（520人，占比8.30%），国内、出国（境）升学率为21.40%。")
    assert got["机械学院"].value == 520
    assert got[f"机械学院{MATRIX_SEPARATOR}占比"].value == 8.3
    assert got["国内、出国（境）升学率"].value == 21.4


def test_a_clause_without_subject_takes_the_subject_before_it_and_siblings_do_not():
    got = sentence_facts("男生毕业去向落实人数1500人，毕业去向落实率为91.20%。")
    assert got["男生毕业去向落实率"].value == 91.2
    got = sentence_facts("学生对课程满意度为95.40%，其中“非常满意”占比41.10%，“满意”占比32.20%。")
    assert got["非常满意占比"].value == 41.1 and got["满意占比"].value == 32.2


def test_a_sentence_about_one_population_names_it():
    got = sentence_facts("按学历看，本科毕业生主要去向为“民营企业”（1980人，占比70.20%），课程满意度为95.80%。")
    assert got["本科毕业生/民营企业"].value == 1980
    assert got[f"本科毕业生/民营企业{MATRIX_SEPARATOR}占比"].value == 70.2
    assert got["本科毕业生课程满意度"].value == 95.8


def test_counted_nouns_after_a_classifier():
    got = sentence_facts("学校有2个博士后科研流动站，设有十二个学院。")
    assert got["学校博士后科研流动站"].value == 2
    assert (got["设有学院"].value, got["设有学院"].text) == (12, "十二个")


@pytest.mark.parametrize(
    "text",
    [
        "毕业去向落实率较上年提高2.3%。",  # a change written in % is not a level
        "毕业去向落实率达到100.00%的专业有园林设计、会计等6个。",  # a threshold and a list
        "学校在排行榜中位列第120位，ESI全球前1%。",  # ranks
        "毕业去向落实率=毕业去向落实人数/毕业生总人数*100%。",  # a formula
        "详见表1-2和图3，见第2.1.3节，学校创建于1958年。",  # labels, sections and years
        "截至2023年12月20日，联系电话010-62345678。",  # dates and phone numbers
        "经费是全国平均水平的1.5倍。",  # a multiple compares
        "其中“跳槽3次及以上”较少。",  # a figure inside a quoted name
    ],
)
def test_sentences_without_a_nameable_figure_give_no_fact(text):
    assert facts_of(paragraph(text)) == []


def test_a_change_in_percentage_points_is_kept_as_a_change():
    got = sentence_facts("2023届毕业生的就业率相较于2022届提高了2.40个百分点。")
    fact = got["就业率相较于2022届提高"]
    assert (fact.value, fact.unit, fact.period) == (2.4, "个百分点", "2023届")


def test_facts_are_deterministic_and_in_reading_order():
    doc = document(paragraph("生师比为18.46:1。"), table(MATRIX, n=2), paragraph("升学率为15.66%。", n=3))
    first, second = extract_facts(doc), extract_facts(doc)
    assert first == second
    order = [(int(f.block_id[1:]), f.row or 0, f.start) for f in first]
    assert order == sorted(order)


# --- the real reports ------------------------------------------------------------------------------------

REAL = {"wit": "wit-2023-employment-quality-report.pdf", "xvtc": "xvtc-2023-employment-quality-report.pdf"}


@pytest.fixture(scope="module")
def real() -> dict[str, tuple[Document, tuple[Fact, ...]]]:
    if not REAL_DOCS.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{REAL_DOCS} is missing: CI must provide the real documents")
        pytest.skip(f"{REAL_DOCS} is absent (the real documents live outside the repository)")
    parsed = {}
    for name, file in REAL.items():
        doc = parse_path(REAL_DOCS / file, ParseOptions(ocr=False))
        parsed[name] = (doc, extract_facts(doc))
    return parsed


def test_real_reports_every_fact_is_verbatim_and_no_year_or_placeholder_is_a_value(real):
    for doc, facts in real.values():
        assert len(facts) > 500
        assert_verbatim(doc, list(facts))
        periods = {b.id: find_periods(b.text) for b in doc.blocks}
        for f in facts:
            assert not is_no_value(f.text), f
            assert re.search(r"[0-9０-９零一二两三四五六七八九十百千]", f.text), f
            # a year or cohort (2023年, 2023届, 2021-2023届) is a period, never a value
            assert not any(p.start < f.end and f.start < p.end for p in periods[f.block_id]), f
            if f.origin is FactOrigin.TABLE:
                cell = f.evidence.split(" | ")[f.column]
                figure = parse_figure(cell)
                assert figure is not None and figure.value == f.value, f


def test_real_reports_spot_checks_seen_on_the_page_images(real):
    def has(name: str, page: int, value: float, unit: str, *words: str, qualifier: str | None = None) -> bool:
        return any(
            f.page == page
            and abs(f.value - value) < 1e-9
            and f.unit == unit
            and all(w in f.metric for w in words)
            and (qualifier is None or f.qualifier == qualifier)
            for f in real[name][1]
        )

    # 武汉工程大学 (本科): school profile, 表1-1, the side-by-side 表3-7, the chart data tables of 图8-1 / 图8-2
    assert has("wit", 4, 26000, "人", "全日制在校生", qualifier="余")
    assert has("wit", 4, 60, "%", "专任教师中高级职称占比", qualifier="超过")
    assert has("wit", 4, 2000, "亩", "占地", qualifier="约")
    assert has("wit", 15, 210, "人", "管理学院", "研究生毕业生人数")
    assert has("wit", 15, 4.92, "%", "外语学院", "本科毕业生占比")
    assert has("wit", 15, 6431, "人", "总计", "全体毕业生人数")
    assert has("wit", 54, 78, "人", "武汉理工大学", "人数")
    assert has("wit", 54, 10, "人", "中国药科大学", "人数")
    rate = [f for f in real["wit"][1] if f.page == 91 and f.metric == "毕业去向落实率" and f.period == "2023届"]
    assert {(f.value, "研究生" in (f.table_title or "")) for f in rate} == {(96.72, False), (97.59, True)}
    # 西安职业技术学院 (高职): the footnote reference after 落实率, 表1-4, 表3-1
    assert has("xvtc", 15, 90.69, "%", "毕业去向落实率")
    assert has("xvtc", 15, 62.78, "%", "协议和合同就业率")
    assert has("xvtc", 15, 58, "人", "应征义务兵", "人数")
    assert has("xvtc", 36, 54.84, "%", "大数据与会计", "升学率")
    assert has("xvtc", 36, 49, "人", "机电工程学院汇总", "升学人数")


def test_real_reports_placeholder_cells_give_no_fact(real):
    wit, xvtc = real["wit"][1], real["xvtc"][1]
    # 表1-1: 马克思主义学院 has "-" for 本科毕业生; 表3-1: 电梯工程技术 has "-" for 升学人数 and 升学率
    assert not [f for f in wit if f.page == 15 and "马克思主义学院" in f.metric and "本科" in f.metric]
    assert not [f for f in xvtc if f.page == 36 and "电梯工程技术" in f.metric and "升学" in f.metric]
    assert [f for f in xvtc if f.page == 36 and "电梯工程技术" in f.metric and "毕业人数" in f.metric]


def test_real_reports_facts_are_fast(real):
    for doc, _ in real.values():
        best = min(_timed(doc) for _ in range(3))
        assert best <= 0.5 * doc.page_count / 100, (doc.name, best)


def _timed(doc: Document) -> float:
    parse_figure.cache_clear()
    started = time.perf_counter()
    extract_facts(doc)
    return time.perf_counter() - started
