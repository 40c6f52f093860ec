"""Realistic renderings: Word via LibreOffice, a web page via Chromium, scans; and the committed fixtures.

The renderings are checked on the PDF itself (text layer, TOC page, a column gutter, table rules,
footnote markers), not on what the writer meant to draw.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import statistics
from pathlib import Path

import pdfplumber
import pypdfium2
import pytest

from corpus.catalogue import ItemKind, all_topics
from corpus.generator import generate_report
from corpus.office import (
    CHROMIUM_NAMES,
    SOFFICE_NAMES,
    ToolMissingError,
    find_tool,
    write_docx_libreoffice,
    write_html_chromium,
    write_scanned,
)
from corpus.realistic import (
    DOCX_FAMILIES,
    HTML_FAMILIES,
    NO_DATA,
    TOC_TITLE,
    Excerpt,
    LayoutParagraph,
    LayoutTable,
    RealisticLabels,
    TableKind,
    TableRule,
    TwoColumns,
    Writer,
    compose,
    flat_text,
    load_realistic_labels,
    page_texts,
)

FIXTURES = Path(__file__).resolve().parents[1] / "files" / "realistic"
SEED = 4
EXCERPT = Excerpt(chapters=1, sections=2)


def _require(names: tuple[str, ...], package: str) -> None:
    """Skip without the program; under CI=true its absence is a failure."""
    if any(shutil.which(n) for n in names):
        return
    message = f"{names[0]} not found: install the Debian package {package}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def report():
    return generate_report(SEED, pages=30)


@pytest.fixture(scope="module")
def docx_pdf(tmp_path_factory, report) -> Path:
    _require(SOFFICE_NAMES, "libreoffice-writer")
    out = tmp_path_factory.mktemp("docx") / "report.pdf"
    return write_docx_libreoffice(report, out, excerpt=EXCERPT, docx=out.with_suffix(".docx"))


@pytest.fixture(scope="module")
def html_pdf(tmp_path_factory, report) -> Path:
    _require(CHROMIUM_NAMES, "chromium")
    out = tmp_path_factory.mktemp("html") / "report.pdf"
    return write_html_chromium(report, out, excerpt=EXCERPT)


@pytest.fixture(scope="module")
def scanned_pdf(tmp_path_factory, html_pdf) -> Path:
    return write_scanned(html_pdf, tmp_path_factory.mktemp("scan") / "report.pdf", seed=1)


def _labels(pdf: Path) -> RealisticLabels:
    return load_realistic_labels(pdf.with_suffix(".labels.json"))


def _lines(page) -> list[tuple[float, float, float, float, str, list[dict]]]:
    """Text lines of a pdfplumber page: (top, bottom, x0, x1, flat text, chars), top to bottom."""
    rows: list[list[dict]] = []
    for ch in sorted(page.chars, key=lambda c: (round(c["top"]), c["x0"])):
        if rows and abs(rows[-1][0]["top"] - ch["top"]) < 2:
            rows[-1].append(ch)
        else:
            rows.append([ch])
    return [
        (
            min(c["top"] for c in r),
            max(c["bottom"] for c in r),
            min(c["x0"] for c in r),
            max(c["x1"] for c in r),
            flat_text("".join(c["text"] for c in sorted(r, key=lambda c: c["x0"]))),
            r,
        )
        for r in rows
    ]


# --- the text-layer renderings ---------------------------------------------------------------------


@pytest.fixture(params=["docx_pdf", "html_pdf"])
def rendered(request) -> Path:
    return request.getfixturevalue(request.param)


def test_text_layer_holds_headings_items_and_facts_on_their_pages(rendered):
    labels = _labels(rendered)
    pages = page_texts(rendered)
    assert len(pages) == labels.page_count >= 4
    assert all(pages), "every page has a text layer"
    whole = "".join(pages)
    for h in labels.headings:
        assert h.page is not None and flat_text(h.text) in pages[h.page - 1], h.text
    for f in labels.facts:
        assert f.page is not None and flat_text(f.text) in pages[f.page - 1], f.evidence
    for item in labels.report.items:
        if item.kind is ItemKind.PARAGRAPH:
            assert flat_text(item.text)[:40] in whole, item.text
        else:
            assert all(flat_text(cell) in whole for cell in item.text.split(" | ")), item.text
    assert {t.kind for t in labels.tables} >= {TableKind.KEY_VALUE, TableKind.MATRIX, TableKind.INDICATOR}
    with pdfplumber.open(rendered) as pdf:
        kv = next(t for t in labels.tables if t.kind is TableKind.KEY_VALUE)
        assert "指标项学校当年质量报告数据" in flat_text(pdf.pages[kv.page - 1].extract_text())


def test_toc_page_lists_headings_with_dot_leaders_and_their_printed_page_numbers(rendered):
    labels = _labels(rendered)
    pages = page_texts(rendered)
    toc_page = labels.toc[0].page
    assert toc_page is not None and pages[toc_page - 1].find(TOC_TITLE) >= 0
    body = {h.text: h.page for h in labels.headings if not h.run_in}
    # Word documents number the body from 1 after cover and TOC; a printed web page counts every page.
    offset = body[labels.toc[0].title] - 1 if labels.writer is Writer.DOCX_LIBREOFFICE else 0
    for entry in labels.toc:
        line = re.escape(flat_text(entry.title)) + r"\.{8,}" + entry.page_label
        assert re.search(line, pages[entry.page - 1]), entry.title
        assert entry.page_label == str(body[entry.title] - offset)
    # No heading is found on the TOC page itself except as a TOC line: the body starts after it.
    assert min(p for p in body.values() if p is not None) > toc_page
    if labels.writer is Writer.DOCX_LIBREOFFICE:
        doc = pypdfium2.PdfDocument(str(rendered))
        footer = doc[body[labels.toc[0].title] - 1].get_textpage().get_text_range().split()[-3:]
        assert footer == ["—", "1", "—"], "body page numbers restart at 1"
        assert not list(doc.get_toc()), "no PDF bookmarks, as Word exports"


def test_two_column_page_has_a_gutter(rendered):
    labels = _labels(rendered)
    assert labels.two_column_pages
    with pdfplumber.open(rendered) as pdf:
        page = pdf.pages[labels.two_column_pages[0] - 1]
        middle = float(page.width) / 2
        lines = _lines(page)
        start = next(k for k, line in enumerate(lines) if line[4].endswith("学校简介"))
        block = []
        for line in lines[start + 1 :]:
            if any(c["x0"] < middle + 6 and c["x1"] > middle - 6 for c in line[5]):
                break  # a line across the page middle ends the two-column block
            block += line[5]
    left = [c for c in block if c["x1"] < middle]
    right = [c for c in block if c["x0"] > middle]
    assert len(left) > 100 and len(right) > 100, (len(left), len(right))
    # Line starts fall into two groups, one per column.
    starts: dict[tuple[int, bool], float] = {}
    for c in block:
        key = (round(c["top"]), c["x0"] > middle)
        starts[key] = min(starts.get(key, c["x0"]), c["x0"])
    assert {x > middle for x in starts.values()} == {False, True}


def test_three_line_tables_have_no_vertical_rules_and_grid_tables_do(rendered):
    labels = _labels(rendered)
    checked: set[TableRule] = set()
    with pdfplumber.open(rendered) as pdf:
        for table in labels.tables:
            cells = [f for f in labels.facts if f.table_title == table.title]
            last = max(cells, key=lambda f: (f.row, f.column))
            if last.page != table.page:
                continue  # the table runs over a page break
            page = pdf.pages[table.page - 1]
            lines = _lines(page)
            top = next(line[1] for line in lines if flat_text(table.title) in line[4])
            k = next(k for k, line in enumerate(lines) if line[0] > top and flat_text(last.text) in line[4])
            row = flat_text(last.evidence)
            while k + 1 < len(lines) and lines[k + 1][4] in row:
                k += 1  # a wrapped part of the last row
            # The table ends at the first horizontal rule under its last row.
            rules_below = sorted(
                e["top"]
                for e in page.edges
                if e["orientation"] == "h" and e["width"] > 80 and e["top"] > lines[k][1] - 2
            )
            bottom = rules_below[0] + 1
            edges = [e for e in page.edges if e["top"] >= top - 1 and e["bottom"] <= bottom + 2]
            vertical = [e for e in edges if e["orientation"] == "v" and e["height"] > 4]
            rules = sorted({round(e["top"]) for e in edges if e["orientation"] == "h" and e["width"] > 80})
            distinct = [r for k, r in enumerate(rules) if k == 0 or r - rules[k - 1] > 3]
            if table.rule is TableRule.THREE_LINE:
                assert not vertical, table.title
                assert len(distinct) == 3, (table.title, distinct)
            else:
                assert len(vertical) >= len(table.header) + 1, table.title
                assert len(distinct) >= table.rows + 1, table.title
            checked.add(table.rule)
    assert checked == {TableRule.GRID, TableRule.THREE_LINE}


def test_footnote_marker_is_superscript_and_note_is_printed(rendered):
    labels = _labels(rendered)
    with pdfplumber.open(rendered) as pdf:
        page = pdf.pages[labels.two_column_pages[0] - 1]
        chars = page.chars
        body_size = statistics.median(c["size"] for c in chars)
        markers = [
            b
            for a, b in itertools.pairwise(chars)
            if a["text"] == "。" and b["text"] == "1" and b["size"] < body_size * 0.8 and b["bottom"] < a["bottom"] - 1
        ]
        assert markers, "a small raised ¹ after the sentence"
        first = labels.two_column_pages[0]
        note_page, note = next(
            (k, line)
            for k in range(first - 1, len(pdf.pages))
            for line in _lines(pdf.pages[k])
            if "本节数据截至" in line[4]
        )
        if labels.writer is Writer.DOCX_LIBREOFFICE:
            assert note_page == first - 1 and note[0] > float(page.height) * 0.75, "Word footnotes: page bottom"
        else:
            assert note_page >= first - 1, "a web page prints its notes after the text"


def test_scanned_pages_are_images_only_with_the_source_labels(scanned_pdf, html_pdf):
    scan, source = pypdfium2.PdfDocument(str(scanned_pdf)), pypdfium2.PdfDocument(str(html_pdf))
    assert len(scan) == len(source)
    for k in range(len(scan)):
        page = scan[k]
        assert page.get_textpage().count_chars() == 0
        images = [o for o in page.get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]
        assert len(images) == 1
        width_px, _ = images[0].get_px_size()
        assert 1150 <= width_px <= 1300  # 150 dpi over an A4 width
        assert page.get_size() == pytest.approx(source[k].get_size(), abs=1)
    pixels = scan[2].render(scale=1, grayscale=True).to_pil().convert("L")
    assert (
        min(pixels.get_flattened_data()) < 80 and statistics.mean(pixels.get_flattened_data()) > 200
    )  # ink on white paper
    labels = _labels(scanned_pdf)
    assert labels.writer is Writer.SCANNED
    assert labels.model_copy(update={"writer": Writer.HTML_CHROMIUM}) == _labels(html_pdf)


def test_a_missing_program_names_the_package(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolMissingError, match="libreoffice-writer"):
        find_tool(SOFFICE_NAMES, "libreoffice-writer")


# --- the layout, no programs needed ----------------------------------------------------------------


def test_layout_keeps_every_label_true_and_numbers_headings_by_family():
    report = generate_report(5, pages=40)
    layout = compose(report, DOCX_FAMILIES)
    paragraphs = [p for e in layout.elements for p in (e.paragraphs if isinstance(e, TwoColumns) else [e])]
    texts = {p.text for p in paragraphs if isinstance(p, LayoutParagraph)}
    rows = {" | ".join(r) for e in layout.elements if isinstance(e, LayoutTable) for r in e.rows}
    assert layout.labels.items[: len(report.labels.items)] == report.labels.items
    for item in layout.labels.items:
        assert item.text in (texts if item.kind is ItemKind.PARAGRAPH else rows), item.text
    families = {h.level: h.family for h in layout.headings()}
    assert families == dict(enumerate(DOCX_FAMILIES, start=1))
    assert any(h.run_in for h in layout.headings())
    assert any(p.bullet for p in paragraphs if isinstance(p, LayoutParagraph))
    for e in layout.elements:
        if isinstance(e, LayoutTable):
            for f in (f for f in layout.facts if f.table_title == e.title):
                assert e.rows[f.row - 1][f.column] == f.text != NO_DATA
    metric_topics = {t.id for t in all_topics() if t.metric}
    stated = {t.id for t in report.labels.topics if not t.omitted and not t.unsupported} & metric_topics
    assert {f.topic_id for f in layout.facts if f.topic_id} == stated


def test_key_value_table_prints_yuan_as_wan_yuan_and_states_no_figure_for_a_dash():
    report = generate_report(5, pages=40)
    layout = compose(report, HTML_FAMILIES)
    kv = next(e for e in layout.elements if isinstance(e, LayoutTable) and e.kind is TableKind.KEY_VALUE)
    facts = [f for f in layout.facts if f.table_title == kv.title]
    assert len(facts) == sum(1 for _, v in kv.rows if v != NO_DATA)
    wan = [f for f in facts if f.unit == "万元" and f.topic_id]
    assert wan
    for f in wan:
        yuan = next(s for s in layout.facts if s.topic_id == f.topic_id and s.unit == "元")
        assert f.value == pytest.approx(yuan.value / 10000, abs=0.005)


def test_excerpt_marks_cut_topics_omitted():
    report = generate_report(5, pages=40)
    layout = compose(report, DOCX_FAMILIES, excerpt=Excerpt(chapters=1, sections=1))
    present = {i.topic_id for i in layout.labels.items if i.topic_id}
    assert present and len({t.rsplit(".", 1)[0] for t in present}) == 1  # one section of chapter 1
    assert next(iter(present)).startswith("1.")
    for topic in layout.labels.topics:
        assert topic.omitted is (topic.id not in present)


# --- committed fixtures ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["docx-libreoffice", "html-chromium", "scanned"])
def test_committed_fixture_opens_and_matches_its_labels(name):
    pdf = FIXTURES / f"{name}.pdf"
    assert pdf.stat().st_size < 300 * 1024
    labels = _labels(pdf)
    assert labels.writer.value == name
    pages = page_texts(pdf)
    assert 2 <= len(pages) == labels.page_count <= 6
    if labels.writer is Writer.SCANNED:
        assert not any(pages)
        return
    assert TOC_TITLE in pages[labels.toc[0].page - 1]
    assert all(flat_text(f.text) in pages[f.page - 1] for f in labels.facts if f.page)
    assert (FIXTURES / "README.md").is_file()
