"""The campaign's ranking as the secretariat reads it, and the shortlist it fixes.

Built on :func:`backend.review.ranking.rank_campaign` (scores per submission, ranked within category): in a campaign
of reports one row per institution (its newest ranked submission), in a case campaign one row per case (an
institution may file several good cases, and each competes for a seat on its own); ties marked, each score explained
per first-level indicator from the marks and levels it rests on, and the quotas applied to propose the shortlist.

How the seats fill (:func:`allocate`; the ranking page's help text says the same):

1. Seats. A category with its own quota takes at most that many. With a total quota, the categories without their
   own quota share what the category quotas leave of the total; without a total they take none. The total is
   never exceeded (the category quotas may not add up to more than it).
2. Tagged seats are reserved within those seats, never added to them. Category-scoped ones first (高职其中数字化 2
   所: the best-ranked 高职 submissions tagged 数字化), then the cross-category ones (50 所中数字化 5 所: the
   tagged submissions of every category by score, then fewer 破折号, then rank in category). A tagged submission
   only takes a seat while its category (or the shared seats) has room, so a tagged seat never breaks a category
   quota.
3. The remaining seats go by rank: within each category with its own quota, and by score across the categories
   sharing the total's remaining seats. A tagged seat nobody can take (too few tagged submissions) goes by rank.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import Campaign, CampaignQuotas, ShortlistEntry, TagQuota
from backend.db.queries import audit, selection, submissions
from backend.domain.assessment import Review
from backend.domain.enums import InstitutionType, Mark, SubmissionKind
from backend.errors import AppError, ErrorCode
from backend.review.operations import ranking_entries
from backend.review.ranking import CampaignRanking, rank_campaign
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


class ShortlistUnit(StrEnum):
    """What a ranking row and a shortlist seat stand for: an institution (its newest report), or one case."""

    INSTITUTION = "institution"
    CASE = "case"

    @classmethod
    def of(cls, campaign: Campaign) -> ShortlistUnit:
        """Cases in a case campaign, institutions in a campaign of reports."""
        return cls.CASE if campaign.kind is SubmissionKind.CASE else cls.INSTITUTION

    @property
    def measure_zh(self) -> str:
        """The measure word that counts seats and rows: 所 (institutions) or 个 (cases)."""
        return "个" if self is ShortlistUnit.CASE else "所"

    @property
    def noun_zh(self) -> str:
        """What a row is called on the page: 单位 or 案例."""
        return "案例" if self is ShortlistUnit.CASE else "单位"

    def key(self, item: Candidate | ShortlistEntry) -> int:
        """What identifies a row among the chosen and on the fixed shortlist: the case's submission, else the
        institution (a report campaign's entry stays the institution's when it files a newer report)."""
        return item.submission_id if self is ShortlistUnit.CASE else item.institution_id

    def label_zh(self, *, institution: str, title: str) -> str:
        """A row's name in sentences and exports: the case title with its institution, else the institution."""
        return f"{title}（{institution}）" if self is ShortlistUnit.CASE else institution


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


def decided_by(counted: Sequence[Review]) -> list[DecidedIndicator]:
    """The levels and marks a score rests on: each submitting expert's reviews (levels average across experts, marks
    add up, as their scores do in the ranking), else the AI draft."""
    return [
        DecidedIndicator(a.indicator_id, a.level, tuple(p.mark for p in a.points))
        for review in counted
        for a in review.assessments
    ]


@dataclass(frozen=True)
class Candidate:
    """A ranked submission of an institution, with what the view needs beside its score (``title``: the
    submission's, a case campaign's row names its case)."""

    submission_id: int
    institution_id: int
    institution_name: str
    category: InstitutionType
    score: float
    clear_points: int
    missing_points: int
    tags: tuple[str, ...]
    source: ScoreSource
    title: str = ""


@dataclass(frozen=True)
class RankRow:
    """A row's place in its category (an institution, or a case): rank, tie with a neighbour, proposed seat (a tagged
    one or by rank)."""

    candidate: Candidate
    rank: int
    tied: bool
    selected: bool
    seat: TagQuota | None
    other_submissions: int

    @property
    def seat_tag(self) -> str | None:
        """The tag of the reserved seat the row takes, None for a seat by rank (or none)."""
        return self.seat.tag if self.seat is not None else None

    @property
    def seat_zh(self) -> str:
        """The proposed seat as the secretariat reads it: 数字化名额 / 数字化名额（跨类别）/ 按排名 / empty."""
        if not self.selected:
            return ""
        if self.seat is None:
            return "按排名"
        return f"{self.seat.tag}名额" + ("（跨类别）" if self.seat.type is None else "")


@dataclass(frozen=True)
class CategoryRanking:
    """A category's rows in rank order with its quota (None: it shares the total's remaining seats), the tagged
    seats reserved within it, and what a row stands for."""

    category: InstitutionType
    quota: int | None
    tagged: Mapping[str, int]
    rows: tuple[RankRow, ...]
    unit: ShortlistUnit = ShortlistUnit.INSTITUTION

    @property
    def quota_zh(self) -> str:
        """The category's seats as the secretariat reads them."""
        if self.quota is None:
            return "无单列名额（共享总名额剩余名额）"
        return f"名额 {self.quota} {self.unit.measure_zh}"

    @property
    def selected(self) -> int:
        """How many rows the quotas select."""
        return sum(r.selected for r in self.rows)

    @property
    def cutoff_rank(self) -> int | None:
        """The rank of the last row taken by rank (not by a tagged seat), None when none is."""
        general = [r.rank for r in self.rows if r.selected and r.seat is None]
        return max(general) if general else None

    @property
    def tie_at_cutoff(self) -> bool:
        """A row left out has the same score as the last row taken: the secretariat must decide."""
        taken = [r.candidate.score for r in self.rows if r.selected]
        left = [r.candidate.score for r in self.rows if not r.selected]
        return bool(taken and left) and min(taken) == max(left)


def newest_per_institution(candidates: Sequence[Candidate]) -> tuple[list[Candidate], dict[int, int]]:
    """Rank order kept, one candidate per institution (its newest submission); how many others each one had."""
    newest: dict[int, Candidate] = {}
    extra: dict[int, int] = {}
    for c in candidates:
        kept = newest.get(c.institution_id)
        if kept is not None:
            extra[c.institution_id] = extra.get(c.institution_id, 0) + 1
        if kept is None or c.submission_id > kept.submission_id:
            newest[c.institution_id] = c
    return [c for c in candidates if newest[c.institution_id] is c], extra


def allocate(
    ranked: Mapping[InstitutionType, Sequence[Candidate]], quotas: CampaignQuotas
) -> dict[int, TagQuota | None]:
    """The proposed seats, as the module's docstring says: submission id -> the tagged seat it takes, or None for a
    seat by rank; candidates left out are absent. ``ranked`` holds each category's candidates in rank order."""
    # A category with its own quota is its own pool of seats; the others share one (key None).
    room: dict[InstitutionType | None, int] = {k: n for k, n in quotas.by_type.items()}
    room[None] = quotas.shared
    pool = {c: c if c in quotas.by_type else None for c in ranked}
    place = {c.submission_id: i for cs in ranked.values() for i, c in enumerate(cs)}
    order = sorted(
        (c for cs in ranked.values() for c in cs), key=lambda c: (-c.score, c.missing_points, place[c.submission_id])
    )
    seat: dict[int, TagQuota | None] = {}

    def take(c: Candidate, quota: TagQuota | None) -> None:
        seat[c.submission_id] = quota
        room[pool[c.category]] -= 1

    scoped = [q for q in quotas.tagged if q.type is not None]
    for quota in [*scoped, *(q for q in quotas.tagged if q.type is None)]:
        holders = 0
        for c in ranked.get(quota.type, ()) if quota.type is not None else order:
            if holders == quota.seats:
                break
            if quota.tag in c.tags and c.submission_id not in seat and room[pool[c.category]] > 0:
                take(c, quota)
                holders += 1
    for c in order:
        if c.submission_id not in seat and room[pool[c.category]] > 0:
            take(c, None)
    return seat


def rank_categories(
    ranking: CampaignRanking,
    quotas: CampaignQuotas,
    *,
    institution_of: Mapping[int, int],
    tags: Mapping[int, tuple[str, ...]],
    expert_scored: Collection[int] = (),
    unit: ShortlistUnit = ShortlistUnit.INSTITUTION,
) -> tuple[CategoryRanking, ...]:
    """The campaign ranking as categories of rows with the quotas applied: one row per institution, or per case for
    ``unit`` CASE; ``expert_scored`` names the submissions whose score rests on submitted expert decisions (the rest
    rest on the AI draft)."""
    ranked: dict[InstitutionType, list[Candidate]] = {}
    extra: dict[int, int] = {}
    for category in InstitutionType:
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
                r.title,
            )
            for r in ranking.by_type.get(category, ())
        ]
        if unit is ShortlistUnit.CASE:
            ranked[category] = candidates
        else:
            ranked[category], others = newest_per_institution(candidates)
            extra |= others
    seat = allocate(ranked, quotas)
    result = []
    for category, order in ranked.items():
        quota = quotas.by_type.get(category)
        if not order and not quota:
            continue
        scores = Counter(c.score for c in order)
        rows = tuple(
            RankRow(
                c,
                rank=i,
                tied=scores[c.score] > 1,
                selected=c.submission_id in seat,
                seat=seat.get(c.submission_id),
                other_submissions=extra.get(c.institution_id, 0),
            )
            for i, c in enumerate(order, start=1)
        )
        tagged = {q.tag: q.seats for q in quotas.tagged if q.type is category}
        result.append(CategoryRanking(category, quota, tagged, rows, unit))
    return tuple(result)


@dataclass(frozen=True)
class CampaignShortlist:
    """What the ranking page shows: the categories, each row's score explained, and the fixed shortlist."""

    campaign: Campaign
    categories: tuple[CategoryRanking, ...]
    explained: Mapping[int, tuple[DimensionScore, ...]]
    review_of: Mapping[int, int]
    fixed: Sequence[ShortlistEntry]

    @property
    def quotas(self) -> CampaignQuotas:
        """The campaign's quotas."""
        return self.campaign.quotas

    @property
    def unit(self) -> ShortlistUnit:
        """What a row stands for in this campaign."""
        return ShortlistUnit.of(self.campaign)

    @property
    def per_case(self) -> bool:
        """Whether each case is its own row (a case campaign)."""
        return self.unit is ShortlistUnit.CASE

    def key(self, row: RankRow) -> int:
        """The row's id among the chosen and on the fixed shortlist (the institution's, or the case's)."""
        return self.unit.key(row.candidate)

    @functools.cached_property
    def _fixed_by_key(self) -> Mapping[int, ShortlistEntry]:
        return {self.unit.key(e): e for e in self.fixed}

    @property
    def fixed_keys(self) -> frozenset[int]:
        """The keys of the rows on the fixed shortlist."""
        return frozenset(self._fixed_by_key)

    def fixed_entry(self, row: RankRow) -> ShortlistEntry | None:
        """The row's entry on the fixed shortlist, if it has one (looked up once per row of the page and exports)."""
        return self._fixed_by_key.get(self.key(row))

    def label(self, row: RankRow) -> str:
        """The row's name in sentences and exports."""
        return self.unit.label_zh(institution=row.candidate.institution_name, title=row.candidate.title)

    def entry_label(self, entry: ShortlistEntry) -> str:
        """A fixed shortlist entry's name in sentences and exports."""
        return self.unit.label_zh(institution=entry.institution.name, title=entry.submission.title)

    @property
    def selected(self) -> int:
        """How many rows the quotas select in all."""
        return sum(c.selected for c in self.categories)

    @property
    def quotas_zh(self) -> str:
        """The campaign's total and cross-category seats with who takes them, as one sentence."""
        quotas, measure = self.quotas, self.unit.measure_zh
        summed = "" if quotas.total is not None else "（各类别名额之和）"
        parts = [f"总名额 {quotas.capacity} {measure}{summed}"]
        for quota in (q for q in quotas.tagged if q.type is None):
            holders = "、".join(self.label(r) for r in self.holders(quota)) or "暂无"
            parts.append(f"其中{quota.tag} {quota.seats} {measure}（跨类别，按名额推荐：{holders}）")
        parts.append(f"按名额推荐 {self.selected} {measure}")
        return "；".join(parts)

    def holders(self, quota: TagQuota) -> list[RankRow]:
        """The rows taking the seats of a tagged quota."""
        return [r for c in self.categories for r in c.rows if r.seat == quota]

    def row(self, key: int) -> RankRow | None:
        """The row of an institution (a case campaign: of a case's submission), if it is ranked."""
        return next((r for c in self.categories for r in c.rows if self.key(r) == key), None)


def campaign_shortlist(session: Session, *, campaign: Campaign, settings: Settings) -> CampaignShortlist:
    """The ranking page's data for a campaign (each expert's final review is built once, for score and basis)."""
    rubric = rubric_registry(settings).get(campaign.rubric_id)
    entries = ranking_entries(session, campaign=campaign)
    ranking = rank_campaign(entries, rubric)
    institution_of = {s.id: s.institution_id for s in submissions.list_submissions(session, campaign_id=campaign.id)}
    categories = rank_categories(
        ranking,
        campaign.quotas,
        institution_of=institution_of,
        tags=selection.campaign_tags(session, campaign_id=campaign.id),
        # Scores of submissions with submitted expert reviews rest on the experts' decisions (backend.review.ranking).
        expert_scored={e.submission_id for e in entries if e.expert_reviews},
        unit=ShortlistUnit.of(campaign),
    )
    shown = {r.candidate.submission_id for c in categories for r in c.rows}
    explained = {e.submission_id: explain(decided_by(e.counted), rubric) for e in entries if e.submission_id in shown}
    review_of = {e.submission_id: e.review_id for e in entries if e.review_id is not None}
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
    """Fix the chosen rows (institution ids; a case campaign: case submission ids) as the shortlist; a choice other
    than the quotas' proposal needs a note, the seats may not exceed a category's quota, the shared seats or the
    total, and a campaign of reports seats an institution once.

    Raises:
        AppError: ``INVALID_INPUT`` for an unranked row, seats over a quota, two rows of one institution in a
            campaign of reports, or a missing note.
    """
    unit = shortlist.unit
    rows = [r for c in shortlist.categories for r in c.rows if shortlist.key(r) in chosen]
    check_quotas(shortlist.quotas, rows, unit)
    unknown = set(chosen) - {shortlist.key(r) for r in rows}
    if unknown:
        raise AppError(
            ErrorCode.INVALID_INPUT, f"所选{unit.noun_zh}不在排名中。", f"unranked {unit.value} ids {sorted(unknown)}"
        )
    if unit is ShortlistUnit.INSTITUTION:
        check_one_per_institution(rows)
    proposed = {shortlist.key(r) for c in shortlist.categories for r in c.rows if r.selected}
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


def check_one_per_institution(rows: Sequence[RankRow]) -> None:
    """Refuse (INVALID_INPUT) two rows of one institution: a campaign of reports seats an institution once (the
    database's unique key is the submission, so that case campaigns can seat several cases of one institution)."""
    seats = Counter(r.candidate.institution_id for r in rows)
    twice = sorted({r.candidate.institution_name for r in rows if seats[r.candidate.institution_id] > 1})
    if twice:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            f"每个单位只能入围一次：{'、'.join(twice)}。",
            f"institutions chosen twice: {twice}",
        )


def check_quotas(quotas: CampaignQuotas, rows: Sequence[RankRow], unit: ShortlistUnit) -> None:
    """Refuse (INVALID_INPUT) a choice of more rows than a category's quota, the shared seats or the total allow."""
    measure = unit.measure_zh
    for category, quota in quotas.by_type.items():
        picked = sum(r.candidate.category is category for r in rows)
        if picked > quota:
            raise AppError(
                ErrorCode.INVALID_INPUT,
                f"{category.value}类名额为 {quota} {measure}，已选 {picked} {measure}。",
                f"{category} over quota",
            )
    shared = [r for r in rows if r.candidate.category not in quotas.by_type]
    if len(shared) > quotas.shared:
        names = "、".join(sorted({r.candidate.category.value for r in shared}))
        raise AppError(
            ErrorCode.INVALID_INPUT,
            f"{names}没有单列名额，共享总名额剩余的 {quotas.shared} {measure}，已选 {len(shared)} {measure}。",
            f"shared seats {quotas.shared} < {len(shared)}",
        )
    if quotas.total is not None and len(rows) > quotas.total:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            f"总名额为 {quotas.total} {measure}，已选 {len(rows)} {measure}。",
            "over total quota",
        )
