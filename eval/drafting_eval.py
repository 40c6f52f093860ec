"""Self-report drafting on generated materials with known facts: are sentences supported, points covered, figures right?

Each generated report is cut into several supporting files (one per chapter, alternately PDF and DOCX, as a
university uploads regulations, yearly reports and data tables), each parsed, fact-extracted and indexed on its
own, then merged into one collection as the service does. The draft is then scored against the generator's labels:

* **citation support**: the share of draft sentences whose quote stands verbatim at the cited chunk, offsets and
  pages and supports the sentence (no figure or wording the quote lacks); the product requires 100%;
* **coverage**: of the 审核重点 the materials hold evidence for (not planted as omitted), the share drafted with at
  least one sentence or figure;
* **gap recall**: of the 审核重点 planted as omitted, the share listed as gaps (nothing invented for them);
* **wrong figures**: figures whose value is not the generated value of their metric or not verbatim in the
  cited source (must be 0); a metric the materials state with different values (a distractor says 592 专任教师,
  the data 1827) is drafted as a conflict for the university to resolve, never as one of the values.

Example:
    >>> result = run_drafting_eval(embedder, rubric, seeds=(7,), pages=12)  # doctest: +SKIP
    >>> result.support  # doctest: +SKIP
    1.0
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from backend.domain.assessment import DrafterKind
from backend.domain.report_draft import InstitutionProfile, ReportDraft, SourceDocument
from backend.drafting.composer import Materials, draft_report
from backend.drafting.verify import check_draft
from backend.drafting.writers import ExtractiveWriter, SectionWriter
from backend.rubrics.models import Rubric
from corpus.generator import Heading, ReportLabels, SyntheticReport, generate_report
from corpus.writers import write_docx, write_pdf
from indexing.embedding import Embedder
from indexing.facts import extract_facts
from indexing.parsing import parse_path
from indexing.pipeline import index_documents
from indexing.store import Collection

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Topics planted as omitted in every generated set: one per chapter, quantitative and qualitative.
DEFAULT_OMIT = frozenset({"1.1.3", "2.2.2", "3.1.5", "4.2.2", "5.3.1", "6.2.2", "7.1.2"})


@dataclass(frozen=True)
class DraftingScore:
    """Scores of one drafted report."""

    report_id: str
    files: int
    sentences: int
    supported: int
    points_with_material: int
    covered: int
    omitted: int
    omitted_as_gap: int
    invented_on_omitted: int
    figures: int
    wrong_figures: int
    conflicts: int
    dropped: int
    seconds: float


@dataclass
class DraftingResult:
    """Scores of every report and their totals."""

    drafter: str
    reports: list[DraftingScore] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.reports)

    @property
    def support(self) -> float:
        """Share of sentences whose citation is verbatim and supports them (1.0 required)."""
        return self._sum("supported") / max(self._sum("sentences"), 1)

    @property
    def coverage(self) -> float:
        """Share of 审核重点 with material that the draft answers."""
        return self._sum("covered") / max(self._sum("points_with_material"), 1)

    @property
    def gap_recall(self) -> float:
        """Share of omitted 审核重点 listed as gaps."""
        return self._sum("omitted_as_gap") / max(self._sum("omitted"), 1)

    @property
    def wrong_figures(self) -> int:
        """Figures that differ from their source or from the generated value (0 required)."""
        return self._sum("wrong_figures")


def split_materials(report: SyntheticReport, out_dir: Path) -> list[Path]:
    """The report cut at its chapters into files, alternately PDF (with pages) and DOCX."""
    parts: list[list] = []
    for element in report.elements:
        if (isinstance(element, Heading) and element.level == 1) or not parts:
            parts.append([])
        parts[-1].append(element)
    paths = []
    for n, elements in enumerate(parts, start=1):
        title = elements[0].text if isinstance(elements[0], Heading) else report.title
        part = SyntheticReport(title=f"{report.labels.school}{title}", elements=tuple(elements), labels=report.labels)
        path = out_dir / f"材料{n:02d}.{'pdf' if n % 2 else 'docx'}"
        (write_pdf if n % 2 else write_docx)(part, path)
        paths.append(path)
    return paths


def index_materials(paths: Sequence[Path], embedder: Embedder, work: Path) -> Materials:
    """Parse, extract facts and index each file on its own, then merge the indexes (as the service does)."""
    parts, documents, facts = [], [], {}
    for n, path in enumerate(paths):
        document = parse_path(path)
        facts[document.id] = list(extract_facts(document))
        index_documents([document], work / f"v{n}", embedder)
        parts.append(Collection.load(work / f"v{n}"))
        documents.append(SourceDocument(document_id=document.id, name=path.name, version_id=n + 1))
    return Materials(collection=Collection.merged(parts), documents=tuple(documents), facts=facts)


def _known_value_found(figure_text: str, labels: ReportLabels, point_id: str) -> bool:
    numbers = _NUMBER.findall(figure_text)
    texts = labels.evidence_of(point_id)
    return bool(numbers) and all(any(n in t for t in texts) for n in numbers)


def score_draft(draft: ReportDraft, materials: Materials, labels: ReportLabels, seconds: float) -> DraftingScore:
    """Score one draft against the generator's labels."""
    chunks = {c.id: c for c in materials.collection.chunks}
    problems = check_draft(draft, chunks)
    bad_sentences = {(p.point_id, p.text) for p in problems}
    points = {p.point_id: p for s in draft.sections() for p in s.points}
    topics = {t.id: t for t in labels.topics if t.id in points}
    with_material = [t for t in topics.values() if not t.omitted and labels.evidence_of(t.id)]
    omitted = [t for t in topics.values() if t.omitted]
    sentences = [(p.point_id, s.text) for p in points.values() for s in p.sentences]
    figures = [(p.point_id, p.figure) for p in points.values() if p.figure is not None]
    wrong = sum(
        (pid, f.figure.text) in bad_sentences or not _known_value_found(f.figure.text, labels, pid)
        for pid, f in figures
    )
    return DraftingScore(
        report_id=labels.report_id,
        files=len(materials.documents),
        sentences=len(sentences),
        supported=sum(s not in bad_sentences for s in sentences),
        points_with_material=len(with_material),
        covered=sum(bool(points[t.id].sentences or points[t.id].figure) for t in with_material),
        omitted=len(omitted),
        omitted_as_gap=sum(points[t.id].gap_zh is not None for t in omitted),
        invented_on_omitted=sum(len(points[t.id].sentences) for t in omitted),
        figures=len(figures),
        wrong_figures=wrong,
        conflicts=len(draft.conflicts),
        dropped=len(draft.dropped),
        seconds=round(seconds, 2),
    )


def run_drafting_eval(
    embedder: Embedder,
    rubric: Rubric,
    *,
    seeds: Sequence[int] = (7,),
    pages: int = 12,
    omit: frozenset[str] = DEFAULT_OMIT,
    writer: SectionWriter | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> DraftingResult:
    """Generate materials per seed, draft a report from them and score it.

    Args:
        embedder: the embedder to index and search with.
        rubric: the rubric whose point ids are the generator's topic ids (审核评估 第二类).
        seeds: one generated report per seed.
        pages: target pages of each generated report (all its files together).
        omit: topics left out of the materials.
        writer: the section writer (extractive by default).
        progress: called with (done, total) reports.

    Returns:
        Per-report scores and totals.
    """
    writer = writer or ExtractiveWriter()
    result = DraftingResult(drafter=writer.kind.value if writer.kind else DrafterKind.EXTRACTIVE.value)
    for n, seed in enumerate(seeds, start=1):
        report = generate_report(seed, pages=pages, omit=omit)
        with tempfile.TemporaryDirectory(prefix="ciqa-drafting-eval-") as tmp:
            work = Path(tmp)
            materials = index_materials(split_materials(report, work), embedder, work)
            started = time.perf_counter()
            profile = InstitutionProfile(name=report.labels.school, category=report.labels.institution_type)
            draft = draft_report(materials, embedder, rubric, writer, profile)
            result.reports.append(score_draft(draft, materials, report.labels, time.perf_counter() - started))
        progress(n, len(seeds))
    return result
