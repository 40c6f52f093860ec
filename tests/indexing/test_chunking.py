"""Chunking keeps sections apart, respects sizes, repeats table headers and maps text back verbatim."""

from __future__ import annotations

import itertools

from indexing.chunking import chunk_document, sentence_bounds
from indexing.models import Block, BlockKind, Document, MediaType
from indexing.options import ChunkingOptions
from tests.factories import make_document

H, P, T = BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.TABLE


def _sentence(i: int) -> str:
    return f"第{i}项举措：学校完善教学质量监控体系，督导专家深入课堂听课并及时反馈意见。"


def _long_report():
    spec = [(H, "一、质量保障", 1, 3)]
    spec += [(P, "".join(_sentence(10 * j + i) for i in range(6)), 1 + j) for j in range(6)]
    spec += [(H, "二、师资队伍", 7, 3), (P, "学校生师比为17.5:1，专任教师1260人。", 7)]
    rows = [["学院", "专任教师", "教授", "博士"]] + [
        [f"学院{i}", str(50 + i), str(10 + i), str(20 + i)] for i in range(40)
    ]
    spec += [(T, rows, 8), (P, "以上数据来自教学基本状态数据库。", 9)]
    return make_document(spec)


def test_every_segment_is_a_verbatim_copy_of_its_block():
    doc = _long_report()
    for chunk in chunk_document(doc):
        covered = 0
        for s in chunk.segments:
            block = doc.block(s.block_id)
            assert (
                chunk.text[s.chunk_start : s.chunk_start + s.length]
                == block.text[s.block_start : s.block_start + s.length]
            )
            covered += s.length
        assert covered >= len(chunk.text) - len(chunk.segments)  # only separators are unmapped


def test_chunks_respect_sizes_and_never_cross_sections():
    opts = ChunkingOptions(target_chars=300, max_chars=500, overlap_chars=40)
    chunks = chunk_document(_long_report(), opts)
    prose = [c for c in chunks if not c.is_table]
    assert all(len(c.text) <= opts.max_chars for c in prose)
    assert all(len(c.text) >= 150 for c in prose[:-3])  # full chunks, not fragments
    assert {c.heading_path for c in chunks} == {("一、质量保障",), ("二、师资队伍",)}
    for c in chunks:
        assert all(doc_block_path == c.heading_path for doc_block_path in [c.heading_path])
    first_section = [c for c in chunks if c.heading_path == ("一、质量保障",)]
    assert "17.5:1" not in "".join(c.text for c in first_section)


def test_overlap_repeats_the_last_sentence_of_the_previous_chunk():
    opts = ChunkingOptions(target_chars=300, max_chars=500, overlap_chars=60)
    chunks = [c for c in chunk_document(_long_report(), opts) if c.heading_path == ("一、质量保障",)]
    assert len(chunks) >= 3
    for prev, nxt in itertools.pairwise(chunks):
        last_sentence = prev.text[sentence_bounds(prev.text)[-2] :]
        assert nxt.text.startswith(last_sentence)


def test_tables_are_chunked_by_rows_with_header_repeated():
    chunks = [c for c in chunk_document(_long_report(), ChunkingOptions(target_chars=200)) if c.is_table]
    assert len(chunks) >= 3
    rows_seen = []
    for c in chunks:
        lines = c.text.split("\n")
        assert lines[0] == "学院 | 专任教师 | 教授 | 博士"
        assert all(len(line.split(" | ")) == 4 for line in lines)  # never split mid-row
        rows_seen += lines[1:]
    assert len(rows_seen) == 40 and len(set(rows_seen)) == 40


def test_page_span_and_block_ids():
    chunks = chunk_document(_long_report(), ChunkingOptions(target_chars=1000, max_chars=1200, overlap_chars=0))
    multi_page = [c for c in chunks if c.page_start != c.page_end]
    assert multi_page, "a chunk spanning two paragraphs on different pages"
    c = multi_page[0]
    pages = [s.page for s in c.segments]
    assert (c.page_start, c.page_end) == (min(pages), max(pages)) == (1, len(c.block_ids))


def test_locate_maps_a_quote_to_block_and_page():
    doc = _long_report()
    chunk = next(c for c in chunk_document(doc) if "17.5:1" in c.text)
    span = chunk.locate(*chunk.find("生师比为17.5:1"))
    assert len(span) == 1
    block = doc.block(span[0].block_id)
    assert block.text[span[0].start : span[0].end] == "生师比为17.5:1" and span[0].page == 7


def test_ids_are_deterministic_and_distinct():
    a, b = chunk_document(_long_report()), chunk_document(_long_report())
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    assert [c.ordinal for c in a] == list(range(len(a)))


def test_overlong_sentence_without_punctuation_is_cut_to_max():
    doc = make_document([(P, "质" * 1500, 1)])
    chunks = chunk_document(doc, ChunkingOptions(target_chars=400, max_chars=500, overlap_chars=0))
    assert "".join(c.text for c in chunks) == "质" * 1500
    assert max(len(c.text) for c in chunks) <= 500


def test_short_tail_merges_into_previous_chunk():
    doc = make_document([(P, _sentence(1) * 9, 1), (P, "短句。", 1)])
    chunks = chunk_document(doc, ChunkingOptions(target_chars=300, max_chars=600, min_chars=100, overlap_chars=0))
    assert chunks[-1].text.endswith("短句。") and len(chunks[-1].text) > 100


def test_a_block_over_a_page_break_gives_one_segment_per_page():
    first, second = "学校生师比为17.5:1，", "毕业去向落实率为96.94%。"
    block = Block("b0001", P, first + second, page=4, page_starts=((len(first), 5),))
    doc = Document(id="d", name="x", media_type=MediaType.PDF, blocks=(block,))
    (chunk,) = chunk_document(doc)
    assert [(s.block_start, s.length, s.page) for s in chunk.segments] == [
        (0, len(first), 4),
        (len(first), len(second), 5),
    ]
    assert (chunk.page_start, chunk.page_end) == (4, 5)
    assert {s.page for s in chunk.locate(*chunk.find("96.94%"))} == {5}
    assert {s.page for s in chunk.locate(*chunk.find("17.5:1"))} == {4}


def test_a_two_row_header_and_the_caption_are_repeated_in_every_row_group():
    """本科毕业生 over 人数 | 占比: a row group without the second header row could not say what its numbers are."""
    header = [["学院", "本科毕业生", "", "研究生毕业生", ""], ["", "人数", "占比", "人数", "占比"]]
    body = [[f"第{n}学院", str(100 + n), f"{n}.5%", str(20 + n), f"{n}.1%"] for n in range(1, 40)]
    doc = make_document([(BlockKind.PARAGRAPH, "表1-1 毕业生学院分布", 1), (BlockKind.TABLE, header + body, 1)])
    tables = [c for c in chunk_document(doc) if c.is_table]
    assert len(tables) > 3
    for chunk in tables:
        lines = chunk.text.split("\n")
        assert lines[0] == "表1-1 毕业生学院分布"
        assert lines[1].startswith("学院 | 本科毕业生") and lines[2].startswith(" | 人数 | 占比")
    assert sum(len(c.text.split("\n")) - 3 for c in tables) == len(body)  # every data row once
