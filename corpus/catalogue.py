"""Types of the evidence catalogue the synthetic report generator draws on.

Every topic is one review point of the 审核评估 第二类 rubric (``rubrics/audit-2021-type2.yaml``), with
the same id, so planted omissions and labels map one to one onto rubric review points.

Templates are Chinese paragraphs with slots filled by the generator from a seeded random source:

=========== =====================================================
slot        filled with
=========== =====================================================
``{school}``  the institution's short name (e.g. 江淮理工学院 → 学校 in most sentences is written literally)
``{year}``    a year 2021–2024
``{n}``       a small count 2–12
``{m}``       a count 15–90
``{num}``     a count 120–3000
``{pct}``     a percentage value 60.0–99.5 (written without the % sign; templates add 「%」)
``{dept}``    a department name (教务处, 质量监控与评估中心, …)
``{value}``   the metric value, quantitative topics only
=========== =====================================================

Example:
    >>> Template("学校制定《教学督导工作办法》，每学期听课{num}节。", Strength.STRONG).slots()
    ('num',)
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from enum import StrEnum


class Strength(StrEnum):
    """How well a paragraph supports its review point."""

    STRONG = "strong"  # concrete measures + figures + named documents + results
    ADEQUATE = "adequate"  # measures with some detail, few results
    WEAK = "weak"  # general statements, no figures, no documents


class ItemKind(StrEnum):
    """What a labelled item is in the report."""

    PARAGRAPH = "paragraph"
    TABLE = "table"


SLOTS = frozenset({"school", "year", "n", "m", "num", "pct", "dept", "value"})


@dataclass(frozen=True)
class Template:
    """A paragraph template and how strongly it supports its topic."""

    text: str
    strength: Strength

    def slots(self) -> tuple[str, ...]:
        """Slot names used, in order of first use."""
        names = [f for _, f, _, _ in string.Formatter().parse(self.text) if f]
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class MetricSpec:
    """A quantitative indicator: its name, unit and the realistic range of values.

    Args:
        name: the metric as reports name it (must match the rubric's metric name or a key term).
        unit: ``:1``, ``%``, ``元``, ``平方米``, ``册``, ``人``, or ``1:`` for ratios written as 1:N.
        low: lowest plausible value.
        high: highest plausible value.
        decimals: digits after the point.
        phrasings: sentences stating the value, with ``{value}`` (and other slots).
        table_label: the row label used when the value appears in a data table.
    """

    name: str
    unit: str
    low: float
    high: float
    decimals: int
    phrasings: tuple[str, ...]
    table_label: str


@dataclass(frozen=True)
class Topic:
    """One review point's evidence material.

    Args:
        id: the rubric review point id (``6.3.1``).
        indicator: the 二级 indicator id (``6.3``).
        name: a short Chinese name.
        queries: 3 phrasings a reviewer would search with, written independently of the templates.
        templates: ≥ 4 differently worded evidence paragraphs (≥ 2 strong, ≥ 1 adequate, ≥ 1 weak).
        claims: ≥ 2 unsupported claims: a measure asserted with no figure, no document, no result.
        metric: for quantitative topics.
    """

    id: str
    indicator: str
    name: str
    queries: tuple[str, ...]
    templates: tuple[Template, ...]
    claims: tuple[str, ...]
    metric: MetricSpec | None = None
    keywords: tuple[str, ...] = field(default=())


def all_topics() -> tuple[Topic, ...]:
    """Every topic of the catalogue, in rubric order."""
    from corpus.topics import chapter1_2, chapter3_4, chapter5_7

    topics = (*chapter1_2.TOPICS, *chapter3_4.TOPICS, *chapter5_7.TOPICS)
    return tuple(sorted(topics, key=lambda t: tuple(int(x) for x in t.id.split("."))))
