"""Document structure of the realistic fixtures (tests/files/realistic: a Word file converted by LibreOffice,
a web page printed by Chromium, a scanned rendering) against the labels their writer recorded."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from indexing.models import BlockKind, Document
from indexing.options import ParseOptions
from indexing.parsing import parse_path
from indexing.parsing.headings import title_key
from tests.indexing.parsing.pdf_factory import has_cjk_font

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[2] / "files" / "realistic"
TEXT_LAYER = ["docx-libreoffice", "html-chromium"]


def load(name: str, *, ocr: bool = False) -> tuple[Document, dict]:
    labels = json.loads((FIXTURES / f"{name}.labels.json").read_text(encoding="utf-8"))
    return parse_path(FIXTURES / f"{name}.pdf", ParseOptions(ocr=ocr)), labels


@pytest.fixture(scope="module", params=TEXT_LAYER)
def text_layer(request) -> tuple[Document, dict]:
    return load(request.param)


def heading_levels(doc: Document) -> list[tuple[str, int | None, int | None]]:
    return [(title_key(b.text), b.heading_level, b.page) for b in doc.blocks if b.kind is BlockKind.HEADING]


def test_every_labelled_heading_is_a_heading_at_its_level(text_layer):
    doc, labels = text_layer
    found = heading_levels(doc)
    assert [(title_key(h["text"]), h["level"], h["page"]) for h in labels["headings"]] == [
        h for h in found if h[0] in {title_key(x["text"]) for x in labels["headings"]}
    ]


def test_toc_is_kept_apart_with_its_levels(text_layer):
    doc, labels = text_layer
    assert [(title_key(e.title), e.level, e.page_label, e.page) for e in doc.toc] == [
        (title_key(e["title"]), e["level"], e["page_label"], e["page"]) for e in labels["toc"]
    ]
    assert [b.text for b in doc.blocks if b.page in {e["page"] for e in labels["toc"]}] == []


def test_every_labelled_table_is_a_table_with_its_header_and_rows(text_layer):
    doc, labels = text_layer
    tables = [b for b in doc.blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == len(labels["tables"])
    for block, table in zip(tables, labels["tables"], strict=True):
        assert block.rows is not None
        assert [title_key(c) for c in block.rows[0]] == [title_key(c) for c in table["header"]]
        assert len(block.rows) == table["rows"] + 1
        assert block.page == table["page"]


def test_two_column_pages_are_read_column_by_column(text_layer):
    doc, labels = text_layer
    for page in labels["two_column_pages"]:
        paragraphs = [b.text for b in doc.blocks if b.page == page and b.kind is BlockKind.PARAGRAPH]
        # Read line by line, the two columns would give fragments broken mid-sentence at every line (a
        # paragraph may end in a footnote marker; captions end without punctuation).
        fragments = [
            p for p in paragraphs if not re.search(r"[。！？；：][\d⁰¹²³⁴⁵⁶⁷⁸⁹]?$", p) and not re.match(r"^表\s*\d", p)
        ]
        assert paragraphs and fragments == []


@pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")
def test_scanned_pages_give_numbered_headings_and_a_toc_without_page_numbers():
    doc, labels = load("scanned", ocr=True)
    assert [(title_key(e.title), e.level) for e in doc.toc] == [
        (title_key(e["title"]), e["level"]) for e in labels["toc"]
    ]
    assert heading_levels(doc) == [(title_key(h["text"]), h["level"], h["page"]) for h in labels["headings"]]
