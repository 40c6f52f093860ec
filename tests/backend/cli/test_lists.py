"""List commands print a table on a terminal, tab-separated lines when piped and JSON with --json."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pydantic import BaseModel
from rich.console import Console
from typer.testing import CliRunner

from backend.cli.listing import Column, plain_lines, print_list
from backend.rubrics.registry import RubricRegistry

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()


class Login(BaseModel):
    username: str
    password: str
    note: str


COLUMNS = (
    Column[Login]("用户名", lambda r: r.username, whole=True),
    Column[Login]("密码", lambda r: r.password, whole=True),
    Column[Login]("备注", lambda r: r.note, table_chars=12),
)
ROWS = [
    Login(
        username="vocational-uni", password="Zq3-k_9xTtY8pLmN2vB7cR4w", note="第一行\t第二列\n第二行 [bold]原样[/bold]"
    )
]


def _console(*, terminal: bool, width: int = 40) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=width, color_system=None), out


def test_terminal_table_keeps_passwords_and_ids_whole() -> None:
    console, out = _console(terminal=True, width=60)
    print_list(console, ROWS, COLUMNS, as_json=False, title="账号")
    table = out.getvalue()
    assert "│ vocational-uni │ Zq3-k_9xTtY8pLmN2vB7cR4w │" in table
    assert "[bold]原样" not in table  # the note is shortened to 12 characters in a table
    assert "第一行" in table and "…" in table


def test_terminal_too_narrow_for_the_whole_columns_gets_plain_lines() -> None:
    """At 40 columns a table would cut the password at the edge; the lines keep it whole."""
    console, out = _console(terminal=True, width=40)
    print_list(console, ROWS, COLUMNS, as_json=False, title="账号")
    assert out.getvalue().splitlines()[1].startswith("vocational-uni\tZq3-k_9xTtY8pLmN2vB7cR4w\t")


def test_piped_output_is_plain_lines_never_cut() -> None:
    console, out = _console(terminal=False, width=20)
    print_list(console, ROWS, COLUMNS, as_json=False, title="账号")
    assert out.getvalue().splitlines() == [
        "用户名\t密码\t备注",
        "vocational-uni\tZq3-k_9xTtY8pLmN2vB7cR4w\t第一行 第二列 第二行 [bold]原样[/bold]",
    ]
    assert plain_lines([], COLUMNS) == ["用户名\t密码\t备注"]


def test_json_is_an_array_of_whole_objects_even_on_a_terminal() -> None:
    console, out = _console(terminal=True, width=20)
    print_list(console, ROWS, COLUMNS, as_json=True)
    assert json.loads(out.getvalue()) == [ROWS[0].model_dump()]


@pytest.fixture
def rubrics_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CIQA_RUBRICS_DIR", str(ROOT / "rubrics"))
    return ROOT / "rubrics"


def test_rubrics_list_piped_json_and_on_a_terminal(rubrics_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.cli.main import app

    shipped = RubricRegistry.load_dir(rubrics_dir).list(all_versions=True)
    piped = runner.invoke(app, ["rubrics", "list", "--all-versions"])
    assert piped.exit_code == 0, piped.output
    lines = piped.stdout.splitlines()
    assert lines[0] == "id\t版本\t名称\t适用\t结构\t原文/重构"
    assert {tuple(line.split("\t")[:2]) for line in lines[1:]} == {(r.id, r.version) for r in shipped}
    assert any(line.endswith("\t6 一级，13 二级，51 审核重点\t51/0") for line in lines)

    data = json.loads(runner.invoke(app, ["rubrics", "list", "--all-versions", "--json"]).stdout)
    assert {(r["id"], r["version"], r["fingerprint"]) for r in data} == {
        (r.id, r.version, r.fingerprint) for r in shipped
    }
    guide = next(r for r in data if r["id"] == "ciqa-guide-2021")
    assert guide["counts"]["review_points"] == 51 and guide["counts"]["indicators_by_depth"] == [6, 13]

    # On a 60-column terminal: the table, with ids and versions whole and the other columns folded.
    monkeypatch.setattr("backend.cli.rubrics.console", Console(force_terminal=True, width=60, color_system=None))
    table = runner.invoke(app, ["rubrics", "list", "--all-versions"])
    assert table.exit_code == 0, table.output
    assert "┃" in table.stdout and "quality-culture-2026" in table.stdout and "quality-cul…" not in table.stdout


def test_search_piped_and_json_show_whole_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.cli.main import app

    monkeypatch.setenv("CIQA_DATA_DIR", str(tmp_path / "var"))
    report = tmp_path / "报告.txt"
    sentence = "学校专任教师1200人，生师比为17.5:1，具有博士学位教师占比45%，" + "并持续完善教师发展支持体系。" * 12
    report.write_text(f"一、师资队伍\n{sentence}\n二、质量保障\n学校建立校院两级教学质量监控体系。\n", encoding="utf-8")
    assert runner.invoke(app, ["index", str(report), "--out", str(tmp_path / "idx")]).exit_code == 0

    hits = json.loads(runner.invoke(app, ["search", str(tmp_path / "idx"), "生师比", "--json"]).stdout)
    assert hits[0]["rank"] == 1 and hits[0]["section"] == "一、师资队伍"
    assert "生师比为17.5:1" in hits[0]["text"] and len(hits[0]["text"]) > 160  # the table shortens it, JSON never
    piped = runner.invoke(app, ["search", str(tmp_path / "idx"), "生师比"]).stdout.splitlines()
    assert piped[0] == "#\t页\t章节\t内容\t融合\t向量\tBM25"
    assert piped[1].split("\t")[3] == hits[0]["text"]


def test_corpus_generate_lists_report_ids_and_files_whole(tmp_path: Path) -> None:
    from backend.cli.main import app

    result = runner.invoke(app, ["corpus", "generate", "--out", str(tmp_path), "-n", "1", "--pages", "10"])
    assert result.exit_code == 0, result.output
    pdf = next(tmp_path.glob("*.pdf"))
    header, row = result.output.strip().splitlines()[-2:]
    assert header.split("\t")[0] == "报告"
    assert row.split("\t")[0] == pdf.stem and pdf.name in row.split("\t")
