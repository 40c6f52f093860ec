"""Ranking metrics with binary relevance.

Example:
    >>> recall_at_k(["a", "x", "b"], {"a", "b"}, k=2)
    0.5
    >>> round(ndcg_at_k(["x", "a"], {"a"}, k=10), 4)
    0.6309
    >>> reciprocal_rank(["x", "a"], {"a"})
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Sequence, Set


def recall_at_k(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    """Share of the relevant items found in the top ``k``, capped at ``k`` relevant items.

    The cap makes a perfect ranking score 1.0 even when more than ``k`` chunks are relevant (a topic with
    seven evidence chunks cannot have all seven in a top five).

    Args:
        ranked: result ids, best first.
        relevant: ids of relevant results.
        k: cut-off.

    Returns:
        A value in [0, 1]; 0 when nothing is relevant.
    """
    if not relevant:
        return 0.0
    found = sum(1 for r in ranked[:k] if r in relevant)
    return found / min(k, len(relevant))


def ndcg_at_k(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    """Normalised discounted cumulative gain at ``k`` with gains 1 (relevant) or 0.

    Args:
        ranked: result ids, best first.
        relevant: ids of relevant results.
        k: cut-off.

    Returns:
        A value in [0, 1].
    """
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Set[str], k: int = 10) -> float:
    """1 / rank of the first relevant result within the top ``k``, else 0.

    Args:
        ranked: result ids, best first.
        relevant: ids of relevant results.
        k: cut-off.

    Returns:
        A value in [0, 1].
    """
    for i, r in enumerate(ranked[:k], start=1):
        if r in relevant:
            return 1.0 / i
    return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation.

    Example:
        >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
        2.5
    """
    if not values:
        return float("nan")
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def quadratic_weighted_kappa(truth: Sequence[int], predicted: Sequence[int], n_levels: int) -> float:
    """Cohen's kappa with quadratic weights for ordinal labels ``0 … n_levels-1``.

    Args:
        truth: expected level indices.
        predicted: suggested level indices.
        n_levels: number of levels on the scale.

    Returns:
        1 for perfect agreement, 0 for chance agreement (1 as well when both raters are constant and agree).

    Example:
        >>> quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3], 4)
        1.0
    """
    if len(truth) != len(predicted):
        raise ValueError("truth and predicted differ in length")
    n = len(truth)
    if not n:
        return float("nan")
    observed = [[0.0] * n_levels for _ in range(n_levels)]
    for t, p in zip(truth, predicted, strict=True):
        observed[t][p] += 1
    hist_t = [sum(row) for row in observed]
    hist_p = [sum(observed[i][j] for i in range(n_levels)) for j in range(n_levels)]
    num = den = 0.0
    for i in range(n_levels):
        for j in range(n_levels):
            w = (i - j) ** 2 / (n_levels - 1) ** 2
            num += w * observed[i][j]
            den += w * hist_t[i] * hist_p[j] / n
    return 1.0 - num / den if den else 1.0


def precision_recall_f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts (0 where undefined).

    Example:
        >>> precision_recall_f1(8, 2, 2)
        (0.8, 0.8, 0.8)
    """
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return round(p, 6), round(r, 6), round(f, 6)
