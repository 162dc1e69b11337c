"""Ranking metrics for offline evaluation with a single relevant (gold) item per sample.

The per-sample functions take a ranked list of item ids (best first) and the gold id; a gold id that
appears several times counts at its first position. :class:`RankingMetrics` is a mergeable accumulator
in the style of CRSLab's metric objects: accumulate per shard / worker, merge, then read the averages.
:func:`bootstrap_ci` gives a percentile-bootstrap 95% interval for the mean of per-sample values;
:func:`dialog_bootstrap_ci` resamples whole dialogues instead (samples of one dialogue are not independent), the
interval every evaluation report uses.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "METRIC_KEYS",
    "Ranking",
    "RankingMetrics",
    "bootstrap_ci",
    "dialog_bootstrap",
    "dialog_bootstrap_ci",
    "mrr_at_k",
    "ndcg_at_k",
    "recall_at_k",
]

#: The keys of :meth:`RankingMetrics.as_dict`, in report order (DESIGN §3-4).
METRIC_KEYS: tuple[str, ...] = ("recall@1", "recall@10", "recall@50", "ndcg@10", "ndcg@50", "mrr@50")

_MAX_K = 50

#: A ranking of item ids, best first: any sequence of ints, or a 1-D numpy integer array.
Ranking = Sequence[int] | NDArray[np.integer]


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def _rank(ranked: Ranking | Sequence[Hashable], gold: Hashable, k: int) -> int | None:
    """1-based position of ``gold`` among the first ``k`` of ``ranked``, or None when absent."""
    for position, item in enumerate(ranked[:k], 1):
        if item == gold:
            return position
    return None


def recall_at_k(ranked: Ranking, gold: int, k: int) -> float:
    """1.0 when ``gold`` is among the first ``k`` items of ``ranked``, else 0.0 (hit rate for one gold)."""
    _check_k(k)
    return 0.0 if _rank(ranked, gold, k) is None else 1.0


def ndcg_at_k(ranked: Ranking, gold: int, k: int) -> float:
    """``1 / log2(rank + 1)`` when ``gold`` is at 1-based ``rank <= k``, else 0.0 (ideal DCG is 1)."""
    _check_k(k)
    rank = _rank(ranked, gold, k)
    return 0.0 if rank is None else 1.0 / math.log2(rank + 1)


def mrr_at_k(ranked: Ranking, gold: int, k: int) -> float:
    """``1 / rank`` when ``gold`` is at 1-based ``rank <= k``, else 0.0."""
    _check_k(k)
    rank = _rank(ranked, gold, k)
    return 0.0 if rank is None else 1.0 / rank


def _scores_for_rank(rank: int | None) -> dict[str, float]:
    """The :data:`METRIC_KEYS` values of one sample whose gold sits at 1-based ``rank`` (None: not in top 50)."""
    if rank is None or rank > _MAX_K:
        return dict.fromkeys(METRIC_KEYS, 0.0)
    gain = 1.0 / math.log2(rank + 1)
    return {
        "recall@1": 1.0 if rank <= 1 else 0.0,
        "recall@10": 1.0 if rank <= 10 else 0.0,
        "recall@50": 1.0,
        "ndcg@10": gain if rank <= 10 else 0.0,
        "ndcg@50": gain,
        "mrr@50": 1.0 / rank,
    }


class RankingMetrics:
    """Mergeable accumulator of the six report metrics (:data:`METRIC_KEYS`).

    ``add`` scores one sample and returns its per-sample values (keep them for per-sample output or
    :func:`bootstrap_ci`); ``merge`` folds in another accumulator; ``as_dict`` gives the means over the
    ``n`` samples added (all zeros when none were added).
    """

    __slots__ = ("_sums", "n")

    def __init__(self) -> None:
        self.n: int = 0
        self._sums: dict[str, float] = dict.fromkeys(METRIC_KEYS, 0.0)

    def add(self, ranked: Ranking, gold: int) -> dict[str, float]:
        """Score one sample (``ranked`` best first) and add it; returns that sample's metric values."""
        scores = _scores_for_rank(_rank(ranked, gold, _MAX_K))
        for key, value in scores.items():
            self._sums[key] += value
        self.n += 1
        return scores

    def merge(self, other: RankingMetrics) -> RankingMetrics:
        """Add ``other``'s samples to this accumulator (in place) and return ``self``."""
        if not isinstance(other, RankingMetrics):
            raise TypeError(f"cannot merge {type(other).__name__} into RankingMetrics")
        for key in METRIC_KEYS:
            self._sums[key] += other._sums[key]
        self.n += other.n
        return self

    def as_dict(self) -> dict[str, float]:
        """Mean of each metric over the samples added, keyed by :data:`METRIC_KEYS`; zeros when empty."""
        if self.n == 0:
            return dict.fromkeys(METRIC_KEYS, 0.0)
        return {key: self._sums[key] / self.n for key in METRIC_KEYS}

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v:.4f}" for k, v in self.as_dict().items())
        return f"RankingMetrics(n={self.n}, {values})"


def bootstrap_ci(values: Sequence[float], n_boot: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap 95% confidence interval of the mean of ``values``.

    Resamples ``values`` with replacement ``n_boot`` times (numpy ``default_rng(seed)``, so the result is
    deterministic) and returns the 2.5th and 97.5th percentiles of the resampled means. An empty input
    gives ``(0.0, 0.0)``.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    data = np.asarray(values, dtype=float).ravel()
    if data.size == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    chunk = max(1, min(n_boot, 2_000_000 // data.size))  # bound memory at ~16 MB of indices per chunk
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, data.size, size=(stop - start, data.size))
        means[start:stop] = data[idx].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def dialog_bootstrap(
    values: Sequence[float], groups: Sequence[Hashable], n_boot: int = 1000, seed: int = 0
) -> NDArray[np.float64]:
    """The ``n_boot`` resampled statistics of a dialogue-level (cluster) bootstrap.

    ``values[i]`` is a per-sample value and ``groups[i]`` its dialogue. Each resample draws as many dialogues
    as there are, with replacement (numpy ``default_rng(seed)``), pools every sample of the drawn dialogues
    (a dialogue drawn twice counts twice) and takes the pooled share ``sum(values) / number of samples``.
    With one sample per dialogue this is the ordinary bootstrap of the mean. The result does not depend on the
    order of the samples (worker processes finish dialogues in any order). Empty input gives an empty array.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    data = np.asarray(values, dtype=float).ravel()
    if len(groups) != data.size:
        raise ValueError(f"got {data.size} values but {len(groups)} groups")
    if data.size == 0:
        return np.empty(0)
    # dialogues numbered in sorted order of their ids: the result does not depend on the order of the samples
    index = {g: i for i, g in enumerate(sorted(set(groups), key=lambda g: (type(g).__name__, str(g))))}
    codes = np.fromiter((index[g] for g in groups), dtype=np.int64, count=data.size)
    sums = np.bincount(codes, weights=data)
    counts = np.bincount(codes).astype(float)
    n_groups = sums.size
    rng = np.random.default_rng(seed)
    stats = np.empty(n_boot)
    chunk = max(1, min(n_boot, 2_000_000 // n_groups))  # bound memory at ~16 MB of indices per chunk
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, n_groups, size=(stop - start, n_groups))
        stats[start:stop] = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    return stats


def dialog_bootstrap_ci(
    values: Sequence[float], groups: Sequence[Hashable], n_boot: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Percentile 95% interval (2.5th, 97.5th) of :func:`dialog_bootstrap`; ``(0.0, 0.0)`` when empty."""
    stats = dialog_bootstrap(values, groups, n_boot=n_boot, seed=seed)
    if stats.size == 0:
        return 0.0, 0.0
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(low), float(high)
