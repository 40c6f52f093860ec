"""整改跟踪: what a new version fixed compared with the review of the previous one."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from backend.domain.assessment import Evidence, Review
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode


class Change(StrEnum):
    """How a review point moved between versions."""

    NOW_COVERED = "now_covered"
    STILL_MISSING = "still_missing"
    NEWLY_MISSING = "newly_missing"
    IMPROVED = "improved"
    WORSENED = "worsened"
    UNCHANGED = "unchanged"


CHANGE_ZH = {
    Change.NOW_COVERED: "已补充",
    Change.STILL_MISSING: "仍缺失",
    Change.NEWLY_MISSING: "新增缺失",
    Change.IMPROVED: "改善",
    Change.WORSENED: "退步",
    Change.UNCHANGED: "未变化",
}
_MARK_ORDER = {Mark.MORE_MATERIAL: 0, Mark.VERIFY_ON_SITE: 1, Mark.CLEAR: 2}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PointChange(_Frozen):
    """One review point in both versions."""

    indicator_id: str
    point_id: str
    point_text: str = ""
    before: Mark | None
    after: Mark | None
    change: Change
    change_zh: str
    evidence: tuple[Evidence, ...] = ()  # the new version's best quotes for the point


# Quotes of the new version shown per point: enough to see what was added without the whole review.
EVIDENCE_PER_POINT = 2


class LevelChange(_Frozen):
    """One indicator's suggested level in both versions."""

    indicator_id: str
    indicator_name: str
    before: str | None
    after: str | None
    moved: int  # positive: better level on the scale


class VersionComparison(_Frozen):
    """The rectification report between two reviews of one submission under one rubric."""

    previous_document_id: str
    current_document_id: str
    rubric_id: str
    levels: tuple[LevelChange, ...]
    points: tuple[PointChange, ...]

    def count(self, change: Change) -> int:
        """How many points moved this way."""
        return sum(p.change is change for p in self.points)


def _classify(before: Mark | None, after: Mark | None) -> Change:
    if before is Mark.MORE_MATERIAL and after not in (None, Mark.MORE_MATERIAL):
        return Change.NOW_COVERED
    if before is Mark.MORE_MATERIAL and after is Mark.MORE_MATERIAL:
        return Change.STILL_MISSING
    if after is Mark.MORE_MATERIAL and before is not Mark.MORE_MATERIAL:
        return Change.NEWLY_MISSING
    if before is None or after is None or before is after:
        return Change.UNCHANGED
    return Change.IMPROVED if _MARK_ORDER[after] > _MARK_ORDER[before] else Change.WORSENED


def compare_reviews(previous: Review, current: Review, level_order: tuple[str, ...]) -> VersionComparison:
    """Compare two reviews made with the same rubric; ``level_order`` lists level ids best first."""
    if previous.rubric_id != current.rubric_id:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            "两个版本使用了不同的指标体系，无法比较。",
            f"{previous.rubric_id} != {current.rubric_id}",
        )
    rank = {level: i for i, level in enumerate(level_order)}
    before = {a.indicator_id: a for a in previous.assessments}
    after = {a.indicator_id: a for a in current.assessments}
    levels, points = [], []
    for ind_id in dict.fromkeys([*before, *after]):
        a, b = before.get(ind_id), after.get(ind_id)
        name = (b or a).indicator_name  # type: ignore[union-attr]
        moved = rank[a.level] - rank[b.level] if a and b and a.level in rank and b.level in rank else 0
        levels.append(
            LevelChange(
                indicator_id=ind_id,
                indicator_name=name,
                before=a.level if a else None,
                after=b.level if b else None,
                moved=moved,
            )
        )
        marks_before = {p.point_id: p.mark for p in a.points} if a else {}
        marks_after = {p.point_id: p.mark for p in b.points} if b else {}
        points_by_id = {p.point_id: p for p in (*(a.points if a else ()), *(b.points if b else ()))}
        new_points = {p.point_id: p for p in b.points} if b else {}
        for pid in dict.fromkeys([*marks_before, *marks_after]):
            change = _classify(marks_before.get(pid), marks_after.get(pid))
            points.append(
                PointChange(
                    indicator_id=ind_id,
                    point_id=pid,
                    point_text=points_by_id[pid].point_text,
                    before=marks_before.get(pid),
                    after=marks_after.get(pid),
                    change=change,
                    change_zh=CHANGE_ZH[change],
                    evidence=new_points[pid].evidence[:EVIDENCE_PER_POINT] if pid in new_points else (),
                )
            )
    return VersionComparison(
        previous_document_id=previous.document_id,
        current_document_id=current.document_id,
        rubric_id=current.rubric_id,
        levels=tuple(levels),
        points=tuple(points),
    )
