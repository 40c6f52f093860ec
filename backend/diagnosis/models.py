"""The diagnosis as data: respondents' answers, the questionnaire built from a rubric, and the result."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from backend.domain.diagnosis import RespondentRole, ResponseStatus
from backend.domain.enums import InstitutionType


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Verdict(StrEnum):
    """How a self-rating compares with what the reviewed evidence supports."""

    CONSISTENT = "consistent"
    OVERRATED = "overrated"
    UNDERRATED = "underrated"
    UNVERIFIED = "unverified"
    NO_EVIDENCE = "no_evidence"
    NOT_RATED = "not_rated"

    @property
    def zh(self) -> str:
        """The verdict as the result page names it."""
        return VERDICT_ZH[self]


VERDICT_ZH = {
    Verdict.CONSISTENT: "与证据相符",
    Verdict.OVERRATED: "自评偏高",
    Verdict.UNDERRATED: "自评偏低",
    Verdict.UNVERIFIED: "引文未能核验",
    Verdict.NO_EVIDENCE: "尚无已评审证据",
    Verdict.NOT_RATED: "未自评",
}


class Question(_Frozen):
    """One 审核重点 as the questionnaire asks it."""

    point_id: str
    text: str
    expected: tuple[str, ...]


class Section(_Frozen):
    """A 二级指标 with its questions."""

    indicator_id: str
    name: str
    questions: tuple[Question, ...]


class Dimension(_Frozen):
    """A 一级指标 (理念认同 / 制度建设 / 实践推进 / 成效表现) with its sections."""

    indicator_id: str
    name: str
    sections: tuple[Section, ...]


class ScaleOption(_Frozen):
    """A level respondents may choose, with what evidence it needs."""

    id: str
    label: str
    score: float
    evidence: str


class Questionnaire(_Frozen):
    """The questionnaire of a rubric: its scale and its dimensions."""

    rubric_id: str
    rubric_version: str
    rubric_name: str
    scale: tuple[ScaleOption, ...]
    dimensions: tuple[Dimension, ...]

    @property
    def point_ids(self) -> tuple[str, ...]:
        """Every question's point id, in order."""
        return tuple(q.point_id for d in self.dimensions for s in d.sections for q in s.questions)


class Quote(_Frozen):
    """A verbatim quote of a reviewed document, checked against the stored chunk text when the result is built."""

    document: str
    page_start: int | None
    page_end: int | None
    text: str


class CrossCheck(_Frozen):
    """A point's self-rating against the AI review of the institution's evidence; ``statement_zh`` rests on quotes."""

    verdict: Verdict
    review_mark_zh: str | None = None
    statement_zh: str
    quotes: tuple[Quote, ...] = ()


class GuideAdvice(_Frozen):
    """The guide's recommendation (《中国高校质量文化建设指南》) a weak point's advice links to."""

    link: str
    guide_name: str
    recommendation_id: str
    recommendation_text: str


class PointResult(_Frozen):
    """A 审核重点: the mean self-rating of submitted responses, their spread, the cross-check and advice."""

    point_id: str
    text: str
    indicator_id: str
    dimension: str
    score: float | None
    level_label: str | None
    ratings: int
    spread: float
    comments: tuple[str, ...]
    linked: tuple[str, ...] = Field(default=(), description="names of the uploaded files respondents linked")
    check: CrossCheck
    advice: GuideAdvice | None = None


class IndicatorScore(_Frozen):
    """A 一级 or 二级指标's score on the rubric's scale (None when nobody rated it)."""

    indicator_id: str
    name: str
    depth: int
    score: float | None


class RespondentSummary(_Frozen):
    """Who answered: role label and status (names are shown only within the institution)."""

    respondent: str
    role: RespondentRole
    status: ResponseStatus
    answered: int


class CategoryComparison(_Frozen):
    """The anonymised mean of the category's institutions per dimension, shown from a minimum number on."""

    category: InstitutionType
    institutions: int
    minimum: int
    dimensions: tuple[float, ...] | None = Field(description="None below the minimum number of institutions")


class Change(_Frozen):
    """A dimension's score now and in the previous diagnosis (持续改进)."""

    dimension: str
    previous: float | None
    current: float | None

    @property
    def delta(self) -> float | None:
        """Current minus previous, when both exist."""
        if self.previous is None or self.current is None:
            return None
        return round(self.current - self.previous, 2)


class EvidenceSource(_Frozen):
    """Which review the cross-check used, or None when no upload was reviewed with the rubric."""

    review_id: int
    document: str
    reviewed_at: str


class DiagnosisResult(_Frozen):
    """Everything the result page, the API and the Word report show for one diagnosis."""

    diagnosis_id: int
    title: str
    institution: str
    category: InstitutionType
    rubric_id: str
    scale_max: float
    scale_min: float
    respondents: tuple[RespondentSummary, ...]
    submitted: int
    dimensions: tuple[IndicatorScore, ...]
    indicators: tuple[IndicatorScore, ...]
    points: tuple[PointResult, ...]
    weakest: tuple[str, ...] = Field(description="point ids of the weakest points, weakest first")
    evidence: EvidenceSource | None
    comparison: CategoryComparison
    changes: tuple[Change, ...] = ()
    previous_title: str | None = None
