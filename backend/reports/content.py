"""What every rendering of a review says the same way: the header, pages, quotes, figures, levels and names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from backend.domain.assessment import (
    Advice,
    DrafterKind,
    Evidence,
    IndicatorAssessment,
    MissingEvidence,
    PointAssessment,
    ReportedFigure,
    Review,
)
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode
from backend.rubrics.models import Rubric
from indexing.models import FactOrigin

TITLE_ZH = "自评报告 AI 初审意见"
AI_NOTE_ZH = "AI 初审意见，仅供专家参考，最终结论以专家评审为准。"
MARK_MEANING_ZH = {
    Mark.CLEAR: "表述清楚、证据充分",
    Mark.MORE_MATERIAL: "需补充材料",
    Mark.VERIFY_ON_SITE: "需入校考察核实",
}
DRAFTER_ZH = {DrafterKind.EXTRACTIVE: "证据抽取", DrafterKind.LLM: "大模型"}
MATERIALS_ZH = "补充材料清单"
QUESTIONS_ZH = "入校考察问题清单"

# Characters XML 1.0 forbids (both DOCX and XLSX are XML); a PDF's text layer can carry them (form feeds).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class ReportHeader:
    """What the caller knows and the review does not: the institution, the report version, the review date."""

    institution: str | None = None
    version_label: str | None = None
    reviewed_on: date | None = None


NO_HEADER = ReportHeader()


def xml_text(text: str) -> str:
    """The text without the control characters XML cannot hold (nothing else is changed)."""
    return _NOT_XML.sub("", text)


def date_zh(day: date) -> str:
    """A date as Chinese documents write it: 2024年5月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def pages_zh(ev: Evidence) -> str:
    """Where a quote stands: 第 N 页 or 第 N–M 页."""
    if ev.page_start is None:
        return "页码未知"
    if ev.page_end and ev.page_end != ev.page_start:
        return f"第 {ev.page_start}–{ev.page_end} 页"
    return f"第 {ev.page_start} 页"


def section_zh(ev: Evidence) -> str:
    """The headings above a quote, outermost first."""
    return " > ".join(ev.heading_path)


def quoted_zh(ev: Evidence) -> str:
    """A quote as experts read it: a table row as 「表名：指标 = 值」, text in quotation marks."""
    return ev.display_zh or f"“{ev.quote}”"


def figure_zh(figure: ReportedFigure) -> str:
    """A reported figure with the cell or sentence stating it and, where the rubric has one, the floor check."""
    text = f"{figure.metric}：{figure.display_zh}"
    if figure.evidence and figure.evidence not in figure.display_zh:
        where = "所在表格行" if figure.origin is FactOrigin.TABLE else "原文"
        text += f"；{where}：{figure.evidence}"
    if figure.meets_floor is not None:
        text += "；达到国家标准" if figure.meets_floor else "；未达到国家标准"
    return text


def level_zh(a: IndicatorAssessment) -> str:
    """The suggested level with its label (once when they are the same)."""
    return a.level if a.level_label == a.level else f"{a.level} {a.level_label}"


def drafter_zh(a: IndicatorAssessment) -> str:
    """Who drafted an assessment, with the reason for a fallback."""
    fallback = f"（回退：{a.draft.fallback_reason}）" if a.draft.fallback_reason else ""
    return DRAFTER_ZH[a.draft.drafter] + fallback


def mark_counts(a: IndicatorAssessment) -> dict[Mark, int]:
    """How many of the indicator's points got each mark, every mark in order."""
    return {m: sum(p.mark is m for p in a.points) for m in Mark}


def missing_of(a: IndicatorAssessment, point: PointAssessment) -> tuple[MissingEvidence, ...]:
    """The evidence the report lacks for a point."""
    return tuple(m for m in a.missing if m.point_id == point.point_id)


def advice_of(a: IndicatorAssessment, point: PointAssessment) -> tuple[Advice, ...]:
    """The advice given on a point."""
    return tuple(x for x in a.advice if x.point_id == point.point_id)


def advice_zh(advice: Advice) -> str:
    """An improvement suggestion with the recommendation or clause it comes from."""
    return f"{advice.text_zh}（依据：{advice.source}）"


@dataclass(frozen=True)
class RubricNames:
    """Names the review does not store: the rubric's, and the 一级指标 (id, name) of each indicator."""

    rubric_zh: str
    top_level: dict[str, tuple[str, str]]

    @classmethod
    def of(cls, review: Review, rubric: Rubric | None) -> RubricNames:
        """Names from the rubric the review used; without it, the rubric id and no indicator names."""
        if rubric is None:
            return cls(rubric_zh=review.rubric_id, top_level={})
        if (rubric.id, rubric.version) != (review.rubric_id, review.rubric_version):
            raise AppError(
                ErrorCode.INVALID_INPUT,
                "指标体系与评审结果所用的版本不一致。",
                f"review {review.rubric_id} {review.rubric_version}, rubric {rubric.id} {rubric.version}",
            )
        top_level = {i: (top.id, top.name) for i, top in rubric.first_levels().items()}
        return cls(rubric_zh=f"{rubric.name}（{rubric.id}）", top_level=top_level)

    def parent_of(self, indicator_id: str) -> str | None:
        """The 一级指标 above an indicator as 「id name」, when the rubric is known and it is not the indicator."""
        top = self.top_level.get(indicator_id)
        return f"{top[0]} {top[1]}" if top and top[0] != indicator_id else None

    def top_level_of(self, indicator_id: str) -> str:
        """The 一级指标 of an indicator as 「id name」, or the first part of its id without the rubric."""
        top = self.top_level.get(indicator_id)
        return f"{top[0]} {top[1]}" if top else indicator_id.split(".")[0]
