"""The one percentile helper (benchmarks, load test, evaluation reports)."""

from __future__ import annotations

from tools.stats import p50_p95, percentile


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([3, 1, 2], 50) == 2
    assert percentile(list(range(1, 101)), 95) == 95.05
    assert p50_p95([10.0, 20.0, 30.0, 40.0], ndigits=1) == {"p50": 25.0, "p95": 38.5}
