"""The `ciqa` command line: parses arguments and calls one function per command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="ciqa-review 命令行工具", no_args_is_help=True, pretty_exceptions_enable=False)
rubrics_app = typer.Typer(help="评估指标体系（rubric）管理", no_args_is_help=True)
eval_app = typer.Typer(help="评测", no_args_is_help=True)
bench_app = typer.Typer(help="性能基准", no_args_is_help=True)
app.add_typer(rubrics_app, name="rubrics")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")


def main() -> None:
    """Entry point of the console script."""
    app()


# --- indexing commands ---------------------------------------------------------------------------


@app.command("parse")
def parse_cmd(file: Path) -> None:
    """Print the block tree of a document (for debugging real files)."""
    from backend.indexing_cli import print_block_tree

    print_block_tree(file)


@app.command("index")
def index_cmd(
    files: list[Path],
    out: Annotated[Path, typer.Option("--out", help="index directory")],
) -> None:
    """Parse, chunk, embed and index files into DIR."""
    from backend.indexing_cli import index_files

    index_files(files, out)


@app.command("search")
def search_cmd(
    index_dir: Path,
    query: str,
    k: Annotated[int, typer.Option("-k", help="number of hits")] = 10,
    section: Annotated[str | None, typer.Option(help="heading prefix filter")] = None,
) -> None:
    """Hybrid search in an index directory."""
    from backend.indexing_cli import search_index

    search_index(index_dir, query, k=k, section=section)


@app.command("demo")
def demo_cmd() -> None:
    """Generate a sample report, index it and run a few review-point queries."""
    from backend.indexing_cli import demo

    demo()


# --- rubrics commands (owned by the rubrics module) ----------------------------------------------

# --- eval and bench commands ---------------------------------------------------------------------


@eval_app.command("retrieval")
def eval_retrieval_cmd(
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    reports: Annotated[int, typer.Option(help="number of synthetic reports")] = 3,
) -> None:
    """Recall@5, nDCG@10 and MRR of dense, BM25 and hybrid retrieval on the labelled corpus."""
    from eval.retrieval import run_cli

    run_cli(out_dir=out, reports=reports)


@bench_app.command("ingest")
def bench_ingest_cmd(
    pages: Annotated[int, typer.Option(help="pages of the synthetic report")] = 100,
) -> None:
    """Ingest a synthetic report end to end and print throughput, latency and memory."""
    from eval.bench_ingest import run_cli

    run_cli(pages=pages)
