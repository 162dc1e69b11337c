"""``crsagent chat`` as a real subprocess with piped stdin (one message per line), and ``crsagent ui``'s options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner


def test_chat_piped_shows_a_table_and_answers_slash_commands(built_home: Path) -> None:
    lines = [
        "I want a funny sci-fi movie from the 90s, no horror",
        "not the second one",
        "/why 1",
        "/more",
        "/quit",
        "this line comes after /quit and is never read as a message",
    ]
    env = {**os.environ, "CRSAGENT_HOME": str(built_home), "HF_HUB_OFFLINE": "1", "COLUMNS": "160", "TERM": "dumb"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "ui.cli", "chat", "--user", "cli-chat", "--session", "piped"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, env=env, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Traceback" not in text + out.stderr
    # three answers with items, each rendered as a table (header row + box drawing), not as numbered text
    assert text.count("┃ #") == 3 or text.count("title") >= 3, text
    assert all(c in text for c in ("┏", "┃", "┡", "└")), text
    header = next(ln for ln in text.splitlines() if "title" in ln and "year" in ln)
    assert all(col in header for col in ("#", "title", "year", "genres", "why"))
    years = [int(tok) for ln in text.splitlines() if ln.startswith("│") for tok in ln.split("│")[3:4]
             if tok.strip().isdigit()]
    assert years and all(1990 <= y <= 1999 for y in years)
    # /why 1 answers with the first item's reason on one line: "Title (year): why"
    assert any(ln.rstrip().endswith(("sci-fi", "comedy")) or "): " in ln for ln in text.splitlines()), text
    assert "(199" in text and "): " in text


def test_ui_command_is_registered_with_host_and_port() -> None:
    from ui.cli_ui import register

    app = typer.Typer()

    @app.command("noop")
    def noop() -> None:  # a second command, so that typer keeps sub-command names
        """Nothing."""

    register(app)
    runner = CliRunner()
    helped = runner.invoke(app, ["ui", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    assert helped.exit_code == 0, helped.output
    assert "--host" in helped.output and "--port" in helped.output and "127.0.0.1" in helped.output
    assert "7860" in helped.output
    bad = runner.invoke(app, ["ui", "--port", "70000"])
    assert bad.exit_code != 0 and "65535" in bad.output
