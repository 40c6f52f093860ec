"""Campaign ranking: submissions scored from their reviews, ranked within category (the quotas and seats are applied
by backend.selection.shortlist)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from backend.domain.assessment import Review
from backend.domain.enums import InstitutionType, Mark
from backend.rubrics.models import Rubric


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RankingEntry(_Frozen):
    """A submission to rank: who submitted it, its AI review, and the review as each submitting expert left it."""

    submission_id: int
    institution_name: str
    institution_type: InstitutionType
    review: Review
    # The submission's title: a case campaign ranks each case on its own and names it.
    title: str = ""
    expert_reviews: tuple[Review, ...] = ()
    # The stored review's id, when the entry was read from the database (links the ranking to the review page).
    review_id: int | None = None

    @property
    def counted(self) -> tuple[Review, ...]:
        """What the ranking counts: the submitted expert reviews where there are any, else the AI draft."""
        return self.expert_reviews or (self.review,)


class RankedSubmission(_Frozen):
    """A submission's place in its category."""

    submission_id: int
    institution_name: str
    institution_type: InstitutionType
    score: float
    rank: int
    clear_points: int
    missing_points: int
    experts: int = 0
    title: str = ""


class CampaignRanking(_Frozen):
    """Rankings per category (分类评价: institutions are compared only within their type)."""

    by_type: dict[InstitutionType, tuple[RankedSubmission, ...]]


def review_score(review: Review, rubric: Rubric) -> float:
    """Mean level score of the indicators, normalised to [0, 1] on the rubric's scale."""
    scores = {lv.id: lv.score for lv in rubric.scale}
    low, high = min(scores.values()), max(scores.values())
    if not review.assessments or high == low:
        return 0.0
    mean = sum(scores.get(a.level, low) for a in review.assessments) / len(review.assessments)
    return round((mean - low) / (high - low), 6)


def rank_campaign(entries: Sequence[RankingEntry], rubric: Rubric) -> CampaignRanking:
    """Rank within each institution type by score, then by fewer gaps."""
    by_type: dict[InstitutionType, list[tuple[tuple[float, int, int], RankingEntry, int, int]]] = {}
    for e in entries:
        # Several experts: the mean of their scores and of their counts (rounded), so each expert weighs the same.
        points = [[p for a in r.assessments for p in a.points] for r in e.counted]
        clear = round(sum(sum(p.mark is Mark.CLEAR for p in ps) for ps in points) / len(points))
        missing = round(sum(sum(p.mark is Mark.MORE_MATERIAL for p in ps) for ps in points) / len(points))
        score = round(sum(review_score(r, rubric) for r in e.counted) / len(e.counted), 6)
        key = (-score, missing, e.submission_id)
        by_type.setdefault(e.institution_type, []).append((key, e, clear, missing))
    ranked: dict[InstitutionType, tuple[RankedSubmission, ...]] = {}
    for kind, rows in by_type.items():
        rows.sort(key=lambda r: r[0])
        ranked[kind] = tuple(
            RankedSubmission(
                submission_id=e.submission_id,
                institution_name=e.institution_name,
                institution_type=kind,
                score=-key[0],
                rank=i,
                clear_points=clear,
                missing_points=missing,
                experts=len(e.expert_reviews),
                title=e.title,
            )
            for i, (key, e, clear, missing) in enumerate(rows, start=1)
        )
    return CampaignRanking(by_type=ranked)
