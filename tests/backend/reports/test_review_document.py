"""The Word review: Chinese office fonts, page numbers, the summary table, every quote with its page, the PDF."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from docx import Document
from docx.oxml.ns import qn

from backend.domain.enums import Mark
from backend.errors import AppError
from backend.reports.content import AI_NOTE_ZH, TITLE_ZH, ReportHeader, pages_zh, quoted_zh, section_zh
from backend.reports.review_document import SUMMARY_COLUMNS, TABLE_HEADING, TABLE_TEXT, to_docx
from corpus.office import docx_to_pdf
from tests.factories import make_review

HEADER = ReportHeader(
    institution="江南理工学院", version_label="第 2 版（2024年5月1日上传）", reviewed_on=date(2024, 5, 3)
)


@pytest.fixture(scope="module")
def docx_path(review, small_rubric, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("docx") / "审核意见.docx"
    to_docx(review, path, header=HEADER, rubric=small_rubric)
    return path


@pytest.fixture(scope="module")
def document(docx_path):
    return Document(str(docx_path))


def _east_asian(style) -> str | None:
    fonts = style.element.rPr.find(qn("w:rFonts"))
    return fonts.get(qn("w:eastAsia"))


def _body_text(document) -> str:
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_styles_set_the_east_asian_font_黑体_for_headings_and_仿宋_for_text(document):
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3", TABLE_HEADING):
        assert _east_asian(document.styles[name]) == "黑体", name
    for name in ("Normal", "List Bullet", "List Number", TABLE_TEXT):
        assert _east_asian(document.styles[name]) == "仿宋", name
    for name in ("Normal", "Title", "Heading 1"):
        fonts = document.styles[name].element.rPr.find(qn("w:rFonts"))
        # A theme font would win over the explicit one in Word.
        assert fonts.get(qn("w:eastAsiaTheme")) is None and fonts.get(qn("w:asciiTheme")) is None
    assert document.styles["Normal"].font.size.pt == 12
    lang = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert lang.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings and all(not any(r.font.name for r in p.runs) for p in headings)  # the style decides


def test_a4_with_normal_margins_and_page_x_of_y_in_the_footer(document):
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.left_margin.cm, 2), round(section.top_margin.cm, 2)) == (3.18, 2.54)
    footer = section.footer.paragraphs[0]
    fields = [t.text.strip() for t in footer._p.iter(qn("w:instrText"))]
    assert fields == ["PAGE", "NUMPAGES"]
    assert footer.text.startswith("第 ") and "页 / 共 " in footer.text and footer.text.endswith(" 页")


def test_cover_names_the_report_rubric_version_date_and_that_it_is_a_draft(document):
    top = "\n".join(p.text for p in document.paragraphs[:8])
    assert document.paragraphs[0].text == TITLE_ZH and document.paragraphs[0].style.name == "Title"
    for expected in (
        "江南理工学院",
        "迷你自评报告.pdf",
        "第 2 版",
        "迷你审核评估（mini-audit），版本 1.0",
        "2024年5月3日",
    ):
        assert expected in top
    assert AI_NOTE_ZH in top


def test_summary_table_has_one_row_per_indicator_with_mark_counts_and_a_repeating_header(document, review):
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == list(SUMMARY_COLUMNS)
    body = table.rows[1:-1]
    assert len(body) == len(review.assessments)
    for row, a in zip(body, review.assessments, strict=True):
        cells = [c.text for c in row.cells]
        assert cells[:3] == [a.indicator_id, a.indicator_name, f"{a.level} {a.level_label}"]
        assert cells[3:6] == [str(sum(p.mark is m for p in a.points)) for m in Mark]
        assert cells[6] == f"{a.confidence:.2f}"
    assert [c.text for c in table.rows[-1].cells][3:6] == ["1", "2", "1"]
    header_tr = table.rows[0]._tr
    assert header_tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:])
    assert all(c._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "D9D9D9" for c in table.rows[0].cells)
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {el.tag.split("}")[1] for el in borders} == {"top", "left", "bottom", "right", "insideH", "insideV"}
    assert all(c.paragraphs[0].style.name == TABLE_TEXT for c in table.rows[1].cells)


def test_every_quote_appears_with_its_page_and_section(document, review):
    paragraphs = [p.text for p in document.paragraphs]
    quoted = [t for t in paragraphs if t.startswith("原文 ")]
    quotes = [(p, ev) for a in review.assessments for p in a.points for ev in p.evidence]
    assert len(quotes) == 9
    for point, ev in quotes:
        line = next(t for t in quoted if quoted_zh(ev) in t and pages_zh(ev) in t)
        assert section_zh(ev) in line, point.point_id
    assert len(quoted) == len(quotes)
    assert any("第 5–6 页" in t for t in quoted)  # a quote over two pages
    assert quoted[0] == "原文 1（第 2 页，三、质量保障 > （1）督导与评价）：「表1 学校基本数据：生师比 = 17.5:1」"


def test_points_show_mark_rationale_figure_gaps_and_advice(document, review):
    text = _body_text(document)
    for a in review.assessments:
        assert a.rationale_zh in text
        for p in a.points:
            assert f"{p.point_id} {p.point_text}【{p.mark_zh}】" in text and p.rationale_zh in text
        assert all(m.expected_zh in text for m in a.missing)
        assert all(f"{x.text_zh}（依据：{x.source}）" in text for x in a.advice)
    assert "报告数值：生师比：「表1 学校基本数据：生师比 = 17.5:1」（第 2 页，表格第 2 行第 2 列）" in text
    assert "所在表格行：生师比 | 17.5:1；达到国家标准" in text
    assert "报告原文：未找到相关内容" in text  # 6.1.2 has no quote
    assert "4.1 师资结构（一级指标：4 教师队伍）" in text


def test_checklists_are_numbered_lists_each_starting_at_one(document, review):
    def numbered_after(title: str) -> list:
        start = next(i for i, p in enumerate(document.paragraphs) if p.text.endswith(title))
        items = []
        for p in document.paragraphs[start + 1 :]:
            if p.style.name != "List Number":
                break
            items.append(p)
        return items

    materials, questions = numbered_after("补充材料清单"), numbered_after("入校考察问题清单")
    assert [p.text for p in materials] == [f"{i.point_id}：{i.text_zh}" for i in review.supplementary_materials]
    assert [p.text for p in questions] == [f"{i.point_id}：{i.text_zh}" for i in review.site_visit_questions]
    num_ids = {p._p.pPr.numPr.numId.val for p in materials} | {p._p.pPr.numPr.numId.val for p in questions}
    assert len(num_ids) == 2  # one list each, so the second does not continue the first's numbers
    numbering = document.part.numbering_part.element
    for num_id in num_ids:
        num = numbering.num_having_numId(num_id)
        assert num.lvlOverride_lst[0].startOverride.val == 1


def test_writes_to_a_stream_without_a_rubric_and_refuses_another_rubric(review, small_rubric):
    stream = io.BytesIO()
    to_docx(review, stream)
    document = Document(io.BytesIO(stream.getvalue()))
    text = _body_text(document)
    assert "指标体系：mini-audit，版本 1.0" in text and "一级指标" not in text
    assert f"初审日期：{date.today().year}年" in text
    other = small_rubric.model_copy(update={"version": "2.0"})
    with pytest.raises(AppError) as err:
        to_docx(review, io.BytesIO(), rubric=other)
    assert err.value.message_zh == "指标体系与评审结果所用的版本不一致。"


def test_control_characters_from_a_pdf_text_layer_do_not_break_the_document(review):
    a = review.assessments[0]
    point = a.points[1]
    odd = point.evidence[0].model_copy(update={"quote": "学校\x0c加强\x07师资建设"})
    broken = review.model_copy(
        update={
            "assessments": (
                a.model_copy(update={"points": (a.points[0], point.model_copy(update={"evidence": (odd,)}))}),
            )
        }
    )
    stream = io.BytesIO()
    to_docx(broken, stream)
    assert "“学校加强师资建设”" in _body_text(Document(io.BytesIO(stream.getvalue())))


def test_libreoffice_lays_it_out_on_numbered_pages_with_the_chinese_text(docx_path, review, tmp_path):
    pdf = docx_to_pdf(docx_path, tmp_path / "审核意见.pdf")
    with pdfplumber.open(pdf) as opened:
        pages = [p.extract_text() or "" for p in opened.pages]
    assert len(pages) > 1
    squeezed = ["".join(t.split()) for t in pages]
    assert "".join(TITLE_ZH.split()) in squeezed[0]
    assert f"第1页/共{len(pages)}页" in squeezed[0] and f"第{len(pages)}页/共{len(pages)}页" in squeezed[-1]
    quote = review.assessments[1].points[0].evidence[5].quote
    assert any("".join(quote.split()) in t for t in squeezed)


def test_the_summary_header_row_repeats_on_the_next_page(tmp_path):
    """45 indicators fill more than a page of the summary table; the second page starts with its header row."""
    long = make_review(document_id="d1", rubric_id="mini-audit", indicators=45)
    docx = tmp_path / "长表.docx"
    to_docx(long, docx)
    with pdfplumber.open(docx_to_pdf(docx, tmp_path / "长表.pdf")) as opened:
        first, second = (opened.pages[0].extract_text(), opened.pages[1].extract_text())
    header = "".join(SUMMARY_COLUMNS)
    assert header in "".join(first.split())
    assert "1.45质量理念" in "".join(second.split())  # the table did go on to page 2
    second_lines = ["".join(line.split()) for line in second.splitlines()]
    assert second_lines[1] == header  # after the running header
