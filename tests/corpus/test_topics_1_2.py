"""Evidence topics of 一级指标 1 and 2: one per rubric review point, with well-formed, graded templates."""

from __future__ import annotations

import re
import string
from collections import Counter

import pytest

from backend.rubrics.registry import default_registry
from corpus.catalogue import SLOTS, Strength, Topic
from corpus.topics.chapter1_2 import TOPICS

pytestmark = pytest.mark.unit

PREFIXES = ("1.", "2.")
HAN = re.compile(r"[\u4e00-\u9fff]")
DIGIT = re.compile(r"\d")
NUMBER_SLOTS = frozenset({"year", "n", "m", "num", "pct", "value"})
WEAK_SLOTS = frozenset({"school", "dept"})
RESULT_WORDS = ("获批", "达到", "提升", "覆盖", "累计")
FILLERS = {
    "school": "江淮理工学院",
    "year": 2023,
    "n": 6,
    "m": 42,
    "num": 1280,
    "pct": 91.5,
    "dept": "教务处",
    "value": 18.6,
}


def _points() -> dict[str, object]:
    rubric = default_registry().get("audit-2021-type2")
    return {p.id: p for _, p in rubric.iter_points() if p.id.startswith(PREFIXES)}


POINTS = _points()
BY_ID = {t.id: t for t in TOPICS}


def _slots(text: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]


def _figures(text: str) -> int:
    """Numeric slots plus runs of digits: how many figures a paragraph states."""
    bare = re.sub(r"\{[a-z]+\}", "", text)
    return sum(1 for s in _slots(text) if s in NUMBER_SLOTS) + len(re.findall(r"\d+(?:\.\d+)?", bare))


def _ids(topics: tuple[Topic, ...]) -> list[str]:
    return [t.id for t in topics]


def test_one_topic_per_review_point_in_rubric_order() -> None:
    assert _ids(TOPICS) == list(POINTS)
    assert len(set(_ids(TOPICS))) == len(TOPICS)


@pytest.mark.parametrize("topic", TOPICS, ids=_ids(TOPICS))
class TestTopic:
    def test_indicator_and_name(self, topic: Topic) -> None:
        assert topic.indicator == topic.id.rsplit(".", 1)[0]
        assert topic.name and HAN.search(topic.name)

    def test_queries_are_independent_paraphrases(self, topic: Topic) -> None:
        assert len(topic.queries) == 3
        assert len(set(topic.queries)) == 3
        rubric_queries = set(POINTS[topic.id].queries)
        every_template = [tp.text for t in TOPICS for tp in t.templates]
        for query in topic.queries:
            assert query not in rubric_queries
            assert query != POINTS[topic.id].text
            assert not any(query in text for text in every_template), query

    def test_strength_mix(self, topic: Topic) -> None:
        counts = Counter(tp.strength for tp in topic.templates)
        assert len(topic.templates) >= 4
        assert counts[Strength.STRONG] >= 2
        assert counts[Strength.ADEQUATE] >= 1
        assert counts[Strength.WEAK] >= 1
        assert len({tp.text for tp in topic.templates}) == len(topic.templates)

    def test_templates_are_chinese_paragraphs_of_the_right_length(self, topic: Topic) -> None:
        for tp in topic.templates:
            assert len(HAN.findall(tp.text)) >= 80, tp.text
            assert len(tp.text) <= 220, tp.text
            assert not re.search(r"[A-Za-z]", re.sub(r"\{[a-z]+\}", "", tp.text)), tp.text

    def test_templates_format_with_catalogue_slots(self, topic: Topic) -> None:
        for tp in topic.templates:
            used = set(_slots(tp.text))
            assert used <= SLOTS, tp.text
            if topic.metric is None:
                assert "value" not in used, tp.text
            formatted = tp.text.format(**FILLERS)
            assert "{" not in formatted and "}" not in formatted
            assert tp.text.count("{pct}") == tp.text.count("{pct}%"), tp.text

    def test_strong_templates_name_documents_and_give_figures(self, topic: Topic) -> None:
        for tp in topic.templates:
            if tp.strength is Strength.STRONG:
                assert "《" in tp.text, tp.text
                assert _figures(tp.text) >= 2, tp.text

    def test_adequate_templates_state_at_most_one_figure(self, topic: Topic) -> None:
        for tp in topic.templates:
            if tp.strength is Strength.ADEQUATE:
                assert _figures(tp.text) <= 1, tp.text
                assert not any(word in tp.text for word in RESULT_WORDS), tp.text

    def test_weak_templates_are_general(self, topic: Topic) -> None:
        for tp in topic.templates:
            if tp.strength is Strength.WEAK:
                assert not DIGIT.search(tp.text), tp.text
                assert "《" not in tp.text, tp.text
                assert set(_slots(tp.text)) <= WEAK_SLOTS, tp.text
                assert not any(word in tp.text for word in RESULT_WORDS), tp.text

    def test_claims_are_unsupported(self, topic: Topic) -> None:
        assert len(topic.claims) >= 2
        for claim in topic.claims:
            assert 25 <= len(claim) <= 60, claim
            assert not DIGIT.search(claim), claim
            assert "《" not in claim, claim
            assert set(_slots(claim)) <= WEAK_SLOTS, claim
            assert not any(word in claim for word in RESULT_WORDS), claim

    def test_keywords(self, topic: Topic) -> None:
        assert 2 <= len(topic.keywords) <= 4
        assert len(set(topic.keywords)) == len(topic.keywords)

    def test_metric_matches_rubric(self, topic: Topic) -> None:
        point = POINTS[topic.id]
        if point.kind.value != "quantitative":
            assert topic.metric is None
            return
        metric = topic.metric
        assert metric is not None
        assert metric.name == point.metric.name
        assert metric.unit == point.metric.unit
        assert metric.low < metric.high
        assert metric.decimals in (0, 1, 2)
        assert metric.table_label
        assert len(metric.phrasings) >= 3
        written = {"1:": "1:{value}", "%": "{value}%", ":1": "{value}:1"}.get(metric.unit, "{value}" + metric.unit)
        for phrasing in metric.phrasings:
            assert written in phrasing, phrasing
            assert set(_slots(phrasing)) <= SLOTS
            phrasing.format(**FILLERS)
        assert any(metric.name in p for p in metric.phrasings)


def test_metric_ranges_are_realistic() -> None:
    floors = {t.id: POINTS[t.id].metric for t in TOPICS if t.metric is not None}
    assert set(floors) == {"1.2.4", "1.2.5", "2.1.4", "2.3.4", "2.3.5"}
    assert BY_ID["1.2.5"].metric.low >= 150 and BY_ID["1.2.5"].metric.high <= 220
    assert BY_ID["1.2.4"].metric.high <= floors["1.2.4"].national_floor
    assert BY_ID["2.3.4"].metric.low >= floors["2.3.4"].national_floor
    assert BY_ID["2.3.5"].metric.low >= floors["2.3.5"].national_floor
    assert 15 <= BY_ID["2.1.4"].metric.low < BY_ID["2.1.4"].metric.high <= 35
