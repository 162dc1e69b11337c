"""``crsagent db current|upgrade`` on a fresh SQLite home and on an unreachable server database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tools.db.schema import head_revision


def test_db_command_upgrades_and_reports(crsagent: Callable[..., Result], tmp_path: Path) -> None:
    up = crsagent(["db", "upgrade", "--json"], tmp_path)
    assert up.exit_code == 0, up.stderr
    assert json.loads(up.stdout) == {"before": None, "after": head_revision()}
    cur = crsagent(["db", "current", "--json"], tmp_path)
    assert json.loads(cur.stdout) == {"current": head_revision(), "head": head_revision(), "up_to_date": True}


def test_db_command_on_an_unreachable_database_is_one_clear_line(
    crsagent: Callable[..., Result], tmp_path: Path
) -> None:
    env_url = "postgresql+psycopg://crsagent:s3cret@127.0.0.1:1/nowhere"
    out = crsagent(["db", "current"], tmp_path, DATABASE_URL=env_url)
    assert out.exit_code == 2 and "Traceback" not in out.stderr and "s3cret" not in out.stderr
    assert "DATABASE_URL" in out.stderr
