"""Matcher, extractive drafter, citations and the review flow on a real indexed report."""

from __future__ import annotations

import json

import pytest

from backend.domain.assessment import NO_EVIDENCE_ZH, PointSignals, Review
from backend.domain.enums import Mark
from backend.errors import AppError
from backend.reports.review_report import to_markdown, write_review
from backend.review.citations import check_assessment, check_evidence
from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.flows import review_collection
from backend.review.matcher import MatcherConfig
from backend.review.rating import MarkRule, coverage_score, decide_mark, level_for
from indexing.facts import extract_facts
from tests.backend.review.conftest import mini_report


@pytest.fixture(scope="module")
def review(mini_collection, e5_embedder, small_rubric) -> Review:
    facts = extract_facts(mini_report())
    return review_collection(mini_collection, e5_embedder, small_rubric, ExtractiveDrafter(), facts=facts)


def _point(review: Review, point_id: str):
    return next(p for a in review.assessments for p in a.points if p.point_id == point_id)


def test_marks_follow_the_evidence(review):
    assert _point(review, "4.1.1").mark is Mark.CLEAR
    assert _point(review, "6.1.1").mark is Mark.CLEAR
    assert _point(review, "6.1.2").mark is Mark.MORE_MATERIAL
    assert _point(review, "4.1.2").mark is not Mark.CLEAR  # a bare claim is not sufficient evidence


def test_quantitative_value_is_extracted_and_compared_with_the_floor(review):
    p = _point(review, "4.1.1")
    assert p.figure is not None and p.figure.value == 17.5 and p.figure.meets_floor is True
    assert p.figure.page == 2 and "生师比为17.5:1" in p.figure.evidence
    assert p.mark_zh == "句号"


def test_without_facts_a_quantitative_point_says_not_provided(mini_collection, e5_embedder, small_rubric):
    """No number near the metric name is taken as its value: the figure comes from the facts or not at all."""
    review = review_collection(mini_collection, e5_embedder, small_rubric, ExtractiveDrafter())
    p = _point(review, "4.1.1")
    assert p.figure is None and p.mark is Mark.MORE_MATERIAL
    assert "未提供生师比" in p.rationale_zh


def test_below_the_relevance_bar_a_point_shows_no_evidence(mini_collection, e5_embedder, small_rubric):
    """Filler is not shown as evidence: under the calibrated relevance bar, a point with nothing on it has no quotes."""
    assert MatcherConfig().min_evidence_cover > 0
    review = review_collection(mini_collection, e5_embedder, small_rubric, ExtractiveDrafter())
    unsupported = _point(review, "6.1.2")
    assert unsupported.evidence == () and unsupported.mark is Mark.MORE_MATERIAL
    assert NO_EVIDENCE_ZH in unsupported.rationale_zh
    assert _point(review, "6.1.1").evidence  # real evidence stays above the bar
    no_bar = MatcherConfig(min_evidence_cover=0.0)
    without_bar = review_collection(mini_collection, e5_embedder, small_rubric, ExtractiveDrafter(), config=no_bar)
    assert _point(without_bar, "6.1.2").evidence  # filler was shown before


def test_every_quote_is_verbatim_at_its_location(review, mini_collection):
    chunks = {c.id: c for c in mini_collection.chunks}
    for a in review.assessments:
        assert check_assessment(a, chunks) == []
    ev = _point(review, "6.1.1").evidence[0]
    assert "督导" in ev.quote and ev.page_start == 3
    assert chunks[ev.chunk_id].text[ev.quote_start : ev.quote_end] == ev.quote


def test_a_forged_quote_fails_the_check(review, mini_collection):
    chunks = {c.id: c for c in mini_collection.chunks}
    ev = _point(review, "6.1.1").evidence[0]
    assert check_evidence(ev.model_copy(update={"quote": ev.quote + "并获国家级教学成果奖"}), chunks)
    assert check_evidence(ev.model_copy(update={"chunk_id": "nope"}), chunks)
    assert check_evidence(ev.model_copy(update={"page_start": 9, "page_end": 9}), chunks)


def test_missing_evidence_advice_and_checklists(review, small_rubric):
    quality = next(a for a in review.assessments if a.indicator_id == "6.1")
    assert [m.point_id for m in quality.missing] == ["6.1.2"]
    assert "毕业生跟踪调查报告" in quality.missing[0].expected_zh
    assert any(x.point_id == "6.1.2" for x in quality.advice)
    assert {i.point_id for i in review.supplementary_materials} >= {"6.1.2"}
    assert review.site_visit_questions
    for item in review.site_visit_questions:
        point = _point(review, item.point_id)
        quote = point.evidence[0]
        # The claim verbatim (or its verbatim prefix) with its page, then what to ask for on site.
        assert f"第 {quote.page_start} 页称“{quote.quote[:40]}" in item.text_zh
        expected = next(p for _, p in small_rubric.iter_points() if p.id == item.point_id).evidence
        assert expected and all(e in item.text_zh for e in expected)


def test_levels_rank_indicators_by_coverage(review):
    levels = {a.indicator_id: a.level for a in review.assessments}
    assert levels["6.1"] in {"B", "C"} and levels["4.1"] in {"A", "B"}
    assert all(0.0 <= a.confidence <= 1.0 for a in review.assessments)


def test_review_is_stable_and_serialisable(review, mini_collection, e5_embedder, small_rubric):
    facts = extract_facts(mini_report())
    again = review_collection(mini_collection, e5_embedder, small_rubric, ExtractiveDrafter(), facts=facts)
    strip = lambda r: json.loads(r.model_dump_json(exclude={"seconds"}))  # noqa: E731
    a, b = strip(review), strip(again)
    for x in (a, b):
        for ass in x["assessments"]:
            ass["draft"]["seconds"] = 0
    assert a == b
    assert Review.model_validate_json(review.model_dump_json()) == review
    assert json.loads(review.model_dump_json())["assessments"][0]["points"][0]["mark_zh"] in {"句号", "破折号", "问号"}
    assert review.rubric_id == "mini-audit" and review.rubric_fingerprint == small_rubric.fingerprint


def test_decide_mark_rules():
    cfg = MarkRule()
    strong = PointSignals(
        best_dense=0.95, best_bm25=5, term_coverage=1.0, concrete=1.0, term_owner_rank=1, unit_coverage=0.5
    )
    assert decide_mark(strong, cfg) is Mark.CLEAR
    assert decide_mark(strong.model_copy(update={"concrete": 0.0}), cfg) is Mark.VERIFY_ON_SITE
    assert decide_mark(strong.model_copy(update={"figure_found": False}), cfg) is Mark.MORE_MATERIAL
    # Evidence that is mainly about another point and covers few of this point's terms is not coverage.
    sibling = strong.model_copy(update={"term_owner_rank": cfg.max_term_owner_rank + 1, "unit_coverage": 0.1})
    assert decide_mark(sibling, cfg) is Mark.MORE_MATERIAL
    assert decide_mark(sibling.model_copy(update={"unit_coverage": cfg.min_unit_coverage}), cfg) is Mark.CLEAR


def test_ownership_prefers_the_point_a_paragraph_is_about(small_rubric, mini_collection):
    from backend.review.matcher import Ownership

    ownership = Ownership.of(small_rubric)
    chunk = next(c for c in mini_collection.chunks if "督导" in c.text)
    rank_supervision, cover, paragraph = ownership.term_signals("6.1.1", chunk)
    rank_tracking, _, _ = ownership.term_signals("6.1.2", chunk)
    assert rank_supervision == 1 and cover > 0 and "督导" in paragraph
    assert rank_tracking > rank_supervision


def test_level_mapping_uses_the_scale(small_rubric):
    assert level_for(small_rubric.scale, 1.0)[0].id == "A"
    assert level_for(small_rubric.scale, 0.6)[0].id == "B"
    assert level_for(small_rubric.scale, 0.3)[0].id == "C"
    assert level_for(small_rubric.scale, 0.0)[0].id == "D"
    assert coverage_score(()) == 0.0


def test_reports_in_four_formats(review, small_rubric, tmp_path):
    md = to_markdown(review)
    assert "| 4.1 | 师资结构 |" in md and "补充材料清单" in md and "入校考察问题清单" in md
    assert "第 3 页" in md
    for suffix in (".json", ".md", ".docx", ".xlsx"):
        write_review(review, tmp_path / f"r{suffix}", rubric=small_rubric)
    from docx import Document
    from openpyxl import load_workbook

    text = "\n".join(p.text for p in Document(str(tmp_path / "r.docx")).paragraphs)
    assert "补充材料清单" in text and "督导" in text and "（一级指标：6 质量保障）" in text
    points = list(load_workbook(tmp_path / "r.xlsx")["审核重点"].iter_rows(min_row=2, values_only=True))
    assert [row[3] for row in points] == [p.point_id for a in review.assessments for p in a.points]
    assert Review.model_validate_json((tmp_path / "r.json").read_text("utf-8")) == review
    with pytest.raises(AppError):
        write_review(review, tmp_path / "r.pdf")


def test_a_drafted_level_is_checked_against_the_scale(small_rubric):
    from backend.review.rating import scale_level

    assert scale_level(small_rubric.scale, "B").id == "B"
    assert scale_level(small_rubric.scale, "E") is None
    assert scale_level(small_rubric.scale, "b") is None
