"""Evidence topics for 一级指标 3 (教学资源与利用) and 4 (教师队伍): coverage of the rubric and template grading."""

from __future__ import annotations

import re
import string

import pytest

from backend.review.figures import FactIndex
from backend.rubrics.registry import default_registry
from corpus.catalogue import SLOTS, Strength, Topic
from corpus.topics.chapter3_4 import TOPICS
from indexing.chunking import chunk_document
from indexing.facts import extract_facts
from indexing.models import Block, BlockKind, Document, MediaType

PREFIXES = ("3.", "4.")
NUMERIC_SLOTS = frozenset({"year", "n", "m", "num", "pct", "value"})
RESULT_WORDS = ("获批", "达到", "提升", "覆盖", "累计")
FILL = {
    "school": "江淮理工学院",
    "year": 2023,
    "n": 6,
    "m": 48,
    "num": 1260,
    "pct": 86.5,
    "dept": "教务处",
    "value": 17.6,
}


def _points():
    rubric = default_registry().get("audit-2021-type2")
    return {p.id: p for _, p in rubric.iter_points() if p.id.startswith(PREFIXES)}


POINTS = _points()
BY_ID = {t.id: t for t in TOPICS}


def _slots(text: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]


def _figures(text: str) -> int:
    """Numeric slots plus runs of digits."""
    numeric = sum(1 for s in _slots(text) if s in NUMERIC_SLOTS)
    return numeric + len(re.findall(r"\d+(?:\.\d+)?", re.sub(r"\{[a-z]+\}", "", text)))


def _zh_len(text: str) -> int:
    """Length with each slot counted as a short run of characters."""
    return len(re.sub(r"\{[a-z]+\}", "xx", text))


def test_ids_are_exactly_the_rubric_points():
    ids = [t.id for t in TOPICS]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(POINTS)
    assert ids == sorted(ids, key=lambda i: tuple(int(x) for x in i.split(".")))


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
class TestTopic:
    def test_header(self, topic: Topic):
        assert topic.indicator == ".".join(topic.id.split(".")[:2])
        assert topic.name
        assert 2 <= len(topic.keywords) <= 4

    def test_queries(self, topic: Topic):
        assert len(topic.queries) == 3
        assert len(set(topic.queries)) == 3
        rubric_queries = set(POINTS[topic.id].queries)
        every_template = [tpl.text for t in TOPICS for tpl in t.templates]
        for q in topic.queries:
            assert q not in rubric_queries
            assert "{" not in q
            assert not any(q in text for text in every_template), q

    def test_strength_mix(self, topic: Topic):
        strengths = [t.strength for t in topic.templates]
        assert len(topic.templates) >= 4
        assert strengths.count(Strength.STRONG) >= 2
        assert strengths.count(Strength.ADEQUATE) >= 1
        assert strengths.count(Strength.WEAK) >= 1
        texts = [t.text for t in topic.templates]
        assert len(set(texts)) == len(texts)
        openings = {t[:4] for t in texts}
        assert len(openings) >= 3
        assert sum(t.startswith("学校") for t in texts) <= 2

    def test_templates_format_with_catalogue_slots(self, topic: Topic):
        for tpl in topic.templates:
            assert set(tpl.slots()) <= SLOTS, tpl.text
            if topic.metric is None:
                assert "value" not in tpl.slots()
            filled = tpl.text.format(**FILL)
            assert "{" not in filled and "}" not in filled
            assert 80 <= _zh_len(tpl.text) <= 220, (len(tpl.text), tpl.text)
            assert not re.search(r"[A-Za-z]", filled.replace(FILL["school"], "")), tpl.text

    def test_strong_templates(self, topic: Topic):
        for tpl in topic.templates:
            if tpl.strength is Strength.STRONG:
                assert "《" in tpl.text, tpl.text
                assert _figures(tpl.text) >= 2, tpl.text

    def test_adequate_templates(self, topic: Topic):
        for tpl in topic.templates:
            if tpl.strength is Strength.ADEQUATE:
                assert _figures(tpl.text) <= 1, tpl.text

    def test_weak_templates(self, topic: Topic):
        for tpl in topic.templates:
            if tpl.strength is Strength.WEAK:
                assert not re.search(r"\d", tpl.text), tpl.text
                assert "《" not in tpl.text
                assert set(tpl.slots()) <= {"school", "dept"}
                assert not any(w in tpl.text for w in RESULT_WORDS), tpl.text

    def test_claims(self, topic: Topic):
        assert len(topic.claims) >= 2
        for claim in topic.claims:
            assert 25 <= len(claim) <= 60, claim
            assert not re.search(r"\d", claim), claim
            assert "《" not in claim
            assert set(_slots(claim)) <= {"school", "dept"}
            assert not any(w in claim for w in RESULT_WORDS), claim

    def test_metric(self, topic: Topic):
        point = POINTS[topic.id]
        if point.kind.value != "quantitative":
            assert topic.metric is None
            return
        metric = topic.metric
        assert metric is not None
        assert metric.name == point.metric.name
        assert metric.low < metric.high
        assert metric.decimals >= 0
        assert metric.table_label
        assert len(metric.phrasings) >= 3
        unit_text = {"1:": "1:{value}", ":1": "{value}:1", "%": "{value}%"}.get(metric.unit, "{value}" + metric.unit)
        for phrase in metric.phrasings:
            assert set(_slots(phrase)) <= SLOTS
            assert metric.name in phrase, phrase
            assert unit_text in phrase, phrase
            assert phrase.index(metric.name) < phrase.index("{value}")
            # nothing but a short link word between the metric name and its value
            between = phrase[phrase.index(metric.name) + len(metric.name) : phrase.index("{value}")]
            assert len(between) <= 2 and not re.search(r"\d|\{", between), phrase
            phrase.format(**FILL)
        # strong templates that state the value name the metric right before it
        for tpl in topic.templates:
            if "value" in tpl.slots():
                head = tpl.text[: tpl.text.index("{value}")]
                assert metric.name in head[-len(metric.name) - 3 :], tpl.text


def test_realistic_metric_ranges():
    ranges = {
        "3.1.3": (14, 25),
        "3.1.4": (8000, 40000),
        "3.1.5": (70, 150),
        "3.2.4": (2500, 9000),
        "3.2.5": (300, 1500),
        "3.2.6": (200, 900),
        "4.2.3": (14, 19),
        "4.2.5": (25, 70),
    }
    for tid, (low, high) in ranges.items():
        metric = BY_ID[tid].metric
        assert metric is not None
        assert (metric.low, metric.high) == (low, high)


def _reported(text: str, point_id: str):
    """The figure a review takes for the point from a one-paragraph report: facts extracted, then looked up."""
    doc = Document("d", "r.pdf", MediaType.PDF, (Block("b0001", BlockKind.PARAGRAPH, text, page=1),), page_count=1)
    metric = POINTS[point_id].metric
    assert metric is not None
    return FactIndex(extract_facts(doc), chunk_document(doc)).lookup(metric)


@pytest.mark.parametrize("topic", [t for t in TOPICS if t.metric is not None], ids=lambda t: t.id)
def test_metric_value_is_read_back(topic: Topic):
    """The review's fact lookup finds the planted value under the metric's name, and nothing in templates without it."""
    metric = topic.metric
    assert metric is not None
    value = round((metric.low + metric.high) / 2, metric.decimals)
    fill = {k: v for k, v in FILL.items() if k != "value"}
    stating = [*metric.phrasings, *(t.text for t in topic.templates if "value" in t.slots())]
    for text in stating:
        found = _reported(text.format(value=value, **fill), topic.id)
        assert found is not None and found.value == value, text
    for tpl in topic.templates:
        if "value" not in tpl.slots():
            assert _reported(tpl.text.format(**fill), topic.id) is None, tpl.text


def test_no_foreign_metric_name_from_the_whole_rubric():
    rubric = default_registry().get("audit-2021-type2")
    names = {p.id: p.metric.name for _, p in rubric.iter_points() if p.metric is not None}
    for topic in TOPICS:
        texts = [*(t.text for t in topic.templates), *topic.claims]
        for pid, name in names.items():
            if pid != topic.id:
                assert not any(name in text for text in texts), (topic.id, name)
