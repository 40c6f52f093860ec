"""The review as data: frozen pydantic models of assessments, evidence, marks, gaps and advice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from backend.domain.enums import Mark
from indexing.models import FactOrigin

# What a point shows when nothing in the report passes the relevance bar (never filler quotes).
NO_EVIDENCE_ZH = "未找到相关内容"


class DrafterKind(StrEnum):
    """Who drafted an assessment."""

    EXTRACTIVE = "extractive"
    LLM = "llm"


class GapKind(StrEnum):
    """What a point lacks, as advice names it."""

    NOT_COVERED = "not_covered"
    UNSUPPORTED = "unsupported"
    FIGURE_MISSING = "figure_missing"
    BELOW_FLOOR = "below_floor"


class JudgeVerdict(StrEnum):
    """A second-stage model's answer to "does this evidence show the point is addressed?"."""

    ADDRESSED = "addressed"
    PARTLY = "partly"
    NOT_ADDRESSED = "not_addressed"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Marked(_Frozen):
    """A model with a ``mark`` field (declared by each subclass, in its place), serialised with ``mark_zh``."""

    @model_validator(mode="before")
    @classmethod
    def _drop_mark_zh(cls, data: object) -> object:
        """Stored JSON carries ``mark_zh``; it is derived from ``mark``, so it is not read back."""
        if isinstance(data, dict) and "mark_zh" in data:
            return {k: v for k, v in data.items() if k != "mark_zh"}
        return data

    @computed_field
    @property
    def mark_zh(self) -> str:
        """The mark's Chinese name."""
        return self.mark.zh


class Evidence(_Frozen):
    """A ranked piece of evidence: an exact quote located in a chunk and in the source."""

    chunk_id: str
    document_id: str
    quote: str
    quote_start: int = Field(description="offset of the quote in the chunk text")
    quote_end: int
    page_start: int | None
    page_end: int | None
    heading_path: tuple[str, ...]
    fused_score: float
    dense_score: float | None = None
    bm25_score: float | None = None
    rank: int
    matched_terms: tuple[str, ...] = ()
    display_zh: str | None = Field(
        default=None, description="a table row as 「表名：指标 = 值」; the quote stays verbatim"
    )


class ReportedFigure(_Frozen):
    """A metric's value as the report states it, with the table cell or sentence that states it.

    ``value`` is in the rubric metric's ``unit`` (0.48 万元 → 4800 元); ``text`` is the figure as written.
    """

    metric: str
    value: float
    unit: str
    text: str
    chunk_id: str
    label: str = Field(default="", description="the metric's label as written in the report")
    page: int | None = None
    evidence: str = Field(default="", description="the table row or the sentence, verbatim in the source")
    origin: FactOrigin | None = None
    table_title: str | None = None
    row: int | None = Field(default=None, description="0-based row of the table cell")
    column: int | None = Field(default=None, description="0-based column of the table cell")
    qualifier: str | None = None
    period: str | None = None
    meets_floor: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: object) -> object:
        """Serialised reviews carry ``display_zh``; it is derived, so it is not read back."""
        if isinstance(data, dict) and "display_zh" in data:
            return {k: v for k, v in data.items() if k != "display_zh"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def display_zh(self) -> str:
        """How experts read it: 「表名：指标 = 值」 with the cell, or the sentence with its page."""
        page = f"第 {self.page} 页" if self.page else "页码未知"
        written = (
            f"{self.qualifier or ''}{self.text}" if self.qualifier and self.qualifier not in self.text else self.text
        )
        if self.origin is FactOrigin.TABLE:
            title = f"{self.table_title}：" if self.table_title else ""
            cell = (
                f"表格第 {self.row + 1} 行第 {self.column + 1} 列"
                if self.row is not None and self.column is not None
                else "表格"
            )
            return f"「{title}{self.label or self.metric} = {written}」（{page}，{cell}）"
        return f"「{self.evidence or written}」（{page}）"


class PointSignals(_Frozen):
    """The calibrated signals behind a mark (kept so experts and evaluations can see why)."""

    best_dense: float = Field(description="highest cosine between a query phrasing and an evidence chunk")
    best_bm25: float = Field(description="highest BM25 score of an evidence chunk")
    term_coverage: float = Field(description="share of the point's key terms found in the evidence")
    concrete: float = Field(description="1 when the paragraph most about the point has figures, documents or results")
    figure_found: bool | None = None
    term_owner_rank: int | None = Field(
        default=None, description="the same, by distinctive terms, paragraph by paragraph"
    )
    unit_coverage: float | None = Field(
        default=None, description="best weighted share of the point's terms in a paragraph"
    )


class JudgeOpinion(_Frozen):
    """A model's verdict on a borderline point, with the verbatim quote it rests on (if any)."""

    verdict: JudgeVerdict
    reason_zh: str
    quote: str | None = None
    chunk_id: str | None = None
    page: int | None = None
    model: str
    prompt_id: str


class PointAssessment(_Marked):
    """The suggested mark of one review point with the evidence behind it."""

    point_id: str
    point_text: str
    mark: Mark
    evidence: tuple[Evidence, ...] = ()
    figure: ReportedFigure | None = None
    signals: PointSignals
    rationale_zh: str
    site_visit_zh: str | None = Field(
        default=None, description="for 问号: the claim with its page and what to ask for on site"
    )
    judge: JudgeOpinion | None = Field(default=None, description="the borderline judge's verdict, beside the signals")


class MissingEvidence(_Frozen):
    """What the rubric expects to see for a point the report does not cover."""

    point_id: str
    expected_zh: str
    metric: str | None = None


class Advice(_Frozen):
    """An improvement suggestion linked to the guide recommendation or rubric clause it comes from."""

    text_zh: str
    source: str = Field(description="link such as ciqa-guide-2021:3.2.3 or a rubric point id")
    point_id: str
    gap: GapKind | None = None
    expected: tuple[str, ...] = Field(default=(), description="the rubric's expected evidence items the advice names")


class DraftInfo(_Frozen):
    """Provenance of a draft: drafter, version, prompt, model, timing, fallback."""

    drafter: DrafterKind
    version: str
    prompt_id: str | None = None
    model: str | None = None
    seconds: float = 0.0
    fallback_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class IndicatorAssessment(_Frozen):
    """The drafted assessment of one indicator."""

    indicator_id: str
    indicator_name: str
    level: str
    level_label: str
    confidence: float = Field(ge=0.0, le=1.0)
    points: tuple[PointAssessment, ...]
    missing: tuple[MissingEvidence, ...] = ()
    advice: tuple[Advice, ...] = ()
    rationale_zh: str
    draft: DraftInfo


class ChecklistItem(_Frozen):
    """One line of the 补充材料清单 or the 入校考察问题清单."""

    indicator_id: str
    point_id: str
    text_zh: str


class Review(_Frozen):
    """A complete review of one document version against one rubric version."""

    document_id: str
    document_name: str
    rubric_id: str
    rubric_version: str
    rubric_fingerprint: str
    assessments: tuple[IndicatorAssessment, ...]
    supplementary_materials: tuple[ChecklistItem, ...] = ()
    site_visit_questions: tuple[ChecklistItem, ...] = ()
    seconds: float = 0.0


class PointSummary(_Marked):
    """A review point's mark and short fields; its quotes and figure come with the full assessment."""

    point_id: str
    point_text: str
    mark: Mark
    rationale_zh: str
    evidence_count: int = Field(ge=0, description="quotes shown with the full assessment")
    has_figure: bool = Field(description="a reported figure is shown with the full assessment")

    @classmethod
    def of(cls, point: PointAssessment) -> PointSummary:
        """The summary of an assessed point."""
        return cls(
            point_id=point.point_id,
            point_text=point.point_text,
            mark=point.mark,
            rationale_zh=point.rationale_zh,
            evidence_count=len(point.evidence),
            has_figure=point.figure is not None,
        )


class IndicatorSummary(_Frozen):
    """An indicator's drafted level, confidence, rationale and point marks, without evidence, gaps or advice."""

    indicator_id: str
    indicator_name: str
    level: str
    level_label: str
    confidence: float = Field(ge=0.0, le=1.0)
    rationale_zh: str
    drafter: DrafterKind
    fallback_reason: str | None = None
    points: tuple[PointSummary, ...]
    missing_count: int = Field(ge=0, description="points whose expected evidence the report lacks")
    advice_count: int = Field(ge=0)

    @classmethod
    def of(cls, assessment: IndicatorAssessment) -> IndicatorSummary:
        """The summary of an indicator's assessment."""
        return cls(
            indicator_id=assessment.indicator_id,
            indicator_name=assessment.indicator_name,
            level=assessment.level,
            level_label=assessment.level_label,
            confidence=assessment.confidence,
            rationale_zh=assessment.rationale_zh,
            drafter=assessment.draft.drafter,
            fallback_reason=assessment.draft.fallback_reason,
            points=tuple(PointSummary.of(p) for p in assessment.points),
            missing_count=len(assessment.missing),
            advice_count=len(assessment.advice),
        )


class MarkCount(_Marked):
    """How many review points got a mark."""

    mark: Mark
    count: int = Field(ge=0)


class LevelCount(_Frozen):
    """How many indicators were drafted at a level."""

    level: str
    level_label: str
    count: int = Field(ge=1)


class ReviewCounts(_Frozen):
    """The drafted suggestions in numbers: points per mark (every mark, in order), indicators per level."""

    marks: tuple[MarkCount, ...]
    levels: tuple[LevelCount, ...] = Field(description="levels that occur, by level id")

    @classmethod
    def of(cls, assessments: Sequence[IndicatorAssessment]) -> ReviewCounts:
        """Count the marks of every point and the level of every indicator."""
        marks = Counter(p.mark for a in assessments for p in a.points)
        levels = Counter((a.level, a.level_label) for a in assessments)
        return cls(
            marks=tuple(MarkCount(mark=m, count=marks[m]) for m in Mark),
            levels=tuple(
                LevelCount(level=level, level_label=label, count=n) for (level, label), n in sorted(levels.items())
            ),
        )
