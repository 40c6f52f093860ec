"""The review as data: frozen pydantic models of assessments, evidence, marks, gaps and advice."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator


class Mark(StrEnum):
    """The three marks experts put on a review point in the online 审核评估 review."""

    CLEAR = "clear"
    MORE_MATERIAL = "more_material"
    VERIFY_ON_SITE = "verify_on_site"

    @property
    def zh(self) -> str:
        """The Chinese name experts use."""
        return MARK_ZH[self]


MARK_ZH = {Mark.CLEAR: "句号", Mark.MORE_MATERIAL: "破折号", Mark.VERIFY_ON_SITE: "问号"}


class DrafterKind(StrEnum):
    """Who drafted an assessment."""

    EXTRACTIVE = "extractive"
    LLM = "llm"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


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


class ReportedFigure(_Frozen):
    """A quantitative value found next to its metric name (生师比 17.5:1 → 17.5)."""

    metric: str
    value: float
    unit: str
    text: str
    chunk_id: str
    meets_floor: bool | None = None


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


class PointAssessment(_Frozen):
    """The suggested mark of one review point with the evidence behind it."""

    point_id: str
    point_text: str
    mark: Mark
    evidence: tuple[Evidence, ...] = ()
    figure: ReportedFigure | None = None
    signals: PointSignals
    rationale_zh: str

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: object) -> object:
        """Serialised reviews carry ``mark_zh``; it is derived from ``mark``, so it is not read back."""
        if isinstance(data, dict) and "mark_zh" in data:
            return {k: v for k, v in data.items() if k != "mark_zh"}
        return data

    @computed_field
    @property
    def mark_zh(self) -> str:
        """The mark's Chinese name."""
        return self.mark.zh


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


class DraftInfo(_Frozen):
    """Provenance of a draft: drafter, version, prompt, model, timing, fallback."""

    drafter: DrafterKind
    version: str
    prompt_id: str | None = None
    model: str | None = None
    seconds: float = 0.0
    fallback_reason: str | None = None


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
