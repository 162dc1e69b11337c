"""``crsagent catalog stats``: what the catalog holds."""

from __future__ import annotations

from typing import Annotated

import typer

from ui.cli.common import cli_command, cli_settings, console, emit_json

catalog_app = typer.Typer(help="Inspect the catalog.", no_args_is_help=True)


@catalog_app.command("stats")
@cli_command
def catalog_stats(
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Item count, metadata coverage and interaction counts."""
    # lazy: CLI start-up (SQLAlchemy, torch, chromadb)
    from tools.catalog import catalog_stats as stats
    from tools.toolkit import Toolkit

    toolkit = Toolkit(cli_settings())
    _ = toolkit.catalog  # loads the shipped catalog into an empty database
    result = stats(toolkit.engine)
    if json_out:
        emit_json(result)
    else:
        for key, value in result.items():
            console.print(f"{key:>24}: {value}")
