"""``crsagent bench``: the bench.json schema (DESIGN §3), on the built home and a small synthetic catalog."""

from __future__ import annotations

from typing import Any


def test_bench_json_schema_and_every_tool_measured_on_both_catalogs(settings: Any) -> None:
    from eval.bench import run_bench

    result = run_bench(settings, n_conversations=3, synthetic_items=3000)
    assert set(result["catalogs"]) == {"default", "synthetic_3k"}
    for name, cat in result["catalogs"].items():
        assert {"n_items", "pipeline_ms", "turn_ms", "tools"} <= set(cat), name
        # the same tools run on both catalogs: the liked title is found, so collaborative filtering runs too
        assert {"parse", "filter_items", "semantic_search", "collaborative", "popular", "rank"} <= set(
            cat["tools"]
        ), name
        for p in [cat["pipeline_ms"], cat["turn_ms"], *cat["tools"].values()]:
            assert set(p) == {"p50", "p95"} and 0 < p["p50"] <= p["p95"]
        assert cat["pipeline_ms"]["p50"] <= cat["turn_ms"]["p95"]  # the tools are part of the turn
    assert (
        result["catalogs"]["default"]["n_items"] > 7000
        and result["catalogs"]["synthetic_3k"]["n_items"] == 3000
    )
