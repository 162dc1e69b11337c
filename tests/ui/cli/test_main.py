"""The assembled ``crsagent`` app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result


def test_help_lists_the_commands(crsagent: Callable[..., Result], tmp_path: Path) -> None:
    out = crsagent(["--help"], tmp_path)
    assert out.exit_code == 0
    for cmd in ("index", "chat", "ask", "catalog", "data", "db", "ui", "eval", "bench"):
        assert cmd in out.stdout
