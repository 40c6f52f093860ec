"""Terminal front of the review evaluations and the review benchmark: progress, tables, saved JSON.

Example:
    >>> omission_cli(Path("eval/results"), reports=6, pages=30)  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from corpus.realistic import Writer
from eval.review_eval import calibrate, omission_metrics, run_levels, run_omission, save

console = Console()


def _context():
    from backend.config import Settings
    from backend.embedding import build_embedder
    from backend.rubrics.registry import default_registry

    settings = Settings()
    return build_embedder(settings), default_registry(settings.rubrics_dir)


@contextmanager
def _bar(label: str) -> Iterator:
    with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as p:
        task = p.add_task(label, total=None)
        yield lambda done, total: p.update(task, completed=done, total=total)


def omission_cli(out: Path, reports: int, pages: int, writer: Writer | None = None) -> None:
    """Planted omissions and claims: print precision, recall, F1, false alarms, claims to 问号, citations."""
    embedder, registry = _context()
    with _bar("生成、解析并评议带缺失标注的报告") as progress:
        run = run_omission(embedder, registry, n_reports=reports, pages=pages, progress=progress, writer=writer)
    validity = run.quotes_valid / run.quotes if run.quotes else 1.0
    m = omission_metrics(run.observations, round(validity, 6))
    rendered = f"，{writer.value}" if writer else ""
    table = Table("指标", "数值", "目标", title=f"缺失证据检测（{reports} 份报告{rendered}，{m.points} 个审核重点）")
    for row in (
        ("破折号 精确率", f"{m.precision:.3f}", ""),
        ("破折号 召回率", f"{m.recall:.3f}", ""),
        ("破折号 F1", f"{m.f1:.3f}", "≥ 0.85"),
        ("证据齐全时误报率", f"{m.false_alarm_rate:.3f}", "≤ 0.10"),
        ("无支撑表述 → 问号", f"{m.unsupported_to_verify:.3f}", ""),
        ("引用有效率", f"{m.citation_validity:.3f}（{run.quotes_valid}/{run.quotes}）", "= 1.000"),
    ):
        table.add_row(*row)
    console.print(table)
    name = f"omission-{writer.value}" if writer else "omission"
    console.print(f"用时 {run.seconds:.0f}s；结果：{save(out, name, m)}")


def drafts_cli(out: Path, reports: int, pages: int) -> None:
    """Planted gaps: print how often advice and site-visit questions name a real gap, and how often they repeat."""
    from eval.draft_eval import draft_quality, truths_of
    from eval.review_eval import RUBRIC_ID

    embedder, registry = _context()
    with _bar("生成、解析并评议带缺失标注的报告") as progress:
        run = run_omission(embedder, registry, n_reports=reports, pages=pages, progress=progress)
    q = draft_quality(run.reviews, truths_of(run.observations), registry.get(RUBRIC_ID))
    table = Table(
        "", "条数", "具体", "真实缺口", "缺口上条数", "重复率", "缺口覆盖", title=f"草稿质量（{reports} 份报告）"
    )
    for label, item in (("改进建议", q.advice), ("入校考察问题", q.questions)):
        table.add_row(
            label,
            str(item.items),
            f"{item.specific:.3f}",
            f"{item.on_real_gap:.3f}",
            str(item.on_gap_points),
            f"{item.duplicate_rate:.3f}",
            f"{item.gap_coverage:.3f}",
        )
    console.print(table)
    console.print(
        f"引用指南条款 {q.distinct_guide_clauses} 条；同一条款最多用于 {q.guide_clause_max_indicators} 个指标"
    )
    console.print(f"用时 {run.seconds:.0f}s；结果：{save(out, 'drafts', q)}")


def llm_cli(
    out: Path, *, base_url: str, model: str, api_key: str | None, reports: int, pages: int, level_reports: int
) -> None:
    """One model through its endpoint: agreement, citation validity, fallbacks, tokens and seconds per review."""
    from pydantic import SecretStr

    from backend.config import Settings
    from eval.llm_eval import run_llm_eval

    embedder, registry = _context()
    settings = Settings() if api_key is None else Settings(llm_api_key=SecretStr(api_key))
    console.print(
        f"模型 {model} @ {base_url}：{reports} 份缺失标注报告 + {level_reports} 份分级报告，每份约 {pages} 页；"
        f"每份报告约 27 次起草调用 + 临界审核重点的复核调用"
    )
    with _bar("经大模型评议带标注的报告") as progress:
        r = run_llm_eval(
            base_url,
            model,
            embedder=embedder,
            registry=registry,
            settings=settings,
            reports=reports,
            pages=pages,
            level_reports=level_reports,
            progress=progress,
        )
    m = r.omission
    table = Table("指标", "数值", title=f"大模型评测：{model}（{r.reviews} 份报告，{r.indicators} 个指标）")
    rows = [
        ("破折号 F1（与预设缺失一致）", f"{m.f1:.3f}"),
        ("证据齐全时误报率", f"{m.false_alarm_rate:.3f}"),
        ("无支撑表述 → 问号", f"{m.unsupported_to_verify:.3f}"),
        ("引用有效率", f"{m.citation_validity:.3f}"),
    ]
    if r.levels is not None:
        rows += [("等级二次加权 Kappa", f"{r.levels.qwk:.3f}"), ("等级完全一致", f"{r.levels.exact:.3f}")]
    reasons = "，".join(f"{k} {v}" for k, v in sorted(r.fallback_reasons.items())) or "无"
    judge = f"{r.judge_agreement:.3f}（{r.judged_points} 个）" if r.judge_agreement is not None else "未复核"
    rows += [
        ("回退到抽取式的指标比例", f"{r.fallback_rate:.3f}（{reasons}）"),
        ("复核与预设一致", judge),
        ("建议点名具体缺口 / 重复率", f"{r.drafts.advice.specific:.3f} / {r.drafts.advice.duplicate_rate:.3f}"),
        (
            "入校问题点名具体材料 / 重复率",
            f"{r.drafts.questions.specific:.3f} / {r.drafts.questions.duplicate_rate:.3f}",
        ),
        ("每份报告 token", f"{r.tokens_per_review:,.0f}"),
        ("每份报告用时", f"{r.seconds_per_review:.1f}s"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"结果：{save(out, 'llm', r)}")


def levels_cli(out: Path, reports: int, pages: int) -> None:
    """Graded variants: print QWK, exact and adjacent agreement and the confusion table."""
    embedder, registry = _context()
    with _bar("生成、解析并评议分级报告") as progress:
        m, run = run_levels(embedder, registry, n_reports=reports, pages=pages, progress=progress)
    table = Table("指标", "数值", "目标", title=f"等级一致性（{m.indicators} 个指标）")
    table.add_row("二次加权 Kappa", f"{m.qwk:.3f}", "≥ 0.70")
    table.add_row("完全一致", f"{m.exact:.3f}", "")
    table.add_row("相邻一致", f"{m.adjacent:.3f}", "")
    validity = run.quotes_valid / run.quotes if run.quotes else 1.0
    table.add_row("引用有效率", f"{validity:.3f}", "= 1.000")
    console.print(table)
    levels = list(m.confusion)
    confusion = Table("预设 \\ 建议", *levels, title="混淆矩阵")
    for t in levels:
        confusion.add_row(t, *(str(m.confusion[t].get(p, 0)) for p in levels))
    console.print(confusion)
    console.print(f"用时 {run.seconds:.0f}s；结果：{save(out, 'levels', m)}")


def calibrate_cli(out: Path, reports: int, pages: int) -> None:
    """Review planted reports once, grid-search thresholds, print and save the best configuration."""
    embedder, registry = _context()
    with _bar("收集校准信号") as progress:
        run = run_omission(embedder, registry, n_reports=reports, pages=pages, seed=7000, progress=progress)
    save(out, "calibration_observations", [o.__dict__ for o in run.observations])
    config, m = calibrate(run.observations)
    console.print(f"最佳阈值：{config.model_dump()}")
    console.print(
        f"校准集上：F1 {m.f1:.3f}，误报率 {m.false_alarm_rate:.3f}，无支撑 → 问号 {m.unsupported_to_verify:.3f}"
    )
    save(out, "calibration", {"config": config.model_dump(), "metrics": m.__dict__, "reports": reports})


def bench_review_cli(pages: int) -> None:
    """Time an extractive review of an indexed report against the largest rubric."""
    from backend.config import Settings
    from backend.review.drafters.extractive import ExtractiveDrafter
    from backend.review.flows import review_collection
    from eval.datasets import generate_pdf
    from indexing.embedding import CachedEmbedder, load_embedder
    from indexing.options import ParseOptions
    from indexing.pipeline import index_files
    from indexing.store import Collection

    settings = Settings()
    _, registry = _context()
    # An in-memory cache only: the first review must embed the rubric's phrasings, as on a new server.
    embedder = CachedEmbedder(
        load_embedder(
            settings.embedder, settings.embedder_model, settings.embed_batch_size, threads=settings.embed_threads
        )
    )
    rubric = max(registry.list(), key=lambda r: r.counts().review_points)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = generate_pdf(Path(tmp), pages=pages, seed=31)
        with console.status(f"建立 {pages} 页报告的索引…"):
            index_files([pdf], Path(tmp) / "idx", embedder, parse_options=ParseOptions(ocr=False))
        collection = Collection.load(Path(tmp) / "idx")
        timings = []
        for label in ("首次（查询向量未缓存）", "再次（查询向量已缓存）"):
            started = time.perf_counter()
            review = review_collection(collection, embedder, rubric, ExtractiveDrafter(), registry=registry)
            timings.append((label, time.perf_counter() - started))
    n_points = rubric.counts().review_points
    table = Table("评议", "用时", "目标", title=f"评议基准：{pages} 页报告 × {rubric.id}（{n_points} 个审核重点）")
    for label, seconds in timings:
        table.add_row(label, f"{seconds:.1f}s", "≤ 20s")
    console.print(table)
    console.print(f"{len(review.assessments)} 个指标，{len(collection)} 个分块")


def drafting_cli(out: Path, reports: int, pages: int, *, as_json: bool = False) -> None:
    """Self-report drafting on generated materials: citation support, coverage, gaps, wrong figures, seconds."""
    import json
    from dataclasses import asdict

    from eval.drafting_eval import run_drafting_eval

    embedder, registry = _context()
    rubric = registry.get("audit-2021-type2")
    seeds = tuple(range(7, 7 + reports))
    if as_json:
        result = run_drafting_eval(embedder, rubric, seeds=seeds, pages=pages)
    else:
        with _bar("生成支撑材料、解析、起草并评分") as progress:
            result = run_drafting_eval(embedder, rubric, seeds=seeds, pages=pages, progress=progress)
    summary = {
        "drafter": result.drafter,
        "support": round(result.support, 4),
        "coverage": round(result.coverage, 4),
        "gap_recall": round(result.gap_recall, 4),
        "wrong_figures": result.wrong_figures,
        "reports": [asdict(r) for r in result.reports],
    }
    path = save(out, "drafting", summary)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    table = Table(
        "报告", "文件", "句子", "引文支持", "有材料的重点", "已起草", "缺失重点", "列为缺口",
        "数据", "错误数据", "数据冲突", "秒",
        title=f"自评报告起草（{reports} 份生成材料，{pages} 页）",
    )  # fmt: skip
    for r in result.reports:
        table.add_row(
            r.report_id, str(r.files), str(r.sentences), str(r.supported), str(r.points_with_material),
            str(r.covered), str(r.omitted), str(r.omitted_as_gap), str(r.figures), str(r.wrong_figures),
            str(r.conflicts), f"{r.seconds:.1f}",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"引文支持率 {result.support:.3f}（要求 1.000）；有材料的审核重点覆盖率 {result.coverage:.3f}；"
        f"缺失重点列为缺口 {result.gap_recall:.3f}；错误数据 {result.wrong_figures} 个（要求 0）"
    )
    console.print(f"结果：{path}")
