"""The campaign's ranking as the secretariat reads it, and the shortlist it fixes.

Built on :func:`backend.review.operations.campaign_ranking` (scores per submission, ranked within category): one row
per institution (its newest ranked submission), ties marked, the quota cut-off drawn with tagged seats filled first
(其中数字化 2 所: the best-ranked tagged submissions take those seats, the rest go by rank to everyone), and each
score explained per first-level indicator from the marks and levels it rests on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import AssessmentRecord, Campaign, CampaignQuotas, DocumentRole, ReviewRecord, ShortlistEntry
from backend.db.queries import audit, reviews, selection, submissions, versions
from backend.domain.assessment import Review
from backend.domain.enums import InstitutionType, Mark
from backend.errors import AppError, ErrorCode
from backend.review.operations import campaign_ranking, expert_final_reviews
from backend.review.ranking import CampaignRanking
from backend.rubrics.models import Rubric
from backend.rubrics.registry import rubric_registry


class ScoreSource(StrEnum):
    """What a score rests on: the experts' submitted decisions, or only the AI's draft."""

    EXPERT = "expert"
    AI = "ai"

    @property
    def zh(self) -> str:
        """How the ranking labels it."""
        return "专家评审" if self is ScoreSource.EXPERT else "AI 初评（未经专家确认）"


@dataclass(frozen=True)
class DecidedIndicator:
    """An assessed indicator's level and point marks as decided (by the experts where they did, else the AI)."""

    indicator_id: str
    level: str
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class DimensionScore:
    """A first-level indicator's part of a score: its mean level (0–1), its indicators' levels, its marks."""

    indicator_id: str
    name: str
    score: float
    levels: tuple[tuple[str, str], ...]
    marks: Mapping[Mark, int]


def explain(decided: Sequence[DecidedIndicator], rubric: Rubric) -> tuple[DimensionScore, ...]:
    """The score per first-level indicator, in rubric order, from decided levels and marks."""
    scores = {lv.id: lv.score for lv in rubric.scale}
    labels = {lv.id: lv.label for lv in rubric.scale}
    low, high = min(scores.values()), max(scores.values())
    top_of = rubric.first_levels()
    names = {i.id: i.name for _, i in rubric.iter_indicators()}
    grouped: dict[str, list[DecidedIndicator]] = {}
    for d in decided:
        grouped.setdefault(top_of[d.indicator_id].id if d.indicator_id in top_of else d.indicator_id, []).append(d)
    parts = []
    for top in rubric.indicators:
        items = grouped.get(top.id, [])
        if not items:
            continue
        mean = sum(scores.get(d.level, low) for d in items) / len(items)
        marks = {m: sum(d.marks.count(m) for d in items) for m in Mark}
        parts.append(
            DimensionScore(
                top.id,
                top.name,
                round((mean - low) / (high - low), 4) if high > low else 0.0,
                tuple((names.get(d.indicator_id, d.indicator_id), labels.get(d.level, d.level)) for d in items),
                marks,
            )
        )
    return tuple(parts)


def decided_by_experts(finals: Sequence[Review]) -> list[DecidedIndicator]:
    """The levels and marks as each submitting expert left them; with several experts every expert's indicators
    count (levels average across them, marks add up), as their scores do in the ranking."""
    return [
        DecidedIndicator(a.indicator_id, a.level, tuple(p.mark for p in a.points))
        for final in finals
        for a in final.assessments
    ]


def decided_by_ai(records: Sequence[AssessmentRecord]) -> list[DecidedIndicator]:
    """The AI draft's levels and marks, from a review's assessment summaries."""
    return [DecidedIndicator(r.indicator_id, r.summary.level, tuple(p.mark for p in r.summary.points)) for r in records]


@dataclass(frozen=True)
class Candidate:
    """A ranked submission of an institution, with what the view needs beside its score."""

    submission_id: int
    institution_id: int
    institution_name: str
    category: InstitutionType
    score: float
    clear_points: int
    missing_points: int
    tags: tuple[str, ...]
    source: ScoreSource


@dataclass(frozen=True)
class RankRow:
    """An institution's place in its category: rank, tie with a neighbour, proposed seat (tag or general)."""

    candidate: Candidate
    rank: int
    tied: bool
    selected: bool
    seat_tag: str | None
    other_submissions: int


@dataclass(frozen=True)
class CategoryRanking:
    """A category's rows in rank order with its quota and tagged seats."""

    category: InstitutionType
    quota: int
    tagged: Mapping[str, int]
    rows: tuple[RankRow, ...]

    @property
    def selected(self) -> int:
        """How many rows the quota selects."""
        return sum(r.selected for r in self.rows)

    @property
    def cutoff_rank(self) -> int | None:
        """The rank of the last row taken by rank (general seats), None when none is."""
        general = [r.rank for r in self.rows if r.selected and r.seat_tag is None]
        return max(general) if general else None

    @property
    def tie_at_cutoff(self) -> bool:
        """A row left out has the same score as the last row taken: the secretariat must decide."""
        taken = [r.candidate.score for r in self.rows if r.selected]
        left = [r.candidate.score for r in self.rows if not r.selected]
        return bool(taken and left) and min(taken) == max(left)


def select(candidates: Sequence[Candidate], *, quota: int, tagged: Mapping[str, int]) -> list[RankRow]:
    """Rank order kept; one row per institution (its newest submission); tagged seats first, then by rank."""
    newest: dict[int, Candidate] = {}
    extra: dict[int, int] = {}
    for c in candidates:
        kept = newest.get(c.institution_id)
        if kept is not None:
            extra[c.institution_id] = extra.get(c.institution_id, 0) + 1
        if kept is None or c.submission_id > kept.submission_id:
            newest[c.institution_id] = c
    order = [c for c in candidates if newest[c.institution_id] is c]
    seat: dict[int, str | None] = {}
    for tag, seats in tagged.items():
        holders = [c for c in order if tag in c.tags and c.submission_id not in seat][:seats]
        seat |= {c.submission_id: tag for c in holders}
    general = [c for c in order if c.submission_id not in seat][: max(quota - len(seat), 0)]
    seat |= {c.submission_id: None for c in general}
    return [
        RankRow(
            c,
            rank=i,
            tied=any(o is not c and o.score == c.score for o in order),
            selected=c.submission_id in seat,
            seat_tag=seat.get(c.submission_id),
            other_submissions=extra.get(c.institution_id, 0),
        )
        for i, c in enumerate(order, start=1)
    ]


def rank_categories(
    ranking: CampaignRanking,
    quotas: CampaignQuotas,
    *,
    institution_of: Mapping[int, int],
    tags: Mapping[int, tuple[str, ...]],
    expert_scored: Collection[int] = (),
) -> tuple[CategoryRanking, ...]:
    """The campaign ranking as categories of institutions with the quota applied; ``expert_scored`` names the
    submissions whose score rests on submitted expert decisions (the rest rest on the AI draft)."""
    result = []
    for category in InstitutionType:
        ranked = ranking.by_type.get(category, ())
        quota = quotas.by_type.get(category, 0)
        if not ranked and not quota:
            continue
        candidates = [
            Candidate(
                r.submission_id,
                institution_of[r.submission_id],
                r.institution_name,
                category,
                r.score,
                r.clear_points,
                r.missing_points,
                tags.get(r.submission_id, ()),
                ScoreSource.EXPERT if r.submission_id in expert_scored else ScoreSource.AI,
            )
            for r in ranked
        ]
        tagged = {q.tag: q.seats for q in quotas.tagged if q.type is category}
        result.append(CategoryRanking(category, quota, tagged, tuple(select(candidates, quota=quota, tagged=tagged))))
    return tuple(result)


def newest_review(session: Session, *, submission_id: int, rubric_id: str) -> ReviewRecord | None:
    """The newest review with this rubric of the submission's newest reviewed report version."""
    for version in reversed(versions.list_versions(session, submission_id=submission_id, role=DocumentRole.MAIN)):
        review = reviews.latest_review(session, version_id=version.id, rubric_id=rubric_id)
        if review is not None:
            return review
    return None


@dataclass(frozen=True)
class CampaignShortlist:
    """What the ranking page shows: the categories, each row's score explained, and the fixed shortlist."""

    campaign: Campaign
    categories: tuple[CategoryRanking, ...]
    explained: Mapping[int, tuple[DimensionScore, ...]]
    review_of: Mapping[int, int]
    fixed: Sequence[ShortlistEntry]

    def row(self, institution_id: int) -> RankRow | None:
        """The institution's row, if it is ranked."""
        return next((r for c in self.categories for r in c.rows if r.candidate.institution_id == institution_id), None)


def campaign_shortlist(session: Session, *, campaign: Campaign, settings: Settings) -> CampaignShortlist:
    """The ranking page's data for a campaign."""
    rubric = rubric_registry(settings).get(campaign.rubric_id)
    ranking = campaign_ranking(session, campaign_id=campaign.id, settings=settings)
    institution_of = {s.id: s.institution_id for s in submissions.list_submissions(session, campaign_id=campaign.id)}
    categories = rank_categories(
        ranking,
        campaign.quotas,
        institution_of=institution_of,
        tags=selection.campaign_tags(session, campaign_id=campaign.id),
        # Scores of submissions with submitted expert reviews rest on the experts' decisions (backend.review.ranking).
        expert_scored={r.submission_id for ranked in ranking.by_type.values() for r in ranked if r.experts},
    )
    explained, review_of = {}, {}
    for row in (r for c in categories for r in c.rows):
        review = newest_review(session, submission_id=row.candidate.submission_id, rubric_id=campaign.rubric_id)
        if review is not None:
            review_of[row.candidate.submission_id] = review.id
            finals = expert_final_reviews(session, review_id=review.id)
            if finals:
                explained[row.candidate.submission_id] = explain(decided_by_experts(finals), rubric)
            else:
                summaries = reviews.list_assessment_summaries(session, review_id=review.id)
                explained[row.candidate.submission_id] = explain(decided_by_ai(summaries), rubric)
    fixed = selection.list_shortlist(session, campaign_id=campaign.id)
    return CampaignShortlist(campaign, categories, explained, review_of, fixed)


def fix_shortlist(
    session: Session,
    *,
    shortlist: CampaignShortlist,
    chosen: Collection[int],
    note: str,
    user_id: int,
    now: dt.datetime,
) -> Sequence[ShortlistEntry]:
    """Fix the chosen institutions as the shortlist; a choice other than the quota's proposal needs a note, and no
    category may take more than its quota.

    Raises:
        AppError: ``INVALID_INPUT`` for an unranked institution, a category over quota, or a missing note.
    """
    rows = []
    for category in shortlist.categories:
        picked = [r for r in category.rows if r.candidate.institution_id in chosen]
        if len(picked) > category.quota:
            raise AppError(
                ErrorCode.INVALID_INPUT,
                f"{category.category.value}类名额为 {category.quota} 所，已选 {len(picked)} 所。",
                f"{category.category} over quota",
            )
        rows += picked
    unknown = set(chosen) - {r.candidate.institution_id for r in rows}
    if unknown:
        raise AppError(ErrorCode.INVALID_INPUT, "所选单位不在排名中。", f"unranked institutions {sorted(unknown)}")
    proposed = {r.candidate.institution_id for c in shortlist.categories for r in c.rows if r.selected}
    if set(chosen) != proposed and not note.strip():
        raise AppError(
            ErrorCode.INVALID_INPUT, "入围名单与按名额推荐的名单不同，请在备注中说明理由。", "deviation without note"
        )
    entries = selection.replace_shortlist(
        session,
        campaign_id=shortlist.campaign.id,
        rows=[
            selection.ShortlistRow(
                r.candidate.institution_id,
                r.candidate.submission_id,
                r.candidate.category,
                r.rank,
                r.candidate.score,
                note.strip(),
            )
            for r in rows
        ],
        fixed_by=user_id,
        now=now,
    )
    audit.record_event(
        session,
        actor_id=user_id,
        action="shortlist.fix",
        object_type="campaign",
        object_id=shortlist.campaign.id,
        detail=f"{sorted(chosen)} {note.strip()}",
    )
    return entries
