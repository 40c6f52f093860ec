"""Checks of the evidence topics for 一级指标 5 学生发展, 6 质量保障 and 7 教学成效."""

from __future__ import annotations

import re
import string

import pytest

from backend.rubrics.registry import default_registry
from corpus.catalogue import SLOTS, Strength, Topic
from corpus.topics.chapter5_7 import TOPICS

PREFIXES = ("5.", "6.", "7.")
NUMERIC_SLOTS = frozenset({"year", "n", "m", "num", "pct", "value"})
PLAIN_SLOTS = frozenset({"school", "dept"})
RESULT_WORDS = ("获批", "达到", "提升", "覆盖", "累计")
SAMPLE = {
    "school": "江淮理工学院",
    "year": 2023,
    "n": 6,
    "m": 42,
    "num": 1280,
    "pct": 91.5,
    "dept": "教务处",
    "value": 95.2,
}


def _points():
    rubric = default_registry().get("audit-2021-type2")
    return [p for _, p in rubric.iter_points() if p.id.startswith(PREFIXES)]


POINTS = {p.id: p for p in _points()}
BY_ID = {t.id: t for t in TOPICS}


def _slots(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None and f != ""}


def _bare(text: str) -> str:
    """The text with its slots removed."""
    return re.sub(r"\{[a-z]+\}", "", text)


def _figures(text: str) -> int:
    """How many figures a text states: numeric slots plus runs of digits."""
    slots = [f for _, f, _, _ in string.Formatter().parse(text) if f in NUMERIC_SLOTS]
    return len(slots) + len(re.findall(r"\d+(?:\.\d+)?", _bare(text)))


def test_ids_are_exactly_the_rubric_points() -> None:
    ids = [t.id for t in TOPICS]
    assert len(ids) == len(set(ids))
    assert ids == list(POINTS), "topics must cover every 5./6./7. review point, in rubric order"


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_indicator_name_and_keywords(topic: Topic) -> None:
    assert topic.indicator == topic.id.rsplit(".", 1)[0]
    assert topic.name and len(topic.name) <= 16
    assert 2 <= len(topic.keywords) <= 4
    assert all(k and not re.search(r"[A-Za-z0-9]", k) for k in topic.keywords)


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_strength_mix_and_length(topic: Topic) -> None:
    strengths = [t.strength for t in topic.templates]
    assert len(topic.templates) >= 4
    assert strengths.count(Strength.STRONG) >= 2
    assert strengths.count(Strength.ADEQUATE) >= 1
    assert strengths.count(Strength.WEAK) >= 1
    texts = [t.text for t in topic.templates]
    assert len(set(texts)) == len(texts)
    for text in texts:
        assert 80 <= len(_bare(text)) <= 220, (len(_bare(text)), text)
        assert not re.search(r"[A-Za-z]", _bare(text)), text


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_templates_format_with_catalogue_slots(topic: Topic) -> None:
    quantitative = POINTS[topic.id].kind.value == "quantitative"
    for template in topic.templates:
        used = _slots(template.text)
        assert used <= SLOTS, template.text
        if not quantitative:
            assert "value" not in used, template.text
        formatted = template.text.format(**SAMPLE)
        assert "{" not in formatted and "}" not in formatted
        if "pct" in used:
            assert "{pct}%" in template.text, template.text


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_strong_and_adequate_content(topic: Topic) -> None:
    for template in topic.templates:
        if template.strength is Strength.STRONG:
            assert _figures(template.text) >= 2, template.text
            assert re.search(r"《[^》]+》", template.text), template.text
        elif template.strength is Strength.ADEQUATE:
            assert _figures(template.text) <= 1, template.text


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_weak_templates_are_general(topic: Topic) -> None:
    for template in topic.templates:
        if template.strength is not Strength.WEAK:
            continue
        assert not re.search(r"\d", template.text), template.text
        assert "《" not in template.text, template.text
        assert _slots(template.text) <= PLAIN_SLOTS, template.text
        assert not any(w in template.text for w in RESULT_WORDS), template.text


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_claims_are_unsupported(topic: Topic) -> None:
    assert len(topic.claims) >= 2
    for claim in topic.claims:
        assert 25 <= len(_bare(claim)) <= 60, (len(claim), claim)
        assert not re.search(r"\d", claim), claim
        assert "《" not in claim, claim
        assert _slots(claim) <= PLAIN_SLOTS, claim
        assert not any(w in claim for w in RESULT_WORDS), claim
        assert claim.endswith("。")
        claim.format(**SAMPLE)


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_queries_are_independent(topic: Topic) -> None:
    assert len(topic.queries) == 3
    assert len(set(topic.queries)) == 3
    every_text = [t.text for other in TOPICS for t in other.templates] + [c for other in TOPICS for c in other.claims]
    rubric_queries = list(POINTS[topic.id].queries)
    for query in topic.queries:
        assert 4 <= len(query) <= 30
        assert not any(query in text for text in every_text), query
        assert not any(query in rq or rq in query for rq in rubric_queries), query
        assert not re.search(r"\d", query), query


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.id)
def test_metric_matches_rubric(topic: Topic) -> None:
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
    floor = point.metric.national_floor
    if floor is not None and point.metric.floor_direction == "at_most":
        assert metric.high <= floor
    value_form = {"%": "{value}%", "1:": "1:{value}", ":1": "{value}:1"}.get(metric.unit, "{value}" + metric.unit)
    assert len(metric.phrasings) >= 3
    for phrasing in metric.phrasings:
        assert value_form in phrasing, phrasing
        assert _slots(phrasing) <= SLOTS
        assert re.search(re.escape(metric.name) + r"[为达是到：]{0,2}" + re.escape(value_form), phrasing), phrasing
        phrasing.format(**SAMPLE)
    assert any("{value}" in t.text for t in topic.templates if t.strength is Strength.STRONG)


def test_texts_are_unique_across_topics() -> None:
    queries = [q for t in TOPICS for q in t.queries]
    templates = [x.text for t in TOPICS for x in t.templates]
    claims = [c for t in TOPICS for c in t.claims]
    assert len(set(queries)) == len(queries)
    assert len(set(templates)) == len(templates)
    assert len(set(claims)) == len(claims)
