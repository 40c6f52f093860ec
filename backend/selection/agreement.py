"""Agreement on marks, per indicator: the AI draft against each expert, and experts against each other (Cohen's κ)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from backend.db.queries import decisions, reviews
from backend.domain.enums import Mark


class IndicatorAgreement(BaseModel):
    """κ and the number of compared marks of one indicator; κ is None when it is undefined (no pairs, or every
    mark of both raters the same single mark, where chance agreement is total)."""

    model_config = ConfigDict(frozen=True)

    indicator_id: str
    ai_expert_kappa: float | None
    ai_expert_pairs: int
    expert_expert_kappa: float | None
    expert_expert_pairs: int


def _id_order(indicator_id: str) -> list[tuple[int, int, str]]:
    """1.2 before 1.10: numeric parts compare as numbers."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in indicator_id.split(".")]


def cohen_kappa(pairs: Sequence[tuple[Mark, Mark]]) -> float | None:
    """Cohen's κ of two raters over the three marks: (observed − chance agreement) ÷ (1 − chance agreement)."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a is b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(first[m] * second[m] for m in Mark) / (n * n)
    if chance == 1.0:
        return None
    return round((observed - chance) / (1 - chance), 3)


def indicator_agreement(
    expert_marks: Sequence[tuple[int, int, str, str, Mark]], ai_marks: Mapping[tuple[int, str], Mark]
) -> tuple[IndicatorAgreement, ...]:
    """Per indicator: κ of the AI mark against every expert's mark, and of every two experts on the same point.

    ``expert_marks`` holds (expert, assessment, indicator id, point id, mark); ``ai_marks`` the AI's mark by
    (assessment, point id).
    """
    ai_pairs: dict[str, list[tuple[Mark, Mark]]] = {}
    by_point: dict[tuple[int, str], list[Mark]] = {}
    indicator_of: dict[tuple[int, str], str] = {}
    for _, assessment_id, indicator_id, point_id, mark in expert_marks:
        key = (assessment_id, point_id)
        if key in ai_marks:
            ai_pairs.setdefault(indicator_id, []).append((ai_marks[key], mark))
        by_point.setdefault(key, []).append(mark)
        indicator_of[key] = indicator_id
    expert_pairs: dict[str, list[tuple[Mark, Mark]]] = {}
    for key, marks in by_point.items():
        expert_pairs.setdefault(indicator_of[key], []).extend(combinations(marks, 2))
    indicators = sorted(
        set(ai_pairs) | set(expert_pairs), key=lambda i: [int(p) if p.isdigit() else p for p in i.split(".")]
    )
    return tuple(
        IndicatorAgreement(
            indicator_id=i,
            ai_expert_kappa=cohen_kappa(ai_pairs.get(i, ())),
            ai_expert_pairs=len(ai_pairs.get(i, ())),
            expert_expert_kappa=cohen_kappa(expert_pairs.get(i, ())),
            expert_expert_pairs=len(expert_pairs.get(i, ())),
        )
        for i in indicators
    )


def campaign_agreement(session: Session, *, campaign_id: int) -> tuple[IndicatorAgreement, ...]:
    """κ per indicator over the campaign's submitted expert reviews."""
    expert_marks = decisions.campaign_point_marks(session, campaign_id=campaign_id)
    ai_marks: dict[tuple[int, str], Mark] = {}
    for assessment_id in {row[1] for row in expert_marks}:
        for point in reviews.get_assessment(session, assessment_id=assessment_id).summary.points:
            ai_marks[(assessment_id, point.point_id)] = point.mark
    return indicator_agreement(expert_marks, ai_marks)
