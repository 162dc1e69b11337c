"""The command line, run as a real subprocess against a built home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = [sys.executable, "-m", "ui.cli"]


def run(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "CRSAGENT_HOME": str(home), "HF_HUB_OFFLINE": "1", **env}
    full_env.pop("DATABASE_URL", None) if "DATABASE_URL" not in env else None
    return subprocess.run([*BIN, *args], capture_output=True, text=True, env=full_env, timeout=300)


def test_help_lists_the_commands(tmp_path: Path) -> None:
    out = run(["--help"], tmp_path)
    assert out.returncode == 0
    for cmd in ("index", "chat", "ask", "catalog", "data", "db", "ui", "eval", "bench"):
        assert cmd in out.stdout


def test_catalog_stats_json(built_home: Path) -> None:
    out = run(["catalog", "stats", "--json"], built_home)
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    assert stats["items"] >= 7000 and stats["with_genres"] >= 0.9 and stats["with_plot"] >= 0.8
    assert stats["interactions"] > 50_000


def test_index_is_idempotent(built_home: Path) -> None:
    out = run(["index", "--json"], built_home)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["embedded"] == 0 and summary["catalog_loaded"] is False


def test_ask_json_schema_and_persisted_session(built_home: Path) -> None:
    out = run(["ask", "I loved Alien and want sci-fi from the 80s", "--json", "--user", "cli", "--session", "c1"], built_home)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) == {"reply", "items", "state", "trace", "llm_calls", "fallbacks", "latency_ms"}
    assert result["items"] and set(result["items"][0]) == {"id", "title", "year", "genres", "directors", "stars", "score", "why"}
    assert all(1980 <= it["year"] <= 1989 for it in result["items"])
    assert all({"step", "tool", "ms"} <= set(t) for t in result["trace"])
    second = json.loads(run(["ask", "more", "--json", "--user", "cli", "--session", "c1"], built_home).stdout)
    assert second["state"]["constraints"]["year_min"] == 1980  # the session continued


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["catalog", "stats"], {"DATABASE_URL": "postgresql+psycopg://u:secretpw@127.0.0.1:1/x"}, "DATABASE_URL"),
        (["catalog", "stats"], {"CRSAGENT_DATA_DIR": "/nonexistent/data"}, "missing data file"),
        (["ui", "--host", "0.0.0.0"], {"CRSAGENT_UI_USER": "", "CRSAGENT_UI_PASSWORD": ""}, "refusing to serve on 0.0.0.0"),
    ],
)
def test_bad_configuration_gives_one_line_and_nonzero_exit(tmp_path: Path, args: list[str], env: dict[str, str], needle: str) -> None:
    out = run(args, tmp_path / "fresh", **env)
    assert out.returncode == 2
    assert needle in out.stderr and "Traceback" not in out.stderr
    assert "secretpw" not in out.stderr


def test_unwritable_home(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = run(["catalog", "stats"], blocker / "home")
    assert out.returncode == 2 and "CRSAGENT_HOME" in out.stderr and "Traceback" not in out.stderr
