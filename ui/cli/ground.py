"""``crsagent ground TITLE... [--file F] [--json]``: map titles to catalog items (or null).

Output:

- ``--file F`` (one title per line, ``-`` for stdin): one JSON line per input line, in order,
  ``{"query", "item_id", "title", "year", "score"}`` with ``item_id`` (and the rest) null when not grounded;
- titles with ``--json``: one JSON object ``{"results": [ ...the same objects... ]}``;
- titles without ``--json``: a table.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ui.cli.common import cli_command, cli_settings, console, emit_json

if TYPE_CHECKING:
    from tools.grounding import Grounder, ItemMatch


def _build_grounder() -> Grounder:
    """A grounder over the configured catalog, with the embedding model and a title-embedding cache."""
    # lazy: CLI start-up (SQLAlchemy, torch, chromadb)
    from tools.toolkit import Toolkit

    return Toolkit(cli_settings()).grounder


def _result(query: str, match: ItemMatch | None) -> dict[str, Any]:
    if match is None:
        return {"query": query, "item_id": None, "title": None, "year": None, "score": None}
    return {
        "query": query,
        "item_id": match.item_id,
        "title": match.title,
        "year": match.year,
        "score": match.score,
    }


def _read_lines(file: str) -> Iterator[str]:
    """The lines of ``file`` (``-`` = stdin) without their line endings; a missing file is a ValueError."""
    if file == "-":
        for line in sys.stdin:
            yield line.rstrip("\r\n")
        return
    path = Path(file)
    if not path.is_file():
        raise ValueError(f"no such file: {file}")
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            yield line.rstrip("\r\n")


@cli_command
def ground_command(
    titles: Annotated[
        list[str] | None, typer.Argument(help="Titles to ground, e.g. 'Dune (1984)' 'the matrix'.")
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file", "-f", help="Read one title per line from this file ('-' = stdin); prints JSON lines."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Map movie titles to catalog items (exact, fuzzy, then embedding match); null when not in the catalog."""
    if file is not None and titles:
        raise ValueError("give either TITLE... or --file F, not both")
    if file is None and not titles:
        raise ValueError("give at least one TITLE or --file F")
    if file is not None:
        lines = _read_lines(file)
        first = next(lines, None)  # a missing file fails before the catalog is loaded
        grounder = _build_grounder()
        if first is not None:
            emit_json(_result(first, grounder.ground(first)))
            for line in lines:
                emit_json(_result(line, grounder.ground(line)))
                sys.stdout.flush()
        return
    assert titles is not None
    grounder = _build_grounder()
    results = [
        _result(title, match) for title, match in zip(titles, grounder.ground_many(titles), strict=True)
    ]
    if json_out:
        emit_json({"results": results})
        return
    table = Table("query", "item id", "title", "year", "score")
    for row in results:
        table.add_row(
            row["query"],
            "-" if row["item_id"] is None else str(row["item_id"]),
            row["title"] or "[dim]not in the catalog[/dim]",
            "" if row["year"] is None else str(row["year"]),
            "" if row["score"] is None else f"{row['score']:.2f}",
        )
    console.print(table)
