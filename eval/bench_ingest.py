"""Ingest benchmark: a synthetic 100-page PDF report parsed, chunked, embedded and indexed end to end; and OCR of a
scanned report, page after page against pages in parallel processes.

Prints parse pages/s, embedding chunks/s, index build time, hybrid query latency p50/p95 (on the report's
own collection and on a 2,000-chunk collection) and peak RSS, as a table. The OCR benchmark
(:func:`run_ocr_bench`) prints pages/s of each way and whether both read the same document.

The 2,000-chunk collection reuses the report's chunks and vectors under other document ids: query
latency depends on collection size, not on what the vectors say, and embedding 2,000 fresh chunks
would take minutes on 2 cores without measuring anything about search.

Example:
    >>> result = run_ingest_bench(Path("/tmp/bench"), embedder, pages=100)  # doctest: +SKIP
    >>> result.pages_per_second > 20  # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
import resource
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import psutil

from eval.metrics import percentile
from indexing.chunking import chunk_document
from indexing.embedding import Embedder
from indexing.options import ChunkingOptions, ParseOptions
from indexing.parsing import ocr, parse_path
from indexing.pipeline import embed_chunks
from indexing.search import HybridSearcher
from indexing.store import Collection

QUERIES = (
    "生师比",
    "专任教师队伍结构",
    "教学督导听课制度",
    "质量文化建设",
    "课程思政",
    "实践教学学分比例",
    "毕业生就业率",
    "学生学习满意度调查",
    "教学经费投入",
    "专业认证与评估",
    "持续改进闭环",
    "教师教学发展中心培训",
    "创新创业教育",
    "校企合作协同育人",
    "人才培养方案修订",
)


@dataclass(frozen=True)
class IngestBenchResult:
    """Measured figures of one ingest run."""

    pages: int
    characters: int
    chunks: int
    parse_seconds: float
    pages_per_second: float
    chunk_seconds: float
    embed_seconds: float
    chunks_per_second: float
    index_seconds: float
    total_seconds: float
    query_p50_ms: float
    query_p95_ms: float
    query_2000_p50_ms: float
    query_2000_p95_ms: float
    peak_rss_mb: float


def _latencies(searcher: HybridSearcher, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for q in QUERIES:
            t = time.perf_counter()
            searcher.search(q, k=10)
            out.append((time.perf_counter() - t) * 1000)
    return out


def run_ingest_bench(
    pdf: Path, work_dir: Path, embedder: Embedder, *, chunking: ChunkingOptions | None = None, batch_size: int = 16
) -> IngestBenchResult:
    """Ingest ``pdf`` once and measure every stage.

    Args:
        pdf: the report to ingest.
        work_dir: where the collections are written.
        embedder: the embedder (pass an uncached one to measure real embedding cost).
        chunking: chunk sizes.
        batch_size: chunks per embedding call.

    Returns:
        An :class:`IngestBenchResult`.
    """
    started = time.perf_counter()
    document = parse_path(pdf, ParseOptions(ocr=False))
    parse_s = time.perf_counter() - started
    t = time.perf_counter()
    chunks = chunk_document(document, chunking)
    chunk_s = time.perf_counter() - t
    t = time.perf_counter()
    vectors = embed_chunks(chunks, embedder, batch_size=batch_size)
    embed_s = time.perf_counter() - t
    t = time.perf_counter()
    collection = Collection(embedder.name, embedder.dim)
    collection.add_document(document.name, chunks, vectors)
    collection.save(work_dir / "report")
    index_s = time.perf_counter() - t
    total_s = time.perf_counter() - started
    searcher = HybridSearcher(Collection.load(work_dir / "report"), embedder)
    _latencies(searcher, 1)  # warm-up: jieba dictionary, FAISS and BM25 first touches
    small = _latencies(searcher, 4)
    big = Collection(embedder.name, embedder.dim)
    copies = -(-2000 // max(1, len(chunks)))
    for i in range(copies):
        doc_id = f"{document.id}-{i}"
        big.add_document(
            f"copy {i}",
            [replace(c, document_id=doc_id, id=f"{c.id}-{i}") for c in chunks],
            vectors,
            tokens=collection.tokens,
        )
    big_searcher = HybridSearcher(big, embedder)
    _latencies(big_searcher, 1)
    large = _latencies(big_searcher, 4)
    pages = document.page_count or 0
    return IngestBenchResult(
        pages=pages,
        characters=sum(len(b.text) for b in document.blocks),
        chunks=len(chunks),
        parse_seconds=parse_s,
        pages_per_second=pages / parse_s if parse_s else 0.0,
        chunk_seconds=chunk_s,
        embed_seconds=embed_s,
        chunks_per_second=len(chunks) / embed_s if embed_s else 0.0,
        index_seconds=index_s,
        total_seconds=total_s,
        query_p50_ms=percentile(small, 50),
        query_p95_ms=percentile(small, 95),
        query_2000_p50_ms=percentile(large, 50),
        query_2000_p95_ms=percentile(large, 95),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def run_cli(pages: int, out_dir: Path = Path("eval/results"), seed: int = 7) -> IngestBenchResult:
    """Generate a report of ``pages`` pages, benchmark its ingest, print a table and save JSON."""
    import tempfile

    from rich.console import Console
    from rich.table import Table

    from backend.config import Settings
    from eval.datasets import generate_pdf
    from indexing.embedding import load_embedder

    console = Console()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        console.print(f"生成约 {pages} 页的合成自评报告 PDF…")
        pdf = generate_pdf(Path(tmp), pages=pages, seed=seed)
        embedder = load_embedder(
            settings.embedder, settings.embedder_model, settings.embed_batch_size, threads=settings.embed_threads
        )
        console.print("端到端解析、分块、向量化、建索引（不使用向量缓存）…")
        r = run_ingest_bench(
            pdf, Path(tmp), embedder, chunking=settings.chunking_options(), batch_size=settings.embed_batch_size
        )
    table = Table("指标", "数值", "目标", title=f"入库基准（{r.pages} 页，{r.characters} 字，{r.chunks} 个分块）")
    rows = [
        ("解析速度", f"{r.pages_per_second:.1f} 页/秒 ({r.parse_seconds:.2f}s)", "≥ 20 页/秒"),
        ("分块", f"{r.chunk_seconds * 1000:.0f} ms", ""),
        ("向量化速度", f"{r.chunks_per_second:.1f} 块/秒 ({r.embed_seconds:.1f}s)", ""),
        ("索引构建", f"{r.index_seconds:.2f}s", ""),
        ("端到端入库", f"{r.total_seconds:.1f}s", "≤ 40s"),
        ("查询延迟 p50 / p95（本报告）", f"{r.query_p50_ms:.1f} / {r.query_p95_ms:.1f} ms", ""),
        ("查询延迟 p50 / p95（2000 块）", f"{r.query_2000_p50_ms:.1f} / {r.query_2000_p95_ms:.1f} ms", "p95 ≤ 50 ms"),
        ("峰值内存 RSS", f"{r.peak_rss_mb:.0f} MB", "≤ 1536 MB"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_ingest.json").write_text(json.dumps(asdict(r), indent=1), "utf-8")
    return r


@dataclass(frozen=True)
class OcrBenchRun:
    """One reading of the scanned report: ``workers`` processes (1: page after page in this process) of
    ``threads`` onnxruntime threads; ``peak_rss_mb`` is this process and its children together."""

    workers: int
    threads: int
    seconds: float
    pages_per_second: float
    peak_rss_mb: float


@dataclass(frozen=True)
class OcrBenchResult:
    """OCR of one scanned report both ways."""

    pages: int
    characters: int
    serial: OcrBenchRun
    parallel: OcrBenchRun
    same_document: bool


class _PeakRss:
    """The peak resident memory of this process and all its descendants together, sampled every 0.1 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:  # ended between listing and reading
                    continue
            self.peak = max(self.peak, total)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_ocr_bench(pdf: Path, *, workers: int = 0) -> OcrBenchResult:
    """Parse a scanned PDF page after page (the engine loaded beforehand, as in a worker that has read a scan
    before), then with its pages in parallel processes (their start and model loading included).

    Args:
        pdf: an image-only PDF.
        workers: processes of the parallel reading (0: one per core).

    Returns:
        An :class:`OcrBenchResult`; ``same_document`` compares blocks, pages, TOC and warnings.
    """
    ocr.engine()
    cores = ocr.available_cores()
    documents = []
    runs = []
    for requested in (1, workers):
        with _PeakRss() as rss:
            started = time.perf_counter()
            document = parse_path(pdf, ParseOptions(ocr_workers=requested))
            seconds = time.perf_counter() - started
        pages = document.page_count or 0
        used = ocr.worker_count(requested, pages)
        threads = cores if used == 1 else max(1, cores // used)
        runs.append(OcrBenchRun(used, threads, seconds, pages / seconds if seconds else 0.0, rss.peak / 2**20))
        documents.append((document.blocks, document.pages, document.toc, document.warnings))
    return OcrBenchResult(
        pages=pages,
        characters=sum(len(b.text) for b in documents[0][0]),
        serial=runs[0],
        parallel=runs[1],
        same_document=documents[0] == documents[1],
    )


def scanned_pdf(out_dir: Path, *, pages: int, seed: int) -> Path:
    """A synthetic report printed by Chromium and scanned (``corpus.office``), cut to its first ``pages`` pages."""
    import pypdfium2

    from corpus.generator import generate_report
    from corpus.office import render_pdf
    from corpus.realistic import Writer

    report = generate_report(seed, pages=pages)
    scan = render_pdf(report, out_dir / "scan-full.pdf", Writer.SCANNED, seed=seed)
    source = pypdfium2.PdfDocument(str(scan))
    cut = pypdfium2.PdfDocument.new()
    try:
        cut.import_pages(source, list(range(min(pages, len(source)))))
        path = out_dir / f"scan-{pages}.pdf"
        cut.save(str(path))
    finally:
        cut.close()
        source.close()
    return path


def run_ocr_cli(pages: int, *, workers: int = 0, out_dir: Path = Path("eval/results"), seed: int = 7) -> OcrBenchResult:
    """Scan a synthetic report of ``pages`` pages, benchmark its OCR both ways, print a table and save JSON."""
    import tempfile

    from rich.console import Console
    from rich.table import Table

    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        console.print(f"生成 {pages} 页的扫描件 PDF（Chromium 打印后逐页栅格化）…")
        pdf = scanned_pdf(Path(tmp), pages=pages, seed=seed)
        console.print("逐页 OCR（本进程），再多进程并行 OCR…")
        r = run_ocr_bench(pdf, workers=workers)
    table = Table(
        "方式",
        "进程 × 线程",
        "用时",
        "页/秒",
        "加速比",
        "峰值内存 RSS（含子进程）",
        title=f"扫描件 OCR 基准（{r.pages} 页，{r.characters} 字）",
    )
    for name, run in (("逐页（本进程）", r.serial), ("多进程并行", r.parallel)):
        speedup = r.serial.seconds / run.seconds if run.seconds else 0.0
        table.add_row(
            name,
            f"{run.workers} × {run.threads}",
            f"{run.seconds:.1f}s",
            f"{run.pages_per_second:.2f}",
            f"{speedup:.2f}×",
            f"{run.peak_rss_mb:.0f} MB",
        )
    console.print(table)
    console.print(f"两种方式读出的文档{'完全一致' if r.same_document else '不一致'}。")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_ocr.json").write_text(json.dumps(asdict(r), indent=1), "utf-8")
    return r
