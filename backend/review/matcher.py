"""Match review points to evidence and suggest a mark from calibrated signals.

For each review point the matcher searches the version's index with the point's text, its query
phrasings and its key terms, fuses the hits across queries, drops overlapping chunks, picks the most
telling sentence of each chunk as a verbatim quote, and computes absolute signals (fused ranks are
relative to one document and cannot say whether evidence exists at all):

* ``best_dense``: the highest cosine between any phrasing and an evidence chunk;
* ``term_coverage``: the share of the point's key terms present in the evidence;
* ``concrete``: the share of quotes carrying a figure, a named document (《…》) or a result;
* ``figure_found``: for quantitative points, whether the metric's value was reported;
* ``owner_rank``: among all review points of the rubric, the rank of this point in what its best
  evidence chunk resembles most (1 = the chunk is about this point above all). A point whose evidence
  was left out still retrieves text (its siblings' evidence), but that text resembles the siblings more.

The mark follows from thresholds in :class:`MatcherConfig` (calibrated on the labelled corpus with
``ciqa eval calibrate``): not covered → 破折号 (more material), covered but only claims → 问号 (verify on
site), covered with concrete support → 句号 (clear).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from backend.review.citations import quote_pages
from backend.review.drafters.base import PointMatch
from backend.review.figures import figure_near, find_figures
from backend.review.models import Evidence, Mark, PointSignals, ReportedFigure
from backend.review.rubric import PointKind, ReviewPoint, Rubric
from indexing.embedding import Embedder
from indexing.models import Chunk, Hit
from indexing.search import SearchMode
from indexing.store import Collection

_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
_DOCUMENT = re.compile(r"《[^》]{2,40}》")
_RESULT_WORDS = (
    "获批",
    "获得",
    "提升",
    "提高",
    "达到",
    "覆盖",
    "累计",
    "建成",
    "完成",
    "通过",
    "入选",
    "增长",
    "下降",
)

Search = Callable[[str, int, SearchMode], list[Hit]]


class MatcherConfig(BaseModel):
    """Thresholds and sizes of matching; defaults calibrated on the labelled synthetic corpus."""

    model_config = ConfigDict(frozen=True)

    per_query_k: int = 5
    max_evidence: int = 3
    covered_dense: float = 0.86
    covered_terms: float = 0.5
    strong_dense: float = 0.9
    concrete_min: float = 0.34
    max_owner_rank: int = 1000
    figure_window: int = 40


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


def _candidates(search: Search, point: ReviewPoint, k: int) -> list[_Candidate]:
    """Hits of every phrasing fused by summing their RRF scores; best dense and BM25 scores kept."""
    queries = [point.text, *point.queries, " ".join(point.key_terms)]
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


def _dedupe(candidates: Sequence[_Candidate], limit: int) -> list[_Candidate]:
    kept: list[_Candidate] = []
    for c in candidates:
        if not any(_overlaps(c.chunk, k.chunk) for k in kept):
            kept.append(c)
        if len(kept) == limit:
            break
    return kept


def _is_concrete(sentence: str) -> bool:
    """A sentence with a figure, a named document or a stated result, not a bare claim."""
    figures = [f for f in find_figures(sentence) if f.kind.value != "year"]
    return bool(figures or _DOCUMENT.search(sentence) or any(w in sentence for w in _RESULT_WORDS))


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
    )


def _figure(point: ReviewPoint, candidates: Sequence[_Candidate], config: MatcherConfig) -> ReportedFigure | None:
    metric = point.metric
    if metric is None:
        return None
    names = list(dict.fromkeys([metric.name, *point.key_terms]))
    for c in candidates:
        fig = figure_near(c.chunk.text, names, metric.unit, config.figure_window)
        if fig is None:
            continue
        meets = None
        if metric.national_floor is not None and metric.floor_direction:
            meets = (
                fig.value >= metric.national_floor
                if metric.floor_direction == "at_least"
                else fig.value <= metric.national_floor
            )
        return ReportedFigure(
            metric=metric.name,
            value=fig.value,
            unit=fig.unit,
            text=fig.text,
            chunk_id=c.chunk.id,
            meets_floor=meets,
        )
    return None


class Ownership:
    """Ranks, for every chunk of a document, the rubric's review points by how much the chunk resembles them."""

    def __init__(
        self, chunk_ids: Sequence[str], chunk_vectors: np.ndarray, point_ids: Sequence[str], point_vectors: np.ndarray
    ) -> None:
        scores = np.asarray(chunk_vectors, dtype=np.float32) @ np.asarray(point_vectors, dtype=np.float32).T
        order = np.argsort(-scores, axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(1, order.shape[1] + 1)[None, :].repeat(len(order), 0), axis=1)
        self._ranks = ranks
        self._row = {cid: i for i, cid in enumerate(chunk_ids)}
        self._col = {pid: j for j, pid in enumerate(point_ids)}

    def rank(self, point_id: str, chunk_id: str) -> int:
        """1 when the chunk resembles this point more than any other point of the rubric."""
        return int(self._ranks[self._row[chunk_id], self._col[point_id]])

    @classmethod
    def build(cls, collection: Collection, document_id: str, rubric: Rubric, embedder: Embedder) -> Ownership:
        """Point vectors are the mean of the point's text and phrasings (query vectors, cached by the embedder)."""
        points = [p for _, p in rubric.iter_points()]
        vectors = []
        for p in points:
            v = np.mean([embedder.embed_query(t) for t in (p.text, *p.queries)], axis=0)
            vectors.append(v / max(float(np.linalg.norm(v)), 1e-12))
        rows = [i for i, c in enumerate(collection.chunks) if c.document_id == document_id]
        return cls(
            [collection.chunks[i].id for i in rows], collection.vectors[rows], [p.id for p in points], np.stack(vectors)
        )


def decide_mark(signals: PointSignals, config: MatcherConfig) -> Mark:
    """The calibrated rule from signals to a mark."""
    owned = signals.owner_rank is None or signals.owner_rank <= config.max_owner_rank
    covered = owned and (
        signals.best_dense >= config.strong_dense
        or (signals.best_dense >= config.covered_dense and signals.term_coverage >= config.covered_terms)
    )
    if not covered or signals.figure_found is False:
        return Mark.MORE_MATERIAL
    if signals.concrete < config.concrete_min:
        return Mark.VERIFY_ON_SITE
    return Mark.CLEAR


def match_point(
    search: Search, point: ReviewPoint, config: MatcherConfig | None = None, ownership: Ownership | None = None
) -> PointMatch:
    """Find and rank the evidence of one review point and suggest its mark."""
    config = config or MatcherConfig()
    candidates = _dedupe(_candidates(search, point, config.per_query_k), config.max_evidence)
    terms = list(point.key_terms)
    evidence = tuple(_evidence(c, i, terms) for i, c in enumerate(candidates, start=1))
    text = "\n".join(c.chunk.text for c in candidates)
    coverage = sum(t in text for t in terms) / len(terms) if terms else 0.0
    concrete = sum(_is_concrete(e.quote) for e in evidence) / len(evidence) if evidence else 0.0
    figure = _figure(point, candidates, config)
    signals = PointSignals(
        best_dense=round(max((c.dense for c in candidates), default=0.0), 6),
        best_bm25=round(max((c.bm25 for c in candidates), default=0.0), 4),
        term_coverage=round(coverage, 4),
        concrete=round(concrete, 4),
        figure_found=(figure is not None) if point.kind is PointKind.QUANTITATIVE else None,
        owner_rank=min((ownership.rank(point.id, c.chunk.id) for c in candidates), default=None) if ownership else None,
    )
    return PointMatch(point=point, evidence=evidence, figure=figure, signals=signals, mark=decide_mark(signals, config))
