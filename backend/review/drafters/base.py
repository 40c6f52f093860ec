"""What every drafter receives and returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from backend.domain.assessment import DrafterKind, Evidence, IndicatorAssessment, PointSignals, ReportedFigure
from backend.domain.enums import Mark
from backend.rubrics.models import Indicator, ReviewPoint, Rubric
from indexing.models import Chunk


@dataclass(frozen=True)
class PointMatch:
    """The matcher's result for one review point: ranked evidence, signals and the calibrated mark."""

    point: ReviewPoint
    evidence: tuple[Evidence, ...]
    figure: ReportedFigure | None
    signals: PointSignals
    mark: Mark


@dataclass(frozen=True)
class IndicatorContext:
    """Everything a drafter may use for one indicator; the evidence given to a model is these chunks only."""

    rubric: Rubric
    indicator: Indicator
    matches: tuple[PointMatch, ...]
    chunks: Mapping[str, Chunk]
    guide: Rubric | None = None


class Drafter(Protocol):
    """Drafts one indicator assessment from matched evidence."""

    kind: DrafterKind
    version: str

    def draft(self, context: IndicatorContext) -> IndicatorAssessment:
        """Return the assessment of ``context.indicator``."""
        ...

    def draft_many(self, contexts: Sequence[IndicatorContext]) -> list[IndicatorAssessment]:
        """Assess several indicators (concurrently where the drafter can); results in input order."""
        ...
