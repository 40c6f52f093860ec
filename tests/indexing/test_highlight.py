"""Quotes found on real PDF pages and drawn there, and found in DOCX paragraphs.

The PDFs are real: a Word document (python-docx) converted by LibreOffice, reportlab pages, an image-only
scan, a rotated page, and the real university reports in ../shared/real-docs (never committed). Quotes
are taken from what the project's own parser and chunker made of each PDF, and every located box is
checked against the PDF itself: the text PDFium reads inside the boxes must be the quote.
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import statistics
import time
import unicodedata
from pathlib import Path

import pytest

from indexing.chunking import chunk_document
from indexing.errors import IndexingErrorCode
from indexing.highlight import (
    MAX_SIDE_PX,
    HighlightError,
    MatchKind,
    NoMatchReason,
    PageBoxes,
    docx_context,
    locate_quote,
    render_page,
)
from indexing.models import BlockKind, Chunk, Document
from indexing.options import ParseOptions
from indexing.parsing import parse
from tests.indexing.parsing.docx_factory import docx_bytes
from tests.indexing.parsing.pdf_factory import (
    CJK_FONT,
    Heading,
    Para,
    Table,
    canvas_pdf,
    has_cjk_font,
    scanned_pdf,
    text_pdf,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
REAL_DOCS = ROOT.parent / "shared" / "real-docs"
SOFFICE_NAMES = ("soffice", "libreoffice")

INTRO = (
    "学校坚持立德树人根本任务，以本科教育教学审核评估为契机，全面梳理人才培养目标、培养过程与培养效果之间的"
    "对应关系，构建了校院两级教学质量保障体系，形成了目标明确、标准清晰、运行有效、持续改进的质量文化。"
)
LONG_SENTENCE = (
    "近三年学校累计投入本科教学经费三亿二千万元，新建智慧教室一百二十间、虚拟仿真实验教学项目三十六项，"
    "生均教学日常运行支出逐年增长，为课程改革和实践教学提供了有力保障。"
)
TABLE_CAPTION = "表1 师资队伍主要指标"
TABLE = (
    ("指标", "2022年", "2023年"),
    ("生师比", "17.8:1", "17.5:1"),
    ("专任教师（人）", "1520", "1586"),
    ("具有博士学位教师占比", "45.20%", "48.65%"),
)
FIGURES = "学校生师比为17.5:1，专任教师1586人，具有博士学位教师占比48.65%。"
# A sentence naming a table row's cells in order, a few characters apart, above the table itself.
ROW_IN_WORDS = "专任教师（人）由2022年的1520人增至2023年的1586人。"
# Clauses that differ from each other, so that every run of characters stands in one place only.
FILLER = [
    "".join(f"第{n}段第{k}项举措覆盖{n * 7 + k}个专业、惠及{n * 130 + k * 17}名学生，" for k in range(1, 9))
    + "成效明显。"
    for n in range(1, 25)
]


def _require_soffice() -> None:
    if any(shutil.which(n) for n in SOFFICE_NAMES):
        return
    message = "soffice not found: install the Debian package libreoffice-writer"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _require_cjk_font() -> None:
    if has_cjk_font():
        return
    message = "WenQuanYi Zen Hei not found: install the Debian package fonts-wqy-zenhei"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _fold(text: str) -> str:
    """The test's own comparison form: NFKC, no white space, no cell separators."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace() and ch != "|")


def _boxed_text(pdf: bytes, where: PageBoxes) -> str:
    """What PDFium reads inside the boxes, box by box (edges pulled in a little, so that a neighbouring
    character whose box only touches a box's edge is not read)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        page = document[where.page - 1]
        textpage = page.get_textpage()
        parts = []
        for b in where.boxes:
            across = min(b.right - b.left, b.top - b.bottom)  # the line's height, whichever way it runs
            dx, dy = (0.5, 0.15 * across) if b.right - b.left > across else (0.15 * across, 0.5)
            parts.append(textpage.get_text_bounded(b.left + dx, b.bottom + dy, b.right - dx, b.top - dy))
        textpage.close()
        page.close()
        return "".join(parts)
    finally:
        document.close()


def _quote_pages(chunk: Chunk, quote: str) -> tuple[int, int]:
    start = chunk.text.index(quote)
    pages = [s.page for s in chunk.locate(start, start + len(quote)) if s.page is not None]
    return min(pages), max(pages)


def _parse_pdf(data: bytes) -> tuple[Document, list[Chunk]]:
    document = parse(data, name="report.pdf", options=ParseOptions(ocr=False))
    return document, chunk_document(document)


# --- a Word document converted by LibreOffice ------------------------------------------------------


def _word_report(d) -> None:
    section = d.sections[0]
    section.header.paragraphs[0].text = "某某大学本科教育教学审核评估自评报告"
    section.footer.paragraphs[0].text = "自评报告正文"
    d.add_heading("一、学校概况", 1)
    d.add_paragraph(INTRO)
    d.add_paragraph(LONG_SENTENCE)
    d.add_heading("（一）师资队伍", 2)
    d.add_paragraph(FIGURES)
    d.add_paragraph(TABLE_CAPTION)
    table = d.add_table(rows=len(TABLE), cols=len(TABLE[0]))
    table.style = "Table Grid"
    for row, values in zip(table.rows, TABLE, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    d.add_heading("二、本科教学改革", 1)
    for text in FILLER:
        d.add_paragraph(text)


@pytest.fixture(scope="module")
def word_docx() -> bytes:
    return docx_bytes(_word_report)


@pytest.fixture(scope="module")
def office_pdf(tmp_path_factory, word_docx) -> bytes:
    _require_soffice()
    from corpus.office import docx_to_pdf

    folder = tmp_path_factory.mktemp("office")
    (folder / "report.docx").write_bytes(word_docx)
    return docx_to_pdf(folder / "report.docx", folder / "report.pdf").read_bytes()


@pytest.fixture(scope="module")
def office_parsed(office_pdf) -> tuple[Document, list[Chunk]]:
    return _parse_pdf(office_pdf)


def _chunk_with(chunks: list[Chunk], text: str) -> Chunk:
    return next(c for c in chunks if text in c.text)


def test_a_sentence_wrapped_over_lines_is_boxed_line_by_line(office_pdf, office_parsed):
    _, chunks = office_parsed
    chunk = _chunk_with(chunks, LONG_SENTENCE[:20])
    quote = LONG_SENTENCE
    page, _ = _quote_pages(chunk, quote)
    where = locate_quote(office_pdf, page=page, quote=quote)
    assert where.kind is MatchKind.EXACT
    assert where.located_share == 1.0
    (on_page,) = where.pages
    assert on_page.page == page
    assert len(on_page.boxes) >= 2, "the sentence wraps, so it has a box per line"
    tops = [b.top for b in on_page.boxes]
    assert tops == sorted(tops, reverse=True), "lines go down the page"
    assert _fold(_boxed_text(office_pdf, on_page)) == _fold(quote)


def test_a_table_row_matches_its_cells_in_order(office_pdf, office_parsed):
    _, chunks = office_parsed
    chunk = next(c for c in chunks if c.is_table and "生师比" in c.text)
    quote = next(line for line in chunk.text.split("\n") if line.startswith("生师比"))
    assert " | " in quote
    page, _ = _quote_pages(chunk, quote)
    where = locate_quote(office_pdf, page=page, quote=quote)
    assert where.kind is MatchKind.EXACT
    (on_page,) = where.pages
    assert len(on_page.boxes) == 1, "a table row is one line"
    assert _fold(_boxed_text(office_pdf, on_page)) == _fold(quote)
    header = locate_quote(office_pdf, page=page, quote=" | ".join(TABLE[0])).pages[0].boxes
    assert header[0].bottom > on_page.boxes[0].top, "the row is below the header row"


def test_a_table_fact_as_experts_read_it_is_found(office_pdf, office_parsed):
    _, chunks = office_parsed
    chunk = next(c for c in chunks if c.is_table and "生师比" in c.text)
    page, _ = _quote_pages(chunk, "生师比")
    where = locate_quote(office_pdf, page=page, quote=f"「{TABLE_CAPTION}：生师比 = 17.8:1 | 17.5:1」（第 {page} 页）")
    assert where.kind is MatchKind.EXACT
    boxed = _fold(_boxed_text(office_pdf, where.pages[0]))
    assert boxed == _fold(TABLE_CAPTION + "生师比17.8:117.5:1")


def test_a_quote_over_a_page_break_has_boxes_on_both_pages(office_pdf, office_parsed):
    document, chunks = office_parsed
    block = next(b for b in document.blocks if b.kind is BlockKind.PARAGRAPH and b.page_starts)
    offset, next_page = block.page_starts[0]
    quote = block.text[offset - 30 : offset + 30]
    chunk = _chunk_with(chunks, quote)
    assert _quote_pages(chunk, quote) == (next_page - 1, next_page)
    where = locate_quote(office_pdf, page=next_page - 1, quote=quote)
    assert where.kind is MatchKind.EXACT
    assert [p.page for p in where.pages] == [next_page - 1, next_page]
    assert all(p.boxes for p in where.pages)
    assert _fold(_boxed_text(office_pdf, where.pages[0])) == _fold(block.text[offset - 30 : offset])
    assert _fold(_boxed_text(office_pdf, where.pages[1])) == _fold(block.text[offset : offset + 30])

    only_first = locate_quote(office_pdf, page=next_page - 1, quote=quote, next_pages=0)
    assert only_first.kind is MatchKind.PARTIAL
    assert 0.3 < only_first.located_share < 0.7
    assert [p.page for p in only_first.pages] == [next_page - 1]


def test_white_space_and_full_or_half_width_punctuation_do_not_matter(office_pdf, office_parsed):
    _, chunks = office_parsed
    page, _ = _quote_pages(_chunk_with(chunks, FIGURES), FIGURES)
    written = "学校生师比为 17.5:1,\n专任教师 1586 人，具有博士学位教师占比４８．６５％."
    where = locate_quote(office_pdf, page=page, quote=written)
    assert where.kind is MatchKind.EXACT
    assert _fold(_boxed_text(office_pdf, where.pages[0])) == _fold(FIGURES)


def test_a_quote_must_start_on_its_page(office_pdf, office_parsed):
    _, chunks = office_parsed
    page, _ = _quote_pages(_chunk_with(chunks, INTRO[:20]), INTRO[:20])
    where = locate_quote(office_pdf, page=page + 1, quote=INTRO[:40])
    assert where.kind is MatchKind.NONE
    assert where.reason is NoMatchReason.NOT_FOUND
    assert where.pages[0].boxes == ()


# --- reportlab PDFs: partial, missing, scanned, rotated, out of range ------------------------------


@pytest.fixture(scope="module")
def reportlab_pdf() -> bytes:
    return text_pdf(
        [
            Heading("一、办学定位", size=16),
            Para(INTRO),
            Para(FIGURES),
            Para(ROW_IN_WORDS),
            Table(TABLE),
            Para(LONG_SENTENCE),
        ],
        header="某某大学本科教育教学审核评估自评报告",
    )


def test_reportlab_sentence_and_row_are_exact(reportlab_pdf):
    for quote in (FIGURES, INTRO[10:90], ROW_IN_WORDS):
        where = locate_quote(reportlab_pdf, page=1, quote=quote)
        assert where.kind is MatchKind.EXACT, quote
        assert _fold(_boxed_text(reportlab_pdf, where.pages[0])) == _fold(quote)


def test_a_row_is_found_in_the_table_not_in_the_sentence_that_names_its_cells(reportlab_pdf):
    quote = "专任教师（人） | 1520 | 1586"
    where = locate_quote(reportlab_pdf, page=1, quote=quote)
    assert where.kind is MatchKind.EXACT
    (row,) = where.pages[0].boxes
    assert _fold(_boxed_text(reportlab_pdf, where.pages[0])) == _fold(quote)
    (sentence,) = locate_quote(reportlab_pdf, page=1, quote=ROW_IN_WORDS).pages[0].boxes
    assert row.top < sentence.bottom, "the row is below the sentence"


def test_a_changed_quote_is_partial_and_boxes_only_what_matches(reportlab_pdf):
    kept = LONG_SENTENCE[:60]
    where = locate_quote(reportlab_pdf, page=1, quote=kept + "并在全国同类高校中名列前茅")
    assert where.kind is MatchKind.PARTIAL
    assert where.located_share == pytest.approx(len(_fold(kept)) / len(_fold(kept + "并在全国同类高校中名列前茅")))
    assert _fold(_boxed_text(reportlab_pdf, where.pages[0])) == _fold(kept)


def test_a_quote_not_in_the_document_is_none(reportlab_pdf):
    where = locate_quote(reportlab_pdf, page=1, quote="学校获批国家级一流本科专业建设点二十个。")
    assert (where.kind, where.reason, where.located_share) == (MatchKind.NONE, NoMatchReason.NOT_FOUND, 0.0)
    assert where.pages == (PageBoxes(1, where.pages[0].width, where.pages[0].height, 0, ()),)
    assert round(where.pages[0].width) == 595 and round(where.pages[0].height) == 842


def test_a_scanned_page_has_no_text_layer():
    _require_cjk_font()
    scan = scanned_pdf([FIGURES, INTRO], heading="一、学校概况")
    where = locate_quote(scan, page=1, quote=FIGURES)
    assert (where.kind, where.reason) == (MatchKind.NONE, NoMatchReason.NO_TEXT_LAYER)
    assert where.pages[0].boxes == ()


def test_pages_out_of_range_and_empty_quotes_are_clear_errors(reportlab_pdf, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(reportlab_pdf)
    for call in (
        lambda: locate_quote(path, page=0, quote=FIGURES),
        lambda: locate_quote(path, page=2, quote=FIGURES),
        lambda: render_page(path, page=9),
    ):
        with pytest.raises(HighlightError) as err:
            call()
        assert err.value.code is IndexingErrorCode.PAGE_OUT_OF_RANGE
        assert "超出范围" in err.value.message_zh and "共 1 页" in err.value.message_zh
    with pytest.raises(HighlightError) as err:
        locate_quote(path, page=1, quote=" | \n ")
    assert err.value.code is IndexingErrorCode.EMPTY_QUOTE
    with pytest.raises(HighlightError) as err:
        locate_quote(b"%PDF-1.7 not really", page=1, quote=FIGURES)
    assert err.value.code is IndexingErrorCode.CORRUPT_FILE
    with pytest.raises(HighlightError) as err:
        render_page(text_pdf([Para(FIGURES)], encrypt_password="secret"), page=1)
    assert err.value.code is IndexingErrorCode.ENCRYPTED_FILE and "加密" in err.value.message_zh


def _yellowish(pixel: tuple[int, int, int]) -> bool:
    r, g, b = pixel[:3]
    return r >= 200 and g >= 170 and r - b >= 60


def _yellow_share(image, left: float, top: float, right: float, bottom: float) -> float:
    region = image.crop((round(left), round(top), round(right), round(bottom))).convert("RGB")
    pixels = list(region.get_flattened_data())
    return sum(map(_yellowish, pixels)) / max(len(pixels), 1)


def test_render_page_paints_the_boxes_and_nothing_else(reportlab_pdf, tmp_path):
    from PIL import Image

    where = locate_quote(reportlab_pdf, page=1, quote=FIGURES)
    box = where.pages[0].boxes[0]
    scale = 1.5
    path = tmp_path / "report.pdf"
    path.write_bytes(reportlab_pdf)
    png = render_page(path, page=1, boxes=where.pages[0].boxes, scale=scale)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    height = where.pages[0].height
    assert image.size == (pytest.approx(595 * scale, abs=2), pytest.approx(842 * scale, abs=2))
    # PDF points (origin bottom-left) to pixels (origin top-left), computed here independently
    inside = (box.left * scale, (height - box.top) * scale, box.right * scale, (height - box.bottom) * scale)
    assert _yellow_share(image, *inside) > 0.5
    assert _yellow_share(image, inside[0], inside[1] + 200, inside[2], inside[3] + 200) == 0.0
    assert _yellow_share(image, 0, 0, image.width, 60) == 0.0
    plain = Image.open(io.BytesIO(render_page(path, page=1, scale=scale)))
    assert _yellow_share(plain, *inside) == 0.0


def test_render_page_caps_the_size_of_a_huge_page():
    from PIL import Image

    poster = canvas_pdf(lambda c, i: (c.setFont(CJK_FONT, 200), c.drawString(500, 3000, "海报")), pagesize=(4000, 6000))
    image = Image.open(io.BytesIO(render_page(poster, page=1, scale=3.0)))
    assert max(image.size) == pytest.approx(MAX_SIDE_PX, abs=1)
    assert image.size[0] == pytest.approx(MAX_SIDE_PX * 4000 / 6000, abs=2)


def test_a_rotated_page_is_boxed_and_drawn_where_the_text_is():
    """A landscape table set sideways on a portrait page, turned upright by ``/Rotate 90``: the text runs
    up the page in PDF space and reads left to right on screen."""
    from PIL import Image

    quote = FIGURES[:20]

    def draw(c, _):
        c.setPageRotation(90)  # reportlab also swaps the media box: 842 wide, 595 high in PDF space
        c.setFont(CJK_FONT, 14)
        c.translate(100, 100)
        c.rotate(90)
        c.drawString(0, 0, quote)

    pdf = canvas_pdf(draw)
    where = locate_quote(pdf, page=1, quote=quote)
    assert where.kind is MatchKind.EXACT
    (on_page,) = where.pages
    assert on_page.rotation == 90 and round(on_page.width) == 595 and round(on_page.height) == 842
    (box,) = on_page.boxes
    assert box.bottom == pytest.approx(100, abs=2) and box.top > 300 and box.left < 100 < box.right + 5
    assert _fold(_boxed_text(pdf, on_page)) == _fold(quote)
    scale = 1.0
    image = Image.open(io.BytesIO(render_page(pdf, page=1, boxes=on_page.boxes, scale=scale)))
    assert image.size == (pytest.approx(595, abs=2), pytest.approx(842, abs=2))
    # /Rotate 90 turns the page clockwise: pixel x = y (from the bottom), pixel y = x (from the left)
    inside = (box.bottom * scale, box.left * scale, box.top * scale, box.right * scale)
    assert _yellow_share(image, *inside) > 0.5
    assert _yellow_share(image, 0, 150, image.width, image.height) == 0.0


# --- DOCX ------------------------------------------------------------------------------------------


def test_docx_paragraph_quote_is_marked_with_its_neighbours(word_docx):
    quote = LONG_SENTENCE[10:50]
    context = docx_context(word_docx, quote=quote, around=1)
    assert context.kind is MatchKind.EXACT
    assert [p.text for p in context.paragraphs] == [INTRO, LONG_SENTENCE, "（一）师资队伍"]
    marked = context.paragraphs[1]
    assert [marked.text[m.start : m.end] for m in marked.marks] == [quote]
    assert context.paragraphs[0].marks == () and context.paragraphs[2].marks == ()
    assert context.paragraphs[2].kind is BlockKind.HEADING
    assert context.paragraphs[0].index + 1 == marked.index


def test_docx_table_row_is_one_paragraph_with_the_row_marked(word_docx):
    context = docx_context(word_docx, quote="专任教师（人） | 1520 | 1586", around=1)
    assert context.kind is MatchKind.EXACT
    rows = [p for p in context.paragraphs if p.marks]
    assert [(p.kind, p.text, [(m.start, m.end) for m in p.marks]) for p in rows] == [
        (BlockKind.TABLE, "专任教师（人） | 1520 | 1586", [(0, len("专任教师（人） | 1520 | 1586"))])
    ]
    assert [p.text for p in context.paragraphs] == [
        "生师比 | 17.8:1 | 17.5:1",
        rows[0].text,
        "具有博士学位教师占比 | 45.20% | 48.65%",
    ]


def test_docx_quote_over_two_paragraphs_and_in_other_punctuation(word_docx, tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(word_docx)
    quote = INTRO[-20:] + "\n" + LONG_SENTENCE[:20]
    context = docx_context(path, quote=quote.replace("，", ","), around=0)
    assert context.kind is MatchKind.EXACT
    assert [(p.text[m.start : m.end]) for p in context.paragraphs for m in p.marks] == [INTRO[-20:], LONG_SENTENCE[:20]]


def test_docx_missing_quote_is_none(word_docx):
    context = docx_context(word_docx, quote="学校获批国家级一流本科专业建设点二十个。")
    assert (context.kind, context.paragraphs) == (MatchKind.NONE, ())


# --- the real university reports ------------------------------------------------------------------


def _real_pdfs() -> list[Path]:
    pdfs = sorted(REAL_DOCS.glob("*.pdf"))
    if pdfs:
        return pdfs
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{REAL_DOCS} holds no PDF: CI must provide the real documents")
    pytest.skip(f"{REAL_DOCS} holds no PDF (the real documents live outside the repository)")


_SENTENCE = re.compile(r"[^。；！？\n]+。")


@pytest.fixture(scope="module")
def real_report() -> tuple[bytes, list[Chunk]]:
    path = _real_pdfs()[0]
    data = path.read_bytes()
    return data, _parse_pdf(data)[1]


def test_real_report_quotes_are_found_exactly_on_their_pages(real_report):
    data, chunks = real_report
    rng = random.Random(2024)
    sentences = [(c, m.group().strip()) for c in chunks if not c.is_table for m in _SENTENCE.finditer(c.text)]
    rows = [(c, line) for c in chunks if c.is_table for line in c.text.split("\n")[2:] if " | " in line]
    quotes = rng.sample([s for s in sentences if len(s[1]) >= 15], 10) + rng.sample(rows, 10)
    exact, boxed_right = 0, 0
    for chunk, quote in quotes:
        first, last = _quote_pages(chunk, quote)
        where = locate_quote(data, page=first, quote=quote, next_pages=max(last - first, 1))
        if where.kind is MatchKind.EXACT:
            exact += 1
            boxed_right += _fold("".join(_boxed_text(data, p) for p in where.pages)) == _fold(quote)
    print(f"real report: {exact}/{len(quotes)} quotes exact on their page, {boxed_right} boxed exactly")
    assert exact >= 0.9 * len(quotes)
    assert boxed_right >= 0.9 * exact


def test_real_report_page_is_located_and_drawn_fast(real_report):
    data, chunks = real_report
    chunk, quote = next(
        (c, m.group()) for c in chunks if not c.is_table for m in _SENTENCE.finditer(c.text) if len(m.group()) > 40
    )
    page, _ = _quote_pages(chunk, quote)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        where = locate_quote(data, page=page, quote=quote)
        png = render_page(data, page=page, boxes=where.pages[0].boxes)
        timings.append(time.perf_counter() - started)
    print(f"real report: locate + render at scale 1.5 takes {statistics.median(timings) * 1000:.0f} ms (median of 5)")
    assert where.kind is MatchKind.EXACT and png.startswith(b"\x89PNG")
    assert statistics.median(timings) < 0.3
