"""Near-duplicate detection across case submissions (优秀案例): copied, lightly edited, merged and paraphrased text.

Three signals; the text ones share one candidate search (MinHash/LSH), the meaning one has its own:

* **Boilerplate first.** Each text is folded (NFKC, white space and punctuation removed) and cut into character
  shingles of :attr:`DuplicateOptions.shingle` characters, hashed to 64 bits with a rolling polynomial hash in
  numpy. Shingles found in more than :attr:`DuplicateOptions.boilerplate_share` of the cases (at least
  :attr:`DuplicateOptions.boilerplate_min`) are set phrases, policy wording or one template many used, and are
  ignored, as MOSS ignores passages shared by many submissions. The same holds for facts (below).
* **Text** (copied or lightly edited). A MinHash signature of :attr:`DuplicateOptions.permutations` hash functions
  ``(a·h + b) mod (2⁶¹−1)`` (full-width ``a``, ``b``; the product wraps, as in datasketch) estimates the Jaccard
  similarity of two shingle sets; LSH with bands of :attr:`DuplicateOptions.band_rows` rows puts texts that agree
  on a whole band in one bucket: with 2 rows and 128 bands a pair of Jaccard 0.15 is a candidate with probability
  1 − (1 − 0.15²)¹²⁸ ≈ 0.95. Candidates whose estimate reaches :attr:`DuplicateOptions.min_jaccard` are checked
  exactly with two **containments** ``|A ∩ B| / min(|A|, |B|)``: of the whole texts (boilerplate included; about
  1 for a verbatim copy, 0.7–0.9 for a copy with 30 % of its sentences edited, 0.45–0.7 between a merged case
  and each part, 0.2–0.3 between two originals that word one review point alike) and of the texts without
  boilerplate. The second alone overrates texts that are mostly boilerplate: one rarer passage in common is then
  most of what is left of both. A pair needs a whole-text share of :attr:`DuplicateOptions.text_share` for any
  text signal; it is a copy or an edit at :attr:`DuplicateOptions.copy_share` with a containment without
  boilerplate of :attr:`DuplicateOptions.containment` (edits fall mostly on the rarer part: figures, names).
* **Merged** (a case stitched from two others): for a case M with a text candidate, the cases sharing any of M's
  shingles without boilerplate (each such shingle is in a few cases, so this lookup is exact and cheap; a part
  that gave M little is often no LSH candidate) that reach the whole-text share are its possible parts; two
  parts P, Q that together cover :attr:`DuplicateOptions.merge_cover` of M without boilerplate, each adding at
  least :attr:`DuplicateOptions.merge_part` of M's whole text on its own, make the pairs (M, P) and (M, Q).
* **Meaning** (paraphrase: the same case retold in other words). The vectors of each case's paragraphs, made at
  ingest (:class:`Passages`), are reused. Each text's centroid finds its :attr:`DuplicateOptions.neighbours`
  nearest texts, and cases that state one rarer fact (below) are compared too; for those the **alignment** is the
  share of the shorter text's passages whose best cosine with a passage of the other reaches
  :attr:`DuplicateOptions.passage_cosine`. Embeddings alone cannot tell a retelling from another case on the same
  theme (both align well; a case that words its points as the retelling does aligns better than the source), so
  the pair must also share **facts** — figures (three or more digits, or decimals; not years: 2023年, 2021届,
  2021—2025, while 1964人次 is a figure) and names in “” or 《》 — since a retelling keeps the case's figures, its
  named programme and its documents. A name that more
  than the boilerplate limit of cases state is wording they share (a policy's title, a slogan); a figure is not
  wording, so one that several cases state is a coincidence of their own values and still counts, up to
  :attr:`DuplicateOptions.figure_share` of the cases. Each fact weighs ``log((n + 1) / cases stating it)``, and
  the pair's fact score is the weight of the facts both restate over the smaller total. A fact is **restated**
  when both conditions hold:

  - it is stated in words of their own: an occurrence is inside a passage both texts share when the fact with
    the :attr:`DuplicateOptions.fact_context` characters before it, or with those after it, is in the other text
    too (one wording two cases use, with each case's own figure or name in the slot next to the fact, is still a
    shared passage), and a fact restated somewhere outside such passages counts;
  - it is stated about the same thing: some passage stating it in one text and some passage stating it in the
    other reach :attr:`DuplicateOptions.fact_cosine`. Two cases stating one figure by chance state it about
    different things (a satisfaction rate in one, a share of graduates in the other); a retelling states it in a
    passage on the same review point, however worded. This needs passages about one thing each (:class:`Passages`).

  At least :attr:`DuplicateOptions.min_facts` facts must be restated: one shared figure or name is as often
  chance as a retelling. A retelling that also changes every figure and name, or of a case that states none, is
  not found.

Each pair carries all scores and the signal that found it, for people to judge (the secretariat marks 重复 /
非重复); nothing is decided here.

:func:`shared_passages` finds the passages two texts have in common (maximal common runs of at least
``min_chars`` characters, in both texts' own offsets) for showing a pair side by side with them highlighted.

Thresholds were set on generated cases read as ingest reads an upload (the Word file parsed, its paragraphs
embedded with e5-small) of seeds 0 to 3 and 6, and are measured by ``eval/near_duplicates.py`` (``ciqa eval
duplicates --seed N``; its docstring holds the precision / recall table per kind and seed, seeds 4, 5, 7, 8 and 9
held out). Searching 1,000 cases of about 1,100 characters takes a few seconds (embedding is not part of it: the
vectors are the ones stored at ingest).

Example:
    >>> a = CaseText("a", "学校构建“五维一体”质量保障体系，覆盖全部本科专业。" * 5)
    >>> docs = [a, CaseText("b", "完全无关的内容" * 20)]
    >>> find_near_duplicates(docs + [CaseText("c", docs[0].text)])[0].ids
    ('a', 'c')
"""

from __future__ import annotations

import difflib
import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import numpy as np

from indexing.embedding import Embedder
from indexing.models import BlockKind, Document
from indexing.pipeline import embed_texts

K = TypeVar("K")

_MERSENNE = np.uint64((1 << 61) - 1)
# A case's chunks are joined with a blank line: the pair view shows paragraphs as they were cut.
CHUNK_JOIN = "\n\n"
_FOLD_DROP = re.compile(r"[\s\W_]+", re.UNICODE)
# A sentence with its closing mark (or the text's unfinished tail).
_SENTENCE_END = re.compile(r"[^。！？；!?;]+[。！？；!?;]*|[。！？；!?;]+")


class Signal(StrEnum):
    """Which signal found a pair: shared text (copy, edit), a case made of two others, or shared meaning."""

    TEXT = "text"
    MERGED = "merged"
    MEANING = "meaning"

    @property
    def zh(self) -> str:
        """The signal as the secretariat reads it."""
        return {Signal.TEXT: "文字重合", Signal.MERGED: "拼接", Signal.MEANING: "语义相近"}[self]


@dataclass(frozen=True)
class DuplicateOptions:
    """Parameters of the search; defaults were set on the generated evaluation set."""

    shingle: int = 5
    permutations: int = 256
    band_rows: int = 2
    # MinHash-estimated Jaccard below which an LSH candidate is not checked exactly.
    min_jaccard: float = 0.04
    # Any text signal: the share of the whole text (boilerplate included) the two have in common, at least.
    text_share: float = 0.35
    # Copied or edited: that share at least ``copy_share``, and the containment without boilerplate.
    copy_share: float = 0.6
    containment: float = 0.3
    # Merged: each part adds at least ``merge_part`` of the case, both together cover ``merge_cover`` (see _merged).
    merge_part: float = 0.15
    merge_cover: float = 0.85
    neighbours: int = 10
    passage_cosine: float = 0.93
    alignment: float = 0.25
    # Paraphrase: the weighted share of facts restated (see _restated), at least.
    shared_facts: float = 0.2
    # Paraphrase: alignment and shared facts must also be high together (one weak signal needs the other strong).
    meaning_sum: float = 0.7
    # Paraphrase: facts restated, at least (one shared figure or name is as often chance as a retelling).
    min_facts: int = 2
    # Paraphrase: a fact counts when some passage stating it in each text reaches this cosine (same subject).
    fact_cosine: float = 0.91
    # Characters before or after a fact that, found in the other text with the fact, make it part of a shared passage.
    fact_context: int = 10
    # Shingles and facts found in more than this share of the cases (at least ``boilerplate_min`` cases) are
    # boilerplate: set phrases, policy titles, one template used by many (as MOSS ignores passages shared by many).
    boilerplate_share: float = 0.005
    boilerplate_min: int = 3
    # Figures are not wording: one that several cases state is a coincidence of their own values, still evidence
    # (weighted by rarity) up to this share of the cases (names use the boilerplate limit: a shared title is wording).
    figure_share: float = 0.03
    min_passages: int = 2
    seed: int = 1


@dataclass(frozen=True)
class CaseText:
    """One case: an id, its text, and its passages with their unit vectors (no vectors: meaning is not compared).

    ``passages`` are the texts the vectors were made from, in order (row i of ``vectors`` is ``passages[i]``):
    the case's paragraphs (see :class:`Passages`); the meaning signal needs them to tell where each fact is stated.
    """

    id: str
    text: str
    vectors: np.ndarray | None = field(default=None, compare=False)
    passages: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.vectors is not None and len(self.vectors) != len(self.passages):
            raise ValueError(f"case {self.id}: {len(self.vectors)} vectors for {len(self.passages)} passages")


# Stored beside a case version's index: the passages the meaning signal compares and their vectors.
PASSAGES_JSON = "passages.json"
PASSAGES_NPY = "passages.npy"


@dataclass(frozen=True)
class Passages:
    """A case's paragraphs (long ones cut at sentence ends) and their unit vectors, with the embedder's name.

    The meaning signal needs passages about one thing each: a retelling states a figure in a paragraph on the
    same point as its source, and two cases stating it by chance state it about different things. Retrieval
    chunks hold two or three paragraphs (up to 450 characters), so two chunks of one theme are alike whatever
    they state, and chance figures pass as restated (measured: ``eval/near_duplicates.py``).
    """

    embedder: str
    texts: tuple[str, ...]
    vectors: np.ndarray

    def save(self, directory: Path) -> None:
        """Write both files into the version's index directory."""
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / PASSAGES_NPY, self.vectors)
        data = {"embedder": self.embedder, "texts": list(self.texts)}
        (directory / PASSAGES_JSON).write_text(json.dumps(data, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, directory: Path) -> Passages:
        """Read them back; ``OSError`` when absent, ``ValueError`` when broken or not matching."""
        data = json.loads((directory / PASSAGES_JSON).read_text("utf-8"))
        vectors = np.load(directory / PASSAGES_NPY)
        if not isinstance(data, dict) or not {"embedder", "texts"} <= data.keys():
            raise ValueError(f"{PASSAGES_JSON} lacks the embedder or the texts")
        if len(vectors) != len(data["texts"]):
            raise ValueError(f"{len(vectors)} vectors for {len(data['texts'])} passages")
        return cls(data["embedder"], tuple(data["texts"]), vectors)


def case_passages(document: Document, max_chars: int = 600) -> list[str]:
    """The paragraphs, list items and tables of a case in reading order, each cut to at most ``max_chars``.

    A long paragraph is cut at sentence ends, a long table between rows: a figure in a results table is
    stated there as much as in a sentence. Headings are left out.
    """
    passages = []
    for block in document.blocks:
        text = block.text.strip()
        if block.kind is BlockKind.HEADING or not text:
            continue
        units = text.splitlines(keepends=True) if block.kind is BlockKind.TABLE else _SENTENCE_END.findall(text)
        piece = ""
        for unit in units:
            if piece and len(piece) + len(unit) > max_chars:
                passages.append(piece.strip())
                piece = ""
            piece += unit
        passages.append(piece.strip())
    return passages


def embed_case(document: Document, embedder: Embedder, *, batch_size: int = 16) -> Passages:
    """The case's passages embedded (see :class:`Passages`)."""
    texts = case_passages(document)
    return Passages(embedder.name, tuple(texts), embed_texts(texts, embedder, batch_size=batch_size))


@dataclass(frozen=True)
class DuplicatePair:
    """Two cases found alike: containment (without boilerplate), passage alignment, facts restated, and the signal."""

    ids: tuple[str, str]
    containment: float
    alignment: float
    facts: float
    signal: Signal


_FIGURE = re.compile(r"\d+(?:\.\d+)?")
# A number standing alone in the text (not the tail of a longer one such as a phone number or 1.2.3).
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
# 1900–2099 followed by 年, 届, 级, 版, 学年 (2023年, 2021届, 2022级, 2023版) or in a range (2021—2025, 2021-2022学年)
# is a year; 1964人次 or 2095人 is a figure.
_YEAR = re.compile(r"(?:19|20)\d\d(?=\s*(?:[年届级版]|学年|[-—–~～至到]\s*(?:19|20)?\d\d))")
_YEAR_ONLY = re.compile(r"(?:19|20)\d\d")
_RANGE_END = re.compile(r"(?:19|20)\d\d\s*[-—–~～至到]\s*$")
_NAMED = re.compile(r"“([^”]{2,20})”|《([^》]{2,40})》")


def _is_year(text: str, number: re.Match[str]) -> bool:
    """Whether the number is a year: 1900–2099 with 年, 届, 级, 版 or 学年 after it, or in a range of years."""
    if _YEAR.match(text, number.start()):
        return True
    before = text[max(0, number.start() - 8) : number.start()]
    return bool(_YEAR_ONLY.fullmatch(number.group()) and _RANGE_END.search(before))


def facts(text: str) -> frozenset[str]:
    """What a retelling keeps: figures (three or more digits, or decimals; not years) and names in “” or 《》."""
    text = unicodedata.normalize("NFKC", text)
    numbers = {
        m.group() for m in _NUMBER.finditer(text) if ("." in m.group() or len(m.group()) >= 3) and not _is_year(text, m)
    }
    return frozenset(numbers | {a or b for a, b in _NAMED.findall(text)})


def _in_own_words(folded: str, other: str, fact: str, width: int) -> bool:
    """Whether ``folded`` states the fact somewhere outside a passage it shares with ``other``.

    An occurrence is inside a shared passage when the fact with the ``width`` characters before it, or with those
    after it, is also in ``other``: a wording two cases share stays a shared passage though a figure or a name
    next to the fact differs (one template, each case's own values in its slots).
    """
    start = 0
    while (at := folded.find(fact, start)) >= 0:
        before = folded[max(0, at - width) : at + len(fact)]
        after = folded[at : at + len(fact) + width]
        if before not in other and after not in other:
            return True
        start = at + 1
    return False


@dataclass(frozen=True)
class _Stated:
    """One case's facts as the meaning signal uses them: weights, folded text, and where each fact is stated."""

    weights: dict[str, float]
    folded: str
    # For each fact, the unit vectors of the passages stating it.
    where: dict[str, np.ndarray]


def _stated(doc: CaseText, weights: dict[str, float]) -> _Stated:
    where = {}
    if doc.vectors is not None:
        # The passage's own facts, not a substring search: 120 is not stated by a passage that states 1205.
        in_passage = [facts(p) for p in doc.passages]
        where = {f: doc.vectors[[k for k, stated in enumerate(in_passage) if f in stated]] for f in weights}
    return _Stated(weights, fold(doc.text), where)


def _restated(a: _Stated, b: _Stated, options: DuplicateOptions) -> float:
    """The weighted share of the facts both state in words of their own and about the same thing.

    A fact both state only inside one passage they share (a name in a wording two cases use, see
    :func:`_in_own_words`) is explained by that passage, not by one case retelling the other; shared passages
    are the text signals' business. A fact both state about different things (one figure in a paragraph on
    course evaluation, the same figure in one on employment) is a coincidence: some passage stating it in each
    text must reach :attr:`DuplicateOptions.fact_cosine`.
    """
    restated = [
        f
        for f in a.weights.keys() & b.weights.keys()
        if (
            _in_own_words(a.folded, b.folded, fold(f), options.fact_context)
            or _in_own_words(b.folded, a.folded, fold(f), options.fact_context)
        )
        and _same_subject(a.where.get(f), b.where.get(f), options.fact_cosine)
    ]
    if len(restated) < options.min_facts:
        return 0.0
    return sum(a.weights[f] for f in restated) / min(sum(a.weights.values()), sum(b.weights.values()))


def _same_subject(a: np.ndarray | None, b: np.ndarray | None, threshold: float) -> bool:
    """Whether some passage of one and some passage of the other (each stating a fact) are alike in meaning."""
    return a is not None and b is not None and len(a) > 0 and len(b) > 0 and float((a @ b.T).max()) >= threshold


def _weighted_facts(all_facts: list[frozenset[str]], limit: int, options: DuplicateOptions) -> list[dict[str, float]]:
    """Each case's facts that few cases state, weighted by rarity: ``log((n + 1) / cases stating it)``.

    A name (in “” or 《》) that more than ``limit`` cases state is wording they share (a policy's title, a slogan,
    a template), boilerplate as for shingles. A figure is not wording: several cases stating it is a coincidence
    of their own values, weaker evidence the more cases state it but not none, so figures count up to
    :attr:`DuplicateOptions.figure_share` of the cases; the weight says how much each fact is worth.
    """
    n = len(all_facts)
    frequency = Counter(f for fs in all_facts for f in fs)
    figure_limit = max(limit, math.ceil(options.figure_share * n))
    return [
        {
            f: math.log((n + 1) / frequency[f])
            for f in fs
            if frequency[f] <= (figure_limit if _FIGURE.fullmatch(f) else limit)
        }
        for fs in all_facts
    ]


def _without_boilerplate(sets: list[np.ndarray], limit: int) -> list[np.ndarray]:
    if not sets:
        return sets
    values, counts = np.unique(np.concatenate(sets), return_counts=True)
    common = values[counts > limit]
    return [s[~np.isin(s, common, assume_unique=True)] for s in sets]


def fold(text: str) -> str:
    """The text as compared: NFKC, lower case, without white space and punctuation."""
    return _FOLD_DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def shingle_hashes(text: str, k: int) -> np.ndarray:
    """The sorted distinct 64-bit hashes of the folded text's ``k``-character shingles."""
    folded = fold(text)
    if not folded:
        return np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < k:
        codes = np.concatenate([codes, np.zeros(k - len(codes), dtype=np.uint64)])
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    base = np.uint64(1_000_003)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * base + codes[j : j + n]
        h ^= h >> np.uint64(29)
    return np.unique(h)


def _signatures(sets: Sequence[np.ndarray], options: DuplicateOptions) -> np.ndarray:
    rng = np.random.default_rng(options.seed)
    # Full-width multipliers: the product wraps, so the order of the hashes is scrambled (as in datasketch).
    a = rng.integers(1, (1 << 61) - 1, options.permutations, dtype=np.uint64)
    b = rng.integers(0, (1 << 61) - 1, options.permutations, dtype=np.uint64)
    out = np.full((len(sets), options.permutations), np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i, hashes in enumerate(sets):
            if len(hashes):
                low = (hashes & np.uint64(0xFFFFFFFF))[None, :]
                out[i] = ((a[:, None] * low + b[:, None]) % _MERSENNE).min(axis=1)
    return out


def _lsh_candidates(signatures: np.ndarray, rows: int) -> set[tuple[int, int]]:
    candidates: set[tuple[int, int]] = set()
    for start in range(0, signatures.shape[1] - rows + 1, rows):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        band = np.ascontiguousarray(signatures[:, start : start + rows])
        for i, key in enumerate(band):
            buckets[key.tobytes()].append(i)
        for members in buckets.values():
            for x, i in enumerate(members):
                candidates.update((i, j) for j in members[x + 1 :])
    return candidates


def _containment(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) or not len(b):
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / min(len(a), len(b))


def _alignment(a: np.ndarray, b: np.ndarray, threshold: float) -> float:
    short, other = (a, b) if len(a) <= len(b) else (b, a)
    best = (short @ other.T).max(axis=1)
    return float((best >= threshold).mean())


def _meaning_candidates(docs: Sequence[CaseText], options: DuplicateOptions) -> set[tuple[int, int]]:
    usable = [i for i, d in enumerate(docs) if d.vectors is not None and len(d.vectors) >= options.min_passages]
    if len(usable) < 2:
        return set()
    centroids = np.stack([docs[i].vectors.mean(axis=0) for i in usable])  # type: ignore[union-attr]
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-12
    sims = centroids @ centroids.T
    np.fill_diagonal(sims, -np.inf)
    k = min(options.neighbours, len(usable) - 1)
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    return {tuple(sorted((usable[i], usable[j]))) for i, row in enumerate(nearest) for j in row}  # type: ignore[misc]


def _estimated_jaccard(signatures: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    if not pairs:
        return np.zeros(0)
    index = np.asarray(pairs)
    return (signatures[index[:, 0]] == signatures[index[:, 1]]).mean(axis=1)


def _holders(items: Sequence[Iterable[K]]) -> dict[K, list[int]]:
    """For each key, the indexes of the items holding it, in order (an inverted index)."""
    holders: dict[K, list[int]] = defaultdict(list)
    for i, keys in enumerate(items):
        for key in keys:
            holders[key].append(i)
    return holders


def _merged(
    whole: Sequence[np.ndarray], sets: Sequence[np.ndarray], texts: set[tuple[int, int]], options: DuplicateOptions
) -> set[tuple[int, int]]:
    """Pairs (case, part) where the case is mostly made of two other cases, each adding its own share.

    The two together cover at least ``merge_cover`` of the case's text without boilerplate, each adds at least
    ``merge_part`` of the text as written (a part may bring mostly common wording and few passages of its own).
    A case with one part among the text candidates has its other parts looked up exactly: a part that gave the
    case a small share is often not an LSH candidate (low Jaccard). Boilerplate is gone from ``sets``, so each
    shingle left is in a few cases and the lookup is cheap.
    """
    holders = _holders([hashes.tolist() for hashes in sets])
    found: set[tuple[int, int]] = set()
    for m in sorted({i for pair in texts for i in pair}):
        near = sorted({j for h in sets[m].tolist() for j in holders[h] if j != m})
        candidates = [p for p in near if _containment(whole[m], whole[p]) >= options.text_share]
        for x, p in enumerate(candidates):
            for q in candidates[x + 1 :]:
                both = np.isin(sets[m], sets[p], assume_unique=True) | np.isin(sets[m], sets[q], assume_unique=True)
                in_p = np.isin(whole[m], whole[p], assume_unique=True)
                in_q = np.isin(whole[m], whole[q], assume_unique=True)
                if (
                    both.mean() >= options.merge_cover
                    and min((in_p & ~in_q).mean(), (in_q & ~in_p).mean()) >= options.merge_part
                ):
                    found |= {tuple(sorted((m, p))), tuple(sorted((m, q)))}  # type: ignore[arg-type]
    return found


def find_near_duplicates(docs: Sequence[CaseText], options: DuplicateOptions | None = None) -> list[DuplicatePair]:
    """Every pair of the cases that shares text or meaning beyond the thresholds, most alike first.

    Args:
        docs: the cases (ids unique); those with ``vectors`` are also compared by meaning.
        options: thresholds and MinHash/LSH parameters.

    Returns:
        The pairs, ids in input order within a pair, sorted by the larger of containment and alignment.
    """
    options = options or DuplicateOptions()
    limit = max(options.boilerplate_min, math.ceil(options.boilerplate_share * len(docs)))
    whole = [shingle_hashes(d.text, options.shingle) for d in docs]
    sets = _without_boilerplate(whole, limit)
    signatures = _signatures(sets, options)
    lsh = sorted(_lsh_candidates(signatures, options.band_rows))
    estimated = _estimated_jaccard(signatures, lsh)
    text_candidates = [pair for pair, j in zip(lsh, estimated, strict=True) if j >= options.min_jaccard]
    # The containment without boilerplate alone overrates a pair whose texts are mostly boilerplate: one rarer
    # passage in common is then most of what is left. A copy, an edit or a part of a merge also shares much of
    # the text as written, which two cases that word one point alike do not.
    written = {pair: _containment(whole[pair[0]], whole[pair[1]]) for pair in text_candidates}
    texts = {pair for pair, share in written.items() if share >= options.text_share}
    merged = _merged(whole, sets, texts, options)
    kept = _weighted_facts([facts(d.text) for d in docs], limit, options)
    stated = [_stated(d, weights) for d, weights in zip(docs, kept, strict=True)]
    # A retelling keeps the case's rarer facts: cases that state one are compared by meaning too (the centroid's
    # nearest texts miss a retelling whose framing differs).
    fact_pairs = {(a, b) for held in _holders(kept).values() for x, a in enumerate(held) for b in held[x + 1 :]}
    pairs = []
    for i, j in sorted(texts | _meaning_candidates(docs, options) | fact_pairs | merged):
        contained = _containment(sets[i], sets[j])
        aligned = shared = 0.0
        va, vb = docs[i].vectors, docs[j].vectors
        if va is not None and vb is not None and min(len(va), len(vb)) >= options.min_passages:
            aligned = _alignment(va, vb, options.passage_cosine)
            shared = _restated(stated[i], stated[j], options)
        if (i, j) in texts and written[(i, j)] >= options.copy_share and contained >= options.containment:
            signal = Signal.TEXT
        elif (i, j) in merged:
            signal = Signal.MERGED
        elif (
            aligned >= options.alignment and shared >= options.shared_facts and aligned + shared >= options.meaning_sum
        ):
            signal = Signal.MEANING
        else:
            continue
        pair = DuplicatePair((docs[i].id, docs[j].id), round(contained, 4), round(aligned, 4), round(shared, 4), signal)
        pairs.append(pair)
    return sorted(pairs, key=lambda p: -max(p.containment, p.alignment))


@dataclass(frozen=True)
class SharedPassage:
    """A run of text both cases contain: its span in each text (offsets into the texts as given)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


def _folded_with_offsets(text: str) -> tuple[str, list[int]]:
    chars, offsets = [], []
    for i, ch in enumerate(text):
        for f in fold(ch):
            chars.append(f)
            offsets.append(i)
    return "".join(chars), offsets


def shared_passages(a: str, b: str, *, min_chars: int = 12) -> list[SharedPassage]:
    """The passages two texts share (common runs of at least ``min_chars`` folded characters), in order of ``a``.

    Punctuation and white space are ignored when matching, so a copy re-punctuated or re-wrapped still shows;
    the spans are mapped back to the original texts for highlighting.
    """
    fa, oa = _folded_with_offsets(a)
    fb, ob = _folded_with_offsets(b)
    matcher = difflib.SequenceMatcher(None, fa, fb, autojunk=False)
    out = [
        SharedPassage(oa[m.a], oa[m.a + m.size - 1] + 1, ob[m.b], ob[m.b + m.size - 1] + 1)
        for m in matcher.get_matching_blocks()
        if m.size >= min_chars
    ]
    return out
