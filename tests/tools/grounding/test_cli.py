"""``crsagent ground`` (``ui/cli/ground.py``) over the small catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tools.catalog import Catalog
from tools.grounding import Grounder
from ui.cli import ground as cli_ground
from ui.cli.main import app


@pytest.fixture()
def cli_app(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setattr(cli_ground, "_build_grounder", lambda: Grounder(catalog))
    return app


def test_cli_titles_json(cli_app: typer.Typer) -> None:
    result = CliRunner().invoke(cli_app, ["ground", "--json", "Dune (1984)", "The Matrix 5"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out == {
        "results": [
            {"query": "Dune (1984)", "item_id": 1, "title": "Dune", "year": 1984, "score": 1.0},
            {"query": "The Matrix 5", "item_id": None, "title": None, "year": None, "score": None},
        ]
    }


def test_cli_table(cli_app: typer.Typer) -> None:
    result = CliRunner().invoke(cli_app, ["ground", "heat"])
    assert result.exit_code == 0
    assert "Heat" in result.stdout and "1995" in result.stdout


def test_cli_file_and_stdin(cli_app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "titles.txt"
    path.write_text("Heat (1995)\n\nincepton\nToy Story 5\n", encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["ground", "--file", str(path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["Heat (1995)", "", "incepton", "Toy Story 5"]
    assert [r["item_id"] for r in rows] == [5, None, 22, None]
    stdin = CliRunner().invoke(cli_app, ["ground", "--file", "-"], input="up\n")
    assert [json.loads(line)["item_id"] for line in stdin.stdout.splitlines()] == [7]


def test_cli_bad_input_exits_2(cli_app: typer.Typer, tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli_app, ["ground", "--file", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output and "Traceback" not in missing.output
    assert CliRunner().invoke(cli_app, ["ground"]).exit_code == 2
