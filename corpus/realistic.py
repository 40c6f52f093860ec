"""Realistic layouts of a synthetic report: what universities' printed reports look like.

The reportlab writer (``corpus/writers.py``) prints every report the same clean way. Real reports come out of
Word (exported by LibreOffice or Word), out of web pages printed by a browser, or off a scanner, and carry
what a parser must cope with: a printed TOC with dot leaders and page numbers, numbering families
第一章 / 一、 / （一） / 1. / （1）, run-in headings 「（一）办学定位。学校……」, key–value tables
(「指标项 | 学校当年质量报告数据」), matrix tables with units in the headers（%）（人）（万元）, three-line
tables, footnotes, two-column sections and ● bullets.

:func:`compose` lays a generated report out that way (optionally only an excerpt of it); a writer in
``corpus/office.py`` renders the layout, and :func:`locate` then finds where every heading, TOC line, table,
two-column block and planted figure landed in the PDF, giving the sidecar :class:`RealisticLabels`.

Labels stay true to the generator's: every labelled item's text is still verbatim in the rendered text
(a run-in heading is put before it, a bullet sign before it, a footnote marker after it), topics cut by an
excerpt are marked omitted, and the figures of the generator's metrics are planted facts.

Example:
    >>> layout = compose(generate_report(7), DOCX_FAMILIES, excerpt=Excerpt(chapters=1, sections=2))
    >>> layout.elements[0].text
    '第一章 学校概况'
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from corpus.catalogue import ItemKind, MetricSpec, Strength, Topic, all_topics
from corpus.generator import (
    CN_NUMERALS,
    SECTION_NAMES,
    Heading,
    ItemLabel,
    Paragraph,
    ReportLabels,
    SyntheticReport,
    Table,
    TopicLabel,
    metric_cell,
)
from indexing.models import FactOrigin

TOC_TITLE = "目录"
KEY_VALUE_HEADER = ("指标项", "学校当年质量报告数据")
# A cell that states no figure: a fact must never be read from it.
NO_DATA = "—"
_GENERATOR_NUMBER = re.compile(
    r"^(第[一二三四五六七八九十]+[章节]\s*|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)"
)
# Whitespace, and the punctuation LibreOffice sets in a Western fallback font (quotes, dashes, ellipses) and
# writes after the line's CJK text in the text layer.
_UNANCHORED = re.compile(r"[\s“”‘’\"'—–…·]+")


class NumberingFamily(StrEnum):
    """How a heading level is numbered (the value is the first number of the family)."""

    CHAPTER = "第一章"
    CN = "一、"
    CN_PAREN = "（一）"
    ARABIC = "1."
    ARABIC_PAREN = "（1）"

    def prefix(self, number: int) -> str:
        """The numbering of the ``number``-th heading (1-based) as printed before its name."""
        cn = cn_numeral(number)
        return {
            NumberingFamily.CHAPTER: f"第{cn}章 ",
            NumberingFamily.CN: f"{cn}、",
            NumberingFamily.CN_PAREN: f"（{cn}）",
            NumberingFamily.ARABIC: f"{number}.",
            NumberingFamily.ARABIC_PAREN: f"（{number}）",
        }[self]


# Word reports number chapters 第一章; reports printed from web pages start at 一、 and go four levels deep.
DOCX_FAMILIES = (
    NumberingFamily.CHAPTER,
    NumberingFamily.CN,
    NumberingFamily.CN_PAREN,
    NumberingFamily.ARABIC,
    NumberingFamily.ARABIC_PAREN,
)
HTML_FAMILIES = (NumberingFamily.CN, NumberingFamily.CN_PAREN, NumberingFamily.ARABIC, NumberingFamily.ARABIC_PAREN)


class TableKind(StrEnum):
    """What a table holds."""

    KEY_VALUE = "key_value"  # 指标项 | 值, one figure a row
    MATRIX = "matrix"  # row header × column header, units in the headers
    INDICATOR = "indicator"  # the generator's chapter table: 指标 | 数值 | 统计时点


class TableRule(StrEnum):
    """How a table is ruled."""

    GRID = "grid"  # every cell boxed
    THREE_LINE = "three_line"  # top rule, rule under the header, bottom rule; no vertical rules


class Writer(StrEnum):
    """The realistic writers (``corpus/office.py``)."""

    DOCX_LIBREOFFICE = "docx-libreoffice"
    HTML_CHROMIUM = "html-chromium"
    SCANNED = "scanned"


def cn_numeral(n: int) -> str:
    """一 … 九十九 for 1 … 99."""
    if n < 1 or n > 99:
        raise ValueError(f"no Chinese numeral written for {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else CN_NUMERALS[tens - 1] + "十"
    return head + ("" if ones == 0 else CN_NUMERALS[ones - 1])


@dataclass(frozen=True)
class LayoutHeading:
    """A numbered heading; ``run_in`` headings are printed bold at the start of their paragraph."""

    name: str
    level: int
    family: NumberingFamily
    number: int
    run_in: bool = False

    @property
    def text(self) -> str:
        """The heading as printed: numbering then name."""
        return self.family.prefix(self.number) + self.name


@dataclass(frozen=True)
class LayoutParagraph:
    """A body paragraph, possibly opened by a run-in heading, bulleted, or carrying a footnote at its end."""

    text: str
    run_in: LayoutHeading | None = None
    bullet: bool = False
    footnote: str | None = None

    @property
    def lead(self) -> str:
        """The run-in heading as printed before the text (``（一）办学定位。``), or empty."""
        return f"{self.run_in.text}。" if self.run_in else ""


@dataclass(frozen=True)
class CellNote:
    """A footnote whose marker follows the figure in one body cell (row and column into ``LayoutTable.rows``)."""

    row: int
    column: int
    text: str


@dataclass(frozen=True)
class LayoutTable:
    """A titled table: header row, body rows, what it holds and how it is ruled."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    kind: TableKind
    rule: TableRule
    note: CellNote | None = None


@dataclass(frozen=True)
class TwoColumns:
    """Paragraphs set in two columns (a Word section with two columns; CSS ``column-count: 2``)."""

    paragraphs: tuple[LayoutParagraph, ...]


LayoutElement = LayoutHeading | LayoutParagraph | LayoutTable | TwoColumns


class FactLabel(BaseModel):
    """A figure planted in the layout: what a fact extractor must find (``page`` once located).

    ``metric`` is the label as printed: a key–value table's key, ``row header · column header`` for a
    matrix table, the metric's name for a sentence. ``text`` is the figure as printed (``18.46``,
    ``1:284``, ``85.3%``); ``row`` counts the header row as 0.
    """

    model_config = ConfigDict(frozen=True)

    metric: str
    value: float
    unit: str
    text: str
    origin: FactOrigin
    evidence: str
    topic_id: str | None = None
    table_title: str | None = None
    row: int | None = None
    column: int | None = None
    period: str | None = None
    page: int | None = None


class HeadingLabel(BaseModel):
    """A body heading as printed, with its level, numbering family and page."""

    model_config = ConfigDict(frozen=True)

    text: str
    level: int
    family: NumberingFamily
    run_in: bool
    page: int | None = None


class TocEntryLabel(BaseModel):
    """A line of the printed TOC: the heading's text, level, printed page number, and the TOC page it is on."""

    model_config = ConfigDict(frozen=True)

    title: str
    level: int
    page_label: str
    page: int | None = None


class TableLabel(BaseModel):
    """A table: title, kind, ruling, header, body row count, and the page of its title."""

    model_config = ConfigDict(frozen=True)

    title: str
    kind: TableKind
    rule: TableRule
    header: tuple[str, ...]
    rows: int
    page: int | None = None


class RealisticLabels(BaseModel):
    """The sidecar JSON of a realistic rendering (``<name>.labels.json`` next to the PDF)."""

    model_config = ConfigDict(frozen=True)

    writer: Writer
    page_count: int
    report: ReportLabels
    headings: tuple[HeadingLabel, ...]
    toc: tuple[TocEntryLabel, ...]
    tables: tuple[TableLabel, ...]
    facts: tuple[FactLabel, ...]
    two_column_pages: tuple[int, ...]


@dataclass(frozen=True)
class Excerpt:
    """Which part of a report to lay out: 学校概况 plus the first ``chapters`` chapters with their first
    ``sections`` sections each (``None``: all, including the closing 问题与改进 chapter)."""

    chapters: int | None = None
    sections: int | None = None


@dataclass(frozen=True)
class RealisticReport:
    """A report laid out the realistic way: elements in order, labels, and planted facts (not yet located)."""

    title: str
    school: str
    date: str
    elements: tuple[LayoutElement, ...]
    labels: ReportLabels
    facts: tuple[FactLabel, ...]
    toc_levels: int = 2

    def headings(self) -> tuple[LayoutHeading, ...]:
        """Every heading in order, run-in headings included."""
        return tuple(h for h in _walk_headings(self.elements))

    def toc_headings(self) -> tuple[LayoutHeading, ...]:
        """The headings the printed TOC lists."""
        return tuple(h for h in self.headings() if h.level <= self.toc_levels and not h.run_in)


def _walk_headings(elements: Sequence[LayoutElement]) -> Iterator[LayoutHeading]:
    for e in elements:
        if isinstance(e, LayoutHeading):
            yield e
        elif isinstance(e, LayoutParagraph) and e.run_in:
            yield e.run_in


# --- the generator's chapters -------------------------------------------------------------------------


@dataclass
class _Section:
    name: str
    body: list[Paragraph] = field(default_factory=list)


@dataclass
class _Chapter:
    name: str
    intro: list[Paragraph] = field(default_factory=list)
    sections: list[_Section] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def _chapters(report: SyntheticReport) -> list[_Chapter]:
    """The generator's elements grouped into chapters and sections, numbering stripped from the names.

    The generator puts a chapter's indicator table after its last section; it is kept with the chapter.
    """
    chapters: list[_Chapter] = []
    for e in report.elements:
        if isinstance(e, Heading):
            name = _GENERATOR_NUMBER.sub("", e.text).strip()
            if e.level == 1:
                chapters.append(_Chapter(name))
            else:
                chapters[-1].sections.append(_Section(name))
        elif isinstance(e, Table):
            chapters[-1].tables.append(e)
        elif chapters[-1].sections:
            chapters[-1].sections[-1].body.append(e)
        else:
            chapters[-1].intro.append(e)
    return chapters


def _cut(chapters: list[_Chapter], excerpt: Excerpt, topics: dict[str, Topic]) -> list[_Chapter]:
    """The excerpt's chapters; an indicator table keeps only the rows of topics whose section is kept."""
    if excerpt.chapters is None and excerpt.sections is None:
        return chapters
    head, body = chapters[0], chapters[1:]
    if excerpt.chapters is not None:
        body = body[: excerpt.chapters]
    by_label = _topics_by_table_label(topics)
    kept = [head]
    for ch in body:
        sections = ch.sections if excerpt.sections is None else ch.sections[: excerpt.sections]
        names = {s.name for s in sections}
        tables = []
        for t in ch.tables:
            rows = [r for r in t.rows[1:] if SECTION_NAMES[by_label[r[0]].indicator] in names]
            if rows:
                tables.append(Table(t.caption, (t.rows[0], *rows)))
        kept.append(_Chapter(ch.name, list(ch.intro), sections, tables))
    return kept


def _topics_by_table_label(topics: dict[str, Topic]) -> dict[str, Topic]:
    return {t.metric.table_label: t for t in topics.values() if t.metric}


def _cell_value(cell: str) -> str:
    """The number in an indicator table cell (``18.46:1``, ``1:284``, ``85.3%``, ``15234.5元``)."""
    return re.sub(r"^1:|:1$|[^\d.]+$", "", cell)


# --- planted figures -------------------------------------------------------------------------------------


def _template_pattern(text: str) -> re.Pattern[str]:
    """A regex matching a whole filled template; every ``{value}`` is a group ``v0``, ``v1``, … (equal)."""
    parts = []
    values = 0
    for literal, slot, _, _ in string.Formatter().parse(text):
        parts.append(re.escape(literal))
        if slot == "value":
            parts.append(r"(?P<v0>\d+(?:\.\d+)?)" if values == 0 else f"(?P<v{values}>(?P=v0))")
            values += 1
        elif slot:
            parts.append(r".+?")
    return re.compile("".join(parts))


def _value_spans(topic: Topic, text: str) -> list[tuple[int, int]]:
    """Where the metric value stands in a paragraph written from one of the topic's templates."""
    assert topic.metric is not None
    templates = [t.text for t in topic.templates if "{value}" in t.text] + list(topic.metric.phrasings)
    for template in templates:
        if m := _template_pattern(template).fullmatch(text):
            return [m.span(g) for g in sorted(m.groupdict())]
    return []


def _stated_value(topic: Topic, texts: Sequence[str]) -> str | None:
    """The metric value the report states for a topic, read back through the topic's own templates."""
    for text in texts:
        if spans := _value_spans(topic, text):
            start, end = spans[0]
            return text[start:end]
    return None


def _sentence_of(text: str, start: int) -> str:
    """The sentence (up to 。；) around offset ``start``."""
    left = max(text.rfind(p, 0, start) for p in "。；") + 1
    ends = [i for i in (text.find(p, start) for p in "。；") if i >= 0]
    return text[left : (min(ends) + 1 if ends else len(text))]


def _sentence_facts(topic: Topic, paragraphs: Sequence[str]) -> list[FactLabel]:
    """A fact for every place a paragraph of the topic states the metric's value."""
    metric = topic.metric
    assert metric is not None
    facts = []
    for text in paragraphs:
        for start, end in _value_spans(topic, text):
            value = text[start:end]
            written = metric_cell(metric, value)
            if metric.unit == "1:" and text.startswith(written, start - 2):
                as_written = written
            else:
                as_written = written if text.startswith(written, start) else value
            facts.append(
                FactLabel(
                    metric=metric.name,
                    value=float(value),
                    unit=metric.unit,
                    text=as_written,
                    origin=FactOrigin.SENTENCE,
                    evidence=_sentence_of(text, start),
                    topic_id=topic.id,
                )
            )
    return facts


def _key_value_row(metric: MetricSpec, value: str) -> tuple[str, str, str]:
    """(key, cell, unit) of a metric as a state-data key–value table prints it: unit in the key, 元 as 万元."""
    if metric.unit == "元":
        return f"{metric.table_label}（万元）", f"{float(value) / 10000:.2f}", "万元"
    if metric.unit == ":1":
        return metric.table_label, value, ""
    if metric.unit == "1:":
        return metric.table_label, f"1:{value}", "1:"
    return f"{metric.table_label}（{metric.unit}）", value, metric.unit


_COLLEGES = (
    "机械工程学院",
    "信息工程学院",
    "经济管理学院",
    "外国语学院",
    "艺术设计学院",
    "土木工程学院",
    "化学化工学院",
)
_FUNDS = ("教学日常运行支出（万元）", "本科专项教学经费（万元）", "本科实验经费（万元）", "本科实习经费（万元）")


def _unit_of(header: str) -> str:
    m = re.search(r"（([^（）]+)）$", header)
    return m.group(1) if m else ""


# --- composing -------------------------------------------------------------------------------------


class _Composer:
    """Builds the layout element by element, numbering headings per level and collecting facts."""

    def __init__(self, families: Sequence[NumberingFamily], rng: random.Random) -> None:
        self.families = tuple(families)
        self.rng = rng
        self.counters = [0] * len(families)
        self.elements: list[LayoutElement] = []
        self.facts: list[FactLabel] = []
        self.tables = 0

    def heading(self, name: str, level: int, *, run_in: bool = False) -> LayoutHeading:
        """The next heading of a level (1-based); deeper counters restart."""
        self.counters[level - 1] += 1
        if level == 1:
            self.tables = 0
        for deeper in range(level, len(self.counters)):
            self.counters[deeper] = 0
        h = LayoutHeading(name, level, self.families[level - 1], self.counters[level - 1], run_in)
        if not run_in:
            self.elements.append(h)
        return h

    def table_title(self, name: str) -> str:
        """The next table's title, numbered within its chapter (表2-1)."""
        self.tables += 1
        return f"表{self.counters[0]}-{self.tables} {name}"


def compose(
    report: SyntheticReport, families: Sequence[NumberingFamily], *, excerpt: Excerpt | None = None
) -> RealisticReport:
    """Lay a generated report out the way universities print reports.

    Args:
        report: the generated report.
        families: the numbering family of each heading level, level 1 first (3 to 5 levels;
            :data:`DOCX_FAMILIES` or :data:`HTML_FAMILIES`).
        excerpt: the part to lay out (all of it when ``None``).

    Returns:
        The layout: 学校概况 with a two-column 学校简介, a key–value table of the school's figures and
        two matrix tables, then the report's chapters with topic sub-headings (standalone or run-in),
        ● bullets and three-line indicator tables; its labels and planted facts.
    """
    if not 3 <= len(families) <= 5:
        raise ValueError("compose needs 3 to 5 heading levels")
    topics = {t.id: t for t in all_topics()}
    chapters = _cut(_chapters(report), excerpt or Excerpt(), topics)
    kept_texts = _kept_texts(chapters)
    kept_items = [i for i in report.labels.items if i.text in kept_texts]
    topic_of = {i.text: i.topic_id for i in kept_items if i.kind is ItemKind.PARAGRAPH}
    paragraphs_of: dict[str, list[str]] = {}
    for i in kept_items:
        if i.topic_id and i.kind is ItemKind.PARAGRAPH:
            paragraphs_of.setdefault(i.topic_id, []).append(i.text)
    stated = _indicator_values(chapters, topics)
    for tid, texts in paragraphs_of.items():
        metric_topic = topics[tid]
        if metric_topic.metric and (value := _stated_value(metric_topic, texts)):
            stated[tid] = value

    c = _Composer(families, random.Random(f"realistic|{report.labels.seed}"))
    year = 2021 + report.labels.seed % 3
    extra_items = _school_chapter(c, chapters[0], topics, stated, year)
    for chapter in chapters[1:]:
        _body_chapter(c, chapter, topics, topic_of)
    for tid in sorted(stated, key=_id_key):
        c.facts += _sentence_facts(topics[tid], paragraphs_of.get(tid, []))

    present = {i.topic_id for i in kept_items if i.topic_id}
    labels = report.labels.model_copy(
        update={
            "items": (*kept_items, *extra_items),
            "topics": tuple(_topic_label(t, present) for t in report.labels.topics),
        }
    )
    return RealisticReport(
        title=report.title,
        school=report.labels.school,
        date=f"{_cn_year(year + 1)}年{cn_numeral(3 + report.labels.seed % 9)}月",
        elements=tuple(c.elements),
        labels=labels,
        facts=tuple(c.facts),
    )


def _id_key(topic_id: str) -> tuple[int, ...]:
    return tuple(int(x) for x in topic_id.split("."))


def _cn_year(year: int) -> str:
    """二〇二四 for 2024, as dates are printed on report covers."""
    return "".join("〇一二三四五六七八九"[int(d)] for d in str(year))


def _kept_texts(chapters: Sequence[_Chapter]) -> set[str]:
    """Texts of the kept paragraphs and table rows (``a | b | c``), to keep their labels."""
    texts: set[str] = set()
    for ch in chapters:
        texts.update(p.text for p in ch.intro)
        texts.update(p.text for s in ch.sections for p in s.body)
        texts.update(" | ".join(r) for t in ch.tables for r in t.rows[1:])
    return texts


def _indicator_values(chapters: Sequence[_Chapter], topics: dict[str, Topic]) -> dict[str, str]:
    """Metric values stated in the generator's indicator tables, by topic id."""
    by_label = _topics_by_table_label(topics)
    return {by_label[r[0]].id: _cell_value(r[1]) for ch in chapters for t in ch.tables for r in t.rows[1:]}


def _topic_label(label: TopicLabel, present: set[str]) -> TopicLabel:
    """A topic an excerpt cut out is omitted, as if the generator had omitted it."""
    if label.id in present or label.omitted:
        return label
    return label.model_copy(update={"omitted": True, "unsupported": False, "strength": None})


def _school_chapter(
    c: _Composer, chapter: _Chapter, topics: dict[str, Topic], stated: dict[str, str], year: int
) -> list[ItemLabel]:
    """学校概况: two-column 学校简介, the school's figures as a key–value table, two matrix tables.

    Returns:
        Labels of the key–value rows stating a catalogue metric (evidence of that topic).
    """
    deep = len(c.families) >= 5
    c.heading(chapter.name, 1)
    c.heading("学校简介", 2)
    history = [e.text for e in chapter.intro if isinstance(e, Paragraph)]
    notes = [f"本节数据截至{year}年12月31日。", *([None] * (len(history) - 1))]
    c.elements.append(TwoColumns(tuple(LayoutParagraph(t, footnote=n) for t, n in zip(history, notes, strict=True))))

    c.heading("基本办学数据", 2)
    c.heading("基本办学条件", 3)
    rng = c.rng
    students = rng.randint(9000, 32000)
    base = [
        ("全日制在校生数（人）", str(students), "人"),
        ("本科生占全日制在校生总数的比例（%）", f"{rng.uniform(62, 96):.2f}", "%"),
        ("本科专业数（个）", str(rng.randint(30, 90)), "个"),
        ("教学行政用房面积（万平方米）", f"{rng.uniform(20, 90):.2f}", "万平方米"),
        ("当年新增教学科研仪器设备值（万元）", f"{rng.uniform(2000, 12000):.2f}", "万元"),
        ("境外学生数（人）", NO_DATA, "人"),
    ]
    metric_rows = []
    for tid in sorted(stated, key=_id_key):
        metric = topics[tid].metric
        assert metric is not None
        metric_rows.append((*_key_value_row(metric, stated[tid]), tid))
    rows: list[tuple[str, str, str, str | None]] = [(*r, None) for r in base] + metric_rows
    head, tail = rows[:2], rows[2:]
    rng.shuffle(tail)
    rows = head + tail
    title = c.table_title("学校基本办学条件")
    note_row = next((k for k, r in enumerate(rows) if r[3]), None)
    c.elements.append(
        LayoutParagraph(f"学校当年质量报告主要数据见{title.split()[0]}，数据来源于高等教育质量监测国家数据平台。")
    )
    c.elements.append(
        LayoutTable(
            title,
            KEY_VALUE_HEADER,
            tuple((k, v) for k, v, _, _ in rows),
            TableKind.KEY_VALUE,
            TableRule.GRID,
            None
            if note_row is None
            else CellNote(note_row, 1, "按教育部《普通高等学校基本办学条件指标（试行）》口径计算。"),
        )
    )
    items = []
    for r, (key, cell, unit, tid) in enumerate(rows, start=1):
        if cell == NO_DATA:
            continue
        c.facts.append(
            FactLabel(
                metric=key,
                value=float(cell.removeprefix("1:")),
                unit=unit,
                text=cell,
                origin=FactOrigin.TABLE,
                evidence=f"{key} | {cell}",
                topic_id=tid,
                table_title=title,
                row=r,
                column=1,
            )
        )
        if tid:
            items.append(
                ItemLabel(
                    topic_id=tid, kind=ItemKind.TABLE, strength=Strength.STRONG, claim=False, text=f"{key} | {cell}"
                )
            )
    c.elements += [
        LayoutParagraph(f"数据统计时点为{year}年9月30日；", bullet=True),
        LayoutParagraph(f"经费类数据为{year - 1}自然年数据；", bullet=True),
        LayoutParagraph(f"表中“{NO_DATA}”表示该项无统计数据。", bullet=True),
    ]

    c.heading("人才培养与经费投入", 3)
    c.heading("毕业生情况", 4)
    colleges = rng.sample(_COLLEGES, 4)
    header = ("学院", "毕业生数（人）", "毕业去向落实率（%）", "升学人数（人）")
    body = []
    for k, college in enumerate(colleges):
        graduates = rng.randint(280, 1400)
        rate = rng.uniform(82, 98.5)
        further = NO_DATA if k == len(colleges) - 1 else str(int(graduates * rng.uniform(0.08, 0.3)))
        body.append((college, str(graduates), f"{rate:.2f}", further))
    total = sum(int(r[1]) for r in body)
    rate = sum(int(r[1]) * float(r[2]) for r in body) / total
    body.append(("合计", str(total), f"{rate:.2f}", str(sum(int(r[3]) for r in body if r[3] != NO_DATA))))
    _matrix(c, c.table_title(f"{year}届各学院毕业生情况"), header, body, None)

    if deep:
        c.heading("教学经费投入", 4)
        c.heading("近三年本科教学经费", 5)
    else:
        c.heading("近三年本科教学经费", 4)
    years = tuple(f"{y}年" for y in range(year - 2, year + 1))
    body = []
    for fund in _FUNDS:
        base_value = rng.uniform(300, 9000)
        body.append((fund, *(f"{base_value * (1 + 0.06 * k):.2f}" for k in range(3))))
    _matrix(c, c.table_title("近三年本科教学经费投入"), ("项目", *years), body, years)
    return items


def _matrix(
    c: _Composer,
    title: str,
    header: tuple[str, ...],
    body: Sequence[tuple[str, ...]],
    periods: tuple[str, ...] | None,
) -> None:
    """A three-line matrix table; its facts take the unit from the column header, else from the row header."""
    c.elements.append(LayoutTable(title, header, tuple(body), TableKind.MATRIX, TableRule.THREE_LINE))
    for r, row in enumerate(body, start=1):
        for col in range(1, len(header)):
            cell = row[col]
            if cell == NO_DATA:
                continue
            c.facts.append(
                FactLabel(
                    metric=f"{row[0]} · {header[col]}",
                    value=float(cell),
                    unit=_unit_of(header[col]) or _unit_of(row[0]),
                    text=cell,
                    origin=FactOrigin.TABLE,
                    evidence=" | ".join(row),
                    table_title=title,
                    row=r,
                    column=col,
                    period=periods[col - 1] if periods else None,
                )
            )


def _body_chapter(c: _Composer, chapter: _Chapter, topics: dict[str, Topic], topic_of: dict[str, str | None]) -> None:
    """A generator chapter: per section, distractors as a lead, then each topic's paragraphs under a
    standalone sub-heading or opened by a run-in one; list items as ● bullets; the indicator table last."""
    c.heading(chapter.name, 1)
    c.elements += [LayoutParagraph(p.text, bullet=p.list_item) for p in chapter.intro]
    for section in chapter.sections:
        c.heading(section.name, 2)
        run_in = c.rng.random() < 0.5
        groups: dict[str | None, list[Paragraph]] = {}
        for p in section.body:
            groups.setdefault(topic_of.get(p.text), []).append(p)
        c.elements += [LayoutParagraph(p.text, bullet=p.list_item) for p in groups.pop(None, [])]
        for tid, paragraphs in groups.items():
            assert tid is not None
            if not run_in:
                c.heading(topics[tid].name, 3)
                c.elements += [LayoutParagraph(p.text, bullet=p.list_item) for p in paragraphs]
                continue
            # A run-in heading opens a prose paragraph, never a bullet.
            host = next((k for k, p in enumerate(paragraphs) if not p.list_item), 0)
            lead = c.heading(topics[tid].name, 3, run_in=True)
            for k, p in enumerate(paragraphs):
                if k == host:
                    c.elements.append(LayoutParagraph(p.text, run_in=lead))
                else:
                    c.elements.append(LayoutParagraph(p.text, bullet=p.list_item))
    by_label = _topics_by_table_label(topics)
    for table in chapter.tables:
        # The generator numbers tables 表N across the report; printed reports number them within the chapter.
        title = c.table_title(re.sub(r"^表\d+\s*", "", table.caption))
        header, rows = table.rows[0], table.rows[1:]
        c.elements.append(LayoutTable(title, header, rows, TableKind.INDICATOR, TableRule.THREE_LINE))
        for r, row in enumerate(rows, start=1):
            metric_topic = by_label[row[0]]
            assert metric_topic.metric is not None
            c.facts.append(
                FactLabel(
                    metric=row[0],
                    value=float(_cell_value(row[1])),
                    unit=metric_topic.metric.unit,
                    text=row[1],
                    origin=FactOrigin.TABLE,
                    evidence=" | ".join(row),
                    topic_id=metric_topic.id,
                    table_title=title,
                    row=r,
                    column=1,
                    period=row[2],
                )
            )


# --- locating the layout in a rendered PDF -------------------------------------------------------------


def page_texts(pdf: Path) -> list[str]:
    """The text layer of every page, whitespace and quotes removed (so line breaks and quote order do not
    hide a phrase)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        texts = []
        for page in doc:
            textpage = page.get_textpage()
            texts.append(flat_text(textpage.get_text_range()))
            textpage.close()
            page.close()
        return texts
    finally:
        doc.close()


def flat_text(text: str) -> str:
    """Text with whitespace and the fallback-font punctuation removed, as :func:`page_texts` gives it."""
    return _UNANCHORED.sub("", text)


class _Finder:
    """Finds phrases in the concatenated page texts, moving forward through the document."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.text = "".join(texts)
        self.starts = []
        offset = 0
        for t in texts:
            self.starts.append(offset)
            offset += len(t)
        self.cursor = 0

    def page_at(self, offset: int) -> int:
        """1-based page of a text offset."""
        page = 0
        while page + 1 < len(self.starts) and self.starts[page + 1] <= offset:
            page += 1
        return page + 1

    def find(self, phrase: str, *, move: bool = True) -> int | None:
        """Offset of the next occurrence of ``phrase`` after the cursor, else of its first occurrence anywhere."""
        phrase = flat_text(phrase)
        if not phrase:
            return None
        at = self.text.find(phrase, self.cursor)
        if at < 0:
            at = self.text.find(phrase)
            if at < 0:
                return None
            return at
        if move:
            self.cursor = at + len(phrase)
        return at

    def page(self, phrase: str, *, move: bool = True) -> int | None:
        at = self.find(phrase, move=move)
        return None if at is None else self.page_at(at)


def locate(layout: RealisticReport, pdf: Path, writer: Writer, toc_page_labels: Sequence[str]) -> RealisticLabels:
    """Find where the layout landed in a rendered PDF: pages of headings, TOC lines, tables, facts, columns.

    Args:
        layout: the composed report.
        pdf: its rendering with a text layer.
        writer: the writer that rendered it.
        toc_page_labels: the page number printed in each TOC line, in the order of ``layout.toc_headings()``.

    Returns:
        The sidecar labels; a page is ``None`` where the text was not found in the text layer.
    """
    texts = page_texts(pdf)
    find = _Finder(texts)
    toc_headings = layout.toc_headings()
    toc = []
    toc_page = find.page(TOC_TITLE) if toc_headings else None
    for h, label in zip(toc_headings, toc_page_labels, strict=True):
        page = find.page(h.text) if toc_page else None
        toc.append(TocEntryLabel(title=h.text, level=h.level, page_label=label, page=page))

    body_start = find.cursor
    headings: list[HeadingLabel] = []
    tables: list[TableLabel] = []
    two_column: set[int] = set()
    table_rows: dict[tuple[str, int, int], int | None] = {}
    for e in layout.elements:
        if isinstance(e, LayoutHeading):
            headings.append(_heading_label(e, find.page(e.text)))
        elif isinstance(e, LayoutParagraph):
            page = find.page((e.lead + e.text)[:24])
            if e.run_in:
                headings.append(_heading_label(e.run_in, page))
        elif isinstance(e, TwoColumns):
            # Each paragraph's nearest occurrence after the block's start: columns may be written in any order.
            block, end = find.cursor, find.cursor
            for p in e.paragraphs:
                find.cursor = block
                if (page := find.page(p.text[:24])) is not None:
                    two_column.add(page)
                    end = max(end, find.cursor)
            find.cursor = end
        else:
            page = find.page(e.title)
            tables.append(
                TableLabel(title=e.title, kind=e.kind, rule=e.rule, header=e.header, rows=len(e.rows), page=page)
            )
            for r, row in enumerate(e.rows, start=1):
                find.find(row[0])
                for col in range(1, len(row)):
                    table_rows[(e.title, r, col)] = find.page(row[col])
    facts = []
    for f in layout.facts:
        if f.table_title is not None and f.row is not None and f.column is not None:
            page = table_rows.get((f.table_title, f.row, f.column))
        else:
            find.cursor = body_start
            page = find.page(f.evidence, move=False)
        facts.append(f.model_copy(update={"page": page}))
    return RealisticLabels(
        writer=writer,
        page_count=len(texts),
        report=layout.labels,
        headings=tuple(headings),
        toc=tuple(toc),
        tables=tuple(tables),
        facts=tuple(facts),
        two_column_pages=tuple(sorted(two_column)),
    )


def _heading_label(h: LayoutHeading, page: int | None) -> HeadingLabel:
    return HeadingLabel(text=h.text, level=h.level, family=h.family, run_in=h.run_in, page=page)


def write_realistic_labels(labels: RealisticLabels, pdf: Path) -> Path:
    """Write the sidecar JSON next to the PDF (``x.pdf`` → ``x.labels.json``) and return its path."""
    path = pdf.with_suffix(".labels.json")
    path.write_text(labels.model_dump_json(indent=1), "utf-8")
    return path


def load_realistic_labels(path: Path) -> RealisticLabels:
    """Read a sidecar JSON written by :func:`write_realistic_labels`."""
    return RealisticLabels.model_validate_json(path.read_text("utf-8"))
