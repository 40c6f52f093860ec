"""Figures are parsed in their most specific shape and tied to the metric they follow."""

from __future__ import annotations

from backend.review.figures import FigureKind, figure_near, find_figures


def test_shapes_are_recognised():
    figs = find_figures("2023年生师比为17.5:1，博士占比46.2%，生均经费4,821元，教师1260人，另有百分之九十")
    kinds = [(f.kind, f.value, f.unit) for f in figs]
    assert (FigureKind.YEAR, 2023.0, "年") in kinds
    assert (FigureKind.RATIO, 17.5, ":1") in kinds
    assert (FigureKind.PERCENT, 46.2, "%") in kinds
    assert (FigureKind.AMOUNT, 4821.0, "元") in kinds
    assert (FigureKind.AMOUNT, 1260.0, "人") in kinds
    assert len(figs) == 5  # 百分之九十 has no digits; nothing counted twice


def test_value_follows_metric_name_in_the_same_sentence():
    text = "学校现有专任教师1260人。生师比为17.5:1，低于国家标准。"
    fig = figure_near(text, ["生师比"], ":1")
    assert fig and fig.value == 17.5 and text[fig.start : fig.end] == "17.5:1"
    assert figure_near("生师比持续优化。专任教师1260人。", ["生师比"], ":1") is None


def test_table_row_and_full_width_colon():
    fig = figure_near("指标 | 数值\n生师比 | 16.8：1\n博士学位教师占比 | 47%", ["生师比"], ":1")
    assert fig and fig.value == 16.8
    pct = figure_near("指标 | 数值\n生师比 | 16.8：1\n博士学位教师占比 | 47%", ["博士学位教师占比"], "%")
    assert pct and pct.value == 47.0


def test_years_are_not_values():
    assert figure_near("生均图书自2019年以来持续增长", ["生均图书"], "册") is None
