"""Collections save, load, add and remove documents without re-embedding; hybrid search fuses and filters."""

from __future__ import annotations

import numpy as np
import pytest

from indexing.chunking import chunk_document
from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import BlockKind
from indexing.pipeline import Stage, index_documents
from indexing.search import HybridSearcher, SearchMode, explain
from indexing.store import Collection
from tests.factories import make_document
from tests.fakes import KeywordEmbedder

H, P, T = BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.TABLE


def _report(name: str, school: str):
    return make_document(
        [
            (H, "一、师资队伍", 1, 3),
            (P, f"{school}现有专任教师1260人，生师比为17.5:1，具有博士学位教师占比46.2%。", 1),
            (H, "二、质量保障", 2, 3),
            (P, f"{school}建立校院两级教学督导制度，督导专家每学期听课2000余节，问题清单闭环整改。", 2),
            (H, "三、学生发展", 3, 3),
            (P, f"{school}本科生毕业率98.1%，学位授予率97.5%，初次就业率92.3%。", 3),
            (T, [["项目", "数值"], ["生均教学日常运行支出", "4821元"], ["生均本科实验经费", "612元"]], 3),
        ],
        name=name,
    )


@pytest.fixture
def built(tmp_path):
    emb = KeywordEmbedder()
    docs = [_report("甲.pdf", "甲大学"), _report("乙.pdf", "乙学院")]
    events = []
    index_documents(docs, tmp_path / "idx", emb, progress=lambda s, d, t: events.append((s, d, t)))
    return tmp_path / "idx", emb, docs, events


def test_index_reports_each_stage_and_round_trips(built):
    path, _emb, docs, events = built
    assert {e[0] for e in events} == {Stage.CHUNK, Stage.EMBED, Stage.INDEX}
    assert events[-1] == (Stage.INDEX, 1, 1)
    col = Collection.load(path)
    assert set(col.documents) == {d.id for d in docs}
    assert len(col) == len(col.vectors) == sum(len(chunk_document(d)) for d in docs)
    assert col.chunks[0].segments and col.chunks[0].heading_path == ("一、师资队伍",)


def test_hybrid_search_ranks_the_right_chunk_first_and_explains(built):
    path, emb, _docs, _ = built
    searcher = HybridSearcher(Collection.load(path), emb)
    hits = searcher.search("督导听课", k=3)
    assert "督导" in hits[0].chunk.text and hits[0].rank == 1
    assert hits[0].dense_rank is not None and hits[0].bm25_rank is not None
    assert "督导" in hits[0].matched_terms
    assert "fused=" in explain(hits[0]) and "bm25 #" in explain(hits[0])
    assert [h.fused_score for h in hits] == sorted((h.fused_score for h in hits), reverse=True)


def test_rrf_combines_ranks_of_both_lists(built):
    path, emb, _, _ = built
    searcher = HybridSearcher(Collection.load(path), emb)
    for hit in searcher.search("生师比 博士学位", k=5):
        expected = sum(1 / (10 + r) for r in (hit.dense_rank, hit.bm25_rank) if r is not None)
        assert hit.fused_score == pytest.approx(expected)


def test_filters_by_document_and_section(built):
    path, emb, docs, _ = built
    searcher = HybridSearcher(Collection.load(path), emb)
    only_b = searcher.search("毕业率", k=10, document_ids={docs[1].id})
    assert only_b and all(h.chunk.document_id == docs[1].id for h in only_b)
    in_section = searcher.search("毕业率", k=10, section="质量保障")
    assert in_section and all("二、质量保障" in h.chunk.heading_path for h in in_section)
    assert searcher.search("毕业率", section="不存在的章节") == []


def test_modes_use_one_retriever_each(built):
    path, emb, _, _ = built
    searcher = HybridSearcher(Collection.load(path), emb)
    dense = searcher.search("生师比", mode=SearchMode.DENSE)
    bm25 = searcher.search("生师比", mode=SearchMode.BM25)
    assert all(h.bm25_rank is None for h in dense) and all(h.dense_rank is None for h in bm25)
    assert all("生师比" in h.chunk.text or "师资" in h.chunk.section for h in bm25)


def test_adding_and_removing_documents_does_not_reembed_others(built):
    path, emb, docs, _ = built
    embedded_before = len(emb.embedded)
    third = _report("丙.pdf", "丙职业技术学院")
    index_documents([third], path, emb)
    assert len(emb.embedded) - embedded_before == len(chunk_document(third))
    col = Collection.load(path)
    vectors_of_first = col.vectors[[i for i, c in enumerate(col.chunks) if c.document_id == docs[0].id]]
    col.remove_document(docs[1].id)
    col.save(path)
    col = Collection.load(path)
    assert set(col.documents) == {docs[0].id, third.id}
    assert len(emb.embedded) - embedded_before == len(chunk_document(third))
    kept = col.vectors[[i for i, c in enumerate(col.chunks) if c.document_id == docs[0].id]]
    np.testing.assert_array_equal(kept, vectors_of_first)
    hits = HybridSearcher(col, emb).search("乙学院", k=20)
    assert all(h.chunk.document_id != docs[1].id for h in hits)


def test_approximate_index_above_threshold(tmp_path):
    emb = KeywordEmbedder()
    doc = make_document([(P, f"第{i}条：学院开展第{i}轮专业评估并整改。", 1) for i in range(30)])
    chunks = chunk_document(doc)
    col = Collection(emb.name, emb.dim, approximate_above=1)
    col.add_document("x", chunks, emb.embed_passages([c.text for c in chunks]))
    col.save(tmp_path / "hnsw")
    loaded = Collection.load(tmp_path / "hnsw")
    import faiss

    assert isinstance(loaded.dense_index, faiss.IndexHNSW)
    hits = HybridSearcher(loaded, emb).search("专业评估", k=3, document_ids={doc.id})
    assert hits and hits[0].dense_rank is not None


def test_missing_and_corrupt_indexes_raise_typed_errors(built, tmp_path):
    with pytest.raises(IndexingError) as missing:
        Collection.load(tmp_path / "nothing")
    assert missing.value.code is IndexingErrorCode.INDEX_NOT_FOUND
    path = built[0]
    (path / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(IndexingError) as corrupt:
        Collection.load(path)
    assert corrupt.value.code is IndexingErrorCode.INDEX_CORRUPT and "损坏" in corrupt.value.message_zh


def test_searching_with_another_embedder_is_refused(built):
    with pytest.raises(IndexingError) as err:
        HybridSearcher(Collection.load(built[0]), KeywordEmbedder(name="other"))
    assert err.value.code is IndexingErrorCode.INDEX_CORRUPT


def test_a_query_naming_a_table_row_finds_that_row_first(tmp_path):
    """生师比 finds the row 生师比 | 18.46 of a 30-row key–value table above prose that repeats the word."""
    rows = [["指标项", "学校当年质量报告数据"]]
    rows += [[f"指标{n}（个）", str(100 + n)] for n in range(14)]
    rows += [["生师比", "18.46"]]
    rows += [[f"其他指标{n}（%）", f"{50 + n}.5"] for n in range(14)]
    prose = "学校持续优化生师比，生师比逐年改善；生师比是衡量办学条件的重要指标，学校将生师比纳入年度考核。"
    doc = make_document(
        [
            (H, "一、办学条件", 1, 3),
            *[(P, prose, 1) for _ in range(4)],
            (P, "表1 学校基本数据", 2),
            (T, rows, 2),
            (P, "表2 各学院数据", 3),
            (
                T,
                [["学院", "毕业生数（人）", "落实率（%）"], ["管理学院", "371", "95.42"], ["化工学院", "494", "97.12"]],
                3,
            ),
        ]
    )
    emb = KeywordEmbedder()
    index_documents([doc], tmp_path / "idx", emb)
    searcher = HybridSearcher(Collection.load(tmp_path / "idx"), emb)
    top = searcher.search("生师比", 3)
    assert "生师比 | 18.46" in top[0].chunk.text and top[0].chunk.text.startswith("表1 学校基本数据")
    cell = searcher.search("管理学院 落实率", 3)
    assert "管理学院 | 371 | 95.42" in cell[0].chunk.text


def test_merged_collections_search_every_document_without_reembedding(tmp_path):
    emb = KeywordEmbedder()
    first, second = _report("甲.pdf", "甲大学"), _report("乙.pdf", "乙学院")
    index_documents([first], tmp_path / "a", emb)
    index_documents([second], tmp_path / "b", emb)
    a, b = Collection.load(tmp_path / "a"), Collection.load(tmp_path / "b")
    merged = Collection.merged([a, b, a])  # the same file twice is one document
    assert set(merged.documents) == {first.id, second.id}
    assert len(merged) == len(a) + len(b)
    assert np.array_equal(merged.vectors, np.concatenate([a.vectors, b.vectors]))
    found = {h.chunk.document_id for h in HybridSearcher(merged, emb).search("督导专家听课", 4)}
    assert found == {first.id, second.id}
    other = Collection("another-model", a.dim)
    with pytest.raises(IndexingError) as caught:
        Collection.merged([a, other])
    assert caught.value.code is IndexingErrorCode.INDEX_CORRUPT
