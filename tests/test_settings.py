"""Settings: one typed object, read from the environment when asked, never at import time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.settings import Settings, load_settings


def test_defaults_and_derived_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CRSAGENT_HOME", str(tmp_path))
    for var in ("DATABASE_URL", "CHROMA_PATH", "CHROMA_URL", "CRSAGENT_LLM"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings()
    assert s.home == tmp_path
    assert s.db_url == f"sqlite:///{tmp_path / 'crsagent.db'}"
    assert s.chroma_dir == tmp_path / "chroma"
    assert s.llm == "offline"
    assert (s.data_dir / "catalog.jsonl.gz").exists()


def test_environment_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # importing reads nothing: an invalid value only fails once settings are loaded (in a fresh interpreter, so
    # this process's already imported module is left as it is)
    code = "import tools.settings as m\nprint('imported', flush=True)\nm.load_settings()"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "CRSAGENT_LLM": "magic"},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.stdout.strip() == "imported" and proc.returncode != 0 and "CRSAGENT_LLM" in proc.stderr
    monkeypatch.setenv("CRSAGENT_LLM", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    s = load_settings()  # ... calling does
    assert s.llm == "openai"
    assert "sk-secret-value" not in repr(s) and "sk-secret-value" not in str(s.model_dump())


def test_invalid_value_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRSAGENT_LLM", "magic")
    with pytest.raises(ValueError):
        Settings()


def test_overrides(tmp_path: Path) -> None:
    s = load_settings(home=tmp_path, n_items=3)
    assert s.n_items == 3 and s.home == tmp_path
