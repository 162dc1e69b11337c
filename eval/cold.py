"""``crsagent bench --cold``: wall time of one-shot commands in fresh processes.

- ``cold_ask_s``: ``crsagent ask --json`` on the built home, each run a new process, a new user and session
  (p50 / p95 of ``runs``);
- ``index_s``: ``crsagent index`` on a fresh temporary home (local SQLite and Chroma; the shipped item vectors
  are reused).

Each command runs as ``python -m ui.cli.main`` from this checkout, exactly as a user would run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.settings import Settings
from tools.stats import p50_p95

#: The message of every cold ``ask``.
COLD_MESSAGE = "a 90s comedy"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(home: Path, *, local: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["CRSAGENT_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.setdefault(key, "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    if local:  # a fresh home of its own: never the configured servers
        for key in ("DATABASE_URL", "CHROMA_URL", "CHROMA_PATH", "CHROMA_TENANT", "CHROMA_DATABASE"):
            env.pop(key, None)
    return env


def _timed(args: list[str], env: dict[str, str], timeout_s: float) -> float:
    """Run ``crsagent ARGS`` in a new process; its wall time in seconds (raises on a non-zero exit)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ui.cli.main", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
        raise RuntimeError(f"`crsagent {' '.join(args)}` exited {proc.returncode}: {tail[0][:300]}")
    return wall


def run_cold(
    settings: Settings,
    runs: int = 5,
    *,
    index: bool = True,
    progress: Callable[[str], None] | None = None,
    timeout_s: float = 600.0,
) -> dict[str, Any]:
    """``{"cold_ask_s": {"p50", "p95"}, "cold_ask_runs_s": [...], "index_s": float | None}``."""
    say = progress or (lambda msg: None)
    walls: list[float] = []
    env = _env(settings.home, local=False)
    for i in range(runs):
        tag = uuid.uuid4().hex[:8]
        args = ["ask", "--json", "--user", f"cold-{tag}", "--session", f"cold-{tag}", COLD_MESSAGE]
        walls.append(_timed(args, env, timeout_s))
        say(f"cold ask {i + 1}/{runs}: {walls[-1]:.2f} s")
    out: dict[str, Any] = {
        "cold_ask_s": p50_p95(walls),
        "cold_ask_runs_s": [round(w, 2) for w in walls],
        "cold_ask_command": f'crsagent ask --json --user <new> --session <new> "{COLD_MESSAGE}"',
        "index_s": None,
    }
    if index:
        with tempfile.TemporaryDirectory(prefix="crsagent-cold-index-") as tmp:
            say("crsagent index on a fresh temporary home…")
            out["index_s"] = round(
                _timed(["index", "--json"], _env(Path(tmp) / "home", local=True), timeout_s), 2
            )
            say(f"index: {out['index_s']:.1f} s")
    return out
