"""Drafting from generated materials (real PDF and DOCX files, merged indexes): structure, verbatim citations,
gaps instead of invented text, figures from the extracted facts, the DOCX in Chinese office style with footnotes."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document

from backend.domain.assessment import DrafterKind
from backend.domain.report_draft import InstitutionProfile, ReportDraft, SectionEdit
from backend.drafting.composer import Materials, draft_report
from backend.drafting.verify import check_draft, support_problem
from backend.drafting.writers import ExtractiveWriter
from backend.errors import AppError
from backend.reports.draft_document import sentence_zh, write_draft_docx
from backend.rubrics.models import Rubric
from corpus.generator import SyntheticReport
from eval.drafting_eval import DEFAULT_OMIT
from indexing.store import Collection

PROFILE = InstitutionProfile(name="测试大学", category="应用型")


@pytest.fixture(scope="module")
def draft(materials: Materials, embedder, rubric: Rubric) -> ReportDraft:
    return draft_report(materials, embedder, rubric, ExtractiveWriter(), PROFILE)


def test_materials_are_several_files_merged_into_one_collection(materials: Materials):
    names = [d.name for d in materials.documents]
    assert len(names) >= 5 and {n.rsplit(".", 1)[1] for n in names} == {"pdf", "docx"}
    assert set(materials.collection.documents) == {d.document_id for d in materials.documents}


def test_draft_follows_the_rubric_chapter_per_first_level_section_per_second(draft: ReportDraft, rubric: Rubric):
    firsts = [ind for depth, ind in rubric.iter_indicators() if depth == 1]
    assert [c.indicator_id for c in draft.chapters] == [i.id for i in firsts]
    for chapter, first in zip(draft.chapters, firsts, strict=True):
        assert [s.indicator_id for s in chapter.sections] == [c.id for c in first.children if c.review_points]
        for section, indicator in zip(chapter.sections, [c for c in first.children if c.review_points], strict=True):
            assert [p.point_id for p in section.points] == [p.id for p in indicator.review_points]


def test_every_sentence_is_a_verbatim_quote_at_its_cited_place(draft: ReportDraft, materials: Materials):
    chunks = {c.id: c for c in materials.collection.chunks}
    assert draft.sentence_count() > 100
    assert check_draft(draft, chunks) == []
    for section in draft.sections():
        for point in section.points:
            for s in point.sentences:
                chunk = chunks[s.evidence.chunk_id]
                assert chunk.text[s.evidence.quote_start : s.evidence.quote_end] == s.text  # extractive: the quote
                assert draft.document_name(s.evidence.document_id).startswith("材料")
    cited_files = {s.evidence.document_id for sec in draft.sections() for p in sec.points for s in p.sentences}
    assert len(cited_files) >= 5  # drawn from many files, not one


def test_points_without_material_are_gaps_with_no_text(draft: ReportDraft, report: SyntheticReport):
    points = {p.point_id: p for s in draft.sections() for p in s.points}
    gaps = {g.point_id for g in draft.gaps}
    assert gaps == {pid for pid, p in points.items() if p.gap_zh is not None}
    for pid in gaps:
        assert points[pid].sentences == () and points[pid].figure is None
    # The planted omissions with no sibling text about them are gaps (measured: 2 of 7 with the keyword embedder).
    assert {"1.1.3", "3.1.5"} <= gaps & DEFAULT_OMIT
    assert all(points[pid].gap_zh.startswith("「") for pid in gaps)


def test_figures_come_from_extracted_facts_verbatim_with_their_source(draft: ReportDraft, materials: Materials, report):
    chunks = {c.id: c for c in materials.collection.chunks}
    figures = [(p.point_id, p.figure) for s in draft.sections() for p in s.points if p.figure]
    assert len(figures) >= 15
    for point_id, f in figures:
        assert f.figure.text in chunks[f.figure.chunk_id].text
        assert chunks[f.figure.chunk_id].document_id == f.document_id
        value = f.figure.text.rstrip("%元册平方米").split(":")[-1]
        assert any(value in t for t in report.labels.evidence_of(point_id)), (point_id, f.figure.text)


def test_draft_survives_storage_as_json(draft: ReportDraft):
    assert ReportDraft.model_validate_json(draft.model_dump_json()) == draft


def test_no_materials_is_a_clear_error(embedder, rubric: Rubric):
    empty = Materials(collection=Collection(embedder.name, embedder.dim), documents=(), facts={})
    with pytest.raises(AppError) as caught:
        draft_report(empty, embedder, rubric, ExtractiveWriter(), PROFILE)
    assert "支撑材料" in caught.value.message_zh


def test_support_check_refuses_numbers_and_wording_the_quote_lacks():
    quote = "学校建设课程思政示范课程42门，覆盖全部专业。"
    assert support_problem("学校建设课程思政示范课程42门。", quote) is None
    assert "figures" in support_problem("学校建设课程思政示范课程52门。", quote)
    assert "characters" in support_problem("学校获得国家级教学成果奖特等奖。", quote)


def test_sentences_read_as_running_text():
    assert sentence_zh("2. 学校坚持本科教学经费优先保障；") == "学校坚持本科教学经费优先保障。"
    assert sentence_zh("（三）学校修订制度") == "学校修订制度。"
    assert sentence_zh("生师比为17.5:1。") == "生师比为17.5:1。"


def test_docx_has_office_fonts_footnotes_and_the_edits(draft: ReportDraft):
    section = draft.chapters[0].sections[1]
    edits = (SectionEdit(indicator_id=section.indicator_id, text="学校修改的第一段。\n学校修改的第二段。"),)
    out = io.BytesIO()
    write_draft_docx(draft, out, edits=edits)
    doc = Document(io.BytesIO(out.getvalue()))
    headings = [p for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0].text == "一、办学方向与本科地位"
    assert any(p.text == f"（二）{section.name}" for p in headings)
    fonts = doc.styles["Heading 1"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "黑体"
    body = doc.styles["Normal"].element.rPr.rFonts
    assert body.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋"
    texts = [p.text for p in doc.paragraphs]
    assert "学校修改的第一段。" in texts
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
        notes = z.read("word/footnotes.xml").decode()
        body_xml = z.read("word/document.xml").decode()
        assert "footnotes" in z.read("word/_rels/document.xml.rels").decode()
    edited = sum(len(p.sentences) + (p.figure is not None) for p in section.points)
    expected = draft.sentence_count() + sum(p.figure is not None for s in draft.sections() for p in s.points) - edited
    assert body_xml.count("<w:footnoteReference") == expected
    first = next(s for sec in draft.sections() for p in sec.points for s in p.sentences)
    assert first.evidence.quote in notes and draft.document_name(first.evidence.document_id) in notes
    assert draft.drafter is DrafterKind.EXTRACTIVE
