"""``crsagent memory`` / ``crsagent forget``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from memory.facts import FactIn
from memory.store import MemoryStore
from tools.toolkit import Toolkit
from ui.cli.main import app


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("CRSAGENT_HOME", str(home))
    for var in ("DATABASE_URL", "CHROMA_PATH", "CHROMA_URL"):
        monkeypatch.delenv(var, raising=False)
    return home


def test_memory_shows_and_forget_deletes(home: Path, make_toolkit: Callable[..., Toolkit]) -> None:
    store = MemoryStore(make_toolkit(home))
    said = FactIn("dislikes horror", "dislike", "genre:horror", -1, source="I hate horror movies")
    written = store.remember_facts("ann", [said, FactIn("watches with kids")], session="s1")
    store.remember_facts("ann", [said], session="s2")  # confirmed in a later session
    store.record_feedback("ann", 12, "seen")
    store.remember_facts("bob", [FactIn("watches alone")])
    runner = CliRunner()

    out = runner.invoke(app, ["memory", "--user", "ann", "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert {f["id"] for f in payload["facts"]} == {w.fact_id for w in written}
    horror = next(f for f in payload["facts"] if f["key"] == "genre:horror")
    assert (horror["source_text"], horror["source_session"], horror["strength"]) == (
        "I hate horror movies",
        "s2",
        2,
    )
    assert horror["confirmed_at"] >= horror["created_at"]
    assert payload["items"][0]["id"] == "item:12" and payload["items"][0]["kind"] == "seen"
    assert payload["pending_sync"] == 0
    table = runner.invoke(app, ["memory", "--user", "ann"])
    assert table.exit_code == 0 and "dislikes horror" in table.stdout and "watches alone" not in table.stdout
    flat = " ".join(table.stdout.split())
    for words in ("from your words", "session", "strength", "last confirmed", "hate horror"):
        assert words in flat, table.stdout

    gone = written[0].fact_id
    out = runner.invoke(app, ["forget", "--user", "ann", gone])
    assert out.exit_code == 0, out.output
    assert gone not in {f.id for f in store.list_facts("ann")}
    assert store.collection().get(ids=[gone])["ids"] == []

    out = runner.invoke(app, ["forget", "--user", "ann", "--all", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["deleted"] == {"facts": 1, "items": 1}
    assert store.list_facts("ann") == [] and store.collection().get(where={"user_id": "ann"})["ids"] == []
    assert [f.text for f in store.list_facts("bob")] == ["watches alone"]
    empty = runner.invoke(app, ["memory", "--user", "ann"])
    assert "No memory" in empty.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["forget", "--user", "ann"],
        ["forget", "--user", "ann", "--all", "some-id"],
        ["forget", "--user", "ann", "no-such-id"],
    ],
)
def test_forget_bad_input_exits_2_with_one_line(home: Path, args: list[str]) -> None:
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 2
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("error:")
