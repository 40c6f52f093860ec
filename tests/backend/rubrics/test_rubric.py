"""Rubric schema, loader problems (with paths and lines), fingerprints, versions and the registry."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from backend.errors import AppError, ErrorCode
from backend.rubrics.loader import RubricError, json_schema, load_rubric, parse_rubric, rubric_to_yaml
from backend.rubrics.models import rubric_changed
from backend.rubrics.registry import EXAMPLE_YAML, RubricRegistry, RubricStatus, version_key

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]

BASE = textwrap.dedent(
    """
    id: demo
    name: 示例
    version: "1.0"
    source: {document: 示例文件, date: 2021-12-18}
    applicability: {institution_types: [应用型], submission_kinds: [self_evaluation]}
    scale:
      - {id: A, label: 达成, score: 2, evidence: 有制度、有实施、有成效数据}
      - {id: B, label: 未达成, score: 1, evidence: 缺少证据}
    indicators:
      - id: "1"
        name: 质量保障
        text_origin: official
        children:
          - id: "1.1"
            name: 质保机制
            text_origin: official
            review_points:
              - id: "1.1.1"
                text: 质量监控部门及其职责
                text_origin: official
                queries: [我校设立质量监控中心, 质量监控队伍由专职人员和督导组成]
                key_terms: [质量监控]
              - id: "1.1.2"
                text: 生师比
                text_origin: reconstructed
                kind: quantitative
                queries: [全校生师比为17.6:1, 折合在校生数与专任教师数之比]
                key_terms: [生师比]
                metric: {name: 生师比, unit: ":1", national_floor: 18, floor_direction: at_most}
                links: ["demo:1.1.1"]
    """
)


def _problems(text: str, **kwargs: object) -> dict[str, RubricError]:
    with pytest.raises(RubricError) as info:
        parse_rubric(text, **kwargs)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.RUBRIC_INVALID
    assert isinstance(info.value, AppError)
    return info.value


def test_valid_rubric_loads_with_counts_and_lookups() -> None:
    rubric = parse_rubric(BASE)
    counts = rubric.counts()
    assert counts.indicators_by_depth == (1, 1)
    assert (counts.review_points, counts.quantitative, counts.official, counts.reconstructed) == (2, 1, 1, 1)
    assert rubric.point("1.1.2").metric.national_floor == 18
    chains = [[i.id for i in chain] for chain, _ in rubric.iter_points()]
    assert chains == [["1", "1.1"], ["1", "1.1"]]
    with pytest.raises(AppError) as info:
        rubric.point("9.9")
    assert info.value.code is ErrorCode.NOT_FOUND


def test_every_problem_is_reported_with_its_path_and_line() -> None:
    bad = (
        BASE.replace("scale:\n  - {id: A", "scale: []\nold_scale:\n  - {id: A")
        .replace('links: ["demo:1.1.1"]', 'links: ["demo:1.1.1", "demo:7.7.7"]\n            colour: red')
        .replace('- id: "1.1.2"', '- id: "1.1.1"')
    )
    error = _problems(bad)
    by_path = {p.path: p for p in error.problems}
    assert "scale" in by_path  # empty scale
    assert by_path["old_scale"].message == "unknown key"
    assert by_path["indicators[0].children[0].review_points[1].colour"].message == "unknown key"
    assert "duplicate id '1.1.1'" in by_path["indicators[0].children[0].review_points[1].id"].message
    dangling = by_path["indicators[0].children[0].review_points[1].links[1]"]
    assert "dangling link 'demo:7.7.7'" in dangling.message
    assert dangling.line == bad.splitlines().index('            links: ["demo:1.1.1", "demo:7.7.7"]') + 1
    assert all(p.line for p in error.problems)
    assert "indicators[0].children[0].review_points[1].links[1]" in error.detail


def test_links_into_other_rubrics_are_checked_when_they_are_known() -> None:
    text = BASE.replace('links: ["demo:1.1.1"]', 'links: ["ciqa-guide-2021:3.2.3", "ciqa-guide-2021:9.9"]')
    parse_rubric(text)  # other rubrics unknown: only links into itself are checked
    error = _problems(text, known={"ciqa-guide-2021": frozenset({"3.2.3"})})
    assert [p.path for p in error.problems] == ["indicators[0].children[0].review_points[1].links[1]"]
    error = _problems(text, known={})
    assert "no rubric 'ciqa-guide-2021'" in error.problems[0].message


@pytest.mark.parametrize(
    ("old", "new", "path", "needle"),
    [
        ('id: "1.1.1"\n', "id: 1.1\n", "indicators[0].children[0].review_points[0].id", "string"),
        (
            'metric: {name: 生师比, unit: ":1", national_floor: 18, floor_direction: at_most}',
            'metric: {name: 生师比, unit: ":1", national_floor: 18}',
            "indicators[0].children[0].review_points[1].metric",
            "go together",
        ),
        ("            kind: quantitative\n", "", "indicators[0].children[0].review_points[1]", "no metric"),
        (
            "queries: [我校设立质量监控中心, 质量监控队伍由专职人员和督导组成]",
            "queries: [只有一条]",
            "indicators[0].children[0].review_points[0].queries",
            "at least 2",
        ),
        ("score: 1,", "score: 3,", "scale", "decreasing"),
        ("institution_types: [应用型]", "institution_types: [综合型]", "applicability.institution_types[0]", ""),
    ],
)
def test_schema_problems(old: str, new: str, path: str, needle: str) -> None:
    assert old in BASE
    error = _problems(BASE.replace(old, new))
    matching = [p for p in error.problems if p.path == path]
    assert matching, [str(p) for p in error.problems]
    assert needle in matching[0].message


def test_duplicate_yaml_keys_and_level_descriptors_are_rejected() -> None:
    text = BASE.replace(
        "key_terms: [质量监控]\n",
        "key_terms: [质量监控]\n            key_terms: [监控]\n            level_descriptors: {A: 好, Z: 差}\n",
    )
    paths = {p.path: p.message for p in _problems(text).problems}
    assert "duplicate key" in paths["indicators[0].children[0].review_points[0].key_terms"]
    assert "no scale level 'Z'" in paths["indicators[0].children[0].review_points[0].level_descriptors.Z"]


def test_syntax_errors_and_empty_files_are_problems(tmp_path: Path) -> None:
    assert "YAML syntax error" in _problems("id: [unclosed").problems[0].message
    assert _problems("").problems[0].message == "the file is empty"
    missing = tmp_path / "missing.yaml"
    with pytest.raises(RubricError):
        load_rubric(missing)


def test_fingerprint_ignores_formatting_but_not_content() -> None:
    rubric = parse_rubric(BASE)
    again = parse_rubric(rubric_to_yaml(rubric))
    assert again == rubric
    assert again.fingerprint == rubric.fingerprint
    reformatted = yaml.safe_dump(yaml.safe_load(BASE), allow_unicode=True, default_flow_style=True)
    assert parse_rubric("# comment\n" + reformatted).fingerprint == rubric.fingerprint
    edited = parse_rubric(BASE.replace("质量监控部门及其职责", "质量监控部门及其职责和人员"))
    assert edited.fingerprint != rubric.fingerprint
    assert rubric_changed(edited, rubric.fingerprint)
    assert not rubric_changed(again, rubric.fingerprint)
    ref = rubric.ref()
    assert (ref.id, ref.version, ref.fingerprint) == ("demo", "1.0", rubric.fingerprint)


def test_registry_refuses_two_contents_under_one_version(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "copy.yaml").write_text(BASE, encoding="utf-8")  # the same content twice is harmless
    assert RubricRegistry.load_dir(tmp_path).get("demo").version == "1.0"
    (tmp_path / "copy.yaml").write_text(BASE.replace("质量监控部门及其职责", "已修改"), encoding="utf-8")
    with pytest.raises(RubricError) as info:
        RubricRegistry.load_dir(tmp_path)
    (problem,) = info.value.problems
    assert problem.path == "version"
    assert "new version" in problem.message
    assert "copy.yaml" in str(problem)


def test_registry_versions_latest_and_status(tmp_path: Path) -> None:
    old = parse_rubric(BASE)
    for version in ("1.9", "1.10", "1.2"):
        text = BASE.replace('version: "1.0"', f'version: "{version}"').replace("质量监控部门", f"部门{version}")
        (tmp_path / f"demo-{version}.yaml").write_text(text, encoding="utf-8")
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "demo@1.0.yaml").write_text(BASE, encoding="utf-8")
    registry = RubricRegistry.load_dir(tmp_path)
    assert registry.versions("demo") == ["1.0", "1.2", "1.9", "1.10"]
    assert registry.get("demo").version == "1.10"
    assert registry.get("demo", "1.0") == old
    assert [r.version for r in registry.list()] == ["1.10"]
    assert len(registry.list(all_versions=True)) == 4
    assert registry.status(old.ref()) is RubricStatus.UNCHANGED
    changed = old.ref().model_copy(update={"fingerprint": "0" * 64})
    assert registry.status(changed) is RubricStatus.CHANGED
    assert registry.status(old.ref().model_copy(update={"version": "9"})) is RubricStatus.MISSING
    with pytest.raises(AppError) as info:
        registry.get("demo", "3.0")
    assert info.value.code is ErrorCode.RUBRIC_NOT_FOUND
    assert version_key("2.0") > version_key("1.10") > version_key("1.9")


def test_directory_problems_name_their_files(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(EXAMPLE_YAML, encoding="utf-8")
    linked = BASE.replace('links: ["demo:1.1.1"]', 'links: ["ciqa-guide-2021:3.2.3"]').replace("id: demo", "id: other")
    (tmp_path / "bad.yaml").write_text(linked, encoding="utf-8")
    with pytest.raises(RubricError) as info:
        RubricRegistry.load_dir(tmp_path)
    (problem,) = info.value.problems
    assert problem.file == str(tmp_path / "bad.yaml")
    assert problem.line is not None
    assert "no rubric 'ciqa-guide-2021'" in str(problem)


def test_shipped_json_schema_is_current() -> None:
    assert (ROOT / "rubrics" / "rubric.schema.json").read_text(encoding="utf-8") == json_schema()
