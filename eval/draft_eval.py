"""Draft quality on the labelled corpus: does advice name a gap the point really has, and is it specific?

The planted truth of a review point is ``omitted`` (its evidence removed), ``unsupported`` (only bare claims)
or ``present``. For every advice item and every site-visit question of a review:

* **names a real gap**: the point's planted truth is a gap (omitted or unsupported) and the text names
  something concrete the point lacks: one of the rubric's expected evidence items for that point, or its metric;
* **specific**: the text names an expected item or the metric of its point, whatever the truth (a point marked
  破折号 or 问号 although its evidence is present is the matcher's error, not the advice's);
* **duplicate**: the same text (for questions: the same text once the quoted claim and page are removed, since
  the quote alone makes any template unique) is given to another point of the same review;
* **gap coverage**: the share of planted gaps that get at least one advice item naming them.

Every measure is computed from the review's text and the rubric, so drafts of any drafter (an earlier version,
an LLM) are scored the same way.

Example:
    >>> quality = draft_quality(run.reviews, truths, rubric)  # doctest: +SKIP
    >>> quality.advice.on_real_gap  # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from backend.domain.assessment import Review
from backend.rubrics.models import ReviewPoint, Rubric
from eval.review_eval import Observation, Truth

_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|（[^）]*第\s*\d+[^）]*）|第\s*\d+(?:[–-]\d+)?\s*页")


@dataclass(frozen=True)
class ItemQuality:
    """Scores of one kind of drafted item (advice or site-visit question)."""

    items: int
    specific: float
    on_real_gap: float
    duplicate_rate: float
    gap_coverage: float
    on_gap_points: int


@dataclass(frozen=True)
class DraftQuality:
    """Draft quality of a set of reviews."""

    reviews: int
    advice: ItemQuality
    questions: ItemQuality
    guide_clause_max_indicators: int
    distinct_guide_clauses: int


def names_gap(text: str, point: ReviewPoint) -> bool:
    """The text names an expected evidence item of the point, or its metric."""
    if point.metric is not None and point.metric.name in text:
        return True
    return any(item in text for item in point.evidence)


def without_quotes(text: str) -> str:
    """The text once quoted claims, table rows and page references are removed (what a template shares)."""
    return _QUOTED.sub("", text)


def truths_of(observations: Iterable[Observation]) -> dict[tuple[str, str], str]:
    """Planted truth per (report id, point id)."""
    return {(o.report, o.point_id): o.truth for o in observations}


def _report_id(review: Review) -> str:
    return review.document_name.rsplit(".", 1)[0]


def _score(
    entries: Sequence[tuple[int, str, str]],
    normalised: Mapping[int, Counter[str]],
    points: Mapping[str, ReviewPoint],
    truth: Mapping[tuple[str, str], str],
    report_of: Mapping[int, str],
    gaps: int,
    key,
) -> ItemQuality:
    """``entries`` are (review index, point id, text); ``key`` maps a text to what duplicates compare."""
    real, specific, on_gap, dupes, covered = 0, 0, 0, 0, set()
    for review, point_id, text in entries:
        planted = truth.get((report_of[review], point_id), Truth.PRESENT)
        named = names_gap(text, points[point_id])
        specific += named
        on_gap += planted != Truth.PRESENT
        if planted != Truth.PRESENT and named:
            real += 1
            covered.add((review, point_id))
        if normalised[review][key(text)] > 1:
            dupes += 1
    n = len(entries)
    return ItemQuality(
        items=n,
        specific=round(specific / n, 4) if n else 0.0,
        on_real_gap=round(real / n, 4) if n else 0.0,
        duplicate_rate=round(dupes / n, 4) if n else 0.0,
        gap_coverage=round(len(covered) / gaps, 4) if gaps else 0.0,
        on_gap_points=on_gap,
    )


def draft_quality(reviews: Sequence[Review], truth: Mapping[tuple[str, str], str], rubric: Rubric) -> DraftQuality:
    """Score the advice and site-visit questions of ``reviews`` against the planted truth."""
    points = {p.id: p for _, p in rubric.iter_points()}
    report_of = {i: _report_id(r) for i, r in enumerate(reviews)}
    gaps = sum(1 for (report, _), t in truth.items() if t != Truth.PRESENT and report in report_of.values())
    claims = sum(1 for (report, _), t in truth.items() if t == Truth.UNSUPPORTED and report in report_of.values())
    advice = [(i, a.point_id, a.text_zh) for i, r in enumerate(reviews) for x in r.assessments for a in x.advice]
    questions = [(i, q.point_id, q.text_zh) for i, r in enumerate(reviews) for q in r.site_visit_questions]

    def points_per_text(entries, key) -> dict[int, Counter[str]]:
        # The same text given twice to one point (two guide links) is one piece of advice, not a duplicate.
        out: dict[int, Counter[str]] = {i: Counter() for i in report_of}
        for review, _, text in {(r, p, key(t)) for r, p, t in entries}:
            out[review][text] += 1
        return out

    guide_use: dict[tuple[int, str], set[str]] = {}
    for i, r in enumerate(reviews):
        for x in r.assessments:
            for a in x.advice:
                if a.source.startswith("ciqa-guide-2021:"):
                    guide_use.setdefault((i, a.source), set()).add(x.indicator_id)
    return DraftQuality(
        reviews=len(reviews),
        advice=_score(advice, points_per_text(advice, str), points, truth, report_of, gaps, str),
        questions=_score(
            questions, points_per_text(questions, without_quotes), points, truth, report_of, claims, without_quotes
        ),
        guide_clause_max_indicators=max((len(v) for v in guide_use.values()), default=0),
        distinct_guide_clauses=len({source for _, source in guide_use}),
    )
