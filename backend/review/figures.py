"""A rubric metric's reported value, looked up among the facts extracted at ingest (never a nearby number).

The report's figures are extracted once, at ingest, as :class:`~indexing.models.Fact` rows (table cells and
sentences, see :mod:`indexing.facts`). A quantitative review point takes its figure from them by the metric's
name and synonyms only, with units converted (0.48 万元 → 4800 元); when no fact fits, the point says 未提供.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from backend.domain.assessment import ReportedFigure
from backend.rubrics.models import Metric
from indexing.facts import MATRIX_SEPARATOR
from indexing.figures import normalize
from indexing.models import Chunk, Fact, FactOrigin

# Words that only say whose figure it is (the school's, this year's): "全校生师比" is 生师比.
_SCOPE = re.compile(
    r"^(?:\d{4}\s*(?:届|学年|年度|年)?|截至目前|目前|当前|现有|现|当年|本学年|全校|学校|本校|我校|该校|全体|总体|整体|全部"
    r"|普通|应届|本专科|本科生?|专科生?|高职|毕业生|其中|届|的)+"
)
_TRAILING_VERB = re.compile(r"(?:为|达到|达|是|约|共|计|有|占)+$")
_BRACKETED = re.compile(r"[（(][^（）()]*[）)]")
# Row labels of a matrix table that stand for the whole school (a per-college row is not the school's figure).
WHOLE_SCHOOL_ROWS = frozenset({"", "合计", "总计", "全校", "学校", "总体", "全部", "平均", "全校合计", "全校平均"})
# Units a bare count in a table may stand for (no unit written: 专任教师数 | 1732); money and areas never.
COUNT_UNITS = frozenset({"人", "个", "项", "门", "所", "名", "门次", "人次"})


def label_key(text: str) -> str:
    """A metric label reduced to what names the metric: no spaces, bracketed units, scope words or verbs."""
    t = unicodedata.normalize("NFKC", text)
    t = _BRACKETED.sub("", t)
    t = re.sub(r"[\s:：|]", "", t)
    t = _TRAILING_VERB.sub("", t)
    return _SCOPE.sub("", t)


def qualifiers(text: str) -> frozenset[str]:
    """Bracketed words of a label that narrow what it counts (（理工农医类专业）), not its unit (（%）)."""
    found = (m.group()[1:-1].strip() for m in _BRACKETED.finditer(unicodedata.normalize("NFKC", text)))
    return frozenset(q for q in found if re.search(r"[\u4e00-\u9fff]{2,}", q))


def unit_fits(fact: Fact, unit: str) -> tuple[bool, float]:
    """Whether the fact is stated in a unit comparable to ``unit``, and its value converted to ``unit``."""
    if unit in {":1", "1:"} and not fact.unit:
        # State-data tables write ratios as the bare N (生师比 | 18.46 is 18.46:1; a 1:N ratio's N likewise).
        return fact.origin is FactOrigin.TABLE and fact.value >= 1, fact.value
    if unit in {":1", "1:", "%"}:
        return fact.unit == unit, fact.value
    if not fact.unit:
        return fact.origin is FactOrigin.TABLE and unit in COUNT_UNITS, fact.value
    value, base = normalize(fact.value, fact.unit)
    one, wanted = normalize(1.0, unit)
    if base != wanted or not one:
        return False, fact.value
    return True, value / one


class FactIndex:
    """The facts of one document, looked up by a rubric metric's name and synonyms, never by a looser match."""

    def __init__(self, facts: Sequence[Fact], chunks: Sequence[Chunk]) -> None:
        self._facts = list(facts)
        self._chunks = list(chunks)

    def _chunk_of(self, fact: Fact) -> str | None:
        for chunk in self._chunks:
            for seg in chunk.segments:
                if seg.block_id == fact.block_id and seg.block_start <= fact.start < seg.block_start + seg.length:
                    return chunk.id
        return None

    def _label_fits(self, fact: Fact, keys: set[str]) -> bool:
        if MATRIX_SEPARATOR in fact.metric:
            row, _, column = fact.metric.partition(MATRIX_SEPARATOR)
            if label_key(column) in keys:
                return label_key(row) in WHOLE_SCHOOL_ROWS
            return label_key(row) in keys and label_key(column) in WHOLE_SCHOOL_ROWS
        return label_key(fact.metric) in keys

    def lookup(self, metric: Metric) -> ReportedFigure | None:
        """The figure the report states for ``metric`` (first in document order), or ``None`` (未提供)."""
        return next(self.lookup_all(metric), None)

    def lookup_all(self, metric: Metric) -> Iterator[ReportedFigure]:
        """Every figure the document states for ``metric``, in document order."""
        keys = {label_key(n) for n in (metric.name, *metric.synonyms)}
        narrowed = frozenset().union(*(qualifiers(n) for n in (metric.name, *metric.synonyms)))
        for fact in self._facts:
            if not self._label_fits(fact, keys):
                continue
            # 实践教学学分占比（人文社科类专业） is another figure than the metric's （理工农医类专业）.
            stated = qualifiers(fact.metric)
            if narrowed and stated and not stated & narrowed:
                continue
            fits, value = unit_fits(fact, metric.unit)
            chunk_id = self._chunk_of(fact) if fits else None
            if chunk_id is None:
                continue
            meets = None
            if metric.national_floor is not None and metric.floor_direction:
                floor = metric.national_floor
                meets = value >= floor if metric.floor_direction == "at_least" else value <= floor
            yield ReportedFigure(
                metric=metric.name,
                value=round(value, 6),
                unit=metric.unit,
                text=fact.text,
                chunk_id=chunk_id,
                label=fact.metric,
                page=fact.page,
                evidence=fact.evidence,
                origin=fact.origin,
                table_title=fact.table_title,
                row=fact.row,
                column=fact.column,
                qualifier=fact.qualifier,
                period=fact.period,
                meets_floor=meets,
            )
