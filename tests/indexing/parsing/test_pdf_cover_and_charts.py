"""Lines set large that are not sections: a cover page before the TOC, and a label inside an infographic.

The PDFs are drawn with reportlab (see pdf_factory).
"""

from __future__ import annotations

import pytest

from indexing.models import BlockKind, Document
from indexing.options import ParseOptions
from indexing.parsing.pdf import parse_pdf
from tests.indexing.parsing.pdf_factory import CJK_FONT, canvas_pdf, has_cjk_font

pytestmark = pytest.mark.skipif(not has_cjk_font(), reason="reportlab's STSong-Light CID font is not available")

BODY = 11.0
TEXT = (
    "学校坚持立德树人根本任务，深入推进教育教学改革，构建了校院两级教学质量保障体系。",
    "近三年毕业生毕业去向落实率保持在百分之九十以上，用人单位对毕业生的总体满意度较高。",
)
COVER = ("2023届毕业生就业质量年度报告", "某某职业技术学院", "二〇二三年十二月")
TOC = (("一、学校概况", 3), ("二、就业状况", 3), ("三、就业服务", 4))


def _draw(c, page: int) -> None:
    if page == 0:  # the cover: title, school and date set large, no running text
        for k, (line, size) in enumerate(zip(COVER, (26, 18, 16), strict=True)):
            c.setFont(CJK_FONT, size)
            c.drawCentredString(297, 600 - 80 * k, line)
    elif page == 1:  # the table of contents
        c.setFont(CJK_FONT, 16)
        c.drawCentredString(297, 760, "目录")
        for k, (title, number) in enumerate(TOC):
            c.setFont(CJK_FONT, BODY)
            c.drawString(72, 720 - 24 * k, title + "." * 60)
            c.setFont("Helvetica", BODY)  # reportlab drops a lone digit set in STSong-Light from the text layer
            c.drawRightString(523, 720 - 24 * k, str(number))
    else:  # the body: numbered headings, running text, and an infographic with a large label
        y = 770
        for title, paragraph in zip((t for t, _ in TOC[:2]), TEXT, strict=True):
            c.setFont(CJK_FONT, 15)
            c.drawString(72, y, title)
            c.setFont(CJK_FONT, BODY)
            c.drawString(94, y - 26, paragraph[:38])
            c.drawString(72, y - 44, paragraph[38:])
            y -= 90
        c.setFont(CJK_FONT, 16)
        c.drawString(250, 520, "求职时长")
        c.setFont(CJK_FONT, 9)
        for x, y0, figure in ((120, 480, "4.4个月"), (330, 480, "简历数：18份"), (120, 440, "面试次数：7次")):
            c.drawString(x, y0, figure)


@pytest.fixture(scope="module")
def doc() -> Document:
    return parse_pdf(canvas_pdf(_draw, pages=3), doc_id="test", name="test.pdf", options=ParseOptions())


def test_the_toc_is_read_and_the_body_headings_are_headings(doc):
    assert [e.title for e in doc.toc] == [t for t, _ in TOC]
    headings = [(b.text, b.page) for b in doc.blocks if b.kind is BlockKind.HEADING]
    assert headings == [(t, 3) for t, _ in TOC[:2]]


def test_cover_lines_before_the_toc_are_paragraphs(doc):
    cover = [b for b in doc.blocks if b.page == 1]
    assert [b.text for b in cover] == list(COVER)
    assert all(b.kind is BlockKind.PARAGRAPH for b in cover)


def test_a_large_label_among_figures_is_not_a_heading(doc):
    label = next(b for b in doc.blocks if b.text == "求职时长")
    assert label.kind is BlockKind.PARAGRAPH
    assert label.heading_path == ("二、就业状况",)
