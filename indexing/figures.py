"""The grammar of figures written in Chinese reports: numbers with their unit, qualifier and footnote marker.

A figure is a number as a report writes it: ``18.46:1``, ``1:284``, ``67.21%``, ``百分之六十``, ``21000余人``,
``3.2万人``, ``约0.48万元``, ``十二个``, full-width ``１８．４６``, a footnote marker ``18.46¹`` … What is *not* a
figure matters as much: years and cohorts (``2023年``, ``2023届``) are periods, dates, table and figure labels
(``表1-2``, ``图3``), section numbers (``1.2.3``), ordinals (``第3位``), document numbers (``〔2022〕5号``), codes
(``GB/T 4754``, ``5G``), phone numbers and ranges are never read as values, and a cell reading "—", "/",
"未统计" or nothing states no value (it is never 0).

* :func:`find_figures` finds every figure in running text, with offsets into that text;
* :func:`parse_figure` reads a whole table cell as one figure (or says it is none);
* :func:`is_no_value` tells a placeholder cell ("—", "-", "/", "未统计" …) from a figure;
* :func:`find_periods` finds the periods (``2023届``, ``2022年``, ``2022-2023学年``) a text states;
* :func:`normalize` brings a value to its base unit (万元 → 元, 万人 → 人, 165:100 → 1.65:1) for comparison.

Values are kept as written: ``3.2万人`` is value 3.2 with unit ``万人``; only :func:`normalize` multiplies.

Example:
    >>> [(f.kind.value, f.value, f.unit) for f in find_figures("生师比为18.46:1，升学率达28.50%。")]
    [('ratio', 18.46, ':1'), ('percent', 28.5, '%')]
    >>> f = parse_figure("约3.2万人")
    >>> (f.value, f.unit, f.qualifier)
    (3.2, '万人', '约')
    >>> parse_figure("—") is None and is_no_value("—")
    True
    >>> normalize(0.48, "万元")
    (4800.0, '元')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache


class FigureKind(StrEnum):
    """What shape a figure has."""

    RATIO = "ratio"  # 18.46:1, 1:284, 165:100
    PERCENT = "percent"  # 67.21%, 百分之六十
    AMOUNT = "amount"  # a number with a unit: 3900人, 0.48万元, 3.2万
    COUNT = "count"  # a bare number: 1732 (its unit, if any, comes from a table header)


@dataclass(frozen=True)
class Figure:
    """A figure found in text.

    Args:
        kind: ratio, percent, amount (with a unit) or count (bare number).
        value: the number as written, without multiplying by 万 or 亿 (``3.2万人`` is 3.2).
        unit: ``%``; ``:1`` for N:1, ``1:`` for 1:N, ``:100`` for N:100; the written unit for amounts
            (``人``, ``万元``, ``万人``, ``万``); empty for counts.
        text: the figure exactly as written, qualifier and footnote marker included.
        start: offset of ``text`` in the searched text.
        end: offset after ``text``.
        qualifier: an approximation written with the figure (``约``, ``近``, ``超过``, ``以上``, ``余`` …).
        marker: a footnote marker written after the figure (``¹``, ``[1]``, ``*``), not part of the value.
    """

    kind: FigureKind
    value: float
    unit: str
    text: str
    start: int
    end: int
    qualifier: str | None = None
    marker: str | None = None


@dataclass(frozen=True)
class Period:
    """A period a text states: ``2023届``, ``2022年``, ``2022-2023学年``, ``2021-2023届``.

    Args:
        text: as written.
        start: offset in the searched text.
        end: offset after it.
        is_range: spans several years (``2021-2023届``), so it is not the period of one figure; one school
            year written with both its years (``2022-2023学年``) is no range.
    """

    text: str
    start: int
    end: int
    is_range: bool = False


# Full-width digits and signs map one-to-one onto ASCII, so offsets in the translated text are offsets
# in the original and every match can be cut verbatim from what the report wrote.
_HALF_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "．": ".",
        "％": "%",
        "：": ":",
        "∶": ":",
        "﹕": ":",
        "，": "，",
        "\u3000": " ",
        "～": "~",
        "﹪": "%",
    }
)

_NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "[零〇一二两三四五六七八九十百千]+"

# Units a number may carry, longest first so 人次 wins over 人 and 万平方米 over 平方米. 万/亿 may precede
# any of them as a multiplier and are kept in the unit as written (3.2万人 → 万人).
_BASE_UNITS = (
    "个百分点",
    "百分点",
    "平方公里",
    "平方米",
    "㎡",
    "m²",
    "公顷",
    "亩",
    "人次",
    "人天",
    "门次",
    "场次",
    "元",
    "人",
    "名",
    "位",
    "册",
    "件",
    "个月",
    "个",
    "项",
    "门",
    "所",
    "家",
    "篇",
    "份",
    "台",
    "套",
    "种",
    "条",
    "座",
    "间",
    "支",
    "首",
    "批",
    "辆",
    "场",
    "次",
    "学分",
    "学时",
    "课时",
    "小时",
    "分钟",
    "天",
    "周",
    "倍",
    "分",
    "吨",
    "公里",
    "千米",
    "米",
)
# Units counted with a Chinese numeral ("十二个", "三所", "两项"); a numeral elsewhere is a word (一流, 三全育人).
_COUNT_UNITS = ("个", "项", "门", "所", "家", "篇", "名", "位", "人", "册", "件", "台", "套", "种", "条", "座", "批")
_UNIT_RE = "(?:(?:万|亿)?(?:余|多)?(?:" + "|".join(re.escape(u) for u in _BASE_UNITS) + ")|千元|万|亿)"
# Words after which a unit character starts another word, not a unit ("3分别为", "5分布于", "2人均").
_NOT_UNIT_AFTER = {
    "分": "别析布类之享工配数钟",
    "人": "均才民员工文",
    "次": "序",
    "位": "于列居置一",
    "米": "兰",
    "门": "峡户诊类",
    "所": "以有属在",
}

_PREFIX_QUALIFIERS = ("将近", "接近", "大约", "超过", "不低于", "不少于", "不足", "不到", "约", "近", "逾")
_FOOTNOTE = r"(?:[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\[[0-9]{1,2}\]|［[0-9]{1,2}］|\*{1,3}|※|†)"

_FIGURE_RE = re.compile(
    r"(?P<num>" + _NUM + r")"
    r"(?:\s*(?P<ratio>:)\s*(?P<num2>" + _NUM + r"))?"
    r"(?P<pct>\s*%)?"
    r"(?:\s*(?P<q_mid>余|多))?"
    r"(?:\s*(?P<mult>万|亿)\s*(?P<q_mid2>余|多)?)?"
    r"(?P<base>\s*(?:" + "|".join(re.escape(u) for u in (*_BASE_UNITS, "千元")) + r"))?"
)
_CN_FIGURE_RE = re.compile(r"(?P<cn>" + _CN_NUM + r")(?P<q_mid>余|多)?(?P<unit>" + "|".join(_COUNT_UNITS) + r")(?!次)")
_PERCENT_WORD_RE = re.compile(r"百分之(?P<num>" + _NUM + "|" + _CN_NUM + r")")
_SUFFIX_RE = re.compile(r"\s*(?P<marker>" + _FOOTNOTE + r")?\s*(?P<q_post>以上|以下|左右|余|多)?")

_YEAR = r"(?:19|20)[0-9]{2}"
_PERIOD_RE = re.compile(
    r"(?P<y1>" + _YEAR + r")\s*(?:年|届)?\s*(?:[-–—~至到]\s*(?P<y2>" + _YEAR + r"))?\s*"
    r"(?P<suffix>学年度|学年|年度|年|届|级)"
)
# Spans that hold digits but no figure; masked before figures are looked for.
_NOT_FIGURES = (
    # dates: 2023年12月26日, 2023-04-19, 2022/9/6, 2023.11.30, 11月30日, 9月, 30日
    re.compile(_YEAR + r"\s*[年./\-]\s*[0-9]{1,2}\s*[月./\-]\s*(?:[0-9]{1,2}\s*日?)?"),
    re.compile(_YEAR + r"\s*年\s*[0-9]{1,2}\s*月(?:份)?"),
    re.compile(r"(?<![0-9.])[0-9]{1,2}\s*月\s*(?:[0-9]{1,2}\s*[日号])?(?:份)?"),
    re.compile(r"(?<![0-9.])[0-9]{1,2}\s*[日号](?![本])"),
    # times of day (9:00, 14:30-16:00); 1:30 stays a ratio
    re.compile(r"(?<![0-9.])[0-9]{1,2}:0[0-9](?![0-9])"),
    re.compile(r"(?<![0-9.])[0-9]{1,2}:[0-5][0-9]\s*[-–~至]\s*[0-9]{1,2}:[0-5][0-9]"),
    # periods and year ranges (2023届, 2022年, 2020～2021年, 2022-2023学年); bare years handled below
    _PERIOD_RE,
    # labels of tables, figures, appendices and chapters: 表1-2, 图1- 1, 附表3, 第3章, 第145位
    re.compile(r"(?:附表|附图|图表|表|图)\s*[0-9A-Za-z]+(?:\s*[-–—.．_]\s*[0-9]+)*"),
    re.compile(r"第\s*(?:" + _NUM + "|" + _CN_NUM + r")"),
    # document numbers and standards: 〔2022〕5号, [2021]19号, GB/T 4754—2017, ISO 9001
    re.compile(r"[〔\[［【(（]\s*" + _YEAR + r"\s*[〕\]］】)）]\s*[0-9]+\s*号?"),
    re.compile(r"[A-Za-z]+(?:/[A-Za-z]+)?\s*[0-9]+(?:\s*[-–—.:]\s*[0-9]+)*"),
    # numbers glued to Latin letters or + (5G, 3D, 1+X, 6+5+6+1, Top10)
    re.compile(r"[0-9]+(?:\.[0-9]+)?(?!m²)[A-Za-z]+"),
    re.compile(r"[0-9]+(?:\s*\+\s*[0-9A-Za-z]+)+"),
    # section numbers with two or more dots (1.2.3) and phone numbers
    re.compile(r"(?<![0-9.])[0-9]{1,2}(?:\.[0-9]{1,2}){2,}(?![0-9])"),
    re.compile(r"(?<![0-9])(?:0[0-9]{2,3}-?[0-9]{7,8}|1[3-9][0-9]{9}|400-?[0-9]{3}-?[0-9]{4})(?![0-9])"),
    # a number in quotes is a name ("51020"现代产业体系), and ranges are two figures at once (20%~30%)
    re.compile(r"[“\"「][0-9+\-.]+[”\"」]"),
    re.compile(_NUM + r"\s*%?\s*[~～\-–—至到]\s*" + _NUM + r"\s*%?"),
)
_BARE_YEAR_RE = re.compile(r"(?<![0-9.,])" + _YEAR + r"(?![0-9.,%])")
_SECTION_NUMBER_RE = re.compile(r"^\s*(?P<number>[0-9]{1,2}(?:\.[0-9]{1,2})*)(?:[.、)]|\s+)?(?=[\u4e00-\u9fff])")
_ANY_DIGIT_RE = re.compile(r"[0-9]")
_CJK_CHARS = "\u4e00-\u9fff"
_NO_VALUE_RE = re.compile(
    r"^(?:[—–\-－_/／\\×xX*…·.。]+|未统计|暂无(?:数据)?|无数据|不适用|未填报?|不详|空|N/?A|n/?a|null|None|/|无)$"
)
_CN_WORD_BEFORE = re.compile(r"[\u4e00-\u9fff”」）)]$")


def half_width(text: str) -> str:
    """Map full-width digits and signs (``１８．４６％``, ``∶``) to ASCII, one character for one.

    Args:
        text: any text.

    Returns:
        A string of the same length, so offsets into it are offsets into ``text``.
    """
    return text.translate(_HALF_WIDTH)


def cn_numeral_value(numeral: str) -> int | None:
    """Value of a Chinese numeral for small counts (``十二`` → 12, ``两`` → 2, ``一百零五`` → 105).

    Args:
        numeral: Chinese numeral characters only.

    Returns:
        The integer, or ``None`` when the characters do not form a well-written numeral (``一二``, ``十十``).
    """
    if not numeral or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in numeral):
        return None
    total, digit, last_unit = 0, None, 10_000
    for i, c in enumerate(numeral):
        if c in _CN_DIGITS:
            if digit is not None and numeral[i - 1] not in "零〇":
                return None  # two digits in a row (一二) is a list, not a number
            digit = _CN_DIGITS[c]
        else:
            unit = _CN_UNITS[c]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    return total + (digit or 0)


def is_no_value(text: str) -> bool:
    """True for a cell that states no value: blank, "—", "-", "/", "－", "未统计", "暂无", "不适用" ….

    Such a cell is a placeholder; it must never be read as 0.
    """
    t = half_width(text).strip()
    return not t or bool(_NO_VALUE_RE.match(t))


def find_periods(text: str) -> list[Period]:
    """The periods ``text`` states (``2023届``, ``2022年``, ``2022-2023学年``), in text order; dates are not periods.

    Args:
        text: running text or a table cell.

    Returns:
        Periods with offsets into ``text``.
    """
    t = half_width(text)
    periods: list[Period] = []
    for m in _PERIOD_RE.finditer(t):
        after = t[m.end() : m.end() + 3]
        if m.group("suffix") == "年" and re.match(r"\s*[0-9]{1,2}\s*月", after):
            continue  # 2023年12月 is a date
        y2 = m.group("y2")
        # 2022-2023学年 is one school year, not a span of two
        one_school_year = y2 is not None and m.group("suffix").startswith("学年") and int(y2) == int(m.group("y1")) + 1
        periods.append(
            Period(text[m.start() : m.end()], m.start(), m.end(), is_range=y2 is not None and not one_school_year)
        )
    return periods


def _masked(t: str) -> list[bool]:
    """For each character, True when it lies in a span that holds no figure (dates, labels, codes …)."""
    mask = [False] * len(t)

    def cover(start: int, end: int) -> None:
        for i in range(start, end):
            mask[i] = True

    for pattern in _NOT_FIGURES:
        for m in pattern.finditer(t):
            cover(m.start(), m.end())
    section = _SECTION_NUMBER_RE.match(t)
    if section:
        figure = _FIGURE_RE.match(t, section.start("number"))
        if not (figure and (figure.group("pct") or figure.group("base") or figure.group("mult"))):
            cover(section.start(), section.end())  # "1.学院结构", "1.2 定位"; not "1.5倍", "3所高校"
    for m in _BARE_YEAR_RE.finditer(t):
        after, before = t[m.end() : m.end() + 6], t[max(0, m.start() - 2) : m.start()]
        if re.match(r"\s*" + _UNIT_RE, after):
            continue  # "2023人" is a count
        if re.match(f"\\s*[{_CJK_CHARS}]", after) or re.search(r"(?:于|在|从|自|至|到|截至)\s*$", before):
            cover(m.start(), m.end())  # "2023世界大学排行榜", "创建于1972": years; "专任教师 | 1986" stays a count
    return mask


def _value(number: str) -> float:
    return float(number.replace(",", ""))


def _unit_ok(t: str, end: int, unit: str) -> bool:
    """False when the unit character begins another word (``3分别为``, ``2人均``, ``三门峡``)."""
    nxt = t[end : end + 1]
    return not (nxt and unit[-1] in _NOT_UNIT_AFTER and nxt in _NOT_UNIT_AFTER[unit[-1]])


def _prefix_qualifier(t: str, start: int) -> tuple[str | None, int]:
    """A qualifier written just before ``start`` (``约``, ``超过`` …) and where the figure's text then begins."""
    before = t[:start].rstrip(" ")
    for q in _PREFIX_QUALIFIERS:
        if before.endswith(q):
            return q, len(before) - len(q)
    return None, start


def _footnote_number(t: str, start: int, end: int) -> bool:
    """A 1–2 digit number glued between a word and 为/是/”/（: a footnote reference (``落实率1为``)."""
    if end - start > 2 or start == 0 or not _CN_WORD_BEFORE.search(t[:start]):
        return False
    return t[end : end + 1] in ("为", "是", "达", "”", "」", "（", "(", ":", "，", "、")


def find_figures(text: str) -> list[Figure]:
    """Every figure in running text, in text order.

    Years, periods, dates, labels (表1-2, 图3), ordinals (第3位), section numbers, document numbers, codes,
    phone numbers, numbers in ranges and footnote references (``落实率1为``) are not figures.

    Args:
        text: a sentence, paragraph or table row.

    Returns:
        Figures with offsets into ``text``; ``text[f.start:f.end] == f.text``.
    """
    t = half_width(text)
    mask = _masked(t) if _ANY_DIGIT_RE.search(t) else [False] * len(t)
    taken = [False] * len(t)
    found: list[Figure] = []

    def free(s: int, e: int) -> bool:
        return not any(mask[s:e]) and not any(taken[s:e])

    for m in _PERCENT_WORD_RE.finditer(t):
        raw = m.group("num")
        value = _value(raw) if raw[0].isdigit() else cn_numeral_value(raw)
        if value is not None and free(m.start(), m.end()):
            found.append(_finish(text, t, FigureKind.PERCENT, float(value), "%", m.start(), m.end(), None, taken))

    for m in _FIGURE_RE.finditer(t):
        figure = _arabic_figure(t, m, mask)
        if figure is None:
            continue
        kind, value, unit, end, mid = figure
        if free(m.start(), end):
            found.append(_finish(text, t, kind, value, unit, m.start(), end, mid, taken))

    for m in _CN_FIGURE_RE.finditer(t):
        numeral, s = m.group("cn"), m.start()
        value = cn_numeral_value(numeral)
        if value is None or numeral in ("一", "百", "千") or not free(s, m.end()):
            continue  # 一个, 一所: an article; 百家, 千家万户: words
        if (s > 0 and t[s - 1] in "第之每前后") or not _unit_ok(t, m.end(), m.group("unit")):
            continue
        unit, mid = m.group("unit"), m.group("q_mid")
        found.append(_finish(text, t, FigureKind.AMOUNT, float(value), unit, s, m.end(), mid, taken))
    return sorted(found, key=lambda f: f.start)


def _arabic_figure(t: str, m: re.Match[str], mask: list[bool]) -> tuple[FigureKind, float, str, int, str | None] | None:
    """Kind, value, unit, end and inner qualifier of an Arabic-digit match, or ``None`` when it is no figure."""
    s, num_end = m.start(), m.end("num")
    if any(mask[s:num_end]) or (s > 0 and (t[s - 1].isdigit() or t[s - 1] in ".,")):
        return None
    value = _value(m.group("num"))
    if m.group("ratio"):
        a, b = value, _value(m.group("num2"))
        if any(mask[s : m.end("num2")]) or t[m.end("num2") : m.end("num2") + 1] == ":":
            return None
        if b == 1:
            return FigureKind.RATIO, a, ":1", m.end("num2"), None
        if a == 1:
            return FigureKind.RATIO, b, "1:", m.end("num2"), None
        if b in (10, 100, 1000) and "." not in m.group("num2"):
            return FigureKind.RATIO, a, f":{int(b)}", m.end("num2"), None
        return None  # 3:2 or 12:30 states nothing we can name without its context
    if m.group("pct") and not any(mask[s : m.end("pct")]):
        return FigureKind.PERCENT, value, "%", m.end("pct"), None
    mid = m.group("q_mid") or m.group("q_mid2")
    last = max((m.end(g) for g in ("mult", "base") if m.group(g)), default=-1)
    if last > 0 and not any(mask[s:last]):
        unit = (m.group("mult") or "") + (m.group("base") or "").strip()
        if m.group("base") and not _unit_ok(t, m.end("base"), unit):
            if not m.group("mult"):
                return FigureKind.COUNT, value, "", m.end("q_mid") if m.group("q_mid") else num_end, mid
            unit, last = m.group("mult"), m.end("q_mid2") if m.group("q_mid2") else m.end("mult")
        return FigureKind.AMOUNT, value, unit, last, mid
    if _footnote_number(t, s, num_end) or t[num_end : num_end + 1] in (":", "."):
        return None  # 落实率1为: a footnote reference; "1." a list number
    end = m.end("q_mid") if m.group("q_mid") else num_end
    return FigureKind.COUNT, value, "", end, mid


def _finish(
    text: str,
    t: str,
    kind: FigureKind,
    value: float,
    unit: str,
    start: int,
    end: int,
    mid_qualifier: str | None,
    taken: list[bool],
) -> Figure:
    """Attach the qualifier before and after and a footnote marker; mark the span taken."""
    qualifier, start = _prefix_qualifier(t, start)
    suffix = _SUFFIX_RE.match(t, end)
    marker = None
    if suffix and suffix.end() > end:
        marker = suffix.group("marker")
        post = suffix.group("q_post")
        if post and not (post == "多" and t[suffix.end() : suffix.end() + 1] in "元样种个"):
            qualifier = qualifier or post
            end = suffix.end()
        elif marker:
            end = suffix.start("marker") + len(marker)
    qualifier = qualifier or mid_qualifier
    for i in range(start, end):
        taken[i] = True
    return Figure(kind, value, unit, text[start:end], start, end, qualifier, marker)


_PLAIN_CELL_RE = re.compile(r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)(?P<pct>\s*%)?")


@lru_cache(maxsize=8192)
def parse_figure(cell: str) -> Figure | None:
    """Read a whole table cell as one figure.

    Args:
        cell: the cell text (``18.46``, ``67.21%``, ``1:284``, ``约3.2万``, ``18.46¹``, ``１８．４６``).

    Returns:
        The figure, its offsets relative to ``cell``; ``None`` for a placeholder ("—", "/", "未统计", blank),
        text, a date or period (``2023届``), or a cell holding more than one figure (``2400（88.10%）``).
    """
    t = half_width(cell)
    stripped = t.strip()
    lead = len(t) - len(t.lstrip())
    plain = _PLAIN_CELL_RE.fullmatch(stripped)
    if plain and not re.fullmatch(_YEAR, stripped):  # the common cell (512, 9.80%) needs no full grammar
        kind, unit = (FigureKind.PERCENT, "%") if plain.group("pct") else (FigureKind.COUNT, "")
        return Figure(
            kind, _value(plain.group("num")), unit, cell[lead : lead + len(stripped)], lead, lead + len(stripped)
        )
    if is_no_value(cell):
        return None
    if re.fullmatch(_YEAR, stripped):
        # a bare 2023 in a cell can be a count; a period needs a 年/届 suffix, so keep it as a number
        value = _value(stripped)
        return Figure(FigureKind.COUNT, value, "", cell[lead : lead + 4], lead, lead + 4)
    figures = find_figures(cell)
    if len(figures) != 1:
        return None
    f = figures[0]
    if cell[: f.start].strip() or cell[f.end :].strip():
        return None
    return f


_MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "千": Decimal(1_000)}
_SAME_UNIT = {"名": "人", "位": "人", "㎡": "平方米", "m²": "平方米", "个百分点": "百分点"}


def normalize(value: float, unit: str) -> tuple[float, str]:
    """Bring a value to its base unit, to compare figures written in different units.

    ``万元``/``亿元``/``千元`` → ``元``; ``万人``/``万名`` → ``人`` (名 and 位 count people too); ``万册`` → ``册``;
    ``万平方米``/``㎡`` → ``平方米``; a bare ``万``/``亿`` → no unit; ratios ``:100``/``:10`` → ``:1``;
    ``%``, ``1:`` and other units are already base units.

    Args:
        value: the value as written.
        unit: its unit as written (:attr:`Figure.unit` or a fact's unit).

    Returns:
        ``(value, base_unit)``.

    Example:
        >>> normalize(3.2, "万人")
        (32000.0, '人')
        >>> normalize(165, ":100")
        (1.65, ':1')
    """
    unit = unit.strip()
    v = Decimal(str(value))
    if re.fullmatch(r":[0-9]+", unit) and unit != ":1":
        return float(v / Decimal(unit[1:])), ":1"
    if len(unit) >= 1 and unit[0] in _MULTIPLIERS and unit not in ("千米",):
        rest = unit[1:]
        if not rest or rest in _BASE_UNITS:
            v *= _MULTIPLIERS[unit[0]]
            unit = rest
    return float(v), _SAME_UNIT.get(unit, unit)
