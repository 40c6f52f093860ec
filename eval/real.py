"""Evaluation on real university documents against hand-checked gold files (``ciqa eval real``).

The gold files under ``eval/real/*.yaml`` were read off the PDFs by eye (never by our parser): the printed
table of contents with the PDF page each heading really stands on, and figures (metric, value, unit, page,
table or sentence). The documents themselves stay outside the repository (``../shared/real-docs/``).

Metrics per document:

* **Headings**: the share of TOC entries found as a body heading on their page (±1) at the level the TOC
  gives (``toc_found``), the share found at all whatever the level, and the number of TOC lines that became
  body blocks (``toc_lines_in_body``, must be 0).
* **Facts**: for each gold figure, the extracted facts that *correspond* to it — same page, comparable unit,
  the same metric label (and row label for a matrix cell; the same caption when both have one). ``recall`` = gold
  figures with a corresponding fact of the right value; ``precision`` = the same among gold figures for which
  some corresponding fact is stated. A wrong number stated for a metric counts against precision; a missing one
  only against recall.
* **Review figures**: every quantitative point of the type-2 rubric looked up as a review does; the figures the
  report states (``review_figures`` in the gold) must be shown with their value and unit, no other may be shown.
* **Table-row retrieval at 3**: for each gold table figure, the hybrid search for its metric name (with the row
  label for a matrix cell) must return, in its top 3, a chunk holding the row (label and value on one line).
* **Parse speed**: pages per second of the text-layer parse.

Example:
    >>> results = evaluate_real(Path("eval/real"), Path("../shared/real-docs"), embedder)  # doctest: +SKIP
    >>> results[0].facts.precision  # doctest: +SKIP
    0.99
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from indexing.chunking import chunk_document
from indexing.embedding import Embedder
from indexing.facts import MATRIX_SEPARATOR, extract_facts
from indexing.figures import normalize
from indexing.models import BlockKind, Document, Fact
from indexing.options import ParseOptions
from indexing.parsing import parse
from indexing.pipeline import index_documents
from indexing.search import HybridSearcher, SearchMode
from indexing.store import Collection

GOLD_DIR = Path(__file__).parent / "real"
REVIEW_RUBRIC = "audit-2021-type2"
_LEADING_SCOPE = re.compile(
    r"^(?:\d{4}(?:届|学年|年度|年)?|截至目前|目前|学校|全校|我校|本校|该校|其中|现有|设有|共有|有)+"
)
# A label's extra leading words that name another population or a share make it another metric
# (本科毕业生毕业去向落实率 is not 毕业去向落实率, 男生占毕业生总人数 is not 毕业生总人数).
_OTHER_METRIC = re.compile(r"本科|研究生|专科|硕士|博士|男|女|占|与|和|、|省|市|外|内")
_TOTAL_ROWS = frozenset({"合计", "总计", "全校", "全校合计", "总体", "平均", "全校平均"})


@dataclass(frozen=True)
class GoldHeading:
    """A TOC entry as printed, with the PDF page its heading stands on in the body."""

    title: str
    level: int
    body_page: int
    toc_page: int | None = None


@dataclass(frozen=True)
class GoldFact:
    """A figure read off the page by eye."""

    metric: str
    value: float
    unit: str
    page: int
    where: str
    row: str | None = None
    table_title: str | None = None
    qualifier: str | None = None
    period: str | None = None


@dataclass(frozen=True)
class GoldFigure:
    """What a review must show for a rubric metric the report states."""

    value: float
    unit: str
    page: int


@dataclass(frozen=True)
class GoldDocument:
    """The gold file of one real document."""

    document: str
    sha256: str
    headings: tuple[GoldHeading, ...]
    facts: tuple[GoldFact, ...]
    toc_pages: tuple[int, ...] = ()
    review_figures: dict[str, GoldFigure] = field(default_factory=dict)


@dataclass(frozen=True)
class HeadingMetrics:
    """Body headings against the printed TOC."""

    toc_entries: int
    toc_found: float
    toc_found_any_level: float
    toc_lines_in_body: int
    missed: tuple[str, ...] = ()


@dataclass(frozen=True)
class FactMetrics:
    """Extracted facts against the gold figures."""

    gold: int
    extracted: int
    precision: float
    recall: float
    wrong: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewFigureMetrics:
    """A review's quantitative points on the report: the stated figures shown right, and nothing else shown."""

    metrics: int
    stated: int
    shown_right: int
    shown_wrong: tuple[str, ...] = ()
    not_shown: tuple[str, ...] = ()
    shown_but_not_stated: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetrievalMetrics:
    """Table-row retrieval: the row of a gold table figure in the top 3 of a search for its metric."""

    queries: int
    row_at_3: float
    missed: tuple[str, ...] = ()


@dataclass
class RealResult:
    """Everything measured on one real document."""

    document: str
    pages: int
    parse_seconds: float
    pages_per_second: float
    headings: HeadingMetrics
    facts: FactMetrics
    review_figures: ReviewFigureMetrics
    retrieval: RetrievalMetrics | None = None
    notes: list[str] = field(default_factory=list)


def load_gold(path: Path) -> GoldDocument:
    """Read one gold YAML file (format: see the files under ``eval/real/``)."""
    data = yaml.safe_load(path.read_text("utf-8"))
    headings = tuple(
        GoldHeading(str(h["title"]), int(h["level"]), int(h["body_page"]), h.get("toc_page")) for h in data["toc"]
    )
    facts = tuple(
        GoldFact(
            metric=str(f["metric"]),
            value=float(f["value"]),
            unit=str(f.get("unit") or ""),
            page=int(f["page"]),
            where=str(f["where"]),
            row=str(f["row"]) if f.get("row") else None,
            table_title=f.get("table_title"),
            qualifier=f.get("qualifier"),
            period=str(f["period"]) if f.get("period") else None,
        )
        for f in data["facts"]
    )
    toc_pages = tuple(int(p) for p in (data.get("layout") or {}).get("toc_pages") or ())
    figures = {
        str(name): GoldFigure(float(f["value"]), str(f["unit"]), int(f["page"]))
        for name, f in (data.get("review_figures") or {}).items()
    }
    return GoldDocument(str(data["document"]), str(data["sha256"]), headings, facts, toc_pages, figures)


def _key(text: str) -> str:
    """Text reduced for comparison: NFKC, no spaces, dot leaders or punctuation."""
    t = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s.…·・,，、:：;；。!！?？\"“”'‘’()（）\[\]【】《》<>|/\\-]", "", t)


def heading_metrics(document: Document, gold: GoldDocument) -> HeadingMetrics:
    """Compare the parsed heading tree with the printed TOC."""
    headings = [b for b in document.blocks if b.kind is BlockKind.HEADING]
    found = found_any = 0
    missed = []
    for entry in gold.headings:
        want = _key(entry.title)
        near = [h for h in headings if h.page is not None and abs(h.page - entry.body_page) <= 1]
        matches = [h for h in near if _key(h.text) == want or (want and _key(h.text).endswith(want))]
        if matches:
            found_any += 1
            if any(h.heading_level == entry.level for h in matches):
                found += 1
                continue
            missed.append(f"{entry.title}（层级 {matches[0].heading_level}，应为 {entry.level}）")
        else:
            missed.append(f"{entry.title}（第 {entry.body_page} 页未识别为标题）")
    toc_pages = set(gold.toc_pages) or {h.toc_page for h in gold.headings if h.toc_page}
    in_body = sum(1 for b in document.blocks if b.page in toc_pages and b.kind is not BlockKind.TABLE)
    n = len(gold.headings) or 1
    return HeadingMetrics(len(gold.headings), round(found / n, 4), round(found_any / n, 4), in_body, tuple(missed))


def _same_value(fact: Fact, gold: GoldFact) -> bool:
    """Same figure: equal within the rounding of the written value, in comparable units."""
    if fact.unit == gold.unit:
        return abs(fact.value - gold.value) <= 1e-6 * max(1.0, abs(gold.value))
    a, base_a = normalize(fact.value, fact.unit)
    b, base_b = normalize(gold.value, gold.unit)
    return base_a == base_b and abs(a - b) <= 1e-6 * max(1.0, abs(b))


def _same_unit(fact: Fact, gold: GoldFact) -> bool:
    return normalize(1.0, fact.unit)[1] == normalize(1.0, gold.unit)[1]


def _label(text: str) -> str:
    """A sentence label without the words that only say whose or when (学校2023届…): those do not change the metric."""
    return _LEADING_SCOPE.sub("", _key(text))


def corresponds(fact: Fact, gold: GoldFact) -> bool:
    """The fact states the gold figure's metric on its page, in a comparable unit (value not compared).

    A gold figure with a row label is a matrix cell: the fact's row and column labels must hold the gold row and
    metric. Without one: a key–value row or a sentence with the same label; or the row of a wider table named by
    the gold metric (毕业去向 | 人数 | 占比: the row's 人数 and 占比 are told apart by their unit); or a total row.
    """
    if fact.page != gold.page or not _same_unit(fact, gold):
        return False
    if gold.period and fact.period and _key(gold.period) != _key(fact.period):
        return False
    if gold.table_title and fact.table_title and _key(gold.table_title) != _key(fact.table_title):
        return False  # same labels in two tables on one page (本科 and 研究生): the caption tells them apart
    want = _label(gold.metric)
    row, _, column = fact.metric.partition(MATRIX_SEPARATOR)
    if gold.row is not None:
        return bool(column) and _key(gold.row) in _key(row) and _key(gold.metric) in _key(column)
    if column:
        return _label(row) == want or (_key(column) == _key(gold.metric) and _key(row) in _TOTAL_ROWS)
    label = _label(fact.metric)
    extra = label[: len(label) - len(want)] if want and label.endswith(want) else None
    return extra is not None and len(extra) <= 3 and not _OTHER_METRIC.search(extra)


def fact_metrics(facts: Sequence[Fact], gold: GoldDocument) -> FactMetrics:
    """Precision and recall of extracted facts on the gold figures.

    Both are counted per gold figure: recall over all of them, precision over those for which some fact is stated
    (right when one of the corresponding facts carries the gold value; the other cells of the same row are not
    counted against it).
    """
    right = stated = 0
    wrong, missed = [], []
    for g in gold.facts:
        mine = [f for f in facts if corresponds(f, g)]
        good = [f for f in mine if _same_value(f, g)]
        stated += bool(mine)
        right += bool(good)
        label = f"p{g.page} {g.row + ' · ' if g.row else ''}{g.metric} = {g.value:g}{g.unit}"
        if not good:
            missed.append(label)
        if mine and not good:
            wrong.append(
                label + "，抽取为 " + "、".join(f"{f.metric} = {f.text}（{f.unit or '无单位'}）" for f in mine)
            )
    return FactMetrics(
        gold=len(gold.facts),
        extracted=len(facts),
        precision=round(right / stated, 4) if stated else 0.0,
        recall=round(right / len(gold.facts), 4) if gold.facts else 0.0,
        wrong=tuple(wrong),
        missed=tuple(missed),
    )


def review_figure_metrics(
    document: Document, facts: Sequence[Fact], gold: GoldDocument, rubric_id: str = REVIEW_RUBRIC
) -> ReviewFigureMetrics:
    """Look up every quantitative point's metric as a review does and compare with ``review_figures``."""
    from backend.review.figures import FactIndex
    from backend.rubrics.registry import default_registry

    rubric = default_registry().get(rubric_id)
    index = FactIndex(facts, chunk_document(document))
    metrics = {p.metric.name: p.metric for _, p in rubric.iter_points() if p.metric is not None}
    right, wrong, missing, spurious = 0, [], [], []
    for name, metric in metrics.items():
        shown = index.lookup(metric)
        want = gold.review_figures.get(name)
        if want is None:
            if shown is not None:
                spurious.append(f"{name} = {shown.text}（第 {shown.page} 页）")
        elif shown is None:
            missing.append(f"{name} = {want.value:g}{want.unit}")
        elif abs(shown.value - want.value) <= 1e-6 * max(1.0, want.value) and shown.unit == want.unit:
            right += 1
        else:
            wrong.append(f"{name} = {want.value:g}{want.unit}，显示 {shown.value:g}{shown.unit}（第 {shown.page} 页）")
    return ReviewFigureMetrics(
        len(metrics), len(gold.review_figures), right, tuple(wrong), tuple(missing), tuple(spurious)
    )


def _row_in(text: str, g: GoldFact) -> bool:
    """A line of ``text`` holds the figure's row: its label (row label for matrix cells) and its value."""
    label = _key(g.row or g.metric)
    value = f"{g.value:g}"
    return any(label in _key(line) and value in line.replace(",", "") for line in text.split("\n"))


def retrieval_metrics(collection: Collection, embedder: Embedder, gold: GoldDocument, k: int = 3) -> RetrievalMetrics:
    """Table-row retrieval at ``k`` for the gold table figures."""
    searcher = HybridSearcher(collection, embedder)
    table_facts = [g for g in gold.facts if g.where == "table"]
    found, missed = 0, []
    for g in table_facts:
        query = f"{g.row} {g.metric}" if g.row else g.metric
        hits = searcher.search(query, k, mode=SearchMode.HYBRID)
        if any(_row_in(h.chunk.text, g) for h in hits):
            found += 1
        else:
            missed.append(f"p{g.page} {query} = {g.value:g}")
    n = len(table_facts)
    return RetrievalMetrics(n, round(found / n, 4) if n else 0.0, tuple(missed))


def evaluate_document(
    pdf: Path, gold: GoldDocument, embedder: Embedder | None, *, progress: Callable[[str], None] = lambda s: None
) -> RealResult:
    """Parse (and, with an embedder, index) one real document and measure it against its gold file."""
    data = pdf.read_bytes()
    notes = []
    if hashlib.sha256(data).hexdigest() != gold.sha256:
        notes.append(f"{pdf.name} 与金标文件记录的 sha256 不一致")
    progress("解析")
    started = time.perf_counter()
    document = parse(data, name=pdf.name, options=ParseOptions(ocr=False))
    seconds = time.perf_counter() - started
    pages = document.page_count or 0
    facts = extract_facts(document)
    retrieval = None
    if embedder is not None:
        progress("建立索引")
        with tempfile.TemporaryDirectory(prefix="ciqa-real-") as tmp:
            index_documents([document], Path(tmp), embedder)
            progress("检索")
            retrieval = retrieval_metrics(Collection.load(Path(tmp)), embedder, gold)
    return RealResult(
        document=gold.document,
        pages=pages,
        parse_seconds=round(seconds, 3),
        pages_per_second=round(pages / seconds, 1) if seconds else 0.0,
        headings=heading_metrics(document, gold),
        facts=fact_metrics(facts, gold),
        review_figures=review_figure_metrics(document, facts, gold),
        retrieval=retrieval,
        notes=notes,
    )


def evaluate_real(
    gold_dir: Path, docs_dir: Path, embedder: Embedder | None, *, progress: Callable[[str], None] = lambda s: None
) -> list[RealResult]:
    """Evaluate every gold file whose document is in ``docs_dir``.

    Raises:
        FileNotFoundError: a gold file's document is missing from ``docs_dir``.
    """
    results = []
    for path in sorted(gold_dir.glob("*.yaml")):
        gold = load_gold(path)
        pdf = docs_dir / gold.document
        if not pdf.is_file():
            raise FileNotFoundError(f"缺少真实文档 {pdf}（金标文件 {path.name}）")
        results.append(
            evaluate_document(pdf, gold, embedder, progress=lambda s, n=gold.document: progress(f"{n}：{s}"))
        )
    return results


def run_cli(gold_dir: Path, docs_dir: Path, out_dir: Path, *, retrieval: bool = True) -> list[RealResult]:
    """Evaluate, print tables, save ``real.json``."""
    from rich.console import Console
    from rich.table import Table

    from backend.config import Settings
    from backend.embedding import build_embedder

    console = Console(width=160)  # the table stays readable when printed to a file or a pipe
    embedder = build_embedder(Settings()) if retrieval else None
    results = evaluate_real(gold_dir, docs_dir, embedder, progress=lambda s: console.print(f"… {s}"))
    columns = (
        "文档",
        "页数",
        "页/秒",
        "目录条目",
        "标题命中（层级正确）",
        "目录行进入正文",
        "数据精确率",
        "数据召回率",
    )
    table = Table(*columns, "评审数值（对/应有）", "表格行@3", title="真实文档评测（人工金标）")
    for r in results:
        table.add_row(
            r.document,
            str(r.pages),
            f"{r.pages_per_second:.1f}",
            str(r.headings.toc_entries),
            f"{r.headings.toc_found:.3f}（任意层级 {r.headings.toc_found_any_level:.3f}）",
            str(r.headings.toc_lines_in_body),
            f"{r.facts.precision:.3f}",
            f"{r.facts.recall:.3f}（{r.facts.gold} 项）",
            f"{r.review_figures.shown_right}/{r.review_figures.stated}"
            + (f"，错 {len(r.review_figures.shown_wrong)}" if r.review_figures.shown_wrong else "")
            + (f"，多 {len(r.review_figures.shown_but_not_stated)}" if r.review_figures.shown_but_not_stated else ""),
            f"{r.retrieval.row_at_3:.3f}（{r.retrieval.queries} 项）" if r.retrieval else "未评测",
        )
    console.print(table)
    for r in results:
        for label, items in (
            ("错误数值", r.facts.wrong),
            ("漏掉的数据", r.facts.missed),
            ("未识别的标题", r.headings.missed),
            ("评审显示了错误数值", r.review_figures.shown_wrong),
            ("评审未显示报告给出的数值", r.review_figures.not_shown),
            ("评审显示了报告未给出的数值", r.review_figures.shown_but_not_stated),
            ("表格行未进前 3", r.retrieval.missed if r.retrieval else ()),
        ):
            if items:
                console.print(f"{r.document} {label}（{len(items)}）：" + "；".join(items[:12]))
        for note in r.notes:
            console.print(f"[yellow]{note}[/yellow]")
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = out_dir / "real.json"
    saved.write_text(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1), "utf-8")
    console.print(f"结果：{saved}")
    return results
