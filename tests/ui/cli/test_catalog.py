"""``crsagent catalog stats``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result


def test_catalog_stats_json(crsagent: Callable[..., Result], built_home: Path) -> None:
    out = crsagent(["catalog", "stats", "--json"], built_home)
    assert out.exit_code == 0, out.stderr
    stats = json.loads(out.stdout)
    assert stats["items"] >= 60000 and stats["with_genres"] >= 0.9 and stats["with_year"] >= 0.95
    assert stats["by_origin"]["redial"] == 6924 and stats["by_origin"]["movielens"] > 50000
    assert stats["items"] - stats["unlisted"] > 15000  # recommendable; the rest are found by name only
    assert stats["interactions"] > 50_000


def test_catalog_check_json(crsagent: Callable[..., Result], tmp_path: Path) -> None:
    """Reads the shipped data files (no index needed): counts, what the build resolved, what remains."""
    out = crsagent(["catalog", "check", "--json"], tmp_path / "home")
    assert out.exit_code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["items"] >= 7000
    assert report["counts"]["with_qualifiers"] > 3000 and report["counts"]["with_runtime"] > 1000
    assert report["counts"]["unlisted"] == report["remaining"]["unlisted"]["count"] > 0
    assert report["resolved"]["years_resolved"] > 0 and report["resolved"]["duplicate_groups"] > 100
    assert set(report["remaining"]) == {
        "unlisted",
        "same_title_year",
        "kind_genre_mix",
        "same_popularity",
        "plot_cut",
        "years_unresolved",
    }
    assert report["remaining_total"] == sum(v["count"] for v in report["remaining"].values())
    assert set(report["qualifiers"]) >= {"gore", "heist", "time-travel"}
    text = crsagent(["catalog", "check"], tmp_path / "home")
    assert text.exit_code == 0 and "kind_genre_mix" in text.stdout
