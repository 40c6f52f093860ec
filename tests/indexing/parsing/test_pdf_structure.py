"""Document structure in PDFs built in the tests: a printed table of contents kept apart from the body and
used to level its headings, numbering families, bullets, run-in headings, two-column pages and three-line
tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from indexing.models import Block, BlockKind, Document, TextSource
from indexing.options import ParseOptions
from indexing.parsing.pdf import parse_pdf
from tests.indexing.parsing.pdf_factory import CJK_FONT, canvas_pdf, has_cjk_font, scanned_pdf

pytestmark = pytest.mark.unit

LONG = (
    "学校坚持立德树人根本任务，深入推进本科教育教学改革，构建了校院两级教学质量保障体系，完善了课程思政与"
    "专业思政协同机制，近三年新增国家级一流本科专业12个，建成省级以上一流课程86门，教学经费投入逐年增长。"
)
SHORT = "生师比为17.5:1，具有博士学位教师占比45.3%。"
LEFT, RIGHT, TOP = 72.0, 523.0, 770.0


def parse(data: bytes) -> Document:
    return parse_pdf(data, doc_id="test", name="test.pdf", options=ParseOptions(ocr=False))


# --- a small typesetter on reportlab canvases --------------------------------------------------------------


def wrap(text: str, width: float, size: float) -> list[str]:
    """Break ``text`` into lines of at most ``width`` points; punctuation never starts a line."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line = [], ""
    for ch in text:
        if line and stringWidth(line + ch, CJK_FONT, size) > width and ch not in "，。、；：！？）%":
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines


@dataclass
class Pen:
    """Draws lines top-down on one page."""

    c: object
    y: float = TOP

    def line(self, text: str, size: float = 12, x: float = LEFT, font: str = CJK_FONT, gap: float = 1.6) -> None:
        self.c.setFont(font, size)
        self.c.drawString(x, self.y, text)
        self.y -= size * gap

    def para(self, text: str, size: float = 12, x0: float = LEFT, x1: float = RIGHT, indent: bool = True) -> None:
        first = 2 * size if indent else 0.0
        lines: list[tuple[float, str]] = []
        rest = text
        width = x1 - x0 - first
        while rest:
            piece = wrap(rest, width, size)[0]
            lines.append((x0 + (first if not lines else 0.0), piece))
            rest = rest[len(piece) :]
            width = x1 - x0
        for x, piece in lines:
            self.c.setFont(CJK_FONT, size)
            self.c.drawString(x, self.y, piece)
            self.y -= size * 1.5
        self.y -= size * 0.5


def pages_pdf(pages: Sequence[Callable[[Pen], None]]) -> bytes:
    """A PDF with one page per function, each drawing with a :class:`Pen`."""

    def draw(c, index: int) -> None:
        pages[index](Pen(c))

    return canvas_pdf(draw, pages=len(pages))


def toc_page(entries: Sequence[tuple[str, int, str]], *, leaders: bool = True, title: str | None = "目录"):
    """A table-of-contents page: ``(title, level, page label)`` entries indented by level, with dot
    leaders (or a plain gap) and page numbers set flush right in Helvetica."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def draw(pen: Pen) -> None:
        if title:
            pen.c.setFont(CJK_FONT, 18)
            pen.c.drawCentredString(297, pen.y, title)
            pen.y -= 40
        for text, level, label in entries:
            x = LEFT + 21 * (level - 1)
            pen.c.setFont(CJK_FONT, 12)
            pen.c.drawString(x, pen.y, text)
            end = x + stringWidth(text, CJK_FONT, 12)
            if leaders:
                dots = int((RIGHT - 14 - end) / stringWidth(".", CJK_FONT, 12))
                pen.c.drawString(end + 2, pen.y, "." * dots)
            pen.c.setFont("Helvetica", 12)
            pen.c.drawRightString(RIGHT, pen.y, label)
            pen.y -= 22

    return draw


def headings(doc: Document) -> list[tuple[str, int | None]]:
    return [(b.text, b.heading_level) for b in doc.blocks if b.kind is BlockKind.HEADING]


def block(doc: Document, text: str) -> Block:
    return next(b for b in doc.blocks if b.text == text)


# --- table of contents -------------------------------------------------------------------------------------

TOC = [
    ("第一章 学校概况", 1, "1"),
    ("一、办学定位", 2, "1"),
    ("（一）办学思路", 3, "1"),
    ("（二）发展目标", 3, "2"),
    ("二、师资队伍", 2, "2"),
    ("第二章 人才培养", 1, "3"),
    ("一、培养方案", 2, "3"),
    ("结语", 1, "4"),
]


def body_pages() -> list[Callable[[Pen], None]]:
    def chapter_one(pen: Pen) -> None:
        pen.line("第一章 学校概况", size=18)
        pen.line("一、办学定位", size=15)
        pen.line("（一）办学思路")
        pen.para(LONG)
        pen.line("1.坚持特色发展")
        pen.para(SHORT)
        pen.line("（1）学科特色")
        pen.para(LONG)
        pen.line("● 覆盖全体教师", size=14)
        pen.line("● 服务地方产业")
        pen.para("（二）发展目标。学校以建设高水平应用型大学为目标，持续推进内涵建设，办学水平稳步提升。")

    def chapter_one_rest(pen: Pen) -> None:
        pen.line("二、师资队伍")  # set like the body: its number and the TOC make it a heading
        pen.para(SHORT)
        pen.line("2.优化队伍结构")  # the 1. family keeps its level wherever it appears
        pen.para(LONG)

    def chapter_two(pen: Pen) -> None:
        pen.line("第二章 人才培养", size=18)
        pen.line("一、培养方案", size=15)
        pen.para(LONG)
        pen.line("结语", size=18)
        pen.para(SHORT)

    return [chapter_one, chapter_one_rest, chapter_two]


def test_toc_page_becomes_document_toc_and_never_body_blocks():
    doc = parse(pages_pdf([toc_page(TOC), *body_pages()]))
    assert [(e.title, e.level, e.page_label, e.page) for e in doc.toc] == [(t, lv, lb, 1) for t, lv, lb in TOC]
    assert all(b.page != 1 for b in doc.blocks), "no line of the TOC page is a body block"
    assert doc.blocks[0].text == "第一章 学校概况" and doc.blocks[0].kind is BlockKind.HEADING


def test_body_headings_take_toc_levels_and_numbering_families_keep_one_level():
    doc = parse(pages_pdf([toc_page(TOC), *body_pages()]))
    assert headings(doc) == [
        ("第一章 学校概况", 1),
        ("一、办学定位", 2),
        ("（一）办学思路", 3),
        ("1.坚持特色发展", 4),
        ("（1）学科特色", 5),
        ("（二）发展目标。", 3),
        ("二、师资队伍", 2),
        ("2.优化队伍结构", 4),
        ("第二章 人才培养", 1),
        ("一、培养方案", 2),
        ("结语", 1),
    ]
    assert block(doc, SHORT).heading_path == ("第一章 学校概况", "一、办学定位", "（一）办学思路", "1.坚持特色发展")
    assert block(doc, "● 覆盖全体教师").kind is BlockKind.LIST_ITEM
    assert block(doc, "● 服务地方产业").heading_path[-1] == "（1）学科特色"


def test_toc_without_leaders_is_found_by_its_title_and_right_aligned_numbers():
    entries = [("一、学校概况", 1, "1"), ("二、培养过程", 1, "3"), ("三、教学资源", 1, "5"), ("附录", 1, "7")]

    def body(pen: Pen) -> None:
        pen.line("一、学校概况", size=15)
        pen.para(LONG)

    doc = parse(pages_pdf([toc_page(entries, leaders=False), body]))
    assert [e.title for e in doc.toc] == ["一、学校概况", "二、培养过程", "三、教学资源", "附录"]
    assert [b.text for b in doc.blocks] == ["一、学校概况", LONG]


def test_list_of_tables_leaves_the_body_but_not_into_the_toc():
    listing = [("表1-1 学校基本办学条件", 1, "12"), ("表1-2 各学院毕业生情况", 1, "15"), ("图2-1 毕业生规模", 1, "18")]

    def body(pen: Pen) -> None:
        pen.line("表1-1 学校基本办学条件")
        pen.para(LONG)

    doc = parse(pages_pdf([toc_page(TOC[:3]), toc_page(listing, title="图表目录"), body]))
    assert [e.title for e in doc.toc] == [t for t, _, _ in TOC[:3]]
    assert [(b.kind, b.text) for b in doc.blocks] == [
        (BlockKind.PARAGRAPH, "表1-1 学校基本办学条件"),
        (BlockKind.PARAGRAPH, LONG),
    ]


def test_titled_toc_whose_page_numbers_were_lost_is_still_a_toc():
    entries = [
        ("一、学校概况", 1, ""),
        ("（一）学校简介", 2, ""),
        ("（二）基本办学数据", 2, ""),
        ("二、培养过程", 1, ""),
    ]

    def body(pen: Pen) -> None:
        pen.line("一、学校概况", size=15)
        pen.line("（一）学校简介", size=13)
        pen.para(LONG)

    doc = parse(pages_pdf([toc_page(entries, leaders=False), body]))
    assert [(e.title, e.level, e.page_label) for e in doc.toc] == [(t, lv, None) for t, lv, _ in entries]
    assert headings(doc) == [("一、学校概况", 1), ("（一）学校简介", 2)]


def test_ranked_list_with_numbers_is_not_a_toc():
    def ranking(pen: Pen) -> None:
        pen.line("各学院毕业去向落实率", size=15)
        for name, value in [("机械工程学院", "95"), ("化学工程学院", "87"), ("计算机学院", "92"), ("外国语学院", "78")]:
            pen.c.setFont(CJK_FONT, 12)
            pen.c.drawString(LEFT, pen.y, name)
            pen.c.setFont("Helvetica", 12)
            pen.c.drawRightString(RIGHT, pen.y, value)
            pen.y -= 20

    doc = parse(pages_pdf([ranking]))
    assert doc.toc == ()
    assert len(doc.blocks) == 5


def test_wrapped_toc_entry_is_one_entry():
    long_title = "（一）毕业生就业与所学专业对口度及自身期待匹配度较高，专业就业前景预期良好"

    def toc(pen: Pen) -> None:
        toc_page([("第一章 总体情况", 1, "1"), ("一、就业情况", 2, "1")], title="目录")(pen)
        pen.c.setFont(CJK_FONT, 12)
        pen.c.drawString(LEFT + 42, pen.y, long_title[:30])
        pen.y -= 22
        toc_page([(long_title[30:], 3, "2"), ("二、升学情况", 2, "3")], title=None)(pen)

    doc = parse(pages_pdf([toc]))
    assert [e.title for e in doc.toc] == ["第一章 总体情况", "一、就业情况", long_title, "二、升学情况"]
    assert [e.level for e in doc.toc] == [1, 2, 3, 2]
    assert doc.blocks == ()


# --- numbering without a TOC, bullets, run-in headings --------------------------------------------------------


def test_top_numbering_family_is_level_one_and_keeps_it_whatever_its_style():
    def page(pen: Pen) -> None:
        pen.line("一、学校概况", size=15)
        pen.para(LONG)
        pen.line("（一）办学历史")
        pen.para(SHORT)
        pen.line("二、培养过程")  # body size this time
        pen.para(LONG)

    doc = parse(pages_pdf([page]))
    assert headings(doc) == [("一、学校概况", 1), ("（一）办学历史", 2), ("二、培养过程", 1)]


def test_bullet_lines_are_list_items_never_headings():
    def page(pen: Pen) -> None:
        pen.line("一、数据来源", size=15)
        for bullet in ("●", "•", "■", "◆", "▪", "★", "√", "-"):
            pen.line(f"{bullet} 毕业生就业数据", size=14)
            pen.para(SHORT)

    doc = parse(pages_pdf([page]))
    assert headings(doc) == [("一、数据来源", 1)]
    items = [b for b in doc.blocks if b.kind is BlockKind.LIST_ITEM]
    assert len(items) == 8 and all(b.text.endswith("毕业生就业数据") for b in items)


def test_run_in_heading_is_split_from_its_paragraph():
    text = "（一）办学定位。学校坚持以本为本，扎根地方办学，服务区域经济社会发展，办学特色日益鲜明。"
    listing = "1. 建立了完善的教师发展体系，教师发展中心年均开展培训120余场次。"
    figure = "（1）本科：98.5%，研究生毕业去向落实率为99.1%，均高于全省平均水平。"

    def page(pen: Pen) -> None:
        pen.line("一、学校概况", size=15)
        pen.para(text)
        pen.para(listing, indent=False)
        pen.para(figure, indent=False)

    doc = parse(pages_pdf([page]))
    assert [(b.kind, b.text) for b in doc.blocks] == [
        (BlockKind.HEADING, "一、学校概况"),
        (BlockKind.HEADING, "（一）办学定位。"),
        (BlockKind.PARAGRAPH, text[len("（一）办学定位。") :]),
        (BlockKind.LIST_ITEM, listing),
        (BlockKind.LIST_ITEM, figure),
    ]
    assert doc.blocks[2].heading_path == ("一、学校概况", "（一）办学定位。")
    assert all(b.text in text + listing + figure for b in doc.blocks[1:])


# --- two columns ----------------------------------------------------------------------------------------------


def test_partial_two_column_region_under_a_full_width_title_is_read_column_by_column():
    intro = LONG
    left = "毕业生就业数据来源于学校毕业生就业数据库，数据统计截至2023年11月30日，涵盖全部毕业生就业信息，" * 2
    left += "数据分析方法为全样本分析，抽样方法为分层抽样。"
    right = "用人单位调研数据来源于第三方开展的重点用人单位调研问卷，问卷回收有效问卷229份。"
    outro = "报告数据精确到小数点后两位，部分数据可能存在误差，属正常现象。"

    def page(pen: Pen) -> None:
        pen.line("编制说明", size=18)
        pen.para(intro)
        pen.line("数据来源", size=16, x=260)
        top = pen.y
        pen.para(left, x0=LEFT, x1=287)
        bottom = pen.y
        pen.y = top
        pen.para(right, x0=308, x1=RIGHT)  # a shorter right column
        pen.y = min(bottom, pen.y) - 10
        pen.para(outro)

    doc = parse(pages_pdf([page]))
    assert [b.text for b in doc.blocks] == ["编制说明", intro, "数据来源", left, right, outro]


def test_sentence_running_from_the_foot_of_the_left_column_to_the_head_of_the_right_is_one_paragraph():
    text = "学校坚持以本为本，推进四个回归，" * 12 + "全面提高人才培养能力。"
    second = "持续改进机制运行有效，用人单位满意度较高，毕业生就业率保持在95%以上。"

    def page(pen: Pen) -> None:
        lines = wrap(text, 287 - LEFT, 12)
        cut = (len(lines) + 1) // 2
        for k, line in enumerate(lines):
            x, y = (LEFT, TOP - 18 * k) if k < cut else (308, TOP - 18 * (k - cut))
            pen.c.setFont(CJK_FONT, 12)
            pen.c.drawString(x, y, line)
        pen.y = TOP - 18 * (len(lines) - cut)
        pen.para(second, x0=308, x1=RIGHT)

    doc = parse(pages_pdf([page]))
    assert [b.text for b in doc.blocks] == [text, second]


def test_two_columns_end_where_a_heading_follows_both():
    left = "学校是省人民政府与行业部门共建高校，先后获评省文明校园、平安校园等称号，形成了鲜明的办学特色。" * 2
    right = "学校坐落于长江之滨的历史文化名城，现有四个校区，校园环境优美，为师生学习生活提供了良好环境。" * 2

    def page(pen: Pen) -> None:
        pen.line("一、学校简介", size=15)
        top = pen.y
        pen.para(left, x0=LEFT, x1=287)
        pen.y = top
        pen.para(right, x0=308, x1=RIGHT)
        pen.y -= 12
        pen.line("二、基本办学数据", size=15)  # short: it crosses no gutter, yet follows both columns
        pen.para(LONG)

    doc = parse(pages_pdf([page]))
    assert [b.text for b in doc.blocks] == ["一、学校简介", left, right, "二、基本办学数据", LONG]


def test_ragged_borderless_two_column_list_is_read_row_by_row():
    rows = [
        ("本科毕业生人数统计", "四千八百一十三人整"),
        ("研究生毕业生人数统计口径", "一千六百一十八人（含非全日制）"),
        ("毕业去向落实率", "百分之九十五点一二左右"),
        ("升学率（本科毕业生国内外）", "百分之三十二点六四"),
        ("灵活就业比例统计", "较上年下降约二个百分点以上"),
        ("用人单位满意度调查结果", "百分之九十八"),
    ]

    def page(pen: Pen) -> None:
        for label, value in rows:
            pen.c.setFont(CJK_FONT, 12)
            pen.c.drawString(LEFT, pen.y, label)
            pen.c.drawString(320, pen.y, value)
            pen.y -= 22

    doc = parse(pages_pdf([page]))
    assert [b.text for b in doc.blocks] == [f"{label} {value}" for label, value in rows]


# --- three-line tables ----------------------------------------------------------------------------------------


def booktabs_pdf(flow: Sequence[tuple[str, object]], *, valign: str = "BOTTOM", padding: float = 3) -> bytes:
    """Paragraphs (``("para", text)``), three-line tables (``("table", rows)``: rules above and below the
    header and below the last row, none vertical) and notes framed by the same three rules
    (``("framed", (title, text))``), typeset with reportlab's platypus."""
    import io

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    canvas_pdf(lambda c, i: None)  # registers the CJK font
    body = ParagraphStyle("b", fontName=CJK_FONT, fontSize=12, leading=18, wordWrap="CJK", firstLineIndent=24)
    cell = ParagraphStyle("c", fontName=CJK_FONT, fontSize=10.5, leading=13, wordWrap="CJK")
    story: list = []
    for kind, content in flow:
        if kind == "para":
            story.append(Paragraph(str(content), body))
        else:
            if kind == "framed":  # a titled note in a box of rules: one column of prose
                title, text = content  # type: ignore[misc]
                t = Table([[Paragraph(title, body)], [Paragraph(text, body)]], colWidths=[451])
            else:
                rows = [[Paragraph(c, cell) for c in r] for r in content]  # type: ignore[union-attr]
                width = [440 / len(rows[0])] * len(rows[0])  # long names wrap in their cell
                t = Table(rows, colWidths=width, repeatRows=1)
            t.setStyle(
                TableStyle(
                    [
                        ("LINEABOVE", (0, 0), (-1, 0), 1.5, colors.black),
                        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                        ("LINEBELOW", (0, -1), (-1, -1), 1.5, colors.black),
                        ("VALIGN", (0, 0), (-1, -1), valign),
                        ("TOPPADDING", (0, 0), (-1, -1), padding),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
                    ]
                )
            )
            story += [Spacer(1, 8), t, Spacer(1, 8)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=72, rightMargin=72, topMargin=72, bottomMargin=72).build(story)
    return buf.getvalue()


def test_three_line_table_is_rebuilt_with_columns_from_character_positions():
    rows = (
        ("学院", "毕业生人数", "毕业去向落实率", "升学率"),
        ("化学与环境工程学院", "612", "92.15%", "35.20%"),
        ("机电工程学院", "587", "90.46%", "28.11%"),
        ("计算机科学与工程学院（人工智能学院）", "701", "93.01%", "22.54%"),
        ("外语学院", "143", "88.81%", "18.18%"),
    )
    doc = parse(booktabs_pdf([("para", LONG), ("table", rows), ("para", SHORT)]))
    assert [b.kind for b in doc.blocks] == [BlockKind.PARAGRAPH, BlockKind.TABLE, BlockKind.PARAGRAPH]
    assert doc.blocks[1].rows == rows
    assert doc.blocks[0].text == LONG and doc.blocks[2].text == SHORT


def test_paragraph_between_rules_is_not_a_table():
    note = "本报告毕业去向落实率按教育部统计口径计算，升学包括国内升学和出国（境）深造，数据截至2023年12月31日。"
    doc = parse(booktabs_pdf([("para", LONG), ("framed", ("统计口径说明", note)), ("para", SHORT)]))
    assert BlockKind.TABLE not in [b.kind for b in doc.blocks]
    assert [b.text for b in doc.blocks] == [LONG, "统计口径说明", note, SHORT]


# --- OCR'd pages ------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")
def test_ocr_lines_are_headings_only_on_numbering_evidence():
    data = scanned_pdf(["一、办学定位", LONG, "● 覆盖全体教师", SHORT], heading="学校概况与办学特色")
    doc = parse_pdf(data, doc_id="test", name="scan.pdf", options=ParseOptions(ocr=True))
    assert {b.source for b in doc.blocks} == {TextSource.OCR}
    kinds = {b.text: b.kind for b in doc.blocks}
    assert kinds["学校概况与办学特色"] is BlockKind.PARAGRAPH  # set larger, but OCR sizes are no evidence
    assert kinds["一、办学定位"] is BlockKind.HEADING
    assert [b.kind for b in doc.blocks if "覆盖全体教师" in b.text] == [BlockKind.LIST_ITEM]


def test_three_line_table_with_tight_top_aligned_cells_and_one_row_tables():
    rows = (
        ("项目", "2021年", "2022年", "2023年"),
        ("教学日常运行支出（万元，含学院自筹）", "3568.43", "3782.54", "3996.64"),
        ("本科专项教学经费（万元，含学院自筹）", "2662.85", "2822.62", "2982.39"),
        ("实验经费（万元）", "4808.58", "5097.10", "5385.61"),
    )
    indicator = (("指标", "数值", "统计时点"), ("专职辅导员与在校生比", "1:181", "2024年"))
    doc = parse(
        booktabs_pdf([("table", rows), ("para", SHORT), ("table", indicator), ("para", LONG)], valign="TOP", padding=1)
    )
    assert [b.rows for b in doc.blocks if b.kind is BlockKind.TABLE] == [rows, indicator]
    assert [b.text for b in doc.blocks if b.kind is BlockKind.PARAGRAPH] == [SHORT, LONG]


def test_three_line_table_broken_across_pages_is_one_table():
    header = ("序号", "专业名称", "毕业生数", "落实率")
    body = tuple((str(10 + i), f"专业名称{i}", str(100 + i), f"{90 + i / 10:.1f}%") for i in range(60))
    doc = parse(booktabs_pdf([("para", LONG), ("table", (header, *body)), ("para", SHORT)]))
    tables = [b for b in doc.blocks if b.kind is BlockKind.TABLE]
    assert doc.page_count >= 2
    assert [t.rows for t in tables] == [(header, *body)]
    assert [b.text for b in doc.blocks if b.kind is BlockKind.PARAGRAPH] == [LONG, SHORT]
