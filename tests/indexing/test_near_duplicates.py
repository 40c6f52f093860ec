"""The passages a case is compared by meaning (paragraphs, tables, long ones cut) and how they are stored;
the detector itself is evaluated in ``tests/eval/test_near_duplicates.py``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from docx import Document as WordDocument

from indexing.near_duplicates import PASSAGES_JSON, PASSAGES_NPY, Passages, case_passages, embed_case
from indexing.parsing import parse
from tests.fakes import KeywordEmbedder


def _word_case() -> bytes:
    doc = WordDocument()
    doc.add_heading("一、主要做法", level=1)
    doc.add_paragraph("学校开展学生评教，满意度为87.6%。")
    doc.add_paragraph("督导听课覆盖全部课程。" * 70)  # 770 characters: cut at sentence ends
    table = doc.add_table(rows=3, cols=2)
    for r, (name, value) in enumerate((("指标", "数值"), ("满意度", "87.6%"), ("覆盖率", "96.4%"))):
        table.cell(r, 0).text, table.cell(r, 1).text = name, value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_a_case_is_compared_by_its_paragraphs_and_tables_not_its_headings():
    passages = case_passages(parse(_word_case(), name="案例.docx"))
    assert passages[0] == "学校开展学生评教，满意度为87.6%。"
    long = [p for p in passages if p.startswith("督导")]
    assert len(long) == 2 and all(len(p) <= 600 and p.endswith("。") for p in long)
    assert "".join(long) == "督导听课覆盖全部课程。" * 70
    assert passages[-1] == "指标 | 数值\n满意度 | 87.6%\n覆盖率 | 96.4%"
    assert not any("主要做法" in p for p in passages)


def test_stored_passages_come_back_whole_and_a_mismatch_is_refused(tmp_path: Path):
    stored = embed_case(parse(_word_case(), name="案例.docx"), KeywordEmbedder())
    stored.save(tmp_path)
    loaded = Passages.load(tmp_path)
    assert loaded.texts == stored.texts and loaded.embedder == KeywordEmbedder().name
    assert np.array_equal(loaded.vectors, stored.vectors) and len(loaded.vectors) == len(loaded.texts)
    np.save(tmp_path / PASSAGES_NPY, stored.vectors[:-1])
    with pytest.raises(ValueError, match="vectors for"):
        Passages.load(tmp_path)
    with pytest.raises(OSError):
        Passages.load(tmp_path / "missing")
    (tmp_path / PASSAGES_JSON).write_text("{}", "utf-8")
    with pytest.raises(ValueError, match="lacks the embedder or the texts"):
        Passages.load(tmp_path)
