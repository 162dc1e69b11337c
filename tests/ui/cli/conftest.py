"""Fixtures of the CLI tests: the ``crsagent`` app run in this process (typer's ``CliRunner``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ui.cli.main import app


@pytest.fixture()
def crsagent() -> Callable[..., Result]:
    """Run ``crsagent ARGS`` in this process against the home ``home`` (``HF_HUB_OFFLINE``, no
    ``DATABASE_URL`` unless given), with extra environment variables; the result has ``exit_code``,
    ``stdout`` and ``stderr``."""
    runner = CliRunner()

    def run(args: list[str], home: Path, **env: str) -> Result:
        full_env: dict[str, str | None] = {
            "CRSAGENT_HOME": str(home),
            "HF_HUB_OFFLINE": "1",
            "DATABASE_URL": None,
        }
        return runner.invoke(app, args, env={**full_env, **env})

    return run
