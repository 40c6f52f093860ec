"""Version comparison (整改跟踪), campaign ranking with quotas, and expert decisions on real reviews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.domain.assessment import Review
from backend.domain.enums import DecisionAction, InstitutionType, Mark
from backend.errors import AppError
from backend.review.comparison import Change, compare_reviews
from backend.review.decisions import DecisionInput, RecordedDecision, final_view, resolve_decision
from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.flows import review_collection
from backend.review.ranking import RankingEntry, rank_campaign, review_score
from indexing.models import BlockKind
from indexing.pipeline import index_documents
from indexing.store import Collection
from tests.backend.review.conftest import mini_report
from tests.factories import make_document

H, P = BlockKind.HEADING, BlockKind.PARAGRAPH


@pytest.fixture(scope="module")
def reviews(tmp_path_factory, e5_embedder, small_rubric) -> tuple[Review, Review]:
    """The mini report, then a rectified version that adds graduate tracking evidence."""
    fixed = make_document(
        [
            *[(b.kind, b.text, b.page, b.heading_level) for b in mini_report().blocks],
            (H, "五、毕业生发展", 5, 3),
            (
                P,
                "学校委托第三方机构开展毕业生跟踪调查，覆盖2023届毕业生5120人，用人单位满意度达到95.2%，"
                "调查结果写入《毕业生就业质量年度报告》。",
                5,
            ),
        ],
        name="迷你自评报告（修改稿）.pdf",
    )
    out = Path(tmp_path_factory.mktemp("v2")) / "idx"
    index_documents([fixed], out, e5_embedder)
    first = review_collection(_mini(tmp_path_factory, e5_embedder), e5_embedder, small_rubric, ExtractiveDrafter())
    second = review_collection(Collection.load(out), e5_embedder, small_rubric, ExtractiveDrafter())
    return first, second


def _mini(tmp_path_factory, embedder) -> Collection:
    out = Path(tmp_path_factory.mktemp("v1")) / "idx"
    index_documents([mini_report()], out, embedder)
    return Collection.load(out)


def test_comparison_shows_what_the_new_version_fixed(reviews, small_rubric):
    first, second = reviews
    cmp = compare_reviews(first, second, tuple(lv.id for lv in small_rubric.scale))
    by_point = {p.point_id: p for p in cmp.points}
    assert by_point["6.1.2"].change is Change.NOW_COVERED and by_point["6.1.2"].change_zh == "已补充"
    assert by_point["6.1.1"].change is Change.UNCHANGED
    quality = next(lv for lv in cmp.levels if lv.indicator_id == "6.1")
    assert quality.moved > 0 and quality.before != quality.after
    assert cmp.count(Change.NOW_COVERED) >= 1


def test_comparison_refuses_different_rubrics(reviews, small_rubric):
    first, second = reviews
    with pytest.raises(AppError):
        compare_reviews(first, second.model_copy(update={"rubric_id": "other"}), ("A",))


def test_ranking_within_category(reviews, small_rubric):
    weak, strong = reviews
    entries = [
        RankingEntry(submission_id=1, institution_name="甲学院", institution_type=InstitutionType.APPLIED, review=weak),
        RankingEntry(
            submission_id=2, institution_name="乙学院", institution_type=InstitutionType.APPLIED, review=strong
        ),
        RankingEntry(
            submission_id=3, institution_name="丙职院", institution_type=InstitutionType.VOCATIONAL, review=weak
        ),
    ]
    ranking = rank_campaign(entries, small_rubric)
    applied = ranking.by_type[InstitutionType.APPLIED]
    assert [(r.submission_id, r.rank) for r in applied] == [(2, 1), (1, 2)]
    # Judged only against its own type: the weak report is first among 高职.
    assert [(r.submission_id, r.rank) for r in ranking.by_type[InstitutionType.VOCATIONAL]] == [(3, 1)]
    assert review_score(strong, small_rubric) > review_score(weak, small_rubric)


def test_decisions_are_validated_and_the_latest_wins(reviews, small_rubric):
    assessment = reviews[0].assessments[1]
    accept = resolve_decision(assessment, small_rubric, DecisionInput(action=DecisionAction.ACCEPT))
    assert accept.final_level == assessment.level
    point = assessment.points[0]
    edit = resolve_decision(
        assessment,
        small_rubric,
        DecisionInput(
            action=DecisionAction.EDIT, point_id=point.point_id, final_mark=Mark.VERIFY_ON_SITE, comment="需核实"
        ),
    )
    with pytest.raises(AppError):
        resolve_decision(assessment, small_rubric, DecisionInput(action=DecisionAction.EDIT, final_level="Z"))
    with pytest.raises(AppError):
        resolve_decision(assessment, small_rubric, DecisionInput(action=DecisionAction.REJECT))
    with pytest.raises(AppError):
        resolve_decision(assessment, small_rubric, DecisionInput(action=DecisionAction.ACCEPT, point_id="9.9.9"))
    now = datetime.now(UTC)
    level_edit = resolve_decision(assessment, small_rubric, DecisionInput(action=DecisionAction.EDIT, final_level="D"))
    recorded = [
        RecordedDecision(**edit.model_dump(), reviewer_id=7, decided_at=now),
        RecordedDecision(**level_edit.model_dump(), reviewer_id=7, decided_at=now - timedelta(minutes=5)),
        RecordedDecision(**accept.model_dump(), reviewer_id=7, decided_at=now + timedelta(minutes=1)),
    ]
    final = final_view(assessment, recorded)
    assert final.final_level == assessment.level and final.level_decided  # the later accept wins over the edit
    first = final.points[0]
    assert first.final is Mark.VERIFY_ON_SITE and first.decided and first.suggested is point.mark
    assert all(not p.decided for p in final.points[1:])
