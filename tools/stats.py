"""Latency statistics shared by the benchmarks, the load test and the evaluation reports."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between ranks (numpy's default); 0.0 for none."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else 0.0


def p50_p95(values: Sequence[float], ndigits: int = 2) -> dict[str, float]:
    """``{"p50": …, "p95": …}`` of ``values``, rounded to ``ndigits``."""
    return {"p50": round(percentile(values, 50), ndigits), "p95": round(percentile(values, 95), ndigits)}
