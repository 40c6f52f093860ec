"""Consistency evaluation: planted figure conflicts between a report, a supporting file and the state data.

Each case is a small submission made the way universities make one:

* the **self-report**: a Word document (python-docx) converted to PDF by LibreOffice headless, stating the
  current school year's figures in sentences (``2023学年，学校生师比为17.90:1``) and in a table;
* a **supporting file** (支撑材料, DOCX): a table of some metrics over two school years;
* the **state data** (状态数据, XLSX): a sheet with a merged title row, a merged two-row header
  (``统计年度`` over ``2022学年 | 2023学年``) and a ``单位`` column, and a sheet with years as rows and units in
  the headers (``教学经费总额（万元）``).

Period spellings vary between cases (``2023学年``, ``2023-2024学年``, ``2023年``); the report names metrics by
their synonyms (学生与教师比例 for 生师比) and restates true figures rounded (17.9 for 17.94) or in another unit
(1.60万元 for 16002.25元), which must agree, not conflict. Conflicts are planted in
the report or the supporting file, each of one kind:

* ``digit``: one written digit changed;
* ``unit``: a money figure written in 万元 where the state data has 元, or in 元 where it has 万元 (same digits);
* ``year``: the figure of the other school year stated for this one.

The files are parsed and compared with the production code (:func:`indexing.parsing.parse`,
:func:`indexing.statedata.read_state_data`, :func:`backend.review.consistency.compare_sources`). Precision is
over every reported conflict (a conflict on an unplanted metric is a false one); recall is per kind.

Example:
    >>> result = run_consistency(Path("/tmp/c"), cases=2, seed=1)  # doctest: +SKIP
    >>> result.precision >= 0.95
    True
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from backend.db.models import DocumentRole
from backend.review.consistency import Source, Verdict, compare_sources, period_key
from backend.review.figures import label_key
from backend.rubrics.models import Rubric
from indexing.facts import extract_facts
from indexing.parsing import parse_path
from indexing.statedata import read_state_data

RUBRIC_ID = "audit-2021-type2"


class Plant(StrEnum):
    """The kinds of planted conflict."""

    DIGIT = "digit"
    UNIT = "unit"
    YEAR = "year"


PLANT_ZH = {Plant.DIGIT: "数字改动", Plant.UNIT: "单位错写（万元/元）", Plant.YEAR: "年份错位"}


@dataclass(frozen=True)
class _Metric:
    """A metric of the generated materials: the name written, the state-data unit, value range and decimals."""

    name: str
    unit: str  # as the state data states it
    low: float
    high: float
    decimals: int
    money: bool = False

    def written(self, value: float, unit: str | None = None) -> str:
        """The figure as a report writes it (``17.90:1``, ``1732人``, ``45.3%``, ``15230.50元``)."""
        number = f"{value:.{self.decimals}f}"
        unit = self.unit if unit is None else unit
        return f"{number}:1" if unit == ":1" else f"{number}{unit}"


METRICS = (
    _Metric("生师比", ":1", 14.0, 19.5, 2),
    _Metric("专任教师总数", "人", 800, 2400, 0),
    _Metric("具有博士学位教师占比", "%", 20.0, 70.0, 1),
    _Metric("生均教学科研仪器设备值", "元", 9000.0, 30000.0, 2, money=True),
    _Metric("生均图书", "册", 60.0, 130.0, 1),
    _Metric("教学经费总额", "万元", 8000.0, 60000.0, 2, money=True),
    _Metric("生均本科实验经费", "元", 300.0, 1200.0, 2, money=True),
)
# Other names reports use for the same figure (a planted conflict must be found under them too).
SYNONYMS = {
    "生师比": ("学生与教师比", "学生与教师比例"),
    "专任教师总数": ("专任教师人数",),
    "具有博士学位教师占比": ("具有博士学位教师比例",),
    "生均教学科研仪器设备值": ("生均仪器设备值",),
    "生均图书": ("生均纸质图书",),
    "生均本科实验经费": ("生均实验经费",),
}
_YEAR_ROW_METRICS = ("教学经费总额", "生均本科实验经费")  # on the state data's second sheet, years as rows
_PERIOD_STYLES = (
    lambda y: f"{y}学年",
    lambda y: f"{y}-{y + 1}学年",
    lambda y: f"{y}年",
)


@dataclass(frozen=True)
class Planted:
    """A conflict planted in a case: the metric, the period it is stated for, the kind and where."""

    metric: str
    period: str
    kind: Plant
    file: str


@dataclass
class CaseResult:
    """What one case planted and what the comparison reported."""

    case: int
    planted: list[Planted]
    reported: list[tuple[frozenset[str], str | None]]  # each conflict: its statements' metric labels, period
    agreements: int
    uncomparable: int

    def found(self, planted: Planted) -> bool:
        """A conflict was reported for the planted metric (by any label it was stated under) and period."""
        key = label_key(planted.metric)
        return any(key in labels and period_key(p) == period_key(planted.period) for labels, p in self.reported)

    def true_reports(self) -> int:
        """Reported conflicts that match a planted one."""
        return sum(
            any(label_key(p.metric) in labels and period_key(p.period) == period_key(period) for p in self.planted)
            for labels, period in self.reported
        )


@dataclass
class ConsistencyResult:
    """Precision over all reported conflicts, recall per planted kind, and the cases."""

    cases: list[CaseResult] = field(default_factory=list)

    def _hits(self) -> tuple[int, int, dict[Plant, tuple[int, int]]]:
        true_positive = reported = 0
        per_kind: dict[Plant, list[int]] = {k: [0, 0] for k in Plant}
        for case in self.cases:
            reported += len(case.reported)
            true_positive += case.true_reports()
            for p in case.planted:
                per_kind[p.kind][1] += 1
                per_kind[p.kind][0] += case.found(p)
        return true_positive, reported, {k: (v[0], v[1]) for k, v in per_kind.items()}

    @property
    def precision(self) -> float:
        """Reported conflicts that were planted, over all reported conflicts (1.0 when none is reported)."""
        tp, reported, _ = self._hits()
        return tp / reported if reported else 1.0

    def recall(self, kind: Plant | None = None) -> float:
        """Planted conflicts (of one kind, or all) that were reported."""
        _, _, per_kind = self._hits()
        kinds = [kind] if kind else list(Plant)
        found = sum(per_kind[k][0] for k in kinds)
        planted = sum(per_kind[k][1] for k in kinds)
        return found / planted if planted else 1.0

    def rows(self) -> list[tuple[str, int, int, float, float]]:
        """(kind, planted, found, precision, recall) per kind and overall; precision is only overall."""
        tp, _, per_kind = self._hits()
        out: list[tuple[str, int, int, float, float]] = []
        for kind in Plant:
            found, planted = per_kind[kind]
            out.append((PLANT_ZH[kind], planted, found, float("nan"), found / planted if planted else 1.0))
        out.append(("合计", sum(v[1] for v in per_kind.values()), tp, self.precision, self.recall()))
        return out


# --- generation ------------------------------------------------------------------------------------------


def _values(rng: random.Random) -> dict[str, dict[int, float]]:
    """Each metric's value for 2022 and 2023, different enough that a year slip is a visible change."""
    out = {}
    for m in METRICS:
        a = round(rng.uniform(m.low, m.high), m.decimals)
        b = a
        while abs(b - a) < (m.high - m.low) * 0.03:
            b = round(rng.uniform(m.low, m.high), m.decimals)
        out[m.name] = {2022: a, 2023: b}
    return out


def _restated(m: _Metric, value: float, rng: random.Random) -> str:
    """The true figure as a report may restate it: as is, rounded to fewer decimals, or in 万元 (1.60万元)."""
    choice = rng.randrange(3)
    if choice == 1 and m.decimals:
        return f"{value:.{m.decimals - 1}f}" + (":1" if m.unit == ":1" else m.unit)
    if choice == 2 and m.unit == "元" and value >= 10_000:
        return f"{value / 10_000:.2f}万元"
    return m.written(value)


def _change_digit(text: str, rng: random.Random, end: int = -1) -> str:
    """The number with one digit changed (never the leading digit, so the magnitude stays; never the unit's,
    which starts at ``end``)."""
    end = len(text) if end < 0 else end
    positions = [i for i, ch in enumerate(text[:end]) if ch.isdigit()][1:]
    i = rng.choice(positions)
    digit = rng.choice([d for d in "0123456789" if d != text[i]])
    return text[:i] + digit + text[i + 1 :]


def _write_state_data(path: Path, values: dict[str, dict[int, float]], period: Callable[[int], str]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "基本办学条件"
    sheet.append(["表1-1 学校基本办学条件"])
    sheet.merge_cells("A1:D1")
    sheet.append(["指标名称", "统计年度", None, "单位"])
    sheet.append([None, period(2022), period(2023), None])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:C2")
    sheet.merge_cells("D2:D3")
    for m in METRICS:
        if m.name in _YEAR_ROW_METRICS:
            continue
        unit = "" if m.unit == ":1" else m.unit
        sheet.append([m.name, values[m.name][2022], values[m.name][2023], unit])
        for cell in sheet[sheet.max_row][1:3]:
            cell.number_format = _number_format(m)
    money = book.create_sheet("经费")
    money.append(["学年", *(f"{name}（{_metric(name).unit}）" for name in _YEAR_ROW_METRICS)])
    for year in (2022, 2023):
        money.append([period(year), *(values[name][year] for name in _YEAR_ROW_METRICS)])
        for cell, name in zip(money[money.max_row][1:], _YEAR_ROW_METRICS, strict=True):
            cell.number_format = _number_format(_metric(name))
    book.save(path)


def _number_format(m: _Metric) -> str:
    """The cell format a clerk sets: as many decimals as the figure has ("0.00")."""
    return "0." + "0" * m.decimals if m.decimals else "0"


def _metric(name: str) -> _Metric:
    return next(m for m in METRICS if m.name == name)


def _write_report(path: Path, sentences: list[str], table: list[tuple[str, str]], title: str) -> None:
    from docx import Document as Docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Docx()
    doc.add_heading("学校本科教育教学审核评估自评报告", 0)
    doc.add_heading("一、办学基本条件", 1)
    for s in sentences:
        doc.add_paragraph(s)
    caption = doc.add_paragraph(title)  # centred above its table, as reports caption tables
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    grid = doc.add_table(rows=1, cols=2)
    grid.style = "Table Grid"
    grid.rows[0].cells[0].text, grid.rows[0].cells[1].text = "指标", "数值"
    for name, text in table:
        row = grid.add_row()
        row.cells[0].text, row.cells[1].text = name, text
    doc.add_heading("二、人才培养", 1)
    doc.add_paragraph("学校坚持立德树人根本任务，持续深化教育教学改革，教学质量稳步提升。")
    doc.save(path)


def _write_supporting(path: Path, rows: list[tuple[str, str, str]], period: Callable[[int], str]) -> None:
    from docx import Document as Docx

    doc = Docx()
    doc.add_heading("支撑材料：近两年主要办学指标", 1)
    doc.add_paragraph("表1 主要办学指标")
    grid = doc.add_table(rows=1, cols=3)
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, ("指标", period(2022), period(2023)), strict=True):
        cell.text = text
    for row_values in rows:
        row = grid.add_row()
        for cell, text in zip(row.cells, row_values, strict=True):
            cell.text = text
    doc.save(path)


def _plant(m: _Metric, values: dict[str, dict[int, float]], kind: Plant, rng: random.Random) -> str:
    """The figure for 2023 as written with the planted error."""
    if kind is Plant.DIGIT:
        return _change_digit(
            m.written(values[m.name][2023]),
            rng,
            m.written(values[m.name][2023]).find(":1" if m.unit == ":1" else m.unit),
        )
    if kind is Plant.YEAR:
        return m.written(values[m.name][2022])
    slipped = "元" if m.unit == "万元" else "万元"
    return m.written(values[m.name][2023], slipped)


def make_case(out: Path, case: int, *, seed: int, pdf: bool = True) -> tuple[list[tuple[Source, Path]], list[Planted]]:
    """Write one case's three files under ``out``; return them as sources and what was planted."""
    from corpus.office import docx_to_pdf

    rng = random.Random(seed * 1000 + case)
    out.mkdir(parents=True, exist_ok=True)
    values = _values(rng)
    state_period = _PERIOD_STYLES[rng.randrange(len(_PERIOD_STYLES))]
    report_period = _PERIOD_STYLES[rng.randrange(len(_PERIOD_STYLES))]
    supporting_period = _PERIOD_STYLES[rng.randrange(len(_PERIOD_STYLES))]

    names = [m.name for m in METRICS]
    in_table = set(rng.sample(names, 2))
    in_supporting = rng.sample(names, 3)
    planted: list[Planted] = []
    kinds = [Plant.UNIT, Plant.DIGIT, Plant.YEAR]
    money = [m.name for m in METRICS if m.money]
    targets = {Plant.UNIT: rng.choice(money)}
    rest = [n for n in names if n not in targets.values()]
    targets[Plant.DIGIT] = rng.choice(rest)
    rest.remove(targets[Plant.DIGIT])
    targets[Plant.YEAR] = rng.choice(rest)
    by_metric = {targets[k]: k for k in kinds}

    sentences, table = [], []
    for m in METRICS:
        kind = by_metric.get(m.name)
        text = _plant(m, values, kind, rng) if kind else _restated(m, values[m.name][2023], rng)
        name = rng.choice((m.name, *SYNONYMS.get(m.name, ())))
        if kind:
            planted.append(Planted(m.name, report_period(2023), kind, "report"))
        if m.name in in_table:
            table.append((name, text))
        else:
            sentences.append(f"{report_period(2023)}，学校{name}为{text}。")
    title = f"表2 {report_period(2023)}主要办学指标"

    support_rows = []
    support_slip = rng.choice(in_supporting)
    for name in in_supporting:
        m = _metric(name)
        old, new = m.written(values[name][2022]), m.written(values[name][2023])
        if name == support_slip and name not in by_metric:
            old = _change_digit(old, rng, len(f"{values[name][2022]:.{m.decimals}f}"))
            planted.append(Planted(name, supporting_period(2022), Plant.DIGIT, "supporting"))
        support_rows.append((name, old, new))

    state = out / f"case{case}-状态数据.xlsx"
    _write_state_data(state, values, state_period)
    report_docx = out / f"case{case}-自评报告.docx"
    _write_report(report_docx, sentences, table, title)
    report = docx_to_pdf(report_docx, out / f"case{case}-自评报告.pdf") if pdf else report_docx
    supporting = out / f"case{case}-支撑材料.docx"
    _write_supporting(supporting, support_rows, supporting_period)
    sources = [
        (Source(1, report.name, DocumentRole.MAIN), report),
        (Source(2, supporting.name, DocumentRole.SUPPORTING), supporting),
        (Source(3, state.name, DocumentRole.STATE_DATA), state),
    ]
    return sources, planted


def evaluate_case(
    sources: list[tuple[Source, Path]], planted: list[Planted], rubric: Rubric | None, case: int
) -> CaseResult:
    """Parse the case's files with the production code and compare them."""
    facts = []
    for source, path in sources:
        if source.role is DocumentRole.STATE_DATA:
            facts.append((source, read_state_data(path.read_bytes(), name=path.name).facts))
        else:
            facts.append((source, extract_facts(parse_path(path))))
    result = compare_sources(facts, rubric)
    return CaseResult(
        case,
        planted,
        [(frozenset(label_key(s.fact.metric) for s in c.statements), c.period) for c in result.conflicts],
        result.count(Verdict.AGREE),
        result.count(Verdict.UNCOMPARABLE),
    )


def run_consistency(
    out: Path,
    *,
    cases: int,
    seed: int = 0,
    rubric: Rubric | None = None,
    pdf: bool = True,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ConsistencyResult:
    """Generate ``cases`` cases under ``out``, compare each, and collect precision and recall."""
    result = ConsistencyResult()
    for case in range(cases):
        sources, planted = make_case(out, case, seed=seed, pdf=pdf)
        result.cases.append(evaluate_case(sources, planted, rubric, case))
        progress(case + 1, cases)
    return result


def run_cli(out_dir: Path, *, cases: int, seed: int, pdf: bool, as_json: bool) -> ConsistencyResult:
    """Run the evaluation with a progress bar; print the table (or JSON) and save the result as JSON."""
    import json
    import math
    import tempfile
    from dataclasses import asdict

    from rich.console import Console
    from rich.table import Table

    from backend.config import Settings
    from backend.rubrics.registry import default_registry

    console = Console(stderr=as_json)
    rubric = default_registry(Settings().rubrics_dir).get(RUBRIC_ID)
    with tempfile.TemporaryDirectory(prefix="ciqa-consistency-") as tmp, console.status("生成材料并比对…") as status:
        result = run_consistency(
            Path(tmp),
            cases=cases,
            seed=seed,
            rubric=rubric,
            pdf=pdf,
            progress=lambda done, total: status.update(f"生成材料并比对… {done}/{total}"),
        )
    payload = {
        "cases": cases,
        "seed": seed,
        "precision": result.precision,
        "recall": result.recall(),
        "agreements": sum(c.agreements for c in result.cases),
        "uncomparable": sum(c.uncomparable for c in result.cases),
        "rows": [{"kind": k, "planted": n, "found": f, "recall": r} for k, n, f, _, r in result.rows()],
        "details": [asdict(c) | {"reported": [[sorted(labels), p] for labels, p in c.reported]} for c in result.cases],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "consistency.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), "utf-8")
    if as_json:
        print(json.dumps({k: v for k, v in payload.items() if k != "details"}, ensure_ascii=False))
        return result
    table = Table(title=f"数据一致性评测（{cases} 套材料，种子 {seed}）")
    for name in ("冲突类型", "埋设", "检出", "精确率", "召回率"):
        table.add_column(name, justify="left" if name == "冲突类型" else "right")
    for kind, planted, found, precision, recall in result.rows():
        shown = "—" if math.isnan(precision) else f"{precision:.3f}"
        table.add_row(kind, str(planted), str(found), shown, f"{recall:.3f}")
    console.print(table)
    agree = sum(c.agreements for c in result.cases)
    unsure = sum(c.uncomparable for c in result.cases)
    console.print(
        f"一致 {agree} 项，无法比对 {unsure} 项。"
        "精确率按全部报告的冲突计算（未埋设的冲突即为误报）；召回率按类型计算。",
        soft_wrap=True,
    )
    return result
