"""PDF parsing on real PDFs built in the tests (reportlab; see pdf_factory)."""

from __future__ import annotations

import random
import time

import pytest

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import BlockKind, Document, MediaType, TextSource
from indexing.options import ParseOptions
from indexing.parsing.pdf import parse_pdf
from tests.indexing.parsing.pdf_factory import (
    CJK_FONT,
    HEADER,
    Heading,
    PageBreak,
    Para,
    Table,
    canvas_pdf,
    embedded_font_pdf,
    has_cjk_font,
    images_pdf,
    page_count,
    report_flow,
    scanned_page_image,
    scanned_pdf,
    text_pdf,
)

LONG = (
    "学校坚持立德树人根本任务，深入推进本科教育教学改革，构建了校院两级教学质量保障体系，完善了课程思政与"
    "专业思政协同机制，近三年新增国家级一流本科专业12个，建成省级以上一流课程86门，教学经费投入逐年增长。"
)
SHORT = "生师比为17.5:1，具有博士学位教师占比45.3%。"


def parse(data: bytes, **options) -> Document:
    return parse_pdf(data, doc_id="test", name="test.pdf", options=ParseOptions(**options))


def texts(doc: Document) -> list[str]:
    return [b.text for b in doc.blocks]


def error(data: bytes, **options) -> IndexingError:
    with pytest.raises(IndexingError) as info:
        parse(data, **options)
    assert info.value.message_zh and info.value.detail
    return info.value


# --- reading order, paragraphs, headings ----------------------------------------------------------------


def test_blocks_follow_reading_order_with_heading_paths():
    doc = parse(
        text_pdf(
            [
                Heading("第一章 学校概况", size=18),
                Heading("一、办学定位", size=15),
                Para(LONG),
                Heading("（一）师资队伍", size=13),
                Para(SHORT),
                Heading("二、培养过程", size=15),
                Para("课程体系持续优化。"),
            ]
        )
    )
    kinds = [(b.kind, b.text) for b in doc.blocks]
    assert kinds == [
        (BlockKind.HEADING, "第一章 学校概况"),
        (BlockKind.HEADING, "一、办学定位"),
        (BlockKind.PARAGRAPH, LONG),
        (BlockKind.HEADING, "（一）师资队伍"),
        (BlockKind.PARAGRAPH, SHORT),
        (BlockKind.HEADING, "二、培养过程"),
        (BlockKind.PARAGRAPH, "课程体系持续优化。"),
    ]
    paths = {b.text: b.heading_path for b in doc.blocks}
    assert paths[LONG] == ("第一章 学校概况", "一、办学定位")
    assert paths[SHORT] == ("第一章 学校概况", "一、办学定位", "（一）师资队伍")
    assert paths["课程体系持续优化。"] == ("第一章 学校概况", "二、培养过程")
    levels = [b.heading_level for b in doc.blocks if b.kind is BlockKind.HEADING]
    assert levels[0] < levels[1] < levels[2] and levels[1] == levels[3]
    assert [b.id for b in doc.blocks] == [f"b{i:04d}" for i in range(1, 8)]
    assert doc.media_type is MediaType.PDF and doc.page_count == 1


def test_wrapped_sentence_is_one_paragraph_without_spaces():
    text = LONG * 3
    doc = parse(text_pdf([Para(text), Para(SHORT)]))
    assert texts(doc) == [text, SHORT]
    assert " " not in doc.blocks[0].text and "\n" not in doc.blocks[0].text


def test_paragraphs_without_indent_are_split_at_short_last_lines():
    a, b = LONG, "持续改进机制运行有效，用人单位满意度较高。"
    doc = parse(text_pdf([Para(a, indent=False), Para(b, indent=False), Para(a, indent=False)]))
    assert texts(doc) == [a, b, a]


def test_paragraph_continues_across_a_page_break():
    filler = [Para(LONG) for _ in range(11)]
    doc = parse(text_pdf([*filler, Para(LONG * 4)]))
    assert LONG * 4 in texts(doc)
    block = next(b for b in doc.blocks if b.text == LONG * 4)
    assert block.page == 1 and doc.page_count == 2


def test_latin_words_keep_their_spaces_and_chinese_has_none():
    sentence = "The student-teacher ratio is 17.5 to 1 and the OBE concept is applied."
    mixed = "学校引入OBE理念，并通过ISO 9001质量管理体系认证。"
    doc = parse(text_pdf([Para(sentence, indent=False), Para(mixed)]))
    assert texts(doc) == [sentence, mixed]


def test_numbered_sentence_is_a_list_item_not_a_heading():
    item = "1. 建立了完善的教师发展体系，教师发展中心年均开展培训120余场次，覆盖全体新入职教师和青年教师。"
    doc = parse(text_pdf([Heading("一、师资队伍", size=15), Para(item, indent=False)]))
    assert doc.blocks[1].kind is BlockKind.LIST_ITEM
    assert doc.blocks[1].text.startswith("1.") and doc.blocks[1].text.endswith("青年教师。")
    assert doc.blocks[1].heading_path == ("一、师资队伍",)


def test_numbered_heading_at_body_size_is_recognised():
    doc = parse(
        text_pdf([Para("（一）办学定位", indent=False), Para(LONG), Para("（二）发展目标", indent=False), Para(SHORT)])
    )
    assert [(b.kind, b.heading_path) for b in doc.blocks] == [
        (BlockKind.HEADING, ("（一）办学定位",)),
        (BlockKind.PARAGRAPH, ("（一）办学定位",)),
        (BlockKind.HEADING, ("（二）发展目标",)),
        (BlockKind.PARAGRAPH, ("（二）发展目标",)),
    ]


def test_larger_text_without_number_is_a_heading_and_a_caption_is_not():
    doc = parse(
        text_pdf([Heading("学校概况", size=18), Para(LONG), Heading("表1 近三年招生情况", size=14), Para(SHORT)])
    )
    assert doc.blocks[0].kind is BlockKind.HEADING
    assert doc.blocks[2].kind is BlockKind.PARAGRAPH and doc.blocks[2].text == "表1 近三年招生情况"
    assert doc.blocks[3].heading_path == ("学校概况",)


def test_bold_short_line_is_a_heading():
    def draw(c, page):
        c.setFont("Helvetica-Bold", 12)
        c.drawString(72, 760, "Quality Assurance")
        c.setFont("Helvetica", 12)
        y = 740
        for line in [
            "The university has built a closed loop of monitoring, evaluation, feedback and",
            "improvement for teaching quality across all schools.",
        ]:
            c.drawString(72, y, line)
            y -= 16

    doc = parse(canvas_pdf(draw))
    assert [(b.kind, b.text) for b in doc.blocks] == [
        (BlockKind.HEADING, "Quality Assurance"),
        (
            BlockKind.PARAGRAPH,
            "The university has built a closed loop of monitoring, evaluation, feedback and "
            "improvement for teaching quality across all schools.",
        ),
    ]


def test_bookmarks_mark_headings_set_like_body_text():
    def draw(c, page):
        c.bookmarkHorizontal("h1", 0, 775)
        c.addOutlineEntry("学校概况", "h1", level=0)
        c.bookmarkHorizontal("h2", 0, 755)
        c.addOutlineEntry("办学定位", "h2", level=1)
        c.setFont(CJK_FONT, 12)
        c.drawString(72, 760, "学校概况")
        c.drawString(72, 740, "办学定位")
        c.drawString(96, 720, SHORT)

    doc = parse(canvas_pdf(draw))
    assert [(b.kind, b.text, b.heading_level, b.heading_path) for b in doc.blocks] == [
        (BlockKind.HEADING, "学校概况", 1, ("学校概况",)),
        (BlockKind.HEADING, "办学定位", 2, ("学校概况", "办学定位")),
        (BlockKind.PARAGRAPH, SHORT, None, ("学校概况", "办学定位")),
    ]


def test_light_grey_watermark_is_dropped():
    def draw(c, page):
        c.setFont(CJK_FONT, 12)
        c.drawString(72, 760, SHORT)
        c.setFillColorRGB(0.85, 0.85, 0.85)
        c.setFont(CJK_FONT, 60)
        c.drawString(150, 400, "内部资料")

    assert texts(parse(canvas_pdf(draw))) == [SHORT]


def test_chart_grid_is_not_a_table():
    def draw(c, page):
        c.setFont(CJK_FONT, 10)
        for k in range(6):  # horizontal grid lines and axis labels
            c.line(100, 500 + 40 * k, 500, 500 + 40 * k)
            c.drawString(80, 496 + 40 * k, str(20 * k))
        c.line(100, 500, 100, 700)
        c.line(500, 500, 500, 700)
        for k, h in enumerate((60, 120, 90, 150)):  # bars
            c.rect(130 + 90 * k, 500, 40, h, fill=1)
        c.setFont(CJK_FONT, 12)
        c.drawString(72, 460, "图1 近四年招生人数")

    doc = parse(canvas_pdf(draw))
    assert all(b.kind is not BlockKind.TABLE for b in doc.blocks)
    assert "图1 近四年招生人数" in texts(doc)


def test_table_of_contents_lines_are_not_headings():
    def draw(c, page):
        c.setFont(CJK_FONT, 12)
        y = 760
        for entry, n in [("一、学校概况", 1), ("二、培养过程", 5), ("三、教学资源", 9)]:
            c.drawString(72, y, entry + "." * 60)
            c.setFont("Helvetica", 12)  # reportlab drops a lone digit set in STSong-Light from the text layer
            c.drawRightString(523, y, str(n))
            c.setFont(CJK_FONT, 12)
            y -= 20

    doc = parse(canvas_pdf(draw))
    entries = [(e.title, e.page_label) for e in doc.toc]
    assert entries == [("一、学校概况", "1"), ("二、培养过程", "5"), ("三、教学资源", "9")]
    assert doc.blocks == ()


# --- headers, footers, page numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("page_number", ["- {n} -", "{n}", "第 {n} 页", "第{n}页 共3页", "{n}/3"])
def test_running_header_and_page_numbers_are_removed(page_number):
    flow = [Para(f"第{i}页的正文内容：" + LONG) for i in range(1, 4)]
    flow = [flow[0], PageBreak(), flow[1], PageBreak(), flow[2]]
    doc = parse(text_pdf(flow, header=HEADER, page_number=page_number))
    assert doc.page_count == 3
    assert texts(doc) == [f"第{i}页的正文内容：" + LONG for i in range(1, 4)]
    assert [b.page for b in doc.blocks] == [1, 2, 3]


def test_a_line_repeated_in_the_body_is_kept():
    flow = [
        Para("持续改进。", indent=False),
        Para(LONG),
        PageBreak(),
        Para("持续改进。", indent=False),
        Para(LONG),
        PageBreak(),
        Para("持续改进。", indent=False),
        Para(LONG),
    ]
    doc = parse(text_pdf(flow, header=None, page_number=None, margin=160))
    assert texts(doc).count("持续改进。") == 3


# --- tables ---------------------------------------------------------------------------------------------


def test_table_rows_cells_and_position_between_paragraphs():
    rows = (
        ("指标", "2021年", "2022年", "2023年"),
        ("生师比", "17.5:1", "17.2:1", "16.9:1"),
        ("专任教师（人）", "1500", "1580", "1620"),
        ("博士学位教师占比", "41.2%", "43.0%", "45.3%"),
    )
    doc = parse(text_pdf([Para(LONG), Table(rows), Para(SHORT)]))
    assert [b.kind for b in doc.blocks] == [BlockKind.PARAGRAPH, BlockKind.TABLE, BlockKind.PARAGRAPH]
    table = doc.blocks[1]
    assert table.rows == rows
    assert table.text.splitlines()[1] == "生师比 | 17.5:1 | 17.2:1 | 16.9:1"
    assert doc.blocks[0].text == LONG and doc.blocks[2].text == SHORT


def test_wrapped_cell_text_is_joined():
    cell = "构建了校院两级教学质量保障体系并持续运行，形成了闭环"
    rows = (("项目", "说明"), ("质量保障", cell))
    doc = parse(text_pdf([Table(rows)]))
    assert doc.blocks[0].rows == rows


def test_table_continued_on_the_next_page_is_one_block_with_one_header():
    header = ("序号", "专业名称", "所属学院", "批准年份")
    body = tuple((str(i), f"专业{i}", f"学院{i % 7}", str(2000 + i % 20)) for i in range(1, 71))
    doc = parse(text_pdf([Para(LONG), Table((header, *body)), Para(SHORT)]))
    tables = [b for b in doc.blocks if b.kind is BlockKind.TABLE]
    assert doc.page_count >= 2
    assert len(tables) == 1
    assert tables[0].rows == (header, *body)
    assert texts(doc)[-1] == SHORT


def test_a_bordered_box_is_not_a_table():
    def draw(c, page):
        c.rect(72, 650, 450, 100)
        c.setFont(CJK_FONT, 12)
        c.drawString(80, 730, "说明：本报告数据截至2023年9月。")

    doc = parse(canvas_pdf(draw))
    assert [(b.kind, b.text) for b in doc.blocks] == [(BlockKind.PARAGRAPH, "说明：本报告数据截至2023年9月。")]


# --- page statistics, rotation, watermarks --------------------------------------------------------------


def test_page_stats_count_characters_per_page():
    doc = parse(text_pdf([Para(SHORT), PageBreak(), Para(LONG)]))
    assert [(p.page, p.source) for p in doc.pages] == [(1, TextSource.TEXT_LAYER), (2, TextSource.TEXT_LAYER)]
    assert doc.pages[0].chars == len(SHORT) and doc.pages[1].chars == len(LONG)
    assert doc.warnings == ()


def test_two_column_page_is_read_column_by_column():
    left_text, right_text = LONG * 2, "持续改进机制运行有效，用人单位满意度较高，毕业生就业率保持在95%以上。" * 4

    def column(c, text, x, y, width=216):
        from reportlab.pdfbase.pdfmetrics import stringWidth

        line = ""
        for ch in text:  # wrap at the column width; punctuation never starts a line
            if line and stringWidth(line + ch, CJK_FONT, 12) > width and ch not in "，。、；：！？）%":
                c.drawString(x, y, line)
                y -= 16
                line = ""
            line += ch
        c.drawString(x, y, line)

    def draw(c, page):
        c.setFont(CJK_FONT, 16)
        c.drawCentredString(297, 780, "学校概况与办学特色")
        c.setFont(CJK_FONT, 12)
        column(c, left_text, 72, 740)
        column(c, right_text, 310, 740)

    doc = parse(canvas_pdf(draw))
    assert texts(doc) == ["学校概况与办学特色", left_text, right_text]


def test_form_with_short_label_value_pairs_is_not_split_into_columns():
    pairs = [("学校名称", "某某大学"), ("学校代码", "10001"), ("办学类型", "研究型"), ("所在省份", "某某省")] * 2

    def draw(c, page):
        c.setFont(CJK_FONT, 12)
        y = 760
        for (k1, v1), (k2, v2) in zip(pairs[::2], pairs[1::2], strict=True):
            c.drawString(72, y, f"{k1}：{v1}")
            c.drawString(320, y, f"{k2}：{v2}")
            y -= 24

    doc = parse(canvas_pdf(draw))
    assert texts(doc)[0] == "学校名称：某某大学 学校代码：10001"


def test_rotated_watermark_is_dropped():
    def draw(c, page):
        c.setFont(CJK_FONT, 12)
        c.drawString(72, 760, SHORT)
        c.saveState()
        c.translate(300, 400)
        c.rotate(45)
        c.setFont(CJK_FONT, 48)
        c.drawString(0, 0, "内部资料")
        c.restoreState()

    assert texts(parse(canvas_pdf(draw))) == [SHORT]


def test_slanted_italic_text_is_kept():
    note = "报告数据精确到小数点后两位，部分数据可能存在误差。"

    def draw(c, page):
        c.setFont(CJK_FONT, 12)
        c.drawString(72, 760, SHORT)
        c.saveState()
        c.transform(1, 0, 0.33, 1, 0, 0)  # a shear: how writers fake an italic (PDFium reports ~18°)
        c.drawString(72 - 0.33 * 730, 730, note)
        c.restoreState()

    assert texts(parse(canvas_pdf(draw))) == [SHORT, note]


def test_sideways_page_is_read_upright():
    def draw(c, page):
        c.saveState()
        c.translate(100, 72)
        c.rotate(90)  # text runs up the page, as on a landscape table page
        c.setFont(CJK_FONT, 12)
        c.drawString(0, 0, "一、学校概况")
        c.drawString(0, -30, SHORT)
        c.restoreState()

    doc = parse(canvas_pdf(draw))
    assert texts(doc) == ["一、学校概况", SHORT]
    assert doc.blocks[0].kind is BlockKind.HEADING


def test_kangxi_radicals_are_normalised():
    def draw(c, page):
        c.setFont(CJK_FONT, 12)
        c.drawString(72, 760, "\u2f63\u2f2f\u2f23\u2f00")  # ⽣⼯⼣⼀ (Kangxi radicals)

    assert texts(parse(canvas_pdf(draw))) == ["生工夕一"]


# --- scanned and garbled pages without OCR ---------------------------------------------------------------


@pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")
def test_scanned_page_with_ocr_off_gives_a_warning_and_no_text():
    doc = parse(scanned_pdf([LONG]), ocr=False)
    assert doc.blocks == ()
    assert len(doc.warnings) == 1 and doc.warnings[0].startswith("PDF_SCANNED_PAGE_OCR_OFF: page 1")
    assert doc.pages[0].chars == 0


@pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")
def test_warnings_about_several_pages_are_one_line():
    scans = [scanned_page_image([LONG]) for _ in range(3)]
    doc = parse(images_pdf(scans), ocr=False)
    assert doc.warnings == (
        "PDF_SCANNED_PAGE_OCR_OFF: pages 1–3: scanned image without a text layer; OCR is disabled, so its "
        "text is not indexed",
    )


@pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")
def test_garbled_text_layer_with_ocr_off_gives_a_warning_and_no_text():
    data = embedded_font_pdf([LONG, SHORT], drop_to_unicode=True)
    doc = parse(data, ocr=False)
    assert doc.blocks == ()
    assert doc.warnings[0].startswith("PDF_GARBLED_TEXT_OCR_OFF: page 1")


@pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")
def test_embedded_font_text_layer_is_read_directly():
    doc = parse(embedded_font_pdf([LONG, SHORT]), ocr=False)
    assert texts(doc) == [LONG, SHORT]


@pytest.mark.parametrize("encoding", ["gbk", "latin-1"])
def test_mojibake_text_layer_is_garbage(encoding):
    garbled = (LONG * 2).encode("utf-8").decode(encoding, "ignore")

    def draw(c, page):
        c.setFont(CJK_FONT if encoding == "gbk" else "Helvetica", 12)
        for k in range(0, len(garbled), 30):
            c.drawString(72, 760 - k, garbled[k : k + 30])

    doc = parse(canvas_pdf(draw), ocr=False)
    assert doc.blocks == ()
    assert doc.warnings[0].startswith("PDF_GARBLED_TEXT_OCR_OFF: page 1")


def test_blank_page_is_neither_ocred_nor_warned_about():
    doc = parse(text_pdf([Para(SHORT), PageBreak(), Para(" "), PageBreak(), Para(LONG)]))
    assert texts(doc) == [SHORT, LONG]
    assert doc.warnings == ()


# --- bad input ------------------------------------------------------------------------------------------


def test_encrypted_pdf_is_a_typed_error():
    data = text_pdf([Para(SHORT)], encrypt_password="secret")
    assert error(data).code is IndexingErrorCode.ENCRYPTED_FILE
    assert "加密" in error(data).message_zh


def test_pdf_with_only_an_owner_password_is_read():
    doc = parse(text_pdf([Para(SHORT)], owner_password="owner-only"))
    assert texts(doc) == [SHORT]


def test_truncated_pdf_is_a_corrupt_file():
    data = text_pdf([Para(LONG) for _ in range(20)])
    exc = error(data[: len(data) // 2])
    assert exc.code is IndexingErrorCode.CORRUPT_FILE
    assert "不完整" in exc.message_zh


def test_garbage_after_the_pdf_header_is_a_corrupt_file():
    rnd = random.Random(3)
    data = b"%PDF-1.7\n" + bytes(rnd.randrange(256) for _ in range(5000)) + b"\n%%EOF\n"
    assert error(data).code is IndexingErrorCode.CORRUPT_FILE


def test_pdf_without_pages_is_a_corrupt_file():
    import io

    import pypdfium2 as pdfium

    buf = io.BytesIO()
    pdfium.PdfDocument.new().save(buf)
    assert error(buf.getvalue()).code is IndexingErrorCode.CORRUPT_FILE


def test_not_a_pdf_and_empty_input_are_typed_errors():
    assert error(b"hello world, this is not a pdf").code is IndexingErrorCode.CORRUPT_FILE
    assert error(b"").code is IndexingErrorCode.EMPTY_FILE


def test_too_many_pages_is_checked_before_parsing():
    data = text_pdf([Para(SHORT), PageBreak(), Para(SHORT), PageBreak(), Para(SHORT)])
    exc = error(data, max_pages=2)
    assert exc.code is IndexingErrorCode.TOO_MANY_PAGES
    assert "3" in exc.message_zh and "2" in exc.message_zh
    assert len(parse(data, max_pages=3).blocks) == 3


def test_damaged_pdfs_never_raise_anything_but_indexing_error():
    data = text_pdf([Heading("一、概况", size=15), Para(LONG), Table((("a", "b"), ("1", "2")))])
    rnd = random.Random(11)
    for _ in range(60):
        b = bytearray(data)
        for _ in range(rnd.randint(1, 20)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        try:
            doc = parse(bytes(b))
        except IndexingError as exc:
            assert exc.code in (IndexingErrorCode.CORRUPT_FILE, IndexingErrorCode.ENCRYPTED_FILE)
        else:
            assert isinstance(doc, Document)


# --- speed ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_100_page_report_with_tables_comes_back_exactly_and_quickly():
    flow = report_flow(100)
    data = text_pdf(flow, header=HEADER)
    n = page_count(data)
    assert n >= 95
    parse(text_pdf([Para(SHORT)]))  # imports and first-use costs are not part of the rate
    start = time.perf_counter()
    doc = parse(data)
    rate = n / (time.perf_counter() - start)
    print(f"\nparsed {n} pages at {rate:.1f} pages/s")
    expected = [
        (BlockKind.TABLE, item.rows)
        if isinstance(item, Table)
        else (BlockKind.HEADING if isinstance(item, Heading) else BlockKind.PARAGRAPH, item.text)
        for item in flow
    ]
    assert [(b.kind, b.rows if b.kind is BlockKind.TABLE else b.text) for b in doc.blocks] == expected
    assert rate >= 10  # 30–50 pages/s on the 2-core dev machine; generous for loaded CI runners
