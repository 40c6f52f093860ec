"""Figure consistency as an Excel sheet: one row per metric, period and source, conflicts first."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from backend.reports.content import xml_text
from backend.review.consistency import Consistency, Verdict

COLUMNS = (
    ("结论", 10),
    ("指标", 28),
    ("期间", 14),
    ("审核重点", 10),
    ("来源类型", 10),
    ("文件", 28),
    ("位置（页码或单元格）", 26),
    ("数值（原文）", 16),
    ("比对值", 14),
    ("比对单位", 10),
    ("原文（句子或表格行）", 60),
    ("说明", 50),
)
_CONFLICT_FILL = PatternFill("solid", fgColor="FDECEC")


def consistency_xlsx(consistency: Consistency) -> bytes:
    """The workbook's bytes: a frozen, filterable header, then one row per statement (one per 缺失 metric)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "数据一致性"
    sheet.append([name for name, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF2F7")
    for n, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    for check in consistency.checks:
        head = [check.verdict.zh, check.metric, check.period or "", check.point_id or ""]
        if not check.statements:
            sheet.append([*head, "", "", "", "", "", "", "", xml_text(check.note_zh)])
            continue
        for st in check.statements:
            sheet.append(
                [
                    *head,
                    st.source.role.zh,
                    xml_text(st.source.name),
                    st.place_zh,
                    xml_text(st.fact.text),
                    round(st.value, 6),
                    st.unit,
                    xml_text(st.quote_zh),
                    xml_text(check.note_zh),
                ]
            )
            if check.verdict is Verdict.CONFLICT:
                for cell in sheet[sheet.max_row]:
                    cell.fill = _CONFLICT_FILL
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(sheet.max_row, 1)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
