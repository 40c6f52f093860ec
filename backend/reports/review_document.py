"""The review as a Word document an office can forward: cover block, summary table, per-point opinions, checklists.

Chinese office conventions: A4 with Word's normal margins, 黑体 title and headings, 仿宋 body text with a
two-character first-line indent, table text in 仿宋 五号 under a shaded 黑体 header row that repeats on every
page, and 第 X 页 / 共 Y 页 in the footer. Every font is set for East Asian text (``w:rFonts w:eastAsia``),
since Word shows Chinese in the East Asian font and ignores ``w:ascii`` for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from backend.domain.assessment import NO_EVIDENCE_ZH, ChecklistItem, IndicatorAssessment, PointAssessment, Review
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
    mark_counts,
    missing_of,
    pages_zh,
    quoted_zh,
    section_zh,
    xml_text,
)
from backend.rubrics.models import Rubric

HEITI, FANGSONG, LATIN = "黑体", "仿宋", "Times New Roman"
TABLE_TEXT, TABLE_HEADING = "Table Text", "Table Heading"
SUMMARY_COLUMNS = ("指标", "名称", "建议等级", *(m.zh for m in Mark), "置信度")
# Widths in cm of the summary columns: 14.6 cm of text width between Word's normal 3.18 cm margins.
_SUMMARY_WIDTHS_CM = (1.6, 4.4, 2.4, 1.4, 1.6, 1.4, 1.6)
_HEADER_FILL = "D9D9D9"
# Schema order (ECMA-376 CT_PPr, CT_TblPr): what must follow a paragraph's shading and a table's borders.
_PPR_AFTER_SHADING = (
    "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
_TBLPR_AFTER_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")


@dataclass(frozen=True)
class _StyleSpec:
    """A paragraph style's East Asian font, size in points, line spacing and whether the first line is indented."""

    east_asian: str
    size_pt: float
    line_spacing: float = 1.0
    indent: bool = False

    @property
    def latin(self) -> str:
        """Digits and Latin letters in 黑体 text stay 黑体; in 仿宋 text they are set in Times New Roman."""
        return HEITI if self.east_asian == HEITI else LATIN


# 二号 title, 三号/四号/小四 headings, 小四 body, 五号 tables (the sizes of Chinese office documents).
_STYLES = {
    "Normal": _StyleSpec(FANGSONG, 12, line_spacing=1.5, indent=True),
    "Title": _StyleSpec(HEITI, 22),
    "Heading 1": _StyleSpec(HEITI, 16),
    "Heading 2": _StyleSpec(HEITI, 14),
    "Heading 3": _StyleSpec(HEITI, 12),
    "List Bullet": _StyleSpec(FANGSONG, 12, line_spacing=1.5),
    "List Number": _StyleSpec(FANGSONG, 12, line_spacing=1.5),
    "Caption": _StyleSpec(HEITI, 10.5),
    "Header": _StyleSpec(FANGSONG, 9),
    "Footer": _StyleSpec(FANGSONG, 10.5),
    TABLE_TEXT: _StyleSpec(FANGSONG, 10.5),
    TABLE_HEADING: _StyleSpec(HEITI, 10.5),
}


def to_docx(
    review: Review,
    out: Path | BinaryIO,
    *,
    header: ReportHeader = NO_HEADER,
    rubric: Rubric | None = None,
) -> None:
    """Write the review as a Word document to a file or a binary stream."""
    names = RubricNames.of(review, rubric)
    doc = Document()
    office_page(doc, " ".join(filter(None, (header.institution, f"{TITLE_ZH}（仅供专家参考）"))))
    office_styles(doc)
    _cover(doc, review, header, names)
    _summary(doc, review)
    doc.add_heading("二、逐项审核意见", level=1)
    for a in review.assessments:
        _indicator(doc, a, names)
    _checklist(doc, f"三、{MATERIALS_ZH}", review.supplementary_materials)
    _checklist(doc, f"四、{QUESTIONS_ZH}", review.site_visit_questions)
    doc.core_properties.title = f"{TITLE_ZH}：{review.document_name}"
    doc.core_properties.subject = AI_NOTE_ZH
    doc.save(str(out) if isinstance(out, Path) else out)


# --- page and styles ---------------------------------------------------------------------------------


def office_page(doc: DocxDocument, running: str) -> None:
    """A4 portrait, Word's normal margins, ``running`` as the page header and 第 X 页 / 共 Y 页 in the footer."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(3.18)
    header = section.header.paragraphs[0]
    header.style = doc.styles["Header"]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    header.add_run(xml_text(running))
    foot = section.footer.paragraphs[0]
    foot.style = doc.styles["Footer"]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.add_run("第 ")
    office_field(foot, "PAGE", "1")
    foot.add_run(" 页 / 共 ")
    office_field(foot, "NUMPAGES", "1")
    foot.add_run(" 页")


def office_field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) whose value Word and LibreOffice compute when they lay out the pages."""

    def fld_char(kind: str) -> OxmlElement:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    paragraph.add_run()._r.append(fld_char("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(fld_char("separate"))
    paragraph.add_run(shown)
    paragraph.add_run()._r.append(fld_char("end"))


def office_styles(doc: DocxDocument) -> None:
    """Fonts, sizes and spacing of every style used; Chinese as the East Asian language of the document."""
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(defaults, FANGSONG, LATIN)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    for name in (TABLE_TEXT, TABLE_HEADING):
        added = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        added.base_style = doc.styles["Normal"]
    for name, spec in _STYLES.items():
        style = doc.styles[name]
        set_fonts(style.element.get_or_add_rPr(), spec.east_asian, spec.latin)
        style.font.size = Pt(spec.size_pt)
        style.font.color.rgb = RGBColor(0, 0, 0)
        # 黑体 is already heavy: bold 黑体 headings are not used in office documents.
        style.font.bold = False
        style.font.italic = False
        fmt = style.paragraph_format
        fmt.first_line_indent = Pt(2 * spec.size_pt) if spec.indent else Pt(0)
        fmt.space_after = Pt(0)
        fmt.line_spacing = spec.line_spacing
    for level, before in ((1, 18), (2, 12), (3, 6)):
        fmt = doc.styles[f"Heading {level}"].paragraph_format
        fmt.space_before, fmt.space_after = Pt(before), Pt(6)
        fmt.keep_with_next = True
    title = doc.styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(12)
    for border in title.element.get_or_add_pPr().findall(qn("w:pBdr")):
        border.getparent().remove(border)
    doc.styles["Caption"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.styles["Caption"].paragraph_format.space_before = Pt(6)
    doc.styles[TABLE_HEADING].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def set_fonts(rpr: OxmlElement, east_asian: str, latin: str) -> None:
    """Explicit fonts for East Asian and Latin text; theme fonts would override them, so they are removed."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


# --- content -------------------------------------------------------------------------------------------


def office_text(doc: DocxDocument, text: str, style: str = "Normal", *, lead: str | None = None) -> Paragraph:
    """A paragraph, with a run-in lead (理由：, 报告数值：) in 黑体."""
    p = doc.add_paragraph(style=style)
    if lead:
        run = p.add_run(lead)
        set_fonts(run._r.get_or_add_rPr(), HEITI, HEITI)
    p.add_run(xml_text(text))
    return p


def _cover(doc: DocxDocument, review: Review, header: ReportHeader, names: RubricNames) -> None:
    """Title, what was reviewed against what and when, and the note that this is a draft for experts."""
    doc.add_paragraph(TITLE_ZH, style="Title")
    lines = [
        ("学校：", header.institution),
        ("报告：", review.document_name),
        ("版本：", header.version_label),
        ("指标体系：", f"{names.rubric_zh}，版本 {review.rubric_version}"),
        ("初审日期：", date_zh(header.reviewed_on or date.today())),
    ]
    for lead, value in lines:
        if value:
            p = office_text(doc, value, lead=lead)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.first_line_indent = Pt(0)
    note = office_text(doc, AI_NOTE_ZH, lead="说明：")
    _box(note)
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note.paragraph_format.first_line_indent = Pt(0)
    note.paragraph_format.space_before = Pt(12)


def _box(paragraph: Paragraph) -> None:
    """A thin border and light shading around a paragraph, so the draft note is not missed when forwarded."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        for attr, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "4"), ("w:color", "000000")):
            edge.set(qn(attr), value)
        borders.append(edge)
    # Word refuses a document whose pPr children are out of schema order.
    ppr.insert_element_before(borders, "w:shd", *_PPR_AFTER_SHADING)
    ppr.insert_element_before(_shading(_HEADER_FILL), *_PPR_AFTER_SHADING)


def _shading(fill: str) -> OxmlElement:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    return shd


def _summary(doc: DocxDocument, review: Review) -> None:
    """Totals in a sentence, what the marks mean, and the table of indicators."""
    doc.add_heading("一、总体情况", level=1)
    totals = {m: sum(mark_counts(a)[m] for a in review.assessments) for m in Mark}
    points = sum(totals.values())
    marks = "，".join(f"{m.zh} {totals[m]} 个" for m in Mark)
    office_text(doc, f"共评议指标 {len(review.assessments)} 项、审核重点 {points} 个，其中{marks}。")
    meanings = "；".join(f"{m.zh}表示{MARK_MEANING_ZH[m]}" for m in Mark)
    office_text(doc, f"{meanings}。", lead="标记说明：")
    doc.add_paragraph("表 1  指标评议汇总", style="Caption")
    table = office_table(doc, SUMMARY_COLUMNS, _SUMMARY_WIDTHS_CM)
    for a in review.assessments:
        counts = mark_counts(a)
        values = (a.indicator_id, a.indicator_name, level_zh(a), *(str(counts[m]) for m in Mark), f"{a.confidence:.2f}")
        table_row(doc, table, values)
    table_row(doc, table, ("合计", "", "", *(str(totals[m]) for m in Mark), ""))
    close_table(table, _SUMMARY_WIDTHS_CM)


def office_table(doc: DocxDocument, headings: tuple[str, ...], widths_cm: tuple[float, ...]) -> Table:
    """A framed table whose shaded 黑体 header row repeats on every page; add rows, then :func:`close_table`."""
    table = doc.add_table(rows=1, cols=len(headings))
    table_frame(table, widths_cm)
    for cell, title in zip(table.rows[0].cells, headings, strict=True):
        cell.paragraphs[0].style = doc.styles[TABLE_HEADING]
        cell.paragraphs[0].add_run(title)
        cell._tc.get_or_add_tcPr().append(_shading(_HEADER_FILL))
    return table


def close_table(table: Table, widths_cm: tuple[float, ...]) -> None:
    """Every cell's width (Word reads the cells'), no row split across pages, the header row repeated."""
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)
    for i, row in enumerate(table.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            trpr.append(OxmlElement("w:tblHeader"))


def table_frame(table: Table, widths_cm: tuple[float, ...] = _SUMMARY_WIDTHS_CM) -> None:
    """Centred, fixed column widths, single black borders on every edge."""
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        for attr, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "0"), ("w:color", "000000")):
            edge.set(qn(attr), value)
        borders.append(edge)
    table._tbl.tblPr.insert_element_before(borders, *_TBLPR_AFTER_BORDERS)


def table_row(doc: DocxDocument, table: Table, values: tuple[str, ...]) -> None:
    """A row in 五号 仿宋: the second column (names) left-aligned, the others centred."""
    cells = table.add_row().cells
    for col, (cell, value) in enumerate(zip(cells, values, strict=True)):
        p = cell.paragraphs[0]
        p.style = doc.styles[TABLE_TEXT]
        # Names read left-aligned; ids, levels and numbers centred.
        if col != 1:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(xml_text(value))


def _indicator(doc: DocxDocument, a: IndicatorAssessment, names: RubricNames) -> None:
    parent = names.parent_of(a.indicator_id)
    under = f"（一级指标：{parent}）" if parent else ""
    doc.add_heading(f"{a.indicator_id} {a.indicator_name}{under}", level=2)
    office_text(
        doc,
        f"{level_zh(a)}；置信度 {a.confidence:.2f}；初审方式：{drafter_zh(a)}。",
        lead="建议等级：",
    )
    office_text(doc, a.rationale_zh, lead="评议意见：")
    for point in a.points:
        _point(doc, a, point)


def _point(doc: DocxDocument, a: IndicatorAssessment, point: PointAssessment) -> None:
    """Mark, rationale, figure, every quote with its page and section, missing evidence and advice."""
    doc.add_heading(f"{point.point_id} {point.point_text}【{point.mark_zh}】", level=3)
    office_text(doc, f"{point.mark_zh}（{MARK_MEANING_ZH[point.mark]}）。", lead="AI 标记：")
    office_text(doc, point.rationale_zh, lead="理由：")
    if point.figure:
        office_text(doc, figure_zh(point.figure), lead="报告数值：")
    if not point.evidence:
        office_text(doc, NO_EVIDENCE_ZH, lead="报告原文：")
    for n, ev in enumerate(point.evidence, start=1):
        where = "，".join(filter(None, (pages_zh(ev), section_zh(ev))))
        office_text(doc, quoted_zh(ev), "List Bullet", lead=f"原文 {n}（{where}）：")
    for m in missing_of(a, point):
        office_text(doc, m.expected_zh, "List Bullet", lead="缺失证据：")
    for x in advice_of(a, point):
        office_text(doc, advice_zh(x), "List Bullet", lead="改进建议：")


def _checklist(doc: DocxDocument, title: str, items: tuple[ChecklistItem, ...]) -> None:
    """A numbered list that starts again at 1 (Word continues one list style's numbers across the document)."""
    doc.add_heading(title, level=1)
    if not items:
        office_text(doc, "无。")
        return
    numbering = doc.part.numbering_part.numbering_definitions._numbering
    style_num = doc.styles["List Number"].element.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    restart = numbering.add_num(abstract)
    restart.add_lvlOverride(ilvl=0).add_startOverride(1)
    for item in items:
        p = office_text(doc, item.text_zh, "List Number", lead=f"{item.point_id}：")
        num_pr = p._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = restart.numId
