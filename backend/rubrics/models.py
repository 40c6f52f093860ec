"""Rubrics as data: the schema of an indicator system (scale, indicators, review points, metrics) and its fingerprint.

A rubric is a YAML file under ``rubrics/`` (JSON Schema in ``rubrics/rubric.schema.json``). It holds a
rating scale and a tree of indicators (一级 → 二级 → review points / 审核重点). Every text says whether it
is ``official`` (verbatim from the source document) or ``reconstructed`` (our paraphrase). Review points
link to recommendations of the guide rubric (``ciqa-guide-2021:3.2.3``), which supply improvement advice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from backend.domain.enums import InstitutionType, SubmissionKind
from backend.errors import AppError, ErrorCode

SCHEMA_FILE = "rubric.schema.json"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
RUBRIC_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
LINK_PATTERN = r"^[a-z0-9][a-z0-9-]*:[A-Za-z0-9][A-Za-z0-9._-]*$"
MAX_DEPTH = 3

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ItemId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
RubricId = Annotated[str, StringConstraints(pattern=RUBRIC_ID_PATTERN)]
Link = Annotated[str, StringConstraints(pattern=LINK_PATTERN)]


class TextOrigin(StrEnum):
    """Whether a text is verbatim from its source document or our paraphrase."""

    OFFICIAL = "official"
    RECONSTRUCTED = "reconstructed"


class PointKind(StrEnum):
    """定性 or 定量 review point."""

    QUALITATIVE = "qualitative"
    QUANTITATIVE = "quantitative"


class Selection(StrEnum):
    """Whether an indicator must be reported on (审核评估 modules)."""

    REQUIRED = "必选"
    OPTIONAL = "可选"
    FEATURE = "特色可选"
    FIRST_AUDIT = "首评限选"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where the rubric comes from.

    Args:
        document: title of the source document.
        date: its date of issue; ``None`` where unknown (e.g. an imported table).
        issuer: who issued it.
        reference: 文号 or other identifier.
        note: what was reconstructed, and how.
    """

    document: Text
    date: dt.date | None = None
    issuer: Text | None = None
    reference: Text | None = None
    note: Text | None = None


class Applicability(_Strict):
    """Which institutions and submissions a rubric applies to."""

    institution_types: list[InstitutionType] = Field(min_length=1)
    submission_kinds: list[SubmissionKind] = Field(min_length=1)


class Level(_Strict):
    """One level of the rating scale; ``evidence`` says what evidence the level needs."""

    id: ItemId
    label: Text
    score: float
    evidence: Text


class Metric(_Strict):
    """The figure a quantitative review point asks for.

    Args:
        name: metric name as in 状态数据 (e.g. 生师比).
        synonyms: other names reports use for the same figure (学生与教师比; 毕业去向落实率 for 初次就业率); a
            reported figure is looked up under the name and every synonym, never under a looser match.
        unit: ``%``, ``元``, ``:1`` (N in N:1), ``1:`` (N in 1:N), ``册`` …
        national_floor: the national threshold, only where it is certain; ``None`` otherwise.
        floor_direction: ``at_most`` (e.g. 生师比 ≤ 18) or ``at_least``; required with a floor.
        floor_basis: which document sets the threshold, and for which institution types.
    """

    name: Text
    synonyms: tuple[Text, ...] = ()
    unit: Text
    national_floor: float | None = None
    floor_direction: Literal["at_least", "at_most"] | None = None
    floor_basis: Text | None = None

    @model_validator(mode="after")
    def _direction_with_floor(self) -> Metric:
        if (self.national_floor is None) != (self.floor_direction is None):
            raise ValueError("national_floor and floor_direction go together")
        return self


class Examples(_Strict):
    """A well-evidenced paragraph and a weak one for a review point (used by tests and the matcher)."""

    strong: Text
    weak: Text


class ReviewPoint(_Strict):
    """One review point (审核重点 / 观测点 / guide recommendation).

    Args:
        id: unique in the rubric, e.g. ``6.3.1``.
        title: a short label; the display falls back to the text.
        text: the official (or reconstructed) wording.
        text_origin: official or reconstructed.
        kind: qualitative or quantitative.
        evidence: what evidence is expected, as short descriptions.
        queries: 2–5 phrasings a university might write in its report.
        key_terms: terms whose presence signals coverage.
        weight: relative weight among siblings.
        metric: for quantitative points only.
        links: guide recommendations supplying improvement advice (``rubric-id:point-id``).
        selection: 必选 / 可选 / 特色可选 / 首评限选 where the source says so.
        level_descriptors: per scale level id, what that level means for this point.
        examples: a strong and a weak paragraph.
    """

    id: ItemId
    title: Text | None = None
    text: Text
    text_origin: TextOrigin
    kind: PointKind = PointKind.QUALITATIVE
    evidence: list[Text] = Field(default_factory=list)
    queries: list[Text] = Field(min_length=2, max_length=5)
    key_terms: list[Text] = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)
    metric: Metric | None = None
    links: list[Link] = Field(default_factory=list)
    selection: Selection | None = None
    level_descriptors: dict[str, Text] = Field(default_factory=dict)
    examples: Examples | None = None

    @model_validator(mode="after")
    def _metric_matches_kind(self) -> ReviewPoint:
        if self.kind is PointKind.QUANTITATIVE and self.metric is None:
            raise ValueError("a quantitative review point needs a metric")
        if self.kind is PointKind.QUALITATIVE and self.metric is not None:
            raise ValueError("a qualitative review point has no metric")
        return self

    @property
    def label(self) -> str:
        """The title, or the text shortened for display."""
        return self.title or (self.text if len(self.text) <= 40 else self.text[:39] + "…")


class Indicator(_Strict):
    """An indicator (一级 or 二级) with sub-indicators and/or review points."""

    id: ItemId
    name: Text
    description: Text | None = None
    text_origin: TextOrigin
    selection: Selection | None = None
    weight: float = Field(default=1.0, gt=0)
    children: list[Indicator] = Field(default_factory=list)
    review_points: list[ReviewPoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Indicator:
        if not self.children and not self.review_points:
            raise ValueError("an indicator needs sub-indicators or review points")
        return self


class Counts(BaseModel):
    """How many indicators per depth and review points a rubric has."""

    model_config = ConfigDict(frozen=True)

    indicators_by_depth: tuple[int, ...]
    review_points: int
    quantitative: int
    official: int
    reconstructed: int


class RubricRef(_Strict):
    """What a review records about the rubric it used."""

    id: RubricId
    version: Text
    fingerprint: Text


class Rubric(_Strict):
    """An indicator system with its rating scale; see the module docstring."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"$id": "https://ciqa-review/rubric.schema.json", "title": "CIQA rubric"},
    )

    id: RubricId
    name: Text
    version: Text
    description: Text | None = None
    source: Source
    applicability: Applicability
    scale: list[Level] = Field(min_length=1)
    indicators: list[Indicator] = Field(min_length=1)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of the content: formatting and comments do not count."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def ref(self) -> RubricRef:
        """The (id, version, fingerprint) a review stores."""
        return RubricRef(id=self.id, version=self.version, fingerprint=self.fingerprint)

    def iter_indicators(self) -> Iterator[tuple[int, Indicator]]:
        """Indicators depth-first with their depth (1 = 一级)."""

        def walk(items: Sequence[Indicator], depth: int) -> Iterator[tuple[int, Indicator]]:
            for ind in items:
                yield depth, ind
                yield from walk(ind.children, depth + 1)

        return walk(self.indicators, 1)

    def first_levels(self) -> dict[str, Indicator]:
        """Every indicator id -> the first-level indicator (一级指标) it sits under (itself for a first-level one)."""
        found: dict[str, Indicator] = {}
        for depth, indicator in self.iter_indicators():
            if depth == 1:  # depth-first: a 一级指标 comes before everything under it
                top = indicator
            found[indicator.id] = top
        return found

    def iter_points(self) -> Iterator[tuple[tuple[Indicator, ...], ReviewPoint]]:
        """Review points in document order, each with its chain of indicators (outermost first)."""

        def walk(items: Sequence[Indicator], chain: tuple[Indicator, ...]) -> Iterator[Any]:
            for ind in items:
                here = (*chain, ind)
                for point in ind.review_points:
                    yield here, point
                yield from walk(ind.children, here)

        return walk(self.indicators, ())

    def point(self, point_id: str) -> ReviewPoint:
        """The review point with this id."""
        for _, p in self.iter_points():
            if p.id == point_id:
                return p
        raise AppError(ErrorCode.NOT_FOUND, f"指标体系 {self.id} 中没有审核重点 {point_id}。", point_id)

    def point_ids(self) -> frozenset[str]:
        """Ids of all review points."""
        return frozenset(p.id for _, p in self.iter_points())

    def counts(self) -> Counts:
        """Indicator counts per depth and review point counts."""
        by_depth: dict[int, int] = {}
        for depth, _ in self.iter_indicators():
            by_depth[depth] = by_depth.get(depth, 0) + 1
        points = [p for _, p in self.iter_points()]
        return Counts(
            indicators_by_depth=tuple(by_depth[d] for d in sorted(by_depth)),
            review_points=len(points),
            quantitative=sum(p.kind is PointKind.QUANTITATIVE for p in points),
            official=sum(p.text_origin is TextOrigin.OFFICIAL for p in points),
            reconstructed=sum(p.text_origin is TextOrigin.RECONSTRUCTED for p in points),
        )


def rubric_changed(rubric: Rubric, stored_fingerprint: str) -> bool:
    """Whether ``rubric`` differs from the content a review recorded as ``stored_fingerprint``."""
    return rubric.fingerprint != stored_fingerprint


# --- problems and the error ----------------------------------------------------------------------

Loc = tuple[str | int, ...]
