"""Retrieval evaluation: review-point queries against labelled synthetic reports.

For every report, the PDF is parsed, chunked, embedded and indexed exactly as in production. For every
topic with evidence in the report and every query phrasing of that topic, dense-only, BM25-only and
hybrid search are run; a chunk is relevant when it contains a sentence of a labelled evidence item of
that topic (compared without whitespace, so line-joining differences do not count against retrieval).

Example:
    >>> result = evaluate_reports(reports, embedder)  # doctest: +SKIP
    >>> result.metrics[SearchMode.HYBRID].recall_at_5  # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.realistic import Writer
from eval.metrics import ndcg_at_k, recall_at_k, reciprocal_rank
from indexing.embedding import Embedder
from indexing.models import Chunk
from indexing.options import ChunkingOptions, ParseOptions, SearchOptions
from indexing.pipeline import index_files
from indexing.search import HybridSearcher, SearchMode
from indexing.store import Collection

_SPACE = re.compile(r"\s+")
_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
MIN_SENTENCE_CHARS = 12


def normalise(text: str) -> str:
    """Text without whitespace, for layout-insensitive comparison."""
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class TopicQueries:
    """A review-point topic with the phrasings used to search for it and its evidence texts."""

    topic_id: str
    queries: tuple[str, ...]
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class LabelledReport:
    """A report file with the evidence labels of each topic."""

    report_id: str
    path: Path
    topics: tuple[TopicQueries, ...]


@dataclass(frozen=True)
class RetrievalMetrics:
    """Mean metrics over all queries for one retrieval mode."""

    recall_at_5: float
    ndcg_at_10: float
    mrr: float
    queries: int


@dataclass
class RetrievalResult:
    """Metrics per mode plus per-topic hybrid recall (to find weak review points)."""

    metrics: dict[SearchMode, RetrievalMetrics] = field(default_factory=dict)
    per_topic_recall: dict[str, float] = field(default_factory=dict)
    reports: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def to_json(self) -> str:
        """Serialise for ``eval/results``."""
        return json.dumps(
            {
                "metrics": {m.value: asdict(v) for m, v in self.metrics.items()},
                "per_topic_recall": self.per_topic_recall,
                "reports": self.reports,
                "chunks": self.chunks,
                "seconds": round(self.seconds, 1),
            },
            ensure_ascii=False,
            indent=1,
        )


def relevant_chunk_ids(chunks: Sequence[Chunk], evidence: Sequence[str]) -> set[str]:
    """Ids of chunks containing at least one sentence (≥ 12 characters) of an evidence text.

    Args:
        chunks: the report's chunks.
        evidence: labelled evidence texts of one topic.

    Returns:
        The relevant chunk ids (empty when the evidence did not survive parsing).
    """
    sentences = {
        normalise(m.group())
        for text in evidence
        for m in _SENTENCE.finditer(text)
        if len(normalise(m.group())) >= MIN_SENTENCE_CHARS
    }
    short = {normalise(t) for t in evidence if len(normalise(t)) < MIN_SENTENCE_CHARS}
    out = set()
    for c in chunks:
        text = normalise(c.text)
        if any(s in text for s in sentences) or any(s and s in text for s in short):
            out.add(c.id)
    return out


def evaluate_collection(
    searcher: HybridSearcher,
    topics: Sequence[TopicQueries],
    result: RetrievalResult,
    scores: dict[SearchMode, list[tuple[float, float, float]]],
    topic_recall: dict[str, list[float]],
) -> None:
    """Run every query of every topic in every mode and append the per-query metrics."""
    chunks = searcher.collection.chunks
    for topic in topics:
        relevant = relevant_chunk_ids(chunks, topic.evidence)
        if not relevant:
            continue
        for query in topic.queries:
            for mode in SearchMode:
                ranked = [h.chunk.id for h in searcher.search(query, k=10, mode=mode)]
                r5 = recall_at_k(ranked, relevant, 5)
                scores[mode].append((r5, ndcg_at_k(ranked, relevant, 10), reciprocal_rank(ranked, relevant)))
                if mode is SearchMode.HYBRID:
                    topic_recall.setdefault(topic.topic_id, []).append(r5)
    result.chunks += len(chunks)


def evaluate_reports(
    reports: Sequence[LabelledReport],
    embedder: Embedder,
    *,
    chunking: ChunkingOptions | None = None,
    search: SearchOptions | None = None,
    work_dir: Path | None = None,
) -> RetrievalResult:
    """Index each report and measure dense, BM25 and hybrid retrieval.

    Args:
        reports: labelled report files.
        embedder: the embedder to evaluate.
        chunking: chunk sizes.
        search: fusion parameters.
        work_dir: where indexes are built (a temporary directory by default).

    Returns:
        A :class:`RetrievalResult` with mean Recall@5, nDCG@10 and MRR per mode.
    """
    started = time.perf_counter()
    result = RetrievalResult(reports=len(reports))
    scores: dict[SearchMode, list[tuple[float, float, float]]] = {m: [] for m in SearchMode}
    topic_recall: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        for report in reports:
            out = Path(tmp) / report.report_id
            index_files([report.path], out, embedder, parse_options=ParseOptions(ocr=False), chunking_options=chunking)
            searcher = HybridSearcher(Collection.load(out), embedder, search)
            evaluate_collection(searcher, report.topics, result, scores, topic_recall)
    for mode, rows in scores.items():
        n = len(rows) or 1
        result.metrics[mode] = RetrievalMetrics(
            recall_at_5=sum(r[0] for r in rows) / n,
            ndcg_at_10=sum(r[1] for r in rows) / n,
            mrr=sum(r[2] for r in rows) / n,
            queries=len(rows),
        )
    result.per_topic_recall = {t: sum(v) / len(v) for t, v in sorted(topic_recall.items())}
    result.seconds = time.perf_counter() - started
    return result


def run_cli(
    out_dir: Path, reports: int, pages: int = 40, seed: int = 2000, writer: Writer | None = None
) -> RetrievalResult:
    """Generate labelled reports, evaluate with the configured embedder, print a table, save JSON.

    Seeds from 2000 are held out: retrieval parameters were tuned on seeds 1000–1001.
    """
    from rich.console import Console
    from rich.table import Table

    from backend.config import Settings
    from backend.embedding import build_embedder
    from eval.datasets import labelled_reports

    console = Console()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        console.print(f"生成 {reports} 份带标注的合成自评报告（每份约 {pages} 页）…")
        labelled = labelled_reports(Path(tmp), n=reports, pages=pages, seed=seed, writer=writer)
        console.print("解析、向量化并检索…")
        result = evaluate_reports(
            labelled, build_embedder(settings), chunking=settings.chunking_options(), search=settings.search_options()
        )
    table = Table("检索方式", "Recall@5", "nDCG@10", "MRR", "查询数", title="检索评测（合成标注语料）")
    for mode, m in result.metrics.items():
        table.add_row(mode.value, f"{m.recall_at_5:.3f}", f"{m.ndcg_at_10:.3f}", f"{m.mrr:.3f}", str(m.queries))
    console.print(table)
    weakest = sorted(result.per_topic_recall.items(), key=lambda kv: kv[1])[:5]
    console.print("召回最弱的评估要点：" + "，".join(f"{t} {r:.2f}" for t, r in weakest))
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = out_dir / (f"retrieval-{writer.value}.json" if writer else "retrieval.json")
    saved.write_text(result.to_json(), "utf-8")
    console.print(f"{result.reports} 份报告，{result.chunks} 个分块，用时 {result.seconds:.0f}s；结果：{saved}")
    return result
