"""Terminal presentation of ``ciqa rubrics``: list, show (tree with counts), validate, import, schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from backend.cli.listing import Column, print_list
from backend.domain.enums import InstitutionType, SubmissionKind
from backend.errors import AppError
from backend.rubrics.loader import RubricError, json_schema, load_rubric
from backend.rubrics.models import Applicability, Counts, Indicator, PointKind, Rubric, TextOrigin
from backend.rubrics.registry import RubricRegistry

console = Console()


def _rubrics_dir() -> Path:
    from backend.config import Settings

    return Settings().rubrics_dir


def _registry() -> RubricRegistry:
    try:
        return RubricRegistry.load_dir(_rubrics_dir())
    except AppError as e:
        raise _fail(e) from e


def _fail(exc: AppError) -> typer.Exit:
    console.print(f"[red]错误：{escape(exc.message_zh)}[/red]  ({exc.code.value})")
    for problem in getattr(exc, "problems", []):
        console.print(f"  - {escape(str(problem))}", soft_wrap=True)
    if not getattr(exc, "problems", None) and exc.detail:
        console.print(f"  {escape(exc.detail)}", soft_wrap=True)
    return typer.Exit(code=1)


def _depth_counts(rubric: Rubric) -> str:
    return _counts_zh(rubric.counts())


def _counts_zh(counts: Counts) -> str:
    names = ["一级", "二级", "三级"]
    parts = [f"{n} {names[i]}" for i, n in enumerate(counts.indicators_by_depth)]
    parts.append(f"{counts.review_points} 审核重点")
    if counts.quantitative:
        parts.append(f"其中定量 {counts.quantitative}")
    return "，".join(parts)


class RubricRow(BaseModel):
    """A rubric as ``ciqa rubrics list`` prints it."""

    id: str
    version: str
    name: str
    fingerprint: str
    applicability: Applicability
    counts: Counts


RUBRIC_COLUMNS: tuple[Column[RubricRow], ...] = (
    # An id or version is copied into commands and API calls: those columns keep their full width, the rest fold.
    Column("id", lambda r: r.id, whole=True),
    Column("版本", lambda r: r.version, whole=True),
    Column("名称", lambda r: r.name),
    Column(
        "适用",
        lambda r: "、".join(r.applicability.institution_types) + " / " + "、".join(r.applicability.submission_kinds),
    ),
    Column("结构", lambda r: _counts_zh(r.counts)),
    Column("原文/重构", lambda r: f"{r.counts.official}/{r.counts.reconstructed}"),
)


def list_rubrics(*, all_versions: bool = False, as_json: bool = False) -> None:
    """List the rubrics in the configured directory: a table, plain lines when piped, or JSON."""
    rows = [
        RubricRow(
            id=rubric.id,
            version=rubric.version,
            name=rubric.name,
            fingerprint=rubric.fingerprint,
            applicability=rubric.applicability,
            counts=rubric.counts(),
        )
        for rubric in _registry().list(all_versions=all_versions)
    ]
    print_list(console, rows, RUBRIC_COLUMNS, as_json=as_json, title=f"指标体系（{_rubrics_dir()}）")


def rubric_tree(rubric: Rubric) -> Tree:
    """The indicator tree with per-indicator counts; quantitative and reconstructed points are marked."""
    root = Tree(
        f"[bold]{escape(rubric.name)}[/bold]  {rubric.id} v{rubric.version}  "
        f"[dim]fingerprint {rubric.fingerprint[:12]}[/dim]\n{_depth_counts(rubric)}"
    )

    def points_under(ind: Indicator) -> int:
        return len(ind.review_points) + sum(points_under(c) for c in ind.children)

    def add(branch: Tree, ind: Indicator) -> None:
        flag = f" [{ind.selection}]" if ind.selection else ""
        node = branch.add(f"[bold]{ind.id} {escape(ind.name)}[/bold]{escape(flag)}  [dim]({points_under(ind)})[/dim]")
        for child in ind.children:
            add(node, child)
        for point in ind.review_points:
            marks = []
            if point.kind is PointKind.QUANTITATIVE and point.metric:
                marks.append(f"定量 {point.metric.unit}")
            if point.text_origin is TextOrigin.RECONSTRUCTED:
                marks.append("重构")
            if point.selection:
                marks.append(point.selection)
            suffix = f"  [dim]{escape('[' + '，'.join(marks) + ']')}[/dim]" if marks else ""
            node.add(f"{point.id} {escape(point.label)}{suffix}")

    for indicator in rubric.indicators:
        add(root, indicator)
    return root


def show_rubric(rubric_id: str, version: str | None = None) -> None:
    """Print one rubric as a tree with counts."""
    registry = _registry()
    try:
        rubric = registry.get(rubric_id, version)
    except AppError as e:
        raise _fail(e) from e
    console.print(rubric_tree(rubric))
    source = rubric.source
    console.print(f"[dim]来源：{escape(source.document)} {source.date or ''} {escape(source.reference or '')}[/dim]")


def validate_rubrics(file: Path | None = None) -> None:
    """Validate one file (links resolved against the rubrics directory) or the whole directory."""
    directory = _rubrics_dir()
    try:
        if file is None:
            registry = RubricRegistry.load_dir(directory)
            for rubric in registry.list(all_versions=True):
                console.print(f"[green]✓[/green] {rubric.id} v{rubric.version}  {_depth_counts(rubric)}")
            return
        registry = RubricRegistry.load_dir(directory) if directory.is_dir() else RubricRegistry()
        rubric = load_rubric(file, known=registry.known_points())
        registry.add(rubric, file=str(file))  # same id and version with other content is refused
    except AppError as e:
        raise _fail(e) from e
    console.print(f"[green]✓[/green] {file}: {rubric.id} v{rubric.version}  {_depth_counts(rubric)}")


def import_rubric(
    table: Path,
    *,
    rubric_id: str,
    name: str,
    version: str,
    out: Path | None,
    date: dt.date | None,
    institution_types: Sequence[InstitutionType],
    submission_kinds: Sequence[SubmissionKind],
) -> None:
    """Import an indicator table into ``rubrics/<id>.yaml`` (or ``out``) and report skipped rows."""
    from backend.rubrics.importer import import_table, write_imported

    target = out or _rubrics_dir() / f"{rubric_id}.yaml"
    try:
        result = import_table(
            table,
            rubric_id=rubric_id,
            name=name,
            version=version,
            date=date,
            institution_types=institution_types or tuple(InstitutionType),
            submission_kinds=submission_kinds or (SubmissionKind.SELF_EVALUATION,),
        )
        written, archived = write_imported(result.rubric, target)
    except RubricError as e:
        raise _fail(e) from e
    if archived:
        console.print(f"旧版本已移至 {archived}")
    console.print(f"[green]已导入[/green] {written}: {rubric_id} v{version}  {_depth_counts(result.rubric)}")
    if result.skipped:
        console.print(f"[yellow]{len(result.skipped)} 行未能归入指标：[/yellow]")
        for problem in result.skipped:
            console.print(f"  - {escape(str(problem))}", soft_wrap=True)


def write_schema(out: Path | None) -> None:
    """Write the rubric JSON Schema (default ``rubrics/rubric.schema.json``)."""
    from backend.rubrics.models import SCHEMA_FILE

    target = out or _rubrics_dir() / SCHEMA_FILE
    target.write_text(json_schema(), encoding="utf-8")
    console.print(f"已写入 {target}")
