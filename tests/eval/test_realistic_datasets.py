"""Evaluations run on documents made the way universities make them (a web page printed by Chromium)."""

from __future__ import annotations

from pathlib import Path

from corpus.realistic import Writer
from eval.datasets import labelled_reports
from eval.retrieval import evaluate_reports
from indexing.search import SearchMode
from tests.fakes import KeywordEmbedder


def test_retrieval_runs_on_a_chromium_printed_report(tmp_path: Path) -> None:
    reports = labelled_reports(tmp_path, n=1, pages=4, seed=2000, writer=Writer.HTML_CHROMIUM)
    assert len(reports) == 1 and reports[0].path.suffix == ".pdf" and reports[0].path.stat().st_size > 0
    assert reports[0].topics  # the labels survive the rendering
    result = evaluate_reports(reports, KeywordEmbedder())
    assert result.metrics[SearchMode.BM25].queries > 0
    assert result.metrics[SearchMode.BM25].recall_at_5 > 0.3  # the evidence is read back from the printed page
