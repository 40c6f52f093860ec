"""The guide rubric against the guide's own text: every area, sub-area and recommendation, verbatim.

The source is the PDF-extracted text in ``corpus/reference/ciqa-guide-2021.txt`` (a copy of
``shared/source-docs/001_cf48bd404f4452d3.txt``). This module parses it independently of the rubric:
headings, the numbered items "（n）" of each sub-area, and the "六有" list of 3.2(3).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backend.rubrics.loader import load_rubric
from backend.rubrics.models import Indicator, Rubric, TextOrigin

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
GUIDE_TEXT = ROOT / "corpus" / "reference" / "ciqa-guide-2021.txt"
SHARED_GUIDE = ROOT.parent / "shared" / "source-docs" / "001_cf48bd404f4452d3.txt"
GUIDE_RUBRIC = ROOT / "rubrics" / "ciqa-guide-2021.yaml"

AREA = re.compile(r"^([1-6])\s*[.．]\s*(\S[^。，]{1,14})$")
SUB_AREA = re.compile(r"^([1-6]\.[1-9])\s+(\S[^。，]{1,10})$")
ITEM = re.compile(r"^（(\d+)）")
MARKER = "为此，向学校建议："


@dataclass
class SourceSubArea:
    id: str
    name: str
    intro: list[str] = field(default_factory=list)
    items: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class SourceArea:
    id: str
    name: str
    intro: list[str] = field(default_factory=list)
    subs: list[SourceSubArea] = field(default_factory=list)


def normalize(text: str) -> str:
    """Join PDF lines: drop whitespace except between two ASCII letters or digits."""
    return re.sub(r"(?<![A-Za-z0-9])\s+|\s+(?![A-Za-z0-9])", "", text)


def parse_guide(text: str) -> list[SourceArea]:
    """Areas, sub-areas and numbered recommendations of part 二 (建设要点及工作指南)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    start, end = lines.index("二、建设要点及工作指南") + 1, lines.index("三、研制说明")
    areas: list[SourceArea] = []
    current: list[str] | None = None
    for line in lines[start:end]:
        if m := SUB_AREA.match(line):
            areas[-1].subs.append(SourceSubArea(m.group(1), m.group(2)))
            current = areas[-1].subs[-1].intro
            continue
        if m := AREA.match(line):
            areas.append(SourceArea(m.group(1), m.group(2)))
            current = areas[-1].intro
            continue
        if line == MARKER:
            current = None
            continue
        if m := ITEM.match(line):
            current = areas[-1].subs[-1].items.setdefault(int(m.group(1)), [])
            line = line[m.end() :]
        assert current is not None, f"unplaced line in the guide: {line}"
        current.append(line)
    return areas


def item_text(lines: list[str]) -> str:
    """An item's full text; its "——" example paragraphs on lines of their own."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("——") and paragraphs[-1]:
            paragraphs.append([])
        paragraphs[-1].append(line)
    return "\n".join(normalize("".join(p)) for p in paragraphs)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=。)|\n", text) if s]


@pytest.fixture(scope="module")
def source() -> list[SourceArea]:
    return parse_guide(GUIDE_TEXT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def guide() -> Rubric:
    return load_rubric(GUIDE_RUBRIC)


def _recommendations(sub: Indicator) -> dict[int, str]:
    return {int(p.id.rsplit(".", 1)[1]): p.text for p in sub.review_points if re.fullmatch(r"\d\.\d\.\d+", p.id)}


def test_corpus_copy_matches_shared_source() -> None:
    if not SHARED_GUIDE.exists():
        pytest.skip("shared/ is not beside the repository")
    assert GUIDE_TEXT.read_bytes() == SHARED_GUIDE.read_bytes()


def test_areas_and_sub_areas_match_the_source(source: list[SourceArea], guide: Rubric) -> None:
    # The source has 6 areas and 13 sub-areas (1.1–1.3, 2.1–2.2, … 6.1–6.2).
    assert len(source) == 6
    assert sum(len(a.subs) for a in source) == 13
    assert [(a.id, a.name) for a in guide.indicators] == [(a.id, a.name) for a in source]
    for area, src in zip(guide.indicators, source, strict=True):
        assert area.description == normalize("".join(src.intro))
        assert [(s.id, s.name) for s in area.children] == [(s.id, s.name) for s in src.subs]
        for sub, src_sub in zip(area.children, src.subs, strict=True):
            assert sub.description == normalize("".join(src_sub.intro))
            assert sub.text_origin is TextOrigin.OFFICIAL


def test_every_recommendation_is_present_verbatim(source: list[SourceArea], guide: Rubric) -> None:
    total = 0
    for area, src in zip(guide.indicators, source, strict=True):
        for sub, src_sub in zip(area.children, src.subs, strict=True):
            ours = _recommendations(sub)
            theirs = {n: item_text(lines) for n, lines in src_sub.items.items()}
            assert sorted(ours) == sorted(theirs) == list(range(1, len(theirs) + 1)), sub.id
            # Each recommendation opens with its numbered lead sentence …
            for n, text in theirs.items():
                assert ours[n].startswith(sentences(text)[0]), f"{sub.id}.{n}"
            # … and the sub-area's recommendations hold exactly the source's sentences, none lost or
            # added (1.1(2)'s lead sentence is displaced in the PDF, so items are compared as a whole).
            assert Counter(s for t in ours.values() for s in sentences(t)) == Counter(
                s for t in theirs.values() for s in sentences(t)
            ), sub.id
            total += len(ours)
    assert total == sum(len(s.items) for a in source for s in a.subs) == 45


def test_displaced_sentence_of_1_1_2_is_restored(guide: Rubric) -> None:
    point = guide.point("1.1.2")
    assert point.text.startswith("高校应确保学校人才培养的中心地位")
    assert point.text.endswith("核心价值体系要首先在本科确立。")
    assert "高校应努力改善" not in guide.point("1.1.1").text


def test_six_elements_are_review_points(guide: Rubric) -> None:
    text = GUIDE_TEXT.read_text(encoding="utf-8")
    match = re.search(r"“六有”要素：(.*?)。", normalize(text))
    assert match
    elements = match.group(1).split("；")
    assert len(elements) == 6
    assert [guide.point(f"3.2.3.{i}").text for i in range(1, 7)] == elements
    for i in range(1, 7):
        assert guide.point(f"3.2.3.{i}").links == ["ciqa-guide-2021:3.2.3"]


def test_guide_texts_are_official_and_clean(guide: Rubric) -> None:
    for _, point in guide.iter_points():
        assert point.text_origin is TextOrigin.OFFICIAL
        assert not re.search(r"(?<![A-Za-z0-9])[ \t]|[ \t](?![A-Za-z0-9])", point.text), point.id
        assert point.title and point.evidence and point.key_terms
