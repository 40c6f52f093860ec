"""Document structure of the two real university reports (read at run time from ../shared/real-docs, never
committed) against the printed tables of contents in their hand-checked gold files (eval/real/*.yaml)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from indexing.models import BlockKind, Document
from indexing.options import ParseOptions
from indexing.parsing import parse_path
from indexing.parsing.headings import title_key

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
REAL_DOCS = ROOT.parent / "shared" / "real-docs"
GOLD = ROOT / "eval" / "real"
DOCS = {"wit-2023": "wit-2023-employment-quality-report.pdf", "xvtc-2023": "xvtc-2023-employment-quality-report.pdf"}


def real_doc(name: str) -> tuple[Document, dict]:
    path = REAL_DOCS / DOCS[name]
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{path} is missing: CI must provide the real documents")
        pytest.skip(f"{path} is absent (the real documents live outside the repository)")
    gold = yaml.safe_load((GOLD / f"{name}.yaml").read_text(encoding="utf-8"))
    return parse_path(path, ParseOptions(ocr=False)), gold


@pytest.fixture(scope="module", params=sorted(DOCS))
def parsed(request) -> tuple[Document, dict]:
    return real_doc(request.param)


def test_toc_entries_are_body_headings_at_the_toc_level(parsed):
    doc, gold = parsed
    headings = [b for b in doc.blocks if b.kind is BlockKind.HEADING]
    right = 0
    for entry in gold["toc"]:
        key = title_key(entry["title"])
        right += any(
            title_key(h.text) == key and h.heading_level == entry["level"] and abs(h.page - entry["body_page"]) <= 1
            for h in headings
        )
    assert right >= 0.95 * len(gold["toc"])


def test_toc_is_kept_apart_and_no_toc_line_is_a_body_block(parsed):
    doc, gold = parsed
    toc_pages = set(gold["layout"]["toc_pages"])
    assert len(doc.toc) >= 0.95 * len(gold["toc"])
    assert {e.page for e in doc.toc} <= toc_pages
    assert [b.text for b in doc.blocks if b.page in toc_pages] == []


def test_bullets_are_never_headings(parsed):
    doc, _ = parsed
    bullets = [b for b in doc.blocks if b.text[:1] in "●•■◆▪★√"]
    assert all(b.kind is not BlockKind.HEADING for b in bullets)
