"""The `ciqa` command line: parses arguments and calls one function per command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="ciqa-review 命令行工具", no_args_is_help=True, pretty_exceptions_enable=False)
rubrics_app = typer.Typer(help="评估指标体系（rubric）管理", no_args_is_help=True)
eval_app = typer.Typer(help="评测", no_args_is_help=True)
bench_app = typer.Typer(help="性能基准", no_args_is_help=True)
corpus_app = typer.Typer(help="合成语料", no_args_is_help=True)
app.add_typer(rubrics_app, name="rubrics")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
app.add_typer(corpus_app, name="corpus")
users_app = typer.Typer(help="用户管理", no_args_is_help=True)
institutions_app = typer.Typer(help="单位管理", no_args_is_help=True)
cases_app = typer.Typer(help="优秀案例", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(institutions_app, name="institutions")
app.add_typer(cases_app, name="cases")
WRITER_HELP = "render the reports as universities do: docx-libreoffice | html-chromium | scanned (default: reportlab)"
JSON_HELP = "print a JSON array with every value whole (piped output without --json: tab-separated lines)"
JsonOption = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def _writer(value: str | None):
    """The realistic writer named on the command line, or ``None`` for the reportlab PDF."""
    from corpus.realistic import Writer

    if value is None:
        return None
    try:
        return Writer(value)
    except ValueError:
        raise typer.BadParameter(f"未知的写出方式：{value}（可选：{' / '.join(w.value for w in Writer)}）") from None


def main() -> None:
    """Entry point of the console script."""
    app()


# --- indexing commands ---------------------------------------------------------------------------


@app.command("parse")
def parse_cmd(
    file: Path,
    facts: Annotated[bool, typer.Option("--facts", help="also list every figure the document reports")] = False,
) -> None:
    """Print the block tree of a document (for debugging real files)."""
    from backend.cli.indexing import print_block_tree

    print_block_tree(file, facts=facts)


@app.command("index")
def index_cmd(
    files: list[Path],
    out: Annotated[Path, typer.Option("--out", help="index directory")],
) -> None:
    """Parse, chunk, embed and index files into DIR."""
    from backend.cli.indexing import index_files

    index_files(files, out)


@app.command("search")
def search_cmd(
    index_dir: Path,
    query: str,
    k: Annotated[int, typer.Option("-k", help="number of hits")] = 10,
    section: Annotated[str | None, typer.Option(help="heading prefix filter")] = None,
    as_json: JsonOption = False,
) -> None:
    """Hybrid search in an index directory."""
    from backend.cli.indexing import search_index

    search_index(index_dir, query, k=k, section=section, as_json=as_json)


@app.command("demo")
def demo_cmd(
    pages: Annotated[int, typer.Option(help="pages of each sample report")] = 20,
    reset_passwords: Annotated[
        bool, typer.Option("--reset-passwords", help="give existing demo users new passwords")
    ] = False,
    background: Annotated[
        bool,
        typer.Option(
            "--background", help="only upload the sample reports: the worker of `ciqa serve` ingests and reviews them"
        ),
    ] = False,
) -> None:
    """Create demo institutions, users, a campaign and reviewed sample reports on the configured database."""
    from backend.cli.demo import demo, queue

    run = queue if background else demo
    run(pages=pages, reset_passwords=reset_passwords, url="http://127.0.0.1:8000")


# --- review commands -----------------------------------------------------------------------------


@app.command("review")
def review_cmd(
    file: Path,
    rubric: Annotated[str, typer.Option("--rubric", help="rubric id, e.g. audit-2021-type2")],
    drafter: Annotated[str, typer.Option("--drafter", help="extractive | llm")] = "extractive",
    out: Annotated[Path | None, typer.Option("--out", help="review.json | .md | .docx | .xlsx")] = None,
) -> None:
    """Review one file against a rubric with no server: parse → index → match → draft."""
    from backend.cli.review import review_file

    review_file(file, rubric_id=rubric, drafter=drafter, out=out)


@corpus_app.command("generate")
def corpus_generate_cmd(
    out: Annotated[Path, typer.Option("--out", help="output directory")],
    n: Annotated[int, typer.Option("-n", help="number of reports")] = 3,
    pages: Annotated[int, typer.Option(help="target pages per report")] = 40,
    seed: Annotated[int, typer.Option(help="seed of the first report")] = 0,
    writer: Annotated[
        str | None, typer.Option(help="docx-libreoffice | html-chromium | scanned (default: reportlab PDF and DOCX)")
    ] = None,
) -> None:
    """Generate labelled synthetic self-evaluation reports (PDF, DOCX, labels JSON)."""
    from backend.cli.indexing import generate_corpus_files

    generate_corpus_files(out, n=n, pages=pages, seed=seed, writer=writer)


# --- rubrics commands (owned by the rubrics module) ----------------------------------------------


@rubrics_app.command("list")
def rubrics_list_cmd(
    all_versions: Annotated[bool, typer.Option("--all-versions", help="include archived versions")] = False,
    as_json: JsonOption = False,
) -> None:
    """List the rubrics in the rubrics directory (CIQA_RUBRICS_DIR)."""
    from backend.cli.rubrics import list_rubrics

    list_rubrics(all_versions=all_versions, as_json=as_json)


@rubrics_app.command("show")
def rubrics_show_cmd(
    rubric_id: Annotated[str, typer.Argument(metavar="ID")],
    version: Annotated[str | None, typer.Option(help="version (default: latest)")] = None,
) -> None:
    """Print a rubric's indicator tree with counts."""
    from backend.cli.rubrics import show_rubric

    show_rubric(rubric_id, version)


@rubrics_app.command("validate")
def rubrics_validate_cmd(file: Annotated[Path | None, typer.Argument()] = None) -> None:
    """Validate FILE (links checked against the rubrics directory), or every rubric in the directory."""
    from backend.cli.rubrics import validate_rubrics

    validate_rubrics(file)


@rubrics_app.command("import")
def rubrics_import_cmd(
    table: Annotated[Path, typer.Argument(help="XLSX or CSV indicator table")],
    rubric_id: Annotated[str, typer.Option("--id", help="rubric id, e.g. xx-univ-audit-2025")],
    name: Annotated[str, typer.Option("--name", help="rubric name")],
    version: Annotated[str, typer.Option(help="rubric version")] = "1.0",
    out: Annotated[Path | None, typer.Option(help="output file (default rubrics/<id>.yaml)")] = None,
    date: Annotated[str | None, typer.Option(help="date of the source document, YYYY-MM-DD")] = None,
    institution_type: Annotated[
        list[str] | None, typer.Option("--type", help="研究型 / 应用型 / 高职 (repeatable; default all)")
    ] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="self_evaluation / case (repeatable)")] = None,
) -> None:
    """Turn an indicator table (一级指标/二级指标/审核重点/定量指标/权重) into a rubric YAML."""
    import datetime as dt

    from backend.cli.rubrics import import_rubric
    from backend.domain.enums import InstitutionType, SubmissionKind

    try:
        types = [InstitutionType(t) for t in institution_type or []]
        kinds = [SubmissionKind(k) for k in kind or []]
        when = dt.date.fromisoformat(date) if date else None
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    import_rubric(
        table,
        rubric_id=rubric_id,
        name=name,
        version=version,
        out=out,
        date=when,
        institution_types=types,
        submission_kinds=kinds,
    )


@rubrics_app.command("schema")
def rubrics_schema_cmd(
    out: Annotated[Path | None, typer.Option(help="default rubrics/rubric.schema.json")] = None,
) -> None:
    """Write the JSON Schema of rubric files."""
    from backend.cli.rubrics import write_schema

    write_schema(out)


# --- accounts: users and institutions (never migrate: `ciqa db upgrade` does) ------------------


@users_app.command("create")
def users_create_cmd(
    username: Annotated[str, typer.Argument(metavar="USERNAME")],
    role: Annotated[str, typer.Option("--role", help="university | expert | secretariat | admin (or 高校 / 管理员 …)")],
    institution: Annotated[
        str | None, typer.Option("--institution", help="institution name (required for university users)")
    ] = None,
    display_name: Annotated[str, typer.Option("--display-name", help="person or office (default: username)")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin (default: generate and print one)")
    ] = False,
) -> None:
    """Create a user; without --password-stdin a strong password is generated and printed once."""
    from backend.cli.accounts import create_user

    create_user(username, role=role, institution=institution, display_name=display_name, password_stdin=password_stdin)


@users_app.command("list")
def users_list_cmd(as_json: JsonOption = False) -> None:
    """List the users (never their passwords)."""
    from backend.cli.accounts import list_users

    list_users(as_json=as_json)


@institutions_app.command("create")
def institutions_create_cmd(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    type: Annotated[str, typer.Option("--type", help="研究型 | 应用型 | 高职 (or research | applied | vocational)")],
    region: Annotated[str, typer.Option("--region", help="region, e.g. 华东")] = "",
) -> None:
    """Create an institution of one category."""
    from backend.cli.accounts import create_institution

    create_institution(name, type=type, region=region)


@institutions_app.command("list")
def institutions_list_cmd(as_json: JsonOption = False) -> None:
    """List the institutions."""
    from backend.cli.accounts import list_institutions

    list_institutions(as_json=as_json)


# --- eval and bench commands ---------------------------------------------------------------------


@eval_app.command("retrieval")
def eval_retrieval_cmd(
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    reports: Annotated[int, typer.Option(help="number of synthetic reports")] = 3,
    writer: Annotated[str | None, typer.Option(help=WRITER_HELP)] = None,
) -> None:
    """Recall@5, nDCG@10 and MRR of dense, BM25 and hybrid retrieval on the labelled corpus."""
    from eval.retrieval import run_cli

    run_cli(out_dir=out, reports=reports, writer=_writer(writer))


@eval_app.command("consistency")
def eval_consistency_cmd(
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    cases: Annotated[int, typer.Option(help="generated submissions (report PDF, supporting file, state data)")] = 10,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    pdf: Annotated[bool, typer.Option("--pdf/--docx", help="report as LibreOffice PDF (default) or as DOCX")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Precision and recall of figure conflicts planted in generated materials (digit, 万元/元, year)."""
    from eval.consistency_eval import run_cli

    run_cli(out, cases=cases, seed=seed, pdf=pdf, as_json=as_json)


@bench_app.command("ingest")
def bench_ingest_cmd(
    pages: Annotated[int, typer.Option(help="pages of the synthetic report")] = 100,
) -> None:
    """Ingest a synthetic report end to end and print throughput, latency and memory."""
    from eval.bench_ingest import run_cli

    run_cli(pages=pages)


@bench_app.command("ocr")
def bench_ocr_cmd(
    pages: Annotated[int, typer.Option(help="pages of the scanned report")] = 20,
    workers: Annotated[int, typer.Option(help="processes of the parallel run (0: one per core)")] = 0,
) -> None:
    """OCR a scanned synthetic report page after page and in parallel processes; print pages/s of both."""
    from eval.bench_ingest import run_ocr_cli

    run_ocr_cli(pages, workers=workers)


@cases_app.command("store-passages")
def cases_store_passages_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="print the counts as JSON")] = False,
) -> None:
    """Store the paragraph vectors of case texts ingested before ingest kept them (case search by meaning)."""
    from backend.cli.cases import store_passages

    store_passages(as_json=as_json)


# --- service commands: serve, worker, db ----------------------------------------------------------

db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade_cmd(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Migrate the configured database (CIQA_DATABASE_URL) to the latest schema."""
    from backend.serve import upgrade_database

    upgrade_database(revision)


@app.command("worker")
def worker_cmd(
    concurrency: Annotated[int | None, typer.Option(help="worker processes (default CIQA_WORKER_CONCURRENCY)")] = None,
    loglevel: Annotated[str, typer.Option(help="log level")] = "INFO",
) -> None:
    """Run a Celery worker on the configured broker (CIQA_BROKER_URL)."""
    from backend.serve import run_worker

    run_worker(concurrency=concurrency, loglevel=loglevel)


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="also start a worker process")] = True,
    api_workers: Annotated[
        int | None, typer.Option(min=1, help="HTTP server processes (default CIQA_API_WORKERS, 1)")
    ] = None,
) -> None:
    """Migrate the database, start a worker process and serve the web pages and the API."""
    from backend.serve import serve

    serve(host=host, port=port, with_worker=worker, api_workers=api_workers)


@eval_app.command("omission")
def eval_omission_cmd(
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    reports: Annotated[int, typer.Option(help="number of synthetic reports")] = 6,
    pages: Annotated[int, typer.Option(help="pages per report")] = 30,
    writer: Annotated[str | None, typer.Option(help=WRITER_HELP)] = None,
) -> None:
    """Missing-evidence detection: planted omissions and unsupported claims."""
    from eval.review_cli import omission_cli

    omission_cli(out, reports, pages, _writer(writer))


@eval_app.command("drafts")
def eval_drafts_cmd(
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    reports: Annotated[int, typer.Option(help="number of synthetic reports")] = 3,
    pages: Annotated[int, typer.Option(help="pages per report")] = 20,
) -> None:
    """Draft quality: advice and site-visit questions that name a planted gap, duplicates."""
    from eval.review_cli import drafts_cli

    drafts_cli(out, reports, pages)


@eval_app.command("drafting")
def eval_drafting_cmd(
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    reports: Annotated[int, typer.Option(help="generated sets of supporting files")] = 2,
    pages: Annotated[int, typer.Option(help="pages per generated set")] = 12,
    as_json: JsonOption = False,
) -> None:
    """Report drafting: cited sentences supported (100% required), coverage, gaps, figures equal to their source."""
    from eval.review_cli import drafting_cli

    drafting_cli(out, reports, pages, as_json=as_json)


@eval_app.command("llm")
def eval_llm_cmd(
    base_url: Annotated[
        str, typer.Option("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8001/v1")
    ],
    model: Annotated[str, typer.Option("--model", help="model name the endpoint serves")],
    api_key: Annotated[str | None, typer.Option("--api-key", help="default: CIQA_LLM_API_KEY")] = None,
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    reports: Annotated[int, typer.Option(help="reports with planted omissions and claims")] = 3,
    level_reports: Annotated[int, typer.Option(help="graded reports for level agreement (0: skip)")] = 1,
    pages: Annotated[int, typer.Option(help="pages per report")] = 20,
) -> None:
    """A model through its endpoint: omission, levels, citations, draft quality, fallbacks, tokens, seconds."""
    from eval.review_cli import llm_cli

    llm_cli(
        out, base_url=base_url, model=model, api_key=api_key, reports=reports, pages=pages, level_reports=level_reports
    )


@eval_app.command("duplicates")
def eval_duplicates_cmd(
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    originals: Annotated[int, typer.Option(help="original synthetic cases")] = 200,
    per_kind: Annotated[int, typer.Option(help="planted duplicates of each kind")] = 15,
    timing: Annotated[int, typer.Option(help="cases in the timed search")] = 1000,
    seed: Annotated[int, typer.Option(help="generator seed (thresholds were set on seed 0)")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Near-duplicate cases: precision and recall per planted kind, and the search time for many cases."""
    from eval.near_duplicates import run_cli

    run_cli(out, originals=originals, per_kind=per_kind, timing_cases=timing, seed=seed, as_json=as_json)


@eval_app.command("levels")
def eval_levels_cmd(
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    reports: Annotated[int, typer.Option(help="number of graded reports")] = 4,
    pages: Annotated[int, typer.Option(help="pages per report")] = 30,
) -> None:
    """Level agreement on graded variants (QWK, exact, adjacent)."""
    from eval.review_cli import levels_cli

    levels_cli(out, reports, pages)


@eval_app.command("real")
def eval_real_cmd(
    docs: Annotated[Path, typer.Option(help="folder of the real documents")] = Path("../shared/real-docs"),
    gold: Annotated[Path, typer.Option(help="folder of the gold YAML files")] = Path("eval/real"),
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    retrieval: Annotated[bool, typer.Option(help="index the documents and measure table-row retrieval")] = True,
) -> None:
    """Headings, facts and table-row retrieval on real documents against hand-checked gold files."""
    from eval.real import run_cli

    try:
        run_cli(gold, docs, out, retrieval=retrieval)
    except FileNotFoundError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(code=2) from exc


@eval_app.command("calibrate")
def eval_calibrate_cmd(
    out: Annotated[Path, typer.Option(help="results directory")] = Path("eval/results"),
    reports: Annotated[int, typer.Option(help="number of calibration reports")] = 6,
    pages: Annotated[int, typer.Option(help="pages per report")] = 30,
) -> None:
    """Calibrate the matcher thresholds on labelled reports (separate seeds from the evaluation)."""
    from eval.review_cli import calibrate_cli

    calibrate_cli(out, reports, pages)


@bench_app.command("review")
def bench_review_cmd(pages: Annotated[int, typer.Option(help="pages of the report")] = 100) -> None:
    """Time an extractive review of an indexed report against the largest rubric."""
    from eval.review_cli import bench_review_cli

    bench_review_cli(pages)


@bench_app.command("web")
def bench_web_cmd(repeat: Annotated[int, typer.Option(help="requests per page")] = 30) -> None:
    """Server time (p50 / p95) and size of every web page on the demo data."""
    from eval.bench_web import run_cli

    run_cli(repeat)


@bench_app.command("selection")
def bench_selection_cmd(
    institutions: Annotated[int, typer.Option(min=1, help="institutions in the campaign")] = 300,
    experts: Annotated[int, typer.Option(min=1, help="experts per submission (each submits)")] = 2,
    repeat: Annotated[int, typer.Option(min=1, help="requests per page")] = 3,
) -> None:
    """The secretariat's campaign pages (board, ranking, shortlist, charts …) on a campaign of this size."""
    from eval.bench_selection import run_cli

    run_cli(institutions, experts, repeat)


@bench_app.command("service")
def bench_service_cmd(
    pages: Annotated[int, typer.Option(help="pages of the upload-to-review report (embedded default)")] = 100,
    batch: Annotated[int, typer.Option(help="reports in the Redis + PostgreSQL batch")] = 20,
    batch_pages: Annotated[int, typer.Option(help="target pages of each batch report")] = 10,
    workers: Annotated[
        list[int] | None, typer.Option("--workers", help="worker counts to measure (repeatable)")
    ] = None,
    clients: Annotated[int, typer.Option(help="concurrent API readers")] = 50,
    requests: Annotated[int, typer.Option(help="total review reads")] = 2000,
    api_workers: Annotated[int, typer.Option(min=1, help="HTTP server processes of the embedded API")] = 1,
    deployment: Annotated[
        bool, typer.Option("--deployment/--no-deployment", help="run the Redis + PostgreSQL batch")
    ] = True,
) -> None:
    """Upload→review latency (embedded), batch throughput (Redis + PostgreSQL), API read p95 under load."""
    from eval.bench_service import run_cli

    run_cli(
        pages=pages,
        batch=batch,
        batch_pages=batch_pages,
        workers=workers or [1, 2],
        clients=clients,
        requests=requests,
        deployment=deployment,
        api_workers=api_workers,
    )
