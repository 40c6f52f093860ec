"""Ranking as the secretariat reads it: one row per institution (a case campaign: per case), ties, quotas per
category with tagged seats, the score explained per first-level indicator from decided marks (an expert's decision
replaces the AI's)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backend.db.models import CampaignQuotas, TagQuota
from backend.domain.enums import InstitutionType, Mark
from backend.review.ranking import CampaignRanking, RankedSubmission
from backend.rubrics.registry import default_registry
from backend.selection.shortlist import (
    Candidate,
    DecidedIndicator,
    ScoreSource,
    ShortlistUnit,
    allocate,
    explain,
    rank_categories,
)

APPLIED, VOCATIONAL, RESEARCH = InstitutionType.APPLIED, InstitutionType.VOCATIONAL, InstitutionType.RESEARCH


def _candidate(
    submission_id: int,
    institution_id: int,
    score: float,
    tags: tuple[str, ...] = (),
    category: InstitutionType = APPLIED,
) -> Candidate:
    return Candidate(
        submission_id, institution_id, f"学校{institution_id}", category, score, 0, 0, tags, ScoreSource.AI
    )


def _ranking(*rows: tuple[InstitutionType, int, float]) -> CampaignRanking:
    """A ranking of (category, submission id = institution id, score) rows, in rank order per category."""
    by_type: dict[InstitutionType, list[RankedSubmission]] = {}
    for category, sid, score in rows:
        by_type.setdefault(category, []).append(
            RankedSubmission(
                submission_id=sid,
                institution_name=f"学校{sid}",
                institution_type=category,
                score=score,
                rank=len(by_type.get(category, ())) + 1,
                clear_points=0,
                missing_points=0,
            )
        )
    return CampaignRanking(by_type={k: tuple(v) for k, v in by_type.items()})


def _seats(categories) -> dict[int, str | None]:
    """Selected submission id -> how it is seated (the tag, or "rank")."""
    return {r.candidate.submission_id: r.seat_tag or "rank" for c in categories for r in c.rows if r.selected}


def test_one_row_per_institution_its_newest_submission():
    ranking = _ranking((APPLIED, 1, 0.9), (APPLIED, 2, 0.8), (APPLIED, 3, 0.7))
    categories = rank_categories(
        ranking, CampaignQuotas(by_type={APPLIED: 1}), institution_of={1: 10, 2: 20, 3: 10}, tags={}
    )
    rows = categories[0].rows
    assert [(r.candidate.institution_id, r.candidate.submission_id) for r in rows] == [(20, 2), (10, 3)]
    assert [r.rank for r in rows] == [1, 2]
    assert rows[1].other_submissions == 1
    assert [r.selected for r in rows] == [True, False]


def test_a_case_campaign_ranks_every_case_and_seats_two_of_one_institution():
    ranking = _ranking((APPLIED, 1, 0.9), (APPLIED, 2, 0.8), (APPLIED, 3, 0.7), (APPLIED, 4, 0.6))
    institution_of = {1: 10, 2: 20, 3: 10, 4: 30}
    # The institution's second case holds the 数字化 theme: the tagged seat is that case's, not the institution's.
    quotas = CampaignQuotas(by_type={APPLIED: 2}, tagged=(TagQuota(type=APPLIED, tag="数字化", seats=1),))
    categories = rank_categories(
        ranking, quotas, institution_of=institution_of, tags={3: ("数字化",)}, unit=ShortlistUnit.CASE
    )
    (applied,) = categories
    rows = applied.rows
    assert [(r.candidate.institution_id, r.candidate.submission_id, r.rank) for r in rows] == [
        (10, 1, 1),
        (20, 2, 2),
        (10, 3, 3),
        (30, 4, 4),
    ]
    assert [r.other_submissions for r in rows] == [0, 0, 0, 0]
    assert _seats(categories) == {3: "数字化", 1: "rank"}
    assert applied.quota_zh == "名额 2 个"
    # The same ranking in a campaign of reports: one row per institution, its newest submission.
    reports = rank_categories(ranking, quotas, institution_of=institution_of, tags={3: ("数字化",)})
    assert [r.candidate.submission_id for r in reports[0].rows] == [2, 3, 4]
    assert reports[0].rows[1].other_submissions == 1 and reports[0].quota_zh == "名额 2 所"


def test_tagged_seats_go_first_to_the_best_tagged_then_by_rank():
    ranked = {
        APPLIED: [
            _candidate(1, 1, 0.9),
            _candidate(2, 2, 0.8),
            _candidate(3, 3, 0.7, ("数字化",)),
            _candidate(4, 4, 0.6, ("数字化",)),
        ]
    }
    quota = TagQuota(type=APPLIED, tag="数字化", seats=1)
    seats = allocate(ranked, CampaignQuotas(by_type={APPLIED: 2}, tagged=(quota,)))
    assert seats == {3: quota, 1: None}
    # Fewer tagged candidates than seats: the unused seats go by rank.
    assert allocate({APPLIED: ranked[APPLIED][:2]}, CampaignQuotas(by_type={APPLIED: 2}, tagged=(quota,))) == {
        1: None,
        2: None,
    }


def test_total_quota_shared_by_categories_without_their_own_and_never_exceeded():
    # 5 seats in all, 2 for 高职; 研究型 and 应用型 share the other 3 by score across the two categories.
    ranking = _ranking(
        (RESEARCH, 1, 0.95),
        (RESEARCH, 2, 0.5),
        (APPLIED, 3, 0.9),
        (APPLIED, 4, 0.8),
        (APPLIED, 5, 0.4),
        (VOCATIONAL, 6, 0.3),
        (VOCATIONAL, 7, 0.2),
        (VOCATIONAL, 8, 0.1),
    )
    quotas = CampaignQuotas(by_type={VOCATIONAL: 2}, total=5)
    categories = rank_categories(ranking, quotas, institution_of={i: i for i in range(1, 9)}, tags={})
    assert _seats(categories) == {1: "rank", 3: "rank", 4: "rank", 6: "rank", 7: "rank"}
    by = {c.category: c for c in categories}
    assert by[VOCATIONAL].quota == 2 and by[APPLIED].quota is None
    assert by[APPLIED].cutoff_rank == 2 and by[RESEARCH].cutoff_rank == 1
    assert "共享" in by[APPLIED].quota_zh
    # Without a total, a category without its own quota takes nobody.
    categories = rank_categories(
        ranking, CampaignQuotas(by_type={VOCATIONAL: 2}), institution_of={i: i for i in range(1, 9)}, tags={}
    )
    assert _seats(categories) == {6: "rank", 7: "rank"}


def test_cross_category_tagged_seats_reserved_within_the_total():
    # "50 所中数字化 5 所，高职 15 所" in small: total 4, 高职 2, 数字化 2 across every category.
    ranking = _ranking(
        (RESEARCH, 1, 0.95),
        (RESEARCH, 2, 0.9),
        (APPLIED, 3, 0.85),
        (
            APPLIED,
            4,
            0.3,
        ),
        (VOCATIONAL, 5, 0.8),
        (VOCATIONAL, 6, 0.7),
        (VOCATIONAL, 7, 0.2),
    )
    digital = TagQuota(type=None, tag="数字化", seats=2)
    quotas = CampaignQuotas(by_type={VOCATIONAL: 2}, total=4, tagged=(digital,))
    tags = {4: ("数字化",), 7: ("数字化",)}
    categories = rank_categories(ranking, quotas, institution_of={i: i for i in range(1, 8)}, tags=tags)
    # The two tagged submissions take the reserved seats although they rank last in their categories; 高职 keeps
    # its quota of 2 (the tagged one counts in it), the shared seats (4 - 2 = 2) hold 1 by rank + 4 by tag.
    assert _seats(categories) == {4: "数字化", 7: "数字化", 1: "rank", 5: "rank"}
    assert sum(c.selected for c in categories) == 4
    by = {c.category: c for c in categories}
    row = next(r for r in by[APPLIED].rows if r.candidate.submission_id == 4)
    assert row.seat_zh == "数字化名额（跨类别）"
    assert by[VOCATIONAL].cutoff_rank == 1  # the last row taken by rank, not the tagged one below the line


def test_a_tagged_submission_never_breaks_its_category_quota():
    ranking = _ranking((VOCATIONAL, 1, 0.9), (VOCATIONAL, 2, 0.8), (APPLIED, 3, 0.7), (APPLIED, 4, 0.6))
    ids = {i: i for i in range(1, 5)}
    digital = TagQuota(type=None, tag="数字化", seats=1)
    quotas = CampaignQuotas(by_type={VOCATIONAL: 1, APPLIED: 1}, total=2, tagged=(digital,))
    # The best tagged submission takes the seat, and it counts in its category: 高职's top one is left out.
    seats = _seats(rank_categories(ranking, quotas, institution_of=ids, tags={2: ("数字化",), 4: ("数字化",)}))
    assert seats == {2: "数字化", 3: "rank"}
    # Category-scoped tags are filled first: 高职's one seat goes to 双高, so the cross-category 数字化 seat cannot
    # go to a 高职 submission any more and goes to the best tagged one with room (应用型 4, below 3 by rank).
    double = TagQuota(type=VOCATIONAL, tag="双高", seats=1)
    quotas = CampaignQuotas(by_type={VOCATIONAL: 1, APPLIED: 1}, total=2, tagged=(digital, double))
    tags = {1: ("双高",), 2: ("数字化",), 4: ("数字化",)}
    seats = _seats(rank_categories(ranking, quotas, institution_of=ids, tags=tags))
    assert seats == {1: "双高", 4: "数字化"}


def test_ties_are_marked_and_a_tie_at_the_quota_line_is_flagged():
    ranking = CampaignRanking(
        by_type={
            APPLIED: tuple(
                RankedSubmission(
                    submission_id=i,
                    institution_name=f"学校{i}",
                    institution_type=APPLIED,
                    score=s,
                    rank=i,
                    clear_points=0,
                    missing_points=0,
                )
                for i, s in ((1, 0.9), (2, 0.5), (3, 0.5))
            )
        },
    )
    quotas = CampaignQuotas(by_type={APPLIED: 2, VOCATIONAL: 1})
    categories = rank_categories(ranking, quotas, institution_of={1: 1, 2: 2, 3: 3}, tags={}, expert_scored={2})
    applied = categories[0]
    assert [r.tied for r in applied.rows] == [False, True, True]
    assert applied.cutoff_rank == 2 and applied.tie_at_cutoff
    assert [r.candidate.source for r in applied.rows] == [ScoreSource.AI, ScoreSource.EXPERT, ScoreSource.AI]
    # A category with a quota and nobody ranked yet is still shown.
    assert categories[1].category is VOCATIONAL and categories[1].rows == ()


def test_a_tie_at_the_quota_line_is_flagged():
    ranking = _ranking((APPLIED, 1, 0.9), (APPLIED, 2, 0.5), (APPLIED, 3, 0.5))
    applied = rank_categories(ranking, CampaignQuotas(by_type={APPLIED: 2}), institution_of={1: 1, 2: 2, 3: 3}, tags={})
    assert applied[0].tie_at_cutoff
    one = rank_categories(
        _ranking((APPLIED, 1, 0.9)), CampaignQuotas(by_type={APPLIED: 3}), institution_of={1: 1}, tags={}
    )
    assert not one[0].tie_at_cutoff


@pytest.mark.parametrize(
    ("quotas", "message"),
    [
        ({"by_type": {"应用型": 1}, "tagged": [{"type": "应用型", "tag": "数字化", "seats": 2}]}, "超过该类别名额 1"),
        ({"by_type": {}, "tagged": [{"type": "高职", "tag": "数字化", "seats": 1}]}, "超过该类别名额 0"),
        (
            {
                "by_type": {"应用型": 5},
                "tagged": [
                    {"type": "应用型", "tag": "数字化", "seats": 1},
                    {"type": "应用型", "tag": "数字化", "seats": 1},
                ],
            },
            "重复设置",
        ),
        (
            {"by_type": {"应用型": 5}, "tagged": [{"type": "应用型", "tag": "数字化", "seats": -1}]},
            "greater than or equal",
        ),
        ({"by_type": {"应用型": 5, "高职": 3}, "total": 7}, "各类别名额合计 8 超过总名额 7"),
        ({"by_type": {"高职": 3}, "tagged": [{"tag": "数字化", "seats": 4}]}, "跨类别标签名额合计 4 超过总名额 3"),
        ({"total": 10, "tagged": [{"tag": "数字化", "seats": 11}]}, "跨类别标签名额合计 11 超过总名额 10"),
        # A category without its own quota may reserve within the seats it shares.
        (
            {"by_type": {"高职": 8}, "total": 10, "tagged": [{"type": "应用型", "tag": "数字化", "seats": 3}]},
            "超过该类别名额 2",
        ),
    ],
)
def test_quotas_are_validated(quotas, message):
    with pytest.raises(ValidationError, match=message):
        CampaignQuotas.model_validate(quotas)
    ok = CampaignQuotas(by_type={APPLIED: 3}, tagged=(TagQuota(type=APPLIED, tag="数字化", seats=3),))
    assert ok.tagged[0].seats == 3
    across = CampaignQuotas(by_type={VOCATIONAL: 15}, total=50, tagged=(TagQuota(tag="数字化", seats=5),))
    assert across.shared == 35 and across.seats_of(APPLIED) == 35 and across.seats_of(VOCATIONAL) == 15


def test_score_explained_per_first_level_indicator_from_decided_marks():
    rubric = default_registry().get("quality-culture-2026")
    leaves = [c.id for top in rubric.indicators for c in top.children][:3]
    ai = [DecidedIndicator(i, "C", (Mark.MORE_MATERIAL, Mark.CLEAR)) for i in leaves]
    by_ai = explain(ai, rubric)
    assert by_ai[0].name == "理念认同"
    # An expert's decision on the first indicator (level A, all clear) replaces the AI's draft there.
    decided = [DecidedIndicator(leaves[0], "A", (Mark.CLEAR, Mark.CLEAR)), *ai[1:]]
    by_expert = explain(decided, rubric)
    first = next(p for p in by_expert if p.indicator_id == by_ai[0].indicator_id)
    assert first.score > by_ai[0].score
    assert first.marks[Mark.CLEAR] > by_ai[0].marks[Mark.CLEAR]
    assert dict(first.levels)[rubric_name(rubric, leaves[0])] == "示范"


def rubric_name(rubric, indicator_id: str) -> str:
    return next(c.name for top in rubric.indicators for c in top.children if c.id == indicator_id)
