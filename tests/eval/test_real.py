"""The real-document evaluation: matching rules on built facts, and the product guarantees on the real reports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli.main import app
from eval.real import GOLD_DIR, GoldDocument, GoldFact, corresponds, evaluate_real, fact_metrics, load_gold
from indexing.models import Fact, FactOrigin

REAL_DOCS = Path(__file__).resolve().parents[3] / "shared" / "real-docs"
needs_real_docs = pytest.mark.skipif(
    not REAL_DOCS.is_dir() and os.environ.get("CI", "").lower() != "true", reason=f"{REAL_DOCS} is absent"
)


def _fact(metric: str, value: float, unit: str, page: int = 5, **kw) -> Fact:
    text = f"{value:g}{unit}"
    return Fact(metric, value, unit, text, "b0001", page, 0, len(text), FactOrigin.SENTENCE, text, **kw)


def _gold(metric: str, value: float, unit: str, page: int = 5, **kw) -> GoldFact:
    return GoldFact(metric=metric, value=value, unit=unit, page=page, where="sentence", **kw)


def test_another_population_or_share_is_not_the_same_metric() -> None:
    overall = _gold("毕业去向落实率", 96.94, "%")
    assert corresponds(_fact("学校2023届毕业去向落实率", 96.94, "%"), overall)
    assert not corresponds(_fact("本科毕业生毕业去向落实率", 96.72, "%"), overall)
    assert not corresponds(_fact("男生占毕业生总人数", 60.05, "%"), _gold("毕业生总人数", 6431, "人"))
    assert not corresponds(_fact("毕业去向落实率", 96.94, "%", page=6), overall)  # another page


def test_matrix_cell_needs_its_row_and_column() -> None:
    gold = _gold("毕业去向落实率", 95.42, "%", row="管理学院")
    cell = Fact(
        "管理学院 · 毕业去向落实率", 95.42, "%", "95.42", "b0002", 5, 0, 5, FactOrigin.TABLE, "管理学院 | 95.42"
    )
    other = Fact(
        "化工学院 · 毕业去向落实率", 93.1, "%", "93.1", "b0002", 5, 10, 14, FactOrigin.TABLE, "化工学院 | 93.1"
    )
    assert corresponds(cell, gold) and not corresponds(other, gold)


def test_precision_counts_wrong_numbers_and_recall_missing_ones() -> None:
    gold = GoldDocument(
        "x.pdf",
        "0",
        (),
        (_gold("生师比", 18.46, ":1"), _gold("专任教师数", 1732, "人"), _gold("生均图书", 98.5, "册")),
    )
    facts = [_fact("生师比", 18.46, ":1"), _fact("专任教师数", 5, "人")]
    m = fact_metrics(facts, gold)
    assert (m.precision, m.recall) == (0.5, round(1 / 3, 4))
    assert len(m.wrong) == 1 and "专任教师数" in m.wrong[0]
    assert len(m.missed) == 2


def test_gold_files_load() -> None:
    golds = [load_gold(p) for p in sorted(GOLD_DIR.glob("*.yaml"))]
    assert len(golds) >= 2
    for g in golds:
        assert len(g.facts) >= 40 and len(g.headings) >= 20 and g.toc_pages and g.review_figures


@needs_real_docs
def test_real_reports_headings_and_no_wrong_numbers() -> None:
    """On the real reports: the TOC becomes the heading tree, TOC lines stay out of the body, figures are right."""
    results = evaluate_real(GOLD_DIR, REAL_DOCS, None)
    assert {r.document for r in results} == {load_gold(p).document for p in GOLD_DIR.glob("*.yaml")}
    for r in results:
        assert r.headings.toc_found >= 0.95, (r.document, r.headings.missed)
        assert r.headings.toc_lines_in_body == 0, r.document
        assert r.facts.precision >= 0.98, (r.document, r.facts.wrong)
        assert r.facts.recall >= 0.90, (r.document, r.facts.missed)
        assert not r.notes, r.notes  # the documents are the ones the gold was read from
        figures = r.review_figures
        assert figures.stated >= 3 and figures.shown_right == figures.stated, (r.document, figures)
        assert figures.shown_but_not_stated == () and figures.shown_wrong == (), (r.document, figures)


@needs_real_docs
def test_cli_prints_the_table_and_saves_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["eval", "real", "--no-retrieval", "--docs", str(REAL_DOCS), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "真实文档评测" in result.output and "数据精确率" in result.output
    assert (tmp_path / "real.json").is_file()


def test_cli_says_which_document_is_missing(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["eval", "real", "--no-retrieval", "--docs", str(tmp_path), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "缺少真实文档" in result.output
