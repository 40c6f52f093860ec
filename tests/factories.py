"""Builders of real objects for tests: documents made of blocks, as a parser would return them, and reviews."""

from __future__ import annotations

import hashlib

from backend.domain import assessment as rm
from backend.domain import report_draft as dm
from backend.domain.enums import Mark
from indexing.models import BlockKind, Document, MediaType
from indexing.parsing.headings import BlockBuilder, RawBlock, render_table


def make_document(spec: list[tuple], name: str = "报告") -> Document:
    """Build a document from ``(kind, text_or_rows, page[, level])`` tuples."""
    bb = BlockBuilder()
    for item in spec:
        kind, content, page = item[0], item[1], item[2]
        if kind is BlockKind.TABLE:
            rows = tuple(tuple(r) for r in content)
            bb.add(RawBlock(kind, render_table(rows), page=page, rows=rows))
        else:
            level = item[3] if len(item) > 3 else None
            bb.add(RawBlock(kind, content, page=page, heading_level=level))
    blocks = bb.build()
    doc_id = hashlib.sha256("".join(b.text for b in blocks).encode()).hexdigest()
    return Document(id=doc_id, name=name, media_type=MediaType.TEXT, blocks=blocks)


QUOTE = "学校制定了质量文化建设规划"


def make_report_draft(*, document_id: str = "d1", rubric_id: str = "quality-culture-2026") -> dm.ReportDraft:
    """A drafted report of one chapter and section: point ``p1`` says :data:`QUOTE` (page 3), ``p2`` is a gap."""
    evidence = rm.Evidence(
        chunk_id="c1",
        document_id=document_id,
        quote=QUOTE,
        quote_start=0,
        quote_end=len(QUOTE),
        page_start=3,
        page_end=3,
        heading_path=("一、质量文化",),
        fused_score=0.03,
        rank=1,
    )
    said = dm.PointDraft(
        point_id="p1", point_text="质量文化理念", sentences=(dm.DraftSentence(text=QUOTE, evidence=evidence),)
    )
    gap = dm.PointDraft(point_id="p2", point_text="质量文化成效", gap_zh="「质量文化成效」：请补充质量文化建设成效数据")
    section = dm.SectionDraft(indicator_id="1.1", name="质量理念", points=(said, gap))
    return dm.ReportDraft(
        rubric_id=rubric_id,
        rubric_name="质量文化建设指标体系",
        rubric_version="1.0",
        profile=dm.InstitutionProfile(name="甲大学", category="应用型"),
        documents=(dm.SourceDocument(document_id=document_id, name="质量年报.pdf", version_id=None),),
        chapters=(dm.ChapterDraft(indicator_id="1", name="质量文化", sections=(section,)),),
        gaps=(dm.GapItem(indicator_id="1.1", point_id="p2", point_text="质量文化成效", expected_zh=gap.gap_zh or ""),),
        drafter=rm.DrafterKind.EXTRACTIVE,
    )


def make_review(
    *, document_id: str, rubric_id: str, level: str = "C", mark: Mark = Mark.MORE_MATERIAL, indicators: int = 1
) -> rm.Review:
    """A review of indicators 1.1 … 1.``indicators``, each with point ``p1`` quoting :data:`QUOTE` on page 3."""
    signals = rm.PointSignals(best_dense=0.5, best_bm25=2.0, term_coverage=0.5, concrete=0.2)
    evidence = rm.Evidence(
        chunk_id="c1",
        document_id=document_id,
        quote=QUOTE,
        quote_start=0,
        quote_end=len(QUOTE),
        page_start=3,
        page_end=3,
        heading_path=("一、质量文化", "（一）质量理念"),
        fused_score=0.03,
        rank=1,
    )
    point = rm.PointAssessment(
        point_id="p1", point_text="质量文化理念", mark=mark, evidence=(evidence,), signals=signals, rationale_zh="依据"
    )
    assessment = rm.IndicatorAssessment(
        indicator_id="1.1",
        indicator_name="质量理念",
        level=level,
        level_label=level,
        confidence=0.6,
        points=(point,),
        missing=(rm.MissingEvidence(point_id="p1", expected_zh="质量文化建设规划"),)
        if mark is Mark.MORE_MATERIAL
        else (),
        rationale_zh="草稿",
        draft=rm.DraftInfo(drafter=rm.DrafterKind.EXTRACTIVE, version="1"),
    )
    return rm.Review(
        document_id=document_id,
        document_name="报告.txt",
        rubric_id=rubric_id,
        rubric_version="1.0",
        rubric_fingerprint="f" * 64,
        assessments=tuple(assessment.model_copy(update={"indicator_id": f"1.{n}"}) for n in range(1, indicators + 1)),
    )
