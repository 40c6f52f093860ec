"""``ciqa rubrics list | show | validate | import | schema`` through the Typer app."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli.main import app
from backend.rubrics.loader import json_schema, load_rubric
from backend.rubrics.registry import RubricRegistry
from tests.backend.rubrics.test_importer import realistic_xlsx

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()


@pytest.fixture
def rubrics_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "rubrics"
    shutil.copytree(ROOT / "rubrics", target)
    monkeypatch.setenv("CIQA_RUBRICS_DIR", str(target))
    monkeypatch.setenv("COLUMNS", "200")
    return target


def test_list_shows_every_rubric_with_counts(rubrics_dir: Path) -> None:
    result = runner.invoke(app, ["rubrics", "list"])
    assert result.exit_code == 0, result.output
    for rubric_id in ("ciqa-guide-2021", "audit-2021-type1", "audit-2021-type2", "quality-culture-2026"):
        assert rubric_id in result.output
    assert "6 一级，13 二级，51 审核重点" in result.output


def test_list_never_cuts_an_id_on_a_narrow_terminal(rubrics_dir: Path) -> None:
    """Ids and versions are copied into commands: shown whole even at 60 columns (they were cut with "…")."""
    result = runner.invoke(app, ["rubrics", "list", "--all-versions"], env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    for rubric_id in ("quality-culture-2026", "audit-2021-type2", "ciqa-guide-2021", "case-selection"):
        assert rubric_id in result.output
    assert "quality-cul…" not in result.output


def test_show_prints_the_tree_with_counts(rubrics_dir: Path) -> None:
    result = runner.invoke(app, ["rubrics", "show", "audit-2021-type2"])
    assert result.exit_code == 0, result.output
    assert "7 一级，27 二级，93 审核重点，其中定量 24" in result.output
    assert "6.3 质量文化" in result.output
    assert "6.3.1" in result.output and "重构" in result.output
    missing = runner.invoke(app, ["rubrics", "show", "no-such-rubric"])
    assert missing.exit_code == 1
    assert "找不到指标体系" in missing.output


def test_validate_directory_and_file(rubrics_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["rubrics", "validate"])
    assert result.exit_code == 0, result.output
    # Every rubric file validates, archived earlier versions included.
    assert result.output.count("✓") == len(list(rubrics_dir.rglob("*.yaml")))
    assert "audit-2021-type2 v1.0" in result.output and "audit-2021-type2 v1.1" in result.output

    broken = tmp_path / "broken.yaml"
    text = (rubrics_dir / "quality-culture-2026.yaml").read_text(encoding="utf-8")
    broken.write_text(
        text.replace("ciqa-guide-2021:3.2.1", "ciqa-guide-2021:9.9.9", 1).replace(
            "id: quality-culture-2026", "id: qc-x"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rubrics", "validate", str(broken)])
    assert result.exit_code == 1
    assert "indicators[0].children[0].review_points[0].links[0]" in result.output
    assert "9.9.9" in result.output

    edited = tmp_path / "edited.yaml"  # same id and version as a shipped rubric, other content
    edited.write_text(text.replace("理念认同", "理念认可", 1), encoding="utf-8")
    result = runner.invoke(app, ["rubrics", "validate", str(edited)])
    assert result.exit_code == 1
    assert "new version" in result.output


def test_import_writes_the_rubric_and_reports_skipped_rows(rubrics_dir: Path, tmp_path: Path) -> None:
    table = realistic_xlsx(tmp_path / "table.xlsx")
    args = ["rubrics", "import", str(table), "--id", "xx-univ", "--name", "XX大学指标体系", "--type", "应用型"]
    result = runner.invoke(app, [*args, "--date", "2025-03-01"])
    assert result.exit_code == 0, result.output
    assert "row 9" in result.output
    rubric = load_rubric(rubrics_dir / "xx-univ.yaml")
    assert rubric.applicability.institution_types == ["应用型"]
    assert str(rubric.source.date) == "2025-03-01"
    assert "xx-univ" in [r.id for r in RubricRegistry.load_dir(rubrics_dir).list()]

    conflict = runner.invoke(app, [*args, "--date", "2025-03-02"])
    assert conflict.exit_code == 1
    assert "--version" in conflict.output

    out = tmp_path / "elsewhere.yaml"
    assert runner.invoke(app, [*args, "--out", str(out), "--version", "2.0"]).exit_code == 0
    assert load_rubric(out).version == "2.0"

    bad = runner.invoke(app, [*args, "--type", "综合型"])
    assert bad.exit_code != 0


def test_import_rejects_a_malformed_table(rubrics_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("一级指标,审核重点,权重\n1 质量保障,质量文化建设情况,很高\n", encoding="utf-8")
    result = runner.invoke(app, ["rubrics", "import", str(path), "--id", "bad", "--name", "Bad"])
    assert result.exit_code == 1
    assert "row 2" in result.output and "很高" in result.output
    assert not (rubrics_dir / "bad.yaml").exists()


def test_schema_command_writes_the_shipped_schema(rubrics_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert runner.invoke(app, ["rubrics", "schema", "--out", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == json_schema()
