"""A review with every part a report shows: table and text quotes, a figure, gaps, advice, all three marks."""

from __future__ import annotations

import pytest

from backend.domain import assessment as rm
from backend.domain.enums import Mark
from backend.review.flows import checklists
from backend.rubrics.loader import parse_rubric
from indexing.models import FactOrigin
from tests.backend.review.conftest import SMALL_RUBRIC

_SIGNALS = rm.PointSignals(best_dense=0.8, best_bm25=6.0, term_coverage=0.7, concrete=1.0)
_DRAFT = rm.DraftInfo(drafter=rm.DrafterKind.EXTRACTIVE, version="1")
SUPERVISION = (
    "学校制定《本科教学督导工作办法》，建立校院两级教学督导制度，督导专家每学期听课2000余节，"
    "形成问题清单并跟踪整改，整改完成率达到96%，督导意见纳入教师教学质量评价与年度考核。"
)


def evidence(quote: str, page: int, *, rank: int, last_page: int | None = None, display: str | None = None):
    """A quote on a page (or a span of pages) under two headings."""
    return rm.Evidence(
        chunk_id=f"c{page}-{rank}",
        document_id="d1",
        quote=quote,
        quote_start=0,
        quote_end=len(quote),
        page_start=page,
        page_end=last_page or page,
        heading_path=("三、质量保障", f"（{rank}）督导与评价"),
        fused_score=0.05,
        rank=rank,
        display_zh=display,
    )


def point(point_id: str, text: str, mark: Mark, quotes: tuple[rm.Evidence, ...], **extra) -> rm.PointAssessment:
    return rm.PointAssessment(
        point_id=point_id,
        point_text=text,
        mark=mark,
        evidence=quotes,
        signals=_SIGNALS,
        rationale_zh=f"{text}：报告{'有' if quotes else '没有'}相关表述，初审标记为{mark.zh}。",
        **extra,
    )


def build_review() -> rm.Review:
    """Indicators 4.1 and 6.1 of the small rubric: 句号 1, 破折号 2, 问号 1; six quotes on 6.1.1 fill pages."""
    ratio = rm.ReportedFigure(
        metric="生师比",
        value=17.5,
        unit=":1",
        text="17.5:1",
        chunk_id="t1",
        label="生师比",
        page=2,
        evidence="生师比 | 17.5:1",
        origin=FactOrigin.TABLE,
        table_title="表1 学校基本数据",
        row=1,
        column=1,
        meets_floor=True,
    )
    row = evidence("生师比 | 17.5:1", 2, rank=1, display="「表1 学校基本数据：生师比 = 17.5:1」")
    teachers = (
        point(
            "4.1.1",
            "生师比",
            Mark.CLEAR,
            (row, evidence("学校现有专任教师1260人，生师比为17.5:1。", 2, rank=2)),
            figure=ratio,
        ),
        point(
            "4.1.2",
            "教师教学发展中心开展教师培训与教学能力提升的情况",
            Mark.MORE_MATERIAL,
            (evidence("学校高度重视教师教学能力提升工作，不断加强师资队伍建设。", 2, rank=1),),
        ),
    )
    supervision = tuple(
        evidence(f"{SUPERVISION}（第{n}学期）", 3 + n, rank=n, last_page=4 + n if n == 2 else None) for n in range(1, 7)
    )
    quality = (
        point("6.1.1", "教学督导与听课评课制度的建立与运行情况", Mark.VERIFY_ON_SITE, supervision),
        point("6.1.2", "毕业生跟踪调查与用人单位评价的开展情况", Mark.MORE_MATERIAL, ()),
    )
    assessments = (
        rm.IndicatorAssessment(
            indicator_id="4.1",
            indicator_name="师资结构",
            level="B",
            level_label="较充分",
            confidence=0.72,
            points=teachers,
            missing=(rm.MissingEvidence(point_id="4.1.2", expected_zh="教师培训记录；教学能力提升项目"),),
            advice=(
                rm.Advice(text_zh="补充近三年教师培训台账与参训率。", source="ciqa-guide-2021:4.2.1", point_id="4.1.2"),
            ),
            rationale_zh="生师比达到国家标准，教师发展仅有原则性表述。" * 3,
            draft=_DRAFT,
        ),
        rm.IndicatorAssessment(
            indicator_id="6.1",
            indicator_name="质量管理",
            level="C",
            level_label="不充分",
            confidence=0.55,
            points=quality,
            missing=(rm.MissingEvidence(point_id="6.1.2", expected_zh="毕业生跟踪调查报告；用人单位满意度调查"),),
            advice=(rm.Advice(text_zh="开展毕业生跟踪调查并公开结果。", source="6.1.2", point_id="6.1.2"),),
            rationale_zh="督导制度健全但成效待核实，毕业生跟踪调查未见报告。" * 3,
            draft=rm.DraftInfo(drafter=rm.DrafterKind.LLM, version="1", fallback_reason=None),
        ),
    )
    materials, questions = checklists(assessments)
    return rm.Review(
        document_id="d1",
        document_name="迷你自评报告.pdf",
        rubric_id="mini-audit",
        rubric_version="1.0",
        rubric_fingerprint="f" * 64,
        assessments=assessments,
        supplementary_materials=materials,
        site_visit_questions=questions,
    )


@pytest.fixture(scope="module")
def review() -> rm.Review:
    return build_review()


@pytest.fixture(scope="module")
def small_rubric():
    return parse_rubric(SMALL_RUBRIC)
