"""Extractive drafts worth reading: advice from the point's own gap, the guide clause that matches, site-visit
questions that say what to check, plain rationales; the draft-quality evaluation scores them."""

from __future__ import annotations

import re

import pytest

from backend.domain.assessment import Advice, GapKind, PointSignals, ReportedFigure
from backend.domain.enums import Mark
from backend.review.drafters.base import PointMatch
from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.drafters.gaps import advice, point_gap, rationale
from backend.review.drafters.guide import GuideIndex
from backend.review.flows import review_collection
from backend.rubrics.registry import default_registry
from eval.draft_eval import draft_quality, without_quotes
from eval.review_eval import Truth
from indexing.models import FactOrigin

pytestmark = pytest.mark.unit

GUIDE = "ciqa-guide-2021"


@pytest.fixture(scope="module")
def review(rubrics, indexed):
    rubric, _ = rubrics
    collection, embedder = indexed
    return review_collection(collection, embedder, rubric, ExtractiveDrafter(), registry=default_registry())


def _point(rubric, point_id):
    return next(p for _, p in rubric.iter_points() if p.id == point_id)


def test_guide_links_are_kept_only_where_the_content_matches(rubrics):
    rubric, guide = rubrics
    index = GuideIndex(guide)
    best = {pid: index.best_for(_point(rubric, pid)) for pid in ("1.1.1", "1.2.3", "5.1.1", "5.1.2", "3.1.5")}
    # 党委常委会研究本科教学 is about the decision mechanism (1.2.2), not 五育并举 (1.1.1), though both are linked.
    assert best["1.1.1"].link == f"{GUIDE}:1.2.2"
    # 三全育人 is what guide 1.1.1 says; 理想信念 and 志愿服务 share no content with it and get no clause at all.
    assert best["1.2.3"].link == f"{GUIDE}:1.1.1"
    assert best["5.1.1"] is None and best["5.1.2"] is None
    # 生均纸质图书 is linked to 1.2.1 (资源配置) without a shared word: nothing is better than a wrong clause.
    assert best["3.1.5"] is None


def test_unlinked_point_gets_the_best_matching_recommendation_or_none(rubrics):
    rubric, guide = rubrics
    index = GuideIndex(guide)
    report = _point(rubric, "6.2.3").model_copy(update={"links": []})
    found = index.best_for(report)
    assert found is not None and found.link == f"{GUIDE}:4.1.5" and found.relevance >= 0.25
    library = _point(rubric, "3.1.5").model_copy(update={"links": []})
    assert index.best_for(library) is None


def test_every_advice_names_its_own_gap_and_no_two_points_share_a_text(review, rubrics):
    rubric, _ = rubrics
    items = [a for x in review.assessments for a in x.advice]
    assert len(items) > 30
    texts = [a.text_zh for a in items]
    assert len(set(texts)) == len(texts)
    for a in items:
        point = _point(rubric, a.point_id)
        assert a.gap is not None and a.expected
        assert all(e in point.evidence for e in a.expected)
        assert all(e in a.text_zh for e in a.expected) or (point.metric and point.metric.name in a.text_zh)
        # The guide is cited by its clause and title, never pasted as a paragraph.
        if a.source.startswith(GUIDE):
            rec = _point(rubrics[1], a.source.split(":")[1])
            assert rec.text not in a.text_zh and f"{rec.id}「{rec.label}」" in a.text_zh
    # One advice item per point that is not 句号, none for 句号 points.
    marks = {p.point_id: p.mark for x in review.assessments for p in x.points}
    assert sorted(a.point_id for a in items) == sorted(pid for pid, m in marks.items() if m is not Mark.CLEAR)


def test_rationales_say_what_and_where_without_scores(review):
    for point in (p for x in review.assessments for p in x.points):
        assert not re.search(r"相似度|覆盖率|0\.\d\d", point.rationale_zh), point.rationale_zh
        if point.mark is not Mark.MORE_MATERIAL:
            ev = point.evidence[0]
            assert f"第 {ev.page_start} 页" in point.rationale_zh and ev.quote[:20] in point.rationale_zh


def test_site_visit_questions_quote_the_claim_and_say_what_to_ask_for(review, rubrics):
    rubric, _ = rubrics
    assert review.site_visit_questions
    points = {p.point_id: p for x in review.assessments for p in x.points}
    for q in review.site_visit_questions:
        point = points[q.point_id]
        assert point.mark is Mark.VERIFY_ON_SITE and q.text_zh == point.site_visit_zh
        ev = point.evidence[0]
        assert f"第 {ev.page_start} 页称“{ev.quote[:40]}" in q.text_zh
        assert all(item in q.text_zh for item in _point(rubric, q.point_id).evidence)
        assert re.search(r"现场(调阅|抽查|核对|查看)", q.text_zh)
    bare = [without_quotes(q.text_zh) for q in review.site_visit_questions]
    assert len(set(bare)) == len(bare)


def _match(point, *, mark, figure=None, figure_found=None, evidence=()):
    signals = PointSignals(best_dense=0.9, best_bm25=1.0, term_coverage=0.5, concrete=1.0, figure_found=figure_found)
    return PointMatch(point=point, evidence=evidence, figure=figure, signals=signals, mark=mark)


def test_a_figure_below_the_national_floor_is_advice_with_the_floor(rubrics):
    rubric, _ = rubrics
    point = _point(rubric, "4.2.3")  # 生师比, at most 18:1
    figure = ReportedFigure(
        metric="生师比", value=22.4, unit=":1", text="22.4:1", chunk_id="c1", page=7, origin=FactOrigin.SENTENCE,
        evidence="学校生师比为22.4:1。", meets_floor=False,
    )  # fmt: skip
    match = _match(point, mark=Mark.CLEAR, figure=figure, figure_found=True)
    gap = point_gap(match, {})
    assert gap.kind is GapKind.BELOW_FLOOR
    item = advice(match, gap, None, rubric.id)
    assert isinstance(item, Advice) and item.gap is GapKind.BELOW_FLOOR
    assert "22.4:1（第 7 页）" in item.text_zh and "不高于18:1" in item.text_zh
    assert "未达到国家标准" in rationale(match, gap)


def test_a_missing_figure_is_named_with_its_floor(rubrics):
    rubric, _ = rubrics
    point = _point(rubric, "1.2.4")  # 专职思政课教师与在校生比, 1:N with N at most 350
    match = _match(point, mark=Mark.MORE_MATERIAL, figure_found=False)
    gap = point_gap(match, {})
    item = advice(match, gap, None, rubric.id)
    assert gap.kind is GapKind.FIGURE_MISSING and item.gap is GapKind.FIGURE_MISSING
    assert point.metric.name in item.text_zh and "不低于1:350" in item.text_zh
    assert "未提供" in rationale(match, gap)


def test_draft_quality_scores_specific_advice_above_pasted_guide_paragraphs(review, rubrics):
    rubric, guide = rubrics
    report = review.document_name.rsplit(".", 1)[0]
    # Every 破折号 point of this report is a real gap (its topic is not written about at all).
    truth = {
        (report, p.point_id): Truth.OMITTED if p.mark is Mark.MORE_MATERIAL else Truth.PRESENT
        for x in review.assessments
        for p in x.points
    }
    good = draft_quality([review], truth, rubric)
    assert good.advice.specific == 1.0 and good.advice.duplicate_rate == 0.0
    assert good.advice.gap_coverage == 1.0 and good.questions.duplicate_rate == 0.0
    # The drafts of before: the linked guide paragraph pasted as advice, the same question for every point.
    pasted = []
    for x in review.assessments:
        advice_then = tuple(
            Advice(text_zh=f"建议参照《{guide.name}》：{_point(guide, a.source.split(':')[1]).text}", source=a.source,
                   point_id=a.point_id)
            for a in x.advice if a.source.startswith(GUIDE)
        )  # fmt: skip
        pasted.append(x.model_copy(update={"advice": advice_then}))
    old = review.model_copy(update={"assessments": tuple(pasted)})
    bad = draft_quality([old], truth, rubric)
    assert bad.advice.specific == 0.0 and bad.advice.gap_coverage == 0.0
