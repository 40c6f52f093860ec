"""The agreement between experts and the AI drafts as an Excel sheet: one row per expert and indicator."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from backend.review.expert import AgreementRow

COLUMNS = (
    ("专家", 16),
    ("指标体系", 22),
    ("指标编号", 10),
    ("指标名称", 30),
    ("采纳", 8),
    ("修改", 8),
    ("驳回", 8),
    ("合计", 8),
    ("采纳率", 10),
)


def agreement_xlsx(rows: Sequence[AgreementRow]) -> bytes:
    """The workbook's bytes: a header row, then each expert × indicator with counts and the accept rate."""
    book = Workbook()
    sheet = book.active
    sheet.title = "专家与AI一致性"
    sheet.append([name for name, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF2F7")
    for n, (_, width) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + n)].width = width
    for r in rows:
        sheet.append(
            [
                r.reviewer,
                r.rubric_id,
                r.indicator_id,
                r.indicator_name,
                r.accepted,
                r.edited,
                r.rejected,
                r.total,
                round(r.accept_rate, 4),
            ]
        )
        sheet.cell(row=sheet.max_row, column=len(COLUMNS)).number_format = "0.0%"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
