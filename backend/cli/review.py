"""Terminal presentation of `ciqa review`: stage progress bars, a summary table, the written report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from backend.cli.indexing import console, stage_progress
from backend.config import Settings
from backend.domain.assessment import DrafterKind
from backend.domain.enums import Mark
from backend.embedding import build_embedder
from backend.errors import AppError
from backend.jobs.progress import STAGE_ZH
from backend.reports.review_report import write_review
from backend.review.flows import build_drafter
from backend.review.flows import review_file as run_review
from backend.rubrics.registry import default_registry
from indexing.errors import IndexingError


def review_file(file: Path, *, rubric_id: str, drafter: str, out: Path | None) -> None:
    """Run a one-shot review with progress bars and print or write the result."""
    settings = Settings()
    try:
        registry = default_registry(settings.rubrics_dir)
        rubric = registry.get(rubric_id)
        chosen = build_drafter(DrafterKind(drafter), settings)
        with stage_progress(STAGE_ZH) as progress:
            review = run_review(
                file,
                rubric,
                chosen,
                build_embedder(settings),
                registry=registry,
                parse_options=settings.parse_options(),
                chunking_options=settings.chunking_options(),
                progress=progress,
            )
    except (AppError, IndexingError) as exc:
        console.print(f"[red]错误：{exc.message_zh}[/red]  ({exc.code.value}: {exc.detail})")
        raise typer.Exit(code=2) from exc
    except ValueError as exc:
        console.print(f"[red]错误：起草方式须为 extractive 或 llm。[/red] ({exc})")
        raise typer.Exit(code=2) from exc
    table = Table(
        "指标", "名称", "建议等级", "置信度", "句号", "破折号", "问号", title=f"{review.document_name} × {rubric.name}"
    )
    for a in review.assessments:
        counts = [str(sum(p.mark is m for p in a.points)) for m in Mark]
        table.add_row(a.indicator_id, a.indicator_name, f"{a.level} {a.level_label}", f"{a.confidence:.2f}", *counts)
    console.print(table)
    n_materials, n_questions = len(review.supplementary_materials), len(review.site_visit_questions)
    console.print(f"补充材料清单 {n_materials} 项；入校考察问题清单 {n_questions} 项；评议用时 {review.seconds:.1f}s")
    if out is not None:
        try:
            write_review(review, out, rubric=rubric)
        except AppError as exc:
            console.print(f"[red]错误：{exc.message_zh}[/red]")
            raise typer.Exit(code=2) from exc
        console.print(f"已写入 {out}")
