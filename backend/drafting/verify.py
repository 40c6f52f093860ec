"""The drafting rule, checked: a sentence is kept only if its quote is verbatim where it says and supports it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from backend.domain.report_draft import DraftFigure, ReportDraft
from backend.review.citations import check_evidence
from indexing.models import Chunk

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Share of a sentence's Chinese characters that must stand in its quote: a sentence may join or trim a quote,
# it may not say what the quote does not.
MIN_CHAR_SUPPORT = 0.6


@dataclass(frozen=True)
class DraftProblem:
    """Why one sentence or figure of a draft failed verification."""

    point_id: str
    text: str
    reason: str


def support_problem(text: str, quote: str) -> str | None:
    """Why ``quote`` does not support the sentence ``text`` (a number it lacks, words it does not hold), or None."""
    extra = set(_NUMBER.findall(text)) - set(_NUMBER.findall(quote))
    if extra:
        return f"figures not in the quote: {sorted(extra)}"
    chars = _CJK.findall(text)
    if not chars:
        return "no Chinese text"
    held = set(quote)
    share = sum(c in held for c in chars) / len(chars)
    if share < MIN_CHAR_SUPPORT:
        return f"only {share:.0%} of the sentence's characters are in the quote"
    return None


def figure_problem(figure: DraftFigure, chunks: Mapping[str, Chunk]) -> str | None:
    """Why a figure does not stand verbatim in its cited chunk and document, or None."""
    chunk = chunks.get(figure.figure.chunk_id)
    if chunk is None:
        return "cited chunk is not in the materials"
    if chunk.document_id != figure.document_id:
        return "cited document does not hold the chunk"
    if figure.figure.text not in chunk.text:
        return "the figure's text is not in its source"
    return None


def check_draft(draft: ReportDraft, chunks: Mapping[str, Chunk]) -> list[DraftProblem]:
    """Every sentence and figure of a draft that is not verbatim, located and supported (empty: all valid)."""
    problems = []
    for section in draft.sections():
        for point in section.points:
            for sentence in point.sentences:
                reason = check_evidence(sentence.evidence, chunks) or support_problem(
                    sentence.text, sentence.evidence.quote
                )
                if reason:
                    problems.append(DraftProblem(point.point_id, sentence.text, reason))
            if point.figure is not None:
                reason = figure_problem(point.figure, chunks)
                if reason:
                    problems.append(DraftProblem(point.point_id, point.figure.figure.text, reason))
    return problems
