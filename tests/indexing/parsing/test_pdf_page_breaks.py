"""Blocks that run over a page break keep the page of every character (reportlab PDFs; see pdf_factory).

A table continued on the next page is one block and a paragraph running onto the next page is one block;
facts, chunk segments and quotes on the later page must carry that page, not the block's first page.
"""

from __future__ import annotations

import io

import pytest

from backend.review.citations import quote_pages
from indexing.chunking import chunk_document
from indexing.facts import extract_facts
from indexing.models import Block, BlockKind, Document, FactOrigin
from indexing.options import ParseOptions
from indexing.parsing.pdf import parse_pdf
from tests.indexing.parsing.pdf_factory import Para, Table, has_cjk_font, text_pdf

pytestmark = pytest.mark.skipif(not has_cjk_font(), reason="reportlab's STSong-Light CID font is not available")

FILLER = (
    "学校坚持立德树人根本任务，深入推进本科教育教学改革，构建了校院两级教学质量保障体系，完善了课程思政与"
    "专业思政协同机制，持续加强师资队伍建设与实践教学条件建设，教学经费投入逐年增长。"
)
OPENING = "学校生师比为17.5:1。"
CLOSING = "本科毕业生毕业去向落实率为96.94%。"
# Clauses that differ from each other, so any run of characters of the paragraph stands in one place only.
MIDDLE = "".join(f"第{n}项改革举措覆盖{n + 10}个专业，" for n in range(1, 31))


def _parse(data: bytes) -> Document:
    return parse_pdf(data, doc_id="test", name="test.pdf", options=ParseOptions())


def _page_texts(data: bytes) -> list[str]:
    """Each page's text as PDFium extracts it, line breaks and spaces removed."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(io.BytesIO(data))
    try:
        out = []
        for page in pdf:
            textpage = page.get_textpage()
            out.append("".join(textpage.get_text_range().split()))
            textpage.close()
            page.close()
        return out
    finally:
        pdf.close()


def _pages_of(fragment: str, page_texts: list[str]) -> list[int]:
    return [n for n, text in enumerate(page_texts, start=1) if fragment in text]


@pytest.fixture(scope="module")
def paragraph_pdf() -> bytes:
    """A PDF whose long paragraph starts on page 1 and ends on page 2 (as PDFium reads the pages)."""
    crossing = OPENING + MIDDLE + CLOSING
    for fillers in range(8, 16):
        data = text_pdf([Para(FILLER) for _ in range(fillers)] + [Para(crossing), Para(FILLER)])
        pages = _page_texts(data)
        if _pages_of(OPENING, pages) == [1] and _pages_of(CLOSING, pages) == [2]:
            return data
    raise AssertionError("no filler length puts the paragraph across the first page break")


@pytest.fixture(scope="module")
def table_pdf() -> bytes:
    header = ("专业", "毕业人数", "落实率（%）")
    body = tuple((f"专业{i:03d}号", str(100 + i), f"{90 + i % 9}.5") for i in range(1, 61))
    return text_pdf([Para(FILLER), Table((header, *body)), Para(FILLER)])


def _crossing_paragraph(doc: Document) -> Block:
    return next(b for b in doc.blocks if OPENING in b.text)


def test_a_paragraph_over_a_page_break_records_where_page_two_starts(paragraph_pdf):
    doc = _parse(paragraph_pdf)
    block = _crossing_paragraph(doc)
    assert CLOSING in block.text  # one block across the break
    assert block.page == 1
    assert len(block.page_starts) == 1
    offset, page = block.page_starts[0]
    assert page == 2
    pages = _page_texts(paragraph_pdf)
    # The characters before the offset are the last ones on page 1, those after it the first on page 2.
    assert block.text[offset - 12 : offset] in pages[0]
    assert pages[1].find(block.text[offset : offset + 12]) >= 0
    assert (
        block.text[offset - 12 : offset + 12] not in pages[0] and block.text[offset - 12 : offset + 12] not in pages[1]
    )
    assert block.page_at(0) == 1 and block.page_at(offset - 1) == 1
    assert block.page_at(offset) == 2 and block.page_at(len(block.text) - 1) == 2


def test_facts_of_a_paragraph_over_a_page_break_carry_their_own_page(paragraph_pdf):
    doc = _parse(paragraph_pdf)
    block = _crossing_paragraph(doc)
    facts = {f.text: f for f in extract_facts(doc) if f.block_id == block.id}
    assert facts["17.5:1"].page == 1
    assert facts["96.94%"].page == 2
    assert facts["96.94%"].origin is FactOrigin.SENTENCE


def test_chunk_segments_split_at_the_page_break_and_quotes_map_to_their_pages(paragraph_pdf):
    doc = _parse(paragraph_pdf)
    block = _crossing_paragraph(doc)
    offset = block.page_starts[0][0]
    chunks = [c for c in chunk_document(doc) if block.id in c.block_ids]
    segments = [s for c in chunks for s in c.segments if s.block_id == block.id]
    for s in segments:  # no segment holds characters of two pages
        assert s.block_start >= offset or s.block_start + s.length <= offset
        assert s.page == (2 if s.block_start >= offset else 1)
    assert {s.page for s in segments} == {1, 2}

    closing = next(c for c in chunks if CLOSING in c.text)
    start = closing.text.index(CLOSING)
    assert quote_pages(closing, start, start + len(CLOSING)) == (2, 2)
    assert closing.page_end == 2
    opening = next(c for c in chunks if OPENING in c.text)
    start = opening.text.index(OPENING)
    assert quote_pages(opening, start, start + len(OPENING)) == (1, 1)
    assert opening.page_start == 1
    across = next(c for c in chunks if c.find(block.text[offset - 4 : offset + 4]))
    lo, hi = across.find(block.text[offset - 4 : offset + 4])
    assert quote_pages(across, lo, hi) == (1, 2)


def test_table_continued_on_page_two_gives_its_rows_page_two(table_pdf):
    doc = _parse(table_pdf)
    tables = [b for b in doc.blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == 1
    table = tables[0]
    pages = _page_texts(table_pdf)
    label_page = {row[0]: _pages_of(row[0], pages) for row in table.rows[1:]}
    assert all(len(p) == 1 for p in label_page.values())
    assert {p[0] for p in label_page.values()} == {1, 2}
    assert table.page == 1
    assert [page for _, page in table.page_starts] == [2]

    facts = [f for f in extract_facts(doc) if f.block_id == table.id]
    assert {f.page for f in facts} == {1, 2}
    for f in facts:
        label = table.rows[f.row][0]
        assert f.page == label_page[label][0], (f.metric, f.text)

    table_chunks = [c for c in chunk_document(doc) if c.is_table]
    # A row group on page 2 repeats the caption and header, which stand on page 1: the chunk spans 1–2.
    assert any(c.page_end == 2 for c in table_chunks)
    for chunk in table_chunks:
        for s in chunk.segments:
            if s.block_id != table.id:
                continue
            line = table.text[s.block_start : s.block_start + s.length]
            label = line.split(" | ", 1)[0]
            expected = label_page[label][0] if label in label_page else 1  # the header row stands on page 1
            assert s.page == expected, line
        row_text = next(line for line in chunk.text.split("\n")[1:] if line.startswith("专业") and "号" in line)
        start = chunk.text.index(row_text)
        assert quote_pages(chunk, start, start + len(row_text)) == (label_page[row_text.split(" | ")[0]][0],) * 2
