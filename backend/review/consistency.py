"""Figure consistency across the self-report, the 支撑材料 and the 状态数据 (pure: facts in, checks out).

Every fact is keyed by its metric (a rubric metric by name or synonym, else its own label when that label is
specific enough) and its period (``2022年`` = ``2022学年`` = ``2022-2023学年``; ``2023届`` apart). Facts of
the same key from two or more sources are compared with units normalised (万元 → 元) and a rounding
tolerance of half the last written digit. A wrong conflict shown to an expert is worse than none, so a
group is 无法比对 rather than 冲突 when a source states two different values for it, and an approximate
figure (约, 以上) or one without a comparable unit takes no part.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from backend.db.models import DocumentRole
from backend.review.figures import COUNT_UNITS, WHOLE_SCHOOL_ROWS, label_key, unit_fits
from backend.rubrics.models import Metric, Rubric
from indexing.facts import MATRIX_SEPARATOR
from indexing.figures import find_periods, half_width, normalize
from indexing.models import Fact
from indexing.statedata import cell_address

# A label this general names no metric by itself (人数 of whom? 占比 of what?).
_GENERIC = frozenset(
    {
        "人数",
        "占比",
        "比例",
        "数量",
        "合计",
        "总计",
        "小计",
        "数值",
        "金额",
        "经费",
        "面积",
        "总数",
        "个数",
        "比重",
        "其他",
    }
)
_MIN_LABEL_CHARS = 4
# Column labels of a matrix table that only hold the value (the row names the metric).
_VALUE_COLUMNS = frozenset({"数值", "数据", "值", "本校", "学校", "统计", "结果", "指标值"})
_PLACE_SCOPE = re.compile(
    r"^(?:\d{4}\s*(?:-\d{4})?\s*(?:届|学年度|学年|年度|年)?|截至目前|目前|当前|现有|当年|本学年|全校|学校|本校|我校|该校|其中|的)+"
)
_BRACKETED = re.compile(r"[（(][^（）()]*[）)]")
_TRAILING_VERB = re.compile(r"(?:为|达到|达|是|约|共|计|有)+$")
_NUMBER_RE = re.compile(r"[0-9][0-9,]*(?:\.([0-9]+))?")


CONSISTENCY_POINT_ZH = "数据一致性"  # the checklist's point column for a conflict outside the rubric


class Verdict(StrEnum):
    """What the comparison of one metric and period found."""

    AGREE = "agree"
    CONFLICT = "conflict"
    UNCOMPARABLE = "uncomparable"
    MISSING = "missing"

    @property
    def zh(self) -> str:
        """The verdict as experts read it."""
        return VERDICT_ZH[self]


VERDICT_ZH = {
    Verdict.AGREE: "一致",
    Verdict.CONFLICT: "冲突",
    Verdict.UNCOMPARABLE: "无法比对",
    Verdict.MISSING: "缺失",
}


@dataclass(frozen=True)
class Source:
    """A file of the submission whose facts are compared."""

    version_id: int
    name: str
    role: DocumentRole


@dataclass(frozen=True)
class Statement:
    """One source's statement of a metric: the fact, its value in the compared unit, and where it stands."""

    source: Source
    fact: Fact
    value: float
    unit: str
    tolerance: float

    @property
    def place_zh(self) -> str:
        """Where to look: 工作表「基本情况」B3, or 第 12 页 (表 3-1)."""
        f = self.fact
        if f.sheet is not None and f.row is not None and f.column is not None:
            return f"工作表「{f.sheet}」{cell_address(f.row, f.column)}"
        page = f"第 {f.page} 页" if f.page is not None else "页码未知"
        return f"{page}（{f.table_title}）" if f.table_title else page

    @property
    def quote_zh(self) -> str:
        """The words that state it: the sentence, or the table row."""
        return self.fact.evidence


@dataclass(frozen=True)
class Check:
    """One metric and period across the sources: the verdict, the statements compared and why."""

    metric: str
    period: str | None
    verdict: Verdict
    statements: tuple[Statement, ...] = ()
    note_zh: str = ""
    point_id: str | None = None
    indicator_id: str | None = None

    @property
    def question_zh(self) -> str:
        """The 入校考察问题清单 line of a conflict: both statements side by side, with page or cell."""
        sides = "；".join(
            f"{s.source.role.zh}《{s.source.name}》{s.place_zh}为 {s.fact.text}"
            + (f"（{s.fact.unit}）" if s.fact.unit and s.fact.unit not in s.fact.text else "")
            for s in self.statements
        )
        period = f"{self.period}" if self.period else ""
        note = f"{self.note_zh}。" if self.note_zh else ""
        return f"{period}{self.metric}数据不一致：{sides}。{note}请核实以哪一数据为准。"


@dataclass(frozen=True)
class Consistency:
    """All checks of a submission, conflicts first."""

    sources: tuple[Source, ...]
    checks: tuple[Check, ...]

    def count(self, verdict: Verdict) -> int:
        """How many checks have this verdict."""
        return sum(c.verdict is verdict for c in self.checks)

    def filtered(self, *, verdict: Verdict | None = None, metric: str = "") -> tuple[Check, ...]:
        """The checks of one verdict (all when ``None``) whose metric name contains ``metric``."""
        needle = metric.strip()
        return tuple(
            c for c in self.checks if (verdict is None or c.verdict is verdict) and (not needle or needle in c.metric)
        )

    def only(self, *, verdict: Verdict | None = None, metric: str = "") -> Consistency:
        """The same result with only the checks :meth:`filtered` keeps."""
        return Consistency(self.sources, self.filtered(verdict=verdict, metric=metric))

    @property
    def conflicts(self) -> tuple[Check, ...]:
        """The conflicts, for the 入校考察问题清单."""
        return tuple(c for c in self.checks if c.verdict is Verdict.CONFLICT)


@dataclass(frozen=True)
class _Key:
    metric: str  # display name: the rubric metric's, else the label without scope words (学校, 2023年)
    label: str  # comparison key
    rubric_metric: Metric | None


def _decimals_tolerance(fact: Fact) -> float:
    """Half of the last written digit of the fact's number, in the fact's own unit (18.46 → 0.005)."""
    for m in _NUMBER_RE.finditer(half_width(fact.text)):
        number = m.group(0).replace(",", "")
        try:
            if abs(float(number) - fact.value) < 1e-9:
                return 0.5 * 10 ** -len(m.group(1) or "")
        except ValueError:
            continue
    return 0.5


def _canonical_label(label: str) -> str:
    """``学生与教师比例`` is ``学生与教师比``: a ratio of two named groups, written either way."""
    key = label_key(label)
    if "与" in key and key.endswith("比例"):
        key = key[:-1]
    return key


def _open_label(label: str) -> str:
    """A label outside the rubric without its place and time words (学校, 2023年, 为) but, unlike a rubric name,
    with its population: 本科毕业生毕业去向落实率 is not the 毕业去向落实率 of all graduates."""
    t = _BRACKETED.sub("", unicodedata.normalize("NFKC", label))
    t = _TRAILING_VERB.sub("", re.sub(r"[\s:：|]", "", t))
    return _PLACE_SCOPE.sub("", t)


def _metric_label(fact: Fact) -> str | None:
    """The label naming the fact's metric: a matrix fact's column for the whole-school row, its row under a
    value column, else ``row · column``; ``None`` when the label names nothing specific."""
    if MATRIX_SEPARATOR not in fact.metric:
        return fact.metric
    row, _, column = fact.metric.partition(MATRIX_SEPARATOR)
    if label_key(row) in WHOLE_SCHOOL_ROWS:
        return column
    if label_key(column) in _VALUE_COLUMNS:
        return row
    if label_key(column) in _GENERIC or len(label_key(column)) < 3:
        return None  # "化学工程与工艺 · 人数": whose number, in which table, cannot be told across files
    return fact.metric


class _Vocabulary:
    """Rubric metrics by the keys of their names and synonyms (a key naming two metrics names neither)."""

    def __init__(self, rubric: Rubric | None, known: Sequence[Rubric]) -> None:
        self.metrics: list[tuple[str, str, Metric]] = []  # (indicator id, point id, metric) of ``rubric``
        by_key: dict[str, set[str]] = defaultdict(set)
        self._metric: dict[str, Metric] = {}
        for r in (*([rubric] if rubric else []), *known):
            for path, point in r.iter_points():
                if point.metric is None:
                    continue
                if r is rubric:
                    self.metrics.append((path[-1].id, point.id, point.metric))
                self._metric.setdefault(point.metric.name, point.metric)
                for name in (point.metric.name, *point.metric.synonyms):
                    by_key[_canonical_label(name)].add(point.metric.name)
        self._by_key = {k: next(iter(v)) for k, v in by_key.items() if len(v) == 1}
        self.ambiguous = frozenset(k for k, v in by_key.items() if len(v) > 1)

    def key(self, fact: Fact) -> _Key | None:
        label = _metric_label(fact)
        if label is None:
            return None
        canonical = _canonical_label(label.replace(MATRIX_SEPARATOR, "·"))
        name = self._by_key.get(canonical)
        if name is not None:  # every name and synonym of a rubric metric is one key
            return _Key(name, f"rubric:{name}", self._metric[name])
        own = _open_label(label.replace(MATRIX_SEPARATOR, "·"))
        cjk = len(re.findall(r"[\u4e00-\u9fff]", own))
        if own in _GENERIC or cjk < _MIN_LABEL_CHARS - 1 or len(own) < _MIN_LABEL_CHARS:
            return None
        return _Key(own, own, None)


def period_key(period: str | None) -> str | None:
    """The year a period stands for: ``2022年``, ``2022学年``, ``2022-2023学年`` → ``2022``; ``2023届`` → ``2023届``."""
    if not period:
        return None
    found = find_periods(period)
    text = half_width(found[0].text if found else period)
    years = re.findall(r"(?:19|20)[0-9]{2}", text)
    if not years:
        return None
    if "届" in text:
        return f"{years[-1]}届" if len(years) == 1 else None
    if len(years) == 2 and int(years[1]) - int(years[0]) == 1 and "学年" in text:
        return years[0]  # 2022-2023学年 is the 2022 school year
    return years[0] if len(years) == 1 else None


def _statement(source: Source, fact: Fact, key: _Key, unit: str | None) -> Statement | None:
    """The fact's value in the compared unit; ``None`` when its unit cannot be compared (never guessed)."""
    if fact.qualifier:
        return None  # 约, 以上, 近: not an exact figure
    tolerance = _decimals_tolerance(fact)
    if key.rubric_metric is not None:
        fits, value = unit_fits(fact, key.rubric_metric.unit)
        if not fits:
            return None
        scale = value / fact.value if fact.value else 1.0
        return Statement(source, fact, value, key.rubric_metric.unit, tolerance * abs(scale))
    if not fact.unit:
        if unit in COUNT_UNITS and fact.sheet is not None:
            return Statement(source, fact, fact.value, unit, tolerance)
        return None
    value, base = normalize(fact.value, fact.unit)
    if unit is not None and base != unit:
        return None
    scale = value / fact.value if fact.value else 1.0
    return Statement(source, fact, value, base, tolerance * abs(scale))


def _agree(a: Statement, b: Statement) -> bool:
    return abs(a.value - b.value) <= max(a.tolerance, b.tolerance) + 1e-9 * max(abs(a.value), abs(b.value), 1.0)


def _slip_note(a: Statement, b: Statement) -> str:
    """Why two values may differ: a unit written wrong (the same digits, 10⁴ apart)."""
    lo, hi = sorted((abs(a.value), abs(b.value)))
    if lo and a.unit in ("元", "人", "平方米", "册"):
        ratio = hi / lo
        for factor, name in ((10_000, "万"), (100_000_000, "亿"), (1_000, "千")):
            if abs(ratio / factor - 1) < 0.01:
                return f"两处数字相同而相差 {name} 倍，疑似单位写错（{name}{a.unit}/{a.unit}）"
    return ""


_ROLE_ORDER = {DocumentRole.STATE_DATA: 0, DocumentRole.MAIN: 1, DocumentRole.SUPPORTING: 2}


def compare_sources(
    sources: Sequence[tuple[Source, Sequence[Fact]]], rubric: Rubric | None, known: Sequence[Rubric] = ()
) -> Consistency:
    """Compare every metric and period stated by two or more sources; list the rubric metrics nobody states.

    Args:
        sources: each file with its facts (the report, supporting files, state data).
        rubric: the rubric whose metrics are expected (``None``: no 缺失 list).
        known: further rubrics whose metric names and synonyms name metrics too (生师比 is 学生与教师比
            whatever the campaign's rubric).

    Returns:
        The checks: 冲突, 无法比对, 一致, 缺失, in that order, each group by metric name.
    """
    vocabulary = _Vocabulary(rubric, known)
    keyed: dict[str, tuple[_Key, list[tuple[Source, Fact]]]] = {}
    for source, facts in sources:
        for fact in facts:
            key = vocabulary.key(fact)
            if key is None:
                continue
            keyed.setdefault(key.label, (key, []))[1].append((source, fact))

    checks: list[Check] = []
    stated: set[str] = set()
    for key, items in keyed.values():
        stated.add(key.metric)
        checks.extend(_checks_of(key, items))
    point_of = {m.name: (indicator, point) for indicator, point, m in vocabulary.metrics}
    checks = [
        Check(
            c.metric,
            c.period,
            c.verdict,
            c.statements,
            c.note_zh,
            point_of.get(c.metric, (None, None))[1],
            point_of.get(c.metric, (None, None))[0],
        )
        for c in checks
    ]
    seen: set[str] = set()
    for indicator, point, metric in vocabulary.metrics:
        if metric.name not in stated and metric.name not in seen:
            seen.add(metric.name)
            checks.append(
                Check(
                    metric.name,
                    None,
                    Verdict.MISSING,
                    note_zh="自评报告、支撑材料与状态数据均未提供",
                    point_id=point,
                    indicator_id=indicator,
                )
            )
    order = {Verdict.CONFLICT: 0, Verdict.UNCOMPARABLE: 1, Verdict.AGREE: 2, Verdict.MISSING: 3}
    checks.sort(key=lambda c: (order[c.verdict], c.metric, c.period or ""))
    return Consistency(tuple(s for s, _ in sources), tuple(checks))


def _checks_of(key: _Key, items: list[tuple[Source, Fact]]) -> list[Check]:
    """The checks of one metric: one per period stated by two or more sources."""
    if len({s.version_id for s, _ in items}) < 2:
        return []
    by_period: dict[str | None, list[tuple[Source, Fact]]] = defaultdict(list)
    for source, fact in items:
        by_period[period_key(fact.period)].append((source, fact))
    dated = [p for p in by_period if p is not None]
    undated = by_period.pop(None, [])
    if undated and len(dated) == 1:
        by_period[dated[0]].extend(undated)  # one period stated anywhere: an undated figure is for it
    elif undated and not dated:
        by_period[None] = undated
    unit = key.rubric_metric.unit if key.rubric_metric else _common_unit(items)
    checks = []
    for period, group in by_period.items():
        if len({s.version_id for s, _ in group}) < 2:
            continue
        statements = [st for s, f in group if (st := _statement(s, f, key, unit)) is not None]
        label = _period_label(group, period)
        check = _verdict(key, label, statements, by_period, unit)
        if check is not None:
            checks.append(check)
    return checks


def _period_label(group: list[tuple[Source, Fact]], period: str | None) -> str | None:
    if period is None:
        return None
    written = [f.period for _, f in group if f.period]
    return max(set(written), key=written.count) if written else period


def _common_unit(items: list[tuple[Source, Fact]]) -> str | None:
    units = {normalize(f.value, f.unit)[1] for _, f in items if f.unit and not f.qualifier}
    return next(iter(units)) if len(units) == 1 else None


def _verdict(
    key: _Key,
    period: str | None,
    statements: list[Statement],
    by_period: dict[str | None, list[tuple[Source, Fact]]],
    unit: str | None,
) -> Check | None:
    per_source: dict[int, list[Statement]] = defaultdict(list)
    for st in statements:
        per_source[st.source.version_id].append(st)
    if len(per_source) < 2:
        return None
    for stated in per_source.values():
        if any(not _agree(stated[0], other) for other in stated[1:]):
            return Check(
                key.metric,
                period,
                Verdict.UNCOMPARABLE,
                tuple(st for sts in per_source.values() for st in sts[:2]),
                f"《{stated[0].source.name}》中该指标出现多个不同数值（可能口径或范围不同），无法确定比对对象",
            )
    firsts = sorted(
        (sts[0] for sts in per_source.values()), key=lambda st: (_ROLE_ORDER[st.source.role], st.source.version_id)
    )
    reference = firsts[0]
    differing = [st for st in firsts[1:] if not _agree(reference, st)]
    if not differing:
        return Check(key.metric, period, Verdict.AGREE, tuple(firsts))
    if key.rubric_metric is None and not _open_label_certain(reference, differing):
        return Check(key.metric, period, Verdict.UNCOMPARABLE, (reference, *differing), _UNSURE_ZH)
    notes = [n for st in differing if (n := _slip_note(reference, st))]
    if not notes:
        notes = [n for st in differing if (n := _year_note(key, reference, st, by_period, unit))]
    return Check(key.metric, period, Verdict.CONFLICT, (reference, *differing), "；".join(dict.fromkeys(notes)))


_UNSURE_ZH = (
    "名称相同的数据在不同文件中数值不同，但无法确认统计口径相同（不在指标体系中，也未与状态数据对照），请人工核对"
)


def _open_label_certain(reference: Statement, differing: Sequence[Statement]) -> bool:
    """A metric outside the rubric conflicts only against the state data, and only where the other file names
    it plainly: a report's ``制造业`` (a category in a sentence about 留鄂就业) or ``学院 · 人数`` (a row of one of
    several tables) may count something else than the state-data row of the same name."""
    if reference.source.role is not DocumentRole.STATE_DATA:
        return False
    return all(
        st.fact.sheet is not None or (MATRIX_SEPARATOR not in st.fact.metric and "/" not in st.fact.metric)
        for st in differing
    )


def _year_note(
    key: _Key,
    reference: Statement,
    other: Statement,
    by_period: dict[str | None, list[tuple[Source, Fact]]],
    unit: str | None,
) -> str:
    """The differing value is the reference source's figure for another year: a year written wrong."""
    for period, group in by_period.items():
        if period is None or period == period_key(reference.fact.period):
            continue
        for source, fact in group:
            if source.version_id != reference.source.version_id:
                continue
            st = _statement(source, fact, key, unit)
            if st is not None and _agree(st, other):
                return f"该数值与{reference.source.role.zh}中 {fact.period} 的数值相同，疑似年份写错"
    return ""
