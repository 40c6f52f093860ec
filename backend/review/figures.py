"""Numbers in report text: ratios (17.5:1), percentages, amounts with units, years; and a metric's value."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class FigureKind(StrEnum):
    """What shape a number has."""

    RATIO = "ratio"
    PERCENT = "percent"
    AMOUNT = "amount"
    YEAR = "year"
    COUNT = "count"


@dataclass(frozen=True)
class Figure:
    """A number found in text, with its unit and position."""

    kind: FigureKind
    value: float
    unit: str
    text: str
    start: int
    end: int


_NUM = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_UNITS = "亿元|万元|元|万册|册|万平方米|平方米|㎡|人次|人|门次|门|项|个|名|所|节|学分|小时|篇|台|套|家"
_PATTERNS: tuple[tuple[FigureKind, re.Pattern[str]], ...] = (
    (FigureKind.RATIO, re.compile(_NUM + r"\s*[:：]\s*1(?![\d.])")),
    (FigureKind.PERCENT, re.compile(_NUM + r"\s*[%％]")),
    (FigureKind.PERCENT, re.compile(r"百分之" + _NUM)),
    (FigureKind.AMOUNT, re.compile(_NUM + r"\s*(" + _UNITS + ")")),
    (FigureKind.YEAR, re.compile(r"((?:19|20)\d{2})\s*年")),
    (FigureKind.COUNT, re.compile(r"(?<![\d.])" + _NUM + r"(?![\d.%％:：])")),
)
_SENTENCE_BREAK = re.compile(r"[。；;！？!?\n]")


def find_figures(text: str) -> list[Figure]:
    """All numbers in ``text``, each reported once in its most specific shape, in text order."""
    taken: list[tuple[int, int]] = []
    found: list[Figure] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            unit = {FigureKind.RATIO: ":1", FigureKind.PERCENT: "%", FigureKind.YEAR: "年"}.get(
                kind, m.group(2) if kind is FigureKind.AMOUNT else ""
            )
            value = float(m.group(1).replace(",", ""))
            found.append(Figure(kind, value, unit, m.group(0), m.start(), m.end()))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def _unit_kind(unit: str) -> FigureKind | None:
    if ":" in unit or "：" in unit or unit in {"比", "ratio"}:
        return FigureKind.RATIO
    if "%" in unit or "％" in unit or "百分" in unit:
        return FigureKind.PERCENT
    if unit:
        return FigureKind.AMOUNT
    return None


def _fits(kind: FigureKind, wanted: FigureKind | None) -> bool:
    """A bare count fits a metric measured in an amount unit (专任教师 | 1260 under a 人 column)."""
    return wanted is None or kind is wanted or (wanted is FigureKind.AMOUNT and kind is FigureKind.COUNT)


def figure_near(text: str, names: Sequence[str], unit: str = "", window: int = 40) -> Figure | None:
    """The value reported for a metric: the first fitting number after one of its names, same sentence.

    Table rows (``生师比 | 17.5:1``) count as one sentence. Years are never a metric's value.
    """
    wanted = _unit_kind(unit)
    for name in names:
        for m in re.finditer(re.escape(name), text):
            tail = text[m.end() : m.end() + window]
            cut = _SENTENCE_BREAK.search(tail)
            tail = tail[: cut.start()] if cut else tail
            for fig in find_figures(tail):
                if fig.kind is FigureKind.YEAR:
                    continue
                if (
                    wanted is None
                    or fig.kind is wanted
                    or (wanted is FigureKind.AMOUNT and fig.kind is FigureKind.COUNT)
                ):
                    offset = m.end()
                    return Figure(fig.kind, fig.value, fig.unit or unit, fig.text, fig.start + offset, fig.end + offset)
    return None
