"""Render a synthetic report as PDF (reportlab, STSong-Light CID font) and as DOCX (python-docx).

The PDF has what real reports have and a parser must cope with: a running header (institution and
title) and a footer with page numbers on every page, paragraphs wrapping over many lines with a
first-line indent, headings in larger type, ruled tables with a header row.

Example:
    >>> write_pdf(generate_report(1, pages=30), Path("/tmp/r.pdf"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from corpus.generator import Heading, Paragraph, SyntheticReport, Table

FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def write_pdf(report: SyntheticReport, path: Path) -> None:
    """Write the report as an A4 PDF with running header and page-number footer.

    Args:
        report: the generated report.
        path: target file.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph as RLParagraph
    from reportlab.platypus import SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as RLTable

    _register_font()
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=12, leading=22, firstLineIndent=24, spaceAfter=6, wordWrap="CJK"
    )
    item = ParagraphStyle("item", parent=body, firstLineIndent=0, leftIndent=24)
    h1 = ParagraphStyle("h1", fontName=FONT, fontSize=17, leading=26, spaceBefore=16, spaceAfter=10)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=14, leading=22, spaceBefore=10, spaceAfter=6)
    title = ParagraphStyle("title", fontName=FONT, fontSize=22, leading=32, alignment=1, spaceAfter=24)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=10.5, leading=15, wordWrap="CJK")
    caption = ParagraphStyle("caption", fontName=FONT, fontSize=10.5, leading=16, alignment=1, spaceBefore=6)
    school = report.labels.school

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.drawString(25 * mm, A4[1] - 14 * mm, f"{school}  本科教育教学审核评估自评报告")
        canvas.line(25 * mm, A4[1] - 16 * mm, A4[0] - 25 * mm, A4[1] - 16 * mm)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"— {doc.page} —")
        canvas.restoreState()

    story = [RLParagraph(report.title, title)]
    for e in report.elements:
        if isinstance(e, Heading):
            story.append(RLParagraph(e.text, h1 if e.level == 1 else h2))
        elif isinstance(e, Paragraph):
            story.append(RLParagraph(e.text, item if e.list_item else body))
        elif isinstance(e, Table):
            story.append(RLParagraph(e.caption, caption))
            table = RLTable([[RLParagraph(c, cell) for c in row] for row in e.rows], repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ]
                )
            )
            story += [table, Spacer(1, 8)]
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=24 * mm,
        bottomMargin=22 * mm,
        title=report.title,
        author=school,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)


def write_docx(report: SyntheticReport, path: Path) -> None:
    """Write the report as DOCX with heading styles, real tables in place and numbered list items.

    Args:
        report: the generated report.
        path: target file.
    """
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(report.title, level=0)
    section = doc.sections[0]
    section.header.paragraphs[0].text = f"{report.labels.school}  本科教育教学审核评估自评报告"
    for e in report.elements:
        if isinstance(e, Heading):
            doc.add_heading(e.text, level=e.level)
        elif isinstance(e, Paragraph):
            doc.add_paragraph(e.text, style="List Number" if e.list_item else None)
        elif isinstance(e, Table):
            doc.add_paragraph(e.caption)
            table = doc.add_table(rows=0, cols=len(e.rows[0]))
            table.style = "Table Grid"
            for row in e.rows:
                for c, value in zip(table.add_row().cells, row, strict=True):
                    c.text = value
    doc.save(str(path))
