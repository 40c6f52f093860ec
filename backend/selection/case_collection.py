"""The 案例集: the shortlisted cases of a case campaign as one Word document (cover, contents, a chapter per case)
and their list as a workbook."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm, Mm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from backend.db.models import Campaign, Chunk
from backend.db.queries import chunks, duplicates, selection, submissions
from backend.domain.enums import SubmissionKind
from backend.errors import AppError, ErrorCode
from backend.reports.content import date_zh, xml_text
from backend.reports.review_document import office_field, office_styles, office_text
from backend.selection.exports import HEADER_FILL

LIST_COLUMNS = ("序号", "案例名称", "申报单位", "单位类别", "案例类别", "主题标签", "类别内排名", "得分")


@dataclass(frozen=True)
class SelectedCase:
    """A shortlisted case: its metadata and its text as stored chunks (None: no ingested version)."""

    title: str
    institution: str
    institution_type: str
    case_category: str
    theme_tags: tuple[str, ...]
    rank: int
    score: float
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True)
class CaseCollection:
    """A campaign's selected cases in shortlist order (category, then rank)."""

    campaign_name: str
    cases: tuple[SelectedCase, ...]

    @property
    def docx_name(self) -> str:
        """The Word document's file name."""
        return f"{self.campaign_name}案例集.docx"

    @property
    def xlsx_name(self) -> str:
        """The workbook's file name."""
        return f"{self.campaign_name}入选案例名单.xlsx"


def selected_cases(session: Session, *, campaign: Campaign) -> CaseCollection:
    """The fixed shortlist of a case campaign with each case's latest ingested text.

    Raises:
        AppError: ``NOT_FOUND`` for a campaign of reports; ``CONFLICT`` before the shortlist is fixed.
    """
    if campaign.kind is not SubmissionKind.CASE:
        raise AppError(
            ErrorCode.NOT_FOUND, "只有优秀案例活动才能汇编案例集。", f"campaign {campaign.id} is not a case campaign"
        )
    entries = selection.list_shortlist(session, campaign_id=campaign.id)
    if not entries:
        raise AppError(
            ErrorCode.CONFLICT, "入围名单尚未确定，请先在“排名与入围”中确定入选案例。", f"no shortlist {campaign.id}"
        )
    latest = {v.submission_id: v for v in duplicates.latest_ready_cases(session, campaign_ids=[campaign.id])}
    cases = []
    for e in entries:
        sub = submissions.get_submission(session, submission_id=e.submission_id)
        version = latest.get(sub.id)
        text = tuple(chunks.list_chunks(session, version_id=version.id)) if version else ()
        cases.append(
            SelectedCase(
                sub.title,
                e.institution.name,
                e.category.value,
                sub.case_category or "",
                tuple(sub.theme_tags),
                e.rank,
                e.score,
                text,
            )
        )
    return CaseCollection(campaign.name, tuple(cases))


def _centered(doc: Document, text: str, style: str = "Normal", *, lead: str | None = None) -> None:
    p = office_text(doc, text, style, lead=lead)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)


def _cover(doc: Document, collection: CaseCollection, today: date) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(3.18)
    for _ in range(6):
        doc.add_paragraph()
    _centered(doc, f"{collection.campaign_name}", "Title")
    _centered(doc, "优秀案例集", "Title")
    for _ in range(8):
        doc.add_paragraph()
    _centered(doc, f"共收录案例 {len(collection.cases)} 个")
    _centered(doc, date_zh(today))


def _contents(doc: Document) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _centered(doc, "目  录", "Title")
    toc = doc.add_paragraph()
    # Word and LibreOffice fill the contents from the chapter headings when they update fields.
    office_field(toc, 'TOC \\o "1-1" \\h \\z \\u', "（打开文件后请更新目录：右键 → 更新域）")


def _chapter(doc: Document, number: int, case: SelectedCase) -> None:
    doc.add_section(WD_SECTION.NEW_PAGE)
    doc.add_heading(xml_text(f"案例{number}  {case.title}"), level=1)
    meta = [("申报单位：", f"{case.institution}（{case.institution_type}）")]
    if case.case_category:
        meta.append(("案例类别：", case.case_category))
    if case.theme_tags:
        meta.append(("主题标签：", "、".join(case.theme_tags)))
    for lead, value in meta:
        p = office_text(doc, value, lead=lead)
        p.paragraph_format.first_line_indent = Pt(0)
    if not case.chunks:
        office_text(doc, "（该案例尚无可用的正文，请核对提交材料。）")
        return
    heading: tuple[str, ...] = ()
    for chunk in case.chunks:
        if chunk.heading_path and chunk.heading_path != heading:
            heading = chunk.heading_path
            doc.add_heading(xml_text(heading[-1]), level=2)
        for line in chunk.text.split("\n"):
            if line.strip():
                office_text(doc, line.strip())


def case_collection_docx(collection: CaseCollection, *, today: date | None = None) -> bytes:
    """The 案例集 as a Word document: cover, contents, one chapter per case (黑体 headings, 仿宋 text)."""
    doc = Document()
    office_styles(doc)
    _cover(doc, collection, today or date.today())
    _contents(doc)
    for number, case in enumerate(collection.cases, start=1):
        _chapter(doc, number, case)
    doc.core_properties.title = f"{collection.campaign_name}优秀案例集"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def case_collection_xlsx(collection: CaseCollection) -> bytes:
    """The selected cases as one sheet: title, institution, categories, tags, rank and score."""
    book = Workbook()
    sheet = book.active
    sheet.title = "入选案例"
    sheet.append(list(LIST_COLUMNS))
    for n, c in enumerate(collection.cases, start=1):
        sheet.append(
            [
                n,
                c.title,
                c.institution,
                c.institution_type,
                c.case_category,
                "、".join(c.theme_tags),
                c.rank,
                round(c.score * 100, 1),
            ]
        )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(LIST_COLUMNS))}{max(sheet.max_row, 2)}"
    for i, width in enumerate((6, 48, 28, 10, 16, 24, 10, 8), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
