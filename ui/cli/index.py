"""``crsagent index``: build or update the catalog database, the item embeddings and the recommender models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ui.cli.common import cli_command, cli_settings, console, emit_json, err_console


@cli_command
def index(
    force: Annotated[bool, typer.Option(help="Reload and re-embed everything.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Build or update the catalog database, the item embeddings (Chroma) and the recommender models."""
    # lazy: CLI start-up (SQLAlchemy, torch, chromadb)
    from tools.indexing import run_index
    from tools.toolkit import Toolkit

    toolkit = Toolkit(cli_settings())
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=json_out or not err_console.is_terminal,
    ) as bar:

        def factory(stage: str, total: int) -> Callable[[int], None]:
            task = bar.add_task(stage, total=total)
            return lambda n: bar.advance(task, n)

        summary = run_index(toolkit, factory, force=force)
    if json_out:
        emit_json(summary.as_dict())
    else:
        console.print(
            f"catalog: {summary.items} items, {summary.indexed} searchable "
            f"({'reloaded' if summary.catalog_loaded else 'unchanged'}); "
            f"embedded {summary.embedded}, reused {summary.reused} shipped vectors, removed {summary.deleted}; models: {', '.join(summary.models) or '-'}; "
            f"seconds: {summary.seconds}"
        )
