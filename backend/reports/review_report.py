"""Review reports a person reads, in the format a file's suffix names: JSON, Markdown, Word or Excel."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from backend.domain.assessment import NO_EVIDENCE_ZH, IndicatorAssessment, Review
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode
from backend.reports.content import NO_HEADER, ReportHeader, pages_zh, quoted_zh
from backend.reports.review_document import to_docx
from backend.reports.review_sheet import to_xlsx
from backend.rubrics.models import Rubric


class ReportFormat(StrEnum):
    """Output formats of a review, chosen by file suffix."""

    JSON = ".json"
    MARKDOWN = ".md"
    DOCX = ".docx"
    XLSX = ".xlsx"


def _summary_rows(review: Review) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for a in review.assessments:
        counts = {m: sum(p.mark is m for p in a.points) for m in Mark}
        marks = f"句号 {counts[Mark.CLEAR]} / 破折号 {counts[Mark.MORE_MATERIAL]} / 问号 {counts[Mark.VERIFY_ON_SITE]}"
        rows.append((a.indicator_id, a.indicator_name, f"{a.level} {a.level_label}", f"{a.confidence:.2f}", marks))
    return rows


def _indicator_markdown(a: IndicatorAssessment) -> list[str]:
    drafter = a.draft.drafter.value + (f"（回退：{a.draft.fallback_reason}）" if a.draft.fallback_reason else "")
    lines = [
        f"## {a.indicator_id} {a.indicator_name}：{a.level} {a.level_label}",
        "",
        f"{a.rationale_zh}",
        "",
        f"起草方式：{drafter}",
        "",
    ]
    for p in a.points:
        lines.append(f"### {p.point_id} [{p.mark_zh}] {p.point_text}")
        lines.append("")
        lines.append(p.rationale_zh)
        if p.figure:
            lines.append(f"- 报告数值：{p.figure.metric} {p.figure.display_zh}")
        if not p.evidence:
            lines.append(f"- {NO_EVIDENCE_ZH}")
        for ev in p.evidence:
            section = " > ".join(ev.heading_path)
            lines.append(f"- {pages_zh(ev)}（{section}）：{quoted_zh(ev)}")
        lines.append("")
    if a.missing:
        lines += ["**缺失证据**", ""] + [f"- {m.point_id}：{m.expected_zh}" for m in a.missing] + [""]
    if a.advice:
        lines += ["**改进建议**", ""] + [f"- {x.text_zh}（依据：{x.source}）" for x in a.advice] + [""]
    return lines


def to_markdown(review: Review) -> str:
    """The review as Markdown."""
    lines = [
        f"# 自评报告审核意见：{review.document_name}",
        "",
        f"指标体系：{review.rubric_id}（版本 {review.rubric_version}）",
        "",
        "| 指标 | 名称 | 建议等级 | 置信度 | 审核重点标记 |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {' | '.join(row)} |" for row in _summary_rows(review)]
    lines.append("")
    for a in review.assessments:
        lines += _indicator_markdown(a)
    lines += ["## 补充材料清单", ""] + [f"- {i.point_id}：{i.text_zh}" for i in review.supplementary_materials]
    lines += ["", "## 入校考察问题清单", ""] + [f"- {i.point_id}：{i.text_zh}" for i in review.site_visit_questions]
    return "\n".join(lines) + "\n"


def write_review(
    review: Review, path: Path, *, header: ReportHeader = NO_HEADER, rubric: Rubric | None = None
) -> ReportFormat:
    """Write the review in the format named by the file suffix (.json, .md, .docx, .xlsx).

    ``header`` and ``rubric`` add the institution, version, date and indicator names to the Word and Excel files.
    """
    try:
        fmt = ReportFormat(path.suffix.lower())
    except ValueError as exc:
        raise AppError(ErrorCode.INVALID_INPUT, "输出文件须为 .json、.md、.docx 或 .xlsx。", path.suffix) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt is ReportFormat.JSON:
        path.write_text(review.model_dump_json(indent=1), "utf-8")
    elif fmt is ReportFormat.MARKDOWN:
        path.write_text(to_markdown(review), "utf-8")
    elif fmt is ReportFormat.DOCX:
        to_docx(review, path, header=header, rubric=rubric)
    else:
        to_xlsx(review, path, header=header, rubric=rubric)
    return fmt
