"""Match review points to evidence and suggest a mark from calibrated signals.

For each review point the matcher searches the version's index with the point's text, its query
phrasings and its key terms, fuses the hits across queries, drops overlapping chunks, picks the most
telling sentence of each chunk as a verbatim quote, and computes absolute signals (fused ranks are
relative to one document and cannot say whether evidence exists at all):

* ``best_dense``: the highest cosine between any phrasing and an evidence chunk;
* ``term_coverage``: the share of the point's key terms present in the evidence;
* ``concrete``: whether the paragraph most about the point carries a figure or a named document (《…》);
* ``figure_found``: for quantitative points, whether the report states the metric's value: looked up among
  the facts extracted at ingest (table cells and sentences) by the metric's name and synonyms, never taken
  from a number that merely stands near the name;
* ``term_owner_rank``: among all review points of the rubric, the best rank of this point in what an
  evidence paragraph is about (1 = the paragraph is about this point above all), see :class:`Ownership`;
* ``unit_coverage``: the best weighted share of the point's terms found in one evidence paragraph.

The mark follows from thresholds in :class:`MatcherConfig` (calibrated on the labelled corpus with
``ciqa eval calibrate``): not covered (no paragraph is mainly about the point and none covers enough of
its terms) → 破折号 (more material); covered but only claims → 问号 (verify on site); covered with
concrete support → 句号 (clear). Dense and BM25 scores rank the evidence; they are kept as signals for
experts but do not decide coverage: cosine scores of the bundled model sit in a narrow band whatever
the text, and measured no separation between omitted and present points on the corpus.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from backend.domain.assessment import Evidence, PointSignals
from backend.review.citations import quote_pages
from backend.review.drafters.base import PointMatch
from backend.review.figures import FactIndex
from backend.review.rating import MarkRule, decide_mark
from backend.rubrics.models import PointKind, ReviewPoint, Rubric
from indexing.figures import find_figures
from indexing.models import Chunk, Hit
from indexing.search import SearchMode
from indexing.tokenize import tokenize

_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
_DOCUMENT = re.compile(r"《[^》]{2,40}》")

Search = Callable[[str, int, SearchMode], list[Hit]]


class MatcherConfig(BaseModel):
    """Thresholds and sizes of matching; defaults from ``ciqa eval calibrate`` (seeds 7000–7005)."""

    model_config = ConfigDict(frozen=True)

    per_query_k: int = 5
    max_evidence: int = 3
    mark_rule: MarkRule = MarkRule()
    # Below this share of a point's weighted terms, a chunk is not shown as its evidence (未找到相关内容); set so that
    # 99% of the calibration points whose evidence is present keep some.
    min_evidence_cover: float = 0.15


@dataclass(frozen=True)
class _Candidate:
    chunk: Chunk
    fused: float
    dense: float
    bm25: float
    terms: tuple[str, ...]


def _overlaps(a: Chunk, b: Chunk) -> bool:
    """Two chunks of one document share some block text (overlap between neighbours)."""
    if a.document_id != b.document_id:
        return False
    for sa in a.segments:
        for sb in b.segments:
            if (
                sa.block_id == sb.block_id
                and sa.block_start < sb.block_start + sb.length
                and sb.block_start < sa.block_start + sa.length
            ):
                return True
    return False


def point_queries(point: ReviewPoint) -> list[str]:
    """The texts a review point is searched with: its wording, its phrasings and its key terms."""
    return [point.text, *point.queries, " ".join(point.key_terms)]


def _candidates(search: Search, point: ReviewPoint, k: int) -> list[_Candidate]:
    """Hits of every phrasing fused by summing their RRF scores; best dense and BM25 scores kept."""
    queries = point_queries(point)
    fused: dict[str, float] = {}
    best: dict[str, _Candidate] = {}
    for query in queries:
        for hit in search(query, k, SearchMode.HYBRID):
            cid = hit.chunk.id
            fused[cid] = fused.get(cid, 0.0) + hit.fused_score
            prev = best.get(cid)
            best[cid] = _Candidate(
                hit.chunk,
                0.0,
                max(hit.dense_score or 0.0, prev.dense if prev else 0.0),
                max(hit.bm25_score or 0.0, prev.bm25 if prev else 0.0),
                (),
            )
    ranked = sorted(best.values(), key=lambda c: (-fused[c.chunk.id], c.chunk.ordinal))
    return [_Candidate(c.chunk, fused[c.chunk.id], c.dense, c.bm25, ()) for c in ranked]


def _is_concrete(sentence: str) -> bool:
    """A sentence with a figure (not a bare year) or a named document (《…》), not a bare claim.

    Result words alone (提升, 达到) do not count: claims use them as freely as reports of results do.
    """
    return bool(find_figures(sentence) or _DOCUMENT.search(sentence))


def best_quote(chunk: Chunk, terms: Sequence[str]) -> tuple[int, int]:
    """Offsets of the chunk sentence that best supports the point: most key terms, then concreteness."""
    best: tuple[tuple[int, int, int], tuple[int, int]] | None = None
    for m in _SENTENCE.finditer(chunk.text):
        text = m.group().strip()
        if len(text) < 6:
            continue
        start = m.start() + (len(m.group()) - len(m.group().lstrip()))
        score = (sum(t in text for t in terms), int(_is_concrete(text)), -start)
        if best is None or score > best[0]:
            best = (score, (start, start + len(text)))
    return best[1] if best else (0, len(chunk.text))


def table_row_display(chunk: Chunk, start: int, end: int) -> str | None:
    """A quoted table row as experts read it: 「表名：指标 = 值」.

    Values are named by their column only when the header is one row with a name for every cell of the quoted row;
    otherwise they are listed in order (a value under the wrong column name would mislead more than no name).
    """
    quote = chunk.text[start:end]
    if not chunk.is_table or "\n" in quote or " | " not in quote:
        return None
    lines = chunk.text.split("\n")
    table_lines = [line for line in lines if " | " in line]
    if quote in table_lines[:1]:
        return None
    title = "".join(lines[: lines.index(table_lines[0])]).strip()
    prefix = f"{title}：" if title else ""
    cells = [c.strip() for c in quote.split(" | ")]
    at = next((i for i, c in enumerate(cells) if c), None)
    values = [(i, c) for i, c in enumerate(cells) if c and at is not None and i > at]
    if at is None or not values:
        return None
    header = [h.strip() for h in table_lines[0].split(" | ")]
    second_header = len(table_lines) > 2 and table_lines[1] != quote and not any(ch.isdigit() for ch in table_lines[1])
    if len(values) > 1 and len(header) == len(cells) and all(header[i] for i, _ in values) and not second_header:
        named = "，".join(f"{header[i]} = {v}" for i, v in values)
        return f"「{prefix}{cells[at]}：{named}」"
    return f"「{prefix}{cells[at]} = {' | '.join(v for _, v in values)}」"


def _evidence(c: _Candidate, rank: int, terms: Sequence[str]) -> Evidence:
    start, end = best_quote(c.chunk, terms)
    pages = quote_pages(c.chunk, start, end)
    return Evidence(
        chunk_id=c.chunk.id,
        document_id=c.chunk.document_id,
        quote=c.chunk.text[start:end],
        quote_start=start,
        quote_end=end,
        page_start=pages[0],
        page_end=pages[1],
        heading_path=c.chunk.heading_path,
        fused_score=round(c.fused, 6),
        dense_score=round(c.dense, 6),
        bm25_score=round(c.bm25, 4),
        rank=rank,
        matched_terms=tuple(t for t in terms if t in c.chunk.text),
        display_zh=table_row_display(c.chunk, start, end),
    )


class Ownership:
    """Ranks the rubric's review points by how much each paragraph run of a chunk is about them.

    A point's terms are the words of its key terms, text and phrasings, weighted by how few points of
    the rubric use them (a word every point uses says nothing). Chunks mix paragraphs of several points,
    so paragraphs are scored one by one. A point whose evidence was left out still retrieves text, its
    siblings' evidence, but each of those paragraphs is about a sibling more than about the point.
    """

    def __init__(self, points: Sequence[ReviewPoint]) -> None:
        terms = {p.id: _point_terms(p) for p in points}
        df: dict[str, int] = {}
        for ts in terms.values():
            for t in ts:
                df[t] = df.get(t, 0) + 1
        n = len(points)
        self._weights = {pid: {t: math.log((n + 1) / df[t]) for t in ts} for pid, ts in terms.items()}
        self._unit_cache: dict[str, dict[str, float]] = {}

    @classmethod
    def of(cls, rubric: Rubric) -> Ownership:
        """Ownership over every review point of a rubric."""
        return cls([p for _, p in rubric.iter_points()])

    def _unit_scores(self, text: str) -> dict[str, float]:
        cached = self._unit_cache.get(text)
        if cached is None:
            tokens = set(tokenize(text))
            cached = {
                pid: sum(w for t, w in ws.items() if t in tokens) / (sum(ws.values()) or 1.0)
                for pid, ws in self._weights.items()
            }
            self._unit_cache[text] = cached
        return cached

    def term_signals(self, point_id: str, chunk: Chunk) -> tuple[int, float, str]:
        """Over the chunk's paragraph runs: this point's best rank, its best term coverage and that paragraph."""
        best_rank, best_cover, best_text = len(self._weights), 0.0, ""
        for seg in chunk.segments:
            text = chunk.text[seg.chunk_start : seg.chunk_start + seg.length]
            scores = self._unit_scores(text)
            mine = scores.get(point_id, 0.0)
            if mine <= 0:
                continue
            best_rank = min(best_rank, 1 + sum(v > mine for v in scores.values()))
            if mine > best_cover:
                best_cover, best_text = mine, text
        return best_rank, best_cover, best_text


def _point_terms(point: ReviewPoint) -> frozenset[str]:
    """Words (no character bigrams) of a point's key terms, text and phrasings."""
    words = set(point.key_terms)
    for text in (point.text, *point.queries):
        words.update(t for t in tokenize(text) if not t.startswith("##") and len(t) >= 2)
    return frozenset(words)


def match_point(
    search: Search,
    point: ReviewPoint,
    ownership: Ownership,
    config: MatcherConfig | None = None,
    facts: FactIndex | None = None,
) -> PointMatch:
    """Find and rank the evidence of one review point and suggest its mark; figures come from ``facts`` only."""
    config = config or MatcherConfig()
    candidates, terms_seen = [], []
    for c in _candidates(search, point, config.per_query_k):
        seen = ownership.term_signals(point.id, c.chunk)
        # Below the relevance bar a chunk is filler (a cover line, a table title): better no evidence than that.
        if seen[1] >= config.min_evidence_cover and not any(_overlaps(c.chunk, k.chunk) for k in candidates):
            candidates.append(c)
            terms_seen.append(seen)
        if len(candidates) == config.max_evidence:
            break
    terms = list(point.key_terms)
    evidence = tuple(_evidence(c, i, terms) for i, c in enumerate(candidates, start=1))
    text = "\n".join(c.chunk.text for c in candidates)
    coverage = sum(t in text for t in terms) / len(terms) if terms else 0.0
    figure = facts.lookup(point.metric) if facts is not None and point.metric is not None else None
    # Concreteness is judged on the paragraph most about this point, not on neighbours sharing its chunk.
    own_paragraph = max(terms_seen, key=lambda t: t[1], default=(0, 0.0, ""))[2]
    concrete = 1.0 if own_paragraph and _is_concrete(own_paragraph) else 0.0
    signals = PointSignals(
        best_dense=round(max((c.dense for c in candidates), default=0.0), 6),
        best_bm25=round(max((c.bm25 for c in candidates), default=0.0), 4),
        term_coverage=round(coverage, 4),
        concrete=round(concrete, 4),
        figure_found=(figure is not None) if point.kind is PointKind.QUANTITATIVE else None,
        term_owner_rank=min((term[0] for term in terms_seen), default=None),
        unit_coverage=round(max((term[1] for term in terms_seen), default=0.0), 4),
    )
    return PointMatch(
        point=point, evidence=evidence, figure=figure, signals=signals, mark=decide_mark(signals, config.mark_rule)
    )
