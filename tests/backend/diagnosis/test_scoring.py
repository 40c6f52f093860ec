"""The pure diagnosis rules: what a mark supports, the verdict per self-rating, weighted indicator means."""

from __future__ import annotations

import pytest

from backend.config import Settings
from backend.diagnosis import scoring
from backend.diagnosis.flows import diagnosis_rubric
from backend.diagnosis.models import Quote, Verdict
from backend.domain import assessment as rm
from backend.domain.enums import Mark

pytestmark = pytest.mark.unit

SIGNALS = rm.PointSignals(best_dense=0.5, best_bm25=2.0, term_coverage=0.5, concrete=1.0)
QUOTE = Quote(document="报告.pdf", page_start=4, page_end=4, text="学校制定了质量文化建设规划")


@pytest.fixture(scope="module")
def rubric():
    return diagnosis_rubric(Settings())


def _point(mark: Mark) -> rm.PointAssessment:
    return rm.PointAssessment(point_id="1.1.1", point_text="t", mark=mark, signals=SIGNALS, rationale_zh="r")


def _check(rubric, score, mark, quotes=(QUOTE,)):
    return scoring.cross_check(
        scale=rubric.scale, score=score, assessed=_point(mark), quotes=quotes, document="报告.pdf", expected=("规划",)
    )


@pytest.mark.parametrize(
    ("mark", "ceiling", "floor"),
    [(Mark.CLEAR, "A", "B"), (Mark.VERIFY_ON_SITE, "B", "D"), (Mark.MORE_MATERIAL, "D", "D")],
)
def test_what_a_mark_supports(rubric, mark, ceiling, floor):
    found = scoring.bounds(rubric.scale, mark)
    assert (found.ceiling.id, found.floor.id) == (ceiling, floor)


@pytest.mark.parametrize(
    ("score", "mark", "verdict"),
    [
        (4.0, Mark.CLEAR, Verdict.CONSISTENT),
        (3.0, Mark.CLEAR, Verdict.CONSISTENT),
        (2.5, Mark.CLEAR, Verdict.UNDERRATED),  # half a level below B
        (2.6, Mark.CLEAR, Verdict.CONSISTENT),
        (3.5, Mark.VERIFY_ON_SITE, Verdict.OVERRATED),
        (3.4, Mark.VERIFY_ON_SITE, Verdict.CONSISTENT),
        (1.0, Mark.VERIFY_ON_SITE, Verdict.CONSISTENT),
        (2.0, Mark.MORE_MATERIAL, Verdict.OVERRATED),
        (1.0, Mark.MORE_MATERIAL, Verdict.CONSISTENT),
    ],
)
def test_verdicts(rubric, score, mark, verdict):
    assert _check(rubric, score, mark).verdict is verdict


def test_a_claim_that_evidence_exists_needs_a_verified_quote(rubric):
    assert _check(rubric, 1.0, Mark.CLEAR, quotes=()).verdict is Verdict.UNVERIFIED
    assert _check(rubric, 4.0, Mark.VERIFY_ON_SITE, quotes=()).verdict is Verdict.UNVERIFIED
    # Absence needs no quote: it says what is missing.
    absent = _check(rubric, 4.0, Mark.MORE_MATERIAL, quotes=())
    assert absent.verdict is Verdict.OVERRATED and "请补充：规划" in absent.statement_zh
    assert _check(rubric, 1.0, Mark.CLEAR).quotes == (QUOTE,)


def test_without_review_or_rating_nothing_is_claimed(rubric):
    none = scoring.cross_check(scale=rubric.scale, score=3.0, assessed=None, quotes=(), document=None, expected=())
    assert none.verdict is Verdict.NO_EVIDENCE and none.quotes == ()
    assert _check(rubric, None, Mark.CLEAR).verdict is Verdict.NOT_RATED


def test_indicator_means_skip_unrated_points_and_weigh_children(rubric):
    scores = scoring.indicator_scores(rubric, {"1.1.1": 4.0, "1.1.2": 2.0, "1.2.1": 1.0})
    assert (scores["1.1"], scores["1.2"], scores["1.3"]) == (3.0, 1.0, None)
    assert scores["1"] == 2.0 and scores["2"] is None


def test_level_label_names_the_nearest_level(rubric):
    assert scoring.level_label(rubric.scale, 3.4) == "B 良好"
    assert scoring.level_label(rubric.scale, 3.5) == "A 示范"  # a tie goes to the higher level
