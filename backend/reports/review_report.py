"""Review reports a person reads: a summary table of indicators and levels, then evidence, gaps, advice."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from backend.domain.assessment import NO_EVIDENCE_ZH, Evidence, IndicatorAssessment, Review
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode


class ReportFormat(StrEnum):
    """Output formats of a review, chosen by file suffix."""

    JSON = ".json"
    MARKDOWN = ".md"
    DOCX = ".docx"


def _pages(ev: Evidence) -> str:
    if ev.page_start is None:
        return "页码未知"
    if ev.page_end and ev.page_end != ev.page_start:
        return f"第 {ev.page_start}–{ev.page_end} 页"
    return f"第 {ev.page_start} 页"


def _summary_rows(review: Review) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for a in review.assessments:
        counts = {m: sum(p.mark is m for p in a.points) for m in Mark}
        marks = f"句号 {counts[Mark.CLEAR]} / 破折号 {counts[Mark.MORE_MATERIAL]} / 问号 {counts[Mark.VERIFY_ON_SITE]}"
        rows.append((a.indicator_id, a.indicator_name, f"{a.level} {a.level_label}", f"{a.confidence:.2f}", marks))
    return rows


def _quoted(ev: Evidence) -> str:
    """A quote as experts read it: a table row as 「表名：指标 = 值」, text in quotation marks."""
    return ev.display_zh or f"“{ev.quote}”"


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
            lines.append(f"- {_pages(ev)}（{section}）：{_quoted(ev)}")
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


def to_docx(review: Review, path: Path) -> None:
    """Write the review as a Word document with the same content as the Markdown report."""
    from docx import Document

    doc = Document()
    doc.add_heading(f"自评报告审核意见：{review.document_name}", level=0)
    doc.add_paragraph(f"指标体系：{review.rubric_id}（版本 {review.rubric_version}）")
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, ("指标", "名称", "建议等级", "置信度", "审核重点标记"), strict=True):
        cell.text = title
    for row in _summary_rows(review):
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    for a in review.assessments:
        doc.add_heading(f"{a.indicator_id} {a.indicator_name}：{a.level} {a.level_label}", level=1)
        doc.add_paragraph(a.rationale_zh)
        for p in a.points:
            doc.add_heading(f"{p.point_id} [{p.mark_zh}] {p.point_text}", level=2)
            doc.add_paragraph(p.rationale_zh)
            if p.figure:
                doc.add_paragraph(f"报告数值：{p.figure.metric} {p.figure.display_zh}", style="List Bullet")
            if not p.evidence:
                doc.add_paragraph(NO_EVIDENCE_ZH, style="List Bullet")
            for ev in p.evidence:
                doc.add_paragraph(f"{_pages(ev)}：{_quoted(ev)}", style="List Bullet")
        for m in a.missing:
            doc.add_paragraph(f"缺失证据 {m.point_id}：{m.expected_zh}", style="List Bullet")
        for x in a.advice:
            doc.add_paragraph(f"改进建议：{x.text_zh}（依据：{x.source}）", style="List Bullet")
    doc.add_heading("补充材料清单", level=1)
    for i in review.supplementary_materials:
        doc.add_paragraph(f"{i.point_id}：{i.text_zh}", style="List Number")
    doc.add_heading("入校考察问题清单", level=1)
    for i in review.site_visit_questions:
        doc.add_paragraph(f"{i.point_id}：{i.text_zh}", style="List Number")
    doc.save(str(path))


def write_review(review: Review, path: Path) -> ReportFormat:
    """Write the review in the format named by the file suffix (.json, .md, .docx)."""
    try:
        fmt = ReportFormat(path.suffix.lower())
    except ValueError as exc:
        raise AppError(ErrorCode.INVALID_INPUT, "输出文件须为 .json、.md 或 .docx。", path.suffix) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt is ReportFormat.JSON:
        path.write_text(review.model_dump_json(indent=1), "utf-8")
    elif fmt is ReportFormat.MARKDOWN:
        path.write_text(to_markdown(review), "utf-8")
    else:
        to_docx(review, path)
    return fmt
