"""Ranking metrics on hand-checked cases."""

from __future__ import annotations

import math

import pytest

from eval.metrics import ndcg_at_k, percentile, recall_at_k, reciprocal_rank


def test_recall_is_capped_at_k():
    assert recall_at_k(["a", "b"], {"a", "b", "c", "d"}, k=2) == 1.0
    assert recall_at_k(["x", "a", "y"], {"a", "b"}, k=3) == 0.5
    assert recall_at_k(["x"], set(), k=5) == 0.0


def test_ndcg_matches_formula():
    assert ndcg_at_k(["a", "b"], {"a", "b"}, 10) == 1.0
    assert ndcg_at_k(["x", "a"], {"a"}, 10) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(["x"] * 10 + ["a"], {"a"}, 10) == 0.0


def test_reciprocal_rank_and_percentile():
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"] * 11 + ["a"], {"a"}) == 0.0
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert percentile(list(map(float, range(101))), 95) == pytest.approx(95.0)


def test_quadratic_weighted_kappa_and_f1():
    from eval.metrics import precision_recall_f1, quadratic_weighted_kappa

    assert quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3], 4) == 1.0
    assert quadratic_weighted_kappa([0, 1, 2, 3], [3, 2, 1, 0], 4) == pytest.approx(-1.0)
    near = quadratic_weighted_kappa([0, 1, 2, 3, 3], [0, 1, 2, 2, 3], 4)
    far = quadratic_weighted_kappa([0, 1, 2, 3, 3], [0, 1, 2, 0, 3], 4)
    assert 1.0 > near > far
    assert precision_recall_f1(8, 2, 2) == (0.8, 0.8, 0.8)
    assert precision_recall_f1(0, 0, 0) == (0.0, 0.0, 0.0)
