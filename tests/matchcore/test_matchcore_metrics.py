"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from matchcore.eval import mrr_at_k, ndcg_at_k, percentile, recall_at_k


def test_mrr_is_reciprocal_rank_of_first_relevant() -> None:
    assert mrr_at_k(["x", "y", "d1"], {"d1": 1}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["d1"], {"d1": 1}, 10) == 1.0


def test_mrr_is_zero_when_relevant_is_beyond_k() -> None:
    assert mrr_at_k(["x", "y", "d1"], {"d1": 1}, 2) == 0.0


def test_recall_counts_share_of_relevant_found() -> None:
    assert recall_at_k(["a", "x", "b"], {"a": 1, "b": 1, "c": 1, "z": 0}, 3) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "x", "b"], {"a": 1, "b": 1}, 2) == pytest.approx(1 / 2)


def test_ndcg_with_graded_relevance_matches_hand_computation() -> None:
    ranked = ["b", "x", "a"]
    rel = {"a": 2, "b": 1}
    dcg = 1 / math.log2(2) + 2 / math.log2(4)
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(ranked, rel, 10) == pytest.approx(dcg / idcg)


def test_ndcg_of_perfect_ranking_is_one_and_of_miss_is_zero() -> None:
    assert ndcg_at_k(["a", "b"], {"a": 1}, 10) == 1.0
    assert ndcg_at_k(["x"], {"a": 1}, 10) == 0.0


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([], 95) == 0.0
