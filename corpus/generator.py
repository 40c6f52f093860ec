"""A generator of labelled synthetic self-evaluation reports (自评报告) for evaluation and benchmarks.

A report has a chapter per 一级 indicator of the 审核评估 第二类 rubric plus 学校概况 and 问题与改进, a
section per 二级 indicator, evidence paragraphs for each review point (topic) drawn from differently
worded templates, data tables holding quantitative indicators, and distractor passages. Section order,
paragraph order, heading style, phrasing, evidence density and figures all vary with the seed. Every
evidence item is labelled with its topic id, its strength, and its exact text.

Planted defects for evaluation:

* ``omit``: topics with no evidence at all (not in text, not in tables);
* ``unsupported``: topics present only as bare claims (no figure, no document, no result);
* ``strength``: per-topic strength of the evidence (strong / adequate / weak).

Example:
    >>> report = generate_report(7, pages=30)
    >>> report.labels.items[0].text in report.plain_text()
    True
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from corpus.catalogue import ItemKind, MetricSpec, Strength, Topic, all_topics
from corpus.distractors import GAPS, HISTORY, distractor_paragraph

# Accounted characters (text plus layout allowances in _Builder) per rendered A4 page, measured on write_pdf.
CHARS_PER_PAGE = 1075
CN_NUMERALS = "一二三四五六七八九十"
CHAPTER_NAMES = {
    "1": "办学方向与本科地位",
    "2": "培养过程",
    "3": "教学资源与利用",
    "4": "教师队伍",
    "5": "学生发展",
    "6": "质量保障",
    "7": "教学成效",
}
SECTION_NAMES = {
    "1.1": "党的领导",
    "1.2": "思政教育",
    "1.3": "本科地位",
    "2.1": "培养方案",
    "2.2": "专业建设",
    "2.3": "实践教学",
    "2.4": "课堂教学",
    "2.5": "卓越培养",
    "2.6": "创新创业教育",
    "3.1": "设施资源",
    "3.2": "资源建设",
    "4.1": "师德师风",
    "4.2": "教学能力",
    "4.3": "教学投入",
    "4.4": "教师发展",
    "5.1": "理想信念",
    "5.2": "学业成绩及综合素质",
    "5.3": "国际视野",
    "5.4": "支持服务",
    "6.1": "质量管理",
    "6.2": "质量改进",
    "6.3": "质量文化",
    "7.1": "达成度",
    "7.2": "适应度",
    "7.3": "保障度",
    "7.4": "有效度",
    "7.5": "满意度",
}
SCHOOL_PREFIXES = ("江淮", "东海", "西岭", "南湖", "北辰", "华中", "滨江", "青峰", "临川", "长白", "天府", "岭南")
SCHOOL_SUFFIXES = ("理工学院", "师范学院", "工程大学", "科技学院", "财经学院", "农林大学", "医科大学", "职业技术大学")
DEPARTMENTS = ("教务处", "质量监控与评估中心", "本科生院", "教师教学发展中心", "学生工作处", "招生就业处")
INSTITUTION_TYPES = ("研究型", "应用型", "高职")


class TopicLabel(BaseModel):
    """How one topic appears in a report."""

    model_config = ConfigDict(frozen=True)

    id: str
    indicator: str
    queries: tuple[str, ...]
    omitted: bool
    unsupported: bool
    strength: Strength | None


class ItemLabel(BaseModel):
    """One labelled item: an evidence paragraph, a claim, a table row, or a distractor (no topic)."""

    model_config = ConfigDict(frozen=True)

    topic_id: str | None
    kind: ItemKind
    strength: Strength | None
    claim: bool
    text: str


class ReportLabels(BaseModel):
    """The sidecar JSON of a generated report."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    seed: int
    school: str
    institution_type: str
    pages_target: int
    topics: tuple[TopicLabel, ...]
    items: tuple[ItemLabel, ...]

    def evidence_of(self, topic_id: str) -> tuple[str, ...]:
        """Texts of every labelled item of a topic."""
        return tuple(i.text for i in self.items if i.topic_id == topic_id)


@dataclass(frozen=True)
class Heading:
    """A heading of the report (level 1 = chapter)."""

    text: str
    level: int


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph."""

    text: str
    list_item: bool = False


@dataclass(frozen=True)
class Table:
    """A data table with a caption; the first row is the header."""

    caption: str
    rows: tuple[tuple[str, ...], ...]


Element = Heading | Paragraph | Table


@dataclass(frozen=True)
class SyntheticReport:
    """A generated report: its title, elements in order, and labels."""

    title: str
    elements: tuple[Element, ...]
    labels: ReportLabels

    def plain_text(self) -> str:
        """All text in order (tables as ``a | b`` rows), for tests and statistics."""
        parts = []
        for e in self.elements:
            if isinstance(e, Table):
                parts += [e.caption, *(" | ".join(r) for r in e.rows)]
            else:
                parts.append(e.text)
        return "\n".join(parts)


class _Filler:
    """Fills template slots from one seeded random source, consistently within a report."""

    def __init__(self, rng: random.Random, school: str) -> None:
        self.rng = rng
        self.school = school

    def values(self, value: str = "") -> dict[str, object]:
        r = self.rng
        return {
            "school": r.choice((self.school, "学校", "学校", "我校")),
            "year": r.randint(2021, 2024),
            "n": r.randint(2, 12),
            "m": r.randint(15, 90),
            "num": r.randint(120, 3000),
            "pct": f"{r.uniform(60, 99.5):.1f}",
            "dept": r.choice(DEPARTMENTS),
            "value": value,
        }

    def fill(self, text: str, value: str = "") -> str:
        return text.format(**self.values(value))


def metric_value(metric: MetricSpec, rng: random.Random) -> str:
    """A realistic value of a metric as it is written in a report."""
    v = rng.uniform(metric.low, metric.high)
    return f"{v:.{metric.decimals}f}"


def metric_cell(metric: MetricSpec, value: str) -> str:
    """The value as written in a data table cell, with its unit."""
    if metric.unit == ":1":
        return f"{value}:1"
    if metric.unit == "1:":
        return f"1:{value}"
    return f"{value}{metric.unit}"


def _heading_text(style: int, level: int, index: int, name: str) -> str:
    num = CN_NUMERALS[index] if index < 10 else f"十{CN_NUMERALS[index - 10]}"
    if style == 0:
        return {1: f"{num}、{name}", 2: f"（{num}）{name}"}[level]
    return {1: f"第{num}章 {name}", 2: f"第{num}节 {name}"}[level]


class _Builder:
    """Accumulates elements and labels, tracking size."""

    def __init__(self) -> None:
        self.elements: list[Element] = []
        self.items: list[ItemLabel] = []
        self.chars = 0

    def heading(self, text: str, level: int) -> None:
        self.elements.append(Heading(text, level))
        self.chars += len(text) + 40  # headings take vertical space beyond their characters

    def paragraph(
        self,
        text: str,
        topic: str | None = None,
        strength: Strength | None = None,
        claim: bool = False,
        list_item: bool = False,
    ) -> None:
        self.elements.append(Paragraph(text, list_item))
        self.items.append(ItemLabel(topic_id=topic, kind=ItemKind.PARAGRAPH, strength=strength, claim=claim, text=text))
        self.chars += len(text) + 20

    def table(self, caption: str, rows: Sequence[tuple[str, ...]], row_topics: Sequence[str | None]) -> None:
        self.elements.append(Table(caption, tuple(rows)))
        for row, topic in zip(rows[1:], row_topics, strict=True):
            self.items.append(
                ItemLabel(
                    topic_id=topic,
                    kind=ItemKind.TABLE,
                    strength=Strength.STRONG if topic else None,
                    claim=False,
                    text=" | ".join(row),
                )
            )
        self.chars += sum(len(" ".join(r)) + 30 for r in rows) + 60


def _evidence_paragraphs(
    topic: Topic, strength: Strength, extra: int, rng: random.Random, fill: _Filler, value: str
) -> list[str]:
    """Paragraphs of one strength (plus ``extra`` more at strength ≤ it), each from a distinct template."""
    same = [t for t in topic.templates if t.strength is strength]
    lower = {
        Strength.STRONG: (Strength.STRONG, Strength.ADEQUATE),
        Strength.ADEQUATE: (Strength.ADEQUATE,),
        Strength.WEAK: (Strength.WEAK,),
    }[strength]
    pool = [t for t in topic.templates if t.strength in lower and t not in same[:1]]
    chosen = [rng.choice(same)] if same else [rng.choice(topic.templates)]
    rng.shuffle(pool)
    chosen += [t for t in pool if t not in chosen][:extra]
    return [fill.fill(t.text, value) for t in chosen]


def generate_report(
    seed: int,
    *,
    pages: int = 40,
    omit: frozenset[str] = frozenset(),
    unsupported: frozenset[str] = frozenset(),
    strength: Mapping[str, Strength] | None = None,
    institution_type: str | None = None,
) -> SyntheticReport:
    """Generate one labelled report; the same arguments always give the same report.

    Args:
        seed: the random seed (institution, order, phrasing, figures).
        pages: target page count of the PDF rendering (about 850 characters of text a page).
        omit: topic ids left out entirely.
        unsupported: topic ids rendered only as bare claims.
        strength: per-topic evidence strength; others are drawn (mostly strong or adequate).
        institution_type: 研究型 / 应用型 / 高职 (drawn when ``None``).

    Returns:
        The report with its labels.
    """
    rng = random.Random(seed)
    school = rng.choice(SCHOOL_PREFIXES) + rng.choice(SCHOOL_SUFFIXES)
    kind = institution_type or rng.choice(INSTITUTION_TYPES)
    fill = _Filler(rng, school)
    topics = all_topics()
    style = rng.randint(0, 1)
    strengths: dict[str, Strength] = {}
    for t in topics:
        strengths[t.id] = (strength or {}).get(t.id) or rng.choices(
            (Strength.STRONG, Strength.ADEQUATE, Strength.WEAK), weights=(6, 3, 1)
        )[0]
    evidence_budget = sum(len(t.templates[0].text) for t in topics) * 1.3
    # Reports for more pages carry more evidence per topic and more distractors, not only filler.
    extra = max(0, min(2, int((pages * CHARS_PER_PAGE - evidence_budget) / (evidence_budget + 1))))
    values = {t.id: metric_value(t.metric, rng) for t in topics if t.metric}
    table_topics = {
        t.id for t in topics if t.metric and t.id not in omit and t.id not in unsupported and rng.random() < 0.5
    }

    b = _Builder()
    title = f"{school}本科教育教学审核评估自评报告"
    b.heading("学校概况", 1)
    for _ in range(rng.randint(2, 3)):
        b.paragraph(distractor_paragraph(rng, school, HISTORY))
    by_chapter: dict[str, list[Topic]] = {}
    for t in topics:
        by_chapter.setdefault(t.id.split(".")[0], []).append(t)
    for ch_index, (chapter, ch_topics) in enumerate(sorted(by_chapter.items()), start=1):
        b.heading(_heading_text(style, 1, ch_index - 1, CHAPTER_NAMES[chapter]), 1)
        sections: dict[str, list[Topic]] = {}
        for t in ch_topics:
            sections.setdefault(t.indicator, []).append(t)
        order = list(sections)
        if rng.random() < 0.4:
            rng.shuffle(order)
        for sec_index, indicator in enumerate(order):
            sec_topics = sections[indicator]
            b.heading(_heading_text(style, 2, sec_index, _section_name(sec_topics)), 2)
            paragraphs: list[tuple[str, str | None, Strength | None, bool]] = []
            for t in sec_topics:
                if t.id in omit:
                    continue
                if t.id in unsupported:
                    paragraphs.append((rng.choice(t.claims), t.id, Strength.WEAK, True))
                    continue
                s = strengths[t.id]
                value = values.get(t.id, "")
                for text in _evidence_paragraphs(t, s, rng.randint(0, extra), rng, fill, value):
                    paragraphs.append((text, t.id, s, False))
                if t.metric and t.id not in table_topics:
                    sentence = fill.fill(rng.choice(t.metric.phrasings), value)
                    paragraphs.append((sentence, t.id, Strength.STRONG, False))
            if rng.random() < 0.7:
                paragraphs.append((distractor_paragraph(rng, school), None, None, False))
            rng.shuffle(paragraphs)
            for text, topic, s, claim in paragraphs:
                b.paragraph(text, topic, s, claim, list_item=rng.random() < 0.08)
        chapter_tables = [t for t in ch_topics if t.id in table_topics]
        if chapter_tables:
            rows = [("指标", "数值", "统计时点")]
            year = rng.randint(2022, 2024)
            rows += [
                (t.metric.table_label, metric_cell(t.metric, values[t.id]), f"{year}年")
                for t in chapter_tables
                if t.metric
            ]
            b.table(f"表{ch_index} {CHAPTER_NAMES[chapter]}主要定量指标", rows, [t.id for t in chapter_tables])
    b.heading(_heading_text(style, 1, len(by_chapter), "问题与改进"), 1)
    while b.chars < pages * CHARS_PER_PAGE - 400:
        b.paragraph(distractor_paragraph(rng, school, GAPS if rng.random() < 0.3 else None))
    topic_labels = tuple(
        TopicLabel(
            id=t.id,
            indicator=t.indicator,
            queries=t.queries,
            omitted=t.id in omit,
            unsupported=t.id in unsupported,
            strength=None if t.id in omit else Strength.WEAK if t.id in unsupported else strengths[t.id],
        )
        for t in topics
    )
    digest = hashlib.sha256(
        f"{seed}|{pages}|{sorted(omit)}|{sorted(unsupported)}|{sorted((strength or {}).items())}".encode()
    ).hexdigest()[:10]
    labels = ReportLabels(
        report_id=f"r{seed}-{digest}",
        seed=seed,
        school=school,
        institution_type=kind,
        pages_target=pages,
        topics=topic_labels,
        items=tuple(b.items),
    )
    return SyntheticReport(title=title, elements=tuple(b.elements), labels=labels)


def _section_name(topics: Sequence[Topic]) -> str:
    return SECTION_NAMES[topics[0].indicator]


@dataclass(frozen=True)
class GeneratedReport:
    """Files written for one report."""

    labels: ReportLabels
    pdf: Path
    docx: Path
    labels_path: Path


def write_labels(report: SyntheticReport, path: Path) -> None:
    """Write the sidecar JSON."""
    path.write_text(report.labels.model_dump_json(indent=1), "utf-8")


def load_labels(path: Path) -> ReportLabels:
    """Read a sidecar JSON."""
    return ReportLabels.model_validate_json(path.read_text("utf-8"))


def generate_corpus(out_dir: Path, *, n: int, pages: int, seed: int = 0) -> list[GeneratedReport]:
    """Generate ``n`` reports as PDF, DOCX and labels into ``out_dir``.

    Args:
        out_dir: target directory (created).
        n: number of reports.
        pages: target pages each.
        seed: seed of the first report; the others use seed+1, seed+2, ….

    Returns:
        The written files per report.
    """
    from corpus.writers import write_docx, write_pdf

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(n):
        report = generate_report(seed + i, pages=pages)
        rid = report.labels.report_id
        pdf, docx, labels = out_dir / f"{rid}.pdf", out_dir / f"{rid}.docx", out_dir / f"{rid}.labels.json"
        write_pdf(report, pdf)
        write_docx(report, docx)
        write_labels(report, labels)
        written.append(GeneratedReport(report.labels, pdf, docx, labels))
    return written
