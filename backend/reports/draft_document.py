"""A draft self-evaluation report as a Word document in Chinese office style, every drafted sentence footnoted.

The page, styles and run-in leads are the review document's (黑体 headings, 仿宋 body, A4, 第 X 页 / 共 Y 页).
Citations are real Word footnotes (``word/footnotes.xml``): python-docx writes none, so the part is added here.
A section the university edited is printed as edited, without footnotes: it is the university's text.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import BinaryIO

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from backend.domain.assessment import Evidence
from backend.domain.report_draft import DraftFigure, PointDraft, ReportDraft, SectionEdit
from backend.reports.content import date_zh, pages_zh, xml_text
from backend.reports.review_document import FANGSONG, LATIN, office_page, office_styles, office_text, set_fonts

NOTE_ZH = "本草稿由系统依据学校上传的支撑材料摘录生成，每句话均以脚注注明出处（文件、页码、原文）；请逐节核改后定稿。"
CHAPTER_NUMERALS = "一二三四五六七八九十"
_FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_END = re.compile(r"[。！？]$")
# A list number a quote starts with (2. / 2、 / （二）): in running text it would read as part of the sentence.
_ENUMERATOR = re.compile(r"^\s*(?:\d{1,2}\s*[.．、]\s*|[（(][一二三四五六七八九十\d]{1,3}[）)]\s*)")


def draft_title(draft: ReportDraft) -> str:
    """The report's title: the institution's self-evaluation report under the rubric's evaluation, as a draft."""
    evaluation = draft.rubric_name.replace("普通高等学校", "").replace("指标体系", "")
    return f"{draft.profile.name}{evaluation}自评报告（草稿）"


def numeral(n: int) -> str:
    """一 … 二十 for chapter and section numbers."""
    if n <= 10:
        return CHAPTER_NUMERALS[n - 1]
    return f"十{CHAPTER_NUMERALS[n - 11]}" if n < 20 else f"二十{CHAPTER_NUMERALS[n - 21] if n > 20 else ''}"


def sentence_zh(text: str) -> str:
    """A quoted sentence as running text: no leading list number, closed with 。 (a trailing ；or ， becomes 。)."""
    text = _ENUMERATOR.sub("", text.strip()).rstrip("；;，,、：:")
    return text if _END.search(text) else f"{text}。"


def source_zh(draft: ReportDraft, ev: Evidence) -> str:
    """A footnote: the file, the page and the quote."""
    return f"{draft.document_name(ev.document_id)}，{pages_zh(ev)}：“{ev.quote}”"


def figure_zh(figure: DraftFigure) -> str:
    """A figure as a sentence of the report: the label as written and the value as written."""
    return sentence_zh(f"{figure.figure.label or figure.figure.metric}为{figure.figure.text}")


class _Footnotes:
    """The document's footnotes part: separator notes, then one note per citation."""

    def __init__(self, doc: DocxDocument) -> None:
        xml = (
            f"<w:footnotes {nsdecls('w')}>"
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p>'
            "</w:footnote></w:footnotes>"
        )
        self.element = parse_xml(xml)
        self.part = Part(PackURI("/word/footnotes.xml"), _FOOTNOTES_CT, b"", doc.part.package)
        doc.part.relate_to(self.part, RT.FOOTNOTES)
        self.count = 0

    def add(self, paragraph: Paragraph, text: str) -> None:
        """A superscript reference at the end of ``paragraph`` and its note in 仿宋 小五."""
        self.count += 1
        ref = paragraph.add_run()._r
        ref.get_or_add_rPr().append(_superscript())
        mark = OxmlElement("w:footnoteReference")
        mark.set(qn("w:id"), str(self.count))
        ref.append(mark)
        note = OxmlElement("w:footnote")
        note.set(qn("w:id"), str(self.count))
        p = OxmlElement("w:p")
        p.append(_note_run(None, footnote_ref=True))
        p.append(_note_run(" " + xml_text(text)))
        note.append(p)
        self.element.append(note)

    def close(self) -> None:
        """Serialise the notes into the part (called once, before saving)."""
        from lxml import etree

        self.part._blob = etree.tostring(self.element, xml_declaration=True, encoding="UTF-8", standalone=True)


def _superscript() -> OxmlElement:
    el = OxmlElement("w:vertAlign")
    el.set(qn("w:val"), "superscript")
    return el


def _note_run(text: str | None, *, footnote_ref: bool = False) -> OxmlElement:
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    set_fonts(rpr, FANGSONG, LATIN)
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "18")  # 小五 (9 pt)
    rpr.append(size)
    if footnote_ref:
        rpr.append(_superscript())
    run.append(rpr)
    if footnote_ref:
        run.append(OxmlElement("w:footnoteRef"))
    else:
        t = OxmlElement("w:t")
        t.set(qn("xml:space"), "preserve")
        t.text = text
        run.append(t)
    return run


def _point(doc: DocxDocument, draft: ReportDraft, point: PointDraft, notes: _Footnotes) -> None:
    if point.gap_zh is not None:
        office_text(doc, point.gap_zh, lead="【待补充材料】")
        return
    p = doc.add_paragraph(style="Normal")
    for sentence in point.sentences:
        p.add_run(xml_text(sentence_zh(sentence.text)))
        notes.add(p, source_zh(draft, sentence.evidence))
    if point.figure is not None:
        f = point.figure.figure
        p.add_run(xml_text(figure_zh(point.figure)))
        where = f"第 {f.page} 页" if f.page else "页码未知"
        notes.add(p, f"{draft.document_name(point.figure.document_id)}，{where}：“{f.evidence or f.text}”")


def write_draft_docx(
    draft: ReportDraft, out: Path | BinaryIO, *, edits: tuple[SectionEdit, ...] = (), made_on: date | None = None
) -> None:
    """Write the draft (with the university's edits in place of drafted sections) as a Word document."""
    doc = Document()
    office_page(doc, draft_title(draft))
    office_styles(doc)
    notes = _Footnotes(doc)
    edited = {e.indicator_id: e.text for e in edits}
    doc.add_paragraph(xml_text(draft_title(draft)), style="Title")
    for lead, value in (
        ("学校：", draft.profile.name),
        ("类型：", draft.profile.category),
        ("指标体系：", f"{draft.rubric_name}，版本 {draft.rubric_version}"),
        ("生成日期：", date_zh(made_on or date.today())),
    ):
        line = office_text(doc, xml_text(value), lead=lead)
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line.paragraph_format.first_line_indent = Pt(0)
    office_text(doc, NOTE_ZH, lead="说明：")
    for c, chapter in enumerate(draft.chapters, start=1):
        doc.add_heading(xml_text(f"{numeral(c)}、{chapter.name}"), level=1)
        for s, section in enumerate(chapter.sections, start=1):
            doc.add_heading(xml_text(f"（{numeral(s)}）{section.name}"), level=2)
            if section.indicator_id in edited:
                for text in filter(None, (t.strip() for t in edited[section.indicator_id].splitlines())):
                    office_text(doc, xml_text(text))
                continue
            for point in section.points:
                _point(doc, draft, point, notes)
    doc.add_heading("附件一：材料缺口清单", level=1)
    if not draft.gaps and not draft.conflicts:
        office_text(doc, "无。")
    for n, gap in enumerate(draft.gaps, start=1):
        office_text(doc, xml_text(gap.expected_zh), lead=f"{n}. {gap.point_id}：")
    for n, conflict in enumerate(draft.conflicts, start=len(draft.gaps) + 1):
        office_text(doc, xml_text(conflict.text_zh), lead=f"{n}. {conflict.point_id}：")
    doc.add_heading("附件二：引用材料", level=1)
    for n, d in enumerate(draft.documents, start=1):
        office_text(doc, xml_text(d.name), lead=f"{n}. ")
    notes.close()
    doc.core_properties.title = draft_title(draft)
    doc.save(str(out) if isinstance(out, Path) else out)
