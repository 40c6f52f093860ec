"""Pure scoring of a diagnosis: the questionnaire of a rubric, mean self-ratings per point and indicator, and the
cross-check of a self-rating against the AI review's mark of the same point.

The cross-check reads a point's mark as the most and the least its evidence supports on the rubric's scale:
句号 (concrete evidence found) supports up to the top level and at least the second; 问号 (mentioned, not concrete)
at most the second level; 破折号 (nothing found) only the lowest. A mean self-rating half a level or more above
that ceiling is 自评偏高, half a level or more below the floor 自评偏低. A statement that evidence exists always
carries a quote re-checked verbatim against the stored text; without one the point is 引文未能核验, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from backend.diagnosis.models import (
    CrossCheck,
    Dimension,
    Question,
    Questionnaire,
    Quote,
    ScaleOption,
    Section,
    Verdict,
)
from backend.domain.assessment import PointAssessment
from backend.domain.diagnosis import Answer
from backend.domain.enums import Mark
from backend.rubrics.models import Indicator, Level, Rubric

# Half a level: a mean of several respondents that rounds to another level than the evidence supports.
MARGIN = 0.5
QUOTES_SHOWN = 2


def questionnaire(rubric: Rubric) -> Questionnaire:
    """The questionnaire of a rubric: one question per 审核重点, grouped by 一级 and the indicator holding it."""
    dimensions: dict[str, tuple[Indicator, dict[str, tuple[Indicator, list[Question]]]]] = {}
    for chain, point in rubric.iter_points():
        top, holder = chain[0], chain[-1]
        sections = dimensions.setdefault(top.id, (top, {}))[1]
        questions = sections.setdefault(holder.id, (holder, []))[1]
        questions.append(Question(point_id=point.id, text=point.text, expected=tuple(point.evidence)))
    return Questionnaire(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_name=rubric.name,
        scale=tuple(ScaleOption(id=lv.id, label=lv.label, score=lv.score, evidence=lv.evidence) for lv in rubric.scale),
        dimensions=tuple(
            Dimension(
                indicator_id=top.id,
                name=top.name,
                sections=tuple(
                    Section(indicator_id=ind.id, name=ind.name, questions=tuple(qs)) for ind, qs in sections.values()
                ),
            )
            for top, sections in dimensions.values()
        ),
    )


def ratings(rubric: Rubric, responses: Sequence[Sequence[Answer]]) -> dict[str, list[float]]:
    """Per point id, the scores of the levels respondents chose (unanswered points and unknown levels left out)."""
    scores = {lv.id: lv.score for lv in rubric.scale}
    found: dict[str, list[float]] = {}
    for answers in responses:
        for answer in answers:
            if answer.level in scores:
                found.setdefault(answer.point_id, []).append(scores[answer.level])
    return found


def indicator_scores(rubric: Rubric, point_means: Mapping[str, float]) -> dict[str, float | None]:
    """Every indicator's weighted mean over its rated review points and sub-indicators (None: nothing rated)."""
    result: dict[str, float | None] = {}

    def score(indicator: Indicator) -> float | None:
        parts = [(p.weight, point_means[p.id]) for p in indicator.review_points if p.id in point_means]
        for child in indicator.children:
            value = score(child)
            if value is not None:
                parts.append((child.weight, value))
        total = sum(w for w, _ in parts)
        result[indicator.id] = round(sum(w * v for w, v in parts) / total, 2) if total else None
        return result[indicator.id]

    for top in rubric.indicators:
        score(top)
    return result


def dimension_scores(rubric: Rubric, responses: Sequence[Sequence[Answer]]) -> tuple[float | None, ...]:
    """The 一级指标 scores of a set of responses, in rubric order."""
    means = {pid: sum(v) / len(v) for pid, v in ratings(rubric, responses).items()}
    scores = indicator_scores(rubric, means)
    return tuple(scores[top.id] for top in rubric.indicators)


@dataclass(frozen=True)
class Bounds:
    """What a point's mark supports on the scale: at most ``ceiling``, at least ``floor``."""

    ceiling: Level
    floor: Level


def bounds(scale: Sequence[Level], mark: Mark) -> Bounds:
    """The levels a mark supports (see the module docstring)."""
    levels = sorted(scale, key=lambda lv: -lv.score)
    second = levels[1] if len(levels) > 1 else levels[0]
    if mark is Mark.CLEAR:
        return Bounds(ceiling=levels[0], floor=second)
    if mark is Mark.VERIFY_ON_SITE:
        return Bounds(ceiling=second, floor=levels[-1])
    return Bounds(ceiling=levels[-1], floor=levels[-1])


def level_label(scale: Sequence[Level], score: float) -> str:
    """The label of the level nearest a (mean) score, e.g. 3.4 → B 良好."""
    nearest = min(scale, key=lambda lv: (abs(lv.score - score), -lv.score))
    return f"{nearest.id} {nearest.label}"


def cross_check(
    *,
    scale: Sequence[Level],
    score: float | None,
    assessed: PointAssessment | None,
    quotes: Sequence[Quote],
    document: str | None,
    expected: Sequence[str],
) -> CrossCheck:
    """A point's self-rating against its review: ``quotes`` are the point's quotes that passed the verbatim check."""
    if document is None:
        text = "尚无以本指标体系完成 AI 初审的材料，未能核对自评。"
        return CrossCheck(verdict=Verdict.NO_EVIDENCE, statement_zh=text)
    if assessed is None:
        return CrossCheck(verdict=Verdict.NO_EVIDENCE, statement_zh=f"《{document}》的 AI 初审结果中没有该审核重点。")
    mark_zh = assessed.mark.zh
    if score is None:
        return CrossCheck(verdict=Verdict.NOT_RATED, review_mark_zh=mark_zh, statement_zh="尚无已提交的自评。")
    limits = bounds(scale, assessed.mark)
    mine = level_label(scale, score)
    shown = tuple(quotes[:QUOTES_SHOWN])
    if score - limits.ceiling.score >= MARGIN:
        if assessed.mark is Mark.MORE_MATERIAL:
            wanted = "、".join(expected) or "相关制度文件和实践记录"
            text = (
                f"自评为“{mine}”，但 AI 初审未在《{document}》中找到该审核重点的证据（{mark_zh}），"
                f"证据仅支持“{limits.ceiling.id} {limits.ceiling.label}”。请补充：{wanted}。"
            )
            return CrossCheck(verdict=Verdict.OVERRATED, review_mark_zh=mark_zh, statement_zh=text)
        if not shown:
            return _unverified(mark_zh)
        text = (
            f"自评为“{mine}”，但《{document}》中的相关表述缺少具体做法、数据或成效（{mark_zh}），"
            f"证据最多支持“{limits.ceiling.id} {limits.ceiling.label}”："
        )
        return CrossCheck(verdict=Verdict.OVERRATED, review_mark_zh=mark_zh, statement_zh=text, quotes=shown)
    if limits.floor.score - score >= MARGIN:
        if not shown:
            return _unverified(mark_zh)
        text = (
            f"自评为“{mine}”，而《{document}》已有具体证据（{mark_zh}），"
            f"至少支持“{limits.floor.id} {limits.floor.label}”，自评可能偏低："
        )
        return CrossCheck(verdict=Verdict.UNDERRATED, review_mark_zh=mark_zh, statement_zh=text, quotes=shown)
    text = f"自评“{mine}”与 AI 初审的证据相符（{mark_zh}）。"
    return CrossCheck(verdict=Verdict.CONSISTENT, review_mark_zh=mark_zh, statement_zh=text, quotes=shown)


def _unverified(mark_zh: str) -> CrossCheck:
    return CrossCheck(
        verdict=Verdict.UNVERIFIED,
        review_mark_zh=mark_zh,
        statement_zh="AI 初审的引文未能在原文中逐字核验，不作判断；请专家或本校对照原文核对。",
    )


def effective_score(score: float, check: CrossCheck, scale: Sequence[Level], mark: Mark | None) -> float:
    """The self-rating capped by what the evidence supports (for ranking the weakest points)."""
    if check.verdict is Verdict.OVERRATED and mark is not None:
        return min(score, bounds(scale, mark).ceiling.score)
    return score
