"""What a review point lacks and how drafts say so: plain rationales, concrete gaps, advice and site-visit questions.

A point's gap comes from the rubric and the matched evidence only: the rubric's expected evidence items that the
evidence paragraphs do not mention, a figure the report does not state or that misses the national floor, a claim
with no figure, document or result behind it. Texts are written for a clerk (what was found, where, what is
missing); retrieval scores stay in the signals, which experts open under 依据.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from backend.domain.assessment import NO_EVIDENCE_ZH, Advice, Evidence, GapKind, MissingEvidence, ReportedFigure
from backend.domain.enums import Mark
from backend.review.drafters.base import PointMatch
from backend.review.drafters.guide import GuideMatch
from backend.rubrics.models import Metric, PointKind, ReviewPoint
from indexing.models import Chunk
from indexing.tokenize import tokenize

# Words every kind of evidence shares: an item counts as mentioned by what it is about, not by being a 文件.
_GENERIC = frozenset(
    {"情况", "材料", "数据", "文件", "记录", "名单", "制度", "方案", "办法", "报告", "实施", "建设", "相关", "学校"}
)
# An expected item counts as mentioned when this share of its words is in the point's evidence paragraphs.
ITEM_MENTIONED = 0.5
QUOTE_CHARS = 60
# How an expert checks an item on site, by what the item is (first match wins).
_HOW = (
    ("调阅", ("纪要", "文件", "制度", "办法", "方案", "规定", "规划", "决议", "细则", "标准", "大纲", "协议")),
    ("抽查", ("名单", "台账", "记录", "档案", "清单", "报告", "案例", "材料", "作品", "论文")),
    ("核对", ("数据", "比例", "比", "率", "统计", "调查", "满意度", "覆盖", "经费", "数量", "人数")),
)


@dataclass(frozen=True)
class PointGap:
    """What one point lacks."""

    kind: GapKind | None
    missing_items: tuple[str, ...]
    mentioned_items: tuple[str, ...]


def _item_words(item: str) -> set[str]:
    return {t for t in tokenize(item) if not t.startswith("##") and len(t) >= 2 and t not in _GENERIC}


def evidence_paragraphs(evidence: Sequence[Evidence], chunks: Mapping[str, Chunk]) -> list[str]:
    """The paragraphs (chunk segments) the quotes stand in; the quote itself where the chunk is not at hand."""
    out = []
    for e in evidence:
        chunk = chunks.get(e.chunk_id)
        segments = (
            [s for s in chunk.segments if s.chunk_start < e.quote_end and e.quote_start < s.chunk_start + s.length]
            if chunk
            else []
        )
        out += [chunk.text[s.chunk_start : s.chunk_start + s.length] for s in segments] if chunk else []
        if not segments:
            out.append(e.quote)
    return out


def mentioned(item: str, texts: Sequence[str]) -> bool:
    """Whether the evidence texts mention an expected item (most of its distinctive words)."""
    words = _item_words(item)
    if not words:
        return False
    found = set()
    for text in texts:
        tokens = set(tokenize(text))
        found |= words & tokens
    return len(found) / len(words) >= ITEM_MENTIONED


def point_gap(match: PointMatch, chunks: Mapping[str, Chunk]) -> PointGap:
    """The gap of one point from its mark, figure and the expected items its evidence does not mention."""
    point = match.point
    texts = evidence_paragraphs(match.evidence, chunks)
    if match.figure is not None and match.figure.evidence:
        texts.append(match.figure.evidence)
    items = tuple(point.evidence)
    absent = tuple(i for i in items if not mentioned(i, texts))
    present = tuple(i for i in items if i not in absent)
    if match.signals.figure_found is False:
        kind: GapKind | None = GapKind.FIGURE_MISSING
    elif match.figure is not None and match.figure.meets_floor is False:
        kind = GapKind.BELOW_FLOOR
    elif match.mark is Mark.MORE_MATERIAL:
        kind = GapKind.NOT_COVERED
    elif match.mark is Mark.VERIFY_ON_SITE:
        kind = GapKind.UNSUPPORTED
    else:
        kind = None
    # Not covered, every item is missing even if a sibling's paragraph happens to share its words.
    if kind is GapKind.NOT_COVERED and not absent:
        absent, present = items, ()
    return PointGap(kind=kind, missing_items=absent, mentioned_items=present)


def where(evidence: Evidence | None) -> str:
    """第 N 页 (or 第 N–M 页) of a quote; 报告中 when there is no quote or its page is unknown."""
    if evidence is None or evidence.page_start is None:
        return "报告中"
    if evidence.page_end in (None, evidence.page_start):
        return f"第 {evidence.page_start} 页"
    return f"第 {evidence.page_start}–{evidence.page_end} 页"


def short_quote(quote: str, limit: int = QUOTE_CHARS) -> str:
    """The quote, cut to a verbatim prefix with …… when long."""
    quote = quote.strip()
    return quote if len(quote) <= limit else quote[:limit].rstrip("，、；：, ") + "……"


def _listed(items: Sequence[str]) -> str:
    return "、".join(items)


def _floor_zh(metric: Metric) -> str:
    # For 1:N figures a larger N is a smaller ratio: "at most N" reads 不低于 1:N.
    at_most = metric.floor_direction == "at_most"
    sign = "不低于" if at_most == (metric.unit == "1:") else "不高于"
    value = f"{metric.national_floor:g}"
    unit = metric.unit
    shown = f"{value}:1" if unit == ":1" else f"1:{value}" if unit == "1:" else f"{value}{unit}"
    basis = f"（{metric.floor_basis.rstrip('。')}）" if metric.floor_basis else ""
    return f"国家标准（{sign}{shown}）{basis}"


def _figure_zh(figure: ReportedFigure) -> str:
    page = f"第 {figure.page} 页" if figure.page else "报告中"
    return f"报告值 {figure.qualifier or ''}{figure.text}（{page}）"


def rationale(match: PointMatch, gap: PointGap) -> str:
    """What was found, where, and what is missing, in words a clerk reads without the scores."""
    point = match.point
    metric = point.metric
    lead = match.evidence[0] if match.evidence else None
    missing = f"尚缺：{_listed(gap.missing_items)}。" if gap.missing_items else ""
    if gap.kind is GapKind.FIGURE_MISSING and metric is not None:
        return f"报告未提供{metric.name}的数值（正文和表格中都没有找到），需要学校补充。"
    if match.mark is Mark.MORE_MATERIAL:
        if lead is None:
            return f"{NO_EVIDENCE_ZH}：报告没有写到「{point.label}」。{missing}"
        return (
            f"报告只在{where(lead)}等处顺带提到相关内容（“{short_quote(lead.quote, 40)}”），"
            f"没有专门说明「{point.label}」。{missing}"
        )
    figure = f"{_figure_zh(match.figure)}；" if match.figure else ""
    floor = f"该数值未达到{_floor_zh(metric)}。" if gap.kind is GapKind.BELOW_FLOOR and metric else ""
    quoted = f"（“{short_quote(lead.quote, 40)}”）" if lead else ""
    if match.mark is Mark.VERIFY_ON_SITE:
        return (
            f"报告{where(lead)}写到了相关做法{quoted}，{figure}"
            f"但没有给出数据、文件名称或成效，尚不能确认是否落实，建议入校核实。{missing}{floor}"
        )
    clear = f"报告{where(lead)}写明了具体做法，并有数据或文件支撑{quoted}。"
    return clear + (f"{_figure_zh(match.figure)}。" if match.figure else "") + floor


def missing_evidence(match: PointMatch, gap: PointGap) -> MissingEvidence:
    """The 补充材料清单 line of a 破折号 point: the figure, or the expected items not found."""
    point = match.point
    if gap.kind is GapKind.FIGURE_MISSING and point.metric is not None:
        unit = f"（{point.metric.unit}）" if point.metric.unit else ""
        return MissingEvidence(
            point_id=point.id,
            expected_zh=f"「{point.label}」：未提供{point.metric.name}{unit}的数值，请补充并注明统计口径和时点",
            metric=point.metric.name,
        )
    items = gap.missing_items or tuple(point.evidence)
    expected = _listed(items) if items else point.text
    return MissingEvidence(point_id=point.id, expected_zh=f"「{point.label}」：请补充{expected}")


def advice(match: PointMatch, gap: PointGap, guide: GuideMatch | None, rubric_id: str) -> Advice | None:
    """One advice item naming what this point lacks, citing the matching guide recommendation if there is one."""
    point = match.point
    metric = point.metric
    items = gap.missing_items or tuple(point.evidence)
    lead = match.evidence[0] if match.evidence else None
    if gap.kind is GapKind.FIGURE_MISSING and metric is not None:
        floor = f"；对照{_floor_zh(metric)}说明达标情况" if metric.national_floor is not None else ""
        text = f"补充{metric.name}的数值，注明统计口径和时点，并与状态数据保持一致{floor}。"
    elif gap.kind is GapKind.BELOW_FLOOR and metric is not None and match.figure is not None:
        text = (
            f"{metric.name}{_figure_zh(match.figure)}未达到{_floor_zh(metric)}；"
            "建议分析原因，提出达标措施和时间安排，并在下一年度报告中说明进展。"
        )
    elif gap.kind is GapKind.NOT_COVERED:
        text = f"报告未专门说明「{point.label}」，建议补充{_listed(items)}，写明做法、过程和成效。"
    elif gap.kind is GapKind.UNSUPPORTED:
        claim = (
            f"报告{where(lead)}称“{short_quote(lead.quote, 40)}”" if lead else f"报告对「{point.label}」只有原则性表述"
        )
        text = f"{claim}，但缺少支撑；建议附上{_listed(items)}，用数据或文件说明落实情况和成效。"
    else:
        return None
    source = f"{rubric_id}:{point.id}"
    if guide is not None:
        text += f"可参照《{guide.guide_name}》{guide.recommendation.id}「{guide.recommendation.label}」。"
        source = guide.link
    return Advice(text_zh=text, source=source, point_id=point.id, gap=gap.kind, expected=items if items else ())


def _how(item: str) -> str:
    return next((verb for verb, marks in _HOW if any(m in item for m in marks)), "查看")


def site_question(point: ReviewPoint, evidence: Sequence[Evidence], figure: ReportedFigure | None) -> str:
    """The 入校考察 question of a 问号 point: the claim with its page, and what to ask for and how to check it."""
    lead = evidence[0] if evidence else None
    claim = (
        f"报告{where(lead)}称“{short_quote(lead.quote, 80)}”。" if lead else f"报告对「{point.label}」只有原则性表述。"
    )
    by_how: dict[str, list[str]] = {}
    for item in point.evidence:
        by_how.setdefault(_how(item), []).append(item)
    asks = "；".join(f"{verb}{_listed(items)}" for verb, items in by_how.items())
    figure_check = (
        f"核对{figure.metric}报告值 {figure.text} 的原始数据和统计口径；"
        if figure is not None and point.kind is PointKind.QUANTITATIVE
        else ""
    )
    ask = f"现场{asks}；" if asks else "现场查阅相关制度文件、过程记录和成效数据；"
    check = "核实要点：该做法是否落实、覆盖多大范围、有何成效。"
    return f"【{point.label}】{claim}{check}{ask}{figure_check}必要时访谈相关负责人和师生。"
