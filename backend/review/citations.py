"""The verbatim quote check: a drafted statement is stored only if every quote exists where it says."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.domain.assessment import Evidence, IndicatorAssessment
from indexing.models import Chunk


@dataclass(frozen=True)
class CitationProblem:
    """Why one quote failed verification."""

    point_id: str
    chunk_id: str
    quote: str
    reason: str


def check_evidence(evidence: Evidence, chunks: Mapping[str, Chunk]) -> str | None:
    """Return why ``evidence`` is not a verbatim quote at its cited location, or ``None`` if it is."""
    chunk = chunks.get(evidence.chunk_id)
    if chunk is None:
        return "cited chunk is not among the retrieved evidence"
    if not evidence.quote.strip():
        return "empty quote"
    if chunk.text[evidence.quote_start : evidence.quote_end] != evidence.quote:
        return "quote not found verbatim at the cited offsets"
    if chunk.document_id != evidence.document_id:
        return "cited document does not hold the chunk"
    pages = [s.page for s in chunk.locate(evidence.quote_start, evidence.quote_end) if s.page is not None]
    if pages and (evidence.page_start, evidence.page_end) != (min(pages), max(pages)):
        return "cited pages do not match the quote's location"
    return None


def check_assessment(assessment: IndicatorAssessment, chunks: Mapping[str, Chunk]) -> list[CitationProblem]:
    """Every failed quote of an assessment (an empty list means all citations are valid)."""
    problems = []
    for point in assessment.points:
        for ev in point.evidence:
            reason = check_evidence(ev, chunks)
            if reason:
                problems.append(CitationProblem(point.point_id, ev.chunk_id, ev.quote, reason))
    return problems


def quote_pages(chunk: Chunk, start: int, end: int) -> tuple[int | None, int | None]:
    """The page span of chunk text ``[start, end)``, falling back to the chunk's span."""
    pages = [s.page for s in chunk.locate(start, end) if s.page is not None]
    return (min(pages), max(pages)) if pages else (chunk.page_start, chunk.page_end)
