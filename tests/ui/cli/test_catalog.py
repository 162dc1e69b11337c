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
    assert stats["items"] >= 7000 and stats["with_genres"] >= 0.9 and stats["with_plot"] >= 0.8
    assert stats["interactions"] > 50_000
