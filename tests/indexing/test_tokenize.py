"""BM25 tokens: QA terms whole, stop words out, character bigrams for Chinese paraphrases."""

from __future__ import annotations

from indexing.tokenize import tokenize


def test_quality_assurance_terms_stay_whole_and_stop_words_go():
    tokens = tokenize("学校的生师比为17.5:1，并开展课程思政和教学督导工作")
    assert {"生师比", "课程思政", "教学督导", "17.5"} <= set(tokens)
    assert "的" not in tokens and "工作" not in tokens and "，" not in tokens


def test_character_bigrams_let_paraphrases_meet():
    a, b = set(tokenize("思政课程建设")), set(tokenize("课程思政"))
    words = {t for t in a if not t.startswith("##")} & {t for t in b if not t.startswith("##")}
    assert words == set()  # jieba alone finds nothing in common
    assert {"##思政", "##课程"} <= a & b
    assert all(not t.startswith("##") for t in tokenize("hello world"))
