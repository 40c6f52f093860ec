"""The synthetic report generator: determinism, planted defects, labels, and both renderings."""

from __future__ import annotations

import re

import pdfplumber
import pytest
from docx import Document

from corpus.catalogue import ItemKind, Strength, all_topics
from corpus.generator import generate_report, load_labels, write_labels
from corpus.writers import write_docx, write_pdf

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub("", text)


def test_same_seed_same_report_and_different_seeds_differ():
    a, b, c = generate_report(3, pages=30), generate_report(3, pages=30), generate_report(4, pages=30)
    assert a == b
    assert a.labels.school != c.labels.school or a.plain_text() != c.plain_text()
    first_a = [i.text for i in a.labels.items if i.topic_id == "6.1.3"]
    first_c = [i.text for i in c.labels.items if i.topic_id == "6.1.3"]
    assert first_a != first_c


def test_every_topic_has_labelled_evidence_and_distractors_exist():
    report = generate_report(5, pages=40)
    with_evidence = {i.topic_id for i in report.labels.items if i.topic_id}
    assert with_evidence == {t.id for t in all_topics()}
    assert any(i.topic_id is None for i in report.labels.items)
    text = report.plain_text()
    assert all(i.text in text for i in report.labels.items if i.kind is ItemKind.PARAGRAPH)


def test_omit_removes_all_evidence_of_those_topics_only():
    omit = frozenset({"4.2.3", "6.3.1", "2.2.2"})
    full, cut = generate_report(8, pages=30), generate_report(8, pages=30, omit=omit)
    assert not any(i.topic_id in omit for i in cut.labels.items)
    assert {i.topic_id for i in cut.labels.items if i.topic_id} == {
        i.topic_id for i in full.labels.items if i.topic_id
    } - omit
    assert [t.omitted for t in cut.labels.topics if t.id in omit] == [True] * 3
    metric_names = [t.metric.table_label for t in all_topics() if t.id == "4.2.3" and t.metric]
    assert not any(f"{name} |" in cut.plain_text() for name in metric_names)


def test_unsupported_topics_are_bare_claims():
    topics = frozenset({"6.1.3", "4.4.1", "4.2.3"})
    report = generate_report(9, pages=30, unsupported=topics)
    items = [i for i in report.labels.items if i.topic_id in topics]
    assert items and all(i.claim for i in items)
    for i in items:
        assert not re.search(r"\d", i.text) and "《" not in i.text


def test_strength_is_honoured():
    report = generate_report(10, pages=30, strength={"6.1.3": Strength.WEAK, "4.4.1": Strength.STRONG})
    weak = [i for i in report.labels.items if i.topic_id == "6.1.3"]
    assert weak and all(i.strength is Strength.WEAK for i in weak)
    assert all(not re.search(r"\d", i.text) for i in weak)


def test_labels_round_trip(tmp_path):
    report = generate_report(11, pages=30)
    write_labels(report, tmp_path / "l.json")
    assert load_labels(tmp_path / "l.json") == report.labels


@pytest.mark.parametrize("pages", [30, 100])
def test_pdf_page_count_and_text(tmp_path, pages):
    report = generate_report(12, pages=pages)
    write_pdf(report, tmp_path / "r.pdf")
    with pdfplumber.open(tmp_path / "r.pdf") as pdf:
        assert abs(len(pdf.pages) - pages) <= pages * 0.25
        text = "".join(_norm(p.extract_text() or "") for p in pdf.pages[:12])
        assert any(p.find_tables() for p in pdf.pages), "the report's ruled tables are found in the PDF"
    evidence = [i for i in report.labels.items if i.topic_id and i.kind is ItemKind.PARAGRAPH]
    found = [i for i in evidence if _norm(i.text)[:30] in text]
    assert found, "labelled evidence survives PDF text extraction"


def test_docx_has_headings_tables_and_all_labelled_text(tmp_path):
    report = generate_report(13, pages=30)
    write_docx(report, tmp_path / "r.docx")
    doc = Document(str(tmp_path / "r.docx"))
    body = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(" | ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows)
    assert any(p.style.name.startswith("Heading") for p in doc.paragraphs)
    for item in report.labels.items:
        assert item.text in (body if item.kind is ItemKind.PARAGRAPH else cells)
