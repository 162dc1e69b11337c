"""The shared error handling: bad configuration or an unusable home is one line on stderr and exit code 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (
            ["catalog", "stats"],
            {"DATABASE_URL": "postgresql+psycopg://u:secretpw@127.0.0.1:1/x"},
            "DATABASE_URL",
        ),
        (["catalog", "stats"], {"CRSAGENT_DATA_DIR": "/nonexistent/data"}, "missing data file"),
        (
            ["ui", "--host", "0.0.0.0"],
            {"CRSAGENT_UI_USER": "", "CRSAGENT_UI_PASSWORD": ""},
            "refusing to serve on 0.0.0.0",
        ),
    ],
)
def test_bad_configuration_gives_one_line_and_nonzero_exit(
    crsagent: Callable[..., Result], tmp_path: Path, args: list[str], env: dict[str, str], needle: str
) -> None:
    out = crsagent(args, tmp_path / "fresh", **env)
    assert out.exit_code == 2
    assert needle in out.stderr and "Traceback" not in out.stderr
    assert "secretpw" not in out.stderr


def test_unwritable_home(crsagent: Callable[..., Result], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = crsagent(["catalog", "stats"], blocker / "home")
    assert out.exit_code == 2 and "CRSAGENT_HOME" in out.stderr and "Traceback" not in out.stderr
