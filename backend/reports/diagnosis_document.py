"""The diagnosis as a Word report in the office conventions of :mod:`backend.reports.review_document`: scores per
dimension and 二级指标, category mean and change, weakest points with the guide's advice, and the cross-check of
every self-rating with its quotes and pages."""

from __future__ import annotations

import io

from docx import Document

from backend.diagnosis.models import DiagnosisResult, PointResult, Verdict
from backend.domain.diagnosis import ResponseStatus
from backend.reports.export import MEDIA_TYPES
from backend.reports.review_document import (
    close_table,
    office_page,
    office_styles,
    office_table,
    office_text,
    table_row,
)

DOCX_MEDIA_TYPE = MEDIA_TYPES[".docx"]
TITLE_ZH = "质量文化建设诊断报告"
# 14.6 cm of text width between Word's normal margins.
_DIMENSION_WIDTHS_CM = (1.6, 4.0, 3.0, 3.0, 3.0)
_INDICATOR_WIDTHS_CM = (2.0, 7.6, 5.0)
_FLAGGED = (Verdict.OVERRATED, Verdict.UNDERRATED, Verdict.UNVERIFIED)


def diagnosis_docx(result: DiagnosisResult) -> bytes:
    """The Word report of a diagnosis result."""
    doc = Document()
    office_page(doc, " ".join(filter(None, (result.institution, TITLE_ZH))))
    office_styles(doc)
    doc.add_paragraph(TITLE_ZH, style="Title")
    office_text(doc, f"{result.institution}（{result.category.value}）", lead="学校：")
    office_text(doc, result.title, lead="诊断：")
    done = [r for r in result.respondents if r.status is ResponseStatus.SUBMITTED]
    roles = "、".join(f"{r.role.zh}（{r.respondent}）" for r in done)
    office_text(doc, f"已提交问卷 {result.submitted} 份：{roles or '无'}。", lead="填写人：")
    source = (
        f"《{result.evidence.document}》的 AI 初审（{result.evidence.reviewed_at}）"
        if result.evidence
        else "尚无以本指标体系完成 AI 初审的材料，自评未经证据核对"
    )
    office_text(doc, f"{source}。", lead="证据核对依据：")
    scale = f"{result.scale_min:g}–{result.scale_max:g}"
    office_text(doc, f"得分为各填写人自评等级分值的平均，分值 {scale}，等级越高分值越高。", lead="说明：")
    _dimensions(doc, result)
    _indicators(doc, result)
    _weakest(doc, result)
    _checks(doc, result)
    doc.core_properties.title = f"{TITLE_ZH}：{result.institution}"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _dimensions(doc: Document, result: DiagnosisResult) -> None:
    doc.add_heading("一、各维度得分", level=1)
    means = result.comparison.dimensions
    previous = {c.dimension: c for c in result.changes}
    category = f"{result.category.value}均值"
    doc.add_paragraph("表 1  各维度得分", style="Caption")
    headings = ("序号", "维度", "本校得分", category, "较上一轮")
    table = office_table(doc, headings, _DIMENSION_WIDTHS_CM)
    for i, d in enumerate(result.dimensions):
        change = previous.get(d.name)
        delta = change.delta if change else None
        moved = "—" if delta is None else f"{delta:+.2f}"
        table_row(doc, table, (d.indicator_id, d.name, _score(d.score), _score(means[i] if means else None), moved))
    close_table(table, _DIMENSION_WIDTHS_CM)
    if means is None:
        c = result.comparison
        office_text(doc, f"同类别已提交诊断的学校 {c.institutions} 所，满 {c.minimum} 所后显示匿名均值。")
    if result.previous_title:
        office_text(doc, f"与“{result.previous_title}”相比（持续改进）。", lead="对比：")


def _indicators(doc: Document, result: DiagnosisResult) -> None:
    doc.add_heading("二、二级指标得分", level=1)
    doc.add_paragraph("表 2  二级指标得分", style="Caption")
    table = office_table(doc, ("指标", "名称", "得分"), _INDICATOR_WIDTHS_CM)
    for ind in result.indicators:
        table_row(doc, table, (ind.indicator_id, ind.name, _score(ind.score)))
    close_table(table, _INDICATOR_WIDTHS_CM)


def _weakest(doc: Document, result: DiagnosisResult) -> None:
    doc.add_heading("三、薄弱环节与改进建议", level=1)
    if not result.weakest:
        office_text(doc, "尚无已提交的自评，暂不能识别薄弱环节。")
        return
    points = {p.point_id: p for p in result.points}
    for n, point_id in enumerate(result.weakest, start=1):
        p = points[point_id]
        doc.add_heading(f"{n}. {p.point_id} {p.text}", level=2)
        office_text(doc, f"{_score(p.score)}（{p.level_label}），{p.dimension}", lead="自评：")
        if p.linked:
            office_text(doc, "、".join(p.linked), lead="关联材料：")
        office_text(doc, p.check.statement_zh, lead="证据核对：")
        _quotes(doc, p)
        if p.advice:
            a = p.advice
            office_text(doc, f"{a.recommendation_text}（{a.guide_name} {a.recommendation_id}）", lead="建议：")
        else:
            office_text(doc, "指南中没有与该审核重点直接对应的建议。", lead="建议：")


def _checks(doc: Document, result: DiagnosisResult) -> None:
    doc.add_heading("四、自评与证据核对", level=1)
    flagged = [p for p in result.points if p.check.verdict in _FLAGGED]
    if not flagged:
        office_text(doc, "未发现与证据明显不符的自评。" if result.evidence else result.points[0].check.statement_zh)
        return
    for p in flagged:
        doc.add_heading(f"{p.point_id} {p.text}（{p.check.verdict.zh}）", level=3)
        office_text(doc, p.check.statement_zh)
        _quotes(doc, p)


def _quotes(doc: Document, p: PointResult) -> None:
    for q in p.check.quotes:
        pages = "页码未知" if q.page_start is None else f"第 {q.page_start} 页"
        if q.page_end not in (None, q.page_start):
            pages = f"第 {q.page_start}–{q.page_end} 页"
        office_text(doc, f"「{q.text}」（《{q.document}》{pages}）", lead="原文：")
