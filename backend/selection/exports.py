"""A campaign's downloads: the shortlist workbook, the summary Word document, every review as Word files in a ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import BEIJING
from backend.db.queries import reviews
from backend.reports.export import MEDIA_TYPES, ReviewExport, export_review
from backend.selection.board import BoardRow, BoardStatus
from backend.selection.shortlist import CampaignShortlist, CategoryRanking

HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")
SHORTLIST_COLUMNS = ("排名", "单位", "得分", "评分依据", "席位", "标签", "按名额推荐", "已确定入围", "并列", "备注")
SHORTLIST_WIDTHS = (6, 28, 8, 22, 12, 12, 11, 11, 6, 30)
# A case campaign's row is a case: its title first, then the institution that filed it.
CASE_SHORTLIST_COLUMNS = ("排名", "案例名称", "申报单位", *SHORTLIST_COLUMNS[2:])
CASE_SHORTLIST_WIDTHS = (6, 40, 24, *SHORTLIST_WIDTHS[2:])


def _dimension_names(shortlist: CampaignShortlist) -> list[str]:
    names: list[str] = []
    for parts in shortlist.explained.values():
        names += [p.name for p in parts if p.name not in names]
    return names


def _sheet_rows(shortlist: CampaignShortlist, category: CategoryRanking, dimensions: list[str]) -> list[list[object]]:
    per_case = shortlist.per_case
    rows = []
    for r in category.rows:
        c = r.candidate
        scores = {p.name: p.score for p in shortlist.explained.get(c.submission_id, ())}
        entry = shortlist.fixed_entry(r)
        rows.append(
            [
                r.rank,
                *((c.title, c.institution_name) if per_case else (c.institution_name,)),
                round(c.score * 100, 1),
                c.source.zh,
                r.seat_zh,
                "、".join(c.tags),
                "是" if r.selected else "否",
                "是" if entry else "否",
                "是" if r.tied else "",
                entry.note if entry else "",
                *(round(scores[d] * 100, 1) if d in scores else None for d in dimensions),
            ]
        )
    return rows


def shortlist_xlsx(shortlist: CampaignShortlist) -> bytes:
    """One sheet per category: every ranked row (institution or case), frozen header, filters, scores per
    first-level indicator."""
    book = Workbook()
    book.remove(book.active)
    dimensions = _dimension_names(shortlist)
    per_case = shortlist.per_case
    columns, widths = (
        (CASE_SHORTLIST_COLUMNS, CASE_SHORTLIST_WIDTHS) if per_case else (SHORTLIST_COLUMNS, SHORTLIST_WIDTHS)
    )
    header = [*columns, *(f"{d}得分" for d in dimensions)]
    for category in shortlist.categories:
        sheet = book.create_sheet(
            f"{category.category.value}（名额{category.quota}）"
            if category.quota is not None
            else f"{category.category.value}（共享名额）"
        )
        sheet.append(header)
        for row in _sheet_rows(shortlist, category, dimensions):
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        # The rank and the row's names stay in view.
        sheet.freeze_panes = "D2" if per_case else "C2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(sheet.max_row, 2)}"
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        for i in range(len(columns) + 1, len(header) + 1):
            sheet.column_dimensions[get_column_letter(i)].width = 12
    if not book.sheetnames:
        book.create_sheet("暂无排名").append(["尚无完成评审的材料。"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fonts(doc: Document) -> None:
    """仿宋 body and 黑体 headings as East Asian fonts (Word ignores the Latin font for Chinese text)."""
    for name, font, size in (("Normal", "仿宋", 12), ("Title", "黑体", 20), ("Heading 1", "黑体", 15)):
        style = doc.styles[name]
        style.font.name = font
        style.font.size = Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def summary_docx(shortlist: CampaignShortlist, board: Sequence[BoardRow]) -> bytes:
    """The campaign at a glance: settings, where submissions stand, the ranking per category, the fixed shortlist."""
    campaign = shortlist.campaign
    doc = Document()
    _fonts(doc)
    doc.add_heading(f"{campaign.name}工作总结", level=0)
    deadline = campaign.deadline.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if campaign.deadline else "未设置"
    doc.add_paragraph(
        f"指标体系：{campaign.rubric_id}；材料类型：{campaign.kind.zh}；提交截止：{deadline}（北京时间）。"
    )
    doc.add_heading("材料状态", level=1)
    measure, noun = shortlist.unit.measure_zh, shortlist.unit.noun_zh
    counts = {s: sum(r.status is s for r in board) for s in BoardStatus}
    # The board has one row per institution, in a case campaign too.
    doc.add_paragraph("；".join(f"{s.zh} {n} 所" for s, n in counts.items() if n) + "。")
    doc.add_heading("分类排名与名额", level=1)
    doc.add_paragraph(shortlist.quotas_zh + "。")
    for category in shortlist.categories:
        tagged = "，".join(f"其中{tag} {n} {measure}" for tag, n in category.tagged.items())
        doc.add_paragraph(f"{category.category.value}：{category.quota_zh}{('，' + tagged) if tagged else ''}。")
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("排名", noun, "得分", "评分依据", "推荐入围"), strict=True):
            cell.text = text
        for r in category.rows:
            seat = (f"是（{r.seat_zh}）" if r.seat else "是") if r.selected else "否"
            values = (
                str(r.rank),
                shortlist.label(r),
                f"{r.candidate.score * 100:.1f}",
                r.candidate.source.zh,
                seat,
            )
            for cell, text in zip(table.add_row().cells, values, strict=True):
                cell.text = text
        if category.tie_at_cutoff:
            doc.add_paragraph("注意：名额线处存在同分，需秘书处裁定。")
    doc.add_heading("确定的入围名单", level=1)
    if not shortlist.fixed:
        doc.add_paragraph("入围名单尚未确定。")
    for entry in shortlist.fixed:
        when = entry.fixed_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        note = f"；备注：{entry.note}" if entry.note else ""
        name = shortlist.entry_label(entry)
        doc.add_paragraph(f"{entry.category.value} 第 {entry.rank} 名 {name}（{when} 确定{note}）")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def reviews_zip(session: Session, settings: Settings, board: Sequence[BoardRow], *, campaign_name: str) -> ReviewExport:
    """Every reviewed submission's newest AI review as a Word report, one file per institution, in a ZIP."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in board:
            if row.review is None:
                continue
            record = reviews.get_review(session, review_id=row.review.id)
            report = export_review(session, settings, record=record, suffix=".docx")
            archive.writestr(f"{row.institution.name}-{report.filename}", report.data)
    return ReviewExport(f"{campaign_name}-全部评审意见.zip", "application/zip", out.getvalue())


XLSX_TYPE = MEDIA_TYPES[".xlsx"]
DOCX_TYPE = MEDIA_TYPES[".docx"]
