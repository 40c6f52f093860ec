"""The draft report as data: chapters (一级指标) of sections (二级指标) of points (审核重点) with cited sentences."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from backend.domain.assessment import DrafterKind, Evidence, ReportedFigure


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceDocument(_Frozen):
    """A supporting file the draft may cite: the indexed document and the version it came from."""

    document_id: str
    name: str
    version_id: int | None = None


class DraftSentence(_Frozen):
    """One drafted sentence and the verbatim quote it rests on (document, chunk, page, offsets)."""

    text: str
    evidence: Evidence


class DraftFigure(_Frozen):
    """A figure taken from the facts extracted at ingest, with the document that states it."""

    figure: ReportedFigure
    document_id: str


class DroppedSentence(_Frozen):
    """A model sentence left out of the draft because its quote could not be verified verbatim."""

    point_id: str
    text: str
    reason: str


class PointDraft(_Frozen):
    """What the draft says about one 审核重点; ``gap_zh`` set (and nothing said) when the materials hold nothing."""

    point_id: str
    point_text: str
    sentences: tuple[DraftSentence, ...] = ()
    figure: DraftFigure | None = None
    gap_zh: str | None = None


class SectionDraft(_Frozen):
    """A section (二级指标) of the draft."""

    indicator_id: str
    name: str
    points: tuple[PointDraft, ...]


class ChapterDraft(_Frozen):
    """A chapter (一级指标) of the draft."""

    indicator_id: str
    name: str
    sections: tuple[SectionDraft, ...]


class FigureConflict(_Frozen):
    """A metric the materials state with different values: no figure is drafted, the university checks which holds."""

    point_id: str
    metric: str
    figures: tuple[DraftFigure, ...]

    @property
    def text_zh(self) -> str:
        """What the university reads: the metric and each value as written."""
        values = "、".join(dict.fromkeys(f.figure.text for f in self.figures))
        return f"材料中{self.metric}的数值不一致（{values}），草稿未采用，请核实后填写"


class GapItem(_Frozen):
    """A 审核重点 the materials hold nothing for: what the university should add, never invented text."""

    indicator_id: str
    point_id: str
    point_text: str
    expected_zh: str


class InstitutionProfile(_Frozen):
    """Who the report is for: the institution's name and category."""

    name: str
    category: str


class ReportDraft(_Frozen):
    """A drafted self-evaluation report: every sentence cites a verified quote of the materials."""

    rubric_id: str
    rubric_name: str
    rubric_version: str
    profile: InstitutionProfile
    documents: tuple[SourceDocument, ...]
    chapters: tuple[ChapterDraft, ...]
    gaps: tuple[GapItem, ...]
    conflicts: tuple[FigureConflict, ...] = ()
    dropped: tuple[DroppedSentence, ...] = ()
    drafter: DrafterKind
    model: str | None = None
    fallback_reasons: tuple[str, ...] = Field(default=(), description="sections the LLM drafter gave back, and why")
    seconds: float = 0.0

    def document_name(self, document_id: str) -> str:
        """The file name of a cited document."""
        return next((d.name for d in self.documents if d.document_id == document_id), document_id)

    def sections(self) -> tuple[SectionDraft, ...]:
        """Every section in order."""
        return tuple(s for c in self.chapters for s in c.sections)

    def sentence_count(self) -> int:
        """Drafted sentences in all sections."""
        return sum(len(p.sentences) for s in self.sections() for p in s.points)


class SectionEdit(_Frozen):
    """A section's text as the university edited it (replaces the drafted text in the export)."""

    indicator_id: str
    text: str
    edited_by: int | None = None
