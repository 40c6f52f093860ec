"""Every shipped rubric loads, links resolve, counts and names match the sources, examples discriminate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.domain.enums import InstitutionType, SubmissionKind
from backend.rubrics.loader import load_rubric
from backend.rubrics.models import PointKind, Rubric, TextOrigin
from backend.rubrics.registry import RubricRegistry

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
RUBRICS = ROOT / "rubrics"
SHARED = ROOT.parent / "shared"
SHIPPED = ["ciqa-guide-2021", "audit-2021-type1", "audit-2021-type2", "quality-culture-2026", "case-selection"]
GUIDE = "ciqa-guide-2021"

# 第二类 一级 / 二级指标 as listed in shared/indicators/audit-2021-2025.md
TYPE2 = {
    "1 办学方向与本科地位": ["1.1 党的领导", "1.2 思政教育", "1.3 本科地位"],
    "2 培养过程": ["2.1 培养方案", "2.2 专业建设", "2.3 实践教学", "2.4 课堂教学", "2.5 卓越培养", "2.6 创新创业教育"],
    "3 教学资源与利用": ["3.1 设施资源", "3.2 资源建设"],
    "4 教师队伍": ["4.1 师德师风", "4.2 教学能力", "4.3 教学投入", "4.4 教师发展"],
    "5 学生发展": ["5.1 理想信念", "5.2 学业成绩及综合素质", "5.3 国际视野", "5.4 支持服务"],
    "6 质量保障": ["6.1 质量管理", "6.2 质量改进", "6.3 质量文化"],
    "7 教学成效": ["7.1 达成度", "7.2 适应度", "7.3 保障度", "7.4 有效度", "7.5 满意度"],
}
COMMON_METRICS = [
    "生师比",
    "具有博士学位教师占比",
    "主讲本科课程的教授占教授总数的比例",
    "教授主讲本科课程门次占比",
    "生均教学日常运行支出",
    "生均本科实验经费",
    "生均本科实习经费",
    "生均教学行政用房面积",
    "生均教学科研仪器设备值",
    "生均图书",
    "选修课学分占比",
    "本科生毕业率",
    "学位授予率",
    "初次就业率",
    "体质测试达标率",
    "学生学习满意度",
    "用人单位满意度",
    "专职思政课教师与在校生比",
    "专职辅导员与在校生比",
    "心理健康教育专职教师与在校生比",
    "专职就业指导教师与应届毕业生比",
]


@pytest.fixture(scope="module")
def registry() -> RubricRegistry:
    return RubricRegistry.load_dir(RUBRICS)


def _qualitative(rubric: Rubric) -> list[str]:
    return [p.id for _, p in rubric.iter_points() if p.kind is PointKind.QUALITATIVE]


def test_every_shipped_rubric_loads_and_validates(registry: RubricRegistry) -> None:
    assert sorted(r.id for r in registry.list()) == sorted(SHIPPED)
    for rubric_id in SHIPPED:
        rubric = load_rubric(RUBRICS / f"{rubric_id}.yaml", known=registry.known_points())
        assert rubric == registry.get(rubric_id)
        assert rubric.source.date is not None
        assert rubric.scale and rubric.applicability.institution_types


def test_every_link_resolves_into_the_guide(registry: RubricRegistry) -> None:
    guide = registry.get(GUIDE)
    for rubric in registry.list():
        for _, point in rubric.iter_points():
            for link in point.links:
                target, linked = registry.resolve_link(link)
                assert target.id == GUIDE
                assert linked == guide.point(link.split(":", 1)[1])
            if rubric.id != GUIDE:
                assert point.links, f"{rubric.id} {point.id} has no guide recommendation for advice"


def test_review_points_are_complete_enough_to_search(registry: RubricRegistry) -> None:
    for rubric in registry.list():
        for chain, point in rubric.iter_points():
            assert point.evidence, (rubric.id, point.id)
            assert 2 <= len(point.queries) <= 5
            assert len(set(point.queries)) == len(point.queries)
            assert point.id.startswith(chain[-1].id + "."), (rubric.id, point.id)
            if point.kind is PointKind.QUANTITATIVE:
                assert point.metric and point.metric.unit


def test_queries_are_not_copies_of_the_official_text(registry: RubricRegistry) -> None:
    for rubric in registry.list():
        for _, point in rubric.iter_points():
            assert all(q != point.text for q in point.queries), (rubric.id, point.id)


def test_every_rubric_ships_discriminating_examples(registry: RubricRegistry) -> None:
    for rubric in registry.list():
        examples = [(p, p.examples) for _, p in rubric.iter_points() if p.examples]
        assert len(examples) >= 3, rubric.id
        for point, ex in examples:
            strong_figures = re.findall(r"\d+(?:\.\d+)?", ex.strong)
            assert len(strong_figures) >= 2, (rubric.id, point.id)
            assert not re.search(r"\d", ex.weak), (rubric.id, point.id)
            assert len(ex.strong) > 2 * len(ex.weak)
            hits = [t for t in point.key_terms if t in ex.strong]
            if point.kind is PointKind.QUANTITATIVE:
                assert point.metric.name in ex.strong
            assert hits or any(t[:2] in ex.strong for t in point.key_terms), (rubric.id, point.id)


def test_audit_type1_structure(registry: RubricRegistry) -> None:
    rubric = registry.get("audit-2021-type1")
    assert rubric.counts().indicators_by_depth == (4, 12)
    assert len(_qualitative(rubric)) == 37
    official = [p.id for _, p in rubric.iter_points() if p.text_origin is TextOrigin.OFFICIAL]
    assert official == ["1.1.1", "1.1.2", "2.1.1", "2.1.2", "2.2.1", "2.2.2", "2.3.1", "2.3.2", "2.4.1"]
    assert rubric.point("2.4.2").text_origin is TextOrigin.RECONSTRUCTED
    assert rubric.applicability.institution_types == [InstitutionType.RESEARCH]


def test_audit_type1_official_text_matches_the_indicators_file(registry: RubricRegistry) -> None:
    source = SHARED / "indicators" / "audit-2021-2025.md"
    if not source.exists():
        pytest.skip("shared/ is not beside the repository")
    rows = re.findall(r"\| (\d\.\d\.\d) (.+?) \|$", source.read_text(encoding="utf-8"), re.M)
    rubric = registry.get("audit-2021-type1")
    for point_id, text in rows:
        if "text not available" in text:
            assert rubric.point(point_id).text_origin is TextOrigin.RECONSTRUCTED
        else:
            assert rubric.point(point_id).text == text.strip()
            assert rubric.point(point_id).text_origin is TextOrigin.OFFICIAL


def test_audit_type2_structure_and_metrics(registry: RubricRegistry) -> None:
    rubric = registry.get("audit-2021-type2")
    names = {f"{i.id} {i.name}": [f"{c.id} {c.name}" for c in i.children] for i in rubric.indicators}
    assert names == TYPE2
    assert rubric.counts().indicators_by_depth == (7, 27)
    for indicator in rubric.indicators:
        for child in indicator.children:
            qualitative = [p for p in child.review_points if p.kind is PointKind.QUALITATIVE]
            assert 2 <= len(qualitative) <= 4, child.id
            for point in child.review_points:
                assert re.fullmatch(rf"{indicator.id}\.{child.id.split('.')[1]}\.\d+", point.id)
                assert point.text_origin is TextOrigin.RECONSTRUCTED
    metrics = {p.metric.name: p.metric for _, p in rubric.iter_points() if p.metric}
    assert set(COMMON_METRICS) <= set(metrics)
    assert (metrics["生师比"].national_floor, metrics["生师比"].floor_direction) == (18, "at_most")
    assert metrics["具有博士学位教师占比"].unit == "%"
    assert metrics["生均教学日常运行支出"].unit == "元"
    assert metrics["生均教学日常运行支出"].national_floor is None


def test_type2_names_match_the_indicators_file() -> None:
    source = SHARED / "indicators" / "audit-2021-2025.md"
    if not source.exists():
        pytest.skip("shared/ is not beside the repository")
    lines = re.findall(r"^(\d) (\S+): (.+)$", source.read_text(encoding="utf-8"), re.M)
    parsed = {f"{n} {name}": [s.strip() for s in rest.split(";")] for n, name, rest in lines}
    assert parsed == TYPE2


def test_quality_culture_2026_has_the_four_dimensions(registry: RubricRegistry) -> None:
    rubric = registry.get("quality-culture-2026")
    dimensions = [i.name for i in rubric.indicators]
    assert dimensions == ["理念认同", "制度建设", "实践推进", "成效表现"]
    plan = SHARED / "source-docs" / "003_5820a73d134406a9.txt"
    if plan.exists():
        assert "从理念认同、制度建设、实践推进、成效表现四个维度" in plan.read_text(encoding="utf-8")
    assert all(i.text_origin is TextOrigin.OFFICIAL for i in rubric.indicators)
    assert set(rubric.applicability.institution_types) == set(InstitutionType)


def test_case_selection_criteria_have_levels(registry: RubricRegistry) -> None:
    rubric = registry.get("case-selection")
    assert rubric.applicability.submission_kinds == [SubmissionKind.CASE]
    names = [i.name for i in rubric.indicators]
    assert names == ["问题与背景", "举措", "成效", "创新性", "可推广性", "材料完整性"]
    levels = [level.id for level in rubric.scale]
    for _, point in rubric.iter_points():
        assert list(point.level_descriptors) == levels, point.id
    assert sum(i.weight for i in rubric.indicators) == pytest.approx(1.0)
