"""Evaluations of the review engine on labelled synthetic reports.

* **Omission** (``ciqa eval omission``): review points whose evidence was removed (planted omissions)
  must get 破折号 (``more_material``); precision / recall / F1 against the planted truth, plus the
  false-alarm rate on points whose evidence is present. Planted unsupported claims must get 问号.
* **Levels** (``ciqa eval levels``): graded variants (strong / adequate / weak / absent evidence per
  indicator) must get levels A / B / C / D; quadratic weighted kappa, exact and adjacent agreement.
* **Citation validity**: the share of quotes found verbatim at the cited chunk, offsets and pages.
* **Calibration** (``ciqa eval calibrate``): a grid search of the matcher thresholds over the signals
  stored in the reviews (signals do not depend on thresholds, so one pass of reviews suffices).

Example:
    >>> result = evaluate_omission(n_reports=4, pages=30)  # doctest: +SKIP
    >>> result.f1  # doctest: +SKIP
    0.9
"""

from __future__ import annotations

import itertools
import json
import math
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from backend.domain.assessment import Review
from backend.domain.enums import Mark
from backend.review.citations import check_assessment
from backend.review.drafters.base import Drafter
from backend.review.drafters.extractive import ExtractiveDrafter
from backend.review.flows import review_collection
from backend.review.matcher import MatcherConfig
from backend.review.rating import MarkRule, decide_mark
from backend.rubrics.models import Rubric
from backend.rubrics.registry import RubricRegistry
from corpus.catalogue import Strength, all_topics
from corpus.generator import generate_report
from corpus.office import render_pdf
from corpus.realistic import Writer
from corpus.writers import write_pdf
from eval.metrics import precision_recall_f1, quadratic_weighted_kappa
from indexing.embedding import Embedder
from indexing.facts import extract_facts
from indexing.options import ParseOptions
from indexing.pipeline import index_files
from indexing.store import Collection

RUBRIC_ID = "audit-2021-type2"


class Truth:
    """What the generator planted for a review point."""

    PRESENT = "present"
    OMITTED = "omitted"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Observation:
    """One review point of one reviewed report, with the planted truth."""

    report: str
    point_id: str
    truth: str
    strength: str | None
    mark: Mark
    best_dense: float
    term_coverage: float
    concrete: float
    figure_found: bool | None
    term_owner_rank: int | None = None
    unit_coverage: float | None = None


@dataclass
class ReviewRun:
    """Reviews of generated reports with what was planted in them."""

    reviews: list[Review] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    quotes: int = 0
    quotes_valid: int = 0
    seconds: float = 0.0


def review_generated(
    seed: int,
    *,
    pages: int,
    rubric: Rubric,
    registry: RubricRegistry,
    embedder: Embedder,
    work_dir: Path,
    omit: frozenset[str] = frozenset(),
    unsupported: frozenset[str] = frozenset(),
    strength: dict[str, Strength] | None = None,
    config: MatcherConfig | None = None,
    run: ReviewRun | None = None,
    writer: Writer | None = None,
    drafter: Drafter | None = None,
) -> Review:
    """Generate, render, parse, index and review one report; record observations and citation checks.

    Args:
        seed: report seed.
        pages: target pages.
        rubric: the rubric (review point ids equal topic ids).
        registry: for advice links.
        embedder: the embedder.
        work_dir: scratch directory.
        omit: planted omissions.
        unsupported: planted bare claims.
        strength: per-topic strengths.
        config: matcher thresholds.
        run: accumulates observations.
        writer: a realistic writer (Word via LibreOffice, web page via Chromium, scan); reportlab when ``None``.
        drafter: the drafter (an LLM drafter for ``ciqa eval llm``); extractive when ``None``.

    Returns:
        The review.
    """
    report = generate_report(seed, pages=pages, omit=omit, unsupported=unsupported, strength=strength)
    pdf = work_dir / f"{report.labels.report_id}.pdf"
    if writer is None:
        write_pdf(report, pdf)
    else:
        render_pdf(report, pdf, writer, seed=seed)
    out = work_dir / f"{report.labels.report_id}.idx"
    indexed = index_files([pdf], out, embedder, parse_options=ParseOptions(ocr=False))
    collection = Collection.load(out)
    review = review_collection(
        collection,
        embedder,
        rubric,
        drafter or ExtractiveDrafter(),
        registry=registry,
        config=config,
        facts=extract_facts(indexed.documents[0].document),
    )
    if run is not None:
        run.reviews.append(review)
        chunks = {c.id: c for c in collection.chunks}
        topics = {t.id: t for t in report.labels.topics}
        for a in review.assessments:
            run.quotes += sum(len(p.evidence) for p in a.points)
            run.quotes_valid += sum(len(p.evidence) for p in a.points) - len(check_assessment(a, chunks))
            for p in a.points:
                t = topics[p.point_id]
                truth = Truth.OMITTED if t.omitted else Truth.UNSUPPORTED if t.unsupported else Truth.PRESENT
                s = p.signals
                run.observations.append(
                    Observation(
                        report=report.labels.report_id,
                        point_id=p.point_id,
                        truth=truth,
                        strength=t.strength.value if t.strength else None,
                        mark=p.mark,
                        best_dense=s.best_dense,
                        term_coverage=s.term_coverage,
                        concrete=s.concrete,
                        figure_found=s.figure_found,
                        term_owner_rank=s.term_owner_rank,
                        unit_coverage=s.unit_coverage,
                    )
                )
    return review


@dataclass(frozen=True)
class OmissionMetrics:
    """Detection of planted omissions and unsupported claims."""

    precision: float
    recall: float
    f1: float
    false_alarm_rate: float
    unsupported_to_verify: float
    citation_validity: float
    points: int


def omission_metrics(
    observations: Sequence[Observation],
    citation_validity: float,
    mark_of: Callable[[Observation], Mark] = lambda o: o.mark,
) -> OmissionMetrics:
    """Score 破折号 against planted omissions, false alarms on present points, 问号 on planted claims."""
    tp = sum(1 for o in observations if o.truth == Truth.OMITTED and mark_of(o) is Mark.MORE_MATERIAL)
    fn = sum(1 for o in observations if o.truth == Truth.OMITTED and mark_of(o) is not Mark.MORE_MATERIAL)
    fp = sum(1 for o in observations if o.truth != Truth.OMITTED and mark_of(o) is Mark.MORE_MATERIAL)
    present = [o for o in observations if o.truth == Truth.PRESENT]
    claims = [o for o in observations if o.truth == Truth.UNSUPPORTED]
    p, r, f = precision_recall_f1(tp, fp, fn)
    return OmissionMetrics(
        precision=p,
        recall=r,
        f1=f,
        false_alarm_rate=round(sum(mark_of(o) is Mark.MORE_MATERIAL for o in present) / max(1, len(present)), 6),
        unsupported_to_verify=round(sum(mark_of(o) is Mark.VERIFY_ON_SITE for o in claims) / max(1, len(claims)), 6),
        citation_validity=citation_validity,
        points=len(observations),
    )


def plan_omission_runs(n_reports: int, seed: int) -> list[tuple[int, frozenset[str], frozenset[str]]]:
    """Seeds with planted omissions (20% of points) and claims (10%), plus untouched reports (one in three)."""
    rng = random.Random(seed)
    ids = [t.id for t in all_topics()]
    runs = []
    for i in range(n_reports):
        if i % 3 == 2:
            runs.append((seed + i, frozenset(), frozenset()))
            continue
        shuffled = rng.sample(ids, len(ids))
        k = len(ids) // 5
        runs.append((seed + i, frozenset(shuffled[:k]), frozenset(shuffled[k : k + len(ids) // 10])))
    return runs


def run_omission(
    embedder: Embedder,
    registry: RubricRegistry,
    *,
    n_reports: int,
    pages: int,
    seed: int = 500,
    config: MatcherConfig | None = None,
    progress: Callable[[int, int], None] = lambda d, t: None,
    writer: Writer | None = None,
    drafter: Drafter | None = None,
) -> ReviewRun:
    """Review reports with planted omissions and claims (and untouched ones); collect observations."""
    run = ReviewRun()
    started = time.perf_counter()
    rubric = registry.get(RUBRIC_ID)
    plans = plan_omission_runs(n_reports, seed)
    with tempfile.TemporaryDirectory() as tmp:
        for i, (s, omit, claims) in enumerate(plans, start=1):
            review_generated(
                s,
                pages=pages,
                rubric=rubric,
                registry=registry,
                embedder=embedder,
                work_dir=Path(tmp),
                omit=omit,
                unsupported=claims,
                config=config,
                run=run,
                writer=writer,
                drafter=drafter,
            )
            progress(i, len(plans))
    run.seconds = time.perf_counter() - started
    return run


GRADES = (Strength.STRONG, Strength.ADEQUATE, Strength.WEAK, None)  # None: evidence absent


@dataclass(frozen=True)
class LevelMetrics:
    """Agreement of suggested levels with the planted grade of each indicator."""

    qwk: float
    exact: float
    adjacent: float
    indicators: int
    confusion: dict[str, dict[str, int]]


def run_levels(
    embedder: Embedder,
    registry: RubricRegistry,
    *,
    n_reports: int,
    pages: int,
    seed: int = 900,
    config: MatcherConfig | None = None,
    progress: Callable[[int, int], None] = lambda d, t: None,
    drafter: Drafter | None = None,
) -> tuple[LevelMetrics, ReviewRun]:
    """Review graded variants: each indicator's topics strong, adequate, weak (bare claims) or absent."""
    rubric = registry.get(RUBRIC_ID)
    levels = [lv.id for lv in sorted(rubric.scale, key=lambda lv: -lv.score)]
    topics = all_topics()
    indicators = sorted({t.indicator for t in topics})
    rng = random.Random(seed)
    truth: list[int] = []
    predicted: list[int] = []
    run = ReviewRun()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n_reports):
            grade_of = {ind: rng.randrange(len(GRADES)) for ind in indicators}
            omit = frozenset(t.id for t in topics if GRADES[grade_of[t.indicator]] is None)
            claims = frozenset(t.id for t in topics if GRADES[grade_of[t.indicator]] is Strength.WEAK)
            strength = {
                t.id: GRADES[grade_of[t.indicator]]
                for t in topics
                if GRADES[grade_of[t.indicator]] in (Strength.STRONG, Strength.ADEQUATE)
            }
            review = review_generated(
                seed + i,
                pages=pages,
                rubric=rubric,
                registry=registry,
                embedder=embedder,
                work_dir=Path(tmp),
                omit=omit,
                unsupported=claims,
                strength=strength,
                config=config,
                run=run,
                drafter=drafter,
            )
            for a in review.assessments:
                truth.append(grade_of[a.indicator_id])
                predicted.append(levels.index(a.level))
            progress(i + 1, n_reports)
    run.seconds = time.perf_counter() - started
    n = len(truth) or 1
    confusion = {row: dict.fromkeys(levels, 0) for row in levels}  # rows and columns in scale order
    for t, p in zip(truth, predicted, strict=True):
        confusion[levels[t]][levels[p]] += 1
    metrics = LevelMetrics(
        qwk=round(quadratic_weighted_kappa(truth, predicted, len(levels)), 6),
        exact=round(sum(t == p for t, p in zip(truth, predicted, strict=True)) / n, 6),
        adjacent=round(sum(abs(t - p) <= 1 for t, p in zip(truth, predicted, strict=True)) / n, 6),
        indicators=len(truth),
        confusion=confusion,
    )
    return metrics, run


def _with_config(o: Observation, config: MatcherConfig) -> Mark:
    from backend.domain.assessment import PointSignals

    if (o.unit_coverage or 0.0) < config.min_evidence_cover:
        return Mark.MORE_MATERIAL  # every candidate is below the relevance bar: the point shows no evidence

    signals = PointSignals(
        best_dense=o.best_dense,
        best_bm25=0.0,
        term_coverage=o.term_coverage,
        concrete=o.concrete,
        figure_found=o.figure_found,
        term_owner_rank=o.term_owner_rank,
        unit_coverage=o.unit_coverage,
    )
    return decide_mark(signals, config.mark_rule)


def calibrate(
    observations: Sequence[Observation], max_false_alarm: float = 0.10
) -> tuple[MatcherConfig, OmissionMetrics]:
    """Grid-search thresholds: best omission F1 with false alarms ≤ the bound, then most claims to 问号."""
    best: tuple[tuple[float, float], MatcherConfig, OmissionMetrics] | None = None
    grid = itertools.product(
        (1, 2, 3),  # max_term_owner_rank
        (0.15, 0.18, 0.2, 0.22, 0.24, 0.26, 0.28, 0.3, 0.35),  # min_unit_coverage
        (0.5,),  # concrete_min: concreteness is 0 or 1 per point
    )
    for max_rank, min_cover, concrete_min in grid:
        cfg = MatcherConfig(
            mark_rule=MarkRule(max_term_owner_rank=max_rank, min_unit_coverage=min_cover, concrete_min=concrete_min)
        )
        m = omission_metrics(observations, 1.0, lambda o, c=cfg: _with_config(o, c))
        if m.false_alarm_rate > max_false_alarm:
            continue
        key = (m.f1, m.unsupported_to_verify)
        if best is None or key > best[0]:
            best = (key, cfg, m)
    if best is None:
        raise ValueError("no threshold setting keeps false alarms under the bound")
    bar = relevance_bar(observations)
    config = best[1].model_copy(update={"min_evidence_cover": bar})
    return config, omission_metrics(observations, 1.0, lambda o: _with_config(o, config))


def relevance_bar(observations: Sequence[Observation], keep: float = 0.99) -> float:
    """The highest evidence relevance bar under which ``keep`` of the points whose evidence is present keep some.

    Evidence below the bar is not shown (the point says 未找到相关内容); the bar is set on present points so that
    honest silence on filler does not cost real evidence.
    """
    present = sorted(o.unit_coverage or 0.0 for o in observations if o.truth == Truth.PRESENT)
    if not present:
        return 0.0
    return math.floor(present[int((1.0 - keep) * len(present))] * 100) / 100  # rounded down: keeps that point


def save(out_dir: Path, name: str, payload: object) -> Path:
    """Write a result as JSON under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    data = asdict(payload) if hasattr(payload, "__dataclass_fields__") else payload
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), "utf-8")
    return path
