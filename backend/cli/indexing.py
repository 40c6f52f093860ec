"""Terminal presentation of the indexing commands: progress bars per stage, hit tables, block trees."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from backend.cli.listing import Column, print_list
from backend.config import Settings
from backend.embedding import build_embedder
from backend.jobs.progress import STAGE_ZH
from indexing.errors import IndexingError
from indexing.models import BlockKind, Document, FactOrigin

console = Console()
S = TypeVar("S", bound=StrEnum)


@contextmanager
def stage_progress(labels: Mapping[S, str]) -> Iterator[Callable[[S, int, int], None]]:
    """A rich progress display with one bar per stage, titled by ``labels``."""
    columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[S, TaskID] = {}

        def update(stage: S, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels[stage], total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _fail(exc: IndexingError) -> typer.Exit:
    console.print(f"[red]错误：{exc.message_zh}[/red]  ({exc.code.value}: {exc.detail})")
    return typer.Exit(code=2)


def index_files(files: Sequence[Path], out: Path) -> None:
    """Index files into a collection directory with progress bars, then print a summary."""
    from indexing.pipeline import index_files as run

    settings = Settings()
    embedder = build_embedder(settings)
    try:
        with stage_progress(STAGE_ZH) as progress:
            report = run(
                list(files),
                out,
                embedder,
                parse_options=settings.parse_options(),
                chunking_options=settings.chunking_options(),
                batch_size=settings.embed_batch_size,
                progress=progress,
            )
    except IndexingError as exc:
        raise _fail(exc) from exc
    table = Table("文件", "页数", "块数", "分块数")
    for d in report.documents:
        table.add_row(
            d.document.name,
            str(d.document.page_count or "-"),
            str(len(d.document.blocks)),
            str(d.chunk_count),
        )
    console.print(table)
    timings = "  ".join(f"{STAGE_ZH[s]} {t:.1f}s" for s, t in report.seconds.items())
    console.print(f"耗时：{timings}；向量缓存命中 {embedder.hits}，新计算 {embedder.misses}")
    console.print(f"索引已保存到 {out}")


class HitRow(BaseModel):
    """A search hit as ``ciqa search`` prints it."""

    rank: int
    chunk_id: str
    document_id: str
    page_start: int | None
    page_end: int | None
    section: str
    text: str
    fused_score: float
    dense_rank: int | None
    dense_score: float | None
    bm25_rank: int | None
    bm25_score: float | None


def _pages(row: HitRow) -> str:
    if row.page_start is None:
        return "-"
    return f"{row.page_start}" + (f"-{row.page_end}" if row.page_end != row.page_start else "")


HIT_COLUMNS: tuple[Column[HitRow], ...] = (
    Column("#", lambda r: str(r.rank), whole=True),
    Column("页", _pages, whole=True),
    Column("章节", lambda r: r.section),
    Column("内容", lambda r: r.text, table_chars=160),
    Column("融合", lambda r: f"{r.fused_score:.4f}"),
    Column("向量", lambda r: "-" if r.dense_rank is None else f"#{r.dense_rank} {r.dense_score:.3f}"),
    Column("BM25", lambda r: "-" if r.bm25_rank is None else f"#{r.bm25_rank} {r.bm25_score:.2f}"),
)


def search_index(index_dir: Path, query: str, *, k: int, section: str | None, as_json: bool = False) -> None:
    """Print the hybrid-search hits: a table, plain lines when piped, or JSON."""
    from indexing.search import HybridSearcher
    from indexing.store import Collection

    settings = Settings()
    try:
        collection = Collection.load(index_dir)
        searcher = HybridSearcher(collection, build_embedder(settings), settings.search_options())
    except IndexingError as exc:
        raise _fail(exc) from exc
    rows = [
        HitRow(
            rank=hit.rank,
            chunk_id=hit.chunk.id,
            document_id=hit.chunk.document_id,
            page_start=hit.chunk.page_start,
            page_end=hit.chunk.page_end,
            section=hit.chunk.section,
            text=hit.chunk.text,
            fused_score=hit.fused_score,
            dense_rank=hit.dense_rank,
            dense_score=hit.dense_score,
            bm25_rank=hit.bm25_rank,
            bm25_score=hit.bm25_score,
        )
        for hit in searcher.search(query, k=k, section=section)
    ]
    print_list(console, rows, HIT_COLUMNS, as_json=as_json, show_lines=True)


def block_tree(document: Document) -> Tree:
    """A rich tree of the document's headings with their content blocks."""
    root = Tree(f"[bold]{document.name}[/bold] ({document.media_type.value}, {document.page_count or '-'} 页)")
    stack: list[tuple[int, Tree]] = [(0, root)]
    for b in document.blocks:
        page = f"p{b.page}" if b.page is not None else "p?"
        if b.kind is BlockKind.HEADING:
            level = b.heading_level or 1
            while stack[-1][0] >= level:
                stack.pop()
            node = stack[-1][1].add(f"[bold cyan]H{level}[/bold cyan] {b.text} [dim]{page} {b.id}[/dim]")
            stack.append((level, node))
            continue
        ocr = f" OCR {b.ocr_confidence:.2f}" if b.ocr_confidence is not None else ""
        if b.kind is BlockKind.TABLE and b.rows:
            size = f"{len(b.rows)}×{max(len(r) for r in b.rows)}"
            label = f"[magenta]表格[/magenta] {size} [dim]{page} {b.id}{ocr}[/dim]"
            node = stack[-1][1].add(label)
            for row in b.rows[:6]:
                node.add(" | ".join(row))
            continue
        text = b.text if len(b.text) <= 120 else b.text[:120] + "…"
        kind = "•" if b.kind is BlockKind.LIST_ITEM else "¶"
        stack[-1][1].add(f"{kind} {text} [dim]{page} {b.id}{ocr}[/dim]")
    return root


def fact_lines(document: Document) -> list[str]:
    """The figures the document reports, one plain line each (never cut): page, label, figure, unit, where."""
    from indexing.facts import extract_facts

    lines = []
    for f in extract_facts(document):
        where = f"{f.table_title or '表格'} 第 {(f.row or 0) + 1} 行" if f.origin is FactOrigin.TABLE else "正文"
        extra = "".join(f"，{x}" for x in (f.qualifier, f.period) if x)
        lines.append(f"p{f.page or '-'}  {f.metric} = {f.text}（单位 {f.unit or '无'}{extra}）  [{where}]")
    return lines


def print_block_tree(file: Path, *, facts: bool = False) -> None:
    """Parse one file and print its printed TOC size, block tree, warnings and, on request, its facts."""
    from indexing.parsing import parse_path

    try:
        document = parse_path(file, Settings().parse_options())
    except IndexingError as exc:
        raise _fail(exc) from exc
    if document.toc:
        pages = sorted({e.page for e in document.toc if e.page})
        console.print(f"目录：{len(document.toc)} 条（第 {pages[0]}–{pages[-1]} 页），用于核对正文标题层级")
    console.print(block_tree(document))
    for w in document.warnings:
        console.print(f"[yellow]警告：{w}[/yellow]")
    if facts:
        found = fact_lines(document)
        console.print(f"报告中的数据：{len(found)} 项")
        for line in found:
            console.print(line, markup=False, soft_wrap=True)


def generate_corpus_files(out: Path, *, n: int, pages: int, seed: int, writer: str | None = None) -> None:
    """Generate labelled synthetic reports and list the files (rendered by a realistic writer if named)."""
    from corpus.generator import generate_corpus

    if writer is not None:
        _generate_realistic_files(out, n=n, pages=pages, seed=seed, writer=writer)
        return
    with console.status(f"生成 {n} 份合成自评报告…"):
        written = generate_corpus(out, n=n, pages=pages, seed=seed)
    rows = [
        GeneratedFiles(
            report=g.labels.report_id,
            school=g.labels.school,
            kind=str(g.labels.institution_type),
            pdf=g.pdf.name,
            docx=g.docx.name,
            labels=g.labels_path.name,
        )
        for g in written
    ]
    print_list(console, rows, _generated_columns(docx=True), as_json=False)


def _generate_realistic_files(out: Path, *, n: int, pages: int, seed: int, writer: str) -> None:
    """Render the reports with one realistic writer and list the files."""
    from corpus.office import RenderError, ToolMissingError, generate_realistic_corpus
    from corpus.realistic import Writer

    try:
        kind = Writer(writer)
    except ValueError:
        raise typer.BadParameter(f"未知的写出方式：{writer}（可选：{' / '.join(w.value for w in Writer)}）") from None
    try:
        with console.status(f"生成 {n} 份合成自评报告（{kind.value}）…"):
            written = generate_realistic_corpus(out, n=n, pages=pages, seed=seed, writer=kind)
    except (ToolMissingError, RenderError) as exc:
        console.print(f"[red]错误：{exc}[/red]")
        raise typer.Exit(code=2) from exc
    rows = [
        GeneratedFiles(
            report=f.report_id, school=f.school, kind=f.writer.value, pdf=f.pdf.name, labels=f.labels_path.name
        )
        for f in written
    ]
    print_list(console, rows, _generated_columns(docx=False, kind_zh="写出方式"), as_json=False)


class GeneratedFiles(BaseModel):
    """One generated report and the files written for it."""

    report: str
    school: str
    kind: str
    pdf: str
    docx: str | None = None
    labels: str


def _generated_columns(*, docx: bool, kind_zh: str = "类型") -> list[Column[GeneratedFiles]]:
    """Report ids and file names are copied into commands: never cut."""
    columns: list[Column[GeneratedFiles]] = [
        Column("报告", lambda r: r.report, whole=True),
        Column("学校", lambda r: r.school),
        Column(kind_zh, lambda r: r.kind),
        Column("PDF", lambda r: r.pdf, whole=True),
    ]
    if docx:
        columns.append(Column("DOCX", lambda r: r.docx or "", whole=True))
    return [*columns, Column("标注", lambda r: r.labels, whole=True)]
