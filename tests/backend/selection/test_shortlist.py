"""Ranking as the secretariat reads it: one row per institution, ties, quotas per category with tagged seats,
the score explained per first-level indicator from decided marks (an expert's decision replaces the AI's)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backend.db.models import CampaignQuotas, TagQuota
from backend.domain.enums import InstitutionType, Mark
from backend.review.ranking import CampaignRanking, RankedSubmission
from backend.rubrics.registry import default_registry
from backend.selection.shortlist import (
    Candidate,
    CategoryRanking,
    DecidedIndicator,
    ScoreSource,
    explain,
    rank_categories,
    select,
)

APPLIED, VOCATIONAL = InstitutionType.APPLIED, InstitutionType.VOCATIONAL


def _candidate(submission_id: int, institution_id: int, score: float, tags: tuple[str, ...] = ()) -> Candidate:
    return Candidate(submission_id, institution_id, f"学校{institution_id}", APPLIED, score, 0, 0, tags, ScoreSource.AI)


def test_one_row_per_institution_its_newest_submission():
    rows = select([_candidate(1, 10, 0.9), _candidate(2, 20, 0.8), _candidate(3, 10, 0.7)], quota=1, tagged={})
    assert [(r.candidate.institution_id, r.candidate.submission_id) for r in rows] == [(20, 2), (10, 3)]
    assert [r.rank for r in rows] == [1, 2]
    assert rows[1].other_submissions == 1
    assert [r.selected for r in rows] == [True, False]


def test_tagged_seats_go_first_to_the_best_tagged_then_by_rank():
    candidates = [
        _candidate(1, 1, 0.9),
        _candidate(2, 2, 0.8),
        _candidate(3, 3, 0.7, ("数字化",)),
        _candidate(4, 4, 0.6, ("数字化",)),
    ]
    rows = select(candidates, quota=2, tagged={"数字化": 1})
    assert [(r.candidate.submission_id, r.selected, r.seat_tag) for r in rows] == [
        (1, True, None),
        (2, False, None),
        (3, True, "数字化"),
        (4, False, None),
    ]
    # Fewer tagged candidates than seats: the unused seats go by rank.
    rows = select(candidates[:2], quota=2, tagged={"数字化": 1})
    assert [r.selected for r in rows] == [True, True]


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
                    shortlisted=False,
                    clear_points=0,
                    missing_points=0,
                )
                for i, s in ((1, 0.9), (2, 0.5), (3, 0.5))
            )
        },
        quotas={APPLIED: 2},
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
    rows = select([_candidate(1, 1, 0.9), _candidate(2, 2, 0.5), _candidate(3, 3, 0.5)], quota=2, tagged={})
    assert CategoryRanking(APPLIED, 2, {}, tuple(rows)).tie_at_cutoff
    assert not CategoryRanking(APPLIED, 3, {}, tuple(select([_candidate(1, 1, 0.9)], quota=3, tagged={}))).tie_at_cutoff


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
    ],
)
def test_quotas_are_validated(quotas, message):
    with pytest.raises(ValidationError, match=message):
        CampaignQuotas.model_validate(quotas)
    ok = CampaignQuotas(by_type={APPLIED: 3}, tagged=(TagQuota(type=APPLIED, tag="数字化", seats=3),))
    assert ok.tagged[0].seats == 3


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
