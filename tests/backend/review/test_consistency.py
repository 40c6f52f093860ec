"""Figure consistency: facts extracted from report text and from real state-data workbooks, compared; and the two
real reports split into parts (read from ../shared/real-docs at run time) never conflict with themselves."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from openpyxl import Workbook

from backend.db.models import DocumentRole
from backend.review.consistency import Consistency, Source, Verdict, compare_sources, period_key
from backend.rubrics.registry import default_registry
from indexing.facts import extract_facts
from indexing.models import Block, BlockKind, Document, Fact, MediaType
from indexing.statedata import read_state_data

pytestmark = pytest.mark.unit

REAL_DOCS = Path(__file__).resolve().parents[4] / "shared" / "real-docs"
REPORT = Source(1, "自评报告.pdf", DocumentRole.MAIN)
SUPPORTING = Source(2, "支撑材料-师资.docx", DocumentRole.SUPPORTING)
STATE = Source(3, "状态数据.xlsx", DocumentRole.STATE_DATA)


@pytest.fixture(scope="module")
def rubric():
    return default_registry().get("audit-2021-type2")


def text_facts(*paragraphs: str) -> tuple[Fact, ...]:
    blocks = tuple(Block(f"b{i:04d}", BlockKind.PARAGRAPH, text, page=i) for i, text in enumerate(paragraphs, start=1))
    return extract_facts(Document("d", "报告", MediaType.TEXT, blocks))


def state_facts(rows: list[tuple[str, float, float, str]], years: tuple[str, str] = ("2022学年", "2023学年")):
    book = Workbook()
    sheet = book.active
    sheet.title = "基本办学条件"
    sheet.append(["指标", *years, "单位"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return read_state_data(out.getvalue(), name="状态数据.xlsx").facts


def only(result: Consistency, metric: str, period: str | None = None):
    found = [c for c in result.checks if c.metric == metric and (period is None or period_key(c.period) == period)]
    assert len(found) == 1, [(c.metric, c.period, c.verdict) for c in result.checks if c.verdict is not Verdict.MISSING]
    return found[0]


def test_synonyms_rounding_units_and_periods_agree(rubric):
    report = text_facts(
        "2023学年，学校学生与教师比例为17.9:1，专任教师总数为1732人。",
        "2023-2024学年，生均教学科研仪器设备值为1.60万元。",
    )
    state = state_facts(
        [
            ("生师比", 18.46, 17.94, ""),
            ("专任教师数", 1650, 1732, "人"),
            ("生均教学科研仪器设备值", 15230.5, 16002.25, "元"),
        ]
    )
    result = compare_sources([(REPORT, report), (STATE, state)], rubric)
    ratio = only(result, "生师比", "2023")
    assert ratio.verdict is Verdict.AGREE  # 17.9 is 17.94 rounded; 学生与教师比例 names 生师比
    assert only(result, "专任教师数", "2023").verdict is Verdict.AGREE
    # 1.60万元 = 16000 元 with a tolerance of 50 元: 16002.25 元 is the same figure
    assert only(result, "生均教学科研仪器设备值", "2023").verdict is Verdict.AGREE
    assert result.count(Verdict.CONFLICT) == 0


def test_a_changed_digit_is_a_conflict_quoted_side_by_side(rubric):
    report = text_facts("2023学年，学校生师比为17.49:1。")
    state = state_facts([("生师比", 18.46, 17.94, "")])
    result = compare_sources([(REPORT, report), (STATE, state)], rubric)
    check = only(result, "生师比", "2023")
    assert check.verdict is Verdict.CONFLICT
    assert [s.source.role for s in check.statements] == [DocumentRole.STATE_DATA, DocumentRole.MAIN]
    assert check.point_id == "4.2.3"  # the review point whose metric is 生师比
    question = check.question_zh
    assert "状态数据《状态数据.xlsx》工作表「基本办学条件」C2为 17.94" in question
    assert "自评报告《自评报告.pdf》第 1 页为 17.49:1" in question


def test_a_unit_slip_is_a_conflict_named_as_such(rubric):
    report = text_facts("2023学年，生均教学科研仪器设备值为16002.25万元。")
    state = state_facts([("生均教学科研仪器设备值", 15230.5, 16002.25, "元")])
    check = only(compare_sources([(REPORT, report), (STATE, state)], rubric), "生均教学科研仪器设备值", "2023")
    assert check.verdict is Verdict.CONFLICT
    assert "万元/元" in check.note_zh


def test_a_year_slip_is_a_conflict_named_as_such(rubric):
    report = text_facts("2023学年，专任教师总数为1650人。")
    state = state_facts([("专任教师数", 1650, 1732, "人")])
    check = only(compare_sources([(REPORT, report), (STATE, state)], rubric), "专任教师数", "2023")
    assert check.verdict is Verdict.CONFLICT
    assert "2022学年" in check.note_zh and "年份" in check.note_zh


def test_different_periods_are_never_compared(rubric):
    report = text_facts("2021学年，专任教师总数为1500人。")
    state = state_facts([("专任教师数", 1650, 1732, "人")])
    result = compare_sources([(REPORT, report), (STATE, state)], rubric)
    assert [c for c in result.checks if c.metric == "专任教师数"] == []


def test_a_source_with_two_values_is_uncomparable_not_a_conflict(rubric):
    # the report states 专任教师 twice differently (a college's and the school's?): no side can be quoted as right
    report = text_facts("2023学年，专任教师总数为1732人。", "2023学年，专任教师总数为96人。")
    state = state_facts([("专任教师数", 1650, 1700, "人")])
    check = only(compare_sources([(REPORT, report), (STATE, state)], rubric), "专任教师数", "2023")
    assert check.verdict is Verdict.UNCOMPARABLE
    assert "多个不同数值" in check.note_zh


def test_approximate_figures_and_unknown_units_take_no_part(rubric):
    report = text_facts("2023学年，专任教师总数约1700人，教学经费总额为1302.25。")
    state = state_facts([("专任教师数", 1650, 1732, "人"), ("教学经费总额", 1200.0, 1302.25, "万元")])
    result = compare_sources([(REPORT, report), (STATE, state)], rubric)
    assert result.count(Verdict.CONFLICT) == 0
    assert [c for c in result.checks if c.metric in ("专任教师数", "教学经费总额")] == []


def test_same_label_outside_the_rubric_conflicts_only_against_state_data(rubric):
    report = text_facts("2023学年，学校教学经费总额为1302.25万元。")
    supporting = text_facts("2023学年，学校教学经费总额为1320.25万元。")
    alone = compare_sources([(REPORT, report), (SUPPORTING, supporting)], rubric)
    assert only(alone, "教学经费总额").verdict is Verdict.UNCOMPARABLE  # two files, but the same scope is unsure
    state = state_facts([("教学经费总额", 1200.0, 1320.25, "万元")])
    checked = compare_sources([(REPORT, report), (SUPPORTING, supporting), (STATE, state)], rubric)
    conflict = only(checked, "教学经费总额", "2023")
    assert conflict.verdict is Verdict.CONFLICT
    assert [s.source.version_id for s in conflict.statements] == [3, 1]  # state data first, the differing report


def test_metrics_no_source_gives_are_missing(rubric):
    report = text_facts("2023学年，学校生师比为17.94:1。")
    result = compare_sources([(REPORT, report)], rubric)
    missing = {c.metric for c in result.checks if c.verdict is Verdict.MISSING}
    assert "专任教师数" in missing and "生师比" not in missing
    assert result.count(Verdict.CONFLICT) == result.count(Verdict.AGREE) == 0


def test_filters():
    report = text_facts("2023学年，学校生师比为17.49:1，专任教师总数为1732人。")
    state = state_facts([("生师比", 18.46, 17.94, ""), ("专任教师数", 1650, 1732, "人")])
    result = compare_sources([(REPORT, report), (STATE, state)], default_registry().get("audit-2021-type2"))
    assert [c.metric for c in result.filtered(verdict=Verdict.CONFLICT)] == ["生师比"]
    assert [c.verdict for c in result.filtered(metric="专任")] == [Verdict.AGREE]
    assert result.only(verdict=Verdict.AGREE).checks == result.filtered(verdict=Verdict.AGREE)


@pytest.mark.parametrize(
    ("period", "key"),
    [("2022年", "2022"), ("2022学年", "2022"), ("2022-2023学年", "2022"), ("2022年度", "2022"), ("2023届", "2023届")],
)
def test_period_keys(period: str, key: str):
    assert period_key(period) == key


needs_real_docs = pytest.mark.skipif(
    not REAL_DOCS.is_dir() and os.environ.get("CI", "").lower() != "true", reason=f"{REAL_DOCS} is absent"
)


@needs_real_docs
@pytest.mark.slow
@pytest.mark.parametrize("name", ["wit", "xvtc"])
def test_real_report_split_into_parts_never_conflicts_with_itself(name: str, rubric):
    from indexing.parsing import parse_path

    path = next(REAL_DOCS.glob(f"{name}-*.pdf"))
    facts = extract_facts(parse_path(path))
    blocks = sorted({f.block_id for f in facts})
    for parts in (2, 3, 4):
        size = len(blocks) // parts + 1
        part_of = {b: i // size for i, b in enumerate(blocks)}
        roles = [DocumentRole.MAIN] + [DocumentRole.SUPPORTING] * (parts - 1)
        sources = [
            (Source(i + 1, f"part{i}", roles[i]), [f for f in facts if part_of[f.block_id] == i]) for i in range(parts)
        ]
        result = compare_sources(sources, rubric)
        assert result.count(Verdict.CONFLICT) == 0, [(c.metric, c.question_zh) for c in result.conflicts]
        assert result.count(Verdict.AGREE) > 0  # the parts do share figures: the comparison did run
