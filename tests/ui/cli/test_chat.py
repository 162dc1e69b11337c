"""``crsagent chat`` as a real subprocess with piped stdin (one message per line)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path


def test_chat_piped_shows_a_table_and_answers_slash_commands(built_home: Path) -> None:
    lines = [
        "I want a funny sci-fi movie from the 90s, no horror",
        "not the second one",
        "/why 1",
        "/more",
        "/quit",
        "this line comes after /quit and is never read as a message",
    ]
    env = {
        **os.environ,
        "CRSAGENT_HOME": str(built_home),
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "160",
        "TERM": "dumb",
    }
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ui.cli.main",
            "chat",
            "--user",
            "cli-chat",
            "--session",
            f"piped-{uuid.uuid4().hex[:8]}",
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Traceback" not in text + out.stderr
    assert "never read" not in text
    # three answers with items, each rendered as a rich table (header row + box drawing), not numbered text
    assert text.count("┃ # ┃") == 3, text
    header = next(ln for ln in text.splitlines() if ln.startswith("┃ #"))
    assert all(col in header for col in ("title", "year", "genres", "why"))
    tables: list[list[tuple[str, int]]] = []
    for ln in text.splitlines():
        if ln.startswith("┏"):
            tables.append([])
        cells = [c.strip() for c in ln.split("│")]
        if ln.startswith("│") and cells[1].isdigit():
            tables[-1].append((cells[2], int(cells[3])))
    assert [len(t) for t in tables] == [5, 5, 5]
    assert all(1990 <= year <= 1999 for table in tables for _, year in table)
    disliked = tables[0][1][0]  # "not the second one"
    assert all(disliked not in [title for title, _ in table] for table in tables[1:])
    # /why 1 answers on one line with the first item of the latest table and its reason
    first_title, first_year = tables[1][0]
    assert re.search(rf"^{re.escape(first_title)} \({first_year}\): \S", text, re.M), text
