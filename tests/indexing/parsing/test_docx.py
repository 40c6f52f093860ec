"""DOCX parsing on real files built in the tests (python-docx plus raw WordprocessingML)."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import BlockKind, Document, MediaType
from indexing.options import ParseOptions
from indexing.parsing import parse
from indexing.parsing.docx import CHARS_PER_PAGE, format_number, parse_docx
from tests.indexing.parsing.docx_factory import (
    add_numbering,
    add_paragraph_style,
    body_append,
    docx_bytes,
    paragraph_append,
    paragraph_prepend_run,
    rewrite_zip,
    set_numbering,
    set_outline_level,
    styled_paragraph,
    text_box_run,
    xml,
)

pytestmark = pytest.mark.unit


def _parse(data: bytes) -> Document:
    return parse_docx(data, doc_id="d", name="t.docx", options=ParseOptions())


def _kinds(doc: Document) -> list[tuple[str, str]]:
    return [(b.kind.value, b.text) for b in doc.blocks]


def _by_text(doc: Document, text: str):
    return next(b for b in doc.blocks if text in b.text)


# --- order and structure ---------------------------------------------------------------------------


def test_table_stays_between_the_paragraphs_around_it():
    def build(d):
        d.add_heading("一、学校概况", 1)
        d.add_paragraph("表前段落：主要办学指标如下。")
        t = d.add_table(rows=2, cols=2)
        t.cell(0, 0).text, t.cell(0, 1).text = "指标", "数值"
        t.cell(1, 0).text, t.cell(1, 1).text = "生师比", "17.5:1"
        d.add_paragraph("表后段落：指标均达到要求。")

    doc = _parse(docx_bytes(build))
    assert [b.kind for b in doc.blocks] == [
        BlockKind.HEADING,
        BlockKind.PARAGRAPH,
        BlockKind.TABLE,
        BlockKind.PARAGRAPH,
    ]
    table = doc.blocks[2]
    assert table.rows == (("指标", "数值"), ("生师比", "17.5:1"))
    assert table.text == "指标 | 数值\n生师比 | 17.5:1"
    assert table.heading_path == ("一、学校概况",)
    assert [b.id for b in doc.blocks] == ["b0001", "b0002", "b0003", "b0004"]
    assert doc.media_type is MediaType.DOCX


def test_heading_styles_give_levels_and_full_paths():
    def build(d):
        d.add_heading("审核评估自评报告", 0)
        d.add_heading("第一章 学校概况", 1)
        d.add_heading("第一节 办学定位", 2)
        d.add_heading("发展目标", 3)
        d.add_paragraph("建设高水平应用型大学。")
        d.add_heading("第二章 培养过程", 1)
        d.add_paragraph("课程体系不断完善。")

    doc = _parse(docx_bytes(build))
    assert _by_text(doc, "审核评估自评报告").heading_level == 1
    goal = _by_text(doc, "建设高水平")
    assert goal.heading_path == ("第一章 学校概况", "第一节 办学定位", "发展目标")
    assert _by_text(doc, "课程体系").heading_path == ("第二章 培养过程",)
    assert _by_text(doc, "发展目标").heading_level == 3


def test_localized_custom_and_inherited_heading_styles():
    def build(d):
        zh1 = add_paragraph_style(d, "标题 1")  # as WPS names it
        level2 = add_paragraph_style(d, "二级标题", outline=1)  # a school template's own style
        child = add_paragraph_style(d, "我的小标题", based_on="Heading3")  # inherits heading 3
        styled_paragraph(d, "学校概况", zh1)
        styled_paragraph(d, "办学定位", level2)
        styled_paragraph(d, "目标与特色", child)
        d.add_paragraph("正文内容。")
        p = d.add_paragraph("直接设置大纲级别的标题")
        set_outline_level(p, 0)
        d.add_paragraph("后续正文。")

    doc = _parse(docx_bytes(build))
    assert _by_text(doc, "正文内容").heading_path == ("学校概况", "办学定位", "目标与特色")
    assert [(b.text, b.heading_level) for b in doc.blocks if b.kind is BlockKind.HEADING] == [
        ("学校概况", 1),
        ("办学定位", 2),
        ("目标与特色", 3),
        ("直接设置大纲级别的标题", 1),
    ]
    assert _by_text(doc, "后续正文").heading_path == ("直接设置大纲级别的标题",)


def test_outline_level_nine_and_long_heading_styled_text_are_body_text():
    long_text = "本段落被误设为标题样式，" * 12 + "但它是正文。"

    def build(d):
        d.add_heading("一、概况", 1)
        p = d.add_heading("设为正文级别的标题样式段落", 2)
        set_outline_level(p, 9)
        d.add_heading(long_text, 2)

    doc = _parse(docx_bytes(build))
    assert _by_text(doc, "设为正文级别").kind is BlockKind.PARAGRAPH
    assert _by_text(doc, "误设为标题").kind is BlockKind.PARAGRAPH
    assert _by_text(doc, "误设为标题").heading_path == ("一、概况",)


def test_unstyled_chinese_numbered_paragraphs_are_headings_aligned_to_styled_ones():
    def build(d):
        d.add_heading("一、学校概况", 1)
        d.add_paragraph("（一）历史沿革")  # short, numbered, no style
        d.add_paragraph("学校创建于1952年。")
        d.add_paragraph("1. 建校初期，学校只有三个系，在校生不足千人，经过七十年发展已成规模。")
        d.add_heading("二、本科教学", 1)
        d.add_paragraph("教学工作稳步推进。")

    doc = _parse(docx_bytes(build))
    sub = _by_text(doc, "历史沿革")
    assert sub.kind is BlockKind.HEADING and sub.heading_level == 2
    assert _by_text(doc, "1952").heading_path == ("一、学校概况", "（一）历史沿革")
    assert _by_text(doc, "建校初期").kind is BlockKind.LIST_ITEM
    assert _by_text(doc, "教学工作").heading_path == ("二、本科教学",)


def test_table_of_contents_entries_are_not_headings():
    def build(d):
        toc_heading = add_paragraph_style(d, "TOC Heading", based_on="Heading1", outline=9)
        toc1 = add_paragraph_style(d, "toc 1")
        styled_paragraph(d, "目  录", toc_heading)
        styled_paragraph(d, "一、学校概况\t1", toc1)
        styled_paragraph(d, "二、本科教学\t5", toc1)
        d.add_heading("一、学校概况", 1)
        d.add_paragraph("正文。")

    doc = _parse(docx_bytes(build))
    headings = [b.text for b in doc.blocks if b.kind is BlockKind.HEADING]
    assert headings == ["一、学校概况"]
    toc = doc.blocks[0]
    assert toc.kind is BlockKind.PARAGRAPH and "二、本科教学" in toc.text and "目  录" in toc.text


# --- tables ----------------------------------------------------------------------------------------


def test_merged_cells_horizontal_once_vertical_repeated():
    def build(d):
        t = d.add_table(rows=4, cols=3)
        for j, h in enumerate(("学院", "专业", "学生数")):
            t.cell(0, j).text = h
        college = t.cell(1, 0).merge(t.cell(2, 0))
        college.text = "文学院"
        t.cell(1, 1).text, t.cell(1, 2).text = "汉语言文学", "320"
        t.cell(2, 1).text, t.cell(2, 2).text = "新闻学", "180"
        total = t.cell(3, 0).merge(t.cell(3, 1))
        total.text = "合计"
        t.cell(3, 2).text = "500"

    doc = _parse(docx_bytes(build))
    (table,) = doc.blocks
    assert table.rows == (
        ("学院", "专业", "学生数"),
        ("文学院", "汉语言文学", "320"),
        ("文学院", "新闻学", "180"),
        ("合计", "", "500"),
    )
    assert table.text.count("合计") == 1


def test_nested_table_text_is_kept_in_the_cell():
    def build(d):
        t = d.add_table(rows=2, cols=2)
        t.cell(0, 0).text, t.cell(0, 1).text = "项目", "明细"
        t.cell(1, 0).text = "实验室"
        inner = t.cell(1, 1).add_table(rows=2, cols=2)
        inner.cell(0, 0).text, inner.cell(0, 1).text = "国家级", "3个"
        inner.cell(1, 0).text, inner.cell(1, 1).text = "省级", "12个"

    doc = _parse(docx_bytes(build))
    (table,) = doc.blocks
    assert table.rows[1][1] == "国家级 | 3个\n省级 | 12个"
    assert "\n" not in table.text.split("\n")[1]  # a row stays one line of the rendered text
    assert len(table.text.split("\n")) == 2


def test_single_cell_layout_table_is_read_as_blocks():
    def build(d):
        t = d.add_table(rows=1, cols=1)
        cell = t.cell(0, 0)
        cell.paragraphs[0].text = "案例正文放在一个单元格的框里。"
        cell.add_paragraph("一、案例背景")
        cell.add_paragraph("学校从2019年开始建设质量文化。")

    doc = _parse(docx_bytes(build))
    assert _kinds(doc)[1] == ("heading", "一、案例背景")
    assert _by_text(doc, "2019").heading_path == ("一、案例背景",)


def test_row_with_grid_before_and_content_control_cells():
    def build(d):
        body_append(
            d,
            "<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>"
            "<w:tr><w:tc><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>B</w:t></w:r></w:p></w:tc>"
            "<w:tc><w:p><w:r><w:t>C</w:t></w:r></w:p></w:tc></w:tr>"
            '<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>'
            "<w:sdt><w:sdtContent><w:tc><w:p><w:r><w:t>b2</w:t></w:r></w:p></w:tc></w:sdtContent></w:sdt>"
            "<w:tc><w:p><w:r><w:t>c2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>",
        )

    (table,) = _parse(docx_bytes(build)).blocks
    assert table.rows == (("A", "B", "C"), ("", "b2", "c2"))


# --- numbering and lists ---------------------------------------------------------------------------


def test_numbered_and_bulleted_lists_are_list_items_with_visible_numbers():
    def build(d):
        d.add_paragraph("主要措施：")
        d.add_paragraph("完善质量标准", style="List Number")
        d.add_paragraph("健全评价机制", style="List Number")
        d.add_paragraph("强化结果运用", style="List Bullet")

    doc = _parse(docx_bytes(build))
    assert _kinds(doc)[1:] == [
        ("list_item", "1. 完善质量标准"),
        ("list_item", "2. 健全评价机制"),
        ("list_item", "强化结果运用"),
    ]


def test_chinese_automatic_numbering_on_headings_and_lists():
    def build(d):
        chapters = add_numbering(d, [("chineseCounting", "%1、"), ("chineseCounting", "（%2）")])
        items = add_numbering(d, [("decimal", "%1."), ("decimalEnclosedCircle", "%2")])
        for title in ("学校概况", "本科教学"):
            p = d.add_paragraph(title, style="Heading 1")
            set_numbering(p, chapters, 0)
            for sub in ("目标", "措施"):
                set_numbering(d.add_paragraph(sub), chapters, 1)  # unstyled, auto-numbered （一）
        set_numbering(d.add_paragraph("完善制度建设，形成闭环。"), items, 0)
        set_numbering(d.add_paragraph("细化标准。"), items, 1)

    doc = _parse(docx_bytes(build))
    headings = [(b.text, b.heading_level) for b in doc.blocks if b.kind is BlockKind.HEADING]
    assert headings == [
        ("一、学校概况", 1),
        ("（一）目标", 2),
        ("（二）措施", 2),
        ("二、本科教学", 1),
        ("（一）目标", 2),
        ("（二）措施", 2),
    ]
    assert _kinds(doc)[-2:] == [("list_item", "1. 完善制度建设，形成闭环。"), ("list_item", "①细化标准。")]


@pytest.mark.parametrize(
    ("n", "fmt", "expected"),
    [
        (1, "chineseCounting", "一"),
        (10, "chineseCounting", "十"),
        (21, "chineseCounting", "二十一"),
        (105, "chineseCounting", "一百零五"),
        (110, "chineseCountingThousand", "一百一十"),
        (3, "chineseLegalSimplified", "叁"),
        (4, "upperRoman", "IV"),
        (28, "lowerLetter", "bb"),
        (2, "ideographTraditional", "乙"),
        (3, "decimalEnclosedParen", "⑶"),
        (7, "decimalZero", "07"),
        (12, "decimalFullWidth", "１２"),
    ],
)
def test_number_formats(n, fmt, expected):
    assert format_number(n, fmt) == expected


# --- inline content --------------------------------------------------------------------------------


def test_text_box_text_is_kept_once_after_its_anchor():
    def build(d):
        p = d.add_paragraph("正文锚点段落。")
        paragraph_append(p, text_box_run("文本框中的办学特色说明", "第二行"))
        d.add_paragraph("下一段。")

    doc = _parse(docx_bytes(build))
    texts = [b.text for b in doc.blocks]
    assert texts == ["正文锚点段落。", "文本框中的办学特色说明", "第二行", "下一段。"]


def test_text_box_in_a_table_cell_joins_the_cell_text():
    def build(d):
        t = d.add_table(rows=1, cols=2)
        t.cell(0, 0).text = "说明"
        paragraph_append(t.cell(0, 1).paragraphs[0], text_box_run("框内文字"))

    (table,) = _parse(docx_bytes(build)).blocks
    assert table.rows == (("说明", "框内文字"),)


def test_content_controls_hyperlinks_and_tracked_changes():
    def build(d):
        body_append(
            d, "<w:sdt><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>控件中的段落。</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        )
        p = d.add_paragraph("见")
        paragraph_append(p, '<w:hyperlink r:id="rId99"><w:r><w:t>教育部网站</w:t></w:r></w:hyperlink>')
        paragraph_append(p, '<w:del w:id="1" w:author="a"><w:r><w:delText>已删除文字</w:delText></w:r></w:del>')
        paragraph_append(p, '<w:ins w:id="2" w:author="a"><w:r><w:t>（新增）</w:t></w:r></w:ins>')
        paragraph_append(p, "<w:r><w:rPr><w:vanish/></w:rPr><w:t>隐藏文字</w:t></w:r>")
        paragraph_append(
            p,
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            "<w:r><w:instrText> PAGE </w:instrText></w:r>"
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>。</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
        )

    doc = _parse(docx_bytes(build))
    assert [b.text for b in doc.blocks] == ["控件中的段落。", "见教育部网站（新增）。"]


def test_soft_line_breaks_with_numbered_lines_are_split_into_headings():
    def build(d):
        p = d.add_paragraph("一、学校概况")
        run = p.add_run()
        run.add_break()
        p.add_run("学校创建于1952年，")
        p.add_run().add_break()
        p.add_run("现有学生2万人。")

    doc = _parse(docx_bytes(build))
    assert _kinds(doc) == [("heading", "一、学校概况"), ("paragraph", "学校创建于1952年，\n现有学生2万人。")]


# --- pages -----------------------------------------------------------------------------------------


def test_explicit_page_breaks_number_pages():
    def build(d):
        d.add_paragraph("封面")
        d.add_paragraph("封面第二行").add_run().add_break(WD_BREAK.PAGE)
        d.add_heading("一、学校概况", 1)
        d.add_paragraph("第二页正文。")
        d.add_page_break()
        d.add_paragraph("第三页正文。")
        p = d.add_paragraph("分节前")
        p._p.get_or_add_pPr().append(xml("<w:sectPr/>"))  # next-page section break
        d.add_paragraph("第四页正文。")

    doc = _parse(docx_bytes(build))
    pages = {b.text: b.page for b in doc.blocks}
    assert pages == {
        "封面": 1,
        "封面第二行": 1,
        "一、学校概况": 2,
        "第二页正文。": 2,
        "第三页正文。": 3,
        "分节前": 3,
        "第四页正文。": 4,
    }
    assert doc.page_count == 4
    assert doc.warnings == ()


def test_rendered_page_breaks_are_used_and_not_double_counted():
    def build(d):
        d.add_paragraph("第一页。")
        d.add_paragraph("第一页末").add_run().add_break(WD_BREAK.PAGE)
        p2 = d.add_paragraph("第二页开头。")  # Word marks the page start again after the hard break
        paragraph_prepend_run(p2, "<w:r><w:lastRenderedPageBreak/></w:r>")
        p3 = d.add_paragraph("跨页段落的前半部分")
        paragraph_append(p3, "<w:r><w:lastRenderedPageBreak/><w:t>后半部分。</w:t></w:r>")
        d.add_paragraph("第三页。")

    doc = _parse(docx_bytes(build))
    pages = [(b.text[:5], b.page) for b in doc.blocks]
    assert pages == [("第一页。", 1), ("第一页末", 1), ("第二页开头", 2), ("跨页段落的", 2), ("第三页。", 3)]


def test_pages_are_estimated_from_characters_without_breaks():
    para = "学校坚持立德树人根本任务，" * 20  # 260 characters

    def build(d):
        for _ in range(8):
            d.add_paragraph(para)

    doc = _parse(docx_bytes(build))
    assert [b.page for b in doc.blocks] == [1 + (i * len(para)) // CHARS_PER_PAGE for i in range(8)]
    assert doc.page_count == 3
    assert any(w.startswith("DOCX_PAGES_ESTIMATED") for w in doc.warnings)


def test_page_break_before_style_property():
    def build(d):
        d.add_paragraph("第一页。")
        p = d.add_paragraph("新起一页。")
        p.paragraph_format.page_break_before = True

    doc = _parse(docx_bytes(build))
    assert [b.page for b in doc.blocks] == [1, 2]


# --- packages python-docx refuses ------------------------------------------------------------------


def test_macro_enabled_document_is_read_directly():
    data = docx_bytes(lambda d: (d.add_heading("一、概况", 1), d.add_paragraph("宏文档正文。")))
    ct = rewrite_zip(data)
    with zipfile.ZipFile(io.BytesIO(ct)) as zf:
        types = zf.read("[Content_Types].xml").replace(
            b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
        )
    docm = rewrite_zip(ct, replace={"[Content_Types].xml": types})
    doc = parse(docm, name="宏.docm")
    assert doc.media_type is MediaType.DOCX
    assert _kinds(doc) == [("heading", "一、概况"), ("paragraph", "宏文档正文。")]


def test_bad_xml_in_the_main_part_is_corrupt():
    data = docx_bytes(lambda d: d.add_paragraph("正文"))
    broken = rewrite_zip(data, replace={"word/document.xml": b"<w:document><w:body><w:p>"})
    with pytest.raises(IndexingError) as err:
        _parse(broken)
    assert err.value.code is IndexingErrorCode.CORRUPT_FILE
    assert "损坏" in err.value.message_zh


def test_xml_entity_expansion_is_not_performed():
    data = docx_bytes(lambda d: d.add_paragraph("正文"))
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "AAAAAAAAAA">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p><w:p><w:r><w:t>safe</w:t></w:r></w:p></w:body></w:document>"
    )
    try:
        doc = _parse(rewrite_zip(data, replace={"word/document.xml": bomb}))
    except IndexingError as exc:
        assert exc.code is IndexingErrorCode.CORRUPT_FILE
    else:
        assert "A" * 100 not in "".join(b.text for b in doc.blocks)


def test_missing_numbering_definitions_and_styles_are_tolerated():
    def build(d):
        p = d.add_paragraph("引用了不存在的编号")
        p._p.get_or_add_pPr().append(xml('<w:numPr><w:ilvl w:val="0"/><w:numId w:val="77"/></w:numPr>'))
        q = d.add_paragraph("引用了不存在的样式")
        q._p.get_or_add_pPr().append(xml('<w:pStyle w:val="NoSuchStyle"/>'))

    doc = _parse(docx_bytes(build))
    assert _kinds(doc) == [("list_item", "引用了不存在的编号"), ("paragraph", "引用了不存在的样式")]


def test_missing_or_malformed_styles_part_still_yields_the_text():
    data = docx_bytes(_two_levels)
    for damaged in (
        rewrite_zip(data, drop=("word/styles.xml",)),
        rewrite_zip(data, replace={"word/styles.xml": b"<w:styles><broken"}),
    ):
        doc = _parse(damaged)
        assert "学校创建于1952年。" in [b.text for b in doc.blocks]
        assert _by_text(doc, "一、学校概况").kind is BlockKind.HEADING  # by its number at least


def _two_levels(d) -> None:
    d.add_heading("一、学校概况", 1)
    d.add_paragraph("学校创建于1952年。")


def test_strict_open_xml_document_is_read():
    data = docx_bytes(_two_levels)
    strict = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
    transitional = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {n: zf.read(n) for n in ("word/document.xml", "word/styles.xml", "_rels/.rels")}
    rels = parts["_rels/.rels"].replace(
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
    )
    replaced = {n: b.replace(transitional, strict) for n, b in parts.items() if n.startswith("word/")}
    doc = _parse(rewrite_zip(data, replace={**replaced, "_rels/.rels": rels}))
    assert _kinds(doc) == [("heading", "一、学校概况"), ("paragraph", "学校创建于1952年。")]
    assert doc.blocks[1].heading_path == ("一、学校概况",)


def test_table_of_contents_content_control_is_one_paragraph_not_headings():
    def build(d):
        entries = "".join(
            f"<w:p><w:r><w:t>{t}</w:t></w:r><w:r><w:tab/></w:r><w:r><w:t>{n}</w:t></w:r></w:p>"
            for t, n in (("第一章 学校概况", 1), ("第二章 本科教学", 5))
        )
        body_append(
            d,
            '<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>'
            f"<w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtContent>{entries}</w:sdtContent></w:sdt>",
        )
        d.add_heading("第一章 学校概况", 1)
        d.add_paragraph("正文。")

    doc = _parse(docx_bytes(build))
    assert _kinds(doc) == [
        ("paragraph", "第一章 学校概况\t1\n第二章 本科教学\t5"),
        ("heading", "第一章 学校概况"),
        ("paragraph", "正文。"),
    ]


def test_embedded_html_alt_chunk_is_read():
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    html = "<html><body><h2>三、教学质量</h2><p>网页嵌入的正文。</p><ul><li>条目一</li></ul></body></html>"

    def build(d):
        d.add_heading("二、概况", 1)
        part = Part(PackURI("/word/afchunk.htm"), "text/html", html.encode(), d.part.package)
        rid = d.part.relate_to(part, RT.A_F_CHUNK)
        body_append(d, f'<w:altChunk r:id="{rid}"/>')

    doc = _parse(docx_bytes(build))
    assert _kinds(doc) == [
        ("heading", "二、概况"),
        ("heading", "三、教学质量"),
        ("paragraph", "网页嵌入的正文。"),
        ("list_item", "条目一"),
    ]


def test_ruby_annotations_are_left_out():
    def build(d):
        p = d.add_paragraph("学校")
        paragraph_append(
            p,
            "<w:r><w:ruby><w:rubyPr/><w:rt><w:r><w:t>zhì</w:t></w:r></w:rt>"
            "<w:rubyBase><w:r><w:t>质</w:t></w:r></w:rubyBase></w:ruby></w:r>",
        )
        p.add_run("量文化。")

    assert [b.text for b in _parse(docx_bytes(build)).blocks] == ["学校质量文化。"]


def test_heading_styles_linked_to_a_multilevel_list_and_numbering_style_links():
    def build(d):
        numbering = d.part.numbering_part.element
        numbering.insert(
            0,
            xml(
                '<w:abstractNum w:abstractNumId="50"><w:multiLevelType w:val="multilevel"/>'
                '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
                '<w:pStyle w:val="Heading1"/><w:lvlText w:val="第%1章"/></w:lvl>'
                '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
                '<w:pStyle w:val="Heading2"/><w:lvlText w:val="第%2节"/></w:lvl></w:abstractNum>'
            ),
        )
        numbering.insert(
            1,
            xml('<w:abstractNum w:abstractNumId="51"><w:numStyleLink w:val="MyList"/></w:abstractNum>'),
        )
        numbering.insert(
            2,
            xml(
                '<w:abstractNum w:abstractNumId="52"><w:styleLink w:val="MyList"/>'
                '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
                '<w:lvlText w:val="%1)"/></w:lvl></w:abstractNum>'
            ),
        )
        for nid, aid in ((60, 50), (61, 51), (62, 52)):
            numbering.append(xml(f'<w:num w:numId="{nid}"><w:abstractNumId w:val="{aid}"/></w:num>'))
        d.styles.element.append(
            xml(
                '<w:style w:type="numbering" w:styleId="MyList"><w:name w:val="My List"/>'
                '<w:pPr><w:numPr><w:numId w:val="62"/></w:numPr></w:pPr></w:style>'
            )
        )
        for sid in ("Heading1", "Heading2"):
            style = d.styles.element.get_by_id(sid)
            style.get_or_add_pPr().append(xml('<w:numPr><w:numId w:val="60"/></w:numPr>'))
        d.add_heading("学校概况", 1)
        d.add_heading("办学定位", 2)
        d.add_heading("师资队伍", 2)
        d.add_heading("本科教学", 1)
        d.add_heading("专业建设", 2)
        set_numbering(d.add_paragraph("完善专业动态调整机制。"), 61)
        set_numbering(d.add_paragraph("建设一流专业。"), 61)

    doc = _parse(docx_bytes(build))
    assert [b.text for b in doc.blocks if b.kind is BlockKind.HEADING] == [
        "第一章 学校概况",
        "第一节 办学定位",
        "第二节 师资队伍",
        "第二章 本科教学",
        "第一节 专业建设",
    ]
    assert _by_text(doc, "一流专业").heading_path == ("第二章 本科教学", "第一节 专业建设")
    assert _kinds(doc)[-2:] == [("list_item", "1) 完善专业动态调整机制。"), ("list_item", "2) 建设一流专业。")]


def test_lists_sharing_a_definition_continue_unless_restarted():
    def build(d):
        first = add_numbering(d, [("decimal", "%1.")])
        numbering = d.part.numbering_part.element
        aid = numbering.findall(qn("w:num"))[-1].find(qn("w:abstractNumId")).get(qn("w:val"))
        numbering.append(xml(f'<w:num w:numId="90"><w:abstractNumId w:val="{aid}"/></w:num>'))
        numbering.append(
            xml(
                f'<w:num w:numId="91"><w:abstractNumId w:val="{aid}"/>'
                '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
            )
        )
        for text, nid in (("甲项", first), ("乙项", first), ("丙项", 90), ("新列表一", 91), ("新列表二", 91)):
            set_numbering(d.add_paragraph(text), nid)

    doc = _parse(docx_bytes(build))
    assert [b.text for b in doc.blocks] == ["1. 甲项", "2. 乙项", "3. 丙项", "1. 新列表一", "2. 新列表二"]


def test_runs_of_short_arabic_numbered_lines_are_a_list_not_headings():
    def build(d):
        d.add_heading("一、主要成绩", 1)
        d.add_paragraph("近三年主要成绩：")
        for line in ("1. 获批国家级一流专业12个", "2. 建成省级一流课程86门", "3. 新增博士点2个"):
            d.add_paragraph(line)
        d.add_paragraph("1.1 专业建设")
        d.add_paragraph("专业结构持续优化。")

    doc = _parse(docx_bytes(build))
    assert [b.kind.value for b in doc.blocks] == [
        "heading",
        "paragraph",
        "list_item",
        "list_item",
        "list_item",
        "heading",
        "paragraph",
    ]
    assert _by_text(doc, "专业结构").heading_path == ("一、主要成绩", "1.1 专业建设")
