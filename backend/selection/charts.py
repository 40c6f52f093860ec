"""What the campaign's charts draw: coverage per institution and first-level indicator, a radar per institution
over the first-level indicators (理念认同 / 制度建设 / 实践推进 / 成效表现 for quality culture), levels per category."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from backend.db.models import AssessmentRecord
from backend.db.queries import reviews
from backend.domain.enums import InstitutionType, Mark
from backend.rubrics.models import Rubric
from backend.selection.agreement import IndicatorAgreement
from backend.selection.shortlist import CampaignShortlist


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Heatmap(_Frozen):
    """Share of points marked 句号 (0–100) per institution (rows) and first-level indicator (columns)."""

    institutions: tuple[str, ...]
    dimensions: tuple[str, ...]
    cells: tuple[tuple[int, int, float | None], ...]


class Radar(_Frozen):
    """One institution's scores (0–100) per first-level indicator."""

    institution: str
    category: InstitutionType
    values: tuple[float, ...]


class LevelDistribution(_Frozen):
    """How many indicators got each level, per category."""

    levels: tuple[str, ...]
    categories: tuple[InstitutionType, ...]
    counts: tuple[tuple[int, ...], ...]


class CampaignCharts(_Frozen):
    """Every chart of the campaign's chart page."""

    dimensions: tuple[str, ...]
    heatmap: Heatmap
    radars: tuple[Radar, ...]
    levels: LevelDistribution
    agreement: tuple[IndicatorAgreement, ...] = ()


def summaries_by_submission(session: Session, *, shortlist: CampaignShortlist) -> dict[int, list[AssessmentRecord]]:
    """Submission id -> its ranked review's assessment summaries, read in one query."""
    submission_of = {rid: sid for sid, rid in shortlist.review_of.items()}
    found: dict[int, list[AssessmentRecord]] = {}
    for a in reviews.list_review_assessments(session, review_ids=list(submission_of), summaries_only=True):
        found.setdefault(submission_of[a.review_id], []).append(a)
    return found


def campaign_charts(
    shortlist: CampaignShortlist, summaries: dict[int, Sequence[AssessmentRecord]], rubric: Rubric
) -> CampaignCharts:
    """The charts of a campaign's ranked institutions; ``summaries`` maps a submission to its review's assessments."""
    dimensions = tuple(top.name for top in rubric.indicators)
    top_of = rubric.first_levels()
    rows = [r for c in shortlist.categories for r in c.rows]
    cells = []
    for y, row in enumerate(rows):
        marks: dict[str, list[Mark]] = {}
        for record in summaries.get(row.candidate.submission_id, ()):
            top = top_of.get(record.indicator_id)
            if top is not None:
                marks.setdefault(top.name, []).extend(p.mark for p in record.summary.points)
        for x, name in enumerate(dimensions):
            found = marks.get(name)
            cells.append((x, y, round(100 * found.count(Mark.CLEAR) / len(found), 1) if found else None))
    radars = []
    for row in rows:
        scores = {p.name: p.score for p in shortlist.explained.get(row.candidate.submission_id, ())}
        radars.append(
            Radar(
                institution=shortlist.label(row),
                category=row.candidate.category,
                values=tuple(round(100 * scores.get(d, 0.0), 1) for d in dimensions),
            )
        )
    order = sorted(rubric.scale, key=lambda lv: -lv.score)
    categories = tuple(c.category for c in shortlist.categories)
    counts = []
    for category in shortlist.categories:
        levels = [
            record.summary.level for r in category.rows for record in summaries.get(r.candidate.submission_id, ())
        ]
        counts.append(tuple(levels.count(lv.id) for lv in order))
    return CampaignCharts(
        dimensions=dimensions,
        heatmap=Heatmap(
            institutions=tuple(shortlist.label(r) for r in rows), dimensions=dimensions, cells=tuple(cells)
        ),
        radars=tuple(radars),
        levels=LevelDistribution(levels=tuple(lv.label for lv in order), categories=categories, counts=tuple(counts)),
    )
