"""The review as an Excel workbook: one row per review point to sort and filter, the two checklists, a cover sheet.

Every cell holds a value, never a formula: a quote that starts with ``=`` is written as text. Nothing is
shortened; long cells wrap in columns sized to their content up to a readable width.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from backend.domain.assessment import IndicatorAssessment, PointAssessment, Review
from backend.domain.enums import Mark
from backend.reports.content import (
    AI_NOTE_ZH,
    MARK_MEANING_ZH,
    MATERIALS_ZH,
    NO_HEADER,
    QUESTIONS_ZH,
    TITLE_ZH,
    ReportHeader,
    RubricNames,
    advice_of,
    advice_zh,
    date_zh,
    drafter_zh,
    figure_zh,
    level_zh,
    missing_of,
    quoted_zh,
    section_zh,
    xml_text,
)
from backend.rubrics.models import Rubric

POINTS_SHEET, CHECKLIST_SHEET, ABOUT_SHEET = "审核重点", "清单", "说明"
Cell = str | int | float | None


@dataclass(frozen=True)
class _Column:
    """A column: its header and the widest it grows (in characters of Latin width) before text wraps."""

    title: str
    max_width: int = 40


POINT_COLUMNS = (
    _Column("一级指标", 18),
    _Column("指标编号", 10),
    _Column("指标名称", 20),
    _Column("审核重点编号", 14),
    _Column("审核重点", 40),
    _Column("AI 标记", 10),
    _Column("建议等级", 12),
    _Column("置信度", 8),
    _Column("证据条数", 10),
    _Column("首条证据页码", 14),
    _Column("首条证据", 60),
    _Column("首条证据所在章节", 30),
    _Column("报告数值", 40),
    _Column("理由", 50),
    _Column("缺失证据", 30),
    _Column("改进建议", 50),
    _Column("初审方式", 12),
)
CHECKLIST_COLUMNS = (
    _Column("清单", 18),
    _Column("序号", 6),
    _Column("指标编号", 10),
    _Column("审核重点编号", 14),
    _Column("内容", 80),
)

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_MARK_FILLS = {
    Mark.CLEAR: PatternFill("solid", fgColor="E2EFDA"),
    Mark.MORE_MATERIAL: PatternFill("solid", fgColor="FFF2CC"),
    Mark.VERIFY_ON_SITE: PatternFill("solid", fgColor="FCE4D6"),
}


def to_xlsx(
    review: Review,
    out: Path | BinaryIO,
    *,
    header: ReportHeader = NO_HEADER,
    rubric: Rubric | None = None,
) -> None:
    """Write the review as a workbook (审核重点, 清单, 说明) to a file or a binary stream."""
    names = RubricNames.of(review, rubric)
    wb = Workbook()
    points = wb.active
    points.title = POINTS_SHEET
    rows = [_point_row(a, p, names) for a in review.assessments for p in a.points]
    _table(points, POINT_COLUMNS, rows)
    mark_col = [c.title for c in POINT_COLUMNS].index("AI 标记") + 1
    marks = [p.mark for a in review.assessments for p in a.points]
    for r, mark in enumerate(marks, start=2):
        points.cell(row=r, column=mark_col).fill = _MARK_FILLS[mark]
    checklist = [
        (kind, n, item.indicator_id, item.point_id, item.text_zh)
        for kind, items in ((MATERIALS_ZH, review.supplementary_materials), (QUESTIONS_ZH, review.site_visit_questions))
        for n, item in enumerate(items, start=1)
    ]
    _table(wb.create_sheet(CHECKLIST_SHEET), CHECKLIST_COLUMNS, checklist)
    _about(wb.create_sheet(ABOUT_SHEET), review, header, names)
    wb.properties.title = f"{TITLE_ZH}：{review.document_name}"
    wb.properties.subject = AI_NOTE_ZH
    wb.save(out)


def _point_row(a: IndicatorAssessment, p: PointAssessment, names: RubricNames) -> tuple[Cell, ...]:
    first = p.evidence[0] if p.evidence else None
    return (
        names.top_level_of(a.indicator_id),
        a.indicator_id,
        a.indicator_name,
        p.point_id,
        p.point_text,
        p.mark_zh,
        level_zh(a),
        round(a.confidence, 2),
        len(p.evidence),
        first.page_start if first else None,
        quoted_zh(first) if first else None,
        section_zh(first) if first else None,
        figure_zh(p.figure) if p.figure else None,
        p.rationale_zh,
        "\n".join(m.expected_zh for m in missing_of(a, p)) or None,
        "\n".join(advice_zh(x) for x in advice_of(a, p)) or None,
        drafter_zh(a),
    )


def _table(ws: Worksheet, columns: Sequence[_Column], rows: Sequence[tuple[Cell, ...]]) -> None:
    """Header row bold on a fill, frozen and filtered; values wrapped in columns sized to their text."""
    ws.append([c.title for c in columns])
    for row in rows:
        ws.append([xml_text(v) if isinstance(v, str) else v for v in row])
    for cell in ws[1]:
        cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for line in ws.iter_rows(min_row=2):
        for cell in line:
            cell.border, cell.alignment = _BORDER, _WRAP
            # openpyxl writes a string starting with "=" as a formula; a quote is text.
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for i, column in enumerate(columns, start=1):
        texts = [column.title, *(str(row[i - 1]) for row in rows if row[i - 1] is not None)]
        widest = max(_display_width(line) for text in texts for line in text.split("\n"))
        ws.column_dimensions[get_column_letter(i)].width = min(widest + 2, column.max_width)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _display_width(text: str) -> int:
    """Width in Latin characters: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _about(ws: Worksheet, review: Review, header: ReportHeader, names: RubricNames) -> None:
    """What the workbook is: the reviewed report, the rubric, the date, the draft note and the marks' meaning."""
    lines: list[tuple[str, str | None]] = [
        ("标题", TITLE_ZH),
        ("学校", header.institution),
        ("报告", review.document_name),
        ("版本", header.version_label),
        ("指标体系", f"{names.rubric_zh}，版本 {review.rubric_version}"),
        ("初审日期", date_zh(header.reviewed_on or date.today())),
        ("说明", AI_NOTE_ZH),
        *((m.zh, MARK_MEANING_ZH[m]) for m in Mark),
    ]
    for key, value in lines:
        if value:
            ws.append([key, xml_text(value)])
    for (key,) in ws.iter_rows(max_col=1):
        key.font = _HEADER_FONT
    for (value,) in ws.iter_rows(min_col=2, max_col=2):
        value.alignment = _WRAP
        value.data_type = "s"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 80
