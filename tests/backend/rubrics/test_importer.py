"""Import of indicator tables: a realistic XLSX with merged cells, CSV, malformed tables, versioned writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from backend.errors import ErrorCode
from backend.rubrics.importer import import_table, write_imported
from backend.rubrics.loader import RubricError, load_rubric
from backend.rubrics.models import PointKind, TextOrigin
from backend.rubrics.registry import RubricRegistry

pytestmark = pytest.mark.unit

HEADER = ["一级指标", "二级指标", "审核重点", "定量指标", "权重", "类型"]


def realistic_xlsx(path: Path) -> Path:
    """A university's 审核评估 table: title row, merged 一级/二级/权重/定量指标 cells, a note row."""
    wb = Workbook()
    ws = wb.active
    ws.append(["XX大学本科教育教学审核评估指标体系（第二类）"])
    ws.merge_cells("A1:F1")
    ws.append(HEADER)
    rows = [
        ["1 办学方向与本科地位", "1.1 党的领导", "1.1.1 学校党委领导本科教育教学工作的情况", None, 0.3, "必选"],
        [None, None, "1.1.2 落实立德树人根本任务的情况", None, None, "必选"],
        [
            None,
            "1.2 思政教育",
            "（1）思想政治理论课建设情况",
            "1.专职思政课教师与在校生比\n2.专职辅导员与在校生比",
            None,
            "必选",
        ],
        [None, None, "（2）课程思政建设情况", None, None, "必选"],
        ["二、教师队伍", "教学能力", "教师队伍数量与结构", "生师比（:1）；具有博士学位教师占比", 0.7, "必选"],
        [None, None, "教师教学能力提升措施", None, None, "特色可选"],
        ["注：带“必选”的为统一必选项，定量指标以状态数据为准。", None, None, None, None, None],
    ]
    for row in rows:
        ws.append(row)
    for cells in ("A3:A6", "B3:B4", "B5:B6", "D5:D6", "E3:E6", "A7:A8", "B7:B8", "E7:E8", "D7:D8", "A9:F9"):
        ws.merge_cells(cells)
    wb.save(path)
    return path


def test_realistic_xlsx_with_merged_cells_round_trips(tmp_path: Path) -> None:
    table = realistic_xlsx(tmp_path / "指标体系.xlsx")
    result = import_table(table, rubric_id="xx-univ-audit", name="XX大学审核评估指标体系")
    rubric = result.rubric

    assert [(i.id, i.name, i.weight) for i in rubric.indicators] == [
        ("1", "办学方向与本科地位", 0.3),
        ("2", "教师队伍", 0.7),
    ]
    assert [c.id for c in rubric.indicators[0].children] == ["1.1", "1.2"]
    assert [(c.id, c.name) for c in rubric.indicators[1].children] == [("2.1", "教学能力")]
    points = {p.id: p for _, p in rubric.iter_points()}
    assert list(points) == ["1.1.1", "1.1.2", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "2.1.1", "2.1.2", "2.1.3", "2.1.4"]
    assert points["1.1.1"].text == "学校党委领导本科教育教学工作的情况"
    assert points["1.2.2"].text == "课程思政建设情况"
    assert all(p.text_origin is TextOrigin.OFFICIAL for p in points.values())
    assert all(i.text_origin is TextOrigin.OFFICIAL for _, i in rubric.iter_indicators())
    assert points["2.1.2"].selection == "特色可选"

    quantitative = {p.id: p.metric for p in points.values() if p.kind is PointKind.QUANTITATIVE}
    assert {k: (m.name, m.unit) for k, m in quantitative.items()} == {
        "1.2.3": ("专职思政课教师与在校生比", "1:"),
        "1.2.4": ("专职辅导员与在校生比", "1:"),
        "2.1.3": ("生师比", ":1"),
        "2.1.4": ("具有博士学位教师占比", "%"),
    }
    for point in points.values():
        assert 2 <= len(point.queries) <= 5 and point.key_terms

    assert [(p.path, p.message[:3]) for p in result.skipped] == [("row 9", "说明行")]

    out, archived = write_imported(rubric, tmp_path / "rubrics" / "xx-univ-audit.yaml")
    assert archived is None
    again = load_rubric(out)
    assert again == rubric
    assert again.fingerprint == rubric.fingerprint


def test_csv_with_repeated_indicators_and_gb18030(tmp_path: Path) -> None:
    lines = [
        "一级指标,二级指标,主要观测点,权重,单位,国家标准",
        "1 质量保障,1.1 质量管理,质量保障机构及队伍建设情况,0.5,,",
        "1 质量保障,1.1 质量管理,质量监控制度运行情况,0.5,,",
        "1 质量保障,1.2 质量文化,质量文化建设情况,1,,",
        "2 教学条件,2.1 师资,,,,",
    ]
    csv_path = tmp_path / "table.csv"
    csv_path.write_bytes("\n".join(lines).encode("gb18030"))
    with pytest.raises(RubricError) as info:
        import_table(csv_path, rubric_id="csv-demo", name="CSV")
    assert [str(p) for p in info.value.problems] == ["row 5: 指标 2.1 师资 没有审核重点"]

    csv_path.write_bytes("\n".join(lines[:-1]).encode("gb18030"))
    rubric = import_table(csv_path, rubric_id="csv-demo", name="CSV").rubric
    assert [p.id for _, p in rubric.iter_points()] == ["1.1.1", "1.1.2", "1.2.1"]
    assert [p.weight for _, p in rubric.iter_points()] == [0.5, 0.5, 1.0]


def test_quantitative_columns_unit_and_floor(tmp_path: Path) -> None:
    lines = [
        "一级指标,二级指标,定量指标,单位,国家标准",
        "4 教师队伍,4.2 教学能力,生师比,:1,≤18:1",
        ",,专职辅导员与在校生比,,不低于1:200",
        ",,实践教学学分占比,%,≥25%",
    ]
    csv_path = tmp_path / "metrics.csv"
    csv_path.write_text("\n".join(lines), encoding="utf-8")
    metrics = [p.metric for _, p in import_table(csv_path, rubric_id="m", name="M").rubric.iter_points()]
    assert [(m.name, m.unit, m.national_floor, m.floor_direction) for m in metrics] == [
        ("生师比", ":1", 18.0, "at_most"),
        ("专职辅导员与在校生比", "1:", 200.0, "at_most"),
        ("实践教学学分占比", "%", 25.0, "at_least"),
    ]


def test_malformed_xlsx_is_rejected_with_row_level_messages(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["1 质量保障", "1.1 质保机制", "1.1.1 质量监控部门及其职责", None, "高", "必选"])
    ws.append([None, None, "2.1.1 自我评价机制的建立与运行", None, 1, "必选"])
    ws.append([None, None, "1.1.1 重复编号的审核重点", None, 1, "必选"])
    ws.append([None, "3.1 质量文化", "质量文化建设情况", None, 1, "任选"])
    ws.merge_cells("A2:A5")
    path = tmp_path / "malformed.xlsx"
    wb.save(path)
    with pytest.raises(RubricError) as info:
        import_table(path, rubric_id="bad", name="Bad")
    assert info.value.code is ErrorCode.IMPORT_FAILED
    messages = {p.path: p.message for p in info.value.problems}
    assert set(messages) == {"row 2", "row 3", "row 4", "row 5"}
    assert "权重“高”不是数字" in messages["row 2"]
    assert "2.1.1 与所属指标 1.1 不一致" in messages["row 3"]
    assert "编号 1.1.1 重复（第 2 行已使用）" in messages["row 4"]
    row5 = [p.message for p in info.value.problems if p.path == "row 5"]
    assert any("3.1 与所属一级指标 1 不一致" in m for m in row5)
    assert any("任选" in m for m in row5)


def test_a_table_without_header_or_a_broken_file_is_rejected(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["指标", "内容"])
    wb.active.append(["质量保障", "质量文化建设情况"])
    wb.save(tmp_path / "noheader.xlsx")
    with pytest.raises(RubricError) as info:
        import_table(tmp_path / "noheader.xlsx", rubric_id="x", name="X")
    assert info.value.problems[0].path == "header"

    (tmp_path / "broken.xlsx").write_bytes(b"not a zip file")
    with pytest.raises(RubricError) as info:
        import_table(tmp_path / "broken.xlsx", rubric_id="x", name="X")
    assert info.value.code is ErrorCode.BAD_FILE
    (tmp_path / "table.pdf").write_bytes(b"%PDF")
    with pytest.raises(RubricError):
        import_table(tmp_path / "table.pdf", rubric_id="x", name="X")


def test_reimport_needs_a_new_version_and_keeps_the_old_one(tmp_path: Path) -> None:
    table = realistic_xlsx(tmp_path / "t.xlsx")
    out = tmp_path / "rubrics" / "xx.yaml"
    first = import_table(table, rubric_id="xx", name="XX").rubric
    write_imported(first, out)
    write_imported(first, out)  # same content, same version: nothing changes

    edited = import_table(table, rubric_id="xx", name="XX（修订）").rubric
    with pytest.raises(RubricError) as info:
        write_imported(edited, out)
    assert info.value.code is ErrorCode.CONFLICT
    assert load_rubric(out) == first

    bumped = import_table(table, rubric_id="xx", name="XX（修订）", version="1.1").rubric
    _, archived = write_imported(bumped, out)
    assert archived == out.parent / "archive" / "xx@1.0.yaml"
    registry = RubricRegistry.load_dir(out.parent)
    assert registry.versions("xx") == ["1.0", "1.1"]
    assert registry.get("xx", "1.0").fingerprint == first.fingerprint
    assert registry.get("xx").name == "XX（修订）"
