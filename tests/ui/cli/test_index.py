"""``crsagent index``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result


def test_index_is_idempotent(crsagent: Callable[..., Result], built_home: Path) -> None:
    out = crsagent(["index", "--json"], built_home)
    assert out.exit_code == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["embedded"] == 0 and summary["catalog_loaded"] is False
