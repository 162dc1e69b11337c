"""First run: every command that needs a built home says so in one line and exits 2 on an empty home, before
loading anything (no index is built here)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

NEEDS_INDEX = [
    ["ask", "a funny movie"],
    ["ask", "--json", "--user", "u", "--session", "s", "a 90s comedy"],
    ["chat"],
    ["ui", "--port", "7999"],
    ["bench"],
    ["bench", "--cold"],
    ["bench", "--load", "auto"],
    ["eval", "redial", "--data-dir", "{redial}"],  # a valid data dir: its checks come before the index's
    ["eval", "nlu"],
    ["simulate", "--dataset", "redial", "--data-dir", "/nonexistent"],
]


@pytest.mark.parametrize("args", NEEDS_INDEX, ids=lambda a: " ".join(a[:2]))
def test_an_empty_home_gives_one_line_and_exit_2(
    crsagent: Callable[..., Result], tmp_path: Path, args: list[str]
) -> None:
    home = tmp_path / "empty-home"
    redial = tmp_path / "redial"
    redial.mkdir()
    (redial / "test_data.jsonl").write_text("", encoding="utf-8")
    args = [a.replace("{redial}", str(redial)) for a in args]
    result = crsagent(args, home, CRSAGENT_UI_PASSWORD="", CRSAGENT_UI_USER="")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "has no index yet: run `crsagent index` first" in lines[0]
    assert "Traceback" not in result.output
    assert not (home / "crsagent.db").exists()  # refused before opening anything


def test_the_index_check_passes_on_a_built_home(built_home: Path) -> None:
    from tools.settings import load_settings
    from ui.cli.common import require_index

    require_index(load_settings(home=built_home))
