"""The figure grammar: numbers as Chinese reports write them, and what is not a figure."""

from __future__ import annotations

import pytest

from indexing.figures import (
    FigureKind,
    cn_numeral_value,
    find_figures,
    find_periods,
    half_width,
    is_no_value,
    normalize,
    parse_figure,
)

pytestmark = pytest.mark.unit


def one(text: str):
    figures = find_figures(text)
    assert len(figures) == 1, figures
    f = figures[0]
    assert text[f.start : f.end] == f.text
    return f


# --- numbers, separators, full width ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("18.46", 18.46),
        ("1,234", 1234.0),
        ("1,234.5", 1234.5),
        ("26311", 26311.0),
        ("１８．４６", 18.46),
        ("0.48", 0.48),
    ],
)
def test_plain_numbers_in_cells(cell, value):
    f = parse_figure(cell)
    assert f is not None and f.kind is FigureKind.COUNT and f.value == value and f.unit == "" and f.text == cell


def test_full_width_text_keeps_its_offsets():
    text = "生师比为１８．４６：１，占比６７．２１％。"
    ratio, percent = find_figures(text)
    assert (ratio.kind, ratio.value, ratio.unit, ratio.text) == (FigureKind.RATIO, 18.46, ":1", "１８．４６：１")
    assert (percent.kind, percent.value, percent.text) == (FigureKind.PERCENT, 67.21, "６７．２１％")
    assert half_width("１８．４６％") == "18.46%"


# --- percentages and ratios ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("67.21%", 67.21), ("６７％", 67.0), ("67.21 %", 67.21)])
def test_percentages(text, value):
    f = one(text)
    assert (f.kind, f.value, f.unit) == (FigureKind.PERCENT, value, "%")


@pytest.mark.parametrize(("text", "value"), [("百分之六十", 60.0), ("百分之九十五", 95.0), ("百分之45.5", 45.5)])
def test_percentages_in_words(text, value):
    f = one(f"比例达到{text}。")
    assert (f.kind, f.value, f.unit, f.text) == (FigureKind.PERCENT, value, "%", text)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("18.46:1", 18.46, ":1"),
        ("18.46：1", 18.46, ":1"),
        ("1:284", 284.0, "1:"),
        ("1∶284", 284.0, "1:"),
        ("120：100", 120.0, ":100"),
    ],
)
def test_ratios(text, value, unit):
    f = one(f"比例为{text}。")
    assert (f.kind, f.value, f.unit, f.text) == (FigureKind.RATIO, value, unit, text)


def test_times_and_odd_ratios_are_not_figures():
    assert find_figures("会议于9:00开始，14:30-16:00分组讨论。") == []
    assert find_figures("比分3:2") == []


# --- amounts, units, multipliers, Chinese numerals -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("3900人", 3900.0, "人"),
        ("0.48万元", 0.48, "万元"),
        ("1.25亿元", 1.25, "亿元"),
        ("3.2万人", 3.2, "万人"),
        ("7350元", 7350.0, "元"),
        ("420场", 420.0, "场"),
        ("1200人次", 1200.0, "人次"),
        ("215万册", 215.0, "万册"),
        ("52项", 52.0, "项"),
        ("86门", 86.0, "门"),
        ("12篇", 12.0, "篇"),
        ("5280名", 5280.0, "名"),
        ("415亩", 415.0, "亩"),
        ("3.5万平方米", 3.5, "万平方米"),
        ("1200㎡", 1200.0, "㎡"),
        ("3.6个月", 3.6, "个月"),
        ("3.91分", 3.91, "分"),
        ("12份", 12.0, "份"),
        ("3.2万", 3.2, "万"),
    ],
)
def test_amounts_keep_the_unit_as_written(text, value, unit):
    f = one(f"共计{text}，")
    assert (f.kind, f.value, f.unit, f.text) == (FigureKind.AMOUNT, value, unit, text)


@pytest.mark.parametrize(("text", "value", "unit"), [("十二个", 12.0, "个"), ("三所", 3.0, "所"), ("两项", 2.0, "项")])
def test_chinese_numerals_attached_to_a_unit(text, value, unit):
    f = one(f"建有{text}平台")
    assert (f.kind, f.value, f.unit, f.text) == (FigureKind.AMOUNT, value, unit, text)


@pytest.mark.parametrize(
    "text", ["三支一扶", "一流学科建设", "一所以工为主的大学", "九大学科门类", "千家万户", "三全育人"]
)
def test_chinese_numerals_that_are_words(text):
    assert find_figures(text) == []


@pytest.mark.parametrize(
    ("numeral", "value"), [("十二", 12), ("二十", 20), ("两", 2), ("一百零五", 105), ("三千", 3000), ("一二", None)]
)
def test_chinese_numeral_values(numeral, value):
    assert cn_numeral_value(numeral) == value


def test_a_unit_character_that_starts_another_word_is_no_unit():
    assert [(f.kind, f.unit) for f in find_figures("两组得分为3分别计入")] == [(FigureKind.COUNT, "")]
    assert [(f.kind, f.unit) for f in find_figures("家庭2人均收入")] == [(FigureKind.COUNT, "")]
    assert [(f.kind, f.unit) for f in find_figures("评分4.5分，")] == [(FigureKind.AMOUNT, "分")]


# --- qualifiers and footnote markers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "qualifier", "value", "unit"),
    [
        ("约1500亩", "约", 1500.0, "亩"),
        ("近70%", "近", 70.0, "%"),
        ("超过95%", "超过", 95.0, "%"),
        ("逾300家", "逾", 300.0, "家"),
        ("不低于85%", "不低于", 85.0, "%"),
        ("不少于40学时", "不少于", 40.0, "学时"),
        ("60%以上", "以上", 60.0, "%"),
        ("21000余人", "余", 21000.0, "人"),
        ("215余万册", "余", 215.0, "万册"),
        ("2万余名", "余", 2.0, "万名"),
        ("1.6万余人", "余", 1.6, "万人"),
        ("3000多个", "多", 3000.0, "个"),
        ("约 3.2 万", "约", 3.2, "万"),
    ],
)
def test_qualifiers_are_kept_with_the_figure(text, qualifier, value, unit):
    f = one(f"学校{text}，")
    assert (f.qualifier, f.value, f.unit, f.text) == (qualifier, value, unit, text)


def test_reaching_is_not_a_qualifier():
    f = one("升学率达32.64%")
    assert f.qualifier is None and f.text == "32.64%"


@pytest.mark.parametrize(
    ("cell", "value", "marker"),
    [("18.46¹", 18.46, "¹"), ("18.46[1]", 18.46, "[1]"), ("18.46*", 18.46, "*"), ("67.21%²", 67.21, "²")],
)
def test_footnote_markers_leave_the_value_but_stay_in_the_text(cell, value, marker):
    f = parse_figure(cell)
    assert f is not None and (f.value, f.marker, f.text) == (value, marker, cell)


def test_a_footnote_reference_glued_to_the_label_is_not_a_figure():
    f = one("毕业去向落实率1为91.20%")
    assert (f.value, f.unit) == (91.2, "%")
    assert [x.value for x in find_figures("就业单位性质主要为“民营企业3”（1420人）")] == [1420.0]


# --- non-numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["", " ", "—", "-", "/", "－", "——", "未统计", "暂无", "不适用", "N/A", "无"])
def test_placeholders_are_no_figure_and_never_zero(cell):
    assert is_no_value(cell)
    assert parse_figure(cell) is None


@pytest.mark.parametrize("cell", ["3046（92.14%）", "制造业(58.26%),建筑业(4.32%)", "省内", "2022/9/6", "2023-04-19"])
def test_cells_that_are_not_one_figure(cell):
    assert parse_figure(cell) is None


@pytest.mark.parametrize(
    "text",
    [
        "学校创建于1958年",
        "2023届毕业生",
        "截至2023年12月20日",
        "数据统计截至11月15日",
        "表1-2 本科毕业生专业分布",
        "图1- 1 毕业生规模",
        "附表3 数据",
        "1.2.3 节",
        "位列第120位",
        "（教发〔2021〕8号）",
        "GB/T 4754—2017",
        "联系电话010-62345678",
        "咨询13812345678",
        "“36912”产业体系",
        "1+X证书",
        "5G基站",
        "2023世界大学排行榜",
        "2019～2020年",
        "占比20%～30%",
    ],
)
def test_dates_labels_codes_and_years_are_not_figures(text):
    assert find_figures(text) == []


def test_section_numbers_at_the_start_of_a_line_are_not_figures():
    assert find_figures("1.学院结构") == []
    assert find_figures("2 专业结构") == []
    assert [f.text for f in find_figures("1.5倍于全省")] == ["1.5倍"]
    assert [f.text for f in find_figures("3所高校")] == ["3所"]


def test_a_year_followed_by_a_unit_is_a_count():
    assert [(f.value, f.unit) for f in find_figures("本届毕业生2023人")] == [(2023.0, "人")]


def test_a_bare_year_in_a_cell_or_row_stays_a_number():
    f = parse_figure("2023")
    assert f is not None and f.kind is FigureKind.COUNT and f.value == 2023.0
    assert [f.value for f in find_figures("专任教师 | 1986")] == [1986.0]
    assert find_figures("学校创建于1958，位列2023世界大学排行榜") == []


# --- periods ---------------------------------------------------------------------------------------------


def test_periods():
    text = "2023届毕业生中，2022年新增，2022-2023学年，2020-2023学年，2021-2023届趋势，截至2023年12月20日"
    assert [(p.text, p.is_range) for p in find_periods(text)] == [
        ("2023届", False),
        ("2022年", False),
        ("2022-2023学年", False),  # one school year, written with both its years
        ("2020-2023学年", True),
        ("2021-2023届", True),
    ]


# --- normalisation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.48, "万元", (4800.0, "元")),
        (1.25, "亿元", (125000000.0, "元")),
        (7350, "元", (7350.0, "元")),
        (3.2, "万人", (32000.0, "人")),
        (3, "万名", (30000.0, "人")),
        (5280, "名", (5280.0, "人")),
        (215, "万册", (2150000.0, "册")),
        (1200, "㎡", (1200.0, "平方米")),
        (3.2, "万", (32000.0, "")),
        (120, ":100", (1.2, ":1")),
        (18.46, ":1", (18.46, ":1")),
        (284, "1:", (284.0, "1:")),
        (67.21, "%", (67.21, "%")),
        (2.4, "个百分点", (2.4, "百分点")),
    ],
)
def test_normalize(value, unit, expected):
    assert normalize(value, unit) == expected


def test_normalize_makes_wan_yuan_and_yuan_comparable():
    assert normalize(0.48, "万元") == normalize(4800, "元")
    assert normalize(0.48, "万元") != normalize(0.48, "元")
