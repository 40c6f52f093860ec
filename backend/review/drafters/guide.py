"""Which guide recommendation an advice item may cite: the rubric's links when their content matches, else the
recommendation that matches the point best, else none (a recommendation is never attached to an unrelated point).

Relevance is a weighted word overlap between the point (text, key terms, expected evidence, phrasings) and the
recommendation (title, text, key terms, evidence, phrasings); a word shared by many recommendations weighs little.
The bars were read off the 93 points of 审核评估 type 2 against the 74 recommendations of the guide: linked pairs
below 0.09 share only generic words (学业成绩 → 五育并举), and unlinked best matches below 0.25 pair unrelated
topics on words such as 专职 (就业指导教师 → 质量保障专职人员).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from backend.rubrics.models import ReviewPoint, Rubric
from indexing.tokenize import tokenize

LINKED_MIN_RELEVANCE = 0.09
UNLINKED_MIN_RELEVANCE = 0.25


@dataclass(frozen=True)
class GuideMatch:
    """A recommendation chosen for a point: its link (``rubric-id:point-id``), the recommendation and relevance."""

    link: str
    guide_name: str
    recommendation: ReviewPoint
    relevance: float


def _words(point: ReviewPoint, *, with_title: bool) -> frozenset[str]:
    texts = [point.text, *point.key_terms, *point.evidence, *point.queries]
    if with_title and point.title:
        texts.append(point.title)
    return frozenset(t for x in texts for t in tokenize(x) if not t.startswith("##") and len(t) >= 2)


class GuideIndex:
    """The recommendations of one guide rubric, ready to score review points against."""

    def __init__(self, guide: Rubric) -> None:
        self.guide = guide
        self._recs = {p.id: p for _, p in guide.iter_points()}
        self._words = {pid: _words(p, with_title=True) for pid, p in self._recs.items()}
        df: dict[str, int] = {}
        for words in self._words.values():
            for w in words:
                df[w] = df.get(w, 0) + 1
        n = len(self._recs)
        self._idf = {w: math.log((n + 1) / (d + 0.5)) for w, d in df.items()}
        self._unknown_idf = math.log((n + 1) / 0.5)
        self._mass = {pid: sum(self._idf[w] for w in words) for pid, words in self._words.items()}

    def relevance(self, point: ReviewPoint, rec_id: str) -> float:
        """Shared word weight over the geometric mean of both sides' weight (0 unrelated … 1 same words)."""
        mine = _words(point, with_title=False)
        theirs = self._words.get(rec_id)
        if not mine or not theirs:
            return 0.0
        shared = sum(self._idf[w] for w in mine & theirs)
        own = sum(self._idf.get(w, self._unknown_idf) for w in mine)
        return shared / math.sqrt(own * self._mass[rec_id])

    def best_for(self, point: ReviewPoint) -> GuideMatch | None:
        """The point's most relevant linked recommendation above the linked bar, else the best above the other bar."""
        prefix = f"{self.guide.id}:"
        linked = [link.removeprefix(prefix) for link in point.links if link.startswith(prefix)]
        scored = [(self.relevance(point, rid), rid) for rid in linked if rid in self._recs]
        kept = [s for s in scored if s[0] >= LINKED_MIN_RELEVANCE]
        if not kept:
            best = max(((self.relevance(point, rid), rid) for rid in self._recs), default=(0.0, ""))
            kept = [best] if best[0] >= UNLINKED_MIN_RELEVANCE else []
        if not kept:
            return None
        relevance, rid = max(kept)
        return GuideMatch(f"{prefix}{rid}", self.guide.name, self._recs[rid], round(relevance, 4))


_cache: dict[tuple[str, str, str], GuideIndex] = {}
_lock = threading.Lock()


def guide_index(guide: Rubric) -> GuideIndex:
    """The index of a guide rubric, built once per rubric version (drafters run per indicator, in threads)."""
    key = (guide.id, guide.version, guide.fingerprint)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = GuideIndex(guide)
        return found
