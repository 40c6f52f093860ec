"""OCR: line grouping (no engine needed) and scanned or garbled PDF pages read with RapidOCR."""

from __future__ import annotations

import difflib
import subprocess
import sys
import time

import pytest

from indexing.models import BlockKind, TextSource
from indexing.options import ParseOptions
from indexing.parsing import ocr
from indexing.parsing.layout import group_paragraphs
from indexing.parsing.ocr import OcrLine, layout_page, normalize_ocr_text
from indexing.parsing.pdf import parse_pdf
from tests.indexing.parsing.pdf_factory import (
    CJK_FONT,
    Para,
    canvas_pdf,
    embedded_font_pdf,
    has_cjk_font,
    images_pdf,
    scanned_page_image,
    scanned_pdf,
    text_pdf,
)

P1 = (
    "学校始建于1952年，现有全日制在校生两万余人，设有二十个学院，形成了以工为主、多学科协调发展的办学格局。"
    "学校坚持立德树人根本任务，深入推进本科教育教学改革。"
)
P2 = "近三年新增国家级一流本科专业12个，建成省级以上一流课程86门，教学经费投入逐年增长。"

needs_font = pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")


def similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


# --- geometry only ----------------------------------------------------------------------------------


def _line(text: str, x0: float, top: float, x1: float, h: float = 30.0, conf: float = 0.95) -> OcrLine:
    return OcrLine(text, (x0, top, x1, top + h), conf)


def test_ocr_lines_are_grouped_into_paragraphs_like_text_lines():
    # 1 px = 1 pt; 25 pt characters; column from x=100 to x=1000 (36 characters).
    lines = [
        _line("学校坚持立德树人根本任务，深入推进本科教育教学改革，构建了校院两级教", 150, 100, 1000),
        _line("学质量保障体系，完善了课程思政与专业思政协同机制，近三年新增国家级一", 100, 140, 1000),
        _line("流本科专业12个。", 100, 180, 300),
        _line("持续改进机制运行有效，用人单位满意度较高。", 150, 220, 675),
    ]
    paras = group_paragraphs(layout_page(lines).lines)
    assert ["".join(ln.text for ln in p) for p in paras] == [
        "学校坚持立德树人根本任务，深入推进本科教育教学改革，构建了校院两级教"
        "学质量保障体系，完善了课程思政与专业思政协同机制，近三年新增国家级一流本科专业12个。",
        "持续改进机制运行有效，用人单位满意度较高。",
    ]
    assert all(ln.source is TextSource.OCR for p in paras for ln in p)


def test_boxes_on_one_row_become_one_line_in_points():
    lines = [_line("姓名", 100, 100, 150, h=25), _line("张三", 400, 102, 450, h=25), _line("下一行", 100, 150, 175)]
    out = layout_page(lines, scale=2.0, page=3).lines
    assert [ln.text for ln in out] == ["姓名 张三", "下一行"]
    assert out[0].x0 == 50 and out[0].x1 == 225 and out[0].page == 3


def test_ocr_text_is_normalised_like_the_text_layer():
    raw = "学校 坚持 立德树人,深入推进改革(试点) ; OK go"
    assert normalize_ocr_text(raw) == "学校坚持立德树人，深入推进改革（试点）；OK go"
    assert normalize_ocr_text("1,234.5 and (a)") == "1,234.5 and (a)"


def test_importing_ocr_loads_no_engine():
    code = (
        "import sys, indexing.parsing.ocr as o, indexing.parsing.pdf; "
        "assert o._engine is None and 'rapidocr_onnxruntime' not in sys.modules and 'onnxruntime' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- with the engine --------------------------------------------------------------------------------


@needs_font
def test_a_page_scanned_upside_down_is_read_the_right_way_up():
    """The direction is voted by the long lines and applied to every line of the page, short ones included."""
    image = scanned_page_image([P1, P2], heading="一、学校概况").rotate(180)
    doc = parse_pdf(images_pdf([image]), doc_id="u", name="upside-down.pdf", options=ParseOptions())
    text = "".join(b.text for b in doc.blocks)
    assert similar(text, "一、学校概况" + P1 + P2) >= 0.9
    assert any(b.kind is BlockKind.HEADING and similar(b.text, "一、学校概况") >= 0.8 for b in doc.blocks)


@pytest.mark.slow
@needs_font
def test_scanned_page_is_read_by_ocr_with_headings_and_paragraphs():
    data = scanned_pdf([P1, P2], heading="一、学校概况")
    doc = parse_pdf(data, doc_id="s", name="scan.pdf", options=ParseOptions())
    assert [b.kind for b in doc.blocks] == [BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.PARAGRAPH]
    heading, p1, p2 = doc.blocks
    assert similar(heading.text, "一、学校概况") >= 0.8
    assert similar(p1.text, P1) >= 0.9 and similar(p2.text, P2) >= 0.9
    assert p1.heading_path == (heading.text,)
    for b in doc.blocks:
        assert b.source is TextSource.OCR and b.page == 1
        assert b.ocr_confidence is not None and 0.8 <= b.ocr_confidence <= 1.0
    page = doc.pages[0]
    assert page.source is TextSource.OCR and page.ocr_confidence >= 0.8 and page.chars >= 100
    assert doc.warnings == ()


@pytest.mark.slow
@needs_font
def test_garbled_text_layer_is_replaced_by_ocr():
    data = embedded_font_pdf([P1, P2], drop_to_unicode=True)
    doc = parse_pdf(data, doc_id="g", name="garbled.pdf", options=ParseOptions())
    assert [b.source for b in doc.blocks] == [TextSource.OCR, TextSource.OCR]
    assert similar(doc.blocks[0].text, P1) >= 0.9 and similar(doc.blocks[1].text, P2) >= 0.9


@pytest.mark.slow
@needs_font
def test_mixed_document_keeps_text_pages_and_ocrs_scanned_ones():
    import pypdfium2 as pdfium

    text_part = pdfium.PdfDocument(text_pdf([Para(P2)]))
    scan_part = pdfium.PdfDocument(images_pdf([scanned_page_image([P1])]))
    text_part.import_pages(scan_part)
    import io

    buf = io.BytesIO()
    text_part.save(buf)
    doc = parse_pdf(buf.getvalue(), doc_id="m", name="mixed.pdf", options=ParseOptions())
    assert [(b.page, b.source) for b in doc.blocks] == [(1, TextSource.TEXT_LAYER), (2, TextSource.OCR)]
    assert doc.blocks[0].text == P2 and similar(doc.blocks[1].text, P1) >= 0.9


@pytest.mark.slow
@needs_font
def test_text_layer_lines_on_a_scanned_page_are_kept_and_ocr_adds_the_rest():
    from reportlab.lib.utils import ImageReader

    image = scanned_page_image([P1], margin_pt=150)

    def draw(c, page):
        c.drawImage(ImageReader(image), 0, 0, width=595.2756, height=841.8898)
        c.setFont(CJK_FONT, 12)
        c.drawString(72, 60, "扫描件说明")

    doc = parse_pdf(canvas_pdf(draw), doc_id="c", name="caption.pdf", options=ParseOptions())
    assert [b.source for b in doc.blocks] == [TextSource.OCR, TextSource.TEXT_LAYER]
    assert similar(doc.blocks[0].text, P1) >= 0.9 and doc.blocks[1].text == "扫描件说明"
    assert doc.pages[0].source is TextSource.OCR


@pytest.mark.slow
@needs_font
def test_ocr_of_a_scanned_page_takes_a_few_seconds():
    dense = [P1 + P2] * 6  # about 30 lines of 14 pt text
    data = scanned_pdf(dense)
    options = ParseOptions()
    parse_pdf(scanned_pdf([P2]), doc_id="w", name="warm.pdf", options=options)  # engine load and warm-up
    start = time.perf_counter()
    doc = parse_pdf(data, doc_id="d", name="dense.pdf", options=options)
    seconds = time.perf_counter() - start
    print(f"\nOCR of a page with {sum(len(b.text) for b in doc.blocks)} characters: {seconds:.2f} s")
    assert similar("".join(b.text for b in doc.blocks), "".join(dense)) >= 0.9
    assert seconds < 30  # a few seconds on an idle 2-core machine; generous for loaded CI runners
    assert ocr._engine is not None
