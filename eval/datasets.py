"""Evaluation datasets built from the synthetic corpus.

Example:
    >>> reports = labelled_reports(Path("/tmp/corpus"), n=2, pages=30)  # doctest: +SKIP
    >>> reports[0].topics[0].queries  # doctest: +SKIP
    ('党委如何研究本科教学', …)
"""

from __future__ import annotations

from pathlib import Path

from corpus.generator import ReportLabels, generate_corpus, generate_report
from corpus.office import render_pdf
from corpus.realistic import Writer
from corpus.writers import write_pdf
from eval.retrieval import LabelledReport, TopicQueries


def topic_queries(labels: ReportLabels) -> tuple[TopicQueries, ...]:
    """Queries and evidence texts of every topic present in a report (omitted topics have none).

    Args:
        labels: a report's sidecar labels.

    Returns:
        One entry per topic with at least one labelled item.
    """
    out = []
    for t in labels.topics:
        evidence = labels.evidence_of(t.id)
        if evidence:
            out.append(TopicQueries(topic_id=t.id, queries=t.queries, evidence=evidence))
    return tuple(out)


def labelled_reports(
    out_dir: Path, *, n: int, pages: int, seed: int = 1000, writer: Writer | None = None
) -> list[LabelledReport]:
    """Generate ``n`` labelled PDF reports and return them ready for retrieval evaluation.

    Args:
        out_dir: where the files are written.
        n: number of reports.
        pages: target pages per report.
        seed: seed of the first report.
        writer: a realistic writer (Word via LibreOffice, web page via Chromium, scan); reportlab when ``None``.

    Returns:
        One :class:`LabelledReport` per PDF.
    """
    if writer is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        reports = [generate_report(seed + i, pages=pages) for i in range(n)]
        return [
            LabelledReport(
                report_id=r.labels.report_id,
                path=render_pdf(r, out_dir / f"{r.labels.report_id}.pdf", writer, seed=seed + i),
                topics=topic_queries(r.labels),
            )
            for i, r in enumerate(reports)
        ]
    generated = generate_corpus(out_dir, n=n, pages=pages, seed=seed)
    return [LabelledReport(report_id=g.labels.report_id, path=g.pdf, topics=topic_queries(g.labels)) for g in generated]


def generate_pdf(out_dir: Path, *, pages: int, seed: int) -> Path:
    """One synthetic report of about ``pages`` pages as PDF (for benchmarks).

    Args:
        out_dir: where the file is written.
        pages: target pages.
        seed: the seed.

    Returns:
        The PDF path.
    """
    report = generate_report(seed, pages=pages)
    path = out_dir / f"{report.labels.report_id}.pdf"
    write_pdf(report, path)
    return path
