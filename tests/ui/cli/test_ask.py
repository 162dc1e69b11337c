"""``crsagent ask``; its first turn runs the installed ``crsagent`` script end to end, as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result


def test_ask_json_schema_and_persisted_session(crsagent: Callable[..., Result], built_home: Path) -> None:
    script = shutil.which("crsagent", path=str(Path(sys.executable).parent))
    assert script, "the crsagent script is not installed beside this Python (pip install -e .)"
    env = {**os.environ, "CRSAGENT_HOME": str(built_home), "HF_HUB_OFFLINE": "1"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [
            script,
            "ask",
            "I loved Alien and want sci-fi from the 80s",
            "--json",
            "--user",
            "cli",
            "--session",
            "c1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) == {"reply", "items", "state", "trace", "llm_calls", "fallbacks", "latency_ms"}
    assert result["items"] and set(result["items"][0]) == {
        "id",
        "title",
        "year",
        "genres",
        "directors",
        "stars",
        "score",
        "why",
    }
    assert all(1980 <= it["year"] <= 1989 for it in result["items"])
    assert all({"step", "tool", "ms"} <= set(t) for t in result["trace"])
    # the next turn, in this process: the session persisted by the script continues
    second = json.loads(
        crsagent(["ask", "more", "--json", "--user", "cli", "--session", "c1"], built_home).stdout
    )
    assert second["state"]["constraints"]["year_min"] == 1980  # the session continued


def test_ask_on_an_empty_home_says_to_index(crsagent: Callable[..., Result], tmp_path: Path) -> None:
    result = crsagent(["ask", "a funny movie"], tmp_path / "empty-home")
    assert result.exit_code == 2
    assert "run `crsagent index`" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_ask_refuses_an_empty_message(crsagent: Callable[..., Result], tmp_path: Path) -> None:
    for text in ("", "   \n"):
        result = crsagent(["ask", text], tmp_path / "home")
        assert result.exit_code == 2
        assert "the message is empty" in result.stderr and "Traceback" not in result.output
