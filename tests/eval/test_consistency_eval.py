"""The consistency evaluation, small: generated submissions (LibreOffice PDF report, DOCX supporting file, merged-header
XLSX state data) with planted conflicts; the thresholds of issue 16 hold; the CLI prints the table and saves JSON."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli.main import app
from backend.rubrics.registry import default_registry
from eval.consistency_eval import RUBRIC_ID, Plant, make_case, run_consistency
from indexing.parsing import sniff


def _require_soffice() -> None:
    if shutil.which("soffice") or shutil.which("libreoffice"):
        return
    message = "soffice not found: install the Debian package libreoffice-writer"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_planted_conflicts_are_found_with_the_required_precision_and_recall(tmp_path: Path) -> None:
    _require_soffice()
    rubric = default_registry().get(RUBRIC_ID)
    result = run_consistency(tmp_path, cases=3, seed=7, rubric=rubric, pdf=True)
    assert sum(len(c.planted) for c in result.cases) >= 3 * 3  # every kind in every case, plus supporting slips
    assert result.precision >= 0.95, [(c.planted, c.reported) for c in result.cases]
    for kind in Plant:
        assert result.recall(kind) >= 0.90, (kind, [(c.planted, c.reported) for c in result.cases])
    assert sum(c.agreements for c in result.cases) >= 3 * 4  # true figures restated differently still agree


def test_the_report_is_a_libreoffice_pdf_and_the_state_data_has_merged_headers(tmp_path: Path) -> None:
    _require_soffice()
    from openpyxl import load_workbook

    sources, planted = make_case(tmp_path, 0, seed=3, pdf=True)
    report, _, state = (path for _, path in sources)
    assert sniff(report.read_bytes()).value == "application/pdf"
    sheet = load_workbook(state).worksheets[0]
    assert {str(r) for r in sheet.merged_cells.ranges} >= {"A1:D1", "A2:A3", "B2:C2"}
    assert {p.kind for p in planted} == set(Plant)


def test_cli_prints_the_table_and_saves_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["eval", "consistency", "--cases", "2", "--docx", "--seed", "5", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "数据一致性评测" in result.output and "单位错写" in result.output and "召回率" in result.output
    saved = json.loads((tmp_path / "consistency.json").read_text("utf-8"))
    assert saved["cases"] == 2 and saved["precision"] >= 0.95
    assert [row["kind"] for row in saved["rows"]][-1] == "合计"


def test_cli_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["eval", "consistency", "--cases", "1", "--docx", "--json", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["recall"] >= 0.9 and "details" not in payload
