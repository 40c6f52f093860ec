"""`ciqa parse` on a document made the way universities make them: the printed TOC and the facts it reports."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from backend.cli.main import app

FIXTURE = Path(__file__).resolve().parents[2] / "files" / "realistic" / "docx-libreoffice.pdf"


def test_parse_shows_the_toc_and_every_fact_whole() -> None:
    result = CliRunner().invoke(app, ["parse", "--facts", str(FIXTURE)], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "目录：" in result.output and "用于核对正文标题层级" in result.output
    assert "报告中的数据" in result.output
    facts = result.output.split("报告中的数据", 1)[1]
    assert "…" not in facts  # nothing in the facts list is cut short
    assert "p3  本科生占全日制在校生总数的比例 = 93.33（单位 %）  [表1-1 学校基本办学条件 第 3 行]" in facts


def test_parse_without_facts_prints_no_facts_table() -> None:
    result = CliRunner().invoke(app, ["parse", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    assert "报告中的数据" not in result.output
