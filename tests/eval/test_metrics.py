"""Ranking metrics on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eval.metrics import (
    METRIC_KEYS,
    RankingMetrics,
    bootstrap_ci,
    dialog_bootstrap,
    dialog_bootstrap_ci,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)

RANKED = [10, 20, 30, 40, 50]  # gold 30 sits at rank 3


def test_gold_at_rank_three() -> None:
    assert recall_at_k(RANKED, 30, 1) == 0.0
    assert recall_at_k(RANKED, 30, 3) == 1.0
    assert recall_at_k(RANKED, 30, 10) == 1.0
    assert ndcg_at_k(RANKED, 30, 10) == pytest.approx(0.5)  # 1 / log2(4)
    assert ndcg_at_k(RANKED, 30, 2) == 0.0
    assert mrr_at_k(RANKED, 30, 50) == pytest.approx(1 / 3)
    assert mrr_at_k(RANKED, 30, 2) == 0.0


def test_gold_first_and_absent() -> None:
    assert recall_at_k(RANKED, 10, 1) == 1.0
    assert ndcg_at_k(RANKED, 10, 10) == 1.0
    assert mrr_at_k(RANKED, 10, 10) == 1.0
    for fn in (recall_at_k, ndcg_at_k, mrr_at_k):
        assert fn(RANKED, 99, 50) == 0.0
        assert fn([], 99, 50) == 0.0


def test_duplicate_gold_counts_at_first_position() -> None:
    assert mrr_at_k([1, 2, 2], 2, 10) == 0.5


def test_numpy_ranking_is_accepted() -> None:
    assert recall_at_k(np.array([5, 6, 7]), 7, 3) == 1.0


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError, match="k must be >= 1"):
        recall_at_k(RANKED, 10, 0)


def test_accumulator_values() -> None:
    acc = RankingMetrics()
    per_sample = acc.add(RANKED, 30)
    assert per_sample["recall@1"] == 0.0 and per_sample["mrr@50"] == pytest.approx(1 / 3)
    acc.add(RANKED, 10)  # rank 1
    acc.add(list(range(100)), 60)  # rank 61: beyond 50
    acc.add(list(range(100)), 19)  # rank 20
    assert acc.n == 4
    got = acc.as_dict()
    assert list(got) == list(METRIC_KEYS)
    assert got["recall@1"] == pytest.approx(1 / 4)
    assert got["recall@10"] == pytest.approx(2 / 4)
    assert got["recall@50"] == pytest.approx(3 / 4)
    assert got["ndcg@10"] == pytest.approx((0.5 + 1.0) / 4)
    assert got["ndcg@50"] == pytest.approx((0.5 + 1.0 + 1 / math.log2(21)) / 4)
    assert got["mrr@50"] == pytest.approx((1 / 3 + 1 + 1 / 20) / 4)


def test_empty_accumulator_is_zeros_not_nan() -> None:
    acc = RankingMetrics()
    assert acc.n == 0
    assert acc.as_dict() == dict.fromkeys(METRIC_KEYS, 0.0)


def test_merge_equals_one_accumulator_over_all() -> None:
    rng = np.random.default_rng(1)
    cases = [(list(rng.permutation(80)), int(rng.integers(0, 80))) for _ in range(30)]
    whole, left, right = RankingMetrics(), RankingMetrics(), RankingMetrics()
    for i, (ranked, gold) in enumerate(cases):
        whole.add(ranked, gold)
        (left if i < 11 else right).add(ranked, gold)
    merged = left.merge(right)
    assert merged is left
    assert merged.n == whole.n == 30
    for key, value in whole.as_dict().items():
        assert merged.as_dict()[key] == pytest.approx(value)
    assert RankingMetrics().merge(RankingMetrics()).as_dict() == dict.fromkeys(METRIC_KEYS, 0.0)


def test_merge_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        RankingMetrics().merge({"recall@1": 1.0})  # type: ignore[arg-type]


def test_bootstrap_ci() -> None:
    values = [0.0] * 50 + [1.0] * 50
    low, high = bootstrap_ci(values, n_boot=2000, seed=3)
    assert 0.35 < low < 0.5 < high < 0.65
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    assert bootstrap_ci([0.25] * 10) == (0.25, 0.25)
    assert bootstrap_ci([]) == (0.0, 0.0)
    with pytest.raises(ValueError):
        bootstrap_ci(values, n_boot=0)


def test_dialog_bootstrap_pools_the_samples_of_drawn_dialogues() -> None:
    # dialogue a: 3 hits of 3, dialogue b: 1 miss. A resample draws two dialogues: {a, a} -> 6/6 = 1.0,
    # {a, b} -> 3/4 = 0.75 (pooled share, not the mean of 1.0 and 0.0), {b, b} -> 0/2 = 0.0
    values, groups = [1.0, 1.0, 1.0, 0.0], ["a", "a", "a", "b"]
    stats = dialog_bootstrap(values, groups, n_boot=4000, seed=1)
    assert set(np.unique(stats)) == {0.0, 0.75, 1.0}
    assert np.mean(stats == 0.75) == pytest.approx(0.5, abs=0.03)  # P({a, b}) = 1/2
    assert dialog_bootstrap_ci(values, groups, n_boot=4000, seed=1) == (0.0, 1.0)
    # the sample-level bootstrap treats the four values as independent: a narrower interval
    low, high = bootstrap_ci(values, n_boot=4000, seed=1)
    assert low > 0.0 and high == 1.0


def test_dialog_bootstrap_degenerate_cases() -> None:
    # every dialogue has share 1/2: every resample is exactly 1/2, whatever is drawn
    assert dialog_bootstrap_ci([1.0, 0.0, 0.0, 1.0], ["a", "a", "b", "b"]) == (0.5, 0.5)
    assert dialog_bootstrap_ci([1.0, 0.0, 0.0], ["only"] * 3) == pytest.approx((1 / 3, 1 / 3))
    assert dialog_bootstrap_ci([], []) == (0.0, 0.0)
    values, groups = [0.0, 1.0, 1.0, 0.0, 1.0], [1, 1, 2, 3, 3]
    assert dialog_bootstrap_ci(values, groups, seed=5) == dialog_bootstrap_ci(values, groups, seed=5)
    # the order of the samples does not matter (workers finish dialogues in any order)
    assert dialog_bootstrap_ci(values[::-1], groups[::-1], seed=5) == dialog_bootstrap_ci(
        values, groups, seed=5
    )
    with pytest.raises(ValueError):
        dialog_bootstrap_ci([1.0], ["a", "b"])
    with pytest.raises(ValueError):
        dialog_bootstrap([1.0], ["a"], n_boot=0)
