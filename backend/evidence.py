"""A quote shown where it stands: the PDF page drawn with the quote highlighted, or the paragraph in context."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import AssessmentRecord, AttachedEvidence, DocumentVersion
from backend.db.queries import chunks, versions
from backend.domain.assessment import Evidence, PointAssessment
from backend.errors import AppError, ErrorCode
from backend.storage import file_store
from indexing.highlight import ContextParagraph, MatchKind, NoMatchReason, QuoteLocation, docx_context, locate_quote
from indexing.highlight import Mark as Span
from indexing.highlight import render_page as draw_page
from indexing.models import BlockKind, MediaType

# Pages drawn at this scale are about 1240 px wide for A4: readable beside the review at 1280–1920 px.
PAGE_SCALE = 1.5


class SourceView(StrEnum):
    """How the quote's source is shown."""

    PAGE_IMAGE = "page_image"
    PARAGRAPHS = "paragraphs"


@dataclass(frozen=True)
class EvidenceView:
    """One piece of evidence of a point, located in its version's original file."""

    version: DocumentVersion
    point: PointAssessment
    index: int
    evidence: Evidence
    view: SourceView
    match: MatchKind
    located_share: float
    pages: tuple[int, ...] = ()
    reason: NoMatchReason | None = None
    paragraphs: tuple[ContextParagraph, ...] = ()


def _evidence(record: AssessmentRecord, point_id: str, index: int) -> tuple[PointAssessment, Evidence]:
    point = next((p for p in record.assessment.points if p.point_id == point_id), None)
    if point is None or not 0 <= index < len(point.evidence):
        raise AppError(ErrorCode.NOT_FOUND, "证据不存在。", f"assessment {record.id} point {point_id} #{index}")
    return point, point.evidence[index]


def _locate(settings: Settings, version: DocumentVersion, evidence: Evidence | AttachedEvidence) -> QuoteLocation:
    if evidence.page_start is None:
        raise AppError(ErrorCode.NOT_FOUND, "该证据没有页码，无法显示原文页面。", f"evidence of {version.id}")
    path = file_store(settings).path(version.sha256)
    span = (evidence.page_end or evidence.page_start) - evidence.page_start
    return locate_quote(path, page=evidence.page_start, quote=evidence.quote, next_pages=max(1, span))


def _chunk_context(session: Session, version: DocumentVersion, evidence: Evidence) -> tuple[ContextParagraph, ...]:
    found = chunks.get_chunks(session, version_id=version.id, chunk_keys=[evidence.chunk_id])
    if not found:
        return ()
    text = found[0].text
    return (ContextParagraph(0, BlockKind.PARAGRAPH, text, (Span(evidence.quote_start, evidence.quote_end),)),)


def show_evidence(
    session: Session, settings: Settings, *, record: AssessmentRecord, point_id: str, index: int
) -> EvidenceView:
    """Where a quote stands: the pages to draw (PDF) or the paragraphs around it (DOCX, text)."""
    point, evidence = _evidence(record, point_id, index)
    version = versions.get_version(session, version_id=record.review.version_id)
    common = {"version": version, "point": point, "index": index, "evidence": evidence}
    if version.media_type == MediaType.PDF:
        where = _locate(settings, version, evidence)
        pages = tuple(p.page for p in where.pages if p.boxes) or (evidence.page_start,)
        return EvidenceView(
            **common,
            view=SourceView.PAGE_IMAGE,
            match=where.kind,
            located_share=where.located_share,
            pages=pages,
            reason=where.reason,
        )
    if version.media_type == MediaType.DOCX:
        context = docx_context(file_store(settings).path(version.sha256), quote=evidence.quote)
        if context.paragraphs:
            return EvidenceView(
                **common,
                view=SourceView.PARAGRAPHS,
                match=context.kind,
                located_share=context.located_share,
                paragraphs=context.paragraphs,
            )
    # Plain text, or a DOCX quote not found again: the chunk the quote was taken from, verbatim.
    return EvidenceView(
        **common,
        view=SourceView.PARAGRAPHS,
        match=MatchKind.EXACT,
        located_share=1.0,
        paragraphs=_chunk_context(session, version, evidence),
    )


def evidence_page_image(
    session: Session, settings: Settings, *, record: AssessmentRecord, point_id: str, index: int, page: int
) -> bytes:
    """The PNG of one page of a PDF quote, with the quote's boxes on that page highlighted."""
    _, evidence = _evidence(record, point_id, index)
    version = versions.get_version(session, version_id=record.review.version_id)
    return _highlighted_page(settings, version, evidence, page)


def _pdf_path(settings: Settings, version: DocumentVersion) -> Path:
    """The stored original of a PDF version; NOT_FOUND for another format (it has no page images)."""
    if version.media_type != MediaType.PDF:
        raise AppError(
            ErrorCode.NOT_FOUND, "该文件不是 PDF，没有页面图像。", f"version {version.id} is {version.media_type}"
        )
    return file_store(settings).path(version.sha256)


def _highlighted_page(
    settings: Settings, version: DocumentVersion, evidence: Evidence | AttachedEvidence, page: int
) -> bytes:
    pdf = _pdf_path(settings, version)
    where = _locate(settings, version, evidence)
    if page not in {evidence.page_start, *(p.page for p in where.pages)}:
        raise AppError(ErrorCode.NOT_FOUND, "页面不存在。", f"page {page} is not a page of this quote")
    boxes = next((p.boxes for p in where.pages if p.page == page), ())
    return draw_page(pdf, page=page, boxes=boxes, scale=PAGE_SCALE)


def attached_page_image(
    settings: Settings, *, version: DocumentVersion, attached: AttachedEvidence, page: int
) -> bytes:
    """The PNG of one page of a quote an expert attached, with the quote highlighted."""
    return _highlighted_page(settings, version, attached, page)


def version_page_image(settings: Settings, *, version: DocumentVersion, page: int) -> bytes:
    """The PNG of a page of a PDF version, without highlight (page navigation)."""
    return draw_page(_pdf_path(settings, version), page=page, scale=PAGE_SCALE)
