"""Footnote markers set as raised small digits become superscript digits, never part of a figure.

A PDF's text layer gives a superscript "2" after "1:181" as a plain "2", which read "1:1812" (a wrong
number). The PDFs here are drawn with reportlab (see pdf_factory).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.facts import extract_facts
from indexing.models import BlockKind, Document, FactOrigin
from indexing.options import ParseOptions
from indexing.parsing.pdf import parse_pdf
from tests.indexing.parsing.pdf_factory import CJK_FONT, canvas_pdf, has_cjk_font

pytestmark = pytest.mark.skipif(not has_cjk_font(), reason="reportlab's STSong-Light CID font is not available")

BODY = 12.0
MARK = 7.0  # footnote markers are set at about 60% of the body size
RISE = 5.0


def _runs(c, x: float, y: float, runs: list[tuple[str, float, float]]) -> None:
    """Draw text runs one after another: (text, size, rise above the baseline)."""
    for text, size, rise in runs:
        c.setFont(CJK_FONT, size)
        c.drawString(x, y + rise, text)
        x += c.stringWidth(text, CJK_FONT, size)


def _draw(c, page: int) -> None:
    _runs(
        c,
        72,
        760,
        [("2023届本科毕业生毕业去向落实率", BODY, 0), ("1", MARK, RISE), ("为96.94%，较上年有所提高。", BODY, 0)],
    )
    # Small digits on the baseline are not raised: a smaller figure, not a marker.
    _runs(c, 72, 730, [("学校设有", BODY, 0), ("12", MARK, 0), ("个学院。", BODY, 0)])
    # A ruled key–value table: 指标 | 数值, the ratio with a superscript footnote marker.
    top, row_h, left, middle, right = 690, 22, 72, 300, 480
    rows = [("指标", [("数值", BODY, 0)]), ("专职辅导员与在校生比", [("1:181", BODY, 0), ("2", MARK, RISE)])]
    rows.append(("生师比", [("18.46", BODY, 0)]))
    for k in range(len(rows) + 1):
        c.line(left, top - k * row_h, right, top - k * row_h)
    for x in (left, middle, right):
        c.line(x, top, x, top - len(rows) * row_h)
    for k, (label, value) in enumerate(rows):
        baseline = top - (k + 1) * row_h + 7
        _runs(c, left + 6, baseline, [(label, BODY, 0)])
        _runs(c, middle + 6, baseline, value)


@pytest.fixture(scope="module")
def doc() -> Document:
    return parse_pdf(canvas_pdf(_draw), doc_id="test", name="test.pdf", options=ParseOptions())


def test_raised_small_digits_are_written_as_superscript_digits(doc):
    paragraph = next(b for b in doc.blocks if "落实率" in b.text)
    assert "落实率¹为96.94%" in paragraph.text
    table = next(b for b in doc.blocks if b.kind is BlockKind.TABLE)
    assert table.rows[1] == ("专职辅导员与在校生比", "1:181²")
    assert "1:181²" in table.text and "1812" not in table.text


def test_small_digits_on_the_baseline_stay_digits(doc):
    assert any("学校设有12个学院。" in b.text for b in doc.blocks)
    assert any(b.rows and b.rows[2] == ("生师比", "18.46") for b in doc.blocks)


def test_a_footnote_marker_is_neither_part_of_the_value_nor_of_the_metric(doc):
    facts = extract_facts(doc)
    ratio = next(f for f in facts if f.origin is FactOrigin.TABLE and f.metric == "专职辅导员与在校生比")
    assert (ratio.value, ratio.unit) == (181.0, "1:")
    assert ratio.text.startswith("1:181")
    rate = next(f for f in facts if f.origin is FactOrigin.SENTENCE and f.unit == "%")
    assert rate.value == 96.94
    assert rate.metric.endswith("毕业去向落实率")
    assert not any(f.value in (1812.0, 196.94) for f in facts)


@pytest.mark.parametrize("name", ["docx-libreoffice.pdf", "html-chromium.pdf"])
def test_realistic_fixtures_read_the_ratio_before_a_footnote_marker(name):
    data = (Path(__file__).parents[2] / "files" / "realistic" / name).read_bytes()
    doc = parse_pdf(data, doc_id="test", name=name, options=ParseOptions())
    ratios = [f for f in extract_facts(doc) if f.metric.endswith("专职辅导员与在校生比")]
    assert any(f.origin is FactOrigin.TABLE and f.text == "1:181²" for f in ratios)
    assert ratios and all((f.value, f.unit) == (181.0, "1:") for f in ratios)
