"""The Excel review: one row per point with values (never formulas), a frozen filtered header, the checklists."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from backend.reports.content import AI_NOTE_ZH, ReportHeader, quoted_zh
from backend.reports.review_report import ReportFormat, write_review
from backend.reports.review_sheet import (
    ABOUT_SHEET,
    CHECKLIST_COLUMNS,
    CHECKLIST_SHEET,
    POINT_COLUMNS,
    POINTS_SHEET,
    to_xlsx,
)


def _open(review, **kwargs) -> openpyxl.Workbook:
    stream = io.BytesIO()
    to_xlsx(review, stream, **kwargs)
    return openpyxl.load_workbook(io.BytesIO(stream.getvalue()))


def _records(ws) -> list[dict[str, object]]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture(scope="module")
def workbook(review, small_rubric) -> openpyxl.Workbook:
    return _open(review, header=ReportHeader(institution="江南理工学院", version_label="第 2 版"), rubric=small_rubric)


def test_one_row_per_point_with_the_indicator_level_marks_and_first_quote(workbook, review):
    ws = workbook[POINTS_SHEET]
    assert [c.value for c in ws[1]] == [c.title for c in POINT_COLUMNS]
    records = _records(ws)
    points = [(a, p) for a in review.assessments for p in a.points]
    assert len(records) == len(points) == 4
    for record, (a, p) in zip(records, points, strict=True):
        assert (record["指标编号"], record["指标名称"], record["审核重点编号"]) == (
            a.indicator_id,
            a.indicator_name,
            p.point_id,
        )
        assert record["审核重点"] == p.point_text and record["AI 标记"] == p.mark_zh
        assert record["建议等级"] == f"{a.level} {a.level_label}" and record["置信度"] == a.confidence
        assert record["证据条数"] == len(p.evidence) and record["理由"] == p.rationale_zh
        if p.evidence:
            assert record["首条证据"] == quoted_zh(p.evidence[0])
            assert record["首条证据页码"] == p.evidence[0].page_start
        else:
            assert record["首条证据"] is None and record["首条证据页码"] is None
    assert [r["一级指标"] for r in records] == ["4 教师队伍", "4 教师队伍", "6 质量保障", "6 质量保障"]
    first, second, _, last = records
    assert first["报告数值"].startswith("生师比：「表1 学校基本数据：生师比 = 17.5:1」（第 2 页")
    assert second["缺失证据"] == "教师培训记录；教学能力提升项目"
    assert second["改进建议"] == "补充近三年教师培训台账与参训率。（依据：ciqa-guide-2021:4.2.1）"
    assert last["缺失证据"] == "毕业生跟踪调查报告；用人单位满意度调查" and last["首条证据"] is None


def test_header_is_frozen_filtered_bold_and_columns_wrap(workbook):
    for name, columns, rows in ((POINTS_SHEET, POINT_COLUMNS, 4), (CHECKLIST_SHEET, CHECKLIST_COLUMNS, 3)):
        ws = workbook[name]
        assert ws.freeze_panes == "A2"
        last = openpyxl.utils.get_column_letter(len(columns))
        assert ws.auto_filter.ref == f"A1:{last}{rows + 1}"
        assert all(c.font.bold and c.fill.fgColor.rgb.endswith("D9E1F2") for c in ws[1])
        assert ws.print_title_rows == "$1:$1"
    ws = workbook[POINTS_SHEET]
    assert ws["K2"].alignment.wrap_text
    widths = {
        c.title: ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i, c in enumerate(POINT_COLUMNS, 1)
    }
    assert widths["首条证据"] == 60 and widths["置信度"] == 8 and widths["指标编号"] == 10


def test_checklist_sheet_lists_materials_then_site_questions(workbook, review):
    records = _records(workbook[CHECKLIST_SHEET])
    expected = [("补充材料清单", n, i) for n, i in enumerate(review.supplementary_materials, 1)]
    expected += [("入校考察问题清单", n, i) for n, i in enumerate(review.site_visit_questions, 1)]
    assert len(records) == len(expected) == 3
    for record, (kind, n, item) in zip(records, expected, strict=True):
        assert (record["清单"], record["序号"], record["指标编号"], record["审核重点编号"], record["内容"]) == (
            kind,
            n,
            item.indicator_id,
            item.point_id,
            item.text_zh,
        )


def test_about_sheet_says_what_was_reviewed_and_that_it_is_a_draft(workbook):
    about = dict(workbook[ABOUT_SHEET].iter_rows(values_only=True))
    assert about["学校"] == "江南理工学院" and about["版本"] == "第 2 版" and about["说明"] == AI_NOTE_ZH
    assert about["指标体系"] == "迷你审核评估（mini-audit），版本 1.0"


def test_cells_are_values_never_formulas_and_nothing_is_shortened(review):
    a = review.assessments[0]
    long_quote = "学校" + "加强师资队伍建设，" * 2000
    ev = a.points[0].evidence[0].model_copy(update={"quote": long_quote, "display_zh": None})
    first = a.points[0].model_copy(update={"evidence": (ev,), "rationale_zh": "=SUM(A1:A9) 未见数据"})
    changed = a.model_copy(update={"points": (first, *a.points[1:])})
    ws = _open(review.model_copy(update={"assessments": (changed, *review.assessments[1:])}))[POINTS_SHEET]
    record = _records(ws)[0]
    assert record["首条证据"] == f"“{long_quote}”" and len(record["首条证据"]) > 18000
    rationale = ws.cell(row=2, column=[c.title for c in POINT_COLUMNS].index("理由") + 1)
    assert rationale.data_type == "s" and rationale.value == "=SUM(A1:A9) 未见数据"
    assert record["一级指标"] == "4"  # without the rubric, the first part of the indicator id


def test_write_review_picks_the_workbook_by_suffix(review, tmp_path: Path):
    assert write_review(review, tmp_path / "r.xlsx") is ReportFormat.XLSX
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames == [POINTS_SHEET, CHECKLIST_SHEET, ABOUT_SHEET]
